/*
 * softfloat.h - IEEE 754 binary32/binary64 arithmetic with RISC-V semantics.
 *
 * This is the floating-point core of the RISC-V F and D extensions. Values travel as raw
 * bit patterns (uint32_t for binary32, uint64_t for binary64) so that results never
 * depend on the host FPU: everything is computed with integer arithmetic.
 *
 * RISC-V choices that differ from other architectures:
 *  - every NaN result is the canonical NaN (F32_DEFAULT_NAN, F64_DEFAULT_NAN); NaN
 *    payloads are never propagated;
 *  - tininess is detected after rounding, and UF is raised only for a tiny AND inexact
 *    result;
 *  - FLOAT_RMM rounds to nearest with ties away from zero;
 *  - out-of-range float-to-integer conversions saturate (NaN counts as +infinity);
 *  - fmin/fmax are IEEE 754-2019 minimumNumber/maximumNumber.
 *
 * Every operation reads the rounding mode from FloatStatus.rm (values 0..4; anything
 * else is treated as FLOAT_RNE, the caller is expected to have rejected it) and ORs the
 * exceptions it raises into FloatStatus.flags, which it never clears. NaN boxing and the
 * dynamic rounding mode are the caller's business.
 */
#ifndef TCG_FPU_SOFTFLOAT_H
#define TCG_FPU_SOFTFLOAT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct FloatStatus {
    uint8_t rm;    /* rounding mode used by the next operations, FLOAT_RNE..FLOAT_RMM */
    uint8_t flags; /* accrued exceptions (FLOAT_NX..FLOAT_NV), in fflags bit order */
} FloatStatus;

/* Rounding modes, numbered as in the RISC-V rm field. */
enum {
    FLOAT_RNE = 0, /* to nearest, ties to even */
    FLOAT_RTZ = 1, /* towards zero */
    FLOAT_RDN = 2, /* towards -infinity */
    FLOAT_RUP = 3, /* towards +infinity */
    FLOAT_RMM = 4, /* to nearest, ties away from zero */
};

/* Exception flags, in the bit order of the RISC-V fflags CSR. */
enum {
    FLOAT_NX = 1,  /* inexact */
    FLOAT_UF = 2,  /* underflow: tiny after rounding and inexact */
    FLOAT_OF = 4,  /* overflow */
    FLOAT_DZ = 8,  /* division by zero */
    FLOAT_NV = 16, /* invalid operation */
};

/* Bits of the mask returned by f32_classify/f64_classify (the fclass result). */
enum {
    FLOAT_CLASS_NEG_INF = 1 << 0,
    FLOAT_CLASS_NEG_NORMAL = 1 << 1,
    FLOAT_CLASS_NEG_SUBNORMAL = 1 << 2,
    FLOAT_CLASS_NEG_ZERO = 1 << 3,
    FLOAT_CLASS_POS_ZERO = 1 << 4,
    FLOAT_CLASS_POS_SUBNORMAL = 1 << 5,
    FLOAT_CLASS_POS_NORMAL = 1 << 6,
    FLOAT_CLASS_POS_INF = 1 << 7,
    FLOAT_CLASS_SNAN = 1 << 8,
    FLOAT_CLASS_QNAN = 1 << 9,
};

#define F32_DEFAULT_NAN 0x7fc00000u
#define F64_DEFAULT_NAN UINT64_C(0x7ff8000000000000)

/* binary32 arithmetic */
uint32_t f32_add(uint32_t a, uint32_t b, FloatStatus *s);
uint32_t f32_sub(uint32_t a, uint32_t b, FloatStatus *s);
uint32_t f32_mul(uint32_t a, uint32_t b, FloatStatus *s);
uint32_t f32_div(uint32_t a, uint32_t b, FloatStatus *s);
uint32_t f32_sqrt(uint32_t a, FloatStatus *s);
/* (negate_product ? -(a * b) : a * b) + (negate_addend ? -c : c), rounded once */
uint32_t f32_muladd(uint32_t a, uint32_t b, uint32_t c, bool negate_product, bool negate_addend,
                    FloatStatus *s);
uint32_t f32_min(uint32_t a, uint32_t b, FloatStatus *s);
uint32_t f32_max(uint32_t a, uint32_t b, FloatStatus *s);
bool f32_eq(uint32_t a, uint32_t b, FloatStatus *s); /* quiet: NV only for sNaN */
bool f32_lt(uint32_t a, uint32_t b, FloatStatus *s); /* signaling: NV for any NaN */
bool f32_le(uint32_t a, uint32_t b, FloatStatus *s); /* signaling: NV for any NaN */
uint32_t f32_classify(uint32_t a);

