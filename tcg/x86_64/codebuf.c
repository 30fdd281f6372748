/*
 * The code buffer: where generated code lives, W^X.
 *
 * A buffer is one memfd mapped twice, read-write (the code generator writes there) and
 * read-execute (threads run there), so no page is ever writable and executable at once.
 * If memfd_create fails (or VMD_JIT_NO_MEMFD is set, for tests) the buffer falls back
 * to one anonymous RWX mapping (JitStats.rwx_fallback says so). The whole buffer is reserved up
 * front (1 GiB by default, MAP_NORESERVE, pages appear when first written) so that every jump
 * inside it fits a rel32: chaining between blocks is always possible.
 *
 * A buffer is split into regions. Blocks are bump-allocated in the current region; a
 * region whose blocks have all been freed is reset (and its pages handed back with
 * FALLOC_FL_PUNCH_HOLE). When a block does not fit, allocation moves to an empty region.
 * Blocks are only freed after tb_flush or invalidation retired them, so when more than
 * flush_regions regions hold code, the buffer asks for a flush (exec() performs it,
 * outside the cache lock). If no region is empty at all, the cache binds a second
 * buffer; links between buffers are not patched (see backend.c).
 *
 * Buffers belong to a TbCache while they hold blocks of it and return to an idle pool
 * when their last block is freed, to be reused by the next cache: the TbBackend
 * interface has no per-cache hooks (docs/jit.md proposes them), and tests create
 * thousands of caches.
 *
 * fork() would leave parent and child writing into one shared memfd; the child moves
 * to a copy, made before the fork, at the same addresses (pthread_atfork handlers).
 *
 * Host pc -> block lookup (for restore_state) must work in a signal handler: each
 * region keeps, per 4 KiB page, the offset of the allocation covering the page's first
 * byte; from there, the allocation headers chain to the block containing the pc.
 */
#include "tcg/x86_64/jit-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEFAULT_REGION_SIZE   (16u << 20)
#define DEFAULT_N_REGIONS     64u
#define DEFAULT_FLUSH_REGIONS 16u

static GMutex buffers_lock;    /* guards owner bindings and the geometry */
static JitBuffer *all_buffers; /* list head; read lock-free by lookups */
static size_t geo_region_size = DEFAULT_REGION_SIZE;
static unsigned geo_n_regions = DEFAULT_N_REGIONS;
static unsigned geo_flush_regions = DEFAULT_FLUSH_REGIONS;
static JitStats stats;

void jit_stats_add(size_t field_offset, uint64_t n)
{
    __atomic_fetch_add((uint64_t *)((char *)&stats + field_offset), n, __ATOMIC_RELAXED);
}

void jit_get_stats(JitStats *ret_stats)
{
    uint64_t *dst = (uint64_t *)ret_stats, *src = (uint64_t *)&stats;
    for (size_t i = 0; i < sizeof(JitStats) / sizeof(uint64_t); i++) {
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    }
}

void jit_set_buffer_geometry(size_t region_size, unsigned n_regions, unsigned flush_regions)
{
    g_mutex_lock(&buffers_lock);
    geo_region_size = region_size ? (region_size + JIT_PAGE_SIZE - 1) & ~(size_t)(JIT_PAGE_SIZE - 1)
                                  : DEFAULT_REGION_SIZE;
    geo_n_regions = n_regions ? n_regions : DEFAULT_N_REGIONS;
    geo_flush_regions = flush_regions ? flush_regions : DEFAULT_FLUSH_REGIONS;
    g_mutex_unlock(&buffers_lock);
}

/* A memfd for a code buffer; VMD_JIT_NO_MEMFD forces the fallbacks (for tests). */
static int buffer_memfd(void)
{
    if (g_getenv("VMD_JIT_NO_MEMFD")) {
        errno = ENOSYS;
        return -1;
    }
    return memfd_create("vmd-jit", MFD_CLOEXEC);
}

