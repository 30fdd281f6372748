/*
 * vmd-img measure (space a qcow2 or raw image needs) and bench (a request loop on the
 * asynchronous API, with a given queue depth, driven by a GMainLoop).
 */
#include "block/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int img_chain_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                     int *ret_depth);

/* ---- measure ---- */

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Bytes of a qcow2 file holding data_clusters clusters and l2_tables L2 tables. */
static uint64_t qcow2_bytes(uint64_t size, uint64_t cs, uint32_t refbits, uint64_t data_clusters,
                            uint64_t l2_tables)
{
    uint64_t l1_clusters = div_up(div_up(div_up(size, cs), cs / 8) * 8, cs);
    uint64_t meta = 1 + l1_clusters + l2_tables + data_clusters;
    uint64_t per_block = cs * 8 / refbits, rb = 0, rt = 0;
    for (int i = 0; i < 8; i++) { /* refcount metadata also needs refcounts */
        rb = div_up(meta + rb + rt, per_block);
        rt = div_up(rb * 8, cs);
    }
    return (meta + rb + rt) * cs;
}

static int allocated_clusters(BlockDriverState *bs, uint64_t cs, uint64_t *ret_data,
                              uint64_t *ret_l2)
{
    uint64_t span = cs * (cs / 8), data = 0, l2 = 0;

    for (uint64_t base = 0; base < bs->size; base += span) {
        uint64_t end = MIN(bs->size, base + span);
        bool any = false;
        for (uint64_t off = base; off < end;) {
            uint64_t pnum;
            int depth;
            int st = img_chain_status(bs, off, end - off, &pnum, &depth);
            if (st < 0) {
                return -EIO;
            }
            if ((st & BDRV_BLOCK_DATA) || !(st & BDRV_BLOCK_ZERO)) {
                data += div_up(off + pnum, cs) - off / cs;
                any = true;
            }
            off += pnum;
        }
        l2 += any;
    }
    *ret_data = data;
    *ret_l2 = l2;
    return 0;
}

static int measure_print(const char *out_fmt, const char *output, uint64_t size, uint64_t cs,
                         uint32_t refbits, uint64_t data, uint64_t l2, bool has_size, bool bitmaps)
{
    if (!strcmp(out_fmt, "qcow2") && div_up(div_up(size, cs), cs / 8) * 8 > (32u << 20)) {
        img_error("The image size is too large (try using a larger cluster size)");
        return 1;
    }
    uint64_t full, required;
    if (!strcmp(out_fmt, "raw")) {
        full = size;
        required = has_size ? size : MIN(size, data * cs);
    } else if (!strcmp(out_fmt, "qcow2")) {
        full = qcow2_bytes(size, cs, refbits, div_up(size, cs), div_up(div_up(size, cs), cs / 8));
        /* Without an image: all metadata of a full image, no data (as qemu-img). */
        required = has_size ? full - size : qcow2_bytes(size, cs, refbits, data, l2);
    } else {
        img_error("Unknown output format '%s'", out_fmt);
        return 1;
    }
    if (!strcmp(output, "json")) {
        printf("{\n%s    \"required\": %" PRIu64 ",\n    \"fully-allocated\": %" PRIu64 "\n}\n",
               bitmaps ? "    \"bitmaps\": 0,\n" : "", required, full);
    } else {
        printf("required size: %" PRIu64 "\nfully allocated size: %" PRIu64 "\n%s", required, full,
               bitmaps ? "bitmaps size: 0\n" : "");
    }
    return 0;
}

static bool measure_opts(GHashTable *opts, uint64_t *ret_cs, uint32_t *ret_refbits)
{
    const char *v = g_hash_table_lookup(opts, "cluster_size");
    uint64_t cs = 65536;
    if (v && !img_parse_size(v, &cs)) {
        cs = 0;
    }
    v = g_hash_table_lookup(opts, "refcount_bits");
    uint32_t refbits = v ? (uint32_t)atoi(v) : 16;
    if (cs < 512 || cs > (2 << 20) || (cs & (cs - 1)) || refbits < 1 || refbits > 64 ||
        (refbits & (refbits - 1))) {
        img_error("Invalid cluster_size or refcount_bits");
        return false;
    }
    *ret_cs = cs;
    *ret_refbits = refbits;
    return true;
}

static bool measure_source(const char *filename, const char *fmt, const char *out_fmt, uint64_t cs,
                           uint64_t *ret_size, uint64_t *ret_data, uint64_t *ret_l2,
                           bool *ret_bitmaps)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs = img_open(filename, fmt, 0, &err);

    if (!bs) {
        img_error("Could not open '%s': %s", filename, err->message);
        return false;
    }
    *ret_size = bs->size;
    *ret_bitmaps = !strcmp(bs->drv->format_name, "qcow2") && !strcmp(out_fmt, "qcow2");
    if (allocated_clusters(bs, cs, ret_data, ret_l2) < 0) {
        img_error("Could not read the allocation of '%s'", filename);
        return false;
    }
    return true;
}

int img_measure(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw", *output = "human";
    g_autoptr(GHashTable) opts = img_opts_new();
    uint64_t size = 0;
    bool has_size = false;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'j'},
        {"size", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "hf:O:o:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'j':
            output = optarg;
            break;
        case 'U':
            break;
        case 'o':
            if (!img_parse_opts(opts, optarg)) {
                return 1;
            }
            break;
        case 's':
            if (!img_parse_size(optarg, &size)) {
                img_error("Invalid image size specified");
                return 1;
            }
            has_size = true;
            break;
        default:
            img_error("Usage: measure [--output=ofmt] [-O output_fmt] [-o options] "
                      "[--size N | [-f fmt] filename]");
            return 1;
        }
    }
    if (has_size == (optind < argc)) {
        img_error("Either --size N or one filename must be specified.");
        return 1;
    }
    uint64_t cs;
    uint32_t refbits;
    if (!measure_opts(opts, &cs, &refbits)) {
        return 1;
    }
    uint64_t data = 0, l2 = 0;
    bool bitmaps = false;
    if (!has_size && !measure_source(argv[optind], fmt, out_fmt, cs, &size, &data, &l2, &bitmaps)) {
        return 1;
    }
    return measure_print(out_fmt, output, size, cs, refbits, data, l2, has_size, bitmaps);
}

