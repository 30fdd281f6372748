/*
 * fp_cvt.c: conversions between floating point and integers, and between precisions,
 * under every rounding mode.
 *
 * Float to integer: ties and halves in each mode, NaN (either sign) to the largest
 * integer, infinities and out-of-range values saturating with NV (and then no NX),
 * values that are in range only in some rounding modes (-2^31 - 0.5, 2^31 - 0.5,
 * -0.5 to unsigned), and the 32-bit forms sign-extending their result, even fcvt.wu
 * (2^31 becomes 0xffffffff80000000). Integer to float: the 32-bit forms read only the
 * low word, and large integers round. Between precisions: rounding, overflow, underflow,
 * NaNs becoming the canonical NaN (NV only for a signaling one).
 */
#include "fp.h"

#define QNAN_S 0x7fc00000u
#define QNAN_D 0x7ff8000000000000ull
#define M(x)   ((u64)(i64)(x)) /* a negative integer result */

DEF_RM(fcvt_w_s, FP_X, "fcvt.w.s %0, ft0")
DEF_RM(fcvt_wu_s, FP_X, "fcvt.wu.s %0, ft0")
DEF_RM(fcvt_l_s, FP_X, "fcvt.l.s %0, ft0")
DEF_RM(fcvt_lu_s, FP_X, "fcvt.lu.s %0, ft0")
DEF_RM(fcvt_w_d, FP_X, "fcvt.w.d %0, ft0")
DEF_RM(fcvt_wu_d, FP_X, "fcvt.wu.d %0, ft0")
DEF_RM(fcvt_l_d, FP_X, "fcvt.l.d %0, ft0")
DEF_RM(fcvt_lu_d, FP_X, "fcvt.lu.d %0, ft0")
DEF_RM(fcvt_s_w, FP_F, "fcvt.s.w ft3, %2")
DEF_RM(fcvt_s_wu, FP_F, "fcvt.s.wu ft3, %2")
DEF_RM(fcvt_s_l, FP_F, "fcvt.s.l ft3, %2")
DEF_RM(fcvt_s_lu, FP_F, "fcvt.s.lu ft3, %2")
DEF_RM_INSN(fcvt_d_w, FP_F, ".insn r 0x53, ", ", 0x69, ft3, %2, x0")
DEF_RM_INSN(fcvt_d_wu, FP_F, ".insn r 0x53, ", ", 0x69, ft3, %2, x1")
DEF_RM(fcvt_d_l, FP_F, "fcvt.d.l ft3, %2")
DEF_RM(fcvt_d_lu, FP_F, "fcvt.d.lu ft3, %2")
DEF_RM(fcvt_s_d, FP_F, "fcvt.s.d ft3, ft0")
DEF_RM_INSN(fcvt_d_s, FP_F, ".insn r 0x53, ", ", 0x21, ft3, ft0, x0")

static const struct rm_case fcvt_w_s_cases[] = {
    {"1.5", 0x3fc00000, 0, 0, R5(2, 1, 1, 2, 2), F1(NX)},
    {"2.5", 0x40200000, 0, 0, R5(2, 2, 2, 3, 3), F1(NX)},
    {"-1.5", 0xbfc00000, 0, 0, R5(M(-2), M(-1), M(-2), M(-1), M(-2)), F1(NX)},
    {"-0.5", 0xbf000000, 0, 0, R5(0, 0, M(-1), 0, M(-1)), F1(NX)},
    {"0.4", 0x3ecccccd, 0, 0, R5(0, 0, 0, 1, 0), F1(NX)},
    {"-0", 0x80000000, 0, 0, R1(0), F1(0)},
    {"qNaN", QNAN_S, 0, 0, R1(0x7fffffff), F1(NV)},
    {"-qNaN", 0xffc00000, 0, 0, R1(0x7fffffff), F1(NV)},
    {"sNaN", 0x7f800001, 0, 0, R1(0x7fffffff), F1(NV)},
    {"+inf", 0x7f800000, 0, 0, R1(0x7fffffff), F1(NV)},
    {"-inf", 0xff800000, 0, 0, R1(MIN32), F1(NV)},
    {"2^31", 0x4f000000, 0, 0, R1(0x7fffffff), F1(NV)},
    {"-2^31", 0xcf000000, 0, 0, R1(MIN32), F1(0)},
    {"-2^31-256", 0xcf000001, 0, 0, R1(MIN32), F1(NV)},
    {"2^31-128", 0x4effffff, 0, 0, R1(0x7fffff80), F1(0)},
};

