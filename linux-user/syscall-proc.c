/*
 * Process, memory, identity and time system calls: mmap and friends on the guest
 * address space, clone (host fork for new processes, host threads for CLONE_THREAD),
 * execve (re-executing vmd-user for riscv64 programs), wait, futexes, limits, prctl.
 *
 * Identity calls go to the host as raw system calls, never through glibc: glibc's
 * setuid() and friends would signal every host thread, while the guest's own libc
 * already does that for its threads, one raw call per thread.
 */
#include "linux-user/syscall-defs.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "tcg/exec/tb.h"

#define BUF(addr, len) user_buf((addr), (len))

/* Guest clone flags (the asm-generic values, same as the host's). */
#define G_CLONE_VM             0x100
#define G_CLONE_VFORK          0x4000
#define G_CLONE_THREAD         0x10000
#define G_CLONE_SETTLS         0x80000
#define G_CLONE_PARENT_SETTID  0x100000
#define G_CLONE_CHILD_CLEARTID 0x200000
#define G_CLONE_CHILD_SETTID   0x1000000

long user_thread_create(UserTask *parent, uint64_t flags, uint64_t newsp, uint64_t ptid,
                        uint64_t tls, uint64_t ctid);
void user_fork_child(UserTask *t);

/* Memory. */

USER_SYSCALL(mmap)
{
    return user_mem_mmap(&user_proc.mem, a[0], a[1], (uint32_t)a[2], (uint32_t)a[3], (int)a[4],
                         a[5]);
}

USER_SYSCALL(munmap)
{
    return user_mem_munmap(&user_proc.mem, a[0], a[1]);
}

USER_SYSCALL(mprotect)
{
    return user_mem_mprotect(&user_proc.mem, a[0], a[1], (uint32_t)a[2]);
}

USER_SYSCALL(mremap)
{
    return user_mem_mremap(&user_proc.mem, a[0], a[1], a[2], (uint32_t)a[3], a[4]);
}

USER_SYSCALL(brk)
{
    return (long)user_mem_brk(&user_proc.mem, a[0]);
}

/* A guest range for msync/mlock/madvise: page-aligned start, mapped throughout. */
static int mapped_range(uint64_t addr, uint64_t len, void **ret)
{
    if (addr & 4095) {
        return -EINVAL;
    }
    len = user_page_align_up(len);
    if (!user_mem_range_ok(&user_proc.mem, addr, len)) {
        return -ENOMEM;
    }
    if (!user_mem_access_ok(&user_proc.mem, addr, len, 0)) {
        return -ENOMEM;
    }
    *ret = g2h(addr);
    return 0;
}

USER_SYSCALL(msync)
{
    void *p;
    int err = mapped_range(a[0], a[1], &p);

    return err ? err : host_syscall(SYS_msync, p, a[1], (int)a[2]);
}

USER_SYSCALL(mlock)
{
    void *p;
    int err = mapped_range(a[0] & ~4095ull, a[1] + (a[0] & 4095), &p);

    return err ? err : host_syscall(SYS_mlock, g2h(a[0]), a[1]);
}

USER_SYSCALL(munlock)
{
    void *p;
    int err = mapped_range(a[0] & ~4095ull, a[1] + (a[0] & 4095), &p);

    return err ? err : host_syscall(SYS_munlock, g2h(a[0]), a[1]);
}

USER_SYSCALL(mlockall)
{
    /* Locking all of vmd-user would lock the whole reservation: only pretend. */
    return (a[0] & ~7ull) || !a[0] ? -EINVAL : 0;
}

USER_SYSCALL(munlockall)
{
    return 0;
}

USER_SYSCALL(mincore)
{
    void *p, *vec;
    int err = mapped_range(a[0], a[1], &p);

    if (err) {
        return err;
    }
    vec = BUF(a[2], user_page_align_up(a[1]) / 4096);
    return vec ? host_syscall(SYS_mincore, p, a[1], vec) : -EFAULT;
}

