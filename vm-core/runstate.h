/*
 * Run states and the requests that change them (shutdown, reset, powerdown, stop,
 * wakeup), with QEMU's names because management clients match on them.
 *
 * The state is changed only on the main loop under the big lock, along the table of
 * allowed transitions in runstate.c; anything else is a programming error, reported with
 * both state names. Any thread may read the current state. Devices and vCPU threads only
 * *request* a shutdown or reset: the request is recorded and processed on the main loop,
 * which applies -no-reboot / -no-shutdown and tells subscribers (QMP, the daemon, the
 * machine) through notifier lists. Nothing here calls exit(): a shutdown that ends the
 * process quits the main loop and leaves the exit to main().
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef enum RunState {
    RUN_STATE_DEBUG,
    RUN_STATE_INMIGRATE,
    RUN_STATE_INTERNAL_ERROR,
    RUN_STATE_IO_ERROR,
    RUN_STATE_PAUSED,
    RUN_STATE_POSTMIGRATE,
    RUN_STATE_PRELAUNCH,
    RUN_STATE_FINISH_MIGRATE,
    RUN_STATE_RESTORE_VM,
    RUN_STATE_RUNNING,
    RUN_STATE_SAVE_VM,
    RUN_STATE_SHUTDOWN,
    RUN_STATE_SUSPENDED,
    RUN_STATE_WATCHDOG,
    RUN_STATE_GUEST_PANICKED,
    RUN_STATE_COLO,
    RUN_STATE__MAX,
    RUN_STATE__INVALID = -1,
} RunState;

typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE,                  /* no request pending */
    SHUTDOWN_CAUSE_HOST_ERROR,            /* an error on the host side */
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,         /* QMP "quit" */
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET, /* QMP "system_reset" */
    SHUTDOWN_CAUSE_HOST_SIGNAL,           /* SIGINT, SIGTERM, SIGHUP */
    SHUTDOWN_CAUSE_HOST_UI,               /* the user, e.g. Ctrl-A x on the mux */
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,        /* the guest powered off */
    SHUTDOWN_CAUSE_GUEST_RESET,           /* the guest rebooted */
    SHUTDOWN_CAUSE_GUEST_PANIC,           /* the guest panicked (with a panic action) */
    SHUTDOWN_CAUSE_SUBSYSTEM_RESET,       /* a part of the machine reset the rest */
    SHUTDOWN_CAUSE_SNAPSHOT_LOAD,         /* reset before loading a snapshot */
    SHUTDOWN_CAUSE__MAX,
    SHUTDOWN_CAUSE__INVALID = -1,
} ShutdownCause;

/* What the request notifiers are told about, after the main loop acted on a request. */
typedef enum RunstateEvent {
    RUNSTATE_EVENT_SHUTDOWN,  /* QMP SHUTDOWN {guest, reason}; emitted before exit/pause */
    RUNSTATE_EVENT_RESET,     /* QMP RESET {guest, reason}; after the reset handlers ran */
    RUNSTATE_EVENT_POWERDOWN, /* QMP POWERDOWN; the board forwards it to the guest */
    RUNSTATE_EVENT_WAKEUP,    /* QMP WAKEUP */
    RUNSTATE_EVENT__MAX,
    RUNSTATE_EVENT__INVALID = -1,
} RunstateEvent;

/* Called on the main loop after every state change; running says whether vCPUs run. */
typedef void (*RunstateChangeFn)(void *opaque, bool running, RunState state);
/* Called on the main loop when a request has been processed. */
typedef void (*RunstateEventFn)(void *opaque, RunstateEvent event, ShutdownCause cause);
/* Called on the main loop to reset the machine, before RUNSTATE_EVENT_RESET goes out. */
typedef void (*RunstateResetFn)(void *opaque, ShutdownCause cause);

const char *runstate_name(RunState state);
RunState runstate_from_name(const char *name); /* RUN_STATE__INVALID if unknown */
const char *shutdown_cause_name(ShutdownCause cause);
ShutdownCause shutdown_cause_from_name(const char *name);
/* Whether the guest caused it (the "guest" member of the SHUTDOWN and RESET events). */
bool shutdown_cause_is_guest(ShutdownCause cause);

/* Back to prelaunch with no requests, actions or subscribers: for tests. */
void runstate_reset_for_test(void);

/* Any thread. */
RunState runstate_get(void);
bool runstate_is_running(void);
bool runstate_can_transition(RunState from, RunState to);
/* The machine must be reset before it can run again (QMP cont refuses with
 * "Resetting the Virtual Machine is required"): internal-error or shutdown. */
bool runstate_needs_reset(void);

/*
 * Main loop, big lock held. Setting the current state again is a no-op. A transition
 * not in the table sets "invalid runstate transition: 'from' -> 'to'", logs it as a
 * critical (a caller that lets a client trigger it must check runstate_can_transition()
 * first), and leaves the state alone.
 */
bool runstate_set(RunState state, GError **error);

/* Stop the vCPUs and enter state (paused, debug, io-error, ...), if running. */
bool runstate_stop_vm(RunState state, GError **error);
/* Enter running (QMP cont); a no-op when already running. */
bool runstate_start_vm(GError **error);

/* -no-reboot: a reset request (other than subsystem-reset) becomes a shutdown. */
void runstate_set_no_reboot(bool on);
/* -no-shutdown: a shutdown the guest or host-error caused pauses in "shutdown" instead of
 * ending the process; quit, signals and the UI still end it. */
void runstate_set_no_shutdown(bool on);

/* Requests: any thread, never block, processed on the main loop. A newer request of the
 * same kind replaces the cause of a pending one. */
void runstate_request_shutdown(ShutdownCause cause);
void runstate_request_reset(ShutdownCause cause);
void runstate_request_powerdown(void);
/* From a vCPU thread: stop the machine in state (debug, guest-panicked, io-error...). */
void runstate_request_stop(RunState state);
/* QMP system_wakeup: fails unless the machine is suspended. */
bool runstate_request_wakeup(GError **error);

/* Processes pending requests now (the main loop does this by itself; tests call it). */
void runstate_process_requests(void);

/* After a shutdown that ends the process: true, and main_loop_quit() has been called. */
bool runstate_exit_requested(void);
/* The cause of the shutdown that ended the machine, or SHUTDOWN_CAUSE_NONE. */
ShutdownCause runstate_exit_cause(void);

/* Notifier lists; main loop only. Each add returns an id > 0 for the remove. */
guint runstate_add_change_notifier(RunstateChangeFn fn, void *opaque);
void runstate_remove_change_notifier(guint id);
guint runstate_add_event_notifier(RunstateEventFn fn, void *opaque);
void runstate_remove_event_notifier(guint id);
guint runstate_add_reset_handler(RunstateResetFn fn, void *opaque);
void runstate_remove_reset_handler(guint id);

/* SIGINT, SIGTERM and SIGHUP become runstate_request_shutdown(host-signal) on the main
 * loop. */
void runstate_install_signal_handlers(void);
