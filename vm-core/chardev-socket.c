/*
 * The socket back end: a unix (path=) or TCP (host=, port=) stream, as a server
 * (server=on: listen, accept one client at a time, and go back to listening when it
 * leaves) or a client (connect; reconnect=SECONDS or reconnect-ms= retries after a
 * failure or a hang-up). fd=N takes a socket the parent passed: a listening one (what
 * libvirt passes for its monitor, with server=on,wait=off) or a connected one.
 *
 * server=on with wait=on (QEMU's default) blocks in chardev creation until the first
 * client connects, so the guest's first bytes are not lost. Output while no peer is
 * connected is dropped, as QEMU does. telnet, websocket and TLS are not provided.
 */
#include "vm-core/chardev-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm-core/main-loop.h"

#define ERR(error, ...) g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, __VA_ARGS__)

typedef struct SocketChardev {
    Chardev parent;
    bool is_unix;           /* unix socket rather than TCP */
    bool is_listen;         /* server=on */
    bool nodelay;           /* TCP_NODELAY on connections */
    char *path;             /* unix path */
    char *host;             /* TCP host (as given, or the bound address) */
    char *port;             /* TCP port (the bound port once listening) */
    char *peer;             /* "addr:port" of the connected TCP peer, or NULL */
    int listen_fd;          /* listening socket, or -1 */
    GSource *listen_src;    /* accept watch while no client is connected */
    int conn_fd;            /* the connection, or -1 */
    uint64_t reconnect_ms;  /* client: retry delay; 0 = never */
    GSource *reconnect_src; /* pending retry */
    GSource *connect_src;   /* watch on a connection in progress */
    int connecting_fd;      /* that connection, or -1 */
    bool unlink_path;       /* we created the unix path: remove it when done */
} SocketChardev;

static bool set_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
           fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

static char *sockaddr_string(const struct sockaddr_storage *ss)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return g_strdup("?");
    }
    return g_strdup_printf("%s:%s", host, serv);
}

static void socket_connected(SocketChardev *d, int fd)
{
    Chardev *chr = &d->parent;

    set_nonblock_cloexec(fd);
    if (!d->is_unix && d->nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    g_clear_pointer(&d->peer, g_free);
    if (!d->is_unix) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
            d->peer = sockaddr_string(&ss);
        }
    }
    d->conn_fd = fd;
    chardev_set_fds(chr, fd, fd);
    chardev_set_connected(chr, true);
}

static gboolean socket_accept_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    SocketChardev *d = opaque;
    int conn = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (conn < 0) {
        return G_SOURCE_CONTINUE; /* EAGAIN, or the client left already */
    }
    /* One client at a time: later ones wait in the backlog until this one leaves. */
    d->listen_src = NULL;
    socket_connected(d, conn);
    return G_SOURCE_REMOVE;
}

static void socket_watch_listen(SocketChardev *d)
{
    if (d->listen_fd < 0 || d->listen_src) {
        return;
    }
    d->listen_src = g_unix_fd_source_new(d->listen_fd, G_IO_IN);
    g_source_set_callback(d->listen_src, (GSourceFunc)(void (*)(void))socket_accept_cb, d, NULL);
    g_source_attach(d->listen_src, main_loop_context());
    g_source_unref(d->listen_src);
}

/*
 * Resolves and connects. Blocking for the first attempt without reconnect=, as QEMU
 * does; with nonblock (reconnect attempts) a TCP connection still on its way is returned
 * with *ret_in_progress set, so a slow or silent host never stalls the main loop. Name
 * resolution itself stays synchronous: use addresses, or names /etc/hosts answers.
 */
