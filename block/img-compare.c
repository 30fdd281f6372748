/*
 * vmd-img compare and map. compare reads both images through their backing chains
 * and reports the first differing offset (exit 0 identical, 1 different, 2 error);
 * ranges both images report as zero are not read. map prints the allocation of each
 * range and the layer it comes from, in qemu-img's JSON or human form.
 */
#include "block/img.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define COMPARE_CHUNK (1u << 20)

int img_chain_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                     int *ret_depth);

static bool range_zero(BlockDriverState *bs, uint64_t off, uint64_t len, uint64_t *ret_pnum)
{
    int depth;
    int st = img_chain_status(bs, off, len, ret_pnum, &depth);
    return st >= 0 && (st & BDRV_BLOCK_ZERO) && !(st & BDRV_BLOCK_DATA);
}

static int64_t first_diff(const uint8_t *a, const uint8_t *b, uint64_t n)
{
    if (memcmp(a, b, n) == 0) {
        return -1;
    }
    for (uint64_t i = 0; i < n; i += 512) {
        uint64_t m = MIN(512, n - i);
        if (memcmp(a + i, b + i, m)) {
            return (int64_t)i;
        }
    }
    return -1;
}

/* 0 same, 1 different (message printed), 2 error. */
static int compare_common(BlockDriverState *a, BlockDriverState *b, uint64_t size, bool quiet)
{
    g_autofree uint8_t *ba = g_malloc(COMPARE_CHUNK);
    g_autofree uint8_t *bb = g_malloc(COMPARE_CHUNK);

    for (uint64_t off = 0; off < size;) {
        uint64_t n = MIN(COMPARE_CHUNK, size - off), pa, pb;
        if (range_zero(a, off, n, &pa) && range_zero(b, off, n, &pb)) {
            off += MIN(pa, pb);
            continue;
        }
        int ret = bdrv_pread(a, off, n, ba);
        int ret2 = bdrv_pread(b, off, n, bb);
        if (ret < 0 || ret2 < 0) {
            img_error("Error while reading offset %" PRIu64 ": %s", off,
                      g_strerror(ret < 0 ? -ret : -ret2));
            return 2;
        }
        int64_t d = first_diff(ba, bb, n);
        if (d >= 0) {
            if (!quiet) {
                printf("Content mismatch at offset %" PRIu64 "!\n", off + (uint64_t)d);
            }
            return 1;
        }
        off += n;
    }
    return 0;
}

static int compare_tail(BlockDriverState *bs, uint64_t from, bool quiet)
{
    g_autofree uint8_t *buf = g_malloc(COMPARE_CHUNK);

    for (uint64_t off = from; off < bs->size;) {
        uint64_t n = MIN(COMPARE_CHUNK, bs->size - off), p;
        if (range_zero(bs, off, n, &p)) {
            off += p;
            continue;
        }
        if (bdrv_pread(bs, off, n, buf) < 0) {
            img_error("Error while reading offset %" PRIu64, off);
            return 2;
        }
        for (uint64_t i = 0; i < n; i++) {
            if (buf[i]) {
                if (!quiet) {
                    printf("Content mismatch at offset %" PRIu64 "!\n", off + i);
                }
                return 1;
            }
        }
        off += n;
    }
    return 0;
}

static int compare_alloc(BlockDriverState *a, BlockDriverState *b, bool quiet)
{
    for (uint64_t off = 0; off < a->size;) {
        uint64_t pa, pb;
        int da, db;
        int sa = img_chain_status(a, off, a->size - off, &pa, &da);
        int sb = img_chain_status(b, off, a->size - off, &pb, &db);
        if (sa < 0 || sb < 0) {
            return 2;
        }
        if (((sa ^ sb) & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO))) {
            if (!quiet) {
                printf("Strict mode: Offset %" PRIu64 " allocation mismatch!\n", off);
            }
            return 1;
        }
        off += MIN(pa, pb);
    }
    return 0;
}

