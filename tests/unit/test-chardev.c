/*
 * Tests of the chardevs through a test front end, the way the UART and the monitor use
 * them: null, ringbuf (and its QMP read/write), file, pipe, pty (the test opens
 * /dev/pts/N), stdio (on a pty put in place of fds 0 and 1: raw mode and its
 * restoration, also after a fatal signal and after a stop/continue), sockets (unix and TCP servers,
 * a client that reconnects, fd= with a connected and a listening socket), the mux escapes, bounded
 * output when the peer does not read, query-chardev and the error messages.
 *
 * Waits are for a condition with a deadline, never fixed sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "vm-core/chardev.h"
#include "vm-core/main-loop.h"
#include "vm-core/runstate.h"

typedef struct TestFe {
    GByteArray *rx; /* everything received */
    size_t can;     /* what can_receive() answers */
    bool fifo;      /* can is room in a FIFO nobody drains: receive() uses it up */
    unsigned events[CHARDEV_EVENT__MAX];
    GString *evlog;       /* "O" opened, "C" closed, "B" break, "I"/"U" mux in/out */
    unsigned write_ready; /* write_ready() calls */
    ChardevFrontend *fe;  /* the attachment */
} TestFe;

static size_t fe_can_receive(void *opaque)
{
    return ((TestFe *)opaque)->can;
}

static void fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
    TestFe *t = opaque;

    g_assert_cmpuint(len, <=, t->can);
    g_byte_array_append(t->rx, buf, len);
    if (t->fifo) {
        t->can -= len;
    }
}

static void fe_event(void *opaque, ChardevEvent event)
{
    TestFe *t = opaque;

    t->events[event]++;
    g_string_append_c(t->evlog, "BOCIU"[event]);
}

static void fe_write_ready(void *opaque)
{
    ((TestFe *)opaque)->write_ready++;
}

static const ChardevFrontendOps fe_ops = {
    .can_receive = fe_can_receive,
    .receive = fe_receive,
    .event = fe_event,
    .write_ready = fe_write_ready,
};

static TestFe *fe_new(Chardev *chr)
{
    TestFe *t = g_new0(TestFe, 1);

    t->rx = g_byte_array_new();
    t->evlog = g_string_new(NULL);
    t->can = 1 << 20;
    if (chr) {
        g_autoptr(GError) err = NULL;
        t->fe = chardev_fe_attach(chr, &fe_ops, t, &err);
        g_assert_no_error(err);
    }
    return t;
}

static void fe_free(TestFe *t)
{
    chardev_fe_detach(t->fe);
    g_byte_array_unref(t->rx);
    g_string_free(t->evlog, TRUE);
    g_free(t);
}

static gboolean tick(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

/* Runs the main loop until cond(arg) holds; fails the test after 5 s. */
static void wait_for(bool (*cond)(void *), void *arg, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    guint id = g_timeout_add(5, tick, NULL);

    while (!cond(arg)) {
        if (g_get_monotonic_time() > deadline) {
            g_error("timed out waiting for %s", what);
        }
        main_loop_iterate(true);
    }
    g_source_remove(id);
}

static void drain(void)
{
    while (main_loop_iterate(false)) {
    }
}

typedef struct RxWant {
    TestFe *t;
    size_t len;
} RxWant;

static bool rx_has(void *arg)
{
    RxWant *w = arg;
    return w->t->rx->len >= w->len;
}

static void wait_rx(TestFe *t, size_t len)
{
    RxWant w = {t, len};
    wait_for(rx_has, &w, "input");
}

static bool fe_opened(void *arg)
{
    return ((TestFe *)arg)->events[CHARDEV_EVENT_OPENED] > 0;
}

static bool fe_closed(void *arg)
{
    return ((TestFe *)arg)->events[CHARDEV_EVENT_CLOSED] > 0;
}

static void assert_rx(TestFe *t, const char *want)
{
    g_assert_cmpuint(t->rx->len, ==, strlen(want));
    g_assert_cmpmem(t->rx->data, t->rx->len, want, strlen(want));
}

/* Reads exactly len bytes from fd (blocking up to 5 s), running the main loop so the
 * chardev can flush. */
static char *read_fd(int fd, size_t len)
{
    char *buf = g_malloc0(len + 1);
    size_t got = 0;
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (got < len) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        drain();
        if (poll(&p, 1, 5) > 0) {
            ssize_t r = read(fd, buf + got, len - got);
            g_assert_cmpint(r, >, 0);
            got += r;
        }
        if (g_get_monotonic_time() > deadline) {
            g_error("timed out reading %zu bytes (got %zu)", len, got);
        }
    }
    return buf;
}

static void write_fd(int fd, const char *s)
{
    g_assert_cmpint(write(fd, s, strlen(s)), ==, (ssize_t)strlen(s));
}

