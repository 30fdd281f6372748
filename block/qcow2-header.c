/*
 * qcow2 header: parsing and validation of the first cluster (fixed header, v3 fields,
 * header extensions, backing file name) and writing it back.
 *
 * qcow2_parse_header() is a pure function of the bytes it is given and the file size,
 * so the fuzzer can drive it directly. It bounds every offset and length it reads and
 * refuses what this implementation cannot handle safely with a message that names the
 * problem: unknown incompatible features (by name, from the image's own feature table
 * when it has one), encryption, external data files, out-of-range sizes.
 */
#include "block/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_HEADER_LEN 104
#define QCOW2_V3_WRITE_LEN  112 /* 104 + compression_type + padding, as QEMU writes */
#define FEATURE_ENTRY_LEN   48

static void read_fixed(const uint8_t *b, Qcow2Header *h)
{
    h->magic = be32_at(b);
    h->version = be32_at(b + 4);
    h->backing_file_offset = be64_at(b + 8);
    h->backing_file_size = be32_at(b + 16);
    h->cluster_bits = be32_at(b + 20);
    h->size = be64_at(b + 24);
    h->crypt_method = be32_at(b + 32);
    h->l1_size = be32_at(b + 36);
    h->l1_table_offset = be64_at(b + 40);
    h->refcount_table_offset = be64_at(b + 48);
    h->refcount_table_clusters = be32_at(b + 56);
    h->nb_snapshots = be32_at(b + 60);
    h->snapshots_offset = be64_at(b + 64);
}

static int read_v3(const uint8_t *b, size_t len, Qcow2Header *h, GError **errp)
{
    if (h->version == 2) {
        h->refcount_order = 4;
        h->header_length = QCOW2_V2_HEADER_LEN;
        return 0;
    }
    if (len < QCOW2_V3_HEADER_LEN) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "qcow2 v3 header is truncated");
        return -EINVAL;
    }
    h->incompatible_features = be64_at(b + 72);
    h->compatible_features = be64_at(b + 80);
    h->autoclear_features = be64_at(b + 88);
    h->refcount_order = be32_at(b + 96);
    h->header_length = be32_at(b + 100);
    if (h->header_length < QCOW2_V3_HEADER_LEN || h->header_length % 8 || h->header_length > len) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "qcow2 header_length %u is invalid",
                    h->header_length);
        return -EINVAL;
    }
    h->compression_type = h->header_length > 104 ? b[104] : 0;
    return 0;
}

static int check_basic(const Qcow2Header *h, size_t len, GError **errp)
{
    if (h->magic != QCOW2_MAGIC) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Image is not in qcow2 format");
        return -EINVAL;
    }
    if (h->version != 2 && h->version != 3) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Unsupported qcow2 version %u",
                    h->version);
        return -ENOTSUP;
    }
    if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS || h->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Unsupported cluster size: 2^%u (must be 512 B .. 2 MiB)", h->cluster_bits);
        return -EINVAL;
    }
    return 0;
}

static char *feature_name(const GByteArray *table, int type, int bit)
{
    for (guint i = 0; table && i + FEATURE_ENTRY_LEN <= table->len; i += FEATURE_ENTRY_LEN) {
        const uint8_t *e = table->data + i;
        if (e[0] == type && e[1] == bit) {
            return g_strndup((const char *)e + 2, FEATURE_ENTRY_LEN - 2);
        }
    }
    return g_strdup_printf("Unknown incompatible feature: %d", bit);
}

static int check_features(const Qcow2HeaderInfo *hi, GError **errp)
{
    const Qcow2Header *h = &hi->h;
    uint64_t unknown = h->incompatible_features & ~QCOW2_INCOMPAT_KNOWN;

    if (h->incompatible_features & QCOW2_INCOMPAT_DATA_FILE) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "qcow2 external data files are not supported");
        return -ENOTSUP;
    }
    if (unknown) {
        g_autoptr(GString) names = g_string_new(NULL);
        for (int bit = 0; bit < 64; bit++) {
            if (unknown & (1ULL << bit)) {
                g_autofree char *n = feature_name(hi->feature_table, 0, bit);
                g_string_append_printf(names, "%s%s", names->len ? ", " : "", n);
            }
        }
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Unsupported qcow2 feature(s): %s",
                    names->str);
        return -ENOTSUP;
    }
    if (h->crypt_method != 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Encrypted qcow2 images (crypt_method %u) are not supported", h->crypt_method);
        return -ENOTSUP;
    }
    bool has_ct = h->incompatible_features & QCOW2_INCOMPAT_COMPRESSION;
    if (has_ct ? h->compression_type != QCOW2_COMPRESSION_ZSTD : h->compression_type != 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Invalid qcow2 compression type %u",
                    h->compression_type);
        return -EINVAL;
    }
    if ((h->incompatible_features & QCOW2_INCOMPAT_EXTL2) && h->cluster_bits < 14) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Extended L2 entries need a cluster size of at least 16 KiB");
        return -EINVAL;
    }
    return 0;
}

