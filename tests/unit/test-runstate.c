/*
 * Tests of the run-state machine: names, the transition table against an independent
 * list of QEMU's allowed transitions, rejection of the rest, and request processing on
 * the main loop with -no-reboot and -no-shutdown, including requests from other threads;
 * and the main loop itself: callbacks scheduled from many threads, and the big lock
 * being free for vCPU threads while the loop sleeps.
 */
#include <glib.h>

#include "vm-core/main-loop.h"
#include "vm-core/runstate.h"

/* QEMU's allowed transitions, written out pair by pair (the table in runstate.c is a
 * bit set per state; this list is the reference it is checked against). */
static const char *const allowed[][2] = {
    {"prelaunch", "inmigrate"},
    {"prelaunch", "suspended"},
    {"prelaunch", "running"},
    {"prelaunch", "finish-migrate"},
    {"debug", "running"},
    {"debug", "finish-migrate"},
    {"debug", "prelaunch"},
    {"debug", "suspended"},
    {"inmigrate", "internal-error"},
    {"inmigrate", "io-error"},
    {"inmigrate", "paused"},
    {"inmigrate", "running"},
    {"inmigrate", "shutdown"},
    {"inmigrate", "suspended"},
    {"inmigrate", "watchdog"},
    {"inmigrate", "guest-panicked"},
    {"inmigrate", "finish-migrate"},
    {"inmigrate", "prelaunch"},
    {"inmigrate", "postmigrate"},
    {"inmigrate", "colo"},
    {"internal-error", "paused"},
    {"internal-error", "finish-migrate"},
    {"internal-error", "prelaunch"},
    {"io-error", "running"},
    {"io-error", "finish-migrate"},
    {"io-error", "prelaunch"},
    {"paused", "running"},
    {"paused", "finish-migrate"},
    {"paused", "postmigrate"},
    {"paused", "prelaunch"},
    {"paused", "colo"},
    {"paused", "suspended"},
    {"postmigrate", "running"},
    {"postmigrate", "finish-migrate"},
    {"postmigrate", "prelaunch"},
    {"finish-migrate", "running"},
    {"finish-migrate", "paused"},
    {"finish-migrate", "postmigrate"},
    {"finish-migrate", "prelaunch"},
    {"finish-migrate", "colo"},
    {"finish-migrate", "internal-error"},
    {"finish-migrate", "io-error"},
    {"finish-migrate", "shutdown"},
    {"finish-migrate", "suspended"},
    {"finish-migrate", "watchdog"},
    {"finish-migrate", "guest-panicked"},
    {"restore-vm", "running"},
    {"restore-vm", "prelaunch"},
    {"restore-vm", "suspended"},
    {"colo", "running"},
    {"colo", "prelaunch"},
    {"colo", "shutdown"},
    {"running", "debug"},
    {"running", "internal-error"},
    {"running", "io-error"},
    {"running", "paused"},
    {"running", "finish-migrate"},
    {"running", "restore-vm"},
    {"running", "save-vm"},
    {"running", "shutdown"},
    {"running", "watchdog"},
    {"running", "guest-panicked"},
    {"running", "colo"},
    {"running", "suspended"},
    {"save-vm", "running"},
    {"save-vm", "suspended"},
    {"shutdown", "paused"},
    {"shutdown", "finish-migrate"},
    {"shutdown", "prelaunch"},
    {"shutdown", "colo"},
    {"suspended", "running"},
    {"suspended", "finish-migrate"},
    {"suspended", "prelaunch"},
    {"suspended", "colo"},
    {"suspended", "paused"},
    {"suspended", "save-vm"},
    {"suspended", "restore-vm"},
    {"suspended", "shutdown"},
    {"watchdog", "running"},
    {"watchdog", "finish-migrate"},
    {"watchdog", "prelaunch"},
    {"watchdog", "colo"},
    {"guest-panicked", "running"},
    {"guest-panicked", "finish-migrate"},
    {"guest-panicked", "prelaunch"},
};

static bool in_allowed(RunState from, RunState to)
{
    for (size_t i = 0; i < G_N_ELEMENTS(allowed); i++) {
        if (runstate_from_name(allowed[i][0]) == from && runstate_from_name(allowed[i][1]) == to) {
            return true;
        }
    }
    return false;
}

/* Forces the state along a legal path: the table is the only way in. */
static void force_state(RunState target)
{
    runstate_reset_for_test();
    if (target == RUN_STATE_PRELAUNCH) {
        return;
    }
    if (runstate_can_transition(RUN_STATE_PRELAUNCH, target)) {
        g_assert_true(runstate_set(target, NULL));
        return;
    }
    g_assert_true(runstate_set(RUN_STATE_INMIGRATE, NULL));
    if (target != RUN_STATE_INMIGRATE && !runstate_can_transition(RUN_STATE_INMIGRATE, target)) {
        g_assert_true(runstate_set(RUN_STATE_RUNNING, NULL));
    }
    g_assert_true(runstate_set(target, NULL));
}

