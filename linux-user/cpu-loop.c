/*
 * The per-thread main loop of vmd-user: run guest code until it stops, turn the reason
 * into a system call or a guest signal, deliver pending signals, repeat. Also guest
 * thread creation (one detached host thread per CLONE_THREAD) and exit.
 */
#include "linux-user/syscall-defs.h"

#include <linux/futex.h>
#include <pthread.h>
#include <string.h>

UserProcess user_proc = {.log_fd = 2};
__thread UserTask *user_current_task;

/* A task whose CPU is initialized on the calling thread, which must be the one that
 * runs it. */
UserTask *user_task_new(void)
{
    UserTask *t = g_new0(UserTask, 1);

    riscv_cpu_init(&t->cpu, user_proc.tbs, /* user_mode= */ true);
    t->cpu.opaque = t;
    t->altstack.ss_flags = TARGET_SS_DISABLE;
    return t;
}

static void do_ecall(UserTask *t)
{
    RiscvCPU *cpu = &t->cpu;
    uint64_t args[6];
    long ret;

    memcpy(args, &cpu->x[10], sizeof(args));
    ret = user_syscall(t, cpu->x[17], args);
    if (ret == -USER_ESIGRETURN) {
        return;
    }
    if (ret == -USER_ERESTARTSYS || ret == -USER_ERESTARTNOHAND) {
        /* pc stays on the ecall; signal delivery decides between restart and EINTR. */
        t->restart = (int)-ret;
        return;
    }
    cpu->x[10] = (uint64_t)ret;
    cpu->pc += 4;
}

static void page_fault(UserTask *t, uint64_t addr)
{
    if (t->fault_signal == SIGBUS) {
        user_signal_queue_fault(t, SIGBUS, BUS_ADRERR, addr);
    } else {
        int code = user_mem_prot(&user_proc.mem, addr) >= 0 ? SEGV_ACCERR : SEGV_MAPERR;
        user_signal_queue_fault(t, SIGSEGV, code, addr);
    }
    t->fault_signal = 0;
}

static void handle_exit(UserTask *t, RiscvException e)
{
    RiscvCPU *cpu = &t->cpu;

    switch (e) {
    case RISCV_EXCP_ECALL_U:
        do_ecall(t);
        break;
    case RISCV_EXIT_REQUEST:
        break;
    case RISCV_EXCP_ILLEGAL_INSN:
        user_signal_queue_fault(t, SIGILL, ILL_ILLOPC, cpu->pc);
        break;
    case RISCV_EXCP_BREAKPOINT:
        user_signal_queue_fault(t, SIGTRAP, TRAP_BRKPT, cpu->pc);
        break;
    case RISCV_EXCP_INSN_PAGE_FAULT:
    case RISCV_EXCP_LOAD_PAGE_FAULT:
    case RISCV_EXCP_STORE_PAGE_FAULT:
        page_fault(t, cpu->badaddr);
        break;
    case RISCV_EXCP_INSN_ACCESS:
    case RISCV_EXCP_LOAD_ACCESS:
    case RISCV_EXCP_STORE_ACCESS:
        user_signal_queue_fault(t, SIGSEGV, SEGV_ACCERR, cpu->badaddr);
        break;
    case RISCV_EXCP_INSN_MISALIGNED:
    case RISCV_EXCP_LOAD_MISALIGNED:
    case RISCV_EXCP_STORE_MISALIGNED:
        user_signal_queue_fault(t, SIGBUS, BUS_ADRALN, cpu->badaddr);
        break;
    default:
        user_log("vmd-user: unexpected CPU exit %#x at pc %#" G_GINT64_MODIFIER "x\n", e, cpu->pc);
        user_signal_queue_fault(t, SIGILL, ILL_ILLTRP, cpu->pc);
        break;
    }
}

_Noreturn void user_cpu_loop(UserTask *t)
{
    user_current_task = t;
    for (;;) {
        user_signal_process_pending(t);
        handle_exit(t, riscv_cpu_exec(&t->cpu));
    }
}

/* Threads. */

typedef struct ThreadStart {
    UserTask *parent; /* blocked in clone() until ready */
    uint64_t flags, newsp, ptid, tls, ctid;
    pid_t tid; /* set by the new thread before it signals ready */
    bool ready;
    GMutex lock;
    GCond cond;
} ThreadStart;

#define G_CLONE_SETTLS         0x80000
#define G_CLONE_PARENT_SETTID  0x100000
#define G_CLONE_CHILD_CLEARTID 0x200000
#define G_CLONE_CHILD_SETTID   0x1000000

