/*
 * Memory regions, address spaces and their flat views.
 *
 * The region tree is edited under one recursive map lock (the main thread in practice).
 * Every edit, or the outermost commit of a transaction, rebuilds the flat view of every
 * address space: the tree is rendered from the root, highest priority first, each
 * terminal region (RAM or MMIO) filling only the parts of its window that nothing of
 * higher priority already covers. A view equal to the published one is dropped; a
 * different one is published with an atomic store, listeners are told which ranges went
 * and came, and the old view is freed after a grace period (memory-rcu.h). A view holds a
 * reference on every region it maps, so a removed region outlives the readers that can
 * still reach it through an old view.
 *
 * Addresses are 64-bit; the rendering works in 128-bit integers so that a region
 * spanning the whole space, or an alias placed below its target's start, need no
 * special cases.
 */
#include "vm-core/memory-internal.h"

#include <errno.h>

typedef __int128 Addr128;

static GRecMutex memory_lock;     /* the map lock */
static unsigned memory_txn_depth; /* nesting of transactions (map lock) */
static bool memory_txn_pending;   /* the tree changed since the last rebuild */
static GPtrArray *memory_spaces;  /* every AddressSpace (map lock) */

void memory_map_lock(void)
{
    g_rec_mutex_lock(&memory_lock);
}

void memory_map_unlock(void)
{
    g_rec_mutex_unlock(&memory_lock);
}

/* --- regions ------------------------------------------------------------------------ */

static MemoryRegion *region_new(MemoryRegionKind kind, const char *name, uint64_t size)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);

    mr->refcount = 1;
    mr->kind = kind;
    mr->name = g_strdup(name ? name : "anonymous");
    mr->size = size;
    mr->enabled = true;
    mr->subregions = g_ptr_array_new();
    return mr;
}

MemoryRegion *memory_region_new_container(const char *name, uint64_t size)
{
    return region_new(MR_CONTAINER, name, size);
}

int memory_region_new_ram(const char *name, RamBlock *block, uint64_t offset, uint64_t size,
                          MemoryRegion **ret_mr)
{
    uint64_t bsize = ram_block_size(block);

    if (size == 0 || offset > bsize || size > bsize - offset) {
        return -EINVAL;
    }
    MemoryRegion *mr = region_new(MR_RAM, name, size);
    mr->ram_block = ram_block_ref(block);
    mr->ram_offset = offset;
    *ret_mr = mr;
    return 0;
}

int memory_region_new_ram_block(const char *name, uint64_t size, unsigned ram_flags,
                                MemoryRegion **ret_mr)
{
    g_autoptr(RamBlock) block = NULL;

    int r = ram_block_new(name, size, ram_flags, &block);
    if (r < 0) {
        return r;
    }
    return memory_region_new_ram(name, block, 0, size, ret_mr);
}

MemoryRegion *memory_region_new_io(const char *name, const MemoryRegionOps *ops, void *opaque,
                                   uint64_t size)
{
    MemoryRegion *mr = region_new(MR_IO, name, size);

    mr->ops = ops;
    mr->opaque = opaque;
    return mr;
}

MemoryRegion *memory_region_new_alias(const char *name, MemoryRegion *target, uint64_t offset,
                                      uint64_t size)
{
    MemoryRegion *mr = region_new(MR_ALIAS, name, size);

    mr->alias = memory_region_ref(target);
    mr->alias_offset = offset;
    return mr;
}

MemoryRegion *memory_region_ref(MemoryRegion *mr)
{
    g_atomic_int_inc(&mr->refcount);
    return mr;
}

static void region_finalize(MemoryRegion *mr)
{
    /*
     * The last reference may go on the reclaimer thread, and children are tree state:
     * take the map lock for them. Nobody can add to a region without a reference, so a
     * childless one (the usual case) needs no lock.
     */
    if (mr->subregions->len > 0) {
        memory_map_lock();
        for (guint i = 0; i < mr->subregions->len; i++) {
            MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);
            sub->parent = NULL;
            memory_region_unref(sub);
        }
        g_ptr_array_set_size(mr->subregions, 0);
        memory_map_unlock();
    }
    g_ptr_array_unref(mr->subregions);
    if (mr->alias) {
        memory_region_unref(mr->alias);
    }
    ram_block_unref(mr->ram_block);
    g_free(mr->name);
    g_free(mr);
}

