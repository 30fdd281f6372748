/*
 * qcow2 guest cluster mapping: reading and writing guest data through the L1/L2
 * tables, allocation on write with copy-on-write, zero clusters, discard, compressed
 * clusters and block status.
 *
 * A request is cut into slices that each stay inside one L2 table. Within a slice,
 * runs of clusters that are already allocated and owned (COPIED) are written in place
 * with one pwrite; runs that need new clusters get one contiguous allocation, their
 * partial edges are filled from the old content (backing file, zero, compressed or
 * shared cluster), the data goes to disk, and only then do the L2 entries change (in
 * the cache, which writes refcounts first). Clusters that lose their last reference
 * are freed only after the L2 tables that dropped them are written, so a crash never
 * leaves an L2 entry pointing at a free cluster.
 */
#include "block/qcow2.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

typedef enum {
    QC_UNALLOCATED,
    QC_ZERO,
    QC_NORMAL,
    QC_COMPRESSED,
} Qcow2ClusterType;

static uint64_t l2_get(BDRVQcow2State *s, const uint8_t *l2, uint64_t i)
{
    return be64_at(l2 + i * s->l2_entry_size);
}

static uint64_t l2_bitmap(BDRVQcow2State *s, const uint8_t *l2, uint64_t i)
{
    return s->extended_l2 ? be64_at(l2 + i * 16 + 8) : 0;
}

static void l2_set(BDRVQcow2State *s, uint8_t *l2, uint64_t i, uint64_t v)
{
    be64_put(l2 + i * s->l2_entry_size, v);
}

/* Type of the (sub)cluster holding in-cluster offset off, for entry e and bitmap bm. */
static Qcow2ClusterType classify(BDRVQcow2State *s, uint64_t e, uint64_t bm, uint64_t off)
{
    if (e & QCOW2_OFLAG_COMPRESSED) {
        return QC_COMPRESSED;
    }
    if (s->extended_l2) {
        unsigned sc = (unsigned)(off / (s->cluster_size / 32));
        if (bm & (1ULL << sc)) {
            return QC_NORMAL;
        }
        return (bm & (1ULL << (32 + sc))) ? QC_ZERO : QC_UNALLOCATED;
    }
    if (e & QCOW2_OFLAG_ZERO) {
        return QC_ZERO;
    }
    return (e & QCOW2_L2E_OFFSET_MASK) ? QC_NORMAL : QC_UNALLOCATED;
}

/* Bytes from in-cluster offset off that share one classification. */
static uint64_t unit_left(BDRVQcow2State *s, uint64_t off)
{
    uint64_t unit = s->extended_l2 ? s->cluster_size / 32 : s->cluster_size;
    return unit - off % unit;
}

/* The L2 table for guest offset, or *ret_l2 = NULL when not allocated. */
static int get_l2(BlockDriverState *bs, uint64_t offset, void **ret_l2)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);

    *ret_l2 = NULL;
    if (l1_index >= s->l1_size) {
        return 0;
    }
    uint64_t l2_off = s->l1_table[l1_index] & QCOW2_L1E_OFFSET_MASK;
    if (l2_off == 0) {
        return 0;
    }
    if (l2_off % s->cluster_size) {
        qcow2_mark_corrupt(bs, "L2 table offset 0x%" G_GINT64_MODIFIER "x unaligned", l2_off);
        return -EIO;
    }
    return qcow2_cache_get(s->l2_cache, l2_off, ret_l2);
}

static uint64_t l2_index(BDRVQcow2State *s, uint64_t offset)
{
    return (offset >> s->cluster_bits) & (s->l2_entries - 1);
}

/* ---- compression ---- */

int qcow2_decompress(BDRVQcow2State *s, const uint8_t *src, size_t src_len, uint8_t *dst)
{
    if (s->compression_type == QCOW2_COMPRESSION_ZSTD) {
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        ZSTD_inBuffer in = {src, src_len, 0};
        ZSTD_outBuffer out = {dst, s->cluster_size, 0};
        size_t r = 1;
        while (out.pos < out.size && in.pos < in.size && r != 0) {
            r = ZSTD_decompressStream(dctx, &out, &in);
            if (ZSTD_isError(r)) {
                break;
            }
        }
        ZSTD_freeDCtx(dctx);
        return out.pos == out.size ? 0 : -EIO;
    }
    z_stream z = {0};
    if (inflateInit2(&z, -12) != Z_OK) {
        return -ENOMEM;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)src_len;
    z.next_out = dst;
    z.avail_out = (uInt)s->cluster_size;
    int r = inflate(&z, Z_FINISH);
    int ret = (r == Z_STREAM_END || r == Z_BUF_ERROR || r == Z_OK) && z.avail_out == 0 ? 0 : -EIO;
    inflateEnd(&z);
    return ret;
}

