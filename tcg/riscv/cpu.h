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
} RiscvException;

typedef enum RiscvPriv {
    RISCV_PRIV_U = 0,
    RISCV_PRIV_S = 1,
    RISCV_PRIV_M = 3,
} RiscvPriv;

typedef struct TbCache TbCache;
typedef struct TbThread TbThread;

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

/* The CPU currently executing guest code on this host thread, or NULL. */
extern __thread RiscvCPU *riscv_current_cpu;

#endif
