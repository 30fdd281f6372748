/*
 * The chardev core: the registry, front-end attachment, and the fd machinery most back
 * ends share (see chardev.h for the model, chardev-internal.h for the back-end side).
 *
 * Input is pulled, never pushed: the poll source watches the input fd only while the
 * focused front end's can_receive() is non-zero, and reads at most that much, so a
 * device with a full FIFO leaves the bytes in the kernel (flow control for free).
 * Output is pushed without blocking: chardev_write() writes what the host takes now,
 * buffers the rest up to out_limit and says how much it accepted; the poll source
 * drains the buffer and calls write_ready() once it is empty again.
 */
#include "vm-core/chardev-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "vm-core/main-loop.h"

#define ERR(error, ...) g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, __VA_ARGS__)

/* Writes to an fd other processes also use (stdout) are kept to what cannot block. */
#define CAUTIOUS_WRITE_MAX 512

struct ChardevWatch {
    GSource source;   /* must be first */
    Chardev *chr;     /* the chardev it polls for */
    gpointer in_tag;  /* poll record of chr->in_fd while input is wanted, or NULL */
    gpointer out_tag; /* poll record of chr->out_fd while output is pending, or NULL */
};

static GHashTable *chardev_table; /* label -> Chardev */
static GPtrArray *chardev_order;  /* creation order, for query-chardev */

static const ChardevClass *const chardev_classes[] = {
    &chardev_null_class, &chardev_file_class,   &chardev_pipe_class,    &chardev_stdio_class,
    &chardev_pty_class,  &chardev_socket_class, &chardev_ringbuf_class,
};

void chardev_info_free(ChardevInfo *info)
{
    if (!info) {
        return;
    }
    g_free(info->label);
    g_free(info->filename);
    g_free(info);
}

size_t chardev_fe_can_receive(Chardev *chr)
{
    ChardevFrontend *fe;

    if (chr->fe_count == 0) {
        return 0;
    }
    fe = chr->fe[chr->focus];
    return fe->ops->can_receive ? fe->ops->can_receive(fe->opaque) : 0;
}

void chardev_fe_deliver(Chardev *chr, const uint8_t *buf, size_t len)
{
    ChardevFrontend *fe;

    if (chr->fe_count == 0 || len == 0) {
        return;
    }
    fe = chr->fe[chr->focus];
    if (fe->ops->receive) {
        fe->ops->receive(fe->opaque, buf, len);
    }
}

void chardev_broadcast_event(Chardev *chr, ChardevEvent event)
{
    /* Copy: a front end may detach from its callback. */
    ChardevFrontend *fes[CHARDEV_MUX_MAX];
    unsigned n = chr->fe_count;

    memcpy(fes, chr->fe, sizeof(fes));
    for (unsigned i = 0; i < n; i++) {
        if (fes[i]->ops->event) {
            fes[i]->ops->event(fes[i]->opaque, event);
        }
    }
}

void chardev_notify_write_ready(Chardev *chr)
{
    ChardevFrontend *fes[CHARDEV_MUX_MAX];
    unsigned n = chr->fe_count;

    memcpy(fes, chr->fe, sizeof(fes));
    for (unsigned i = 0; i < n; i++) {
        if (fes[i]->ops->write_ready) {
            fes[i]->ops->write_ready(fes[i]->opaque);
        }
    }
}

void chardev_set_connected(Chardev *chr, bool connected)
{
    if (chr->connected == connected) {
        return;
    }
    chr->connected = connected;
    chardev_broadcast_event(chr, connected ? CHARDEV_EVENT_OPENED : CHARDEV_EVENT_CLOSED);
}

/* One write that cannot block; returns bytes written, 0 for "try later", -1 on error. */
static ssize_t fd_write_once(Chardev *chr, const uint8_t *buf, size_t len)
{
    ssize_t r;

    if (chr->out_cautious) {
        struct pollfd p = {.fd = chr->out_fd, .events = POLLOUT};
        if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLOUT)) {
            return (p.revents & (POLLERR | POLLHUP | POLLNVAL)) ? -1 : 0;
        }
        len = MIN(len, CAUTIOUS_WRITE_MAX);
    }
    do {
        r = write(chr->out_fd, buf, len);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    return r;
}

/* Writes as much of buf as the fd takes now; -1 on error. */
static ssize_t fd_write_some(Chardev *chr, const uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t r = fd_write_once(chr, buf + done, len - done);
        if (r < 0) {
            return -1;
        }
        if (r == 0) {
            break;
        }
        done += r;
    }
    return done;
}

