/*
 * rvc.c: compressed instructions (RV64C), written with their c. mnemonics so that the
 * assembler must encode them in 16 bits.
 *
 * The interesting parts are the immediates the 16-bit formats scatter and scale:
 * c.addi16sp, c.addi4spn, negative c.lui and c.andi, shifts by 32..63, c.addiw/c.addw/
 * c.subw sign extension, the sp-relative loads and stores, and c.jalr linking pc + 2.
 * Operands go through fixed registers (a0, a1 are in the x8-x15 range the 3-bit register
 * fields can name).
 */
#include "harness.h"

/* a0 = in; insns; result = a0 */
#define C1(insns, in)                                                                              \
    ({                                                                                             \
        u64 r_;                                                                                    \
        __asm__ volatile("mv a0, %1\n\t" insns "\n\tmv %0, a0"                                     \
                         : "=r"(r_)                                                                \
                         : "r"((u64)(in))                                                          \
                         : "a0");                                                                  \
        r_;                                                                                        \
    })
/* a0 = in0; a1 = in1; insns; result = a0 */
#define C2(insns, in0, in1)                                                                        \
    ({                                                                                             \
        u64 r_;                                                                                    \
        __asm__ volatile("mv a0, %1\n\tmv a1, %2\n\t" insns "\n\tmv %0, a0"                        \
                         : "=r"(r_)                                                                \
                         : "r"((u64)(in0)), "r"((u64)(in1))                                        \
                         : "a0", "a1");                                                            \
        r_;                                                                                        \
    })
/* sp = in; insns; result = a0 (sp restored afterwards) */
#define CSP(insns, in)                                                                             \
    ({                                                                                             \
        u64 r_;                                                                                    \
        __asm__ volatile("mv t0, sp\n\tmv sp, %1\n\t" insns "\n\tmv sp, t0\n\tmv %0, a0"           \
                         : "=r"(r_)                                                                \
                         : "r"((u64)(in))                                                          \
                         : "t0", "a0", "fa0", "memory");                                           \
        r_;                                                                                        \
    })

#define T_C1(insns, in, exp)   t_check_args(insns, 1, (const u64[]){(in)}, C1(insns, in), exp)
#define T_C2(insns, a, b, exp) t_check_args(insns, 2, (const u64[]){(a), (b)}, C2(insns, a, b), exp)

static u64 buf[8] __attribute__((aligned(16)));

static void test_immediates(void)
{
    T_C1("c.li a0, -32", 0, 0xffffffffffffffe0);
    T_C1("c.li a0, 31", 0, 31);
    T_C1("c.lui a0, 0xfffff", 0, 0xfffffffffffff000);
    T_C1("c.lui a0, 0xfffe0", 0, 0xfffffffffffe0000);
    T_C1("c.lui a0, 0x1f", 0, 0x1f000);
    T_C1("c.lui a0, 1", 5, 0x1000);
    T_C1("c.addi a0, -32", 0, 0xffffffffffffffe0);
    T_C1("c.addi a0, 31", MAX64, 0x800000000000001e);
    T_C1("c.addiw a0, 1", 0x7fffffff, MIN32);
    T_C1("c.addiw a0, 0", 0xffffffff, ONES);
    T_C1("c.addiw a0, -1", 0x1234567800000000, ONES);
    T_C1("c.slli a0, 1", MIN64 | 1, 2);
    T_C1("c.slli a0, 63", 3, MIN64);
    T_C1("c.slli a0, 32", 0x87654321, 0x8765432100000000);
    T_C1("c.srli a0, 63", MIN64, 1);
    T_C1("c.srli a0, 32", ONES, 0xffffffff);
    T_C1("c.srli a0, 1", MIN64, 0x4000000000000000);
    T_C1("c.srai a0, 3", 0xfffffffffffffff0, 0xfffffffffffffffe);
    T_C1("c.srai a0, 63", MIN64, ONES);
    T_C1("c.srai a0, 32", MIN64, 0xffffffff80000000);
    T_C1("c.andi a0, -5", ONES, 0xfffffffffffffffb);
    T_C1("c.andi a0, -32", 0x12345, 0x12340);
    T_C1("c.andi a0, 31", ONES, 31);
    T_C1("c.nop", 0x1234, 0x1234);
}

static void test_reg_reg(void)
{
    T_C2("c.mv a0, a1", 1, MIN64, MIN64);
    T_C2("c.add a0, a1", MAX64, 1, MIN64);
    T_C2("c.sub a0, a1", 0, 1, ONES);
    T_C2("c.xor a0, a1", 0xff00, 0x0ff0, 0xf0f0);
    T_C2("c.or a0, a1", 0xff00, 0x0ff0, 0xfff0);
    T_C2("c.and a0, a1", 0xff00, 0x0ff0, 0x0f00);
    T_C2("c.addw a0, a1", 0x7fffffff, 1, MIN32);
    T_C2("c.addw a0, a1", 0xffffffff00000003, 0x1200000004, 7);
    T_C2("c.subw a0, a1", 0x80000000, 1, 0x7fffffff);
    T_C2("c.subw a0, a1", 0, 0x80000000, MIN32);
}

