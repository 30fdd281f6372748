/*
 * A small read-copy-update scheme for the memory map.
 *
 * vCPU threads look up the flat view of an address space on every TLB miss and device
 * threads on every DMA access; the main thread replaces the view when the map changes.
 * Readers take no lock: they announce themselves in a per-thread counter
 * (memory_rcu_read_lock), load the current view pointer, and use it. The writer publishes
 * a new view with an atomic pointer store and hands the old one to memory_rcu_call(),
 * which frees it on a reclaimer thread once every reader that could still see it has left
 * its read-side section (a grace period).
 *
 * Threads register themselves on their first read_lock and are unregistered when they
 * exit. Read-side sections nest. A thread must not wait for a grace period
 * (memory_rcu_synchronize, memory_rcu_barrier) inside its own read-side section.
 */
#ifndef VMD_VM_CORE_MEMORY_RCU_H
#define VMD_VM_CORE_MEMORY_RCU_H

#include <stdbool.h>

void memory_rcu_read_lock(void);
void memory_rcu_read_unlock(void);
/* True when the calling thread is inside a read-side section. */
bool memory_rcu_read_locked(void);

/* Waits until every read-side section that began before this call has ended. */
void memory_rcu_synchronize(void);
/* Calls fn(ptr) on the reclaimer thread after a grace period. */
void memory_rcu_call(void (*fn)(void *ptr), void *ptr);
/*
 * Waits until every callback queued before this call has run. Returns 0, or -EDEADLK
 * when called inside a read-side section (it would wait for itself). Do not call it with
 * the memory map lock held: freeing a container takes that lock on the reclaimer thread.
 */
int memory_rcu_barrier(void);

#endif