static size_t fd_chardev_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    size_t accepted = len;
    size_t space;
    bool wake = false;

    g_mutex_lock(&chr->lock);
    if (chr->out_fd < 0 || chr->out_error) {
        goto out; /* no peer: dropped, as a disconnected serial line drops bytes */
    }
    if (chr->out_buf->len == 0) {
        ssize_t w = fd_write_some(chr, buf, len);
        if (w < 0) {
            chr->out_error = true;
            wake = true;
            goto out;
        }
        buf += w;
        len -= w;
        accepted = w;
    } else {
        accepted = 0;
    }
    space = chr->out_limit > chr->out_buf->len ? chr->out_limit - chr->out_buf->len : 0;
    if (len > space) {
        chr->out_blocked = true;
        len = space;
    }
    if (len) {
        wake = chr->out_buf->len == 0;
        g_byte_array_append(chr->out_buf, buf, len);
        accepted += len;
    }
out:
    g_mutex_unlock(&chr->lock);
    if (wake) {
        g_main_context_wakeup(main_loop_context());
    }
    return accepted;
}

size_t chardev_write(Chardev *chr, const void *buf, size_t len)
{
    size_t n;

    if (len == 0) {
        return 0;
    }
    n = chr->cls->write ? chr->cls->write(chr, buf, len) : fd_chardev_write(chr, buf, len);
    if (n && chr->log_fd >= 0) {
        ssize_t r = write(chr->log_fd, buf, n);
        (void)r; /* the log is best effort; the guest must not stall on it */
    }
    return n;
}

void chardev_accept_input(Chardev *chr)
{
    g_main_context_wakeup(main_loop_context());
}

size_t chardev_out_pending(Chardev *chr)
{
    size_t n;

    g_mutex_lock(&chr->lock);
    n = chr->out_buf->len;
    g_mutex_unlock(&chr->lock);
    return n;
}

void chardev_set_out_limit(Chardev *chr, size_t limit)
{
    g_mutex_lock(&chr->lock);
    chr->out_limit = limit;
    g_mutex_unlock(&chr->lock);
}

static void chardev_hangup(Chardev *chr)
{
    if (chr->cls->hangup) {
        chr->cls->hangup(chr);
    } else {
        chardev_set_fds(chr, -1, -1);
    }
}

/* Drains out_buf (main loop); false when the output failed. */
static bool chardev_flush(Chardev *chr)
{
    bool notify = false;
    bool ok = true;

    g_mutex_lock(&chr->lock);
    if (chr->out_fd >= 0 && chr->out_buf->len) {
        ssize_t w = fd_write_some(chr, chr->out_buf->data, chr->out_buf->len);
        if (w < 0) {
            ok = false;
            g_byte_array_set_size(chr->out_buf, 0);
        } else {
            g_byte_array_remove_range(chr->out_buf, 0, w);
        }
    }
    if (chr->out_buf->len == 0 && chr->out_blocked) {
        chr->out_blocked = false;
        notify = true;
    }
    g_mutex_unlock(&chr->lock);
    if (notify) {
        chardev_notify_write_ready(chr);
    }
    return ok;
}

static void chardev_read(Chardev *chr)
{
    uint8_t buf[4096];
    size_t can = MIN(chardev_fe_can_receive(chr), sizeof(buf));
    ssize_t r;

    if (can == 0) {
        return;
    }
    do {
        r = read(chr->in_fd, buf, can);
    } while (r < 0 && errno == EINTR);
    if (r > 0) {
        chardev_fe_deliver(chr, buf, r);
    } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        chardev_hangup(chr);
    }
}

/* Adds or removes a poll record so that an fd is polled only when it is wanted: an fd
 * in poll() reports HUP even with no events asked, which would spin the loop. */
static void watch_update(ChardevWatch *w, gpointer *tag, int fd, GIOCondition cond)
{
    if (*tag && (!cond || fd < 0)) {
        g_source_remove_unix_fd(&w->source, *tag);
        *tag = NULL;
    } else if (!*tag && cond && fd >= 0) {
        *tag = g_source_add_unix_fd(&w->source, fd, cond);
    }
}

static bool chardev_take_out_error(Chardev *chr, bool clear)
{
    bool err;

    g_mutex_lock(&chr->lock);
    err = chr->out_error;
    if (clear) {
        chr->out_error = false;
    }
    g_mutex_unlock(&chr->lock);
    return err;
}

