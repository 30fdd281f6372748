/*
 * vmd-img create and resize.
 */
#include "block/img.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool backing_size(const char *backing, const char *fmt, const char *image, uint64_t *ret)
{
    g_autofree char *path = bdrv_full_backing_filename(image, backing);
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs = img_open(path, fmt, BDRV_O_NO_BACKING, &err);

    if (!bs) {
        img_error("Could not open backing image: %s", err->message);
        return false;
    }
    *ret = bs->size;
    return true;
}

/* The size argument, or the size option, or (unless -u) the backing file's size. */
static bool create_size(const char *arg, GHashTable *opts, const char *filename, bool unsafe,
                        uint64_t *ret)
{
    const char *size_str = arg ? arg : g_hash_table_lookup(opts, "size");
    const char *bf = g_hash_table_lookup(opts, "backing_file");

    *ret = 0;
    if (size_str && !img_parse_size(size_str, ret)) {
        img_error("Invalid image size specified. You may use k, M, G or T suffixes for "
                  "kilobytes, megabytes, gigabytes and terabytes.");
        return false;
    }
    if (size_str) {
        return true;
    }
    if (!bf || unsafe) {
        img_error("Image creation needs a size parameter");
        return false;
    }
    return backing_size(bf, g_hash_table_lookup(opts, "backing_fmt"), filename, ret);
}

int img_create(int argc, char **argv)
{
    const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL;
    g_autoptr(GHashTable) opts = img_opts_new();
    bool quiet = false, unsafe = false;
    int c;

    while ((c = getopt(argc, argv, "hf:b:F:o:qu")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'b':
            backing = optarg;
            break;
        case 'F':
            backing_fmt = optarg;
            break;
        case 'o':
            if (!img_parse_opts(opts, optarg)) {
                return 1;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'u':
            unsafe = true;
            break;
        default:
            img_error("Usage: create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] "
                      "[-o options] filename [size]");
            return 1;
        }
    }
    if (optind >= argc) {
        img_error("Expecting image file name");
        return 1;
    }
    const char *filename = argv[optind++];
    if (backing) {
        g_hash_table_replace(opts, g_strdup("backing_file"), g_strdup(backing));
    }
    if (backing_fmt) {
        g_hash_table_replace(opts, g_strdup("backing_fmt"), g_strdup(backing_fmt));
    }
    uint64_t size = 0;
    if (!create_size(optind < argc ? argv[optind++] : NULL, opts, filename, unsafe, &size)) {
        return 1;
    }
    g_autoptr(GError) err = NULL;
    if (!img_create_image(filename, fmt, size, opts, quiet, &err)) {
        img_error("%s: %s", filename, err->message);
        return 1;
    }
    return 0;
}

int img_resize(int argc, char **argv)
{
    const char *fmt = NULL;
    bool quiet = false, shrink = false;
    static const struct option longopts[] = {
        {"shrink", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "hf:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'S':
            shrink = true;
            break;
        default:
            img_error("Usage: resize [-f fmt] [--shrink] [-q] filename [+ | -]size");
            return 1;
        }
    }
    if (optind + 2 != argc) {
        img_error("Expecting image file name and size");
        return 1;
    }
    const char *filename = argv[optind], *sz = argv[optind + 1];
    int sign = *sz == '+' ? 1 : *sz == '-' ? -1 : 0;
    uint64_t n;
    if (!img_parse_size(sz + (sign != 0), &n)) {
        img_error("Invalid size specified");
        return 1;
    }
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs = img_open(filename, fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING, &err);
    if (!bs) {
        img_error("%s", err->message);
        return 1;
    }
    uint64_t size = sign > 0 ? bs->size + n : sign < 0 ? bs->size - MIN(n, bs->size) : n;
    if (size < bs->size && !shrink) {
        img_error("Use the --shrink option to perform a shrink operation.");
        return 1;
    }
    int ret = bdrv_truncate(bs, size);
    if (ret < 0) {
        img_error("Error resizing image: %s", g_strerror(-ret));
        return 1;
    }
    if (!quiet) {
        printf("Image resized.\n");
    }
    return 0;
}
