/*
 * Instruction selection for moves, ALU ops, comparisons and intra-block control flow.
 *
 * i32 ops use 32-bit instructions, which zero the upper half of their destination, so
 * every i32 result is zero-extended in its register, as TCI keeps it in its slot. Moves,
 * movcond and helper results copy all 64 bits, again like TCI. Inputs are never assumed
 * to be zero-extended.
 *
 * Constants: an op whose inputs are all constants is folded with ir_eval_* (the same
 * functions TCI and the optimizer use); a constant second operand becomes an imm32 when
 * x86 allows it (sign-extended for 64-bit ops); commutative ops put the constant second.
 * Division checks for zero and MIN / -1 in code (x86 would trap on both) and takes the
 * RISC-V answers; a constant divisor needs no check at all.
 *
 * Flags: ra_in may emit "xor r, r" for a constant zero, so every input is placed before
 * the compare; after it only moves, stores and cmov/setcc are emitted.
 */
#include "tcg/x86_64/jit-internal.h"

#define BIT(r) (1u << (r))

static bool is_w(const IrOp *op)
{
    return op->type == IR_I64;
}

static uint64_t type_mask(const IrOp *op)
{
    return is_w(op) ? UINT64_MAX : UINT32_MAX;
}

/* Whether t is a constant usable as an imm32 of an op of width w. */
static bool imm_ok(const JitGen *g, IrTemp t, bool w, int32_t *imm)
{
    if (!jit_is_const(g, t)) {
        return false;
    }
    uint64_t v = jit_const_val(g, t);
    if (w && !x86_fits_i32((int64_t)v)) {
        return false;
    }
    *imm = (int32_t)v;
    return true;
}

/* An output register for d that needs no input in it: d's own, or a new one. */
static X86Reg out_reg(JitGen *g, IrTemp d)
{
    X86Reg r = ra_reg_of(g, d);
    if (r != X86_NOREG && !(g->locked & BIT(r))) {
        g->locked |= BIT(r);
        return r;
    }
    return ra_alloc(g, 0);
}

/* An output register for a two-operand instruction reading s: s's when it dies here or
 * d == s, else out_reg. */
static X86Reg out_reg_from(JitGen *g, IrTemp d, IrTemp s, X86Reg rs)
{
    if (rs != X86_NOREG && (d == s || ra_dies_here(g, s))) {
        return rs;
    }
    return out_reg(g, d);
}

static void set_const(JitGen *g, IrTemp d, uint64_t v)
{
    X86Reg r = out_reg(g, d);
    x86_movi(&g->e, r, v, false);
    ra_bind(g, d, r);
}

void isel_mov(JitGen *g, const IrOp *op)
{
    IrTemp d = op->args[0], a = op->args[1];
    if (d == a) {
        return;
    }
    if (jit_is_const(g, a) && ra_reg_of(g, a) == X86_NOREG) {
        set_const(g, d, jit_const_val(g, a));
        return;
    }
    X86Reg ra = ra_in(g, a, 0);
    if (ra_dies_here(g, a)) {
        ra_bind(g, d, ra); /* rename: no code */
        return;
    }
    X86Reg r = out_reg(g, d);
    x86_mov_rr(&g->e, true, r, ra);
    ra_bind(g, d, r);
}

void isel_ext(JitGen *g, const IrOp *op)
{
    IrTemp d = op->args[0], a = op->args[1];
    if (jit_is_const(g, a)) {
        set_const(g, d, ir_eval_unary((IrOpcode)op->opc, IR_I64, jit_const_val(g, a)));
        return;
    }
    X86Reg ra = ra_in(g, a, 0);
    X86Reg r = out_reg_from(g, d, a, ra);
    if (op->opc == IR_OP_ext_i32) {
        x86_movsx(&g->e, 2, true, r, ra);
    } else {
        x86_mov_rr(&g->e, false, r, ra);
    }
    ra_bind(g, d, r);
}

/* ---- Unary ops ---------------------------------------------------------------------- */

static uint64_t helper_ctpop32(uint64_t x)
{
    return (uint64_t)__builtin_popcount((uint32_t)x);
}

