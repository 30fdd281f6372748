/*
 * fp_arith.c: F and D arithmetic under every rounding mode, with exact fflags.
 *
 * fadd, fsub, fmul, fdiv, fsqrt and the four fused multiply-adds, in single and double
 * precision. The cases are chosen so that the rounding modes disagree: exact ties (which
 * RNE sends to even and RMM away from zero), results just above or below a tie, negative
 * results (where RDN and RUP swap roles), overflow (infinity or the largest finite value
 * depending on the mode), underflow to zero or to the smallest subnormal, tininess
 * detected after rounding (RISC-V, like IEEE 754-2008's option that it picks, raises UF
 * only if the result rounded with an unbounded exponent is below the smallest normal),
 * the sign of exact zeros (-0 only under RDN), canonical NaN results and the invalid
 * cases (inf - inf, 0 * inf, sqrt of a negative, inf * 0 + qNaN for fma).
 *
 * Single precision values are written as their 32-bit patterns.
 */
#include "fp.h"

#define QNAN_S 0x7fc00000u
#define QNAN_D 0x7ff8000000000000ull

/* ---- single precision ---- */

DEF_RM(fadd_s, FP_F, "fadd.s ft3, ft0, ft1")
DEF_RM(fsub_s, FP_F, "fsub.s ft3, ft0, ft1")
DEF_RM(fmul_s, FP_F, "fmul.s ft3, ft0, ft1")
DEF_RM(fdiv_s, FP_F, "fdiv.s ft3, ft0, ft1")
DEF_RM(fsqrt_s, FP_F, "fsqrt.s ft3, ft0")
DEF_RM(fmadd_s, FP_F, "fmadd.s ft3, ft0, ft1, ft2")
DEF_RM(fmsub_s, FP_F, "fmsub.s ft3, ft0, ft1, ft2")
DEF_RM(fnmadd_s, FP_F, "fnmadd.s ft3, ft0, ft1, ft2")
DEF_RM(fnmsub_s, FP_F, "fnmsub.s ft3, ft0, ft1, ft2")

static const struct rm_case fadd_s_cases[] = {
    {"1+2^-24 tie", 0x3f800000, 0x33800000, 0,
     R5(0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001), F1(NX)},
    {"1+0.75ulp", 0x3f800000, 0x33c00000, 0,
     R5(0x3f800001, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001), F1(NX)},
    {"-1-2^-24 tie", 0xbf800000, 0xb3800000, 0,
     R5(0xbf800000, 0xbf800000, 0xbf800001, 0xbf800000, 0xbf800001), F1(NX)},
    {"(1+ulp)+2^-24 tie to even", 0x3f800001, 0x33800000, 0,
     R5(0x3f800002, 0x3f800001, 0x3f800001, 0x3f800002, 0x3f800002), F1(NX)},
    {"1+1 exact", 0x3f800000, 0x3f800000, 0, R1(0x40000000), F1(0)},
    {"1+-1 zero sign", 0x3f800000, 0xbf800000, 0, R5(0, 0, 0x80000000, 0, 0), F1(0)},
    {"-0+-0", 0x80000000, 0x80000000, 0, R1(0x80000000), F1(0)},
    {"+0+-0", 0x00000000, 0x80000000, 0, R5(0, 0, 0x80000000, 0, 0), F1(0)},
    {"max+max overflow", 0x7f7fffff, 0x7f7fffff, 0,
     R5(0x7f800000, 0x7f7fffff, 0x7f7fffff, 0x7f800000, 0x7f800000), F1(OF | NX)},
    {"-max-max overflow", 0xff7fffff, 0xff7fffff, 0,
     R5(0xff800000, 0xff7fffff, 0xff800000, 0xff7fffff, 0xff800000), F1(OF | NX)},
    {"inf+-inf", 0x7f800000, 0xff800000, 0, R1(QNAN_S), F1(NV)},
    {"inf+1", 0x7f800000, 0x3f800000, 0, R1(0x7f800000), F1(0)},
    {"sNaN+1", 0x7f800001, 0x3f800000, 0, R1(QNAN_S), F1(NV)},
    {"1+-sNaN", 0x3f800000, 0xff800001, 0, R1(QNAN_S), F1(NV)},
    {"qNaN(payload)+1", 0x7fc00001, 0x3f800000, 0, R1(QNAN_S), F1(0)},
    {"min normal-2^-127 exact subnormal", 0x00800000, 0x80400000, 0, R1(0x00400000), F1(0)},
    {"subnormal+subnormal", 0x00000001, 0x00000001, 0, R1(0x00000002), F1(0)},
};

