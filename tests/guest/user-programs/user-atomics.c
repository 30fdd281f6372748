/*
 * Atomicity across guest threads (one host thread each under vmd-user): four threads
 * hammer shared counters with AMOs (amoadd.d/.w), an LR/SC loop written by hand, a
 * compare-and-swap loop, amomax, and a mutex (futex), and every final value must be
 * exact. A translator that emulated AMOs or SC non-atomically loses updates here.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 4
#define ROUNDS 200000

static uint64_t amo64;
static uint32_t amo32;
static uint64_t lrsc;
static uint64_t cas;
static int64_t maxv = -1;
static uint64_t locked;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void lrsc_add(uint64_t *p, uint64_t v)
{
    uint64_t tmp, fail;
    __asm__ volatile("1: lr.d.aqrl %0, (%2)\n"
                     "   add %0, %0, %3\n"
                     "   sc.d.aqrl %1, %0, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(tmp), "=&r"(fail)
                     : "r"(p), "r"(v)
                     : "memory");
}

static void *worker(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        __atomic_fetch_add(&amo64, 3, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&amo32, 1, __ATOMIC_RELAXED);
        lrsc_add(&lrsc, 2);
        uint64_t old = __atomic_load_n(&cas, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas, &old, old + 5, 1, __ATOMIC_SEQ_CST,
                                            __ATOMIC_RELAXED)) {
        }
        int64_t mine = id * ROUNDS + i;
        int64_t cur = __atomic_load_n(&maxv, __ATOMIC_RELAXED);
        while (cur < mine && !__atomic_compare_exchange_n(&maxv, &cur, mine, 0,
                                                           __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
        }
        pthread_mutex_lock(&lock);
        locked++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    printf("amoadd.d %llu\n", (unsigned long long)amo64);
    printf("amoadd.w %u\n", amo32);
    printf("lr/sc %llu\n", (unsigned long long)lrsc);
    printf("cas %llu\n", (unsigned long long)cas);
    printf("max %lld\n", (long long)maxv);
    printf("mutex %llu\n", (unsigned long long)locked);
    return 0;
}