static char *tmpdir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static Chardev *new_chardev(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static Chardev *new_chardev(const char *fmt, ...)
{
    va_list ap;
    g_autoptr(GError) err = NULL;
    g_autofree char *arg = NULL;
    Chardev *chr;

    va_start(ap, fmt);
    arg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    chr = chardev_new_from_string(arg, &err);
    if (!chr) {
        g_error("-chardev %s: %s", arg, err->message);
    }
    return chr;
}

static char *filename_of(const char *id)
{
    return chardev_get_filename(chardev_find(id));
}

static void test_null(void)
{
    Chardev *chr = new_chardev("null,id=n0");
    TestFe *t = fe_new(chr);
    g_autofree char *fn = filename_of("n0");

    g_assert_cmpuint(chardev_write(chr, "abc", 3), ==, 3);
    g_assert_cmpstr(fn, ==, "null");
    g_assert_cmpuint(t->events[CHARDEV_EVENT_OPENED], ==, 1);
    drain();
    g_assert_cmpuint(t->rx->len, ==, 0);
    fe_free(t);
    g_assert_true(chardev_remove("n0", NULL));
    g_assert_null(chardev_find("n0"));
}

static void test_ringbuf(void)
{
    Chardev *chr = new_chardev("ringbuf,id=rb,size=16");
    g_autoptr(GError) err = NULL;
    g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

    g_assert_cmpuint(chardev_write(chr, "hello", 5), ==, 5);
    a = chardev_ringbuf_read("rb", 100, CHARDEV_DATA_FORMAT_UTF8, &err);
    g_assert_cmpstr(a, ==, "hello");
    /* 20 bytes into 16: the oldest 4 are overwritten. */
    g_assert_cmpuint(chardev_write(chr, "0123456789abcdefghij", 20), ==, 20);
    b = chardev_ringbuf_read("rb", 3, CHARDEV_DATA_FORMAT_UTF8, NULL);
    g_assert_cmpstr(b, ==, "456");
    c = chardev_ringbuf_read("rb", 100, CHARDEV_DATA_FORMAT_BASE64, NULL);
    g_assert_cmpstr(c, ==, "Nzg5YWJjZGVmZ2hpag=="); /* "789abcdefghij" */
    /* ringbuf-write: base64 decoded into the ring; utf8 as is; invalid UTF-8 made valid. */
    g_assert_true(chardev_ringbuf_write("rb", "aGk=", CHARDEV_DATA_FORMAT_BASE64, NULL));
    g_assert_true(chardev_ringbuf_write("rb", "\xff!", CHARDEV_DATA_FORMAT_UTF8, NULL));
    d = chardev_ringbuf_read("rb", 100, CHARDEV_DATA_FORMAT_UTF8, NULL);
    g_assert_cmpstr(d, ==, "hi\xef\xbf\xbd!");

    g_assert_null(chardev_new_from_string("ringbuf,id=rb2,size=1000", &err));
    g_assert_cmpstr(err->message, ==, "size of ringbuf chardev must be power of two");
    g_clear_error(&err);
    new_chardev("null,id=notring");
    g_assert_null(chardev_ringbuf_read("notring", 1, CHARDEV_DATA_FORMAT_UTF8, &err));
    g_assert_cmpstr(err->message, ==, "notring is not a ringbuf device");
    g_clear_error(&err);
    g_assert_false(chardev_ringbuf_write("nope", "x", CHARDEV_DATA_FORMAT_UTF8, &err));
    g_assert_cmpstr(err->message, ==, "Device 'nope' not found");
    chardev_remove_all();
}

static void test_file(void)
{
    g_autofree char *out = tmp_path("out.log");
    g_autofree char *in = tmp_path("in.txt");
    g_autofree char *contents = NULL;
    g_autofree char *fn = NULL;
    Chardev *chr;
    TestFe *t;

    g_assert_true(g_file_set_contents(in, "typed input", -1, NULL));
    g_assert_true(g_file_set_contents(out, "old\n", -1, NULL));
    chr = new_chardev("file,id=f0,path=%s,append=on,input-path=%s", out, in);
    t = fe_new(chr);
    g_assert_cmpuint(chardev_write(chr, "new\n", 4), ==, 4);
    wait_rx(t, strlen("typed input"));
    assert_rx(t, "typed input");
    drain(); /* EOF on the input: polling stops, output goes on */
    g_assert_cmpuint(chardev_write(chr, "more\n", 5), ==, 5);
    g_assert_true(g_file_get_contents(out, &contents, NULL, NULL));
    g_assert_cmpstr(contents, ==, "old\nnew\nmore\n");
    fn = filename_of("f0");
    g_assert_cmpstr(fn, ==, "file"); /* as QEMU reports it */
    fe_free(t);
    chardev_remove_all();

    /* Without append= the file is truncated. */
    chr = new_chardev("file,id=f1,path=%s", out);
    chardev_write(chr, "x", 1);
    g_clear_pointer(&contents, g_free);
    g_assert_true(g_file_get_contents(out, &contents, NULL, NULL));
    g_assert_cmpstr(contents, ==, "x");
    chardev_remove_all();
}

static void test_pipe(void)
{
    g_autofree char *base = tmp_path("fifo");
    g_autofree char *pin = g_strdup_printf("%s.in", base);
    g_autofree char *pout = g_strdup_printf("%s.out", base);
    Chardev *chr;
    TestFe *t;
    int win, rout;

    g_assert_cmpint(mkfifo(pin, 0600), ==, 0);
    g_assert_cmpint(mkfifo(pout, 0600), ==, 0);
    chr = new_chardev("pipe,id=p0,path=%s", base);
    t = fe_new(chr);
    win = open(pin, O_WRONLY | O_CLOEXEC);
    rout = open(pout, O_RDONLY | O_CLOEXEC);
    write_fd(win, "to guest");
    wait_rx(t, 8);
    assert_rx(t, "to guest");
    g_assert_cmpuint(chardev_write(chr, "from guest", 10), ==, 10);
    g_autofree char *got = read_fd(rout, 10);
    g_assert_cmpstr(got, ==, "from guest");
    close(win);
    close(rout);
    fe_free(t);
    chardev_remove_all();
}

static void make_raw(int fd)
{
    struct termios tio;

    g_assert_cmpint(tcgetattr(fd, &tio), ==, 0);
    cfmakeraw(&tio);
    g_assert_cmpint(tcsetattr(fd, TCSANOW, &tio), ==, 0);
}

static void test_pty(void)
{
    Chardev *chr = new_chardev("pty,id=pty0");
    TestFe *t = fe_new(chr);
    g_autofree char *fn = filename_of("pty0");
    g_autoptr(GPtrArray) q = NULL;
    int slave;

    g_assert_true(g_str_has_prefix(fn, "pty:/dev/pts/"));
    g_assert_false(chardev_is_connected(chr));
    /* Output with nobody on the other side is dropped, not queued. */
    g_assert_cmpuint(chardev_write(chr, "lost", 4), ==, 4);
    g_assert_cmpuint(chardev_out_pending(chr), ==, 0);

    slave = open(fn + 4, O_RDWR | O_NOCTTY | O_CLOEXEC);
    g_assert_cmpint(slave, >=, 0);
    make_raw(slave);
    wait_for(fe_opened, t, "pty peer");
    g_assert_cmpuint(chardev_write(chr, "to user\r\n", 9), ==, 9);
    g_autofree char *got = read_fd(slave, 9);
    g_assert_cmpstr(got, ==, "to user\r\n");
    write_fd(slave, "typed\x03\x01");
    wait_rx(t, 7);
    assert_rx(t, "typed\x03\x01");

    q = chardev_query();
    g_assert_cmpuint(q->len, ==, 1);
    ChardevInfo *info = q->pdata[0];
    g_assert_cmpstr(info->label, ==, "pty0");
    g_assert_cmpstr(info->filename, ==, fn);
    g_assert_true(info->frontend_open);

    close(slave);
    wait_for(fe_closed, t, "pty hang-up");
    g_assert_cmpstr(t->evlog->str, ==, "OC");
    fe_free(t);
    chardev_remove_all();
}

static int unix_connect(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    return fd;
}

static int unix_listen(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    g_assert_cmpint(listen(fd, 4), ==, 0);
    return fd;
}

/* Sends and receives one message each way between chr (front end t) and peer fd. */
static void exchange(Chardev *chr, TestFe *t, int peer, const char *tag)
{
    g_autofree char *down = g_strdup_printf("to-host-%s", tag);
    g_autofree char *up = g_strdup_printf("to-guest-%s", tag);
    size_t before = t->rx->len;

    g_assert_cmpuint(chardev_write(chr, down, strlen(down)), ==, strlen(down));
    g_autofree char *got = read_fd(peer, strlen(down));
    g_assert_cmpstr(got, ==, down);
    write_fd(peer, up);
    wait_rx(t, before + strlen(up));
    g_assert_cmpmem(t->rx->data + before, strlen(up), up, strlen(up));
}

static void test_socket_unix_server(void)
{
    g_autofree char *path = tmp_path("mon.sock");
    Chardev *chr = new_chardev("socket,id=s0,path=%s,server=on,wait=off", path);
    TestFe *t = fe_new(chr);
    g_autofree char *fn0 = filename_of("s0");
    g_autofree char *want_dis = g_strdup_printf("disconnected:unix:%s,server=on", path);
    g_autofree char *want_con = g_strdup_printf("unix:%s,server=on", path);
    int c;

    g_assert_cmpstr(fn0, ==, want_dis);
    /* Nobody connected: output is dropped. */
    g_assert_cmpuint(chardev_write(chr, "void", 4), ==, 4);

    for (int round = 0; round < 2; round++) {
        c = unix_connect(path);
        wait_for(fe_opened, t, "client");
        g_autofree char *fn1 = filename_of("s0");
        g_assert_cmpstr(fn1, ==, want_con);
        exchange(chr, t, c, round ? "b" : "a");
        close(c);
        wait_for(fe_closed, t, "client hang-up");
        g_autofree char *fn2 = filename_of("s0");
        g_assert_cmpstr(fn2, ==, want_dis);
        memset(t->events, 0, sizeof(t->events));
    }
    g_assert_cmpstr(t->evlog->str, ==, "OCOC");
    fe_free(t);
    chardev_remove_all();
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS)); /* the server removes its path */
}