static bool map_views(JitBuffer *b)
{
    b->fd = buffer_memfd();
    if (b->fd >= 0) {
        if (ftruncate(b->fd, (off_t)b->size) == 0) {
            b->rw =
                mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, b->fd, 0);
            b->rx =
                mmap(NULL, b->size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_NORESERVE, b->fd, 0);
            if (b->rw != MAP_FAILED && b->rx != MAP_FAILED) {
                return true;
            }
            if (b->rw != MAP_FAILED) {
                munmap(b->rw, b->size);
            }
            if (b->rx != MAP_FAILED) {
                munmap(b->rx, b->size);
            }
        }
        close(b->fd);
        b->fd = -1;
    }
    /* No memfd (old kernel, seccomp): one RWX mapping. */
    b->rw = mmap(NULL, b->size, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (b->rw == MAP_FAILED) {
        return false;
    }
    b->rx = b->rw;
    JIT_STAT_ADD(rwx_fallback, 1);
    return true;
}

/*
 * The prologue saves the callee-saved registers, keeps the TbExit pointer at [rsp] and
 * the guest limit at [rsp + 8], loads env and guest_base and jumps to the block. 8 (return address)
 * + 6 pushes + 24 leaves rsp 16-byte aligned, as every helper call from generated code needs. The
 * epilogue takes the exit from rax (block), ecx (kind), edx (slot), r8 (code).
 * Nothing here needs undoing when a helper long-jumps out of generated code.
 */
static const X86Reg saved_regs[] = {RBP, RBX, R12, R13, R14, R15};
#define FRAME_EXTRA 24

static void emit_prologue(JitBuffer *b)
{
    JitEmit e = {
        .p = b->rw, .start = b->rw, .limit = b->rw + JIT_HEADER_SIZE, .rx_delta = b->rx - b->rw};
    for (unsigned i = 0; i < G_N_ELEMENTS(saved_regs); i++) {
        x86_push(&e, saved_regs[i]);
    }
    x86_alu_ri(&e, ALU_SUB, true, RSP, FRAME_EXTRA);
    x86_store(&e, 3, RCX, x86_mem(RSP, 0));
    x86_store(&e, 3, R8, x86_mem(RSP, JIT_FRAME_LIMIT));
    x86_mov_rr(&e, true, JIT_ENV, RDI);
    x86_mov_rr(&e, true, JIT_GUEST_BASE, RDX);
    x86_jmp_r(&e, RSI);

    while (x86_rx(&e, e.p) % 16) {
        x86_byte(&e, 0xcc);
    }
    b->epilogue = x86_rx(&e, e.p);
    x86_load(&e, 3, false, true, RDI, x86_mem(RSP, 0));
    x86_store(&e, 2, RCX, x86_mem(RDI, offsetof(TbExit, kind)));
    x86_store(&e, 3, RAX, x86_mem(RDI, offsetof(TbExit, last)));
    x86_store(&e, 2, RDX, x86_mem(RDI, offsetof(TbExit, slot)));
    x86_store(&e, 3, R8, x86_mem(RDI, offsetof(TbExit, code)));
    x86_alu_ri(&e, ALU_ADD, true, RSP, FRAME_EXTRA);
    for (unsigned i = G_N_ELEMENTS(saved_regs); i-- > 0;) {
        x86_pop(&e, saved_regs[i]);
    }
    x86_ret(&e);
    G_STATIC_ASSERT(sizeof(((TbExit *)0)->kind) == 4 && sizeof(((TbExit *)0)->slot) == 4);
    b->enter = (JitEnterFn)(void *)b->rx;
}

