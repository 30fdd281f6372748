/*
 * qcow2 metadata code: header parsing against a corpus of corrupt images, refcount
 * entries of every width, allocation with refcount table growth checked by the
 * driver's own check, leak repair, the metadata overlap check, the cache ordering
 * (refcount blocks reach the file before the L2 tables that use them), the dirty bit
 * and the asynchronous request API. Images live in memory (the "mem" protocol) or in
 * a "recording" protocol that logs every write and flush.
 */
#include "block/block.h"
#include "block/qcow2.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

/* ---- helpers ---- */

static GBytes *make_image(uint64_t size, uint32_t cluster_size, uint32_t refcount_bits, int version)
{
    g_autofree char *path = g_build_filename(g_get_tmp_dir(), "test-block-XXXXXX", NULL);
    int fd = g_mkstemp(path);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    Qcow2CreateOpts o = {.size = size,
                         .cluster_size = cluster_size,
                         .version = version,
                         .refcount_bits = refcount_bits};
    g_autoptr(GError) err = NULL;
    g_assert_cmpint(qcow2_create(path, &o, &err), ==, 0);
    g_assert_no_error(err);
    char *data;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_unlink(path);
    return g_bytes_new_take(data, len);
}

static BlockDriverState *open_mem(const void *data, size_t len, bool rw, GError **errp)
{
    g_autoptr(BlockDriverState) mem = bdrv_mem_new(data, len, rw);
    return bdrv_open_over(mem, &bdrv_qcow2, "mem", rw ? BDRV_O_RDWR : 0, errp);
}

static GByteArray *mutated(GBytes *img)
{
    gsize len;
    const void *p = g_bytes_get_data(img, &len);
    GByteArray *a = g_byte_array_sized_new(len);
    g_byte_array_append(a, p, len);
    return a;
}

static void expect_open_error(GByteArray *a, const char *needle)
{
    g_autoptr(GError) err = NULL;
    BlockDriverState *bs = open_mem(a->data, a->len, false, &err);
    if (bs) {
        bdrv_unref(bs);
    }
    g_assert_null(bs);
    g_assert_nonnull(err);
    if (!strstr(err->message, needle)) {
        g_error("error '%s' does not mention '%s'", err->message, needle);
    }
}

/* ---- corrupt images ---- */

static void test_corpus(void)
{
    g_autoptr(GBytes) img = make_image(1 << 20, 65536, 16, 3);
    g_autoptr(GByteArray) a = NULL;

    a = mutated(img); /* truncated header */
    g_byte_array_set_size(a, 40);
    expect_open_error(a, "truncated");
    g_byte_array_unref(g_steal_pointer(&a));

    a = mutated(img); /* huge l1_size */
    be32_put(a->data + 36, 0x7fffffff);
    expect_open_error(a, "L1 table too large");
    g_byte_array_unref(g_steal_pointer(&a));

    a = mutated(img); /* L1 table beyond the end of the file */
    be64_put(a->data + 40, 1ULL << 40);
    expect_open_error(a, "outside the image file");
    g_byte_array_unref(g_steal_pointer(&a));

    a = mutated(img); /* refcount table beyond the end of the file */
    be64_put(a->data + 48, 1ULL << 40);
    expect_open_error(a, "outside the image file");
    g_byte_array_unref(g_steal_pointer(&a));

    a = mutated(img); /* L1 table on top of the refcount table */
    be64_put(a->data + 40, be64_at(a->data + 48));
    expect_open_error(a, "overlap");
    g_byte_array_unref(g_steal_pointer(&a));

    a = mutated(img); /* unknown incompatible feature */
    be64_put(a->data + 72, 1ULL << 13);
    expect_open_error(a, "Unsupported qcow2 feature");
    g_byte_array_unref(g_steal_pointer(&a));

    for (uint32_t bits = 0; bits < 40; bits += 1) {
        if (bits >= 9 && bits <= 21) {
            continue;
        }
        a = mutated(img); /* cluster_bits out of range */
        be32_put(a->data + 20, bits);
        expect_open_error(a, "cluster size");
        g_byte_array_unref(g_steal_pointer(&a));
    }

    a = mutated(img); /* refcount_order 7 */
    be32_put(a->data + 96, 7);
    expect_open_error(a, "refcount_order");
    g_byte_array_unref(g_steal_pointer(&a));

    a = mutated(img); /* header extension longer than the cluster */
    be32_put(a->data + 112, 0x12345678);
    be32_put(a->data + 116, 0x00ffffff);
    expect_open_error(a, "overruns");
    g_byte_array_unref(g_steal_pointer(&a));

    a = mutated(img); /* encrypted */
    be32_put(a->data + 32, 2);
    expect_open_error(a, "Encrypted");
    g_byte_array_unref(g_steal_pointer(&a));

    a = mutated(img); /* misaligned L1 table */
    be64_put(a->data + 40, be64_at(a->data + 40) + 8);
    expect_open_error(a, "not cluster aligned");
    g_byte_array_unref(g_steal_pointer(&a));

    a = mutated(img); /* size too large for the L1 table */
    be64_put(a->data + 24, 1ULL << 50);
    expect_open_error(a, "too small");
}