int64_t qcow2_compress(BDRVQcow2State *s, const uint8_t *src, uint8_t *dst, size_t dst_len)
{
    if (s->compression_type == QCOW2_COMPRESSION_ZSTD) {
        size_t r = ZSTD_compress(dst, dst_len, src, s->cluster_size, 1);
        return ZSTD_isError(r) ? -ENOSPC : (int64_t)r;
    }
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        return -ENOMEM;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)s->cluster_size;
    z.next_out = dst;
    z.avail_out = (uInt)dst_len;
    int r = deflate(&z, Z_FINISH);
    int64_t ret = r == Z_STREAM_END ? (int64_t)(dst_len - z.avail_out) : -ENOSPC;
    deflateEnd(&z);
    return ret;
}

static void compressed_range(BDRVQcow2State *s, uint64_t e, uint64_t *ret_off, uint64_t *ret_len)
{
    uint64_t coff = e & s->coffset_mask;
    uint64_t sectors = ((e >> s->csize_shift) & s->csize_mask) + 1;
    *ret_off = coff;
    *ret_len = sectors * 512 - (coff & 511);
}

static int read_compressed(BlockDriverState *bs, uint64_t e, uint8_t *cluster)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t coff, clen;

    compressed_range(s, e, &coff, &clen);
    if (coff >= QCOW2_MAX_HOST_OFFSET || clen > 2 * s->cluster_size) {
        return -EIO;
    }
    g_autofree uint8_t *src = g_malloc(clen);
    int ret = bdrv_pread(bs->file, coff, clen, src);
    if (ret < 0) {
        return ret;
    }
    return qcow2_decompress(s, src, clen, cluster);
}

/* ---- read ---- */

static int read_backing(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint8_t *buf)
{
    uint64_t have = 0;

    if (bs->backing && offset < bs->backing->size) {
        have = MIN(bytes, bs->backing->size - offset);
        int ret = bdrv_pread(bs->backing, offset, have, buf);
        if (ret < 0) {
            return ret;
        }
    }
    memset(buf + have, 0, bytes - have);
    return 0;
}

static int read_unit(BlockDriverState *bs, Qcow2ClusterType t, uint64_t e, uint64_t offset,
                     uint64_t n, uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t in = offset & (s->cluster_size - 1);

    switch (t) {
    case QC_UNALLOCATED:
        return read_backing(bs, offset, n, buf);
    case QC_ZERO:
        memset(buf, 0, n);
        return 0;
    case QC_NORMAL: {
        uint64_t host = e & QCOW2_L2E_OFFSET_MASK;
        if (host % s->cluster_size) {
            qcow2_mark_corrupt(bs, "data cluster offset 0x%" G_GINT64_MODIFIER "x unaligned", host);
            return -EIO;
        }
        return bdrv_pread(bs->file, host + in, n, buf);
    }
    case QC_COMPRESSED: {
        g_autofree uint8_t *c = g_malloc(s->cluster_size);
        int ret = read_compressed(bs, e, c);
        if (ret == 0) {
            memcpy(buf, c + in, n);
        }
        return ret;
    }
    }
    return -EIO;
}

