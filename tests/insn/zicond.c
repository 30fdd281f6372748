/*
 * zicond.c: the Zicond conditional-zero instructions.
 *
 * czero.eqz rd, rs1, rs2: rd = rs2 == 0 ? 0 : rs1
 * czero.nez rd, rs1, rs2: rd = rs2 != 0 ? 0 : rs1
 * The condition looks at all 64 bits of rs2. Binutils 2.40 does not know Zicond, so the
 * instructions are spelled with .insn (OP opcode, funct7 0000111, funct3 101 / 111).
 * QEMU 7.2 does not implement Zicond, so run.sh skips this file under QEMU.
 */
#include "harness.h"

#define CZERO_EQZ ".insn r 0x33, 5, 7, %0, %1, %2"
#define CZERO_NEZ ".insn r 0x33, 7, 7, %0, %1, %2"

#define T_CZ(name, insn, a, b, exp)                                                                \
    do {                                                                                           \
        u64 a_ = (a), b_ = (b), r_;                                                                \
        __asm__ volatile(insn : "=r"(r_) : "r"(a_), "r"(b_));                                      \
        t_check_args(name, 2, (const u64[]){a_, b_}, r_, (exp));                                   \
    } while (0)

int main(void)
{
    T_CZ("czero.eqz", CZERO_EQZ, 5, 0, 0);
    T_CZ("czero.eqz", CZERO_EQZ, 5, 1, 5);
    T_CZ("czero.eqz", CZERO_EQZ, ONES, MIN64, ONES);
    T_CZ("czero.eqz", CZERO_EQZ, 5, 0x100000000, 5);
    T_CZ("czero.eqz", CZERO_EQZ, 0, 7, 0);
    T_CZ("czero.nez", CZERO_NEZ, 5, 0, 5);
    T_CZ("czero.nez", CZERO_NEZ, 5, 1, 0);
    T_CZ("czero.nez", CZERO_NEZ, ONES, MIN64, 0);
    T_CZ("czero.nez", CZERO_NEZ, 5, 0x100000000, 0);
    T_CZ("czero.nez", CZERO_NEZ, MIN64, 0, MIN64);

    /* rd == rs1 and rd == rs2 forms. */
    u64 r = 9, c = 0;
    __asm__ volatile(".insn r 0x33, 5, 7, %0, %0, %1" : "+r"(r) : "r"(c));
    t_check("czero.eqz", "rd == rs1, zero condition", r, 0);
    r = 9;
    __asm__ volatile(".insn r 0x33, 7, 7, %0, %0, %1" : "+r"(r) : "r"(c));
    t_check("czero.nez", "rd == rs1, zero condition", r, 9);
    c = 3;
    __asm__ volatile(".insn r 0x33, 5, 7, %0, %1, %0" : "+r"(c) : "r"(11ull));
    t_check("czero.eqz", "rd == rs2", c, 11);
    return t_finish();
}