static uint64_t helper_ctpop64(uint64_t x)
{
    return (uint64_t)__builtin_popcountll(x);
}

/* clz/ctz without lzcnt/tzcnt: bsr/bsf leave the destination undefined for zero. */
static void emit_bitscan_fallback(JitGen *g, IrOpcode opc, bool w, X86Reg r, X86Reg ra)
{
    unsigned width = w ? 64 : 32;
    if (opc == IR_OP_ctz) {
        x86_movi(&g->e, JIT_TMP, width, false);
        x86_bitop(&g->e, BIT_BSF, w, r, ra);
        x86_cmov(&g->e, CC_E, w, r, JIT_TMP);
        return;
    }
    /* clz = (width - 1) - bsr, with bsr(0) taken as -1. */
    x86_movi(&g->e, JIT_TMP, w ? UINT64_MAX : UINT32_MAX, false);
    x86_bitop(&g->e, BIT_BSR, w, r, ra);
    x86_cmov(&g->e, CC_E, w, r, JIT_TMP);
    x86_grp3(&g->e, G3_NEG, w, r);
    x86_alu_ri(&g->e, ALU_ADD, w, r, (int32_t)(width - 1));
}

static void emit_count(JitGen *g, const IrOp *op, X86Reg r, X86Reg ra)
{
    bool w = is_w(op);
    switch (op->opc) {
    case IR_OP_clz:
        if (g->features & JIT_FEAT_LZCNT) {
            x86_bitop(&g->e, BIT_LZCNT, w, r, ra);
        } else {
            emit_bitscan_fallback(g, IR_OP_clz, w, r, ra);
        }
        break;
    case IR_OP_ctz:
        if (g->features & JIT_FEAT_BMI1) {
            x86_bitop(&g->e, BIT_TZCNT, w, r, ra);
        } else {
            emit_bitscan_fallback(g, IR_OP_ctz, w, r, ra);
        }
        break;
    default:
        x86_bitop(&g->e, BIT_POPCNT, w, r, ra);
        break;
    }
}

void isel_alu1(JitGen *g, const IrOp *op)
{
    IrTemp d = op->args[0], a = op->args[1];
    bool w = is_w(op);
    if (jit_is_const(g, a)) {
        set_const(g, d, ir_eval_unary((IrOpcode)op->opc, (IrType)op->type, jit_const_val(g, a)));
        return;
    }
    if (op->opc == IR_OP_ctpop && !(g->features & JIT_FEAT_POPCNT)) {
        isel_call_fn(g, (const void *)(w ? helper_ctpop64 : helper_ctpop32), 0, d, 1, &a);
        return;
    }
    X86Reg ra = ra_in(g, a, 0);
    X86Reg r;
    switch (op->opc) {
    case IR_OP_not:
    case IR_OP_neg:
    case IR_OP_bswap:
        r = ra_out_2addr(g, d, a, w, 0);
        if (op->opc == IR_OP_bswap) {
            x86_bswap(&g->e, w, r);
        } else {
            x86_grp3(&g->e, op->opc == IR_OP_not ? G3_NOT : G3_NEG, w, r);
        }
        break;
    case IR_OP_clz:
    case IR_OP_ctz:
    case IR_OP_ctpop:
        r = out_reg_from(g, d, a, ra);
        emit_count(g, op, r, ra);
        break;
    case IR_OP_ext8s:
    case IR_OP_ext16s:
    case IR_OP_ext32s:
        r = out_reg_from(g, d, a, ra);
        x86_movsx(&g->e, op->opc == IR_OP_ext8s ? 0 : op->opc == IR_OP_ext16s ? 1 : 2, w, r, ra);
        break;
    default: /* ext8u, ext16u, ext32u */
        r = out_reg_from(g, d, a, ra);
        x86_movzx(&g->e, op->opc == IR_OP_ext8u ? 0 : op->opc == IR_OP_ext16u ? 1 : 2, r, ra);
        break;
    }
    ra_bind(g, d, r);
}

/* ---- Binary ops --------------------------------------------------------------------- */