USER_SYSCALL(madvise)
{
    void *p;
    int advice = (int)a[2];
    int err = mapped_range(a[0], a[1], &p);

    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_REMOVE:
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
    case MADV_COLD:
    case MADV_PAGEOUT:
        break;
    default:
        return -EINVAL;
    }
    if (err) {
        return err;
    }
    if (advice == MADV_DONTNEED || advice == MADV_FREE || advice == MADV_REMOVE) {
        /* Data the guest may have run as code goes away. */
        if (user_proc.tbs && user_mem_range_has_exec(&user_proc.mem, a[0], a[1])) {
            tb_invalidate_range(user_proc.tbs, a[0], a[1]);
        }
    }
    return host_syscall(SYS_madvise, p, user_page_align_up(a[1]), advice);
}

USER_SYSCALL(riscv_flush_icache)
{
    if (a[1] > a[0] && user_proc.tbs) {
        tb_invalidate_range(user_proc.tbs, a[0], a[1] - a[0]);
    }
    return (a[2] & ~1ull) ? -EINVAL : 0;
}

/* Threads and processes. */

static long do_fork(UserTask *t, uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t tls,
                    uint64_t ctid)
{
    int vfork_pipe[2] = {-1, -1};
    sigset_t old;
    pid_t pid;
    char c;

    if ((flags & G_CLONE_VFORK) && pipe2(vfork_pipe, O_CLOEXEC) != 0) {
        return -errno;
    }
    user_signal_block_host(&old);
    /* Translation takes the block cache lock, then the page map's: same order here. */
    tb_cache_fork_prepare(user_proc.tbs);
    user_mem_lock(&user_proc.mem);
    pid = fork();
    user_mem_unlock(&user_proc.mem);
    if (pid == 0) {
        tb_cache_fork_child(user_proc.tbs, t->cpu.tb_thread);
    } else {
        tb_cache_fork_parent(user_proc.tbs);
    }
    if (pid == 0) {
        user_fork_child(t);
        if (newsp) {
            t->cpu.x[2] = newsp;
        }
        if (flags & G_CLONE_SETTLS) {
            t->cpu.x[4] = tls;
        }
        if (flags & G_CLONE_CHILD_SETTID) {
            user_put_u32(ctid, t->tid);
        }
        if (flags & G_CLONE_CHILD_CLEARTID) {
            t->clear_child_tid = ctid;
        }
        if (vfork_pipe[0] >= 0) {
            close(vfork_pipe[0]); /* the write end closes at exec or exit */
        }
        user_signal_restore_host(&old);
        return 0;
    }
    user_signal_restore_host(&old);
    if (pid < 0) {
        int err = -errno;
        if (vfork_pipe[0] >= 0) {
            close(vfork_pipe[0]);
            close(vfork_pipe[1]);
        }
        return err;
    }
    if (flags & G_CLONE_PARENT_SETTID) {
        user_put_u32(ptid, pid);
    }
    if (vfork_pipe[0] >= 0) {
        /* vfork: the parent waits until the child has exec'd or exited. */
        close(vfork_pipe[1]);
        while (read(vfork_pipe[0], &c, 1) < 0 && errno == EINTR) {
        }
        close(vfork_pipe[0]);
    }
    return pid;
}

/* clone(flags, newsp, parent_tid, tls, child_tid): riscv64 has CLONE_BACKWARDS. */
USER_SYSCALL(clone)
{
    uint64_t flags = a[0];

    if ((flags & G_CLONE_VM) && !(flags & G_CLONE_VFORK)) {
        if (!(flags & G_CLONE_THREAD)) {
            /* A process sharing our memory: not something a host fork can give. */
            return -EINVAL;
        }
        return user_thread_create(t, flags, a[1], a[2], a[3], a[4]);
    }
    if (flags & G_CLONE_THREAD) {
        return -EINVAL;
    }
    return do_fork(t, flags, a[1], a[2], a[3], a[4]);
}

