/*
 * Running a RISC-V hart: the execution loop over translation blocks, exceptions out of
 * generated code, and the guest memory model of user mode.
 *
 * riscv_cpu_exec() finds the block for (pc, flags), lets the back end run it (the back
 * end follows chained exits by itself), and handles what comes back: link an unchained
 * exit, look up an indirect jump, flush code after fence.i, or return an exception to
 * the caller (vmd-user's loop, or the system machine). Exceptions raised inside helpers
 * and host fault handlers arrive by siglongjmp at the sigsetjmp below.
 */
#include "tcg/riscv/cpu.h"

#include <glib.h>
#include <string.h>

#include "tcg/exec/tb.h"
#include "tcg/riscv/csr.h"
#include "tcg/riscv/helper.h"
#include "tcg/riscv/mmu.h"
#include "tcg/riscv/translate.h"
#include "tcg/tci/tci.h"
#ifdef VMD_HAVE_JIT
#include "tcg/x86_64/jit.h"
#endif

uintptr_t riscv_guest_base;
uint64_t riscv_guest_size = UINT64_MAX;
__thread RiscvCPU *riscv_current_cpu;
bool (*riscv_user_code_readable)(uint64_t addr, uint64_t len);

const TbFrontend *riscv_frontend_init(const IrGuestMemory *mem);

static void user_misaligned(void *env, uint64_t addr, bool is_store)
{
    riscv_cpu_raise(env, is_store ? RISCV_EXCP_STORE_MISALIGNED : RISCV_EXCP_LOAD_MISALIGNED,
                    addr);
}

static void user_bad_address(void *env, uint64_t addr, bool is_store)
{
    riscv_cpu_raise(env, is_store ? RISCV_EXCP_STORE_PAGE_FAULT : RISCV_EXCP_LOAD_PAGE_FAULT,
                    addr);
}

static const IrGuestMemory user_memory = {
    .guest_base = &riscv_guest_base,
    .guest_limit = &riscv_guest_size,
    .bad_address = user_bad_address,
    .misaligned = user_misaligned,
};

TbCache *riscv_tb_cache_new(bool user_mode, bool tci)
{
    const TbBackend *backend = &tci_backend;
#ifdef VMD_HAVE_JIT
    if (!tci && jit_available()) {
        backend = &jit_backend;
    }
#endif
    return tb_cache_new(backend,
                        riscv_frontend_init(user_mode ? &user_memory : &riscv_system_memory));
}

void riscv_cpu_init(RiscvCPU *cpu, TbCache *tbs, bool user_mode)
{
    memset(cpu, 0, offsetof(RiscvCPU, ir_scratch));
    cpu->res_addr = UINT64_MAX;
    cpu->user_mode = user_mode;
    cpu->priv = user_mode ? RISCV_PRIV_U : RISCV_PRIV_M;
    cpu->tbs = tbs;
    cpu->tb_thread = g_new0(TbThread, 1);
    tb_thread_attach(tbs, cpu->tb_thread);
}

void riscv_cpu_destroy(RiscvCPU *cpu)
{
    if (cpu->tb_thread) {
        tb_thread_detach(cpu->tb_thread);
        g_free(cpu->tb_thread);
        cpu->tb_thread = NULL;
    }
}

void riscv_cpu_copy_state(RiscvCPU *dst, const RiscvCPU *src)
{
    memcpy(dst->x, src->x, sizeof(dst->x));
    memcpy(dst->f, src->f, sizeof(dst->f));
    dst->pc = src->pc;
    dst->fflags = src->fflags;
    dst->frm = src->frm;
    dst->res_addr = UINT64_MAX;
    dst->priv = src->priv;
}

/* The MMU index of data accesses: the privilege, or MPP's under mstatus.MPRV in M
 * mode; S with SUM has an index of its own. */