typedef struct Bin {
    IrTemp d, a, b;
    bool w;
    bool b_imm; /* b is the imm32 below */
    int32_t imm;
    X86Reg ra, rb; /* a's and b's registers (X86_NOREG for constants not loaded) */
} Bin;

/* Loads a (unless constant) and b (unless it fits an imm32). */
static void bin_inputs(JitGen *g, Bin *x, bool b_imm_allowed, uint32_t avoid)
{
    x->b_imm = b_imm_allowed && imm_ok(g, x->b, x->w, &x->imm);
    x->rb = x->b_imm ? X86_NOREG : ra_in(g, x->b, avoid);
    x->ra = jit_is_const(g, x->a) && ra_reg_of(g, x->a) == X86_NOREG ? X86_NOREG
                                                                     : ra_in(g, x->a, avoid);
}

/* out = a; out op= b for the classic ALU ops, with lea for a three-operand add. */
static void emit_simple(JitGen *g, Bin *x, X86Alu alu)
{
    bool inplace = x->ra != X86_NOREG && (x->d == x->a || ra_dies_here(g, x->a));
    if (alu == ALU_ADD && !inplace && x->ra != X86_NOREG) {
        X86Reg r = out_reg(g, x->d);
        X86Mem m = x->b_imm ? x86_mem(x->ra, x->imm) : x86_mem_idx(x->ra, x->rb, 0);
        x86_lea(&g->e, x->w, r, m);
        ra_bind(g, x->d, r);
        return;
    }
    X86Reg r = ra_out_2addr(g, x->d, x->a, x->w, x->b_imm ? 0 : BIT(x->rb));
    if (x->b_imm) {
        x86_alu_ri(&g->e, alu, x->w, r, x->imm);
    } else {
        x86_alu_rr(&g->e, alu, x->w, r, x->rb);
    }
    ra_bind(g, x->d, r);
}

/* and with 0xff, 0xffff or 0xffffffff is a zero extension. */
static bool emit_and_mask(JitGen *g, Bin *x)
{
    if (!jit_is_const(g, x->b) || x->ra == X86_NOREG) {
        return false;
    }
    uint64_t v = jit_const_val(g, x->b);
    unsigned size = v == 0xff ? 0 : v == 0xffff ? 1 : v == 0xffffffff ? 2 : 3;
    if (size == 3) {
        return false;
    }
    X86Reg r = out_reg_from(g, x->d, x->a, x->ra);
    x86_movzx(&g->e, size, r, x->ra);
    ra_bind(g, x->d, r);
    return true;
}

static void emit_mul(JitGen *g, Bin *x)
{
    if (x->b_imm && x->ra != X86_NOREG) {
        X86Reg r = out_reg_from(g, x->d, x->a, x->ra);
        x86_imul_rri(&g->e, x->w, r, x->ra, x->imm);
        ra_bind(g, x->d, r);
        return;
    }
    if (x->b_imm) {
        x->rb = ra_in(g, x->b, 0);
    }
    X86Reg r = ra_out_2addr(g, x->d, x->a, x->w, BIT(x->rb));
    x86_imul_rr(&g->e, x->w, r, x->rb);
    ra_bind(g, x->d, r);
}

