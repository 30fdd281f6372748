/*
 * The x86-64 TbBackend: compiles a block op by op into the cache's code buffer, runs
 * blocks through the buffer's prologue, patches chains, and maps host pcs back to guest
 * pcs.
 *
 * Compilation is one forward pass (isel-*.c with the allocator of regalloc.c) that
 * writes straight into the current region of the buffer. If the region runs out, the
 * attempt is dropped and repeated in an empty region (codebuf.c). After the body come
 * the exit stubs and slow paths, then the search data for restore_state.
 *
 * Chaining: every exit_direct ends in a "jmp rel32" whose 4-byte aligned displacement
 * initially points at a stub returning TB_EXIT_CHAIN; link() stores the destination's
 * entry into it with one atomic 4-byte write, unlink() stores the stub back. Threads
 * running the block see either jump, both valid. Blocks in different buffers (only when
 * one cache outgrows a buffer) are never linked: the exec loop handles those exits.
 *
 * exec() performs a flush the buffer asked for (codebuf.c) before entering, since it is
 * the one place outside the cache lock that runs often; the block it was given stays
 * valid until this thread passes a quiescent point, so it is still safe to run.
 */
#include "tcg/x86_64/jit-internal.h"

#include <cpuid.h>
#include <inttypes.h>
#include <stdio.h>

static unsigned feature_mask = JIT_FEAT_ALL;
static char *dump_dir;
static GMutex dump_lock;

unsigned jit_host_features(void)
{
    static gsize once;
    static unsigned features;
    if (g_once_init_enter(&once)) {
        unsigned a, b, c, d, f = 0;
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_POPCNT)) {
            f |= JIT_FEAT_POPCNT;
        }
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_BMI)) {
            f |= JIT_FEAT_BMI1;
        }
        if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & bit_LZCNT)) {
            f |= JIT_FEAT_LZCNT;
        }
        features = f;
        const char *dir = g_getenv("VMD_JIT_DUMP");
        if (dir && *dir) {
            jit_set_dump_dir(dir);
        }
        g_once_init_leave(&once, 1);
    }
    return features;
}

void jit_set_features(unsigned mask)
{
    __atomic_store_n(&feature_mask, mask, __ATOMIC_RELAXED);
}

void jit_set_dump_dir(const char *dir)
{
    g_mutex_lock(&dump_lock);
    g_free(dump_dir);
    dump_dir = g_strdup(dir);
    g_mutex_unlock(&dump_lock);
}

bool jit_available(void)
{
    static gsize once;
    static bool ok;
    if (g_once_init_enter(&once)) {
        ok = jit_buffer_probe();
        g_once_init_leave(&once, 1);
    }
    return ok;
}

static void dump_block(const JitTb *jt, uint32_t code_size, uint64_t pc)
{
    g_mutex_lock(&dump_lock);
    if (dump_dir) {
        g_autofree char *name = g_strdup_printf("%s/tb-%" PRIxPTR "-%" PRIx64 ".bin", dump_dir,
                                                (uintptr_t)jt->entry, pc);
        /* Best effort: a debugging aid must not stop the guest. */
        g_file_set_contents(name, (const char *)jit_buffer_rw(jt->buf, jt->entry), code_size, NULL);
    }
    g_mutex_unlock(&dump_lock);
}

/* ---- Compilation -------------------------------------------------------------------- */

typedef void (*IselFn)(JitGen *g, const IrOp *op);

static void isel_nop(JitGen *g, const IrOp *op)
{
}

/* Instruction selection per opcode; two-input ALU ops not listed go to isel_alu2. */
static const IselFn isel_table[IR_OP_MAX] = {
    [IR_OP_nop] = isel_nop,
    [IR_OP_mov] = isel_mov,
    [IR_OP_ext_i32] = isel_ext,
    [IR_OP_extu_i32] = isel_ext,
    [IR_OP_trunc_i64] = isel_ext,
    [IR_OP_not] = isel_alu1,
    [IR_OP_neg] = isel_alu1,
    [IR_OP_clz] = isel_alu1,
    [IR_OP_ctz] = isel_alu1,
    [IR_OP_ctpop] = isel_alu1,
    [IR_OP_bswap] = isel_alu1,
    [IR_OP_ext8s] = isel_alu1,
    [IR_OP_ext8u] = isel_alu1,
    [IR_OP_ext16s] = isel_alu1,
    [IR_OP_ext16u] = isel_alu1,
    [IR_OP_ext32s] = isel_alu1,
    [IR_OP_ext32u] = isel_alu1,
    [IR_OP_setcond] = isel_setcond,
    [IR_OP_movcond] = isel_movcond,
    [IR_OP_label] = isel_label,
    [IR_OP_br] = isel_br,
    [IR_OP_brcond] = isel_brcond,
    [IR_OP_ld_env] = isel_ld_env,
    [IR_OP_st_env] = isel_st_env,
    [IR_OP_ld_guest] = isel_ld_guest,
    [IR_OP_st_guest] = isel_st_guest,
    [IR_OP_cmpxchg] = isel_cmpxchg,
    [IR_OP_atomic_rmw] = isel_atomic_rmw,
    [IR_OP_mb] = isel_mb,
    [IR_OP_call] = isel_call,
    [IR_OP_insn_start] = isel_insn_start,
    [IR_OP_exit_direct] = isel_exit_direct,
    [IR_OP_exit_indirect] = isel_exit_indirect,
    [IR_OP_exit_return] = isel_exit_return,
};

