/*
 * test-softfloat.c - tests of tcg/fpu, the RISC-V F/D softfloat library.
 *
 * Three kinds of tests:
 *  - hand-written vectors for the edge cases (zeros, infinities, NaNs, subnormals,
 *    overflow and underflow in every rounding mode, conversion boundaries, fmin/fmax,
 *    comparisons, fclass), including the cases where RISC-V differs from x86;
 *  - a differential test against the host's SSE arithmetic in the four rounding modes
 *    the host has (RNE, RTZ, RDN, RUP), on a fixed-seed stream of random operands biased
 *    towards the interesting places (exponent edges, subnormals, cancellation, ties);
 *  - RMM, which the host lacks, derived from the verified modes: RMM must equal RNE
 *    unless the exact result is a tie, which is detected with exact x87 long double
 *    arithmetic, and then it must round away from zero.
 *
 * The host operations run between volatile loads and stores, so that the compiler can
 * neither fold them nor move them across fesetround()/fetestexcept(); building with
 * -frounding-math is still recommended. x86 detects tininess before rounding and RISC-V
 * after: the only results where that changes UF (results of magnitude exactly the
 * smallest normal, inexact) are excluded from the UF comparison and covered by vectors.
 */
#include <fenv.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "tcg/fpu/softfloat.h"

#if defined(__clang__)
#pragma STDC FENV_ACCESS ON
#endif

#define N_RANDOM    200000 /* random cases per operation, spread over the host rounding modes */
#define N_RMM       100000 /* random cases per operation for the RMM check */
#define MAX_REPORTS 12     /* mismatches printed per test before only counting */
#define SEED        0x5eed5eedu

/* ------------------------------------------------------------------------------------ */
/* Formats, operations, bit casts                                                       */
/* ------------------------------------------------------------------------------------ */

typedef struct TestFmt {
    const char *name;
    bool is64;
    int frac_bits;    /* stored fraction bits */
    uint64_t exp_max; /* the all-ones exponent field */
    int bias;
} TestFmt;

static const TestFmt fmt32 = {"f32", false, 23, 0xff, 127};
static const TestFmt fmt64 = {"f64", true, 52, 0x7ff, 1023};

typedef enum Op {
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_SQRT,
    OP_FMADD,
    OP_FMSUB,
    OP_FNMSUB,
    OP_FNMADD,
    OP_MIN,
    OP_MAX,
    OP_EQ,
    OP_LT,
    OP_LE,
    OP_CLASS,
} Op;

static const char *const op_names[] = {
    "add",    "sub", "mul", "div", "sqrt", "fmadd", "fmsub", "fnmsub",
    "fnmadd", "min", "max", "eq",  "lt",   "le",    "class",
};

static const char *const rm_names[] = {"RNE", "RTZ", "RDN", "RUP", "RMM"};

static const int host_rm[] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};

static bool op_is_fma(Op op)
{
    return op >= OP_FMADD && op <= OP_FNMADD;
}

static double d_of(uint64_t x)
{
    double d;

    memcpy(&d, &x, sizeof(d));
    return d;
}

static uint64_t bits_of_d(double d)
{
    uint64_t x;

    memcpy(&x, &d, sizeof(x));
    return x;
}

static float f_of(uint64_t x)
{
    uint32_t v = (uint32_t)x;
    float f;

    memcpy(&f, &v, sizeof(f));
    return f;
}

static uint64_t bits_of_f(float f)
{
    uint32_t v;

    memcpy(&v, &f, sizeof(v));
    return v;
}

static uint64_t sign_mask(const TestFmt *f)
{
    return f->is64 ? UINT64_C(1) << 63 : UINT64_C(1) << 31;
}

static uint64_t frac_mask(const TestFmt *f)
{
    return (UINT64_C(1) << f->frac_bits) - 1;
}

static uint64_t exp_field(const TestFmt *f, uint64_t x)
{
    return (x >> f->frac_bits) & f->exp_max;
}

static uint64_t pack(const TestFmt *f, bool sign, uint64_t exp, uint64_t frac)
{
    return (sign ? sign_mask(f) : 0) | (exp << f->frac_bits) | (frac & frac_mask(f));
}

static uint64_t default_nan(const TestFmt *f)
{
    return f->is64 ? F64_DEFAULT_NAN : F32_DEFAULT_NAN;
}

static bool is_nan_bits(const TestFmt *f, uint64_t x)
{
    return exp_field(f, x) == f->exp_max && (x & frac_mask(f));
}

/* Runs one operation of the library; comparisons and fclass return their integer. */
static uint64_t sf_op32(Op op, uint32_t a, uint32_t b, uint32_t c, FloatStatus *s)
{
    switch (op) {
    case OP_ADD:
        return f32_add(a, b, s);
    case OP_SUB:
        return f32_sub(a, b, s);
    case OP_MUL:
        return f32_mul(a, b, s);
    case OP_DIV:
        return f32_div(a, b, s);
    case OP_SQRT:
        return f32_sqrt(a, s);
    case OP_FMADD:
        return f32_fmadd(a, b, c, s);
    case OP_FMSUB:
        return f32_fmsub(a, b, c, s);
    case OP_FNMSUB:
        return f32_fnmsub(a, b, c, s);
    case OP_FNMADD:
        return f32_fnmadd(a, b, c, s);
    case OP_MIN:
        return f32_min(a, b, s);
    case OP_MAX:
        return f32_max(a, b, s);
    case OP_EQ:
        return f32_eq(a, b, s);
    case OP_LT:
        return f32_lt(a, b, s);
    case OP_LE:
        return f32_le(a, b, s);
    case OP_CLASS:
        return f32_classify(a);
    }
    g_assert_not_reached();
}

static uint64_t sf_op64(Op op, uint64_t a, uint64_t b, uint64_t c, FloatStatus *s)
{
    switch (op) {
    case OP_ADD:
        return f64_add(a, b, s);
    case OP_SUB:
        return f64_sub(a, b, s);
    case OP_MUL:
        return f64_mul(a, b, s);
    case OP_DIV:
        return f64_div(a, b, s);
    case OP_SQRT:
        return f64_sqrt(a, s);
    case OP_FMADD:
        return f64_fmadd(a, b, c, s);
    case OP_FMSUB:
        return f64_fmsub(a, b, c, s);
    case OP_FNMSUB:
        return f64_fnmsub(a, b, c, s);
    case OP_FNMADD:
        return f64_fnmadd(a, b, c, s);
    case OP_MIN:
        return f64_min(a, b, s);
    case OP_MAX:
        return f64_max(a, b, s);
    case OP_EQ:
        return f64_eq(a, b, s);
    case OP_LT:
        return f64_lt(a, b, s);
    case OP_LE:
        return f64_le(a, b, s);
    case OP_CLASS:
        return f64_classify(a);
    }
    g_assert_not_reached();
}

static uint64_t sf_op(const TestFmt *f, Op op, uint64_t a, uint64_t b, uint64_t c, uint8_t rm,
                      uint8_t *flags)
{
    FloatStatus s = {.rm = rm, .flags = 0};
    uint64_t r;

    if (f->is64) {
        r = sf_op64(op, a, b, c, &s);
    } else {
        r = sf_op32(op, (uint32_t)a, (uint32_t)b, (uint32_t)c, &s);
    }
    *flags = s.flags;
    return r;
}

