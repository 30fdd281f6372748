/*
 * Grace periods for the memory map (see memory-rcu.h for the contract).
 *
 * Each reader thread owns a counter: 0 while outside a read-side section, otherwise the
 * value of the global grace-period counter when its outermost section began. The writer
 * side (memory_rcu_synchronize) advances the global counter and waits for every reader
 * whose counter is neither 0 nor the new value: those began before the advance and may
 * hold the old pointer.
 *
 * Why one phase is enough: the counter is 64 bits, so it never wraps back to a value a
 * stalled reader still holds. Why the orderings: the reader stores its counter and then
 * loads the view pointer, the writer stores the pointer and then loads the counter, with
 * a full barrier between the two on each side; so either the writer sees the reader's
 * counter (and waits) or the reader sees the new pointer (and needs no waiting). A reader
 * whose counter already holds the new value loaded it (acquire) after the writer
 * published the pointer, so it sees the new pointer too.
 *
 * The barriers are asymmetric where the kernel allows (as in QEMU and liburcu): the
 * reader's side is only a compiler barrier, and the writer makes every running thread of
 * the process execute a full barrier with membarrier(PRIVATE_EXPEDITED). A reader whose
 * counter store the writer does not see had not reached it when its barrier ran, so its
 * later pointer load sees the new pointer. Without membarrier both sides use fences.
 *
 * Callbacks from memory_rcu_call() are run in batches by one reclaimer thread, started on
 * first use and never joined (like QEMU's call_rcu thread), so that a writer never blocks
 * on readers, even when it changes the map from inside a read-side section (an MMIO
 * handler that moves a BAR).
 */
#include "vm-core/memory-rcu.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib.h>

typedef struct RcuReader {
    uint64_t ctr;           /* 0 when quiescent, else the grace-period counter at entry */
    unsigned nesting;       /* depth of read-side sections; only touched by the owner */
    struct RcuReader *next; /* registry list */
} RcuReader;

typedef struct RcuCallback {
    void (*fn)(void *ptr);
    void *ptr;
    struct RcuCallback *next;
} RcuCallback;

static uint64_t rcu_gp_ctr = 1;      /* advanced by each grace period; never 0 */
static bool rcu_membarrier;          /* asymmetric barriers; fixed by rcu_init() */
static GMutex rcu_registry_lock;     /* protects rcu_readers and serializes synchronize */
static RcuReader *rcu_readers;       /* registered reader threads */
static __thread RcuReader *rcu_self; /* this thread's record, once registered */

static GMutex rcu_cb_lock;       /* protects the callback queue and its counters */
static GCond rcu_cb_cond;        /* queue became non-empty / a batch finished */
static RcuCallback *rcu_cb_head; /* pending callbacks, in queue order */
static RcuCallback **rcu_cb_tail = &rcu_cb_head;
static uint64_t rcu_cb_queued; /* callbacks ever queued */
static uint64_t rcu_cb_done;   /* callbacks ever run */

static void rcu_reader_unregister(gpointer data)
{
    RcuReader *r = data;

    g_mutex_lock(&rcu_registry_lock);
    for (RcuReader **p = &rcu_readers; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            break;
        }
    }
    g_mutex_unlock(&rcu_registry_lock);
    /* Runs on the exiting thread: a later destructor that reads must register anew. */
    if (rcu_self == r) {
        rcu_self = NULL;
    }
    g_free(r);
}

static GPrivate rcu_key = G_PRIVATE_INIT(rcu_reader_unregister);

static gpointer rcu_init_once(gpointer unused)
{
    long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

    if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
        syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0) {
        rcu_membarrier = true;
    }
    return NULL;
}

/* Both sides call this before using rcu_membarrier, so they agree on its value. */
static void rcu_init(void)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, rcu_init_once, NULL);
}

