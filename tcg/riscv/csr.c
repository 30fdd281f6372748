/*
 * Control and status registers.
 *
 * In user mode (vmd-user) a program sees what a U-mode program on Linux sees: the FP
 * CSRs and the read-only counters. In system mode the full M and S sets of the
 * privileged spec are here, with their access rules: the privilege encoded in the CSR
 * number, read-only numbers, FS gating of the FP CSRs, counter enables, TVM for satp,
 * STCE for stimecmp. Anything else raises an illegal-instruction exception, which is
 * also how OpenSBI and Linux probe for optional CSRs.
 *
 * Writes that change translation (privilege-relevant mstatus bits, satp, misa) flush
 * the TLB; the translator ends the block after every CSR write, so translation flags
 * are recomputed before the next instruction.
 */
#include "tcg/riscv/csr.h"

#include <time.h>

#include "tcg/riscv/helper.h"
#include "tcg/riscv/mmu.h"

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_time(RiscvCPU *cpu)
{
    const RiscvBus *bus = cpu->sys.bus;
    if (!cpu->user_mode && bus && bus->get_time) {
        return bus->get_time(bus->opaque);
    }
    /* The virt board's timebase is 10 MHz. */
    return host_ns() / 100;
}

#define SSTATUS_MASK                                                                         \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR |     \
     MSTATUS_UXL | MSTATUS_SD)
#define MSTATUS_WRITABLE                                                                     \
    (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP |   \
     MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW |      \
     MSTATUS_TSR)
#define MIP_S_MASK (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIE_MASK (MIP_S_MASK | MIP_MSIP | MIP_MTIP | MIP_MEIP)
#define MEDELEG_MASK 0xb3ffull /* every exception but ecall from M */

uint64_t riscv_read_mstatus(const RiscvCPU *cpu)
{
    uint64_t s = cpu->sys.mstatus | MSTATUS_UXL | MSTATUS_SXL;
    if ((s & MSTATUS_FS) == MSTATUS_FS) {
        s |= MSTATUS_SD;
    }
    return s;
}

uint64_t riscv_read_mip(RiscvCPU *cpu)
{
    uint64_t mip = __atomic_load_n(&cpu->sys.mip, __ATOMIC_ACQUIRE);
    if (cpu->sys.menvcfg & MENVCFG_STCE) {
        mip &= ~MIP_STIP;
        if (cpu_time(cpu) >= cpu->sys.stimecmp) {
            mip |= MIP_STIP;
        }
    }
    return mip;
}

static bool counter_enabled(RiscvCPU *cpu, unsigned csr)
{
    unsigned bit = csr & 31;
    if (cpu->priv < RISCV_PRIV_M && !((cpu->sys.mcounteren >> bit) & 1)) {
        return false;
    }
    if (cpu->priv < RISCV_PRIV_S && !((cpu->sys.scounteren >> bit) & 1)) {
        return false;
    }
    return true;
}

static bool user_csr_read(RiscvCPU *cpu, unsigned csr, uint64_t *v)
{
    switch (csr) {
    case CSR_FFLAGS:
        *v = cpu->fflags & 0x1f;
        return true;
    case CSR_FRM:
        *v = cpu->frm & 7;
        return true;
    case CSR_FCSR:
        *v = (cpu->fflags & 0x1f) | (cpu->frm & 7) << 5;
        return true;
    case CSR_CYCLE:
        *v = cpu->user_mode ? host_ns() : cpu->instret - cpu->sys.cycle_base;
        return true;
    case CSR_TIME:
        *v = cpu_time(cpu);
        return true;
    case CSR_INSTRET:
        *v = cpu->instret - cpu->sys.cycle_base;
        return true;
    default:
        if (csr >= CSR_HPMCOUNTER3 && csr <= CSR_HPMCOUNTER31) {
            *v = 0;
            return true;
        }
        return false;
    }
}

