/*
 * The guest system call handlers, shared between the files that implement them
 * (syscall-file.c, syscall-proc.c, syscall-net.c, syscall-ioctl.c, signal.c) and the
 * table that dispatches to them (syscall.c).
 *
 * A handler gets the six argument registers a0..a5 and returns the guest's a0: a result,
 * a negative guest errno, or one of the USER_E* internal codes of user-abi.h.
 */
#ifndef VMD_LINUX_USER_SYSCALL_DEFS_H
#define VMD_LINUX_USER_SYSCALL_DEFS_H

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/user-internal.h"

typedef long (*UserSyscallFn)(UserTask *t, const uint64_t *a);

#define USER_SYSCALL(name) long user_sys_##name(UserTask *t, const uint64_t *a)

/* A host system call, errors as -errno (never the glibc -1/errno convention). */
static inline long host_ret(long r)
{
    return r == -1 ? -errno : r;
}
#define host_syscall(...) host_ret(syscall(__VA_ARGS__))

/* Blocking host system calls that a guest signal must interrupt go through here:
 * returns -USER_ERESTARTSYS when a signal arrived before or during the call. */
long user_safe_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* Guest path arguments: the string at addr, with /proc/self/exe redirected to the
 * program and, when prefixed, the -L prefix tried first for absolute paths. */
int user_path(uint64_t addr, bool prefixed, char **ret);
/* Opens one of the /proc files vmd-user emulates; -ENOENT when path is not one. */
int user_proc_open(const char *path, int flags);
bool user_proc_is_exe(const char *path);

/* Guest iovec arrays (cnt <= 1024) as host iovecs. */
struct iovec;
int user_iovec_get(uint64_t addr, uint64_t cnt, struct iovec **ret);

/* signal.c */
void user_signal_set_temporary_mask(UserTask *t, uint64_t mask, sigset_t *ret_host);
int user_sigmask_change(UserTask *t, int how, uint64_t set, uint64_t *ret_old);

/* file */
USER_SYSCALL(getcwd);
USER_SYSCALL(dup);
USER_SYSCALL(dup3);
USER_SYSCALL(fcntl);
USER_SYSCALL(inotify_init1);
USER_SYSCALL(inotify_add_watch);
USER_SYSCALL(inotify_rm_watch);
USER_SYSCALL(flock);
USER_SYSCALL(mknodat);
USER_SYSCALL(mkdirat);
USER_SYSCALL(unlinkat);
USER_SYSCALL(symlinkat);
USER_SYSCALL(linkat);
USER_SYSCALL(umount2);
USER_SYSCALL(mount);
USER_SYSCALL(statfs);
USER_SYSCALL(fstatfs);
USER_SYSCALL(truncate);
USER_SYSCALL(ftruncate);
USER_SYSCALL(fallocate);
USER_SYSCALL(faccessat);
USER_SYSCALL(faccessat2);
USER_SYSCALL(chdir);
USER_SYSCALL(fchdir);
USER_SYSCALL(chroot);
USER_SYSCALL(fchmod);
USER_SYSCALL(fchmodat);
USER_SYSCALL(fchownat);
USER_SYSCALL(fchown);
USER_SYSCALL(openat);
USER_SYSCALL(close);
USER_SYSCALL(pipe2);
USER_SYSCALL(getdents64);
USER_SYSCALL(lseek);
USER_SYSCALL(read);
USER_SYSCALL(write);
USER_SYSCALL(readv);
USER_SYSCALL(writev);
USER_SYSCALL(pread64);
USER_SYSCALL(pwrite64);
USER_SYSCALL(preadv);
USER_SYSCALL(pwritev);
USER_SYSCALL(sendfile);
USER_SYSCALL(splice);
USER_SYSCALL(tee);
USER_SYSCALL(readlinkat);
USER_SYSCALL(newfstatat);
USER_SYSCALL(fstat);
USER_SYSCALL(sync);
USER_SYSCALL(fsync);
USER_SYSCALL(fdatasync);
USER_SYSCALL(sync_file_range);
USER_SYSCALL(utimensat);
USER_SYSCALL(readahead);
USER_SYSCALL(fadvise64);
USER_SYSCALL(renameat2);
USER_SYSCALL(memfd_create);
USER_SYSCALL(copy_file_range);
USER_SYSCALL(statx);
USER_SYSCALL(close_range);
USER_SYSCALL(syncfs);
USER_SYSCALL(xattr);
USER_SYSCALL(ioctl);

