/*
 * The privileged architecture of a hart in system mode: reset, traps and their
 * delegation, interrupt selection, and the instructions that return from traps, wait
 * for interrupts and fence the MMU.
 *
 * Interrupt lines (mip bits) are set by devices on other threads with atomic
 * operations; riscv_cpu_set_irq() then kicks the hart, whose execution loop checks
 * riscv_cpu_pending_irq() before every block it looks up.
 */
#include <string.h>

#include "tcg/riscv/csr.h"
#include "tcg/riscv/helper.h"
#include "tcg/riscv/mmu.h"

#define MISA_RV64 (2ull << 62)
#define MISA_EXT(c) (1ull << ((c) - 'A'))

void riscv_cpu_reset(RiscvCPU *cpu, uint64_t reset_pc)
{
    RiscvSysState *s = &cpu->sys;
    const RiscvBus *bus = s->bus;
    uint64_t hartid = s->mhartid;
    memset(cpu->x, 0, sizeof(cpu->x));
    memset(cpu->f, 0, sizeof(cpu->f));
    cpu->fflags = cpu->frm = 0;
    cpu->res_addr = UINT64_MAX;
    memset(s, 0, offsetof(RiscvSysState, bus));
    s->bus = bus;
    s->mhartid = hartid;
    s->misa = MISA_RV64 | MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('A') | MISA_EXT('F') |
              MISA_EXT('D') | MISA_EXT('C') | MISA_EXT('S') | MISA_EXT('U');
    s->mstatus = 0;
    cpu->priv = RISCV_PRIV_M;
    cpu->pc = reset_pc;
    riscv_tlb_flush(cpu);
}

void riscv_cpu_init_system(RiscvCPU *cpu, TbCache *tbs, const RiscvBus *bus, unsigned hartid,
                           uint64_t reset_pc)
{
    riscv_cpu_init(cpu, tbs, /* user_mode= */ false);
    cpu->sys.bus = bus;
    cpu->sys.mhartid = hartid;
    riscv_cpu_reset(cpu, reset_pc);
}

void riscv_cpu_set_irq(RiscvCPU *cpu, uint64_t mip_mask, bool level)
{
    if (!mip_mask) {
        return;
    }
    if (level) {
        __atomic_fetch_or(&cpu->sys.mip, mip_mask, __ATOMIC_ACQ_REL);
    } else {
        __atomic_fetch_and(&cpu->sys.mip, ~mip_mask, __ATOMIC_ACQ_REL);
    }
    riscv_cpu_kick(cpu);
    const RiscvBus *bus = cpu->sys.bus;
    if (level && bus && bus->hart_wake) {
        bus->hart_wake(bus->opaque, (unsigned)cpu->sys.mhartid);
    }
}

/* The interrupt to take now, as a cause number, or -1. Priority: MEI, MSI, MTI, SEI,
 * SSI, STI. */
int riscv_cpu_pending_irq(RiscvCPU *cpu)
{
    RiscvSysState *s = &cpu->sys;
    uint64_t pending = riscv_read_mip(cpu) & s->mie;
    if (!pending) {
        return -1;
    }
    bool mie = cpu->priv < RISCV_PRIV_M || (s->mstatus & MSTATUS_MIE);
    bool sie = cpu->priv < RISCV_PRIV_S ||
               (cpu->priv == RISCV_PRIV_S && (s->mstatus & MSTATUS_SIE));
    uint64_t m_irqs = mie ? pending & ~s->mideleg : 0;
    uint64_t s_irqs = sie ? pending & s->mideleg : 0;
    uint64_t take = m_irqs ? m_irqs : s_irqs;
    static const int order[] = {IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER,
                                IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER};
    for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (take & (1ull << order[i])) {
            return order[i];
        }
    }
    return -1;
}

bool riscv_cpu_interrupt_pending(RiscvCPU *cpu)
{
    /* WFI wakes on any pending enabled interrupt, whatever the global enables say. */
    return (riscv_read_mip(cpu) & cpu->sys.mie) != 0;
}

/* The registers a trap writes at one privilege level, and its mstatus bits. */
typedef struct TrapRegs {
    uint64_t *cause, *epc, *tval, *tvec;
    uint64_t ie, pie, pp_mask;
    unsigned pp_shift;
    RiscvPriv priv;
} TrapRegs;

