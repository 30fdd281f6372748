/* Thread cancellation (the C library's internal signal), queued real-time signals and
 * setuid in a threaded process (the C library's set*id broadcast). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <signal.h>
static void *spin(void *a) { for (;;) { pthread_testcancel(); usleep(1000); } }
static void *blocked(void *a) { char c; int p[2]; pipe(p); read(p[0], &c, 1); return 0; }
static void on_rt(int s, siginfo_t *si, void *u) { printf("rt signal %d value %d\n", s - SIGRTMIN, si->si_value.sival_int); }
int main(void) {
    pthread_t a, b; void *r;
    pthread_create(&a, 0, spin, 0); pthread_create(&b, 0, blocked, 0);
    usleep(20000);
    pthread_cancel(a); pthread_cancel(b);
    pthread_join(a, &r); printf("spin canceled %d\n", r == PTHREAD_CANCELED);
    pthread_join(b, &r); printf("blocked canceled %d\n", r == PTHREAD_CANCELED);
    struct sigaction sa = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO };
    sigaction(SIGRTMIN + 3, &sa, 0);
    union sigval v = { .sival_int = 1234 };
    sigqueue(getpid(), SIGRTMIN + 3, v);
    setuid(getuid());
    printf("setuid in threaded process ok\n");
    return 0;
}
