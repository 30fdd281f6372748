/*
 * Guest signals.
 *
 * Dispositions are the guest's (user_proc.sigact) and are mirrored onto the host: a
 * guest handler becomes host_signal_handler(), SIG_DFL and SIG_IGN stay what they are,
 * so a default "terminate" or "stop" is done by the host kernel itself and the parent
 * sees exactly the status the guest would give. The fault signals (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGTRAP) always have the host handler: vmd-user needs them to turn
 * guest memory faults into guest signals.
 *
 * Each thread's guest signal mask is its host signal mask (fault signals excepted), so
 * the host kernel picks the receiving thread, keeps blocked signals pending, and does
 * sigsuspend, sigtimedwait and signalfd for us. The host handler only records the signal
 * in its thread's UserTask and asks the CPU loop to come back; the loop then builds the
 * riscv64 rt_sigframe on the guest stack (user_signal_process_pending).
 *
 * Numbers: guest signals 1-31 and 34-62 are the host's. Host glibc keeps 32 and 33 for
 * itself, so the guest's 32 and 33 (which the guest's libc uses for thread cancellation
 * and setxid) travel as host 64 and 63; guest 63 and 64 have no host signal and can be
 * handled but not sent.
 */
#include "linux-user/syscall-defs.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <ucontext.h>

#include "linux-user/safe-syscall.h"
#include "tcg/exec/tb.h"

#define SIGBIT(s)   (1ull << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define G_SIG_DFL   0
#define G_SIG_IGN   1

int user_sig_g2h(int g)
{
    if ((g >= 1 && g <= 31) || (g >= 34 && g <= 62)) {
        return g;
    }
    return g == 32 ? 64 : g == 33 ? 63 : -1;
}

int user_sig_h2g(int h)
{
    if ((h >= 1 && h <= 31) || (h >= 34 && h <= 62)) {
        return h;
    }
    return h == 64 ? 32 : h == 63 ? 33 : -1;
}

void user_sigset_g2h(uint64_t guest, sigset_t *host)
{
    sigemptyset(host);
    for (int s = 1; s <= TARGET_NSIG; s++) {
        int h = user_sig_g2h(s);
        if ((guest & SIGBIT(s)) && h > 0) {
            sigaddset(host, h);
        }
    }
}

uint64_t user_sigset_h2g(const sigset_t *host)
{
    uint64_t g = 0;

    for (int h = 1; h <= 64; h++) {
        int s = user_sig_h2g(h);
        if (s > 0 && sigismember(host, h) == 1) {
            g |= SIGBIT(s);
        }
    }
    return g;
}

static bool is_fault_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

static void sigset_drop_faults(sigset_t *s)
{
    sigdelset(s, SIGSEGV);
    sigdelset(s, SIGBUS);
    sigdelset(s, SIGILL);
    sigdelset(s, SIGFPE);
    sigdelset(s, SIGTRAP);
}

void user_signal_set_host_mask(UserTask *t)
{
    sigset_t h;

    user_sigset_g2h(t->sigmask, &h);
    sigset_drop_faults(&h);
    pthread_sigmask(SIG_SETMASK, &h, NULL);
}

void user_signal_block_host(sigset_t *old)
{
    sigset_t all;

    sigfillset(&all);
    sigset_drop_faults(&all);
    pthread_sigmask(SIG_BLOCK, &all, old);
}

