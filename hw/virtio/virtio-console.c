/*
 * virtio-console (device ID 3), a single port without MULTIPORT: the guest's hvc0.
 * Output from the guest goes to the back end's out callback; input waits in the back
 * end until the guest has posted a receive buffer (one request is taken ahead to know
 * how much room there is).
 */
#include "hw/virtio/virtio-devices.h"

#include <string.h>

enum { RX_QUEUE = 0, TX_QUEUE = 1 };

static void console_tx(VirtioDevice *d, unsigned q)
{
    VirtioConsole *c = (VirtioConsole *)d;
    VirtioRequest req;
    bool any = false;
    if (q != TX_QUEUE) {
        return;
    }
    while (virtqueue_pop(d, q, &req) > 0) {
        for (unsigned i = 0; i < req.n_out; i++) {
            if (c->out) {
                c->out(c->opaque, req.out[i].iov_base, req.out[i].iov_len);
            }
        }
        virtqueue_push(d, q, &req, 0);
        any = true;
    }
    if (any) {
        virtqueue_notify_driver(d, q);
    }
}

static void console_reset(VirtioDevice *d)
{
    ((VirtioConsole *)d)->rx_pending = false;
}

static void console_config_read(VirtioDevice *d, uint32_t offset, void *buf, unsigned size)
{
    uint8_t config[12] = {80, 0, 25, 0, 1, 0, 0, 0}; /* cols, rows, max_nr_ports */
    memcpy(buf, config + offset, size);
}

static const VirtioDeviceOps virtio_console_ops = {
    .name = "virtio-console",
    .device_id = 3,
    .num_queues = 2,
    .config_size = 12,
    .config_read = console_config_read,
    .queue_notify = console_tx,
    .reset = console_reset,
};

void virtio_console_init(VirtioConsole *c, const VirtioDma *dma,
                         void (*out)(void *, const uint8_t *, size_t), void *opaque)
{
    virtio_device_init(&c->dev, &virtio_console_ops, dma);
    c->out = out;
    c->opaque = opaque;
}

size_t virtio_console_room(VirtioConsole *c)
{
    VirtioDevice *d = &c->dev;
    g_mutex_lock(&d->lock);
    if (!c->rx_pending && virtqueue_pop(d, RX_QUEUE, &c->rx) > 0) {
        c->rx_pending = true;
    }
    size_t room = c->rx_pending ? c->rx.in_len : 0;
    g_mutex_unlock(&d->lock);
    return room;
}

size_t virtio_console_input(VirtioConsole *c, const uint8_t *buf, size_t len)
{
    VirtioDevice *d = &c->dev;
    size_t n = 0;
    g_mutex_lock(&d->lock);
    if (!c->rx_pending && virtqueue_pop(d, RX_QUEUE, &c->rx) > 0) {
        c->rx_pending = true;
    }
    if (c->rx_pending && !(d->status & VIRTIO_STATUS_NEEDS_RESET)) {
        n = iov_from_buf(c->rx.in, c->rx.n_in, 0, buf, MIN(len, c->rx.in_len));
        virtqueue_push(d, RX_QUEUE, &c->rx, (uint32_t)n);
        virtqueue_notify_driver(d, RX_QUEUE);
        c->rx_pending = false;
    }
    g_mutex_unlock(&d->lock);
    return n;
}
