/*
 * Sockets, polling and event file descriptors. Socket addresses, pollfd, fd_set,
 * timespec and cmsg headers have the same layout on both ABIs; what needs converting
 * is anything holding a guest pointer (msghdr, iovecs, the pselect6 sigmask argument,
 * sock_fprog) and struct epoll_event, which x86-64 packs to 12 bytes.
 */
#include "linux-user/syscall-defs.h"

#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/filter.h>

#include "linux-user/user-conv.h"

#define BUF(addr, len) user_buf((addr), (len))
#define SOCKADDR_MAX   128  /* sizeof(struct sockaddr_storage) */
#define EPOLL_BATCH    1024 /* events fetched per epoll_pwait call at most */

static int sockaddr_in(uint64_t addr, uint64_t len, void **ret)
{
    if (len > SOCKADDR_MAX * 2 || (int)len < 0) {
        return -EINVAL;
    }
    *ret = addr ? BUF(addr, len) : NULL;
    return (addr && !*ret) ? -EFAULT : 0;
}

USER_SYSCALL(socket)
{
    return host_syscall(SYS_socket, (int)a[0], (int)a[1], (int)a[2]);
}

USER_SYSCALL(socketpair)
{
    int sv[2];
    long r = host_syscall(SYS_socketpair, (int)a[0], (int)a[1], (int)a[2], sv);

    if (r < 0) {
        return r;
    }
    if (user_copy_to(a[3], sv, sizeof(sv)) != 0) {
        close(sv[0]);
        close(sv[1]);
        return -EFAULT;
    }
    return 0;
}

USER_SYSCALL(bind)
{
    void *sa;
    int err = sockaddr_in(a[1], a[2], &sa);

    return err ? err : host_syscall(SYS_bind, (int)a[0], sa, (socklen_t)a[2]);
}

USER_SYSCALL(connect)
{
    void *sa;
    int err = sockaddr_in(a[1], a[2], &sa);

    return err ? err
               : user_safe_syscall(SYS_connect, (int)a[0], (long)sa, (socklen_t)a[2], 0, 0, 0);
}

USER_SYSCALL(listen)
{
    return host_syscall(SYS_listen, (int)a[0], (int)a[1]);
}

USER_SYSCALL(shutdown)
{
    return host_syscall(SYS_shutdown, (int)a[0], (int)a[1]);
}

/* Calls with (struct sockaddr *addr, socklen_t *addrlen) results. */
static long sockaddr_out_call(long nr, bool safe, int fd, uint64_t addr, uint64_t lenp, long extra)
{
    uint32_t len = 0;
    socklen_t hlen;
    void *sa = NULL;
    long r;

    if (addr) {
        if (user_get_u32(lenp, &len) != 0) {
            return -EFAULT;
        }
        if ((int)len < 0) {
            return -EINVAL;
        }
        if (!(sa = BUF(addr, len))) {
            return -EFAULT;
        }
    }
    hlen = len;
    if (safe) {
        r = user_safe_syscall(nr, fd, (long)sa, addr ? (long)&hlen : 0, extra, 0, 0);
    } else {
        r = host_syscall(nr, fd, sa, addr ? &hlen : NULL);
    }
    if (r >= 0 && addr && user_put_u32(lenp, hlen) != 0) {
        return -EFAULT;
    }
    return r;
}

USER_SYSCALL(accept4)
{
    return sockaddr_out_call(SYS_accept4, true, (int)a[0], a[1], a[2], (int)a[3]);
}

USER_SYSCALL(accept)
{
    return sockaddr_out_call(SYS_accept4, true, (int)a[0], a[1], a[2], 0);
}

USER_SYSCALL(getsockname)
{
    return sockaddr_out_call(SYS_getsockname, false, (int)a[0], a[1], a[2], 0);
}

USER_SYSCALL(getpeername)
{
    return sockaddr_out_call(SYS_getpeername, false, (int)a[0], a[1], a[2], 0);
}

USER_SYSCALL(sendto)
{
    void *buf = BUF(a[1], a[2]), *sa;
    int err = sockaddr_in(a[4], a[5], &sa);

    if (err) {
        return err;
    }
    return buf ? user_safe_syscall(SYS_sendto, (int)a[0], (long)buf, a[2], (int)a[3], (long)sa,
                                   (socklen_t)a[5])
               : -EFAULT;
}