/* Copies [off, off + len) of the buffer into fd at the same offset. */
static bool copy_range(int fd, const JitBuffer *b, size_t off, size_t len)
{
    while (len) {
        ssize_t n = pwrite(fd, b->rw + off, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        off += (size_t)n;
        len -= (size_t)n;
    }
    return true;
}

static bool copy_used(int fd, const JitBuffer *b)
{
    if (!copy_range(fd, b, 0, JIT_HEADER_SIZE)) {
        return false;
    }
    for (unsigned r = 0; r < b->n_regions; r++) {
        size_t off = JIT_HEADER_SIZE + (size_t)r * b->region_size;
        if (b->regions[r].used && !copy_range(fd, b, off, b->regions[r].used)) {
            return false;
        }
    }
    return true;
}

/* The header page and the used part of every region, packed (heap snapshot). */
static size_t used_bytes(const JitBuffer *b)
{
    size_t n = JIT_HEADER_SIZE;
    for (unsigned r = 0; r < b->n_regions; r++) {
        n += b->regions[r].used;
    }
    return n;
}

/* Copies the header page and the used part of each region between a buffer view and
 * a packed snapshot, in the direction to_view says. */
static void snapshot_copy(uint8_t *packed, uint8_t *view, const JitBuffer *b, bool to_view)
{
    size_t pos = 0;
    for (int r = -1; r < (int)b->n_regions; r++) {
        size_t off = r < 0 ? 0 : JIT_HEADER_SIZE + (size_t)r * b->region_size;
        size_t n = r < 0 ? JIT_HEADER_SIZE : b->regions[r].used;
        if (to_view) {
            memcpy(view + off, packed + pos, n);
        } else {
            memcpy(packed + pos, view + off, n);
        }
        pos += n;
    }
}

/*
 * fork(): after it, parent and child would share the memfd and write code into the same
 * pages. So the child gets a copy, made before fork() by the parent (which holds the
 * cache lock then: no block is being written or linked; once fork() returns, the
 * parent's links could reach into the copy if the child made it). The child maps the
 * copy at the same addresses, so its blocks, chains and stubs stay valid. If no memfd
 * can be made, the snapshot goes to the heap (copied by fork) and the child runs from a
 * private RWX mapping.
 */
static void buffer_fork_prepare(JitBuffer *b)
{
    b->fork_fd = -1;
    b->fork_heap = NULL;
    if (b->fd < 0) {
        return; /* a private RWX mapping: fork copies it */
    }
    int fd = buffer_memfd();
    if (fd >= 0 && ftruncate(fd, (off_t)b->size) == 0 && copy_used(fd, b)) {
        b->fork_fd = fd;
        return;
    }
    if (fd >= 0) {
        close(fd);
    }
    b->fork_heap = g_try_malloc(used_bytes(b));
    if (b->fork_heap) {
        snapshot_copy(b->fork_heap, b->rw, b, false);
    }
}

static void buffer_fork_parent(JitBuffer *b)
{
    if (b->fork_fd >= 0) {
        close(b->fork_fd);
    }
    g_free(b->fork_heap);
    b->fork_fd = -1;
    b->fork_heap = NULL;
}

static void buffer_fork_child(JitBuffer *b)
{
    if (b->fd < 0) {
        return;
    }
    if (b->fork_fd >= 0 &&
        mmap(b->rw, b->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE | MAP_FIXED,
             b->fork_fd, 0) != MAP_FAILED &&
        mmap(b->rx, b->size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_NORESERVE | MAP_FIXED,
             b->fork_fd, 0) != MAP_FAILED) {
        close(b->fd);
        b->fd = b->fork_fd;
        b->fork_fd = -1;
        return;
    }
    if (!b->fork_heap && b->fork_fd >= 0) {
        b->fork_heap = g_try_malloc(used_bytes(b)); /* the copy in fork_fd is intact */
        if (b->fork_heap) {
            uint8_t *view = mmap(NULL, b->size, PROT_READ, MAP_SHARED, b->fork_fd, 0);
            if (view != MAP_FAILED) {
                snapshot_copy(b->fork_heap, view, b, false);
                munmap(view, b->size);
            }
        }
    }
    uint8_t *p = mmap(b->rx, b->size, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED || !b->fork_heap) {
        g_error("jit: cannot give the child process its own code buffer: %s", g_strerror(errno));
    }
    snapshot_copy(b->fork_heap, p, b, true);
    if (b->rw != b->rx) {
        munmap(b->rw, b->size);
    }
    close(b->fd);
    if (b->fork_fd >= 0) {
        close(b->fork_fd);
    }
    b->rw = p;
    b->fd = -1;
    b->fork_fd = -1;
    g_free(b->fork_heap);
    b->fork_heap = NULL;
    JIT_STAT_ADD(rwx_fallback, 1);
}

/* The forking thread holds the cache lock (tb_cache_fork_prepare): no block is being
 * written, linked or freed. buffers_lock keeps other caches' bindings still too. */
static void atfork_prepare(void)
{
    g_mutex_lock(&buffers_lock);
    for (JitBuffer *b = all_buffers; b; b = b->next_all) {
        buffer_fork_prepare(b);
    }
}

static void atfork_parent(void)
{
    for (JitBuffer *b = all_buffers; b; b = b->next_all) {
        buffer_fork_parent(b);
    }
    g_mutex_unlock(&buffers_lock);
}

static void atfork_child(void)
{
    for (JitBuffer *b = all_buffers; b; b = b->next_all) {
        buffer_fork_child(b);
    }
    g_mutex_unlock(&buffers_lock);
}

bool jit_buffer_probe(void)
{
    JitBuffer b = {.size = JIT_PAGE_SIZE};
    if (!map_views(&b)) {
        return false;
    }
    if (b.rx != b.rw) {
        munmap(b.rx, b.size);
    }
    munmap(b.rw, b.size);
    if (b.fd >= 0) {
        close(b.fd);
    }
    return true;
}

static JitBuffer *buffer_new_locked(void)
{
    static bool atfork_done;
    if (!atfork_done) {
        pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
        atfork_done = true;
    }
    JitBuffer *b = g_new0(JitBuffer, 1);
    b->region_size = geo_region_size;
    b->n_regions = geo_n_regions;
    b->flush_regions = MIN(geo_flush_regions, geo_n_regions);
    b->size = JIT_HEADER_SIZE + b->region_size * b->n_regions;
    if (b->size > (1ull << 31) - JIT_HEADER_SIZE || b->region_size > UINT32_MAX / 2 ||
        !map_views(b)) {
        g_free(b);
        return NULL;
    }
    b->regions = g_new0(JitRegion, b->n_regions);
    emit_prologue(b);
    b->next_all = all_buffers;
    __atomic_store_n(&all_buffers, b, __ATOMIC_RELEASE);
    JIT_STAT_ADD(buffers_created, 1);
    return b;
}

JitBuffer *jit_buffer_for(const TbCache *c)
{
    JitBuffer *idle = NULL, *found = NULL;
    g_mutex_lock(&buffers_lock);
    for (JitBuffer *b = all_buffers; b; b = b->next_all) {
        if (b->owner == c && !b->exhausted) {
            found = b;
            break;
        }
        if (!b->owner && !idle && b->region_size == geo_region_size &&
            b->n_regions == geo_n_regions) {
            idle = b;
        }
    }
    if (!found) {
        bool overflow = false; /* c already fills a whole buffer: flush soon */
        for (JitBuffer *b = all_buffers; b; b = b->next_all) {
            overflow |= b->owner == c;
        }
        found = idle ? idle : buffer_new_locked();
        if (found) {
            found->owner = c;
            found->exhausted = false;
            found->flush_regions = MIN(geo_flush_regions, found->n_regions);
            found->flush_wanted = overflow;
        }
    }
    g_mutex_unlock(&buffers_lock);
    return found;
}

static uint8_t *region_rw(const JitBuffer *b, unsigned r)
{
    return b->rw + JIT_HEADER_SIZE + (size_t)r * b->region_size;
}

/* Moves allocation to an empty region; asks for a flush when too many hold code. */
static bool take_empty_region(JitBuffer *b)
{
    for (unsigned i = 0; i < b->n_regions; i++) {
        unsigned r = (b->cur + 1 + i) % b->n_regions;
        if (b->regions[r].used == 0) {
            b->cur = r;
            JIT_STAT_ADD(region_switches, 1);
            return true;
        }
    }
    b->exhausted = true;
    return false;
}

bool jit_buffer_begin(JitBuffer *b, JitEmit *e, bool new_region)
{
    JitRegion *reg = &b->regions[b->cur];
    if (new_region || reg->used + 2 * JIT_OP_MARGIN > b->region_size) {
        if (reg->used != 0 && !take_empty_region(b)) {
            return false;
        }
        reg = &b->regions[b->cur];
    }
    if (!reg->page_tb) {
        reg->page_tb = g_new0(uint32_t, b->region_size / JIT_PAGE_SIZE);
    }
    uint8_t *base = region_rw(b, b->cur);
    e->start = base + reg->used + sizeof(JitTbHeader);
    e->p = e->start;
    e->limit = base + b->region_size - JIT_OP_MARGIN;
    e->rx_delta = b->rx - b->rw;
    return true;
}

uint32_t jit_buffer_commit(JitBuffer *b, JitEmit *e, const uint8_t *search, uint32_t n_search,
                           uint64_t pc, const TranslationBlock *tb)
{
    JitRegion *reg = &b->regions[b->cur];
    uint8_t *base = region_rw(b, b->cur);
    uint32_t off = reg->used;
    uint32_t code_size = (uint32_t)(e->p - e->start);
    g_assert(e->p + n_search <= base + b->region_size);
    if (n_search) {
        memcpy(e->p, search, n_search);
    }
    uint32_t total = (uint32_t)sizeof(JitTbHeader) + code_size + n_search;
    total = (total + 15) & ~15u;
    JitTbHeader h = {
        .alloc_size = total,
        .code_size = code_size,
        .search_size = n_search,
        .pc = pc,
        .tb = (uintptr_t)tb,
    };
    memcpy(base + off, &h, sizeof(h));
    for (uint32_t p = (off + JIT_PAGE_SIZE - 1) / JIT_PAGE_SIZE; p * JIT_PAGE_SIZE < off + total;
         p++) {
        reg->page_tb[p] = off;
    }
    if (off == 0) {
        b->in_use++;
        if (b->in_use > b->flush_regions && !b->flush_wanted) {
            __atomic_store_n(&b->flush_wanted, 1, __ATOMIC_RELEASE);
            JIT_STAT_ADD(flushes_requested, 1);
        }
    }
    __atomic_store_n(&reg->used, off + total, __ATOMIC_RELEASE);
    reg->live++;
    b->live++;
    JIT_STAT_ADD(code_bytes, code_size);
    return b->cur;
}

static void reset_region(JitBuffer *b, unsigned r)
{
    b->regions[r].used = 0;
    b->in_use--;
    b->exhausted = false;
    if (b->fd >= 0) {
        fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)(JIT_HEADER_SIZE + (size_t)r * b->region_size), (off_t)b->region_size);
    } else {
        madvise(region_rw(b, r), b->region_size, MADV_DONTNEED);
    }
}

