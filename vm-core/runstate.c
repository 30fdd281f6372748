/*
 * Run states, transitions and request processing; see runstate.h.
 *
 * Requests are plain fields written by any thread (atomically) and a single
 * main_loop_call_async() kick; the main loop then handles them in a fixed order:
 * shutdown, reset, stop, wakeup, powerdown. The allowed transitions are the ones QEMU
 * allows, because clients (libvirt above all) expect the same sequences of states.
 */
#include "vm-core/runstate.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdint.h>

#include "vm-core/main-loop.h"

static const char *const runstate_names[RUN_STATE__MAX] = {
    [RUN_STATE_DEBUG] = "debug",
    [RUN_STATE_INMIGRATE] = "inmigrate",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
    [RUN_STATE_IO_ERROR] = "io-error",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_POSTMIGRATE] = "postmigrate",
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_FINISH_MIGRATE] = "finish-migrate",
    [RUN_STATE_RESTORE_VM] = "restore-vm",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_SAVE_VM] = "save-vm",
    [RUN_STATE_SHUTDOWN] = "shutdown",
    [RUN_STATE_SUSPENDED] = "suspended",
    [RUN_STATE_WATCHDOG] = "watchdog",
    [RUN_STATE_GUEST_PANICKED] = "guest-panicked",
    [RUN_STATE_COLO] = "colo",
};

