/*
 * The mux: several front ends (the serial console and the monitor, for -nographic and
 * -serial mon:stdio) on one back end. Input goes to the front end with the focus;
 * output from all of them goes to the back end. The escape key Ctrl-A starts a command:
 *   Ctrl-A h/?  help               Ctrl-A x  quit (a host-ui shutdown request)
 *   Ctrl-A c    next front end     Ctrl-A b  send a break to the focused front end
 *   Ctrl-A s    (commit disks: not provided, says so)
 *   Ctrl-A t    toggle timestamps on output lines
 *   Ctrl-A Ctrl-A  a literal Ctrl-A
 * Any other key after Ctrl-A is dropped together with the escape.
 */
#include "vm-core/chardev-internal.h"

#include <gio/gio.h>
#include <string.h>

#include "vm-core/main-loop.h"
#include "vm-core/runstate.h"

#define MUX_ESCAPE 0x01 /* Ctrl-A */

typedef struct MuxChardev {
    Chardev parent;
    Chardev *base;            /* the back end it multiplexes */
    ChardevFrontend *base_fe; /* its attachment to base */
    bool got_escape;          /* the last input byte was Ctrl-A */
    bool timestamps;          /* Ctrl-A t: prefix output lines with the time */
    bool at_line_start;       /* the next output byte starts a line */
    gint64 start_us;          /* time origin of the timestamps */
} MuxChardev;

static const char mux_help[] = "\r\n"
                               "C-a h    print this help\r\n"
                               "C-a x    exit emulator\r\n"
                               "C-a s    save disk data back to file (if -snapshot)\r\n"
                               "C-a t    toggle console timestamps\r\n"
                               "C-a b    send break (magic sysrq)\r\n"
                               "C-a c    switch between console and monitor\r\n"
                               "C-a C-a  sends C-a\r\n";

static void mux_print(MuxChardev *d, const char *text)
{
    /* Messages to the user bypass the timestamps and may be cut if output is full. */
    chardev_write(d->base, text, strlen(text));
}

static void mux_set_focus(MuxChardev *d, unsigned index)
{
    Chardev *chr = &d->parent;
    ChardevFrontend *old = chr->fe_count ? chr->fe[chr->focus] : NULL;

    if (old && old->ops->event) {
        old->ops->event(old->opaque, CHARDEV_EVENT_MUX_OUT);
    }
    chr->focus = index;
    if (index < chr->fe_count && chr->fe[index]->ops->event) {
        chr->fe[index]->ops->event(chr->fe[index]->opaque, CHARDEV_EVENT_MUX_IN);
    }
    g_main_context_wakeup(main_loop_context());
}

bool chardev_mux_set_focus(Chardev *chr, unsigned index, GError **error)
{
    if (chr->cls != &chardev_mux_class) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "chardev '%s' is not a mux", chr->label);
        return false;
    }
    if (index >= chr->fe_count) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "chardev '%s' has no front end %u",
                    chr->label, index);
        return false;
    }
    mux_set_focus((MuxChardev *)chr, index);
    return true;
}

/* Handles the key after Ctrl-A; returns whether it is passed on as input. */
static bool mux_escape(MuxChardev *d, uint8_t ch)
{
    Chardev *chr = &d->parent;

    switch (ch) {
    case MUX_ESCAPE:
        return true;
    case 'h':
    case '?':
        mux_print(d, mux_help);
        break;
    case 'x':
        mux_print(d, "vmd-vm: Terminated\r\n");
        runstate_request_shutdown(SHUTDOWN_CAUSE_HOST_UI);
        break;
    case 's':
        mux_print(d, "vmd-vm: committing -snapshot data is not supported\r\n");
        break;
    case 'b':
        if (chr->fe_count && chr->fe[chr->focus]->ops->event) {
            chr->fe[chr->focus]->ops->event(chr->fe[chr->focus]->opaque, CHARDEV_EVENT_BREAK);
        }
        break;
    case 'c':
        if (chr->fe_count) {
            mux_set_focus(d, (chr->focus + 1) % chr->fe_count);
        }
        break;
    case 't':
        d->timestamps = !d->timestamps;
        d->start_us = g_get_monotonic_time();
        d->at_line_start = true;
        break;
    default:
        break;
    }
    return false;
}