static const struct rm_case fsub_s_cases[] = {
    {"1-2^-25 tie", 0x3f800000, 0x33000000, 0,
     R5(0x3f800000, 0x3f7fffff, 0x3f7fffff, 0x3f800000, 0x3f800000), F1(NX)},
    {"1-0.75ulp", 0x3f800000, 0x33400000, 0,
     R5(0x3f7fffff, 0x3f7fffff, 0x3f7fffff, 0x3f800000, 0x3f7fffff), F1(NX)},
    {"1-1 zero sign", 0x3f800000, 0x3f800000, 0, R5(0, 0, 0x80000000, 0, 0), F1(0)},
    {"-0-+0", 0x80000000, 0x00000000, 0, R1(0x80000000), F1(0)},
    {"inf-inf", 0x7f800000, 0x7f800000, 0, R1(QNAN_S), F1(NV)},
    {"-max-max overflow", 0xff7fffff, 0x7f7fffff, 0,
     R5(0xff800000, 0xff7fffff, 0xff800000, 0xff7fffff, 0xff800000), F1(OF | NX)},
    {"3-1 exact", 0x40400000, 0x3f800000, 0, R1(0x40000000), F1(0)},
};

static const struct rm_case fmul_s_cases[] = {
    {"(1+ulp)^2", 0x3f800001, 0x3f800001, 0,
     R5(0x3f800002, 0x3f800002, 0x3f800002, 0x3f800003, 0x3f800002), F1(NX)},
    {"(1+ulp)*1.5 tie", 0x3f800001, 0x3fc00000, 0,
     R5(0x3fc00002, 0x3fc00001, 0x3fc00001, 0x3fc00002, 0x3fc00002), F1(NX)},
    {"-(1+ulp)*1.5 tie", 0xbf800001, 0x3fc00000, 0,
     R5(0xbfc00002, 0xbfc00001, 0xbfc00002, 0xbfc00001, 0xbfc00002), F1(NX)},
    {"2^-100*2^-100 underflow", 0x0d800000, 0x0d800000, 0, R5(0, 0, 0, 0x00000001, 0), F1(UF | NX)},
    {"-2^-100*2^-100 underflow", 0x8d800000, 0x0d800000, 0,
     R5(0x80000000, 0x80000000, 0x80000001, 0x80000000, 0x80000000), F1(UF | NX)},
    {"2^100*2^100 overflow", 0x71800000, 0x71800000, 0,
     R5(0x7f800000, 0x7f7fffff, 0x7f7fffff, 0x7f800000, 0x7f800000), F1(OF | NX)},
    {"0*inf", 0x00000000, 0x7f800000, 0, R1(QNAN_S), F1(NV)},
    {"-0*5", 0x80000000, 0x40a00000, 0, R1(0x80000000), F1(0)},
    {"min normal*0.5 exact subnormal", 0x00800000, 0x3f000000, 0, R1(0x00400000), F1(0)},
    {"min normal*(0.5+ulp) subnormal tie", 0x00800000, 0x3f000001, 0,
     R5(0x00400000, 0x00400000, 0x00400000, 0x00400001, 0x00400001), F1(UF | NX)},
    {"(1-2^-24)*min normal tiny", 0x3f7fffff, 0x00800000, 0,
     R5(0x00800000, 0x007fffff, 0x007fffff, 0x00800000, 0x00800000), F1(UF | NX)},
    /* Exact product 2^-126 - 2^-151: rounds to the smallest normal (not tiny after
     * rounding: no UF) under RNE/RUP/RMM, to a subnormal (UF) under RTZ/RDN. */
    {"tininess after rounding", 0x20118e00, 0x1fe12000, 0,
     R5(0x00800000, 0x007fffff, 0x007fffff, 0x00800000, 0x00800000),
     F5(NX, UF | NX, UF | NX, NX, NX)},
};