static int check_table(uint64_t offset, uint64_t bytes, uint64_t cluster_size, uint64_t file_size,
                       const char *what, GError **errp)
{
    if (offset % cluster_size) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s offset 0x%" PRIx64 " is not cluster aligned", what, offset);
        return -EINVAL;
    }
    if (bytes && (offset == 0 || offset >= QCOW2_MAX_HOST_OFFSET || offset >= file_size ||
                  bytes > file_size - offset + cluster_size)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s at 0x%" PRIx64 " (%" PRIu64 " bytes) lies outside the image file", what,
                    offset, bytes);
        return -EINVAL;
    }
    return 0;
}

/* The header, L1 table, refcount table and snapshot table must not share a cluster. */
static int check_disjoint(const Qcow2Header *h, GError **errp)
{
    uint64_t cs = 1ULL << h->cluster_bits;
    struct {
        const char *name;
        uint64_t start, len;
    } t[] = {
        {"the header", 0, cs},
        {"the active L1 table", h->l1_table_offset, (uint64_t)h->l1_size * 8},
        {"the refcount table", h->refcount_table_offset, (uint64_t)h->refcount_table_clusters * cs},
        {"the snapshot table", h->snapshots_offset, h->nb_snapshots ? 40 : 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        for (size_t j = i + 1; j < G_N_ELEMENTS(t); j++) {
            uint64_t ai = t[i].start & ~(cs - 1), ae = t[i].start + t[i].len;
            uint64_t bi = t[j].start & ~(cs - 1), be = t[j].start + t[j].len;
            if (t[i].len && t[j].len && ai < be && bi < ae) {
                g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                            "qcow2 metadata overlap: %s overlaps %s", t[i].name, t[j].name);
                return -EINVAL;
            }
        }
    }
    return 0;
}

static int check_tables(const Qcow2Header *h, uint64_t file_size, GError **errp)
{
    uint64_t cs = 1ULL << h->cluster_bits;
    uint64_t l2_entries = cs / ((h->incompatible_features & QCOW2_INCOMPAT_EXTL2) ? 16 : 8);

    if (h->refcount_order > 6) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "refcount_order %u is invalid (at most 6)", h->refcount_order);
        return -EINVAL;
    }
    if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Active L1 table too large (%u entries)", h->l1_size);
        return -EFBIG;
    }
    uint64_t clusters = h->size / cs + (h->size % cs != 0);
    if (h->size > (1ULL << 62) ||
        clusters / l2_entries + (clusters % l2_entries != 0) > h->l1_size) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "L1 table of %u entries is too small for a %" PRIu64 " byte image", h->l1_size,
                    h->size);
        return -EINVAL;
    }
    if ((uint64_t)h->refcount_table_clusters * cs > QCOW2_MAX_RT_BYTES ||
        h->refcount_table_clusters == 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Refcount table size of %u clusters is invalid", h->refcount_table_clusters);
        return -EINVAL;
    }
    if (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Too many snapshots (%u)",
                    h->nb_snapshots);
        return -EFBIG;
    }
    int ret = check_table(h->l1_table_offset, (uint64_t)h->l1_size * 8, cs, file_size,
                          "Active L1 table", errp);
    if (ret == 0) {
        ret = check_table(h->refcount_table_offset, (uint64_t)h->refcount_table_clusters * cs, cs,
                          file_size, "Refcount table", errp);
    }
    if (ret == 0) {
        ret = check_table(h->snapshots_offset, h->nb_snapshots ? 40 : 0, cs, file_size,
                          "Snapshot table", errp);
    }
    return ret < 0 ? ret : check_disjoint(h, errp);
}

static int parse_one_ext(Qcow2HeaderInfo *hi, uint32_t type, const uint8_t *data, uint32_t len,
                         GError **errp)
{
    switch (type) {
    case QCOW2_EXT_BACKING_FORMAT:
        if (len > 1023) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Backing format too long");
            return -EINVAL;
        }
        g_free(hi->backing_format);
        hi->backing_format = g_strndup((const char *)data, len);
        return 0;
    case QCOW2_EXT_FEATURE_TABLE:
        if (!hi->feature_table) {
            hi->feature_table = g_byte_array_new();
        }
        g_byte_array_append(hi->feature_table, data, len - len % FEATURE_ENTRY_LEN);
        return 0;
    default: {
        uint8_t hdr[8];
        be32_put(hdr, type);
        be32_put(hdr + 4, len);
        if (!hi->unknown_ext) {
            hi->unknown_ext = g_byte_array_new();
        }
        g_byte_array_append(hi->unknown_ext, hdr, 8);
        g_byte_array_append(hi->unknown_ext, data, len);
        static const uint8_t pad[8];
        g_byte_array_append(hi->unknown_ext, pad, (8 - len % 8) % 8);
        return 0;
    }
    }
}

