/*
 * The simple back ends: null (drops output, never has input), file (output to a file,
 * optional input from input-path=) and pipe (PATH.in/PATH.out FIFOs, or PATH both
 * ways), all on the core's fd machinery.
 */
#include "vm-core/chardev-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <unistd.h>

#define ERR(error, ...) g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, __VA_ARGS__)

static bool null_open(Chardev *chr, const Opts *opts, GError **error)
{
    chr->filename = g_strdup("null");
    chr->connected = true;
    return true;
}

static size_t null_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    return len;
}

const ChardevClass chardev_null_class = {
    .name = "null",
    .instance_size = sizeof(Chardev),
    .open = null_open,
    .write = null_write,
};

static int open_cloexec(const char *path, int flags, GError **error)
{
    int fd = open(path, flags | O_CLOEXEC, 0666);

    if (fd < 0) {
        ERR(error, "Could not open '%s': %s", path, g_strerror(errno));
    }
    return fd;
}

static bool file_open(Chardev *chr, const Opts *opts, GError **error)
{
    const char *path = NULL;
    const char *in_path = NULL;
    bool append = false;
    int out, in = -1;

    if (!opts_get_str(opts, "path", NULL, &path, error) ||
        !opts_get_str(opts, "input-path", NULL, &in_path, error) ||
        !opts_get_bool(opts, "append", false, &append, error)) {
        return false;
    }
    if (!path) {
        ERR(error, "chardev: file: no filename given");
        return false;
    }
    out = open_cloexec(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), error);
    if (out < 0) {
        return false;
    }
    if (in_path) {
        in = open_cloexec(in_path, O_RDONLY, error);
        if (in < 0) {
            close(out);
            return false;
        }
    }
    chr->filename = g_strdup("file"); /* QEMU shows no path here */
    chardev_set_fds(chr, in, out);
    chr->connected = true;
    return true;
}

/* A regular file at EOF stays readable: stop polling input, keep writing. */
static void file_hangup(Chardev *chr)
{
    chardev_set_fds(chr, -1, chr->out_fd);
}

const ChardevClass chardev_file_class = {
    .name = "file",
    .instance_size = sizeof(Chardev),
    .open = file_open,
    .hangup = file_hangup,
};

static bool pipe_open(Chardev *chr, const Opts *opts, GError **error)
{
    const char *path = NULL;
    int in, out;

    if (!opts_get_str(opts, "path", NULL, &path, error)) {
        return false;
    }
    if (!path) {
        ERR(error, "chardev: pipe: no filename given");
        return false;
    }
    g_autofree char *in_path = g_strdup_printf("%s.in", path);
    g_autofree char *out_path = g_strdup_printf("%s.out", path);
    /* O_RDWR: opening a FIFO this way neither blocks nor sees EOF when writers leave. */
    in = open(in_path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    out = open(out_path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (in < 0 || out < 0) {
        if (in >= 0) {
            close(in);
        }
        if (out >= 0) {
            close(out);
        }
        in = out = open_cloexec(path, O_RDWR | O_NONBLOCK, error);
        if (in < 0) {
            return false;
        }
    }
    chr->filename = g_strdup("pipe");
    chardev_set_fds(chr, in, out);
    chr->connected = true;
    return true;
}

const ChardevClass chardev_pipe_class = {
    .name = "pipe",
    .instance_size = sizeof(Chardev),
    .open = pipe_open,
    .hangup = file_hangup,
};
