/*
 * softfloat-compare.c - comparisons, fmin/fmax and fclass.
 *
 * None of these round, so they work on the raw bits: apart from NaNs and the two zeros,
 * IEEE values are ordered like sign-magnitude integers. feq is a quiet comparison (NV
 * only for a signaling NaN); flt and fle are signaling (NV for any NaN). fmin and fmax
 * are IEEE 754-2019 minimumNumber/maximumNumber: -0 is below +0, a single NaN operand
 * yields the other operand, two NaNs yield the canonical NaN, and a signaling NaN raises
 * NV in every case.
 */
#include "tcg/fpu/softfloat-internal.h"

/* a < b for non-NaN values, in the total order where -0 < +0. */
static inline bool ordered_less(uint64_t a, uint64_t b, FloatFmt f)
{
    bool as = (a & fmt_sign_mask(f)) != 0;
    bool bs = (b & fmt_sign_mask(f)) != 0;

    if (as != bs) {
        return as;
    }
    return as ? a > b : a < b;
}

static inline bool both_zero(uint64_t a, uint64_t b, FloatFmt f)
{
    return ((a | b) & ~fmt_sign_mask(f)) == 0;
}

/* Raises the flags of a comparison with a NaN operand; returns false if there is none. */
static inline bool unordered(uint64_t a, uint64_t b, bool signaling, FloatFmt f, FloatStatus *s)
{
    if (FP_LIKELY(!fp_is_nan(a, f) && !fp_is_nan(b, f))) {
        return false;
    }
    if (signaling || fp_is_snan(a, f) || fp_is_snan(b, f)) {
        s->flags |= FLOAT_NV;
    }
    return true;
}

static inline bool fp_eq(uint64_t a, uint64_t b, FloatFmt f, FloatStatus *s)
{
    if (unordered(a, b, false, f, s)) {
        return false;
    }
    return a == b || both_zero(a, b, f);
}

static inline bool fp_lt(uint64_t a, uint64_t b, FloatFmt f, FloatStatus *s)
{
    if (unordered(a, b, true, f, s)) {
        return false;
    }
    return !both_zero(a, b, f) && ordered_less(a, b, f);
}

static inline bool fp_le(uint64_t a, uint64_t b, FloatFmt f, FloatStatus *s)
{
    if (unordered(a, b, true, f, s)) {
        return false;
    }
    return a == b || both_zero(a, b, f) || ordered_less(a, b, f);
}

static inline uint64_t fp_minmax(uint64_t a, uint64_t b, bool max, FloatFmt f, FloatStatus *s)
{
    bool a_nan = fp_is_nan(a, f);
    bool b_nan = fp_is_nan(b, f);

    if (FP_UNLIKELY(a_nan || b_nan)) {
        if (fp_is_snan(a, f) || fp_is_snan(b, f)) {
            s->flags |= FLOAT_NV;
        }
        if (a_nan && b_nan) {
            return fmt_default_nan(f);
        }
        return a_nan ? b : a;
    }
    return ordered_less(a, b, f) != max ? a : b;
}

static inline uint32_t fp_classify(uint64_t a, FloatFmt f)
{
    Unpacked x = fp_unpack(a, f);
    bool subnormal = (a & ~fmt_sign_mask(f)) >> fmt_frac_bits(f) == 0;

    switch (x.kind) {
    case FK_SNAN:
        return FLOAT_CLASS_SNAN;
    case FK_QNAN:
        return FLOAT_CLASS_QNAN;
    case FK_INF:
        return x.sign ? FLOAT_CLASS_NEG_INF : FLOAT_CLASS_POS_INF;
    case FK_ZERO:
        return x.sign ? FLOAT_CLASS_NEG_ZERO : FLOAT_CLASS_POS_ZERO;
    default:
        if (subnormal) {
            return x.sign ? FLOAT_CLASS_NEG_SUBNORMAL : FLOAT_CLASS_POS_SUBNORMAL;
        }
        return x.sign ? FLOAT_CLASS_NEG_NORMAL : FLOAT_CLASS_POS_NORMAL;
    }
}

bool f32_eq(uint32_t a, uint32_t b, FloatStatus *s)
{
    return fp_eq(a, b, FMT_F32, s);
}

bool f32_lt(uint32_t a, uint32_t b, FloatStatus *s)
{
    return fp_lt(a, b, FMT_F32, s);
}

bool f32_le(uint32_t a, uint32_t b, FloatStatus *s)
{
    return fp_le(a, b, FMT_F32, s);
}

uint32_t f32_min(uint32_t a, uint32_t b, FloatStatus *s)
{
    return (uint32_t)fp_minmax(a, b, false, FMT_F32, s);
}

uint32_t f32_max(uint32_t a, uint32_t b, FloatStatus *s)
{
    return (uint32_t)fp_minmax(a, b, true, FMT_F32, s);
}

uint32_t f32_classify(uint32_t a)
{
    return fp_classify(a, FMT_F32);
}

bool f64_eq(uint64_t a, uint64_t b, FloatStatus *s)
{
    return fp_eq(a, b, FMT_F64, s);
}

bool f64_lt(uint64_t a, uint64_t b, FloatStatus *s)
{
    return fp_lt(a, b, FMT_F64, s);
}

bool f64_le(uint64_t a, uint64_t b, FloatStatus *s)
{
    return fp_le(a, b, FMT_F64, s);
}

uint64_t f64_min(uint64_t a, uint64_t b, FloatStatus *s)
{
    return fp_minmax(a, b, false, FMT_F64, s);
}

uint64_t f64_max(uint64_t a, uint64_t b, FloatStatus *s)
{
    return fp_minmax(a, b, true, FMT_F64, s);
}

uint32_t f64_classify(uint64_t a)
{
    return fp_classify(a, FMT_F64);
}
