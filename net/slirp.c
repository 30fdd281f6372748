/*
 * User-mode networking with libslirp. libslirp is not thread-safe, so one thread owns
 * the instance: it polls slirp's sockets, runs its timers, and feeds it the frames the
 * NIC queued (an eventfd wakes it). Frames for the guest leave through the NIC's
 * receive callback on this thread; the NIC never calls into slirp directly, so no lock
 * is ever taken in the order NIC -> slirp while another path takes slirp -> NIC.
 */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUED_FRAMES 256

typedef struct SlirpTimer {
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms; /* -1: not armed */
    struct SlirpTimer *next;
} SlirpTimer;

struct NetBackend {
    char *id;
    Slirp *slirp;
    GThread *thread;
    int wake_fd;                 /* eventfd: frames queued, or quit */
    GMutex queue_lock;
    GQueue tx;                   /* GBytes frames from the NIC, at most MAX_QUEUED_FRAMES */
    bool quit;
    SlirpTimer *timers;
    GArray *pfd;                 /* struct pollfd for the current round */
    NetReceiveFn receive;
    void *receive_opaque;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    NetBackend *b = opaque;
    if (b->receive) {
        b->receive(b->receive_opaque, buf, len);
    }
    return (ssize_t)len; /* a frame the NIC could not take is dropped; TCP resends */
}