static void test_unknown_feature_named(void)
{
    g_autoptr(GBytes) img = make_image(1 << 20, 65536, 16, 3);
    g_autoptr(GByteArray) a = mutated(img);

    /* Our header carries a feature name table: name an unknown bit through it. */
    const uint8_t *p = memmem(a->data, 4096, "extended L2 entries", 19);
    g_assert_nonnull(p);
    uint8_t *entry = (uint8_t *)p - 2;
    entry[1] = 33;
    be64_put(a->data + 72, 1ULL << 33);
    expect_open_error(a, "extended L2 entries");
}

static void test_autoclear_cleared(void)
{
    g_autoptr(GBytes) img = make_image(1 << 20, 65536, 16, 3);
    g_autoptr(GByteArray) a = mutated(img);
    be64_put(a->data + 88, 1ULL << 40);
    g_autoptr(BlockDriverState) mem = bdrv_mem_new(a->data, a->len, true);
    g_autoptr(GError) err = NULL;
    BlockDriverState *bs = bdrv_open_over(mem, &bdrv_qcow2, "mem", BDRV_O_RDWR, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(be64_at(bdrv_mem_data(mem)->data + 88), ==, 0);
    /* dirty while open for writing, clean after close */
    g_assert_cmpuint(be64_at(bdrv_mem_data(mem)->data + 72) & QCOW2_INCOMPAT_DIRTY, !=, 0);
    bdrv_unref(bs);
    g_assert_cmpuint(be64_at(bdrv_mem_data(mem)->data + 72) & QCOW2_INCOMPAT_DIRTY, ==, 0);
}

/* ---- refcount entries ---- */

static void test_refcount_widths(void)
{
    for (uint32_t order = 0; order <= 6; order++) {
        BDRVQcow2State s = {.refcount_order = order};
        uint8_t block[512] = {0};
        uint64_t entries = sizeof(block) * 8 >> order;
        uint64_t max = order == 6 ? UINT64_MAX : (1ULL << (1u << order)) - 1;
        for (uint64_t i = 0; i < entries; i++) {
            qcow2_refblock_set(&s, block, i, (i * 2654435761u) & max);
        }
        for (uint64_t i = 0; i < entries; i++) {
            g_assert_cmpuint(qcow2_refblock_get(&s, block, i), ==, (i * 2654435761u) & max);
        }
    }
}

/* ---- allocation and check ---- */

static void check_clean(BlockDriverState *bs)
{
    BlockCheckResult r;
    g_assert_cmpint(bdrv_check(bs, &r, 0), ==, 0);
    if (r.corruptions || r.leaks || r.check_errors) {
        g_error("check: %d corruptions, %d leaks, %d errors\n%s", r.corruptions, r.leaks,
                r.check_errors, r.log->str);
    }
    block_check_result_clear(&r);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)((i * 31 + seed * 7) ^ (i >> 9));
    }
}

