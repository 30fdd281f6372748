/*
 * The meaning of the IR's ALU ops, as plain C. The optimizer folds constants with these
 * functions and the interpreter executes with them, so folding can never change what a
 * block computes. i32 values are carried zero-extended in uint64_t.
 *
 * Defined corner cases (docs/tcg-ir.md): shift and rotate counts are taken modulo the
 * width; div/rem by zero give all ones / the dividend, and the signed overflow case
 * MIN / -1 gives MIN / 0 (this is RISC-V's choice and costs a back end one check);
 * clz/ctz of zero give the width.
 */
#include "tcg/ir/ir.h"

static inline uint64_t mulsh64(int64_t a, int64_t b)
{
    return (uint64_t)(((__int128)a * b) >> 64);
}

static inline uint64_t muluh64(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static inline uint64_t mulsuh64(int64_t a, uint64_t b)
{
    return (uint64_t)(((__int128)a * (__int128)b) >> 64);
}

static uint64_t eval64(IrOpcode opc, uint64_t a, uint64_t b)
{
    int64_t sa = (int64_t)a, sb = (int64_t)b;
    unsigned sh = b & 63;
    switch (opc) {
    case IR_OP_add:
        return a + b;
    case IR_OP_sub:
        return a - b;
    case IR_OP_mul:
        return a * b;
    case IR_OP_mulsh:
        return mulsh64(sa, sb);
    case IR_OP_muluh:
        return muluh64(a, b);
    case IR_OP_mulsuh:
        return mulsuh64(sa, b);
    case IR_OP_div:
        if (b == 0) {
            return UINT64_MAX;
        }
        if (sa == INT64_MIN && sb == -1) {
            return a;
        }
        return (uint64_t)(sa / sb);
    case IR_OP_divu:
        return b ? a / b : UINT64_MAX;
    case IR_OP_rem:
        if (b == 0) {
            return a;
        }
        if (sa == INT64_MIN && sb == -1) {
            return 0;
        }
        return (uint64_t)(sa % sb);
    case IR_OP_remu:
        return b ? a % b : a;
    case IR_OP_and:
        return a & b;
    case IR_OP_or:
        return a | b;
    case IR_OP_xor:
        return a ^ b;
    case IR_OP_andc:
        return a & ~b;
    case IR_OP_orc:
        return a | ~b;
    case IR_OP_eqv:
        return ~(a ^ b);
    case IR_OP_shl:
        return a << sh;
    case IR_OP_shr:
        return a >> sh;
    case IR_OP_sar:
        return (uint64_t)(sa >> sh);
    case IR_OP_rotl:
        return sh ? (a << sh) | (a >> (64 - sh)) : a;
    case IR_OP_rotr:
        return sh ? (a >> sh) | (a << (64 - sh)) : a;
    case IR_OP_smin:
        return sa < sb ? a : b;
    case IR_OP_smax:
        return sa > sb ? a : b;
    case IR_OP_umin:
        return a < b ? a : b;
    case IR_OP_umax:
        return a > b ? a : b;
    default:
        return 0;
    }
}

static uint32_t eval32(IrOpcode opc, uint32_t a, uint32_t b)
{
    int32_t sa = (int32_t)a, sb = (int32_t)b;
    unsigned sh = b & 31;
    switch (opc) {
    case IR_OP_mulsh:
        return (uint32_t)(((int64_t)sa * sb) >> 32);
    case IR_OP_muluh:
        return (uint32_t)(((uint64_t)a * b) >> 32);
    case IR_OP_mulsuh:
        return (uint32_t)(((int64_t)sa * (int64_t)(uint64_t)b) >> 32);
    case IR_OP_div:
        if (b == 0) {
            return UINT32_MAX;
        }
        if (sa == INT32_MIN && sb == -1) {
            return a;
        }
        return (uint32_t)(sa / sb);
    case IR_OP_divu:
        return b ? a / b : UINT32_MAX;
    case IR_OP_rem:
        if (b == 0) {
            return a;
        }
        if (sa == INT32_MIN && sb == -1) {
            return 0;
        }
        return (uint32_t)(sa % sb);
    case IR_OP_remu:
        return b ? a % b : a;
    case IR_OP_shl:
        return a << sh;
    case IR_OP_shr:
        return a >> sh;
    case IR_OP_sar:
        return (uint32_t)(sa >> sh);
    case IR_OP_rotl:
        return sh ? (a << sh) | (a >> (32 - sh)) : a;
    case IR_OP_rotr:
        return sh ? (a >> sh) | (a << (32 - sh)) : a;
    case IR_OP_smin:
        return sa < sb ? a : b;
    case IR_OP_smax:
        return sa > sb ? a : b;
    default:
        /* add, sub, mul, logic, unsigned min/max: the low 32 bits of the 64-bit result. */
        return (uint32_t)eval64(opc, a, b);
    }
}

uint64_t ir_eval_alu(IrOpcode opc, IrType type, uint64_t a, uint64_t b)
{
    if (type == IR_I32) {
        return eval32(opc, (uint32_t)a, (uint32_t)b);
    }
    return eval64(opc, a, b);
}

uint64_t ir_eval_unary(IrOpcode opc, IrType type, uint64_t a)
{
    unsigned width = type == IR_I32 ? 32 : 64;
    uint64_t mask = type == IR_I32 ? UINT32_MAX : UINT64_MAX;
    a &= mask;
    uint64_t r;
    switch (opc) {
    case IR_OP_mov:
        r = a;
        break;
    case IR_OP_not:
        r = ~a;
        break;
    case IR_OP_neg:
        r = -a;
        break;
    case IR_OP_clz:
        r = a ? (unsigned)__builtin_clzll(a) - (64 - width) : width;
        break;
    case IR_OP_ctz:
        r = a ? (unsigned)__builtin_ctzll(a) : width;
        break;
    case IR_OP_ctpop:
        r = (unsigned)__builtin_popcountll(a);
        break;
    case IR_OP_bswap:
        r = type == IR_I32 ? __builtin_bswap32((uint32_t)a) : __builtin_bswap64(a);
        break;
    case IR_OP_ext8s:
        r = (uint64_t)(int64_t)(int8_t)a;
        break;
    case IR_OP_ext8u:
        r = (uint8_t)a;
        break;
    case IR_OP_ext16s:
        r = (uint64_t)(int64_t)(int16_t)a;
        break;
    case IR_OP_ext16u:
        r = (uint16_t)a;
        break;
    case IR_OP_ext32s:
    case IR_OP_ext_i32:
        return (uint64_t)(int64_t)(int32_t)a;
    case IR_OP_ext32u:
    case IR_OP_extu_i32:
    case IR_OP_trunc_i64:
        return (uint32_t)a;
    default:
        r = 0;
        break;
    }
    return r & mask;
}

bool ir_eval_cond(IrCond cond, IrType type, uint64_t a, uint64_t b)
{
    int64_t sa, sb;
    if (type == IR_I32) {
        a = (uint32_t)a;
        b = (uint32_t)b;
        sa = (int32_t)a;
        sb = (int32_t)b;
    } else {
        sa = (int64_t)a;
        sb = (int64_t)b;
    }
    switch (cond) {
    case IR_COND_EQ:
        return a == b;
    case IR_COND_NE:
        return a != b;
    case IR_COND_LT:
        return sa < sb;
    case IR_COND_GE:
        return sa >= sb;
    case IR_COND_LE:
        return sa <= sb;
    case IR_COND_GT:
        return sa > sb;
    case IR_COND_LTU:
        return a < b;
    case IR_COND_GEU:
        return a >= b;
    case IR_COND_LEU:
        return a <= b;
    case IR_COND_GTU:
        return a > b;
    case IR_COND_ALWAYS:
        return true;
    default:
        return false;
    }
}