static unsigned data_mmu_idx(const RiscvCPU *cpu)
{
    uint64_t st = cpu->sys.mstatus;
    unsigned priv = cpu->priv;
    if (priv == RISCV_PRIV_M && (st & MSTATUS_MPRV)) {
        priv = (st & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
    }
    if (priv == RISCV_PRIV_S && (st & MSTATUS_SUM)) {
        return RISCV_MMU_S_SUM;
    }
    return priv == RISCV_PRIV_M ? RISCV_MMU_M : priv;
}

uint64_t riscv_tb_flags(const RiscvCPU *cpu)
{
    if (cpu->user_mode) {
        return (uint64_t)cpu->priv;
    }
    uint64_t fs = cpu->sys.mstatus & MSTATUS_FS;
    uint64_t flags = (uint64_t)cpu->priv | (uint64_t)data_mmu_idx(cpu) << RISCV_TBF_MMU_SHIFT;
    if (fs == 0) {
        flags |= RISCV_TBF_FS_OFF;
    } else if (fs == MSTATUS_FS) {
        flags |= RISCV_TBF_FS_DIRTY;
    }
    return flags;
}

/*
 * System mode: blocks are found by virtual pc but belong to the physical page they
 * were translated from, so the key also holds the host address of that page (or the
 * physical one, for code outside RAM). A pc that cannot be fetched gets a key of its
 * own; its block raises the fetch fault.
 */
uint64_t riscv_tb_key_flags(void *env)
{
    RiscvCPU *cpu = env;
    uint64_t flags = riscv_tb_flags(cpu);
    if (cpu->user_mode) {
        return flags;
    }
    RiscvTlbEntry *te = &cpu->sys.tlb[RISCV_MMU_FETCH_IDX(cpu->priv)][(cpu->pc >> 12) &
                                                                      (RISCV_TLB_SIZE - 1)];
    uint64_t vpage = cpu->pc & ~0xfffull;
    if (te->vpage_exec == vpage) {
        return flags | ((te->addend + vpage) & RISCV_TBF_PAGE_MASK);
    }
    uint16_t half;
    RiscvException fault;
    uint64_t paddr;
    if (!riscv_fetch_code(cpu, cpu->pc, &half, &fault, &paddr)) {
        return flags | RISCV_TBF_PAGE_MASK;
    }
    const RiscvBus *bus = cpu->sys.bus;
    uint8_t *host = bus->ram_ptr(bus->opaque, paddr & ~0xfffull);
    return flags | ((host ? (uintptr_t)host : paddr) & RISCV_TBF_PAGE_MASK);
}

_Noreturn void riscv_cpu_raise(RiscvCPU *cpu, RiscvException cause, uint64_t badaddr)
{
    cpu->exception = cause;
    cpu->badaddr = badaddr;
    siglongjmp(cpu->jmp_env, 1);
}

/* System mode, between blocks: requested TLB flushes, then interrupts. Returns true
 * if an interrupt was taken (the pc changed). */
static bool system_checks(RiscvCPU *cpu)
{
    if (__atomic_exchange_n(&cpu->sys.tlb_flush_request, 0, __ATOMIC_ACQ_REL)) {
        riscv_tlb_flush(cpu);
    }
    int irq = riscv_cpu_pending_irq(cpu);
    if (irq >= 0) {
        riscv_cpu_do_trap(cpu, (1ull << 63) | (uint64_t)irq, 0);
        return true;
    }
    return false;
}

/* Runs blocks until one returns something for the caller. */
static RiscvException exec_loop(RiscvCPU *cpu)
{
    TbCache *c = cpu->tbs;
    const TbBackend *be = tb_cache_backend(c);
    TranslationBlock *tb = NULL;
    for (;;) {
        if (__atomic_load_n(&cpu->exit_request, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_RELEASE);
            return RISCV_EXIT_REQUEST;
        }
        if (!cpu->user_mode && system_checks(cpu)) {
            tb = NULL; /* a block looked up for the old pc must not run */
        }
        if (!tb) {
            tb_quiescent(cpu->tb_thread); /* no block pointer held here */
            tb = tb_find(cpu->tb_thread, cpu, cpu->pc, riscv_tb_key_flags(cpu));
        }
        TbExit e = be->exec(c, cpu, tb);
        tb = NULL;
        switch (e.kind) {
        case TB_EXIT_CHAIN: {
            TranslationBlock *next = tb_find(cpu->tb_thread, cpu, cpu->pc, riscv_tb_key_flags(cpu));
            /* In system mode a chain may not leave the page: the mapping of the other
             * page can change without anything here noticing. */
            if (cpu->user_mode || ((e.last->pc ^ cpu->pc) & ~0xfffull) == 0) {
                tb_link(c, e.last, e.slot, next);
            }
            tb = next;
            break;
        }
        case TB_EXIT_LOOKUP:
        case TB_EXIT_REQUEST:
            break;
        case TB_EXIT_RETURN:
            if (e.code == RISCV_RET_FENCE_I) {
                /* User mode has no tracking of code writes: flush. In system mode every
                 * store to a page with translated code already invalidated it. */
                if (cpu->user_mode) {
                    tb_flush(c);
                }
            } else if (e.code == RISCV_RET_HALT) {
                return RISCV_EXIT_HALT;
            }
            break;
        }
    }
}

RiscvException riscv_cpu_exec(RiscvCPU *cpu)
{
    RiscvException r;
    riscv_current_cpu = cpu;
    tb_exec_enter(cpu->tb_thread);
    for (;;) {
        if (sigsetjmp(cpu->jmp_env, 0) == 0) {
            r = exec_loop(cpu);
        } else {
            r = (RiscvException)cpu->exception;
        }
        /* System mode: guest exceptions trap into the guest's own handlers. */
        if (cpu->user_mode || r >= RISCV_EXIT_REQUEST) {
            break;
        }
        riscv_cpu_do_trap(cpu, r, cpu->badaddr);
    }
    tb_exec_leave(cpu->tb_thread);
    riscv_current_cpu = NULL;
    cpu->exception = r;
    return r;
}
