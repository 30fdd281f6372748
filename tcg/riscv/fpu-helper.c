/*
 * F and D helpers: NaN-boxing, the rounding mode (static or the dynamic frm), fflags
 * accrual, and the call into the softfloat library that does the arithmetic.
 */
#include "tcg/fpu/softfloat.h"
#include "tcg/riscv/helper.h"

#define BOX32 0xffffffff00000000ull

static inline RiscvCPU *env_cpu(uint64_t env)
{
    return (RiscvCPU *)(uintptr_t)env;
}

/* A single-precision operand: the low word if properly NaN-boxed, else the canonical NaN. */
static inline uint32_t unbox32(uint64_t v)
{
    return (v & BOX32) == BOX32 ? (uint32_t)v : F32_DEFAULT_NAN;
}

static inline uint64_t box32(uint32_t v)
{
    return BOX32 | v;
}

/* The status for an operation with the given rm_insn, raising if rm is invalid. */
static inline FloatStatus fp_status(RiscvCPU *cpu, uint64_t rm_insn)
{
    unsigned rm = rm_insn & 7;
    if (rm == 7) {
        rm = cpu->frm & 7;
    }
    if (rm > FLOAT_RMM) {
        riscv_cpu_raise(cpu, RISCV_EXCP_ILLEGAL_INSN, rm_insn >> 32);
    }
    return (FloatStatus){.rm = (uint8_t)rm};
}

static inline void fp_accrue(RiscvCPU *cpu, const FloatStatus *st)
{
    cpu->fflags |= st->flags;
}

/* Operations with a rounding mode. */
#define FP_BINOP_RM(name, sf32, sf64)                                                        \
    uint64_t helper_##name##_s(uint64_t env, uint64_t a, uint64_t b, uint64_t rm_insn)       \
    {                                                                                        \
        FloatStatus st = fp_status(env_cpu(env), rm_insn);                                   \
        uint64_t r = box32(sf32(unbox32(a), unbox32(b), &st));                               \
        fp_accrue(env_cpu(env), &st);                                                        \
        return r;                                                                            \
    }                                                                                        \
    uint64_t helper_##name##_d(uint64_t env, uint64_t a, uint64_t b, uint64_t rm_insn)       \
    {                                                                                        \
        FloatStatus st = fp_status(env_cpu(env), rm_insn);                                   \
        uint64_t r = sf64(a, b, &st);                                                        \
        fp_accrue(env_cpu(env), &st);                                                        \
        return r;                                                                            \
    }

FP_BINOP_RM(fadd, f32_add, f64_add)
FP_BINOP_RM(fsub, f32_sub, f64_sub)
FP_BINOP_RM(fmul, f32_mul, f64_mul)
FP_BINOP_RM(fdiv, f32_div, f64_div)

uint64_t helper_fsqrt_s(uint64_t env, uint64_t a, uint64_t rm_insn)
{
    FloatStatus st = fp_status(env_cpu(env), rm_insn);
    uint64_t r = box32(f32_sqrt(unbox32(a), &st));
    fp_accrue(env_cpu(env), &st);
    return r;
}

uint64_t helper_fsqrt_d(uint64_t env, uint64_t a, uint64_t rm_insn)
{
    FloatStatus st = fp_status(env_cpu(env), rm_insn);
    uint64_t r = f64_sqrt(a, &st);
    fp_accrue(env_cpu(env), &st);
    return r;
}

#define FP_FMA(name, negp, nega)                                                             \
    uint64_t helper_##name##_s(uint64_t env, uint64_t a, uint64_t b, uint64_t c,             \
                               uint64_t rm_insn)                                             \
    {                                                                                        \
        FloatStatus st = fp_status(env_cpu(env), rm_insn);                                   \
        uint64_t r = box32(f32_muladd(unbox32(a), unbox32(b), unbox32(c), negp, nega, &st)); \
        fp_accrue(env_cpu(env), &st);                                                        \
        return r;                                                                            \
    }                                                                                        \
    uint64_t helper_##name##_d(uint64_t env, uint64_t a, uint64_t b, uint64_t c,             \
                               uint64_t rm_insn)                                             \
    {                                                                                        \
        FloatStatus st = fp_status(env_cpu(env), rm_insn);                                   \
        uint64_t r = f64_muladd(a, b, c, negp, nega, &st);                                   \
        fp_accrue(env_cpu(env), &st);                                                        \
        return r;                                                                            \
    }

FP_FMA(fmadd, false, false)
FP_FMA(fmsub, false, true)
FP_FMA(fnmsub, true, false)
FP_FMA(fnmadd, true, true)