void jit_buffer_release(JitBuffer *b, uint32_t r)
{
    g_assert(b->regions[r].live > 0 && b->live > 0);
    b->regions[r].live--;
    b->live--;
    if (b->regions[r].live == 0) {
        reset_region(b, r);
    }
    if (b->live == 0) {
        g_mutex_lock(&buffers_lock);
        b->owner = NULL;
        b->flush_wanted = 0;
        g_mutex_unlock(&buffers_lock);
    }
}

const JitTbHeader *jit_buffer_find(uintptr_t host_pc)
{
    for (JitBuffer *b = __atomic_load_n(&all_buffers, __ATOMIC_ACQUIRE); b; b = b->next_all) {
        uintptr_t start = (uintptr_t)b->rx + JIT_HEADER_SIZE;
        if (host_pc < start || host_pc >= (uintptr_t)b->rx + b->size) {
            continue;
        }
        size_t r = (host_pc - start) / b->region_size;
        uint32_t off = (uint32_t)(host_pc - start - r * b->region_size);
        const JitRegion *reg = &b->regions[r];
        if (off >= __atomic_load_n(&reg->used, __ATOMIC_ACQUIRE) || !reg->page_tb) {
            return NULL;
        }
        const uint8_t *base = b->rx + JIT_HEADER_SIZE + r * b->region_size;
        uint32_t a = reg->page_tb[off / JIT_PAGE_SIZE];
        const JitTbHeader *h = (const JitTbHeader *)(base + a);
        while (a + h->alloc_size <= off) {
            a += h->alloc_size;
            h = (const JitTbHeader *)(base + a);
        }
        if (off >= a + sizeof(JitTbHeader) + h->code_size || off < a + sizeof(JitTbHeader)) {
            return NULL;
        }
        return h;
    }
    return NULL;
}