static void test_alloc_growth(void)
{
    /* 512-byte clusters and 64-bit refcounts: 64 clusters per refcount block, so a few
     * MiB of data grows the refcount table several times. */
    g_autoptr(GBytes) img = make_image(16 << 20, 512, 64, 3);
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs =
        open_mem(g_bytes_get_data(img, NULL), g_bytes_get_size(img), true, &err);
    g_assert_no_error(err);
    g_autofree uint8_t *w = g_malloc(3 << 20);
    g_autofree uint8_t *r = g_malloc(3 << 20);
    fill(w, 3 << 20, 1);
    g_assert_cmpint(bdrv_pwrite(bs, 777, (3 << 20) - 1000, w, 0), ==, 0);
    g_assert_cmpint(bdrv_pwrite(bs, 10 << 20, 4096, w, 0), ==, 0);
    g_assert_cmpint(bdrv_flush(bs), ==, 0);
    g_assert_cmpint(bdrv_pread(bs, 777, (3 << 20) - 1000, r), ==, 0);
    g_assert_cmpmem(w, (3 << 20) - 1000, r, (3 << 20) - 1000);
    g_assert_cmpint(bdrv_pread(bs, 0, 777, r), ==, 0);
    g_assert_true(r[0] == 0 && r[776] == 0);
    BDRVQcow2State *s = bs->opaque;
    g_assert_cmpuint(s->hi.h.refcount_table_clusters, >, 1);
    check_clean(bs);
    /* overwrite in place, zero and discard, and check again */
    fill(w, 8192, 2);
    g_assert_cmpint(bdrv_pwrite(bs, 1000, 8192, w, 0), ==, 0);
    g_assert_cmpint(bdrv_write_zeroes(bs, 4096, 65536, BDRV_REQ_MAY_UNMAP), ==, 0);
    g_assert_cmpint(bdrv_discard(bs, 1 << 20, 1 << 20), ==, 0);
    g_assert_cmpint(bdrv_flush(bs), ==, 0);
    check_clean(bs);
    g_assert_cmpint(bdrv_pread(bs, 4096, 65536, r), ==, 0);
    for (int i = 0; i < 65536; i++) {
        g_assert_cmpint(r[i], ==, 0);
    }
}

static void test_leak_repair(void)
{
    g_autoptr(GBytes) img = make_image(1 << 20, 4096, 16, 3);
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs =
        open_mem(g_bytes_get_data(img, NULL), g_bytes_get_size(img), true, &err);
    g_assert_no_error(err);
    int64_t off = qcow2_alloc_clusters(bs, 2); /* allocated, referenced by nothing */
    g_assert_cmpint(off, >, 0);
    uint8_t z[8192] = {0};
    g_assert_cmpint(bdrv_pwrite(bs->file, (uint64_t)off, sizeof(z), z, 0), ==, 0);
    BlockCheckResult r;
    g_assert_cmpint(bdrv_check(bs, &r, 0), ==, 0);
    g_assert_cmpint(r.leaks, ==, 2);
    g_assert_cmpint(r.corruptions, ==, 0);
    block_check_result_clear(&r);
    g_assert_cmpint(bdrv_check(bs, &r, BDRV_FIX_LEAKS), ==, 0);
    g_assert_cmpint(r.leaks_fixed, ==, 2);
    block_check_result_clear(&r);
    check_clean(bs);
}

/* ---- overlap check ---- */