/* Read [offset, offset + bytes) inside one L2 table. */
static int read_slice(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    void *l2;

    int ret = get_l2(bs, offset, &l2);
    if (ret < 0) {
        return ret;
    }
    while (bytes > 0 && ret == 0) {
        uint64_t in = offset & (s->cluster_size - 1);
        uint64_t e = l2 ? l2_get(s, l2, l2_index(s, offset)) : 0;
        uint64_t bm = l2 ? l2_bitmap(s, l2, l2_index(s, offset)) : 0;
        Qcow2ClusterType t = classify(s, e, bm, in);
        uint64_t n = MIN(bytes, unit_left(s, in));
        /* Merge following clusters that continue the same host run. */
        while (t == QC_NORMAL && !s->extended_l2 && n < bytes && l2 &&
               l2_index(s, offset + n) != 0) {
            uint64_t e2 = l2_get(s, l2, l2_index(s, offset + n));
            if (classify(s, e2, 0, 0) != QC_NORMAL ||
                (e2 & QCOW2_L2E_OFFSET_MASK) != (e & QCOW2_L2E_OFFSET_MASK) + in + n) {
                break;
            }
            n += MIN(bytes - n, s->cluster_size);
        }
        ret = read_unit(bs, t, e, offset, n, buf);
        offset += n;
        bytes -= n;
        buf += n;
    }
    if (l2) {
        qcow2_cache_put(s->l2_cache, &l2);
    }
    return ret;
}

static uint64_t slice_len(BDRVQcow2State *s, uint64_t offset, uint64_t bytes)
{
    uint64_t span = s->cluster_size << s->l2_bits;
    return MIN(bytes, span - offset % span);
}

int qcow2_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *p = buf;

    while (bytes > 0) {
        uint64_t n = slice_len(s, offset, bytes);
        int ret = read_slice(bs, offset, n, p);
        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
        p += n;
    }
    return 0;
}

/* ---- L1 and L2 allocation ---- */

int qcow2_write_l1_entry(BlockDriverState *bs, uint32_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t be[8];

    be64_put(be, s->l1_table[index]);
    return qcow2_pwrite_meta(bs, QCOW2_OL_L1, s->hi.h.l1_table_offset + index * 8ULL, be, 8);
}

int qcow2_grow_l1(BlockDriverState *bs, uint64_t min_size)
{
    BDRVQcow2State *s = bs->opaque;

    if (min_size <= s->l1_size) {
        return 0;
    }
    if (min_size * 8 > QCOW2_MAX_L1_BYTES) {
        return -EFBIG;
    }
    uint64_t bytes = (min_size * 8 + s->cluster_size - 1) & ~(s->cluster_size - 1);
    g_autofree uint8_t *disk = g_malloc0(bytes);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        be64_put(disk + i * 8, s->l1_table[i]);
    }
    int64_t new_off = qcow2_alloc_clusters(bs, bytes >> s->cluster_bits);
    if (new_off < 0) {
        return (int)new_off;
    }
    int ret = qcow2_cache_flush(s->rb_cache);
    if (ret == 0) {
        ret = qcow2_pwrite_meta(bs, 0, (uint64_t)new_off, disk, bytes);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    uint8_t hdr[12];
    be32_put(hdr, (uint32_t)min_size);
    be64_put(hdr + 4, (uint64_t)new_off);
    if (ret == 0) {
        ret = qcow2_pwrite_meta(bs, QCOW2_OL_HEADER, 36, hdr, sizeof(hdr));
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, (uint64_t)new_off, bytes);
        return ret;
    }
    uint64_t old_off = s->hi.h.l1_table_offset;
    uint64_t old_bytes = s->l1_size * 8ULL;
    s->l1_table = g_realloc(s->l1_table, bytes);
    memset(s->l1_table + s->l1_size, 0, bytes - s->l1_size * 8ULL);
    s->l1_size = (uint32_t)min_size;
    s->hi.h.l1_size = s->l1_size;
    s->hi.h.l1_table_offset = (uint64_t)new_off;
    qcow2_free_clusters(bs, old_off, old_bytes);
    return 0;
}