/* The writer's half of the barrier pair. */
static void rcu_barrier_all_threads(void)
{
    if (rcu_membarrier && syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0) {
        return;
    }
    /* Only reached without membarrier, where readers fence themselves. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static RcuReader *rcu_reader_register(void)
{
    RcuReader *r = g_new0(RcuReader, 1);

    rcu_init();
    g_mutex_lock(&rcu_registry_lock);
    r->next = rcu_readers;
    rcu_readers = r;
    g_mutex_unlock(&rcu_registry_lock);
    g_private_set(&rcu_key, r);
    rcu_self = r;
    return r;
}

void memory_rcu_read_lock(void)
{
    RcuReader *r = rcu_self ? rcu_self : rcu_reader_register();

    if (r->nesting++ == 0) {
        uint64_t gp = __atomic_load_n(&rcu_gp_ctr, __ATOMIC_ACQUIRE);
        __atomic_store_n(&r->ctr, gp, __ATOMIC_RELAXED);
        /* Pairs with rcu_barrier_all_threads(): our view loads come after the store. */
        if (rcu_membarrier) {
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
        } else {
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
        }
    }
}

void memory_rcu_read_unlock(void)
{
    RcuReader *r = rcu_self;

    if (r && r->nesting > 0 && --r->nesting == 0) {
        __atomic_store_n(&r->ctr, 0, __ATOMIC_RELEASE);
    }
}

bool memory_rcu_read_locked(void)
{
    return rcu_self && rcu_self->nesting > 0;
}

static void rcu_wait_for(RcuReader *r, uint64_t gp)
{
    for (unsigned spins = 0;; spins++) {
        uint64_t c = __atomic_load_n(&r->ctr, __ATOMIC_SEQ_CST);
        if (c == 0 || c == gp) {
            return;
        }
        if (spins < 100) {
            sched_yield();
        } else {
            g_usleep(50);
        }
    }
}

void memory_rcu_synchronize(void)
{
    rcu_init();
    g_mutex_lock(&rcu_registry_lock);
    /* Orders the pointer stores before the loads of the reader counters, everywhere. */
    rcu_barrier_all_threads();
    uint64_t gp = __atomic_add_fetch(&rcu_gp_ctr, 1, __ATOMIC_SEQ_CST);
    for (RcuReader *r = rcu_readers; r; r = r->next) {
        rcu_wait_for(r, gp);
    }
    g_mutex_unlock(&rcu_registry_lock);
}

static gpointer rcu_reclaimer(gpointer unused)
{
    for (;;) {
        g_mutex_lock(&rcu_cb_lock);
        while (!rcu_cb_head) {
            g_cond_wait(&rcu_cb_cond, &rcu_cb_lock);
        }
        RcuCallback *batch = rcu_cb_head;
        rcu_cb_head = NULL;
        rcu_cb_tail = &rcu_cb_head;
        g_mutex_unlock(&rcu_cb_lock);

        memory_rcu_synchronize();
        uint64_t n = 0;
        while (batch) {
            RcuCallback *next = batch->next;
            batch->fn(batch->ptr);
            g_free(batch);
            batch = next;
            n++;
        }

        g_mutex_lock(&rcu_cb_lock);
        rcu_cb_done += n;
        g_cond_broadcast(&rcu_cb_cond);
        g_mutex_unlock(&rcu_cb_lock);
    }
    return NULL;
}

static gpointer rcu_start_reclaimer(gpointer unused)
{
    g_thread_unref(g_thread_new("vmd-rcu", rcu_reclaimer, NULL));
    return NULL;
}

void memory_rcu_call(void (*fn)(void *ptr), void *ptr)
{
    static GOnce once = G_ONCE_INIT;
    RcuCallback *cb = g_new0(RcuCallback, 1);

    g_once(&once, rcu_start_reclaimer, NULL);
    cb->fn = fn;
    cb->ptr = ptr;
    g_mutex_lock(&rcu_cb_lock);
    *rcu_cb_tail = cb;
    rcu_cb_tail = &cb->next;
    rcu_cb_queued++;
    g_cond_broadcast(&rcu_cb_cond);
    g_mutex_unlock(&rcu_cb_lock);
}

int memory_rcu_barrier(void)
{
    if (memory_rcu_read_locked()) {
        return -EDEADLK;
    }
    g_mutex_lock(&rcu_cb_lock);
    uint64_t target = rcu_cb_queued;
    while (rcu_cb_done < target) {
        g_cond_wait(&rcu_cb_cond, &rcu_cb_lock);
    }
    g_mutex_unlock(&rcu_cb_lock);
    return 0;
}
