/*
 * Split virtqueues (virtio 1.2, 2.7) as the device sees them.
 *
 * Everything in a queue is guest memory and guest-controlled, so each step checks
 * before it trusts: the queue size is a power of two within bounds; each ring area is
 * mapped whole and must be RAM; the available index may run ahead of the device by at
 * most the queue size; descriptor indices are below the size; a chain visits at most
 * `num` descriptors (so a loop cannot hang the device) and at most VIRTIO_MAX_SEGS
 * buffers; lengths add up without overflow; the rings are aligned as the spec requires;
 * a device-readable buffer never follows a
 * device-writable one. A violation marks the device NEEDS_RESET and stops it; it never
 * touches the rest of the machine.
 */
#include "hw/virtio/virtio.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

void virtio_device_init(VirtioDevice *d, const VirtioDeviceOps *ops, const VirtioDma *dma)
{
    memset(d, 0, sizeof(*d));
    d->ops = ops;
    d->dma = dma;
    d->host_features = ops->features | VIRTIO_F_VERSION_1;
    g_mutex_init(&d->lock);
}

void virtio_device_reset(VirtioDevice *d)
{
    d->status = 0;
    d->driver_features = 0;
    d->isr = 0;
    memset(d->vq, 0, sizeof(d->vq));
    g_clear_pointer(&d->guest_error, g_free);
    if (d->ops->reset) {
        d->ops->reset(d);
    }
    if (d->notify_irq) {
        d->notify_irq(d->irq_opaque, false);
    }
}

void virtio_device_error(VirtioDevice *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!(d->status & VIRTIO_STATUS_NEEDS_RESET)) {
        g_free(d->guest_error);
        d->guest_error = g_strdup(msg);
        /* A guest error is logged, never fatal: the device stops until reset. */
        fprintf(stderr, "vmd-vm: guest error: %s: %s (device stopped until reset)\n",
                d->ops->name, msg);
    }
    d->status |= VIRTIO_STATUS_NEEDS_RESET;
    d->isr |= 2; /* configuration change: the driver reads the status */
    if (d->notify_irq) {
        d->notify_irq(d->irq_opaque, true);
    }
}

static void *ring_map(VirtioDevice *d, uint64_t gpa, uint64_t len, bool write)
{
    return d->dma->map(d->dma->opaque, gpa, len, write);
}

/* The areas' alignment the spec requires of the driver (2.7: descriptor table 16,
 * available ring 2, used ring 4); a misaligned one is a guest error. */
static bool queue_aligned(VirtioDevice *d, unsigned q)
{
    const VirtQueue *vq = &d->vq[q];
    if ((vq->desc & 15) || (vq->avail & 1) || (vq->used & 3)) {
        virtio_device_error(d, "queue %u: a ring is misaligned (desc 0x%" G_GINT64_MODIFIER
                               "x, driver 0x%" G_GINT64_MODIFIER "x, device 0x%" G_GINT64_MODIFIER
                               "x)",
                            q, vq->desc, vq->avail, vq->used);
        return false;
    }
    return true;
}

static bool queue_usable(VirtioDevice *d, unsigned q)
{
    return q < d->ops->num_queues && d->vq[q].ready && d->vq[q].num &&
           !(d->status & VIRTIO_STATUS_NEEDS_RESET) && (d->status & VIRTIO_STATUS_DRIVER_OK) &&
           queue_aligned(d, q);
}

typedef struct VringDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VringDesc;

static int add_buffer(VirtioDevice *d, VirtioRequest *r, const VringDesc *desc)
{
    bool write = desc->flags & VRING_DESC_F_WRITE;
    if (!write && r->n_in) {
        virtio_device_error(d, "a device-readable buffer follows a device-writable one");
        return -1;
    }
    if ((write ? r->n_in : r->n_out) >= VIRTIO_MAX_SEGS) {
        virtio_device_error(d, "descriptor chain has more than %d buffers", VIRTIO_MAX_SEGS);
        return -1;
    }
    if (desc->len == 0) {
        return 0;
    }
    void *host = ring_map(d, desc->addr, desc->len, write);
    if (!host) {
        virtio_device_error(d, "buffer at 0x%" G_GINT64_MODIFIER "x (+%u) is not guest RAM",
                            desc->addr, desc->len);
        return -1;
    }
    if (write) {
        r->in[r->n_in++] = (struct iovec){host, desc->len};
        r->in_len += desc->len;
    } else {
        r->out[r->n_out++] = (struct iovec){host, desc->len};
    }
    return 0;
}

