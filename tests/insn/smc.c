/*
 * smc.c: fences, and code modified at run time followed by fence.i (Zifencei).
 *
 * A translator caches translated code; after a store to an instruction and a fence.i the
 * next fetch must see the new instruction, whether the old one was translated long ago,
 * is in the block being executed, or was patched several times. The patched code lives in
 * a writable and executable section of this static program.
 */
#include "harness.h"

#define ADDI_A0(imm) (0x00000513u | (u32)(imm) << 20) /* addi a0, zero, imm */

/* u64 smc_func(void): returns 1 until patched. */
__asm__(".pushsection .smc_code, \"awx\", @progbits\n"
        ".option push\n.option norvc\n.balign 4\n"
        "smc_func:\n"
        "    addi a0, zero, 1\n"
        "    ret\n"
        /* u64 smc_self(u32 insn): stores insn over the instruction at 1:, then runs it. */
        "smc_self:\n"
        "    lla t0, 1f\n"
        "    sw a0, 0(t0)\n"
        "    fence.i\n"
        "1:  addi a0, zero, 5\n"
        "    ret\n"
        ".option pop\n.popsection\n");

u64 smc_func(void);
u64 smc_self(u32 insn);
extern u32 smc_func_insn[] __asm__("smc_func");

static void patch(u32 insn)
{
    __asm__ volatile("sw %0, 0(%1)\n\tfence.i" : : "r"(insn), "r"(smc_func_insn) : "memory");
}

int main(void)
{
    u64 r;

    __asm__ volatile("li %0, 3\n\tfence\n\tfence rw, rw\n\tfence r, w\n\tfence.i\n\tfence.tso\n\t"
                     "addi %0, %0, 1"
                     : "=&r"(r)
                     :
                     : "memory");
    t_check("fence", "variants execute as no-ops", r, 4);

    t_check("smc", "original", smc_func(), 1);
    t_check("smc", "original again (translated)", smc_func(), 1);
    patch(ADDI_A0(2));
    t_check("smc", "after patch and fence.i", smc_func(), 2);
    patch(ADDI_A0(-3));
    t_check("smc", "patched twice", smc_func(), (u64)-3);
    for (int i = 0; i < 20; i++) {
        patch(ADDI_A0(100 + i));
        r = smc_func();
        if (r != (u64)(100 + i)) {
            break;
        }
    }
    t_check("smc", "patched in a loop, 20 times", r, 119);

    t_check("smc", "store into the running block", smc_self(ADDI_A0(7)), 7);
    t_check("smc", "store into the running block again", smc_self(ADDI_A0(-9)), (u64)-9);
    return t_finish();
}