static void test_names(void)
{
    static const char *const names[] = {
        "debug",     "inmigrate",      "internal-error", "io-error", "paused",  "postmigrate",
        "prelaunch", "finish-migrate", "restore-vm",     "running",  "save-vm", "shutdown",
        "suspended", "watchdog",       "guest-panicked", "colo",
    };
    static const char *const causes[] = {
        "none",        "host-error",      "host-qmp-quit",  "host-qmp-system-reset",
        "host-signal", "host-ui",         "guest-shutdown", "guest-reset",
        "guest-panic", "subsystem-reset", "snapshot-load",
    };

    g_assert_cmpint(G_N_ELEMENTS(names), ==, RUN_STATE__MAX);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_assert_cmpint(runstate_from_name(names[i]), ==, (int)i);
        g_assert_cmpstr(runstate_name(i), ==, names[i]);
    }
    g_assert_cmpint(G_N_ELEMENTS(causes), ==, SHUTDOWN_CAUSE__MAX);
    for (size_t i = 0; i < G_N_ELEMENTS(causes); i++) {
        g_assert_cmpint(shutdown_cause_from_name(causes[i]), ==, (int)i);
        g_assert_cmpstr(shutdown_cause_name(i), ==, causes[i]);
    }
    g_assert_cmpint(runstate_from_name("bogus"), ==, RUN_STATE__INVALID);
    g_assert_true(shutdown_cause_is_guest(SHUTDOWN_CAUSE_GUEST_RESET));
    g_assert_false(shutdown_cause_is_guest(SHUTDOWN_CAUSE_HOST_UI));
}

static void test_table(void)
{
    unsigned n = 0;

    for (int from = 0; from < RUN_STATE__MAX; from++) {
        for (int to = 0; to < RUN_STATE__MAX; to++) {
            bool want = in_allowed(from, to);
            if (runstate_can_transition(from, to) != want) {
                g_error("table disagrees on '%s' -> '%s'", runstate_name(from), runstate_name(to));
            }
            n += want;
        }
    }
    g_assert_cmpuint(n, ==, G_N_ELEMENTS(allowed));
}

/* Every allowed transition really happens through runstate_set(). */
static void test_every_transition(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(allowed); i++) {
        RunState from = runstate_from_name(allowed[i][0]);
        RunState to = runstate_from_name(allowed[i][1]);
        force_state(from);
        g_assert_cmpint(runstate_get(), ==, from);
        g_assert_true(runstate_set(to, NULL));
        g_assert_cmpint(runstate_get(), ==, to);
    }
}

static void test_rejected(void)
{
    g_autoptr(GError) err = NULL;

    force_state(RUN_STATE_SHUTDOWN);
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
                          "invalid runstate transition: 'shutdown' -> 'running'");
    g_assert_false(runstate_set(RUN_STATE_RUNNING, &err));
    g_test_assert_expected_messages();
    g_assert_cmpstr(err->message, ==, "invalid runstate transition: 'shutdown' -> 'running'");
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_SHUTDOWN);
    /* Setting the current state again is not a transition. */
    g_assert_true(runstate_set(RUN_STATE_SHUTDOWN, NULL));
}

typedef struct Recorder {
    GString *log; /* "change:running=1:running;event:shutdown:guest-shutdown;..." */
} Recorder;

static void rec_change(void *opaque, bool running, RunState state)
{
    Recorder *r = opaque;
    g_string_append_printf(r->log, "change:%d:%s;", running, runstate_name(state));
}

static const char *const event_names[] = {"shutdown", "reset", "powerdown", "wakeup"};

static void rec_event(void *opaque, RunstateEvent event, ShutdownCause cause)
{
    Recorder *r = opaque;
    g_string_append_printf(r->log, "event:%s:%s;", event_names[event], shutdown_cause_name(cause));
}

static void rec_reset(void *opaque, ShutdownCause cause)
{
    Recorder *r = opaque;
    g_string_append_printf(r->log, "reset:%s;", shutdown_cause_name(cause));
}

static void drain(void)
{
    while (main_loop_iterate(false)) {
    }
}

static Recorder *recorder_start(void)
{
    Recorder *r = g_new0(Recorder, 1);

    runstate_reset_for_test();
    drain();
    r->log = g_string_new(NULL);
    runstate_add_change_notifier(rec_change, r);
    runstate_add_event_notifier(rec_event, r);
    runstate_add_reset_handler(rec_reset, r);
    g_assert_true(runstate_start_vm(NULL));
    g_string_truncate(r->log, 0);
    return r;
}

