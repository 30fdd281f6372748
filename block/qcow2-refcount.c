/*
 * qcow2 host cluster management: refcount lookup and update, cluster allocation,
 * refcount table growth, and the metadata overlap check.
 *
 * Allocation scans upward from a hint for a run of clusters whose refcount is 0. A
 * cluster not covered by any refcount block becomes its own refcount block (a block
 * that describes itself), written and flushed before the refcount table points to it.
 * When the refcount table is full, a new, larger table is built past the end of the
 * covered area together with the refcount blocks that describe it; only after both
 * are on disk does the header switch to it, and only then is the old table freed. A
 * crash at any point leaves at worst leaked clusters.
 */
#include "block/qcow2.h"

#include <errno.h>
#include <string.h>

uint64_t qcow2_refblock_get(BDRVQcow2State *s, const void *block, uint64_t index)
{
    const uint8_t *b = block;

    switch (s->refcount_order) {
    case 0:
    case 1:
    case 2: {
        uint32_t bits = 1u << s->refcount_order;
        uint64_t bit = index * bits;
        return (b[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    case 3:
        return b[index];
    case 4:
        return be16_at(b + index * 2);
    case 5:
        return be32_at(b + index * 4);
    default:
        return be64_at(b + index * 8);
    }
}

void qcow2_refblock_set(BDRVQcow2State *s, void *block, uint64_t index, uint64_t value)
{
    uint8_t *b = block;

    switch (s->refcount_order) {
    case 0:
    case 1:
    case 2: {
        uint32_t bits = 1u << s->refcount_order;
        uint64_t bit = index * bits;
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
        b[bit / 8] = (uint8_t)((b[bit / 8] & ~mask) | ((value << (bit % 8)) & mask));
        break;
    }
    case 3:
        b[index] = (uint8_t)value;
        break;
    case 4:
        be16_put(b + index * 2, (uint16_t)value);
        break;
    case 5:
        be32_put(b + index * 4, (uint32_t)value);
        break;
    default:
        be64_put(b + index * 8, value);
        break;
    }
}

int qcow2_refcount_init(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)s->hi.h.refcount_table_clusters * s->cluster_size;

    s->rt_entries = bytes / 8;
    s->refcount_table = g_try_malloc(bytes);
    if (!s->refcount_table) {
        return -ENOMEM;
    }
    int ret = bdrv_pread(bs->file, s->hi.h.refcount_table_offset, bytes, s->refcount_table);
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = 0; i < s->rt_entries; i++) {
        s->refcount_table[i] = be64_at((uint8_t *)&s->refcount_table[i]);
    }
    return 0;
}

/* The refcount block covering cluster index idx: 0 if there is none. */
static int refblock_offset(BlockDriverState *bs, uint64_t idx, uint64_t *ret_off)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rt_index = idx >> s->refblock_bits;

    *ret_off = 0;
    if (rt_index >= s->rt_entries) {
        return 0;
    }
    uint64_t off = s->refcount_table[rt_index] & QCOW2_REFT_OFFSET_MASK;
    if (off % s->cluster_size || off >= QCOW2_MAX_HOST_OFFSET) {
        qcow2_mark_corrupt(bs, "refcount block offset 0x%" G_GINT64_MODIFIER "x is invalid", off);
        return -EIO;
    }
    *ret_off = off;
    return 0;
}

int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index, uint64_t *ret)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rb;
    void *block;

    int r = refblock_offset(bs, cluster_index, &rb);
    *ret = 0;
    if (r < 0 || rb == 0) {
        return r;
    }
    r = qcow2_cache_get(s->rb_cache, rb, &block);
    if (r < 0) {
        return r;
    }
    *ret = qcow2_refblock_get(s, block, cluster_index & ((1ULL << s->refblock_bits) - 1));
    qcow2_cache_put(s->rb_cache, &block);
    return 0;
}

