/*
 * The translation block cache: a hash table of blocks keyed by (pc, flags), a
 * translation path that builds IR, optimizes and compiles it, and the retire/reclaim
 * scheme described in tb.h.
 *
 * Locking: one mutex guards the hash table, translation and the thread list. Lookups
 * that hit a thread's jump cache take no lock; misses and translations do. Chain links
 * are written with the lock held and read without it (a pointer store is atomic).
 */
#include "tcg/exec/tb.h"

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TB_HASH_BITS 16

struct TbCache {
    const TbBackend *backend;
    const TbFrontend *frontend;
    GMutex lock;
    TranslationBlock *hash[1 << TB_HASH_BITS];
    uint64_t generation;      /* bumped by every flush: jump caches compare it */
    uint64_t epoch;           /* bumped by every retirement */
    TranslationBlock *retired; /* waiting for all online threads to pass epoch */
    uint64_t retired_epoch;   /* epoch at which the last block was retired */
    TbThread *threads;
    IrBlock ir;               /* reused for every translation, under lock */
    unsigned debug;
};

static inline unsigned tb_hash(uint64_t pc, uint64_t flags)
{
    uint64_t h = (pc ^ (flags * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (unsigned)(h >> (64 - TB_HASH_BITS));
}

/* Fibonacci hashing: block addresses are strided and clustered; a multiplicative hash
 * spreads them over the jump cache. */
static inline unsigned jmp_hash(uint64_t pc)
{
    return (unsigned)((pc * 0x9e3779b97f4a7c15ull) >> (64 - TB_JMP_CACHE_BITS));
}

TbCache *tb_cache_new(const TbBackend *backend, const TbFrontend *frontend)
{
    TbCache *c = g_new0(TbCache, 1);
    c->backend = backend;
    c->frontend = frontend;
    g_mutex_init(&c->lock);
    ir_block_init(&c->ir, frontend->ctx);
    return c;
}

static void free_block(TbCache *c, TranslationBlock *tb)
{
    c->backend->free_code(tb);
    g_free(tb);
}

static void reclaim_locked(TbCache *c)
{
    if (!c->retired) {
        return;
    }
    for (TbThread *t = c->threads; t; t = t->next) {
        if (t->online && __atomic_load_n(&t->seen_epoch, __ATOMIC_ACQUIRE) < c->retired_epoch) {
            return;
        }
    }
    TranslationBlock *tb = c->retired;
    c->retired = NULL;
    while (tb) {
        TranslationBlock *next = tb->retired_next;
        free_block(c, tb);
        tb = next;
    }
}

void tb_cache_free(TbCache *c)
{
    if (!c) {
        return;
    }
    tb_flush(c);
    g_mutex_lock(&c->lock);
    for (TbThread *t = c->threads; t; t = t->next) {
        t->online = false;
    }
    reclaim_locked(c);
    g_mutex_unlock(&c->lock);
    ir_block_destroy(&c->ir);
    g_mutex_clear(&c->lock);
    g_free(c);
}

const TbBackend *tb_cache_backend(const TbCache *c)
{
    return c->backend;
}

const IrContext *tb_cache_context(const TbCache *c)
{
    return c->frontend->ctx;
}

void tb_cache_set_debug(TbCache *c, unsigned flags)
{
    c->debug = flags;
}

void tb_cache_fork_prepare(TbCache *c)
{
    g_mutex_lock(&c->lock);
}

void tb_cache_fork_parent(TbCache *c)
{
    g_mutex_unlock(&c->lock);
}

void tb_cache_fork_child(TbCache *c, TbThread *self)
{
    g_mutex_init(&c->lock);
    c->threads = self;
    if (self) {
        self->next = NULL;
    }
}

void tb_thread_attach(TbCache *c, TbThread *t)
{
    memset(t, 0, sizeof(*t));
    t->cache = c;
    t->pc_offset = c->frontend->ctx->pc_offset;
    t->exit_request_offset = c->frontend->ctx->exit_request_offset;
    t->lookup_flags = c->frontend->lookup_flags;
    g_mutex_lock(&c->lock);
    t->jmp_gen = c->generation;
    t->seen_epoch = c->epoch;
    t->next = c->threads;
    c->threads = t;
    g_mutex_unlock(&c->lock);
}

void tb_thread_detach(TbThread *t)
{
    TbCache *c = t->cache;
    g_mutex_lock(&c->lock);
    for (TbThread **p = &c->threads; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    reclaim_locked(c);
    g_mutex_unlock(&c->lock);
}

static __thread TbThread *current_thread;

void tb_exec_enter(TbThread *t)
{
    TbCache *c = t->cache;
    g_mutex_lock(&c->lock);
    t->online = true;
    t->seen_epoch = c->epoch;
    g_mutex_unlock(&c->lock);
    current_thread = t;
}

TranslationBlock *tb_lookup_fast(void *env)
{
    TbThread *t = current_thread;
    uint64_t pc = *(uint64_t *)((char *)env + t->pc_offset);
    TranslationBlock *tb = t->jmp_cache[jmp_hash(pc)];
    if (!tb || tb->pc != pc || !t->lookup_flags ||
        __atomic_load_n((int *)((char *)env + t->exit_request_offset), __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&t->cache->generation, __ATOMIC_ACQUIRE) != t->jmp_gen ||
        tb->invalid || tb->flags != t->lookup_flags(env)) {
        return NULL;
    }
    return tb;
}

void tb_exec_leave(TbThread *t)
{
    TbCache *c = t->cache;
    current_thread = NULL;
    g_mutex_lock(&c->lock);
    t->online = false;
    reclaim_locked(c);
    g_mutex_unlock(&c->lock);
}

static TranslationBlock *hash_lookup_locked(TbCache *c, uint64_t pc, uint64_t flags)
{
    for (TranslationBlock *tb = c->hash[tb_hash(pc, flags)]; tb; tb = tb->hash_next) {
        if (tb->pc == pc && tb->flags == flags) {
            return tb;
        }
    }
    return NULL;
}

static TranslationBlock *translate_locked(TbCache *c, void *env, uint64_t pc, uint64_t flags)
{
    TranslationBlock *tb = g_new0(TranslationBlock, 1);
    tb->pc = pc;
    tb->flags = flags;
    IrBlock *b = &c->ir;
    ir_block_reset(b);
    c->frontend->translate(env, tb, b);
    if (c->debug & TB_DEBUG_IR) {
        g_autofree char *s = ir_dump(b);
        fprintf(stderr, "IR pc=0x%" PRIx64 ":\n%s\n", pc, s);
    }
    if (!(c->debug & TB_DEBUG_NO_OPT)) {
        ir_optimize(b);
    }
    if (c->debug & TB_DEBUG_IR_OPT) {
        g_autofree char *s = ir_dump(b);
        fprintf(stderr, "IR after optimization pc=0x%" PRIx64 ":\n%s\n", pc, s);
    }
    c->backend->compile(c, tb, b);
    unsigned h = tb_hash(pc, flags);
    tb->hash_next = c->hash[h];
    c->hash[h] = tb;
    return tb;
}

void tb_quiescent(TbThread *t)
{
    uint64_t epoch = __atomic_load_n(&t->cache->epoch, __ATOMIC_ACQUIRE);
    if (t->seen_epoch != epoch) {
        __atomic_store_n(&t->seen_epoch, epoch, __ATOMIC_RELEASE);
    }
}

TranslationBlock *tb_find(TbThread *t, void *env, uint64_t pc, uint64_t flags)
{
    TbCache *c = t->cache;
    /* A safe point: this thread holds no block pointer here. */
    uint64_t gen = __atomic_load_n(&c->generation, __ATOMIC_ACQUIRE);
    if (t->jmp_gen != gen) {
        memset(t->jmp_cache, 0, sizeof(t->jmp_cache));
        t->jmp_gen = gen;
    }
    TranslationBlock **slot = &t->jmp_cache[jmp_hash(pc)];
    TranslationBlock *tb = *slot;
    if (tb && tb->pc == pc && tb->flags == flags && !tb->invalid) {
        return tb;
    }
    g_mutex_lock(&c->lock);
    tb = hash_lookup_locked(c, pc, flags);
    if (!tb) {
        tb = translate_locked(c, env, pc, flags);
    }
    reclaim_locked(c); /* cheap when nothing is retired */
    g_mutex_unlock(&c->lock);
    *slot = tb;
    return tb;
}

void tb_link(TbCache *c, TranslationBlock *from, unsigned slot, TranslationBlock *to)
{
    g_mutex_lock(&c->lock);
    if (!from->invalid && !to->invalid) {
        __atomic_store_n(&from->jmp_dest[slot], to, __ATOMIC_RELEASE);
        if (c->backend->link) {
            c->backend->link(from, slot, to);
        }
    }
    g_mutex_unlock(&c->lock);
}

static void unlink_slot_locked(TbCache *c, TranslationBlock *tb, unsigned slot)
{
    __atomic_store_n(&tb->jmp_dest[slot], NULL, __ATOMIC_RELEASE);
    if (c->backend->unlink) {
        c->backend->unlink(tb, slot);
    }
}

/* A retired block's own chains are cut too, so that a thread still inside retired
 * code comes back to the loop at its next block boundary. */
static void retire_locked(TbCache *c, TranslationBlock *tb)
{
    __atomic_store_n(&tb->invalid, 1, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < 2; i++) {
        if (tb->jmp_dest[i]) {
            unlink_slot_locked(c, tb, i);
        }
    }
    tb->retired_next = c->retired;
    c->retired = tb;
}

/* Unlinks every chain that points at an invalid block. */
static void unlink_invalid_locked(TbCache *c)
{
    for (unsigned h = 0; h < (1u << TB_HASH_BITS); h++) {
        for (TranslationBlock *tb = c->hash[h]; tb; tb = tb->hash_next) {
            for (int i = 0; i < 2; i++) {
                if (tb->jmp_dest[i] && tb->jmp_dest[i]->invalid) {
                    unlink_slot_locked(c, tb, i);
                }
            }
        }
    }
}

static void end_invalidation_locked(TbCache *c)
{
    __atomic_fetch_add(&c->generation, 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&c->epoch, 1, __ATOMIC_RELEASE);
    c->retired_epoch = c->epoch;
    reclaim_locked(c);
}

bool tb_restore_state(TbCache *c, void *env, uintptr_t host_pc)
{
    return c->backend->restore_state && c->backend->restore_state(c, env, host_pc);
}

void tb_flush(TbCache *c)
{
    g_mutex_lock(&c->lock);
    for (unsigned h = 0; h < (1u << TB_HASH_BITS); h++) {
        TranslationBlock *tb = c->hash[h];
        c->hash[h] = NULL;
        while (tb) {
            TranslationBlock *next = tb->hash_next;
            retire_locked(c, tb);
            tb = next;
        }
    }
    end_invalidation_locked(c);
    g_mutex_unlock(&c->lock);
}

typedef bool (*TbMatch)(const TranslationBlock *tb, uint64_t a, uint64_t b);

static void invalidate_matching(TbCache *c, TbMatch match, uint64_t a, uint64_t b)
{
    bool any = false;
    g_mutex_lock(&c->lock);
    for (unsigned h = 0; h < (1u << TB_HASH_BITS); h++) {
        for (TranslationBlock **p = &c->hash[h]; *p;) {
            TranslationBlock *tb = *p;
            if (match(tb, a, b)) {
                *p = tb->hash_next;
                retire_locked(c, tb);
                any = true;
            } else {
                p = &tb->hash_next;
            }
        }
    }
    if (any) {
        unlink_invalid_locked(c);
        end_invalidation_locked(c);
    }
    g_mutex_unlock(&c->lock);
}

static bool overlaps(const TranslationBlock *tb, uint64_t start, uint64_t end)
{
    return tb->pc < end && tb->pc + tb->size > start;
}

void tb_invalidate_range(TbCache *c, uint64_t start, uint64_t len)
{
    invalidate_matching(c, overlaps, start, start + len);
}

static bool flags_match(const TranslationBlock *tb, uint64_t mask, uint64_t value)
{
    return (tb->flags & mask) == value;
}

void tb_invalidate_flags(TbCache *c, uint64_t mask, uint64_t value)
{
    invalidate_matching(c, flags_match, mask, value);
}