static void recorder_free(Recorder *r)
{
    runstate_reset_for_test();
    g_string_free(r->log, TRUE);
    g_free(r);
}

static void test_shutdown_exits(void)
{
    Recorder *r = recorder_start();

    runstate_request_shutdown(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    /* Nothing happens until the main loop runs. */
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_RUNNING);
    g_assert_cmpstr(r->log->str, ==, "");
    drain();
    g_assert_cmpstr(r->log->str, ==, "event:shutdown:guest-shutdown;change:0:shutdown;");
    g_assert_true(runstate_exit_requested());
    g_assert_cmpint(runstate_exit_cause(), ==, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    recorder_free(r);
}

static void test_no_shutdown_pauses(void)
{
    Recorder *r = recorder_start();

    runstate_set_no_shutdown(true);
    runstate_request_shutdown(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    drain();
    g_assert_cmpstr(r->log->str, ==, "event:shutdown:guest-shutdown;change:0:shutdown;");
    g_assert_false(runstate_exit_requested());
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_SHUTDOWN);
    g_assert_true(runstate_needs_reset());

    /* system_reset from there waits in prelaunch; cont runs it again. */
    g_string_truncate(r->log, 0);
    runstate_request_reset(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    drain();
    g_assert_cmpstr(r->log->str, ==,
                    "reset:host-qmp-system-reset;event:reset:host-qmp-system-reset;"
                    "change:0:prelaunch;");
    g_assert_false(runstate_needs_reset());
    g_assert_true(runstate_start_vm(NULL));
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_RUNNING);

    /* quit still quits. */
    g_string_truncate(r->log, 0);
    runstate_request_shutdown(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    drain();
    g_assert_true(runstate_exit_requested());
    g_assert_cmpstr(r->log->str, ==, "event:shutdown:host-qmp-quit;change:0:shutdown;");
    recorder_free(r);
}

static void test_reset(void)
{
    Recorder *r = recorder_start();

    runstate_request_reset(SHUTDOWN_CAUSE_GUEST_RESET);
    drain();
    g_assert_cmpstr(r->log->str, ==, "reset:guest-reset;event:reset:guest-reset;");
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_RUNNING);
    g_assert_false(runstate_exit_requested());
    recorder_free(r);
}

static void test_no_reboot(void)
{
    Recorder *r = recorder_start();

    runstate_set_no_reboot(true);
    runstate_request_reset(SHUTDOWN_CAUSE_GUEST_RESET);
    drain();
    g_assert_cmpstr(r->log->str, ==, "event:shutdown:guest-reset;change:0:shutdown;");
    g_assert_true(runstate_exit_requested());
    recorder_free(r);

    /* A reset inside the machine is not a reboot. */
    r = recorder_start();
    runstate_set_no_reboot(true);
    runstate_request_reset(SHUTDOWN_CAUSE_SUBSYSTEM_RESET);
    drain();
    g_assert_cmpstr(r->log->str, ==, "reset:subsystem-reset;event:reset:subsystem-reset;");
    recorder_free(r);
}

static void test_powerdown_stop_wakeup(void)
{
    Recorder *r = recorder_start();
    g_autoptr(GError) err = NULL;

    runstate_request_powerdown();
    drain();
    g_assert_cmpstr(r->log->str, ==, "event:powerdown:none;");
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_RUNNING);

    g_assert_false(runstate_request_wakeup(&err));
    g_assert_cmpstr(err->message, ==, "Unable to wake up: guest is not in suspended state");

    g_string_truncate(r->log, 0);
    runstate_request_stop(RUN_STATE_SUSPENDED);
    drain();
    g_assert_cmpstr(r->log->str, ==, "change:0:suspended;");
    g_assert_true(runstate_request_wakeup(NULL));
    drain();
    g_assert_cmpstr(r->log->str, ==, "change:0:suspended;event:wakeup:none;change:1:running;");
    recorder_free(r);
}

static gpointer request_thread(gpointer data)
{
    runstate_request_shutdown(SHUTDOWN_CAUSE_GUEST_PANIC);
    return NULL;
}

/* A vCPU thread only requests; the main loop acts, and main_loop_run() returns. */
static void test_request_from_thread(void)
{
    Recorder *r = recorder_start();
    GThread *t;

    t = g_thread_new("vcpu", request_thread, NULL);
    g_thread_join(t);
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_RUNNING);
    main_loop_run(); /* returns when the shutdown quits the loop */
    g_assert_true(runstate_exit_requested());
    g_assert_cmpint(runstate_exit_cause(), ==, SHUTDOWN_CAUSE_GUEST_PANIC);
    g_assert_cmpstr(r->log->str, ==, "event:shutdown:guest-panic;change:0:shutdown;");
    recorder_free(r);
}

