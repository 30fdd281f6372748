/*
 * The memory API of a machine: regions, address spaces, and accesses through them.
 *
 * A board builds a tree of MemoryRegions: containers with subregions placed at offsets
 * (overlaps decided by priority, higher wins), RAM regions (windows onto RamBlocks), MMIO
 * regions (read/write callbacks) and aliases (a window onto part of another region). An
 * AddressSpace is the view from one root region. Whenever the tree changes, the
 * address space is flattened into a sorted array of non-overlapping ranges (the flat
 * view), published with an atomic pointer swap; vCPU and device threads look addresses up
 * in it without a lock (memory-rcu.h explains how the old view is reclaimed).
 *
 * Threads: every function that changes the tree takes the global map lock (recursive),
 * and listeners are called with it held, on the thread that made the change. Lookups and
 * accesses take no lock. A MemoryRegionSection handed out by a lookup stays valid while
 * the caller is inside memory_rcu_read_lock(), or takes a reference on section.mr.
 *
 * Errors from functions called by board and device code are negative errnos. Accesses
 * return a MemTxResult: the CPU turns a failure into an access fault, a device into a
 * DMA error.
 */
#ifndef VMD_VM_CORE_MEMORY_H
#define VMD_VM_CORE_MEMORY_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "vm-core/memory-rcu.h"
#include "vm-core/ram.h"

typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;
typedef struct MemoryListener MemoryListener;

/* Outcome of an access; results of split accesses are ORed together. */
typedef enum MemTxResult {
    MEMTX_OK = 0,
    MEMTX_ERROR = 1u << 0,        /* the device or the access rules refused it */
    MEMTX_DECODE_ERROR = 1u << 1, /* nothing is mapped at the address */
    MEMTX_ACCESS_ERROR = 1u << 2, /* the device refused this requester (attributes) */
} MemTxResult;

/*
 * Access rules of an MMIO region, in bytes (1, 2, 4 or 8); 0 means the default (min 1,
 * max 4, as in QEMU).
 *  - valid: what the bus accepts. An access outside [min, max], or unaligned while
 *    !unaligned, fails with MEMTX_ERROR and is reported as a guest error.
 *  - impl: what the callbacks implement. A valid access larger than impl.max (or
 *    unaligned when !impl.unaligned) is split into aligned little-endian pieces; one
 *    smaller than impl.min is widened to the aligned impl.min access around it (reads keep
 *    the wanted bytes; writes send the value shifted into place, other bytes zero).
 */
typedef struct MemoryAccessRules {
    unsigned min_access_size; /* smallest access, bytes */
    unsigned max_access_size; /* largest access, bytes */
    bool unaligned;           /* accesses need not be aligned to their size */
} MemoryAccessRules;

/* Callbacks of an MMIO region. addr is the offset in the region; data is little endian. */
typedef struct MemoryRegionOps {
    MemTxResult (*read)(void *opaque, uint64_t addr, uint64_t *ret_data, unsigned size);
    MemTxResult (*write)(void *opaque, uint64_t addr, uint64_t data, unsigned size);
    MemoryAccessRules valid; /* what the guest may do */
    MemoryAccessRules impl;  /* what read/write handle themselves */
} MemoryRegionOps;

/* A contiguous part of an address space that maps to one region. */
typedef struct MemoryRegionSection {
    MemoryRegion *mr;              /* NULL when unassigned */
    uint64_t offset_within_region; /* where addr falls in mr */
    uint64_t offset_within_as;     /* the address looked up */
    uint64_t size;                 /* bytes from addr to the end of the range (saturated) */
    void *host;                    /* RAM: host pointer for addr; NULL otherwise */
    RamBlock *block;               /* RAM: the block behind it; NULL otherwise */
    uint64_t block_offset;         /* RAM: offset of addr in block (dirty/code bitmaps) */
    bool readonly;                 /* RAM mapped read-only (ROM): stores are ignored */
} MemoryRegionSection;

