/*
 * File system calls. Guest file descriptors are host file descriptors, and guest paths
 * are host paths (with the -L prefix tried first where the guest looks up files to read
 * or run, and /proc/self/exe meaning the guest program), so most calls are the host
 * call with checked pointers. struct stat is the one layout that needs converting.
 */
#include "linux-user/syscall-defs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>

#include "linux-user/user-conv.h"

#define AT_FDCWD_GUEST (-100)

/* Pointer argument the host kernel reads or writes: checked against the guest space. */
#define BUF(addr, len) user_buf((addr), (len))

USER_SYSCALL(getcwd)
{
    void *buf = BUF(a[0], a[1]);

    return buf ? host_syscall(SYS_getcwd, buf, a[1]) : -EFAULT;
}

USER_SYSCALL(dup)
{
    return host_syscall(SYS_dup, (int)a[0]);
}

USER_SYSCALL(dup3)
{
    return host_syscall(SYS_dup3, (int)a[0], (int)a[1], (int)a[2]);
}

USER_SYSCALL(fcntl)
{
    int fd = (int)a[0], cmd = (int)a[1];
    void *p;

    switch (cmd) {
    case F_GETLK:
    case F_SETLK:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_SETLKW:
    case F_OFD_SETLKW:
        p = BUF(a[2], sizeof(struct flock));
        if (!p) {
            return -EFAULT;
        }
        if (cmd == F_SETLKW || cmd == F_OFD_SETLKW) {
            return user_safe_syscall(SYS_fcntl, fd, cmd, (long)p, 0, 0, 0);
        }
        return host_syscall(SYS_fcntl, fd, cmd, p);
    case F_GETOWN_EX:
    case F_SETOWN_EX:
        p = BUF(a[2], sizeof(struct f_owner_ex));
        return p ? host_syscall(SYS_fcntl, fd, cmd, p) : -EFAULT;
    case F_SETSIG:
        return host_syscall(SYS_fcntl, fd, cmd, a[2] ? user_sig_g2h((int)a[2]) : 0);
    case F_GETSIG: {
        long r = host_syscall(SYS_fcntl, fd, cmd);
        return r > 0 ? user_sig_h2g((int)r) : r;
    }
    case F_DUPFD:
    case F_GETFD:
    case F_SETFD:
    case F_GETFL:
    case F_SETFL:
    case F_SETOWN:
    case F_GETOWN:
    case F_SETLEASE:
    case F_GETLEASE:
    case F_NOTIFY:
    case F_DUPFD_CLOEXEC:
    case F_SETPIPE_SZ:
    case F_GETPIPE_SZ:
    case F_ADD_SEALS:
    case F_GET_SEALS:
        return host_syscall(SYS_fcntl, fd, cmd, a[2]);
    default:
        return -EINVAL;
    }
}

USER_SYSCALL(inotify_init1)
{
    return host_syscall(SYS_inotify_init1, (int)a[0]);
}

USER_SYSCALL(inotify_add_watch)
{
    g_autofree char *path = NULL;
    int err = user_path(a[1], false, &path);

    return err ? err : host_syscall(SYS_inotify_add_watch, (int)a[0], path, (uint32_t)a[2]);
}

USER_SYSCALL(inotify_rm_watch)
{
    return host_syscall(SYS_inotify_rm_watch, (int)a[0], (int)a[1]);
}

USER_SYSCALL(flock)
{
    return user_safe_syscall(SYS_flock, (int)a[0], (int)a[1], 0, 0, 0, 0);
}

USER_SYSCALL(mknodat)
{
    g_autofree char *path = NULL;
    int err = user_path(a[1], false, &path);

    return err ? err : host_syscall(SYS_mknodat, (int)a[0], path, (mode_t)a[2], (dev_t)a[3]);
}

USER_SYSCALL(mkdirat)
{
    g_autofree char *path = NULL;
    int err = user_path(a[1], false, &path);

    return err ? err : host_syscall(SYS_mkdirat, (int)a[0], path, (mode_t)a[2]);
}

USER_SYSCALL(unlinkat)
{
    g_autofree char *path = NULL;
    int err = user_path(a[1], false, &path);

    return err ? err : host_syscall(SYS_unlinkat, (int)a[0], path, (int)a[2]);
}

USER_SYSCALL(symlinkat)
{
    const char *target;
    g_autofree char *path = NULL;
    int err = user_string(a[0], &target);

    if (!err) {
        err = user_path(a[2], false, &path);
    }
    return err ? err : host_syscall(SYS_symlinkat, target, (int)a[1], path);
}

