/*
 * Integer helpers of the RISC-V translator: raising exceptions and the few bit
 * manipulation instructions that are not worth inlining as IR.
 */
#include "tcg/riscv/helper.h"

uint64_t helper_raise(uint64_t env, uint64_t cause, uint64_t tval, uint64_t pc)
{
    RiscvCPU *cpu = (RiscvCPU *)(uintptr_t)env;
    cpu->pc = pc;
    riscv_cpu_raise(cpu, (RiscvException)cause, tval);
}

uint64_t helper_orc_b(uint64_t x)
{
    uint64_t r = 0;
    for (int i = 0; i < 64; i += 8) {
        if ((x >> i) & 0xff) {
            r |= 0xffull << i;
        }
    }
    return r;
}

/* The full 128-bit carry-less product of a and b. */
static void clmul128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    uint64_t l = 0, h = 0;
    for (int i = 0; i < 64; i++) {
        if ((b >> i) & 1) {
            l ^= a << i;
            h ^= i ? a >> (64 - i) : 0;
        }
    }
    *lo = l;
    *hi = h;
}

uint64_t helper_clmul(uint64_t a, uint64_t b)
{
    uint64_t lo, hi;
    clmul128(a, b, &lo, &hi);
    return lo;
}

uint64_t helper_clmulh(uint64_t a, uint64_t b)
{
    uint64_t lo, hi;
    clmul128(a, b, &lo, &hi);
    return hi;
}

/* Bits 126..63 of the product. */
uint64_t helper_clmulr(uint64_t a, uint64_t b)
{
    uint64_t lo, hi;
    clmul128(a, b, &lo, &hi);
    return (hi << 1) | (lo >> 63);
}