static gboolean watch_prepare(GSource *source, gint *timeout)
{
    ChardevWatch *w = (ChardevWatch *)source;
    Chardev *chr = w->chr;
    bool pending, error;

    *timeout = -1;
    g_mutex_lock(&chr->lock);
    pending = chr->out_buf->len > 0;
    error = chr->out_error;
    g_mutex_unlock(&chr->lock);
    if (error) {
        return TRUE;
    }
    watch_update(w, &w->out_tag, chr->out_fd, pending ? G_IO_OUT : 0);
    watch_update(w, &w->in_tag, chr->in_fd, chardev_fe_can_receive(chr) ? G_IO_IN : 0);
    return FALSE;
}

static gboolean watch_check(GSource *source)
{
    ChardevWatch *w = (ChardevWatch *)source;

    return chardev_take_out_error(w->chr, false) ||
           (w->in_tag && g_source_query_unix_fd(source, w->in_tag)) ||
           (w->out_tag && g_source_query_unix_fd(source, w->out_tag));
}

static gboolean watch_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    ChardevWatch *w = (ChardevWatch *)source;
    Chardev *chr = w->chr;
    GIOCondition in_rev = w->in_tag ? g_source_query_unix_fd(source, w->in_tag) : 0;
    GIOCondition out_rev = w->out_tag ? g_source_query_unix_fd(source, w->out_tag) : 0;

    if (chardev_take_out_error(chr, true)) {
        chardev_hangup(chr);
        return G_SOURCE_CONTINUE;
    }
    if (out_rev && !chardev_flush(chr)) {
        chardev_hangup(chr);
        return G_SOURCE_CONTINUE;
    }
    if (in_rev && chr->in_fd >= 0) {
        chardev_read(chr);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs watch_funcs = {
    .prepare = watch_prepare,
    .check = watch_check,
    .dispatch = watch_dispatch,
};

static bool fd_in(int fd, int a, int b)
{
    return fd >= 0 && (fd == a || fd == b);
}

void chardev_set_fds(Chardev *chr, int in_fd, int out_fd)
{
    ChardevWatch *w = chr->watch;
    int old_in = chr->in_fd;
    int old_out = chr->out_fd;

    watch_update(w, &w->in_tag, -1, 0);
    watch_update(w, &w->out_tag, -1, 0);
    g_mutex_lock(&chr->lock);
    chr->in_fd = in_fd;
    if (out_fd != old_out) {
        g_byte_array_set_size(chr->out_buf, 0);
    }
    chr->out_fd = out_fd;
    chr->out_error = false;
    g_mutex_unlock(&chr->lock);
    if (!chr->keep_fds) {
        if (old_in >= 0 && !fd_in(old_in, in_fd, out_fd)) {
            close(old_in);
        }
        if (old_out >= 0 && old_out != old_in && !fd_in(old_out, in_fd, out_fd)) {
            close(old_out);
        }
    }
    g_main_context_wakeup(main_loop_context());
}

static const ChardevClass *chardev_class_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(chardev_classes); i++) {
        if (strcmp(chardev_classes[i]->name, name) == 0) {
            return chardev_classes[i];
        }
    }
    return NULL;
}

Chardev *chardev_find(const char *id)
{
    return chardev_table ? g_hash_table_lookup(chardev_table, id) : NULL;
}

static void chardev_free(Chardev *chr)
{
    if (chr->cls->finalize) {
        chr->cls->finalize(chr);
    }
    chardev_set_fds(chr, -1, -1);
    g_source_destroy(&chr->watch->source);
    g_source_unref(&chr->watch->source);
    if (chr->log_fd >= 0) {
        close(chr->log_fd);
    }
    for (unsigned i = 0; i < chr->fe_count; i++) {
        g_free(chr->fe[i]);
    }
    g_byte_array_unref(chr->out_buf);
    g_mutex_clear(&chr->lock);
    g_free(chr->label);
    g_free(chr->filename);
    g_free(chr);
}

bool chardev_register(Chardev *chr, GError **error)
{
    if (!chardev_table) {
        chardev_table = g_hash_table_new(g_str_hash, g_str_equal);
        chardev_order = g_ptr_array_new();
    }
    if (g_hash_table_contains(chardev_table, chr->label)) {
        ERR(error, "Chardev '%s' already exists", chr->label);
        return false;
    }
    g_hash_table_insert(chardev_table, chr->label, chr);
    g_ptr_array_add(chardev_order, chr);
    return true;
}