static const struct rm_case fcvt_wu_s_cases[] = {
    {"1.5", 0x3fc00000, 0, 0, R5(2, 1, 1, 2, 2), F1(NX)},
    {"-0.5", 0xbf000000, 0, 0, R1(0), F5(NX, NX, NV, NX, NV)},
    {"-1", 0xbf800000, 0, 0, R1(0), F1(NV)},
    {"-0", 0x80000000, 0, 0, R1(0), F1(0)},
    {"qNaN", QNAN_S, 0, 0, R1(ONES), F1(NV)},
    {"+inf", 0x7f800000, 0, 0, R1(ONES), F1(NV)},
    {"-inf", 0xff800000, 0, 0, R1(0), F1(NV)},
    {"2^31 sign-extended", 0x4f000000, 0, 0, R1(MIN32), F1(0)},
    {"2^32-256 sign-extended", 0x4f7fffff, 0, 0, R1(0xffffffffffffff00), F1(0)},
    {"2^32", 0x4f800000, 0, 0, R1(ONES), F1(NV)},
};

static const struct rm_case fcvt_l_s_cases[] = {
    {"-1.5", 0xbfc00000, 0, 0, R5(M(-2), M(-1), M(-2), M(-1), M(-2)), F1(NX)},
    {"2^31", 0x4f000000, 0, 0, R1(0x80000000), F1(0)},
    {"2^63", 0x5f000000, 0, 0, R1(MAX64), F1(NV)},
    {"-2^63", 0xdf000000, 0, 0, R1(MIN64), F1(0)},
    {"qNaN", QNAN_S, 0, 0, R1(MAX64), F1(NV)},
    {"-qNaN", 0xffc00000, 0, 0, R1(MAX64), F1(NV)},
    {"+inf", 0x7f800000, 0, 0, R1(MAX64), F1(NV)},
    {"-inf", 0xff800000, 0, 0, R1(MIN64), F1(NV)},
};

static const struct rm_case fcvt_lu_s_cases[] = {
    {"2.5", 0x40200000, 0, 0, R5(2, 2, 2, 3, 3), F1(NX)},
    {"-0.5", 0xbf000000, 0, 0, R1(0), F5(NX, NX, NV, NX, NV)},
    {"-0", 0x80000000, 0, 0, R1(0), F1(0)},
    {"2^63", 0x5f000000, 0, 0, R1(MIN64), F1(0)},
    {"2^64", 0x5f800000, 0, 0, R1(ONES), F1(NV)},
    {"qNaN", QNAN_S, 0, 0, R1(ONES), F1(NV)},
    {"-inf", 0xff800000, 0, 0, R1(0), F1(NV)},
    {"-1", 0xbf800000, 0, 0, R1(0), F1(NV)},
};

static const struct rm_case fcvt_w_d_cases[] = {
    {"-2.5", 0xc004000000000000, 0, 0, R5(M(-2), M(-2), M(-3), M(-2), M(-3)), F1(NX)},
    {"2^31-1", 0x41dfffffffc00000, 0, 0, R1(0x7fffffff), F1(0)},
    /* In range or not depending on the rounding direction. */
    {"2^31-0.5", 0x41dfffffffe00000, 0, 0, R1(0x7fffffff), F5(NV, NX, NX, NV, NV)},
    {"-2^31-0.5", 0xc1e0000000100000, 0, 0, R1(MIN32), F5(NX, NX, NV, NX, NV)},
    {"-2^31-1", 0xc1e0000000200000, 0, 0, R1(MIN32), F1(NV)},
    {"1e10", 0x4202a05f20000000, 0, 0, R1(0x7fffffff), F1(NV)},
    {"qNaN", QNAN_D, 0, 0, R1(0x7fffffff), F1(NV)},
    {"-inf", 0xfff0000000000000, 0, 0, R1(MIN32), F1(NV)},
};

