/*
 * Shared between the RISC-V translator's parts (translate.c and the trans-*.c.inc
 * files it includes): the per-block translation state and the small code generation
 * helpers every trans_* function uses.
 */
#ifndef VMD_TCG_RISCV_TRANSLATE_H
#define VMD_TCG_RISCV_TRANSLATE_H

#include "tcg/exec/tb.h"
#include "tcg/ir/ir.h"
#include "tcg/riscv/cpu.h"

typedef enum DisasJumpType {
    DISAS_NEXT,      /* go on with the next instruction */
    DISAS_NORETURN,  /* the instruction ended the block with its own exit */
    DISAS_STOP,      /* end the block after this instruction: pc = pc_next, return */
    DISAS_CHAIN,     /* end the block after this instruction, chaining to pc_next */
} DisasJumpType;

typedef struct DisasContext {
    IrBlock *b;
    RiscvCPU *cpu;
    TranslationBlock *tb;
    uint64_t pc;          /* pc of the instruction being translated */
    uint64_t pc_next;     /* pc of the instruction after it */
    uint32_t insn;        /* its bits (16-bit ones zero-extended) */
    DisasJumpType is_jmp;
    unsigned mmu_idx;     /* for guest memory ops */
    uint64_t flags;       /* the block's translation flags (riscv_tb_flags) */
    bool fs_dirtied;      /* mstatus.FS already marked dirty in this block */
} DisasContext;

/* Block exit codes returned to riscv_cpu_exec() through exit_return. */
enum {
    RISCV_RET_NONE = 0,    /* nothing to do: continue at env->pc */
    RISCV_RET_FENCE_I = 1, /* flush translated code, then continue */
    RISCV_RET_HALT = 2,    /* wfi with nothing pending: return RISCV_EXIT_HALT */
};

/* Globals: the integer and FP registers and pc, registered once. */
extern IrTemp riscv_gpr[32];
extern IrTemp riscv_fpr[32];

static inline IrTemp get_gpr(DisasContext *ctx, int r)
{
    return r == 0 ? ir_const64(ctx->b, 0) : riscv_gpr[r];
}

/* A temp to compute rd into: rd's global, or a scratch temp for x0. */
static inline IrTemp dest_gpr(DisasContext *ctx, int r)
{
    return r == 0 ? ir_temp(ctx->b, IR_I64) : riscv_gpr[r];
}

static inline void set_gpr(DisasContext *ctx, int r, IrTemp v)
{
    if (r != 0) {
        ir_mov(ctx->b, IR_I64, riscv_gpr[r], v);
    }
}

void gen_exception(DisasContext *ctx, RiscvException cause, uint64_t tval);
void gen_illegal(DisasContext *ctx);
void gen_goto_pc(DisasContext *ctx, unsigned slot, uint64_t dest);
void gen_set_pc(DisasContext *ctx, IrTemp dest);

#endif