static int socket_connect(SocketChardev *d, bool nonblock, bool *ret_in_progress, GError **error)
{
    int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);

    *ret_in_progress = false;
    if (d->is_unix) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, type, 0);
        g_strlcpy(sun.sun_path, d->path, sizeof(sun.sun_path));
        if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
            ERR(error, "Failed to connect to '%s': %s", d->path, g_strerror(errno));
            if (fd >= 0) {
                close(fd);
            }
            return -1;
        }
        return fd;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(d->host, d->port, &hints, &res);
    int saved = ECONNREFUSED;
    if (rc != 0) {
        ERR(error, "address resolution failed for %s:%s: %s", d->host, d->port, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, type, ai->ai_protocol);
        if (fd >= 0 &&
            (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || (nonblock && errno == EINPROGRESS))) {
            *ret_in_progress = nonblock && errno == EINPROGRESS;
            freeaddrinfo(res);
            return fd;
        }
        saved = errno;
        if (fd >= 0) {
            close(fd);
        }
    }
    freeaddrinfo(res);
    ERR(error, "Failed to connect to '%s:%s': %s", d->host, d->port, g_strerror(saved));
    return -1;
}

static void socket_schedule_reconnect(SocketChardev *d);

static gboolean socket_connect_done(gint fd, GIOCondition cond, gpointer opaque)
{
    SocketChardev *d = opaque;
    int err = 0;
    socklen_t len = sizeof(err);

    d->connect_src = NULL;
    d->connecting_fd = -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        close(fd);
        socket_schedule_reconnect(d);
    } else {
        socket_connected(d, fd);
    }
    return G_SOURCE_REMOVE;
}

/* One attempt without blocking; a failure schedules the next. */
static void socket_try_connect(SocketChardev *d)
{
    bool in_progress;
    int fd = socket_connect(d, true, &in_progress, NULL);

    if (fd < 0) {
        socket_schedule_reconnect(d);
    } else if (!in_progress) {
        socket_connected(d, fd);
    } else {
        d->connecting_fd = fd;
        d->connect_src = g_unix_fd_source_new(fd, G_IO_OUT);
        g_source_set_callback(d->connect_src, (GSourceFunc)(void (*)(void))socket_connect_done, d,
                              NULL);
        g_source_attach(d->connect_src, main_loop_context());
        g_source_unref(d->connect_src);
    }
}

static gboolean socket_reconnect_cb(gpointer opaque)
{
    SocketChardev *d = opaque;

    d->reconnect_src = NULL;
    socket_try_connect(d);
    return G_SOURCE_REMOVE;
}

static void socket_schedule_reconnect(SocketChardev *d)
{
    if (!d->reconnect_ms || d->reconnect_src) {
        return;
    }
    d->reconnect_src = g_timeout_source_new(d->reconnect_ms);
    g_source_set_callback(d->reconnect_src, socket_reconnect_cb, d, NULL);
    g_source_attach(d->reconnect_src, main_loop_context());
    g_source_unref(d->reconnect_src);
}

static void socket_hangup(Chardev *chr)
{
    SocketChardev *d = (SocketChardev *)chr;

    chardev_set_fds(chr, -1, -1); /* closes conn_fd */
    d->conn_fd = -1;
    g_clear_pointer(&d->peer, g_free);
    chardev_set_connected(chr, false);
    if (d->is_listen) {
        socket_watch_listen(d);
    } else {
        socket_schedule_reconnect(d);
    }
}

static int socket_listen_unix(SocketChardev *d, GError **error)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(d->path) >= sizeof(sun.sun_path)) {
        ERR(error, "UNIX socket path '%s' is too long", d->path);
        return -1;
    }
    g_strlcpy(sun.sun_path, d->path, sizeof(sun.sun_path));
    if (unlink(d->path) < 0 && errno != ENOENT) {
        ERR(error, "Failed to unlink socket %s: %s", d->path, g_strerror(errno));
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 1) < 0) {
        ERR(error, "Failed to bind socket to %s: %s", d->path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    d->unlink_path = true;
    return fd;
}

static int socket_listen_tcp(SocketChardev *d, GError **error)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res = NULL;
    const char *host = d->host && *d->host ? d->host : NULL;
    int rc = getaddrinfo(host, d->port, &hints, &res);
    int fd = -1, saved = EADDRNOTAVAIL;

    if (rc != 0) {
        ERR(error, "address resolution failed for %s:%s: %s", d->host, d->port, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int one = 1;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0) {
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        ERR(error, "Failed to bind socket: %s", g_strerror(saved));
        return -1;
    }
    /* port=0 picks a free port: report the one we got. */
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        char serv[NI_MAXSERV];
        if (getnameinfo((struct sockaddr *)&ss, len, NULL, 0, serv, sizeof(serv), NI_NUMERICSERV) ==
            0) {
            g_free(d->port);
            d->port = g_strdup(serv);
        }
    }
    return fd;
}