/* binary64 arithmetic */
uint64_t f64_add(uint64_t a, uint64_t b, FloatStatus *s);
uint64_t f64_sub(uint64_t a, uint64_t b, FloatStatus *s);
uint64_t f64_mul(uint64_t a, uint64_t b, FloatStatus *s);
uint64_t f64_div(uint64_t a, uint64_t b, FloatStatus *s);
uint64_t f64_sqrt(uint64_t a, FloatStatus *s);
uint64_t f64_muladd(uint64_t a, uint64_t b, uint64_t c, bool negate_product, bool negate_addend,
                    FloatStatus *s);
uint64_t f64_min(uint64_t a, uint64_t b, FloatStatus *s);
uint64_t f64_max(uint64_t a, uint64_t b, FloatStatus *s);
bool f64_eq(uint64_t a, uint64_t b, FloatStatus *s);
bool f64_lt(uint64_t a, uint64_t b, FloatStatus *s);
bool f64_le(uint64_t a, uint64_t b, FloatStatus *s);
uint32_t f64_classify(uint64_t a);

/* Conversions between the formats (fcvt.d.s, fcvt.s.d). */
uint64_t f32_to_f64(uint32_t a, FloatStatus *s);
uint32_t f64_to_f32(uint64_t a, FloatStatus *s);

/*
 * Float to integer (fcvt.{w,wu,l,lu}.{s,d}), rounded with s->rm. Out of range: NaN and
 * too large give the maximum, too small gives the minimum, with NV and without NX.
 */
int32_t f32_to_i32(uint32_t a, FloatStatus *s);
uint32_t f32_to_u32(uint32_t a, FloatStatus *s);
int64_t f32_to_i64(uint32_t a, FloatStatus *s);
uint64_t f32_to_u64(uint32_t a, FloatStatus *s);
int32_t f64_to_i32(uint64_t a, FloatStatus *s);
uint32_t f64_to_u32(uint64_t a, FloatStatus *s);
int64_t f64_to_i64(uint64_t a, FloatStatus *s);
uint64_t f64_to_u64(uint64_t a, FloatStatus *s);

/* Integer to float (fcvt.{s,d}.{w,wu,l,lu}), rounded with s->rm. */
uint32_t i32_to_f32(int32_t a, FloatStatus *s);
uint32_t u32_to_f32(uint32_t a, FloatStatus *s);
uint32_t i64_to_f32(int64_t a, FloatStatus *s);
uint32_t u64_to_f32(uint64_t a, FloatStatus *s);
uint64_t i32_to_f64(int32_t a, FloatStatus *s);
uint64_t u32_to_f64(uint32_t a, FloatStatus *s);
uint64_t i64_to_f64(int64_t a, FloatStatus *s);
uint64_t u64_to_f64(uint64_t a, FloatStatus *s);

/* The four RISC-V fused multiply-add forms. */
static inline uint32_t f32_fmadd(uint32_t a, uint32_t b, uint32_t c, FloatStatus *s)
{
    return f32_muladd(a, b, c, false, false, s);
}

static inline uint32_t f32_fmsub(uint32_t a, uint32_t b, uint32_t c, FloatStatus *s)
{
    return f32_muladd(a, b, c, false, true, s);
}

static inline uint32_t f32_fnmsub(uint32_t a, uint32_t b, uint32_t c, FloatStatus *s)
{
    return f32_muladd(a, b, c, true, false, s);
}

static inline uint32_t f32_fnmadd(uint32_t a, uint32_t b, uint32_t c, FloatStatus *s)
{
    return f32_muladd(a, b, c, true, true, s);
}

static inline uint64_t f64_fmadd(uint64_t a, uint64_t b, uint64_t c, FloatStatus *s)
{
    return f64_muladd(a, b, c, false, false, s);
}

static inline uint64_t f64_fmsub(uint64_t a, uint64_t b, uint64_t c, FloatStatus *s)
{
    return f64_muladd(a, b, c, false, true, s);
}

static inline uint64_t f64_fnmsub(uint64_t a, uint64_t b, uint64_t c, FloatStatus *s)
{
    return f64_muladd(a, b, c, true, false, s);
}

static inline uint64_t f64_fnmadd(uint64_t a, uint64_t b, uint64_t c, FloatStatus *s)
{
    return f64_muladd(a, b, c, true, true, s);
}

#endif /* TCG_FPU_SOFTFLOAT_H */