static void test_overlap(void)
{
    g_autoptr(GBytes) img = make_image(1 << 20, 65536, 16, 3);
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs =
        open_mem(g_bytes_get_data(img, NULL), g_bytes_get_size(img), true, &err);
    g_assert_no_error(err);
    uint8_t buf[512];
    fill(buf, sizeof(buf), 3);
    g_assert_cmpint(bdrv_pwrite(bs, 0, sizeof(buf), buf, 0), ==, 0);
    g_assert_cmpint(bdrv_flush(bs), ==, 0);
    /* Point guest cluster 0 at the refcount table: the next write must not land. */
    BDRVQcow2State *s = bs->opaque;
    uint64_t rt = s->hi.h.refcount_table_offset;
    void *l2;
    g_assert_cmpint(qcow2_cache_get(s->l2_cache, s->l1_table[0] & QCOW2_L1E_OFFSET_MASK, &l2), ==,
                    0);
    be64_put(l2, rt | QCOW2_OFLAG_COPIED);
    qcow2_cache_put(s->l2_cache, &l2);
    g_autofree uint8_t *before = g_memdup2(bdrv_mem_data(bs->file)->data + rt, 512);
    g_assert_cmpint(bdrv_pwrite(bs, 0, sizeof(buf), buf, 0), ==, -EIO);
    g_assert_cmpmem(before, 512, bdrv_mem_data(bs->file)->data + rt, 512);
    g_assert_true(s->corrupt);
    g_assert_nonnull(strstr(s->corrupt_reason, "refcount table"));
    g_assert_cmpuint(be64_at(bdrv_mem_data(bs->file)->data + 72) & QCOW2_INCOMPAT_CORRUPT, !=, 0);
    g_assert_cmpint(bdrv_pwrite(bs, 1 << 19, sizeof(buf), buf, 0), ==, -EIO);
}

/* ---- cache ordering: a protocol that records writes and flushes ---- */

typedef struct RecEvent {
    uint64_t offset; /* G_MAXUINT64 for a flush */
    uint64_t len;
} RecEvent;

typedef struct RecState {
    GByteArray *data;
    GArray *log;
} RecState;

static int rec_open(BlockDriverState *bs, const char *f, int flags, GError **errp)
{
    RecState *r = bs->opaque;
    r->data = g_byte_array_new();
    r->log = g_array_new(FALSE, FALSE, sizeof(RecEvent));
    return 0;
}

static void rec_close(BlockDriverState *bs)
{
    RecState *r = bs->opaque;
    g_byte_array_unref(r->data);
    g_array_unref(r->log);
}

static int rec_read(BlockDriverState *bs, uint64_t off, uint64_t n, void *buf)
{
    RecState *r = bs->opaque;
    uint64_t have = off < r->data->len ? MIN(n, r->data->len - off) : 0;
    memcpy(buf, r->data->data + off, have);
    memset((uint8_t *)buf + have, 0, n - have);
    return 0;
}

static int rec_write(BlockDriverState *bs, uint64_t off, uint64_t n, const void *buf, int fl)
{
    RecState *r = bs->opaque;
    if (off + n > r->data->len) {
        guint old = r->data->len;
        g_byte_array_set_size(r->data, off + n);
        memset(r->data->data + old, 0, r->data->len - old);
        bs->size = r->data->len;
    }
    memcpy(r->data->data + off, buf, n);
    RecEvent e = {off, n};
    g_array_append_val(r->log, e);
    return 0;
}

static int rec_flush(BlockDriverState *bs)
{
    RecState *r = bs->opaque;
    RecEvent e = {G_MAXUINT64, 0};
    g_array_append_val(r->log, e);
    return 0;
}

static const BlockDriver rec_driver = {
    .format_name = "rec",
    .is_protocol = true,
    .instance_size = sizeof(RecState),
    .open = rec_open,
    .close = rec_close,
    .read = rec_read,
    .write = rec_write,
    .flush = rec_flush,
};