static const struct rm_case fdiv_s_cases[] = {
    {"1/3", 0x3f800000, 0x40400000, 0,
     R5(0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaaa, 0x3eaaaaab, 0x3eaaaaab), F1(NX)},
    {"-1/3", 0xbf800000, 0x40400000, 0,
     R5(0xbeaaaaab, 0xbeaaaaaa, 0xbeaaaaab, 0xbeaaaaaa, 0xbeaaaaab), F1(NX)},
    {"2/3", 0x40000000, 0x40400000, 0,
     R5(0x3f2aaaab, 0x3f2aaaaa, 0x3f2aaaaa, 0x3f2aaaab, 0x3f2aaaab), F1(NX)},
    {"6/3 exact", 0x40c00000, 0x40400000, 0, R1(0x40000000), F1(0)},
    {"1/0", 0x3f800000, 0x00000000, 0, R1(0x7f800000), F1(DZ)},
    {"-1/0", 0xbf800000, 0x00000000, 0, R1(0xff800000), F1(DZ)},
    {"1/-0", 0x3f800000, 0x80000000, 0, R1(0xff800000), F1(DZ)},
    {"0/0", 0x00000000, 0x00000000, 0, R1(QNAN_S), F1(NV)},
    {"inf/inf", 0x7f800000, 0xff800000, 0, R1(QNAN_S), F1(NV)},
    {"inf/0", 0x7f800000, 0x00000000, 0, R1(0x7f800000), F1(0)},
    {"qNaN/0", 0x7fc00000, 0x00000000, 0, R1(QNAN_S), F1(0)},
    {"max/0.5 overflow", 0x7f7fffff, 0x3f000000, 0,
     R5(0x7f800000, 0x7f7fffff, 0x7f7fffff, 0x7f800000, 0x7f800000), F1(OF | NX)},
    {"2^-149/2 underflow tie", 0x00000001, 0x40000000, 0, R5(0, 0, 0, 0x00000001, 0x00000001),
     F1(UF | NX)},
};

static const struct rm_case fsqrt_s_cases[] = {
    {"sqrt 2", 0x40000000, 0, 0, R5(0x3fb504f3, 0x3fb504f3, 0x3fb504f3, 0x3fb504f4, 0x3fb504f3),
     F1(NX)},
    {"sqrt 3", 0x40400000, 0, 0, R5(0x3fddb3d7, 0x3fddb3d7, 0x3fddb3d7, 0x3fddb3d8, 0x3fddb3d7),
     F1(NX)},
    {"sqrt 2^-149", 0x00000001, 0, 0,
     R5(0x1a3504f3, 0x1a3504f3, 0x1a3504f3, 0x1a3504f4, 0x1a3504f3), F1(NX)},
    {"sqrt 4", 0x40800000, 0, 0, R1(0x40000000), F1(0)},
    {"sqrt -1", 0xbf800000, 0, 0, R1(QNAN_S), F1(NV)},
    {"sqrt -0", 0x80000000, 0, 0, R1(0x80000000), F1(0)},
    {"sqrt inf", 0x7f800000, 0, 0, R1(0x7f800000), F1(0)},
    {"sqrt -inf", 0xff800000, 0, 0, R1(QNAN_S), F1(NV)},
    {"sqrt sNaN", 0x7f800001, 0, 0, R1(QNAN_S), F1(NV)},
    {"sqrt -qNaN", 0xffc00000, 0, 0, R1(QNAN_S), F1(0)},
};

static const struct rm_case fmadd_s_cases[] = {
    /* Fused: (1+2^-23)^2 - 1 = 2^-22 + 2^-46 exactly, a tie at 24 bits. */
    {"(1+ulp)^2-1 fused", 0x3f800001, 0x3f800001, 0xbf800000,
     R5(0x34800000, 0x34800000, 0x34800000, 0x34800001, 0x34800001), F1(NX)},
    {"max*2-max no overflow", 0x7f7fffff, 0x40000000, 0xff7fffff, R1(0x7f7fffff), F1(0)},
    {"inf*0+qNaN", 0x7f800000, 0x00000000, 0x7fc00000, R1(QNAN_S), F1(NV)},
    {"inf*1+-inf", 0x7f800000, 0x3f800000, 0xff800000, R1(QNAN_S), F1(NV)},
    {"qNaN*1+sNaN", 0x7fc00000, 0x3f800000, 0x7f800001, R1(QNAN_S), F1(NV)},
    {"1*1+-1 zero sign", 0x3f800000, 0x3f800000, 0xbf800000, R5(0, 0, 0x80000000, 0, 0), F1(0)},
    {"-0*1+-0", 0x80000000, 0x3f800000, 0x80000000, R1(0x80000000), F1(0)},
    {"2^-100*2^-100+0 underflow", 0x0d800000, 0x0d800000, 0, R5(0, 0, 0, 0x00000001, 0),
     F1(UF | NX)},
};