USER_SYSCALL(set_tid_address)
{
    t->clear_child_tid = a[0];
    return t->tid;
}

USER_SYSCALL(exit)
{
    user_thread_exit(t, (int)a[0], false);
}

USER_SYSCALL(exit_group)
{
    user_thread_exit(t, (int)a[0], true);
}

static int status_h2g(int status)
{
    if (WIFSIGNALED(status)) {
        return (status & ~0x7f) | user_sig_h2g(WTERMSIG(status));
    }
    if (WIFSTOPPED(status)) {
        return (status & 0xff) | (user_sig_h2g(WSTOPSIG(status)) << 8);
    }
    return status;
}

USER_SYSCALL(wait4)
{
    void *ru = NULL;
    int status;
    long r;

    if (a[3] && !(ru = BUF(a[3], sizeof(struct rusage)))) {
        return -EFAULT;
    }
    r = user_safe_syscall(SYS_wait4, (pid_t)a[0], (long)&status, (int)a[2], (long)ru, 0, 0);
    if (r > 0 && a[1] && user_put_u32(a[1], status_h2g(status)) != 0) {
        return -EFAULT;
    }
    return r;
}

USER_SYSCALL(waitid)
{
    void *ru = NULL;
    siginfo_t info;
    long r;

    if (a[4] && !(ru = BUF(a[4], sizeof(struct rusage)))) {
        return -EFAULT;
    }
    memset(&info, 0, sizeof(info));
    r = user_safe_syscall(SYS_waitid, (int)a[0], (pid_t)a[1], (long)&info, (int)a[3], (long)ru, 0);
    if (r < 0 || !a[2]) {
        return r;
    }
    if (info.si_signo) {
        info.si_signo = user_sig_h2g(info.si_signo);
        if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED ||
            info.si_code == CLD_STOPPED || info.si_code == CLD_TRAPPED) {
            info.si_status = user_sig_h2g(info.si_status);
        }
    }
    return user_copy_to(a[2], &info, sizeof(info)) ? -EFAULT : r;
}

/* Futexes: guest memory is host memory, so the host futex does the work. */
USER_SYSCALL(futex)
{
    int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
    void *uaddr = BUF(a[0], 4), *uaddr2 = NULL, *timeout = NULL;

    if (!uaddr) {
        return -EFAULT;
    }
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_WAIT_REQUEUE_PI:
        if (a[3] && !(timeout = BUF(a[3], sizeof(struct timespec)))) {
            return -EFAULT;
        }
        if (cmd == FUTEX_WAIT_REQUEUE_PI && !(uaddr2 = BUF(a[4], 4))) {
            return -EFAULT;
        }
        return user_safe_syscall(SYS_futex, (long)uaddr, op, (int)a[2], (long)timeout, (long)uaddr2,
                                 (int)a[5]);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_UNLOCK_PI:
    case FUTEX_TRYLOCK_PI:
        return host_syscall(SYS_futex, uaddr, op, (int)a[2], NULL, NULL, (int)a[5]);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
    case FUTEX_CMP_REQUEUE_PI:
        if (!(uaddr2 = BUF(a[4], 4))) {
            return -EFAULT;
        }
        /* The fourth argument is a count here, not a pointer. */
        return host_syscall(SYS_futex, uaddr, op, (int)a[2], (long)(uint32_t)a[3], uaddr2,
                            (int)a[5]);
    default:
        return -ENOSYS;
    }
}

USER_SYSCALL(set_robust_list)
{
    if (a[1] != 24) {
        return -EINVAL;
    }
    t->robust_list = a[0];
    t->robust_len = a[1];
    return 0;
}

USER_SYSCALL(get_robust_list)
{
    if (a[0] != 0 && (pid_t)a[0] != t->tid) {
        return -EPERM;
    }
    if (user_put_u64(a[1], t->robust_list) || user_put_u64(a[2], 24)) {
        return -EFAULT;
    }
    return 0;
}

/* Time. */