/* ------------------------------------------------------------------------------------ */
/* Mismatch reporting                                                                   */
/* ------------------------------------------------------------------------------------ */

typedef struct Report {
    const char *test; /* name of the check, for the messages */
    unsigned checked; /* cases compared */
    unsigned failed;  /* cases that did not match */
} Report;

static void report_fail(Report *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void report_fail(Report *r, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    r->failed++;
    if (r->failed > MAX_REPORTS) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_test_message("%s: %s", r->test, msg);
}

static void report_finish(Report *r)
{
    g_test_message("%s: %u cases checked, %u mismatches", r->test, r->checked, r->failed);
    g_assert_cmpuint(r->checked, >, 0);
    g_assert_cmpuint(r->failed, ==, 0);
}

static void check_result(Report *r, const TestFmt *f, Op op, uint8_t rm, const uint64_t in[3],
                         uint64_t got, uint8_t got_flags, uint64_t want, uint8_t want_flags)
{
    r->checked++;
    if (got == want && got_flags == want_flags) {
        return;
    }
    report_fail(r,
                "%s %s %s a=%#" G_GINT64_MODIFIER "x b=%#" G_GINT64_MODIFIER
                "x c=%#" G_GINT64_MODIFIER "x: got %#" G_GINT64_MODIFIER
                "x flags %#x, want %#" G_GINT64_MODIFIER "x flags %#x",
                f->name, op_names[op], rm < 5 ? rm_names[rm] : "?", in[0], in[1], in[2], got,
                got_flags, want, want_flags);
}

/* ------------------------------------------------------------------------------------ */
/* Hand-written vectors: arithmetic, fmin/fmax, comparisons, fclass                     */
/* ------------------------------------------------------------------------------------ */

/* Sets of rounding modes a vector applies to. */
#define M_RNE     0x01
#define M_RTZ     0x02
#define M_RDN     0x04
#define M_RUP     0x08
#define M_RMM     0x10
#define M_ALL     0x1f
#define M_NEAR    (M_RNE | M_RMM)
#define M_NOT_RDN (M_ALL & ~M_RDN)

#define NX FLOAT_NX
#define UF FLOAT_UF
#define OF FLOAT_OF
#define DZ FLOAT_DZ
#define NV FLOAT_NV

typedef struct ArithVec {
    Op op;
    uint8_t rms; /* the rounding modes (M_*) this expectation holds for */
    uint64_t a, b, c;
    uint64_t result; /* bits, or the integer result of eq/lt/le/fclass */
    uint8_t flags;
} ArithVec;

#define D_ZERO  0x0000000000000000ull
#define D_NZERO 0x8000000000000000ull
#define D_ONE   0x3ff0000000000000ull
#define D_NONE  0xbff0000000000000ull
#define D_TWO   0x4000000000000000ull
#define D_NTWO  0xc000000000000000ull
#define D_THREE 0x4008000000000000ull
#define D_HALF  0x3fe0000000000000ull
#define D_INF   0x7ff0000000000000ull
#define D_NINF  0xfff0000000000000ull
#define D_QNAN  0x7ff8000000000000ull
#define D_SNAN  0x7ff4000000000000ull
#define D_MAX   0x7fefffffffffffffull
#define D_NMAX  0xffefffffffffffffull
#define D_MINN  0x0010000000000000ull
#define D_MINS  0x0000000000000001ull
#define D_NMINS 0x8000000000000001ull
#define D_MAXS  0x000fffffffffffffull

static const ArithVec vectors64[] = {
#include "softfloat-vectors/arith-f64.inc"
};

#define S_ZERO  0x00000000ull
#define S_NZERO 0x80000000ull
#define S_ONE   0x3f800000ull
#define S_NONE  0xbf800000ull
#define S_TWO   0x40000000ull
#define S_THREE 0x40400000ull
#define S_HALF  0x3f000000ull
#define S_INF   0x7f800000ull
#define S_NINF  0xff800000ull
#define S_QNAN  0x7fc00000ull
#define S_SNAN  0x7fa00000ull
#define S_MAX   0x7f7fffffull
#define S_NMAX  0xff7fffffull
#define S_MINN  0x00800000ull
#define S_MINS  0x00000001ull
#define S_NMINS 0x80000001ull
#define S_MAXS  0x007fffffull

static const ArithVec vectors32[] = {
#include "softfloat-vectors/arith-f32.inc"
};

static void run_arith_vectors(const TestFmt *f, const ArithVec *v, size_t n, Report *r)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t in[3] = {v[i].a, v[i].b, v[i].c};

        for (uint8_t rm = 0; rm < 5; rm++) {
            uint8_t flags;
            uint64_t got;

            if (!(v[i].rms & (1u << rm))) {
                continue;
            }
            got = sf_op(f, v[i].op, v[i].a, v[i].b, v[i].c, rm, &flags);
            check_result(r, f, v[i].op, rm, in, got, flags, v[i].result, v[i].flags);
        }
    }
}

static void test_vectors_f64(void)
{
    Report r = {.test = "f64 vectors"};

    run_arith_vectors(&fmt64, vectors64, G_N_ELEMENTS(vectors64), &r);
    report_finish(&r);
}

static void test_vectors_f32(void)
{
    Report r = {.test = "f32 vectors"};

    run_arith_vectors(&fmt32, vectors32, G_N_ELEMENTS(vectors32), &r);
    report_finish(&r);
}

/* ------------------------------------------------------------------------------------ */
/* Hand-written vectors: conversions                                                    */
/* ------------------------------------------------------------------------------------ */

typedef enum Kind {
    K_F32,
    K_F64,
    K_I32,
    K_U32,
    K_I64,
    K_U64,
} Kind;

typedef struct CvtOp {
    const char *name;
    Kind from, to;
    uint64_t (*fn)(uint64_t a, FloatStatus *s); /* integers travel as their bit pattern */
} CvtOp;

#define CVT_FN(name, expr)                                                                         \
    static uint64_t cvt_##name(uint64_t a, FloatStatus *s)                                         \
    {                                                                                              \
        return (expr);                                                                             \
    }

CVT_FN(f32_f64, f32_to_f64((uint32_t)a, s))
CVT_FN(f64_f32, f64_to_f32(a, s))
CVT_FN(f32_i32, (uint32_t)f32_to_i32((uint32_t)a, s))
CVT_FN(f32_u32, f32_to_u32((uint32_t)a, s))
CVT_FN(f32_i64, (uint64_t)f32_to_i64((uint32_t)a, s))
CVT_FN(f32_u64, f32_to_u64((uint32_t)a, s))
CVT_FN(f64_i32, (uint32_t)f64_to_i32(a, s))
CVT_FN(f64_u32, f64_to_u32(a, s))
CVT_FN(f64_i64, (uint64_t)f64_to_i64(a, s))
CVT_FN(f64_u64, f64_to_u64(a, s))
CVT_FN(i32_f32, i32_to_f32((int32_t)(uint32_t)a, s))
CVT_FN(u32_f32, u32_to_f32((uint32_t)a, s))
CVT_FN(i64_f32, i64_to_f32((int64_t)a, s))
CVT_FN(u64_f32, u64_to_f32(a, s))
CVT_FN(i32_f64, i32_to_f64((int32_t)(uint32_t)a, s))
CVT_FN(u32_f64, u32_to_f64((uint32_t)a, s))
CVT_FN(i64_f64, i64_to_f64((int64_t)a, s))
CVT_FN(u64_f64, u64_to_f64(a, s))