/* andc, orc, eqv: a op ~b. */
static void emit_logic_not(JitGen *g, const IrOp *op, Bin *x)
{
    if (x->b_imm) {
        X86Reg r = ra_out_2addr(g, x->d, x->a, x->w, 0);
        X86Alu alu = op->opc == IR_OP_andc ? ALU_AND : op->opc == IR_OP_orc ? ALU_OR : ALU_XOR;
        x86_alu_ri(&g->e, alu, x->w, r, ~x->imm);
        ra_bind(g, x->d, r);
        return;
    }
    if (op->opc == IR_OP_eqv) {
        X86Reg r = ra_out_2addr(g, x->d, x->a, x->w, BIT(x->rb));
        x86_alu_rr(&g->e, ALU_XOR, x->w, r, x->rb);
        x86_grp3(&g->e, G3_NOT, x->w, r);
        ra_bind(g, x->d, r);
        return;
    }
    if (op->opc == IR_OP_andc && (g->features & JIT_FEAT_BMI1)) {
        if (x->ra == X86_NOREG) {
            x->ra = ra_in(g, x->a, 0);
        }
        X86Reg r = out_reg_from(g, x->d, x->a, x->ra);
        x86_andn(&g->e, x->w, r, x->rb, x->ra);
        ra_bind(g, x->d, r);
        return;
    }
    x86_mov_rr(&g->e, x->w, JIT_TMP, x->rb);
    x86_grp3(&g->e, G3_NOT, x->w, JIT_TMP);
    X86Reg r = ra_out_2addr(g, x->d, x->a, x->w, 0);
    x86_alu_rr(&g->e, op->opc == IR_OP_andc ? ALU_AND : ALU_OR, x->w, r, JIT_TMP);
    ra_bind(g, x->d, r);
}

static X86Shift shift_kind(IrOpcode opc)
{
    switch (opc) {
    case IR_OP_shl:
        return SH_SHL;
    case IR_OP_shr:
        return SH_SHR;
    case IR_OP_sar:
        return SH_SAR;
    case IR_OP_rotl:
        return SH_ROL;
    default:
        return SH_ROR;
    }
}

/* Counts are taken modulo the width: x86 masks cl and imm8 the same way. */
static void emit_shift(JitGen *g, const IrOp *op, Bin *x)
{
    X86Shift sh = shift_kind((IrOpcode)op->opc);
    if (jit_is_const(g, x->b)) {
        unsigned count = (unsigned)jit_const_val(g, x->b) & (x->w ? 63 : 31);
        X86Reg r = ra_out_2addr(g, x->d, x->a, x->w, 0);
        if (count) {
            x86_shift_ri(&g->e, sh, x->w, r, count);
        } else if (!x->w) {
            x86_mov_rr(&g->e, false, r, r); /* an i32 result is zero-extended */
        }
        ra_bind(g, x->d, r);
        return;
    }
    ra_clobber(g, BIT(RCX));
    X86Reg rb = ra_in(g, x->b, BIT(RCX));
    x86_mov_rr(&g->e, false, RCX, rb);
    if (!jit_is_const(g, x->a)) {
        ra_in(g, x->a, BIT(RCX));
    }
    X86Reg r = ra_out_2addr(g, x->d, x->a, x->w, BIT(RCX));
    x86_shift_cl(&g->e, sh, x->w, r);
    ra_bind(g, x->d, r);
}

static void emit_minmax(JitGen *g, const IrOp *op, Bin *x)
{
    static const X86Cond take_b[] = {
        [IR_OP_smin] = CC_G,
        [IR_OP_smax] = CC_L,
        [IR_OP_umin] = CC_A,
        [IR_OP_umax] = CC_B,
    };
    if (x->rb == X86_NOREG) {
        x->rb = ra_in(g, x->b, 0);
    }
    X86Reg r = ra_out_2addr(g, x->d, x->a, x->w, BIT(x->rb));
    x86_alu_rr(&g->e, ALU_CMP, x->w, r, x->rb);
    x86_cmov(&g->e, take_b[op->opc], x->w, r, x->rb);
    ra_bind(g, x->d, r);
}

/* Loads v (register or constant) into the fixed register r. */
static void load_fixed(JitGen *g, X86Reg r, IrTemp v, uint32_t avoid)
{
    if (jit_is_const(g, v) && ra_reg_of(g, v) == X86_NOREG) {
        x86_movi(&g->e, r, jit_const_val(g, v), false);
    } else {
        x86_mov_rr(&g->e, true, r, ra_in(g, v, avoid));
    }
}

/* High halves of products. i64 uses one-operand mul/imul (rdx:rax); i32 multiplies the
 * extended inputs in 64 bits and keeps bits 32..63. */
