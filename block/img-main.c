/*
 * vmd-img entry point: the command table and --help, worded after qemu-img's so a
 * qemu-img user finds the same commands, options and exit codes.
 */
#include "block/img.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct ImgCommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis;
} ImgCommand;

static const ImgCommand commands[] = {
    {"amend", img_amend, "amend [-f fmt] [-q] -o options filename"},
    {"bench", img_bench,
     "bench [-c count] [-d depth] [-f fmt] [-n] [-q] [-s buffer_size] "
     "[-S step_size] [-w] [-o offset] filename"},
    {"check", img_check, "check [-f fmt] [--output=ofmt] [-r [leaks | all]] [-q] filename"},
    {"commit", img_commit, "commit [-f fmt] [-q] [-p] [-d] filename"},
    {"compare", img_compare, "compare [-f fmt] [-F fmt] [-p] [-q] [-s] filename1 filename2"},
    {"convert", img_convert,
     "convert [-c] [-p] [-q] [-n] [-W] [-m num_coroutines] [-f fmt] "
     "[-l snapshot_param] [-t cache] [-o options] [-O output_fmt] [-S sparse_size] "
     "filename [filename2 [...]] output_filename"},
    {"create", img_create,
     "create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] "
     "[-o options] filename [size]"},
    {"info", img_info, "info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename"},
    {"map", img_map, "map [-f fmt] [--output=ofmt] filename"},
    {"measure", img_measure,
     "measure [--output=ofmt] [-O output_fmt] [-o options] "
     "[--size N | [-f fmt] filename]"},
    {"snapshot", img_snapshot,
     "snapshot [-q] [-l | -a snapshot | -c snapshot | -d snapshot] "
     "filename"},
    {"rebase", img_rebase,
     "rebase [-f fmt] [-p] [-q] [-u] -b backing_file [-F backing_fmt] "
     "filename"},
    {"resize", img_resize, "resize [-f fmt] [--shrink] [-q] filename [+ | -]size"},
};

static void help(void)
{
    printf("vmd-img version 0.1.0\n"
           "usage: vmd-img [standard options] command [command options]\n"
           "Disk image utility, with the commands and options of qemu-img.\n\n"
           "    '-h', '--help'       display this help and exit\n"
           "    '-V', '--version'    output version information and exit\n\n"
           "Command syntax:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        printf("  %s\n", commands[i].synopsis);
    }
    printf("\nCommand parameters:\n"
           "  'filename' is a disk image filename\n"
           "  'fmt' is the disk image format (raw, qcow2). It is guessed automatically\n"
           "    in most cases\n"
           "  'cache' is the cache mode used to write the output disk image: 'none',\n"
           "    'writeback' or 'unsafe' (default for convert)\n"
           "  'size' is the disk image size in bytes. Optional suffixes 'k' or 'K'\n"
           "    (kilobyte, 1024), 'M' (megabyte, 1024k), 'G' (gigabyte, 1024M) and\n"
           "    'T' (terabyte, 1024G) are supported. 'b' is ignored.\n"
           "  'output_filename' is the destination disk image filename\n"
           "  'output_fmt' is the destination format\n"
           "  'options' is a comma separated list of format specific options in a\n"
           "    name=value format: cluster_size, compat (0.10 or 1.1), refcount_bits,\n"
           "    backing_file, backing_fmt, compression_type (zlib or zstd),\n"
           "    lazy_refcounts\n"
           "  '-c' indicates that target image must be compressed (qcow2 format only)\n"
           "  '-p' show progress of command (only certain commands)\n"
           "  '-q' use Quiet mode - do not print any output (except errors)\n"
           "  '-S' indicates the consecutive number of bytes (defaults to 4k) that must\n"
           "    contain only zeros for vmd-img to create a sparse image during\n"
           "    conversion. If the number of bytes is 0, the source will not be scanned\n"
           "    for unallocated or zero sectors, and the destination image will always\n"
           "    be fully allocated\n"
           "  '--output' takes the format in which the output must be done (human or json)\n"
           "  '-n' skips the target volume creation (useful if the volume is created\n"
           "    prior to running vmd-img)\n\n"
           "Parameters to check subcommand:\n"
           "  '-r' tries to repair any inconsistencies that are found during the check.\n"
           "       '-r leaks' repairs only cluster leaks, whereas '-r all' fixes all\n"
           "       kinds of errors, with a higher risk of choosing the wrong fix or\n"
           "       hiding corruption that has already occurred.\n"
           "  Exit codes: 0 no errors, 1 the check could not be completed, 2 errors\n"
           "  (corruption), 3 leaked clusters only, 63 the format does not support checks\n\n"
           "Parameters to convert subcommand:\n"
           "  '-m' specifies how many coroutines work in parallel during the convert\n"
           "       process (defaults to 8)\n"
           "  '-W' allow to write to the target out of order rather than sequential\n\n"
           "Parameters to snapshot subcommand:\n"
           "  'snapshot' is the name of the snapshot to create, apply or delete\n"
           "  '-a' applies a snapshot (revert disk to saved state)\n"
           "  '-c' creates a snapshot\n"
           "  '-d' deletes a snapshot\n"
           "  '-l' lists all snapshots in the given image\n\n"
           "Parameters to compare subcommand:\n"
           "  '-f' first image format\n"
           "  '-F' second image format\n"
           "  '-s' run in Strict mode - fail on different image size or sector allocation\n"
           "  Exit codes: 0 images identical, 1 images differ, 2 error\n\n"
           "Supported formats: raw qcow2\n");
}

int img_main(int argc, char **argv)
{
    if (argc < 2) {
        img_error("Not enough arguments\nTry 'vmd-img --help' for more information");
        return 1;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        help();
        return 0;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("vmd-img version 0.1.0\n");
        return 0;
    }
    bdrv_register_builtin();
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (!strcmp(argv[1], commands[i].name)) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    img_error("Command not found: %s", argv[1]);
    return 1;
}
