/*
 * softfloat-arith.c - add, subtract, multiply, divide and square root.
 *
 * Each operation unpacks its operands (softfloat-internal.h), sends anything that is not
 * a pair of finite nonzero numbers to a small "special" function (NaN, infinity, zero),
 * and otherwise computes a significand that is exact or carries a sticky bit, for
 * fp_round_pack() to round. That common path has no other branch on the operand class,
 * which is what keeps ordinary arithmetic fast.
 *
 * Why the sticky bit is enough: an addend shifted right by two or more places loses bits
 * into the sticky bit, but then the difference of the significands loses at most one
 * leading bit, so the sticky bit stays far below the rounding position; with a smaller
 * shift nothing is lost at all. Products, quotients and square roots are computed with
 * at least two bits beyond the precision plus a sticky bit for the remainder.
 */
#include "tcg/fpu/softfloat-internal.h"

/* ---- addition and subtraction ---- */

static uint64_t add_special(uint64_t a, uint64_t b, Unpacked x, Unpacked y, FloatFmt f,
                            FloatStatus *s)
{
    unsigned kinds = x.kind | y.kind;

    if (kinds & FK_NAN) {
        return fp_nan_result(kinds, f, s);
    }
    if (x.kind == FK_INF) {
        if (y.kind == FK_INF && x.sign != y.sign) {
            return fp_invalid(f, s);
        }
        return a;
    }
    if (y.kind == FK_INF) {
        return b;
    }
    if (x.kind == FK_ZERO && y.kind == FK_ZERO) {
        return x.sign == y.sign ? a : fp_exact_zero_sum(f, s);
    }
    return x.kind == FK_ZERO ? b : a; /* adding zero is exact, subnormals included */
}

static inline uint64_t add_magnitudes(bool sign, Unpacked x, Unpacked y, FloatFmt f, FloatStatus *s)
{
    uint64_t sum;

    if (x.exp < y.exp) {
        Unpacked t = x;
        x = y;
        y = t;
    }
    sum = x.sig + shr_jam64(y.sig, (uint32_t)(x.exp - y.exp));
    if (sum >> 63) {
        return fp_round_pack(sign, x.exp + 1, (sum >> 1) | (sum & 1), f, s);
    }
    return fp_round_pack(sign, x.exp, sum, f, s);
}

static inline uint64_t sub_magnitudes(bool sign, Unpacked x, Unpacked y, FloatFmt f, FloatStatus *s)
{
    uint64_t diff;

    if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) {
        Unpacked t = x;
        x = y;
        y = t;
        sign = !sign;
    } else if (x.exp == y.exp && x.sig == y.sig) {
        return fp_exact_zero_sum(f, s);
    }
    diff = x.sig - shr_jam64(y.sig, (uint32_t)(x.exp - y.exp));
    return fp_norm_round_pack(sign, x.exp, diff, f, s);
}

static inline uint64_t fp_add(uint64_t a, uint64_t b, FloatFmt f, FloatStatus *s)
{
    Unpacked x = fp_unpack(a, f);
    Unpacked y = fp_unpack(b, f);

    if (FP_UNLIKELY((x.kind | y.kind) != FK_FINITE)) {
        return add_special(a, b, x, y, f, s);
    }
    if (x.sign == y.sign) {
        return add_magnitudes(x.sign, x, y, f, s);
    }
    return sub_magnitudes(x.sign, x, y, f, s);
}

uint32_t f32_add(uint32_t a, uint32_t b, FloatStatus *s)
{
    return (uint32_t)fp_add(a, b, FMT_F32, s);
}

uint32_t f32_sub(uint32_t a, uint32_t b, FloatStatus *s)
{
    return (uint32_t)fp_add(a, b ^ (uint32_t)fmt_sign_mask(FMT_F32), FMT_F32, s);
}

uint64_t f64_add(uint64_t a, uint64_t b, FloatStatus *s)
{
    return fp_add(a, b, FMT_F64, s);
}

uint64_t f64_sub(uint64_t a, uint64_t b, FloatStatus *s)
{
    return fp_add(a, b ^ fmt_sign_mask(FMT_F64), FMT_F64, s);
}

/* ---- multiplication ---- */