static int change_one(BlockDriverState *bs, uint64_t idx, int64_t delta, bool absolute,
                      uint64_t value)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rb;
    void *block;

    int r = refblock_offset(bs, idx, &rb);
    if (r < 0) {
        return r;
    }
    if (rb == 0) {
        return -EIO;
    }
    r = qcow2_cache_get(s->rb_cache, rb, &block);
    if (r < 0) {
        return r;
    }
    uint64_t slot = idx & ((1ULL << s->refblock_bits) - 1);
    uint64_t old = qcow2_refblock_get(s, block, slot);
    uint64_t nv = absolute ? value : old + (uint64_t)delta;
    if (!absolute && ((delta < 0 && old < (uint64_t)-delta) ||
                      (delta > 0 && old + (uint64_t)delta > s->refcount_max))) {
        qcow2_cache_put(s->rb_cache, &block);
        return delta < 0 ? -EIO : -ERANGE;
    }
    qcow2_refblock_set(s, block, slot, nv);
    qcow2_cache_mark_dirty(s->rb_cache, block);
    qcow2_cache_put(s->rb_cache, &block);
    if (nv == 0) {
        s->free_cluster_hint = MIN(s->free_cluster_hint, idx);
        qcow2_cache_discard(s->l2_cache, idx << s->cluster_bits);
        qcow2_cache_discard(s->rb_cache, idx << s->cluster_bits);
        if (s->compress_cursor && (s->compress_cursor >> s->cluster_bits) == idx) {
            s->compress_cursor = 0; /* never append to a cluster that was freed */
        }
    }
    return 0;
}

int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset, uint64_t length, int64_t delta)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + length - 1) >> s->cluster_bits;

    if (length == 0) {
        return 0;
    }
    for (uint64_t i = first; i <= last; i++) {
        int r = change_one(bs, i, delta, false, 0);
        if (r < 0) {
            /* Undo what was done, so the table stays consistent with the caller. */
            for (uint64_t j = first; j < i; j++) {
                change_one(bs, j, -delta, false, 0);
            }
            if (r == -EIO && delta < 0) {
                qcow2_mark_corrupt(
                    bs, "refcount of cluster %" G_GUINT64_FORMAT " would drop below zero", i);
            }
            return r;
        }
    }
    return 0;
}

void qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t length)
{
    /* A failure leaks the clusters, which check -r leaks recovers; data is safe. */
    qcow2_update_refcount(bs, offset, length, -1);
}

/* ---- overlap check ---- */

/* A table at offset 0 does not exist (unallocated entries), so it overlaps nothing. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return b && blen && alen && a < b + blen && b < a + alen;
}

static const char *find_overlap(BDRVQcow2State *s, int ignore, uint64_t off, uint64_t len)
{
    const Qcow2Header *h = &s->hi.h;
    uint64_t cs = s->cluster_size;

    if (!(ignore & QCOW2_OL_HEADER) && off < cs) {
        return "the image header";
    }
    if (!(ignore & QCOW2_OL_L1) && overlaps(off, len, h->l1_table_offset, s->l1_size * 8ULL)) {
        return "the active L1 table";
    }
    if (!(ignore & QCOW2_OL_RT) &&
        overlaps(off, len, h->refcount_table_offset, h->refcount_table_clusters * cs)) {
        return "the refcount table";
    }
    if (!(ignore & QCOW2_OL_SNAPSHOTS) && h->nb_snapshots &&
        overlaps(off, len, h->snapshots_offset, s->snapshots_size)) {
        return "the snapshot table";
    }
    for (uint32_t i = 0; !(ignore & QCOW2_OL_INACTIVE_L1) && i < s->nb_snapshots; i++) {
        if (overlaps(off, len, s->snapshots[i].l1_table_offset, s->snapshots[i].l1_size * 8ULL)) {
            return "an inactive L1 table";
        }
    }
    for (uint64_t i = 0; !(ignore & QCOW2_OL_RB) && i < s->rt_entries; i++) {
        if (overlaps(off, len, s->refcount_table[i] & QCOW2_REFT_OFFSET_MASK, cs)) {
            return "a refcount block";
        }
    }
    for (uint32_t i = 0; !(ignore & QCOW2_OL_L2) && i < s->l1_size; i++) {
        if (overlaps(off, len, s->l1_table[i] & QCOW2_L1E_OFFSET_MASK, cs)) {
            return "an active L2 table";
        }
    }
    return NULL;
}

int qcow2_check_overlap(BlockDriverState *bs, int ignore, uint64_t offset, uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->corrupt && !(bs->open_flags & BDRV_O_CHECK)) {
        return -EIO;
    }
    const char *what = find_overlap(s, ignore, offset, len);
    if (what) {
        qcow2_mark_corrupt(bs,
                           "a write to 0x%" G_GINT64_MODIFIER "x (%" G_GUINT64_FORMAT
                           " bytes) would overwrite %s",
                           offset, len, what);
        return -EIO;
    }
    return 0;
}

int qcow2_pwrite_meta(BlockDriverState *bs, int ignore, uint64_t offset, const void *buf,
                      uint64_t len)
{
    int ret = qcow2_check_overlap(bs, ignore, offset, len);
    return ret < 0 ? ret : bdrv_pwrite(bs->file, offset, len, buf, 0);
}

/* ---- allocation ---- */