static void test_socket_tcp_server(void)
{
    Chardev *chr = new_chardev("socket,id=t0,host=127.0.0.1,port=0,server=on,wait=off,"
                               "nodelay=on");
    TestFe *t = fe_new(chr);
    g_autofree char *fn = filename_of("t0");
    const char *port;
    int c;
    struct sockaddr_in sin = {.sin_family = AF_INET};

    g_assert_true(g_str_has_prefix(fn, "disconnected:tcp:127.0.0.1:"));
    g_assert_true(g_str_has_suffix(fn, ",server=on"));
    port = fn + strlen("disconnected:tcp:127.0.0.1:");
    sin.sin_port = htons(atoi(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(connect(c, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    wait_for(fe_opened, t, "tcp client");
    g_autofree char *fn2 = filename_of("t0");
    g_assert_nonnull(strstr(fn2, ",server=on <-> 127.0.0.1:"));
    exchange(chr, t, c, "tcp");
    close(c);
    wait_for(fe_closed, t, "tcp hang-up");
    fe_free(t);
    chardev_remove_all();
}

static void test_socket_client_reconnect(void)
{
    g_autofree char *path = tmp_path("srv.sock");
    int l = unix_listen(path);
    Chardev *chr = new_chardev("socket,id=cl,path=%s,reconnect-ms=20", path);
    TestFe *t = fe_new(chr);
    int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);

    g_assert_cmpint(c, >=, 0);
    g_assert_cmpuint(t->events[CHARDEV_EVENT_OPENED], ==, 1); /* connected at creation */
    exchange(chr, t, c, "1");
    close(c);
    wait_for(fe_closed, t, "server hang-up");
    /* The client comes back by itself (the connection waits in the backlog). */
    memset(t->events, 0, sizeof(t->events));
    wait_for(fe_opened, t, "reconnect");
    c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(c, >=, 0);
    exchange(chr, t, c, "2");
    g_assert_cmpstr(t->evlog->str, ==, "OCO");
    close(c);
    fe_free(t);
    chardev_remove_all();
    close(l);

    /* Without reconnect a missing server is an error. */
    g_autoptr(GError) err = NULL;
    g_autofree char *arg = g_strdup_printf("socket,id=c2,path=%s/none.sock", tmpdir);
    g_autofree char *want =
        g_strdup_printf("Failed to connect to '%s/none.sock': No such file or directory", tmpdir);
    g_assert_null(chardev_new_from_string(arg, &err));
    g_assert_cmpstr(err->message, ==, want);
}

static void test_socket_fd_listening(void)
{
    g_autofree char *path = tmp_path("libvirt-mon.sock");
    int l = unix_listen(path);
    /* As libvirt passes its monitor socket: fd=N,server=on,wait=off. */
    Chardev *chr = new_chardev("socket,id=charmonitor,fd=%d,server=on,wait=off", l);
    TestFe *t = fe_new(chr);
    int c = unix_connect(path);

    wait_for(fe_opened, t, "client on inherited fd");
    exchange(chr, t, c, "fd");
    close(c);
    fe_free(t);
    chardev_remove_all();
    g_assert_cmpint(fcntl(l, F_GETFD), <, 0); /* the chardev owned and closed it */
}

static bool write_ready_seen(void *arg)
{
    return ((TestFe *)arg)->write_ready > 0;
}

/* A peer that never reads: the chardev buffers up to its bound, then refuses; once the
 * peer reads, everything arrives in order and write_ready() fires. */
static void test_bounded_output(void)
{
    int sv[2];
    Chardev *chr;
    TestFe *t;
    uint8_t chunk[1000];
    size_t total = 0, n;
    const size_t limit = 8192;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    chr = new_chardev("socket,id=sp,fd=%d", sv[0]);
    chardev_set_out_limit(chr, limit);
    t = fe_new(chr);
    g_assert_cmpuint(t->events[CHARDEV_EVENT_OPENED], ==, 1);
    do {
        for (size_t i = 0; i < sizeof(chunk); i++) {
            chunk[i] = (uint8_t)((total + i) * 7);
        }
        n = chardev_write(chr, chunk, sizeof(chunk));
        total += n;
        g_assert_cmpuint(total, <, 16 * 1024 * 1024);
    } while (n == sizeof(chunk));
    g_assert_cmpuint(chardev_out_pending(chr), ==, limit);
    g_assert_cmpuint(chardev_write(chr, chunk, 1), ==, 0); /* full: nothing taken */
    g_assert_cmpuint(t->write_ready, ==, 0);

    g_autofree uint8_t *got = (uint8_t *)read_fd(sv[1], total);
    for (size_t i = 0; i < total; i++) {
        if (got[i] != (uint8_t)(i * 7)) {
            g_error("byte %zu of %zu is wrong", i, total);
        }
    }
    wait_for(write_ready_seen, t, "write_ready");
    g_assert_cmpuint(chardev_out_pending(chr), ==, 0);
    g_assert_cmpuint(chardev_write(chr, "ok", 2), ==, 2);
    g_autofree char *ok = read_fd(sv[1], 2);
    g_assert_cmpstr(ok, ==, "ok");

    /* Flow control the other way: a front end that cannot take input leaves it queued. */
    t->fifo = true;
    t->can = 0;
    write_fd(sv[1], "abcdef");
    drain();
    g_assert_cmpuint(t->rx->len, ==, 0);
    t->can = 4;
    chardev_accept_input(chr);
    wait_rx(t, 4);
    drain();
    assert_rx(t, "abcd");
    t->can = 100;
    chardev_accept_input(chr);
    wait_rx(t, 6);
    assert_rx(t, "abcdef");

    close(sv[1]);
    wait_for(fe_closed, t, "hang-up");
    fe_free(t);
    chardev_remove_all();
}

typedef struct WriterJob {
    Chardev *chr; /* where to write */
    size_t total; /* bytes to write */
} WriterJob;

/* A vCPU thread feeding a UART: writes a pattern, retrying when the chardev is full. */
static gpointer writer_thread(gpointer data)
{
    WriterJob *job = data;
    uint8_t buf[333];
    size_t done = 0;

    while (done < job->total) {
        size_t n = MIN(sizeof(buf), job->total - done);
        for (size_t i = 0; i < n; i++) {
            buf[i] = (uint8_t)((done + i) * 13 + 5);
        }
        size_t w = chardev_write(job->chr, buf, n);
        if (w == 0) {
            g_usleep(50);
        }
        done += w;
    }
    return NULL;
}

static void test_threaded_writes(void)
{
    int sv[2];
    WriterJob job = {.total = 512 * 1024};
    GThread *t;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    job.chr = new_chardev("socket,id=thr,fd=%d", sv[0]);
    chardev_set_out_limit(job.chr, 4096);
    t = g_thread_new("vcpu", writer_thread, &job);
    g_autofree uint8_t *got = (uint8_t *)read_fd(sv[1], job.total);
    g_thread_join(t);
    for (size_t i = 0; i < job.total; i++) {
        if (got[i] != (uint8_t)(i * 13 + 5)) {
            g_error("byte %zu is wrong", i);
        }
    }
    close(sv[1]);
    chardev_remove_all();
}

static gpointer connect_later_thread(gpointer data)
{
    const char *path = data;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    /* The path appears at bind(), a moment before listen(): retry until accepted. */
    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    while (g_get_monotonic_time() < deadline) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
            return GINT_TO_POINTER(fd);
        }
        close(fd);
        g_usleep(1000);
    }
    return GINT_TO_POINTER(-1);
}

/* server=on with wait=on (QEMU's default): creation returns once a client is there. */
static void test_socket_server_wait(void)
{
    g_autofree char *path = tmp_path("wait.sock");
    GThread *t = g_thread_new("client", connect_later_thread, path);
    Chardev *chr = new_chardev("socket,id=w,path=%s,server=on", path);
    int c = GPOINTER_TO_INT(g_thread_join(t));
    TestFe *fe = fe_new(chr);

    g_assert_cmpint(c, >=, 0);
    g_assert_true(chardev_is_connected(chr));
    g_assert_cmpstr(fe->evlog->str, ==, "O");
    exchange(chr, fe, c, "w");
    close(c);
    fe_free(fe);
    chardev_remove_all();
}

static void test_socket_tcp_client(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    Chardev *chr;
    TestFe *t;
    int c;

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(l, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    g_assert_cmpint(listen(l, 1), ==, 0);
    g_assert_cmpint(getsockname(l, (struct sockaddr *)&sin, &len), ==, 0);
    chr = new_chardev("socket,id=tc,host=127.0.0.1,port=%d", ntohs(sin.sin_port));
    t = fe_new(chr);
    c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(c, >=, 0);
    g_autofree char *fn = filename_of("tc");
    g_autofree char *want = g_strdup_printf("tcp:127.0.0.1:%d <-> ", ntohs(sin.sin_port));
    g_assert_true(g_str_has_prefix(fn, want));
    exchange(chr, t, c, "tcp-client");
    close(c);
    close(l);
    wait_for(fe_closed, t, "tcp server hang-up");
    fe_free(t);
    chardev_remove_all();
}

/* A TCP client with reconnect= starts before its server and finds it later. */
static void test_socket_tcp_reconnect(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    Chardev *chr;
    TestFe *t;
    int c;

    /* Pick a free port, then leave it closed while the client tries. */
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    g_assert_cmpint(bind(l, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    g_assert_cmpint(getsockname(l, (struct sockaddr *)&sin, &len), ==, 0);
    chr = new_chardev("socket,id=tr,host=127.0.0.1,port=%d,reconnect-ms=10", ntohs(sin.sin_port));
    t = fe_new(chr);
    for (int i = 0; i < 5; i++) {
        main_loop_iterate(true); /* a few refused attempts */
    }
    g_assert_false(chardev_is_connected(chr));
    g_assert_cmpint(listen(l, 1), ==, 0);
    wait_for(fe_opened, t, "tcp reconnect");
    c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(c, >=, 0);
    exchange(chr, t, c, "late");
    close(c);
    close(l);
    fe_free(t);
    chardev_remove_all();
}

static void test_logfile(void)
{
    g_autofree char *log = tmp_path("copy.log");
    g_autofree char *contents = NULL;
    Chardev *chr = new_chardev("ringbuf,id=lg,size=4,logfile=%s", log);

    chardev_write(chr, "all of it", 9); /* the ring keeps 4 bytes, the log all 9 */
    chardev_remove_all();
    g_assert_true(g_file_get_contents(log, &contents, NULL, NULL));
    g_assert_cmpstr(contents, ==, "all of it");
}

/* Ctrl-A t: output lines start with "[seconds.micros] ". */
static void test_mux_timestamps(void)
{
    int sv[2];
    Chardev *chr;
    TestFe *t;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    chr = new_chardev("socket,id=ts,fd=%d,mux=on", sv[0]);
    t = fe_new(chr);
    write_fd(sv[1], "\x01t");
    drain();
    chardev_write(chr, "a\nb", 3);
    g_autofree char *out = read_fd(sv[1], 2 * strlen("[0.000000] ") + 3);
    g_assert_true(g_regex_match_simple("^\\[0\\.\\d{6}\\] a\n\\[0\\.\\d{6}\\] b$", out, 0, 0));
    fe_free(t);
    chardev_remove_all();
    close(sv[1]);
}

static bool exit_requested(void *arg)
{
    return runstate_exit_requested();
}

static void test_mux(void)
{
    int sv[2];
    Chardev *chr;
    TestFe *serial, *monitor;

    runstate_reset_for_test();
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    chr = new_chardev("socket,id=mux0,fd=%d,mux=on", sv[0]);
    g_assert_nonnull(chardev_find("mux0-base"));
    serial = fe_new(chr);
    monitor = fe_new(chr);
    g_assert_cmpstr(serial->evlog->str, ==, "IO"); /* focus, then opened */
    g_assert_cmpstr(monitor->evlog->str, ==, "O");

    write_fd(sv[1], "ab");
    wait_rx(serial, 2);
    write_fd(sv[1], "\x01"
                    "c"
                    "xy");
    wait_rx(monitor, 2);
    assert_rx(serial, "ab");
    assert_rx(monitor, "xy");
    g_assert_cmpstr(serial->evlog->str, ==, "IOU");
    g_assert_cmpstr(monitor->evlog->str, ==, "OI");

    /* Ctrl-A Ctrl-A is one Ctrl-A; Ctrl-A b a break; unknown keys vanish. */
    write_fd(sv[1], "\x01\x01"
                    "\x01"
                    "b"
                    "\x01"
                    "z"
                    "!");
    wait_rx(monitor, 4);
    assert_rx(monitor, "xy\x01!");
    g_assert_cmpuint(monitor->events[CHARDEV_EVENT_BREAK], ==, 1);

    /* Back to the serial line, split across reads: the escape state survives. */
    write_fd(sv[1], "\x01");
    drain();
    write_fd(sv[1], "c"
                    "s");
    wait_rx(serial, 3);
    assert_rx(serial, "abs");

    /* Both front ends write to the same back end. */
    chardev_write(chr, "S", 1);
    chardev_write(chr, "M", 1);
    g_autofree char *out = read_fd(sv[1], 2);
    g_assert_cmpstr(out, ==, "SM");

    /* Ctrl-A h prints the help to the user. */
    write_fd(sv[1], "\x01h");
    g_autofree char *help = read_fd(sv[1], 10);
    g_assert_true(g_str_has_prefix(help, "\r\nC-a h"));
    while (main_loop_iterate(false)) {
    }
    char sink[4096];
    while (recv(sv[1], sink, sizeof(sink), MSG_DONTWAIT) > 0) {
    }

    /* Ctrl-A x asks the run-state machine to shut down (host-ui); it does not exit. */
    write_fd(sv[1], "\x01x");
    wait_for(exit_requested, NULL, "Ctrl-A x shutdown");
    g_assert_cmpint(runstate_exit_cause(), ==, SHUTDOWN_CAUSE_HOST_UI);
    runstate_reset_for_test();

    g_autoptr(GError) err = NULL;
    g_assert_false(chardev_remove("mux0", &err));
    g_assert_cmpstr(err->message, ==, "Chardev 'mux0' is busy");
    fe_free(serial);
    fe_free(monitor);
    g_assert_true(chardev_remove("mux0", NULL));
    g_assert_true(chardev_remove("mux0-base", NULL));
    close(sv[1]);
}

static int named_fd = -1;

static int resolve_fd(const char *name, GError **error)
{
    if (strcmp(name, "mon-fd") != 0) {
        g_set_error(error, g_quark_from_static_string("test"), 0,
                    "File descriptor named '%s' has not been found", name);
        return -1;
    }
    return named_fd;
}

/* fd=NAME goes through the monitor's table of named fds. */
static void test_socket_fd_named(void)
{
    int sv[2];
    g_autoptr(GError) err = NULL;
    Chardev *chr;
    TestFe *t;

    g_assert_null(chardev_new_from_string("socket,id=nm,fd=mon-fd", &err));
    g_assert_cmpstr(err->message, ==, "File descriptor named 'mon-fd' has not been found");
    g_clear_error(&err);
    chardev_set_fd_resolver(resolve_fd);
    g_assert_null(chardev_new_from_string("socket,id=nm,fd=other", &err));
    g_assert_cmpstr(err->message, ==, "File descriptor named 'other' has not been found");
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    named_fd = sv[0];
    chr = new_chardev("socket,id=nm,fd=mon-fd");
    t = fe_new(chr);
    exchange(chr, t, sv[1], "named");
    fe_free(t);
    chardev_remove_all();
    chardev_set_fd_resolver(NULL);
    close(sv[1]);
}

static void test_errors(void)
{
    g_autoptr(GError) err = NULL;
    Chardev *chr;
    TestFe *t;

    g_assert_null(chardev_new_from_string("serialport,id=x", &err));
    g_assert_cmpstr(err->message, ==, "'serialport' is not a valid char driver name");
    g_clear_error(&err);
    chr = new_chardev("null,id=dup");
    g_assert_null(chardev_new_from_string("null,id=dup", &err));
    g_assert_cmpstr(err->message, ==, "Chardev 'dup' already exists");
    g_clear_error(&err);
    t = fe_new(chr);
    g_assert_null(chardev_fe_attach(chr, &fe_ops, t, &err));
    g_assert_cmpstr(err->message, ==, "Device 'dup' is in use");
    g_clear_error(&err);
    g_assert_false(chardev_remove("dup", &err));
    g_assert_cmpstr(err->message, ==, "Chardev 'dup' is busy");
    g_clear_error(&err);
    fe_free(t);
    g_assert_true(chardev_remove("dup", NULL));
    g_assert_false(chardev_remove("dup", &err));
    g_assert_cmpstr(err->message, ==, "Chardev 'dup' not found");
    g_clear_error(&err);
    g_assert_null(chardev_new_from_string("socket,id=tn,host=localhost,port=1,telnet=on", &err));
    g_assert_cmpstr(err->message, ==, "chardev: socket: telnet is not supported");
    g_clear_error(&err);
    g_assert_null(chardev_new_from_string("socket,id=tn,fd=999", &err));
    g_assert_true(g_str_has_prefix(err->message, "File descriptor '999' is not a socket"));
    g_clear_error(&err);
    g_assert_null(chardev_new_from_string("socket,id=tn,server=on,reconnect=1,path=/x", &err));
    g_assert_cmpstr(err->message, ==, "'reconnect' option is incompatible with 'server' option");
    chardev_remove_all();
}

static void test_legacy_and_query(void)
{
    g_autofree char *path = tmp_path("serial.sock");
    g_autofree char *log = tmp_path("serial.log");
    g_autofree char *spec = g_strdup_printf("unix:%s,server=on,wait=off", path);
    g_autofree char *fspec = g_strdup_printf("file:%s", log);
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) q = NULL;

    g_assert_nonnull(chardev_new_legacy("serial0", spec, &err));
    g_assert_no_error(err);
    g_assert_nonnull(chardev_new_legacy("serial1", fspec, &err));
    g_assert_nonnull(chardev_new_legacy("mon0", "mon:null", &err));
    g_assert_nonnull(chardev_new_legacy("rb", "ringbuf", &err));
    g_assert_true(chardev_new_legacy("again", "chardev:rb", &err) == chardev_find("rb"));
    TestFe *t = fe_new(chardev_find("serial1"));
    chardev_fe_set_open(t->fe, false);

    q = chardev_query();
    g_assert_cmpuint(q->len, ==, 5);
    const char *labels[] = {"serial0", "serial1", "mon0-base", "mon0", "rb"};
    for (guint i = 0; i < q->len; i++) {
        ChardevInfo *info = q->pdata[i];
        g_assert_cmpstr(info->label, ==, labels[i]);
        /* Only the mux's own attachment to its base has the line open. */
        g_assert_cmpint(info->frontend_open, ==, i == 2);
    }
    g_autofree char *want = g_strdup_printf("disconnected:unix:%s,server=on", path);
    g_assert_cmpstr(((ChardevInfo *)q->pdata[0])->filename, ==, want);
    g_assert_cmpstr(((ChardevInfo *)q->pdata[2])->filename, ==, "null");
    g_assert_cmpstr(((ChardevInfo *)q->pdata[3])->filename, ==, "mux");

    g_assert_null(chardev_new_legacy("x", "tcp:nohostport", &err));
    g_assert_nonnull(err);
    fe_free(t);
    chardev_remove_all();
}

/* Puts a pty slave in place of fds 0 and 1 and returns the master; saves the old fds. */
static int stdio_on_pty(int saved[2], char **ret_slave)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    int slave;

    g_assert_cmpint(master, >=, 0);
    g_assert_cmpint(grantpt(master), ==, 0);
    g_assert_cmpint(unlockpt(master), ==, 0);
    *ret_slave = g_strdup(ptsname(master));
    slave = open(*ret_slave, O_RDWR | O_NOCTTY);
    g_assert_cmpint(slave, >=, 0);
    if (saved) {
        saved[0] = dup(0);
        saved[1] = dup(1);
    }
    dup2(slave, 0);
    dup2(slave, 1);
    close(slave);
    return master;
}

static bool is_canonical(int fd)
{
    struct termios tio;

    g_assert_cmpint(tcgetattr(fd, &tio), ==, 0);
    return (tio.c_lflag & (ICANON | ECHO)) == (ICANON | ECHO);
}

static void test_stdio(void)
{
    int saved[2];
    g_autofree char *slave = NULL;
    int master = stdio_on_pty(saved, &slave);
    g_autoptr(GError) err = NULL;
    Chardev *chr;
    TestFe *t;

    g_assert_true(is_canonical(0));
    chr = new_chardev("stdio,id=con,signal=off");
    g_assert_false(is_canonical(0)); /* raw */
    g_assert_null(chardev_new_from_string("stdio,id=con2", &err));
    g_assert_cmpstr(err->message, ==, "cannot use stdio by multiple character devices");
    t = fe_new(chr);
    /* Output processing stays on (as QEMU leaves it): "\n" reaches the screen as CR LF. */
    g_assert_cmpuint(chardev_write(chr, "boot\n", 5), ==, 5);
    g_autofree char *got = read_fd(master, 6);
    g_assert_cmpstr(got, ==, "boot\r\n");
    write_fd(master, "ls\r\x03"); /* CR stays CR, Ctrl-C is a byte with signal=off */
    wait_rx(t, 4);
    assert_rx(t, "ls\r\x03");
    fe_free(t);
    chardev_remove_all();
    g_assert_true(is_canonical(0)); /* restored */

    dup2(saved[0], 0);
    dup2(saved[1], 1);
    close(saved[0]);
    close(saved[1]);
    close(master);
}

/* A fatal signal still puts the terminal back. */
static void test_stdio_restore_on_signal(void)
{
    g_autofree char *slave = NULL;
    int saved[2];
    int master = stdio_on_pty(saved, &slave);
    pid_t pid;
    int status;

    g_assert_true(is_canonical(0));
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        if (!chardev_new_from_string("stdio,id=con", NULL) || is_canonical(0)) {
            _exit(2);
        }
        raise(SIGTERM);
        _exit(3);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGTERM);
    g_assert_true(is_canonical(0));
    dup2(saved[0], 0);
    dup2(saved[1], 1);
    close(saved[0]);
    close(saved[1]);
    close(master);
}

static bool tty_is_raw(void *arg)
{
    return !is_canonical(GPOINTER_TO_INT(arg));
}

/* Ctrl-Z, then fg: the shell restored its settings while we were stopped; SIGCONT makes
 * the terminal raw again. */
static void test_stdio_sigcont(void)
{
    g_autofree char *slave = NULL;
    int saved[2], ready[2];
    int master = stdio_on_pty(saved, &slave);
    struct termios cooked;
    pid_t pid;
    char c;
    int status;

    tcgetattr(0, &cooked);
    g_assert_cmpint(pipe(ready), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        if (!chardev_new_from_string("stdio,id=con", NULL)) {
            _exit(2);
        }
        c = 'r';
        if (write(ready[1], &c, 1) != 1) {
            _exit(3);
        }
        for (;;) {
            pause();
        }
    }
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    g_assert_false(is_canonical(0));
    kill(pid, SIGSTOP);
    g_assert_cmpint(waitpid(pid, &status, WUNTRACED), ==, pid);
    tcsetattr(0, TCSANOW, &cooked); /* what the shell does on a stop */
    kill(pid, SIGCONT);
    wait_for(tty_is_raw, GINT_TO_POINTER(0), "raw mode after SIGCONT");
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    tcsetattr(0, TCSANOW, &cooked);
    dup2(saved[0], 0);
    dup2(saved[1], 1);
    close(saved[0]);
    close(saved[1]);
    close(master);
    close(ready[0]);
    close(ready[1]);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("test-chardev-XXXXXX", NULL);
    g_test_add_func("/chardev/null", test_null);
    g_test_add_func("/chardev/ringbuf", test_ringbuf);
    g_test_add_func("/chardev/file", test_file);
    g_test_add_func("/chardev/pipe", test_pipe);
    g_test_add_func("/chardev/pty", test_pty);
    g_test_add_func("/chardev/socket/unix-server", test_socket_unix_server);
    g_test_add_func("/chardev/socket/tcp-server", test_socket_tcp_server);
    g_test_add_func("/chardev/socket/client-reconnect", test_socket_client_reconnect);
    g_test_add_func("/chardev/socket/fd-listening", test_socket_fd_listening);
    g_test_add_func("/chardev/socket/server-wait", test_socket_server_wait);
    g_test_add_func("/chardev/socket/fd-named", test_socket_fd_named);
    g_test_add_func("/chardev/stdio-sigcont", test_stdio_sigcont);
    g_test_add_func("/chardev/bounded-output", test_bounded_output);
    g_test_add_func("/chardev/threaded-writes", test_threaded_writes);
    g_test_add_func("/chardev/mux", test_mux);
    g_test_add_func("/chardev/mux-timestamps", test_mux_timestamps);
    g_test_add_func("/chardev/logfile", test_logfile);
    g_test_add_func("/chardev/socket/tcp-client", test_socket_tcp_client);
    g_test_add_func("/chardev/socket/tcp-reconnect", test_socket_tcp_reconnect);
    g_test_add_func("/chardev/errors", test_errors);
    g_test_add_func("/chardev/legacy-and-query", test_legacy_and_query);
    g_test_add_func("/chardev/stdio", test_stdio);
    g_test_add_func("/chardev/stdio-restore-on-signal", test_stdio_restore_on_signal);
    ret = g_test_run();
    chardev_remove_all();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        ret = 1;
    }
    g_free(tmpdir);
    return ret;
}