static long sleep_result(long r)
{
    /* Linux returns -EINTR from a sleep a handler interrupted, even with SA_RESTART. */
    return r == -USER_ERESTARTSYS ? -USER_ERESTARTNOHAND : r;
}

USER_SYSCALL(nanosleep)
{
    void *req = BUF(a[0], 16), *rem = a[1] ? BUF(a[1], 16) : NULL;

    if (!req || (a[1] && !rem)) {
        return -EFAULT;
    }
    return sleep_result(user_safe_syscall(SYS_nanosleep, (long)req, (long)rem, 0, 0, 0, 0));
}

USER_SYSCALL(clock_nanosleep)
{
    void *req = BUF(a[2], 16), *rem = a[3] ? BUF(a[3], 16) : NULL;

    if (!req || (a[3] && !rem)) {
        return -EFAULT;
    }
    return sleep_result(user_safe_syscall(SYS_clock_nanosleep, (clockid_t)a[0], (int)a[1],
                                          (long)req, (long)rem, 0, 0));
}

/* Time structures (timespec, timeval, itimerval, itimerspec) are the same on both. */
USER_SYSCALL(clock_gettime)
{
    void *ts = BUF(a[1], 16);

    return ts ? host_syscall(SYS_clock_gettime, (clockid_t)a[0], ts) : -EFAULT;
}

USER_SYSCALL(clock_getres)
{
    void *ts = a[1] ? BUF(a[1], 16) : NULL;

    return (a[1] && !ts) ? -EFAULT : host_syscall(SYS_clock_getres, (clockid_t)a[0], ts);
}

USER_SYSCALL(clock_settime)
{
    void *ts = BUF(a[1], 16);

    return ts ? host_syscall(SYS_clock_settime, (clockid_t)a[0], ts) : -EFAULT;
}

USER_SYSCALL(gettimeofday)
{
    void *tv = a[0] ? BUF(a[0], 16) : NULL, *tz = a[1] ? BUF(a[1], 8) : NULL;

    if ((a[0] && !tv) || (a[1] && !tz)) {
        return -EFAULT;
    }
    return host_syscall(SYS_gettimeofday, tv, tz);
}

USER_SYSCALL(settimeofday)
{
    void *tv = a[0] ? BUF(a[0], 16) : NULL, *tz = a[1] ? BUF(a[1], 8) : NULL;

    if ((a[0] && !tv) || (a[1] && !tz)) {
        return -EFAULT;
    }
    return host_syscall(SYS_settimeofday, tv, tz);
}

USER_SYSCALL(adjtimex)
{
    void *tx = BUF(a[0], 208);

    return tx ? host_syscall(SYS_adjtimex, tx) : -EFAULT;
}

USER_SYSCALL(getitimer)
{
    void *v = BUF(a[1], 32);

    return v ? host_syscall(SYS_getitimer, (int)a[0], v) : -EFAULT;
}

USER_SYSCALL(setitimer)
{
    void *nv = BUF(a[1], 32), *ov = a[2] ? BUF(a[2], 32) : NULL;

    if (!nv || (a[2] && !ov)) {
        return -EFAULT;
    }
    return host_syscall(SYS_setitimer, (int)a[0], nv, ov);
}

/* struct sigevent: the signal number inside needs translating. */
USER_SYSCALL(timer_create)
{
    struct sigevent ev, *evp = NULL;
    int id;
    long r;

    if (a[1]) {
        if (user_copy_from(&ev, a[1], sizeof(ev)) != 0) {
            return -EFAULT;
        }
        if (ev.sigev_notify != SIGEV_NONE) {
            int hs = user_sig_g2h(ev.sigev_signo);
            if (hs <= 0) {
                return -EINVAL;
            }
            ev.sigev_signo = hs;
        }
        evp = &ev;
    }
    r = host_syscall(SYS_timer_create, (clockid_t)a[0], evp, &id);
    if (r == 0 && user_put_u32(a[2], id) != 0) {
        host_syscall(SYS_timer_delete, id);
        return -EFAULT;
    }
    return r;
}

