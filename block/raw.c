/*
 * The raw format: the virtual disk is the protocol node's bytes, one to one. Its size
 * is the file's size at open (and after truncate).
 */
#include "block/block.h"

#include <errno.h>

static int raw_probe(const uint8_t *buf, size_t len)
{
    return 1; /* anything is a raw image, but every other format wins */
}

static int raw_open(BlockDriverState *bs, const char *filename, int flags, GError **errp)
{
    bs->size = bs->file->size;
    return 0;
}

static int raw_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf)
{
    return bdrv_pread(bs->file, offset, bytes, buf);
}

static int raw_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf,
                     int flags)
{
    if (flags & BDRV_REQ_COMPRESSED) {
        return -ENOTSUP;
    }
    return bdrv_pwrite(bs->file, offset, bytes, buf, 0);
}

static int raw_flush(BlockDriverState *bs)
{
    return bdrv_flush(bs->file);
}

static int raw_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    return bdrv_discard(bs->file, offset, bytes);
}

static int raw_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes, int flags)
{
    return bdrv_write_zeroes(bs->file, offset, bytes, flags);
}

static int raw_truncate(BlockDriverState *bs, uint64_t size)
{
    int ret = bdrv_truncate(bs->file, size);
    if (ret == 0) {
        bs->size = size;
    }
    return ret;
}

static int raw_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                            uint64_t *ret_pnum, uint64_t *ret_map, int *ret_status)
{
    int ret = bdrv_block_status(bs->file, offset, bytes, ret_pnum, ret_map, ret_status);
    if (ret == 0) {
        *ret_status |= BDRV_BLOCK_ALLOCATED;
    }
    return ret;
}

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .probe = raw_probe,
    .open = raw_open,
    .read = raw_read,
    .write = raw_write,
    .flush = raw_flush,
    .discard = raw_discard,
    .write_zeroes = raw_write_zeroes,
    .truncate = raw_truncate,
    .block_status = raw_block_status,
};
