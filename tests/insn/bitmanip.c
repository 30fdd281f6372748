/*
 * bitmanip.c: the Zba, Zbb, Zbc and Zbs extensions.
 *
 * Each instruction with its edge values: counts of zero and all-ones inputs (clz 0 = 64,
 * clzw 0 = 32), W forms that must ignore the upper half and sign-extend, rotates by 0 and
 * by amounts >= the width, carry-less products checked against vectors worked out from
 * the definition, and single-bit operations at bit 63 and with indices >= 64.
 */
#include "harness.h"

static void test_zba(void)
{
    T_RR_EXT("zba", "add.uw", 0xffffffff80000000, 1, 0x80000001);
    T_RR_EXT("zba", "add.uw", ONES, 0, 0xffffffff);
    T_RR_EXT("zba", "add.uw", 0x100000005, 0x10, 0x15);
    T_R_EXT("zba", "zext.w", MIN32, 0x80000000);
    T_R_EXT("zba", "zext.w", 0x7fffffff, 0x7fffffff);
    T_RR_EXT("zba", "sh1add", 3, 4, 10);
    T_RR_EXT("zba", "sh1add", MIN64, 1, 1);
    T_RR_EXT("zba", "sh1add", ONES, ONES, 0xfffffffffffffffd);
    T_RR_EXT("zba", "sh2add", 3, 4, 16);
    T_RR_EXT("zba", "sh2add", 0x4000000000000000, 7, 7);
    T_RR_EXT("zba", "sh3add", 3, 4, 28);
    T_RR_EXT("zba", "sh3add", 0x2000000000000001, 0, 8);
    T_RR_EXT("zba", "sh1add.uw", ONES, 1, 0x1ffffffff);
    T_RR_EXT("zba", "sh1add.uw", 0x80000000, MIN64, 0x8000000100000000);
    T_RR_EXT("zba", "sh2add.uw", 0x180000000, 0, 0x200000000);
    T_RR_EXT("zba", "sh2add.uw", ONES, ONES, 0x3fffffffb);
    T_RR_EXT("zba", "sh3add.uw", 0x180000000, 8, 0x400000008);
    T_RR_EXT("zba", "sh3add.uw", 0xffffffff00000001, ONES, 7);
    T_RI_EXT("zba", "slli.uw", 0xffffffff80000001, 4, 0x800000010);
    T_RI_EXT("zba", "slli.uw", ONES, 0, 0xffffffff);
    T_RI_EXT("zba", "slli.uw", ONES, 32, 0xffffffff00000000);
    T_RI_EXT("zba", "slli.uw", ONES, 63, MIN64);
}

static void test_zbb_logic_count(void)
{
    T_RR_EXT("zbb", "andn", 0xff, 0x0f, 0xf0);
    T_RR_EXT("zbb", "andn", ONES, MIN64, MAX64);
    T_RR_EXT("zbb", "orn", 0, 0xf, 0xfffffffffffffff0);
    T_RR_EXT("zbb", "orn", 0xf0, ONES, 0xf0);
    T_RR_EXT("zbb", "xnor", 0xf0f0, 0xff00, 0xfffffffffffff00f);
    T_RR_EXT("zbb", "xnor", ONES, ONES, ONES);

    T_R_EXT("zbb", "clz", 0, 64);
    T_R_EXT("zbb", "clz", 1, 63);
    T_R_EXT("zbb", "clz", ONES, 0);
    T_R_EXT("zbb", "clz", 0xffffffff, 32);
    T_R_EXT("zbb", "clz", 0x0000800000000000, 16);
    T_R_EXT("zbb", "clzw", 0, 32);
    T_R_EXT("zbb", "clzw", 0xffffffff00000000, 32);
    T_R_EXT("zbb", "clzw", 1, 31);
    T_R_EXT("zbb", "clzw", 0x80000000, 0);
    T_R_EXT("zbb", "clzw", 0x00010000, 15);
    T_R_EXT("zbb", "ctz", 0, 64);
    T_R_EXT("zbb", "ctz", MIN64, 63);
    T_R_EXT("zbb", "ctz", 1, 0);
    T_R_EXT("zbb", "ctz", 0x100000000, 32);
    T_R_EXT("zbb", "ctzw", 0, 32);
    T_R_EXT("zbb", "ctzw", 0x100000000, 32);
    T_R_EXT("zbb", "ctzw", 0x80000000, 31);
    T_R_EXT("zbb", "ctzw", 0xffffffff00000008, 3);
    /* Low word 0, upper word not: 32, however many trailing zeros the upper word has. */
    T_R_EXT("zbb", "ctzw", MIN64, 32);
    T_R_EXT("zbb", "ctzw", 0x4000000000000000, 32);
    T_R_EXT("zbb", "ctzw", 0xffffffff00000000, 32);
    T_R_EXT("zbb", "clzw", MIN64, 32);
    T_R_EXT("zbb", "cpopw", MIN64, 0);
    T_R_EXT("zbb", "cpop", ONES, 64);
    T_R_EXT("zbb", "cpop", 0, 0);
    T_R_EXT("zbb", "cpop", 0x5555555555555555, 32);
    T_R_EXT("zbb", "cpop", MIN64 | 1, 2);
    T_R_EXT("zbb", "cpopw", ONES, 32);
    T_R_EXT("zbb", "cpopw", 0xffffffff00000001, 1);
    T_R_EXT("zbb", "cpopw", 0x80000000, 1);
    T_R_EXT("zbb", "cpopw", 0, 0);
}

