/*
 * regs.c: every register number in every operand field.
 *
 * The other tests use a few fixed registers; a decoder or translator can still get a
 * field wrong only for some register numbers (say, a sign problem when bit 31 of the
 * instruction is set, i.e. rs3 >= 16). Here each x register (sp, gp and tp included,
 * saved and restored around the sweep) and each f register is used as rd, rs1, rs2 (and
 * rs3) at once, in 32-bit and compressed encodings and in FP instructions with and without
 * a rounding-mode field.
 */
#include "harness.h"

static u64 xout[32];    /* x sweep: result per register */
static u64 xcout[32];   /* compressed x sweep */
static u64 fout[5][32]; /* f sweeps */

/*
 * void x_sweep(u64 *out, u64 *cout): for every xN but a0 (the output base):
 * xN = 21; xN = xN + xN; xN = xN << 1 (expect 84), in 32-bit and then compressed forms.
 * a0 itself is done with a1 as the base. ra, sp, gp, tp and s0-s11 are saved in a static
 * area and restored at the end.
 */
__asm__(".pushsection .text\n"
        ".option push\n"
        ".option norelax\n"
        "x_sweep:\n"
        "    lla t0, x_sweep_save\n"
        "    sd ra, 0(t0)\n    sd sp, 8(t0)\n    sd gp, 16(t0)\n    sd tp, 24(t0)\n"
        "    sd s0, 32(t0)\n    sd s1, 40(t0)\n    sd s2, 48(t0)\n    sd s3, 56(t0)\n"
        "    sd s4, 64(t0)\n    sd s5, 72(t0)\n    sd s6, 80(t0)\n    sd s7, 88(t0)\n"
        "    sd s8, 96(t0)\n    sd s9, 104(t0)\n    sd s10, 112(t0)\n    sd s11, 120(t0)\n"
        "    sd a1, 128(t0)\n"
        ".option norvc\n"
        ".irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "    addi x\\n, x0, 21\n"
        "    add x\\n, x\\n, x\\n\n"
        "    slli x\\n, x\\n, 1\n"
        "    sd x\\n, (\\n * 8)(a0)\n"
        ".endr\n"
        "    mv a1, a0\n"
        "    addi a0, x0, 21\n    add a0, a0, a0\n    slli a0, a0, 1\n    sd a0, 80(a1)\n"
        "    lla a0, x_sweep_save\n"
        "    ld a0, 128(a0)\n"
        ".option rvc\n"
        ".irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "    c.li x\\n, 21\n"
        "    c.add x\\n, x\\n\n"
        "    c.slli x\\n, 1\n"
        "    sd x\\n, (\\n * 8)(a0)\n"
        ".endr\n"
        "    mv a1, a0\n"
        "    c.li a0, 21\n    c.add a0, a0\n    c.slli a0, 1\n    sd a0, 80(a1)\n"
        "    lla t0, x_sweep_save\n"
        "    ld ra, 0(t0)\n    ld sp, 8(t0)\n    ld gp, 16(t0)\n    ld tp, 24(t0)\n"
        "    ld s0, 32(t0)\n    ld s1, 40(t0)\n    ld s2, 48(t0)\n    ld s3, 56(t0)\n"
        "    ld s4, 64(t0)\n    ld s5, 72(t0)\n    ld s6, 80(t0)\n    ld s7, 88(t0)\n"
        "    ld s8, 96(t0)\n    ld s9, 104(t0)\n    ld s10, 112(t0)\n    ld s11, 120(t0)\n"
        "    ret\n"
        ".option pop\n"
        ".popsection\n"
        ".pushsection .bss\n"
        ".balign 8\n"
        "x_sweep_save: .zero 136\n"
        ".popsection\n");

void x_sweep(u64 *out, u64 *cout);

/* f sweeps: fN = value; op with fN in every field; out[N] = fN (or the x result). */
#define F_SWEEP(out, value, insn)                                                                  \
    __asm__ volatile(".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"   \
                     "25,26,27,28,29,30,31\n"                                                      \
                     "    fmv.d.x f\\n, %1\n"                                                      \
                     "    " insn "\n"                                                              \
                     "    fsd f\\n, (\\n * 8)(%0)\n"                                               \
                     ".endr"                                                                       \
                     :                                                                             \
                     : "r"(out), "r"((u64)(value))                                                 \
                     : "memory", "a0", "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", \
                       "f10", "f11", "f12", "f13", "f14", "f15", "f16", "f17", "f18", "f19",       \
                       "f20", "f21", "f22", "f23", "f24", "f25", "f26", "f27", "f28", "f29",       \
                       "f30", "f31")

static void check_sweep(const char *name, const u64 *out, u64 exp, int skip)
{
    static const char *const names[32] = {"0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",
                                          "8",  "9",  "10", "11", "12", "13", "14", "15",
                                          "16", "17", "18", "19", "20", "21", "22", "23",
                                          "24", "25", "26", "27", "28", "29", "30", "31"};

    for (int n = skip; n < 32; n++) {
        t_check(name, names[n], out[n], exp);
    }
}

int main(void)
{
    x_sweep(xout, xcout);
    check_sweep("add/slli x<n> in every field", xout, 84, 1);
    check_sweep("c.li/c.add/c.slli x<n>", xcout, 84, 1);

    /* 2 * 2 + 2 = 6, rs3 = f16..f31 sets bit 31 of the encoding. */
    F_SWEEP(fout[0], 0x4000000000000000ull, "fmadd.d f\\n, f\\n, f\\n, f\\n, rne");
    check_sweep("fmadd.d f<n> in every field", fout[0], 0x4018000000000000ull, 0);
    /* -(2 * 2) + 2 = -2, single precision, dynamic rm. */
    F_SWEEP(fout[1], BOX(0x40000000), "fnmsub.s f\\n, f\\n, f\\n, f\\n");
    check_sweep("fnmsub.s f<n> in every field", fout[1], BOX(0xc0000000), 0);
    F_SWEEP(fout[2], 0x4010000000000000ull, "fsqrt.d f\\n, f\\n, rtz");
    check_sweep("fsqrt.d f<n> in both fields", fout[2], 0x4000000000000000ull, 0);
    F_SWEEP(fout[3], 0xc000000000000000ull, "fsgnjx.d f\\n, f\\n, f\\n");
    check_sweep("fsgnjx.d f<n> in every field", fout[3], 0x4000000000000000ull, 0);
    /* Through an x register: fcvt.l.d a0, fN then fcvt.d.l fN, a0 (value 3 + 0.5 -> 4). */
    F_SWEEP(fout[4], 0x400c000000000000ull,
            "fcvt.l.d a0, f\\n, rne\n\taddi a0, a0, 1\n\tfcvt.d.l f\\n, a0, rne");
    check_sweep("fcvt.l.d/fcvt.d.l f<n>", fout[4], 0x4014000000000000ull, 0);
    return t_finish();
}
