/*
 * The system-mode MMU of a hart (mmu.c): translation, PMP, the software TLB, and the
 * guest memory callbacks of system mode.
 */
#ifndef VMD_TCG_RISCV_MMU_H
#define VMD_TCG_RISCV_MMU_H

#include "tcg/riscv/cpu.h"

enum { RISCV_ACCESS_LOAD, RISCV_ACCESS_STORE, RISCV_ACCESS_FETCH };
enum { RISCV_PROT_R = 1, RISCV_PROT_W = 2, RISCV_PROT_X = 4 };

/* MMU indices of memory ops; fetches use the hart's privilege (U, S or M) as index. */
enum { RISCV_MMU_U = 0, RISCV_MMU_S = 1, RISCV_MMU_S_SUM = 2, RISCV_MMU_M = 3 };
#define RISCV_MMU_FETCH_IDX(priv) ((priv) == RISCV_PRIV_M ? RISCV_MMU_M : (unsigned)(priv))

typedef struct RiscvTranslation {
    uint64_t paddr;
    unsigned prot; /* RISCV_PROT_* the mapping allows */
} RiscvTranslation;

RiscvException riscv_mmu_translate(RiscvCPU *cpu, uint64_t vaddr, int access, unsigned priv,
                                   RiscvTranslation *ret);
void riscv_tlb_flush(RiscvCPU *cpu);

/* Reads the 16-bit parcel at pc for the translator (no exception raised: the fault is
 * returned); *ret_paddr, when asked for, receives the physical address (walks the MMU). */
bool riscv_fetch_code(RiscvCPU *cpu, uint64_t pc, uint16_t *ret_half, RiscvException *ret_fault,
                      uint64_t *ret_paddr);

extern const IrGuestMemory riscv_system_memory;

#endif