USER_SYSCALL(linkat)
{
    g_autofree char *from = NULL, *to = NULL;
    int err = user_path(a[1], false, &from);

    if (!err) {
        err = user_path(a[3], false, &to);
    }
    return err ? err : host_syscall(SYS_linkat, (int)a[0], from, (int)a[2], to, (int)a[4]);
}

USER_SYSCALL(renameat2)
{
    g_autofree char *from = NULL, *to = NULL;
    int err = user_path(a[1], false, &from);

    if (!err) {
        err = user_path(a[3], false, &to);
    }
    return err ? err : host_syscall(SYS_renameat2, (int)a[0], from, (int)a[2], to, (unsigned)a[4]);
}

USER_SYSCALL(umount2)
{
    g_autofree char *path = NULL;
    int err = user_path(a[0], false, &path);

    return err ? err : host_syscall(SYS_umount2, path, (int)a[1]);
}

USER_SYSCALL(mount)
{
    const char *src = NULL, *fstype = NULL, *data = NULL;
    g_autofree char *target = NULL;
    int err = user_path(a[1], false, &target);

    if (!err && a[0]) {
        err = user_string(a[0], &src);
    }
    if (!err && a[2]) {
        err = user_string(a[2], &fstype);
    }
    if (!err && a[4]) {
        err = user_string(a[4], &data);
    }
    return err ? err : host_syscall(SYS_mount, src, target, fstype, a[3], data);
}

/* struct statfs has the same layout on both 64-bit ABIs. */
USER_SYSCALL(statfs)
{
    g_autofree char *path = NULL;
    void *buf = BUF(a[1], sizeof(struct statfs));
    int err = user_path(a[0], true, &path);

    if (err) {
        return err;
    }
    return buf ? host_syscall(SYS_statfs, path, buf) : -EFAULT;
}

USER_SYSCALL(fstatfs)
{
    void *buf = BUF(a[1], sizeof(struct statfs));

    return buf ? host_syscall(SYS_fstatfs, (int)a[0], buf) : -EFAULT;
}

USER_SYSCALL(truncate)
{
    g_autofree char *path = NULL;
    int err = user_path(a[0], false, &path);

    return err ? err : host_syscall(SYS_truncate, path, (off_t)a[1]);
}

USER_SYSCALL(ftruncate)
{
    return host_syscall(SYS_ftruncate, (int)a[0], (off_t)a[1]);
}

USER_SYSCALL(fallocate)
{
    return host_syscall(SYS_fallocate, (int)a[0], (int)a[1], (off_t)a[2], (off_t)a[3]);
}

USER_SYSCALL(faccessat)
{
    g_autofree char *path = NULL;
    int err = user_path(a[1], true, &path);

    return err ? err : host_syscall(SYS_faccessat, (int)a[0], path, (int)a[2]);
}

USER_SYSCALL(faccessat2)
{
    g_autofree char *path = NULL;
    int err = user_path(a[1], true, &path);

    return err ? err : host_syscall(SYS_faccessat2, (int)a[0], path, (int)a[2], (int)a[3]);
}

USER_SYSCALL(chdir)
{
    g_autofree char *path = NULL;
    int err = user_path(a[0], false, &path);

    return err ? err : host_syscall(SYS_chdir, path);
}

USER_SYSCALL(fchdir)
{
    return host_syscall(SYS_fchdir, (int)a[0]);
}

USER_SYSCALL(chroot)
{
    g_autofree char *path = NULL;
    int err = user_path(a[0], false, &path);

    return err ? err : host_syscall(SYS_chroot, path);
}

USER_SYSCALL(fchmod)
{
    return host_syscall(SYS_fchmod, (int)a[0], (mode_t)a[1]);
}

USER_SYSCALL(fchmodat)
{
    g_autofree char *path = NULL;
    int err = user_path(a[1], false, &path);

    return err ? err : host_syscall(SYS_fchmodat, (int)a[0], path, (mode_t)a[2]);
}

USER_SYSCALL(fchownat)
{
    g_autofree char *path = NULL;
    int err = user_path(a[1], false, &path);

    return err ? err
               : host_syscall(SYS_fchownat, (int)a[0], path, (uid_t)a[2], (gid_t)a[3], (int)a[4]);
}

USER_SYSCALL(fchown)
{
    return host_syscall(SYS_fchown, (int)a[0], (uid_t)a[1], (gid_t)a[2]);
}

