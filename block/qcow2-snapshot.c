/*
 * qcow2 internal snapshots: the snapshot table (read, validate, write) and the
 * operations on it (create, apply, delete).
 *
 * Creating a snapshot copies the active L1 table and adds one reference to every L2
 * table and data cluster it reaches; afterwards the COPIED flags of the active tables
 * are cleared, so the next guest write to any of them copies first. Applying a snapshot
 * does the reverse for the current state and rebuilds COPIED from the refcounts.
 */
#include "block/qcow2.h"

#include <errno.h>
#include <string.h>

#define SNAPSHOT_FIXED     40
#define SNAPSHOT_MAX_EXTRA 1024
#define SNAPSHOT_TABLE_MAX (64u << 20)

void qcow2_free_snapshots(BDRVQcow2State *s)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        g_free(s->snapshots[i].id_str);
        g_free(s->snapshots[i].name);
        if (s->snapshots[i].extra_unknown) {
            g_byte_array_unref(s->snapshots[i].extra_unknown);
        }
    }
    g_clear_pointer(&s->snapshots, g_free);
    s->nb_snapshots = 0;
}

static void parse_extra(Qcow2Snapshot *sn, const uint8_t *extra, uint32_t len)
{
    if (len >= 8) {
        sn->vm_state_size = be64_at(extra);
    }
    if (len >= 16) {
        sn->disk_size = be64_at(extra + 8);
    }
    if (len >= 24) {
        sn->icount = be64_at(extra + 16);
    }
    if (len > 24) {
        sn->extra_unknown = g_byte_array_new();
        g_byte_array_append(sn->extra_unknown, extra + 24, len - 24);
    }
}

static int read_one(BlockDriverState *bs, uint64_t *off, Qcow2Snapshot *sn, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t h[SNAPSHOT_FIXED];

    int ret = bdrv_pread(bs->file, *off, sizeof(h), h);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not read snapshot table");
        return ret;
    }
    sn->l1_table_offset = be64_at(h);
    sn->l1_size = be32_at(h + 8);
    uint16_t id_len = be16_at(h + 12), name_len = be16_at(h + 14);
    sn->date_sec = be32_at(h + 16);
    sn->date_nsec = be32_at(h + 20);
    sn->vm_clock_nsec = be64_at(h + 24);
    sn->vm_state_size = be32_at(h + 32);
    uint32_t extra_len = be32_at(h + 36);
    if (extra_len > SNAPSHOT_MAX_EXTRA || sn->l1_table_offset % s->cluster_size ||
        (uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
        sn->l1_table_offset >= QCOW2_MAX_HOST_OFFSET) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Snapshot table entry is invalid");
        return -EINVAL;
    }
    uint64_t var = (uint64_t)extra_len + id_len + name_len;
    g_autofree uint8_t *v = g_malloc(var + 1);
    ret = bdrv_pread(bs->file, *off + SNAPSHOT_FIXED, var, v);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not read snapshot table");
        return ret;
    }
    sn->disk_size = bs->size;
    sn->icount = UINT64_MAX;
    parse_extra(sn, v, extra_len);
    sn->id_str = g_strndup((char *)v + extra_len, id_len);
    sn->name = g_strndup((char *)v + extra_len + id_len, name_len);
    *off += (SNAPSHOT_FIXED + var + 7) & ~7ULL;
    return 0;
}

int qcow2_read_snapshots(BlockDriverState *bs, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = s->hi.h.snapshots_offset;
    uint32_t n = s->hi.h.nb_snapshots;

    s->snapshots = g_new0(Qcow2Snapshot, MAX(n, 1));
    for (uint32_t i = 0; i < n; i++) {
        s->nb_snapshots = i + 1;
        int ret = read_one(bs, &off, &s->snapshots[i], errp);
        if (ret < 0) {
            return ret;
        }
        if (off - s->hi.h.snapshots_offset > SNAPSHOT_TABLE_MAX) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Snapshot table is too large");
            return -EFBIG;
        }
    }
    s->snapshots_size = off - s->hi.h.snapshots_offset;
    return 0;
}

