/*
 * vmd-img info: human and JSON output with qemu-img's wording and keys.
 */
#include "block/img.h"

#include <getopt.h>
#include <json-c/json.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

static json_object *format_specific(const BlockDriverInfo *bdi)
{
    json_object *data = json_object_new_object();

    json_object_object_add(data, "compat", json_object_new_string(bdi->compat));
    json_object_object_add(data, "compression-type", json_object_new_string(bdi->compression_type));
    json_object_object_add(data, "lazy-refcounts", json_object_new_boolean(bdi->lazy_refcounts));
    json_object_object_add(data, "refcount-bits", json_object_new_int(bdi->refcount_bits));
    json_object_object_add(data, "corrupt", json_object_new_boolean(bdi->corrupt));
    json_object_object_add(data, "extended-l2", json_object_new_boolean(bdi->extended_l2));
    json_object *fs = json_object_new_object();
    json_object_object_add(fs, "type", json_object_new_string("qcow2"));
    json_object_object_add(fs, "data", data);
    return fs;
}

static json_object *info_json(BlockDriverState *bs, const char *filename)
{
    BlockDriverInfo bdi;
    json_object *o = json_object_new_object();
    bool has_info = bdrv_get_info(bs, &bdi) == 0;
    int64_t actual = bdrv_get_allocated_size(bs);

    json_object_object_add(o, "virtual-size", json_object_new_int64((int64_t)bs->size));
    json_object_object_add(o, "filename", json_object_new_string(filename));
    if (has_info && bdi.cluster_size) {
        json_object_object_add(o, "cluster-size", json_object_new_int64(bdi.cluster_size));
    }
    json_object_object_add(o, "format", json_object_new_string(bs->drv->format_name));
    if (actual >= 0) {
        json_object_object_add(o, "actual-size", json_object_new_int64(actual));
    }
    if (bs->backing_file) {
        g_autofree char *full = bdrv_full_backing_filename(filename, bs->backing_file);
        json_object_object_add(o, "backing-filename", json_object_new_string(bs->backing_file));
        json_object_object_add(o, "full-backing-filename", json_object_new_string(full));
        if (bs->backing_format) {
            json_object_object_add(o, "backing-filename-format",
                                   json_object_new_string(bs->backing_format));
        }
    }
    if (has_info && bdi.is_qcow2) {
        json_object_object_add(o, "format-specific", format_specific(&bdi));
    }
    json_object_object_add(o, "dirty-flag", json_object_new_boolean(has_info && bdi.dirty));
    return o;
}

static void info_human(BlockDriverState *bs, const char *filename)
{
    BlockDriverInfo bdi;
    bool has_info = bdrv_get_info(bs, &bdi) == 0;
    g_autofree char *vsize = img_size_to_str(bs->size);
    int64_t actual = bdrv_get_allocated_size(bs);
    g_autofree char *dsize =
        actual >= 0 ? img_size_to_str((uint64_t)actual) : g_strdup("unavailable");

    printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRIu64 " bytes)\n"
           "disk size: %s\n",
           filename, bs->drv->format_name, vsize, bs->size, dsize);
    if (has_info && bdi.cluster_size) {
        printf("cluster_size: %u\n", bdi.cluster_size);
    }
    if (bs->backing_file) {
        g_autofree char *full = bdrv_full_backing_filename(filename, bs->backing_file);
        printf("backing file: %s", bs->backing_file);
        if (strcmp(full, bs->backing_file)) {
            printf(" (actual path: %s)", full);
        }
        printf("\n");
        if (bs->backing_format) {
            printf("backing file format: %s\n", bs->backing_format);
        }
    }
    if (has_info && bdi.is_qcow2) {
        printf("Format specific information:\n    compat: %s\n    compression type: %s\n"
               "    lazy refcounts: %s\n    refcount bits: %d\n    corrupt: %s\n"
               "    extended l2: %s\n",
               bdi.compat, bdi.compression_type, bdi.lazy_refcounts ? "true" : "false",
               bdi.refcount_bits, bdi.corrupt ? "true" : "false",
               bdi.extended_l2 ? "true" : "false");
    }
    if (has_info && bdi.dirty) {
        printf("cleanly shut down: no\n");
    }
}

int img_info(int argc, char **argv)
{
    const char *fmt = NULL, *output = "human";
    bool chain = false;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'O'},
        {"backing-chain", no_argument, NULL, 'B'},
        {"force-share", no_argument, NULL, 'U'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "hf:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            output = optarg;
            break;
        case 'B':
            chain = true;
            break;
        case 'U':
            break;
        default:
            img_error("Usage: info [-f fmt] [--output=ofmt] [--backing-chain] filename");
            return 1;
        }
    }
    if (optind != argc - 1 || (strcmp(output, "human") && strcmp(output, "json"))) {
        img_error("Expecting one image file name and --output=human|json");
        return 1;
    }
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) top =
        img_open(argv[optind], fmt, chain ? 0 : BDRV_O_NO_BACKING, &err);
    if (!top) {
        img_error("Could not open '%s': %s", argv[optind], err->message);
        return 1;
    }
    g_autoptr(json_object) list = json_object_new_array();
    for (BlockDriverState *bs = top; bs; bs = chain ? bs->backing : NULL) {
        if (!strcmp(output, "json")) {
            json_object_array_add(list, info_json(bs, bs->filename));
        } else {
            info_human(bs, bs->filename);
            printf(chain && bs->backing ? "\n" : "");
        }
    }
    if (!strcmp(output, "json")) {
        json_object *o = chain ? list : json_object_array_get_idx(list, 0);
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
    }
    return 0;
}