/* process, memory, time */
USER_SYSCALL(personality);
USER_SYSCALL(exit);
USER_SYSCALL(exit_group);
USER_SYSCALL(waitid);
USER_SYSCALL(set_tid_address);
USER_SYSCALL(unshare);
USER_SYSCALL(futex);
USER_SYSCALL(set_robust_list);
USER_SYSCALL(get_robust_list);
USER_SYSCALL(nanosleep);
USER_SYSCALL(getitimer);
USER_SYSCALL(setitimer);
USER_SYSCALL(timer_create);
USER_SYSCALL(timer_gettime);
USER_SYSCALL(timer_getoverrun);
USER_SYSCALL(timer_settime);
USER_SYSCALL(timer_delete);
USER_SYSCALL(clock_settime);
USER_SYSCALL(clock_gettime);
USER_SYSCALL(clock_getres);
USER_SYSCALL(clock_nanosleep);
USER_SYSCALL(sched_param);
USER_SYSCALL(sched_setscheduler);
USER_SYSCALL(sched_getscheduler);
USER_SYSCALL(sched_setaffinity);
USER_SYSCALL(sched_getaffinity);
USER_SYSCALL(sched_yield);
USER_SYSCALL(sched_get_priority);
USER_SYSCALL(sched_rr_get_interval);
USER_SYSCALL(setpriority);
USER_SYSCALL(getpriority);
USER_SYSCALL(setid);
USER_SYSCALL(getresid);
USER_SYSCALL(times);
USER_SYSCALL(setpgid);
USER_SYSCALL(getpgid);
USER_SYSCALL(getsid);
USER_SYSCALL(setsid);
USER_SYSCALL(getgroups);
USER_SYSCALL(setgroups);
USER_SYSCALL(uname);
USER_SYSCALL(sethostname);
USER_SYSCALL(getrlimit);
USER_SYSCALL(setrlimit);
USER_SYSCALL(prlimit64);
USER_SYSCALL(getrusage);
USER_SYSCALL(umask);
USER_SYSCALL(prctl);
USER_SYSCALL(getcpu);
USER_SYSCALL(gettimeofday);
USER_SYSCALL(settimeofday);
USER_SYSCALL(adjtimex);
USER_SYSCALL(getid);
USER_SYSCALL(sysinfo);
USER_SYSCALL(brk);
USER_SYSCALL(munmap);
USER_SYSCALL(mremap);
USER_SYSCALL(mmap);
USER_SYSCALL(mprotect);
USER_SYSCALL(msync);
USER_SYSCALL(mlock);
USER_SYSCALL(munlock);
USER_SYSCALL(mlockall);
USER_SYSCALL(munlockall);
USER_SYSCALL(mincore);
USER_SYSCALL(madvise);
USER_SYSCALL(clone);
USER_SYSCALL(execve);
USER_SYSCALL(execveat);
USER_SYSCALL(wait4);
USER_SYSCALL(riscv_flush_icache);
USER_SYSCALL(getrandom);
USER_SYSCALL(pidfd_open);
USER_SYSCALL(syslog);
USER_SYSCALL(enosys);
USER_SYSCALL(eperm);

/* signals */
USER_SYSCALL(kill);
USER_SYSCALL(tkill);
USER_SYSCALL(tgkill);
USER_SYSCALL(sigaltstack);
USER_SYSCALL(rt_sigsuspend);
USER_SYSCALL(rt_sigaction);
USER_SYSCALL(rt_sigprocmask);
USER_SYSCALL(rt_sigpending);
USER_SYSCALL(rt_sigtimedwait);
USER_SYSCALL(rt_sigqueueinfo);
USER_SYSCALL(rt_tgsigqueueinfo);
USER_SYSCALL(rt_sigreturn);
USER_SYSCALL(pidfd_send_signal);

/* sockets, polling, event fds */
USER_SYSCALL(socket);
USER_SYSCALL(socketpair);
USER_SYSCALL(bind);
USER_SYSCALL(listen);
USER_SYSCALL(accept4);
USER_SYSCALL(accept);
USER_SYSCALL(connect);
USER_SYSCALL(getsockname);
USER_SYSCALL(getpeername);
USER_SYSCALL(sendto);
USER_SYSCALL(recvfrom);
USER_SYSCALL(setsockopt);
USER_SYSCALL(getsockopt);
USER_SYSCALL(shutdown);
USER_SYSCALL(sendmsg);
USER_SYSCALL(recvmsg);
USER_SYSCALL(sendmmsg);
USER_SYSCALL(recvmmsg);
USER_SYSCALL(ppoll);
USER_SYSCALL(pselect6);
USER_SYSCALL(epoll_create1);
USER_SYSCALL(epoll_ctl);
USER_SYSCALL(epoll_pwait);
USER_SYSCALL(epoll_pwait2);
USER_SYSCALL(eventfd2);
USER_SYSCALL(timerfd_create);
USER_SYSCALL(timerfd_settime);
USER_SYSCALL(timerfd_gettime);
USER_SYSCALL(signalfd4);

#endif