static const struct rm_case fmsub_s_cases[] = {
    {"(1+ulp)^2-1 fused", 0x3f800001, 0x3f800001, 0x3f800000,
     R5(0x34800000, 0x34800000, 0x34800000, 0x34800001, 0x34800001), F1(NX)},
    {"1*1-1 zero sign", 0x3f800000, 0x3f800000, 0x3f800000, R5(0, 0, 0x80000000, 0, 0), F1(0)},
    {"0*1-0 zero sign", 0x00000000, 0x3f800000, 0x00000000, R5(0, 0, 0x80000000, 0, 0), F1(0)},
    {"2*3-1", 0x40000000, 0x40400000, 0x3f800000, R1(0x40a00000), F1(0)},
};

static const struct rm_case fnmadd_s_cases[] = {
    {"-(1+ulp)^2+1 fused", 0x3f800001, 0x3f800001, 0xbf800000,
     R5(0xb4800000, 0xb4800000, 0xb4800001, 0xb4800000, 0xb4800001), F1(NX)},
    {"-(1*0)-0", 0x3f800000, 0x00000000, 0x00000000, R1(0x80000000), F1(0)},
    {"-(1*1)-(-1) zero sign", 0x3f800000, 0x3f800000, 0xbf800000, R5(0, 0, 0x80000000, 0, 0),
     F1(0)},
    {"-(2*3)-1", 0x40000000, 0x40400000, 0x3f800000, R1(0xc0e00000), F1(0)},
    {"sNaN", 0x3f800000, 0x7f800001, 0x3f800000, R1(QNAN_S), F1(NV)},
};

static const struct rm_case fnmsub_s_cases[] = {
    {"-(1+ulp)^2+1 fused", 0x3f800001, 0x3f800001, 0x3f800000,
     R5(0xb4800000, 0xb4800000, 0xb4800001, 0xb4800000, 0xb4800001), F1(NX)},
    {"-(1*0)+0 zero sign", 0x3f800000, 0x00000000, 0x00000000, R5(0, 0, 0x80000000, 0, 0), F1(0)},
    {"-(1*0)+-0", 0x3f800000, 0x00000000, 0x80000000, R1(0x80000000), F1(0)},
    {"-(2*3)+1", 0x40000000, 0x40400000, 0x3f800000, R1(0xc0a00000), F1(0)},
};

/* ---- double precision ---- */

DEF_RM(fadd_d, FP_F, "fadd.d ft3, ft0, ft1")
DEF_RM(fsub_d, FP_F, "fsub.d ft3, ft0, ft1")
DEF_RM(fmul_d, FP_F, "fmul.d ft3, ft0, ft1")
DEF_RM(fdiv_d, FP_F, "fdiv.d ft3, ft0, ft1")
DEF_RM(fsqrt_d, FP_F, "fsqrt.d ft3, ft0")
DEF_RM(fmadd_d, FP_F, "fmadd.d ft3, ft0, ft1, ft2")
DEF_RM(fmsub_d, FP_F, "fmsub.d ft3, ft0, ft1, ft2")
DEF_RM(fnmadd_d, FP_F, "fnmadd.d ft3, ft0, ft1, ft2")
DEF_RM(fnmsub_d, FP_F, "fnmsub.d ft3, ft0, ft1, ft2")

#define ONE_D   0x3ff0000000000000ull
#define MONE_D  0xbff0000000000000ull
#define MAX_D   0x7fefffffffffffffull
#define INF_D   0x7ff0000000000000ull
#define NINF_D  0xfff0000000000000ull
#define NZERO_D 0x8000000000000000ull

static const struct rm_case fadd_d_cases[] = {
    {"1+2^-53 tie", ONE_D, 0x3ca0000000000000, 0,
     R5(ONE_D, ONE_D, ONE_D, 0x3ff0000000000001, 0x3ff0000000000001), F1(NX)},
    {"(1+ulp)+2^-53 tie to even", 0x3ff0000000000001, 0x3ca0000000000000, 0,
     R5(0x3ff0000000000002, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ff0000000000002,
        0x3ff0000000000002),
     F1(NX)},
    {"-1-2^-53 tie", MONE_D, 0xbca0000000000000, 0,
     R5(MONE_D, MONE_D, 0xbff0000000000001, MONE_D, 0xbff0000000000001), F1(NX)},
    {"1+2^-1000", ONE_D, 0x0170000000000000, 0, R5(ONE_D, ONE_D, ONE_D, 0x3ff0000000000001, ONE_D),
     F1(NX)},
    {"max+max overflow", MAX_D, MAX_D, 0, R5(INF_D, MAX_D, MAX_D, INF_D, INF_D), F1(OF | NX)},
    {"1+-1 zero sign", ONE_D, MONE_D, 0, R5(0, 0, NZERO_D, 0, 0), F1(0)},
    {"inf+-inf", INF_D, NINF_D, 0, R1(QNAN_D), F1(NV)},
    {"sNaN+1", 0x7ff0000000000001, ONE_D, 0, R1(QNAN_D), F1(NV)},
    {"qNaN(payload)+1", 0x7ff8000000000001, ONE_D, 0, R1(QNAN_D), F1(0)},
};

