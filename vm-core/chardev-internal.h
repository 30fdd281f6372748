/*
 * What the chardev core shares with its back ends (chardev-*.c); not for front ends.
 *
 * A back end is a ChardevClass plus a struct that starts with Chardev. Most back ends
 * are a pair of host fds: they hand them to chardev_set_fds() and the core does the
 * rest (a GSource that reads only when the front end can take input and writes out the
 * bounded buffer). Back ends that are not fds (null, ringbuf, mux) implement write().
 */
#pragma once

#include "vm-core/chardev.h"

typedef struct ChardevWatch ChardevWatch;

typedef struct ChardevClass {
    const char *name;     /* the -chardev backend name */
    size_t instance_size; /* sizeof the back end's struct */
    /* Sets up the back end; chr->label is set, chr->filename may be set here. */
    bool (*open)(Chardev *chr, const Opts *opts, GError **error);
    /* Optional: releases what open() took (fds given to chardev_set_fds are closed by
     * the core unless keep_fds is set). */
    void (*finalize)(Chardev *chr);
    /* Optional: replaces the fd output path. Any thread, chr->lock NOT held. */
    size_t (*write)(Chardev *chr, const uint8_t *buf, size_t len);
    /* Optional: the input fd hit EOF or an error, or output failed (main loop). */
    void (*hangup)(Chardev *chr);
    /* Optional: a front end attached (main loop). */
    void (*fe_attached)(Chardev *chr, ChardevFrontend *fe);
    /* Optional: the filename for query-chardev, computed now; caller frees. */
    char *(*filename)(Chardev *chr);
    bool multi_frontend; /* a mux: several front ends, one with the focus */
} ChardevClass;

struct ChardevFrontend {
    Chardev *chr;                  /* what it is attached to */
    const ChardevFrontendOps *ops; /* its callbacks */
    void *opaque;                  /* their first argument */
    bool open;                     /* frontend-open of query-chardev */
};

struct Chardev {
    const ChardevClass *cls;              /* the back end */
    char *label;                          /* the id */
    char *filename;                       /* fixed filename when cls->filename is NULL */
    GMutex lock;                          /* out_buf, out_fd, out_blocked, out_error */
    GByteArray *out_buf;                  /* accepted, not yet written bytes */
    size_t out_limit;                     /* bound of out_buf */
    bool out_blocked;                     /* a write was cut short: call write_ready */
    bool out_error;                       /* a write failed: hang up on the main loop */
    bool out_cautious;                    /* fd shared with others (stdout): poll, small writes */
    bool keep_fds;                        /* the core must not close in_fd/out_fd */
    int in_fd;                            /* host input, or -1 */
    int out_fd;                           /* host output, or -1: output is dropped */
    int log_fd;                           /* logfile= copy of the output, or -1 */
    bool connected;                       /* the back end has a peer */
    ChardevWatch *watch;                  /* poll source for in_fd/out_fd */
    ChardevFrontend *fe[CHARDEV_MUX_MAX]; /* attached front ends */
    unsigned fe_count;                    /* how many of fe[] are used */
    unsigned focus;                       /* the front end that receives input */
};

/* Replaces the host fds (main loop). The old ones are closed unless keep_fds or they
 * are the same as the new ones; -1 for none. Pending output is dropped with out_fd. */
void chardev_set_fds(Chardev *chr, int in_fd, int out_fd);
/* Marks the back end connected or not and sends OPENED/CLOSED to the front ends. */
void chardev_set_connected(Chardev *chr, bool connected);
/* Sends event to every front end (main loop). */
void chardev_broadcast_event(Chardev *chr, ChardevEvent event);
/* How much the focused front end can take now. */
size_t chardev_fe_can_receive(Chardev *chr);
/* Hands input to the focused front end (main loop); len <= chardev_fe_can_receive(). */
void chardev_fe_deliver(Chardev *chr, const uint8_t *buf, size_t len);
/* Tells every front end output room came back (main loop). */
void chardev_notify_write_ready(Chardev *chr);

/* Registers a chardev built by hand (mux needs its base): takes ownership. */
bool chardev_register(Chardev *chr, GError **error);
/* Creates a back end of class cls with id label from opts (registers it). */
Chardev *chardev_create(const ChardevClass *cls, const char *label, const Opts *opts,
                        GError **error);

extern const ChardevClass chardev_null_class;
extern const ChardevClass chardev_file_class;
extern const ChardevClass chardev_pipe_class;
extern const ChardevClass chardev_stdio_class;
extern const ChardevClass chardev_pty_class;
extern const ChardevClass chardev_socket_class;
extern const ChardevClass chardev_ringbuf_class;
extern const ChardevClass chardev_mux_class;

/* The mux over base, registered under label (chardev-mux.c). */
Chardev *chardev_mux_new(const char *label, Chardev *base, GError **error);
