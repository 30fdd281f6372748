/*
 * virtio-net (device ID 1): a receive and a transmit queue, a MAC address in the
 * configuration space, and the 12-byte virtio_net_hdr_v1 in front of every frame (no
 * offloads offered, so the header carries nothing to act on). Transmitted frames go to
 * the network back end; received frames land in the next posted receive buffer, or are
 * dropped when the guest has posted none (TCP recovers, as on a real link).
 */
#include "hw/virtio/virtio-devices.h"

#include <string.h>

#define VIRTIO_NET_F_MAC (1ull << 5)
#define NET_HDR_LEN 12
#define MAX_FRAME 65536
enum { RX_QUEUE = 0, TX_QUEUE = 1 };

static void net_tx(VirtioDevice *d, unsigned q)
{
    VirtioNet *n = (VirtioNet *)d;
    VirtioRequest req;
    bool any = false;
    if (q != TX_QUEUE) {
        return; /* a kick of the receive queue: buffers are used as frames arrive */
    }
    while (virtqueue_pop(d, q, &req) > 0) {
        uint8_t *frame = n->tx_buf;
        size_t len = iov_to_buf(req.out, req.n_out, NET_HDR_LEN, frame, MAX_FRAME);
        if (len > 0 && n->backend) {
            net_send(n->backend, frame, len);
        }
        virtqueue_push(d, q, &req, 0);
        any = true;
    }
    if (any) {
        virtqueue_notify_driver(d, q);
    }
}

static bool net_receive(void *opaque, const uint8_t *frame, size_t len)
{
    VirtioNet *n = opaque;
    VirtioDevice *d = &n->dev;
    VirtioRequest req;
    bool taken = false;
    g_mutex_lock(&d->lock);
    if (virtqueue_pop(d, RX_QUEUE, &req) > 0) {
        uint8_t hdr[NET_HDR_LEN] = {0};
        hdr[10] = 1; /* num_buffers */
        if (req.in_len >= NET_HDR_LEN + len) {
            iov_from_buf(req.in, req.n_in, 0, hdr, NET_HDR_LEN);
            iov_from_buf(req.in, req.n_in, NET_HDR_LEN, frame, len);
            virtqueue_push(d, RX_QUEUE, &req, (uint32_t)(NET_HDR_LEN + len));
            taken = true;
        } else {
            virtqueue_push(d, RX_QUEUE, &req, 0); /* too small for this frame */
        }
        virtqueue_notify_driver(d, RX_QUEUE);
    }
    g_mutex_unlock(&d->lock);
    return taken;
}

static void net_config_read(VirtioDevice *d, uint32_t offset, void *buf, unsigned size)
{
    VirtioNet *n = (VirtioNet *)d;
    uint8_t config[8] = {0};
    memcpy(config, n->mac, 6);
    memcpy(buf, config + offset, size);
}

static const VirtioDeviceOps virtio_net_ops = {
    .name = "virtio-net",
    .device_id = 1,
    .features = VIRTIO_NET_F_MAC,
    .num_queues = 2,
    .config_size = 6,
    .config_read = net_config_read,
    .queue_notify = net_tx,
};

void virtio_net_init(VirtioNet *n, const VirtioDma *dma, NetBackend *backend,
                     const uint8_t mac[6])
{
    virtio_device_init(&n->dev, &virtio_net_ops, dma);
    n->backend = backend;
    memcpy(n->mac, mac, 6);
    n->tx_buf = g_malloc(MAX_FRAME);
    if (backend) {
        net_attach(backend, net_receive, n);
    }
}