void memory_region_unref(MemoryRegion *mr)
{
    if (mr && g_atomic_int_dec_and_test(&mr->refcount)) {
        region_finalize(mr);
    }
}

const char *memory_region_name(const MemoryRegion *mr)
{
    return mr->name;
}

uint64_t memory_region_size(const MemoryRegion *mr)
{
    return mr->size;
}

bool memory_region_is_ram(const MemoryRegion *mr)
{
    return mr->kind == MR_RAM;
}

RamBlock *memory_region_ram_block(const MemoryRegion *mr)
{
    return mr->ram_block;
}

uint64_t memory_region_ram_offset(const MemoryRegion *mr)
{
    return mr->ram_offset;
}

/* --- transactions ------------------------------------------------------------------- */

static void address_space_update(AddressSpace *as);

void memory_region_transaction_begin(void)
{
    memory_map_lock();
    memory_txn_depth++;
}

void memory_region_transaction_commit(void)
{
    if (memory_txn_depth == 0) {
        return;
    }
    /*
     * The depth stays at 1 while rebuilding, so that a listener changing the map only
     * marks it pending (the view it is being told about must not be replaced under it);
     * the loop then rebuilds again.
     */
    while (memory_txn_depth == 1 && memory_txn_pending) {
        memory_txn_pending = false;
        for (guint i = 0; memory_spaces && i < memory_spaces->len; i++) {
            address_space_update(g_ptr_array_index(memory_spaces, i));
        }
    }
    memory_txn_depth--;
    memory_map_unlock();
}

/* Records a change to the tree; the commit rebuilds the views. */
static void memory_changed(void)
{
    memory_region_transaction_begin();
    memory_txn_pending = true;
    memory_region_transaction_commit();
}

/* --- tree edits --------------------------------------------------------------------- */

static bool region_is_ancestor(MemoryRegion *candidate, MemoryRegion *mr)
{
    for (; mr; mr = mr->parent) {
        if (mr == candidate) {
            return true;
        }
    }
    return false;
}

int memory_region_add_subregion_overlap(MemoryRegion *parent, uint64_t offset, MemoryRegion *sub,
                                        int priority)
{
    int r = 0;

    memory_map_lock();
    if (sub->parent) {
        r = -EBUSY;
        goto out_unlock;
    }
    if (region_is_ancestor(sub, parent)) {
        r = -ELOOP;
        goto out_unlock;
    }
    sub->addr = offset;
    sub->priority = priority;
    sub->parent = parent;
    /* Before the first of lower or equal priority: on ties, the newest wins. */
    guint i = 0;
    while (i < parent->subregions->len &&
           ((MemoryRegion *)g_ptr_array_index(parent->subregions, i))->priority > priority) {
        i++;
    }
    g_ptr_array_insert(parent->subregions, (gint)i, memory_region_ref(sub));
    memory_changed();
out_unlock:
    memory_map_unlock();
    return r;
}

int memory_region_add_subregion(MemoryRegion *parent, uint64_t offset, MemoryRegion *sub)
{
    return memory_region_add_subregion_overlap(parent, offset, sub, /* priority= */ 0);
}

int memory_region_del_subregion(MemoryRegion *parent, MemoryRegion *sub)
{
    memory_map_lock();
    if (sub->parent != parent || !g_ptr_array_remove(parent->subregions, sub)) {
        memory_map_unlock();
        return -ENOENT;
    }
    sub->parent = NULL;
    memory_changed();
    memory_map_unlock();
    memory_region_unref(sub);
    return 0;
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    memory_map_lock();
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        memory_changed();
    }
    memory_map_unlock();
}

void memory_region_set_address(MemoryRegion *mr, uint64_t addr)
{
    memory_map_lock();
    if (mr->addr != addr) {
        mr->addr = addr;
        memory_changed();
    }
    memory_map_unlock();
}

void memory_region_set_alias_offset(MemoryRegion *mr, uint64_t offset)
{
    memory_map_lock();
    if (mr->kind == MR_ALIAS && mr->alias_offset != offset) {
        mr->alias_offset = offset;
        memory_changed();
    }
    memory_map_unlock();
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    memory_map_lock();
    if (mr->kind == MR_RAM && mr->readonly != readonly) {
        mr->readonly = readonly;
        memory_changed();
    }
    memory_map_unlock();
}