static const struct rm_case fcvt_wu_d_cases[] = {
    {"2^32-1", 0x41efffffffe00000, 0, 0, R1(ONES), F1(0)},
    {"2^32-0.5", 0x41effffffff00000, 0, 0, R1(ONES), F5(NV, NX, NX, NV, NV)},
    {"2^31", 0x41e0000000000000, 0, 0, R1(MIN32), F1(0)},
    {"-0.5", 0xbfe0000000000000, 0, 0, R1(0), F5(NX, NX, NV, NX, NV)},
    {"-1", 0xbff0000000000000, 0, 0, R1(0), F1(NV)},
    {"qNaN", QNAN_D, 0, 0, R1(ONES), F1(NV)},
    {"2^32", 0x41f0000000000000, 0, 0, R1(ONES), F1(NV)},
};

static const struct rm_case fcvt_l_d_cases[] = {
    {"2.5", 0x4004000000000000, 0, 0, R5(2, 2, 2, 3, 3), F1(NX)},
    {"-0.5", 0xbfe0000000000000, 0, 0, R5(0, 0, M(-1), 0, M(-1)), F1(NX)},
    {"2^63-1024", 0x43dfffffffffffff, 0, 0, R1(0x7ffffffffffffc00), F1(0)},
    {"2^63", 0x43e0000000000000, 0, 0, R1(MAX64), F1(NV)},
    {"-2^63", 0xc3e0000000000000, 0, 0, R1(MIN64), F1(0)},
    {"-2^63-2048", 0xc3e0000000000001, 0, 0, R1(MIN64), F1(NV)},
    {"qNaN", QNAN_D, 0, 0, R1(MAX64), F1(NV)},
    {"-qNaN", 0xfff8000000000000, 0, 0, R1(MAX64), F1(NV)},
    {"+inf", 0x7ff0000000000000, 0, 0, R1(MAX64), F1(NV)},
    {"-inf", 0xfff0000000000000, 0, 0, R1(MIN64), F1(NV)},
};

static const struct rm_case fcvt_lu_d_cases[] = {
    {"0.5", 0x3fe0000000000000, 0, 0, R5(0, 0, 0, 1, 1), F1(NX)},
    {"-0.5", 0xbfe0000000000000, 0, 0, R1(0), F5(NX, NX, NV, NX, NV)},
    {"2^63", 0x43e0000000000000, 0, 0, R1(MIN64), F1(0)},
    {"2^64-2048", 0x43efffffffffffff, 0, 0, R1(0xfffffffffffff800), F1(0)},
    {"2^64", 0x43f0000000000000, 0, 0, R1(ONES), F1(NV)},
    {"-1", 0xbff0000000000000, 0, 0, R1(0), F1(NV)},
    {"qNaN", QNAN_D, 0, 0, R1(ONES), F1(NV)},
    {"+inf", 0x7ff0000000000000, 0, 0, R1(ONES), F1(NV)},
    {"-inf", 0xfff0000000000000, 0, 0, R1(0), F1(NV)},
};

static const struct rm_case fcvt_s_w_cases[] = {
    {"2^24+1", 16777217, 0, 0, R5(0x4b800000, 0x4b800000, 0x4b800000, 0x4b800001, 0x4b800001),
     F1(NX)},
    {"2^24+3", 16777219, 0, 0, R5(0x4b800002, 0x4b800001, 0x4b800001, 0x4b800002, 0x4b800002),
     F1(NX)},
    {"-(2^24+1)", M(-16777217), 0, 0,
     R5(0xcb800000, 0xcb800000, 0xcb800001, 0xcb800000, 0xcb800001), F1(NX)},
    {"2^31-1", 0x7fffffff, 0, 0, R5(0x4f000000, 0x4effffff, 0x4effffff, 0x4f000000, 0x4f000000),
     F1(NX)},
    {"low word -2^31", 0x0000000180000000, 0, 0, R1(0xcf000000), F1(0)},
    {"low word 1", 0xffffffff00000001, 0, 0, R1(0x3f800000), F1(0)},
    {"0", 0, 0, 0, R1(0), F1(0)},
};