static uint64_t mul_special(Unpacked x, Unpacked y, FloatFmt f, FloatStatus *s)
{
    unsigned kinds = x.kind | y.kind;
    bool sign = x.sign != y.sign;

    if (kinds & FK_NAN) {
        return fp_nan_result(kinds, f, s);
    }
    if (kinds & FK_INF) {
        return (kinds & FK_ZERO) ? fp_invalid(f, s) : fp_inf(sign, f);
    }
    return fp_zero(sign, f);
}

/* Significand of the exact product, 2^124 <= p < 2^126, reduced to 64 bits with a sticky bit. */
static inline uint64_t product_sig(u128 p, int32_t *exp)
{
    uint64_t sig = (uint64_t)(p >> 62) | (((uint64_t)p & ((UINT64_C(1) << 62) - 1)) != 0);

    if (sig >> 63) {
        *exp += 1;
        return (sig >> 1) | (sig & 1);
    }
    return sig;
}

static inline uint64_t fp_mul(uint64_t a, uint64_t b, FloatFmt f, FloatStatus *s)
{
    Unpacked x = fp_unpack(a, f);
    Unpacked y = fp_unpack(b, f);
    int32_t exp;
    uint64_t sig;

    if (FP_UNLIKELY((x.kind | y.kind) != FK_FINITE)) {
        return mul_special(x, y, f, s);
    }
    exp = x.exp + y.exp - fmt_bias(f);
    sig = product_sig((u128)x.sig * y.sig, &exp);
    return fp_round_pack(x.sign != y.sign, exp, sig, f, s);
}

uint32_t f32_mul(uint32_t a, uint32_t b, FloatStatus *s)
{
    return (uint32_t)fp_mul(a, b, FMT_F32, s);
}

uint64_t f64_mul(uint64_t a, uint64_t b, FloatStatus *s)
{
    return fp_mul(a, b, FMT_F64, s);
}

/* ---- division ---- */

static uint64_t div_special(Unpacked x, Unpacked y, FloatFmt f, FloatStatus *s)
{
    unsigned kinds = x.kind | y.kind;
    bool sign = x.sign != y.sign;

    if (kinds & FK_NAN) {
        return fp_nan_result(kinds, f, s);
    }
    if (x.kind == y.kind) { /* inf/inf or 0/0 */
        return fp_invalid(f, s);
    }
    if (x.kind == FK_INF) {
        return fp_inf(sign, f); /* inf/0 is exact: no DZ */
    }
    if (y.kind == FK_ZERO) {
        s->flags |= FLOAT_DZ;
        return fp_inf(sign, f);
    }
    return fp_zero(sign, f); /* 0/finite, finite/inf, 0/inf */
}

/* (hi:lo) / d for hi < d, so that the quotient fits in 64 bits. */
static inline uint64_t div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
#if defined(__x86_64__)
    uint64_t q;

    __asm__("divq %4" : "=a"(q), "=d"(*rem) : "a"(lo), "d"(hi), "rm"(d));
    return q;
#else
    u128 n = ((u128)hi << 64) | lo;
    uint64_t q = (uint64_t)(n / d);

    *rem = (uint64_t)(n - (u128)q * d);
    return q;
#endif
}

/*
 * Quotient significand for x.sig / y.sig, leading one at bit 62, sticky for a nonzero
 * remainder. When x.sig < y.sig the quotient is below one, so the dividend is shifted one
 * place further and the exponent lowered to match.
 */
static inline uint64_t quotient_sig(uint64_t xs, uint64_t ys, FloatFmt f)
{
    int below = xs < ys;
    uint64_t q, r;

    if (f == FMT_F32) {
        /* 24-bit significands: a 64-bit division gives 40 quotient bits. */
        uint64_t n = (xs >> 39) << (39 + below);
        uint64_t d = ys >> 39;

        q = n / d;
        r = n % d;
        return (q << 23) | (r != 0);
    }
    /* (xs << (62 + below)) / ys, split into the two halves of a 128-bit dividend */
    q = div128(xs >> (2 - below), xs << (62 + below), ys, &r);
    return q | (r != 0);
}