int img_compare(int argc, char **argv)
{
    const char *fmt1 = NULL, *fmt2 = NULL;
    bool quiet = false, strict = false;
    int c;

    while ((c = getopt(argc, argv, "hf:F:pqsU")) != -1) {
        switch (c) {
        case 'f':
            fmt1 = optarg;
            break;
        case 'F':
            fmt2 = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 's':
            strict = true;
            break;
        case 'p':
        case 'U':
            break;
        default:
            img_error("Usage: compare [-f fmt] [-F fmt] [-p] [-q] [-s] filename1 filename2");
            return 2;
        }
    }
    if (optind != argc - 2) {
        img_error("Expecting two image file names");
        return 2;
    }
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) a = img_open(argv[optind], fmt1, 0, &err);
    g_autoptr(BlockDriverState) b = a ? img_open(argv[optind + 1], fmt2, 0, &err) : NULL;
    if (!a || !b) {
        img_error("Could not open '%s': %s", argv[optind + (a != NULL)], err->message);
        return 2;
    }
    if (strict && a->size != b->size) {
        if (!quiet) {
            printf("Strict mode: Image size mismatch!\n");
        }
        return 1;
    }
    uint64_t common = MIN(a->size, b->size);
    int ret = compare_common(a, b, common, quiet);
    if (ret == 0) {
        ret = compare_tail(a->size > common ? a : b, common, quiet);
    }
    if (ret == 0 && strict) {
        ret = compare_alloc(a, b, quiet);
    }
    if (ret == 0 && !quiet) {
        printf("Images are identical.\n");
    }
    return ret;
}

typedef struct MapEntry {
    uint64_t start, length;
    int depth;
    bool present, zero, data, has_offset;
    uint64_t offset;
} MapEntry;

static bool map_mergeable(const MapEntry *a, const MapEntry *b)
{
    return a->depth == b->depth && a->present == b->present && a->zero == b->zero &&
           a->data == b->data && a->has_offset == b->has_offset &&
           (!a->has_offset || a->offset + a->length == b->offset);
}

static void map_print(const MapEntry *e, bool json, bool first, const char *file)
{
    if (json) {
        printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64 ", \"depth\": %d, "
               "\"present\": %s, \"zero\": %s, \"data\": %s",
               first ? "[" : ",\n", e->start, e->length, e->depth, e->present ? "true" : "false",
               e->zero ? "true" : "false", e->data ? "true" : "false");
        if (e->has_offset) {
            printf(", \"offset\": %" PRIu64, e->offset);
        }
        printf("}");
    } else if (e->data && e->has_offset) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", e->start, e->length, e->offset,
               file);
    }
}

static int map_entry(BlockDriverState *bs, uint64_t off, MapEntry *e)
{
    uint64_t pnum, map;
    int status, depth = 0;
    BlockDriverState *p = bs;

    for (;;) {
        if (bdrv_block_status(p, off, MIN(bs->size - off, p->size - off), &pnum, &map, &status) <
            0) {
            return -1;
        }
        if ((status & BDRV_BLOCK_ALLOCATED) || !p->backing || off >= p->backing->size) {
            break;
        }
        p = p->backing;
        depth++;
    }
    *e = (MapEntry){.start = off,
                    .length = pnum,
                    .depth = depth,
                    .present = (status & BDRV_BLOCK_ALLOCATED) || depth > 0,
                    .zero = status & BDRV_BLOCK_ZERO,
                    .data = status & BDRV_BLOCK_DATA,
                    .has_offset = status & BDRV_BLOCK_OFFSET,
                    .offset = map};
    if (!e->present) {
        e->zero = true;
    }
    return 0;
}

int img_map(int argc, char **argv)
{
    const char *fmt = NULL, *output = "human";
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "hf:U", longopts, NULL)) != -1) {
        if (c == 'f') {
            fmt = optarg;
        } else if (c == 'O') {
            output = optarg;
        } else if (c != 'U') {
            img_error("Usage: map [-f fmt] [--output=ofmt] filename");
            return 1;
        }
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return 1;
    }
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs = img_open(argv[optind], fmt, 0, &err);
    if (!bs) {
        img_error("Could not open '%s': %s", argv[optind], err->message);
        return 1;
    }
    bool json = !strcmp(output, "json"), first = true;
    if (!json) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    }
    MapEntry cur = {0}, next;
    for (uint64_t off = 0; off < bs->size; off += next.length) {
        if (map_entry(bs, off, &next) < 0) {
            img_error("Could not read file metadata");
            return 1;
        }
        if (off > 0 && map_mergeable(&cur, &next)) {
            cur.length += next.length;
            continue;
        }
        if (off > 0) {
            map_print(&cur, json, first, bs->file->filename);
            first = false;
        }
        cur = next;
    }
    if (bs->size > 0) {
        map_print(&cur, json, first, bs->file->filename);
    }
    if (json) {
        printf(bs->size ? "]\n" : "[]\n");
    }
    return 0;
}