static bool sys_csr_read(RiscvCPU *cpu, unsigned csr, uint64_t *v)
{
    RiscvSysState *s = &cpu->sys;
    switch (csr) {
    case CSR_SSTATUS: *v = riscv_read_mstatus(cpu) & SSTATUS_MASK; return true;
    case CSR_SIE: *v = s->mie & s->mideleg; return true;
    case CSR_STVEC: *v = s->stvec; return true;
    case CSR_SCOUNTEREN: *v = s->scounteren; return true;
    case CSR_SENVCFG: *v = s->senvcfg; return true;
    case CSR_SSCRATCH: *v = s->sscratch; return true;
    case CSR_SEPC: *v = s->sepc; return true;
    case CSR_SCAUSE: *v = s->scause; return true;
    case CSR_STVAL: *v = s->stval; return true;
    case CSR_SIP: *v = riscv_read_mip(cpu) & s->mideleg; return true;
    case CSR_STIMECMP: *v = s->stimecmp; return true;
    case CSR_SATP: *v = s->satp; return true;
    case CSR_MSTATUS: *v = riscv_read_mstatus(cpu); return true;
    case CSR_MISA: *v = s->misa; return true;
    case CSR_MEDELEG: *v = s->medeleg; return true;
    case CSR_MIDELEG: *v = s->mideleg; return true;
    case CSR_MIE: *v = s->mie; return true;
    case CSR_MTVEC: *v = s->mtvec; return true;
    case CSR_MCOUNTEREN: *v = s->mcounteren; return true;
    case CSR_MENVCFG: *v = s->menvcfg; return true;
    case CSR_MCOUNTINHIBIT: *v = s->mcountinhibit; return true;
    case CSR_MSCRATCH: *v = s->mscratch; return true;
    case CSR_MEPC: *v = s->mepc; return true;
    case CSR_MCAUSE: *v = s->mcause; return true;
    case CSR_MTVAL: *v = s->mtval; return true;
    case CSR_MIP: *v = riscv_read_mip(cpu); return true;
    case CSR_MCYCLE:
    case CSR_MINSTRET: *v = cpu->instret - s->cycle_base; return true;
    case CSR_MHARTID: *v = s->mhartid; return true;
    case CSR_MVENDORID:
    case CSR_MARCHID:
    case CSR_MIMPID:
    case CSR_MCONFIGPTR: *v = 0; return true;
    default:
        break;
    }
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        if (csr & 1) {
            return false; /* RV64 has only the even pmpcfg registers */
        }
        *v = s->pmpcfg[(csr - CSR_PMPCFG0) / 2];
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        *v = s->pmpaddr[csr - CSR_PMPADDR0];
        return true;
    }
    if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
        (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
        *v = 0;
        return true;
    }
    return false;
}

/* Writes a legal value of pmpcfg: locked entries keep their byte; W without R is
 * reserved (kept as it was). */
static uint64_t pmpcfg_write(uint64_t old, uint64_t value)
{
    uint64_t r = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t o = old >> (8 * i), n = value >> (8 * i);
        if (o & 0x80) {
            n = o;
        } else if ((n & 3) == 2) {
            n = o;
        }
        r |= (uint64_t)(n & 0x9f) << (8 * i);
    }
    return r;
}

static bool pmpaddr_locked(RiscvSysState *s, unsigned i)
{
    uint8_t cfg = s->pmpcfg[i / 8] >> (8 * (i % 8));
    if (cfg & 0x80) {
        return true;
    }
    /* A locked TOR entry also locks the address below it. */
    if (i + 1 < 64) {
        uint8_t next = s->pmpcfg[(i + 1) / 8] >> (8 * ((i + 1) % 8));
        return (next & 0x80) && ((next >> 3) & 3) == 1;
    }
    return false;
}