USER_SYSCALL(timer_gettime)
{
    void *v = BUF(a[1], 32);

    return v ? host_syscall(SYS_timer_gettime, (int)a[0], v) : -EFAULT;
}

USER_SYSCALL(timer_settime)
{
    void *nv = BUF(a[2], 32), *ov = a[3] ? BUF(a[3], 32) : NULL;

    if (!nv || (a[3] && !ov)) {
        return -EFAULT;
    }
    return host_syscall(SYS_timer_settime, (int)a[0], (int)a[1], nv, ov);
}

USER_SYSCALL(timer_getoverrun)
{
    return host_syscall(SYS_timer_getoverrun, (int)a[0]);
}

USER_SYSCALL(timer_delete)
{
    return host_syscall(SYS_timer_delete, (int)a[0]);
}

USER_SYSCALL(times)
{
    void *buf = a[0] ? BUF(a[0], 32) : NULL;

    return (a[0] && !buf) ? -EFAULT : host_syscall(SYS_times, buf);
}

/* Scheduling. */

USER_SYSCALL(sched_param)
{
    void *p = BUF(a[1], 4);
    long nr = t->syscall_nr == 118 ? SYS_sched_setparam : SYS_sched_getparam;

    return p ? host_syscall(nr, (pid_t)a[0], p) : -EFAULT;
}

USER_SYSCALL(sched_setscheduler)
{
    void *p = BUF(a[2], 4);

    return p ? host_syscall(SYS_sched_setscheduler, (pid_t)a[0], (int)a[1], p) : -EFAULT;
}

USER_SYSCALL(sched_getscheduler)
{
    return host_syscall(SYS_sched_getscheduler, (pid_t)a[0]);
}

USER_SYSCALL(sched_setaffinity)
{
    void *mask = BUF(a[2], a[1]);

    return mask ? host_syscall(SYS_sched_setaffinity, (pid_t)a[0], a[1], mask) : -EFAULT;
}

USER_SYSCALL(sched_getaffinity)
{
    void *mask = BUF(a[2], a[1]);

    return mask ? host_syscall(SYS_sched_getaffinity, (pid_t)a[0], a[1], mask) : -EFAULT;
}

USER_SYSCALL(sched_yield)
{
    return host_syscall(SYS_sched_yield);
}

USER_SYSCALL(sched_get_priority)
{
    long nr = t->syscall_nr == 125 ? SYS_sched_get_priority_max : SYS_sched_get_priority_min;

    return host_syscall(nr, (int)a[0]);
}

USER_SYSCALL(sched_rr_get_interval)
{
    void *ts = BUF(a[1], 16);

    return ts ? host_syscall(SYS_sched_rr_get_interval, (pid_t)a[0], ts) : -EFAULT;
}

USER_SYSCALL(setpriority)
{
    return host_syscall(SYS_setpriority, (int)a[0], (int)a[1], (int)a[2]);
}

USER_SYSCALL(getpriority)
{
    return host_syscall(SYS_getpriority, (int)a[0], (int)a[1]);
}

USER_SYSCALL(getcpu)
{
    unsigned cpu, node;
    long r = host_syscall(SYS_getcpu, &cpu, &node, NULL);

    if (r < 0) {
        return r;
    }
    if ((a[0] && user_put_u32(a[0], cpu)) || (a[1] && user_put_u32(a[1], node))) {
        return -EFAULT;
    }
    return 0;
}

/* Identity. */

USER_SYSCALL(getid)
{
    switch (t->syscall_nr) {
    case 172:
        return getpid();
    case 173:
        return getppid();
    case 174:
        return host_syscall(SYS_getuid);
    case 175:
        return host_syscall(SYS_geteuid);
    case 176:
        return host_syscall(SYS_getgid);
    case 177:
        return host_syscall(SYS_getegid);
    default:
        return t->tid;
    }
}

