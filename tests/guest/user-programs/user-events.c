/* epoll, eventfd, timerfd, signalfd, poll, select, and sockets (TCP and UDP on the
 * loopback, socketpair with SCM_RIGHTS). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_epoll(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC), efd = eventfd(0, EFD_NONBLOCK);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1122334455667788ull }, out[4];
    uint64_t v = 3;

    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
    printf("epoll before: %d\n", epoll_wait(ep, out, 4, 0));
    write(efd, &v, sizeof(v));
    int n = epoll_wait(ep, out, 4, 1000);
    printf("epoll after: %d events %#x data %#llx\n", n, out[0].events,
           (unsigned long long)out[0].data.u64);
    read(efd, &v, sizeof(v));
    printf("eventfd value %llu\n", (unsigned long long)v);
    close(efd);
    close(ep);
}

static void test_timerfd(void)
{
    int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = { .it_value = { 0, 20 * 1000 * 1000 } };
    struct pollfd pfd = { .fd = tfd, .events = POLLIN };
    uint64_t expirations = 0;

    timerfd_settime(tfd, 0, &its, NULL);
    printf("poll timerfd: %d revents %#x\n", poll(&pfd, 1, 2000), pfd.revents);
    read(tfd, &expirations, sizeof(expirations));
    printf("expirations %llu\n", (unsigned long long)expirations);
    close(tfd);
}

static void test_signalfd(void)
{
    sigset_t set;
    struct signalfd_siginfo si;
    int sfd;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sfd = signalfd(-1, &set, SFD_CLOEXEC);
    raise(SIGUSR2);
    printf("signalfd read %zd signo %u\n", read(sfd, &si, sizeof(si)), si.ssi_signo);
    close(sfd);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void test_select(void)
{
    int p[2];
    fd_set r;
    struct timeval tv = { 0, 10000 };
    struct timespec ts = { 0, 10000000 };
    sigset_t mask;

    pipe(p);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    printf("select empty: %d\n", select(p[0] + 1, &r, NULL, NULL, &tv));
    write(p[1], "x", 1);
    FD_SET(p[0], &r);
    sigemptyset(&mask);
    printf("pselect ready: %d isset %d\n", pselect(p[0] + 1, &r, NULL, NULL, &ts, &mask),
           FD_ISSET(p[0], &r));
    struct pollfd pfd = { .fd = p[0], .events = POLLIN };
    printf("ppoll ready: %d\n", ppoll(&pfd, 1, &ts, &mask));
    close(p[0]);
    close(p[1]);
}

static void test_tcp(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int one = 1, got = 0, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c, conn;
    char buf[32] = { 0 };

    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    len = sizeof(got);
    getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &got, &len);
    printf("SO_REUSEADDR %d len %u\n", got != 0, len);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    listen(s, 1);
    len = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &len);
    printf("bound len %u family %d port nonzero %d\n", len, a.sin_family, a.sin_port != 0);
    if (fork() == 0) {
        c = socket(AF_INET, SOCK_STREAM, 0);
        connect(c, (struct sockaddr *)&a, sizeof(a));
        send(c, "ping", 4, 0);
        recv(c, buf, sizeof(buf), 0);
        _exit(strcmp(buf, "pong") == 0 ? 0 : 1);
    }
    conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    recv(conn, buf, sizeof(buf), 0);
    printf("server got '%s'\n", buf);
    send(conn, "pong", 5, 0);
    int status;
    wait(&status);
    printf("client exit %d\n", WEXITSTATUS(status));
    close(conn);
    close(s);
}

static void test_udp(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, from;
    socklen_t len = sizeof(a);
    int s = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
    char buf[16] = { 0 };

    bind(s, (struct sockaddr *)&a, sizeof(a));
    getsockname(s, (struct sockaddr *)&a, &len);
    sendto(c, "datagram", 8, 0, (struct sockaddr *)&a, sizeof(a));
    len = sizeof(from);
    printf("recvfrom %zd '%s' fromlen %u\n", recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), buf, len);
    close(s);
    close(c);
}

static void test_scm_rights(void)
{
    int sv[2], p[2], fd = -1;
    char c = 'F', buf[8] = { 0 };
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = &c, .iov_len = 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *cm;

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
    printf("sendmsg %zd\n", sendmsg(sv[0], &m, 0));
    memset(cbuf, 0, sizeof(cbuf));
    c = 0;
    m.msg_controllen = sizeof(cbuf);
    printf("recvmsg %zd '%c'", recvmsg(sv[1], &m, 0), c);
    cm = CMSG_FIRSTHDR(&m);
    if (cm && cm->cmsg_type == SCM_RIGHTS) {
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    }
    write(fd, "via fd", 6);
    read(p[0], buf, 6);
    printf(" passed fd works: '%s'\n", buf);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_epoll();
    test_timerfd();
    test_signalfd();
    test_select();
    test_tcp();
    test_udp();
    test_scm_rights();
    return 0;
}
