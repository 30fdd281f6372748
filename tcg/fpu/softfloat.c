/*
 * softfloat.c - rounding and packing, the one place where results get their final bits.
 *
 * Every arithmetic operation ends in fp_round_pack(): it receives the exact result, or a
 * truncation of it with a sticky bit, as a significand with the leading one at bit 62
 * (see softfloat-internal.h), and rounds it to the format's precision. The bits below the
 * precision are the "round bits"; rounding adds an increment chosen by the rounding mode
 * and the sign, then drops them. Packing adds the rounded significand to the exponent
 * field instead of ORing it, so a carry out of the significand (1.11..1 rounding up to
 * 10.0) bumps the exponent by itself, and a subnormal that rounds up to the smallest
 * normal gets exponent field 1 the same way.
 *
 * RISC-V detects tininess after rounding: a result below the normal range is tiny unless
 * rounding it to full precision with an unbounded exponent would reach the smallest
 * normal. UF is raised only when the result is tiny and inexact.
 */
#include "tcg/fpu/softfloat-internal.h"

/* Added to the round bits before truncation: it carries into the kept bits when needed. */
static inline uint64_t round_increment(bool sign, unsigned rm, uint64_t round_mask)
{
    switch (rm) {
    case FLOAT_RTZ:
        return 0;
    case FLOAT_RDN:
        return sign ? round_mask : 0;
    case FLOAT_RUP:
        return sign ? 0 : round_mask;
    default: /* RNE and RMM: half an ulp; RNE fixes exact ties afterwards */
        return (round_mask >> 1) + 1;
    }
}

static uint64_t overflow_result(bool sign, unsigned rm, FloatFmt f, FloatStatus *s)
{
    bool to_inf = rm == FLOAT_RNE || rm == FLOAT_RMM || (rm == FLOAT_RUP && !sign) ||
                  (rm == FLOAT_RDN && sign);

    s->flags |= FLOAT_OF | FLOAT_NX;
    if (to_inf) {
        return fp_inf(sign, f);
    }
    return fp_pack_raw(sign, (uint64_t)fmt_exp_max(f) - 1, fmt_frac_mask(f), f);
}

static inline uint64_t round_pack(bool sign, int32_t exp, uint64_t sig, FloatFmt f, FloatStatus *s)
{
    const int shift = 63 - fmt_prec(f);
    const uint64_t round_mask = (UINT64_C(1) << shift) - 1;
    const uint64_t half = UINT64_C(1) << (shift - 1);
    unsigned rm = fp_rm(s);
    uint64_t inc = round_increment(sign, rm, round_mask);
    uint64_t round_bits, m, bits;

    if (FP_UNLIKELY(exp <= 0)) {
        /* Tiny unless rounding at full precision carries up to the smallest normal. */
        bool tiny = exp < 0 || sig + inc < (UINT64_C(1) << 63);

        sig = shr_jam64(sig, (uint32_t)(1 - (int64_t)exp));
        exp = 1;
        if (tiny && (sig & round_mask)) {
            s->flags |= FLOAT_UF;
        }
    }
    round_bits = sig & round_mask;
    m = (sig + inc) >> shift;
    if (round_bits) {
        s->flags |= FLOAT_NX;
        if (rm == FLOAT_RNE && round_bits == half) {
            m &= ~UINT64_C(1);
        }
    }
    if (FP_UNLIKELY(exp >= fmt_exp_max(f) - 1)) {
        /* Overflow unless the biggest binade is reached without a carry. */
        if (exp >= fmt_exp_max(f) || (m >> fmt_prec(f))) {
            return overflow_result(sign, rm, f, s);
        }
    }
    bits = ((uint64_t)(exp - 1) << fmt_frac_bits(f)) + m;
    return bits | ((uint64_t)sign << (fmt_width(f) - 1));
}

uint64_t fp_round_pack32(bool sign, int32_t exp, uint64_t sig, FloatStatus *s)
{
    return round_pack(sign, exp, sig, FMT_F32, s);
}

uint64_t fp_round_pack64(bool sign, int32_t exp, uint64_t sig, FloatStatus *s)
{
    return round_pack(sign, exp, sig, FMT_F64, s);
}