static bool chardev_open_log(Chardev *chr, const Opts *opts, GError **error)
{
    const char *path = NULL;
    bool append = false;
    int fd;

    if (!opts || !opts_get_str(opts, "logfile", NULL, &path, error) ||
        !opts_get_bool(opts, "logappend", false, &append, error)) {
        return opts == NULL;
    }
    if (!path) {
        return true;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
    if (fd < 0) {
        ERR(error, "Unable to open logfile %s: %s", path, g_strerror(errno));
        return false;
    }
    chr->log_fd = fd;
    return true;
}

static void chardev_ignore_sigpipe(void)
{
    static gsize done;

    /* A peer that went away must cost a hang-up event, not the process. */
    if (g_once_init_enter(&done)) {
        signal(SIGPIPE, SIG_IGN);
        g_once_init_leave(&done, 1);
    }
}

Chardev *chardev_create(const ChardevClass *cls, const char *label, const Opts *opts,
                        GError **error)
{
    Chardev *chr;
    ChardevWatch *w;

    if (chardev_find(label)) {
        ERR(error, "Chardev '%s' already exists", label);
        return NULL;
    }
    chardev_ignore_sigpipe();
    chr = g_malloc0(cls->instance_size);
    chr->cls = cls;
    chr->label = g_strdup(label);
    g_mutex_init(&chr->lock);
    chr->out_buf = g_byte_array_new();
    chr->out_limit = CHARDEV_OUT_LIMIT;
    chr->in_fd = chr->out_fd = chr->log_fd = -1;
    w = (ChardevWatch *)g_source_new(&watch_funcs, sizeof(ChardevWatch));
    w->chr = chr;
    g_source_set_static_name(&w->source, "chardev");
    g_source_attach(&w->source, main_loop_context());
    chr->watch = w;
    if (!chardev_open_log(chr, opts, error) || !cls->open(chr, opts, error) ||
        !chardev_register(chr, error)) {
        chardev_free(chr);
        return NULL;
    }
    return chr;
}

Chardev *chardev_new_from_opts(const Opts *opts, GError **error)
{
    const char *backend = NULL;
    const char *id = opts_id(opts);
    const ChardevClass *cls;
    bool mux = false;
    Chardev *base;

    if (!opts_get_str(opts, "backend", NULL, &backend, error) ||
        !opts_get_bool(opts, "mux", false, &mux, error)) {
        return NULL;
    }
    if (!backend || !id) {
        ERR(error, "Parameter '%s' is missing", backend ? "id" : "backend");
        return NULL;
    }
    cls = chardev_class_find(backend);
    if (!cls) {
        ERR(error, "'%s' is not a valid char driver name", backend);
        return NULL;
    }
    if (!mux) {
        return chardev_create(cls, id, opts, error);
    }
    if (chardev_find(id)) {
        ERR(error, "Chardev '%s' already exists", id);
        return NULL;
    }
    g_autofree char *base_label = g_strdup_printf("%s-base", id);
    base = chardev_create(cls, base_label, opts, error);
    if (!base) {
        return NULL;
    }
    Chardev *chr = chardev_mux_new(id, base, error);
    if (!chr) {
        chardev_remove(base_label, NULL);
    }
    return chr;
}

Chardev *chardev_new_from_string(const char *arg, GError **error)
{
    g_autoptr(Opts) opts = opts_parse_kind("chardev", arg, error);

    return opts ? chardev_new_from_opts(opts, error) : NULL;
}

/* "tcp:HOST:PORT,rest" -> "host=HOST,port=PORT,rest" */
static char *legacy_tcp(const char *spec, GError **error)
{
    const char *comma = strchr(spec, ',');
    g_autofree char *addr = comma ? g_strndup(spec, comma - spec) : g_strdup(spec);
    char *colon = strrchr(addr, ':');

    if (!colon) {
        ERR(error, "Invalid tcp address '%s': expected host:port", addr);
        return NULL;
    }
    *colon = '\0';
    return g_strdup_printf("socket,host=%s,port=%s%s", *addr ? addr : "localhost", colon + 1,
                           comma ? comma : "");
}

static char *escape_commas(const char *s)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);

    return g_strjoinv(",,", parts);
}

Chardev *chardev_new_legacy(const char *id, const char *spec, GError **error)
{
    g_autofree char *arg = NULL;
    g_autofree char *body = NULL;
    bool mux = g_str_has_prefix(spec, "mon:");

    if (mux) {
        spec += 4;
    }
    if (g_str_has_prefix(spec, "chardev:")) {
        Chardev *chr = chardev_find(spec + 8);
        if (!chr) {
            ERR(error, "chardev '%s' not found", spec + 8);
        }
        return chr;
    }
    if (!strcmp(spec, "null") || !strcmp(spec, "stdio") || !strcmp(spec, "pty") ||
        !strcmp(spec, "ringbuf")) {
        body = g_strdup(spec);
    } else if (!strcmp(spec, "vc") || !strcmp(spec, "none")) {
        body = g_strdup("null"); /* no graphical console to attach to */
    } else if (g_str_has_prefix(spec, "file:") || g_str_has_prefix(spec, "pipe:")) {
        g_autofree char *path = escape_commas(spec + 5);
        body = g_strdup_printf("%.4s,path=%s", spec, path);
    } else if (g_str_has_prefix(spec, "unix:")) {
        body = g_strdup_printf("socket,path=%s", spec + 5);
    } else if (g_str_has_prefix(spec, "tcp:")) {
        body = legacy_tcp(spec + 4, error);
        if (!body) {
            return NULL;
        }
    } else {
        ERR(error, "'%s' is not a valid char driver name", spec);
        return NULL;
    }
    arg = g_strdup_printf("%s,id=%s%s", body, id, mux ? ",mux=on" : "");
    /* The options after the address come last so they cannot override the id. */
    return chardev_new_from_string(arg, error);
}