/* The L2 table for offset, allocated (or copied, if shared with a snapshot) if needed. */
static int get_l2_for_write(BlockDriverState *bs, uint64_t offset, void **ret_l2)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);
    void *old = NULL, *l2;

    if (l1_index >= s->l1_size) {
        return -EIO;
    }
    uint64_t l1e = s->l1_table[l1_index];
    uint64_t old_off = l1e & QCOW2_L1E_OFFSET_MASK;
    if (old_off && (l1e & QCOW2_OFLAG_COPIED)) {
        return get_l2(bs, offset, ret_l2);
    }
    int64_t new_off = qcow2_alloc_clusters(bs, 1);
    if (new_off < 0) {
        return (int)new_off;
    }
    int ret = old_off ? get_l2(bs, offset, &old) : 0;
    if (ret == 0) {
        ret = qcow2_cache_get_empty(s->l2_cache, (uint64_t)new_off, &l2);
    }
    if (ret < 0) {
        qcow2_cache_put(s->l2_cache, &old);
        qcow2_free_clusters(bs, (uint64_t)new_off, s->cluster_size);
        return ret;
    }
    if (old) {
        memcpy(l2, old, s->cluster_size);
        qcow2_cache_put(s->l2_cache, &old);
    }
    qcow2_cache_mark_dirty(s->l2_cache, l2);
    /* The table (and the refcounts it relies on) reach the disk before L1 points to it. */
    ret = qcow2_cache_flush(s->l2_cache);
    if (ret == 0) {
        s->l1_table[l1_index] = (uint64_t)new_off | QCOW2_OFLAG_COPIED;
        ret = qcow2_write_l1_entry(bs, (uint32_t)l1_index);
    }
    if (ret < 0) {
        s->l1_table[l1_index] = l1e;
        qcow2_cache_put(s->l2_cache, &l2);
        qcow2_cache_discard(s->l2_cache, (uint64_t)new_off);
        qcow2_free_clusters(bs, (uint64_t)new_off, s->cluster_size);
        return ret;
    }
    if (old_off) {
        qcow2_free_clusters(bs, old_off, s->cluster_size);
    }
    *ret_l2 = l2;
    return 0;
}

/* ---- deferred frees ---- */

typedef struct FreeRange {
    uint64_t offset;
    uint64_t length;
} FreeRange;

static void defer_free(BDRVQcow2State *s, GArray *fl, uint64_t e)
{
    FreeRange r = {0, s->cluster_size};

    if (e & QCOW2_OFLAG_COMPRESSED) {
        compressed_range(s, e, &r.offset, &r.length);
    } else {
        r.offset = e & QCOW2_L2E_OFFSET_MASK;
    }
    if (r.offset) {
        g_array_append_val(fl, r);
    }
}

static int apply_frees(BlockDriverState *bs, GArray *fl)
{
    BDRVQcow2State *s = bs->opaque;

    if (fl->len == 0) {
        return 0;
    }
    /* The L2 tables that dropped these clusters go to disk first; on failure the
     * clusters stay allocated (a leak, never a dangling reference). */
    int ret = qcow2_cache_write(s->l2_cache);
    for (guint i = 0; ret == 0 && i < fl->len; i++) {
        FreeRange *r = &g_array_index(fl, FreeRange, i);
        qcow2_free_clusters(bs, r->offset, r->length);
    }
    g_array_set_size(fl, 0);
    return ret;
}

/* ---- write ---- */

static int write_data(BlockDriverState *bs, uint64_t host, const void *buf, uint64_t len)
{
    int ret = qcow2_check_overlap(bs, 0, host, len);
    return ret < 0 ? ret : bdrv_pwrite(bs->file, host, len, buf, 0);
}

static bool in_place(BDRVQcow2State *s, uint64_t e)
{
    return (e & QCOW2_OFLAG_COPIED) && !(e & (QCOW2_OFLAG_COMPRESSED | QCOW2_OFLAG_ZERO)) &&
           (e & QCOW2_L2E_OFFSET_MASK) && (e & QCOW2_L2E_OFFSET_MASK) % s->cluster_size == 0;
}

/* One cluster's current content, for the part of a cluster a write does not cover. */
static int read_old_cluster(BlockDriverState *bs, uint64_t vc_off, uint8_t *cbuf)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t len = MIN(s->cluster_size, bs->size - vc_off);

    memset(cbuf + len, 0, s->cluster_size - len);
    return qcow2_read(bs, vc_off, len, cbuf);
}

static int write_partial(BlockDriverState *bs, uint64_t host, uint64_t vc_off, uint64_t in,
                         uint64_t n, const uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *c = g_malloc(s->cluster_size);

    int ret = read_old_cluster(bs, vc_off, c);
    if (ret == 0) {
        memcpy(c + in, buf, n);
        ret = write_data(bs, host, c, s->cluster_size);
    }
    return ret;
}

