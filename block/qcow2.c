/*
 * qcow2 format driver: open (header, tables, caches, dirty bit), close, flush,
 * info, resize and image creation. The data path is in qcow2-cluster.c, host cluster
 * management in qcow2-refcount.c, metadata caching in qcow2-cache.c, the consistency
 * check in qcow2-check.c and snapshots in qcow2-snapshot.c.
 *
 * A writable open of a v3 image sets the dirty bit before anything else is written and
 * a clean close clears it after every cache is on disk; an image that was left dirty
 * is repaired (refcounts rebuilt from the tables) on its next writable open. A created
 * image starts as a header, a refcount table and one refcount block; the L1 table is
 * then grown through the same allocation code every other metadata write uses.
 */
#include "block/qcow2.h"

#include <errno.h>
#include <string.h>

#define L2_CACHE_BYTES    (4u << 20)
#define CACHE_MAX_ENTRIES 256

static int qcow2_probe(const uint8_t *buf, size_t len)
{
    return len >= 8 && be32_at(buf) == QCOW2_MAGIC &&
                   (be32_at(buf + 4) == 2 || be32_at(buf + 4) == 3)
               ? 100
               : 0;
}

static void derive(BDRVQcow2State *s)
{
    const Qcow2Header *h = &s->hi.h;

    s->cluster_bits = h->cluster_bits;
    s->cluster_size = 1ULL << h->cluster_bits;
    s->extended_l2 = h->incompatible_features & QCOW2_INCOMPAT_EXTL2;
    s->l2_entry_size = s->extended_l2 ? 16 : 8;
    s->l2_bits = h->cluster_bits - (s->extended_l2 ? 4 : 3);
    s->l2_entries = 1ULL << s->l2_bits;
    s->l1_size = h->l1_size;
    s->refcount_order = h->refcount_order;
    s->refblock_bits = h->cluster_bits + 3 - h->refcount_order;
    s->refcount_max = h->refcount_order == 6 ? UINT64_MAX : (1ULL << (1u << h->refcount_order)) - 1;
    s->csize_shift = 62 - (h->cluster_bits - 8);
    s->csize_mask = (1ULL << (h->cluster_bits - 8)) - 1;
    s->coffset_mask = (1ULL << s->csize_shift) - 1;
    s->compression_type = h->compression_type;
}

static int read_header(BlockDriverState *bs, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t first[512];

    int ret = bdrv_pread(bs->file, 0, sizeof(first), first);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not read qcow2 header: %s",
                    g_strerror(-ret));
        return ret;
    }
    uint32_t bits = be32_at(first + 20);
    size_t len = bits >= QCOW2_MIN_CLUSTER_BITS && bits <= QCOW2_MAX_CLUSTER_BITS
                     ? (size_t)1 << bits
                     : sizeof(first);
    g_autofree uint8_t *buf = g_malloc(len);
    ret = bdrv_pread(bs->file, 0, len, buf);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not read qcow2 header: %s",
                    g_strerror(-ret));
        return ret;
    }
    uint64_t file_size = bs->file->size;
    if (bs->file->size < sizeof(first)) {
        len = MIN(len, (size_t)file_size); /* a truncated file must not parse as zeros */
    }
    return qcow2_parse_header(buf, len, file_size, &s->hi, errp);
}

static int read_l1(BlockDriverState *bs, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = s->l1_size * 8ULL;

    s->l1_table = g_malloc0(MAX(bytes, 8));
    int ret = bytes ? bdrv_pread(bs->file, s->hi.h.l1_table_offset, bytes, s->l1_table) : 0;
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not read L1 table: %s",
                    g_strerror(-ret));
        return ret;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1_table[i] = be64_at((uint8_t *)&s->l1_table[i]);
    }
    return 0;
}

static void make_caches(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int n = (int)MIN(CACHE_MAX_ENTRIES, MAX(16, L2_CACHE_BYTES / s->cluster_size));

    s->l2_cache = qcow2_cache_new(bs, n, s->cluster_size);
    s->rb_cache = qcow2_cache_new(bs, MAX(n / 4, 8), s->cluster_size);
    qcow2_cache_set_dependency(s->l2_cache, s->rb_cache);
    /* Lazy refcounts: refcount blocks wait for a flush; the dirty bit (set on open)
     * makes the next writable open rebuild them after a crash. */
    if (!bs->read_only && s->hi.h.version >= 3 &&
        (s->hi.h.compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS)) {
        qcow2_cache_set_dependency(s->l2_cache, NULL);
    }
    s->ccache = g_malloc(s->cluster_size);
}

