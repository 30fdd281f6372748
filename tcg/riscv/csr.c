/*
 * Control and status registers. Today this is the unprivileged set a user-mode
 * program may touch: the FP CSRs (fflags, frm, fcsr) and the read-only counters
 * (cycle, time, instret). Everything else raises an illegal-instruction exception, as
 * it would for a U-mode program on real hardware. The privileged CSRs arrive with the
 * system machine (issue #5).
 */
#include "tcg/riscv/helper.h"

#include <time.h>

enum {
    CSR_FFLAGS = 0x001,
    CSR_FRM = 0x002,
    CSR_FCSR = 0x003,
    CSR_CYCLE = 0xc00,
    CSR_TIME = 0xc01,
    CSR_INSTRET = 0xc02,
};

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Reads csr into *ret_value; false if it does not exist or is not accessible. */
static bool csr_read(RiscvCPU *cpu, unsigned csr, uint64_t *ret_value)
{
    switch (csr) {
    case CSR_FFLAGS:
        *ret_value = cpu->fflags & 0x1f;
        return true;
    case CSR_FRM:
        *ret_value = cpu->frm & 7;
        return true;
    case CSR_FCSR:
        *ret_value = (cpu->fflags & 0x1f) | (cpu->frm & 7) << 5;
        return true;
    case CSR_CYCLE:
        *ret_value = host_ns();
        return true;
    case CSR_TIME:
        /* The virt board's timebase is 10 MHz. */
        *ret_value = host_ns() / 100;
        return true;
    case CSR_INSTRET:
        *ret_value = cpu->instret;
        return true;
    default:
        return false;
    }
}

static bool csr_write(RiscvCPU *cpu, unsigned csr, uint64_t value)
{
    switch (csr) {
    case CSR_FFLAGS:
        cpu->fflags = value & 0x1f;
        return true;
    case CSR_FRM:
        cpu->frm = value & 7;
        return true;
    case CSR_FCSR:
        cpu->fflags = value & 0x1f;
        cpu->frm = (value >> 5) & 7;
        return true;
    default:
        return false;
    }
}

uint64_t helper_csrrw(uint64_t env, uint64_t csr_op, uint64_t value, uint64_t mask)
{
    RiscvCPU *cpu = (RiscvCPU *)(uintptr_t)env;
    unsigned csr = csr_op & 0xfff;
    bool write = csr_op & RISCV_CSR_WRITE;
    uint64_t old = 0;
    /* CSR numbers with bits 11:10 == 3 are read-only. */
    if (!csr_read(cpu, csr, &old) || (write && (csr >> 10) == 3)) {
        riscv_cpu_raise(cpu, RISCV_EXCP_ILLEGAL_INSN, csr_op >> 32);
    }
    if (write && !csr_write(cpu, csr, (old & ~mask) | (value & mask))) {
        riscv_cpu_raise(cpu, RISCV_EXCP_ILLEGAL_INSN, csr_op >> 32);
    }
    return old;
}