static inline uint64_t fp_div(uint64_t a, uint64_t b, FloatFmt f, FloatStatus *s)
{
    Unpacked x = fp_unpack(a, f);
    Unpacked y = fp_unpack(b, f);
    int32_t exp;

    if (FP_UNLIKELY((x.kind | y.kind) != FK_FINITE)) {
        return div_special(x, y, f, s);
    }
    exp = x.exp - y.exp + fmt_bias(f) - (x.sig < y.sig);
    return fp_round_pack(x.sign != y.sign, exp, quotient_sig(x.sig, y.sig, f), f, s);
}

uint32_t f32_div(uint32_t a, uint32_t b, FloatStatus *s)
{
    return (uint32_t)fp_div(a, b, FMT_F32, s);
}

uint64_t f64_div(uint64_t a, uint64_t b, FloatStatus *s)
{
    return fp_div(a, b, FMT_F64, s);
}

/* ---- square root ---- */

/*
 * floor(sqrt(n)) for 2^62 <= n < 2^64: a 4-bit table estimate, three Newton steps (6%
 * -> 0.2% -> 2e-6 -> 2e-12 relative error, so at most one or two too many), then a
 * downward fix. Any Newton step lands at or above floor(sqrt(n)), so the fix only goes
 * down.
 */
static inline uint64_t isqrt64_norm(uint64_t n)
{
    /* round(sqrt(i + 0.5) * 64): the estimate for top four bits i of n */
    static const uint8_t estimate[16] = {
        0, 0, 0, 0, 136, 150, 163, 175, 187, 197, 207, 217, 226, 235, 244, 252,
    };
    uint64_t x = (uint64_t)estimate[n >> 60] << 24;

    x = (x + n / x) >> 1;
    x = (x + n / x) >> 1;
    x = (x + n / x) >> 1;
    while ((u128)x * x > n) {
        x--;
    }
    return x;
}

/*
 * floor(sqrt(top * 2^64)) and whether it is exact, for 2^62 <= top < 2^64 - 1: one step
 * of Zimmermann's Karatsuba square root on top of the 32-bit root of top, with a single
 * correction. The result lies in [2^63, 2^64) (top = 2^64 - 1 would overflow it; a
 * shifted significand is even).
 */
static inline uint64_t isqrt128_top(uint64_t top, bool *inexact)
{
    uint64_t s1 = isqrt64_norm(top);
    uint64_t r1 = top - s1 * s1; /* at most 2 * s1 */
    uint64_t q = (r1 << 31) / s1;
    uint64_t u = ((r1 << 31) % s1) << 1;
    uint64_t root = (s1 << 32) + q;
    s128 rem = ((s128)u << 32) - (s128)((u128)q * q);

    if (rem < 0) {
        rem += 2 * (s128)root - 1;
        root--;
    }
    *inexact = rem != 0;
    return root;
}

static uint64_t sqrt_special(uint64_t a, Unpacked x, FloatFmt f, FloatStatus *s)
{
    if (x.kind & FK_NAN) {
        return fp_nan_result(x.kind, f, s);
    }
    if (x.kind == FK_ZERO) {
        return a; /* sqrt(-0) is -0 */
    }
    if (x.sign) {
        return fp_invalid(f, s);
    }
    return a; /* +inf */
}

static inline uint64_t fp_sqrt(uint64_t a, FloatFmt f, FloatStatus *s)
{
    Unpacked x = fp_unpack(a, f);
    int32_t e;
    int odd;
    uint64_t sig;
    bool inexact;

    if (FP_UNLIKELY(x.kind != FK_FINITE || x.sign)) {
        return sqrt_special(a, x, f, s);
    }
    /* sqrt(m * 2^e) = sqrt(m * 2^odd) * 2^((e - odd) / 2), with e - odd even */
    e = x.exp - fmt_bias(f);
    odd = e & 1;
    if (f == FMT_F32) {
        uint64_t n = x.sig << odd;
        uint64_t root = isqrt64_norm(n);

        sig = (root << 31) | (root * root != n);
    } else {
        uint64_t root = isqrt128_top(x.sig << odd, &inexact);

        sig = (root >> 1) | (root & 1) | inexact;
    }
    return fp_round_pack(false, (e - odd) / 2 + fmt_bias(f), sig, f, s);
}

uint32_t f32_sqrt(uint32_t a, FloatStatus *s)
{
    return (uint32_t)fp_sqrt(a, FMT_F32, s);
}

uint64_t f64_sqrt(uint64_t a, FloatStatus *s)
{
    return fp_sqrt(a, FMT_F64, s);
}
