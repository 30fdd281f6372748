/*
 * An x86-64 instruction encoder: just the instructions the code generator needs, each a
 * small function that appends its bytes (legacy prefixes, REX, opcode, ModRM, SIB,
 * displacement, immediate) at JitEmit.p. Encodings follow the Intel SDM volume 2.
 *
 * Code is written through a writable view of the code buffer and runs from a separate
 * executable view of the same pages (W^X, see codebuf.c), so a JitEmit knows the
 * distance between the two: relative branches are computed from executable addresses.
 *
 * Callers guarantee space: the compiler checks JitEmit.limit once per IR op, with a
 * margin larger than any op's code (JIT_OP_MARGIN), instead of checking every byte.
 */
#ifndef VMD_TCG_X86_64_EMIT_H
#define VMD_TCG_X86_64_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef enum X86Reg {
    RAX,
    RCX,
    RDX,
    RBX,
    RSP,
    RBP,
    RSI,
    RDI,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    X86_NREGS,
    X86_NOREG = -1,
} X86Reg;

/* Condition codes (the low nibble of jcc/setcc/cmovcc). */
typedef enum X86Cond {
    CC_O,
    CC_NO,
    CC_B,
    CC_AE,
    CC_E,
    CC_NE,
    CC_BE,
    CC_A,
    CC_S,
    CC_NS,
    CC_P,
    CC_NP,
    CC_L,
    CC_GE,
    CC_LE,
    CC_G,
} X86Cond;

/* The eight classic ALU ops, by their /digit (add r/m, r is (op << 3) | 1). */
typedef enum X86Alu {
    ALU_ADD = 0,
    ALU_OR = 1,
    ALU_ADC = 2,
    ALU_SBB = 3,
    ALU_AND = 4,
    ALU_SUB = 5,
    ALU_XOR = 6,
    ALU_CMP = 7,
} X86Alu;

/* Group 3 (F7 /digit). */
typedef enum X86Grp3 {
    G3_NOT = 2,
    G3_NEG = 3,
    G3_MUL = 4,
    G3_IMUL = 5,
    G3_DIV = 6,
    G3_IDIV = 7,
} X86Grp3;

/* Group 2 shifts and rotates (C1/D3 /digit). */
typedef enum X86Shift {
    SH_ROL = 0,
    SH_ROR = 1,
    SH_SHL = 4,
    SH_SHR = 5,
    SH_SAR = 7,
} X86Shift;

/* Bit scans and counts: 0F xx, with F3 for the ABM/BMI1 forms. */
typedef enum X86BitOp {
    BIT_BSF,
    BIT_BSR,
    BIT_TZCNT,
    BIT_LZCNT,
    BIT_POPCNT,
} X86BitOp;

typedef struct JitEmit {
    uint8_t *p;        /* next byte, in the writable view */
    uint8_t *start;    /* first byte of the current block, writable view */
    uint8_t *limit;    /* the compiler stops (and moves regions) past this */
    intptr_t rx_delta; /* executable address = writable address + rx_delta */
} JitEmit;

/* A memory operand [base + index * (1 << shift) + disp]; index may be X86_NOREG. */
typedef struct X86Mem {
    int8_t base, index, shift;
    int32_t disp;
} X86Mem;

static inline X86Mem x86_mem(X86Reg base, int32_t disp)
{
    return (X86Mem){.base = (int8_t)base, .index = X86_NOREG, .disp = disp};
}

static inline X86Mem x86_mem_idx(X86Reg base, X86Reg index, int32_t disp)
{
    return (X86Mem){.base = (int8_t)base, .index = (int8_t)index, .disp = disp};
}

static inline void x86_byte(JitEmit *e, uint8_t b)
{
    *e->p++ = b;
}

static inline void x86_u32(JitEmit *e, uint32_t v)
{
    memcpy(e->p, &v, 4);
    e->p += 4;
}

static inline void x86_u64(JitEmit *e, uint64_t v)
{
    memcpy(e->p, &v, 8);
    e->p += 8;
}

/* Offset of the next byte from the block start. */
static inline uint32_t x86_offset(const JitEmit *e)
{
    return (uint32_t)(e->p - e->start);
}

/* Executable address of a writable-view pointer. */
static inline uintptr_t x86_rx(const JitEmit *e, const uint8_t *p)
{
    return (uintptr_t)p + (uintptr_t)e->rx_delta;
}

static inline bool x86_fits_i32(int64_t v)
{
    return v == (int32_t)v;
}

static inline bool x86_fits_i8(int64_t v)
{
    return v == (int8_t)v;
}

static inline X86Cond x86_invert(X86Cond c)
{
    return (X86Cond)(c ^ 1);
}