static void test_cache_ordering(void)
{
    g_autoptr(GBytes) img = make_image(64 << 20, 65536, 16, 3);
    g_autoptr(BlockDriverState) rec = bdrv_open_protocol(&rec_driver, "rec", BDRV_O_RDWR, NULL);
    g_assert_cmpint(bdrv_pwrite(rec, 0, g_bytes_get_size(img), g_bytes_get_data(img, NULL), 0), ==,
                    0);
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs = bdrv_open_over(rec, &bdrv_qcow2, "rec", BDRV_O_RDWR, &err);
    g_assert_no_error(err);
    RecState *r = rec->opaque;
    BDRVQcow2State *s = bs->opaque;
    uint8_t buf[4096];
    fill(buf, sizeof(buf), 4);
    /* one L2 table exists after this; then allocate more clusters under it */
    g_assert_cmpint(bdrv_pwrite(bs, 0, sizeof(buf), buf, 0), ==, 0);
    g_array_set_size(r->log, 0);
    for (int i = 1; i < 20; i++) {
        g_assert_cmpint(bdrv_pwrite(bs, (uint64_t)i << 16, sizeof(buf), buf, 0), ==, 0);
    }
    g_assert_cmpint(bdrv_flush(bs), ==, 0);
    uint64_t l2 = s->l1_table[0] & QCOW2_L1E_OFFSET_MASK;
    uint64_t rb = s->refcount_table[0] & QCOW2_REFT_OFFSET_MASK;
    int first_l2 = -1, last_rb = -1, flush_between = 0;
    for (guint i = 0; i < r->log->len; i++) {
        RecEvent *e = &g_array_index(r->log, RecEvent, i);
        if (e->offset == rb && first_l2 < 0) {
            last_rb = (int)i;
        } else if (e->offset == G_MAXUINT64 && last_rb >= 0 && first_l2 < 0) {
            flush_between = 1;
        } else if (e->offset == l2 && first_l2 < 0) {
            first_l2 = (int)i;
        }
    }
    g_assert_cmpint(last_rb, >=, 0);
    g_assert_cmpint(first_l2, >, last_rb);
    g_assert_true(flush_between);
    /* and the data writes were batched: far fewer L2 writes than allocations */
    int l2_writes = 0;
    for (guint i = 0; i < r->log->len; i++) {
        l2_writes += g_array_index(r->log, RecEvent, i).offset == l2;
    }
    g_assert_cmpint(l2_writes, <=, 2);
    check_clean(bs);
}

/* ---- fault injection: one failing write or flush at each point of a workload ---- */

static int fail_at;      /* fail the fail_at-th write or flush (1-based), 0: never */
static bool fail_sticky; /* and every one after it: the prefix on disk is a crash */
static int io_count;

static bool should_fail(void)
{
    ++io_count;
    return fail_at && (io_count == fail_at || (fail_sticky && io_count > fail_at));
}

static int faulty_write(BlockDriverState *bs, uint64_t off, uint64_t n, const void *buf, int fl)
{
    if (should_fail()) {
        return (fail_at & 1) ? -EIO : -ENOSPC;
    }
    return rec_write(bs, off, n, buf, fl);
}

static int faulty_flush(BlockDriverState *bs)
{
    return should_fail() ? -EIO : rec_flush(bs);
}

static const BlockDriver faulty_driver = {
    .format_name = "faulty",
    .is_protocol = true,
    .instance_size = sizeof(RecState),
    .open = rec_open,
    .close = rec_close,
    .read = rec_read,
    .write = faulty_write,
    .flush = faulty_flush,
};

/* Allocating writes over 512-byte clusters: new L2 tables, refcount blocks, refcount
 * table growth. Returns which of the nwrites writes succeeded. */
static guint64 fault_workload(BlockDriverState *bs, int nwrites, uint8_t *pattern)
{
    guint64 ok = 0;
    for (int i = 0; i < nwrites; i++) {
        fill(pattern, 4096, (uint32_t)i);
        if (bdrv_pwrite(bs, (uint64_t)i * 40960 + 1000, 4096, pattern, 0) == 0) {
            ok |= 1ULL << i;
        }
    }
    bdrv_flush(bs);
    return ok;
}

