/*
 * fp_misc.c: floating-point instructions without a rounding mode, and NaN-boxing.
 *
 * fmin/fmax (-0 < +0, one NaN gives the other operand, two NaNs give the canonical NaN,
 * a signaling NaN raises NV even when the result is a number), feq/flt/fle (feq is
 * quiet: NV only for a signaling NaN; flt/fle signal on any NaN), fclass of all ten
 * classes, sign injection (payloads kept, no flags), the moves (fmv.x.w sign-extends,
 * fmv.w.x and flw NaN-box, transfers ignore the upper half).
 *
 * NaN-boxing: a single-precision operand whose upper 32 bits are not all ones is read
 * as the canonical NaN by every instruction that computes on it (arithmetic, compare,
 * classify, sign injection, conversion) but not by the transfers (fmv.x.w, fsw).
 * Operands here are raw 64-bit register images; BOX() marks the properly boxed ones.
 */
#include "fp.h"

#define QNAN_S       BOX(0x7fc00000)
#define QNAN_D       0x7ff8000000000000ull
#define ONE_S        BOX(0x3f800000)
#define TWO_S        BOX(0x40000000)
#define MONE_S       BOX(0xbf800000)
#define ONE_D        0x3ff0000000000000ull
#define MONE_D       0xbff0000000000000ull
#define TWO_D        0x4000000000000000ull
#define UNBOXED_ONE  0x000000003f800000ull /* 1.0f without its box */
#define UNBOXED_MONE 0x00000000bf800000ull /* -1.0f without its box */

typedef u64 (*norm_fn)(u64 a, u64 b, u64 c, unsigned *ret_flags);

struct norm_case {
    const char *name; /* what the case is about */
    u64 a, b, c;      /* raw register images of the operands */
    u64 r;            /* expected raw result */
    u8 fl;            /* expected fflags */
};

#define DEF_NORM(fn, tmpl, insn)                                                                   \
    static u64 fn(u64 a, u64 b, u64 c, unsigned *ret_flags)                                        \
    {                                                                                              \
        u64 r, f;                                                                                  \
        FP_CALL(tmpl, insn, "");                                                                   \
        *ret_flags = (unsigned)f;                                                                  \
        return r;                                                                                  \
    }

static void run_norm(const char *mn, norm_fn fn, const struct norm_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned fl;
        u64 got = fn(cases[i].a, cases[i].b, cases[i].c, &fl);

        t_check_fp(mn, cases[i].name, got, fl, cases[i].r, cases[i].fl);
    }
}

#define RUN(mn, fn, cases) run_norm(mn, fn, cases, sizeof(cases) / sizeof(cases[0]))

DEF_NORM(fmin_s, FP_F, "fmin.s ft3, ft0, ft1")
DEF_NORM(fmax_s, FP_F, "fmax.s ft3, ft0, ft1")
DEF_NORM(fmin_d, FP_F, "fmin.d ft3, ft0, ft1")
DEF_NORM(fmax_d, FP_F, "fmax.d ft3, ft0, ft1")

static const struct norm_case fmin_s_cases[] = {
    {"-0,+0", BOX(0x80000000), BOX(0), 0, BOX(0x80000000), 0},
    {"+0,-0", BOX(0), BOX(0x80000000), 0, BOX(0x80000000), 0},
    {"-1,1", MONE_S, ONE_S, 0, MONE_S, 0},
    {"qNaN,1", QNAN_S, ONE_S, 0, ONE_S, 0},
    {"1,qNaN", ONE_S, BOX(0x7fc00001), 0, ONE_S, 0},
    {"sNaN,1", BOX(0x7f800001), ONE_S, 0, ONE_S, NV},
    {"qNaN,qNaN", BOX(0x7fc00001), BOX(0xffc00002), 0, QNAN_S, 0},
    {"sNaN,qNaN", BOX(0x7f800001), QNAN_S, 0, QNAN_S, NV},
    {"-inf,qNaN", BOX(0xff800000), QNAN_S, 0, BOX(0xff800000), 0},
    {"unboxed,2", UNBOXED_ONE, TWO_S, 0, TWO_S, 0},
    {"unboxed sNaN bits,1", 0x000000007f800001, ONE_S, 0, ONE_S, 0},
};