static const struct rm_case fsub_d_cases[] = {
    {"1-2^-54 tie", ONE_D, 0x3c90000000000000, 0,
     R5(ONE_D, 0x3fefffffffffffff, 0x3fefffffffffffff, ONE_D, ONE_D), F1(NX)},
    {"-0-+0", NZERO_D, 0, 0, R1(NZERO_D), F1(0)},
    {"1-1 zero sign", ONE_D, ONE_D, 0, R5(0, 0, NZERO_D, 0, 0), F1(0)},
    {"-max-max overflow", 0xffefffffffffffff, MAX_D, 0,
     R5(NINF_D, 0xffefffffffffffff, NINF_D, 0xffefffffffffffff, NINF_D), F1(OF | NX)},
};

static const struct rm_case fmul_d_cases[] = {
    {"(1+ulp)*1.5 tie", 0x3ff0000000000001, 0x3ff8000000000000, 0,
     R5(0x3ff8000000000002, 0x3ff8000000000001, 0x3ff8000000000001, 0x3ff8000000000002,
        0x3ff8000000000002),
     F1(NX)},
    {"2^-600*2^-600 underflow", 0x1a70000000000000, 0x1a70000000000000, 0, R5(0, 0, 0, 1, 0),
     F1(UF | NX)},
    {"2^600*2^600 overflow", 0x6570000000000000, 0x6570000000000000, 0,
     R5(INF_D, MAX_D, MAX_D, INF_D, INF_D), F1(OF | NX)},
    {"0*inf", 0, INF_D, 0, R1(QNAN_D), F1(NV)},
    {"(1-2^-53)*min normal tiny", 0x3fefffffffffffff, 0x0010000000000000, 0,
     R5(0x0010000000000000, 0x000fffffffffffff, 0x000fffffffffffff, 0x0010000000000000,
        0x0010000000000000),
     F1(UF | NX)},
};

static const struct rm_case fdiv_d_cases[] = {
    {"1/3", ONE_D, 0x4008000000000000, 0,
     R5(0x3fd5555555555555, 0x3fd5555555555555, 0x3fd5555555555555, 0x3fd5555555555556,
        0x3fd5555555555555),
     F1(NX)},
    {"-1/3", MONE_D, 0x4008000000000000, 0,
     R5(0xbfd5555555555555, 0xbfd5555555555555, 0xbfd5555555555556, 0xbfd5555555555555,
        0xbfd5555555555555),
     F1(NX)},
    {"2/3", 0x4000000000000000, 0x4008000000000000, 0,
     R5(0x3fe5555555555555, 0x3fe5555555555555, 0x3fe5555555555555, 0x3fe5555555555556,
        0x3fe5555555555555),
     F1(NX)},
    {"1/0", ONE_D, 0, 0, R1(INF_D), F1(DZ)},
    {"0/0", 0, 0, 0, R1(QNAN_D), F1(NV)},
    {"-0/inf", NZERO_D, INF_D, 0, R1(NZERO_D), F1(0)},
};

static const struct rm_case fsqrt_d_cases[] = {
    {"sqrt 2", 0x4000000000000000, 0, 0,
     R5(0x3ff6a09e667f3bcd, 0x3ff6a09e667f3bcc, 0x3ff6a09e667f3bcc, 0x3ff6a09e667f3bcd,
        0x3ff6a09e667f3bcd),
     F1(NX)},
    {"sqrt 0.25", 0x3fd0000000000000, 0, 0, R1(0x3fe0000000000000), F1(0)},
    {"sqrt -1", MONE_D, 0, 0, R1(QNAN_D), F1(NV)},
    {"sqrt -0", NZERO_D, 0, 0, R1(NZERO_D), F1(0)},
    {"sqrt sNaN", 0x7ff0000000000001, 0, 0, R1(QNAN_D), F1(NV)},
};