static int parse_exts(const uint8_t *buf, size_t len, Qcow2HeaderInfo *hi, GError **errp)
{
    uint64_t off = hi->h.header_length;
    uint64_t end = len;

    if (hi->h.backing_file_offset > off && hi->h.backing_file_offset < end) {
        end = hi->h.backing_file_offset;
    }
    while (off + 8 <= end) {
        uint32_t type = be32_at(buf + off);
        uint32_t elen = be32_at(buf + off + 4);
        if (type == QCOW2_EXT_END) {
            return 0;
        }
        if (elen > end - off - 8) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "qcow2 header extension 0x%08x overruns the header", type);
            return -EINVAL;
        }
        int ret = parse_one_ext(hi, type, buf + off + 8, elen, errp);
        if (ret < 0) {
            return ret;
        }
        off += 8 + ((uint64_t)elen + 7) / 8 * 8;
    }
    return 0;
}

static int parse_backing(const uint8_t *buf, size_t len, Qcow2HeaderInfo *hi, GError **errp)
{
    const Qcow2Header *h = &hi->h;

    if (h->backing_file_offset == 0) {
        return 0;
    }
    if (h->backing_file_size > QCOW2_MAX_BACKING_NAME || h->backing_file_size == 0 ||
        h->backing_file_offset > len || h->backing_file_size > len - h->backing_file_offset) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Backing file name (offset %" PRIu64 ", %u bytes) is invalid",
                    h->backing_file_offset, h->backing_file_size);
        return -EINVAL;
    }
    hi->backing_file = g_strndup((const char *)buf + h->backing_file_offset, h->backing_file_size);
    return 0;
}

int qcow2_parse_header(const uint8_t *buf, size_t len, uint64_t file_size, Qcow2HeaderInfo *ret_hi,
                       GError **errp)
{
    Qcow2HeaderInfo hi = {0};

    if (len < QCOW2_V2_HEADER_LEN) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "qcow2 header is truncated");
        return -EINVAL;
    }
    read_fixed(buf, &hi.h);
    int ret = check_basic(&hi.h, len, errp);
    if (ret == 0) {
        /* Everything else lives in the first cluster. */
        len = MIN(len, (size_t)1 << hi.h.cluster_bits);
        ret = read_v3(buf, len, &hi.h, errp);
    }
    if (ret == 0) {
        ret = parse_exts(buf, len, &hi, errp);
    }
    if (ret == 0) {
        ret = check_features(&hi, errp);
    }
    if (ret == 0) {
        ret = check_tables(&hi.h, file_size, errp);
    }
    if (ret == 0) {
        ret = parse_backing(buf, len, &hi, errp);
    }
    if (ret < 0) {
        qcow2_header_info_clear(&hi);
        return ret;
    }
    *ret_hi = hi;
    return 0;
}

void qcow2_header_info_clear(Qcow2HeaderInfo *hi)
{
    g_clear_pointer(&hi->backing_file, g_free);
    g_clear_pointer(&hi->backing_format, g_free);
    g_clear_pointer(&hi->feature_table, g_byte_array_unref);
    g_clear_pointer(&hi->unknown_ext, g_byte_array_unref);
}

static void write_fixed(const Qcow2Header *h, uint8_t *b)
{
    be32_put(b, QCOW2_MAGIC);
    be32_put(b + 4, h->version);
    be64_put(b + 8, h->backing_file_offset);
    be32_put(b + 16, h->backing_file_size);
    be32_put(b + 20, h->cluster_bits);
    be64_put(b + 24, h->size);
    be32_put(b + 32, h->crypt_method);
    be32_put(b + 36, h->l1_size);
    be64_put(b + 40, h->l1_table_offset);
    be64_put(b + 48, h->refcount_table_offset);
    be32_put(b + 56, h->refcount_table_clusters);
    be32_put(b + 60, h->nb_snapshots);
    be64_put(b + 64, h->snapshots_offset);
    if (h->version >= 3) {
        be64_put(b + 72, h->incompatible_features);
        be64_put(b + 80, h->compatible_features);
        be64_put(b + 88, h->autoclear_features);
        be32_put(b + 96, h->refcount_order);
        be32_put(b + 100, QCOW2_V3_WRITE_LEN);
        b[104] = h->compression_type;
    }
}