static const struct rm_case fcvt_s_wu_cases[] = {
    {"2^32-1", 0xffffffff, 0, 0, R5(0x4f800000, 0x4f7fffff, 0x4f7fffff, 0x4f800000, 0x4f800000),
     F1(NX)},
    {"low word 2^31", 0xffffffff80000000, 0, 0, R1(0x4f000000), F1(0)},
    {"2^24+1", 16777217, 0, 0, R5(0x4b800000, 0x4b800000, 0x4b800000, 0x4b800001, 0x4b800001),
     F1(NX)},
};

static const struct rm_case fcvt_s_l_cases[] = {
    {"-1", ONES, 0, 0, R1(0xbf800000), F1(0)},
    {"2^63-1", MAX64, 0, 0, R5(0x5f000000, 0x5effffff, 0x5effffff, 0x5f000000, 0x5f000000), F1(NX)},
    {"-2^63", MIN64, 0, 0, R1(0xdf000000), F1(0)},
    {"2^32+1", 0x100000001, 0, 0, R5(0x4f800000, 0x4f800000, 0x4f800000, 0x4f800001, 0x4f800000),
     F1(NX)},
    {"-(2^24+1)", M(-16777217), 0, 0,
     R5(0xcb800000, 0xcb800000, 0xcb800001, 0xcb800000, 0xcb800001), F1(NX)},
};

static const struct rm_case fcvt_s_lu_cases[] = {
    {"2^64-1", ONES, 0, 0, R5(0x5f800000, 0x5f7fffff, 0x5f7fffff, 0x5f800000, 0x5f800000), F1(NX)},
    {"2^63", MIN64, 0, 0, R1(0x5f000000), F1(0)},
};

static const struct rm_case fcvt_d_w_cases[] = {
    {"low word -2^31", 0x80000000, 0, 0, R1(0xc1e0000000000000), F1(0)},
    {"2^31-1", 0x7fffffff, 0, 0, R1(0x41dfffffffc00000), F1(0)},
    {"low word 5", 0x1234567800000005, 0, 0, R1(0x4014000000000000), F1(0)},
};

static const struct rm_case fcvt_d_wu_cases[] = {
    {"2^32-1", 0xffffffff, 0, 0, R1(0x41efffffffe00000), F1(0)},
    {"low word of -1", ONES, 0, 0, R1(0x41efffffffe00000), F1(0)},
};

static const struct rm_case fcvt_d_l_cases[] = {
    {"2^53+1", 0x20000000000001, 0, 0,
     R5(0x4340000000000000, 0x4340000000000000, 0x4340000000000000, 0x4340000000000001,
        0x4340000000000001),
     F1(NX)},
    {"-(2^53+1)", M(-0x20000000000001), 0, 0,
     R5(0xc340000000000000, 0xc340000000000000, 0xc340000000000001, 0xc340000000000000,
        0xc340000000000001),
     F1(NX)},
    {"2^63-1", MAX64, 0, 0,
     R5(0x43e0000000000000, 0x43dfffffffffffff, 0x43dfffffffffffff, 0x43e0000000000000,
        0x43e0000000000000),
     F1(NX)},
    {"-2^63", MIN64, 0, 0, R1(0xc3e0000000000000), F1(0)},
};

static const struct rm_case fcvt_d_lu_cases[] = {
    {"2^64-1", ONES, 0, 0,
     R5(0x43f0000000000000, 0x43efffffffffffff, 0x43efffffffffffff, 0x43f0000000000000,
        0x43f0000000000000),
     F1(NX)},
    {"2^63", MIN64, 0, 0, R1(0x43e0000000000000), F1(0)},
};