/* ---- writing the table ---- */

static GByteArray *serialize(BDRVQcow2State *s)
{
    GByteArray *t = g_byte_array_new();

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint32_t unk = sn->extra_unknown ? sn->extra_unknown->len : 0;
        size_t id_len = strlen(sn->id_str), name_len = strlen(sn->name);
        size_t len = SNAPSHOT_FIXED + 24 + unk + id_len + name_len;
        size_t padded = (len + 7) & ~(size_t)7;
        guint at = t->len;
        g_byte_array_set_size(t, at + padded);
        uint8_t *p = t->data + at;
        memset(p, 0, padded);
        be64_put(p, sn->l1_table_offset);
        be32_put(p + 8, sn->l1_size);
        be16_put(p + 12, (uint16_t)id_len);
        be16_put(p + 14, (uint16_t)name_len);
        be32_put(p + 16, sn->date_sec);
        be32_put(p + 20, sn->date_nsec);
        be64_put(p + 24, sn->vm_clock_nsec);
        be32_put(p + 32, (uint32_t)MIN(sn->vm_state_size, UINT32_MAX));
        be32_put(p + 36, 24 + unk);
        be64_put(p + 40, sn->vm_state_size);
        be64_put(p + 48, sn->disk_size);
        be64_put(p + 56, sn->icount);
        if (unk) {
            memcpy(p + 64, sn->extra_unknown->data, unk);
        }
        memcpy(p + 64 + unk, sn->id_str, id_len);
        memcpy(p + 64 + unk + id_len, sn->name, name_len);
    }
    return t;
}

/* Write the table to new clusters, switch the header to it, free the old one. */
static int write_table(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GByteArray) t = serialize(s);
    int64_t off = 0;
    uint8_t hdr[12];

    if (t->len > SNAPSHOT_TABLE_MAX) {
        return -EFBIG;
    }
    if (t->len) {
        off = qcow2_alloc_clusters(bs, (t->len + s->cluster_size - 1) >> s->cluster_bits);
        if (off < 0) {
            return (int)off;
        }
    }
    int ret = qcow2_cache_flush(s->rb_cache);
    if (ret == 0 && t->len) {
        ret = qcow2_pwrite_meta(bs, 0, (uint64_t)off, t->data, t->len);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    be32_put(hdr, s->nb_snapshots);
    be64_put(hdr + 4, (uint64_t)off);
    if (ret == 0) {
        ret = qcow2_pwrite_meta(bs, QCOW2_OL_HEADER, 60, hdr, sizeof(hdr));
    }
    if (ret < 0) {
        if (off > 0) {
            qcow2_free_clusters(bs, (uint64_t)off, t->len);
        }
        return ret;
    }
    uint64_t old_off = s->hi.h.snapshots_offset, old_size = s->snapshots_size;
    s->hi.h.nb_snapshots = s->nb_snapshots;
    s->hi.h.snapshots_offset = (uint64_t)off;
    s->snapshots_size = t->len;
    if (old_off && old_size) {
        qcow2_free_clusters(bs, old_off, old_size);
    }
    return bdrv_flush(bs->file);
}

/* ---- reference walks ---- */

static int ref_entry(BlockDriverState *bs, uint64_t e, int delta)
{
    BDRVQcow2State *s = bs->opaque;

    if (e & QCOW2_OFLAG_COMPRESSED) {
        uint64_t coff = e & s->coffset_mask;
        uint64_t sectors = ((e >> s->csize_shift) & s->csize_mask) + 1;
        return qcow2_update_refcount(bs, coff & ~511ULL, sectors * 512, delta);
    }
    uint64_t host = e & QCOW2_L2E_OFFSET_MASK;
    return host ? qcow2_update_refcount(bs, host, s->cluster_size, delta) : 0;
}

