/*
 * virtio-blk (device ID 2) over a block node (block/: raw, qcow2, backing chains):
 * reads, writes, flushes and the device ID, one request queue. Every request is
 * checked against the disk's capacity before any I/O; a malformed request completes
 * with VIRTIO_BLK_S_IOERR or VIRTIO_BLK_S_UNSUPP and never touches bytes outside the
 * disk.
 *
 * I/O is synchronous on the vCPU thread that kicked the queue; moving it to the block
 * layer's asynchronous requests (bdrv_aio_*) is the next step.
 */
#include "hw/virtio/virtio-devices.h"

#include <string.h>

enum { BLK_T_IN = 0, BLK_T_OUT = 1, BLK_T_FLUSH = 4, BLK_T_GET_ID = 8 };
enum { BLK_S_OK = 0, BLK_S_IOERR = 1, BLK_S_UNSUPP = 2 };
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define SECTOR 512ull

typedef struct BlkHeader {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
} BlkHeader;

/* Reads or writes the data buffers (all but the last "in" byte, the status). */
static uint8_t do_rw(VirtioBlk *b, const VirtioRequest *req, bool write, uint64_t sector,
                     size_t *ret_written)
{
    const struct iovec *iov = write ? req->out : req->in;
    unsigned n = write ? req->n_out : req->n_in;
    size_t skip = write ? sizeof(BlkHeader) : 0, total = 0;
    for (unsigned i = 0; i < n; i++) {
        total += iov[i].iov_len;
    }
    total -= write ? skip : 1; /* header in front, or status byte at the end */
    if (total % SECTOR || sector > b->capacity || total / SECTOR > b->capacity - sector) {
        return BLK_S_IOERR;
    }
    if (write && b->read_only) {
        return BLK_S_IOERR;
    }
    uint64_t pos = sector * SECTOR;
    size_t done = 0;
    for (unsigned i = 0; i < n && done < total; i++) {
        uint8_t *p = iov[i].iov_base;
        size_t len = iov[i].iov_len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        p += skip;
        len -= skip;
        skip = 0;
        len = MIN(len, total - done);
        int r = write ? bdrv_pwrite(b->bs, pos, len, p, 0) : bdrv_pread(b->bs, pos, len, p);
        if (r < 0) {
            return BLK_S_IOERR;
        }
        pos += len;
        done += len;
    }
    *ret_written = write ? 0 : done;
    return BLK_S_OK;
}

static uint8_t handle(VirtioBlk *b, const VirtioRequest *req, size_t *ret_written)
{
    BlkHeader h;
    *ret_written = 0;
    if (iov_to_buf(req->out, req->n_out, 0, &h, sizeof(h)) != sizeof(h)) {
        return BLK_S_IOERR;
    }
    switch (h.type) {
    case BLK_T_IN:
        return do_rw(b, req, false, h.sector, ret_written);
    case BLK_T_OUT:
        return do_rw(b, req, true, h.sector, ret_written);
    case BLK_T_FLUSH:
        return bdrv_flush(b->bs) == 0 ? BLK_S_OK : BLK_S_IOERR;
    case BLK_T_GET_ID:
        *ret_written = iov_from_buf(req->in, req->n_in, 0, b->serial,
                                    MIN(req->in_len - 1, (size_t)20));
        return BLK_S_OK;
    default:
        return BLK_S_UNSUPP;
    }
}

static void blk_notify(VirtioDevice *d, unsigned q)
{
    VirtioBlk *b = (VirtioBlk *)d;
    VirtioRequest req;
    bool any = false;
    while (virtqueue_pop(d, q, &req) > 0) {
        if (req.in_len < 1 || req.n_out < 1) {
            virtio_device_error(d, "request without a header or a status byte");
            return;
        }
        size_t written = 0;
        uint8_t status = handle(b, &req, &written);
        iov_from_buf(req.in, req.n_in, req.in_len - 1, &status, 1);
        virtqueue_push(d, q, &req, (uint32_t)(written + 1));
        any = true;
    }
    if (any) {
        virtqueue_notify_driver(d, q);
    }
}

static void blk_config_read(VirtioDevice *d, uint32_t offset, void *buf, unsigned size)
{
    VirtioBlk *b = (VirtioBlk *)d;
    uint8_t config[24] = {0};
    memcpy(config, &b->capacity, 8);
    uint32_t blk_size = 512;
    memcpy(config + 20, &blk_size, 4);
    memcpy(buf, config + offset, size);
}

static const VirtioDeviceOps virtio_blk_ops = {
    .name = "virtio-blk",
    .device_id = 2,
    .features = VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE,
    .num_queues = 1,
    .config_size = 24,
    .config_read = blk_config_read,
    .queue_notify = blk_notify,
};

void virtio_blk_init(VirtioBlk *b, const VirtioDma *dma, BlockDriverState *bs, bool read_only,
                     const char *serial)
{
    virtio_device_init(&b->dev, &virtio_blk_ops, dma);
    if (read_only) {
        b->dev.host_features |= VIRTIO_BLK_F_RO;
    }
    b->bs = bdrv_ref(bs);
    b->capacity = (uint64_t)MAX(bdrv_getlength(bs), 0) / SECTOR;
    b->read_only = read_only;
    memset(b->serial, 0, sizeof(b->serial));
    if (serial) {
        g_strlcpy(b->serial, serial, sizeof(b->serial));
    }
}