USER_SYSCALL(openat)
{
    g_autofree char *path = NULL;
    int err = user_path(a[1], true, &path);
    int fd;

    if (err) {
        return err;
    }
    fd = user_proc_open(path, (int)a[2]);
    if (fd != -ENOENT) {
        return fd;
    }
    /* Opening a FIFO blocks until the other end opens: interruptible. */
    return user_safe_syscall(SYS_openat, (int)a[0], (long)path, (int)a[2], (mode_t)a[3], 0, 0);
}

USER_SYSCALL(close)
{
    int fd = (int)a[0];

    /* The log file belongs to vmd-user, not to the guest. */
    if (fd == user_proc.log_fd && fd > 2) {
        return 0;
    }
    return host_syscall(SYS_close, fd);
}

USER_SYSCALL(close_range)
{
    unsigned first = (unsigned)a[0], last = (unsigned)a[1], log = (unsigned)user_proc.log_fd;
    long r;

    /* Close around the log file, which belongs to vmd-user. */
    if (log > 2 && first <= log && log <= last && first <= last) {
        r = log > first ? host_syscall(SYS_close_range, first, log - 1, (unsigned)a[2]) : 0;
        if (r == 0 && log < last) {
            r = host_syscall(SYS_close_range, log + 1, last, (unsigned)a[2]);
        }
        return r;
    }
    return host_syscall(SYS_close_range, first, last, (unsigned)a[2]);
}

USER_SYSCALL(pipe2)
{
    int fds[2];
    long r = host_syscall(SYS_pipe2, fds, (int)a[1]);
    int err;

    if (r < 0) {
        return r;
    }
    err = user_copy_to(a[0], fds, sizeof(fds));
    if (err) {
        close(fds[0]);
        close(fds[1]);
    }
    return err;
}

USER_SYSCALL(getdents64)
{
    void *buf = BUF(a[1], a[2]);

    return buf ? host_syscall(SYS_getdents64, (int)a[0], buf, (unsigned)a[2]) : -EFAULT;
}

USER_SYSCALL(lseek)
{
    return host_syscall(SYS_lseek, (int)a[0], (off_t)a[1], (int)a[2]);
}

USER_SYSCALL(read)
{
    void *buf = BUF(a[1], a[2]);

    return buf ? user_safe_syscall(SYS_read, (int)a[0], (long)buf, a[2], 0, 0, 0) : -EFAULT;
}

USER_SYSCALL(write)
{
    void *buf = BUF(a[1], a[2]);

    return buf ? user_safe_syscall(SYS_write, (int)a[0], (long)buf, a[2], 0, 0, 0) : -EFAULT;
}

static long do_vector_io(long nr, const uint64_t *a, bool has_offset)
{
    g_autofree struct iovec *iov = NULL;
    int err = user_iovec_get(a[1], a[2], &iov);

    if (err) {
        return err;
    }
    return user_safe_syscall(nr, (int)a[0], (long)iov, (long)a[2], has_offset ? (long)a[3] : 0, 0,
                             0);
}

USER_SYSCALL(readv)
{
    return do_vector_io(SYS_readv, a, false);
}

USER_SYSCALL(writev)
{
    return do_vector_io(SYS_writev, a, false);
}

USER_SYSCALL(preadv)
{
    return do_vector_io(SYS_preadv, a, true);
}

USER_SYSCALL(pwritev)
{
    return do_vector_io(SYS_pwritev, a, true);
}

USER_SYSCALL(pread64)
{
    void *buf = BUF(a[1], a[2]);

    return buf ? user_safe_syscall(SYS_pread64, (int)a[0], (long)buf, a[2], a[3], 0, 0) : -EFAULT;
}

USER_SYSCALL(pwrite64)
{
    void *buf = BUF(a[1], a[2]);

    return buf ? user_safe_syscall(SYS_pwrite64, (int)a[0], (long)buf, a[2], a[3], 0, 0) : -EFAULT;
}

/* loff_t * arguments: NULL or 8 guest bytes. */
static bool off_ptr(uint64_t addr, void **ret)
{
    *ret = addr ? BUF(addr, 8) : NULL;
    return !addr || *ret;
}

USER_SYSCALL(sendfile)
{
    void *off;

    if (!off_ptr(a[2], &off)) {
        return -EFAULT;
    }
    return user_safe_syscall(SYS_sendfile, (int)a[0], (int)a[1], (long)off, a[3], 0, 0);
}