USER_SYSCALL(setid)
{
    static const struct {
        uint64_t guest;
        long host;
    } map[] = {
        {143, SYS_setregid},  {144, SYS_setgid},    {145, SYS_setreuid}, {146, SYS_setuid},
        {147, SYS_setresuid}, {149, SYS_setresgid}, {151, SYS_setfsuid}, {152, SYS_setfsgid},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
        if (map[i].guest == t->syscall_nr) {
            return host_syscall(map[i].host, (unsigned)a[0], (unsigned)a[1], (unsigned)a[2]);
        }
    }
    return -ENOSYS;
}

USER_SYSCALL(getresid)
{
    unsigned ids[3];
    long nr = t->syscall_nr == 148 ? SYS_getresuid : SYS_getresgid;
    long r = host_syscall(nr, &ids[0], &ids[1], &ids[2]);

    if (r < 0) {
        return r;
    }
    for (int i = 0; i < 3; i++) {
        if (user_put_u32(a[i], ids[i]) != 0) {
            return -EFAULT;
        }
    }
    return 0;
}

USER_SYSCALL(getgroups)
{
    void *list = BUF(a[1], (uint64_t)(int)a[0] * 4);

    if ((int)a[0] < 0) {
        return -EINVAL;
    }
    return list ? host_syscall(SYS_getgroups, (int)a[0], list) : -EFAULT;
}

USER_SYSCALL(setgroups)
{
    void *list = BUF(a[1], (uint64_t)a[0] * 4);

    return list ? host_syscall(SYS_setgroups, a[0], list) : -EFAULT;
}

USER_SYSCALL(setpgid)
{
    return host_syscall(SYS_setpgid, (pid_t)a[0], (pid_t)a[1]);
}

USER_SYSCALL(getpgid)
{
    return host_syscall(SYS_getpgid, (pid_t)a[0]);
}

USER_SYSCALL(getsid)
{
    return host_syscall(SYS_getsid, (pid_t)a[0]);
}

USER_SYSCALL(setsid)
{
    return host_syscall(SYS_setsid);
}

USER_SYSCALL(uname)
{
    struct utsname u;

    if (uname(&u) != 0) {
        return -errno;
    }
    g_strlcpy(u.machine, "riscv64", sizeof(u.machine));
    return user_copy_to(a[0], &u, sizeof(u));
}

USER_SYSCALL(sethostname)
{
    void *name = BUF(a[0], a[1]);
    long nr = t->syscall_nr == 161 ? SYS_sethostname : SYS_setdomainname;

    return name ? host_syscall(nr, name, a[1]) : -EFAULT;
}

USER_SYSCALL(umask)
{
    return umask((mode_t)a[0] & 0777);
}

USER_SYSCALL(personality)
{
    return host_syscall(SYS_personality, (unsigned)a[0]);
}

USER_SYSCALL(unshare)
{
    return host_syscall(SYS_unshare, (int)a[0]);
}

USER_SYSCALL(sysinfo)
{
    void *buf = BUF(a[0], sizeof(struct sysinfo));

    return buf ? host_syscall(SYS_sysinfo, buf) : -EFAULT;
}

USER_SYSCALL(getrandom)
{
    void *buf = BUF(a[0], a[1]);

    return buf ? user_safe_syscall(SYS_getrandom, (long)buf, a[1], (unsigned)a[2], 0, 0, 0)
               : -EFAULT;
}

USER_SYSCALL(getrusage)
{
    void *buf = BUF(a[1], sizeof(struct rusage));

    return buf ? host_syscall(SYS_getrusage, (int)a[0], buf) : -EFAULT;
}

/* Limits. The address space, data and stack limits are vmd-user's own (the guest
 * reservation alone exceeds any address space limit a guest would set), so setting
 * them is accepted and not applied, as qemu does. */
static bool limit_is_emulated(int resource)
{
    return resource == RLIMIT_AS || resource == RLIMIT_DATA || resource == RLIMIT_STACK;
}