USER_SYSCALL(recvfrom)
{
    void *buf = BUF(a[1], a[2]), *sa = NULL;
    uint32_t len = 0;
    socklen_t hlen;
    long r;

    if (!buf) {
        return -EFAULT;
    }
    if (a[4]) {
        if (user_get_u32(a[5], &len) != 0) {
            return -EFAULT;
        }
        if (!(sa = BUF(a[4], len))) {
            return -EFAULT;
        }
    }
    hlen = len;
    r = user_safe_syscall(SYS_recvfrom, (int)a[0], (long)buf, a[2], (int)a[3], (long)sa,
                          a[4] ? (long)&hlen : 0);
    if (r >= 0 && a[4] && user_put_u32(a[5], hlen) != 0) {
        return -EFAULT;
    }
    return r;
}

USER_SYSCALL(setsockopt)
{
    int level = (int)a[1], name = (int)a[2];
    void *val = BUF(a[3], a[4]);

    if (!val) {
        return -EFAULT;
    }
    if (level == SOL_SOCKET && (name == SO_ATTACH_FILTER || name == SO_ATTACH_REUSEPORT_CBPF)) {
        /* struct sock_fprog holds a pointer to the filter. */
        struct sock_fprog prog;
        uint64_t g[2];
        if (a[4] < sizeof(g) || user_copy_from(g, a[3], sizeof(g)) != 0) {
            return -EFAULT;
        }
        prog.len = (unsigned short)g[0];
        prog.filter = BUF(g[1], (uint64_t)prog.len * sizeof(struct sock_filter));
        if (!prog.filter) {
            return -EFAULT;
        }
        return host_syscall(SYS_setsockopt, (int)a[0], level, name, &prog, sizeof(prog));
    }
    return host_syscall(SYS_setsockopt, (int)a[0], level, name, val, (socklen_t)a[4]);
}

USER_SYSCALL(getsockopt)
{
    uint32_t len;
    socklen_t hlen;
    void *val;
    long r;

    if (user_get_u32(a[4], &len) != 0) {
        return -EFAULT;
    }
    if ((int)len < 0) {
        return -EINVAL;
    }
    if (!(val = BUF(a[3], len))) {
        return -EFAULT;
    }
    hlen = len;
    r = host_syscall(SYS_getsockopt, (int)a[0], (int)a[1], (int)a[2], val, &hlen);
    if (r == 0 && user_put_u32(a[4], hlen) != 0) {
        return -EFAULT;
    }
    return r;
}

/* struct msghdr on riscv64 (and x86-64), with guest pointers. */
typedef struct GuestMsghdr {
    uint64_t name;
    uint32_t namelen;
    uint32_t pad;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    int32_t flags;
    int32_t pad2;
} GuestMsghdr;
_Static_assert(sizeof(GuestMsghdr) == 56, "struct msghdr");

static int msghdr_g2h(uint64_t addr, GuestMsghdr *g, struct msghdr *h)
{
    struct iovec *iov = NULL;
    int err;

    if (user_copy_from(g, addr, sizeof(*g)) != 0) {
        return -EFAULT;
    }
    memset(h, 0, sizeof(*h));
    if (g->name) {
        if ((int)g->namelen < 0) {
            return -EINVAL;
        }
        if (!(h->msg_name = BUF(g->name, g->namelen))) {
            return -EFAULT;
        }
        h->msg_namelen = g->namelen;
    }
    if (g->iovlen > 1024) {
        return -EMSGSIZE;
    }
    err = user_iovec_get(g->iov, g->iovlen, &iov);
    if (err) {
        return err;
    }
    h->msg_iov = iov;
    h->msg_iovlen = g->iovlen;
    if (g->control && g->controllen) {
        if (!(h->msg_control = BUF(g->control, g->controllen))) {
            g_free(iov);
            return -EFAULT;
        }
        h->msg_controllen = g->controllen;
    }
    h->msg_flags = g->flags;
    return 0;
}

