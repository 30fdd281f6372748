/*
 * Text dumps of the memory map in the format of QEMU's HMP `info mtree` (the region
 * tree, aliased regions listed after it) and `info mtree -f` (the flat view), so that
 * people and scripts used to QEMU's output can read ours. Disabled regions are left
 * out, as `info mtree` does without -D.
 */
#include "vm-core/memory-internal.h"

#define MTREE_INDENT "  "
#define ADDR_FMT     "%016" PRIx64

static const char *region_type(const MemoryRegion *mr)
{
    while (mr->kind == MR_ALIAS) {
        mr = mr->alias;
    }
    if (mr->kind == MR_RAM) {
        return mr->readonly ? "rom" : "ram";
    }
    return "i/o";
}

static void indent(GString *out, unsigned level)
{
    for (unsigned i = 0; i < level; i++) {
        g_string_append(out, MTREE_INDENT);
    }
}

/* Subregions in the order info mtree shows them: by address, then highest priority. */
static gint mtree_order(gconstpointer a, gconstpointer b)
{
    const MemoryRegion *x = *(MemoryRegion *const *)a;
    const MemoryRegion *y = *(MemoryRegion *const *)b;

    if (x->addr != y->addr) {
        return x->addr < y->addr ? -1 : 1;
    }
    return x->priority > y->priority ? -1 : x->priority < y->priority;
}

static void mtree_print(GString *out, MemoryRegion *mr, unsigned level, uint64_t base,
                        GPtrArray *alias_queue)
{
    if (!mr->enabled) {
        return;
    }
    uint64_t start = base + mr->addr;
    uint64_t end = start + (mr->size == UINT64_MAX ? UINT64_MAX : mr->size - 1);

    indent(out, level);
    g_string_append_printf(out, ADDR_FMT "-" ADDR_FMT " (prio %d, %s): ", start, end, mr->priority,
                           region_type(mr));
    if (mr->kind == MR_ALIAS) {
        uint64_t alias_end =
            mr->alias_offset + (mr->size == UINT64_MAX ? UINT64_MAX : mr->size - 1);
        g_string_append_printf(out, "alias %s @%s " ADDR_FMT "-" ADDR_FMT "\n", mr->name,
                               mr->alias->name, mr->alias_offset, alias_end);
        if (!g_ptr_array_find(alias_queue, mr->alias, NULL)) {
            g_ptr_array_add(alias_queue, mr->alias);
        }
    } else {
        g_string_append_printf(out, "%s\n", mr->name);
    }
    g_autoptr(GPtrArray) subs = g_ptr_array_copy(mr->subregions, NULL, NULL);
    g_ptr_array_sort(subs, mtree_order);
    for (guint i = 0; i < subs->len; i++) {
        mtree_print(out, g_ptr_array_index(subs, i), level + 1, start, alias_queue);
    }
}

char *memory_dump_mtree(AddressSpace *as)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GPtrArray) alias_queue = g_ptr_array_new();

    memory_map_lock();
    g_string_append_printf(out, "address-space: %s\n", as->name);
    mtree_print(out, as->root, 1, 0, alias_queue);
    g_string_append(out, "\n");
    /* The queue grows while it is printed: aliases of aliases are listed too. */
    for (guint i = 0; i < alias_queue->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(alias_queue, i);
        g_string_append_printf(out, "memory-region: %s\n", mr->name);
        mtree_print(out, mr, 1, 0, alias_queue);
        g_string_append(out, "\n");
    }
    memory_map_unlock();
    return g_string_free(out, FALSE);
}

char *memory_dump_flatview(AddressSpace *as)
{
    GString *out = g_string_new(NULL);

    memory_rcu_read_lock();
    const FlatView *view = address_space_current_view(as);
    g_string_append_printf(out, "FlatView #0\n AS \"%s\", root: %s\n", as->name, as->root->name);
    g_string_append_printf(out, " Root memory region: %s\n", as->root->name);
    if (view->nr == 0) {
        g_string_append(out, MTREE_INDENT "No rendered FlatView\n");
    }
    for (size_t i = 0; i < view->nr; i++) {
        const FlatRange *fr = &view->ranges[i];
        g_string_append_printf(out, MTREE_INDENT ADDR_FMT "-" ADDR_FMT " (prio %d, %s): %s",
                               fr->start, fr->last, fr->priority,
                               fr->readonly ? "rom" : region_type(fr->mr), fr->mr->name);
        if (fr->offset) {
            g_string_append_printf(out, " @" ADDR_FMT, fr->offset);
        }
        g_string_append(out, "\n");
    }
    g_string_append(out, "\n");
    memory_rcu_read_unlock();
    return g_string_free(out, FALSE);
}
