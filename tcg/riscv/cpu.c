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
#include "tcg/riscv/helper.h"
#include "tcg/riscv/translate.h"
#include "tcg/tci/tci.h"

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
    g_assert(user_mode); /* the system memory model arrives with the virt machine */
    (void)tci;           /* TCI is the only back end so far */
    return tb_cache_new(&tci_backend, riscv_frontend_init(&user_memory));
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

uint64_t riscv_tb_flags(const RiscvCPU *cpu)
{
    return (uint64_t)cpu->priv;
}

_Noreturn void riscv_cpu_raise(RiscvCPU *cpu, RiscvException cause, uint64_t badaddr)
{
    cpu->exception = cause;
    cpu->badaddr = badaddr;
    siglongjmp(cpu->jmp_env, 1);
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
        if (!tb) {
            tb = tb_find(cpu->tb_thread, cpu, cpu->pc, riscv_tb_flags(cpu));
        }
        TbExit e = be->exec(c, cpu, tb);
        tb = NULL;
        switch (e.kind) {
        case TB_EXIT_CHAIN: {
            TranslationBlock *next = tb_find(cpu->tb_thread, cpu, cpu->pc, riscv_tb_flags(cpu));
            tb_link(c, e.last, e.slot, next);
            tb = next;
            break;
        }
        case TB_EXIT_LOOKUP:
        case TB_EXIT_REQUEST:
            break;
        case TB_EXIT_RETURN:
            if (e.code == RISCV_RET_FENCE_I) {
                tb_flush(c);
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
    if (sigsetjmp(cpu->jmp_env, 0) == 0) {
        r = exec_loop(cpu);
    } else {
        r = (RiscvException)cpu->exception;
    }
    tb_exec_leave(cpu->tb_thread);
    riscv_current_cpu = NULL;
    cpu->exception = r;
    return r;
}
