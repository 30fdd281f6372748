/*
 * RAM blocks: memfd-backed guest memory with per-page dirty and code bitmaps.
 *
 * The bitmaps are plain arrays of unsigned long manipulated with the compiler's __atomic
 * builtins: setters OR bits in, a client takes its bits out with an exchange (or an AND
 * for a partial word). A bit set concurrently with the exchange is either in the returned
 * word or still set afterwards, so no write is lost between two fetches.
 */
#include "vm-core/ram.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#define BITS_PER_LONG (sizeof(unsigned long) * 8)
#define HUGETLB_SIZE  (UINT64_C(2) << 20)

struct RamBlock {
    gint refcount;                          /* references: creator, RAM regions */
    char *name;                             /* for info mtree and migration stream section names */
    uint64_t size;                          /* bytes mapped */
    uint64_t pages;                         /* size / RAM_PAGE_SIZE */
    void *host;                             /* start of the MAP_SHARED mapping */
    int fd;                                 /* the memfd */
    unsigned long *dirty[DIRTY_CLIENT_MAX]; /* one bit per page and client */
    unsigned long *code;                    /* one bit per page holding translated code */
};

static unsigned long bit_mask(uint64_t page)
{
    return 1UL << (page % BITS_PER_LONG);
}

static int ram_block_map(RamBlock *b, unsigned flags)
{
    unsigned mfd_flags = MFD_CLOEXEC;
    int mmap_flags = MAP_SHARED;

    if (flags & RAM_BLOCK_HUGETLB) {
        mfd_flags |= MFD_HUGETLB;
    }
    if (flags & RAM_BLOCK_NORESERVE) {
        mmap_flags |= MAP_NORESERVE;
    }
    /* The kernel limits memfd names to 249 bytes; the name is only a debugging aid. */
    g_autofree char *fd_name = g_strndup(b->name, 200);
    b->fd = memfd_create(fd_name, mfd_flags);
    if (b->fd < 0) {
        return -errno;
    }
    if (ftruncate(b->fd, (off_t)b->size) < 0) {
        return -errno;
    }
    b->host = mmap(NULL, b->size, PROT_READ | PROT_WRITE, mmap_flags, b->fd, 0);
    if (b->host == MAP_FAILED) {
        b->host = NULL;
        return -errno;
    }
    if (flags & RAM_BLOCK_HUGEPAGES) {
        /* Only advice: shmem THP may be disabled on the host, which is not an error. */
        (void)madvise(b->host, b->size, MADV_HUGEPAGE);
    }
    return 0;
}

static void ram_block_free(RamBlock *b)
{
    if (b->host) {
        munmap(b->host, b->size);
    }
    if (b->fd >= 0) {
        close(b->fd);
    }
    for (int c = 0; c < DIRTY_CLIENT_MAX; c++) {
        g_free(b->dirty[c]);
    }
    g_free(b->code);
    g_free(b->name);
    g_free(b);
}

int ram_block_new(const char *name, uint64_t size, unsigned flags, RamBlock **ret_block)
{
    uint64_t align = (flags & RAM_BLOCK_HUGETLB) ? HUGETLB_SIZE : RAM_PAGE_SIZE;

    if (size == 0 || size % align != 0 || size > (uint64_t)INT64_MAX) {
        return -EINVAL;
    }
    if (size / RAM_PAGE_SIZE / BITS_PER_LONG + 1 > SIZE_MAX / sizeof(unsigned long)) {
        return -ENOMEM;
    }
    RamBlock *b = g_new0(RamBlock, 1);
    b->refcount = 1;
    b->name = g_strdup(name ? name : "ram");
    b->size = size;
    b->pages = size / RAM_PAGE_SIZE;
    b->fd = -1;
    int r = ram_block_map(b, flags);
    if (r < 0) {
        ram_block_free(b);
        return r;
    }
    size_t longs = ram_block_bitmap_longs(b);
    for (int c = 0; c < DIRTY_CLIENT_MAX; c++) {
        b->dirty[c] = g_new0(unsigned long, longs);
    }
    b->code = g_new0(unsigned long, longs);
    *ret_block = b;
    return 0;
}

RamBlock *ram_block_ref(RamBlock *block)
{
    g_atomic_int_inc(&block->refcount);
    return block;
}

void ram_block_unref(RamBlock *block)
{
    if (block && g_atomic_int_dec_and_test(&block->refcount)) {
        ram_block_free(block);
    }
}

const char *ram_block_name(const RamBlock *block)
{
    return block->name;
}

uint64_t ram_block_size(const RamBlock *block)
{
    return block->size;
}

uint64_t ram_block_pages(const RamBlock *block)
{
    return block->pages;
}

void *ram_block_host(const RamBlock *block)
{
    return block->host;
}

int ram_block_fd(const RamBlock *block)
{
    return block->fd;
}

size_t ram_block_bitmap_longs(const RamBlock *block)
{
    return (block->pages + BITS_PER_LONG - 1) / BITS_PER_LONG;
}

