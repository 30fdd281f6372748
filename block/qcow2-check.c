/*
 * qcow2 consistency check and repair.
 *
 * The check rebuilds every cluster's reference count from the metadata (header, L1
 * tables active and in snapshots, L2 tables, data and compressed clusters, refcount
 * table and blocks, snapshot table) and compares it with the stored refcount. A stored
 * count above the real one is a leak (space wasted, data safe); below it is a
 * corruption (a later allocation could overwrite live data). Then the COPIED flags of
 * the active tables are compared with the refcounts. Repair sets the stored counts to
 * the rebuilt ones and fixes COPIED flags; it never allocates, so it cannot place new
 * metadata on a cluster whose count it has not fixed yet. Messages follow qemu-img's.
 */
#include "block/qcow2.h"

#include <errno.h>
#include <string.h>

typedef struct CheckState {
    BlockDriverState *bs;
    BDRVQcow2State *s;
    BlockCheckResult *res;
    guint32 *refs;        /* rebuilt reference count per host cluster */
    uint64_t nb_clusters; /* clusters in the image file */
    uint64_t last_data;   /* host offset of the previous data cluster (fragmentation) */
} CheckState;

static void inc_refs(CheckState *c, uint64_t offset, uint64_t len)
{
    if (len == 0) {
        return;
    }
    uint64_t first = offset >> c->s->cluster_bits;
    uint64_t last = (offset + len - 1) >> c->s->cluster_bits;
    for (uint64_t i = first; i <= last; i++) {
        if (i >= c->nb_clusters) {
            g_string_append_printf(
                c->res->log,
                "ERROR: cluster %" G_GUINT64_FORMAT " is beyond the end of the image file\n", i);
            c->res->corruptions++;
            return;
        }
        if (c->refs[i] < G_MAXUINT32) {
            c->refs[i]++;
        }
        c->res->image_end_offset = MAX(c->res->image_end_offset, (i + 1) << c->s->cluster_bits);
    }
}

static void check_l2_entry(CheckState *c, uint64_t e)
{
    BDRVQcow2State *s = c->s;

    if (e & QCOW2_OFLAG_COMPRESSED) {
        uint64_t coff = e & s->coffset_mask;
        uint64_t sectors = ((e >> s->csize_shift) & s->csize_mask) + 1;
        inc_refs(c, coff & ~511ULL, sectors * 512);
        c->res->allocated_clusters++;
        c->res->compressed_clusters++;
        return;
    }
    uint64_t host = e & QCOW2_L2E_OFFSET_MASK;
    if (!host) {
        return;
    }
    if (host % s->cluster_size) {
        g_string_append_printf(c->res->log,
                               "ERROR offset=%" G_GINT64_MODIFIER "x: Cluster is "
                               "not properly aligned; L2 entry corrupted.\n",
                               host);
        c->res->corruptions++;
        return;
    }
    if (!(e & QCOW2_OFLAG_ZERO) || s->extended_l2) {
        c->res->allocated_clusters++;
        if (c->last_data && host != c->last_data + s->cluster_size) {
            c->res->fragmented_clusters++;
        }
        c->last_data = host;
    }
    inc_refs(c, host, s->cluster_size);
}

static int check_l1(CheckState *c, const uint64_t *l1, uint32_t l1_size)
{
    BDRVQcow2State *s = c->s;
    g_autofree uint8_t *l2 = g_malloc(s->cluster_size);

    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_off = l1[i] & QCOW2_L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        if (l2_off % s->cluster_size) {
            g_string_append_printf(c->res->log,
                                   "ERROR l2_offset=%" G_GINT64_MODIFIER "x: Table "
                                   "is not cluster aligned; L1 entry corrupted\n",
                                   l2_off);
            c->res->corruptions++;
            continue;
        }
        inc_refs(c, l2_off, s->cluster_size);
        if (l2_off >= c->nb_clusters << s->cluster_bits) {
            continue; /* already reported: nothing to read there */
        }
        int ret = bdrv_pread(c->bs->file, l2_off, s->cluster_size, l2);
        if (ret < 0) {
            g_string_append(c->res->log, "ERROR: I/O error in check_refcounts_l2\n");
            c->res->check_errors++;
            continue;
        }
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            check_l2_entry(c, be64_at(l2 + j * s->l2_entry_size));
        }
    }
    return 0;
}

