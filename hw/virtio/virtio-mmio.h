/*
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2): one device behind a 0x1000
 * window of registers. A slot with no device answers device ID 0.
 */
#ifndef VMD_HW_VIRTIO_VIRTIO_MMIO_H
#define VMD_HW_VIRTIO_VIRTIO_MMIO_H

#include "hw/virtio/virtio.h"

typedef struct VirtioMmio {
    VirtioDevice *dev;          /* NULL: an empty slot */
    uint32_t device_features_sel;
    uint32_t driver_features_sel;
    uint32_t queue_sel;
} VirtioMmio;

bool virtio_mmio_read(VirtioMmio *t, uint64_t offset, unsigned size, uint64_t *ret_value);
bool virtio_mmio_write(VirtioMmio *t, uint64_t offset, unsigned size, uint64_t value);

#endif
