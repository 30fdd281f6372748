/*
 * softfloat-fma.c - fused multiply-add with a single rounding (fmadd, fmsub, fnmsub,
 * fnmadd).
 *
 * The product of the two 63-bit significands is kept exact in 128 bits, with its leading
 * one at bit 124 or 125; the addend is placed at the same scale (leading one at bit 124).
 * The operand with the smaller exponent is shifted right with a sticky bit, and the sum
 * or difference is normalised down to a 64-bit significand for fp_round_pack().
 *
 * Why 128 bits suffice: the product has at most 2 * 53 significant bits and the addend
 * at most 53, so shifts that keep both within 128 bits are exact. A shift that loses bits
 * only happens when one operand is so much smaller that the result keeps its leading
 * bit within one place of the larger operand's, far above the sticky bit. Massive
 * cancellation therefore always happens on exact values.
 *
 * RISC-V raises NV for infinity times zero even when the addend is a quiet NaN.
 */
#include "tcg/fpu/softfloat-internal.h"

static uint64_t muladd_special(uint64_t c, Unpacked x, Unpacked y, Unpacked z, FloatFmt f,
                               FloatStatus *s)
{
    unsigned prod_kinds = x.kind | y.kind;
    bool psign = x.sign != y.sign;

    if ((prod_kinds & FK_INF) && (prod_kinds & FK_ZERO)) {
        return fp_invalid(f, s); /* even with a NaN addend */
    }
    if ((prod_kinds | z.kind) & FK_NAN) {
        return fp_nan_result(prod_kinds | z.kind, f, s);
    }
    if (prod_kinds & FK_INF) {
        if (z.kind == FK_INF && z.sign != psign) {
            return fp_invalid(f, s);
        }
        return fp_inf(psign, f);
    }
    if (z.kind == FK_INF) {
        return c;
    }
    /* The product is zero (the finite nonzero product goes to the main path). */
    if (z.kind == FK_ZERO) {
        return z.sign == psign ? c : fp_exact_zero_sum(f, s);
    }
    return c;
}

/* Rounds sign * r / 2^124 * 2^(exp - bias), for any nonzero 128-bit r. */
static uint64_t round_pack128(bool sign, int32_t exp, u128 r, FloatFmt f, FloatStatus *s)
{
    int lead = 127 - clz128(r);
    uint64_t sig;

    if (lead > 62) {
        sig = (uint64_t)shr_jam128(r, (uint32_t)(lead - 62));
    } else {
        sig = (uint64_t)r << (62 - lead);
    }
    return fp_round_pack(sign, exp + (lead - 124), sig, f, s);
}

/* x * y + z for finite nonzero x, y and z. */
static inline uint64_t muladd_finite(Unpacked x, Unpacked y, Unpacked z, FloatFmt f, FloatStatus *s)
{
    bool psign = x.sign != y.sign;
    int32_t pexp = x.exp + y.exp - fmt_bias(f);
    int32_t exp = pexp > z.exp ? pexp : z.exp;
    u128 p = shr_jam128((u128)x.sig * y.sig, (uint32_t)(exp - pexp));
    u128 c = shr_jam128((u128)z.sig << 62, (uint32_t)(exp - z.exp));

    if (psign == z.sign) {
        return round_pack128(psign, exp, p + c, f, s);
    }
    if (p == c) {
        return fp_exact_zero_sum(f, s);
    }
    if (p > c) {
        return round_pack128(psign, exp, p - c, f, s);
    }
    return round_pack128(z.sign, exp, c - p, f, s);
}

/* x * y rounded once, for finite nonzero x and y: the addend was a zero. */
static inline uint64_t mul_finite(Unpacked x, Unpacked y, FloatFmt f, FloatStatus *s)
{
    return round_pack128(x.sign != y.sign, x.exp + y.exp - fmt_bias(f), (u128)x.sig * y.sig, f, s);
}

static inline uint64_t fp_muladd(uint64_t a, uint64_t b, uint64_t c, bool negate_product,
                                 bool negate_addend, FloatFmt f, FloatStatus *s)
{
    Unpacked x, y, z;

    /* Negating the product is negating one factor; signs never matter for NaNs. */
    b ^= negate_product ? fmt_sign_mask(f) : 0;
    c ^= negate_addend ? fmt_sign_mask(f) : 0;
    x = fp_unpack(a, f);
    y = fp_unpack(b, f);
    z = fp_unpack(c, f);
    if (FP_LIKELY((x.kind | y.kind | z.kind) == FK_FINITE)) {
        return muladd_finite(x, y, z, f, s);
    }
    if ((x.kind | y.kind) == FK_FINITE && z.kind == FK_ZERO) {
        return mul_finite(x, y, f, s);
    }
    return muladd_special(c, x, y, z, f, s);
}

uint32_t f32_muladd(uint32_t a, uint32_t b, uint32_t c, bool negate_product, bool negate_addend,
                    FloatStatus *s)
{
    return (uint32_t)fp_muladd(a, b, c, negate_product, negate_addend, FMT_F32, s);
}

uint64_t f64_muladd(uint64_t a, uint64_t b, uint64_t c, bool negate_product, bool negate_addend,
                    FloatStatus *s)
{
    return fp_muladd(a, b, c, negate_product, negate_addend, FMT_F64, s);
}