static void write_mstatus(RiscvCPU *cpu, uint64_t value)
{
    uint64_t old = cpu->sys.mstatus;
    uint64_t v = (old & ~MSTATUS_WRITABLE) | (value & MSTATUS_WRITABLE);
    if (((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2) {
        v = (v & ~MSTATUS_MPP) | (old & MSTATUS_MPP); /* WARL: no H mode */
    }
    cpu->sys.mstatus = v;
    if ((old ^ v) & (MSTATUS_MPRV | MSTATUS_MPP | MSTATUS_SUM | MSTATUS_MXR)) {
        riscv_tlb_flush(cpu);
    }
}

static bool sys_csr_write(RiscvCPU *cpu, unsigned csr, uint64_t v)
{
    RiscvSysState *s = &cpu->sys;
    switch (csr) {
    case CSR_SSTATUS:
        write_mstatus(cpu, (s->mstatus & ~SSTATUS_MASK) | (v & SSTATUS_MASK));
        return true;
    case CSR_SIE: s->mie = (s->mie & ~s->mideleg) | (v & s->mideleg & MIE_MASK); return true;
    case CSR_STVEC: s->stvec = v & ~2ull; return true;
    case CSR_SCOUNTEREN: s->scounteren = v & 0xffffffff; return true;
    case CSR_SENVCFG: s->senvcfg = 0; return true;
    case CSR_SSCRATCH: s->sscratch = v; return true;
    case CSR_SEPC: s->sepc = v & ~1ull; return true;
    case CSR_SCAUSE: s->scause = v; return true;
    case CSR_STVAL: s->stval = v; return true;
    case CSR_SIP:
        riscv_cpu_set_irq(cpu, MIP_SSIP & s->mideleg, v & MIP_SSIP);
        return true;
    case CSR_STIMECMP:
        s->stimecmp = v;
        if (s->bus && s->bus->stimecmp_changed) {
            s->bus->stimecmp_changed(s->bus->opaque, (unsigned)s->mhartid, v);
        }
        return true;
    case CSR_SATP: {
        unsigned mode = v >> SATP_MODE_SHIFT;
        if (mode != SATP_BARE && mode != SATP_SV39 && mode != SATP_SV48 && mode != SATP_SV57) {
            return true; /* WARL: unsupported modes leave satp as it was */
        }
        s->satp = v & ~(0xffffull << 44); /* no ASIDs: ASIDLEN = 0 */
        riscv_tlb_flush(cpu);
        return true;
    }
    case CSR_MSTATUS: write_mstatus(cpu, v); return true;
    case CSR_MISA: return true; /* fixed */
    case CSR_MEDELEG: s->medeleg = v & MEDELEG_MASK; return true;
    case CSR_MIDELEG: s->mideleg = v & MIP_S_MASK; return true;
    case CSR_MIE: s->mie = v & MIE_MASK; return true;
    case CSR_MTVEC: s->mtvec = v & ~2ull; return true;
    case CSR_MCOUNTEREN: s->mcounteren = v & 0xffffffff; return true;
    case CSR_MENVCFG: s->menvcfg = v & MENVCFG_STCE; return true;
    case CSR_MCOUNTINHIBIT: s->mcountinhibit = v & 0xfffffffd; return true;
    case CSR_MSCRATCH: s->mscratch = v; return true;
    case CSR_MEPC: s->mepc = v & ~1ull; return true;
    case CSR_MCAUSE: s->mcause = v; return true;
    case CSR_MTVAL: s->mtval = v; return true;
    case CSR_MIP:
        /* SEIP is the PLIC's line and STIP (with Sstc) the timer's: software owns SSIP,
         * and STIP only without Sstc. */
        riscv_cpu_set_irq(cpu, MIP_SSIP, v & MIP_SSIP);
        if (!(s->menvcfg & MENVCFG_STCE)) {
            riscv_cpu_set_irq(cpu, MIP_STIP, v & MIP_STIP);
        }
        return true;
    case CSR_MCYCLE:
    case CSR_MINSTRET: s->cycle_base = cpu->instret - v; return true;
    default:
        break;
    }
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15 && !(csr & 1)) {
        unsigned i = (csr - CSR_PMPCFG0) / 2;
        s->pmpcfg[i] = pmpcfg_write(s->pmpcfg[i], v);
        riscv_tlb_flush(cpu);
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        unsigned i = csr - CSR_PMPADDR0;
        if (!pmpaddr_locked(s, i)) {
            s->pmpaddr[i] = v & ((1ull << 54) - 1);
            riscv_tlb_flush(cpu);
        }
        return true;
    }
    if ((csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
        (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
        return true;
    }
    return false;
}

static bool user_csr_write(RiscvCPU *cpu, unsigned csr, uint64_t value)
{
    switch (csr) {
    case CSR_FFLAGS:
        cpu->fflags = value & 0x1f;
        break;
    case CSR_FRM:
        cpu->frm = value & 7;
        break;
    case CSR_FCSR:
        cpu->fflags = value & 0x1f;
        cpu->frm = (value >> 5) & 7;
        break;
    default:
        return false;
    }
    if (!cpu->user_mode) {
        cpu->sys.mstatus |= MSTATUS_FS; /* the FP state is now dirty */
    }
    return true;
}

/* Whether the current mode may touch csr at all (before reading or writing it). */
static bool csr_accessible(RiscvCPU *cpu, unsigned csr, bool write)
{
    if (write && (csr >> 10) == 3) {
        return false;
    }
    if (cpu->user_mode) {
        return true;
    }
    if (cpu->priv < ((csr >> 8) & 3)) {
        return false;
    }
    if (csr <= CSR_FCSR && !(cpu->sys.mstatus & MSTATUS_FS)) {
        return false;
    }
    if (csr >= CSR_CYCLE && csr <= CSR_HPMCOUNTER31 && !counter_enabled(cpu, csr)) {
        return false;
    }
    if (csr == CSR_SATP && cpu->priv == RISCV_PRIV_S && (cpu->sys.mstatus & MSTATUS_TVM)) {
        return false;
    }
    /* Below M, stimecmp needs menvcfg.STCE and mcounteren.TM. */
    if (csr == CSR_STIMECMP && cpu->priv < RISCV_PRIV_M &&
        (!(cpu->sys.menvcfg & MENVCFG_STCE) || !(cpu->sys.mcounteren & 2))) {
        return false;
    }
    return true;
}

uint64_t helper_csrrw(uint64_t env, uint64_t csr_op, uint64_t value, uint64_t mask)
{
    RiscvCPU *cpu = (RiscvCPU *)(uintptr_t)env;
    unsigned csr = csr_op & 0xfff;
    bool write = csr_op & RISCV_CSR_WRITE;
    uint64_t old = 0;
    bool ok = csr_accessible(cpu, csr, write) &&
              (user_csr_read(cpu, csr, &old) || (!cpu->user_mode && sys_csr_read(cpu, csr, &old)));
    if (ok && write) {
        uint64_t nv = (old & ~mask) | (value & mask);
        ok = user_csr_write(cpu, csr, nv) || (!cpu->user_mode && sys_csr_write(cpu, csr, nv));
    }
    if (!ok) {
        riscv_cpu_raise(cpu, RISCV_EXCP_ILLEGAL_INSN, csr_op >> 32);
    }
    return old;
}