/* Operations without a rounding mode that may still raise flags. */
#define FP_BINOP(name, sf32, sf64, wrap32)                                                   \
    uint64_t helper_##name##_s(uint64_t env, uint64_t a, uint64_t b)                         \
    {                                                                                        \
        FloatStatus st = {0};                                                                \
        uint64_t r = wrap32(sf32(unbox32(a), unbox32(b), &st));                              \
        fp_accrue(env_cpu(env), &st);                                                        \
        return r;                                                                            \
    }                                                                                        \
    uint64_t helper_##name##_d(uint64_t env, uint64_t a, uint64_t b)                         \
    {                                                                                        \
        FloatStatus st = {0};                                                                \
        uint64_t r = sf64(a, b, &st);                                                        \
        fp_accrue(env_cpu(env), &st);                                                        \
        return r;                                                                            \
    }

#define AS_BOOL(x) ((uint64_t)(x))
FP_BINOP(fmin, f32_min, f64_min, box32)
FP_BINOP(fmax, f32_max, f64_max, box32)
FP_BINOP(feq, f32_eq, f64_eq, AS_BOOL)
FP_BINOP(flt, f32_lt, f64_lt, AS_BOOL)
FP_BINOP(fle, f32_le, f64_le, AS_BOOL)

uint64_t helper_fclass_s(uint64_t a)
{
    return f32_classify(unbox32(a));
}

uint64_t helper_fclass_d(uint64_t a)
{
    return f64_classify(a);
}

/* Sign injection: pure bit operations, no flags, no NaN canonicalisation. */
uint64_t helper_fsgnj_s(uint64_t a, uint64_t b)
{
    return box32((unbox32(a) & 0x7fffffffu) | (unbox32(b) & 0x80000000u));
}

uint64_t helper_fsgnjn_s(uint64_t a, uint64_t b)
{
    return box32((unbox32(a) & 0x7fffffffu) | (~unbox32(b) & 0x80000000u));
}

uint64_t helper_fsgnjx_s(uint64_t a, uint64_t b)
{
    return box32(unbox32(a) ^ (unbox32(b) & 0x80000000u));
}

uint64_t helper_fsgnj_d(uint64_t a, uint64_t b)
{
    return (a & ~(1ull << 63)) | (b & (1ull << 63));
}

uint64_t helper_fsgnjn_d(uint64_t a, uint64_t b)
{
    return (a & ~(1ull << 63)) | (~b & (1ull << 63));
}

uint64_t helper_fsgnjx_d(uint64_t a, uint64_t b)
{
    return a ^ (b & (1ull << 63));
}

/* Conversions. Results in integer registers are sign-extended from 32 bits for the W
 * forms, as the ISA says (even for wu). */
#define FP_CVT(name, expr)                                                                   \
    uint64_t helper_##name(uint64_t env, uint64_t a, uint64_t rm_insn)                       \
    {                                                                                        \
        FloatStatus st = fp_status(env_cpu(env), rm_insn);                                   \
        FloatStatus *s = &st;                                                                \
        uint64_t r = (expr);                                                                 \
        fp_accrue(env_cpu(env), &st);                                                        \
        return r;                                                                            \
    }

FP_CVT(fcvt_w_s, (uint64_t)(int64_t)f32_to_i32(unbox32(a), s))
FP_CVT(fcvt_wu_s, (uint64_t)(int64_t)(int32_t)f32_to_u32(unbox32(a), s))
FP_CVT(fcvt_l_s, (uint64_t)f32_to_i64(unbox32(a), s))
FP_CVT(fcvt_lu_s, f32_to_u64(unbox32(a), s))
FP_CVT(fcvt_w_d, (uint64_t)(int64_t)f64_to_i32(a, s))
FP_CVT(fcvt_wu_d, (uint64_t)(int64_t)(int32_t)f64_to_u32(a, s))
FP_CVT(fcvt_l_d, (uint64_t)f64_to_i64(a, s))
FP_CVT(fcvt_lu_d, f64_to_u64(a, s))
FP_CVT(fcvt_s_w, box32(i32_to_f32((int32_t)a, s)))
FP_CVT(fcvt_s_wu, box32(u32_to_f32((uint32_t)a, s)))
FP_CVT(fcvt_s_l, box32(i64_to_f32((int64_t)a, s)))
FP_CVT(fcvt_s_lu, box32(u64_to_f32(a, s)))
FP_CVT(fcvt_d_w, i32_to_f64((int32_t)a, s))
FP_CVT(fcvt_d_wu, u32_to_f64((uint32_t)a, s))
FP_CVT(fcvt_d_l, i64_to_f64((int64_t)a, s))
FP_CVT(fcvt_d_lu, u64_to_f64(a, s))
FP_CVT(fcvt_s_d, box32(f64_to_f32(a, s)))
FP_CVT(fcvt_d_s, f32_to_f64(unbox32(a), s))