static void run_faults(bool sticky, bool lazy)
{
    g_autoptr(GBytes) img = make_image(4 << 20, 512, 64, 3);
    if (lazy) {
        g_autoptr(GByteArray) a = mutated(img);
        be64_put(a->data + 80, QCOW2_COMPAT_LAZY_REFCOUNTS);
        g_bytes_unref(img);
        img = g_byte_array_free_to_bytes(g_steal_pointer(&a));
    }
    uint8_t pattern[4096], got[4096];
    const int nwrites = 40;

    /* count the I/O of a clean run, then fail each step in turn */
    fail_at = 0;
    io_count = 0;
    int total = 0, lag_seen = 0;
    fail_sticky = sticky;
    for (int k = 0; k <= total + 1; k++) {
        g_autoptr(BlockDriverState) f = bdrv_open_protocol(&faulty_driver, "f", BDRV_O_RDWR, NULL);
        rec_write(f, 0, g_bytes_get_size(img), g_bytes_get_data(img, NULL), 0);
        fail_at = k;
        io_count = 0;
        g_autoptr(GError) err = NULL;
        BlockDriverState *bs = bdrv_open_over(f, &bdrv_qcow2, "f", BDRV_O_RDWR, &err);
        guint64 ok = bs ? fault_workload(bs, nwrites, pattern) : 0;
        if (bs) {
            bdrv_unref(bs);
        }
        if (k == 0) {
            total = io_count;
            g_assert_cmpuint(ok, ==, (1ULL << nwrites) - 1);
        }
        /* reopen read-only (no repair on open) what is on "disk": no corruption, only
         * leaks, and every acknowledged write intact */
        RecState *r = f->opaque;
        g_autoptr(GError) err2 = NULL;
        if (lazy) {
            /* the refcounts may lag: a writable open repairs them (the dirty bit) */
            g_autoptr(BlockDriverState) ro = open_mem(r->data->data, r->data->len, false, NULL);
            BlockCheckResult pre;
            g_assert_cmpint(bdrv_check(ro, &pre, 0), ==, 0);
            lag_seen += pre.corruptions > 0;
            block_check_result_clear(&pre);
            g_autoptr(BlockDriverState) mem = bdrv_mem_new(r->data->data, r->data->len, true);
            BlockDriverState *rw = bdrv_open_over(mem, &bdrv_qcow2, "m", BDRV_O_RDWR, &err2);
            g_assert_no_error(err2);
            bdrv_unref(rw);
            g_byte_array_set_size(r->data, 0);
            g_byte_array_append(r->data, bdrv_mem_data(mem)->data, bdrv_mem_data(mem)->len);
        }
        g_autoptr(BlockDriverState) re = open_mem(r->data->data, r->data->len, false, &err2);
        g_assert_no_error(err2);
        BlockCheckResult res;
        g_assert_cmpint(bdrv_check(re, &res, 0), ==, 0);
        if (res.corruptions || res.check_errors || (lazy && res.leaks)) {
            g_error("fault at I/O %d of %d: %d corruptions\n%s", k, total, res.corruptions,
                    res.log->str);
        }
        block_check_result_clear(&res);
        for (int i = 0; i < nwrites && !sticky; i++) {
            if (ok & (1ULL << i)) {
                fill(pattern, 4096, (uint32_t)i);
                g_assert_cmpint(bdrv_pread(re, (uint64_t)i * 40960 + 1000, 4096, got), ==, 0);
                g_assert_cmpmem(pattern, 4096, got, 4096);
            }
        }
    }
    g_assert_cmpint(total, >, 40);
    g_assert_true(!lazy || lag_seen > 0); /* the lazy case did defer refcount writes */
    fail_at = 0;
    fail_sticky = false;
}

/* One transient EIO/ENOSPC at each step: acknowledged writes survive, no corruption. */
static void test_faults(void)
{
    run_faults(false, false);
}

