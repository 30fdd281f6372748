/*
 * fp.h: helpers for the floating-point tests.
 *
 * Every FP case runs the instruction with fflags cleared just before it and reads fflags
 * just after it, so the flags checked are exactly the ones that instruction raised.
 * Operands travel as raw 64-bit register images: a single-precision operand is given as
 * its 32-bit pattern and NaN-boxed by the runner, and a single-precision result is
 * expected NaN-boxed, so the boxing of every result is checked too.
 *
 * Rounding-mode tables: a case lists its expected result and flags for RNE, RTZ, RDN,
 * RUP and RMM. run_rm_cases() runs each case ten times: with each static rm (while frm
 * holds a different mode, which the instruction must ignore) and with rm = dyn for each
 * value of frm.
 */
#ifndef INSN_FP_H
#define INSN_FP_H

#include "harness.h"

/* One operation tested under every rounding mode. */
typedef u64 (*fp_fn)(int rm, u64 a, u64 b, u64 c, unsigned *ret_flags);

struct fp_op {
    const char *mn; /* mnemonic, for the report */
    fp_fn fn;       /* runs the instruction with the given rm */
    u8 box_in;      /* bit i set: operand i is single precision (NaN-box it) */
    u8 box_out;     /* the result is a single-precision f register (expect it boxed) */
};

struct rm_case {
    const char *name; /* what the case is about */
    u64 a, b, c;      /* operands (only as many as the instruction reads) */
    u64 r[5];         /* expected result for RNE, RTZ, RDN, RUP, RMM */
    u8 fl[5];         /* expected fflags for RNE, RTZ, RDN, RUP, RMM */
};

/* clang-format off */
#define R1(x)                  {(x), (x), (x), (x), (x)}
#define R5(ne, tz, dn, up, mm) {(ne), (tz), (dn), (up), (mm)}
#define F1(x)                  {(x), (x), (x), (x), (x)}
#define F5(ne, tz, dn, up, mm) {(ne), (tz), (dn), (up), (mm)}
/* clang-format on */

void run_rm_cases(const struct fp_op *op, const struct rm_case *cases, size_t n);

static inline void set_frm(unsigned rm)
{
    __asm__ volatile("fsrm %0" : : "r"((u64)rm));
}

/* Load ft0..ft2 from the operands, clear fflags, run the instruction (destination ft3 or
 * %0), read fflags. */
#define FP_PRE                                                                                     \
    "fmv.d.x ft0, %2\n\tfmv.d.x ft1, %3\n\tfmv.d.x ft2, %4\n\t"                                    \
    "csrw fflags, zero\n\t"
#define FP_F(insn, rm) FP_PRE insn rm "\n\tfrflags %1\n\tfmv.x.d %0, ft3"
#define FP_X(insn, rm) FP_PRE insn rm "\n\tfrflags %1"
#define FP_CALL(tmpl, insn, rm)                                                                    \
    __asm__ volatile(tmpl(insn, rm)                                                                \
                     : "=&r"(r), "=&r"(f)                                                          \
                     : "r"(a), "r"(b), "r"(c)                                                      \
                     : "ft0", "ft1", "ft2", "ft3")

/*
 * Define fn(rm, a, b, c, &flags) running `insn` (e.g. "fadd.s ft3, ft0, ft1") with each
 * rounding mode; tmpl is FP_F for an f destination (ft3) or FP_X for an x one (%0).
 */
#define DEF_RM(fn, tmpl, insn)                                                                     \
    static u64 fn(int rm, u64 a, u64 b, u64 c, unsigned *ret_flags)                                \
    {                                                                                              \
        u64 r, f;                                                                                  \
        switch (rm) {                                                                              \
        case RNE:                                                                                  \
            FP_CALL(tmpl, insn, ", rne");                                                          \
            break;                                                                                 \
        case RTZ:                                                                                  \
            FP_CALL(tmpl, insn, ", rtz");                                                          \
            break;                                                                                 \
        case RDN:                                                                                  \
            FP_CALL(tmpl, insn, ", rdn");                                                          \
            break;                                                                                 \
        case RUP:                                                                                  \
            FP_CALL(tmpl, insn, ", rup");                                                          \
            break;                                                                                 \
        case RMM:                                                                                  \
            FP_CALL(tmpl, insn, ", rmm");                                                          \
            break;                                                                                 \
        default:                                                                                   \
            FP_CALL(tmpl, insn, ", dyn");                                                          \
            break;                                                                                 \
        }                                                                                          \
        *ret_flags = (unsigned)f;                                                                  \
        return r;                                                                                  \
    }

/*
 * The same for the exact conversions (fcvt.d.w, fcvt.d.wu, fcvt.d.s), which binutils 2.40
 * will not take an rm operand for although the encoding has one: spelled as
 * `pre <rm number> post` with .insn, rm in funct3.
 */
#define DEF_RM_INSN(fn, tmpl, pre, post)                                                           \
    static u64 fn(int rm, u64 a, u64 b, u64 c, unsigned *ret_flags)                                \
    {                                                                                              \
        u64 r, f;                                                                                  \
        switch (rm) {                                                                              \
        case RNE:                                                                                  \
            FP_CALL(tmpl, pre "0" post, "");                                                       \
            break;                                                                                 \
        case RTZ:                                                                                  \
            FP_CALL(tmpl, pre "1" post, "");                                                       \
            break;                                                                                 \
        case RDN:                                                                                  \
            FP_CALL(tmpl, pre "2" post, "");                                                       \
            break;                                                                                 \
        case RUP:                                                                                  \
            FP_CALL(tmpl, pre "3" post, "");                                                       \
            break;                                                                                 \
        case RMM:                                                                                  \
            FP_CALL(tmpl, pre "4" post, "");                                                       \
            break;                                                                                 \
        default:                                                                                   \
            FP_CALL(tmpl, pre "7" post, "");                                                       \
            break;                                                                                 \
        }                                                                                          \
        *ret_flags = (unsigned)f;                                                                  \
        return r;                                                                                  \
    }

/* Run an instruction without a rounding mode once; evaluates to the result. */
#define FP_NORM(tmpl, insn, a_, b_, c_, flags)                                                     \
    ({                                                                                             \
        u64 r, f, a = (a_), b = (b_), c = (c_);                                                    \
        FP_CALL(tmpl, insn, "");                                                                   \
        (flags) = (unsigned)f;                                                                     \
        r;                                                                                         \
    })

#endif
