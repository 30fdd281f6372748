/*
 * vmd-img convert: copies one or more source images (concatenated) into a new or
 * existing (-n) target, in chunks. Ranges the source reports as zero are skipped
 * without reading; read data is scanned for zero runs (-S) so the target stays sparse;
 * with -c each non-zero cluster is written compressed.
 */
#include "block/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONVERT_CHUNK (2u << 20)

typedef struct Convert {
    BlockDriverState **src; /* sources, in order */
    int nsrc;
    uint64_t total; /* sum of the source sizes */
    BlockDriverState *dst;
    bool fresh; /* the target was just created: it reads as zeros */
    bool compress;
    bool progress;
    uint64_t granule; /* zero detection unit (0: write everything) */
    uint64_t cluster; /* target cluster size (1 for raw) */
} Convert;

/* Status of [offset, offset + bytes) through the backing chain: *ret_pnum bytes share it. */
int img_chain_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                     int *ret_depth);

int img_chain_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                     int *ret_depth)
{
    int depth = 0;

    for (;;) {
        uint64_t pnum, map;
        int status;
        if (offset >= bs->size) {
            *ret_pnum = bytes;
            *ret_depth = depth;
            return BDRV_BLOCK_ZERO;
        }
        int ret =
            bdrv_block_status(bs, offset, MIN(bytes, bs->size - offset), &pnum, &map, &status);
        if (ret < 0) {
            return ret;
        }
        bytes = pnum;
        if ((status & BDRV_BLOCK_ALLOCATED) || !bs->backing) {
            *ret_pnum = bytes;
            *ret_depth = depth;
            return status;
        }
        bs = bs->backing;
        depth++;
    }
}

/* Source index and offset for a target offset. */
static BlockDriverState *locate(Convert *cv, uint64_t offset, uint64_t *ret_off, uint64_t *ret_left)
{
    for (int i = 0; i < cv->nsrc; i++) {
        if (offset < cv->src[i]->size) {
            *ret_off = offset;
            *ret_left = cv->src[i]->size - offset;
            return cv->src[i];
        }
        offset -= cv->src[i]->size;
    }
    return NULL;
}

static int read_src(Convert *cv, uint64_t offset, uint64_t len, uint8_t *buf)
{
    while (len > 0) {
        uint64_t off, left;
        BlockDriverState *bs = locate(cv, offset, &off, &left);
        uint64_t n = MIN(len, left);
        int ret = bs ? bdrv_pread(bs, off, n, buf) : -EIO;
        if (ret < 0) {
            return ret;
        }
        offset += n;
        len -= n;
        buf += n;
    }
    return 0;
}

static bool src_is_zero(Convert *cv, uint64_t offset, uint64_t len)
{
    while (len > 0) {
        uint64_t off, left, pnum;
        int depth;
        BlockDriverState *bs = locate(cv, offset, &off, &left);
        int st = bs ? img_chain_status(bs, off, MIN(len, left), &pnum, &depth) : -EIO;
        if (st < 0 || !(st & BDRV_BLOCK_ZERO) || (st & BDRV_BLOCK_DATA)) {
            return false;
        }
        offset += pnum;
        len -= pnum;
    }
    return true;
}

static int write_zero_run(Convert *cv, uint64_t offset, uint64_t len)
{
    return cv->fresh ? 0 : bdrv_write_zeroes(cv->dst, offset, len, BDRV_REQ_MAY_UNMAP);
}