bool chardev_remove(const char *id, GError **error)
{
    Chardev *chr = chardev_find(id);

    if (!chr) {
        ERR(error, "Chardev '%s' not found", id);
        return false;
    }
    if (chr->fe_count) {
        ERR(error, "Chardev '%s' is busy", id);
        return false;
    }
    g_hash_table_remove(chardev_table, chr->label);
    g_ptr_array_remove(chardev_order, chr);
    chardev_free(chr);
    return true;
}

void chardev_remove_all(void)
{
    /* Newest first: a mux goes before its base. */
    while (chardev_order && chardev_order->len) {
        Chardev *chr = g_ptr_array_index(chardev_order, chardev_order->len - 1);
        while (chr->fe_count) {
            chardev_fe_detach(chr->fe[chr->fe_count - 1]);
        }
        chardev_remove(chr->label, NULL);
    }
}

const char *chardev_label(const Chardev *chr)
{
    return chr->label;
}

char *chardev_get_filename(Chardev *chr)
{
    return chr->cls->filename ? chr->cls->filename(chr) : g_strdup(chr->filename);
}

bool chardev_is_connected(Chardev *chr)
{
    return chr->connected;
}

GPtrArray *chardev_query(void)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)chardev_info_free);

    for (guint i = 0; chardev_order && i < chardev_order->len; i++) {
        Chardev *chr = g_ptr_array_index(chardev_order, i);
        ChardevInfo *info = g_new0(ChardevInfo, 1);
        info->label = g_strdup(chr->label);
        info->filename = chardev_get_filename(chr);
        for (unsigned j = 0; j < chr->fe_count; j++) {
            info->frontend_open |= chr->fe[j]->open;
        }
        g_ptr_array_add(out, info);
    }
    return out;
}

ChardevFrontend *chardev_fe_attach(Chardev *chr, const ChardevFrontendOps *ops, void *opaque,
                                   GError **error)
{
    ChardevFrontend *fe;

    if (chr->cls->multi_frontend ? chr->fe_count >= CHARDEV_MUX_MAX : chr->fe_count >= 1) {
        if (chr->cls->multi_frontend) {
            ERR(error, "too many uses of multiplexed chardev '%s' (maximum is %d)", chr->label,
                CHARDEV_MUX_MAX);
        } else {
            ERR(error, "Device '%s' is in use", chr->label);
        }
        return NULL;
    }
    fe = g_new0(ChardevFrontend, 1);
    fe->chr = chr;
    fe->ops = ops;
    fe->opaque = opaque;
    fe->open = true;
    chr->fe[chr->fe_count++] = fe;
    if (chr->cls->fe_attached) {
        chr->cls->fe_attached(chr, fe);
    }
    if (chr->connected && ops->event) {
        ops->event(opaque, CHARDEV_EVENT_OPENED);
    }
    g_main_context_wakeup(main_loop_context());
    return fe;
}

void chardev_fe_detach(ChardevFrontend *fe)
{
    Chardev *chr;
    unsigned i;

    if (!fe) {
        return;
    }
    chr = fe->chr;
    for (i = 0; i < chr->fe_count && chr->fe[i] != fe; i++) {
    }
    g_assert(i < chr->fe_count);
    memmove(&chr->fe[i], &chr->fe[i + 1], (chr->fe_count - i - 1) * sizeof(chr->fe[0]));
    chr->fe[--chr->fe_count] = NULL;
    if (chr->focus >= chr->fe_count) {
        chr->focus = 0;
    } else if (chr->focus > i) {
        chr->focus--;
    }
    g_free(fe);
}

void chardev_fe_set_open(ChardevFrontend *fe, bool open)
{
    fe->open = open;
}

Chardev *chardev_fe_get_chardev(ChardevFrontend *fe)
{
    return fe->chr;
}
