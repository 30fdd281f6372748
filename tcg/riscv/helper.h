/*
 * Run-time helpers the RISC-V translator calls from generated code, and the small
 * pieces of CPU state encoding shared by translate.c and cpu.c.
 *
 * Helpers follow the IR's calling convention (tcg/ir/ir.h): every argument and the
 * result are uint64_t; env arrives as a uint64_t too.
 */
#ifndef VMD_TCG_RISCV_HELPER_H
#define VMD_TCG_RISCV_HELPER_H

#include <stdbool.h>
#include <stdint.h>

#include "tcg/riscv/cpu.h"

/* Translation flags of a block: what its code depends on besides pc. */
#define RISCV_TBF_PRIV_MASK 0x3ull /* RiscvPriv */
#define RISCV_TBF_MMU_SHIFT 2      /* mmu index, 3 bits */
#define RISCV_TBF_FS_OFF (1ull << 5) /* mstatus.FS == Off: FP instructions are illegal */
#define RISCV_TBF_FS_DIRTY (1ull << 6) /* mstatus.FS == Dirty already: no need to mark it */
#define RISCV_TBF_PAGE_MASK (~0xfffull) /* system mode: host address of the code page */

static inline unsigned riscv_tb_flags_priv(uint64_t flags)
{
    return flags & RISCV_TBF_PRIV_MASK;
}

static inline unsigned riscv_tb_flags_mmu_idx(uint64_t flags)
{
    return (flags >> RISCV_TBF_MMU_SHIFT) & 7;
}

uint64_t riscv_tb_flags(const RiscvCPU *cpu);
/* The flags a block must have to run at the cpu's pc now (system mode: with its code
 * page); what the exec loop and tb_lookup_fast() look blocks up with. */
uint64_t riscv_tb_key_flags(void *env);

uint64_t helper_raise(uint64_t env, uint64_t cause, uint64_t tval, uint64_t pc);

/* System mode (cpu-sys.c). */
uint64_t riscv_read_mstatus(const RiscvCPU *cpu);
uint64_t riscv_read_mip(RiscvCPU *cpu);
/* Enters the trap handler for cause (bit 63 set for interrupts): delegation, xepc,
 * xcause, xtval, xstatus, privilege and pc. */
void riscv_cpu_do_trap(RiscvCPU *cpu, uint64_t cause, uint64_t tval);
uint64_t helper_mret(uint64_t env, uint64_t pc);
uint64_t helper_sret(uint64_t env, uint64_t pc);
uint64_t helper_wfi(uint64_t env, uint64_t pc);
uint64_t helper_sfence_vma(uint64_t env, uint64_t pc);
int riscv_cpu_pending_irq(RiscvCPU *cpu);
uint64_t helper_mark_fs_dirty(uint64_t env);
uint64_t helper_orc_b(uint64_t x);
uint64_t helper_clmul(uint64_t a, uint64_t b);
uint64_t helper_clmulh(uint64_t a, uint64_t b);
uint64_t helper_clmulr(uint64_t a, uint64_t b);

/* Zicsr: returns the old value; raises illegal instruction for an inaccessible CSR.
 * csr_op packs the CSR number (bits 0-11), whether to write (bit 12), and the
 * instruction bits (bits 32-63, for the illegal-instruction tval). The new value is
 * (old & ~mask) | (value & mask). */
#define RISCV_CSR_WRITE (1u << 12)
uint64_t helper_csrrw(uint64_t env, uint64_t csr_op, uint64_t value, uint64_t mask);

/* F and D. rm_insn packs the instruction's rm field (bits 0-2; 7 = dynamic) and its bits
 * (32-63, for the illegal-instruction tval when the rounding mode is invalid). Single
 * precision values arrive and leave NaN-boxed in 64 bits. */
#define RISCV_FP_HELPERS(T)                                                                  \
    uint64_t helper_fadd_##T(uint64_t env, uint64_t a, uint64_t b, uint64_t rm_insn);        \
    uint64_t helper_fsub_##T(uint64_t env, uint64_t a, uint64_t b, uint64_t rm_insn);        \
    uint64_t helper_fmul_##T(uint64_t env, uint64_t a, uint64_t b, uint64_t rm_insn);        \
    uint64_t helper_fdiv_##T(uint64_t env, uint64_t a, uint64_t b, uint64_t rm_insn);        \
    uint64_t helper_fsqrt_##T(uint64_t env, uint64_t a, uint64_t rm_insn);                   \
    uint64_t helper_fmadd_##T(uint64_t env, uint64_t a, uint64_t b, uint64_t c,              \
                              uint64_t rm_insn);                                             \
    uint64_t helper_fmsub_##T(uint64_t env, uint64_t a, uint64_t b, uint64_t c,              \
                              uint64_t rm_insn);                                             \
    uint64_t helper_fnmsub_##T(uint64_t env, uint64_t a, uint64_t b, uint64_t c,             \
                               uint64_t rm_insn);                                            \
    uint64_t helper_fnmadd_##T(uint64_t env, uint64_t a, uint64_t b, uint64_t c,             \
                               uint64_t rm_insn);                                            \
    uint64_t helper_fmin_##T(uint64_t env, uint64_t a, uint64_t b);                          \
    uint64_t helper_fmax_##T(uint64_t env, uint64_t a, uint64_t b);                          \
    uint64_t helper_feq_##T(uint64_t env, uint64_t a, uint64_t b);                           \
    uint64_t helper_flt_##T(uint64_t env, uint64_t a, uint64_t b);                           \
    uint64_t helper_fle_##T(uint64_t env, uint64_t a, uint64_t b);                           \
    uint64_t helper_fclass_##T(uint64_t a);                                                  \
    uint64_t helper_fsgnj_##T(uint64_t a, uint64_t b);                                       \
    uint64_t helper_fsgnjn_##T(uint64_t a, uint64_t b);                                      \
    uint64_t helper_fsgnjx_##T(uint64_t a, uint64_t b);                                      \
    uint64_t helper_fcvt_w_##T(uint64_t env, uint64_t a, uint64_t rm_insn);                  \
    uint64_t helper_fcvt_wu_##T(uint64_t env, uint64_t a, uint64_t rm_insn);                 \
    uint64_t helper_fcvt_l_##T(uint64_t env, uint64_t a, uint64_t rm_insn);                  \
    uint64_t helper_fcvt_lu_##T(uint64_t env, uint64_t a, uint64_t rm_insn);                 \
    uint64_t helper_fcvt_##T##_w(uint64_t env, uint64_t a, uint64_t rm_insn);                \
    uint64_t helper_fcvt_##T##_wu(uint64_t env, uint64_t a, uint64_t rm_insn);               \
    uint64_t helper_fcvt_##T##_l(uint64_t env, uint64_t a, uint64_t rm_insn);                \
    uint64_t helper_fcvt_##T##_lu(uint64_t env, uint64_t a, uint64_t rm_insn);
RISCV_FP_HELPERS(s)
RISCV_FP_HELPERS(d)
#undef RISCV_FP_HELPERS
uint64_t helper_fcvt_s_d(uint64_t env, uint64_t a, uint64_t rm_insn);
uint64_t helper_fcvt_d_s(uint64_t env, uint64_t a, uint64_t rm_insn);

#endif
