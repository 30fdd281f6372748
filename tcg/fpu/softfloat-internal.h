/*
 * softfloat-internal.h - shared representation of the softfloat library.
 *
 * One algorithm serves both binary32 and binary64: every helper takes a FloatFmt, and
 * since callers always pass a constant, the compiler specialises each static inline
 * function per format. Operands are unpacked into a sign, a biased exponent and a
 * 64-bit significand whose leading one sits at bit 62:
 *
 *     value = (-1)^sign * sig / 2^62 * 2^(exp - bias)
 *
 * Subnormal inputs are normalised on unpacking (their exp goes to 0 or below), so the
 * arithmetic never special-cases them. Bit 63 is headroom for a carry, and the bits
 * below the format's precision (39 for binary32, 10 for binary64) hold the guard bits;
 * shifts that drop bits "jam" them into bit 0 so that rounding still sees a sticky bit.
 * fp_round_pack() turns such a value back into bits, with all of RISC-V's rounding,
 * overflow and underflow rules.
 */
#ifndef TCG_FPU_SOFTFLOAT_INTERNAL_H
#define TCG_FPU_SOFTFLOAT_INTERNAL_H

#include "tcg/fpu/softfloat.h"

#define FP_LIKELY(x)   __builtin_expect(!!(x), 1)
#define FP_UNLIKELY(x) __builtin_expect(!!(x), 0)

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 s128;

typedef enum FloatFmt {
    FMT_F32,
    FMT_F64,
} FloatFmt;

/* Kinds of unpacked operands, as bits so that the kinds of several operands can be ORed. */
enum {
    FK_ZERO = 1,
    FK_FINITE = 2, /* finite and nonzero, normal or subnormal */
    FK_INF = 4,
    FK_QNAN = 8,
    FK_SNAN = 16,
    FK_NAN = FK_QNAN | FK_SNAN,
};

typedef struct Unpacked {
    uint64_t sig; /* significand, leading one at bit 62 (FK_FINITE only, else 0) */
    int32_t exp;  /* biased exponent, below 1 for normalised subnormals */
    bool sign;    /* true when negative */
    uint8_t kind; /* one FK_* bit */
} Unpacked;

static inline int fmt_width(FloatFmt f)
{
    return f == FMT_F32 ? 32 : 64;
}

/* Significand bits, the hidden one included. */
static inline int fmt_prec(FloatFmt f)
{
    return f == FMT_F32 ? 24 : 53;
}

static inline int fmt_frac_bits(FloatFmt f)
{
    return fmt_prec(f) - 1;
}

/* The all-ones exponent field, used by infinities and NaNs. */
static inline int32_t fmt_exp_max(FloatFmt f)
{
    return f == FMT_F32 ? 0xff : 0x7ff;
}

static inline int32_t fmt_bias(FloatFmt f)
{
    return f == FMT_F32 ? 127 : 1023;
}

static inline uint64_t fmt_sign_mask(FloatFmt f)
{
    return UINT64_C(1) << (fmt_width(f) - 1);
}

static inline uint64_t fmt_frac_mask(FloatFmt f)
{
    return (UINT64_C(1) << fmt_frac_bits(f)) - 1;
}

static inline uint64_t fmt_default_nan(FloatFmt f)
{
    return f == FMT_F32 ? F32_DEFAULT_NAN : F64_DEFAULT_NAN;
}

static inline uint64_t fp_pack_raw(bool sign, uint64_t exp_field, uint64_t frac, FloatFmt f)
{
    return ((uint64_t)sign << (fmt_width(f) - 1)) | (exp_field << fmt_frac_bits(f)) | frac;
}

static inline uint64_t fp_zero(bool sign, FloatFmt f)
{
    return fp_pack_raw(sign, 0, 0, f);
}

static inline uint64_t fp_inf(bool sign, FloatFmt f)
{
    return fp_pack_raw(sign, (uint64_t)fmt_exp_max(f), 0, f);
}

static inline int clz64(uint64_t x)
{
    return __builtin_clzll(x);
}

static inline int clz128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);

    return hi ? clz64(hi) : 64 + clz64((uint64_t)x);
}

