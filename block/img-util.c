/*
 * vmd-img helpers shared by the commands: sizes with suffixes, -o option lists, image
 * creation for create and convert, opening, and the progress line.
 */
#include "block/img.h"
#include "block/qcow2.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void img_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("vmd-img: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

bool img_parse_size(const char *s, uint64_t *ret)
{
    char *end = NULL;

    if (!s || !*s || *s == '-') {
        return false;
    }
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0) {
        return false;
    }
    uint64_t mult = 1;
    switch (*end) {
    case 'T':
    case 't':
        mult <<= 10; /* fall through */
    case 'G':
    case 'g':
        mult <<= 10; /* fall through */
    case 'M':
    case 'm':
        mult <<= 10; /* fall through */
    case 'K':
    case 'k':
        mult <<= 10;
        end++;
        break;
    case 'B':
    case 'b':
        end++;
        break;
    case '\0':
        break;
    default:
        return false;
    }
    if (*end != '\0' || v * (double)mult >= 9.2e18) {
        return false;
    }
    double bytes = v * (double)mult;
    if (bytes != (double)(uint64_t)bytes) {
        return false; /* fractions of a byte */
    }
    *ret = (uint64_t)bytes;
    return true;
}

GHashTable *img_opts_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

bool img_parse_opts(GHashTable *opts, const char *s)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);

    for (char **p = parts; *p; p++) {
        if (!**p) {
            continue;
        }
        char *eq = strchr(*p, '=');
        if (!eq) {
            img_error("Invalid option '%s': expected key=value", *p);
            return false;
        }
        g_hash_table_replace(opts, g_strndup(*p, eq - *p), g_strdup(eq + 1));
    }
    return true;
}

static const char *take(GHashTable *opts, const char *key)
{
    return opts ? g_hash_table_lookup(opts, key) : NULL;
}

static bool opt_bool(const char *v, bool *ret)
{
    if (!v) {
        return true;
    }
    if (!strcmp(v, "on") || !strcmp(v, "true")) {
        *ret = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "false")) {
        *ret = false;
    } else {
        return false;
    }
    return true;
}

static bool qcow2_opts(GHashTable *opts, Qcow2CreateOpts *o, GError **errp)
{
    const char *v;
    uint64_t n;

    o->cluster_size = 65536;
    o->version = 3;
    o->refcount_bits = 16;
    if ((v = take(opts, "cluster_size")) && (!img_parse_size(v, &n) || n > UINT32_MAX)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Invalid cluster_size '%s'", v);
        return false;
    }
    o->cluster_size = v ? (uint32_t)n : o->cluster_size;
    if ((v = take(opts, "compat"))) {
        if (!strcmp(v, "0.10") || !strcmp(v, "v2")) {
            o->version = 2;
        } else if (strcmp(v, "1.1") && strcmp(v, "v3")) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Invalid compat '%s'", v);
            return false;
        }
    }
    if ((v = take(opts, "refcount_bits"))) {
        o->refcount_bits = (uint32_t)g_ascii_strtoull(v, NULL, 10);
    }
    o->backing_file = take(opts, "backing_file");
    o->backing_fmt = take(opts, "backing_fmt");
    if ((v = take(opts, "compression_type"))) {
        if (!strcmp(v, "zstd")) {
            o->compression_type = QCOW2_COMPRESSION_ZSTD;
        } else if (strcmp(v, "zlib")) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Invalid compression_type '%s'", v);
            return false;
        }
    }
    if (!opt_bool(take(opts, "lazy_refcounts"), &o->lazy_refcounts) ||
        !opt_bool(take(opts, "extended_l2"), &o->extended_l2)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Invalid boolean option value");
        return false;
    }
    return true;
}

static const char *const qcow2_keys[] = {
    "cluster_size",   "compat",      "refcount_bits",
    "backing_file",   "backing_fmt", "compression_type",
    "lazy_refcounts", "extended_l2", "size",
    "preallocation",  NULL,
};

static bool check_keys(GHashTable *opts, const char *fmt, GError **errp)
{
    GHashTableIter it;
    gpointer key;

    if (!opts) {
        return true;
    }
    g_hash_table_iter_init(&it, opts);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        bool known = strcmp(fmt, "raw") == 0 ? !strcmp(key, "size") || !strcmp(key, "preallocation")
                                             : g_strv_contains(qcow2_keys, key);
        if (!known) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "Invalid parameter '%s' for format %s", (char *)key, fmt);
            return false;
        }
    }
    const char *p = take(opts, "preallocation");
    if (p && strcmp(p, "off")) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "preallocation=%s is not supported", p);
        return false;
    }
    return true;
}

static bool create_raw(const char *filename, uint64_t size, GError **errp)
{
    g_autoptr(BlockDriverState) f =
        bdrv_open_protocol(&bdrv_file, filename, BDRV_O_RDWR | BDRV_O_CREATE, errp);
    if (!f) {
        return false;
    }
    int ret = bdrv_truncate(f, 0);
    if (ret == 0) {
        ret = bdrv_truncate(f, size);
    }
    if (ret < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_IO, "Could not resize file: %s",
                    g_strerror(-ret));
        return false;
    }
    return true;
}

bool img_create_image(const char *filename, const char *fmt, uint64_t size, GHashTable *opts,
                      bool quiet, GError **errp)
{
    if (!check_keys(opts, fmt, errp)) {
        return false;
    }
    if (!quiet) {
        printf("Formatting '%s', fmt=%s size=%" PRIu64 "\n", filename, fmt, size);
    }
    if (!strcmp(fmt, "raw")) {
        return create_raw(filename, size, errp);
    }
    if (strcmp(fmt, "qcow2")) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Format '%s' does not support image creation", fmt);
        return false;
    }
    Qcow2CreateOpts o = {.size = size};
    if (!qcow2_opts(opts, &o, errp)) {
        return false;
    }
    return qcow2_create(filename, &o, errp) == 0;
}

BlockDriverState *img_open(const char *filename, const char *fmt, int flags, GError **errp)
{
    bdrv_register_builtin();
    if (fmt && !bdrv_find_format(fmt)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Unknown file format '%s'", fmt);
        return NULL;
    }
    return bdrv_open(filename, fmt, NULL, flags, errp);
}

char *img_size_to_str(uint64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    int i = 0;

    while (v >= 1024 && i < 6) {
        v /= 1024;
        i++;
    }
    if (i == 0) {
        return g_strdup_printf("%" PRIu64 " B", bytes);
    }
    return g_strdup_printf("%0.3g %s", v, units[i]);
}

void img_progress(bool enabled, double percent)
{
    if (enabled) {
        printf("    (%3.2f/100%%)\r", percent);
        fflush(stdout);
    }
}

bool img_buffer_is_zero(const uint8_t *buf, size_t len)
{
    if (len == 0) {
        return true;
    }
    if (buf[0]) {
        return false;
    }
    return memcmp(buf, buf + 1, len - 1) == 0;
}