static const struct norm_case fmax_s_cases[] = {
    {"-0,+0", BOX(0x80000000), BOX(0), 0, BOX(0), 0},
    {"+0,-0", BOX(0), BOX(0x80000000), 0, BOX(0), 0},
    {"-1,1", MONE_S, ONE_S, 0, ONE_S, 0},
    {"1,qNaN", ONE_S, QNAN_S, 0, ONE_S, 0},
    {"1,sNaN", ONE_S, BOX(0x7f800001), 0, ONE_S, NV},
    {"qNaN,qNaN", BOX(0x7fc00001), BOX(0xffc00000), 0, QNAN_S, 0},
    {"sNaN,sNaN", BOX(0x7f800001), BOX(0xff800002), 0, QNAN_S, NV},
    {"unboxed,-2", UNBOXED_ONE, BOX(0xc0000000), 0, BOX(0xc0000000), 0},
};

static const struct norm_case fmin_d_cases[] = {
    {"-0,+0", 0x8000000000000000, 0, 0, 0x8000000000000000, 0},
    {"+0,-0", 0, 0x8000000000000000, 0, 0x8000000000000000, 0},
    {"qNaN,1", QNAN_D, ONE_D, 0, ONE_D, 0},
    {"sNaN,1", 0x7ff0000000000001, ONE_D, 0, ONE_D, NV},
    {"qNaN,qNaN", 0x7ff8000000000001, 0xfff8000000000000, 0, QNAN_D, 0},
    {"1,-1", ONE_D, MONE_D, 0, MONE_D, 0},
    {"boxed single is a NaN,2", ONE_S, TWO_D, 0, TWO_D, 0},
};

static const struct norm_case fmax_d_cases[] = {
    {"-0,+0", 0x8000000000000000, 0, 0, 0, 0},
    {"+0,-0", 0, 0x8000000000000000, 0, 0, 0},
    {"1,qNaN", ONE_D, QNAN_D, 0, ONE_D, 0},
    {"1,sNaN", ONE_D, 0x7ff0000000000001, 0, ONE_D, NV},
    {"sNaN,sNaN", 0x7ff0000000000001, 0xfff0000000000001, 0, QNAN_D, NV},
    {"-inf,-1", 0xfff0000000000000, MONE_D, 0, MONE_D, 0},
};

DEF_NORM(feq_s, FP_X, "feq.s %0, ft0, ft1")
DEF_NORM(flt_s, FP_X, "flt.s %0, ft0, ft1")
DEF_NORM(fle_s, FP_X, "fle.s %0, ft0, ft1")
DEF_NORM(feq_d, FP_X, "feq.d %0, ft0, ft1")
DEF_NORM(flt_d, FP_X, "flt.d %0, ft0, ft1")
DEF_NORM(fle_d, FP_X, "fle.d %0, ft0, ft1")

static const struct norm_case feq_s_cases[] = {
    {"1,1", ONE_S, ONE_S, 0, 1, 0},
    {"1,2", ONE_S, TWO_S, 0, 0, 0},
    {"-0,+0", BOX(0x80000000), BOX(0), 0, 1, 0},
    {"qNaN,1", QNAN_S, ONE_S, 0, 0, 0},
    {"qNaN,qNaN", QNAN_S, QNAN_S, 0, 0, 0},
    {"sNaN,1", BOX(0x7f800001), ONE_S, 0, 0, NV},
    {"1,sNaN", ONE_S, BOX(0xff800001), 0, 0, NV},
    {"unboxed,unboxed", UNBOXED_ONE, UNBOXED_ONE, 0, 0, 0},
    {"unboxed,1", UNBOXED_ONE, ONE_S, 0, 0, 0},
};

static const struct norm_case flt_s_cases[] = {
    {"1,2", ONE_S, TWO_S, 0, 1, 0},
    {"2,1", TWO_S, ONE_S, 0, 0, 0},
    {"1,1", ONE_S, ONE_S, 0, 0, 0},
    {"-0,+0", BOX(0x80000000), BOX(0), 0, 0, 0},
    {"-inf,inf", BOX(0xff800000), BOX(0x7f800000), 0, 1, 0},
    {"-subnormal,0", BOX(0x80000001), BOX(0), 0, 1, 0},
    {"subnormals", BOX(0x00000001), BOX(0x00000002), 0, 1, 0},
    {"qNaN,1", QNAN_S, ONE_S, 0, 0, NV},
    {"1,sNaN", ONE_S, BOX(0x7f800001), 0, 0, NV},
    {"unboxed,1", UNBOXED_ONE, ONE_S, 0, 0, NV},
};