static void emit_mulh(JitGen *g, const IrOp *op, Bin *x)
{
    if (!x->w) {
        X86Reg ra = ra_in(g, x->a, 0), rb = ra_in(g, x->b, 0);
        X86Reg r = out_reg_from(g, x->d, x->a, ra);
        bool sa = op->opc != IR_OP_muluh, sb = op->opc == IR_OP_mulsh;
        if (sb) {
            x86_movsx(&g->e, 2, true, JIT_TMP, rb);
        } else {
            x86_mov_rr(&g->e, false, JIT_TMP, rb);
        }
        if (sa) {
            x86_movsx(&g->e, 2, true, r, ra);
        } else {
            x86_mov_rr(&g->e, false, r, ra);
        }
        x86_imul_rr(&g->e, true, r, JIT_TMP);
        x86_shift_ri(&g->e, SH_SHR, true, r, 32);
        ra_bind(g, x->d, r);
        return;
    }
    uint32_t fixed = BIT(RAX) | BIT(RDX);
    ra_clobber(g, fixed);
    X86Reg rb = ra_in(g, x->b, fixed);
    X86Reg ra = jit_is_const(g, x->a) ? X86_NOREG : ra_in(g, x->a, fixed);
    load_fixed(g, RAX, x->a, fixed);
    x86_grp3(&g->e, op->opc == IR_OP_mulsh ? G3_IMUL : G3_MUL, true, rb);
    if (op->opc == IR_OP_mulsuh) {
        /* signed a: subtract b from the unsigned high half when a < 0. */
        if (ra == X86_NOREG) {
            if ((int64_t)jit_const_val(g, x->a) < 0) {
                x86_alu_rr(&g->e, ALU_SUB, true, RDX, rb);
            }
        } else {
            x86_mov_rr(&g->e, true, JIT_TMP, ra);
            x86_shift_ri(&g->e, SH_SAR, true, JIT_TMP, 63);
            x86_alu_rr(&g->e, ALU_AND, true, JIT_TMP, rb);
            x86_alu_rr(&g->e, ALU_SUB, true, RDX, JIT_TMP);
        }
    }
    ra_bind(g, x->d, RDX);
}

/* Division by a constant: 0 and -1 are answered here, powers of two shift or mask. */
static bool emit_div_const(JitGen *g, const IrOp *op, Bin *x)
{
    if (!jit_is_const(g, x->b) || x->ra == X86_NOREG) {
        return false;
    }
    uint64_t v = jit_const_val(g, x->b) & type_mask(op);
    bool is_signed = op->opc == IR_OP_div || op->opc == IR_OP_rem;
    bool is_div = op->opc == IR_OP_div || op->opc == IR_OP_divu;
    bool minus1 = is_signed && v == type_mask(op);
    if ((v == 0 && is_div) || (minus1 && !is_div)) {
        set_const(g, x->d, v == 0 ? type_mask(op) : 0); /* x / 0 = -1, x % -1 = 0 */
        return true;
    }
    bool pow2 = !is_signed && (v & (v - 1)) == 0;
    if (v != 0 && !minus1 && !pow2) {
        return false;
    }
    X86Reg r = ra_out_2addr(g, x->d, x->a, x->w, 0);
    if (minus1) {
        x86_grp3(&g->e, G3_NEG, x->w, r); /* x / -1 = -x, and MIN / -1 = MIN */
    } else if (v == 0) {
        if (!x->w) {
            x86_mov_rr(&g->e, false, r, r); /* x % 0 = x */
        }
    } else if (is_div) {
        unsigned k = (unsigned)__builtin_ctzll(v);
        if (k) {
            x86_shift_ri(&g->e, SH_SHR, x->w, r, k);
        } else if (!x->w) {
            x86_mov_rr(&g->e, false, r, r);
        }
    } else if (!x->w || x86_fits_i32((int64_t)(v - 1))) {
        x86_alu_ri(&g->e, ALU_AND, x->w, r, (int32_t)(v - 1));
    } else {
        x86_movi(&g->e, JIT_TMP, v - 1, false);
        x86_alu_rr(&g->e, ALU_AND, x->w, r, JIT_TMP);
    }
    ra_bind(g, x->d, r);
    return true;
}

