/*
 * vmd-img snapshot, commit, rebase, amend, measure and bench.
 */
#include "block/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int img_chain_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                     int *ret_depth);

static BlockDriverState *open_or_fail(const char *filename, const char *fmt, int flags)
{
    g_autoptr(GError) err = NULL;
    BlockDriverState *bs = img_open(filename, fmt, flags, &err);
    if (!bs) {
        img_error("Could not open '%s': %s", filename, err->message);
    }
    return bs;
}

/* ---- snapshot ---- */

static void snapshot_print(GArray *list)
{
    printf("Snapshot list:\n%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE",
           "VM CLOCK", "ICOUNT");
    for (guint i = 0; i < list->len; i++) {
        BlockSnapshotInfo *sn = &g_array_index(list, BlockSnapshotInfo, i);
        time_t t = sn->date_sec;
        struct tm tm;
        char date[32];
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        uint64_t ms = sn->vm_clock_nsec / 1000000;
        g_autofree char *vm = img_size_to_str(sn->vm_state_size);
        g_autofree char *clock =
            g_strdup_printf("%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64, ms / 3600000,
                            ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
        g_autofree char *ic =
            sn->icount == UINT64_MAX ? g_strdup("") : g_strdup_printf("%" PRIu64, sn->icount);
        printf("%-9s %-16s %8s%20s%13s%11s\n", sn->id, sn->name, vm, date, clock, ic);
    }
}

int img_snapshot(int argc, char **argv)
{
    char action = 0;
    const char *name = NULL;
    bool quiet = false;
    int c;

    while ((c = getopt(argc, argv, "hla:c:d:qfU:")) != -1) {
        if (c == 'l' || c == 'a' || c == 'c' || c == 'd') {
            if (action) {
                img_error("Cannot mix '-l', '-a', '-c', '-d'");
                return 1;
            }
            action = (char)c;
            name = optarg;
        } else if (c == 'q') {
            quiet = true;
        } else {
            img_error("Usage: snapshot [-q] [-l | -a snapshot | -c snapshot | -d snapshot] "
                      "filename");
            return 1;
        }
    }
    if (optind != argc - 1 || !action) {
        img_error("Expecting one image file name and one of -l, -a, -c, -d");
        return 1;
    }
    int flags = BDRV_O_NO_BACKING | (action == 'l' ? 0 : BDRV_O_RDWR);
    g_autoptr(BlockDriverState) bs = open_or_fail(argv[optind], NULL, flags);
    if (!bs) {
        return 1;
    }
    if (action == 'l') {
        GArray *list = bdrv_snapshot_list(bs);
        if (list && list->len && !quiet) {
            snapshot_print(list);
        }
        bdrv_snapshot_list_free(list);
        return 0;
    }
    int ret = action == 'c'   ? bdrv_snapshot_create(bs, name)
              : action == 'a' ? bdrv_snapshot_goto(bs, name)
                              : bdrv_snapshot_delete(bs, name);
    if (ret < 0) {
        const char *what = action == 'c' ? "create" : action == 'a' ? "apply" : "delete";
        img_error("Could not %s snapshot '%s': %s", what, name, g_strerror(-ret));
        return 1;
    }
    return 0;
}

/* ---- commit ---- */

static int copy_allocated(BlockDriverState *from, BlockDriverState *to, bool progress)
{
    g_autofree uint8_t *buf = g_malloc(2 << 20);

    for (uint64_t off = 0; off < from->size;) {
        uint64_t pnum, map;
        int status;
        int ret =
            bdrv_block_status(from, off, MIN(2 << 20, from->size - off), &pnum, &map, &status);
        if (ret < 0) {
            return ret;
        }
        if (status & BDRV_BLOCK_ALLOCATED) {
            ret = (status & BDRV_BLOCK_ZERO) && !(status & BDRV_BLOCK_DATA)
                      ? bdrv_write_zeroes(to, off, pnum, 0)
                      : bdrv_pread(from, off, pnum, buf);
            if (ret == 0 && !((status & BDRV_BLOCK_ZERO) && !(status & BDRV_BLOCK_DATA))) {
                ret = bdrv_pwrite(to, off, pnum, buf, 0);
            }
            if (ret < 0) {
                return ret;
            }
        }
        off += pnum;
        img_progress(progress, (double)off * 100 / (double)from->size);
    }
    return bdrv_flush(to);
}

int img_commit(int argc, char **argv)
{
    const char *fmt = NULL;
    bool quiet = false, progress = false, keep = false;
    int c;

    while ((c = getopt(argc, argv, "hf:t:b:dpqr:")) != -1) {
        if (c == 'f') {
            fmt = optarg;
        } else if (c == 'q') {
            quiet = true;
        } else if (c == 'p') {
            progress = true;
        } else if (c == 'd') {
            keep = true;
        } else if (c != 't') {
            img_error("Usage: commit [-f fmt] [-q] [-p] [-d] filename");
            return 1;
        }
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return 1;
    }
    g_autoptr(BlockDriverState) top =
        open_or_fail(argv[optind], fmt, BDRV_O_NO_BACKING | (keep ? 0 : BDRV_O_RDWR));
    if (!top) {
        return 1;
    }
    if (!top->backing_file) {
        img_error("Image does not have a backing file");
        return 1;
    }
    g_autofree char *path = bdrv_full_backing_filename(top->filename, top->backing_file);
    g_autoptr(BlockDriverState) base = open_or_fail(path, top->backing_format, BDRV_O_RDWR);
    if (!base) {
        return 1;
    }
    int ret = base->size < top->size ? bdrv_truncate(base, top->size) : 0;
    if (ret == 0) {
        ret = copy_allocated(top, base, progress && !quiet);
    }
    if (ret == 0 && !keep) { /* the base now holds it all: empty the top, as qemu-img */
        ret = bdrv_make_empty(top);
        ret = ret == -ENOTSUP ? 0 : ret;
    }
    if (ret < 0) {
        img_error("Block job failed: %s", g_strerror(-ret));
        return 1;
    }
    if (!quiet) {
        printf("%sImage committed.\n", progress ? "\n" : "");
    }
    return 0;
}

/* ---- rebase ---- */

static int rebase_copy(BlockDriverState *bs, BlockDriverState *new_base, bool progress)
{
    g_autofree uint8_t *a = g_malloc(1 << 20);
    g_autofree uint8_t *b = g_malloc(1 << 20);

    for (uint64_t off = 0; off < bs->size;) {
        uint64_t pnum, map;
        int status;
        int ret = bdrv_block_status(bs, off, MIN(1 << 20, bs->size - off), &pnum, &map, &status);
        if (ret == 0 && !(status & BDRV_BLOCK_ALLOCATED)) {
            uint64_t have = new_base && off < new_base->size ? MIN(pnum, new_base->size - off) : 0;
            memset(b + have, 0, pnum - have);
            ret = bdrv_pread(bs, off, pnum, a);
            if (ret == 0 && have) {
                ret = bdrv_pread(new_base, off, have, b);
            }
            if (ret == 0 && memcmp(a, b, pnum)) {
                ret = bdrv_pwrite(bs, off, pnum, a, 0);
            }
        }
        if (ret < 0) {
            return ret;
        }
        off += pnum;
        img_progress(progress, (double)off * 100 / (double)bs->size);
    }
    return bdrv_flush(bs);
}

int img_rebase(int argc, char **argv)
{
    const char *fmt = NULL, *bfmt = NULL, *backing = NULL;
    bool unsafe = false, progress = false;
    int c;

    while ((c = getopt(argc, argv, "hf:F:b:upqt:T:U")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'F':
            bfmt = optarg;
            break;
        case 'b':
            backing = optarg;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
        case 't':
        case 'T':
        case 'U':
            break;
        default:
            img_error("Usage: rebase [-f fmt] [-p] [-u] -b backing_file [-F backing_fmt] "
                      "filename");
            return 1;
        }
    }
    if (optind != argc - 1 || !backing) {
        img_error("Expecting one image file name and -b backing_file");
        return 1;
    }
    g_autoptr(BlockDriverState) bs =
        open_or_fail(argv[optind], fmt, BDRV_O_RDWR | (unsafe ? BDRV_O_NO_BACKING : 0));
    if (!bs) {
        return 1;
    }
    int ret = 0;
    if (!unsafe) {
        g_autoptr(BlockDriverState) nb = NULL;
        if (*backing) {
            g_autofree char *path = bdrv_full_backing_filename(bs->filename, backing);
            nb = open_or_fail(path, bfmt, 0);
            if (!nb) {
                return 1;
            }
        }
        ret = rebase_copy(bs, nb, progress);
    }
    if (ret == 0) {
        ret = bdrv_change_backing_file(bs, *backing ? backing : NULL, *backing ? bfmt : NULL);
    }
    if (ret < 0) {
        img_error("Could not change the backing file to '%s': %s", backing, g_strerror(-ret));
        return 1;
    }
    return 0;
}

/* ---- amend ---- */

int img_amend(int argc, char **argv)
{
    const char *fmt = NULL;
    g_autoptr(GHashTable) opts = img_opts_new();
    int c;

    while ((c = getopt(argc, argv, "hf:o:qpt:")) != -1) {
        if (c == 'f') {
            fmt = optarg;
        } else if (c == 'o') {
            if (!img_parse_opts(opts, optarg)) {
                return 1;
            }
        } else if (c != 'q' && c != 'p' && c != 't') {
            img_error("Usage: amend [-f fmt] [-q] -o options filename");
            return 1;
        }
    }
    if (optind != argc - 1 || g_hash_table_size(opts) == 0) {
        img_error("Expecting one image file name and -o options");
        return 1;
    }
    g_autoptr(BlockDriverState) bs =
        open_or_fail(argv[optind], fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!bs) {
        return 1;
    }
    g_autoptr(GError) err = NULL;
    if (!bdrv_amend(bs, opts, &err)) {
        img_error("%s", err->message);
        return 1;
    }
    return 0;
}