void riscv_cpu_do_trap(RiscvCPU *cpu, uint64_t cause, uint64_t tval)
{
    RiscvSysState *s = &cpu->sys;
    bool irq = cause >> 63;
    unsigned code = cause & 63;
    uint64_t deleg = irq ? s->mideleg : s->medeleg;
    TrapRegs r;
    if (cpu->priv <= RISCV_PRIV_S && ((deleg >> code) & 1)) {
        r = (TrapRegs){&s->scause, &s->sepc, &s->stval, &s->stvec, MSTATUS_SIE, MSTATUS_SPIE,
                       MSTATUS_SPP, 8, RISCV_PRIV_S};
    } else {
        r = (TrapRegs){&s->mcause, &s->mepc, &s->mtval, &s->mtvec, MSTATUS_MIE, MSTATUS_MPIE,
                       MSTATUS_MPP, MSTATUS_MPP_SHIFT, RISCV_PRIV_M};
    }
    *r.cause = cause;
    *r.epc = cpu->pc;
    *r.tval = tval;
    /* xPIE = xIE, xIE = 0, xPP = the privilege the trap came from. */
    uint64_t st = s->mstatus & ~(r.pie | r.ie | r.pp_mask);
    st |= (s->mstatus & r.ie) ? r.pie : 0;
    st |= ((uint64_t)cpu->priv << r.pp_shift) & r.pp_mask;
    s->mstatus = st;
    cpu->priv = r.priv;
    cpu->pc = (*r.tvec & ~3ull) + ((*r.tvec & 1) && irq ? 4ull * code : 0);
    cpu->res_addr = UINT64_MAX;
}

static _Noreturn void illegal(RiscvCPU *cpu, uint64_t pc)
{
    cpu->pc = pc;
    /* tval: the instruction bits are not at hand here; 0 is allowed by the spec. */
    riscv_cpu_raise(cpu, RISCV_EXCP_ILLEGAL_INSN, 0);
}

uint64_t helper_mret(uint64_t env, uint64_t pc)
{
    RiscvCPU *cpu = (RiscvCPU *)(uintptr_t)env;
    RiscvSysState *s = &cpu->sys;
    if (cpu->priv < RISCV_PRIV_M) {
        illegal(cpu, pc);
    }
    uint64_t st = s->mstatus;
    RiscvPriv prev = (RiscvPriv)((st & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    st = (st & ~MSTATUS_MIE) | ((st & MSTATUS_MPIE) ? MSTATUS_MIE : 0);
    st |= MSTATUS_MPIE;
    st &= ~MSTATUS_MPP; /* MPP = U, the least privileged mode */
    if (prev != RISCV_PRIV_M) {
        st &= ~MSTATUS_MPRV;
    }
    s->mstatus = st;
    cpu->priv = prev;
    cpu->pc = s->mepc;
    riscv_tlb_flush(cpu);
    return 0;
}

uint64_t helper_sret(uint64_t env, uint64_t pc)
{
    RiscvCPU *cpu = (RiscvCPU *)(uintptr_t)env;
    RiscvSysState *s = &cpu->sys;
    if (cpu->priv < RISCV_PRIV_S ||
        (cpu->priv == RISCV_PRIV_S && (s->mstatus & MSTATUS_TSR))) {
        illegal(cpu, pc);
    }
    uint64_t st = s->mstatus;
    RiscvPriv prev = (st & MSTATUS_SPP) ? RISCV_PRIV_S : RISCV_PRIV_U;
    st = (st & ~MSTATUS_SIE) | ((st & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
    st |= MSTATUS_SPIE;
    st &= ~(MSTATUS_SPP | MSTATUS_MPRV);
    s->mstatus = st;
    cpu->priv = prev;
    cpu->pc = s->sepc;
    riscv_tlb_flush(cpu);
    return 0;
}

/* Returns non-zero when the hart should halt until an interrupt arrives. */
uint64_t helper_wfi(uint64_t env, uint64_t pc)
{
    RiscvCPU *cpu = (RiscvCPU *)(uintptr_t)env;
    if (cpu->priv == RISCV_PRIV_U ||
        (cpu->priv == RISCV_PRIV_S && (cpu->sys.mstatus & MSTATUS_TW))) {
        illegal(cpu, pc);
    }
    cpu->pc = pc + 4;
    return !riscv_cpu_interrupt_pending(cpu);
}

uint64_t helper_sfence_vma(uint64_t env, uint64_t pc)
{
    RiscvCPU *cpu = (RiscvCPU *)(uintptr_t)env;
    if (cpu->priv == RISCV_PRIV_U ||
        (cpu->priv == RISCV_PRIV_S && (cpu->sys.mstatus & MSTATUS_TVM))) {
        illegal(cpu, pc);
    }
    riscv_tlb_flush(cpu);
    return 0;
}

uint64_t helper_mark_fs_dirty(uint64_t env)
{
    RiscvCPU *cpu = (RiscvCPU *)(uintptr_t)env;
    cpu->sys.mstatus |= MSTATUS_FS;
    return 0;
}