/* fd=N: learn what the parent passed: its family, path, and whether it listens. */
static ChardevFdResolver fd_resolver;

void chardev_set_fd_resolver(ChardevFdResolver fn)
{
    fd_resolver = fn;
}

/* fd=N is a number, or the name of an fd the monitor holds (getfd, -add-fd). */
static int socket_fd_param(const char *fdstr, GError **error)
{
    uint64_t n;

    if (g_ascii_isdigit(fdstr[0])) {
        if (!opts_parse_number_str("fd", fdstr, &n, error)) {
            return -1;
        }
        if (n > INT32_MAX) {
            ERR(error, "File descriptor '%s' is not a socket: %s", fdstr, g_strerror(EBADF));
            return -1;
        }
        return (int)n;
    }
    if (!fd_resolver) {
        ERR(error, "File descriptor named '%s' has not been found", fdstr);
        return -1;
    }
    return fd_resolver(fdstr, error);
}

/* fd=N: learn what the parent passed: its family, path, and whether it listens. */
static bool socket_adopt_fd(SocketChardev *d, const char *fdstr, GError **error)
{
    int fd, listening = 0;
    socklen_t len = sizeof(listening);
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);

    fd = socket_fd_param(fdstr, error);
    if (fd < 0) {
        return false;
    }
    if (fcntl(fd, F_GETFD) < 0 || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0 || !set_nonblock_cloexec(fd)) {
        ERR(error, "File descriptor '%s' is not a socket: %s", fdstr, g_strerror(errno));
        if (!g_ascii_isdigit(fdstr[0])) {
            close(fd); /* a named fd was handed to us */
        }
        return false;
    }
    d->is_unix = ss.ss_family == AF_UNIX;
    if (d->is_unix) {
        d->path = g_strdup(((struct sockaddr_un *)&ss)->sun_path);
    } else {
        g_autofree char *addr = sockaddr_string(&ss);
        char *colon = strrchr(addr, ':');
        if (colon) {
            *colon = '\0';
        }
        d->host = g_strdup(addr);
        d->port = g_strdup(colon ? colon + 1 : "?");
    }
    d->is_listen = listening;
    if (listening) {
        d->listen_fd = fd;
        socket_watch_listen(d);
    } else {
        socket_connected(d, fd);
    }
    return true;
}

static bool socket_parse(SocketChardev *d, const Opts *opts, const char **fdstr, bool *wait,
                         GError **error)
{
    const char *path = NULL, *host = NULL, *port = NULL;
    bool telnet = false, websocket = false, nodelay = false;
    uint64_t reconnect = 0, reconnect_ms = 0;
    const char *tls = NULL;

    if (!opts_get_str(opts, "path", NULL, &path, error) ||
        !opts_get_str(opts, "host", NULL, &host, error) ||
        !opts_get_str(opts, "port", NULL, &port, error) ||
        !opts_get_str(opts, "fd", NULL, fdstr, error) ||
        !opts_get_str(opts, "tls-creds", NULL, &tls, error) ||
        !opts_get_bool(opts, "server", false, &d->is_listen, error) ||
        !opts_get_bool(opts, "wait", true, wait, error) ||
        !opts_get_bool(opts, "telnet", false, &telnet, error) ||
        !opts_get_bool(opts, "websocket", false, &websocket, error) ||
        !opts_get_bool(opts, "nodelay", false, &nodelay, error) ||
        !opts_get_number(opts, "reconnect", 0, &reconnect, error) ||
        !opts_get_number(opts, "reconnect-ms", 0, &reconnect_ms, error)) {
        return false;
    }
    if (telnet || websocket || tls) {
        ERR(error, "chardev: socket: %s is not supported",
            telnet      ? "telnet"
            : websocket ? "websocket"
                        : "TLS");
        return false;
    }
    if (!!path + !!(host || port) + !!*fdstr != 1) {
        ERR(error, "chardev: socket: exactly one of 'path', 'host'/'port' or 'fd' is "
                   "required");
        return false;
    }
    if (reconnect && reconnect_ms) {
        ERR(error, "'reconnect' and 'reconnect-ms' are mutually exclusive");
        return false;
    }
    if (d->is_listen && (reconnect || reconnect_ms)) {
        ERR(error, "'reconnect' option is incompatible with 'server' option");
        return false;
    }
    if ((host || port) && !port) {
        ERR(error, "chardev: socket: no port given");
        return false;
    }
    d->nodelay = nodelay;
    d->reconnect_ms = reconnect_ms ? reconnect_ms : reconnect * 1000;
    d->is_unix = path != NULL;
    d->path = g_strdup(path);
    d->host = g_strdup(host ? host : "");
    d->port = g_strdup(port);
    return true;
}

