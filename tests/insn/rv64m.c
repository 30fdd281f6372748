/*
 * rv64m.c: multiplication and division (RV64M).
 *
 * The high-half multiplies with every signedness combination, the W forms with garbage
 * in the upper halves of their inputs, and the division corner cases the ISA defines
 * instead of trapping: x / 0 = -1 (all ones), x % 0 = x, MIN / -1 = MIN, MIN % -1 = 0,
 * with the W forms sign-extending their 32-bit results.
 */
#include "harness.h"

static void test_mul(void)
{
    T_RR("mul", 6, 7, 42);
    T_RR("mul", ONES, ONES, 1);
    T_RR("mul", MIN64, ONES, MIN64);
    T_RR("mul", 0x100000000, 0x100000000, 0);
    T_RR("mul", 0x123456789, 0x10, 0x1234567890);
    T_RR("mulh", ONES, ONES, 0);
    T_RR("mulh", MIN64, MIN64, 0x4000000000000000);
    T_RR("mulh", MIN64, ONES, 0);
    T_RR("mulh", MAX64, MAX64, 0x3fffffffffffffff);
    T_RR("mulh", MIN64, 2, ONES);
    T_RR("mulh", ONES, 1, ONES);
    T_RR("mulhu", ONES, ONES, 0xfffffffffffffffe);
    T_RR("mulhu", MIN64, 2, 1);
    T_RR("mulhu", ONES, 1, 0);
    T_RR("mulhu", 0x100000000, 0x100000000, 1);
    /* mulhsu: rs1 signed, rs2 unsigned. */
    T_RR("mulhsu", ONES, ONES, ONES);
    T_RR("mulhsu", MIN64, ONES, MIN64);
    T_RR("mulhsu", 1, ONES, 0);
    T_RR("mulhsu", ONES, 1, ONES);
    T_RR("mulhsu", 2, MIN64, 1);
    T_RR("mulhsu", 0xfffffffffffffffe, MIN64, ONES);
    T_RR("mulw", 0x7fffffff, 2, 0xfffffffffffffffe);
    T_RR("mulw", 0x100000003, 0x100000005, 15);
    T_RR("mulw", 0x10000, 0x10000, 0);
    T_RR("mulw", 0x10000, 0x8000, MIN32);
    T_RR("mulw", ONES, 0x80000000, MIN32);
}

static void test_div(void)
{
    T_RR("div", 42, 5, 8);
    T_RR("div", -7ull, 2, -3ull);
    T_RR("div", 7, -2ull, -3ull);
    T_RR("div", -7ull, -2ull, 3);
    T_RR("div", 5, 0, ONES);
    T_RR("div", 0, 0, ONES);
    T_RR("div", MIN64, 0, ONES);
    T_RR("div", MIN64, ONES, MIN64);
    T_RR("div", MIN64, 1, MIN64);
    T_RR("div", 0x100000000, 0xffffffff, 1);
    T_RR("divu", 42, 5, 8);
    T_RR("divu", -7ull, 2, 0x7ffffffffffffffc);
    T_RR("divu", 5, 0, ONES);
    T_RR("divu", 0, 0, ONES);
    T_RR("divu", MIN64, ONES, 0);
    T_RR("divu", ONES, ONES, 1);
    T_RR("rem", 42, 5, 2);
    T_RR("rem", -7ull, 2, ONES);
    T_RR("rem", 7, -2ull, 1);
    T_RR("rem", -7ull, -2ull, ONES);
    T_RR("rem", 5, 0, 5);
    T_RR("rem", -5ull, 0, -5ull);
    T_RR("rem", MIN64, ONES, 0);
    T_RR("rem", MIN64, 0, MIN64);
    T_RR("remu", 42, 5, 2);
    T_RR("remu", -7ull, 2, 1);
    T_RR("remu", 5, 0, 5);
    T_RR("remu", ONES, 0, ONES);
    T_RR("remu", MIN64, ONES, MIN64);
    T_RR("remu", ONES, 0x10, 15);
}

static void test_div_w(void)
{
    T_RR("divw", 42, 5, 8);
    T_RR("divw", 0xfffffff9, 2, -3ull); /* low word -7 */
    T_RR("divw", 0xffffffff00000006, 0x1234567800000003, 2);
    T_RR("divw", 5, 0, ONES);
    T_RR("divw", 5, 0x100000000, ONES); /* divisor's low word is 0 */
    T_RR("divw", 0x80000000, 0xffffffff, MIN32);
    T_RR("divw", 0x80000000, 1, MIN32);
    T_RR("divw", MIN64, 1, 0);
    T_RR("divuw", 0xffffffff, 1, ONES);
    T_RR("divuw", 0x80000000, 1, MIN32);
    T_RR("divuw", 0xfffffff9, 2, 0x7ffffffc);
    T_RR("divuw", 5, 0, ONES);
    T_RR("divuw", 0xffffffff, 0xffffffff, 1);
    T_RR("divuw", 0x100000007, 2, 3);
    T_RR("remw", 0xfffffff9, 2, ONES);
    T_RR("remw", 7, 0xfffffffe, 1);
    T_RR("remw", 0x123456789, 0, 0x23456789);
    T_RR("remw", 0x80000001, 0, 0xffffffff80000001);
    T_RR("remw", 0x80000000, 0xffffffff, 0);
    T_RR("remw", 0x12345678ffffffff, 0x10, ONES);
    T_RR("remuw", 0xfffffff9, 2, 1);
    T_RR("remuw", 0xfedcba9876543210, 0, 0x76543210);
    T_RR("remuw", 0x80000001, 0, 0xffffffff80000001);
    T_RR("remuw", 0xffffffff, 0x10, 15);
    T_RR("remuw", 0x80000005, 0x80000000, 5);
    T_RR("remuw", 0xffffffff, 0x80000000, 0x7fffffff);
}

int main(void)
{
    test_mul();
    test_div();
    test_div_w();
    return t_finish();
}
