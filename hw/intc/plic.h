/*
 * The platform-level interrupt controller (SiFive PLIC layout): up to 96 level-
 * triggered sources, two contexts per hart (M and S external interrupts), priorities,
 * per-context enables and thresholds, claim/complete.
 */
#ifndef VMD_HW_INTC_PLIC_H
#define VMD_HW_INTC_PLIC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "migration/vmstate.h"
#include "tcg/riscv/cpu.h"

#define PLIC_SOURCES 96
#define PLIC_WORDS (PLIC_SOURCES / 32)
#define PLIC_MAX_CONTEXTS 128

typedef struct Plic {
    GMutex lock;
    unsigned harts;
    RiscvCPU *cpus[PLIC_MAX_CONTEXTS / 2];
    uint32_t priority[PLIC_SOURCES];
    uint32_t pending[PLIC_WORDS];
    uint32_t claimed[PLIC_WORDS];           /* in service: claimed, not completed */
    uint32_t level[PLIC_WORDS];             /* current input line levels */
    uint32_t enable[PLIC_MAX_CONTEXTS][PLIC_WORDS];
    uint32_t threshold[PLIC_MAX_CONTEXTS];
} Plic;

extern const VMStateDescription plic_vmstate;

void plic_init(Plic *p, unsigned harts, RiscvCPU *const *cpus);
/* A device's interrupt line changed (any thread). */
void plic_set_irq(Plic *p, unsigned source, bool level);
bool plic_read(Plic *p, uint64_t offset, unsigned size, uint64_t *ret_value);
bool plic_write(Plic *p, uint64_t offset, unsigned size, uint64_t value);

#endif