static const struct rm_case fmadd_d_cases[] = {
    {"(1+ulp)^2-1 fused", 0x3ff0000000000001, 0x3ff0000000000001, MONE_D,
     R5(0x3cc0000000000000, 0x3cc0000000000000, 0x3cc0000000000000, 0x3cc0000000000001,
        0x3cc0000000000001),
     F1(NX)},
    {"max*2-max no overflow", MAX_D, 0x4000000000000000, 0xffefffffffffffff, R1(MAX_D), F1(0)},
    {"inf*0+qNaN", INF_D, 0, QNAN_D, R1(QNAN_D), F1(NV)},
    {"1*1+-1 zero sign", ONE_D, ONE_D, MONE_D, R5(0, 0, NZERO_D, 0, 0), F1(0)},
};

static const struct rm_case fmsub_d_cases[] = {
    {"(1+ulp)^2-1 fused", 0x3ff0000000000001, 0x3ff0000000000001, ONE_D,
     R5(0x3cc0000000000000, 0x3cc0000000000000, 0x3cc0000000000000, 0x3cc0000000000001,
        0x3cc0000000000001),
     F1(NX)},
    {"0*1-0 zero sign", 0, ONE_D, 0, R5(0, 0, NZERO_D, 0, 0), F1(0)},
};

static const struct rm_case fnmadd_d_cases[] = {
    {"-(1+ulp)^2+1 fused", 0x3ff0000000000001, 0x3ff0000000000001, MONE_D,
     R5(0xbcc0000000000000, 0xbcc0000000000000, 0xbcc0000000000001, 0xbcc0000000000000,
        0xbcc0000000000001),
     F1(NX)},
    {"-(1*0)-0", ONE_D, 0, 0, R1(NZERO_D), F1(0)},
};

static const struct rm_case fnmsub_d_cases[] = {
    {"-(1+ulp)^2+1 fused", 0x3ff0000000000001, 0x3ff0000000000001, ONE_D,
     R5(0xbcc0000000000000, 0xbcc0000000000000, 0xbcc0000000000001, 0xbcc0000000000000,
        0xbcc0000000000001),
     F1(NX)},
    {"-(1*0)+0 zero sign", ONE_D, 0, 0, R5(0, 0, NZERO_D, 0, 0), F1(0)},
};

/* clang-format off */
#define OP(name, fn, box) {name, fn, (box) ? 7 : 0, (box)}
/* clang-format on */
#define RUN(op, cases)                                                                             \
    run_rm_cases(&(const struct fp_op)op, cases, sizeof(cases) / sizeof(cases[0]))

int main(void)
{
    RUN(OP("fadd.s", fadd_s, 1), fadd_s_cases);
    RUN(OP("fsub.s", fsub_s, 1), fsub_s_cases);
    RUN(OP("fmul.s", fmul_s, 1), fmul_s_cases);
    RUN(OP("fdiv.s", fdiv_s, 1), fdiv_s_cases);
    RUN(OP("fsqrt.s", fsqrt_s, 1), fsqrt_s_cases);
    RUN(OP("fmadd.s", fmadd_s, 1), fmadd_s_cases);
    RUN(OP("fmsub.s", fmsub_s, 1), fmsub_s_cases);
    RUN(OP("fnmadd.s", fnmadd_s, 1), fnmadd_s_cases);
    RUN(OP("fnmsub.s", fnmsub_s, 1), fnmsub_s_cases);
    RUN(OP("fadd.d", fadd_d, 0), fadd_d_cases);
    RUN(OP("fsub.d", fsub_d, 0), fsub_d_cases);
    RUN(OP("fmul.d", fmul_d, 0), fmul_d_cases);
    RUN(OP("fdiv.d", fdiv_d, 0), fdiv_d_cases);
    RUN(OP("fsqrt.d", fsqrt_d, 0), fsqrt_d_cases);
    RUN(OP("fmadd.d", fmadd_d, 0), fmadd_d_cases);
    RUN(OP("fmsub.d", fmsub_d, 0), fmsub_d_cases);
    RUN(OP("fnmadd.d", fnmadd_d, 0), fnmadd_d_cases);
    RUN(OP("fnmsub.d", fnmsub_d, 0), fnmsub_d_cases);
    return t_finish();
}