/* x >> n, with every bit shifted out ORed into bit 0. */
static inline uint64_t shr_jam64(uint64_t x, uint32_t n)
{
    if (n == 0) {
        return x;
    }
    if (n >= 64) {
        return x != 0;
    }
    return (x >> n) | ((x << (64 - n)) != 0);
}

static inline u128 shr_jam128(u128 x, uint32_t n)
{
    if (n == 0) {
        return x;
    }
    if (n >= 128) {
        return x != 0;
    }
    return (x >> n) | ((x << (128 - n)) != 0);
}

static inline Unpacked fp_unpack_subnormal(Unpacked u, uint64_t frac, FloatFmt f)
{
    int shift = clz64(frac) - 1;

    u.kind = FK_FINITE;
    u.sig = frac << shift;
    u.exp = 1 - (shift - (62 - fmt_frac_bits(f)));
    return u;
}

static inline Unpacked fp_unpack(uint64_t x, FloatFmt f)
{
    int fb = fmt_frac_bits(f);
    uint64_t frac = x & fmt_frac_mask(f);
    Unpacked u = {
        .sig = 0,
        .exp = (int32_t)((x >> fb) & (uint64_t)fmt_exp_max(f)),
        .sign = (x >> (fmt_width(f) - 1)) & 1,
    };

    if (FP_LIKELY(u.exp != 0 && u.exp != fmt_exp_max(f))) {
        u.kind = FK_FINITE;
        u.sig = (frac | (UINT64_C(1) << fb)) << (62 - fb);
    } else if (u.exp == 0) {
        if (frac != 0) {
            return fp_unpack_subnormal(u, frac, f);
        }
        u.kind = FK_ZERO;
    } else if (frac == 0) {
        u.kind = FK_INF;
    } else {
        u.kind = (frac >> (fb - 1)) & 1 ? FK_QNAN : FK_SNAN;
    }
    return u;
}

static inline bool fp_is_nan(uint64_t x, FloatFmt f)
{
    return (x & ~fmt_sign_mask(f)) > fp_inf(false, f);
}

static inline bool fp_is_snan(uint64_t x, FloatFmt f)
{
    uint64_t quiet = UINT64_C(1) << (fmt_frac_bits(f) - 1);

    return fp_is_nan(x, f) && !(x & quiet);
}

/* The canonical NaN that every NaN-producing operation returns; NV if any input was sNaN. */
static inline uint64_t fp_nan_result(unsigned kinds, FloatFmt f, FloatStatus *s)
{
    if (kinds & FK_SNAN) {
        s->flags |= FLOAT_NV;
    }
    return fmt_default_nan(f);
}

static inline uint64_t fp_invalid(FloatFmt f, FloatStatus *s)
{
    s->flags |= FLOAT_NV;
    return fmt_default_nan(f);
}

/* An exactly zero sum of operands with opposite signs: +0, or -0 when rounding down. */
static inline uint64_t fp_exact_zero_sum(FloatFmt f, const FloatStatus *s)
{
    return fp_zero(s->rm == FLOAT_RDN, f);
}

/* The rounding mode, with the undefined encodings mapped to RNE. */
static inline unsigned fp_rm(const FloatStatus *s)
{
    return s->rm <= FLOAT_RMM ? s->rm : FLOAT_RNE;
}

uint64_t fp_round_pack32(bool sign, int32_t exp, uint64_t sig, FloatStatus *s);
uint64_t fp_round_pack64(bool sign, int32_t exp, uint64_t sig, FloatStatus *s);

/*
 * Rounds sign * sig / 2^62 * 2^(exp - bias) to format f and packs it. sig must have its
 * leading one at bit 62; exp may be out of range in either direction.
 */
static inline uint64_t fp_round_pack(bool sign, int32_t exp, uint64_t sig, FloatFmt f,
                                     FloatStatus *s)
{
    return f == FMT_F32 ? fp_round_pack32(sign, exp, sig, s) : fp_round_pack64(sign, exp, sig, s);
}

/* As fp_round_pack(), for any nonzero sig below 2^63. */
static inline uint64_t fp_norm_round_pack(bool sign, int32_t exp, uint64_t sig, FloatFmt f,
                                          FloatStatus *s)
{
    int shift = clz64(sig) - 1;

    return fp_round_pack(sign, exp - shift, sig << shift, f, s);
}

#endif /* TCG_FPU_SOFTFLOAT_INTERNAL_H */
