/*
 * libFuzzer target for qcow2 parsing: the input is a whole image file. It is parsed as
 * a header, then opened read-only over a memory node (header, extensions, L1 table,
 * refcount table, snapshot table), read at a few offsets (L2 tables, compressed
 * clusters, subclusters) and checked (every table the check walks). Nothing may crash,
 * hang or leak, whatever the bytes.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *   $(pkg-config --cflags glib-2.0) block/fuzz-qcow2.c block/block.c block/aio.c \
 *   block/file-node.c block/mem.c block/raw.c block/qcow2*.c storage-backends/file.c \
 *   $(pkg-config --libs glib-2.0 zlib libzstd) -o fuzz-qcow2
 */
#include "block/block.h"
#include "block/qcow2.h"

#include <stddef.h>
#include <stdint.h>

#define FUZZ_MAX_INPUT (4u << 20)
#define FUZZ_READ      65536

static void fuzz_reads(BlockDriverState *bs)
{
    static uint8_t buf[FUZZ_READ];
    uint64_t offs[] = {0, bs->size / 2, bs->size > FUZZ_READ ? bs->size - FUZZ_READ : 0};

    for (size_t i = 0; i < G_N_ELEMENTS(offs); i++) {
        uint64_t n = MIN(FUZZ_READ, bs->size - MIN(bs->size, offs[i]));
        bdrv_pread(bs, offs[i], n, buf);
        uint64_t pnum, map;
        int status;
        if (offs[i] < bs->size) {
            bdrv_block_status(bs, offs[i], bs->size - offs[i], &pnum, &map, &status);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Qcow2HeaderInfo hi;

    if (size > FUZZ_MAX_INPUT) {
        return 0;
    }
    bdrv_register_builtin();
    if (qcow2_parse_header(data, size, size, &hi, NULL) == 0) {
        qcow2_header_info_clear(&hi);
    }
    BlockDriverState *mem = bdrv_mem_new(data, size, false);
    BlockDriverState *bs = bdrv_open_over(mem, &bdrv_qcow2, "fuzz", BDRV_O_CHECK, NULL);
    if (bs) {
        fuzz_reads(bs);
        GArray *snaps = bdrv_snapshot_list(bs);
        if (snaps && snaps->len &&
            bdrv_snapshot_load_tmp(bs, g_array_index(snaps, BlockSnapshotInfo, 0).id) == 0) {
            fuzz_reads(bs); /* the snapshot's L1 and L2 tables */
        }
        bdrv_snapshot_list_free(snaps);
        BlockCheckResult res;
        bdrv_check(bs, &res, 0);
        block_check_result_clear(&res);
        bdrv_unref(bs);
    }
    bdrv_unref(mem);
    return 0;
}