/* --- rendering ---------------------------------------------------------------------- */

static void flat_insert(GArray *ranges, guint i, Addr128 s, Addr128 e, MemoryRegion *mr,
                        Addr128 offset)
{
    FlatRange fr = {
        .start = (uint64_t)s,
        .last = (uint64_t)(e - 1),
        .mr = mr,
        .offset = (uint64_t)offset,
        .readonly = mr->readonly,
        .priority = mr->priority,
    };
    g_array_insert_val(ranges, i, fr);
}

/* Maps the parts of [s, e) that no range covers yet to mr (base: address of its byte 0). */
static void flat_fill_gaps(GArray *ranges, Addr128 s, Addr128 e, MemoryRegion *mr, Addr128 base)
{
    Addr128 cur = s;
    guint i = 0;

    while (cur < e) {
        while (i < ranges->len && g_array_index(ranges, FlatRange, i).last < cur) {
            i++;
        }
        if (i == ranges->len || g_array_index(ranges, FlatRange, i).start >= e) {
            flat_insert(ranges, i, cur, e, mr, cur - base);
            return;
        }
        FlatRange *next = &g_array_index(ranges, FlatRange, i);
        if (next->start > cur) {
            Addr128 gap_end = next->start;
            flat_insert(ranges, i, cur, gap_end, mr, cur - base);
            i++;
        }
        cur = (Addr128)g_array_index(ranges, FlatRange, i).last + 1;
        i++;
    }
}

/*
 * Deepest nesting rendered. An alias onto one of its own ancestors would otherwise recurse
 * forever; real boards nest a handful of levels.
 */
#define RENDER_MAX_DEPTH 32

/* Renders mr, whose byte 0 sits at base, into the window [clip_s, clip_e). */
static void render_region(GArray *ranges, MemoryRegion *mr, Addr128 base, Addr128 clip_s,
                          Addr128 clip_e, unsigned depth)
{
    if (!mr->enabled || depth > RENDER_MAX_DEPTH) {
        return;
    }
    Addr128 s = MAX(clip_s, base);
    Addr128 e = MIN(clip_e, base + (Addr128)memory_region_size128(mr));
    if (s >= e) {
        return;
    }
    if (mr->kind == MR_ALIAS) {
        render_region(ranges, mr->alias, base - (Addr128)mr->alias_offset, s, e, depth + 1);
        return;
    }
    for (guint i = 0; i < mr->subregions->len; i++) {
        MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);
        render_region(ranges, sub, base + (Addr128)sub->addr, s, e, depth + 1);
    }
    if (mr->kind == MR_RAM || mr->kind == MR_IO) {
        flat_fill_gaps(ranges, s, e, mr, base);
    }
}

static bool flat_range_contiguous(const FlatRange *a, const FlatRange *b)
{
    return a->mr == b->mr && a->readonly == b->readonly && a->priority == b->priority &&
           a->last + 1 == b->start && a->offset + (a->last - a->start + 1) == b->offset;
}

static FlatView *flatview_build(MemoryRegion *root)
{
    GArray *ranges = g_array_new(FALSE, FALSE, sizeof(FlatRange));

    render_region(ranges, root, 0, 0, (Addr128)1 << 64, /* depth= */ 0);
    /* Pieces of one region split by a hole that something else no longer fills: merge. */
    guint out = 0;
    for (guint i = 0; i < ranges->len; i++) {
        FlatRange *fr = &g_array_index(ranges, FlatRange, i);
        if (out > 0 && flat_range_contiguous(&g_array_index(ranges, FlatRange, out - 1), fr)) {
            g_array_index(ranges, FlatRange, out - 1).last = fr->last;
        } else {
            g_array_index(ranges, FlatRange, out++) = *fr;
        }
    }
    FlatView *view = g_malloc(sizeof(FlatView) + out * sizeof(FlatRange));
    view->nr = out;
    for (guint i = 0; i < out; i++) {
        view->ranges[i] = g_array_index(ranges, FlatRange, i);
        memory_region_ref(view->ranges[i].mr);
    }
    g_array_unref(ranges);
    return view;
}