static void gen_op(JitGen *g, const IrOp *op)
{
    IselFn fn = isel_table[op->opc];
    if (!fn) {
        g_assert(ir_op_defs[op->opc].flags & IR_OPF_ALU && op->n_in == 2);
        fn = isel_alu2;
    }
    fn(g, op);
}

static void gen_reset(JitGen *g, JitTb *jt)
{
    ra_init(g);
    memset(g->slot_busy, 0, IR_SCRATCH_SLOTS);
    memset(g->label_pos, 0, sizeof(uint8_t *) * (g->b->n_labels + 1));
    g_array_set_size(g->label_fix, 0);
    g_array_set_size(g->request_fix, 0);
    g_array_set_size(g->exits, 0);
    g_array_set_size(g->slow, 0);
    g_byte_array_set_size(g->search, 0);
    g->search_off = 0;
    g->search_pc = g->tb->pc;
    g->pc_pending = false;
    g->insn_pc = g->tb->pc;
    g->reachable = true;
    g->overflow = false;
    memset(jt->n_sites, 0, sizeof(jt->n_sites));
}

/* Emits the block at g->e; false if it ran out of space. */
static bool gen_block(JitGen *g, JitTb *jt)
{
    gen_reset(g, jt);
    const IrBlock *b = g->b;
    for (uint32_t k = 0; k < b->n_ops; k++) {
        const IrOp *op = &b->ops[k];
        if (g->e.p > g->e.limit) {
            return false;
        }
        g->op_idx = k;
        ra_op_begin(g);
        if (g->reachable || op->opc == IR_OP_label) {
            gen_op(g, op);
        }
        ra_release_dead(g, op);
    }
    for (guint i = 0; i < g->label_fix->len; i++) {
        JitFixup *f = &g_array_index(g->label_fix, JitFixup, i);
        g_assert(g->label_pos[f->label]);
        x86_patch_rel32(&g->e, f->disp, x86_rx(&g->e, g->label_pos[f->label]));
    }
    isel_emit_tail(g, jt);
    return !g->overflow && g->e.p + g->search->len <= g->e.limit + JIT_OP_MARGIN;
}

static void gen_init(JitGen *g, TranslationBlock *tb, IrBlock *b)
{
    g->b = b;
    g->ctx = b->ctx;
    g->tb = tb;
    g->features = jit_host_features() & __atomic_load_n(&feature_mask, __ATOMIC_RELAXED);
    g->ts = g_new(JitTempState, b->n_temps);
    g->last_use = g_new(uint32_t, b->n_temps);
    g->slot_busy = g_new0(uint8_t, IR_SCRATCH_SLOTS);
    g->label_pos = g_new0(uint8_t *, b->n_labels + 1);
    g->label_fix = g_array_new(FALSE, FALSE, sizeof(JitFixup));
    g->request_fix = g_array_new(FALSE, FALSE, sizeof(uint8_t *));
    g->exits = g_array_new(FALSE, FALSE, sizeof(JitExitSite));
    g->slow = g_array_new(FALSE, FALSE, sizeof(JitSlowPath));
    g->search = g_byte_array_new();
    g->pc_global = IR_TEMP_NONE;
    for (uint32_t i = 0; i < b->ctx->n_globals; i++) {
        if (b->ctx->globals[i].offset == b->ctx->pc_offset) {
            g->pc_global = i;
        }
    }
}

static void gen_destroy(JitGen *g)
{
    g_free(g->ts);
    g_free(g->last_use);
    g_free(g->slot_busy);
    g_free(g->label_pos);
    g_array_free(g->label_fix, TRUE);
    g_array_free(g->request_fix, TRUE);
    g_array_free(g->exits, TRUE);
    g_array_free(g->slow, TRUE);
    g_byte_array_free(g->search, TRUE);
}

static void jit_compile(TbCache *c, TranslationBlock *tb, IrBlock *b)
{
    JitTb *jt = g_new0(JitTb, 1);
    JitGen g = {0};
    gen_init(&g, tb, b);
    bool new_region = false;
    for (;;) {
        g.buf = jit_buffer_for(c);
        if (!g.buf) {
            g_error("jit: cannot map a code buffer");
        }
        if (!jit_buffer_begin(g.buf, &g.e, new_region)) {
            new_region = false; /* this buffer is full: jit_buffer_for binds another */
            continue;
        }
        bool region_was_empty = g.e.start == g.buf->rw + JIT_HEADER_SIZE + sizeof(JitTbHeader) +
                                                 (size_t)g.buf->cur * g.buf->region_size;
        if (gen_block(&g, jt)) {
            break;
        }
        if (region_was_empty) {
            g_error("jit: the code of the block at pc 0x%" PRIx64 " exceeds a region", tb->pc);
        }
        new_region = true;
    }
    jt->buf = g.buf;
    jt->entry = (const uint8_t *)x86_rx(&g.e, g.e.start);
    uint32_t code_size = (uint32_t)(g.e.p - g.e.start);
    jt->region = jit_buffer_commit(g.buf, &g.e, g.search->data, g.search->len, tb->pc, tb);
    tb->code = jt;
    gen_destroy(&g);
    JIT_STAT_ADD(blocks_compiled, 1);
    if (G_UNLIKELY(__atomic_load_n(&dump_dir, __ATOMIC_RELAXED))) {
        dump_block(jt, code_size, tb->pc);
    }
}

