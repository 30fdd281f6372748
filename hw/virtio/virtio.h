/*
 * Virtio devices (virtio 1.2): the device model side that every virtio device shares —
 * feature negotiation state, split virtqueues with every guest-controlled index,
 * length and chain checked, used-ring updates and interrupts — independent of the
 * transport (virtio-mmio here; PCI later).
 *
 * A device sees requests as VirtioRequest: a descriptor chain already validated and
 * split into driver-readable ("out") and device-writable ("in") host buffers. Guest
 * memory is reached only through VirtioDma, which the board implements over RAM (and
 * which marks written pages dirty, invalidating any translated code in them).
 */
#ifndef VMD_HW_VIRTIO_VIRTIO_H
#define VMD_HW_VIRTIO_VIRTIO_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_QUEUE_MAX 256
#define VIRTIO_MAX_SEGS 64

enum {
    VIRTIO_STATUS_ACKNOWLEDGE = 1,
    VIRTIO_STATUS_DRIVER = 2,
    VIRTIO_STATUS_DRIVER_OK = 4,
    VIRTIO_STATUS_FEATURES_OK = 8,
    VIRTIO_STATUS_NEEDS_RESET = 64,
    VIRTIO_STATUS_FAILED = 128,
};
#define VIRTIO_F_VERSION_1 (1ull << 32)

typedef struct VirtioDma {
    void *opaque;
    /* Host pointer for [gpa, gpa + len) if it is all RAM, else NULL. A mapping for
     * writing marks the range dirty (before the device writes: callers write at once). */
    void *(*map)(void *opaque, uint64_t gpa, uint64_t len, bool for_write);
} VirtioDma;

typedef struct VirtQueue {
    uint32_t num;          /* size set by the driver (power of two, <= VIRTIO_QUEUE_MAX) */
    bool ready;
    uint64_t desc, avail, used; /* guest-physical addresses of the three areas */
    uint16_t last_avail;   /* next avail ring entry the device will take */
    uint16_t used_idx;     /* next used ring entry the device will fill */
} VirtQueue;

typedef struct VirtioRequest {
    uint16_t head;                    /* descriptor index to return in the used ring */
    struct iovec out[VIRTIO_MAX_SEGS];/* driver -> device */
    unsigned n_out;
    struct iovec in[VIRTIO_MAX_SEGS]; /* device -> driver */
    unsigned n_in;
    size_t in_len;                    /* total device-writable bytes */
} VirtioRequest;

typedef struct VirtioDevice VirtioDevice;

typedef struct VirtioDeviceOps {
    const char *name;
    uint32_t device_id;
    uint64_t features;              /* offered (VIRTIO_F_VERSION_1 is added) */
    unsigned num_queues;
    uint32_t config_size;
    /* Config space access; offsets and sizes already checked against config_size. */
    void (*config_read)(VirtioDevice *d, uint32_t offset, void *buf, unsigned size);
    void (*config_write)(VirtioDevice *d, uint32_t offset, const void *buf, unsigned size);
    void (*queue_notify)(VirtioDevice *d, unsigned queue);
    void (*reset)(VirtioDevice *d);
} VirtioDeviceOps;

struct VirtioDevice {
    const VirtioDeviceOps *ops;
    const VirtioDma *dma;
    GMutex lock;              /* device state: transports and back ends both come here */
    uint64_t host_features;   /* offered: ops->features, VERSION_1 and per-device bits */
    uint32_t status;
    uint64_t driver_features;
    uint32_t isr;             /* interrupt status: bit 0 used buffer, bit 1 config change */
    uint32_t config_generation;
    VirtQueue vq[VIRTIO_MAX_QUEUES];
    void (*notify_irq)(void *opaque, bool level); /* the transport's interrupt line */
    void *irq_opaque;
    char *guest_error;        /* why the device stopped (NEEDS_RESET), for logs */
};

void virtio_device_init(VirtioDevice *d, const VirtioDeviceOps *ops, const VirtioDma *dma);
void virtio_device_reset(VirtioDevice *d);
/* Takes the next available request of queue q: 1 if one was taken, 0 if the ring is
 * empty, -1 if the guest broke the rules (the device then needs a reset). */
int virtqueue_pop(VirtioDevice *d, unsigned q, VirtioRequest *ret);
/* Returns a request with `written` bytes written into its "in" buffers. */
void virtqueue_push(VirtioDevice *d, unsigned q, const VirtioRequest *req, uint32_t written);
/* Raises the used-buffer interrupt unless the driver asked not to be interrupted. */
void virtqueue_notify_driver(VirtioDevice *d, unsigned q);
/* Marks the device broken (status NEEDS_RESET) after a guest error, with a reason. */
void virtio_device_error(VirtioDevice *d, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Copies between a request's buffers and a flat buffer; return bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset, const void *buf,
                    size_t len);

#endif