/* recvmsg results: namelen, controllen and flags go back to the guest header. */
static int msghdr_h2g(uint64_t addr, const struct msghdr *h)
{
    uint32_t namelen = h->msg_namelen;
    uint64_t controllen = h->msg_controllen;
    int32_t flags = h->msg_flags;

    if (user_copy_to(addr + offsetof(GuestMsghdr, namelen), &namelen, 4) ||
        user_copy_to(addr + offsetof(GuestMsghdr, controllen), &controllen, 8) ||
        user_copy_to(addr + offsetof(GuestMsghdr, flags), &flags, 4)) {
        return -EFAULT;
    }
    return 0;
}

static long do_msg(bool send, int fd, uint64_t addr, int flags)
{
    GuestMsghdr g;
    struct msghdr h;
    long r;
    int err = msghdr_g2h(addr, &g, &h);

    if (err) {
        return err;
    }
    r = user_safe_syscall(send ? SYS_sendmsg : SYS_recvmsg, fd, (long)&h, flags, 0, 0, 0);
    if (r >= 0 && !send && msghdr_h2g(addr, &h) != 0) {
        r = -EFAULT;
    }
    g_free(h.msg_iov);
    return r;
}

USER_SYSCALL(sendmsg)
{
    return do_msg(true, (int)a[0], a[1], (int)a[2]);
}

USER_SYSCALL(recvmsg)
{
    return do_msg(false, (int)a[0], a[1], (int)a[2]);
}

/* struct mmsghdr: a msghdr and the byte count, 64 bytes. */
static long do_mmsg(bool send, int fd, uint64_t vec, uint64_t vlen, int flags)
{
    uint64_t i;

    vlen = MIN(vlen, 1024);
    for (i = 0; i < vlen; i++) {
        int f = flags;
        long r;
        if (!send && i > 0 && (flags & MSG_WAITFORONE)) {
            f |= MSG_DONTWAIT;
        }
        f &= ~MSG_WAITFORONE;
        r = do_msg(send, fd, vec + i * 64, f);
        if (r < 0) {
            return i > 0 ? (long)i : r;
        }
        if (user_put_u32(vec + i * 64 + 56, (uint32_t)r) != 0) {
            return i > 0 ? (long)i : -EFAULT;
        }
    }
    return (long)i;
}

USER_SYSCALL(sendmmsg)
{
    return do_mmsg(true, (int)a[0], a[1], a[2], (int)a[3]);
}

USER_SYSCALL(recvmmsg)
{
    return do_mmsg(false, (int)a[0], a[1], a[2], (int)a[3]);
}

/* Polling. A sigmask argument is a temporary guest mask (see rt_sigsuspend). */

static int poll_sigmask(UserTask *t, uint64_t addr, uint64_t size, sigset_t *hm, sigset_t **ret)
{
    uint64_t mask;

    *ret = NULL;
    if (!addr) {
        return 0;
    }
    if (size != 8) {
        return -EINVAL;
    }
    if (user_get_u64(addr, &mask) != 0) {
        return -EFAULT;
    }
    user_signal_set_temporary_mask(t, mask, hm);
    *ret = hm;
    return 0;
}

static long poll_result(long r)
{
    return r == -USER_ERESTARTSYS ? -USER_ERESTARTNOHAND : r;
}

USER_SYSCALL(ppoll)
{
    void *fds = BUF(a[0], a[1] * sizeof(struct pollfd)), *ts = NULL;
    sigset_t hm, *hmp;
    int err;

    if (a[1] > (1u << 20)) {
        return -EINVAL;
    }
    if (!fds || (a[2] && !(ts = BUF(a[2], 16)))) {
        return -EFAULT;
    }
    err = poll_sigmask(t, a[3], a[4], &hm, &hmp);
    if (err) {
        return err;
    }
    return poll_result(
        user_safe_syscall(SYS_ppoll, (long)fds, (long)a[1], (long)ts, (long)hmp, 8, 0));
}