/* Add delta to the refcount of every L2 table and data cluster reachable from l1. */
static int walk_refs(BlockDriverState *bs, const uint64_t *l1, uint32_t l1_size, int delta)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *l2 = g_malloc(s->cluster_size);

    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_off = l1[i] & QCOW2_L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        void *t;
        int ret = qcow2_cache_get(s->l2_cache, l2_off, &t);
        if (ret < 0) {
            return ret;
        }
        memcpy(l2, t, s->cluster_size);
        qcow2_cache_put(s->l2_cache, &t);
        for (uint64_t j = 0; j < s->l2_entries; j++) {
            ret = ref_entry(bs, be64_at(l2 + j * s->l2_entry_size), delta);
            if (ret < 0) {
                return ret;
            }
        }
        ret = qcow2_update_refcount(bs, l2_off, s->cluster_size, delta);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static uint64_t with_copied(uint64_t e, bool copied)
{
    return copied ? e | QCOW2_OFLAG_COPIED : e & ~QCOW2_OFLAG_COPIED;
}

static int fix_l2_copied(BlockDriverState *bs, uint64_t l2_off)
{
    BDRVQcow2State *s = bs->opaque;
    void *t;
    uint64_t rc;

    int ret = qcow2_cache_get(s->l2_cache, l2_off, &t);
    for (uint64_t j = 0; ret == 0 && j < s->l2_entries; j++) {
        uint8_t *p = (uint8_t *)t + j * s->l2_entry_size;
        uint64_t e = be64_at(p), host = e & QCOW2_L2E_OFFSET_MASK;
        if (!host || (e & QCOW2_OFLAG_COMPRESSED)) {
            continue;
        }
        ret = qcow2_get_refcount(bs, host >> s->cluster_bits, &rc);
        if (ret == 0 && with_copied(e, rc == 1) != e) {
            be64_put(p, with_copied(e, rc == 1));
            qcow2_cache_mark_dirty(s->l2_cache, t);
        }
    }
    qcow2_cache_put(s->l2_cache, &t);
    return ret;
}

/* Make COPIED in the active L1 and L2 tables match the refcounts. */
static int fix_copied(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rc;

    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_off = s->l1_table[i] & QCOW2_L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        int ret = qcow2_get_refcount(bs, l2_off >> s->cluster_bits, &rc);
        if (ret == 0 && with_copied(s->l1_table[i], rc == 1) != s->l1_table[i]) {
            s->l1_table[i] = with_copied(s->l1_table[i], rc == 1);
            ret = qcow2_write_l1_entry(bs, i);
        }
        if (ret == 0) {
            ret = fix_l2_copied(bs, l2_off);
        }
        if (ret < 0) {
            return ret;
        }
    }
    return qcow2_cache_flush(s->l2_cache);
}

static int read_l1_copy(BlockDriverState *bs, const Qcow2Snapshot *sn, uint64_t **ret)
{
    uint64_t bytes = sn->l1_size * 8ULL;
    uint64_t *l1 = g_malloc0(MAX(bytes, 8));

    int r = bytes ? bdrv_pread(bs->file, sn->l1_table_offset, bytes, l1) : 0;
    if (r < 0) {
        g_free(l1);
        return r;
    }
    for (uint32_t i = 0; i < sn->l1_size; i++) {
        l1[i] = be64_at((uint8_t *)&l1[i]);
    }
    *ret = l1;
    return 0;
}

/* ---- operations ---- */

int qcow2_find_snapshot(BDRVQcow2State *s, const char *name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].id_str, name)) {
            return (int)i;
        }
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].name, name)) {
            return (int)i;
        }
    }
    return -ENOENT;
}

static char *next_id(BDRVQcow2State *s)
{
    uint64_t max = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        max = MAX(max, g_ascii_strtoull(s->snapshots[i].id_str, NULL, 10));
    }
    return g_strdup_printf("%" G_GUINT64_FORMAT, max + 1);
}