static void test_zbb_minmax_ext(void)
{
    T_RR_EXT("zbb", "max", ONES, 1, 1);
    T_RR_EXT("zbb", "max", MIN64, MAX64, MAX64);
    T_RR_EXT("zbb", "maxu", ONES, 1, ONES);
    T_RR_EXT("zbb", "maxu", MIN64, MAX64, MIN64);
    T_RR_EXT("zbb", "min", ONES, 1, ONES);
    T_RR_EXT("zbb", "min", MIN64, MAX64, MIN64);
    T_RR_EXT("zbb", "minu", ONES, 1, 1);
    T_RR_EXT("zbb", "minu", MIN64, MAX64, MAX64);
    T_RR_EXT("zbb", "min", 0x80000000, 0xffffffff80000000, 0xffffffff80000000);

    T_R_EXT("zbb", "sext.b", 0x80, 0xffffffffffffff80);
    T_R_EXT("zbb", "sext.b", 0x7f, 0x7f);
    T_R_EXT("zbb", "sext.b", 0x1234567890abcdff, ONES);
    T_R_EXT("zbb", "sext.h", 0x8000, 0xffffffffffff8000);
    T_R_EXT("zbb", "sext.h", 0x12347fff, 0x7fff);
    T_R_EXT("zbb", "zext.h", 0xffffffffffff8001, 0x8001);
    T_R_EXT("zbb", "zext.h", 0x10000, 0);
}

static void test_zbb_rotate_bytes(void)
{
    T_RR_EXT("zbb", "rol", 0x8000000000000001, 1, 3);
    T_RR_EXT("zbb", "rol", 0x0123456789abcdef, 64, 0x0123456789abcdef);
    T_RR_EXT("zbb", "rol", 1, 127, MIN64);
    T_RR_EXT("zbb", "rol", 0x0123456789abcdef, 8, 0x23456789abcdef01);
    T_RR_EXT("zbb", "ror", 1, 1, MIN64);
    T_RR_EXT("zbb", "ror", 0x0123456789abcdef, 0, 0x0123456789abcdef);
    T_RR_EXT("zbb", "ror", 0x0123456789abcdef, 4, 0xf0123456789abcde);
    T_RR_EXT("zbb", "ror", 3, 65, 0x8000000000000001);
    T_RI_EXT("zbb", "rori", 0x0123456789abcdef, 0, 0x0123456789abcdef);
    T_RI_EXT("zbb", "rori", 1, 63, 2);
    T_RI_EXT("zbb", "rori", 0x0123456789abcdef, 32, 0x89abcdef01234567);
    T_RR_EXT("zbb", "rolw", 0x80000000, 1, 1);
    T_RR_EXT("zbb", "rolw", 0x40000000, 1, MIN32);
    T_RR_EXT("zbb", "rolw", 0xffffffff00000001, 31, MIN32);
    T_RR_EXT("zbb", "rolw", 1, 33, 2);
    T_RR_EXT("zbb", "rolw", 0x87654321, 0, 0xffffffff87654321);
    T_RR_EXT("zbb", "rolw", 0x87654321, 4, 0x76543218);
    T_RR_EXT("zbb", "rorw", 1, 1, MIN32);
    T_RR_EXT("zbb", "rorw", 0x87654321, 4, 0x18765432);
    T_RR_EXT("zbb", "rorw", 0x87654321, 36, 0x18765432);
    T_RR_EXT("zbb", "rorw", 0x5555555500000002, 1, 1);
    T_RI_EXT("zbb", "roriw", 0xffffffff, 0, ONES);
    T_RI_EXT("zbb", "roriw", 0x1234567800000001, 1, MIN32);
    T_RI_EXT("zbb", "roriw", 0x87654321, 16, 0x43218765);
    T_RI_EXT("zbb", "roriw", 0x87654321, 31, 0x0eca8643);

    T_R_EXT("zbb", "orc.b", 0x0100ff0000800001, 0xff00ff0000ff00ff);
    T_R_EXT("zbb", "orc.b", 0, 0);
    T_R_EXT("zbb", "orc.b", ONES, ONES);
    T_R_EXT("zbb", "orc.b", 0x8000000000000001, 0xff000000000000ff);
    T_R_EXT("zbb", "rev8", 0x0102030405060708, 0x0807060504030201);
    T_R_EXT("zbb", "rev8", 0x80, MIN64);
}

