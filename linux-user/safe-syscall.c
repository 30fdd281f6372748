/*
 * Blocking host system calls that a guest signal can interrupt without a race.
 *
 * The host signal handler sets the thread's signal_pending flag and asks the CPU loop to
 * deliver the guest signal. A blocking call made after the flag was set would sleep
 * through that signal, so the flag is tested right before the syscall instruction, and
 * if the host signal arrives between that test and the instruction, the handler moves
 * the interrupted pc to the "interrupted" exit (user_safe_syscall_adjust_pc). A signal
 * that arrives during the call makes the host kernel return -EINTR (handlers are
 * installed without SA_RESTART). Either way the guest sees -ERESTARTSYS and the CPU loop
 * restarts the call, or not, as the guest's SA_RESTART asks.
 */
#include "linux-user/safe-syscall.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/user-abi.h"
#include "linux-user/user-internal.h"

#if defined(__x86_64__)

long user_safe_syscall_base(volatile sig_atomic_t *pending, long nr, long a1, long a2, long a3,
                            long a4, long a5, long a6);

/*
 * In:  rdi pending, rsi nr, rdx a1, rcx a2, r8 a3, r9 a4, 8(%rsp) a5, 16(%rsp) a6.
 * Kernel: rax nr, rdi a1, rsi a2, rdx a3, r10 a4, r8 a5, r9 a6; result in rax.
 * Only caller-saved registers are used, so no frame is needed.
 */
__asm__(".text\n"
        ".globl user_safe_syscall_base\n"
        ".type user_safe_syscall_base, @function\n"
        "user_safe_syscall_base:\n"
        ".cfi_startproc\n"
        "    mov %rsi, %rax\n"
        "    mov %rdi, %r11\n"
        "    mov %rdx, %rdi\n"
        "    mov %rcx, %rsi\n"
        "    mov %r8, %rdx\n"
        "    mov %r9, %r10\n"
        "    mov 8(%rsp), %r8\n"
        "    mov 16(%rsp), %r9\n"
        ".globl user_safe_syscall_start\n"
        "user_safe_syscall_start:\n"
        "    cmpl $0, (%r11)\n"
        "    jne user_safe_syscall_interrupted\n"
        "    syscall\n"
        ".globl user_safe_syscall_end\n"
        "user_safe_syscall_end:\n"
        "    ret\n"
        ".globl user_safe_syscall_interrupted\n"
        "user_safe_syscall_interrupted:\n"
        "    mov $-" G_STRINGIFY(
            USER_ERESTARTSYS) ", %rax\n"
                              "    ret\n"
                              ".cfi_endproc\n"
                              ".size user_safe_syscall_base, .-user_safe_syscall_base\n");

extern const char user_safe_syscall_start[], user_safe_syscall_end[];
extern const char user_safe_syscall_interrupted[];

void user_safe_syscall_adjust_pc(void *host_ucontext)
{
    ucontext_t *uc = host_ucontext;
    uintptr_t pc = uc->uc_mcontext.gregs[REG_RIP];

    if (pc >= (uintptr_t)user_safe_syscall_start && pc < (uintptr_t)user_safe_syscall_end) {
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)user_safe_syscall_interrupted;
    }
}

#else

/* Other hosts: the same test, with a window in which a signal may be noticed late. */
static long user_safe_syscall_base(volatile sig_atomic_t *pending, long nr, long a1, long a2,
                                   long a3, long a4, long a5, long a6)
{
    long r;

    if (*pending) {
        return -USER_ERESTARTSYS;
    }
    r = syscall(nr, a1, a2, a3, a4, a5, a6);
    return r == -1 ? -errno : r;
}

void user_safe_syscall_adjust_pc(void *host_ucontext)
{
}

#endif

long user_safe_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    UserTask *t = user_current_task;
    static volatile sig_atomic_t never;
    long r = user_safe_syscall_base(t ? &t->signal_pending : &never, nr, a1, a2, a3, a4, a5, a6);

    return r == -EINTR ? -USER_ERESTARTSYS : r;
}