/* Clips [offset, offset+len) to the block; returns false when nothing is left. */
static bool page_range(const RamBlock *b, uint64_t offset, uint64_t len, uint64_t *first,
                       uint64_t *last)
{
    if (len == 0 || offset >= b->size) {
        return false;
    }
    uint64_t end = len > b->size - offset ? b->size : offset + len;
    *first = offset >> RAM_PAGE_BITS;
    *last = (end - 1) >> RAM_PAGE_BITS;
    return true;
}

static void set_bit_atomic(unsigned long *map, uint64_t page)
{
    unsigned long *w = &map[page / BITS_PER_LONG];
    unsigned long m = bit_mask(page);

    /* Most stores hit pages that are already dirty: skip the locked RMW then. */
    if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & m)) {
        __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST);
    }
}

static bool test_bit_atomic(unsigned long *map, uint64_t page)
{
    return __atomic_load_n(&map[page / BITS_PER_LONG], __ATOMIC_ACQUIRE) & bit_mask(page);
}

void ram_block_set_dirty(RamBlock *block, uint64_t offset, uint64_t len)
{
    uint64_t first, last;

    if (!page_range(block, offset, len, &first, &last)) {
        return;
    }
    /*
     * The data was written before this. A full fence orders that store before the test
     * of the bit: otherwise a client could clear the bit, copy the page while our store
     * still sits in the store buffer, and we would skip setting the bit again.
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (int c = 0; c < DIRTY_CLIENT_MAX; c++) {
        for (uint64_t p = first; p <= last; p++) {
            set_bit_atomic(block->dirty[c], p);
        }
    }
}

void ram_block_set_all_dirty(RamBlock *block, DirtyClient client)
{
    if (client < 0 || client >= DIRTY_CLIENT_MAX) {
        return;
    }
    for (uint64_t p = 0; p < block->pages; p++) {
        set_bit_atomic(block->dirty[client], p);
    }
}

bool ram_block_test_dirty(RamBlock *block, DirtyClient client, uint64_t page)
{
    if (client < 0 || client >= DIRTY_CLIENT_MAX || page >= block->pages) {
        return false;
    }
    return test_bit_atomic(block->dirty[client], page);
}

bool ram_block_page_all_dirty(RamBlock *block, uint64_t page)
{
    if (page >= block->pages) {
        return false;
    }
    for (int c = 0; c < DIRTY_CLIENT_MAX; c++) {
        if (!test_bit_atomic(block->dirty[c], page)) {
            return false;
        }
    }
    return true;
}

/* Atomically clears the bits of mask in *w and returns which of them were set. */
static unsigned long take_bits(unsigned long *w, unsigned long mask)
{
    if (mask == ~0UL) {
        if (!__atomic_load_n(w, __ATOMIC_RELAXED)) {
            return 0;
        }
        return __atomic_exchange_n(w, 0, __ATOMIC_SEQ_CST);
    }
    return __atomic_fetch_and(w, ~mask, __ATOMIC_SEQ_CST) & mask;
}

bool ram_block_test_and_clear_dirty(RamBlock *block, DirtyClient client, uint64_t offset,
                                    uint64_t len)
{
    uint64_t first, last;
    bool any = false;

    if (client < 0 || client >= DIRTY_CLIENT_MAX ||
        !page_range(block, offset, len, &first, &last)) {
        return false;
    }
    unsigned long *map = block->dirty[client];
    uint64_t p = first;
    while (p <= last) {
        uint64_t word = p / BITS_PER_LONG;
        uint64_t word_last = MIN(last, word * BITS_PER_LONG + BITS_PER_LONG - 1);
        unsigned n = word_last - p + 1;
        unsigned long mask = (n == BITS_PER_LONG ? ~0UL : ((1UL << n) - 1)) << (p % BITS_PER_LONG);
        any |= take_bits(&map[word], mask) != 0;
        p = word_last + 1;
    }
    return any;
}

uint64_t ram_block_dirty_sync(RamBlock *block, DirtyClient client, unsigned long *dest)
{
    uint64_t count = 0;

    if (client < 0 || client >= DIRTY_CLIENT_MAX) {
        return 0;
    }
    size_t longs = ram_block_bitmap_longs(block);
    for (size_t i = 0; i < longs; i++) {
        unsigned long bits = take_bits(&block->dirty[client][i], ~0UL);
        dest[i] |= bits;
        count += (uint64_t)__builtin_popcountl(bits);
    }
    return count;
}

void ram_block_set_code(RamBlock *block, uint64_t page)
{
    if (page < block->pages) {
        set_bit_atomic(block->code, page);
    }
}

bool ram_block_test_code(RamBlock *block, uint64_t page)
{
    return page < block->pages && test_bit_atomic(block->code, page);
}

void ram_block_clear_code(RamBlock *block, uint64_t page)
{
    if (page < block->pages) {
        __atomic_fetch_and(&block->code[page / BITS_PER_LONG], ~bit_mask(page), __ATOMIC_SEQ_CST);
    }
}

bool ram_block_range_has_code(RamBlock *block, uint64_t offset, uint64_t len)
{
    uint64_t first, last;

    if (!page_range(block, offset, len, &first, &last)) {
        return false;
    }
    for (uint64_t p = first; p <= last; p++) {
        if (test_bit_atomic(block->code, p)) {
            return true;
        }
    }
    return false;
}