static const struct {
    uint8_t type, bit;
    const char *name;
} feature_names[] = {
    {0, 0, "dirty bit"},        {0, 1, "corrupt bit"},         {0, 2, "external data file"},
    {0, 3, "compression type"}, {0, 4, "extended L2 entries"}, {1, 0, "lazy refcounts"},
    {2, 0, "bitmaps"},          {2, 1, "raw external data"},
};

static size_t put_ext(uint8_t *p, uint32_t type, const void *data, uint32_t len)
{
    be32_put(p, type);
    be32_put(p + 4, len);
    memcpy(p + 8, data, len);
    size_t padded = ((size_t)len + 7) / 8 * 8;
    memset(p + 8 + len, 0, padded - len);
    return 8 + padded;
}

static size_t feature_table_len(void)
{
    return 8 + G_N_ELEMENTS(feature_names) * FEATURE_ENTRY_LEN;
}

static size_t put_feature_table(uint8_t *p)
{
    uint8_t t[G_N_ELEMENTS(feature_names) * FEATURE_ENTRY_LEN] = {0};

    for (size_t i = 0; i < G_N_ELEMENTS(feature_names); i++) {
        uint8_t *e = t + i * FEATURE_ENTRY_LEN;
        e[0] = feature_names[i].type;
        e[1] = feature_names[i].bit;
        strncpy((char *)e + 2, feature_names[i].name, FEATURE_ENTRY_LEN - 2);
    }
    return put_ext(p, QCOW2_EXT_FEATURE_TABLE, t, sizeof(t));
}

int qcow2_build_header(const Qcow2HeaderInfo *hi, uint64_t cluster_size, uint8_t *buf)
{
    Qcow2Header h = hi->h;
    size_t bf_len = hi->backing_format ? strlen(hi->backing_format) : 0;
    size_t bn_len = hi->backing_file ? strlen(hi->backing_file) : 0;
    size_t unk = hi->unknown_ext ? hi->unknown_ext->len : 0;
    size_t off = h.version >= 3 ? QCOW2_V3_WRITE_LEN : QCOW2_V2_HEADER_LEN;
    size_t need = off + (bf_len ? 8 + (bf_len + 7) / 8 * 8 : 0) + unk + 8 + bn_len;
    bool with_table = h.version >= 3 && need + feature_table_len() <= cluster_size;

    if (need > cluster_size || bn_len > QCOW2_MAX_BACKING_NAME) {
        return -ENOSPC;
    }
    memset(buf, 0, cluster_size);
    if (bf_len) {
        off += put_ext(buf + off, QCOW2_EXT_BACKING_FORMAT, hi->backing_format, bf_len);
    }
    if (with_table) {
        off += put_feature_table(buf + off);
    }
    if (unk) {
        memcpy(buf + off, hi->unknown_ext->data, unk);
        off += unk;
    }
    off += 8; /* end of extensions: already zero */
    h.backing_file_offset = bn_len ? off : 0;
    h.backing_file_size = bn_len;
    memcpy(buf + off, hi->backing_file ? hi->backing_file : "", bn_len);
    write_fixed(&h, buf);
    return (int)(off + bn_len);
}

int qcow2_write_header(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *buf = g_malloc(s->cluster_size);

    int len = qcow2_build_header(&s->hi, s->cluster_size, buf);
    if (len < 0) {
        return len;
    }
    s->hi.h.backing_file_offset = be64_at(buf + 8);
    s->hi.h.backing_file_size = be32_at(buf + 16);
    if (s->hi.h.version >= 3) {
        s->hi.h.header_length = QCOW2_V3_WRITE_LEN;
    }
    uint64_t wlen = MIN(s->cluster_size, ((uint64_t)len + 511) / 512 * 512);
    return qcow2_pwrite_meta(bs, QCOW2_OL_HEADER, 0, buf, wlen);
}

int qcow2_update_incompat(BlockDriverState *bs, uint64_t set, uint64_t clear)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t b[8];

    if (s->hi.h.version < 3) {
        return 0;
    }
    uint64_t v = (s->hi.h.incompatible_features | set) & ~clear;
    if (v == s->hi.h.incompatible_features) {
        return 0;
    }
    be64_put(b, v);
    int ret = bdrv_pwrite(bs->file, 72, 8, b, 0);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret == 0) {
        s->hi.h.incompatible_features = v;
    }
    return ret;
}

/* Library code does not log: the reason is kept for the caller to show. */
void qcow2_mark_corrupt(BlockDriverState *bs, const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    va_list ap;

    if (s->corrupt) {
        return;
    }
    s->corrupt = true;
    va_start(ap, fmt);
    s->corrupt_reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!bs->read_only) {
        qcow2_update_incompat(bs, QCOW2_INCOMPAT_CORRUPT, 0);
    }
}