static int check_snapshots(CheckState *c)
{
    BDRVQcow2State *s = c->s;

    if (s->hi.h.nb_snapshots) {
        inc_refs(c, s->hi.h.snapshots_offset, s->snapshots_size);
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint64_t bytes = sn->l1_size * 8ULL;
        g_autofree uint64_t *l1 = g_malloc0(MAX(bytes, 8));
        inc_refs(c, sn->l1_table_offset, bytes);
        if (bytes && bdrv_pread(c->bs->file, sn->l1_table_offset, bytes, l1) < 0) {
            c->res->check_errors++;
            continue;
        }
        for (uint32_t j = 0; j < sn->l1_size; j++) {
            l1[j] = be64_at((uint8_t *)&l1[j]);
        }
        check_l1(c, l1, sn->l1_size);
    }
    return 0;
}

static void check_refcount_metadata(CheckState *c)
{
    BDRVQcow2State *s = c->s;

    inc_refs(c, s->hi.h.refcount_table_offset,
             (uint64_t)s->hi.h.refcount_table_clusters * s->cluster_size);
    for (uint64_t i = 0; i < s->rt_entries; i++) {
        uint64_t rb = s->refcount_table[i] & QCOW2_REFT_OFFSET_MASK;
        if (!rb) {
            continue;
        }
        if (rb % s->cluster_size) {
            g_string_append_printf(c->res->log,
                                   "ERROR refcount block %" G_GUINT64_FORMAT
                                   " is not cluster aligned; refcount table entry corrupted\n",
                                   i);
            c->res->corruptions++;
            continue;
        }
        inc_refs(c, rb, s->cluster_size);
    }
}

static void compare_one(CheckState *c, uint64_t i, int fix)
{
    uint64_t stored;

    if (qcow2_get_refcount(c->bs, i, &stored) < 0) {
        g_string_append_printf(c->res->log,
                               "Can't get refcount for cluster %" G_GUINT64_FORMAT "\n", i);
        c->res->check_errors++;
        return;
    }
    uint64_t real = c->refs[i];
    if (stored == real) {
        return;
    }
    bool leak = stored > real;
    bool do_fix = fix & (leak ? BDRV_FIX_LEAKS : BDRV_FIX_ERRORS);
    g_string_append_printf(c->res->log,
                           "%s cluster %" G_GUINT64_FORMAT " refcount=%" G_GUINT64_FORMAT
                           " reference=%" G_GUINT64_FORMAT "\n",
                           do_fix ? "Repairing"
                           : leak ? "Leaked"
                                  : "ERROR",
                           i, stored, real);
    if (do_fix && qcow2_set_refcount(c->bs, i, real) == 0) {
        *(leak ? &c->res->leaks_fixed : &c->res->corruptions_fixed) += 1;
    } else {
        *(leak ? &c->res->leaks : &c->res->corruptions) += 1;
    }
}

/* COPIED must be set exactly when the refcount is 1 (active tables only). */
static bool copied_ok(CheckState *c, uint64_t entry, uint64_t offset, const char *what, int fix)
{
    uint64_t rc;

    if (qcow2_get_refcount(c->bs, offset >> c->s->cluster_bits, &rc) < 0) {
        c->res->check_errors++;
        return true;
    }
    if (((entry & QCOW2_OFLAG_COPIED) != 0) == (rc == 1)) {
        return true;
    }
    g_string_append_printf(c->res->log,
                           "%s OFLAG_COPIED %s: entry=%" G_GINT64_MODIFIER
                           "x refcount=%" G_GUINT64_FORMAT "\n",
                           (fix & BDRV_FIX_ERRORS) ? "Repairing" : "ERROR", what, entry, rc);
    if (fix & BDRV_FIX_ERRORS) {
        c->res->corruptions_fixed++;
    } else {
        c->res->corruptions++;
    }
    return false;
}