static const struct norm_case fle_s_cases[] = {
    {"1,1", ONE_S, ONE_S, 0, 1, 0},
    {"2,1", TWO_S, ONE_S, 0, 0, 0},
    {"-0,+0", BOX(0x80000000), BOX(0), 0, 1, 0},
    {"+0,-0", BOX(0), BOX(0x80000000), 0, 1, 0},
    {"1,qNaN", ONE_S, QNAN_S, 0, 0, NV},
    {"-2,-1", BOX(0xc0000000), MONE_S, 0, 1, 0},
};

static const struct norm_case feq_d_cases[] = {
    {"-0,+0", 0x8000000000000000, 0, 0, 1, 0},
    {"qNaN,qNaN", QNAN_D, QNAN_D, 0, 0, 0},
    {"sNaN,1", 0x7ff0000000000001, ONE_D, 0, 0, NV},
    {"1,1", ONE_D, ONE_D, 0, 1, 0},
};

static const struct norm_case flt_d_cases[] = {
    {"-1,1", MONE_D, ONE_D, 0, 1, 0},
    {"1,-1", ONE_D, MONE_D, 0, 0, 0},
    {"qNaN,1", QNAN_D, ONE_D, 0, 0, NV},
    {"-0,+0", 0x8000000000000000, 0, 0, 0, 0},
};

static const struct norm_case fle_d_cases[] = {
    {"-inf,-inf", 0xfff0000000000000, 0xfff0000000000000, 0, 1, 0},
    {"2,1", TWO_D, ONE_D, 0, 0, 0},
    {"1,qNaN", ONE_D, QNAN_D, 0, 0, NV},
};

DEF_NORM(fclass_s, FP_X, "fclass.s %0, ft0")
DEF_NORM(fclass_d, FP_X, "fclass.d %0, ft0")

static const struct norm_case fclass_s_cases[] = {
    {"-inf", BOX(0xff800000), 0, 0, 0x001, 0},
    {"-normal", BOX(0xbf800000), 0, 0, 0x002, 0},
    {"-subnormal", BOX(0x807fffff), 0, 0, 0x004, 0},
    {"-0", BOX(0x80000000), 0, 0, 0x008, 0},
    {"+0", BOX(0x00000000), 0, 0, 0x010, 0},
    {"+subnormal", BOX(0x00000001), 0, 0, 0x020, 0},
    {"+normal", BOX(0x7f7fffff), 0, 0, 0x040, 0},
    {"+inf", BOX(0x7f800000), 0, 0, 0x080, 0},
    {"sNaN", BOX(0x7f800001), 0, 0, 0x100, 0},
    {"sNaN max payload", BOX(0x7fbfffff), 0, 0, 0x100, 0},
    {"-sNaN", BOX(0xff800001), 0, 0, 0x100, 0},
    {"qNaN", BOX(0x7fc00000), 0, 0, 0x200, 0},
    {"-qNaN", BOX(0xffc00001), 0, 0, 0x200, 0},
    {"unboxed 1.0", UNBOXED_ONE, 0, 0, 0x200, 0},
    {"partly boxed", 0x7fffffff00000000, 0, 0, 0x200, 0},
};

static const struct norm_case fclass_d_cases[] = {
    {"-inf", 0xfff0000000000000, 0, 0, 0x001, 0},
    {"-normal", MONE_D, 0, 0, 0x002, 0},
    {"-subnormal", 0x800fffffffffffff, 0, 0, 0x004, 0},
    {"-0", 0x8000000000000000, 0, 0, 0x008, 0},
    {"+0", 0, 0, 0, 0x010, 0},
    {"+subnormal", 1, 0, 0, 0x020, 0},
    {"+normal", 0x7fefffffffffffff, 0, 0, 0x040, 0},
    {"+inf", 0x7ff0000000000000, 0, 0, 0x080, 0},
    {"sNaN", 0x7ff0000000000001, 0, 0, 0x100, 0},
    {"-sNaN", 0xfff7ffffffffffff, 0, 0, 0x100, 0},
    {"qNaN", QNAN_D, 0, 0, 0x200, 0},
    {"boxed single", ONE_S, 0, 0, 0x200, 0},
};