static long do_prlimit(pid_t pid, int resource, uint64_t new_addr, uint64_t old_addr)
{
    struct rlimit nl, ol;
    bool self = pid == 0 || pid == getpid();
    long r;

    if (new_addr && user_copy_from(&nl, new_addr, sizeof(nl)) != 0) {
        return -EFAULT;
    }
    if (new_addr && self && limit_is_emulated(resource)) {
        new_addr = 0;
    }
    r = host_syscall(SYS_prlimit64, pid, resource, new_addr ? &nl : NULL, old_addr ? &ol : NULL);
    if (r == 0 && old_addr && user_copy_to(old_addr, &ol, sizeof(ol)) != 0) {
        return -EFAULT;
    }
    return r;
}

USER_SYSCALL(getrlimit)
{
    return do_prlimit(0, (int)a[0], 0, a[1]);
}

USER_SYSCALL(setrlimit)
{
    return do_prlimit(0, (int)a[0], a[1], 0);
}

USER_SYSCALL(prlimit64)
{
    return do_prlimit((pid_t)a[0], (int)a[1], a[2], a[3]);
}

USER_SYSCALL(prctl)
{
    char name[16];
    int v;
    long r;

    switch ((int)a[0]) {
    case PR_SET_PDEATHSIG:
        return host_syscall(SYS_prctl, PR_SET_PDEATHSIG, a[1] ? user_sig_g2h((int)a[1]) : 0);
    case PR_GET_PDEATHSIG:
        r = host_syscall(SYS_prctl, PR_GET_PDEATHSIG, &v);
        return r < 0 ? r : user_put_u32(a[1], v > 0 ? user_sig_h2g(v) : 0);
    case PR_SET_NAME:
        memset(name, 0, sizeof(name));
        for (int i = 0; i < 15; i++) {
            if (user_copy_from(&name[i], a[1] + i, 1) != 0) {
                return -EFAULT;
            }
            if (!name[i]) {
                break;
            }
        }
        return host_syscall(SYS_prctl, PR_SET_NAME, name);
    case PR_GET_NAME:
        r = host_syscall(SYS_prctl, PR_GET_NAME, name);
        return r < 0 ? r : user_copy_to(a[1], name, sizeof(name));
    case PR_GET_CHILD_SUBREAPER:
        r = host_syscall(SYS_prctl, PR_GET_CHILD_SUBREAPER, &v);
        return r < 0 ? r : user_put_u32(a[1], v);
    case PR_GET_TID_ADDRESS:
        return user_put_u64(a[1], t->clear_child_tid);
    case PR_GET_SECCOMP:
        return 0;
    case PR_GET_DUMPABLE:
    case PR_SET_DUMPABLE:
    case PR_GET_KEEPCAPS:
    case PR_SET_KEEPCAPS:
    case PR_CAPBSET_READ:
    case PR_CAPBSET_DROP:
    case PR_GET_TIMERSLACK:
    case PR_SET_TIMERSLACK:
    case PR_SET_CHILD_SUBREAPER:
    case PR_SET_NO_NEW_PRIVS:
    case PR_GET_NO_NEW_PRIVS:
    case PR_GET_THP_DISABLE:
    case PR_SET_THP_DISABLE:
    case PR_CAP_AMBIENT:
        return host_syscall(SYS_prctl, (int)a[0], a[1], a[2], a[3], a[4]);
    default:
        /* PR_SET_SECCOMP among others: a filter would apply to vmd-user itself. */
        return -EINVAL;
    }
}

USER_SYSCALL(pidfd_open)
{
    return host_syscall(SYS_pidfd_open, (pid_t)a[0], (unsigned)a[1]);
}

/* The kernel log is the host's, as everything else the guest reads about the system. */
USER_SYSCALL(syslog)
{
    void *buf = a[1] ? BUF(a[1], (uint64_t)MAX((int)a[2], 0)) : NULL;

    if (a[1] && !buf) {
        return -EFAULT;
    }
    return host_syscall(SYS_syslog, (int)a[0], buf, (int)a[2]);
}