/* Write n bytes at guest offset into k freshly allocated clusters starting at host. */
static int write_new_run(BlockDriverState *bs, uint64_t offset, uint64_t n, const uint8_t *buf,
                         uint64_t host, uint64_t k)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t in = offset & (cs - 1);
    uint64_t vc = offset - in;
    uint64_t done = 0;

    if (in || n < cs) { /* partial head */
        uint64_t m = MIN(n, cs - in);
        int ret = write_partial(bs, host, vc, in, m, buf);
        if (ret < 0 || k == 1) {
            return ret;
        }
        done = m;
    }
    uint64_t full = (n - done) / cs * cs;
    if (full) {
        int ret = write_data(bs, host + ((offset + done - vc) & ~(cs - 1)), buf + done, full);
        if (ret < 0) {
            return ret;
        }
        done += full;
    }
    if (done < n) { /* partial tail */
        uint64_t tail_vc = offset + done;
        return write_partial(bs, host + (tail_vc - vc), tail_vc, 0, n - done, buf + done);
    }
    return 0;
}

/* Clusters from guest offset (inside one L2 table) that need a new allocation. */
static uint64_t alloc_run(BDRVQcow2State *s, const uint8_t *l2, uint64_t offset, uint64_t bytes,
                          uint64_t *ret_k)
{
    uint64_t in = offset & (s->cluster_size - 1);
    uint64_t n = MIN(bytes, s->cluster_size - in);
    uint64_t k = 1;

    while (n < bytes && !in_place(s, l2_get(s, l2, l2_index(s, offset + n)))) {
        n += MIN(bytes - n, s->cluster_size);
        k++;
    }
    *ret_k = k;
    return n;
}

static int write_alloc(BlockDriverState *bs, uint8_t *l2, uint64_t offset, uint64_t bytes,
                       const uint8_t *buf, GArray *fl, uint64_t *ret_n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t k;
    uint64_t n = alloc_run(s, l2, offset, bytes, &k);

    int64_t host = qcow2_alloc_clusters(bs, k);
    if (host < 0) {
        return (int)host;
    }
    int ret = write_new_run(bs, offset, n, buf, (uint64_t)host, k);
    if (ret < 0) {
        qcow2_free_clusters(bs, (uint64_t)host, k << s->cluster_bits);
        return ret;
    }
    uint64_t i0 = l2_index(s, offset);
    for (uint64_t j = 0; j < k; j++) {
        defer_free(s, fl, l2_get(s, l2, i0 + j));
        l2_set(s, l2, i0 + j, ((uint64_t)host + (j << s->cluster_bits)) | QCOW2_OFLAG_COPIED);
    }
    qcow2_cache_mark_dirty(s->l2_cache, l2);
    *ret_n = n;
    return 0;
}

static int write_in_place(BlockDriverState *bs, const uint8_t *l2, uint64_t offset, uint64_t bytes,
                          const uint8_t *buf, uint64_t *ret_n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t in = offset & (s->cluster_size - 1);
    uint64_t host = (l2_get(s, l2, l2_index(s, offset)) & QCOW2_L2E_OFFSET_MASK) + in;
    uint64_t n = MIN(bytes, s->cluster_size - in);

    while (n < bytes) {
        uint64_t e = l2_get(s, l2, l2_index(s, offset + n));
        if (!in_place(s, e) || (e & QCOW2_L2E_OFFSET_MASK) != host + n) {
            break;
        }
        n += MIN(bytes - n, s->cluster_size);
    }
    *ret_n = n;
    return write_data(bs, host, buf, n);
}

static int write_slice(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const uint8_t *buf,
                       GArray *fl)
{
    BDRVQcow2State *s = bs->opaque;
    void *l2;

    int ret = get_l2_for_write(bs, offset, &l2);
    while (ret == 0 && bytes > 0) {
        uint64_t n = 0;
        if (in_place(s, l2_get(s, l2, l2_index(s, offset)))) {
            ret = write_in_place(bs, l2, offset, bytes, buf, &n);
        } else {
            ret = write_alloc(bs, l2, offset, bytes, buf, fl, &n);
        }
        offset += n;
        bytes -= n;
        buf += n;
    }
    if (l2) {
        qcow2_cache_put(s->l2_cache, &l2);
    }
    return ret;
}