static void *thread_main(void *opaque)
{
    ThreadStart *s = opaque;
    UserTask *t = user_task_new();

    riscv_cpu_copy_state(&t->cpu, &s->parent->cpu);
    t->cpu.pc += 4;
    t->cpu.x[10] = 0;
    if (s->newsp) {
        t->cpu.x[2] = s->newsp;
    }
    if (s->flags & G_CLONE_SETTLS) {
        t->cpu.x[4] = s->tls;
    }
    t->sigmask = s->parent->sigmask;
    t->clear_child_tid = (s->flags & G_CLONE_CHILD_CLEARTID) ? s->ctid : 0;
    t->tid = gettid();
    user_current_task = t;
    /* Both tid words are written before the parent's clone() returns, as Linux does. */
    if (s->flags & G_CLONE_PARENT_SETTID) {
        user_put_u32(s->ptid, t->tid);
    }
    if (s->flags & G_CLONE_CHILD_SETTID) {
        user_put_u32(s->ctid, t->tid);
    }
    g_mutex_lock(&s->lock);
    s->tid = t->tid;
    s->ready = true;
    g_cond_signal(&s->cond);
    g_mutex_unlock(&s->lock);
    user_signal_set_host_mask(t);
    user_cpu_loop(t);
}

long user_thread_create(UserTask *parent, uint64_t flags, uint64_t newsp, uint64_t ptid,
                        uint64_t tls, uint64_t ctid)
{
    ThreadStart s = {
        .parent = parent, .flags = flags, .newsp = newsp, .ptid = ptid, .tls = tls, .ctid = ctid};
    pthread_attr_t attr;
    pthread_t th;
    sigset_t old;
    int r;

    g_mutex_init(&s.lock);
    g_cond_init(&s.cond);
    g_mutex_lock(&user_proc.threads_lock);
    user_proc.nthreads++;
    g_mutex_unlock(&user_proc.threads_lock);

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    user_signal_block_host(&old); /* the new thread starts with everything blocked */
    r = pthread_create(&th, &attr, thread_main, &s);
    user_signal_restore_host(&old);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        g_mutex_lock(&user_proc.threads_lock);
        user_proc.nthreads--;
        g_mutex_unlock(&user_proc.threads_lock);
        s.tid = -EAGAIN;
    } else {
        g_mutex_lock(&s.lock);
        while (!s.ready) {
            g_cond_wait(&s.cond, &s.lock);
        }
        g_mutex_unlock(&s.lock);
    }
    g_mutex_clear(&s.lock);
    g_cond_clear(&s.cond);
    return s.tid;
}

void user_fork_child(UserTask *t)
{
    t->tid = gettid();
    g_mutex_init(&user_proc.threads_lock);
    user_proc.nthreads = 1;
    user_proc.main_tid = t->tid;
    user_signal_after_fork_child(t);
}

static void robust_release(UserTask *t, uint64_t futex)
{
    uint32_t v, nv;

    if (user_get_u32(futex, &v) != 0 || (v & FUTEX_TID_MASK) != (uint32_t)t->tid) {
        return;
    }
    nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if (__atomic_compare_exchange_n((uint32_t *)g2h(futex), &v, nv, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST) &&
        (nv & FUTEX_WAITERS)) {
        syscall(SYS_futex, g2h(futex), FUTEX_WAKE, 1, NULL, NULL, 0);
    }
}

/* The kernel's exit_robust_list(): mark the futexes a dying thread holds. The list is
 * guest memory, so its length is bounded like the kernel bounds it. */
static void exit_robust_list(UserTask *t)
{
    uint64_t head[3], entry, pending;
    int limit = 2048;

    if (!t->robust_list || user_copy_from(head, t->robust_list, sizeof(head)) != 0) {
        return;
    }
    pending = head[2] & ~1ull;
    entry = head[0] & ~1ull;
    while (entry && entry != t->robust_list && limit-- > 0) {
        uint64_t next;
        if (user_get_u64(entry, &next) != 0) {
            break;
        }
        if (entry != pending) {
            robust_release(t, entry + head[1]);
        }
        entry = next & ~1ull;
    }
    if (pending) {
        robust_release(t, pending + head[1]);
    }
}

_Noreturn void user_thread_exit(UserTask *t, int status, bool group)
{
    sigset_t all;
    bool last;

    if (group) {
        user_log_flush();
        syscall(SYS_exit_group, status);
        _exit(status);
    }
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    exit_robust_list(t);
    if (t->clear_child_tid && user_put_u32(t->clear_child_tid, 0) == 0) {
        syscall(SYS_futex, g2h(t->clear_child_tid), FUTEX_WAKE, 1, NULL, NULL, 0);
    }
    g_mutex_lock(&user_proc.threads_lock);
    last = --user_proc.nthreads == 0;
    g_mutex_unlock(&user_proc.threads_lock);
    if (last) {
        user_log_flush();
        syscall(SYS_exit_group, status);
        _exit(status);
    }
    if (user_proc.main_tid == t->tid) {
        user_proc.main_tid = 0;
    }
    user_current_task = NULL;
    riscv_cpu_destroy(&t->cpu);
    g_free(t);
    pthread_exit(NULL);
}