enum {
    CVT_F32_F64,
    CVT_F64_F32,
    CVT_F32_I32,
    CVT_F32_U32,
    CVT_F32_I64,
    CVT_F32_U64,
    CVT_F64_I32,
    CVT_F64_U32,
    CVT_F64_I64,
    CVT_F64_U64,
    CVT_I32_F32,
    CVT_U32_F32,
    CVT_I64_F32,
    CVT_U64_F32,
    CVT_I32_F64,
    CVT_U32_F64,
    CVT_I64_F64,
    CVT_U64_F64,
    CVT_COUNT,
};

static const CvtOp cvt_ops[CVT_COUNT] = {
    [CVT_F32_F64] = {"f32_to_f64", K_F32, K_F64, cvt_f32_f64},
    [CVT_F64_F32] = {"f64_to_f32", K_F64, K_F32, cvt_f64_f32},
    [CVT_F32_I32] = {"f32_to_i32", K_F32, K_I32, cvt_f32_i32},
    [CVT_F32_U32] = {"f32_to_u32", K_F32, K_U32, cvt_f32_u32},
    [CVT_F32_I64] = {"f32_to_i64", K_F32, K_I64, cvt_f32_i64},
    [CVT_F32_U64] = {"f32_to_u64", K_F32, K_U64, cvt_f32_u64},
    [CVT_F64_I32] = {"f64_to_i32", K_F64, K_I32, cvt_f64_i32},
    [CVT_F64_U32] = {"f64_to_u32", K_F64, K_U32, cvt_f64_u32},
    [CVT_F64_I64] = {"f64_to_i64", K_F64, K_I64, cvt_f64_i64},
    [CVT_F64_U64] = {"f64_to_u64", K_F64, K_U64, cvt_f64_u64},
    [CVT_I32_F32] = {"i32_to_f32", K_I32, K_F32, cvt_i32_f32},
    [CVT_U32_F32] = {"u32_to_f32", K_U32, K_F32, cvt_u32_f32},
    [CVT_I64_F32] = {"i64_to_f32", K_I64, K_F32, cvt_i64_f32},
    [CVT_U64_F32] = {"u64_to_f32", K_U64, K_F32, cvt_u64_f32},
    [CVT_I32_F64] = {"i32_to_f64", K_I32, K_F64, cvt_i32_f64},
    [CVT_U32_F64] = {"u32_to_f64", K_U32, K_F64, cvt_u32_f64},
    [CVT_I64_F64] = {"i64_to_f64", K_I64, K_F64, cvt_i64_f64},
    [CVT_U64_F64] = {"u64_to_f64", K_U64, K_F64, cvt_u64_f64},
};

typedef struct CvtVec {
    int op;      /* CVT_* */
    uint8_t rms; /* the rounding modes (M_*) this expectation holds for */
    uint64_t in;
    uint64_t out; /* 32-bit results as their 32-bit pattern */
    uint8_t flags;
} CvtVec;

#define D_M_HALF     0xbfe0000000000000ull /* -0.5 */
#define D_P_HALF     0x3fe0000000000000ull /* 0.5 */
#define D_1_5        0x3ff8000000000000ull /* 1.5 */
#define D_M_1_5      0xbff8000000000000ull /* -1.5 */
#define D_2_5        0x4004000000000000ull /* 2.5 */
#define D_2P31       0x41e0000000000000ull /* 2^31 */
#define D_2P31_M1    0x41dfffffffc00000ull /* 2^31 - 1 */
#define D_2P31_MH    0x41dfffffffe00000ull /* 2^31 - 0.5 */
#define D_M2P31      0xc1e0000000000000ull /* -2^31 */
#define D_M2P31_MH   0xc1e0000000100000ull /* -2^31 - 0.5 */
#define D_M2P31_M1   0xc1e0000000200000ull /* -2^31 - 1 */
#define D_2P32       0x41f0000000000000ull /* 2^32 */
#define D_2P32_M1    0x41efffffffe00000ull /* 2^32 - 1 */
#define D_2P32_MH    0x41effffffff00000ull /* 2^32 - 0.5 */
#define D_2P63       0x43e0000000000000ull /* 2^63 */
#define D_M2P63      0xc3e0000000000000ull /* -2^63 */
#define D_2P64       0x43f0000000000000ull /* 2^64 */
#define I64_MAX_BITS 0x7fffffffffffffffull
#define I64_MIN_BITS 0x8000000000000000ull
#define U64_MAX_BITS 0xffffffffffffffffull

static const CvtVec cvt_vectors[] = {
#include "softfloat-vectors/convert.inc"
};

static void check_cvt(Report *r, int op, uint8_t rm, uint64_t in, uint64_t got, uint8_t got_flags,
                      uint64_t want, uint8_t want_flags)
{
    r->checked++;
    if (got == want && got_flags == want_flags) {
        return;
    }
    report_fail(r,
                "%s %s in=%#" G_GINT64_MODIFIER "x: got %#" G_GINT64_MODIFIER
                "x flags %#x, want %#" G_GINT64_MODIFIER "x flags %#x",
                cvt_ops[op].name, rm < 5 ? rm_names[rm] : "?", in, got, got_flags, want,
                want_flags);
}

static uint64_t sf_cvt(int op, uint64_t in, uint8_t rm, uint8_t *flags)
{
    FloatStatus s = {.rm = rm, .flags = 0};
    uint64_t r = cvt_ops[op].fn(in, &s);

    *flags = s.flags;
    return r;
}

static void test_vectors_convert(void)
{
    Report r = {.test = "conversion vectors"};

    for (size_t i = 0; i < G_N_ELEMENTS(cvt_vectors); i++) {
        const CvtVec *v = &cvt_vectors[i];

        for (uint8_t rm = 0; rm < 5; rm++) {
            uint8_t flags;
            uint64_t got;

            if (!(v->rms & (1u << rm))) {
                continue;
            }
            got = sf_cvt(v->op, v->in, rm, &flags);
            check_cvt(&r, v->op, rm, v->in, got, flags, v->out, v->flags);
        }
    }
    report_finish(&r);
}

