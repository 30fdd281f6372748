/*
 * The virtio devices of the machine, each a VirtioDevice with its own ops.
 */
#ifndef VMD_HW_VIRTIO_DEVICES_H
#define VMD_HW_VIRTIO_DEVICES_H

#include "hw/virtio/virtio.h"
#include "block/block.h"
#include "net/net.h"

void virtio_rng_init(VirtioDevice *d, const VirtioDma *dma);

typedef struct VirtioBlk {
    VirtioDevice dev;       /* first: the generic device */
    BlockDriverState *bs;   /* the disk's block node (raw, qcow2, ...) */
    uint64_t capacity;      /* in 512-byte sectors */
    bool read_only;
    char serial[21];        /* GET_ID answer, NUL padded */
} VirtioBlk;

/* Takes a reference to bs. */
void virtio_blk_init(VirtioBlk *b, const VirtioDma *dma, BlockDriverState *bs, bool read_only,
                     const char *serial);

typedef struct VirtioNet {
    VirtioDevice dev;       /* first: the generic device */
    NetBackend *backend;    /* the link's other end, or NULL (frames are dropped) */
    uint8_t mac[6];
    uint8_t *tx_buf;        /* one frame being sent */
} VirtioNet;

void virtio_net_init(VirtioNet *n, const VirtioDma *dma, NetBackend *backend,
                     const uint8_t mac[6]);

typedef struct VirtioConsole {
    VirtioDevice dev;       /* first: the generic device */
    void (*out)(void *opaque, const uint8_t *buf, size_t len); /* guest output */
    void *opaque;
    VirtioRequest rx;       /* a receive buffer taken ahead, when rx_pending */
    bool rx_pending;
} VirtioConsole;

void virtio_console_init(VirtioConsole *c, const VirtioDma *dma,
                         void (*out)(void *, const uint8_t *, size_t), void *opaque);
/* Input for the guest: how many bytes fit now, and delivery (bytes taken). */
size_t virtio_console_room(VirtioConsole *c);
size_t virtio_console_input(VirtioConsole *c, const uint8_t *buf, size_t len);

#endif