static const char *const shutdown_cause_names[SHUTDOWN_CAUSE__MAX] = {
    [SHUTDOWN_CAUSE_NONE] = "none",
    [SHUTDOWN_CAUSE_HOST_ERROR] = "host-error",
    [SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
    [SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
    [SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
    [SHUTDOWN_CAUSE_HOST_UI] = "host-ui",
    [SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
    [SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
    [SHUTDOWN_CAUSE_GUEST_PANIC] = "guest-panic",
    [SHUTDOWN_CAUSE_SUBSYSTEM_RESET] = "subsystem-reset",
    [SHUTDOWN_CAUSE_SNAPSHOT_LOAD] = "snapshot-load",
};

#define S(x) (1u << RUN_STATE_##x)

/* For each state, the set of states it may move to (QEMU's table). */
static const uint32_t runstate_next[RUN_STATE__MAX] = {
    [RUN_STATE_DEBUG] = S(RUNNING) | S(FINISH_MIGRATE) | S(PRELAUNCH) | S(SUSPENDED),
    [RUN_STATE_INMIGRATE] = S(INTERNAL_ERROR) | S(IO_ERROR) | S(PAUSED) | S(RUNNING) | S(SHUTDOWN) |
                            S(SUSPENDED) | S(WATCHDOG) | S(GUEST_PANICKED) | S(FINISH_MIGRATE) |
                            S(PRELAUNCH) | S(POSTMIGRATE) | S(COLO),
    [RUN_STATE_INTERNAL_ERROR] = S(PAUSED) | S(FINISH_MIGRATE) | S(PRELAUNCH),
    [RUN_STATE_IO_ERROR] = S(RUNNING) | S(FINISH_MIGRATE) | S(PRELAUNCH),
    [RUN_STATE_PAUSED] =
        S(RUNNING) | S(FINISH_MIGRATE) | S(POSTMIGRATE) | S(PRELAUNCH) | S(COLO) | S(SUSPENDED),
    [RUN_STATE_POSTMIGRATE] = S(RUNNING) | S(FINISH_MIGRATE) | S(PRELAUNCH),
    [RUN_STATE_PRELAUNCH] = S(RUNNING) | S(FINISH_MIGRATE) | S(INMIGRATE) | S(SUSPENDED),
    [RUN_STATE_FINISH_MIGRATE] = S(RUNNING) | S(PAUSED) | S(POSTMIGRATE) | S(PRELAUNCH) | S(COLO) |
                                 S(INTERNAL_ERROR) | S(IO_ERROR) | S(SHUTDOWN) | S(SUSPENDED) |
                                 S(WATCHDOG) | S(GUEST_PANICKED),
    [RUN_STATE_RESTORE_VM] = S(RUNNING) | S(PRELAUNCH) | S(SUSPENDED),
    [RUN_STATE_COLO] = S(RUNNING) | S(PRELAUNCH) | S(SHUTDOWN),
    [RUN_STATE_RUNNING] = S(DEBUG) | S(INTERNAL_ERROR) | S(IO_ERROR) | S(PAUSED) |
                          S(FINISH_MIGRATE) | S(RESTORE_VM) | S(SAVE_VM) | S(SHUTDOWN) |
                          S(WATCHDOG) | S(GUEST_PANICKED) | S(COLO) | S(SUSPENDED),
    [RUN_STATE_SAVE_VM] = S(RUNNING) | S(SUSPENDED),
    [RUN_STATE_SHUTDOWN] = S(PAUSED) | S(FINISH_MIGRATE) | S(PRELAUNCH) | S(COLO),
    [RUN_STATE_SUSPENDED] = S(RUNNING) | S(FINISH_MIGRATE) | S(PRELAUNCH) | S(COLO) | S(PAUSED) |
                            S(SAVE_VM) | S(RESTORE_VM) | S(SHUTDOWN),
    [RUN_STATE_WATCHDOG] = S(RUNNING) | S(FINISH_MIGRATE) | S(PRELAUNCH) | S(COLO),
    [RUN_STATE_GUEST_PANICKED] = S(RUNNING) | S(FINISH_MIGRATE) | S(PRELAUNCH),
};

#undef S

typedef void (*SubscriberFn)(void);

typedef struct Subscriber {
    guint id;        /* handle for the remove */
    SubscriberFn fn; /* RunstateChangeFn, RunstateEventFn or RunstateResetFn */
    void *opaque;    /* its first argument */
} Subscriber;

static int current_state = RUN_STATE_PRELAUNCH; /* RunState, read atomically */
static int no_reboot;                           /* -no-reboot; read by requesting threads */
static bool no_shutdown;                        /* -no-shutdown */
static bool exit_requested;
static ShutdownCause exit_cause;

/* Pending requests: 0 means none, otherwise cause + 1 (or state + 1 for stop). */
static int pending_shutdown;
static int pending_reset;
static int pending_powerdown;
static int pending_stop;
static int pending_wakeup;
static int kick_pending;

static GArray *change_subs;
static GArray *event_subs;
static GArray *reset_subs;
static guint next_sub_id = 1;

const char *runstate_name(RunState state)
{
    if (state < 0 || state >= RUN_STATE__MAX) {
        return "invalid";
    }
    return runstate_names[state];
}

RunState runstate_from_name(const char *name)
{
    for (int i = 0; i < RUN_STATE__MAX; i++) {
        if (g_strcmp0(name, runstate_names[i]) == 0) {
            return i;
        }
    }
    return RUN_STATE__INVALID;
}

const char *shutdown_cause_name(ShutdownCause cause)
{
    if (cause < 0 || cause >= SHUTDOWN_CAUSE__MAX) {
        return "invalid";
    }
    return shutdown_cause_names[cause];
}

ShutdownCause shutdown_cause_from_name(const char *name)
{
    for (int i = 0; i < SHUTDOWN_CAUSE__MAX; i++) {
        if (g_strcmp0(name, shutdown_cause_names[i]) == 0) {
            return i;
        }
    }
    return SHUTDOWN_CAUSE__INVALID;
}

bool shutdown_cause_is_guest(ShutdownCause cause)
{
    return cause == SHUTDOWN_CAUSE_GUEST_SHUTDOWN || cause == SHUTDOWN_CAUSE_GUEST_RESET ||
           cause == SHUTDOWN_CAUSE_GUEST_PANIC;
}

static GArray *subs_array(GArray **subs)
{
    if (*subs == NULL) {
        *subs = g_array_new(FALSE, TRUE, sizeof(Subscriber));
    }
    return *subs;
}

void runstate_reset_for_test(void)
{
    g_atomic_int_set(&current_state, RUN_STATE_PRELAUNCH);
    g_atomic_int_set(&no_reboot, 0);
    no_shutdown = exit_requested = false;
    exit_cause = SHUTDOWN_CAUSE_NONE;
    g_atomic_int_set(&pending_shutdown, 0);
    g_atomic_int_set(&pending_reset, 0);
    g_atomic_int_set(&pending_powerdown, 0);
    g_atomic_int_set(&pending_stop, 0);
    g_atomic_int_set(&pending_wakeup, 0);
    g_array_set_size(subs_array(&change_subs), 0);
    g_array_set_size(subs_array(&event_subs), 0);
    g_array_set_size(subs_array(&reset_subs), 0);
}

RunState runstate_get(void)
{
    return g_atomic_int_get(&current_state);
}

bool runstate_is_running(void)
{
    return runstate_get() == RUN_STATE_RUNNING;
}

bool runstate_can_transition(RunState from, RunState to)
{
    if (from < 0 || from >= RUN_STATE__MAX || to < 0 || to >= RUN_STATE__MAX) {
        return false;
    }
    return (runstate_next[from] >> to) & 1;
}

bool runstate_needs_reset(void)
{
    RunState s = runstate_get();

    return s == RUN_STATE_INTERNAL_ERROR || s == RUN_STATE_SHUTDOWN;
}

static void notify_change(bool running, RunState state)
{
    GArray *subs = subs_array(&change_subs);

    /* Walk a copy: a notifier may remove itself. */
    g_autoptr(GArray) copy = g_array_copy(subs);
    for (guint i = 0; i < copy->len; i++) {
        Subscriber *s = &g_array_index(copy, Subscriber, i);
        ((RunstateChangeFn)s->fn)(s->opaque, running, state);
    }
}

static void notify_event(RunstateEvent event, ShutdownCause cause)
{
    g_autoptr(GArray) copy = g_array_copy(subs_array(&event_subs));

    for (guint i = 0; i < copy->len; i++) {
        Subscriber *s = &g_array_index(copy, Subscriber, i);
        ((RunstateEventFn)s->fn)(s->opaque, event, cause);
    }
}

static void run_reset_handlers(ShutdownCause cause)
{
    g_autoptr(GArray) copy = g_array_copy(subs_array(&reset_subs));

    for (guint i = 0; i < copy->len; i++) {
        Subscriber *s = &g_array_index(copy, Subscriber, i);
        ((RunstateResetFn)s->fn)(s->opaque, cause);
    }
}

bool runstate_set(RunState state, GError **error)
{
    RunState from = runstate_get();

    if (state == from) {
        return true;
    }
    if (!runstate_can_transition(from, state)) {
        g_critical("invalid runstate transition: '%s' -> '%s'", runstate_name(from),
                   runstate_name(state));
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "invalid runstate transition: '%s' -> '%s'", runstate_name(from),
                    runstate_name(state));
        return false;
    }
    g_atomic_int_set(&current_state, state);
    return true;
}

bool runstate_stop_vm(RunState state, GError **error)
{
    if (!runstate_is_running()) {
        return true;
    }
    if (!runstate_set(state, error)) {
        return false;
    }
    notify_change(false, state);
    return true;
}

bool runstate_start_vm(GError **error)
{
    if (runstate_is_running()) {
        return true;
    }
    if (!runstate_set(RUN_STATE_RUNNING, error)) {
        return false;
    }
    notify_change(true, RUN_STATE_RUNNING);
    return true;
}

void runstate_set_no_reboot(bool on)
{
    g_atomic_int_set(&no_reboot, on);
}

void runstate_set_no_shutdown(bool on)
{
    no_shutdown = on;
}

static void process_requests_cb(void *opaque)
{
    g_atomic_int_set(&kick_pending, 0);
    runstate_process_requests();
}

static void kick_main_loop(void)
{
    if (g_atomic_int_compare_and_exchange(&kick_pending, 0, 1)) {
        main_loop_call_async(process_requests_cb, NULL);
    }
}

void runstate_request_shutdown(ShutdownCause cause)
{
    g_atomic_int_set(&pending_shutdown, cause + 1);
    kick_main_loop();
}

void runstate_request_reset(ShutdownCause cause)
{
    /* -no-reboot turns a reboot into a shutdown, except a reset inside the machine. */
    if (g_atomic_int_get(&no_reboot) && cause != SHUTDOWN_CAUSE_SUBSYSTEM_RESET) {
        runstate_request_shutdown(cause);
        return;
    }
    g_atomic_int_set(&pending_reset, cause + 1);
    kick_main_loop();
}

void runstate_request_powerdown(void)
{
    g_atomic_int_set(&pending_powerdown, 1);
    kick_main_loop();
}

void runstate_request_stop(RunState state)
{
    g_atomic_int_set(&pending_stop, state + 1);
    kick_main_loop();
}

bool runstate_request_wakeup(GError **error)
{
    if (runstate_get() != RUN_STATE_SUSPENDED) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "Unable to wake up: guest is not in suspended state");
        return false;
    }
    g_atomic_int_set(&pending_wakeup, 1);
    kick_main_loop();
    return true;
}

/* Host-side requests to quit end the process even with -no-shutdown, as in QEMU. */
static bool shutdown_cause_forces_exit(ShutdownCause cause)
{
    return cause == SHUTDOWN_CAUSE_HOST_QMP_QUIT || cause == SHUTDOWN_CAUSE_HOST_SIGNAL ||
           cause == SHUTDOWN_CAUSE_HOST_UI || cause == SHUTDOWN_CAUSE_NONE;
}

static void process_shutdown(ShutdownCause cause)
{
    notify_event(RUNSTATE_EVENT_SHUTDOWN, cause);
    if (no_shutdown && !shutdown_cause_forces_exit(cause)) {
        runstate_stop_vm(RUN_STATE_SHUTDOWN, NULL);
        return;
    }
    /* The process ends: vCPUs stop in "shutdown" and main() tears the machine down. */
    if (runstate_is_running()) {
        runstate_stop_vm(RUN_STATE_SHUTDOWN, NULL);
    }
    exit_requested = true;
    exit_cause = cause;
    main_loop_quit();
}

static void process_reset(ShutdownCause cause)
{
    RunState state;

    run_reset_handlers(cause);
    notify_event(RUNSTATE_EVENT_RESET, cause);
    /* A machine reset out of shutdown, a panic or an error waits in prelaunch for cont. */
    state = runstate_get();
    if (state != RUN_STATE_RUNNING && state != RUN_STATE_INMIGRATE &&
        state != RUN_STATE_PRELAUNCH && runstate_can_transition(state, RUN_STATE_PRELAUNCH)) {
        runstate_set(RUN_STATE_PRELAUNCH, NULL);
        notify_change(false, RUN_STATE_PRELAUNCH);
    }
}

void runstate_process_requests(void)
{
    int v;

    if (exit_requested) {
        return;
    }
    v = g_atomic_int_exchange(&pending_shutdown, 0);
    if (v) {
        process_shutdown(v - 1);
        if (exit_requested) {
            return;
        }
    }
    v = g_atomic_int_exchange(&pending_reset, 0);
    if (v) {
        process_reset(v - 1);
    }
    v = g_atomic_int_exchange(&pending_stop, 0);
    if (v) {
        runstate_stop_vm(v - 1, NULL);
    }
    if (g_atomic_int_compare_and_exchange(&pending_wakeup, 1, 0) &&
        runstate_get() == RUN_STATE_SUSPENDED) {
        notify_event(RUNSTATE_EVENT_WAKEUP, SHUTDOWN_CAUSE_NONE);
        runstate_start_vm(NULL);
    }
    if (g_atomic_int_compare_and_exchange(&pending_powerdown, 1, 0)) {
        notify_event(RUNSTATE_EVENT_POWERDOWN, SHUTDOWN_CAUSE_NONE);
    }
}

bool runstate_exit_requested(void)
{
    return exit_requested;
}

ShutdownCause runstate_exit_cause(void)
{
    return exit_cause;
}

static guint subs_add(GArray **subs, SubscriberFn fn, void *opaque)
{
    Subscriber s = {.id = next_sub_id++, .fn = fn, .opaque = opaque};

    g_array_append_val(subs_array(subs), s);
    return s.id;
}

static void subs_remove(GArray **subs, guint id)
{
    GArray *a = subs_array(subs);

    for (guint i = 0; i < a->len; i++) {
        if (g_array_index(a, Subscriber, i).id == id) {
            g_array_remove_index(a, i);
            return;
        }
    }
}

guint runstate_add_change_notifier(RunstateChangeFn fn, void *opaque)
{
    return subs_add(&change_subs, (SubscriberFn)fn, opaque);
}

void runstate_remove_change_notifier(guint id)
{
    subs_remove(&change_subs, id);
}

guint runstate_add_event_notifier(RunstateEventFn fn, void *opaque)
{
    return subs_add(&event_subs, (SubscriberFn)fn, opaque);
}

void runstate_remove_event_notifier(guint id)
{
    subs_remove(&event_subs, id);
}

guint runstate_add_reset_handler(RunstateResetFn fn, void *opaque)
{
    return subs_add(&reset_subs, (SubscriberFn)fn, opaque);
}

void runstate_remove_reset_handler(guint id)
{
    subs_remove(&reset_subs, id);
}

static gboolean on_signal(gpointer data)
{
    runstate_request_shutdown(SHUTDOWN_CAUSE_HOST_SIGNAL);
    return G_SOURCE_CONTINUE;
}

void runstate_install_signal_handlers(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        GSource *source = g_unix_signal_source_new(sigs[i]);
        g_source_set_callback(source, on_signal, NULL, NULL);
        g_source_attach(source, main_loop_context());
        g_source_unref(source);
    }
}