static void qcow2_free_state(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    qcow2_cache_free(s->l2_cache);
    qcow2_cache_free(s->rb_cache);
    s->l2_cache = s->rb_cache = NULL;
    g_clear_pointer(&s->l1_table, g_free);
    g_clear_pointer(&s->refcount_table, g_free);
    g_clear_pointer(&s->ccache, g_free);
    g_clear_pointer(&s->corrupt_reason, g_free);
    qcow2_free_snapshots(s);
    qcow2_header_info_clear(&s->hi);
}

/* A writable open: clear unknown autoclear bits, repair a dirty image, set dirty. */
static int open_writable(BlockDriverState *bs, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Header *h = &s->hi.h;
    int ret = 0;

    if (h->autoclear_features & ~QCOW2_AUTOCLEAR_KNOWN) {
        h->autoclear_features &= QCOW2_AUTOCLEAR_KNOWN;
        ret = qcow2_write_header(bs);
    }
    if (ret == 0 && (h->incompatible_features & QCOW2_INCOMPAT_DIRTY) &&
        !(bs->open_flags & BDRV_O_NO_REPAIR)) {
        BlockCheckResult res = {.log = g_string_new(NULL)};
        ret = qcow2_check(bs, &res, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS);
        if (ret == 0 && res.corruptions) {
            ret = -EIO;
        }
        block_check_result_clear(&res);
    }
    if (ret == 0 && h->version >= 3 && !(h->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        ret = qcow2_update_incompat(bs, QCOW2_INCOMPAT_DIRTY, 0);
        s->marked_dirty = ret == 0;
    } else if (ret == 0 && h->version >= 3) {
        s->marked_dirty = true; /* opened with NO_REPAIR (check): close cleans it if asked */
    }
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not prepare '%s' for writing: %s",
                    bs->filename, g_strerror(-ret));
    }
    return ret;
}

static int qcow2_open(BlockDriverState *bs, const char *filename, int flags, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;

    int ret = read_header(bs, errp);
    if (ret < 0) {
        return ret;
    }
    derive(s);
    bs->size = s->hi.h.size;
    if ((s->hi.h.incompatible_features & QCOW2_INCOMPAT_CORRUPT) && !bs->read_only &&
        !(flags & BDRV_O_CHECK)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "qcow2: Image is corrupt; cannot be opened read/write");
        qcow2_free_state(bs);
        return -EACCES;
    }
    s->corrupt = s->hi.h.incompatible_features & QCOW2_INCOMPAT_CORRUPT;
    if (s->extended_l2 && !bs->read_only) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "qcow2: images with extended L2 entries can only be opened read-only");
        qcow2_free_state(bs);
        return -ENOTSUP;
    }
    ret = read_l1(bs, errp);
    if (ret == 0) {
        ret = qcow2_refcount_init(bs);
        if (ret < 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not read refcount table: %s",
                        g_strerror(-ret));
        }
    }
    if (ret == 0) {
        make_caches(bs);
        ret = qcow2_read_snapshots(bs, errp);
    }
    if (ret == 0) {
        bs->backing_file = g_strdup(s->hi.backing_file);
        bs->backing_format = g_strdup(s->hi.backing_format);
    }
    if (ret == 0 && !bs->read_only) {
        ret = open_writable(bs, errp);
    }
    if (ret < 0) {
        qcow2_free_state(bs);
    }
    return ret;
}

static int qcow2_flush(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    int ret = qcow2_cache_write(s->l2_cache);
    int ret2 = qcow2_cache_write(s->rb_cache);
    if (ret == 0) {
        ret = ret2;
    }
    return ret < 0 ? ret : bdrv_flush(bs->file);
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (!bs->read_only) {
        /* Only a fully written image loses its dirty bit (with cache=unsafe the flush is
         * a no-op, as the user asked). */
        int ret = qcow2_flush(bs);
        if (ret == 0 && s->marked_dirty && !s->corrupt) {
            qcow2_update_incompat(bs, 0, QCOW2_INCOMPAT_DIRTY);
        }
    }
    qcow2_free_state(bs);
}

