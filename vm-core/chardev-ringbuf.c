/*
 * The ringbuf back end (-chardev ringbuf,id=x,size=N; "memory" is QEMU's old name): the
 * front end's output goes into a ring of size bytes (a power of two) that overwrites its
 * oldest bytes, and QMP ringbuf-read takes them out. ringbuf-write puts bytes into the
 * same ring, as QEMU does. The ring never refuses a write, so a guest never stalls on it.
 */
#include "vm-core/chardev-internal.h"

#include <gio/gio.h>
#include <string.h>

#define ERR(error, ...) g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, __VA_ARGS__)

#define RINGBUF_DEFAULT_SIZE (64 * 1024)
#define RINGBUF_MAX_SIZE     (1ULL << 30)

typedef struct RingbufChardev {
    Chardev parent;
    uint8_t *buf;  /* the ring */
    size_t size;   /* its size, a power of two */
    uint64_t prod; /* bytes ever written */
    uint64_t cons; /* bytes ever read or overwritten */
} RingbufChardev;

static bool ringbuf_open(Chardev *chr, const Opts *opts, GError **error)
{
    RingbufChardev *d = (RingbufChardev *)chr;
    uint64_t size = RINGBUF_DEFAULT_SIZE;

    if (opts && !opts_get_size(opts, "size", RINGBUF_DEFAULT_SIZE, &size, error)) {
        return false;
    }
    if (size == 0 || (size & (size - 1)) || size > RINGBUF_MAX_SIZE) {
        ERR(error, "size of ringbuf chardev must be power of two");
        return false;
    }
    d->size = size;
    d->buf = g_malloc0(size);
    chr->filename = g_strdup("ringbuf");
    chr->connected = true;
    return true;
}

static void ringbuf_finalize(Chardev *chr)
{
    g_free(((RingbufChardev *)chr)->buf);
}

static size_t ringbuf_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    RingbufChardev *d = (RingbufChardev *)chr;

    g_mutex_lock(&chr->lock);
    for (size_t i = 0; i < len; i++) {
        d->buf[d->prod++ & (d->size - 1)] = buf[i];
    }
    if (d->prod - d->cons > d->size) {
        d->cons = d->prod - d->size;
    }
    g_mutex_unlock(&chr->lock);
    return len;
}

static size_t ringbuf_take(RingbufChardev *d, uint8_t *out, size_t len)
{
    size_t n;

    g_mutex_lock(&d->parent.lock);
    n = MIN(len, d->prod - d->cons);
    for (size_t i = 0; i < n; i++) {
        out[i] = d->buf[d->cons++ & (d->size - 1)];
    }
    g_mutex_unlock(&d->parent.lock);
    return n;
}

const ChardevClass chardev_ringbuf_class = {
    .name = "ringbuf",
    .instance_size = sizeof(RingbufChardev),
    .open = ringbuf_open,
    .finalize = ringbuf_finalize,
    .write = ringbuf_write,
};

static RingbufChardev *ringbuf_find(const char *id, GError **error)
{
    Chardev *chr = chardev_find(id);

    if (!chr) {
        ERR(error, "Device '%s' not found", id);
        return NULL;
    }
    if (chr->cls != &chardev_ringbuf_class) {
        ERR(error, "%s is not a ringbuf device", id);
        return NULL;
    }
    return (RingbufChardev *)chr;
}

char *chardev_ringbuf_read(const char *id, uint64_t size, ChardevDataFormat format, GError **error)
{
    RingbufChardev *d = ringbuf_find(id, error);
    g_autofree uint8_t *data = NULL;
    size_t n;

    if (!d) {
        return NULL;
    }
    if ((int64_t)size <= 0) {
        ERR(error, "size must be greater than zero");
        return NULL;
    }
    size = MIN(size, d->size);
    data = g_malloc(size);
    n = ringbuf_take(d, data, size);
    if (format == CHARDEV_DATA_FORMAT_BASE64) {
        return g_base64_encode(data, n);
    }
    /* JSON strings carry text: invalid UTF-8 and NULs become U+FFFD. */
    for (size_t i = 0; i < n; i++) {
        if (data[i] == 0) {
            data[i] = 0xff;
        }
    }
    return g_utf8_make_valid((const char *)data, n);
}

bool chardev_ringbuf_write(const char *id, const char *data, ChardevDataFormat format,
                           GError **error)
{
    RingbufChardev *d = ringbuf_find(id, error);
    g_autofree uint8_t *decoded = NULL;
    size_t len;

    if (!d) {
        return false;
    }
    if (format == CHARDEV_DATA_FORMAT_BASE64) {
        decoded = g_base64_decode(data, &len);
        chardev_write(&d->parent, decoded, len);
    } else {
        chardev_write(&d->parent, data, strlen(data));
    }
    return true;
}