static void emit_div(JitGen *g, const IrOp *op, Bin *x)
{
    if (emit_div_const(g, op, x)) {
        return;
    }
    bool w = x->w;
    bool is_signed = op->opc == IR_OP_div || op->opc == IR_OP_rem;
    bool is_div = op->opc == IR_OP_div || op->opc == IR_OP_divu;
    bool checks = !jit_is_const(g, x->b);
    uint32_t fixed = BIT(RAX) | BIT(RDX);
    ra_clobber(g, fixed);
    X86Reg rb = ra_in(g, x->b, fixed);
    load_fixed(g, RAX, x->a, fixed);
    uint8_t *to_zero = NULL, *to_m1 = NULL, *done1 = NULL, *done2 = NULL;
    if (checks) {
        x86_test_rr(&g->e, w, rb, rb);
        to_zero = x86_jcc8(&g->e, CC_E);
        if (is_signed) {
            x86_alu_ri(&g->e, ALU_CMP, w, rb, -1);
            to_m1 = x86_jcc8(&g->e, CC_E);
        }
    }
    if (is_signed) {
        x86_cqo(&g->e, w);
    } else {
        x86_movi(&g->e, RDX, 0, false);
    }
    x86_grp3(&g->e, is_signed ? G3_IDIV : G3_DIV, w, rb);
    if (checks) {
        done1 = x86_jmp8(&g->e);
        x86_patch_rel8(&g->e, to_zero);
        if (is_div) {
            x86_movi(&g->e, RAX, w ? UINT64_MAX : UINT32_MAX, false); /* x / 0 = -1 */
        } else {
            x86_mov_rr(&g->e, w, RDX, RAX); /* x % 0 = x */
        }
        if (is_signed) {
            done2 = x86_jmp8(&g->e);
            x86_patch_rel8(&g->e, to_m1);
            if (is_div) {
                x86_grp3(&g->e, G3_NEG, w, RAX); /* MIN / -1 = MIN */
            } else {
                x86_movi(&g->e, RDX, 0, false);
            }
            x86_patch_rel8(&g->e, done2);
        }
        x86_patch_rel8(&g->e, done1);
    }
    ra_bind(g, x->d, is_div ? RAX : RDX);
}

/* The ops whose second operand may be an imm32 or any register. */
static void emit_bin(JitGen *g, const IrOp *op, Bin *x)
{
    IrOpcode opc = (IrOpcode)op->opc;
    bool minmax = opc == IR_OP_smin || opc == IR_OP_smax || opc == IR_OP_umin || opc == IR_OP_umax;
    bin_inputs(g, x, !minmax, 0);
    switch (opc) {
    case IR_OP_add:
        emit_simple(g, x, ALU_ADD);
        break;
    case IR_OP_sub:
        emit_simple(g, x, ALU_SUB);
        break;
    case IR_OP_and:
        if (!emit_and_mask(g, x)) {
            emit_simple(g, x, ALU_AND);
        }
        break;
    case IR_OP_or:
        emit_simple(g, x, ALU_OR);
        break;
    case IR_OP_xor:
        emit_simple(g, x, ALU_XOR);
        break;
    case IR_OP_mul:
        emit_mul(g, x);
        break;
    case IR_OP_andc:
    case IR_OP_orc:
    case IR_OP_eqv:
        emit_logic_not(g, op, x);
        break;
    default:
        emit_minmax(g, op, x);
        break;
    }
}