static void flatview_free(void *ptr)
{
    FlatView *view = ptr;

    for (size_t i = 0; i < view->nr; i++) {
        memory_region_unref(view->ranges[i].mr);
    }
    g_free(view);
}

static bool flat_range_equal(const FlatRange *a, const FlatRange *b)
{
    return a->start == b->start && a->last == b->last && a->mr == b->mr && a->offset == b->offset &&
           a->readonly == b->readonly && a->priority == b->priority;
}

static bool flatview_equal(const FlatView *a, const FlatView *b)
{
    if (a->nr != b->nr) {
        return false;
    }
    for (size_t i = 0; i < a->nr; i++) {
        if (!flat_range_equal(&a->ranges[i], &b->ranges[i])) {
            return false;
        }
    }
    return true;
}

/* Index of the first range whose last address is >= addr (view->nr if none). */
size_t flatview_find(const FlatView *view, uint64_t addr)
{
    size_t lo = 0, hi = view->nr;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (view->ranges[mid].last < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

const FlatRange *flatview_lookup(const FlatView *view, uint64_t addr)
{
    size_t i = flatview_find(view, addr);

    if (i < view->nr && view->ranges[i].start <= addr) {
        return &view->ranges[i];
    }
    return NULL;
}

static bool flatview_contains(const FlatView *view, const FlatRange *fr)
{
    const FlatRange *other = flatview_lookup(view, fr->start);

    return other && flat_range_equal(other, fr);
}

/* --- address spaces and listeners --------------------------------------------------- */

FlatView *address_space_current_view(AddressSpace *as)
{
    /* seq_cst: ordered after the reader's counter store (see memory-rcu.c). */
    return __atomic_load_n(&as->current, __ATOMIC_SEQ_CST);
}

void memory_fill_section(const FlatRange *fr, uint64_t addr, MemoryRegionSection *section)
{
    uint64_t delta = addr - fr->start;

    section->mr = fr->mr;
    section->offset_within_region = fr->offset + delta;
    section->offset_within_as = addr;
    section->size = fr->last - addr == UINT64_MAX ? UINT64_MAX : fr->last - addr + 1;
    section->readonly = fr->readonly;
    section->host = NULL;
    section->block = NULL;
    section->block_offset = 0;
    if (fr->mr->kind == MR_RAM) {
        section->block = fr->mr->ram_block;
        section->block_offset = fr->mr->ram_offset + section->offset_within_region;
        section->host = (uint8_t *)ram_block_host(section->block) + section->block_offset;
    }
}

static void listener_call(MemoryListener *l, const FlatRange *fr, bool add)
{
    MemoryRegionSection section;
    void (*fn)(MemoryListener *, const MemoryRegionSection *) = add ? l->region_add : l->region_del;

    if (fn) {
        memory_fill_section(fr, fr->start, &section);
        fn(l, &section);
    }
}

/* Tells the listeners what changed between old and new (either may be NULL). */
static void listeners_notify(AddressSpace *as, const FlatView *old, const FlatView *new)
{
    GPtrArray *ls = as->listeners;

    for (guint i = 0; i < ls->len; i++) {
        MemoryListener *l = g_ptr_array_index(ls, i);
        if (l->begin) {
            l->begin(l);
        }
    }
    for (guint i = ls->len; old && i-- > 0;) {
        for (size_t r = 0; r < old->nr; r++) {
            if (!new || !flatview_contains(new, &old->ranges[r])) {
                listener_call(g_ptr_array_index(ls, i), &old->ranges[r], false);
            }
        }
    }
    for (guint i = 0; new &&i < ls->len; i++) {
        for (size_t r = 0; r < new->nr; r++) {
            if (!old || !flatview_contains(old, &new->ranges[r])) {
                listener_call(g_ptr_array_index(ls, i), &new->ranges[r], true);
            }
        }
    }
    for (guint i = 0; i < ls->len; i++) {
        MemoryListener *l = g_ptr_array_index(ls, i);
        if (l->commit) {
            l->commit(l);
        }
    }
}

static void address_space_update(AddressSpace *as)
{
    FlatView *old = as->current;
    FlatView *new = flatview_build(as->root);

    if (flatview_equal(old, new)) {
        flatview_free(new);
        return;
    }
    __atomic_store_n(&as->current, new, __ATOMIC_SEQ_CST);
    listeners_notify(as, old, new);
    memory_rcu_call(flatview_free, old);
}

AddressSpace *address_space_new(MemoryRegion *root, const char *name)
{
    AddressSpace *as = g_new0(AddressSpace, 1);

    as->name = g_strdup(name);
    as->root = memory_region_ref(root);
    as->listeners = g_ptr_array_new();
    memory_map_lock();
    as->current = flatview_build(root);
    if (!memory_spaces) {
        memory_spaces = g_ptr_array_new();
    }
    g_ptr_array_add(memory_spaces, as);
    memory_map_unlock();
    return as;
}

static void address_space_free(void *ptr)
{
    AddressSpace *as = ptr;

    flatview_free(as->current);
    memory_region_unref(as->root);
    g_ptr_array_unref(as->listeners);
    g_free(as->name);
    g_free(as);
}

void address_space_destroy(AddressSpace *as)
{
    if (!as) {
        return;
    }
    memory_map_lock();
    while (as->listeners->len > 0) {
        memory_listener_unregister(g_ptr_array_index(as->listeners, as->listeners->len - 1));
    }
    g_ptr_array_remove(memory_spaces, as);
    memory_map_unlock();
    /* A reader may still be looking at as->current: free both after a grace period. */
    memory_rcu_call(address_space_free, as);
}

const char *address_space_name(const AddressSpace *as)
{
    return as->name;
}

MemoryRegion *address_space_root(const AddressSpace *as)
{
    return as->root;
}

void memory_listener_register(MemoryListener *listener, AddressSpace *as)
{
    memory_map_lock();
    guint i = 0;
    while (i < as->listeners->len &&
           ((MemoryListener *)g_ptr_array_index(as->listeners, i))->priority <=
               listener->priority) {
        i++;
    }
    g_ptr_array_insert(as->listeners, (gint)i, listener);
    listener->as = as;
    if (listener->begin) {
        listener->begin(listener);
    }
    for (size_t r = 0; r < as->current->nr; r++) {
        listener_call(listener, &as->current->ranges[r], true);
    }
    if (listener->commit) {
        listener->commit(listener);
    }
    memory_map_unlock();
}

void memory_listener_unregister(MemoryListener *listener)
{
    AddressSpace *as = listener->as;

    if (!as) {
        return;
    }
    memory_map_lock();
    if (listener->begin) {
        listener->begin(listener);
    }
    for (size_t r = 0; r < as->current->nr; r++) {
        listener_call(listener, &as->current->ranges[r], false);
    }
    if (listener->commit) {
        listener->commit(listener);
    }
    g_ptr_array_remove(as->listeners, listener);
    listener->as = NULL;
    memory_map_unlock();
}

/* --- lookups ------------------------------------------------------------------------ */

MemTxResult address_space_translate(AddressSpace *as, uint64_t addr,
                                    MemoryRegionSection *ret_section)
{
    MemTxResult res = MEMTX_OK;

    memory_rcu_read_lock();
    const FlatView *view = address_space_current_view(as);
    size_t i = flatview_find(view, addr);
    if (i < view->nr && view->ranges[i].start <= addr) {
        memory_fill_section(&view->ranges[i], addr, ret_section);
    } else {
        /* A hole: report its length so callers can skip it in one step. */
        uint64_t last = i < view->nr ? view->ranges[i].start - 1 : UINT64_MAX;
        *ret_section = (MemoryRegionSection){
            .offset_within_region = addr,
            .offset_within_as = addr,
            .size = last - addr == UINT64_MAX ? UINT64_MAX : last - addr + 1,
        };
        res = MEMTX_DECODE_ERROR;
    }
    memory_rcu_read_unlock();
    return res;
}

MemoryRegionSection *address_space_get_flat_view(AddressSpace *as, size_t *ret_count)
{
    memory_rcu_read_lock();
    const FlatView *view = address_space_current_view(as);
    MemoryRegionSection *sections = g_new0(MemoryRegionSection, view->nr ? view->nr : 1);
    for (size_t i = 0; i < view->nr; i++) {
        memory_fill_section(&view->ranges[i], view->ranges[i].start, &sections[i]);
    }
    *ret_count = view->nr;
    memory_rcu_read_unlock();
    return sections;
}
