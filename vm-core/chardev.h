/*
 * Character devices: the host side of serial lines and monitors.
 *
 * A chardev is a back end (stdio, a pty, a socket, a file, a ring buffer, ...) created
 * from QEMU's -chardev syntax and found by its id. A front end (the UART, a monitor)
 * attaches to it with three callbacks: can_receive() says how many bytes it can take,
 * receive() hands them over (never more), event() reports opened/closed/break and mux
 * focus changes. The front end writes with chardev_write(), which never blocks: bytes
 * go straight to the host when it takes them, otherwise into a bounded buffer, and the
 * return value says how many were accepted, so a UART can keep its FIFO full and its
 * THRE bit clear until write_ready() says there is room again.
 *
 * Threads: chardev_write() and chardev_accept_input() may be called from any thread
 * (a vCPU holding the big lock). Everything else, and every callback into a front end,
 * runs on the main loop (vm-core/main-loop.h).
 *
 * A mux (-chardev ...,mux=on, -serial mon:stdio, -nographic) lets several front ends
 * share one back end; the user moves between them with Ctrl-A c; Ctrl-A x quits
 * through runstate_request_shutdown(host-ui); Ctrl-A h lists the keys.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm-core/options.h"

typedef struct Chardev Chardev;
typedef struct ChardevFrontend ChardevFrontend;

typedef enum ChardevEvent {
    CHARDEV_EVENT_BREAK,   /* serial break (Ctrl-A b on a mux) */
    CHARDEV_EVENT_OPENED,  /* the back end is connected (a socket peer arrived, ...) */
    CHARDEV_EVENT_CLOSED,  /* the back end lost its peer */
    CHARDEV_EVENT_MUX_IN,  /* this front end got the mux focus */
    CHARDEV_EVENT_MUX_OUT, /* this front end lost the mux focus */
    CHARDEV_EVENT__MAX,
} ChardevEvent;

typedef struct ChardevFrontendOps {
    /* Bytes the front end can take now; 0 stops input until chardev_accept_input(). */
    size_t (*can_receive)(void *opaque);
    /* Input; len is at most what can_receive() returned. */
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
    /* Optional. */
    void (*event)(void *opaque, ChardevEvent event);
    /* Optional: output room after chardev_write() accepted less than it was given. */
    void (*write_ready)(void *opaque);
} ChardevFrontendOps;

typedef enum ChardevDataFormat {
    CHARDEV_DATA_FORMAT_UTF8,
    CHARDEV_DATA_FORMAT_BASE64,
    CHARDEV_DATA_FORMAT__MAX,
} ChardevDataFormat;

/* One entry of query-chardev. */
typedef struct ChardevInfo {
    char *label;        /* the id */
    char *filename;     /* QEMU's form: "pty:/dev/pts/3", "unix:/p,server=on", "stdio" */
    bool frontend_open; /* a front end is attached and has the device open */
} ChardevInfo;

void chardev_info_free(ChardevInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ChardevInfo, chardev_info_free)

/* Default bound of the output buffer of a back end, in bytes. */
#define CHARDEV_OUT_LIMIT (64 * 1024)

/*
 * Creates a chardev from a parsed -chardev option (see options.h) and registers it under
 * its id. With mux=on the back end is registered as "ID-base" and the mux as "ID".
 */
Chardev *chardev_new_from_opts(const Opts *opts, GError **error);
/* The same from the option text: "socket,id=c0,path=/tmp/s,server=on,wait=off". */
Chardev *chardev_new_from_string(const char *arg, GError **error);
/*
 * The legacy forms of -serial, -monitor and -qmp ("stdio", "mon:stdio", "pty", "null",
 * "file:PATH", "pipe:PATH", "unix:PATH[,server=on,...]", "tcp:HOST:PORT[,...]",
 * "chardev:ID" returns the existing one) under the given id.
 */
Chardev *chardev_new_legacy(const char *id, const char *spec, GError **error);

Chardev *chardev_find(const char *id);
/* chardev-remove: fails with "Chardev 'x' is busy" while a front end is attached. */
bool chardev_remove(const char *id, GError **error);
/* Removes every chardev, front ends or not (exit and tests). */
void chardev_remove_all(void);

const char *chardev_label(const Chardev *chr);
/* The current filename (it changes as sockets connect); caller frees. */
char *chardev_get_filename(Chardev *chr);
/* The back end has a peer (always true except for sockets and ptys without one). */
bool chardev_is_connected(Chardev *chr);
/* query-chardev: every chardev in creation order; free with g_ptr_array_unref. */
GPtrArray *chardev_query(void);

/*
 * Front ends. A plain back end takes one front end ("Device 'x' is in use" otherwise),
 * a mux up to CHARDEV_MUX_MAX. If the back end is connected, event(OPENED) is delivered
 * before this returns.
 */
#define CHARDEV_MUX_MAX 4
ChardevFrontend *chardev_fe_attach(Chardev *chr, const ChardevFrontendOps *ops, void *opaque,
                                   GError **error);
void chardev_fe_detach(ChardevFrontend *fe);
/* Whether the device has the line open (virtio-console ports toggle it); default on. */
void chardev_fe_set_open(ChardevFrontend *fe, bool open);
Chardev *chardev_fe_get_chardev(ChardevFrontend *fe);

/* Never blocks; returns how many of len bytes were accepted (0 when the buffer is full).
 * Bytes written while the back end has no peer are dropped and count as accepted. */
size_t chardev_write(Chardev *chr, const void *buf, size_t len);
/* The front end can take input again (after can_receive() returned 0). */
void chardev_accept_input(Chardev *chr);
/* Bytes accepted but not yet written to the host. */
size_t chardev_out_pending(Chardev *chr);
/* Changes the output bound (tests, devices with small FIFOs). */
void chardev_set_out_limit(Chardev *chr, size_t limit);

/* ringbuf-read / ringbuf-write: fail with QEMU's messages on a non-ringbuf chardev. */
char *chardev_ringbuf_read(const char *id, uint64_t size, ChardevDataFormat format, GError **error);
bool chardev_ringbuf_write(const char *id, const char *data, ChardevDataFormat format,
                           GError **error);

/* Moves the mux focus to front end number index (0 = first attached). */
bool chardev_mux_set_focus(Chardev *chr, unsigned index, GError **error);

/*
 * How -chardev socket,fd=NAME finds a descriptor when NAME is not a number: the monitor
 * registers its table of named fds (getfd, -add-fd) here. The resolver returns an fd the
 * chardev then owns, or -1 with an error set.
 */
typedef int (*ChardevFdResolver)(const char *name, GError **error);
void chardev_set_fd_resolver(ChardevFdResolver fn);

/* Puts the terminal back as stdio found it (also done at exit and on fatal signals). */
void chardev_stdio_restore_terminal(void);
