/*
 * The "file" protocol node: adapts storage-backends/file.c to the node driver
 * interface. Its size is the file's current length; writes past it grow the file.
 */
#include "block/block.h"
#include "storage-backends/file.h"

#include <errno.h>

static int file_node_open(BlockDriverState *bs, const char *filename, int flags, GError **errp)
{
    int pflags = (flags & BDRV_O_RDWR) ? FILE_PROTO_RDWR : 0;
    FileProto *f = NULL;

    if (flags & BDRV_O_CREATE) {
        pflags |= FILE_PROTO_CREATE;
    }
    if (flags & BDRV_O_NOCACHE) {
        pflags |= FILE_PROTO_DIRECT;
    }
    int ret = file_proto_open(filename, pflags, &f);
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(-ret), "Could not open '%s': %s",
                    filename, g_strerror(-ret));
        return ret;
    }
    int64_t len = file_proto_length(f);
    if (len < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not get the size of '%s': %s",
                    filename, g_strerror((int)-len));
        file_proto_close(f);
        return (int)len;
    }
    *(FileProto **)bs->opaque = f;
    bs->size = (uint64_t)len;
    return 0;
}

static FileProto *fp(BlockDriverState *bs)
{
    return *(FileProto **)bs->opaque;
}

static void file_node_close(BlockDriverState *bs)
{
    file_proto_close(fp(bs));
}

static int file_node_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf)
{
    return file_proto_pread(fp(bs), offset, buf, bytes);
}

static void grow(BlockDriverState *bs, uint64_t end)
{
    if (end > bs->size) {
        bs->size = end;
    }
}

static int file_node_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf,
                           int flags)
{
    int ret = file_proto_pwrite(fp(bs), offset, buf, bytes);
    if (ret == 0) {
        grow(bs, offset + bytes);
    }
    return ret;
}

static int file_node_flush(BlockDriverState *bs)
{
    return file_proto_flush(fp(bs));
}

static int file_node_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    return file_proto_discard(fp(bs), offset, bytes);
}

static int file_node_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes, int flags)
{
    int ret = file_proto_write_zeroes(fp(bs), offset, bytes, flags & BDRV_REQ_MAY_UNMAP);
    if (ret == 0) {
        grow(bs, offset + bytes);
    }
    return ret;
}

static int file_node_truncate(BlockDriverState *bs, uint64_t size)
{
    int ret = file_proto_truncate(fp(bs), size);
    if (ret == 0) {
        bs->size = size;
    }
    return ret;
}

static int64_t file_node_allocated(BlockDriverState *bs)
{
    return file_proto_allocated(fp(bs));
}

static int file_node_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                  uint64_t *ret_pnum, uint64_t *ret_map, int *ret_status)
{
    bool data;
    int ret = file_proto_data_status(fp(bs), offset, bytes, &data, ret_pnum);
    if (ret < 0) {
        return ret;
    }
    *ret_map = offset;
    *ret_status =
        BDRV_BLOCK_OFFSET | BDRV_BLOCK_ALLOCATED | (data ? BDRV_BLOCK_DATA : BDRV_BLOCK_ZERO);
    return 0;
}

const BlockDriver bdrv_file = {
    .format_name = "file",
    .is_protocol = true,
    .instance_size = sizeof(FileProto *),
    .open = file_node_open,
    .close = file_node_close,
    .read = file_node_read,
    .write = file_node_write,
    .flush = file_node_flush,
    .discard = file_node_discard,
    .write_zeroes = file_node_write_zeroes,
    .truncate = file_node_truncate,
    .get_allocated_size = file_node_allocated,
    .block_status = file_node_block_status,
};
