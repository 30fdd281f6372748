/*
 * The stdio back end: input from fd 0, output to fd 1. When stdin is a terminal it is
 * put in raw mode (no echo, no line editing, CR not turned into NL, 8 bits) so that
 * every key reaches the guest; signal=on (the default) keeps Ctrl-C as SIGINT,
 * signal=off passes it to the guest. The terminal is restored when the chardev goes
 * away, at exit, and on fatal signals, so a crash never leaves a raw shell behind; after
 * Ctrl-Z and "fg" (SIGCONT) raw mode is applied again.
 *
 * The process shares fd 0 and 1 with its parent, so their file flags are left alone:
 * reads happen only after poll() said input is there, and writes are made small and
 * only after poll() said there is room (out_cautious).
 */
#include "vm-core/chardev-internal.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define ERR(error, ...) g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, __VA_ARGS__)

static Chardev *stdio_owner; /* the one stdio chardev */
static bool saved_valid;     /* saved_tty holds the terminal's original settings */
static struct termios saved_tty;
static volatile sig_atomic_t raw_valid; /* raw_tty holds the settings we run with */
static struct termios raw_tty;

void chardev_stdio_restore_terminal(void)
{
    raw_valid = 0;
    if (saved_valid) {
        tcsetattr(0, TCSANOW, &saved_tty);
    }
}

/* After Ctrl-Z and fg the shell has put its own settings back: raw again. */
static void stdio_sigcont(int sig)
{
    if (raw_valid) {
        tcsetattr(0, TCSANOW, &raw_tty);
    }
}

/* Fatal signals: put the terminal back, then die as the signal would have it. */
static void stdio_fatal_signal(int sig)
{
    chardev_stdio_restore_terminal(); /* tcsetattr is async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void stdio_install_restore_handlers(void)
{
    static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                               SIGTERM, SIGINT,  SIGHUP, SIGQUIT};
    static bool installed;

    if (installed) {
        return;
    }
    installed = true;
    atexit(chardev_stdio_restore_terminal);
    struct sigaction cont = {.sa_handler = stdio_sigcont, .sa_flags = SA_RESTART};
    sigemptyset(&cont.sa_mask);
    sigaction(SIGCONT, &cont, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        struct sigaction old;
        /* Leave alone signals someone already handles (the main loop's SIGTERM). */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
            struct sigaction sa = {.sa_handler = stdio_fatal_signal};
            sigemptyset(&sa.sa_mask);
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

static void stdio_make_raw(bool allow_signals)
{
    struct termios tty;

    if (!isatty(0) || tcgetattr(0, &saved_tty) != 0) {
        return;
    }
    saved_valid = true;
    stdio_install_restore_handlers();
    tty = saved_tty;
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!allow_signals) {
        tty.c_lflag &= ~ISIG;
    }
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    raw_tty = tty;
    raw_valid = 1;
    tcsetattr(0, TCSANOW, &tty);
}

static bool stdio_open(Chardev *chr, const Opts *opts, GError **error)
{
    bool allow_signals = true;

    if (opts && !opts_get_bool(opts, "signal", true, &allow_signals, error)) {
        return false;
    }
    if (stdio_owner) {
        ERR(error, "cannot use stdio by multiple character devices");
        return false;
    }
    stdio_owner = chr;
    stdio_make_raw(allow_signals);
    chr->keep_fds = true;
    chr->out_cautious = true;
    chr->filename = g_strdup("stdio");
    chardev_set_fds(chr, 0, 1);
    chr->connected = true;
    return true;
}

static void stdio_finalize(Chardev *chr)
{
    if (stdio_owner != chr) {
        return; /* a second stdio that failed to open */
    }
    chardev_stdio_restore_terminal();
    saved_valid = false;
    stdio_owner = NULL;
}

/* stdin closed: keep writing to stdout. */
static void stdio_hangup(Chardev *chr)
{
    chardev_set_fds(chr, -1, chr->out_fd);
}

const ChardevClass chardev_stdio_class = {
    .name = "stdio",
    .instance_size = sizeof(Chardev),
    .open = stdio_open,
    .finalize = stdio_finalize,
    .hangup = stdio_hangup,
};
