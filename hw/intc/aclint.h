/*
 * The CLINT (ACLINT MSWI + MTIMER at the SiFive CLINT layout): per-hart software
 * interrupt bits at 0x0, mtimecmp at 0x4000, mtime at 0xbff8. mtime counts the host's
 * monotonic clock at 10 MHz from the machine's start.
 */
#ifndef VMD_HW_INTC_ACLINT_H
#define VMD_HW_INTC_ACLINT_H

#include <stdbool.h>
#include <stdint.h>

#include "migration/vmstate.h"
#include "tcg/riscv/cpu.h"

#define ACLINT_MAX_HARTS 64

typedef struct Aclint {
    unsigned harts;
    RiscvCPU *cpus[ACLINT_MAX_HARTS];
    int64_t time_offset_ns;                /* host ns at which mtime was 0 */
    uint64_t mtimecmp[ACLINT_MAX_HARTS];
    uint32_t msip[ACLINT_MAX_HARTS];
} Aclint;

extern const VMStateDescription aclint_vmstate;

void aclint_init(Aclint *a, unsigned harts, RiscvCPU *const *cpus);
uint64_t aclint_mtime(const Aclint *a);
/* MMIO accesses of 4 or 8 bytes; false for anything the device does not decode. */
bool aclint_read(Aclint *a, uint64_t offset, unsigned size, uint64_t *ret_value);
bool aclint_write(Aclint *a, uint64_t offset, unsigned size, uint64_t value);
/* Re-evaluates every hart's MTIP against the current time; returns the mtime of the
 * next mtimecmp still in the future (UINT64_MAX if none), for the board's timer. */
uint64_t aclint_update(Aclint *a);

#endif
