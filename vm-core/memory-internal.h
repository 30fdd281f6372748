/*
 * Private structures of the memory API, shared by memory.c (tree, flat views,
 * listeners), memory-access.c (reads, writes, MMIO dispatch) and memory-dump.c.
 */
#ifndef VMD_VM_CORE_MEMORY_INTERNAL_H
#define VMD_VM_CORE_MEMORY_INTERNAL_H

#include "vm-core/memory.h"

typedef enum MemoryRegionKind {
    MR_CONTAINER, /* only subregions; holes are unassigned */
    MR_RAM,       /* a window onto a RamBlock */
    MR_IO,        /* MMIO callbacks */
    MR_ALIAS,     /* a window onto another region */
    MR_KIND_MAX,
    MR_KIND_INVALID = -1,
} MemoryRegionKind;

/*
 * Fields marked (tree) change only under the map lock and are read only by the flattening
 * and the dump; lock-free readers only use the immutable ones and the flat view.
 */
struct MemoryRegion {
    gint refcount;              /* creator, parent, flat views, aliases */
    MemoryRegionKind kind;      /* what the region is; immutable */
    char *name;                 /* shown by info mtree; immutable */
    uint64_t size;              /* bytes; UINT64_MAX stands for 2^64; immutable */
    RamBlock *ram_block;        /* MR_RAM: the block, referenced; immutable */
    uint64_t ram_offset;        /* MR_RAM: where the region starts in the block; immutable */
    const MemoryRegionOps *ops; /* MR_IO: callbacks; immutable */
    void *opaque;               /* MR_IO: their first argument; immutable */
    MemoryRegion *alias;        /* MR_ALIAS: the target, referenced; immutable */
    uint64_t alias_offset;      /* MR_ALIAS: start of the window in the target (tree) */
    bool readonly;              /* MR_RAM: a ROM (tree) */
    bool enabled;               /* rendered at all (tree) */
    uint64_t addr;              /* offset in the parent (tree) */
    int priority;               /* among the parent's subregions (tree) */
    MemoryRegion *parent;       /* container holding this one, not referenced (tree) */
    GPtrArray *subregions;      /* children, highest priority first, referenced (tree) */
};

/* One range of a flat view: [start, last] maps to mr at offset. */
typedef struct FlatRange {
    uint64_t start;   /* first address */
    uint64_t last;    /* last address (inclusive, so a range may end at 2^64-1) */
    MemoryRegion *mr; /* RAM or MMIO region, referenced by the view */
    uint64_t offset;  /* offset in mr of start */
    bool readonly;    /* copied from mr when the view was built */
    int priority;     /* mr's priority then, for the dump */
} FlatRange;

/* An immutable, sorted set of ranges; replaced as a whole and freed after a grace period. */
typedef struct FlatView {
    size_t nr;          /* number of ranges */
    FlatRange ranges[]; /* sorted by start, non-overlapping */
} FlatView;

struct AddressSpace {
    char *name;           /* shown by info mtree */
    MemoryRegion *root;   /* referenced */
    FlatView *current;    /* published view; loaded with __atomic_load_n by readers */
    GPtrArray *listeners; /* MemoryListener *, sorted by priority (map lock) */
};

/* Index of the first range of view whose last address is >= addr (view->nr if none). */
size_t flatview_find(const FlatView *view, uint64_t addr);
/* Returns the range holding addr in the current view, or NULL. Inside a read section. */
const FlatRange *flatview_lookup(const FlatView *view, uint64_t addr);
FlatView *address_space_current_view(AddressSpace *as);
void memory_fill_section(const FlatRange *fr, uint64_t addr, MemoryRegionSection *section);

void memory_guest_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* 2^64 when size is UINT64_MAX. */
static inline unsigned __int128 memory_region_size128(const MemoryRegion *mr)
{
    return mr->size == UINT64_MAX ? (unsigned __int128)1 << 64 : mr->size;
}

#endif