USER_SYSCALL(pselect6)
{
    int nfds = (int)a[0];
    uint64_t setsize = ((uint64_t)MAX(nfds, 0) + 63) / 64 * 8;
    void *sets[3], *ts = NULL;
    struct {
        sigset_t *ss;
        size_t len;
    } hsig = {NULL, 8};
    sigset_t hm;
    int err;

    if (nfds < 0 || nfds > (1 << 20)) {
        return -EINVAL;
    }
    for (int i = 0; i < 3; i++) {
        sets[i] = NULL;
        if (a[1 + i] && !(sets[i] = BUF(a[1 + i], setsize))) {
            return -EFAULT;
        }
    }
    if (a[4] && !(ts = BUF(a[4], 16))) {
        return -EFAULT;
    }
    if (a[5]) {
        uint64_t g[2];
        if (user_copy_from(g, a[5], sizeof(g)) != 0) {
            return -EFAULT;
        }
        err = poll_sigmask(t, g[0], g[1], &hm, &hsig.ss);
        if (err) {
            return err;
        }
    }
    return poll_result(user_safe_syscall(SYS_pselect6, nfds, (long)sets[0], (long)sets[1],
                                         (long)sets[2], (long)ts, a[5] ? (long)&hsig : 0));
}

USER_SYSCALL(epoll_create1)
{
    return host_syscall(SYS_epoll_create1, (int)a[0]);
}

USER_SYSCALL(epoll_ctl)
{
    TargetEpollEvent ge;
    struct epoll_event he, *hp = NULL;

    if (a[3]) {
        if (user_copy_from(&ge, a[3], sizeof(ge)) != 0) {
            return -EFAULT;
        }
        user_epoll_event_g2h(&ge, &he);
        hp = &he;
    }
    return host_syscall(SYS_epoll_ctl, (int)a[0], (int)a[1], (int)a[2], hp);
}

static long do_epoll_wait(UserTask *t, const uint64_t *a, bool timespec_timeout)
{
    int max = (int)a[2];
    g_autofree struct epoll_event *he = NULL;
    void *ts = NULL;
    sigset_t hm, *hmp;
    long r;
    int err;

    if (max <= 0) {
        return -EINVAL;
    }
    max = MIN(max, EPOLL_BATCH);
    if (!user_mem_range_ok(&user_proc.mem, a[1], (uint64_t)max * sizeof(TargetEpollEvent))) {
        return -EFAULT;
    }
    if (timespec_timeout && a[3] && !(ts = BUF(a[3], 16))) {
        return -EFAULT;
    }
    err = poll_sigmask(t, a[4], a[5], &hm, &hmp);
    if (err) {
        return err;
    }
    he = g_new(struct epoll_event, max);
    if (timespec_timeout) {
        r = user_safe_syscall(SYS_epoll_pwait2, (int)a[0], (long)he, max, (long)ts, (long)hmp, 8);
    } else {
        r = user_safe_syscall(SYS_epoll_pwait, (int)a[0], (long)he, max, (int)a[3], (long)hmp, 8);
    }
    for (long i = 0; i < r; i++) {
        TargetEpollEvent ge;
        user_epoll_event_h2g(&he[i], &ge);
        if (user_copy_to(a[1] + i * sizeof(ge), &ge, sizeof(ge)) != 0) {
            return -EFAULT;
        }
    }
    return poll_result(r);
}

USER_SYSCALL(epoll_pwait)
{
    return do_epoll_wait(t, a, false);
}

USER_SYSCALL(epoll_pwait2)
{
    return do_epoll_wait(t, a, true);
}

USER_SYSCALL(eventfd2)
{
    return host_syscall(SYS_eventfd2, (unsigned)a[0], (int)a[1]);
}

USER_SYSCALL(timerfd_create)
{
    return host_syscall(SYS_timerfd_create, (int)a[0], (int)a[1]);
}

USER_SYSCALL(timerfd_settime)
{
    void *nv = BUF(a[2], 32), *ov = a[3] ? BUF(a[3], 32) : NULL;

    if (!nv || (a[3] && !ov)) {
        return -EFAULT;
    }
    return host_syscall(SYS_timerfd_settime, (int)a[0], (int)a[1], nv, ov);
}

USER_SYSCALL(timerfd_gettime)
{
    void *v = BUF(a[1], 32);

    return v ? host_syscall(SYS_timerfd_gettime, (int)a[0], v) : -EFAULT;
}