static void test_zbc(void)
{
    T_RR_EXT("zbc", "clmul", 3, 3, 5);
    T_RR_EXT("zbc", "clmulh", 3, 3, 0);
    T_RR_EXT("zbc", "clmulr", 3, 3, 0);
    T_RR_EXT("zbc", "clmul", ONES, ONES, 0x5555555555555555);
    T_RR_EXT("zbc", "clmulh", ONES, ONES, 0x5555555555555555);
    T_RR_EXT("zbc", "clmulr", ONES, ONES, 0xaaaaaaaaaaaaaaaa);
    T_RR_EXT("zbc", "clmul", MIN64, 2, 0);
    T_RR_EXT("zbc", "clmulh", MIN64, 2, 1);
    T_RR_EXT("zbc", "clmulr", MIN64, 2, 2);
    T_RR_EXT("zbc", "clmulh", MIN64, MIN64, 0x4000000000000000);
    T_RR_EXT("zbc", "clmulr", MIN64, MIN64, MIN64);
    T_RR_EXT("zbc", "clmul", 0x8000000000000001, ONES, MAX64);
    T_RR_EXT("zbc", "clmulh", 0x8000000000000001, ONES, MAX64);
    T_RR_EXT("zbc", "clmulr", 0x8000000000000001, ONES, 0xfffffffffffffffe);
    T_RR_EXT("zbc", "clmul", 0x0123456789abcdef, 0xfedcba9876543210, 0x40a0789828c810f0);
    T_RR_EXT("zbc", "clmulh", 0x0123456789abcdef, 0xfedcba9876543210, 0x00e038d8688850b0);
    T_RR_EXT("zbc", "clmulr", 0x0123456789abcdef, 0xfedcba9876543210, 0x01c071b0d110a160);
    T_RR_EXT("zbc", "clmul", 0xdeadbeefcafef00d, 0x100000003, 0xa908333d5f031017);
    T_RR_EXT("zbc", "clmulh", 0xdeadbeefcafef00d, 0x100000003, 0xdeadbeee);
    T_RR_EXT("zbc", "clmulr", 0xdeadbeefcafef00d, 0x100000003, 0x1bd5b7ddd);
    T_RR_EXT("zbc", "clmul", 0x0123456789abcdef, 1, 0x0123456789abcdef);
    T_RR_EXT("zbc", "clmulh", 0x0123456789abcdef, 1, 0);
}

static void test_zbs(void)
{
    T_RR_EXT("zbs", "bset", 0, 63, MIN64);
    T_RR_EXT("zbs", "bset", 0, 64, 1);
    T_RR_EXT("zbs", "bset", 0, 31, 0x80000000);
    T_RI_EXT("zbs", "bseti", 0, 63, MIN64);
    T_RI_EXT("zbs", "bseti", 0, 31, 0x80000000);
    T_RI_EXT("zbs", "bseti", ONES, 5, ONES);
    T_RR_EXT("zbs", "bclr", ONES, 63, MAX64);
    T_RR_EXT("zbs", "bclr", ONES, 127, MAX64);
    T_RI_EXT("zbs", "bclri", ONES, 0, 0xfffffffffffffffe);
    T_RI_EXT("zbs", "bclri", 0x80000000, 31, 0);
    T_RI_EXT("zbs", "bclri", MIN64, 63, 0);
    T_RR_EXT("zbs", "binv", 0, 127, MIN64);
    T_RR_EXT("zbs", "binv", ONES, 32, 0xfffffffeffffffff);
    T_RI_EXT("zbs", "binvi", MIN64, 63, 0);
    T_RI_EXT("zbs", "binvi", 0, 31, 0x80000000);
    T_RR_EXT("zbs", "bext", MIN64, 63, 1);
    T_RR_EXT("zbs", "bext", MIN64, 127, 1);
    T_RR_EXT("zbs", "bext", MAX64, 63, 0);
    T_RR_EXT("zbs", "bext", 0x100000000, 32, 1);
    T_RI_EXT("zbs", "bexti", MAX64, 63, 0);
    T_RI_EXT("zbs", "bexti", MIN64, 63, 1);
    T_RI_EXT("zbs", "bexti", 1, 0, 1);
    T_RI_EXT("zbs", "bexti", 2, 0, 0);
    T_RI_EXT("zbs", "bexti", 0x100000000, 32, 1);
}

int main(void)
{
    test_zba();
    test_zbb_logic_count();
    test_zbb_minmax_ext();
    test_zbb_rotate_bytes();
    test_zbc();
    test_zbs();
    return t_finish();
}
