/*
 * RAM blocks: the host memory behind guest RAM, and what is tracked per page of it.
 *
 * A RamBlock is a memfd (close-on-exec) mapped MAP_SHARED, so the same pages can later be
 * handed to userfaultfd (post-copy), written out by a snapshot through the fd, or mapped a
 * second time. Memory regions (memory.h) are windows onto blocks; the CPU's TLB holds
 * host pointers into them.
 *
 * Two kinds of per-page bits live here, one bit per RAM_PAGE_SIZE page:
 *  - dirty bitmaps, one per client (migration, code, display). Writers set bits with
 *    atomic OR after the data is written; a client fetches and resets its bitmap with
 *    atomic exchanges, so a page written concurrently is either in this fetch or in the
 *    next one, never lost.
 *  - a "has translated code" bitmap that the translator sets when it translates from a
 *    page. Stores to such pages go through a slow path that calls the code-write hook
 *    (memory.h), so the translator can invalidate the blocks.
 *
 * Blocks are reference counted: a RAM region holds a reference, and the block is unmapped
 * and its fd closed when the last one goes.
 */
#ifndef VMD_VM_CORE_RAM_H
#define VMD_VM_CORE_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#define RAM_PAGE_BITS 12
#define RAM_PAGE_SIZE (UINT64_C(1) << RAM_PAGE_BITS)
#define RAM_PAGE_MASK (~(RAM_PAGE_SIZE - 1))

typedef struct RamBlock RamBlock;

/* Who a dirty bitmap is for; each client fetches and clears its own bitmap. */
typedef enum DirtyClient {
    DIRTY_CLIENT_MIGRATION, /* pre-copy RAM migration and background snapshots */
    DIRTY_CLIENT_CODE,      /* the translator: pages written since it last looked */
    DIRTY_CLIENT_DISPLAY,   /* display devices: framebuffer pages to redraw */
    DIRTY_CLIENT_MAX,
    DIRTY_CLIENT_INVALID = -1,
} DirtyClient;

/* Flags of ram_block_new(). */
enum {
    RAM_BLOCK_NORESERVE = 1u << 0, /* map with MAP_NORESERVE: no swap reservation */
    RAM_BLOCK_HUGEPAGES = 1u << 1, /* ask for transparent huge pages (madvise) */
    RAM_BLOCK_HUGETLB = 1u << 2,   /* hugetlbfs memfd (MFD_HUGETLB); size must be 2 MiB aligned */
};

/*
 * Creates a block of size bytes (a non-zero multiple of RAM_PAGE_SIZE), zero filled, with
 * one reference. Returns 0 or a negative errno.
 */
int ram_block_new(const char *name, uint64_t size, unsigned flags, RamBlock **ret_block);
RamBlock *ram_block_ref(RamBlock *block);
/* Drops a reference; the last one unmaps the memory and closes the fd. Accepts NULL. */
void ram_block_unref(RamBlock *block);

const char *ram_block_name(const RamBlock *block);
uint64_t ram_block_size(const RamBlock *block);
/* Number of RAM_PAGE_SIZE pages, i.e. bits in each bitmap. */
uint64_t ram_block_pages(const RamBlock *block);
/* The host mapping; valid as long as a reference is held. */
void *ram_block_host(const RamBlock *block);
/* The memfd; owned by the block (dup it to keep it past the block). */
int ram_block_fd(const RamBlock *block);

/* Length in unsigned longs of a bitmap that covers the whole block. */
size_t ram_block_bitmap_longs(const RamBlock *block);

/*
 * Marks [offset, offset+len) dirty for every client. Call after the data is written. The
 * single-page case costs one load per client when the page is already dirty. Ranges
 * past the end of the block are clipped.
 */
void ram_block_set_dirty(RamBlock *block, uint64_t offset, uint64_t len);
/* Marks every page dirty for one client (start of migration, full redraw). */
void ram_block_set_all_dirty(RamBlock *block, DirtyClient client);
bool ram_block_test_dirty(RamBlock *block, DirtyClient client, uint64_t page);
/* True when page is dirty for every client: the CPU may then map it for fast stores. */
bool ram_block_page_all_dirty(RamBlock *block, uint64_t page);
/*
 * Returns whether any page of [offset, offset+len) was dirty for client, and cleans those
 * pages (the display's "redraw this range?").
 */
bool ram_block_test_and_clear_dirty(RamBlock *block, DirtyClient client, uint64_t offset,
                                    uint64_t len);
/*
 * Moves client's whole bitmap into dest (ram_block_bitmap_longs() longs): each dirty bit
 * is ORed into dest and cleared in the block, atomically per word. Returns the number of
 * pages that were dirty.
 */
uint64_t ram_block_dirty_sync(RamBlock *block, DirtyClient client, unsigned long *dest);

/* Pages that hold translated code (page = offset >> RAM_PAGE_BITS). */
void ram_block_set_code(RamBlock *block, uint64_t page);
bool ram_block_test_code(RamBlock *block, uint64_t page);
void ram_block_clear_code(RamBlock *block, uint64_t page);
/* True when a page of [offset, offset+len) holds translated code. */
bool ram_block_range_has_code(RamBlock *block, uint64_t offset, uint64_t len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RamBlock, ram_block_unref)

#endif
