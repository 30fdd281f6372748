/* Signal delivery, masks, restarts, faults and default actions. */
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* Addresses the compiler cannot see through. */
static volatile int *volatile low_page = (volatile int *)16;

static volatile sig_atomic_t got, got_code, depth, max_depth;
static sigjmp_buf jb;
static volatile void *fault_addr;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    got = sig;
    got_code = si->si_code;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    fault_addr = si->si_addr;
    got_code = si->si_code;
    siglongjmp(jb, 1);
}

static void on_alrm(int sig)
{
    got = sig;
}

static void on_nested(int sig)
{
    depth++;
    if (depth > max_depth) {
        max_depth = depth;
    }
    if (sig == SIGUSR1) {
        raise(SIGUSR2); /* runs nested: SIGUSR2 is not blocked */
    }
    depth--;
}

static char altstack[65536];
static volatile int on_alt;

static void on_alt_handler(int sig)
{
    char local;
    on_alt = &local >= altstack && &local < altstack + sizeof(altstack);
}

int main(void)
{
    struct sigaction sa;
    sigset_t set, old;
    int p[2], status;
    char c;
    pid_t pid;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("raise: sig %d code %d\n", got, got_code);

    /* Blocked signals stay pending until unblocked. */
    got = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR1);
    sigpending(&set);
    printf("pending while blocked: %d, delivered: %d\n", sigismember(&set, SIGUSR1), got);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("after unblock: %d code %d\n", got, got_code);

    /* sigsuspend waits for the signal with a temporary mask. */
    got = 0;
    sigprocmask(SIG_BLOCK, &set, &old);
    if (fork() == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    sigemptyset(&old);
    sigsuspend(&old);
    printf("sigsuspend woke by %d\n", got);
    wait(NULL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    /* An alarm interrupts a blocking read: EINTR without SA_RESTART. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alrm;
    sigaction(SIGALRM, &sa, NULL);
    pipe(p);
    alarm(1);
    errno = 0;
    printf("read: %zd errno %s, alarm %d\n", read(p[0], &c, 1), errno == EINTR ? "EINTR" : "?",
           got);
    /* With SA_RESTART the read restarts and gets the data a child writes later. */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    got = 0;
    if (fork() == 0) {
        usleep(1500000);
        write(p[1], "R", 1);
        _exit(0);
    }
    alarm(1);
    printf("restarted read: %zd '%c', alarm %d\n", read(p[0], &c, 1), c, got);
    wait(NULL);

    /* A fault becomes SIGSEGV with the address. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(jb, 1) == 0) {
        *low_page = 1;
    }
    printf("segv at %p code %s\n", fault_addr, got_code == SEGV_MAPERR ? "SEGV_MAPERR" : "?");

    /* Nested handlers. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_nested;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR1);
    printf("nested depth %d\n", max_depth);

    /* sigaltstack. */
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    sigaltstack(&ss, NULL);
    sa.sa_handler = on_alt_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("handler on alternate stack: %d\n", on_alt);

    /* Default actions seen by the parent. */
    pid = fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        raise(SIGTERM);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    printf("child: signaled %d sig %d\n", WIFSIGNALED(status), WTERMSIG(status));
    pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        low_page[-2] = 0;
        _exit(0);
    }
    waitpid(pid, &status, 0);
    printf("child fault: signaled %d sig %d\n", WIFSIGNALED(status), WTERMSIG(status));
    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    printf("ignored signal survived\n");
    return 0;
}
