/*
 * vmd-img check: runs the driver's check (and repair), prints qemu-img's messages and
 * returns qemu-img's exit codes: 0 clean, 1 check not completed, 2 corruptions, 3 leaks
 * only, 63 the format does not support checks.
 */
#include "block/img.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

enum { CHECK_OK = 0, CHECK_FAILED = 1, CHECK_ERRORS = 2, CHECK_LEAKS = 3, CHECK_NOSUP = 63 };

static void print_human(const BlockCheckResult *r, bool quiet)
{
    if (quiet) {
        return;
    }
    fputs(r->log->str, stdout);
    if (r->corruptions == 0 && r->leaks == 0 && r->check_errors == 0) {
        printf("No errors were found on the image.\n");
    }
    if (r->corruptions) {
        printf("\n%d errors were found on the image.\nData may be corrupted, or further "
               "writes to the image may corrupt it.\n",
               r->corruptions);
    }
    if (r->leaks) {
        printf("\n%d leaked clusters were found on the image.\nThis means waste of disk "
               "space, but no harm to data.\n",
               r->leaks);
    }
    if (r->check_errors) {
        printf("\n%d internal errors have occurred during the check.\n", r->check_errors);
    }
    if (r->total_clusters && r->allocated_clusters) {
        double t = (double)r->total_clusters, a = (double)r->allocated_clusters;
        printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% "
               "compressed clusters\n",
               r->allocated_clusters, r->total_clusters, a * 100 / t,
               (double)r->fragmented_clusters * 100 / a, (double)r->compressed_clusters * 100 / a);
    }
    if (r->image_end_offset) {
        printf("Image end offset: %" PRIu64 "\n", r->image_end_offset);
    }
}

static void print_json(const BlockCheckResult *r, const char *filename, const char *fmt)
{
    g_autoptr(json_object) o = json_object_new_object();

    json_object_object_add(o, "image-end-offset",
                           json_object_new_int64((int64_t)r->image_end_offset));
    json_object_object_add(o, "total-clusters", json_object_new_int64((int64_t)r->total_clusters));
    json_object_object_add(o, "check-errors", json_object_new_int(r->check_errors));
    json_object_object_add(o, "allocated-clusters",
                           json_object_new_int64((int64_t)r->allocated_clusters));
    json_object_object_add(o, "filename", json_object_new_string(filename));
    json_object_object_add(o, "format", json_object_new_string(fmt));
    json_object_object_add(o, "fragmented-clusters",
                           json_object_new_int64((int64_t)r->fragmented_clusters));
    json_object_object_add(o, "compressed-clusters",
                           json_object_new_int64((int64_t)r->compressed_clusters));
    if (r->leaks) {
        json_object_object_add(o, "leaks", json_object_new_int(r->leaks));
    }
    if (r->corruptions) {
        json_object_object_add(o, "corruptions", json_object_new_int(r->corruptions));
    }
    if (r->leaks_fixed) {
        json_object_object_add(o, "leaks-fixed", json_object_new_int(r->leaks_fixed));
    }
    if (r->corruptions_fixed) {
        json_object_object_add(o, "corruptions-fixed", json_object_new_int(r->corruptions_fixed));
    }
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int exit_code(const BlockCheckResult *r)
{
    if (r->check_errors) {
        return CHECK_FAILED;
    }
    return r->corruptions ? CHECK_ERRORS : r->leaks ? CHECK_LEAKS : CHECK_OK;
}

static int run_check(BlockDriverState *bs, int fix, bool json, bool quiet, const char *filename)
{
    BlockCheckResult r;

    int ret = bdrv_check(bs, &r, fix);
    if (ret == -ENOTSUP) {
        img_error("This image format does not support checks");
        block_check_result_clear(&r);
        return CHECK_NOSUP;
    }
    if (ret < 0) {
        img_error("Check failed: %s", g_strerror(-ret));
        block_check_result_clear(&r);
        return CHECK_FAILED;
    }
    if (fix && (r.leaks_fixed || r.corruptions_fixed)) {
        if (!json && !quiet) {
            fputs(r.log->str, stdout);
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %d leaked clusters\n    %d corruptions\n\n"
                   "Double checking the fixed image now...\n",
                   r.leaks_fixed, r.corruptions_fixed);
        }
        block_check_result_clear(&r);
        ret = bdrv_check(bs, &r, 0);
        if (ret < 0) {
            block_check_result_clear(&r);
            return CHECK_FAILED;
        }
    }
    if (json) {
        print_json(&r, filename, bs->drv->format_name);
    } else {
        print_human(&r, quiet);
    }
    int code = exit_code(&r);
    block_check_result_clear(&r);
    return code;
}

int img_check(int argc, char **argv)
{
    const char *fmt = NULL, *output = "human";
    bool quiet = false;
    int fix = 0, c;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'O'},
        {"repair", required_argument, NULL, 'r'},
        {"force-share", no_argument, NULL, 'U'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };

    while ((c = getopt_long(argc, argv, "hf:r:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            output = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                img_error("Unknown option value for -r (expecting 'leaks' or 'all'): %s", optarg);
                return 1;
            }
            break;
        default:
            img_error("Usage: check [-f fmt] [--output=ofmt] [-r [leaks | all]] [-q] filename");
            return 1;
        }
    }
    if (optind != argc - 1 || (strcmp(output, "human") && strcmp(output, "json"))) {
        img_error("Expecting one image file name and --output=human|json");
        return 1;
    }
    int flags = BDRV_O_NO_BACKING | BDRV_O_CHECK | BDRV_O_NO_REPAIR | (fix ? BDRV_O_RDWR : 0);
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) bs = img_open(argv[optind], fmt, flags, &err);
    if (!bs) {
        img_error("Could not open '%s': %s", argv[optind], err->message);
        return 1;
    }
    return run_check(bs, fix, !strcmp(output, "json"), quiet, argv[optind]);
}