void user_signal_restore_host(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* A host fault. If guest code caused it in guest memory, it becomes a guest page fault
 * (riscv_cpu_raise does not return); otherwise vmd-user itself is broken. */
static void host_fault(int sig, siginfo_t *info, ucontext_t *uc)
{
    RiscvCPU *cpu = riscv_current_cpu;
    UserTask *t = user_current_task;
    uint64_t ga;
    char msg[160];
    int n;

    if ((sig == SIGSEGV || sig == SIGBUS) && cpu && t &&
        user_mem_host_fault(&user_proc.mem, (uintptr_t)info->si_addr, &ga)) {
        bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;
        t->fault_signal = sig;
        /* riscv_cpu_raise() long-jumps out of this handler: restore the mask the
         * thread had when it faulted, which the jump may not do. */
        pthread_sigmask(SIG_SETMASK, &uc->uc_sigmask, NULL);
        /* Generated code keeps the guest pc lazily: recover it from the host pc. */
        tb_restore_state(cpu->tbs, cpu, (uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
        riscv_cpu_raise(cpu, write ? RISCV_EXCP_STORE_PAGE_FAULT : RISCV_EXCP_LOAD_PAGE_FAULT, ga);
    }
    n = snprintf(msg, sizeof(msg),
                 "vmd-user: internal error: host signal %d at address %p "
                 "(host pc %p)\n",
                 sig, info->si_addr, (void *)uc->uc_mcontext.gregs[REG_RIP]);
    if (n > 0 && write(2, msg, MIN((size_t)n, sizeof(msg) - 1)) < 0) {
        /* nothing more to do */
    }
    /* Returning re-executes the faulting instruction under the default action. */
    signal(sig, SIG_DFL);
}

static void host_signal_handler(int hs, siginfo_t *info, void *puc)
{
    int saved_errno = errno;
    UserTask *t = user_current_task;
    UserPendingSignal *p;
    int gs;

    if (is_fault_signal(hs) && info->si_code > 0) {
        host_fault(hs, info, puc);
        goto out;
    }
    gs = user_sig_h2g(hs);
    if (gs <= 0) {
        goto out;
    }
    if (!t) {
        /* A host thread that runs no guest code: pass the signal to a guest thread. */
        if (user_proc.main_tid && user_proc.main_tid != gettid()) {
            syscall(SYS_tgkill, getpid(), user_proc.main_tid, hs);
        }
        goto out;
    }
    p = &t->pending[gs];
    p->info = *info;
    p->info.si_signo = gs;
    if (gs == SIGCHLD && (info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED ||
                          info->si_code == CLD_STOPPED)) {
        p->info.si_status = user_sig_h2g(info->si_status);
    }
    p->pending = true;
    t->signal_pending = 1;
    __atomic_store_n(&t->cpu.exit_request, 1, __ATOMIC_SEQ_CST);
    user_safe_syscall_adjust_pc(puc);
out:
    errno = saved_errno;
}

/* Mirrors the guest disposition of gs onto the host. Caller holds sigact_lock. */
static void update_host_action(int gs)
{
    const TargetSigaction *ga = &user_proc.sigact[gs];
    int hs = user_sig_g2h(gs);
    struct sigaction sa;

    if (hs <= 0 || gs == SIGKILL || gs == SIGSTOP) {
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sigfillset(&sa.sa_mask);
    if (gs == SIGCHLD) {
        sa.sa_flags |= ga->flags & (SA_NOCLDSTOP | SA_NOCLDWAIT);
    }
    if (is_fault_signal(hs)) {
        sa.sa_sigaction = host_signal_handler;
        sa.sa_flags |= SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
    } else if (ga->handler == G_SIG_DFL) {
        sa.sa_handler = SIG_DFL;
    } else if (ga->handler == G_SIG_IGN) {
        sa.sa_handler = SIG_IGN;
    } else {
        sa.sa_sigaction = host_signal_handler;
        sa.sa_flags |= SA_SIGINFO;
    }
    sigaction(hs, &sa, NULL);
}

void user_signal_init_process(void)
{
    g_mutex_init(&user_proc.sigact_lock);
    for (int gs = 1; gs <= TARGET_NSIG; gs++) {
        int hs = user_sig_g2h(gs);
        struct sigaction old;

        memset(&user_proc.sigact[gs], 0, sizeof(user_proc.sigact[gs]));
        /* Ignored signals stay ignored across exec, for the guest as for the host. */
        if (hs > 0 && sigaction(hs, NULL, &old) == 0 && old.sa_handler == SIG_IGN &&
            !is_fault_signal(hs)) {
            user_proc.sigact[gs].handler = G_SIG_IGN;
        }
        update_host_action(gs);
    }
}

void user_signal_init_thread(UserTask *t)
{
    sigset_t cur;

    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    t->sigmask = user_sigset_h2g(&cur) & ~UNBLOCKABLE;
    t->altstack.ss_flags = TARGET_SS_DISABLE;
    user_signal_set_host_mask(t);
}

void user_signal_after_fork_child(UserTask *t)
{
    memset(t->pending, 0, sizeof(t->pending));
    t->sync_signal = 0;
    t->signal_pending = 0;
    g_mutex_init(&user_proc.sigact_lock);
}

void user_signal_queue_fault(UserTask *t, int sig, int code, uint64_t addr)
{
    UserPendingSignal *p = &t->pending[sig];
    sigset_t old;

    user_signal_block_host(&old);
    memset(&p->info, 0, sizeof(p->info));
    p->info.si_signo = sig;
    p->info.si_code = code;
    p->info.si_addr = (void *)(uintptr_t)addr;
    p->pending = true;
    t->sync_signal = sig;
    t->signal_pending = 1;
    user_signal_restore_host(&old);
    if (user_proc.opts->log_mask & USER_LOG_INT) {
        user_log("vmd-user: %d: signal %d code %d addr %#" G_GINT64_MODIFIER
                 "x at pc %#" G_GINT64_MODIFIER "x\n",
                 t->tid, sig, code, addr, t->cpu.pc);
    }
}

static bool core_dumping(int sig)
{
    return sig == SIGQUIT || sig == SIGILL || sig == SIGTRAP || sig == SIGABRT || sig == SIGBUS ||
           sig == SIGFPE || sig == SIGSEGV || sig == SIGXCPU || sig == SIGXFSZ || sig == SIGSYS;
}

_Noreturn void user_die_by_signal(int gs)
{
    int hs = user_sig_g2h(gs);
    struct sigaction sa;
    sigset_t set;

    if (hs <= 0) {
        hs = SIGKILL;
    }
    user_log_flush();
    if (core_dumping(gs)) {
        /* A core of vmd-user would describe the emulator, not the guest. */
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_CORE, &rl);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(hs, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, hs);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), hs);
    syscall(SYS_tgkill, getpid(), gettid(), hs);
    _exit(128 + gs);
}

static bool on_altstack(const UserTask *t, uint64_t sp)
{
    return !(t->altstack.ss_flags & TARGET_SS_DISABLE) &&
           sp - t->altstack.ss_sp <= t->altstack.ss_size && sp != t->altstack.ss_sp;
}

static int altstack_flags(const UserTask *t, uint64_t sp)
{
    if (t->altstack.ss_flags & TARGET_SS_DISABLE) {
        return TARGET_SS_DISABLE;
    }
    return on_altstack(t, sp) ? TARGET_SS_ONSTACK : 0;
}

void user_sigframe_fill(TargetRtSigframe *f, const RiscvCPU *cpu, int sig, const siginfo_t *info,
                        uint64_t mask)
{
    memcpy(f->info, info, sizeof(f->info));
    ((siginfo_t *)f->info)->si_signo = sig;
    f->uc.uc_flags = 0;
    f->uc.uc_link = 0;
    f->uc.uc_sigmask = mask;
    f->uc.uc_mcontext.regs[0] = cpu->pc;
    for (int i = 1; i < 32; i++) {
        f->uc.uc_mcontext.regs[i] = cpu->x[i];
    }
    memcpy(f->uc.uc_mcontext.fp.d.f, cpu->f, sizeof(f->uc.uc_mcontext.fp.d.f));
    f->uc.uc_mcontext.fp.d.fcsr = (uint32_t)((cpu->frm & 7) << 5 | (cpu->fflags & 0x1f));
}

void user_sigframe_restore(RiscvCPU *cpu, const TargetRtSigframe *f)
{
    cpu->pc = f->uc.uc_mcontext.regs[0];
    for (int i = 1; i < 32; i++) {
        cpu->x[i] = f->uc.uc_mcontext.regs[i];
    }
    memcpy(cpu->f, f->uc.uc_mcontext.fp.d.f, sizeof(cpu->f));
    cpu->fflags = f->uc.uc_mcontext.fp.d.fcsr & 0x1f;
    cpu->frm = (f->uc.uc_mcontext.fp.d.fcsr >> 5) & 7;
    cpu->res_addr = UINT64_MAX;
}

/* Builds the rt_sigframe and points the CPU at the handler; false when the guest stack
 * cannot take the frame. */
static bool setup_frame(UserTask *t, int sig, const TargetSigaction *act, const siginfo_t *info)
{
    RiscvCPU *cpu = &t->cpu;
    uint64_t sp = cpu->x[2];
    TargetRtSigframe *f = g_new0(TargetRtSigframe, 1);
    bool ok;

    if ((act->flags & TARGET_SA_ONSTACK) && !(t->altstack.ss_flags & TARGET_SS_DISABLE) &&
        t->altstack.ss_size && !on_altstack(t, sp)) {
        sp = t->altstack.ss_sp + t->altstack.ss_size;
    }
    sp = (sp - sizeof(*f)) & ~15ull;
    f->uc.uc_stack = t->altstack;
    f->uc.uc_stack.ss_flags = altstack_flags(t, cpu->x[2]);
    user_sigframe_fill(f, cpu, sig, info, t->sigmask_saved ? t->saved_sigmask : t->sigmask);
    ok = user_copy_to(sp, f, sizeof(*f)) == 0;
    g_free(f);
    if (!ok) {
        return false;
    }
    cpu->x[1] = user_proc.sigtramp;
    cpu->x[2] = sp;
    cpu->x[10] = sig;
    cpu->x[11] = sp + offsetof(TargetRtSigframe, info);
    cpu->x[12] = sp + offsetof(TargetRtSigframe, uc);
    cpu->pc = act->handler;
    t->sigmask_saved = false;
    return true;
}

static void default_action(int sig)
{
    switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
    case SIGCONT:
        return;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        kill(getpid(), SIGSTOP);
        return;
    default:
        user_die_by_signal(sig);
    }
}

static void deliver_one(UserTask *t, int sig, const siginfo_t *info, bool forced)
{
    TargetSigaction act;
    RiscvCPU *cpu = &t->cpu;

    g_mutex_lock(&user_proc.sigact_lock);
    act = user_proc.sigact[sig];
    if (act.handler > G_SIG_IGN && (act.flags & TARGET_SA_RESETHAND)) {
        user_proc.sigact[sig].handler = G_SIG_DFL;
        update_host_action(sig);
    }
    g_mutex_unlock(&user_proc.sigact_lock);

    /* A fault the guest blocks or ignores kills it, as force_sig() does. */
    if (forced && (act.handler == G_SIG_IGN || (t->sigmask & SIGBIT(sig)))) {
        act.handler = G_SIG_DFL;
    }
    if (act.handler == G_SIG_IGN) {
        return;
    }
    if (act.handler == G_SIG_DFL) {
        default_action(sig);
        return;
    }
    if (t->restart) {
        if (!(t->restart == USER_ERESTARTSYS && (act.flags & TARGET_SA_RESTART))) {
            cpu->x[10] = (uint64_t)-EINTR;
            cpu->pc += 4;
        }
        t->restart = 0;
    }
    if (!setup_frame(t, sig, &act, info)) {
        user_die_by_signal(SIGSEGV);
    }
    t->sigmask |= act.mask;
    if (!(act.flags & TARGET_SA_NODEFER)) {
        t->sigmask |= SIGBIT(sig);
    }
    t->sigmask &= ~UNBLOCKABLE;
    user_signal_set_host_mask(t);
    if (user_proc.opts->log_mask & USER_LOG_INT) {
        user_log("vmd-user: %d: delivering signal %d to handler %#" G_GINT64_MODIFIER "x\n", t->tid,
                 sig, act.handler);
    }
}

static int next_signal(UserTask *t)
{
    if (t->sync_signal && t->pending[t->sync_signal].pending) {
        return t->sync_signal;
    }
    for (int s = 1; s <= TARGET_NSIG; s++) {
        if (t->pending[s].pending && !(t->sigmask & SIGBIT(s))) {
            return s;
        }
    }
    return 0;
}

void user_signal_process_pending(UserTask *t)
{
    __atomic_store_n(&t->cpu.exit_request, 0, __ATOMIC_SEQ_CST);
    if (!t->signal_pending && !t->restart && !t->sigmask_saved) {
        return;
    }
    for (;;) {
        siginfo_t info;
        sigset_t old;
        bool forced = false;
        int sig;

        user_signal_block_host(&old);
        t->signal_pending = 0;
        sig = next_signal(t);
        if (sig) {
            info = t->pending[sig].info;
            t->pending[sig].pending = false;
            if (sig == t->sync_signal) {
                t->sync_signal = 0;
                forced = true;
            }
        }
        user_signal_restore_host(&old);
        if (!sig) {
            break;
        }
        deliver_one(t, sig, &info, forced);
    }
    /* No handler ran: an interrupted system call starts again (pc is on its ecall). */
    t->restart = 0;
    if (t->sigmask_saved) {
        t->sigmask = t->saved_sigmask;
        t->sigmask_saved = false;
        user_signal_set_host_mask(t);
    }
}

/* System calls. */

static int get_sigset(uint64_t addr, uint64_t size, uint64_t *ret)
{
    if (size != 8) {
        return -EINVAL;
    }
    return user_get_u64(addr, ret);
}

USER_SYSCALL(rt_sigaction)
{
    int sig = (int)a[0];
    TargetSigaction na, oa;

    if (a[3] != 8 || sig < 1 || sig > TARGET_NSIG) {
        return -EINVAL;
    }
    if (a[1]) {
        if (sig == SIGKILL || sig == SIGSTOP) {
            return -EINVAL;
        }
        if (user_copy_from(&na, a[1], sizeof(na)) != 0) {
            return -EFAULT;
        }
        na.mask &= ~UNBLOCKABLE;
    }
    g_mutex_lock(&user_proc.sigact_lock);
    oa = user_proc.sigact[sig];
    if (a[1]) {
        user_proc.sigact[sig] = na;
        update_host_action(sig);
    }
    g_mutex_unlock(&user_proc.sigact_lock);
    if (a[2] && user_copy_to(a[2], &oa, sizeof(oa)) != 0) {
        return -EFAULT;
    }
    return 0;
}

int user_sigmask_change(UserTask *t, int how, uint64_t set, uint64_t *ret_old)
{
    uint64_t m = t->sigmask;

    *ret_old = m;
    switch (how) {
    case SIG_BLOCK:
        m |= set;
        break;
    case SIG_UNBLOCK:
        m &= ~set;
        break;
    case SIG_SETMASK:
        m = set;
        break;
    default:
        return -EINVAL;
    }
    t->sigmask = m & ~UNBLOCKABLE;
    user_signal_set_host_mask(t);
    /* Signals queued while blocked may be deliverable now. */
    t->signal_pending = 1;
    return 0;
}

USER_SYSCALL(rt_sigprocmask)
{
    uint64_t set = 0, old;
    int err;

    if (a[3] != 8) {
        return -EINVAL;
    }
    if (a[1]) {
        err = user_get_u64(a[1], &set);
        if (err) {
            return err;
        }
        err = user_sigmask_change(t, (int)a[0], set, &old);
        if (err) {
            return err;
        }
    } else {
        old = t->sigmask;
    }
    if (a[2] && user_put_u64(a[2], old) != 0) {
        return -EFAULT;
    }
    return 0;
}

USER_SYSCALL(rt_sigpending)
{
    sigset_t hs;
    uint64_t g = 0;

    if (a[1] != 8) {
        return -EINVAL;
    }
    sigpending(&hs);
    g = user_sigset_h2g(&hs) & t->sigmask;
    for (int s = 1; s <= TARGET_NSIG; s++) {
        if (t->pending[s].pending) {
            g |= SIGBIT(s);
        }
    }
    return user_put_u64(a[0], g);
}

static bool queue_has_unblocked(UserTask *t)
{
    for (int s = 1; s <= TARGET_NSIG; s++) {
        if (t->pending[s].pending && !(t->sigmask & SIGBIT(s))) {
            return true;
        }
    }
    return false;
}

/* Installs a temporary mask until the next signal delivery (sigsuspend, ppoll,
 * pselect6, epoll_pwait); the signal frame then saves the original one. */
void user_signal_set_temporary_mask(UserTask *t, uint64_t mask, sigset_t *ret_host)
{
    t->saved_sigmask = t->sigmask;
    t->sigmask_saved = true;
    t->sigmask = mask & ~UNBLOCKABLE;
    user_sigset_g2h(t->sigmask, ret_host);
    sigset_drop_faults(ret_host);
}

USER_SYSCALL(rt_sigsuspend)
{
    uint64_t mask;
    sigset_t hm;
    int err = get_sigset(a[0], a[1], &mask);

    if (err) {
        return err;
    }
    user_signal_set_temporary_mask(t, mask, &hm);
    /* Clear first: a signal queued after the check still wakes the safe syscall. */
    t->signal_pending = 0;
    if (!queue_has_unblocked(t)) {
        user_safe_syscall(SYS_rt_sigsuspend, (long)&hm, 8, 0, 0, 0, 0);
    }
    return -USER_ERESTARTNOHAND;
}

USER_SYSCALL(rt_sigtimedwait)
{
    uint64_t set;
    sigset_t hs;
    siginfo_t info;
    void *timeout = NULL;
    long r;
    int err = get_sigset(a[0], a[3], &set);

    if (err) {
        return err;
    }
    if (a[2] && !(timeout = user_buf(a[2], 16))) {
        return -EFAULT;
    }
    set &= ~UNBLOCKABLE;
    for (int s = 1; s <= TARGET_NSIG; s++) {
        if ((set & SIGBIT(s)) && t->pending[s].pending) {
            sigset_t old;
            user_signal_block_host(&old);
            info = t->pending[s].info;
            t->pending[s].pending = false;
            user_signal_restore_host(&old);
            return a[1] && user_copy_to(a[1], &info, sizeof(info)) ? -EFAULT : s;
        }
    }
    user_sigset_g2h(set, &hs);
    r = user_safe_syscall(SYS_rt_sigtimedwait, (long)&hs, (long)&info, (long)timeout, 8, 0, 0);
    if (r == -USER_ERESTARTSYS) {
        return -USER_ERESTARTNOHAND;
    }
    if (r <= 0) {
        return r;
    }
    r = user_sig_h2g((int)r);
    info.si_signo = (int)r;
    if (a[1] && user_copy_to(a[1], &info, sizeof(info)) != 0) {
        return -EFAULT;
    }
    return r;
}

static int sig_arg(uint64_t gs, int *ret)
{
    if (gs == 0) {
        *ret = 0;
        return 0;
    }
    *ret = user_sig_g2h((int)gs);
    return *ret > 0 ? 0 : -EINVAL;
}

USER_SYSCALL(kill)
{
    int hs, err = sig_arg(a[1], &hs);

    return err ? err : host_syscall(SYS_kill, (pid_t)a[0], hs);
}

USER_SYSCALL(tkill)
{
    int hs, err = sig_arg(a[1], &hs);

    return err ? err : host_syscall(SYS_tkill, (pid_t)a[0], hs);
}

USER_SYSCALL(tgkill)
{
    int hs, err = sig_arg(a[2], &hs);

    return err ? err : host_syscall(SYS_tgkill, (pid_t)a[0], (pid_t)a[1], hs);
}

static int get_siginfo(uint64_t addr, int hs, siginfo_t *info)
{
    if (user_copy_from(info, addr, sizeof(*info)) != 0) {
        return -EFAULT;
    }
    info->si_signo = hs;
    return 0;
}

USER_SYSCALL(rt_sigqueueinfo)
{
    siginfo_t info;
    int hs, err = sig_arg(a[1], &hs);

    if (!err) {
        err = get_siginfo(a[2], hs, &info);
    }
    return err ? err : host_syscall(SYS_rt_sigqueueinfo, (pid_t)a[0], hs, &info);
}

USER_SYSCALL(rt_tgsigqueueinfo)
{
    siginfo_t info;
    int hs, err = sig_arg(a[2], &hs);

    if (!err) {
        err = get_siginfo(a[3], hs, &info);
    }
    return err ? err : host_syscall(SYS_rt_tgsigqueueinfo, (pid_t)a[0], (pid_t)a[1], hs, &info);
}

USER_SYSCALL(pidfd_send_signal)
{
    siginfo_t info;
    int hs, err = sig_arg(a[1], &hs);

    if (!err && a[2]) {
        err = get_siginfo(a[2], hs, &info);
    }
    return err ? err
               : host_syscall(SYS_pidfd_send_signal, (int)a[0], hs, a[2] ? &info : NULL,
                              (unsigned)a[3]);
}

USER_SYSCALL(sigaltstack)
{
    uint64_t sp = t->cpu.x[2];
    TargetStack ns, os = t->altstack;

    os.ss_flags = altstack_flags(t, sp);
    if (a[0]) {
        int flags;
        if (user_copy_from(&ns, a[0], sizeof(ns)) != 0) {
            return -EFAULT;
        }
        if (on_altstack(t, sp)) {
            return -EPERM;
        }
        flags = ns.ss_flags & ~(int32_t)(1u << 31); /* SS_AUTODISARM */
        if (flags != 0 && flags != TARGET_SS_DISABLE && flags != TARGET_SS_ONSTACK) {
            return -EINVAL;
        }
        if (flags == TARGET_SS_DISABLE) {
            ns.ss_sp = 0;
            ns.ss_size = 0;
        } else if (ns.ss_size < TARGET_MINSIGSTKSZ) {
            return -ENOMEM;
        }
        ns.ss_flags = flags == TARGET_SS_DISABLE ? TARGET_SS_DISABLE : 0;
        t->altstack = ns;
    }
    if (a[1] && user_copy_to(a[1], &os, sizeof(os)) != 0) {
        return -EFAULT;
    }
    return 0;
}

USER_SYSCALL(rt_sigreturn)
{
    RiscvCPU *cpu = &t->cpu;
    uint64_t sp = cpu->x[2];
    TargetRtSigframe *f = g_new(TargetRtSigframe, 1);
    TargetStack *st;

    if (user_copy_from(f, sp, sizeof(*f)) != 0) {
        g_free(f);
        user_signal_queue_fault(t, SIGSEGV, SI_KERNEL, 0);
        return -USER_ESIGRETURN;
    }
    user_sigframe_restore(cpu, f);
    t->sigmask = f->uc.uc_sigmask & ~UNBLOCKABLE;
    user_signal_set_host_mask(t);
    t->signal_pending = 1;
    /* Restore the alternate stack as the frame recorded it (errors are ignored, as
     * restore_altstack() does). */
    st = &f->uc.uc_stack;
    if (!on_altstack(t, cpu->x[2])) {
        if (st->ss_flags & TARGET_SS_DISABLE) {
            t->altstack = (TargetStack){.ss_flags = TARGET_SS_DISABLE};
        } else if (st->ss_size >= TARGET_MINSIGSTKSZ) {
            t->altstack = (TargetStack){.ss_sp = st->ss_sp, .ss_size = st->ss_size};
        }
    }
    g_free(f);
    return -USER_ESIGRETURN;
}

USER_SYSCALL(signalfd4)
{
    uint64_t mask;
    sigset_t hm;
    int err = get_sigset(a[1], a[2], &mask);

    if (err) {
        return err;
    }
    user_sigset_g2h(mask, &hm);
    return host_syscall(SYS_signalfd4, (int)a[0], &hm, 8, (int)a[3]);
}
