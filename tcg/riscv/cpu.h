/*
 * The RISC-V hart as the translator sees it: architectural state (the "env" the IR's
 * globals point into), the exception causes, and the entry points to run it.
 *
 * One RiscvCPU per guest thread (vmd-user) or per vCPU (vmd-vm), owned by exactly one
 * host thread. Other threads only set exit_request (atomically) to ask it to come back
 * to its loop.
 */
#ifndef VMD_TCG_RISCV_CPU_H
#define VMD_TCG_RISCV_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcg/ir/ir.h"

/* Exception causes (mcause codes of the privileged spec), used as exit reasons. */
typedef enum RiscvException {
    RISCV_EXCP_INSN_MISALIGNED = 0,
    RISCV_EXCP_INSN_ACCESS = 1,
    RISCV_EXCP_ILLEGAL_INSN = 2,
    RISCV_EXCP_BREAKPOINT = 3,
    RISCV_EXCP_LOAD_MISALIGNED = 4,
    RISCV_EXCP_LOAD_ACCESS = 5,
    RISCV_EXCP_STORE_MISALIGNED = 6,
    RISCV_EXCP_STORE_ACCESS = 7,
    RISCV_EXCP_ECALL_U = 8,
    RISCV_EXCP_ECALL_S = 9,
    RISCV_EXCP_ECALL_M = 11,
    RISCV_EXCP_INSN_PAGE_FAULT = 12,
    RISCV_EXCP_LOAD_PAGE_FAULT = 13,
    RISCV_EXCP_STORE_PAGE_FAULT = 15,
    /* Not architectural: reasons the execution loop returns to its caller. */
    RISCV_EXIT_REQUEST = 0x100, /* exit_request was set (signal, stop, kick) */
    RISCV_EXIT_HALT = 0x101,    /* wfi with nothing pending (system mode) */
    RISCV_EXIT_SHUTDOWN = 0x102, /* the board asked the hart to stop for good */
} RiscvException;

typedef enum RiscvPriv {
    RISCV_PRIV_U = 0,
    RISCV_PRIV_S = 1,
    RISCV_PRIV_M = 3,
} RiscvPriv;

typedef struct TbCache TbCache;
typedef struct TbThread TbThread;

/*
 * System mode: how a hart reaches the machine. The board (hw/riscv) provides these over
 * its address space; the CPU knows nothing of regions or devices.
 */
typedef struct RiscvBus {
    void *opaque;
    /* Host pointer to the RAM holding physical address paddr (valid to the end of its
     * 4 KiB page); NULL if paddr is not RAM. */
    void *(*ram_ptr)(void *opaque, uint64_t paddr);
    /* Whether the RAM page at paddr holds translated code (stores must invalidate it),
     * and the hook that does so; both may be NULL. */
    bool (*page_has_code)(void *opaque, uint64_t paddr);
    void (*code_written)(void *opaque, uint64_t paddr, unsigned size);
    /* The translator read code from the RAM page at paddr. */
    void (*code_translated)(void *opaque, uint64_t paddr);
    /* Device (MMIO) access of 1, 2, 4 or 8 bytes; false if nothing answers (access fault). */
    bool (*mmio_read)(void *opaque, uint64_t paddr, unsigned size, uint64_t *ret_value);
    bool (*mmio_write)(void *opaque, uint64_t paddr, unsigned size, uint64_t value);
    /* mtime, the 10 MHz platform timer, for the time CSR and Sstc. */
    uint64_t (*get_time)(void *opaque);
    /* The hart wrote stimecmp: the board arranges to kick it when time reaches it. */
    void (*stimecmp_changed)(void *opaque, unsigned hartid, uint64_t stimecmp);
    /* An interrupt line of the hart changed: wake it if it sleeps in wfi. */
    void (*hart_wake)(void *opaque, unsigned hartid);
} RiscvBus;

/* The software TLB of a hart: per MMU index, direct mapped by virtual page. */
#define RISCV_TLB_BITS 8
#define RISCV_TLB_SIZE (1u << RISCV_TLB_BITS)
#define RISCV_MMU_IDX_COUNT 4 /* U, S, S with SUM, M */
typedef struct RiscvTlbEntry {
    uint64_t vpage_read;   /* virtual page tag valid for loads, or UINT64_MAX */
    uint64_t vpage_write;  /* ... for stores (UINT64_MAX also when the page holds code) */
    uint64_t vpage_exec;   /* ... for instruction fetch */
    uintptr_t addend;      /* host address = guest virtual address + addend (RAM only) */
} RiscvTlbEntry;

/* Privileged state (system mode). */
typedef struct RiscvSysState {
    uint64_t mstatus, misa, medeleg, mideleg, mie, mtvec, mscratch, mepc, mcause, mtval;
    uint64_t mcounteren, mcountinhibit, menvcfg, mhartid;
    uint64_t stvec, sscratch, sepc, scause, stval, scounteren, senvcfg, satp, stimecmp;
    uint64_t mip;              /* pending interrupts; devices change it atomically */
    uint64_t pmpcfg[8];        /* pmpcfg0, 2, 4, ... 14 (RV64: even numbers only) */
    uint64_t pmpaddr[64];
    uint64_t cycle_base;       /* instret/cycle offset written by the guest */
    int tlb_flush_request;     /* set by other threads: flush before the next block */
    const RiscvBus *bus;
    RiscvTlbEntry tlb[RISCV_MMU_IDX_COUNT][RISCV_TLB_SIZE];
} RiscvSysState;