int virtqueue_pop(VirtioDevice *d, unsigned q, VirtioRequest *ret)
{
    if (!queue_usable(d, q)) {
        return 0;
    }
    VirtQueue *vq = &d->vq[q];
    uint32_t num = vq->num;
    const uint16_t *avail = ring_map(d, vq->avail, 4 + 2ull * num, false);
    const VringDesc *table = ring_map(d, vq->desc, 16ull * num, false);
    if (!avail || !table) {
        virtio_device_error(d, "queue %u rings are not in guest RAM", q);
        return -1;
    }
    uint16_t avail_idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
    uint16_t pending = (uint16_t)(avail_idx - vq->last_avail);
    if (pending == 0) {
        return 0;
    }
    if (pending > num) {
        virtio_device_error(d, "queue %u: available index %u is %u ahead of the device",
                            q, avail_idx, pending);
        return -1;
    }
    uint16_t head = avail[2 + vq->last_avail % num];
    if (head >= num) {
        virtio_device_error(d, "queue %u: head descriptor %u out of range", q, head);
        return -1;
    }
    memset(ret, 0, sizeof(*ret));
    ret->head = head;
    uint16_t i = head;
    for (uint32_t seen = 0;; seen++) {
        if (seen >= num) {
            virtio_device_error(d, "queue %u: descriptor chain loops", q);
            return -1;
        }
        VringDesc desc;
        memcpy(&desc, &table[i], sizeof(desc));
        if (desc.flags & VRING_DESC_F_INDIRECT) {
            virtio_device_error(d, "queue %u: indirect descriptor not negotiated", q);
            return -1;
        }
        if (add_buffer(d, ret, &desc) < 0) {
            return -1;
        }
        if (!(desc.flags & VRING_DESC_F_NEXT)) {
            break;
        }
        if (desc.next >= num) {
            virtio_device_error(d, "queue %u: next descriptor %u out of range", q, desc.next);
            return -1;
        }
        i = desc.next;
    }
    vq->last_avail++;
    return 1;
}

void virtqueue_push(VirtioDevice *d, unsigned q, const VirtioRequest *req, uint32_t written)
{
    VirtQueue *vq = &d->vq[q];
    if (!queue_aligned(d, q)) {
        return;
    }
    uint32_t num = vq->num;
    uint8_t *used = ring_map(d, vq->used, 4 + 8ull * num, true);
    if (!used) {
        virtio_device_error(d, "queue %u used ring is not in guest RAM", q);
        return;
    }
    uint32_t elem[2] = {req->head, written};
    memcpy(used + 4 + 8 * (vq->used_idx % num), elem, 8);
    vq->used_idx++;
    __atomic_store_n((uint16_t *)(used + 2), vq->used_idx, __ATOMIC_RELEASE);
}

void virtqueue_notify_driver(VirtioDevice *d, unsigned q)
{
    VirtQueue *vq = &d->vq[q];
    if (vq->avail & 1) {
        return; /* misaligned: the device is already stopped */
    }
    const uint16_t *avail = ring_map(d, vq->avail, 4, false);
    if (avail && (__atomic_load_n(&avail[0], __ATOMIC_ACQUIRE) & VRING_AVAIL_F_NO_INTERRUPT)) {
        return;
    }
    d->isr |= 1;
    if (d->notify_irq) {
        d->notify_irq(d->irq_opaque, true);
    }
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t c = MIN(iov[i].iov_len - offset, len - done);
        memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + offset, c);
        done += c;
        offset = 0;
    }
    return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset, const void *buf,
                    size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t c = MIN(iov[i].iov_len - offset, len - done);
        memcpy((uint8_t *)iov[i].iov_base + offset, (const uint8_t *)buf + done, c);
        done += c;
        offset = 0;
    }
    return done;
}