static void cb_guest_error(const char *msg, void *opaque)
{
    fprintf(stderr, "vmd-vm: guest error: network: %s\n", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    return now_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    NetBackend *b = opaque;
    SlirpTimer *t = g_new0(SlirpTimer, 1);
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    t->expire_ms = -1;
    t->next = b->timers;
    b->timers = t;
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    NetBackend *b = opaque;
    for (SlirpTimer **p = &b->timers; *p; p = &(*p)->next) {
        if (*p == timer) {
            *p = ((SlirpTimer *)timer)->next;
            g_free(timer);
            return;
        }
    }
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    ((SlirpTimer *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
    NetBackend *b = opaque;
    uint64_t one = 1;
    (void)!write(b->wake_fd, &one, sizeof(one));
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_register_poll_fd,
    .notify = cb_notify,
};

static int add_poll(int fd, int events, void *opaque)
{
    NetBackend *b = opaque;
    struct pollfd p = {.fd = fd};
    p.events |= (events & SLIRP_POLL_IN) ? POLLIN : 0;
    p.events |= (events & SLIRP_POLL_OUT) ? POLLOUT : 0;
    p.events |= (events & SLIRP_POLL_PRI) ? POLLPRI : 0;
    g_array_append_val(b->pfd, p);
    return (int)b->pfd->len - 1;
}

static int get_revents(int idx, void *opaque)
{
    NetBackend *b = opaque;
    short r = g_array_index(b->pfd, struct pollfd, idx).revents;
    return ((r & POLLIN) ? SLIRP_POLL_IN : 0) | ((r & POLLOUT) ? SLIRP_POLL_OUT : 0) |
           ((r & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((r & POLLERR) ? SLIRP_POLL_ERR : 0) |
           ((r & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

static void run_timers(NetBackend *b, uint32_t *timeout_ms)
{
    int64_t now = now_ns() / 1000000;
    for (SlirpTimer *t = b->timers; t;) {
        SlirpTimer *next = t->next; /* the callback may free or re-arm timers */
        if (t->expire_ms >= 0 && t->expire_ms <= now) {
            t->expire_ms = -1;
            t->cb(t->cb_opaque);
        }
        t = next;
    }
    for (SlirpTimer *t = b->timers; t; t = t->next) {
        if (t->expire_ms >= 0) {
            *timeout_ms = (uint32_t)MIN((int64_t)*timeout_ms, MAX(t->expire_ms - now, 0));
        }
    }
}

static void drain_tx(NetBackend *b)
{
    uint64_t n;
    (void)!read(b->wake_fd, &n, sizeof(n));
    for (;;) {
        g_mutex_lock(&b->queue_lock);
        GBytes *frame = g_queue_pop_head(&b->tx);
        g_mutex_unlock(&b->queue_lock);
        if (!frame) {
            break;
        }
        gsize len;
        const uint8_t *data = g_bytes_get_data(frame, &len);
        slirp_input(b->slirp, data, (int)len);
        g_bytes_unref(frame);
    }
}

static gpointer net_thread(gpointer opaque)
{
    NetBackend *b = opaque;
    while (!__atomic_load_n(&b->quit, __ATOMIC_ACQUIRE)) {
        uint32_t timeout = 1000;
        g_array_set_size(b->pfd, 0);
        struct pollfd wake = {.fd = b->wake_fd, .events = POLLIN};
        g_array_append_val(b->pfd, wake);
        slirp_pollfds_fill(b->slirp, &timeout, add_poll, b);
        run_timers(b, &timeout);
        int r = poll((struct pollfd *)b->pfd->data, b->pfd->len, (int)timeout);
        if (g_array_index(b->pfd, struct pollfd, 0).revents & POLLIN) {
            drain_tx(b);
        }
        slirp_pollfds_poll(b->slirp, r < 0, get_revents, b);
        run_timers(b, &timeout);
    }
    return NULL;
}

/* Parses "tcp:[hostaddr]:hostport-[guestaddr]:guestport" (QEMU's hostfwd syntax). */
static bool add_hostfwd(NetBackend *b, const char *spec, GError **error)
{
    char proto[8] = "", haddr[64] = "", gaddr[64] = "";
    int hport = -1, gport = -1;
    const char *p = spec;
    const char *colon = strchr(p, ':');
    if (colon && (size_t)(colon - p) < sizeof(proto)) {
        memcpy(proto, p, (size_t)(colon - p));
        p = colon + 1;
    } else {
        g_strlcpy(proto, "tcp", sizeof(proto));
    }
    if (sscanf(p, "%63[^:]:%d-%63[^:]:%d", haddr, &hport, gaddr, &gport) != 4 &&
        sscanf(p, ":%d-%63[^:]:%d", &hport, gaddr, &gport) != 3 &&
        sscanf(p, "%63[^:]:%d-:%d", haddr, &hport, &gport) != 3 &&
        sscanf(p, ":%d-:%d", &hport, &gport) != 2) {
        goto bad;
    }
    bool udp = strcmp(proto, "udp") == 0;
    if ((!udp && strcmp(proto, "tcp") != 0) || hport < 0 || hport > 65535 || gport < 1 ||
        gport > 65535) {
        goto bad;
    }
    struct in_addr host = {.s_addr = INADDR_ANY}, guest = {.s_addr = 0};
    if ((*haddr && !inet_aton(haddr, &host)) || (*gaddr && !inet_aton(gaddr, &guest))) {
        goto bad;
    }
    if (!*gaddr) {
        inet_aton("10.0.2.15", &guest);
    }
    if (slirp_add_hostfwd(b->slirp, udp, host, hport, guest, gport) < 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "Could not set up host forwarding rule '%s'", spec);
        return false;
    }
    return true;
bad:
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "Invalid host forwarding rule '%s'", spec);
    return false;
}

NetBackend *net_user_new(const NetUserConfig *c, GError **error)
{
    NetBackend *b = g_new0(NetBackend, 1);
    b->id = g_strdup(c->id ? c->id : "net0");
    b->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g_mutex_init(&b->queue_lock);
    g_queue_init(&b->tx);
    b->pfd = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    SlirpConfig cfg = {
        .version = 1,
        .restricted = c->restricted,
        .in_enabled = true,
        .vhostname = "vmd",
        .if_mtu = 1500,
        .if_mru = 1500,
    };
    inet_aton("10.0.2.0", &cfg.vnetwork);
    inet_aton("255.255.255.0", &cfg.vnetmask);
    inet_aton("10.0.2.2", &cfg.vhost);
    inet_aton("10.0.2.15", &cfg.vdhcp_start);
    inet_aton("10.0.2.3", &cfg.vnameserver);
    b->slirp = slirp_new(&cfg, &slirp_callbacks, b);
    if (!b->slirp || b->wake_fd < 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "cannot start user networking");
        net_backend_free(b);
        return NULL;
    }
    for (char **h = c->hostfwd; h && *h; h++) {
        if (!add_hostfwd(b, *h, error)) {
            net_backend_free(b);
            return NULL;
        }
    }
    b->thread = g_thread_new("net-user", net_thread, b);
    return b;
}

const char *net_backend_id(const NetBackend *b)
{
    return b->id;
}

void net_attach(NetBackend *b, NetReceiveFn receive, void *opaque)
{
    b->receive_opaque = opaque;
    __atomic_store_n(&b->receive, receive, __ATOMIC_RELEASE);
}

void net_send(NetBackend *b, const uint8_t *frame, size_t len)
{
    g_mutex_lock(&b->queue_lock);
    if (b->tx.length < MAX_QUEUED_FRAMES) {
        g_queue_push_tail(&b->tx, g_bytes_new(frame, len));
    }
    g_mutex_unlock(&b->queue_lock);
    cb_notify(b);
}

void net_backend_free(NetBackend *b)
{
    if (!b) {
        return;
    }
    if (b->thread) {
        __atomic_store_n(&b->quit, true, __ATOMIC_RELEASE);
        cb_notify(b);
        g_thread_join(b->thread);
    }
    if (b->slirp) {
        slirp_cleanup(b->slirp);
    }
    while (b->timers) {
        SlirpTimer *t = b->timers;
        b->timers = t->next;
        g_free(t);
    }
    g_queue_clear_full(&b->tx, (GDestroyNotify)g_bytes_unref);
    if (b->wake_fd >= 0) {
        close(b->wake_fd);
    }
    g_array_free(b->pfd, TRUE);
    g_mutex_clear(&b->queue_lock);
    g_free(b->id);
    g_free(b);
}