typedef struct RiscvCPU {
    /* Architectural state, registered as IR globals (keep 8-byte fields). */
    uint64_t x[32];        /* integer registers; x[0] reads as zero, writes are dropped */
    uint64_t f[32];        /* FP registers, single values NaN-boxed */
    uint64_t pc;           /* pc of the next instruction to execute */
    uint64_t fflags;       /* accrued FP exception flags (fcsr[4:0]) */
    uint64_t frm;          /* dynamic rounding mode (fcsr[7:5]) */
    uint64_t res_addr;     /* LR reservation: address, or UINT64_MAX when none */
    uint64_t res_val;      /* LR reservation: the value loaded */

    /* Exit information, valid when riscv_cpu_exec() returns. */
    uint64_t badaddr;      /* faulting address (tval) of the last exception */
    uint64_t insn;         /* the instruction bits of an illegal instruction */
    uint32_t exception;    /* RiscvException that ended the last riscv_cpu_exec() */

    /* Control. */
    volatile int exit_request; /* set by other threads: come back to the loop */
    RiscvPriv priv;        /* current privilege mode */
    bool user_mode;        /* vmd-user: guest addresses are host addresses + guest_base */
    uint64_t instret;      /* retired instruction count, approximate (per block) */
    sigjmp_buf jmp_env;    /* where riscv_cpu_loop_exit() lands */
    TbCache *tbs;          /* the translation block cache this CPU runs from */
    TbThread *tb_thread;   /* this CPU's jump cache and reclamation state in tbs */
    void *opaque;          /* owner's per-thread data (vmd-user: its TaskState) */

    RiscvSysState sys;     /* privileged state; unused in user mode */

    /* Scratch for the back end (IR locals and spills); keep last. */
    uint64_t ir_scratch[IR_SCRATCH_SLOTS];
} RiscvCPU;

/* vmd-user: guest address a lives at host address guest_base + a, for a below
 * guest_size; accesses at or above guest_size are page faults. */
extern uintptr_t riscv_guest_base;
extern uint64_t riscv_guest_size;
/* vmd-user: whether guest code at [addr, addr + len) may be fetched (NULL: all may). */
extern bool (*riscv_user_code_readable)(uint64_t addr, uint64_t len);

static inline void *riscv_g2h(uint64_t guest_addr)
{
    return (void *)(riscv_guest_base + (uintptr_t)guest_addr);
}

/*
 * The translation block cache for guest code: one per process (user mode) or per
 * machine, shared by all its CPUs. tci selects the interpreter back end.
 */
TbCache *riscv_tb_cache_new(bool user_mode, bool tci);

/* Initializes cpu (all registers zero) to run from tbs on the calling thread, and
 * releases it; a CPU must be destroyed on the thread that runs it. */
void riscv_cpu_init(RiscvCPU *cpu, TbCache *tbs, bool user_mode);
void riscv_cpu_destroy(RiscvCPU *cpu);
/* Copies the architectural state (registers, pc, FP state) from src, e.g. for a new
 * guest thread; the copy keeps its own control state. */
void riscv_cpu_copy_state(RiscvCPU *dst, const RiscvCPU *src);

/*
 * Runs guest code from cpu->pc until an exception or an exit request. Returns the cause
 * (also in cpu->exception); cpu->pc is the pc of the instruction that raised it (ecall,
 * ebreak, faulting access), not the next one.
 */
RiscvException riscv_cpu_exec(RiscvCPU *cpu);

/*
 * Leaves guest code from inside a helper or a host signal handler (SIGSEGV on a guest
 * access in user mode): records the exception and long-jumps back into riscv_cpu_exec(),
 * which returns it. Only callable on the CPU's own thread while it executes guest code.
 * The long jump does not restore the signal mask: a signal handler that calls this must
 * have been installed with SA_NODEFER (or unblock its signal first).
 */
_Noreturn void riscv_cpu_raise(RiscvCPU *cpu, RiscvException cause, uint64_t badaddr);

/*
 * System mode. riscv_cpu_init_system() sets the hart up in M mode at reset_pc, with the
 * misa of RV64GC and the given hart id; the board's bus is how it reaches memory. In
 * system mode riscv_cpu_exec() takes guest exceptions and interrupts itself (they trap
 * into the guest) and returns only RISCV_EXIT_REQUEST or RISCV_EXIT_HALT (wfi with no
 * interrupt pending: the caller sleeps until riscv_cpu_interrupt_pending()).
 */
void riscv_cpu_init_system(RiscvCPU *cpu, TbCache *tbs, const RiscvBus *bus, unsigned hartid,
                           uint64_t reset_pc);
void riscv_cpu_reset(RiscvCPU *cpu, uint64_t reset_pc);
/* Sets or clears interrupt-pending bits (mip) from any thread, and kicks the hart. */
void riscv_cpu_set_irq(RiscvCPU *cpu, uint64_t mip_mask, bool level);
bool riscv_cpu_interrupt_pending(RiscvCPU *cpu);
/* Asks the hart to return from riscv_cpu_exec() soon (from any thread). */
static inline void riscv_cpu_kick(RiscvCPU *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_RELEASE);
}
/* Physical address of a virtual one for debuggers and HMP (no side effects); false if
 * unmapped. */
bool riscv_cpu_debug_translate(RiscvCPU *cpu, uint64_t vaddr, uint64_t *ret_paddr);

/* The CPU currently executing guest code on this host thread, or NULL. */
extern __thread RiscvCPU *riscv_current_cpu;

#endif