static void jit_free_code(TranslationBlock *tb)
{
    JitTb *jt = tb->code;
    if (!jt) {
        return;
    }
    jit_buffer_release(jt->buf, jt->region);
    g_free(jt);
    tb->code = NULL;
    JIT_STAT_ADD(blocks_freed, 1);
}

/* ---- Execution and chaining --------------------------------------------------------- */

uintptr_t jit_lookup_indirect(void *env, JitBuffer *buf)
{
    TranslationBlock *tb = tb_lookup_fast(env);
    const JitTb *jt = tb ? tb->code : NULL;
    /* Blocks of another buffer are entered through the exec loop. */
    return jt && jt->buf == buf ? (uintptr_t)jt->entry : 0;
}

static TbExit jit_exec(TbCache *c, void *env, TranslationBlock *tb)
{
    JitTb *jt = tb->code;
    JitBuffer *buf = jt->buf;
    if (G_UNLIKELY(__atomic_load_n(&buf->flush_wanted, __ATOMIC_ACQUIRE)) &&
        __atomic_exchange_n(&buf->flush_wanted, 0, __ATOMIC_ACQ_REL)) {
        tb_flush(c);
    }
    const IrGuestMemory *mem = tb_cache_context(c)->mem;
    uintptr_t guest_base = mem && mem->guest_base ? *mem->guest_base : 0;
    uint64_t guest_limit = mem && mem->guest_limit ? *mem->guest_limit : UINT64_MAX;
    TbExit e;
    buf->enter(env, jt->entry, guest_base, &e, guest_limit);
    if (e.kind != TB_EXIT_CHAIN) {
        e.slot = 0;
    }
    if (e.kind != TB_EXIT_RETURN) {
        e.code = 0;
    }
    return e;
}

static void patch_sites(TranslationBlock *from, unsigned slot, const uint8_t *target)
{
    JitTb *jt = from->code;
    for (unsigned i = 0; i < jt->n_sites[slot]; i++) {
        const uint8_t *disp = jt->entry + jt->site[slot][i];
        const uint8_t *dest = target ? target : jt->entry + jt->stub[slot][i];
        int32_t rel = (int32_t)((intptr_t)dest - (intptr_t)(disp + 4));
        int32_t *p = (int32_t *)(void *)jit_buffer_rw(jt->buf, disp);
        __atomic_store_n(p, rel, __ATOMIC_RELEASE);
    }
}

static void jit_link(TranslationBlock *from, unsigned slot, TranslationBlock *to)
{
    const JitTb *f = from->code, *t = to->code;
    if (slot < 2 && f->buf == t->buf) {
        patch_sites(from, slot, t->entry);
    }
}

static void jit_unlink(TranslationBlock *from, unsigned slot)
{
    if (slot < 2) {
        patch_sites(from, slot, NULL);
    }
}

/* ---- Precise exceptions ------------------------------------------------------------- */

static uint64_t get_uleb(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t byte = *(*p)++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            break;
        }
    }
    return v;
}

static int64_t get_sleb(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t byte = 0;
    while (*p < end && shift < 64) {
        byte = *(*p)++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        shift += 7;
        if (!(byte & 0x80)) {
            break;
        }
    }
    if (shift < 64 && (byte & 0x40)) {
        v |= UINT64_MAX << shift;
    }
    return (int64_t)v;
}

/* Called from signal handlers: no locks, no allocation. host_pc is the address of the
 * faulting instruction (not a return address). */
static bool jit_restore_state(TbCache *c, void *env, uintptr_t host_pc)
{
    const JitTbHeader *h = jit_buffer_find(host_pc);
    if (!h) {
        return false;
    }
    const uint8_t *code = (const uint8_t *)(h + 1);
    const uint8_t *p = code + h->code_size, *end = p + h->search_size;
    uint64_t target = host_pc - (uintptr_t)code;
    uint64_t off = 0, pc = h->pc, found = h->pc;
    while (p < end) {
        off += get_uleb(&p, end);
        pc += (uint64_t)get_sleb(&p, end);
        if (off > target) {
            break;
        }
        found = pc;
    }
    *(uint64_t *)((char *)env + tb_cache_context(c)->pc_offset) = found;
    return true;
}

const TbBackend jit_backend = {
    .name = "jit-x86_64",
    .compile = jit_compile,
    .free_code = jit_free_code,
    .exec = jit_exec,
    .link = jit_link,
    .unlink = jit_unlink,
    .restore_state = jit_restore_state,
};