DEF_NORM(fsgnj_s, FP_F, "fsgnj.s ft3, ft0, ft1")
DEF_NORM(fsgnjn_s, FP_F, "fsgnjn.s ft3, ft0, ft1")
DEF_NORM(fsgnjx_s, FP_F, "fsgnjx.s ft3, ft0, ft1")
DEF_NORM(fsgnj_d, FP_F, "fsgnj.d ft3, ft0, ft1")
DEF_NORM(fsgnjn_d, FP_F, "fsgnjn.d ft3, ft0, ft1")
DEF_NORM(fsgnjx_d, FP_F, "fsgnjx.d ft3, ft0, ft1")

static const struct norm_case fsgnj_s_cases[] = {
    {"1,-2", ONE_S, BOX(0xc0000000), 0, MONE_S, 0},
    {"-1,2", MONE_S, TWO_S, 0, ONE_S, 0},
    {"sNaN keeps payload", BOX(0x7f800001), MONE_S, 0, BOX(0xff800001), 0},
    {"unboxed rs1", UNBOXED_ONE, MONE_S, 0, BOX(0xffc00000), 0},
    /* An unboxed rs2 is the canonical NaN, whose sign is +. */
    {"unboxed rs2", MONE_S, UNBOXED_MONE, 0, ONE_S, 0},
    {"fmv.s unboxed", UNBOXED_ONE, UNBOXED_ONE, 0, QNAN_S, 0},
};

static const struct norm_case fsgnjn_s_cases[] = {
    {"1,-2", ONE_S, BOX(0xc0000000), 0, ONE_S, 0},
    {"1,2", ONE_S, TWO_S, 0, MONE_S, 0},
    {"fneg.s sNaN", BOX(0x7f800001), BOX(0x7f800001), 0, BOX(0xff800001), 0},
    {"unboxed rs2", ONE_S, UNBOXED_ONE, 0, MONE_S, 0},
    {"fneg.s unboxed", UNBOXED_ONE, UNBOXED_ONE, 0, BOX(0xffc00000), 0},
};

static const struct norm_case fsgnjx_s_cases[] = {
    {"-1,-2", MONE_S, BOX(0xc0000000), 0, ONE_S, 0},
    {"-1,2", MONE_S, TWO_S, 0, MONE_S, 0},
    {"fabs.s -qNaN", BOX(0xffc00001), BOX(0xffc00001), 0, BOX(0x7fc00001), 0},
    {"unboxed rs2", MONE_S, UNBOXED_MONE, 0, MONE_S, 0},
};

static const struct norm_case fsgnj_d_cases[] = {
    {"1,-2", ONE_D, 0xc000000000000000, 0, MONE_D, 0},
    {"boxed single keeps its bits", ONE_S, ONE_S, 0, ONE_S, 0},
};

static const struct norm_case fsgnjn_d_cases[] = {
    {"fneg.d sNaN", 0x7ff0000000000001, 0x7ff0000000000001, 0, 0xfff0000000000001, 0},
    {"1,1", ONE_D, ONE_D, 0, MONE_D, 0},
};

static const struct norm_case fsgnjx_d_cases[] = {
    {"-1,-2", MONE_D, 0xc000000000000000, 0, ONE_D, 0},
    {"fabs.d boxed single", ONE_S, ONE_S, 0, 0x7fffffff3f800000, 0},
};

/* Arithmetic and conversions on improperly boxed inputs. */
DEF_NORM(fadd_s_rne, FP_F, "fadd.s ft3, ft0, ft1, rne")
DEF_NORM(fmadd_s_rne, FP_F, "fmadd.s ft3, ft0, ft1, ft2, rne")
DEF_NORM(fcvt_w_s_rtz, FP_X, "fcvt.w.s %0, ft0, rtz")
DEF_NORM(fcvt_d_s_raw, FP_F, "fcvt.d.s ft3, ft0")

static const struct norm_case boxing_cases_add[] = {
    {"unboxed+1", UNBOXED_ONE, ONE_S, 0, QNAN_S, 0},
    {"1+partly boxed", ONE_S, 0xfffffffe3f800000, 0, QNAN_S, 0},
    {"unboxed sNaN bits+1", 0x000000007f800001, ONE_S, 0, QNAN_S, 0},
    {"1+1 boxed", ONE_S, ONE_S, 0, TWO_S, 0},
};

static const struct norm_case boxing_cases_fma[] = {
    {"1*1+unboxed", ONE_S, ONE_S, UNBOXED_ONE, QNAN_S, 0},
    {"inf*0+unboxed", BOX(0x7f800000), BOX(0), UNBOXED_ONE, QNAN_S, NV},
};

