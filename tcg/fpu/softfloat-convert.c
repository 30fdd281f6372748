/*
 * softfloat-convert.c - conversions between the formats and to and from integers.
 *
 * binary32 -> binary64 is exact (subnormals become normal); binary64 -> binary32 is an
 * ordinary rounding through fp_round_pack(). Both turn NaNs into the canonical NaN.
 *
 * Float -> integer first rounds the magnitude to an integer with the current rounding
 * mode (round_to_magnitude), then applies the destination's range with RISC-V's rules:
 * NaN and values above the range give the maximum, values below give the minimum, with
 * NV and without NX. For unsigned destinations a negative value that rounds to zero is
 * not out of range: it gives 0 with NX (or nothing for -0.0).
 *
 * Integer -> float normalises the magnitude to the bit-62 significand and rounds it.
 */
#include "tcg/fpu/softfloat-internal.h"

/* ---- between the formats ---- */

uint64_t f32_to_f64(uint32_t a, FloatStatus *s)
{
    Unpacked x = fp_unpack(a, FMT_F32);
    uint64_t exp;

    switch (x.kind) {
    case FK_QNAN:
    case FK_SNAN:
        return fp_nan_result(x.kind, FMT_F64, s);
    case FK_INF:
        return fp_inf(x.sign, FMT_F64);
    case FK_ZERO:
        return fp_zero(x.sign, FMT_F64);
    default:
        exp = (uint64_t)(x.exp - fmt_bias(FMT_F32) + fmt_bias(FMT_F64));
        return fp_pack_raw(x.sign, exp, (x.sig >> 10) & fmt_frac_mask(FMT_F64), FMT_F64);
    }
}

uint32_t f64_to_f32(uint64_t a, FloatStatus *s)
{
    Unpacked x = fp_unpack(a, FMT_F64);

    switch (x.kind) {
    case FK_QNAN:
    case FK_SNAN:
        return (uint32_t)fp_nan_result(x.kind, FMT_F32, s);
    case FK_INF:
        return (uint32_t)fp_inf(x.sign, FMT_F32);
    case FK_ZERO:
        return (uint32_t)fp_zero(x.sign, FMT_F32);
    default:
        return (uint32_t)fp_round_pack(x.sign, x.exp - fmt_bias(FMT_F64) + fmt_bias(FMT_F32), x.sig,
                                       FMT_F32, s);
    }
}

/* ---- float to integer ---- */

/* Whether to add one to the truncated magnitude, given the fraction left-aligned in 64 bits. */
static inline bool round_up_fraction(bool sign, uint64_t ip, uint64_t frac, unsigned rm)
{
    const uint64_t half = UINT64_C(1) << 63;

    switch (rm) {
    case FLOAT_RTZ:
        return false;
    case FLOAT_RDN:
        return sign && frac;
    case FLOAT_RUP:
        return !sign && frac;
    case FLOAT_RMM:
        return frac >= half;
    default:
        return frac > half || (frac == half && (ip & 1));
    }
}

/*
 * |x| rounded to an integer. *huge is set when that is 2^64 or more, *inexact when x was
 * not an integer.
 */
static uint64_t round_to_magnitude(Unpacked x, FloatFmt f, unsigned rm, bool *huge, bool *inexact)
{
    int32_t e = x.exp - fmt_bias(f);
    uint32_t shift;
    uint64_t ip, frac;

    *huge = e >= 64;
    *inexact = false;
    if (e >= 62) {
        return *huge ? 0 : x.sig << (e - 62);
    }
    shift = (uint32_t)(62 - e); /* at least 1 */
    if (shift < 64) {
        ip = x.sig >> shift;
        frac = x.sig << (64 - shift);
    } else {
        ip = 0;
        frac = shift == 64 ? x.sig : 1; /* below 1/2, kept nonzero */
    }
    *inexact = frac != 0;
    return ip + round_up_fraction(x.sign, ip, frac, rm);
}

/*
 * Converts to an integer type with the range [-neg_limit, pos_limit] (magnitudes), and
 * returns the two's complement result as 64 bits. neg_limit is 0 for unsigned types.
 */