static size_t mux_can_receive(void *opaque)
{
    return chardev_fe_can_receive(opaque);
}

static void mux_receive(void *opaque, const uint8_t *buf, size_t len)
{
    MuxChardev *d = opaque;
    Chardev *chr = &d->parent;
    size_t run = 0; /* plain bytes collected from buf + i - run */

    for (size_t i = 0; i < len; i++) {
        uint8_t ch = buf[i];
        bool pass;

        if (d->got_escape) {
            d->got_escape = false;
            pass = mux_escape(d, ch);
        } else if (ch == MUX_ESCAPE) {
            d->got_escape = true;
            pass = false;
        } else {
            run++;
            continue;
        }
        chardev_fe_deliver(chr, buf + i - run, run);
        run = 0;
        if (pass) {
            chardev_fe_deliver(chr, &ch, 1);
        }
    }
    /* After a focus switch the new front end may take less: the rest is dropped. */
    run = MIN(run, chardev_fe_can_receive(chr));
    chardev_fe_deliver(chr, buf + len - run, run);
}

static void mux_event(void *opaque, ChardevEvent event)
{
    MuxChardev *d = opaque;

    if (event == CHARDEV_EVENT_OPENED || event == CHARDEV_EVENT_CLOSED) {
        chardev_set_connected(&d->parent, event == CHARDEV_EVENT_OPENED);
    } else {
        chardev_broadcast_event(&d->parent, event);
    }
}

static void mux_write_ready(void *opaque)
{
    chardev_notify_write_ready(opaque);
}

static const ChardevFrontendOps mux_base_ops = {
    .can_receive = mux_can_receive,
    .receive = mux_receive,
    .event = mux_event,
    .write_ready = mux_write_ready,
};

/* Ctrl-A t: "[secs.micros] " before each line; all or nothing per call. */
static size_t mux_write_stamped(MuxChardev *d, const uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        if (d->at_line_start) {
            gint64 us = g_get_monotonic_time() - d->start_us;
            g_autofree char *stamp =
                g_strdup_printf("[%u.%06u] ", (unsigned)(us / 1000000), (unsigned)(us % 1000000));
            chardev_write(d->base, stamp, strlen(stamp));
            d->at_line_start = false;
        }
        const uint8_t *nl = memchr(buf + done, '\n', len - done);
        size_t chunk = nl ? (size_t)(nl - (buf + done)) + 1 : len - done;
        size_t w = chardev_write(d->base, buf + done, chunk);
        done += w;
        if (w < chunk) {
            break;
        }
        d->at_line_start = nl != NULL;
    }
    return done;
}

static size_t mux_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    MuxChardev *d = (MuxChardev *)chr;

    if (d->timestamps) {
        return mux_write_stamped(d, buf, len);
    }
    return chardev_write(d->base, buf, len);
}

static bool mux_open(Chardev *chr, const Opts *opts, GError **error)
{
    chr->filename = g_strdup("mux");
    return true; /* chardev_mux_new() does the rest: it needs the base */
}

static void mux_fe_attached(Chardev *chr, ChardevFrontend *fe)
{
    if (chr->fe_count == 1 && fe->ops->event) {
        fe->ops->event(fe->opaque, CHARDEV_EVENT_MUX_IN);
    }
}

static void mux_finalize(Chardev *chr)
{
    MuxChardev *d = (MuxChardev *)chr;

    chardev_fe_detach(d->base_fe);
    d->base_fe = NULL;
}

const ChardevClass chardev_mux_class = {
    .name = "mux",
    .instance_size = sizeof(MuxChardev),
    .open = mux_open,
    .finalize = mux_finalize,
    .write = mux_write,
    .fe_attached = mux_fe_attached,
    .multi_frontend = true,
};

Chardev *chardev_mux_new(const char *label, Chardev *base, GError **error)
{
    Chardev *chr = chardev_create(&chardev_mux_class, label, NULL, error);
    MuxChardev *d = (MuxChardev *)chr;

    if (!chr) {
        return NULL;
    }
    d->base = base;
    d->at_line_start = true;
    d->base_fe = chardev_fe_attach(base, &mux_base_ops, d, error);
    if (!d->base_fe) {
        chardev_remove(label, NULL);
        return NULL;
    }
    return chr;
}