static int qcow2_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BDRVQcow2State *s = bs->opaque;
    const Qcow2Header *h = &s->hi.h;

    bdi->cluster_size = (uint32_t)s->cluster_size;
    bdi->is_qcow2 = true;
    bdi->compat = h->version >= 3 ? "1.1" : "0.10";
    bdi->compression_type = s->compression_type == QCOW2_COMPRESSION_ZSTD ? "zstd" : "zlib";
    bdi->lazy_refcounts = h->compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS;
    bdi->corrupt = s->corrupt;
    bdi->extended_l2 = s->extended_l2;
    /* Our own dirty bit (set for this open) is not the image's state. */
    bdi->dirty = (h->incompatible_features & QCOW2_INCOMPAT_DIRTY) && !s->marked_dirty;
    bdi->refcount_bits = 1 << s->refcount_order;
    return 0;
}

static int qcow2_truncate(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t be[8];

    if (size < bs->size) {
        return -ENOTSUP;
    }
    if (s->corrupt) {
        return -EIO;
    }
    uint64_t clusters = (size + s->cluster_size - 1) >> s->cluster_bits;
    uint64_t l1 = (clusters + s->l2_entries - 1) >> s->l2_bits;
    int ret = qcow2_grow_l1(bs, l1);
    if (ret < 0) {
        return ret;
    }
    be64_put(be, size);
    ret = qcow2_pwrite_meta(bs, QCOW2_OL_HEADER, 24, be, 8);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret == 0) {
        s->hi.h.size = size;
        bs->size = size;
    }
    return ret;
}

static int qcow2_drv_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf)
{
    return qcow2_read(bs, offset, bytes, buf);
}

static int qcow2_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    return qcow2_zero_or_discard(bs, offset, bytes, true, true);
}

static int qcow2_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes, int flags)
{
    return qcow2_zero_or_discard(bs, offset, bytes, false, flags & BDRV_REQ_MAY_UNMAP);
}

static int64_t qcow2_allocated(BlockDriverState *bs)
{
    return bdrv_get_allocated_size(bs->file);
}

static int qcow2_change_backing(BlockDriverState *bs, const char *file, const char *fmt)
{
    BDRVQcow2State *s = bs->opaque;
    char *old_file = s->hi.backing_file, *old_fmt = s->hi.backing_format;

    s->hi.backing_file = file && *file ? g_strdup(file) : NULL;
    s->hi.backing_format = s->hi.backing_file && fmt ? g_strdup(fmt) : NULL;
    int ret = qcow2_write_header(bs);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) { /* the header on disk is unchanged or rewritten whole: keep ours */
        g_free(s->hi.backing_file);
        g_free(s->hi.backing_format);
        s->hi.backing_file = old_file;
        s->hi.backing_format = old_fmt;
        return ret;
    }
    g_free(old_file);
    g_free(old_fmt);
    return 0;
}

/* amend: compat=1.1 (upgrade from 0.10), lazy_refcounts=on|off (v3). */
static int qcow2_amend(BlockDriverState *bs, GHashTable *opts, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Header h = s->hi.h;
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, opts);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (!strcmp(k, "compat") && (!strcmp(v, "1.1") || !strcmp(v, "v3"))) {
            h.version = 3;
        } else if (!strcmp(k, "compat") && h.version == 2) {
            continue; /* already 0.10 */
        } else if (!strcmp(k, "lazy_refcounts") && (!strcmp(v, "on") || !strcmp(v, "off"))) {
            h.compatible_features = !strcmp(v, "on") ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0;
        } else {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "Changing '%s' to '%s' is not supported", (char *)k, (char *)v);
            return -ENOTSUP;
        }
    }
    if (h.version == 2 && h.compatible_features) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Lazy refcounts only supported with compatibility level 1.1 and above");
        return -EINVAL;
    }
    Qcow2Header old = s->hi.h;
    if (h.version == 3 && old.version == 2) {
        h.refcount_order = 4;
        h.incompatible_features = s->marked_dirty ? QCOW2_INCOMPAT_DIRTY : 0;
    }
    s->hi.h = h;
    int ret = qcow2_write_header(bs);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        s->hi.h = old;
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not write header: %s",
                    g_strerror(-ret));
    }
    return ret;
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .read = qcow2_drv_read,
    .write = qcow2_write,
    .flush = qcow2_flush,
    .discard = qcow2_discard,
    .write_zeroes = qcow2_write_zeroes,
    .truncate = qcow2_truncate,
    .get_allocated_size = qcow2_allocated,
    .block_status = qcow2_block_status,
    .get_info = qcow2_get_info,
    .check = qcow2_check,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_delete = qcow2_snapshot_delete,
    .snapshot_goto = qcow2_snapshot_goto,
    .snapshot_list = qcow2_snapshot_list,
    .snapshot_load_tmp = qcow2_snapshot_load_tmp,
    .make_empty = qcow2_make_empty,
    .change_backing_file = qcow2_change_backing,
    .amend = qcow2_amend,
};