static const struct rm_case fcvt_s_d_cases[] = {
    {"1+2^-24 tie", 0x3ff0000010000000, 0, 0,
     R5(0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001), F1(NX)},
    {"-(1+2^-24) tie", 0xbff0000010000000, 0, 0,
     R5(0xbf800000, 0xbf800000, 0xbf800001, 0xbf800000, 0xbf800001), F1(NX)},
    {"double max", 0x7fefffffffffffff, 0, 0,
     R5(0x7f800000, 0x7f7fffff, 0x7f7fffff, 0x7f800000, 0x7f800000), F1(OF | NX)},
    {"2^-200", 0x3370000000000000, 0, 0, R5(0, 0, 0, 0x00000001, 0), F1(UF | NX)},
    {"2^-149 exact", 0x36a0000000000000, 0, 0, R1(0x00000001), F1(0)},
    {"1.5*2^-149 tie", 0x36a8000000000000, 0, 0,
     R5(0x00000002, 0x00000001, 0x00000001, 0x00000002, 0x00000002), F1(UF | NX)},
    {"sNaN", 0x7ff0000000000001, 0, 0, R1(QNAN_S), F1(NV)},
    {"qNaN(payload)", 0x7ff8000000000001, 0, 0, R1(QNAN_S), F1(0)},
    {"-qNaN", 0xfff8000000000000, 0, 0, R1(QNAN_S), F1(0)},
    {"inf", 0x7ff0000000000000, 0, 0, R1(0x7f800000), F1(0)},
    {"-0", 0x8000000000000000, 0, 0, R1(0x80000000), F1(0)},
};

static const struct rm_case fcvt_d_s_cases[] = {
    {"sNaN", 0x7f800001, 0, 0, R1(QNAN_D), F1(NV)},
    {"qNaN(payload)", 0x7fc00001, 0, 0, R1(QNAN_D), F1(0)},
    {"2^-149", 0x00000001, 0, 0, R1(0x36a0000000000000), F1(0)},
    {"-inf", 0xff800000, 0, 0, R1(0xfff0000000000000), F1(0)},
    {"1/3", 0x3eaaaaab, 0, 0, R1(0x3fd5555560000000), F1(0)},
};

/* box_in: bit 0 = operand a is single; box_out: the result is a single f register. */
/* clang-format off */
#define OP(name, fn, box_in, box_out) {name, fn, box_in, box_out}
/* clang-format on */
#define RUN(op, cases)                                                                             \
    run_rm_cases(&(const struct fp_op)op, cases, sizeof(cases) / sizeof(cases[0]))

int main(void)
{
    RUN(OP("fcvt.w.s", fcvt_w_s, 1, 0), fcvt_w_s_cases);
    RUN(OP("fcvt.wu.s", fcvt_wu_s, 1, 0), fcvt_wu_s_cases);
    RUN(OP("fcvt.l.s", fcvt_l_s, 1, 0), fcvt_l_s_cases);
    RUN(OP("fcvt.lu.s", fcvt_lu_s, 1, 0), fcvt_lu_s_cases);
    RUN(OP("fcvt.w.d", fcvt_w_d, 0, 0), fcvt_w_d_cases);
    RUN(OP("fcvt.wu.d", fcvt_wu_d, 0, 0), fcvt_wu_d_cases);
    RUN(OP("fcvt.l.d", fcvt_l_d, 0, 0), fcvt_l_d_cases);
    RUN(OP("fcvt.lu.d", fcvt_lu_d, 0, 0), fcvt_lu_d_cases);
    RUN(OP("fcvt.s.w", fcvt_s_w, 0, 1), fcvt_s_w_cases);
    RUN(OP("fcvt.s.wu", fcvt_s_wu, 0, 1), fcvt_s_wu_cases);
    RUN(OP("fcvt.s.l", fcvt_s_l, 0, 1), fcvt_s_l_cases);
    RUN(OP("fcvt.s.lu", fcvt_s_lu, 0, 1), fcvt_s_lu_cases);
    RUN(OP("fcvt.d.w", fcvt_d_w, 0, 0), fcvt_d_w_cases);
    RUN(OP("fcvt.d.wu", fcvt_d_wu, 0, 0), fcvt_d_wu_cases);
    RUN(OP("fcvt.d.l", fcvt_d_l, 0, 0), fcvt_d_l_cases);
    RUN(OP("fcvt.d.lu", fcvt_d_lu, 0, 0), fcvt_d_lu_cases);
    RUN(OP("fcvt.s.d", fcvt_s_d, 0, 1), fcvt_s_d_cases);
    RUN(OP("fcvt.d.s", fcvt_d_s, 1, 0), fcvt_d_s_cases);
    return t_finish();
}