static void test_notifier_remove(void)
{
    Recorder r = {.log = g_string_new(NULL)};
    guint id;

    runstate_reset_for_test();
    id = runstate_add_change_notifier(rec_change, &r);
    g_assert_true(runstate_start_vm(NULL));
    runstate_remove_change_notifier(id);
    g_assert_true(runstate_stop_vm(RUN_STATE_PAUSED, NULL));
    g_assert_cmpstr(r.log->str, ==, "change:1:running;");
    /* Stopping a stopped machine changes nothing. */
    g_assert_true(runstate_stop_vm(RUN_STATE_DEBUG, NULL));
    g_assert_cmpint(runstate_get(), ==, RUN_STATE_PAUSED);
    g_string_free(r.log, TRUE);
    runstate_reset_for_test();
}

#define ASYNC_THREADS 4
#define ASYNC_CALLS   500

typedef struct AsyncRecord {
    int last[ASYNC_THREADS]; /* last sequence number seen per thread */
    int total;               /* callbacks run */
    bool bad;                /* out of order, off the main thread or without the lock */
} AsyncRecord;

static AsyncRecord async_rec;

static void async_cb(void *opaque)
{
    int v = GPOINTER_TO_INT(opaque);
    int thread = v / ASYNC_CALLS, seq = v % ASYNC_CALLS;

    if (!main_loop_is_main_thread() || !main_loop_locked() || seq != async_rec.last[thread] + 1) {
        async_rec.bad = true;
    }
    async_rec.last[thread] = seq;
    if (++async_rec.total == ASYNC_THREADS * ASYNC_CALLS) {
        main_loop_quit();
    }
}

static gpointer async_thread(gpointer data)
{
    int thread = GPOINTER_TO_INT(data);

    for (int i = 0; i < ASYNC_CALLS; i++) {
        main_loop_call_async(async_cb, GINT_TO_POINTER(thread * ASYNC_CALLS + i));
    }
    return NULL;
}

static void test_call_async(void)
{
    GThread *t[ASYNC_THREADS];

    for (int i = 0; i < ASYNC_THREADS; i++) {
        async_rec.last[i] = -1;
    }
    for (int i = 0; i < ASYNC_THREADS; i++) {
        t[i] = g_thread_new("caller", async_thread, GINT_TO_POINTER(i));
    }
    main_loop_run();
    for (int i = 0; i < ASYNC_THREADS; i++) {
        g_thread_join(t[i]);
    }
    g_assert_false(async_rec.bad);
    g_assert_cmpint(async_rec.total, ==, ASYNC_THREADS * ASYNC_CALLS);
}

static int shared_counter; /* guarded by the big lock */

static void lock_cb(void *opaque)
{
    g_assert_true(main_loop_locked());
    g_assert_cmpint(shared_counter, ==, 1000);
    main_loop_quit();
}

/* A "vCPU" takes the big lock while the main loop sleeps in poll(), which must have
 * released it; its callback then runs on the main loop with the lock held again. */
static gpointer lock_thread(gpointer data)
{
    for (int i = 0; i < 1000; i++) {
        main_loop_lock();
        g_assert_true(main_loop_locked());
        shared_counter++;
        main_loop_unlock();
    }
    g_assert_false(main_loop_locked());
    main_loop_call_async(lock_cb, NULL);
    return NULL;
}

static void test_big_lock(void)
{
    GThread *t;

    g_assert_true(main_loop_locked());
    t = g_thread_new("vcpu", lock_thread, NULL);
    main_loop_run();
    g_thread_join(t);
    g_assert_true(main_loop_locked());
    g_assert_cmpint(shared_counter, ==, 1000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    main_loop_init(); /* this thread holds the big lock from here on */
    g_test_add_func("/runstate/names", test_names);
    g_test_add_func("/runstate/table", test_table);
    g_test_add_func("/runstate/every-transition", test_every_transition);
    g_test_add_func("/runstate/rejected", test_rejected);
    g_test_add_func("/runstate/shutdown-exits", test_shutdown_exits);
    g_test_add_func("/runstate/no-shutdown", test_no_shutdown_pauses);
    g_test_add_func("/runstate/reset", test_reset);
    g_test_add_func("/runstate/no-reboot", test_no_reboot);
    g_test_add_func("/runstate/powerdown-stop-wakeup", test_powerdown_stop_wakeup);
    g_test_add_func("/runstate/request-from-thread", test_request_from_thread);
    g_test_add_func("/runstate/notifier-remove", test_notifier_remove);
    g_test_add_func("/main-loop/call-async", test_call_async);
    g_test_add_func("/main-loop/big-lock", test_big_lock);
    return g_test_run();
}
