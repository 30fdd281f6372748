/*
 * The main loop and the big lock; see main-loop.h.
 *
 * glib calls the context's poll function with the context unlocked, so wrapping it is
 * the one place where the big lock can be dropped for the sleep and taken back before
 * prepare/check/dispatch run. A thread that iterates the context without holding the
 * lock (a unit test) is left alone.
 */
#include "vm-core/main-loop.h"

static GMutex big_lock;
static _Thread_local bool big_lock_held;
static GThread *main_thread;
static GMainLoop *main_loop;
static GPollFunc default_poll;

typedef struct AsyncCall {
    MainLoopFn fn; /* what to run on the main loop */
    void *opaque;  /* its argument */
} AsyncCall;

static gint main_loop_poll(GPollFD *fds, guint nfds, gint timeout)
{
    bool held = big_lock_held;
    gint ret;

    if (held) {
        main_loop_unlock();
    }
    ret = default_poll(fds, nfds, timeout);
    if (held) {
        main_loop_lock();
    }
    return ret;
}

void main_loop_init(void)
{
    g_assert(main_thread == NULL);
    main_thread = g_thread_self();
    main_loop = g_main_loop_new(main_loop_context(), FALSE);
    default_poll = g_main_context_get_poll_func(main_loop_context());
    g_main_context_set_poll_func(main_loop_context(), main_loop_poll);
    main_loop_lock();
}

GMainContext *main_loop_context(void)
{
    return g_main_context_default();
}

void main_loop_run(void)
{
    g_assert(main_loop_is_main_thread());
    g_main_loop_run(main_loop);
}

void main_loop_quit(void)
{
    if (main_loop) {
        g_main_loop_quit(main_loop);
    }
    g_main_context_wakeup(main_loop_context());
}

bool main_loop_iterate(bool may_block)
{
    return g_main_context_iteration(main_loop_context(), may_block);
}

static gboolean async_call_dispatch(gpointer data)
{
    AsyncCall *call = data;

    call->fn(call->opaque);
    return G_SOURCE_REMOVE;
}

void main_loop_call_async(MainLoopFn fn, void *opaque)
{
    AsyncCall *call = g_new(AsyncCall, 1);
    GSource *source = g_idle_source_new();

    call->fn = fn;
    call->opaque = opaque;
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, async_call_dispatch, call, g_free);
    g_source_set_static_name(source, "main_loop_call_async");
    g_source_attach(source, main_loop_context());
    g_source_unref(source);
}

void main_loop_lock(void)
{
    g_assert(!big_lock_held);
    g_mutex_lock(&big_lock);
    big_lock_held = true;
}

void main_loop_unlock(void)
{
    g_assert(big_lock_held);
    big_lock_held = false;
    g_mutex_unlock(&big_lock);
}

bool main_loop_locked(void)
{
    return big_lock_held;
}

bool main_loop_is_main_thread(void)
{
    return main_thread == NULL || g_thread_self() == main_thread;
}