static int64_t alloc_compressed(BlockDriverState *bs, uint64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cur = s->compress_cursor;
    uint64_t rc = 0;

    if (cur && (cur & (s->cluster_size - 1)) + len <= s->cluster_size &&
        qcow2_get_refcount(bs, cur >> s->cluster_bits, &rc) == 0 && rc >= 1 &&
        rc < s->refcount_max &&
        qcow2_update_refcount(bs, cur & ~(s->cluster_size - 1), 1, 1) == 0) {
        s->compress_cursor = (cur + len) & (s->cluster_size - 1) ? cur + len : 0;
        return (int64_t)cur;
    }
    int64_t off = qcow2_alloc_clusters(bs, 1);
    if (off >= 0) {
        s->compress_cursor = (uint64_t)off + len;
    }
    return off;
}

static int write_compressed_cluster(BlockDriverState *bs, uint64_t offset, const uint8_t *data,
                                    uint64_t len, GArray *fl)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *c = g_malloc0(s->cluster_size);
    g_autofree uint8_t *out = g_malloc(s->cluster_size);
    void *l2;

    memcpy(c, data, len);
    int64_t clen = qcow2_compress(s, c, out, s->cluster_size - 512);
    if (clen < 0) { /* does not compress: store it as it is */
        return write_slice(bs, offset, len, data, fl);
    }
    int64_t coff = alloc_compressed(bs, (uint64_t)clen);
    if (coff < 0) {
        return (int)coff;
    }
    int ret = write_data(bs, (uint64_t)coff, out, (uint64_t)clen);
    if (ret == 0) {
        ret = get_l2_for_write(bs, offset, &l2);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, (uint64_t)coff, (uint64_t)clen);
        return ret;
    }
    uint64_t sectors = (((uint64_t)coff + (uint64_t)clen - 1) >> 9) - ((uint64_t)coff >> 9);
    uint64_t i = l2_index(s, offset);
    defer_free(s, fl, l2_get(s, l2, i));
    l2_set(s, l2, i, QCOW2_OFLAG_COMPRESSED | (sectors << s->csize_shift) | (uint64_t)coff);
    qcow2_cache_mark_dirty(s->l2_cache, l2);
    qcow2_cache_put(s->l2_cache, &l2);
    return 0;
}

static int write_compressed(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                            const uint8_t *buf, GArray *fl)
{
    BDRVQcow2State *s = bs->opaque;

    if (offset & (s->cluster_size - 1) ||
        (bytes & (s->cluster_size - 1) && offset + bytes != bs->size)) {
        return -EINVAL;
    }
    while (bytes > 0) {
        uint64_t n = MIN(bytes, s->cluster_size);
        int ret = write_compressed_cluster(bs, offset, buf, n, fl);
        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
        buf += n;
    }
    return 0;
}

int qcow2_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf, int flags)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GArray) fl = g_array_new(FALSE, FALSE, sizeof(FreeRange));
    const uint8_t *p = buf;
    int ret = 0;

    if (s->corrupt || s->extended_l2) {
        return s->corrupt ? -EIO : -ENOTSUP;
    }
    if (flags & BDRV_REQ_COMPRESSED) {
        ret = write_compressed(bs, offset, bytes, p, fl);
    }
    while (!(flags & BDRV_REQ_COMPRESSED) && ret == 0 && bytes > 0) {
        uint64_t n = slice_len(s, offset, bytes);
        ret = write_slice(bs, offset, n, p, fl);
        offset += n;
        bytes -= n;
        p += n;
    }
    int ret2 = apply_frees(bs, fl);
    return ret < 0 ? ret : ret2;
}

/* ---- zero and discard ---- */

static int zero_slice(BlockDriverState *bs, uint64_t offset, uint64_t bytes, bool discard,
                      GArray *fl)
{
    BDRVQcow2State *s = bs->opaque;
    bool v3 = s->hi.h.version >= 3;
    uint64_t nv = v3 ? QCOW2_OFLAG_ZERO : 0;
    void *l2;

    if (!v3 && bs->backing) {
        return discard ? 0 : -ENOTSUP; /* v2 cannot hide backing data without writing */
    }
    int ret = get_l2_for_write(bs, offset, &l2);
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = l2_index(s, offset), n = 0; n < bytes; i++, n += s->cluster_size) {
        defer_free(s, fl, l2_get(s, l2, i));
        l2_set(s, l2, i, nv);
    }
    qcow2_cache_mark_dirty(s->l2_cache, l2);
    qcow2_cache_put(s->l2_cache, &l2);
    return 0;
}