/* Moves. w selects 64-bit operand size; 32-bit forms zero the upper half. */
void x86_mov_rr(JitEmit *e, bool w, X86Reg d, X86Reg s);
/* d = v as a 64-bit value, in the shortest form. keep_flags forbids xor for zero. */
void x86_movi(JitEmit *e, X86Reg d, uint64_t v, bool keep_flags);
/* Loads size bytes (log2 in size_log2), sign- or zero-extended into 64 (w) or 32 bits. */
void x86_load(JitEmit *e, unsigned size_log2, bool sign, bool w, X86Reg d, X86Mem m);
void x86_store(JitEmit *e, unsigned size_log2, X86Reg s, X86Mem m);
/* Stores imm (sign-extended to 64 bits for size 3) to memory. */
void x86_store_imm(JitEmit *e, unsigned size_log2, int32_t imm, X86Mem m);
void x86_lea(JitEmit *e, bool w, X86Reg d, X86Mem m);

/* Arithmetic. */
void x86_alu_rr(JitEmit *e, X86Alu op, bool w, X86Reg d, X86Reg s);
void x86_alu_ri(JitEmit *e, X86Alu op, bool w, X86Reg d, int32_t imm);
void x86_alu_mi(JitEmit *e, X86Alu op, bool w, X86Mem m, int32_t imm);
/* cmp r, [m] (64-bit): flags of r - [m]. */
void x86_op_cmp_rm(JitEmit *e, X86Reg r, X86Mem m);
void x86_test_rr(JitEmit *e, bool w, X86Reg a, X86Reg b);
void x86_test_ri(JitEmit *e, bool w, X86Reg a, int32_t imm);
void x86_grp3(JitEmit *e, X86Grp3 op, bool w, X86Reg r);
void x86_imul_rr(JitEmit *e, bool w, X86Reg d, X86Reg s);
void x86_imul_rri(JitEmit *e, bool w, X86Reg d, X86Reg s, int32_t imm);
void x86_shift_ri(JitEmit *e, X86Shift op, bool w, X86Reg r, unsigned count);
void x86_shift_cl(JitEmit *e, X86Shift op, bool w, X86Reg r);
/* cdq (w false) / cqo (w true): rdx:rax = sign-extend(rax). */
void x86_cqo(JitEmit *e, bool w);
void x86_setcc(JitEmit *e, X86Cond cc, X86Reg r);
void x86_cmov(JitEmit *e, X86Cond cc, bool w, X86Reg d, X86Reg s);
void x86_movzx(JitEmit *e, unsigned size_log2, X86Reg d, X86Reg s);
void x86_movsx(JitEmit *e, unsigned size_log2, bool w, X86Reg d, X86Reg s);
void x86_bitop(JitEmit *e, X86BitOp op, bool w, X86Reg d, X86Reg s);
void x86_bswap(JitEmit *e, bool w, X86Reg r);
/* BMI1 andn: d = ~s1 & s2. */
void x86_andn(JitEmit *e, bool w, X86Reg d, X86Reg s1, X86Reg s2);

/* Atomics on memory, size_log2 0..3; the register is the source and receives the old
 * value (xadd, xchg) or is the new value (cmpxchg, which compares with rax). */
void x86_lock_cmpxchg(JitEmit *e, unsigned size_log2, X86Reg r, X86Mem m);
void x86_lock_xadd(JitEmit *e, unsigned size_log2, X86Reg r, X86Mem m);
void x86_xchg(JitEmit *e, unsigned size_log2, X86Reg r, X86Mem m);
void x86_mfence(JitEmit *e);

/* Control flow. The rel32 forms return the writable address of their displacement for
 * x86_patch_rel32. */
uint8_t *x86_jcc32(JitEmit *e, X86Cond cc);
uint8_t *x86_jmp32(JitEmit *e);
/* Short forward branches inside one op's code: patch with x86_patch_rel8. */
uint8_t *x86_jcc8(JitEmit *e, X86Cond cc);
uint8_t *x86_jmp8(JitEmit *e);
void x86_patch_rel8(JitEmit *e, uint8_t *disp);
/* Points the displacement at disp (writable address) to the executable address target. */
void x86_patch_rel32(const JitEmit *e, uint8_t *disp, uintptr_t target);
void x86_call_r(JitEmit *e, X86Reg r);
void x86_jmp_r(JitEmit *e, X86Reg r);
void x86_push(JitEmit *e, X86Reg r);
void x86_pop(JitEmit *e, X86Reg r);
void x86_ret(JitEmit *e);
void x86_ud2(JitEmit *e);
/* n bytes of no-ops (multi-byte nop forms). */
void x86_nops(JitEmit *e, unsigned n);

#endif
