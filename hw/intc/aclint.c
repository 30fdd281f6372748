/*
 * The CLINT: machine software interrupts (MSIP) and the machine timer (mtime/mtimecmp)
 * of each hart, at the SiFive CLINT layout the virt board uses.
 *
 * MTIP is level: it is set while mtime >= mtimecmp. The device recomputes it on every
 * mtimecmp write and whenever the board calls aclint_update() (from its timer, at the
 * deadline aclint_update() returned).
 */
#include "hw/intc/aclint.h"

#include <string.h>
#include <time.h>

#include "tcg/riscv/csr.h"

enum {
    MSIP_BASE = 0x0,
    MTIMECMP_BASE = 0x4000,
    MTIME = 0xbff8,
};

static const VMStateField aclint_fields[] = {
    VMSTATE_U64_ARRAY(Aclint, mtimecmp, ACLINT_MAX_HARTS),
    VMSTATE_U32_ARRAY(Aclint, msip, ACLINT_MAX_HARTS),
};
const VMStateDescription aclint_vmstate = {
    .name = "riscv.aclint",
    .version = 1,
    .fields = aclint_fields,
    .n_fields = sizeof(aclint_fields) / sizeof(aclint_fields[0]),
};

static int64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void aclint_init(Aclint *a, unsigned harts, RiscvCPU *const *cpus)
{
    memset(a, 0, sizeof(*a));
    a->harts = harts < ACLINT_MAX_HARTS ? harts : ACLINT_MAX_HARTS;
    for (unsigned i = 0; i < a->harts; i++) {
        a->cpus[i] = cpus[i];
        a->mtimecmp[i] = UINT64_MAX;
    }
    a->time_offset_ns = host_ns();
}

uint64_t aclint_mtime(const Aclint *a)
{
    return (uint64_t)(host_ns() - a->time_offset_ns) / 100;
}

uint64_t aclint_update(Aclint *a)
{
    uint64_t now = aclint_mtime(a), next = UINT64_MAX;
    for (unsigned i = 0; i < a->harts; i++) {
        uint64_t cmp = __atomic_load_n(&a->mtimecmp[i], __ATOMIC_ACQUIRE);
        bool due = now >= cmp;
        bool pending = __atomic_load_n(&a->cpus[i]->sys.mip, __ATOMIC_ACQUIRE) & MIP_MTIP;
        if (due != pending) {
            riscv_cpu_set_irq(a->cpus[i], MIP_MTIP, due);
        }
        if (!due && cmp < next) {
            next = cmp;
        }
    }
    return next;
}

/* Reads or merges a 4-byte half of a 64-bit register. */
static uint64_t half(uint64_t reg, uint64_t offset, unsigned size)
{
    if (size == 8) {
        return reg;
    }
    return (offset & 4) ? reg >> 32 : (uint32_t)reg;
}

static uint64_t merge(uint64_t reg, uint64_t offset, unsigned size, uint64_t value)
{
    if (size == 8) {
        return value;
    }
    if (offset & 4) {
        return (reg & 0xffffffffull) | value << 32;
    }
    return (reg & ~0xffffffffull) | (uint32_t)value;
}

bool aclint_read(Aclint *a, uint64_t offset, unsigned size, uint64_t *ret_value)
{
    if (size != 4 && size != 8) {
        return false;
    }
    if (offset < MSIP_BASE + 4ull * a->harts && size == 4) {
        *ret_value = a->msip[offset / 4];
        return true;
    }
    if (offset >= MTIMECMP_BASE && offset < MTIMECMP_BASE + 8ull * a->harts) {
        unsigned h = (unsigned)((offset - MTIMECMP_BASE) / 8);
        *ret_value = half(a->mtimecmp[h], offset, size);
        return true;
    }
    if (offset == MTIME || (offset == MTIME + 4 && size == 4)) {
        *ret_value = half(aclint_mtime(a), offset, size);
        return true;
    }
    return false;
}

bool aclint_write(Aclint *a, uint64_t offset, unsigned size, uint64_t value)
{
    if (size != 4 && size != 8) {
        return false;
    }
    if (offset < MSIP_BASE + 4ull * a->harts && size == 4) {
        unsigned h = (unsigned)(offset / 4);
        a->msip[h] = value & 1;
        riscv_cpu_set_irq(a->cpus[h], MIP_MSIP, value & 1);
        return true;
    }
    if (offset >= MTIMECMP_BASE && offset < MTIMECMP_BASE + 8ull * a->harts) {
        unsigned h = (unsigned)((offset - MTIMECMP_BASE) / 8);
        __atomic_store_n(&a->mtimecmp[h], merge(a->mtimecmp[h], offset, size, value),
                         __ATOMIC_RELEASE);
        aclint_update(a);
        return true;
    }
    if (offset == MTIME || (offset == MTIME + 4 && size == 4)) {
        /* Writing mtime moves the whole timebase. */
        uint64_t nt = merge(aclint_mtime(a), offset, size, value);
        a->time_offset_ns = host_ns() - (int64_t)(nt * 100);
        aclint_update(a);
        return true;
    }
    return false;
}
