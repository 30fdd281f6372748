/*
 * The state of one emulated process (UserProcess, one per vmd-user process) and of each
 * of its guest threads (UserTask, one per host thread running guest code), and the
 * functions the parts of linux-user call across files.
 *
 * Guest threads are host threads: a guest thread id is the host tid, guest futexes are
 * host futexes on the same memory, and each thread's guest signal mask is also its host
 * signal mask, so the host kernel does the blocking, queueing and waking for us. Guest
 * signal handlers run from the main loop of the thread that received the host signal.
 */
#ifndef VMD_LINUX_USER_INTERNAL_H
#define VMD_LINUX_USER_INTERNAL_H

#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "linux-user/elfload.h"
#include "linux-user/user-abi.h"
#include "linux-user/user-mem.h"
#include "linux-user/user-options.h"
#include "tcg/riscv/cpu.h"

/* A guest signal waiting for delivery on its thread. */
typedef struct UserPendingSignal {
    bool pending;   /* info is valid */
    siginfo_t info; /* what the guest handler will see (si_signo is the guest's) */
} UserPendingSignal;

typedef struct UserTask {
    RiscvCPU cpu;                               /* the guest hart; cpu.opaque points back here */
    pid_t tid;                                  /* host (and guest) thread id */
    uint64_t sigmask;                           /* blocked guest signals, bit (sig - 1) */
    uint64_t saved_sigmask;                     /* mask to restore after sigsuspend/ppoll/pselect */
    bool sigmask_saved;                         /* saved_sigmask is valid */
    volatile sig_atomic_t signal_pending;       /* set by the host handler; see safe-syscall */
    UserPendingSignal pending[TARGET_NSIG + 1]; /* by guest signal number */
    int sync_signal;          /* a synchronous fault signal among pending[], first out */
    int restart;              /* USER_ERESTART* of the interrupted syscall, or 0 */
    TargetStack altstack;     /* sigaltstack; ss_flags SS_DISABLE when none */
    uint64_t clear_child_tid; /* CLONE_CHILD_CLEARTID / set_tid_address */
    uint64_t robust_list;     /* set_robust_list head */
    uint64_t robust_len;
    int fault_signal;    /* host SIGSEGV/SIGBUS behind the last page fault */
    uint64_t syscall_nr; /* the system call being handled */
} UserTask;

typedef struct UserProcess {
    UserMem mem;           /* the guest address space */
    TbCache *tbs;          /* translated code, shared by all threads */
    UserOptions *opts;     /* the command line */
    UserImage image;       /* what the loader placed */
    UserStackLayout stack; /* the initial stack (auxv for /proc/self/auxv) */
    char *exe_path;        /* absolute host path of the program (/proc/self/exe) */
    uint64_t sigtramp;     /* guest address of the rt_sigreturn trampoline */
    int log_fd;            /* -strace and -d output */
    GMutex threads_lock;   /* protects nthreads */
    int nthreads;          /* live guest threads */
    pid_t main_tid;        /* a thread that takes signals a helper thread received */
    GMutex sigact_lock;    /* protects sigact */
    TargetSigaction sigact[TARGET_NSIG + 1]; /* guest dispositions by guest signal */
} UserProcess;

extern UserProcess user_proc;
extern __thread UserTask *user_current_task;

static inline void *g2h(uint64_t guest_addr)
{
    return user_mem_g2h(&user_proc.mem, guest_addr);
}

/* Copying between host and guest memory; -EFAULT when the guest range is not mapped
 * with the needed protection. */
int user_copy_from(void *dst, uint64_t src, size_t len);
int user_copy_to(uint64_t dst, const void *src, size_t len);
int user_get_u32(uint64_t addr, uint32_t *ret);
int user_put_u32(uint64_t addr, uint32_t v);
int user_get_u64(uint64_t addr, uint64_t *ret);
int user_put_u64(uint64_t addr, uint64_t v);
/* A host pointer to len guest bytes for the host kernel to read or write (it reports
 * EFAULT itself for unmapped pages), or NULL when the range leaves the guest space.
 * len == 0 gives a valid pointer for any in-range address. */
void *user_buf(uint64_t addr, uint64_t len);
/* A guest NUL-terminated string in place (PATH_MAX at most); 0 or -errno. */
int user_string(uint64_t addr, const char **ret);

/* Logging to the -D file or stderr. */
void user_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void user_log_flush(void);

/* syscall.c */
long user_syscall(UserTask *t, uint64_t nr, const uint64_t *args);
long user_safe_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
const char *user_syscall_name(uint64_t nr);

/* signal.c */
void user_signal_init_process(void);
void user_signal_init_thread(UserTask *t);
void user_signal_process_pending(UserTask *t);
void user_signal_queue_fault(UserTask *t, int sig, int code, uint64_t addr);
void user_signal_set_host_mask(UserTask *t);
void user_signal_block_host(sigset_t *old);
void user_signal_restore_host(const sigset_t *old);
_Noreturn void user_die_by_signal(int guest_sig);
int user_sig_g2h(int guest_sig);
int user_sig_h2g(int host_sig);
void user_sigset_g2h(uint64_t guest, sigset_t *host);
uint64_t user_sigset_h2g(const sigset_t *host);
void user_signal_after_fork_child(UserTask *t);
/* The riscv64 rt_sigframe contents for cpu's state (uc_stack is the caller's), and
 * back: what setup_rt_frame() and rt_sigreturn() do with the registers. */
void user_sigframe_fill(TargetRtSigframe *f, const RiscvCPU *cpu, int sig, const siginfo_t *info,
                        uint64_t mask);
void user_sigframe_restore(RiscvCPU *cpu, const TargetRtSigframe *f);

/* cpu-loop.c */
_Noreturn void user_cpu_loop(UserTask *t);
UserTask *user_task_new(void);
_Noreturn void user_thread_exit(UserTask *t, int status, bool group);

/* syscall-proc.c */
void user_exec_init(const char *self);

#endif
