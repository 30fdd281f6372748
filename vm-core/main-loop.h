/*
 * The machine's main loop: one glib main context on the main thread, where chardev
 * I/O, QMP, timers and run-state requests are processed, and the big lock (like QEMU's
 * BQL) that serialises device emulation between the main loop and the vCPU threads.
 *
 * The main loop dispatches with the big lock held and releases it only while it sleeps
 * in poll(), so every callback attached to main_loop_context() runs under the lock.
 * Other threads never touch main-loop objects directly: they hand work over with
 * main_loop_call_async(), which is safe from any thread.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef void (*MainLoopFn)(void *opaque);

/* Call once, on the main thread, before anything else here; takes the big lock. */
void main_loop_init(void);

/* The context everything machine-wide attaches to (glib's default context). */
GMainContext *main_loop_context(void);

/* Runs until main_loop_quit(); the caller holds the big lock (main_loop_init took it). */
void main_loop_run(void);

/* Makes main_loop_run() return after the current dispatch; safe from any thread. */
void main_loop_quit(void);

/* One iteration of the main context (tests and nested waits); returns whether anything
 * was dispatched. */
bool main_loop_iterate(bool may_block);

/* Runs fn(opaque) on the main loop, with the big lock held, soon after; safe from any
 * thread and from signal-free contexts. Calls are dispatched in the order they were made
 * from one thread. */
void main_loop_call_async(MainLoopFn fn, void *opaque);

/* The big lock. Not recursive: taking it twice on one thread is a bug and aborts. */
void main_loop_lock(void);
void main_loop_unlock(void);
bool main_loop_locked(void); /* by the calling thread */

bool main_loop_is_main_thread(void);