static int write_compressed(Convert *cv, uint64_t offset, uint64_t len, const uint8_t *buf)
{
    for (uint64_t o = 0; o < len; o += cv->cluster) {
        uint64_t n = MIN(cv->cluster, len - o);
        int ret = img_buffer_is_zero(buf + o, n)
                      ? write_zero_run(cv, offset + o, n)
                      : bdrv_pwrite(cv->dst, offset + o, n, buf + o, BDRV_REQ_COMPRESSED);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* Write buf, skipping (or zeroing) granules that are all zero. */
static int write_sparse(Convert *cv, uint64_t offset, uint64_t len, const uint8_t *buf)
{
    if (cv->granule == 0) {
        return bdrv_pwrite(cv->dst, offset, len, buf, 0);
    }
    uint64_t o = 0;
    while (o < len) {
        uint64_t g = MIN(cv->granule - (offset + o) % cv->granule, len - o);
        bool zero = img_buffer_is_zero(buf + o, g);
        uint64_t end = o + g;
        while (end < len) {
            uint64_t g2 = MIN(cv->granule, len - end);
            if (img_buffer_is_zero(buf + end, g2) != zero) {
                break;
            }
            end += g2;
        }
        int ret = zero ? write_zero_run(cv, offset + o, end - o)
                       : bdrv_pwrite(cv->dst, offset + o, end - o, buf + o, 0);
        if (ret < 0) {
            return ret;
        }
        o = end;
    }
    return 0;
}

/* A read of the next chunk that runs while the current chunk is written. */
typedef struct Prefetch {
    bool busy; /* a read is in flight or its result not yet taken */
    bool done;
    int ret;
} Prefetch;

static void prefetch_done(void *opaque, int ret)
{
    Prefetch *pf = opaque;
    pf->ret = ret;
    pf->done = true;
}

static void prefetch_start(Convert *cv, uint64_t offset, uint64_t len, uint8_t *buf, Prefetch *pf)
{
    uint64_t off, left;
    BlockDriverState *bs = locate(cv, offset, &off, &left);

    *pf = (Prefetch){.busy = true};
    if (bs && left >= len) {
        bdrv_aio_read(bs, off, len, buf, prefetch_done, pf);
    } else {
        prefetch_done(pf, read_src(cv, offset, len, buf)); /* spans two sources */
    }
}

static int prefetch_wait(Prefetch *pf)
{
    if (!pf->busy) {
        return 0;
    }
    while (!pf->done) {
        g_main_context_iteration(NULL, TRUE);
    }
    pf->busy = false;
    return pf->ret;
}

static bool chunk_zero(Convert *cv, uint64_t off, uint64_t n)
{
    return cv->granule && n && src_is_zero(cv, off, n);
}

static int write_chunk(Convert *cv, uint64_t off, uint64_t n, bool zero, const uint8_t *buf)
{
    if (zero) {
        return write_zero_run(cv, off, n);
    }
    return cv->compress ? write_compressed(cv, off, n, buf) : write_sparse(cv, off, n, buf);
}

static int convert_run(Convert *cv)
{
    g_autofree uint8_t *bufs = g_malloc(2 * (size_t)CONVERT_CHUNK);
    Prefetch pf = {0};
    uint64_t n = MIN(CONVERT_CHUNK, cv->total);
    bool zero = chunk_zero(cv, 0, n);
    int cur = 0, ret = 0;

    if (n && !zero) {
        prefetch_start(cv, 0, n, bufs, &pf);
    }
    for (uint64_t off = 0; off < cv->total && ret == 0;) {
        ret = zero ? 0 : prefetch_wait(&pf);
        uint64_t next = off + n, nn = MIN(CONVERT_CHUNK, cv->total - next);
        bool next_zero = next < cv->total && chunk_zero(cv, next, nn);
        if (ret == 0 && next < cv->total && !next_zero) {
            prefetch_start(cv, next, nn, bufs + (cur ^ 1) * (size_t)CONVERT_CHUNK, &pf);
        }
        if (ret == 0) {
            ret = write_chunk(cv, off, n, zero, bufs + cur * (size_t)CONVERT_CHUNK);
        }
        if (ret < 0) {
            prefetch_wait(&pf); /* the buffer must outlive the read */
            img_error("error while converting at byte %" PRIu64 ": %s", off, g_strerror(-ret));
            return 1;
        }
        img_progress(cv->progress, (double)next * 100 / (double)MAX(cv->total, 1));
        off = next;
        n = nn;
        zero = next_zero;
        cur ^= 1;
    }
    ret = bdrv_flush(cv->dst);
    if (ret < 0) {
        img_error("error while flushing the target: %s", g_strerror(-ret));
        return 1;
    }
    img_progress(cv->progress, 100);
    if (cv->progress) {
        printf("\n");
    }
    return 0;
}

typedef struct ConvertArgs {
    const char *fmt, *out_fmt, *cache;
    const char *snapshot; /* -l / -s: read the source's internal snapshot */
    GHashTable *opts;
    bool compress, no_create, progress, quiet;
    uint64_t sparse;
} ConvertArgs;

static bool parse_args(int argc, char **argv, ConvertArgs *a)
{
    int c;
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"force-share", no_argument, NULL, 'U'},
        {0},
    };

    while ((c = getopt_long(argc, argv, "hf:O:o:cnpqWm:t:T:S:Ul:s:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            a->fmt = optarg;
            break;
        case 'O':
            a->out_fmt = optarg;
            break;
        case 'o':
            if (!img_parse_opts(a->opts, optarg)) {
                return false;
            }
            break;
        case 'l':
        case 's':
            a->snapshot =
                g_str_has_prefix(optarg, "snapshot.name=") ? optarg + strlen("snapshot.name=")
                : g_str_has_prefix(optarg, "snapshot.id=") ? optarg + strlen("snapshot.id=")
                                                           : optarg;
            break;
        case 'c':
            a->compress = true;
            break;
        case 'n':
            a->no_create = true;
            break;
        case 'p':
            a->progress = true;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'W':
        case 'U':
        case 'T':
            break; /* requests already complete in order */
        case 'm':
            if (atoi(optarg) < 1 || atoi(optarg) > 16) {
                img_error("Invalid number of coroutines. Allowed number of coroutines is "
                          "between 1 and 16");
                return false;
            }
            break;
        case 't':
            a->cache = optarg;
            break;
        case 'S':
            if (!img_parse_size(optarg, &a->sparse)) {
                img_error("Invalid buffer size for sparse output specified");
                return false;
            }
            break;
        default:
            img_error("Usage: convert [-c] [-p] [-q] [-n] [-f fmt] [-o options] [-O output_fmt] "
                      "filename [filename2 [...]] output_filename");
            return false;
        }
    }
    if (argc - optind < 2) {
        img_error("Expecting at least one source and one output file name");
        return false;
    }
    return true;
}

static int cache_flags(const char *cache)
{
    if (!strcmp(cache, "none") || !strcmp(cache, "directsync")) {
        return BDRV_O_NOCACHE;
    }
    if (!strcmp(cache, "unsafe")) {
        return BDRV_O_NO_FLUSH;
    }
    return !strcmp(cache, "writeback") || !strcmp(cache, "writethrough") ? 0 : -1;
}

static int open_target(Convert *cv, ConvertArgs *a, const char *out)
{
    g_autoptr(GError) err = NULL;
    int cflags = cache_flags(a->cache);

    if (cflags < 0) {
        img_error("Invalid cache option: %s", a->cache);
        return 1;
    }
    if (!a->no_create && !img_create_image(out, a->out_fmt, cv->total, a->opts, true, &err)) {
        img_error("%s: error while converting %s: %s", out, a->out_fmt, err->message);
        return 1;
    }
    cv->dst = img_open(out, a->out_fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING | cflags, &err);
    if (!cv->dst) {
        img_error("Could not open '%s': %s", out, err->message);
        return 1;
    }
    BlockDriverInfo bdi;
    cv->cluster = bdrv_get_info(cv->dst, &bdi) == 0 && bdi.cluster_size ? bdi.cluster_size : 1;
    if (a->compress && cv->cluster == 1) {
        img_error("Compression not supported for this file format");
        return 1;
    }
    if (a->no_create && cv->dst->size < cv->total) {
        img_error("Output image is too small");
        return 1;
    }
    cv->granule = a->sparse ? MAX(a->sparse, cv->cluster) : 0;
    return 0;
}

int img_convert(int argc, char **argv)
{
    g_autoptr(GHashTable) opts = img_opts_new();
    ConvertArgs a = {.out_fmt = "raw", .cache = "unsafe", .opts = opts, .sparse = 4096};
    Convert cv = {0};
    int ret = 1;

    if (!parse_args(argc, argv, &a)) {
        return 1;
    }
    cv.nsrc = argc - optind - 1;
    cv.src = g_new0(BlockDriverState *, cv.nsrc);
    cv.compress = a.compress;
    cv.progress = a.progress && !a.quiet;
    cv.fresh = !a.no_create;
    for (int i = 0; i < cv.nsrc; i++) {
        g_autoptr(GError) err = NULL;
        cv.src[i] = img_open(argv[optind + i], a.fmt, 0, &err);
        if (!cv.src[i]) {
            img_error("Could not open '%s': %s", argv[optind + i], err->message);
            goto out;
        }
        int r = a.snapshot ? bdrv_snapshot_load_tmp(cv.src[i], a.snapshot) : 0;
        if (r < 0) {
            img_error("Failed to load snapshot '%s': %s", a.snapshot, g_strerror(-r));
            goto out;
        }
        cv.total += cv.src[i]->size;
    }
    if (open_target(&cv, &a, argv[argc - 1]) == 0) {
        ret = convert_run(&cv);
    }
out:
    g_clear_pointer(&cv.dst, bdrv_unref);
    for (int i = 0; i < cv.nsrc; i++) {
        g_clear_pointer(&cv.src[i], bdrv_unref);
    }
    g_free(cv.src);
    return ret;
}
