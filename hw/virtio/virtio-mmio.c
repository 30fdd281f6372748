/*
 * virtio-mmio, version 2. Register accesses are 32-bit; the device-specific
 * configuration space from 0x100 takes 1, 2, 4 or 8 bytes within its size. The driver
 * configures each queue (size, ring addresses, ready) and kicks it through
 * QueueNotify; the device raises its line while InterruptStatus is non-zero.
 */
#include "hw/virtio/virtio-mmio.h"

#include <string.h>

enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
    DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014, DRIVER_FEATURES = 0x020,
    DRIVER_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038,
    QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060,
    INTERRUPT_ACK = 0x064, STATUS = 0x070, QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084,
    QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094, QUEUE_DEVICE_LOW = 0x0a0,
    QUEUE_DEVICE_HIGH = 0x0a4, CONFIG_GENERATION = 0x0fc, CONFIG = 0x100,
};
#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_VENDOR 0x554d4551     /* "QEMU", what Linux expects of the virt board */

static VirtQueue *selected(VirtioMmio *t)
{
    return t->queue_sel < t->dev->ops->num_queues ? &t->dev->vq[t->queue_sel] : NULL;
}

static uint32_t read_reg(VirtioMmio *t, uint64_t offset)
{
    VirtioDevice *d = t->dev;
    VirtQueue *vq = selected(t);
    switch (offset) {
    case MAGIC: return VIRTIO_MMIO_MAGIC;
    case VERSION: return 2;
    case DEVICE_ID: return d->ops->device_id;
    case VENDOR_ID: return VIRTIO_VENDOR;
    case DEVICE_FEATURES:
        return t->device_features_sel < 2
                   ? (uint32_t)(d->host_features >> (32 * t->device_features_sel))
                   : 0;
    case QUEUE_NUM_MAX: return vq ? VIRTIO_QUEUE_MAX : 0;
    case QUEUE_READY: return vq ? vq->ready : 0;
    case INTERRUPT_STATUS: return d->isr;
    case STATUS: return d->status;
    case CONFIG_GENERATION: return d->config_generation;
    default: return 0;
    }
}

static void set_addr(uint64_t *field, bool high, uint32_t value)
{
    *field = high ? (*field & 0xffffffffull) | (uint64_t)value << 32
                  : (*field & ~0xffffffffull) | value;
}

static void write_status(VirtioMmio *t, uint32_t v)
{
    VirtioDevice *d = t->dev;
    if (v == 0) {
        virtio_device_reset(d);
        return;
    }
    if ((v & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* Accept only a subset of what was offered, and only modern drivers. */
        if ((d->driver_features & ~d->host_features) ||
            !(d->driver_features & VIRTIO_F_VERSION_1)) {
            v &= ~VIRTIO_STATUS_FEATURES_OK;
        }
    }
    d->status = (d->status & VIRTIO_STATUS_NEEDS_RESET) | v;
}

static void write_reg(VirtioMmio *t, uint64_t offset, uint32_t v)
{
    VirtioDevice *d = t->dev;
    VirtQueue *vq = selected(t);
    switch (offset) {
    case DEVICE_FEATURES_SEL: t->device_features_sel = v; break;
    case DRIVER_FEATURES_SEL: t->driver_features_sel = v; break;
    case DRIVER_FEATURES:
        if (t->driver_features_sel < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
            unsigned sh = 32 * t->driver_features_sel;
            d->driver_features = (d->driver_features & ~(0xffffffffull << sh)) |
                                 (uint64_t)v << sh;
        }
        break;
    case QUEUE_SEL: t->queue_sel = v; break;
    case QUEUE_NUM:
        if (vq) {
            vq->num = v;
        }
        break;
    case QUEUE_READY:
        if (vq && (v & 1)) {
            if (vq->num == 0 || vq->num > VIRTIO_QUEUE_MAX || (vq->num & (vq->num - 1))) {
                virtio_device_error(d, "queue %u size %u is not a power of two up to %u",
                                    t->queue_sel, vq->num, VIRTIO_QUEUE_MAX);
                break;
            }
            vq->ready = true;
        } else if (vq) {
            vq->ready = false;
        }
        break;
    case QUEUE_NOTIFY:
        if (v < d->ops->num_queues && d->ops->queue_notify) {
            d->ops->queue_notify(d, v);
        }
        break;
    case INTERRUPT_ACK:
        d->isr &= ~v;
        if (!d->isr && d->notify_irq) {
            d->notify_irq(d->irq_opaque, false);
        }
        break;
    case STATUS: write_status(t, v); break;
    case QUEUE_DESC_LOW: case QUEUE_DESC_HIGH:
        if (vq && !vq->ready) {
            set_addr(&vq->desc, offset == QUEUE_DESC_HIGH, v);
        }
        break;
    case QUEUE_DRIVER_LOW: case QUEUE_DRIVER_HIGH:
        if (vq && !vq->ready) {
            set_addr(&vq->avail, offset == QUEUE_DRIVER_HIGH, v);
        }
        break;
    case QUEUE_DEVICE_LOW: case QUEUE_DEVICE_HIGH:
        if (vq && !vq->ready) {
            set_addr(&vq->used, offset == QUEUE_DEVICE_HIGH, v);
        }
        break;
    default:
        break;
    }
}

bool virtio_mmio_read(VirtioMmio *t, uint64_t offset, unsigned size, uint64_t *ret_value)
{
    *ret_value = 0;
    if (!t->dev) {
        /* An empty slot: magic, version and device ID 0. */
        *ret_value = offset == MAGIC ? VIRTIO_MMIO_MAGIC : offset == VERSION ? 2 : 0;
        return true;
    }
    VirtioDevice *d = t->dev;
    g_mutex_lock(&d->lock);
    if (offset >= CONFIG) {
        uint64_t off = offset - CONFIG;
        if (off < d->ops->config_size && size <= d->ops->config_size - off &&
            d->ops->config_read) {
            d->ops->config_read(d, (uint32_t)off, ret_value, size);
        }
    } else if (size == 4 && !(offset & 3)) {
        *ret_value = read_reg(t, offset);
    }
    g_mutex_unlock(&d->lock);
    return true;
}

bool virtio_mmio_write(VirtioMmio *t, uint64_t offset, unsigned size, uint64_t value)
{
    if (!t->dev) {
        return true;
    }
    VirtioDevice *d = t->dev;
    g_mutex_lock(&d->lock);
    if (offset >= CONFIG) {
        uint64_t off = offset - CONFIG;
        if (off < d->ops->config_size && size <= d->ops->config_size - off &&
            d->ops->config_write) {
            d->ops->config_write(d, (uint32_t)off, &value, size);
        }
    } else if (size == 4 && !(offset & 3)) {
        write_reg(t, offset, (uint32_t)value);
    }
    g_mutex_unlock(&d->lock);
    return true;
}