static int make_self_refblock(BlockDriverState *bs, uint64_t idx)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rt_index = idx >> s->refblock_bits;
    uint64_t off = idx << s->cluster_bits;
    uint8_t be[8];
    void *block;

    int ret = qcow2_check_overlap(bs, 0, off, s->cluster_size);
    if (ret == 0) {
        ret = qcow2_cache_get_empty(s->rb_cache, off, &block);
    }
    if (ret < 0) {
        return ret;
    }
    qcow2_refblock_set(s, block, idx & ((1ULL << s->refblock_bits) - 1), 1);
    qcow2_cache_mark_dirty(s->rb_cache, block);
    qcow2_cache_put(s->rb_cache, &block);
    /* The block must be on disk before the table points at it. */
    s->refcount_table[rt_index] = off;
    ret = qcow2_cache_flush(s->rb_cache);
    if (ret == 0) {
        be64_put(be, off);
        ret =
            qcow2_pwrite_meta(bs, QCOW2_OL_RT, s->hi.h.refcount_table_offset + rt_index * 8, be, 8);
    }
    if (ret < 0) {
        s->refcount_table[rt_index] = 0;
        qcow2_cache_discard(s->rb_cache, off);
    }
    return ret;
}

/* Sizes for a grown table: k refblocks then n table clusters, all covered by the k. */
static int grow_layout(BDRVQcow2State *s, uint64_t *ret_k, uint64_t *ret_entries)
{
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t e = 1ULL << s->refblock_bits;

    for (uint64_t k = 1; k < 4096; k++) {
        uint64_t entries = MAX(s->rt_entries * 2, s->rt_entries + k);
        entries = (entries + per_cluster - 1) / per_cluster * per_cluster;
        uint64_t n = entries / per_cluster;
        if (entries * 8 > QCOW2_MAX_RT_BYTES) {
            return -EFBIG;
        }
        if (k * e >= k + n) {
            *ret_k = k;
            *ret_entries = entries;
            return 0;
        }
    }
    return -EFBIG;
}

static int write_new_refblocks(BlockDriverState *bs, uint64_t base, uint64_t k, uint64_t used)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t e = 1ULL << s->refblock_bits;
    g_autofree uint8_t *block = g_malloc(s->cluster_size);

    for (uint64_t j = 0; j < k; j++) {
        memset(block, 0, s->cluster_size);
        for (uint64_t i = 0; i < e && j * e + i < used; i++) {
            qcow2_refblock_set(s, block, i, 1);
        }
        int ret = qcow2_pwrite_meta(bs, 0, (base + j) << s->cluster_bits, block, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static int switch_table(BlockDriverState *bs, uint64_t table_off, uint64_t entries, uint64_t *table)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t hdr[12];
    uint64_t old_off = s->hi.h.refcount_table_offset;
    uint64_t old_bytes = (uint64_t)s->hi.h.refcount_table_clusters * s->cluster_size;
    uint32_t clusters = (uint32_t)(entries * 8 / s->cluster_size);

    be64_put(hdr, table_off);
    be32_put(hdr + 8, clusters);
    int ret = qcow2_pwrite_meta(bs, QCOW2_OL_HEADER, 48, hdr, sizeof(hdr));
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        return ret;
    }
    g_free(s->refcount_table);
    s->refcount_table = table;
    s->rt_entries = entries;
    s->hi.h.refcount_table_offset = table_off;
    s->hi.h.refcount_table_clusters = clusters;
    qcow2_free_clusters(bs, old_off, old_bytes);
    return 0;
}

static int grow_refcount_table(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t k, entries;
    uint64_t base = s->rt_entries << s->refblock_bits;

    int ret = grow_layout(s, &k, &entries);
    if (ret < 0 || ((base + k) << s->cluster_bits) >= QCOW2_MAX_HOST_OFFSET) {
        return -EFBIG;
    }
    uint64_t n = entries * 8 / s->cluster_size;
    ret = write_new_refblocks(bs, base, k, k + n);
    if (ret < 0) {
        return ret;
    }
    g_autofree uint64_t *table = g_try_malloc0(entries * 8);
    g_autofree uint8_t *disk = g_try_malloc0(entries * 8);
    if (!table || !disk) {
        return -ENOMEM;
    }
    memcpy(table, s->refcount_table, s->rt_entries * 8);
    for (uint64_t j = 0; j < k; j++) {
        table[s->rt_entries + j] = (base + j) << s->cluster_bits;
    }
    for (uint64_t i = 0; i < entries; i++) {
        be64_put(disk + i * 8, table[i]);
    }
    uint64_t table_off = (base + k) << s->cluster_bits;
    ret = qcow2_pwrite_meta(bs, 0, table_off, disk, entries * 8);
    if (ret == 0) {
        ret = qcow2_cache_flush(s->rb_cache);
    }
    if (ret == 0) {
        ret = switch_table(bs, table_off, entries, table);
    }
    if (ret == 0) {
        table = NULL; /* now s->refcount_table */
    }
    return ret;
}

