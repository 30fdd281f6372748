/*
 * libFuzzer target for the split-virtqueue parser a guest controls: the input is a
 * guest RAM image (64 KiB at guest address 0x80000000) whose first bytes choose the
 * queue size and where the descriptor table and rings lie; the rest is whatever the
 * guest wrote there. virtqueue_pop() and virtqueue_push() run until the queue is empty
 * or the device stops; nothing may read or write outside the RAM image, crash or loop.
 *
 * Build (tests/fuzz/run-fuzz.sh does it): clang -g -O1 -fsanitize=fuzzer,address,undefined
 *   -D_GNU_SOURCE -I. $(pkg-config --cflags glib-2.0) hw/virtio/fuzz-virtqueue.c
 *   hw/virtio/virtio.c $(pkg-config --libs glib-2.0) -o fuzz-virtqueue
 */
#include "hw/virtio/virtio.h"

#include <stdio.h>
#include <string.h>

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 65536u

static uint8_t ram[RAM_SIZE];

static void *fuzz_map(void *opaque, uint64_t gpa, uint64_t len, bool for_write)
{
    if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE)) {
        return NULL;
    }
    return ram + (gpa - RAM_BASE);
}

static const VirtioDma fuzz_dma = {.map = fuzz_map};

static void noop_notify(VirtioDevice *d, unsigned q)
{
}

static const VirtioDeviceOps fuzz_ops = {
    .name = "fuzz",
    .device_id = 4,
    .num_queues = 1,
    .queue_notify = noop_notify,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16) {
        return 0;
    }
    memset(ram, 0, sizeof(ram));
    memcpy(ram, data, MIN(size, (size_t)RAM_SIZE));
    /* The "driver's" configuration, from the first bytes: any value at all. */
    uint16_t num, desc_off, avail_off, used_off;
    memcpy(&num, data, 2);
    memcpy(&desc_off, data + 2, 2);
    memcpy(&avail_off, data + 4, 2);
    memcpy(&used_off, data + 6, 2);
    static VirtioDevice dev;
    virtio_device_init(&dev, &fuzz_ops, &fuzz_dma);
    dev.status = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;
    dev.vq[0].num = num & 0x1ff; /* up to twice VIRTIO_QUEUE_MAX: the pop must cope */
    dev.vq[0].ready = true;
    dev.vq[0].desc = RAM_BASE + desc_off;
    dev.vq[0].avail = RAM_BASE + avail_off;
    dev.vq[0].used = RAM_BASE + used_off;
    VirtioRequest req;
    for (int i = 0; i < 4 * VIRTIO_QUEUE_MAX; i++) {
        if (virtqueue_pop(&dev, 0, &req) <= 0) {
            break;
        }
        /* Touch every buffer, as a device would. */
        for (unsigned k = 0; k < req.n_out; k++) {
            volatile uint8_t sink = ((uint8_t *)req.out[k].iov_base)[req.out[k].iov_len - 1];
            (void)sink;
        }
        for (unsigned k = 0; k < req.n_in; k++) {
            memset(req.in[k].iov_base, 0xab, req.in[k].iov_len);
        }
        virtqueue_push(&dev, 0, &req, (uint32_t)req.in_len);
    }
    g_free(dev.guest_error);
    g_mutex_clear(&dev.lock);
    return 0;
}