static int copy_active_l1(BlockDriverState *bs, uint64_t *ret_off)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = s->l1_size * 8ULL;
    g_autofree uint8_t *disk = g_malloc0(MAX(bytes, 8));

    *ret_off = 0;
    if (!bytes) {
        return 0;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        be64_put(disk + i * 8, s->l1_table[i]);
    }
    int64_t off = qcow2_alloc_clusters(bs, (bytes + s->cluster_size - 1) >> s->cluster_bits);
    if (off < 0) {
        return (int)off;
    }
    int ret = qcow2_pwrite_meta(bs, 0, (uint64_t)off, disk, bytes);
    if (ret < 0) {
        qcow2_free_clusters(bs, (uint64_t)off, bytes);
        return ret;
    }
    *ret_off = (uint64_t)off;
    return 0;
}

int qcow2_snapshot_create(BlockDriverState *bs, const char *name)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_off;

    if (qcow2_find_snapshot(s, name) >= 0) {
        return -EEXIST;
    }
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS || strlen(name) > 65535) {
        return -EFBIG;
    }
    int ret = qcow2_cache_write(s->l2_cache);
    if (ret == 0) {
        ret = copy_active_l1(bs, &l1_off);
    }
    if (ret == 0) {
        ret = walk_refs(bs, s->l1_table, s->l1_size, 1);
        if (ret < 0) {
            qcow2_free_clusters(bs, l1_off, s->l1_size * 8ULL);
        }
    }
    if (ret < 0) {
        return ret;
    }
    gint64 now = g_get_real_time();
    char *id = next_id(s);
    s->snapshots = g_renew(Qcow2Snapshot, s->snapshots, s->nb_snapshots + 1);
    s->snapshots[s->nb_snapshots++] = (Qcow2Snapshot){
        .l1_table_offset = l1_off,
        .l1_size = s->l1_size,
        .id_str = id,
        .name = g_strdup(name),
        .date_sec = (uint32_t)(now / G_USEC_PER_SEC),
        .date_nsec = (uint32_t)(now % G_USEC_PER_SEC * 1000),
        .disk_size = bs->size,
        .icount = UINT64_MAX,
    };
    ret = qcow2_cache_flush(s->rb_cache);
    if (ret == 0) {
        ret = write_table(bs);
    }
    /* Refcounts are 2 now: every later guest write to these clusters copies first. */
    return ret < 0 ? ret : fix_copied(bs);
}

static void drop_snapshot(BDRVQcow2State *s, uint32_t i)
{
    g_free(s->snapshots[i].id_str);
    g_free(s->snapshots[i].name);
    if (s->snapshots[i].extra_unknown) {
        g_byte_array_unref(s->snapshots[i].extra_unknown);
    }
    memmove(&s->snapshots[i], &s->snapshots[i + 1],
            (s->nb_snapshots - i - 1) * sizeof(Qcow2Snapshot));
    s->nb_snapshots--;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *name)
{
    BDRVQcow2State *s = bs->opaque;
    int i = qcow2_find_snapshot(s, name);
    uint64_t *l1 = NULL;

    if (i < 0) {
        return i;
    }
    Qcow2Snapshot sn = s->snapshots[i];
    int ret = read_l1_copy(bs, &sn, &l1);
    if (ret < 0) {
        return ret;
    }
    sn.id_str = NULL;
    sn.name = NULL;
    sn.extra_unknown = NULL;
    drop_snapshot(s, (uint32_t)i);
    ret = write_table(bs); /* the snapshot is gone; what follows only frees */
    if (ret == 0) {
        ret = walk_refs(bs, l1, sn.l1_size, -1);
    }
    if (ret == 0 && sn.l1_size) {
        qcow2_free_clusters(bs, sn.l1_table_offset, sn.l1_size * 8ULL);
    }
    g_free(l1);
    return ret < 0 ? ret : fix_copied(bs);
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *name)
{
    BDRVQcow2State *s = bs->opaque;
    int i = qcow2_find_snapshot(s, name);
    uint64_t *l1 = NULL;

    if (i < 0) {
        return i;
    }
    Qcow2Snapshot *sn = &s->snapshots[i];
    int ret = qcow2_cache_write(s->l2_cache);
    if (ret == 0) {
        ret = qcow2_grow_l1(bs, sn->l1_size);
    }
    if (ret == 0) {
        ret = read_l1_copy(bs, sn, &l1);
    }
    if (ret == 0) {
        ret = walk_refs(bs, l1, sn->l1_size, 1);
    }
    if (ret == 0) {
        ret = qcow2_cache_flush(s->rb_cache);
    }
    if (ret < 0) {
        g_free(l1);
        return ret;
    }
    g_autofree uint64_t *old = g_memdup2(s->l1_table, s->l1_size * 8ULL);
    uint32_t old_size = s->l1_size;
    memset(s->l1_table, 0, s->l1_size * 8ULL);
    memcpy(s->l1_table, l1, sn->l1_size * 8ULL);
    g_free(l1);
    for (uint32_t j = 0; ret == 0 && j < s->l1_size; j++) {
        ret = qcow2_write_l1_entry(bs, j);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        memcpy(s->l1_table, old, old_size * 8ULL); /* the old state is still referenced */
        return ret;
    }
    qcow2_cache_drop_all(s->l2_cache);
    ret = walk_refs(bs, old, old_size, -1);
    if (ret == 0 && sn->disk_size && sn->disk_size != bs->size) {
        uint8_t be[8];
        be64_put(be, sn->disk_size);
        ret = qcow2_pwrite_meta(bs, QCOW2_OL_HEADER, 24, be, 8);
        if (ret == 0) {
            s->hi.h.size = bs->size = sn->disk_size;
        }
    }
    return ret < 0 ? ret : fix_copied(bs);
}