/* Full clusters in [offset, offset + bytes); the image's last cluster may be partial. */
static void full_clusters(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                          uint64_t *ret_start, uint64_t *ret_end)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    uint64_t start = (offset + cs - 1) & ~(cs - 1);
    uint64_t end = offset + bytes == bs->size ? (offset + bytes + cs - 1) & ~(cs - 1)
                                              : (offset + bytes) & ~(cs - 1);
    *ret_start = start;
    *ret_end = MAX(start, end);
}

static int zero_partial(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    if (bytes == 0) {
        return 0;
    }
    g_autofree uint8_t *z = g_malloc0(bytes);
    return qcow2_write(bs, offset, bytes, z, 0);
}

int qcow2_zero_or_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes, bool discard,
                          bool may_unmap)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start, end;
    g_autoptr(GArray) fl = g_array_new(FALSE, FALSE, sizeof(FreeRange));

    if (s->corrupt || s->extended_l2) {
        return s->corrupt ? -EIO : -ENOTSUP;
    }
    full_clusters(bs, offset, bytes, &start, &end);
    if (start >= end) {
        return discard ? 0 : zero_partial(bs, offset, bytes);
    }
    if (!discard && s->hi.h.version < 3 && bs->backing) {
        return -ENOTSUP;
    }
    int ret = discard ? 0 : zero_partial(bs, offset, start - offset);
    for (uint64_t o = start; ret == 0 && o < end;) {
        uint64_t n = slice_len(s, o, end - o);
        ret = zero_slice(bs, o, n, discard, fl);
        o += n;
    }
    int ret2 = apply_frees(bs, fl);
    if (ret == 0 && !discard && offset + bytes > end) {
        ret = zero_partial(bs, end, offset + bytes - end);
    }
    return ret < 0 ? ret : ret2;
}

/* ---- block status ---- */

static int status_of(BDRVQcow2State *s, BlockDriverState *bs, Qcow2ClusterType t)
{
    switch (t) {
    case QC_UNALLOCATED:
        return bs->backing ? 0 : BDRV_BLOCK_ZERO;
    case QC_ZERO:
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
    case QC_NORMAL:
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET | BDRV_BLOCK_ALLOCATED;
    case QC_COMPRESSED:
        return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_COMPRESSED;
    }
    return 0;
}

int qcow2_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                       uint64_t *ret_map, int *ret_status)
{
    BDRVQcow2State *s = bs->opaque;
    void *l2;

    bytes = slice_len(s, offset, bytes);
    int ret = get_l2(bs, offset, &l2);
    if (ret < 0) {
        return ret;
    }
    uint64_t in = offset & (s->cluster_size - 1);
    uint64_t e = l2 ? l2_get(s, l2, l2_index(s, offset)) : 0;
    uint64_t bm = l2 ? l2_bitmap(s, l2, l2_index(s, offset)) : 0;
    Qcow2ClusterType t = classify(s, e, bm, in);
    uint64_t n = MIN(bytes, unit_left(s, in));
    uint64_t host = (e & QCOW2_L2E_OFFSET_MASK) + in;
    while (n < bytes) {
        uint64_t o = offset + n;
        uint64_t e2 = l2 ? l2_get(s, l2, l2_index(s, o)) : 0;
        uint64_t bm2 = l2 ? l2_bitmap(s, l2, l2_index(s, o)) : 0;
        Qcow2ClusterType t2 = classify(s, e2, bm2, o & (s->cluster_size - 1));
        if (t2 != t || t == QC_COMPRESSED ||
            (t == QC_NORMAL &&
             (e2 & QCOW2_L2E_OFFSET_MASK) + (o & (s->cluster_size - 1)) != host + n)) {
            break;
        }
        n += MIN(bytes - n, unit_left(s, o & (s->cluster_size - 1)));
    }
    if (l2) {
        qcow2_cache_put(s->l2_cache, &l2);
    }
    *ret_pnum = n;
    *ret_status = status_of(s, bs, t);
    *ret_map = t == QC_NORMAL ? host : 0;
    return 0;
}