static void test_sp(void)
{
    u64 base = (u64)buf;

    t_check("c.addi16sp sp, -512", NULL, CSP("c.addi16sp sp, -512\n\tmv a0, sp", 0x10000),
            0x10000 - 512);
    t_check("c.addi16sp sp, 496", NULL, CSP("c.addi16sp sp, 496\n\tmv a0, sp", 0x10000),
            0x10000 + 496);
    t_check("c.addi16sp sp, 16", NULL, CSP("c.addi16sp sp, 16\n\tmv a0, sp", 0x10000), 0x10010);
    t_check("c.addi4spn a0, sp, 1020", NULL, CSP("c.addi4spn a0, sp, 1020", 0x10000),
            0x10000 + 1020);
    t_check("c.addi4spn a0, sp, 4", NULL, CSP("c.addi4spn a0, sp, 4", 0x10000), 0x10004);

    buf[0] = 0x1122334480000000;
    buf[1] = 0x8877665544332211;
    t_check("c.lwsp", NULL, CSP("c.lwsp a0, 0(sp)", base), MIN32);
    t_check("c.lwsp", "offset 4", CSP("c.lwsp a0, 4(sp)", base), 0x11223344);
    t_check("c.ldsp", NULL, CSP("c.ldsp a0, 8(sp)", base), 0x8877665544332211);
    CSP("li a0, -2\n\tc.sdsp a0, 16(sp)", base);
    t_check("c.sdsp", NULL, buf[2], 0xfffffffffffffffe);
    CSP("li a0, 0x5a5a5a5a\n\tc.swsp a0, 20(sp)", base);
    t_check("c.swsp", NULL, buf[2], 0x5a5a5a5afffffffe);
    t_check("c.fldsp", NULL, CSP("c.fldsp fa0, 8(sp)\n\tfmv.x.d a0, fa0", base),
            0x8877665544332211);
    CSP("li a0, 0x400921fb54442d18\n\tfmv.d.x fa0, a0\n\tc.fsdsp fa0, 24(sp)", base);
    t_check("c.fsdsp", NULL, buf[3], 0x400921fb54442d18);
}

static void test_loads_stores(void)
{
    u64 base = (u64)buf;

    buf[4] = 0x7fffffff80000001;
    buf[5] = 0x0102030405060708;
    t_check("c.lw", NULL, C2("c.lw a0, 32(a1)", 0, base), 0xffffffff80000001);
    t_check("c.lw", "offset 36", C2("c.lw a0, 36(a1)", 0, base), 0x7fffffff);
    t_check("c.ld", NULL, C2("c.ld a0, 40(a1)", 0, base), 0x0102030405060708);
    C2("c.sd a0, 48(a1)", 0xdeadbeefcafef00d, base);
    t_check("c.sd", NULL, buf[6], 0xdeadbeefcafef00d);
    C2("c.sw a0, 52(a1)", 0x1234567800000000, base);
    t_check("c.sw", NULL, buf[6], 0x00000000cafef00d);
    t_check("c.fld", NULL, C2("c.fld fa0, 40(a1)\n\tfmv.x.d a0, fa0", 0, base), 0x0102030405060708);
    C2("fmv.d.x fa0, a0\n\tc.fsd fa0, 56(a1)", 0x3ff0000000000000, base);
    t_check("c.fsd", NULL, buf[7], 0x3ff0000000000000);
}

static void test_control(void)
{
    /* c.j skips; c.beqz/c.bnez test all 64 bits. */
    t_check("c.j", NULL, C1("c.j 1f\n\tli a0, 1\n1:", 0), 0);
    t_check("c.beqz", "taken", C1("c.beqz a0, 1f\n\tli a0, 7\n1:", 0), 0);
    t_check("c.beqz", "not taken", C1("c.beqz a0, 1f\n\tli a0, 7\n1:", 0x100000000), 7);
    t_check("c.bnez", "taken", C1("c.bnez a0, 1f\n\tli a0, 7\n1:", MIN64), MIN64);
    t_check("c.bnez", "not taken", C1("c.bnez a0, 1f\n\tli a0, 7\n1:", 0), 7);

    u64 link, ret;
    __asm__ volatile("lla t0, 1f\n\tc.jalr t0\n2: li %1, 0\n1: mv %0, ra\n\tlla %1, 2b"
                     : "=&r"(link), "=&r"(ret)
                     :
                     : "t0", "ra");
    t_check("c.jalr", "links pc + 2", link, ret);

    u64 skipped = 0;
    __asm__ volatile("lla t0, 1f\n\tc.jr t0\n\tli %0, 1\n1:" : "+r"(skipped) : : "t0");
    t_check("c.jr", "skips", skipped, 0);
}

int main(void)
{
    test_immediates();
    test_reg_reg();
    test_sp();
    test_loads_stores();
    test_control();
    return t_finish();
}