/* A refcount block for group g, placed at cluster at (free, in g or in a covered group). */
static int place_refblock(BlockDriverState *bs, uint64_t g, uint64_t at)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = at << s->cluster_bits;
    uint8_t be[8];
    void *block;

    if ((at >> s->refblock_bits) == g) {
        return make_self_refblock(bs, at);
    }
    int ret = change_one(bs, at, 1, false, 0);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_check_overlap(bs, 0, off, s->cluster_size);
    if (ret == 0) {
        ret = qcow2_cache_get_empty(s->rb_cache, off, &block);
    }
    if (ret == 0) {
        qcow2_cache_mark_dirty(s->rb_cache, block);
        qcow2_cache_put(s->rb_cache, &block);
        s->refcount_table[g] = off;
        ret = qcow2_cache_flush(s->rb_cache);
    }
    if (ret == 0) {
        be64_put(be, off);
        ret = qcow2_pwrite_meta(bs, QCOW2_OL_RT, s->hi.h.refcount_table_offset + g * 8, be, 8);
    }
    if (ret < 0) {
        s->refcount_table[g] = 0;
        qcow2_cache_discard(s->rb_cache, off);
        change_one(bs, at, -1, false, 0);
    }
    return ret;
}

/* A run of n clusters with refcount 0 from the hint; uncovered clusters count as free. */
static int64_t scan_run(BlockDriverState *bs, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = s->free_cluster_hint;
    uint64_t limit = QCOW2_MAX_HOST_OFFSET >> s->cluster_bits;

    for (uint64_t i = start; i < limit; i++) {
        uint64_t g = i >> s->refblock_bits, rc = 0;
        if (g < s->rt_entries && s->refcount_table[g]) {
            int ret = qcow2_get_refcount(bs, i, &rc);
            if (ret < 0) {
                return ret;
            }
        }
        if (rc != 0) {
            start = i + 1;
        } else if (i + 1 - start == n) {
            return (int64_t)start;
        }
    }
    return -ENOSPC;
}

/* 1 if a refcount block had to be created for the run (the caller scans again), 0 if
 * every cluster of the run is covered. New blocks go to the run's first cluster, which
 * moves the run forward: each round covers one more group, so this ends. */
static int cover_run(BlockDriverState *bs, uint64_t start, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;

    for (uint64_t g = start >> s->refblock_bits; g <= (start + n - 1) >> s->refblock_bits; g++) {
        if (g >= s->rt_entries) {
            int ret = grow_refcount_table(bs);
            return ret < 0 ? ret : 1;
        }
        if (!s->refcount_table[g]) {
            int ret = place_refblock(bs, g, start);
            return ret < 0 ? ret : 1;
        }
    }
    return 0;
}

static int64_t find_free_run(BlockDriverState *bs, uint64_t n)
{
    for (int rounds = 0; rounds < (1 << 20); rounds++) {
        int64_t start = scan_run(bs, n);
        if (start < 0) {
            return start;
        }
        int ret = cover_run(bs, (uint64_t)start, n);
        if (ret <= 0) {
            return ret < 0 ? ret : start;
        }
    }
    return -ENOSPC;
}

int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;

    if (n == 0 || n > (1ULL << 30)) {
        return -EINVAL;
    }
    int64_t idx = find_free_run(bs, n);
    if (idx < 0) {
        return idx;
    }
    uint64_t off = (uint64_t)idx << s->cluster_bits;
    int ret = qcow2_update_refcount(bs, off, n << s->cluster_bits, 1);
    if (ret < 0) {
        return ret;
    }
    /* Gaps below are skipped until something is freed there (which lowers the hint). */
    s->free_cluster_hint = (uint64_t)idx + n;
    return (int64_t)off;
}

int qcow2_set_refcount(BlockDriverState *bs, uint64_t cluster_index, uint64_t value)
{
    BDRVQcow2State *s = bs->opaque;

    if (value > s->refcount_max) {
        return -ERANGE;
    }
    uint64_t rb;

    /* No allocation here: a repair must not place a new block on a cluster whose
     * refcount is wrong, so a missing block is left for a full rebuild. */
    int ret = refblock_offset(bs, cluster_index, &rb);
    if (ret < 0) {
        return ret;
    }
    if (rb == 0) {
        return -ENOTSUP;
    }
    return change_one(bs, cluster_index, 0, true, value);
}