/* ---- create ---- */

static int check_create_opts(const Qcow2CreateOpts *o, GError **errp)
{
    if (o->cluster_size < 512 || o->cluster_size > (2u << 20) ||
        (o->cluster_size & (o->cluster_size - 1))) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Cluster size must be a power of two between 512 and 2048k");
        return -EINVAL;
    }
    if (o->refcount_bits < 1 || o->refcount_bits > 64 ||
        (o->refcount_bits & (o->refcount_bits - 1))) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Refcount width must be a power of two and may not exceed 64 bits");
        return -EINVAL;
    }
    if (o->version == 2 && (o->refcount_bits != 16 || o->lazy_refcounts ||
                            o->compression_type != QCOW2_COMPRESSION_ZLIB)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "compat=0.10 supports only refcount_bits=16, zlib compression and no "
                    "lazy refcounts");
        return -EINVAL;
    }
    if (o->extended_l2) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Creating images with extended L2 entries is not supported");
        return -ENOTSUP;
    }
    if (o->backing_file && strlen(o->backing_file) > QCOW2_MAX_BACKING_NAME) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Backing file name too long");
        return -EINVAL;
    }
    return 0;
}

/* Header, refcount table at cluster 1, refcount block at cluster 2: an empty image. */
static int write_skeleton(BlockDriverState *file, const Qcow2CreateOpts *o, GError **errp)
{
    uint64_t cs = o->cluster_size;
    Qcow2HeaderInfo hi = {0};
    g_autofree uint8_t *buf = g_malloc0(3 * cs);

    hi.h.version = (uint32_t)o->version;
    hi.h.cluster_bits = (uint32_t)g_bit_nth_lsf(cs, -1);
    hi.h.refcount_table_offset = cs;
    hi.h.refcount_table_clusters = 1;
    hi.h.refcount_order = (uint32_t)g_bit_nth_lsf(o->refcount_bits, -1);
    hi.h.compatible_features = o->lazy_refcounts ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0;
    if (o->compression_type == QCOW2_COMPRESSION_ZSTD) {
        hi.h.incompatible_features |= QCOW2_INCOMPAT_COMPRESSION;
        hi.h.compression_type = QCOW2_COMPRESSION_ZSTD;
    }
    hi.backing_file = (char *)o->backing_file;
    hi.backing_format = (char *)o->backing_fmt;
    if (qcow2_build_header(&hi, cs, buf) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Header does not fit in one cluster (backing file name too long?)");
        return -ENOSPC;
    }
    be64_put(buf + cs, 2 * cs);
    BDRVQcow2State tmp = {.refcount_order = hi.h.refcount_order};
    for (int i = 0; i < 3; i++) {
        qcow2_refblock_set(&tmp, buf + 2 * cs, (uint64_t)i, 1);
    }
    int ret = bdrv_pwrite(file, 0, 3 * cs, buf, 0);
    if (ret == 0) {
        ret = bdrv_flush(file);
    }
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not write image: %s",
                    g_strerror(-ret));
    }
    return ret;
}

int qcow2_create(const char *filename, const Qcow2CreateOpts *opts, GError **errp)
{
    if (check_create_opts(opts, errp) < 0) {
        return -EINVAL;
    }
    g_autoptr(BlockDriverState) file =
        bdrv_open_protocol(&bdrv_file, filename, BDRV_O_RDWR | BDRV_O_CREATE, errp);
    if (!file) {
        return -EIO;
    }
    int ret = bdrv_truncate(file, 0);
    if (ret == 0) {
        ret = write_skeleton(file, opts, errp);
    } else {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not truncate '%s': %s", filename,
                    g_strerror(-ret));
    }
    if (ret < 0) {
        return ret;
    }
    g_autoptr(BlockDriverState) bs =
        bdrv_open_over(file, &bdrv_qcow2, filename, BDRV_O_RDWR | BDRV_O_NO_BACKING, errp);
    if (!bs) {
        return -EIO;
    }
    ret = bdrv_truncate(bs, opts->size);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not resize image: %s",
                    g_strerror(-ret));
    }
    return ret;
}