/* Sizes: UINT64_MAX stands for 2^64 (a region spanning all of a 64-bit space). */
MemoryRegion *memory_region_new_container(const char *name, uint64_t size);
/* A RAM region showing [offset, offset+size) of block; -EINVAL if that is out of it. */
int memory_region_new_ram(const char *name, RamBlock *block, uint64_t offset, uint64_t size,
                          MemoryRegion **ret_mr);
/* Creates a block of size bytes and a region over all of it. */
int memory_region_new_ram_block(const char *name, uint64_t size, unsigned ram_flags,
                                MemoryRegion **ret_mr);
MemoryRegion *memory_region_new_io(const char *name, const MemoryRegionOps *ops, void *opaque,
                                   uint64_t size);
/* A window onto [offset, offset+size) of target. */
MemoryRegion *memory_region_new_alias(const char *name, MemoryRegion *target, uint64_t offset,
                                      uint64_t size);

/*
 * Regions are reference counted. A parent holds a reference on each subregion, a flat
 * view on each region it maps, an alias on its target. An MMIO region's opaque must stay
 * valid until the region is freed: after removing it, drop your reference and call
 * memory_rcu_barrier() before freeing the opaque.
 */
MemoryRegion *memory_region_ref(MemoryRegion *mr);
void memory_region_unref(MemoryRegion *mr);

const char *memory_region_name(const MemoryRegion *mr);
uint64_t memory_region_size(const MemoryRegion *mr);
bool memory_region_is_ram(const MemoryRegion *mr);
RamBlock *memory_region_ram_block(const MemoryRegion *mr);
/* Offset in the region's RamBlock where the region starts. */
uint64_t memory_region_ram_offset(const MemoryRegion *mr);

/*
 * Places sub in parent at offset. A subregion has one parent (-EBUSY otherwise). Among
 * overlapping subregions the higher priority wins; on equal priorities the one added last
 * wins (QEMU calls such overlaps a board bug; they are tolerated, not relied upon).
 */
int memory_region_add_subregion(MemoryRegion *parent, uint64_t offset, MemoryRegion *sub);
int memory_region_add_subregion_overlap(MemoryRegion *parent, uint64_t offset, MemoryRegion *sub,
                                        int priority);
int memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *sub);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
/* Moves a region within its parent (a BAR being reprogrammed). */
void memory_region_set_address(MemoryRegion *mr, uint64_t addr);
void memory_region_set_alias_offset(MemoryRegion *mr, uint64_t offset);
/* RAM only: a read-only RAM region is a ROM (stores are ignored). */
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);

/* Batch several changes into one rebuild of the flat views. Nests. */
void memory_region_transaction_begin(void);
void memory_region_transaction_commit(void);

/* The global map lock; take it to read the region tree consistently. Recursive. */
void memory_map_lock(void);
void memory_map_unlock(void);

AddressSpace *address_space_new(MemoryRegion *root, const char *name);
/* Accepts NULL. Listeners still registered are removed (with region_del calls). */
void address_space_destroy(AddressSpace *as);
const char *address_space_name(const AddressSpace *as);
MemoryRegion *address_space_root(const AddressSpace *as);

/*
 * Looks up addr. On MEMTX_OK, ret_section describes the range holding addr from addr to
 * its end (host set for RAM). On MEMTX_DECODE_ERROR, mr is NULL and size is the length of
 * the hole. Lock-free; see the file comment for how long the section stays valid.
 */
MemTxResult address_space_translate(AddressSpace *as, uint64_t addr,
                                    MemoryRegionSection *ret_section);

/*
 * Copies between buf and guest-physical memory, splitting at range boundaries. RAM is
 * copied (and writes mark the pages dirty and call the code-write hook); MMIO is done in
 * the largest accesses the region's valid rules allow; unassigned bytes read as all ones
 * and are dropped on write. Every piece is attempted; results are ORed.
 */
MemTxResult address_space_read(AddressSpace *as, uint64_t addr, void *buf, size_t len);
MemTxResult address_space_write(AddressSpace *as, uint64_t addr, const void *buf, size_t len);