/* The disk stops at each step (a crash): what reached it is never corrupt. */
static void test_crash_prefix(void)
{
    run_faults(true, false);
}

/* Lazy refcounts: after a crash at any step, the next writable open repairs the image
 * completely (no corruption and no leak left) and nothing acknowledged is lost. */
static void test_crash_lazy(void)
{
    run_faults(true, true);
}

/* ---- asynchronous requests ---- */

typedef struct AioWait {
    GMainLoop *loop;
    int ret;
    int pending;
    GThread *thread; /* where the callback ran */
} AioWait;

static void aio_done(void *opaque, int ret)
{
    AioWait *w = opaque;
    w->ret = ret < 0 ? ret : w->ret;
    w->thread = g_thread_self();
    if (--w->pending == 0) {
        g_main_loop_quit(w->loop);
    }
}

static void test_aio(void)
{
    g_autoptr(GBytes) img = make_image(8 << 20, 65536, 16, 3);
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs =
        open_mem(g_bytes_get_data(img, NULL), g_bytes_get_size(img), true, &err);
    g_assert_no_error(err);
    g_autofree uint8_t *w = g_malloc(1 << 20);
    g_autofree uint8_t *rd = g_malloc0(1 << 20);
    fill(w, 1 << 20, 5);
    AioWait wait = {.loop = g_main_loop_new(NULL, FALSE), .pending = 9};
    for (int i = 0; i < 8; i++) {
        bdrv_aio_write(bs, (uint64_t)i << 17, 1 << 17, w + (i << 17), 0, aio_done, &wait);
    }
    bdrv_aio_flush(bs, aio_done, &wait);
    g_main_loop_run(wait.loop);
    g_assert_cmpint(wait.ret, ==, 0);
    g_assert_true(wait.thread == g_thread_self());
    wait.pending = 1;
    bdrv_aio_read(bs, 0, 1 << 20, rd, aio_done, &wait);
    g_main_loop_run(wait.loop);
    g_assert_cmpint(wait.ret, ==, 0);
    g_assert_cmpmem(w, 1 << 20, rd, 1 << 20);
    BlockAcctStats st;
    bdrv_get_stats(bs, &st);
    g_assert_cmpuint(st.ops[BLOCK_ACCT_WRITE], ==, 8);
    g_assert_cmpuint(st.bytes[BLOCK_ACCT_WRITE], ==, 1 << 20);
    g_assert_cmpuint(st.ops[BLOCK_ACCT_READ], ==, 1);
    g_assert_cmpuint(st.ops[BLOCK_ACCT_FLUSH], ==, 1);
    wait.pending = 1;
    bdrv_aio_read(bs, 7 << 20, 2 << 20, rd, aio_done, &wait); /* past the end */
    g_main_loop_run(wait.loop);
    g_assert_cmpint(wait.ret, ==, -EINVAL);
    g_main_loop_unref(wait.loop);
    check_clean(bs);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    bdrv_register_builtin();
    g_test_add_func("/block/qcow2/corpus", test_corpus);
    g_test_add_func("/block/qcow2/unknown-feature-named", test_unknown_feature_named);
    g_test_add_func("/block/qcow2/autoclear-and-dirty", test_autoclear_cleared);
    g_test_add_func("/block/qcow2/refcount-widths", test_refcount_widths);
    g_test_add_func("/block/qcow2/alloc-growth", test_alloc_growth);
    g_test_add_func("/block/qcow2/leak-repair", test_leak_repair);
    g_test_add_func("/block/qcow2/overlap", test_overlap);
    g_test_add_func("/block/qcow2/cache-ordering", test_cache_ordering);
    g_test_add_func("/block/qcow2/faults", test_faults);
    g_test_add_func("/block/qcow2/crash-prefix", test_crash_prefix);
    g_test_add_func("/block/qcow2/crash-lazy-refcounts", test_crash_lazy);
    g_test_add_func("/block/aio", test_aio);
    return g_test_run();
}