/* ---- bench ---- */

typedef struct Bench {
    BlockDriverState *bs;
    GMainLoop *loop;
    uint8_t *buf; /* depth buffers of bufsize bytes */
    uint64_t bufsize, step, offset, next;
    int count; /* requests still to submit */
    int in_flight;
    int error; /* first error */
    bool write, flush;
} Bench;

typedef struct BenchSlot {
    Bench *b;
    uint8_t *buf;
} BenchSlot;

static void bench_submit(BenchSlot *slot);

static void bench_done(void *opaque, int ret)
{
    BenchSlot *slot = opaque;
    Bench *b = slot->b;

    b->in_flight--;
    if (ret < 0 && !b->error) {
        b->error = ret;
    }
    if (b->count > 0 && !b->error) {
        bench_submit(slot);
    } else if (b->in_flight == 0) {
        g_main_loop_quit(b->loop);
    }
}

static void bench_submit(BenchSlot *slot)
{
    Bench *b = slot->b;

    if (b->next + b->bufsize > b->bs->size) {
        b->next = b->offset;
    }
    uint64_t off = b->next;
    b->next += b->step;
    b->count--;
    b->in_flight++;
    if (b->write) {
        bdrv_aio_write(b->bs, off, b->bufsize, slot->buf, 0, bench_done, slot);
    } else {
        bdrv_aio_read(b->bs, off, b->bufsize, slot->buf, bench_done, slot);
    }
}

typedef struct BenchArgs {
    const char *fmt;
    int depth;
    bool quiet, nocache;
} BenchArgs;

static bool bench_parse(int argc, char **argv, Bench *b, BenchArgs *a)
{
    uint64_t v;
    int c;

    while ((c = getopt(argc, argv, "hc:d:f:nqs:S:t:wo:iU")) != -1) {
        switch (c) {
        case 'c':
            b->count = atoi(optarg);
            break;
        case 'd':
            a->depth = atoi(optarg);
            break;
        case 'f':
            a->fmt = optarg;
            break;
        case 'n':
        case 't':
            a->nocache = c == 'n' || !strcmp(optarg, "none");
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'w':
            b->write = true;
            break;
        case 's':
        case 'S':
        case 'o':
            if (!img_parse_size(optarg, &v)) {
                img_error("Invalid size '%s'", optarg);
                return false;
            }
            *(c == 's' ? &b->bufsize : c == 'S' ? &b->step : &b->offset) = v;
            break;
        case 'i':
        case 'U':
            break;
        default:
            img_error("Usage: bench [-c count] [-d depth] [-f fmt] [-n] [-q] [-s buffer_size] "
                      "[-S step_size] [-w] [-o offset] filename");
            return false;
        }
    }
    if (optind != argc - 1 || b->count < 1 || a->depth < 1 || a->depth > 1024 || !b->bufsize ||
        b->bufsize > (64 << 20)) {
        img_error("Expecting one image file name and sane -c, -d, -s values");
        return false;
    }
    b->step = b->step ? b->step : b->bufsize;
    return true;
}

static int bench_run(Bench *b, int depth, bool quiet)
{
    g_autofree uint8_t *bufs = g_malloc0(b->bufsize * (uint64_t)depth);
    g_autofree BenchSlot *slots = g_new0(BenchSlot, depth);

    b->next = b->offset;
    b->loop = g_main_loop_new(NULL, FALSE);
    if (!quiet) {
        printf("Sending %d %s requests, %" PRIu64 " bytes each, %d in parallel (starting at "
               "offset %" PRIu64 ", step size %" PRIu64 ")\n",
               b->count, b->write ? "write" : "read", b->bufsize, depth, b->offset, b->step);
    }
    gint64 start = g_get_monotonic_time();
    for (int i = 0; i < depth && b->count > 0; i++) {
        slots[i] = (BenchSlot){b, bufs + (uint64_t)i * b->bufsize};
        bench_submit(&slots[i]);
    }
    g_main_loop_run(b->loop);
    g_main_loop_unref(b->loop);
    if (b->error) {
        img_error("Failed request: %s", g_strerror(-b->error));
        return 1;
    }
    if (b->write && bdrv_flush(b->bs) < 0) {
        img_error("Failed flush request");
        return 1;
    }
    if (!quiet) {
        printf("Run completed in %3.3f seconds.\n",
               (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
    }
    return 0;
}

int img_bench(int argc, char **argv)
{
    Bench b = {.bufsize = 4096, .count = 75000};
    BenchArgs a = {.depth = 64};

    if (!bench_parse(argc, argv, &b, &a)) {
        return 1;
    }
    int flags = (b.write ? BDRV_O_RDWR : 0) | (a.nocache ? BDRV_O_NOCACHE : 0);
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs = img_open(argv[optind], a.fmt, flags, &err);
    if (!bs) {
        img_error("Could not open '%s': %s", argv[optind], err->message);
        return 1;
    }
    if (bs->size < b.offset + b.bufsize) {
        img_error("Image is too small for the requests");
        return 1;
    }
    b.bs = bs;
    return bench_run(&b, a.depth, a.quiet);
}