/* Rounding modes outside 0..4 must not crash; the library treats them as RNE. */
static void test_invalid_rm(void)
{
    for (uint8_t rm = 5; rm < 8; rm++) {
        FloatStatus s = {.rm = rm, .flags = 0};

        g_assert_cmphex(f64_add(D_ONE, 0x3ca0000000000000ull, &s), ==, D_ONE);
        g_assert_cmphex(f32_to_i32(0x40200000, &s), ==, 2);
        g_assert_cmphex(s.flags, ==, NX);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Random operands, biased towards the places where rounding goes wrong                 */
/* ------------------------------------------------------------------------------------ */

static uint64_t rand_u64(GRand *r)
{
    uint64_t hi = g_rand_int(r);
    uint64_t lo = g_rand_int(r);

    return (hi << 32) | lo;
}

static int rand_range(GRand *r, int lo, int hi_inclusive)
{
    return g_rand_int_range(r, lo, hi_inclusive + 1);
}

/* A fraction field: random, or a pattern that makes results exact, ties or near-ties. */
static uint64_t rand_frac(GRand *r, const TestFmt *f)
{
    uint64_t mask = frac_mask(f);
    uint64_t x = rand_u64(r) & mask;
    int k = rand_range(r, 0, f->frac_bits);

    switch (rand_range(r, 0, 9)) {
    case 0:
        return mask;
    case 1:
        return 0;
    case 2:
        return x & ~(mask >> k); /* only the top k bits: short significands */
    case 3:
        return x | (mask >> k); /* a run of trailing ones */
    case 4:
        return (UINT64_C(1) << k) & mask;
    case 5:
        return mask ^ ((UINT64_C(1) << k) & mask);
    default:
        return x;
    }
}

/* A finite exponent field, often at the edges of the range or near 1.0. */
static uint64_t rand_exp(GRand *r, const TestFmt *f)
{
    int top = (int)f->exp_max - 1;

    switch (rand_range(r, 0, 9)) {
    case 0:
        return 0;
    case 1:
        return (uint64_t)rand_range(r, 1, 3);
    case 2:
        return (uint64_t)(top - rand_range(r, 0, 2));
    case 3:
    case 4:
    case 5:
        return (uint64_t)(f->bias + rand_range(r, -20, 20));
    default:
        return (uint64_t)rand_range(r, 1, top);
    }
}

static uint64_t rand_special(GRand *r, const TestFmt *f)
{
    const uint64_t specials64[] = {D_ZERO,
                                   D_ONE,
                                   D_INF,
                                   D_QNAN,
                                   D_SNAN,
                                   D_MAX,
                                   D_MINN,
                                   D_MINS,
                                   D_MAXS,
                                   0x7ff0000000000001ull,
                                   0x7fffffffffffffffull};
    const uint64_t specials32[] = {S_ZERO, S_ONE,  S_INF,  S_QNAN,        S_SNAN,       S_MAX,
                                   S_MINN, S_MINS, S_MAXS, 0x7f800001ull, 0x7fffffffull};
    int i = rand_range(r, 0, G_N_ELEMENTS(specials64) - 1);
    uint64_t x = f->is64 ? specials64[i] : specials32[i];

    return g_rand_boolean(r) ? x ^ sign_mask(f) : x;
}

static uint64_t rand_value(GRand *r, const TestFmt *f)
{
    if (rand_range(r, 0, 30) == 0) {
        return rand_special(r, f);
    }
    return pack(f, g_rand_boolean(r), rand_exp(r, f), rand_frac(r, f));
}

/* x with its exponent field replaced by e, clamped to the finite range. */
static uint64_t with_exp(const TestFmt *f, uint64_t x, int64_t e)
{
    int64_t top = (int64_t)f->exp_max - 1;

    e = e < 0 ? 0 : e > top ? top : e;
    return (x & ~(f->exp_max << f->frac_bits)) | ((uint64_t)e << f->frac_bits);
}

static int64_t exp_of(const TestFmt *f, uint64_t x)
{
    return (int64_t)exp_field(f, x);
}

/* Exponents that put the result of a * b (or a / b) near overflow or deep underflow. */
static int64_t rand_edge_target(GRand *r, const TestFmt *f)
{
    switch (rand_range(r, 0, 2)) {
    case 0:
        return rand_range(r, -3, 3);
    case 1:
        return rand_range(r, -f->frac_bits - 3, 0);
    default:
        return (int64_t)f->exp_max - 1 + rand_range(r, -2, 2);
    }
}

static void relate_exponents(GRand *r, const TestFmt *f, Op op, uint64_t in[3])
{
    int64_t ea = exp_of(f, in[0]);

    if (op == OP_ADD || op == OP_SUB) {
        in[1] = with_exp(f, in[1], ea + rand_range(r, -2, 2));
    } else if (op == OP_MUL || op_is_fma(op)) {
        in[1] = with_exp(f, in[1], rand_edge_target(r, f) - ea + f->bias);
    } else if (op == OP_DIV) {
        in[1] = with_exp(f, in[1], ea - rand_edge_target(r, f) + f->bias);
    }
    if (op_is_fma(op)) {
        int64_t ep = ea + exp_of(f, in[1]) - f->bias;

        in[2] = with_exp(f, in[2], ep + rand_range(r, -3, 3));
    }
}

/* Operands whose exact result is on or next to a rounding boundary. */
static void near_ties(GRand *r, const TestFmt *f, Op op, uint64_t in[3])
{
    int64_t ea = exp_of(f, in[0]);
    uint64_t short_frac = rand_u64(r) & frac_mask(f) & ~(frac_mask(f) >> rand_range(r, 0, 8));

    if (op == OP_ADD || op == OP_SUB) {
        /* b around half an ulp of a */
        in[1] = with_exp(f, pack(f, g_rand_boolean(r), 0, short_frac),
                         ea - f->frac_bits - 1 + rand_range(r, -1, 1));
        return;
    }
    /* short significands make exact products, and ties one bit further */
    in[0] = pack(f, g_rand_boolean(r), (uint64_t)ea, rand_u64(r) | 1);
    in[1] = with_exp(f, pack(f, g_rand_boolean(r), 0, short_frac), exp_of(f, in[1]));
    if (op_is_fma(op)) {
        int64_t ep = ea + exp_of(f, in[1]) - f->bias;

        in[2] = with_exp(f, in[2] & ~frac_mask(f), ep - f->frac_bits - 1 + rand_range(r, -2, 2));
    }
}

/* b next to a (x - y cancellation, x / y near 1), or c next to -(a * b) for fma. */
static void near_each_other(GRand *r, const TestFmt *f, Op op, uint64_t in[3])
{
    int64_t delta = rand_range(r, -3, 3);
    uint64_t mag_mask = ~sign_mask(f) & (f->is64 ? UINT64_MAX : UINT32_MAX);

    if (op_is_fma(op)) {
        FloatStatus s = {.rm = FLOAT_RTZ, .flags = 0};
        uint64_t p =
            f->is64 ? f64_mul(in[0], in[1], &s) : f32_mul((uint32_t)in[0], (uint32_t)in[1], &s);

        in[2] = ((p & mag_mask) + (uint64_t)delta) & mag_mask;
        in[2] |= (p & sign_mask(f)) ^ sign_mask(f);
        return;
    }
    in[1] = (((in[0] & mag_mask) + (uint64_t)delta) & mag_mask) | (in[1] & sign_mask(f));
}

static void rand_operands(GRand *r, const TestFmt *f, Op op, uint64_t in[3])
{
    in[0] = rand_value(r, f);
    in[1] = rand_value(r, f);
    in[2] = rand_value(r, f);
    switch (rand_range(r, 0, 9)) {
    case 0:
    case 1:
        relate_exponents(r, f, op, in);
        break;
    case 2:
    case 3:
        near_ties(r, f, op, in);
        break;
    case 4:
        near_each_other(r, f, op, in);
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Differential test against the host FPU                                               */
/* ------------------------------------------------------------------------------------ */

static uint8_t host_flags(void)
{
    int e = fetestexcept(FE_ALL_EXCEPT);

    return (e & FE_INEXACT ? NX : 0) | (e & FE_UNDERFLOW ? UF : 0) | (e & FE_OVERFLOW ? OF : 0) |
           (e & FE_DIVBYZERO ? DZ : 0) | (e & FE_INVALID ? NV : 0);
}

/* The operands of an fma form as fmadd's: the negations are sign flips, not host operations. */
static void fmadd_operands(const TestFmt *f, Op op, const uint64_t in[3], uint64_t out[3])
{
    out[0] = in[0] ^ (op == OP_FNMSUB || op == OP_FNMADD ? sign_mask(f) : 0);
    out[1] = in[1];
    out[2] = in[2] ^ (op == OP_FMSUB || op == OP_FNMADD ? sign_mask(f) : 0);
}

static uint64_t host_op64(Op op, const uint64_t in[3])
{
    uint64_t x[3];

    fmadd_operands(&fmt64, op, in, x);

    volatile double a = d_of(x[0]), b = d_of(x[1]), c = d_of(x[2]);
    volatile double r;

    switch (op) {
    case OP_ADD:
        r = a + b;
        break;
    case OP_SUB:
        r = a - b;
        break;
    case OP_MUL:
        r = a * b;
        break;
    case OP_DIV:
        r = a / b;
        break;
    case OP_SQRT:
        r = sqrt(a);
        break;
    default:
        r = fma(a, b, c);
        break;
    }
    return bits_of_d(r);
}

static uint64_t host_op32(Op op, const uint64_t in[3])
{
    uint64_t x[3];

    fmadd_operands(&fmt32, op, in, x);

    volatile float a = f_of(x[0]), b = f_of(x[1]), c = f_of(x[2]);
    volatile float r;

    switch (op) {
    case OP_ADD:
        r = a + b;
        break;
    case OP_SUB:
        r = a - b;
        break;
    case OP_MUL:
        r = a * b;
        break;
    case OP_DIV:
        r = a / b;
        break;
    case OP_SQRT:
        r = sqrtf(a);
        break;
    default:
        r = fmaf(a, b, c);
        break;
    }
    return bits_of_f(r);
}

static uint64_t host_op(const TestFmt *f, Op op, const uint64_t in[3], uint8_t *flags)
{
    uint64_t res;

    feclearexcept(FE_ALL_EXCEPT);
    res = f->is64 ? host_op64(op, in) : host_op32(op, in);
    *flags = host_flags();
    return res;
}

/*
 * x86 detects tininess before rounding, RISC-V after: they disagree on UF exactly when an
 * inexact result rounds to the smallest normal magnitude.
 */
static bool tininess_may_differ(const TestFmt *f, uint64_t result, uint8_t flags)
{
    return (result & ~sign_mask(f)) == (UINT64_C(1) << f->frac_bits) && (flags & NX);
}

/* inf * 0 in an fma: RISC-V raises NV even when the addend is a quiet NaN, x86 does not. */
static bool fma_inf_times_zero(const TestFmt *f, const uint64_t in[3])
{
    uint64_t a = in[0] & ~sign_mask(f), b = in[1] & ~sign_mask(f);
    uint64_t inf = f->exp_max << f->frac_bits;

    return (a == inf && b == 0) || (a == 0 && b == inf);
}

typedef struct HostDiffCase {
    const TestFmt *fmt;
    Op op; /* OP_FMADD stands for all four fma forms */
} HostDiffCase;

static void compare_with_host(Report *rep, const TestFmt *f, Op op, uint8_t rm,
                              const uint64_t in[3], unsigned *tininess)
{
    uint8_t want_flags, got_flags;
    uint64_t want = host_op(f, op, in, &want_flags);
    uint64_t got = sf_op(f, op, in[0], in[1], in[2], rm, &got_flags);

    if (is_nan_bits(f, want)) {
        want = default_nan(f); /* no payloads: any NaN result must be the canonical one */
    }
    if (op_is_fma(op) && fma_inf_times_zero(f, in)) {
        want_flags |= NV;
    }
    if (tininess_may_differ(f, got, got_flags)) {
        want_flags &= ~UF;
        got_flags &= ~UF;
        (*tininess)++;
    }
    check_result(rep, f, op, rm, in, got, got_flags, want, want_flags);
}

static void test_host_arith(gconstpointer data)
{
    const HostDiffCase *c = data;
    g_autoptr(GRand) r = g_rand_new_with_seed(SEED + c->op);
    g_autofree char *name = g_strdup_printf("%s %s vs host", c->fmt->name, op_names[c->op]);
    Report rep = {.test = name};
    unsigned tininess = 0;

    for (uint8_t rm = 0; rm < 4; rm++) {
        fesetround(host_rm[rm]);
        for (int i = 0; i < N_RANDOM / 4; i++) {
            Op op = op_is_fma(c->op) ? (Op)(OP_FMADD + rand_range(r, 0, 3)) : c->op;
            uint64_t in[3];

            rand_operands(r, c->fmt, op, in);
            compare_with_host(&rep, c->fmt, op, rm, in, &tininess);
        }
    }
    fesetround(FE_TONEAREST);
    g_test_message("%s: UF not compared for %u results rounded to the smallest normal", name,
                   tininess);
    report_finish(&rep);
}

/* ------------------------------------------------------------------------------------ */
/* Comparisons and fmin/fmax against the host                                           */
/* ------------------------------------------------------------------------------------ */

static bool is_snan_bits(const TestFmt *f, uint64_t x)
{
    return is_nan_bits(f, x) && !(x & (UINT64_C(1) << (f->frac_bits - 1)));
}

/* ucomis[sd] for ==, comis[sd] for < and <= raise exactly feq's, flt's and fle's flags. */
static int host_compare64(Op op, const uint64_t in[3])
{
    volatile double a = d_of(in[0]), b = d_of(in[1]);

    return op == OP_EQ ? a == b : op == OP_LT ? a < b : a <= b;
}

/* In binary32 itself: widening would quieten a signaling NaN before the comparison. */
static int host_compare32(Op op, const uint64_t in[3])
{
    volatile float a = f_of(in[0]), b = f_of(in[1]);

    return op == OP_EQ ? a == b : op == OP_LT ? a < b : a <= b;
}

static uint64_t host_compare(const TestFmt *f, Op op, const uint64_t in[3], uint8_t *flags)
{
    int r;

    feclearexcept(FE_ALL_EXCEPT);
    r = f->is64 ? host_compare64(op, in) : host_compare32(op, in);
    *flags = host_flags();
    return (uint64_t)r;
}

/* minimumNumber/maximumNumber, written with host comparisons and sign tests. */
static uint64_t model_minmax(const TestFmt *f, bool max, const uint64_t in[3], uint8_t *flags)
{
    double a = f->is64 ? d_of(in[0]) : (double)f_of(in[0]);
    double b = f->is64 ? d_of(in[1]) : (double)f_of(in[1]);
    bool pick_a;

    *flags = is_snan_bits(f, in[0]) || is_snan_bits(f, in[1]) ? NV : 0;
    if (isnan(a) && isnan(b)) {
        return default_nan(f);
    }
    if (isnan(a) || isnan(b)) {
        return isnan(a) ? in[1] : in[0];
    }
    if (a == b) {
        pick_a = max ? !signbit(a) : signbit(a) != 0;
    } else {
        pick_a = max ? a > b : a < b;
    }
    return pick_a ? in[0] : in[1];
}

static void test_host_compare(gconstpointer data)
{
    const TestFmt *f = data;
    g_autoptr(GRand) r = g_rand_new_with_seed(SEED + 100);
    g_autofree char *name = g_strdup_printf("%s compare/min/max vs host", f->name);
    Report rep = {.test = name};
    const Op ops[] = {OP_EQ, OP_LT, OP_LE, OP_MIN, OP_MAX};

    for (int i = 0; i < N_RANDOM; i++) {
        Op op = ops[i % G_N_ELEMENTS(ops)];
        uint64_t in[3] = {rand_value(r, f), rand_value(r, f), 0};
        uint8_t want_flags, got_flags;
        uint64_t want, got;

        if (rand_range(r, 0, 3) == 0) {
            near_each_other(r, f, OP_SUB, in);
        }
        if (op == OP_MIN || op == OP_MAX) {
            want = model_minmax(f, op == OP_MAX, in, &want_flags);
        } else {
            want = host_compare(f, op, in, &want_flags);
        }
        got = sf_op(f, op, in[0], in[1], 0, FLOAT_RNE, &got_flags);
        check_result(&rep, f, op, FLOAT_RNE, in, got, got_flags, want, want_flags);
    }
    report_finish(&rep);
}

/* ------------------------------------------------------------------------------------ */
/* Conversions against the host                                                         */
/* ------------------------------------------------------------------------------------ */

static bool kind_is_float(Kind k)
{
    return k == K_F32 || k == K_F64;
}

static int kind_width(Kind k)
{
    return k == K_F32 || k == K_I32 || k == K_U32 ? 32 : 64;
}

static const TestFmt *kind_fmt(Kind k)
{
    return k == K_F32 ? &fmt32 : &fmt64;
}

/* An integer operand: any size, near powers of two, or with p + 1 significant bits. */
static uint64_t rand_int_bits(GRand *r, Kind k)
{
    uint64_t x = rand_u64(r);
    int bits;

    switch (rand_range(r, 0, 5)) {
    case 0:
        x >>= rand_range(r, 0, 63);
        break;
    case 1:
        x = (UINT64_C(1) << rand_range(r, 0, 63)) + (uint64_t)(int64_t)rand_range(r, -3, 3);
        break;
    case 2:
        bits = rand_range(r, 22, 56);
        x = ((x >> (64 - bits)) | (UINT64_C(1) << (bits - 1)) | 1) << rand_range(r, 0, 64 - bits);
        break;
    case 3:
        x = 0 - (x >> rand_range(r, 0, 63));
        break;
    default:
        break;
    }
    if (kind_width(k) == 32) {
        x = (k == K_I32 && rand_range(r, 0, 3) == 0) ? (uint32_t)(int32_t)(int64_t)x : (uint32_t)x;
    }
    return x;
}

/* A float operand for a conversion: biased towards the destination's interesting range. */
static uint64_t rand_cvt_input(GRand *r, const CvtOp *c)
{
    const TestFmt *f = kind_fmt(c->from);
    uint64_t x = rand_value(r, f);

    if (!kind_is_float(c->from)) {
        return rand_int_bits(r, c->from);
    }
    if (c->to == K_F32 && rand_range(r, 0, 2) != 0) {
        /* around binary32's range, with ties and near-ties in the dropped 29 bits */
        x = with_exp(f, x, 1023 - 127 + rand_range(r, -30, 260));
        if (g_rand_boolean(r)) {
            x = (x & ~UINT64_C(0x1fffffff)) | (UINT64_C(1) << 28) | (uint64_t)rand_range(r, 0, 1);
        }
    } else if (!kind_is_float(c->to) && rand_range(r, 0, 2) != 0) {
        x = with_exp(f, x, f->bias + rand_range(r, -3, 66)); /* |x| from 1/8 to 2^66 */
    }
    return x;
}

static uint64_t host_to_f64(Kind from, uint64_t in)
{
    volatile uint64_t v = in;
    volatile double d;

    switch (from) {
    case K_F32:
        d = f_of(v);
        break;
    case K_I32:
        d = (int32_t)(uint32_t)v;
        break;
    case K_U32:
        d = (uint32_t)v;
        break;
    case K_I64:
        d = (int64_t)v;
        break;
    default:
        d = v;
        break;
    }
    return bits_of_d(d);
}

static uint64_t host_to_f32(Kind from, uint64_t in)
{
    volatile uint64_t v = in;
    volatile float fl;

    switch (from) {
    case K_F64:
        fl = (float)d_of(v);
        break;
    case K_I32:
        fl = (int32_t)(uint32_t)v;
        break;
    case K_U32:
        fl = (uint32_t)v;
        break;
    case K_I64:
        fl = (int64_t)v;
        break;
    default:
        fl = v;
        break;
    }
    return bits_of_f(fl);
}

/* RISC-V's saturation of an integer-valued (already rounded) x, in the destination width. */
static uint64_t model_int_result(Kind to, double x, double rounded, uint8_t *flags)
{
    static const double two31 = 2147483648.0, two32 = 4294967296.0;
    static const double two63 = 9223372036854775808.0, two64 = 18446744073709551616.0;
    bool is_signed = to == K_I32 || to == K_I64;
    double lo = is_signed ? (to == K_I32 ? -two31 : -two63) : 0.0;
    double hi_excl = to == K_I32 ? two31 : to == K_U32 ? two32 : to == K_I64 ? two63 : two64;
    uint64_t max = to == K_I32   ? INT32_MAX
                   : to == K_U32 ? UINT32_MAX
                   : to == K_I64 ? INT64_MAX
                                 : UINT64_MAX;
    uint64_t min = to == K_I32 ? (uint32_t)INT32_MIN : to == K_I64 ? (uint64_t)INT64_MIN : 0;

    if (isnan(x) || rounded >= hi_excl) {
        *flags = NV;
        return max;
    }
    if (rounded < lo) {
        *flags = NV;
        return min;
    }
    *flags = rounded != x ? NX : 0;
    if (is_signed) {
        int64_t v = (int64_t)rounded;

        return to == K_I32 ? (uint32_t)(int32_t)v : (uint64_t)v;
    }
    return (uint64_t)rounded;
}

/*
 * libm's rint, called through a pointer: without -frounding-math, GCC expands rint()
 * inline as (|x| + 2^52) - 2^52, which is only right when rounding to nearest.
 */
static double (*volatile host_rint)(double) = rint;

static uint64_t model_to_int(const CvtOp *c, uint64_t in, uint8_t *flags)
{
    double x = c->from == K_F32 ? (double)f_of(in) : d_of(in);

    return model_int_result(c->to, x, host_rint(x), flags);
}

static void compare_cvt_with_host(Report *rep, int op, uint8_t rm, uint64_t in, unsigned *tininess)
{
    const CvtOp *c = &cvt_ops[op];
    uint8_t want_flags = 0, got_flags;
    uint64_t want, got = sf_cvt(op, in, rm, &got_flags);

    if (kind_is_float(c->to)) {
        feclearexcept(FE_ALL_EXCEPT);
        want = c->to == K_F64 ? host_to_f64(c->from, in) : host_to_f32(c->from, in);
        want_flags = host_flags();
        if (is_nan_bits(kind_fmt(c->to), want)) {
            want = default_nan(kind_fmt(c->to));
        }
        if (tininess_may_differ(kind_fmt(c->to), got, got_flags)) {
            want_flags &= ~UF;
            got_flags &= ~UF;
            (*tininess)++;
        }
    } else {
        want = model_to_int(c, in, &want_flags);
    }
    check_cvt(rep, op, rm, in, got, got_flags, want, want_flags);
}

static void test_host_convert(gconstpointer data)
{
    int op = GPOINTER_TO_INT(data);
    g_autoptr(GRand) r = g_rand_new_with_seed(SEED + 200 + op);
    g_autofree char *name = g_strdup_printf("%s vs host", cvt_ops[op].name);
    Report rep = {.test = name};
    unsigned tininess = 0;

    for (uint8_t rm = 0; rm < 4; rm++) {
        fesetround(host_rm[rm]);
        for (int i = 0; i < N_RANDOM / 4; i++) {
            compare_cvt_with_host(&rep, op, rm, rand_cvt_input(r, &cvt_ops[op]), &tininess);
        }
    }
    fesetround(FE_TONEAREST);
    report_finish(&rep);
}

/* ------------------------------------------------------------------------------------ */
/* RMM, derived from the modes verified against the host                                */
/* ------------------------------------------------------------------------------------ */

static long double ld_of(const TestFmt *f, uint64_t x)
{
    return f->is64 ? (long double)d_of(x) : (long double)f_of(x);
}

/* A result as a long double; an infinity stands for 2^(emax + 1), the next power of two. */
static long double ld_bound(const TestFmt *f, uint64_t x)
{
    long double v = ld_of(f, x);

    if (isinf(v)) {
        return copysignl(ldexpl(1.0L, (int)f->exp_max - f->bias), v);
    }
    return v;
}

static uint64_t bits_of_ld(const TestFmt *f, long double v)
{
    return f->is64 ? bits_of_d((double)v) : bits_of_f((float)v);
}

static long double host_ld_op(const TestFmt *f, Op op, const uint64_t in[3])
{
    uint64_t x[3];

    fmadd_operands(f, op, in, x);

    volatile long double a = ld_of(f, x[0]), b = ld_of(f, x[1]), c = ld_of(f, x[2]);
    volatile long double r;

    switch (op) {
    case OP_ADD:
        r = a + b;
        break;
    case OP_SUB:
        r = a - b;
        break;
    case OP_MUL:
        r = a * b;
        break;
    case OP_DIV:
        r = a / b;
        break;
    case OP_SQRT:
        r = sqrtl(a);
        break;
    default:
        r = fmal(a, b, c);
        break;
    }
    return r;
}

/*
 * The exact result of op, if the x87's 64-bit significand holds it. A tie always fits:
 * it has one bit more than the format.
 */
static bool exact_result(const TestFmt *f, Op op, const uint64_t in[3], long double *v)
{
    long double lo, hi;

    fesetround(FE_DOWNWARD);
    lo = host_ld_op(f, op, in);
    fesetround(FE_UPWARD);
    hi = host_ld_op(f, op, in);
    fesetround(FE_TONEAREST);
    *v = lo;
    return lo == hi;
}

/* Is v exactly halfway between lo and hi, the results rounded down and up? */
static bool is_tie(const TestFmt *f, long double v, uint64_t lo, uint64_t hi)
{
    return 2 * v == ld_bound(f, lo) + ld_bound(f, hi);
}

/* RMM equals RNE, flags included, except on ties, where it takes the larger magnitude. */
static void check_rmm(Report *rep, const TestFmt *f, Op op, const uint64_t in[3], unsigned *ties)
{
    uint8_t rne_flags, rmm_flags, dummy;
    uint64_t rne = sf_op(f, op, in[0], in[1], in[2], FLOAT_RNE, &rne_flags);
    uint64_t rmm = sf_op(f, op, in[0], in[1], in[2], FLOAT_RMM, &rmm_flags);
    uint64_t want = rne;
    long double v;

    if ((rne_flags & NX) && exact_result(f, op, in, &v)) {
        uint64_t lo = sf_op(f, op, in[0], in[1], in[2], FLOAT_RDN, &dummy);
        uint64_t hi = sf_op(f, op, in[0], in[1], in[2], FLOAT_RUP, &dummy);

        if (is_tie(f, v, lo, hi)) {
            want = v > 0 ? hi : lo;
            (*ties)++;
        }
    }
    check_result(rep, f, op, FLOAT_RMM, in, rmm, rmm_flags, want, rne_flags);
}

/* (2k + 1) * 2^e in the format: an odd multiple of half an ulp when e is ulp - 1. */
static uint64_t odd_multiple(GRand *r, const TestFmt *f, int e)
{
    long double v = (long double)(2 * rand_range(r, 0, 7) + 1) * ldexpl(1.0L, e);

    return bits_of_ld(f, g_rand_boolean(r) ? -v : v);
}

static int unbiased_exp(const TestFmt *f, uint64_t x)
{
    return (int)exp_of(f, x) - f->bias;
}

/* Operands built so that the exact result is (usually) a tie. */
static void tie_operands(GRand *r, const TestFmt *f, Op op, uint64_t in[3])
{
    uint64_t odd = rand_u64(r) | 1;

    in[0] = pack(f, g_rand_boolean(r), rand_exp(r, f), rand_u64(r));
    in[2] = 0;
    if (op == OP_ADD || op == OP_SUB) {
        in[1] = odd_multiple(r, f, unbiased_exp(f, in[0]) - f->frac_bits - 1);
    } else if (op == OP_MUL) {
        /* an odd significand times 1.25, 1.5 or 1.75 has two or three more bits */
        in[0] = pack(f, g_rand_boolean(r), rand_exp(r, f), odd);
        in[1] = pack(f, g_rand_boolean(r), (uint64_t)(f->bias + rand_range(r, -3, 1)),
                     (uint64_t)rand_range(r, 1, 3) << (f->frac_bits - 2));
    } else if (op == OP_DIV) {
        /* ties exist only below the normal range, where the precision shrinks */
        in[0] = pack(f, g_rand_boolean(r), (uint64_t)rand_range(r, 0, 2), odd);
        in[1] = pack(f, g_rand_boolean(r), (uint64_t)(f->bias + rand_range(r, 1, 3)), 0);
    } else if (op_is_fma(op)) {
        /* a product short enough to be exact, plus an odd multiple of its half ulp */
        uint64_t half_bits = frac_mask(f) & ~(frac_mask(f) >> (f->frac_bits / 2 - 1));

        in[0] = pack(f, g_rand_boolean(r), (uint64_t)(f->bias + rand_range(r, -60, 60)),
                     rand_u64(r) & half_bits);
        in[1] = pack(f, g_rand_boolean(r), (uint64_t)(f->bias + rand_range(r, -60, 60)),
                     rand_u64(r) & half_bits);
        in[2] = odd_multiple(r, f, ilogbl(ld_of(f, in[0]) * ld_of(f, in[1])) - f->frac_bits - 1);
    }
}

static void test_rmm_arith(gconstpointer data)
{
    const HostDiffCase *c = data;
    g_autoptr(GRand) r = g_rand_new_with_seed(SEED + 300 + c->op);
    g_autofree char *name = g_strdup_printf("%s %s RMM", c->fmt->name, op_names[c->op]);
    Report rep = {.test = name};
    unsigned ties = 0;

    for (int i = 0; i < N_RMM; i++) {
        Op op = op_is_fma(c->op) ? (Op)(OP_FMADD + rand_range(r, 0, 3)) : c->op;
        uint64_t in[3] = {0, 0, 0};

        if (i % 2 && op != OP_SQRT) {
            tie_operands(r, c->fmt, op, in);
        } else {
            rand_operands(r, c->fmt, op, in);
        }
        check_rmm(&rep, c->fmt, op, in, &ties);
    }
    g_test_message("%s: %u ties", name, ties);
    if (c->op != OP_SQRT) {
        g_assert_cmpuint(ties, >, N_RMM / 50);
    }
    report_finish(&rep);
}

/* float -> integer in RMM: x.5 goes away from zero, everything else as in RNE. */
static uint64_t model_to_int_rmm(const CvtOp *c, uint64_t in, uint8_t *flags, unsigned *ties)
{
    double x = c->from == K_F32 ? (double)f_of(in) : d_of(in);
    double t = trunc(x);

    if (isfinite(x) && fabs(x - t) == 0.5) {
        (*ties)++;
        return model_int_result(c->to, x, t + copysign(1.0, x), flags);
    }
    return model_int_result(c->to, x, host_rint(x), flags);
}

static long double ld_of_kind(Kind k, uint64_t x)
{
    switch (k) {
    case K_F32:
        return f_of(x);
    case K_F64:
        return d_of(x);
    case K_I32:
        return (int32_t)(uint32_t)x;
    case K_U32:
        return (uint32_t)x;
    case K_I64:
        return (int64_t)x;
    default:
        return x;
    }
}

/* To a float: the input is its own exact value, so a tie is a plain comparison. */
static uint64_t expected_rmm_to_float(int op, uint64_t in, uint8_t *flags, unsigned *ties)
{
    const TestFmt *f = kind_fmt(cvt_ops[op].to);
    uint8_t dummy;
    uint64_t rne = sf_cvt(op, in, FLOAT_RNE, flags);
    uint64_t lo = sf_cvt(op, in, FLOAT_RDN, &dummy);
    uint64_t hi = sf_cvt(op, in, FLOAT_RUP, &dummy);
    long double v = ld_of_kind(cvt_ops[op].from, in);

    if ((*flags & NX) && is_tie(f, v, lo, hi)) {
        (*ties)++;
        return v > 0 ? hi : lo;
    }
    return rne;
}

static uint64_t tie_cvt_input(GRand *r, const CvtOp *c)
{
    int prec = c->to == K_F32 ? 24 : 53;
    int bits;

    if (!kind_is_float(c->from)) {
        /* prec + 1 significant bits with the last one set */
        bits = MIN(prec + 1, kind_width(c->from) - (c->from == K_I32 || c->from == K_I64));
        return (((rand_u64(r) >> (64 - bits)) | (UINT64_C(1) << (bits - 1)) | 1)
                << rand_range(r, 0, kind_width(c->from) - bits)) *
               (c->from == K_I64 && g_rand_boolean(r) ? UINT64_MAX : 1);
    }
    if (c->to == K_F32) {
        /* a binary32 value plus half its ulp */
        uint64_t x = with_exp(&fmt64, rand_u64(r), 1023 - 127 + rand_range(r, -26, 256));

        return (x & ~UINT64_C(0x1fffffff)) | (UINT64_C(1) << 28);
    }
    /* n + 0.5 */
    return bits_of_ld(kind_fmt(c->from),
                      (long double)((int64_t)(rand_u64(r) >> rand_range(r, 40, 63)) *
                                    (g_rand_boolean(r) ? -1 : 1)) +
                          0.5L);
}

static void test_rmm_convert(gconstpointer data)
{
    int op = GPOINTER_TO_INT(data);
    const CvtOp *c = &cvt_ops[op];
    g_autoptr(GRand) r = g_rand_new_with_seed(SEED + 400 + op);
    g_autofree char *name = g_strdup_printf("%s RMM", c->name);
    Report rep = {.test = name};
    bool exact_op = c->to == K_F64 && kind_width(c->from) == 32;
    unsigned ties = 0;

    for (int i = 0; i < N_RMM / 4; i++) {
        uint64_t in = i % 2 ? tie_cvt_input(r, c) : rand_cvt_input(r, c);
        uint8_t want_flags, got_flags;
        uint64_t want, got = sf_cvt(op, in, FLOAT_RMM, &got_flags);

        if (kind_is_float(c->to)) {
            want = expected_rmm_to_float(op, in, &want_flags, &ties);
        } else {
            want = model_to_int_rmm(c, in, &want_flags, &ties);
        }
        check_cvt(&rep, op, FLOAT_RMM, in, got, got_flags, want, want_flags);
    }
    g_test_message("%s: %u ties", name, ties);
    if (!exact_op) {
        g_assert_cmpuint(ties, >, N_RMM / 200);
    }
    report_finish(&rep);
}

/* ------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    static const Op arith_ops[] = {OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_FMADD};
    static const TestFmt *const fmts[] = {&fmt32, &fmt64};
    static HostDiffCase cases[G_N_ELEMENTS(fmts)][G_N_ELEMENTS(arith_ops)];

    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_test_add_func("/softfloat/vectors/f32", test_vectors_f32);
    g_test_add_func("/softfloat/vectors/f64", test_vectors_f64);
    g_test_add_func("/softfloat/vectors/convert", test_vectors_convert);
    g_test_add_func("/softfloat/invalid-rm", test_invalid_rm);
    for (size_t i = 0; i < G_N_ELEMENTS(fmts); i++) {
        g_autofree char *cmp_path = g_strdup_printf("/softfloat/host/%s/compare", fmts[i]->name);

        for (size_t j = 0; j < G_N_ELEMENTS(arith_ops); j++) {
            const char *opname = arith_ops[j] == OP_FMADD ? "fma" : op_names[arith_ops[j]];
            g_autofree char *host_path =
                g_strdup_printf("/softfloat/host/%s/%s", fmts[i]->name, opname);
            g_autofree char *rmm_path =
                g_strdup_printf("/softfloat/rmm/%s/%s", fmts[i]->name, opname);

            cases[i][j] = (HostDiffCase){.fmt = fmts[i], .op = arith_ops[j]};
            g_test_add_data_func(host_path, &cases[i][j], test_host_arith);
            g_test_add_data_func(rmm_path, &cases[i][j], test_rmm_arith);
        }
        g_test_add_data_func(cmp_path, fmts[i], test_host_compare);
    }
    for (int op = 0; op < CVT_COUNT; op++) {
        g_autofree char *host_path =
            g_strdup_printf("/softfloat/host/convert/%s", cvt_ops[op].name);
        g_autofree char *rmm_path = g_strdup_printf("/softfloat/rmm/convert/%s", cvt_ops[op].name);

        g_test_add_data_func(host_path, GINT_TO_POINTER(op), test_host_convert);
        g_test_add_data_func(rmm_path, GINT_TO_POINTER(op), test_rmm_convert);
    }
    return g_test_run();
}