/*
 * Little-endian loads and stores of 1/2/4/8 bytes for DMA. ret_result may be NULL; a
 * failed load returns all ones (the "default" semantics of unassigned space).
 */
uint8_t address_space_ldub(AddressSpace *as, uint64_t addr, MemTxResult *ret_result);
uint16_t address_space_lduw_le(AddressSpace *as, uint64_t addr, MemTxResult *ret_result);
uint32_t address_space_ldl_le(AddressSpace *as, uint64_t addr, MemTxResult *ret_result);
uint64_t address_space_ldq_le(AddressSpace *as, uint64_t addr, MemTxResult *ret_result);
void address_space_stb(AddressSpace *as, uint64_t addr, uint8_t val, MemTxResult *ret_result);
void address_space_stw_le(AddressSpace *as, uint64_t addr, uint16_t val, MemTxResult *ret_result);
void address_space_stl_le(AddressSpace *as, uint64_t addr, uint32_t val, MemTxResult *ret_result);
void address_space_stq_le(AddressSpace *as, uint64_t addr, uint64_t val, MemTxResult *ret_result);

/*
 * One CPU-sized access (size 1, 2, 4 or 8) to an MMIO region at offset addr, applying the
 * region's rules (see MemoryAccessRules). This is what the CPU's TLB slow path calls.
 */
MemTxResult memory_region_dispatch_read(MemoryRegion *mr, uint64_t addr, uint64_t *ret_data,
                                        unsigned size);
MemTxResult memory_region_dispatch_write(MemoryRegion *mr, uint64_t addr, uint64_t data,
                                         unsigned size);

/*
 * The translator's hook, called (on the writing thread) when a write through the memory
 * API, or one reported by the CPU with memory_notify_code_write(), touches a page whose
 * code bit is set. len may span pages; the hook clears the bits of pages it invalidated.
 */
typedef void (*MemoryCodeWriteHook)(RamBlock *block, uint64_t offset, uint64_t len);
void memory_set_code_write_hook(MemoryCodeWriteHook fn);
/* For the CPU's store slow path: calls the hook if a page of the range holds code. */
void memory_notify_code_write(RamBlock *block, uint64_t offset, uint64_t len);

/*
 * Guest errors (bad access sizes, misalignment) are not logged by this library: the
 * machine installs a hook (its `-d guest_errors` logger). The message is only valid
 * during the call.
 */
typedef void (*MemoryGuestErrorHook)(const char *message);
void memory_set_guest_error_hook(MemoryGuestErrorHook fn);

/*
 * Listeners learn about ranges of an address space's flat view that appear and go away,
 * on each rebuild: first every region_del, then every region_add. begin/commit bracket a
 * rebuild that changed something. Any callback may be NULL. Called with the map lock held.
 */
struct MemoryListener {
    void (*begin)(MemoryListener *listener);
    void (*region_add)(MemoryListener *listener, const MemoryRegionSection *section);
    void (*region_del)(MemoryListener *listener, const MemoryRegionSection *section);
    void (*commit)(MemoryListener *listener);
    int priority;     /* lower first for add, last for del (as in QEMU) */
    AddressSpace *as; /* set while registered */
};

/* Registers listener on as and calls region_add for every range already mapped. */
void memory_listener_register(MemoryListener *listener, AddressSpace *as);
/* Calls region_del for every range still mapped and unregisters. Accepts unregistered. */
void memory_listener_unregister(MemoryListener *listener);

/*
 * A copy of the current flat view: *ret_count sections (host and size describe each
 * whole range). The regions are valid while the map lock is held or referenced.
 */
MemoryRegionSection *address_space_get_flat_view(AddressSpace *as, size_t *ret_count);

/* HMP `info mtree` (the region tree) and `info mtree -f` (the flat view), as text. */
char *memory_dump_mtree(AddressSpace *as);
char *memory_dump_flatview(AddressSpace *as);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MemoryRegion, memory_region_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AddressSpace, address_space_destroy)

#endif