static const struct norm_case boxing_cases_cvt_w[] = {
    {"unboxed", UNBOXED_ONE, 0, 0, 0x7fffffff, NV},
    {"boxed", ONE_S, 0, 0, 1, 0},
};

static const struct norm_case boxing_cases_cvt_d[] = {
    {"unboxed", UNBOXED_ONE, 0, 0, QNAN_D, 0},
    {"boxed", ONE_S, 0, 0, ONE_D, 0},
};

static void test_moves(void)
{
    u64 r;
    u32 word;

    __asm__ volatile("fmv.w.x ft0, %1\n\tfmv.x.d %0, ft0"
                     : "=r"(r)
                     : "r"(0x123456789abcdef0ull)
                     : "ft0");
    t_check("fmv.w.x", "boxes", r, BOX(0x9abcdef0));

#define FMV_X_W(v)                                                                                 \
    ({                                                                                             \
        u64 r_;                                                                                    \
        __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.x.w %0, ft0" : "=r"(r_) : "r"((u64)(v)) : "ft0"); \
        r_;                                                                                        \
    })
    t_check("fmv.x.w", "sign-extends", FMV_X_W(BOX(0x80000000)), 0xffffffff80000000);
    t_check("fmv.x.w", "positive", FMV_X_W(BOX(0x7f800000)), 0x7f800000);
    t_check("fmv.x.w", "unboxed: low word as is", FMV_X_W(0x123456789abcdef0), 0xffffffff9abcdef0);
    t_check("fmv.x.w", "NaN payload kept", FMV_X_W(BOX(0x7fc00001)), 0x7fc00001);

    __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.x.d %0, ft0"
                     : "=r"(r)
                     : "r"(0x7ff0000000000001ull)
                     : "ft0");
    t_check("fmv.d.x/fmv.x.d", "sNaN bits", r, 0x7ff0000000000001);

    word = 0x7f800001;
    __asm__ volatile("flw ft0, 0(%1)\n\tfmv.x.d %0, ft0" : "=r"(r) : "r"(&word) : "ft0", "memory");
    t_check("flw", "boxes", r, BOX(0x7f800001));

    __asm__ volatile("fmv.d.x ft0, %1\n\tfsw ft0, 0(%0)"
                     :
                     : "r"(&word), "r"(0x123456789abcdef0ull)
                     : "ft0", "memory");
    t_check("fsw", "unboxed: low word as is", word, 0x9abcdef0);

    unsigned fl;
    __asm__ volatile("fsflags zero\n\tfmv.w.x ft0, %1\n\tfmv.x.w %0, ft0\n\tfrflags %1"
                     : "=&r"(r), "=&r"(fl)
                     : "1"(0x7f800001ull)
                     : "ft0");
    t_check("fmv.w.x/fmv.x.w", "sNaN raises nothing", fl, 0);
}

int main(void)
{
    RUN("fmin.s", fmin_s, fmin_s_cases);
    RUN("fmax.s", fmax_s, fmax_s_cases);
    RUN("fmin.d", fmin_d, fmin_d_cases);
    RUN("fmax.d", fmax_d, fmax_d_cases);
    RUN("feq.s", feq_s, feq_s_cases);
    RUN("flt.s", flt_s, flt_s_cases);
    RUN("fle.s", fle_s, fle_s_cases);
    RUN("feq.d", feq_d, feq_d_cases);
    RUN("flt.d", flt_d, flt_d_cases);
    RUN("fle.d", fle_d, fle_d_cases);
    RUN("fclass.s", fclass_s, fclass_s_cases);
    RUN("fclass.d", fclass_d, fclass_d_cases);
    RUN("fsgnj.s", fsgnj_s, fsgnj_s_cases);
    RUN("fsgnjn.s", fsgnjn_s, fsgnjn_s_cases);
    RUN("fsgnjx.s", fsgnjx_s, fsgnjx_s_cases);
    RUN("fsgnj.d", fsgnj_d, fsgnj_d_cases);
    RUN("fsgnjn.d", fsgnjn_d, fsgnjn_d_cases);
    RUN("fsgnjx.d", fsgnjx_d, fsgnjx_d_cases);
    RUN("fadd.s", fadd_s_rne, boxing_cases_add);
    RUN("fmadd.s", fmadd_s_rne, boxing_cases_fma);
    RUN("fcvt.w.s", fcvt_w_s_rtz, boxing_cases_cvt_w);
    RUN("fcvt.d.s", fcvt_d_s_raw, boxing_cases_cvt_d);
    test_moves();
    return t_finish();
}