USER_SYSCALL(splice)
{
    void *off_in, *off_out;

    if (!off_ptr(a[1], &off_in) || !off_ptr(a[3], &off_out)) {
        return -EFAULT;
    }
    return user_safe_syscall(SYS_splice, (int)a[0], (long)off_in, (int)a[2], (long)off_out, a[4],
                             (unsigned)a[5]);
}

USER_SYSCALL(tee)
{
    return user_safe_syscall(SYS_tee, (int)a[0], (int)a[1], a[2], (unsigned)a[3], 0, 0);
}

USER_SYSCALL(copy_file_range)
{
    void *off_in, *off_out;

    if (!off_ptr(a[1], &off_in) || !off_ptr(a[3], &off_out)) {
        return -EFAULT;
    }
    return user_safe_syscall(SYS_copy_file_range, (int)a[0], (long)off_in, (int)a[2], (long)off_out,
                             a[4], (unsigned)a[5]);
}

USER_SYSCALL(readlinkat)
{
    g_autofree char *path = NULL;
    void *buf = BUF(a[2], a[3]);
    int err;

    if ((int64_t)a[3] <= 0) {
        return -EINVAL;
    }
    err = user_path(a[1], true, &path);
    if (err) {
        return err;
    }
    if (!buf) {
        return -EFAULT;
    }
    if (user_proc_is_exe(g2h(a[1]))) {
        size_t n = MIN(strlen(user_proc.exe_path), a[3]);
        err = user_copy_to(a[2], user_proc.exe_path, n);
        return err ? err : (long)n;
    }
    return host_syscall(SYS_readlinkat, (int)a[0], path, buf, a[3]);
}

static long put_stat(uint64_t addr, const struct stat *st)
{
    TargetStat ts;

    user_stat_h2g(st, &ts);
    return user_copy_to(addr, &ts, sizeof(ts));
}

USER_SYSCALL(newfstatat)
{
    g_autofree char *path = NULL;
    struct stat st;
    int err = user_path(a[1], true, &path);
    long r;

    if (err) {
        return err;
    }
    r = host_syscall(SYS_newfstatat, (int)a[0], path, &st, (int)a[3]);
    return r < 0 ? r : put_stat(a[2], &st);
}

USER_SYSCALL(fstat)
{
    struct stat st;
    long r = host_syscall(SYS_fstat, (int)a[0], &st);

    return r < 0 ? r : put_stat(a[1], &st);
}

/* struct statx is the same on every architecture. */
USER_SYSCALL(statx)
{
    g_autofree char *path = NULL;
    void *buf = BUF(a[4], 256);
    int err = user_path(a[1], true, &path);

    if (err) {
        return err;
    }
    return buf ? host_syscall(SYS_statx, (int)a[0], path, (int)a[2], (unsigned)a[3], buf) : -EFAULT;
}

USER_SYSCALL(sync)
{
    sync();
    return 0;
}

USER_SYSCALL(syncfs)
{
    return host_syscall(SYS_syncfs, (int)a[0]);
}

USER_SYSCALL(fsync)
{
    return host_syscall(SYS_fsync, (int)a[0]);
}

USER_SYSCALL(fdatasync)
{
    return host_syscall(SYS_fdatasync, (int)a[0]);
}

USER_SYSCALL(sync_file_range)
{
    return host_syscall(SYS_sync_file_range, (int)a[0], (off_t)a[1], (off_t)a[2], (unsigned)a[3]);
}

USER_SYSCALL(utimensat)
{
    g_autofree char *path = NULL;
    void *times = NULL;
    int err;

    if (a[2] && !(times = BUF(a[2], 32))) {
        return -EFAULT;
    }
    if (a[1]) {
        err = user_path(a[1], true, &path);
        if (err) {
            return err;
        }
    }
    return host_syscall(SYS_utimensat, (int)a[0], path, times, (int)a[3]);
}

USER_SYSCALL(readahead)
{
    return host_syscall(SYS_readahead, (int)a[0], (off_t)a[1], a[2]);
}

USER_SYSCALL(fadvise64)
{
    return host_syscall(SYS_fadvise64, (int)a[0], (off_t)a[1], (off_t)a[2], (int)a[3]);
}

USER_SYSCALL(memfd_create)
{
    const char *name;
    int err = user_string(a[0], &name);

    return err ? err : host_syscall(SYS_memfd_create, name, (unsigned)a[1]);
}

/* Extended attributes: the guest sees a file system without them. */
USER_SYSCALL(xattr)
{
    return -EOPNOTSUPP;
}
