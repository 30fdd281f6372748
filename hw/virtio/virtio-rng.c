/*
 * virtio-rng (device ID 4): one queue; every device-writable buffer the driver posts
 * is filled with bytes from the host's getrandom(). No configuration space, no state
 * beyond the generic device's.
 */
#include "hw/virtio/virtio-devices.h"

#include <sys/random.h>

static void rng_notify(VirtioDevice *d, unsigned q)
{
    VirtioRequest req;
    int r;
    bool any = false;
    while ((r = virtqueue_pop(d, q, &req)) > 0) {
        size_t written = 0;
        for (unsigned i = 0; i < req.n_in; i++) {
            uint8_t *p = req.in[i].iov_base;
            size_t left = req.in[i].iov_len;
            while (left) {
                ssize_t n = getrandom(p, MIN(left, 256), 0);
                if (n <= 0) {
                    break;
                }
                p += n;
                left -= (size_t)n;
                written += (size_t)n;
            }
        }
        virtqueue_push(d, q, &req, (uint32_t)written);
        any = true;
    }
    if (any) {
        virtqueue_notify_driver(d, q);
    }
}

static const VirtioDeviceOps virtio_rng_ops = {
    .name = "virtio-rng",
    .device_id = 4,
    .num_queues = 1,
    .queue_notify = rng_notify,
};

void virtio_rng_init(VirtioDevice *d, const VirtioDma *dma)
{
    virtio_device_init(d, &virtio_rng_ops, dma);
}
