/*
 * qcow2 metadata cache: a small write-back cache of cluster-sized tables (L2 tables or
 * refcount blocks) with LRU eviction.
 *
 * Ordering is the point of this file. A cache may depend on another: before any dirty
 * entry of the L2 cache is written, the refcount cache is written back and the file is
 * flushed, so on disk a cluster's refcount is always in place before the L2 entry that
 * uses it. An entry in use (between get and put) is never evicted. Tables are kept in
 * on-disk (big-endian) form; callers convert entries as they touch them.
 */
#include "block/qcow2.h"

#include <errno.h>
#include <string.h>

typedef struct Qcow2CacheEntry {
    uint64_t offset; /* host offset of the table, 0 when the slot is empty */
    uint8_t *table;  /* entry_size bytes, on-disk byte order */
    bool dirty;      /* modified since it was read or written */
    int ref;         /* users between get and put */
    uint64_t lru;    /* last use, for eviction */
} Qcow2CacheEntry;

struct Qcow2Cache {
    BlockDriverState *bs; /* the qcow2 node (not a reference) */
    Qcow2CacheEntry *entries;
    int nb_entries;
    uint64_t entry_size;
    Qcow2Cache *depends; /* written and flushed before any of our dirty entries */
    uint64_t lru_counter;
    int ol_kind;     /* QCOW2_OL_* of our tables, for the overlap check */
    uint64_t writes; /* tables written back (for tests) */
};

Qcow2Cache *qcow2_cache_new(BlockDriverState *bs, int nb_entries, uint64_t entry_size)
{
    Qcow2Cache *c = g_new0(Qcow2Cache, 1);

    c->bs = bs;
    c->nb_entries = MAX(nb_entries, 4);
    c->entry_size = entry_size;
    c->entries = g_new0(Qcow2CacheEntry, c->nb_entries);
    for (int i = 0; i < c->nb_entries; i++) {
        c->entries[i].table = g_malloc(entry_size);
    }
    c->ol_kind = QCOW2_OL_L2;
    return c;
}

void qcow2_cache_free(Qcow2Cache *c)
{
    if (!c) {
        return;
    }
    for (int i = 0; i < c->nb_entries; i++) {
        g_free(c->entries[i].table);
    }
    g_free(c->entries);
    g_free(c);
}

void qcow2_cache_set_dependency(Qcow2Cache *c, Qcow2Cache *dep)
{
    c->depends = dep;
    if (dep) {
        dep->ol_kind = QCOW2_OL_RB;
    }
}

static bool cache_has_dirty(Qcow2Cache *c)
{
    for (int i = 0; i < c->nb_entries; i++) {
        if (c->entries[i].dirty) {
            return true;
        }
    }
    return false;
}

static int entry_write(Qcow2Cache *c, Qcow2CacheEntry *e)
{
    if (!e->dirty) {
        return 0;
    }
    if (c->depends && cache_has_dirty(c->depends)) {
        int ret = qcow2_cache_flush(c->depends);
        if (ret < 0) {
            return ret;
        }
    }
    int ret = qcow2_pwrite_meta(c->bs, c->ol_kind, e->offset, e->table, c->entry_size);
    if (ret < 0) {
        return ret; /* stays dirty: nothing is lost, a later flush retries */
    }
    e->dirty = false;
    c->writes++;
    return 0;
}

int qcow2_cache_write(Qcow2Cache *c)
{
    int result = 0;

    for (int i = 0; i < c->nb_entries; i++) {
        int ret = entry_write(c, &c->entries[i]);
        if (ret < 0 && result == 0) {
            result = ret;
        }
    }
    return result;
}

int qcow2_cache_flush(Qcow2Cache *c)
{
    int ret = qcow2_cache_write(c);
    if (ret == 0) {
        ret = bdrv_flush(c->bs->file);
    }
    return ret;
}

static Qcow2CacheEntry *find(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < c->nb_entries; i++) {
        if (c->entries[i].offset == offset) {
            return &c->entries[i];
        }
    }
    return NULL;
}

static int victim(Qcow2Cache *c, Qcow2CacheEntry **ret_e)
{
    Qcow2CacheEntry *best = NULL;

    for (int i = 0; i < c->nb_entries; i++) {
        Qcow2CacheEntry *e = &c->entries[i];
        if (e->ref == 0 && (!best || e->lru < best->lru)) {
            best = e;
        }
    }
    if (!best) {
        return -ENOSPC; /* every slot in use: a caller leaked a reference */
    }
    int ret = entry_write(c, best);
    if (ret < 0) {
        return ret;
    }
    best->offset = 0;
    *ret_e = best;
    return 0;
}

static int cache_do_get(Qcow2Cache *c, uint64_t offset, bool read, void **ret_table)
{
    BDRVQcow2State *s = c->bs->opaque;

    if (offset == 0 || offset % s->cluster_size || offset >= QCOW2_MAX_HOST_OFFSET) {
        return -EIO;
    }
    Qcow2CacheEntry *e = find(c, offset);
    if (!e) {
        int ret = victim(c, &e);
        if (ret < 0) {
            return ret;
        }
        if (read) {
            ret = bdrv_pread(c->bs->file, offset, c->entry_size, e->table);
            if (ret < 0) {
                return ret;
            }
        }
        e->offset = offset;
    }
    if (!read) {
        memset(e->table, 0, c->entry_size);
    }
    e->ref++;
    e->lru = ++c->lru_counter;
    *ret_table = e->table;
    return 0;
}

int qcow2_cache_get(Qcow2Cache *c, uint64_t offset, void **ret_table)
{
    return cache_do_get(c, offset, true, ret_table);
}

int qcow2_cache_get_empty(Qcow2Cache *c, uint64_t offset, void **ret_table)
{
    return cache_do_get(c, offset, false, ret_table);
}

static Qcow2CacheEntry *entry_of(Qcow2Cache *c, const void *table)
{
    for (int i = 0; i < c->nb_entries; i++) {
        if (c->entries[i].table == table) {
            return &c->entries[i];
        }
    }
    return NULL;
}

void qcow2_cache_put(Qcow2Cache *c, void **table)
{
    Qcow2CacheEntry *e = *table ? entry_of(c, *table) : NULL;

    if (e && e->ref > 0) {
        e->ref--;
    }
    *table = NULL;
}

void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table)
{
    Qcow2CacheEntry *e = entry_of(c, table);

    if (e) {
        e->dirty = true;
    }
}

void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    Qcow2CacheEntry *e = find(c, offset);

    if (e && e->ref == 0) {
        e->offset = 0;
        e->dirty = false;
    }
}

void qcow2_cache_drop_all(Qcow2Cache *c)
{
    for (int i = 0; i < c->nb_entries; i++) {
        if (c->entries[i].ref == 0) {
            c->entries[i].offset = 0;
            c->entries[i].dirty = false;
        }
    }
}

uint64_t qcow2_cache_writes(Qcow2Cache *c)
{
    return c->writes;
}
