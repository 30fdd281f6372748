/*
 * The pty back end: a new pseudo-terminal whose slave (/dev/pts/N) a user opens with
 * screen, minicom or virsh console. Like QEMU it announces
 * "char device redirected to /dev/pts/N (label ID)" on stderr, which is how people
 * (and older libvirt) find it; query-chardev says "pty:/dev/pts/N".
 *
 * While nobody has the slave open, the master reports a hang-up: the chardev is then
 * "disconnected", drops output, stops polling the master (it would spin) and checks
 * again every PTY_POLL_MS; a connect sends OPENED, a hang-up CLOSED.
 */
#include "vm-core/chardev-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "vm-core/main-loop.h"

#define ERR(error, ...) g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, __VA_ARGS__)

#define PTY_POLL_MS 100

typedef struct PtyChardev {
    Chardev parent;
    int master;       /* the master side, owned here */
    char *slave_path; /* /dev/pts/N */
    GSource *timer;   /* polls for a peer while disconnected */
} PtyChardev;

static bool pty_peer_present(PtyChardev *d)
{
    struct pollfd p = {.fd = d->master, .events = POLLIN};

    return poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP);
}

static void pty_set_peer(PtyChardev *d, bool present);

static gboolean pty_timer(gpointer opaque)
{
    PtyChardev *d = opaque;

    if (pty_peer_present(d)) {
        d->timer = NULL;
        pty_set_peer(d, true);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void pty_set_peer(PtyChardev *d, bool present)
{
    Chardev *chr = &d->parent;

    if (present) {
        chardev_set_fds(chr, d->master, d->master);
    } else {
        chardev_set_fds(chr, -1, -1);
        if (!d->timer) {
            d->timer = g_timeout_source_new(PTY_POLL_MS);
            g_source_set_callback(d->timer, pty_timer, d, NULL);
            g_source_attach(d->timer, main_loop_context());
            g_source_unref(d->timer);
        }
    }
    chardev_set_connected(chr, present);
}

static bool pty_open(Chardev *chr, const Opts *opts, GError **error)
{
    PtyChardev *d = (PtyChardev *)chr;
    struct termios tty;
    const char *name;

    d->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (d->master < 0 || grantpt(d->master) < 0 || unlockpt(d->master) < 0 ||
        !(name = ptsname(d->master))) {
        ERR(error, "Failed to create PTY: %s", g_strerror(errno));
        if (d->master >= 0) {
            close(d->master);
        }
        d->master = -1;
        return false;
    }
    fcntl(d->master, F_SETFL, fcntl(d->master, F_GETFL) | O_NONBLOCK);
    /* Raw, so bytes pass unchanged in both directions. */
    if (tcgetattr(d->master, &tty) == 0) {
        cfmakeraw(&tty);
        tcsetattr(d->master, TCSAFLUSH, &tty);
    }
    d->slave_path = g_strdup(name);
    /* The master reports a hang-up only once a slave has come and gone: open and close
     * it so that "nobody there" looks the same before the first user and after one. */
    int slave = open(d->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave >= 0) {
        close(slave);
    }
    chr->keep_fds = true;
    fprintf(stderr, "char device redirected to %s (label %s)\n", d->slave_path, chr->label);
    pty_set_peer(d, pty_peer_present(d));
    return true;
}

static void pty_finalize(Chardev *chr)
{
    PtyChardev *d = (PtyChardev *)chr;

    if (d->timer) {
        g_source_destroy(d->timer);
    }
    chardev_set_fds(chr, -1, -1);
    if (d->master >= 0) {
        close(d->master);
    }
    g_free(d->slave_path);
}

static void pty_hangup(Chardev *chr)
{
    pty_set_peer((PtyChardev *)chr, false);
}

static char *pty_filename(Chardev *chr)
{
    return g_strdup_printf("pty:%s", ((PtyChardev *)chr)->slave_path);
}

const ChardevClass chardev_pty_class = {
    .name = "pty",
    .instance_size = sizeof(PtyChardev),
    .open = pty_open,
    .finalize = pty_finalize,
    .hangup = pty_hangup,
    .filename = pty_filename,
};