static uint64_t fp_to_int(uint64_t a, FloatFmt f, uint64_t pos_limit, uint64_t neg_limit,
                          FloatStatus *s)
{
    Unpacked x = fp_unpack(a, f);
    bool huge, inexact;
    uint64_t mag;

    if (FP_UNLIKELY(x.kind & (FK_NAN | FK_INF | FK_ZERO))) {
        if (x.kind == FK_ZERO) {
            return 0;
        }
        s->flags |= FLOAT_NV;
        return (x.kind == FK_INF && x.sign) ? 0 - neg_limit : pos_limit;
    }
    mag = round_to_magnitude(x, f, fp_rm(s), &huge, &inexact);
    if (huge || mag > (x.sign ? neg_limit : pos_limit)) {
        s->flags |= FLOAT_NV;
        return x.sign ? 0 - neg_limit : pos_limit;
    }
    if (inexact) {
        s->flags |= FLOAT_NX;
    }
    return x.sign ? 0 - mag : mag;
}

int32_t f32_to_i32(uint32_t a, FloatStatus *s)
{
    return (int32_t)fp_to_int(a, FMT_F32, INT32_MAX, UINT64_C(1) << 31, s);
}

uint32_t f32_to_u32(uint32_t a, FloatStatus *s)
{
    return (uint32_t)fp_to_int(a, FMT_F32, UINT32_MAX, 0, s);
}

int64_t f32_to_i64(uint32_t a, FloatStatus *s)
{
    return (int64_t)fp_to_int(a, FMT_F32, INT64_MAX, UINT64_C(1) << 63, s);
}

uint64_t f32_to_u64(uint32_t a, FloatStatus *s)
{
    return fp_to_int(a, FMT_F32, UINT64_MAX, 0, s);
}

int32_t f64_to_i32(uint64_t a, FloatStatus *s)
{
    return (int32_t)fp_to_int(a, FMT_F64, INT32_MAX, UINT64_C(1) << 31, s);
}

uint32_t f64_to_u32(uint64_t a, FloatStatus *s)
{
    return (uint32_t)fp_to_int(a, FMT_F64, UINT32_MAX, 0, s);
}

int64_t f64_to_i64(uint64_t a, FloatStatus *s)
{
    return (int64_t)fp_to_int(a, FMT_F64, INT64_MAX, UINT64_C(1) << 63, s);
}

uint64_t f64_to_u64(uint64_t a, FloatStatus *s)
{
    return fp_to_int(a, FMT_F64, UINT64_MAX, 0, s);
}

/* ---- integer to float ---- */

static inline uint64_t fp_from_int(bool sign, uint64_t mag, FloatFmt f, FloatStatus *s)
{
    int lead;

    if (mag == 0) {
        return fp_zero(false, f);
    }
    lead = 63 - clz64(mag);
    if (lead == 63) {
        return fp_round_pack(sign, fmt_bias(f) + 63, (mag >> 1) | (mag & 1), f, s);
    }
    return fp_round_pack(sign, fmt_bias(f) + lead, mag << (62 - lead), f, s);
}

static inline uint64_t magnitude(int64_t a)
{
    return a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
}

uint32_t i32_to_f32(int32_t a, FloatStatus *s)
{
    return (uint32_t)fp_from_int(a < 0, magnitude(a), FMT_F32, s);
}

uint32_t u32_to_f32(uint32_t a, FloatStatus *s)
{
    return (uint32_t)fp_from_int(false, a, FMT_F32, s);
}

uint32_t i64_to_f32(int64_t a, FloatStatus *s)
{
    return (uint32_t)fp_from_int(a < 0, magnitude(a), FMT_F32, s);
}

uint32_t u64_to_f32(uint64_t a, FloatStatus *s)
{
    return (uint32_t)fp_from_int(false, a, FMT_F32, s);
}

uint64_t i32_to_f64(int32_t a, FloatStatus *s)
{
    return fp_from_int(a < 0, magnitude(a), FMT_F64, s);
}

uint64_t u32_to_f64(uint32_t a, FloatStatus *s)
{
    return fp_from_int(false, a, FMT_F64, s);
}

uint64_t i64_to_f64(int64_t a, FloatStatus *s)
{
    return fp_from_int(a < 0, magnitude(a), FMT_F64, s);
}

uint64_t u64_to_f64(uint64_t a, FloatStatus *s)
{
    return fp_from_int(false, a, FMT_F64, s);
}