void isel_alu2(JitGen *g, const IrOp *op)
{
    Bin x = {.d = op->args[0], .a = op->args[1], .b = op->args[2], .w = is_w(op)};
    IrOpcode opc = (IrOpcode)op->opc;
    if (jit_is_const(g, x.a) && jit_is_const(g, x.b)) {
        set_const(g, x.d,
                  ir_eval_alu(opc, (IrType)op->type, jit_const_val(g, x.a), jit_const_val(g, x.b)));
        return;
    }
    if ((ir_op_defs[opc].flags & IR_OPF_COMMUTATIVE) &&
        (jit_is_const(g, x.a) || (x.d == x.b && x.d != x.a))) {
        IrTemp t = x.a;
        x.a = x.b;
        x.b = t;
    }
    switch (opc) {
    case IR_OP_shl:
    case IR_OP_shr:
    case IR_OP_sar:
    case IR_OP_rotl:
    case IR_OP_rotr:
        if (jit_is_const(g, x.b)) {
            x.ra = ra_in(g, x.a, 0);
        }
        emit_shift(g, op, &x);
        return;
    case IR_OP_mulsh:
    case IR_OP_muluh:
    case IR_OP_mulsuh:
        emit_mulh(g, op, &x);
        return;
    case IR_OP_div:
    case IR_OP_divu:
    case IR_OP_rem:
    case IR_OP_remu:
        if (jit_is_const(g, x.b) && !jit_is_const(g, x.a)) {
            x.ra = ra_in(g, x.a, 0);
        }
        emit_div(g, op, &x);
        return;
    default:
        break;
    }
    emit_bin(g, op, &x);
}

/* ---- Comparisons and branches ------------------------------------------------------ */

static const X86Cond cond_cc[IR_COND_ALWAYS] = {
    [IR_COND_EQ] = CC_E,   [IR_COND_NE] = CC_NE, [IR_COND_LT] = CC_L,  [IR_COND_GE] = CC_GE,
    [IR_COND_LE] = CC_LE,  [IR_COND_GT] = CC_G,  [IR_COND_LTU] = CC_B, [IR_COND_GEU] = CC_AE,
    [IR_COND_LEU] = CC_BE, [IR_COND_GTU] = CC_A,
};

/* The condition that holds for (b, a) when cond holds for (a, b). */
static IrCond cond_swap(IrCond c)
{
    static const IrCond sw[IR_COND_ALWAYS] = {
        [IR_COND_EQ] = IR_COND_EQ,   [IR_COND_NE] = IR_COND_NE,   [IR_COND_LT] = IR_COND_GT,
        [IR_COND_GE] = IR_COND_LE,   [IR_COND_LE] = IR_COND_GE,   [IR_COND_GT] = IR_COND_LT,
        [IR_COND_LTU] = IR_COND_GTU, [IR_COND_GEU] = IR_COND_LEU, [IR_COND_LEU] = IR_COND_GEU,
        [IR_COND_GTU] = IR_COND_LTU,
    };
    return sw[c];
}

typedef struct Cmp {
    IrCond cond;
    bool w;
    X86Reg ra, rb;
    bool b_imm;
    int32_t imm;
} Cmp;

/* Places the operands of a comparison (constant first operand swapped to second). */
static void cmp_inputs(JitGen *g, Cmp *c, IrCond cond, bool w, IrTemp a, IrTemp b)
{
    if (jit_is_const(g, a)) {
        IrTemp t = a;
        a = b;
        b = t;
        cond = cond_swap(cond);
    }
    c->cond = cond;
    c->w = w;
    c->b_imm = imm_ok(g, b, w, &c->imm);
    c->rb = c->b_imm ? X86_NOREG : ra_in(g, b, 0);
    c->ra = ra_in(g, a, 0);
}

static X86Cond cmp_emit(JitGen *g, const Cmp *c)
{
    if (c->b_imm && c->imm == 0) {
        x86_test_rr(&g->e, c->w, c->ra, c->ra);
    } else if (c->b_imm) {
        x86_alu_ri(&g->e, ALU_CMP, c->w, c->ra, c->imm);
    } else {
        x86_alu_rr(&g->e, ALU_CMP, c->w, c->ra, c->rb);
    }
    return cond_cc[c->cond];
}

/* For setcond/movcond/brcond whose outcome is known at compile time: 0 false, 1 true. */
static int cond_known(const JitGen *g, IrCond cond, IrType type, IrTemp a, IrTemp b)
{
    if (cond == IR_COND_ALWAYS || cond == IR_COND_NEVER) {
        return cond == IR_COND_ALWAYS;
    }
    if (jit_is_const(g, a) && jit_is_const(g, b)) {
        return ir_eval_cond(cond, type, jit_const_val(g, a), jit_const_val(g, b));
    }
    return -1;
}