static void check_copied_l2(CheckState *c, uint64_t l2_off, int fix)
{
    BDRVQcow2State *s = c->s;
    void *l2;

    if (qcow2_cache_get(s->l2_cache, l2_off, &l2) < 0) {
        c->res->check_errors++;
        return;
    }
    for (uint64_t j = 0; j < s->l2_entries; j++) {
        uint8_t *p = (uint8_t *)l2 + j * s->l2_entry_size;
        uint64_t e = be64_at(p);
        uint64_t host = e & QCOW2_L2E_OFFSET_MASK;
        if ((e & QCOW2_OFLAG_COMPRESSED) || !host || host % s->cluster_size ||
            host >= c->nb_clusters << s->cluster_bits) {
            continue;
        }
        if (!copied_ok(c, e, host, "data cluster", fix) && (fix & BDRV_FIX_ERRORS)) {
            be64_put(p, e ^ QCOW2_OFLAG_COPIED);
            qcow2_cache_mark_dirty(s->l2_cache, l2);
        }
    }
    qcow2_cache_put(s->l2_cache, &l2);
}

static void check_copied(CheckState *c, int fix)
{
    BDRVQcow2State *s = c->s;

    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_off = s->l1_table[i] & QCOW2_L1E_OFFSET_MASK;
        if (!l2_off || l2_off % s->cluster_size || l2_off >= c->nb_clusters << s->cluster_bits) {
            continue;
        }
        if (!copied_ok(c, s->l1_table[i], l2_off, "L2 cluster", fix) && (fix & BDRV_FIX_ERRORS)) {
            s->l1_table[i] ^= QCOW2_OFLAG_COPIED;
            if (qcow2_write_l1_entry(c->bs, i) < 0) {
                c->res->check_errors++;
            }
        }
        check_copied_l2(c, l2_off, fix);
    }
}

static void finish_repair(CheckState *c, int fix)
{
    BDRVQcow2State *s = c->s;

    if (qcow2_cache_flush(s->l2_cache) < 0 || qcow2_cache_flush(s->rb_cache) < 0) {
        c->res->check_errors++;
        return;
    }
    if ((fix & BDRV_FIX_ERRORS) && c->res->corruptions == 0 && s->corrupt) {
        s->corrupt = false;
        g_clear_pointer(&s->corrupt_reason, g_free);
        qcow2_update_incompat(c->bs, 0, QCOW2_INCOMPAT_CORRUPT);
    }
    if (c->res->corruptions || c->res->leaks) {
        s->marked_dirty = false; /* still inconsistent: leave the dirty bit as it is */
    }
}

int qcow2_check(BlockDriverState *bs, BlockCheckResult *res, int fix)
{
    BDRVQcow2State *s = bs->opaque;
    CheckState c = {.bs = bs, .s = s, .res = res};
    uint64_t file_size = bs->file->size;

    if (!bs->read_only &&
        (qcow2_cache_write(s->l2_cache) < 0 || qcow2_cache_write(s->rb_cache) < 0)) {
        res->check_errors++;
        return 0;
    }
    c.nb_clusters = (file_size + s->cluster_size - 1) >> s->cluster_bits;
    c.refs = g_try_new0(guint32, MAX(c.nb_clusters, 1));
    if (!c.refs) {
        res->check_errors++;
        return -ENOMEM;
    }
    inc_refs(&c, 0, s->cluster_size);
    inc_refs(&c, s->hi.h.l1_table_offset, s->l1_size * 8ULL);
    check_l1(&c, s->l1_table, s->l1_size);
    check_snapshots(&c);
    check_refcount_metadata(&c);
    for (uint64_t i = 0; i < c.nb_clusters; i++) {
        compare_one(&c, i, fix);
    }
    check_copied(&c, fix);
    res->total_clusters = (bs->size + s->cluster_size - 1) >> s->cluster_bits;
    if (fix) {
        finish_repair(&c, fix);
    }
    g_free(c.refs);
    return 0;
}