static char *socket_filename(Chardev *chr)
{
    SocketChardev *d = (SocketChardev *)chr;
    const char *prefix = d->conn_fd >= 0 ? "" : "disconnected:";
    const char *server = d->is_listen ? ",server=on" : "";

    if (d->is_unix) {
        return g_strdup_printf("%sunix:%s%s", prefix, d->path, server);
    }
    return g_strdup_printf("%stcp:%s:%s%s%s%s", prefix, d->host, d->port, server,
                           d->peer ? " <-> " : "", d->peer ? d->peer : "");
}

/* server=on,wait=on: the first client is awaited before the machine starts. */
static void socket_wait_first_client(SocketChardev *d)
{
    g_autofree char *name = socket_filename(&d->parent);
    struct pollfd p = {.fd = d->listen_fd, .events = POLLIN};

    fprintf(stderr, "info: waiting for connection on: %s\n", name);
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    int conn = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn >= 0) {
        socket_connected(d, conn);
    }
}

static bool socket_open(Chardev *chr, const Opts *opts, GError **error)
{
    SocketChardev *d = (SocketChardev *)chr;
    const char *fdstr = NULL;
    bool wait = true;

    d->listen_fd = d->conn_fd = d->connecting_fd = -1;
    chr->keep_fds = false;
    if (!socket_parse(d, opts, &fdstr, &wait, error)) {
        return false;
    }
    if (fdstr) {
        return socket_adopt_fd(d, fdstr, error);
    }
    if (d->is_listen) {
        d->listen_fd = d->is_unix ? socket_listen_unix(d, error) : socket_listen_tcp(d, error);
        if (d->listen_fd < 0) {
            return false;
        }
        if (wait) {
            socket_wait_first_client(d);
        }
        if (d->conn_fd < 0) {
            socket_watch_listen(d);
        }
        return true;
    }
    if (d->reconnect_ms) {
        socket_try_connect(d); /* with reconnect, a missing server is not fatal */
        return true;
    }
    bool in_progress;
    int fd = socket_connect(d, false, &in_progress, error);
    if (fd < 0) {
        return false;
    }
    socket_connected(d, fd);
    return true;
}

static void socket_finalize(Chardev *chr)
{
    SocketChardev *d = (SocketChardev *)chr;

    if (d->listen_src) {
        g_source_destroy(d->listen_src);
    }
    if (d->reconnect_src) {
        g_source_destroy(d->reconnect_src);
    }
    if (d->connect_src) {
        g_source_destroy(d->connect_src);
        close(d->connecting_fd);
    }
    chardev_set_fds(chr, -1, -1);
    if (d->listen_fd >= 0) {
        close(d->listen_fd);
    }
    if (d->unlink_path) {
        unlink(d->path);
    }
    g_free(d->path);
    g_free(d->host);
    g_free(d->port);
    g_free(d->peer);
}

const ChardevClass chardev_socket_class = {
    .name = "socket",
    .instance_size = sizeof(SocketChardev),
    .open = socket_open,
    .finalize = socket_finalize,
    .hangup = socket_hangup,
    .filename = socket_filename,
};
