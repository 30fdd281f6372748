/*
 * The "mem" protocol node: a growable byte array. Unit tests and the fuzzer open format
 * drivers over it, so the same driver code runs without touching the host file system.
 */
#include "block/block.h"

#include <errno.h>
#include <string.h>

#define MEM_MAX_SIZE (1ULL << 32) /* a test image never needs more */

static GByteArray *mem(BlockDriverState *bs)
{
    return *(GByteArray **)bs->opaque;
}

static int mem_open(BlockDriverState *bs, const char *filename, int flags, GError **errp)
{
    *(GByteArray **)bs->opaque = g_byte_array_new();
    bs->size = 0;
    return 0;
}

static void mem_close(BlockDriverState *bs)
{
    g_byte_array_unref(mem(bs));
}

BlockDriverState *bdrv_mem_new(const void *data, size_t len, bool writable)
{
    BlockDriverState *bs = bdrv_open_protocol(&bdrv_mem, "mem", writable ? BDRV_O_RDWR : 0, NULL);
    if (bs) {
        g_byte_array_append(mem(bs), data, len);
        bs->size = len;
    }
    return bs;
}

const GByteArray *bdrv_mem_data(BlockDriverState *bs)
{
    return mem(bs);
}

static int mem_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf)
{
    GByteArray *a = mem(bs);
    uint64_t have = offset < a->len ? MIN(bytes, a->len - offset) : 0;

    if (have) {
        memcpy(buf, a->data + offset, have);
    }
    memset((uint8_t *)buf + have, 0, bytes - have);
    return 0;
}

static int mem_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf,
                     int flags)
{
    GByteArray *a = mem(bs);

    if (offset + bytes > MEM_MAX_SIZE) {
        return -EFBIG;
    }
    if (offset + bytes > a->len) {
        guint old = a->len;
        g_byte_array_set_size(a, offset + bytes);
        memset(a->data + old, 0, a->len - old);
        bs->size = a->len;
    }
    memcpy(a->data + offset, buf, bytes);
    return 0;
}

static int mem_truncate(BlockDriverState *bs, uint64_t size)
{
    GByteArray *a = mem(bs);

    if (size > MEM_MAX_SIZE) {
        return -EFBIG;
    }
    guint old = a->len;
    g_byte_array_set_size(a, size);
    if (size > old) {
        memset(a->data + old, 0, size - old);
    }
    bs->size = size;
    return 0;
}

const BlockDriver bdrv_mem = {
    .format_name = "mem",
    .is_protocol = true,
    .instance_size = sizeof(GByteArray *),
    .open = mem_open,
    .close = mem_close,
    .read = mem_read,
    .write = mem_write,
    .truncate = mem_truncate,
};
