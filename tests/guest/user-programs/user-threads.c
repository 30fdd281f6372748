/* pthreads: mutexes, condition variables, TLS, join, per-thread signals. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 8
#define ITERS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready;
static __thread int tls_value;
static pthread_barrier_t barrier;
static volatile sig_atomic_t usr1_thread_ok;
static pthread_t signal_target;

static void *worker(void *arg)
{
    long id = (long)arg;
    tls_value = (int)id;
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return (void *)(long)(tls_value * 10);
}

static void *waiter(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!ready) {
        pthread_cond_wait(&cond, &lock);
    }
    pthread_mutex_unlock(&lock);
    return (void *)42;
}

static void on_usr1(int sig)
{
    usr1_thread_ok = pthread_equal(pthread_self(), signal_target);
}

static void *sleeper(void *arg)
{
    pause();
    return NULL;
}

int main(void)
{
    pthread_t th[NTHREADS], w;
    long sum = 0;
    void *ret;

    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++) {
        pthread_create(&th[i], NULL, worker, (void *)i);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], &ret);
        sum += (long)ret;
    }
    printf("counter %ld (expected %d), joined sum %ld\n", counter, NTHREADS * ITERS, sum);

    pthread_create(&w, NULL, waiter, NULL);
    usleep(10000);
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(w, &ret);
    printf("cond waiter returned %ld\n", (long)ret);

    signal(SIGUSR1, on_usr1);
    pthread_create(&signal_target, NULL, sleeper, NULL);
    usleep(10000);
    pthread_kill(signal_target, SIGUSR1);
    pthread_join(signal_target, NULL);
    printf("signal ran on the target thread: %d\n", usr1_thread_ok);
    printf("main tls %d\n", tls_value);
    return 0;
}