GArray *qcow2_snapshot_list(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(BlockSnapshotInfo));

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        BlockSnapshotInfo info = {
            .id = g_strdup(sn->id_str),
            .name = g_strdup(sn->name),
            .vm_state_size = sn->vm_state_size,
            .date_sec = sn->date_sec,
            .date_nsec = sn->date_nsec,
            .vm_clock_nsec = sn->vm_clock_nsec,
            .icount = sn->icount,
        };
        g_array_append_val(list, info);
    }
    return list;
}

/* Show a snapshot read-only: its L1 table replaces the active one in memory only. */
int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *name)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t *l1 = NULL;
    int i = qcow2_find_snapshot(s, name);

    if (i < 0) {
        return i;
    }
    Qcow2Snapshot *sn = &s->snapshots[i];
    uint64_t clusters = (sn->disk_size + s->cluster_size - 1) >> s->cluster_bits;
    uint64_t needed = (clusters + s->l2_entries - 1) >> s->l2_bits;
    if (sn->l1_size < needed) {
        return -EINVAL; /* a table too small for its own disk size */
    }
    int ret = read_l1_copy(bs, sn, &l1);
    if (ret < 0) {
        return ret;
    }
    g_free(s->l1_table);
    s->l1_table = l1;
    s->l1_size = sn->l1_size;
    s->hi.h.l1_table_offset = sn->l1_table_offset;
    bs->size = sn->disk_size;
    qcow2_cache_drop_all(s->l2_cache);
    return 0;
}

/* Unmap every guest cluster (commit empties the top image this way). */
int qcow2_make_empty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *old = g_memdup2(s->l1_table, s->l1_size * 8ULL);

    if (s->nb_snapshots) {
        return -ENOTSUP; /* the tables are shared: leave them to snapshot deletion */
    }
    int ret = qcow2_cache_write(s->l2_cache);
    for (uint32_t i = 0; ret == 0 && i < s->l1_size; i++) {
        s->l1_table[i] = 0;
        ret = qcow2_write_l1_entry(bs, i);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        memcpy(s->l1_table, old, s->l1_size * 8ULL);
        return ret;
    }
    qcow2_cache_drop_all(s->l2_cache);
    /* The L1 on disk no longer points to them: freeing can only leak on failure. */
    return walk_refs(bs, old, s->l1_size, -1);
}