void isel_setcond(JitGen *g, const IrOp *op)
{
    IrTemp d = op->args[0];
    int known = cond_known(g, (IrCond)op->imm[0], (IrType)op->type, op->args[1], op->args[2]);
    if (known >= 0) {
        set_const(g, d, (uint64_t)known);
        return;
    }
    Cmp c;
    cmp_inputs(g, &c, (IrCond)op->imm[0], is_w(op), op->args[1], op->args[2]);
    X86Reg r = ra_alloc(g, 0);
    X86Cond cc = cmp_emit(g, &c);
    x86_setcc(&g->e, cc, r);
    x86_movzx(&g->e, 0, r, r);
    ra_bind(g, d, r);
}

void isel_movcond(JitGen *g, const IrOp *op)
{
    IrTemp d = op->args[0], c_t = op->args[3], e_t = op->args[4];
    int known = cond_known(g, (IrCond)op->imm[0], (IrType)op->type, op->args[1], op->args[2]);
    if (known >= 0) {
        IrOp mov = {.opc = IR_OP_mov,
                    .type = IR_I64,
                    .n_out = 1,
                    .n_in = 1,
                    .args = {d, known ? c_t : e_t}};
        isel_mov(g, &mov);
        return;
    }
    Cmp c;
    cmp_inputs(g, &c, (IrCond)op->imm[0], is_w(op), op->args[1], op->args[2]);
    X86Reg rc = ra_in(g, c_t, 0);
    bool e_imm = jit_is_const(g, e_t) && ra_reg_of(g, e_t) == X86_NOREG;
    X86Reg re = e_imm ? X86_NOREG : ra_in(g, e_t, 0);
    X86Reg r;
    if (d == c_t || ra_dies_here(g, c_t)) {
        r = rc;
    } else if (re != X86_NOREG && (d == e_t || ra_dies_here(g, e_t))) {
        r = re;
    } else {
        r = ra_alloc(g, 0);
    }
    X86Cond cc = cmp_emit(g, &c);
    if (r == rc) {
        /* r already holds the true value: move the false one in when cond fails. */
        if (e_imm) {
            re = ra_alloc(g, 0); /* no flags change: only stores/moves */
            x86_movi(&g->e, re, jit_const_val(g, e_t), true);
        }
        x86_cmov(&g->e, x86_invert(cc), true, r, re);
    } else {
        if (e_imm) {
            x86_movi(&g->e, r, jit_const_val(g, e_t), true);
        } else if (r != re) {
            x86_mov_rr(&g->e, true, r, re);
        }
        x86_cmov(&g->e, cc, true, r, rc);
    }
    ra_bind(g, d, r);
}

static void jump_to_label(JitGen *g, uint8_t *disp, uint64_t label)
{
    JitFixup f = {.disp = disp, .label = (uint32_t)label};
    g_array_append_val(g->label_fix, f);
}

void isel_br(JitGen *g, const IrOp *op)
{
    ra_save_for_branch(g);
    jit_flush_pc(g);
    jump_to_label(g, x86_jmp32(&g->e), op->imm[0]);
    g->reachable = false;
}

void isel_brcond(JitGen *g, const IrOp *op)
{
    int known = cond_known(g, (IrCond)op->imm[1], (IrType)op->type, op->args[0], op->args[1]);
    if (known == 1) {
        isel_br(g, op);
        return;
    }
    if (known == 0) {
        return;
    }
    Cmp c;
    cmp_inputs(g, &c, (IrCond)op->imm[1], is_w(op), op->args[0], op->args[1]);
    ra_save_for_branch(g);
    jit_flush_pc(g);
    X86Cond cc = cmp_emit(g, &c);
    jump_to_label(g, x86_jcc32(&g->e, cc), op->imm[0]);
}

void isel_label(JitGen *g, const IrOp *op)
{
    if (g->reachable) {
        ra_save_for_branch(g);
        jit_flush_pc(g);
    }
    g->label_pos[op->imm[0]] = g->e.p;
    ra_forget_all(g);
    g->pc_pending = false;
    g->reachable = true;
}
