/*
 * qcow2: internal interface shared by the qcow2-*.c files.
 *
 * The on-disk format is QEMU's docs/interop/qcow2.txt. In memory we keep the header,
 * the active L1 table and the refcount table; L2 tables and refcount blocks go through
 * two write-back caches (qcow2-cache.c). The L2 cache depends on the refcount cache:
 * before a dirty L2 table is written, every dirty refcount block is written and flushed,
 * so an L2 entry on disk never points at a cluster whose refcount is still 0 there.
 * Every metadata write first passes qcow2_check_overlap(); a write that would land on
 * other metadata marks the image corrupt and fails instead.
 */
#pragma once

#include "block/block.h"

#include <stdint.h>

#define QCOW2_MAGIC            0x514649fbU
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_L1_BYTES     (32u << 20) /* QEMU's limit too */
#define QCOW2_MAX_RT_BYTES     (8u << 20)  /* refcount table limit, as QEMU */
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_SNAPSHOTS    65536
#define QCOW2_MAX_HOST_OFFSET  (1ULL << 56)

#define QCOW2_INCOMPAT_DIRTY       (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT     (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE   (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2       (1ULL << 4)
#define QCOW2_INCOMPAT_KNOWN                                                                       \
    (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_COMPRESSION |                  \
     QCOW2_INCOMPAT_EXTL2)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)
#define QCOW2_AUTOCLEAR_KNOWN       0ULL /* bitmaps and raw data file are not implemented */

#define QCOW2_EXT_END            0x00000000U
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU
#define QCOW2_EXT_FEATURE_TABLE  0x6803f857U

#define QCOW2_OFLAG_COPIED     (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_OFLAG_ZERO       1ULL
#define QCOW2_L1E_OFFSET_MASK  0x00fffffffffffe00ULL
#define QCOW2_L2E_OFFSET_MASK  0x00fffffffffffe00ULL
#define QCOW2_REFT_OFFSET_MASK 0xfffffffffffffe00ULL

enum { QCOW2_COMPRESSION_ZLIB = 0, QCOW2_COMPRESSION_ZSTD = 1 };

typedef struct Qcow2Header {
    uint32_t magic;
    uint32_t version;
    uint64_t backing_file_offset;
    uint32_t backing_file_size;
    uint32_t cluster_bits;
    uint64_t size;
    uint32_t crypt_method;
    uint32_t l1_size;
    uint64_t l1_table_offset;
    uint64_t refcount_table_offset;
    uint32_t refcount_table_clusters;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    uint32_t refcount_order;
    uint32_t header_length;
    uint8_t compression_type;
} Qcow2Header;

/* What the header and its extensions say, parsed from the first cluster. */
typedef struct Qcow2HeaderInfo {
    Qcow2Header h;
    char *backing_file;        /* NULL when none */
    char *backing_format;      /* NULL when no extension */
    GByteArray *feature_table; /* raw feature name table, for messages */
    GByteArray *unknown_ext;   /* unknown extensions, kept verbatim for header rewrites */
} Qcow2HeaderInfo;

typedef struct Qcow2Cache Qcow2Cache;

typedef struct Qcow2Snapshot {
    uint64_t l1_table_offset;
    uint32_t l1_size;
    char *id_str;
    char *name;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    uint64_t disk_size;
    uint64_t icount;
    GByteArray *extra_unknown; /* extra data past the fields we know */
} Qcow2Snapshot;

typedef struct BDRVQcow2State {
    Qcow2HeaderInfo hi; /* header as on disk (kept in sync on every rewrite) */
    uint32_t cluster_bits;
    uint64_t cluster_size;
    uint32_t l2_bits; /* log2 of entries per L2 table */
    uint64_t l2_entries;
    uint32_t l2_entry_size; /* 8, or 16 with extended L2 entries */
    bool extended_l2;
    uint64_t *l1_table; /* host-endian copy of the active L1 table */
    uint32_t l1_size;
    uint64_t *refcount_table; /* host-endian copy of the refcount table */
    uint64_t rt_entries;
    uint32_t refcount_order;
    uint32_t refblock_bits; /* log2 of entries per refcount block */
    uint64_t refcount_max;
    Qcow2Cache *l2_cache;
    Qcow2Cache *rb_cache;
    uint64_t free_cluster_hint; /* no free cluster below this index */
    uint32_t csize_shift;       /* compressed descriptor: sector count position */
    uint64_t csize_mask;
    uint64_t coffset_mask;
    int compression_type;
    bool corrupt;             /* refuse further writes */
    char *corrupt_reason;     /* why, for the user (NULL when not corrupt) */
    bool marked_dirty;        /* we set the dirty bit on open */
    uint64_t compress_cursor; /* next free byte in the current compressed cluster, or 0 */
    Qcow2Snapshot *snapshots;
    uint32_t nb_snapshots;
    uint64_t snapshots_size; /* bytes of the snapshot table on disk */
    uint8_t *ccache;         /* last decompressed cluster */
    uint64_t ccache_entry;   /* its L2 entry, 0 when empty */
} BDRVQcow2State;

/* Field (un)packing: qcow2 is big-endian. */
static inline uint64_t be64_at(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}
static inline uint32_t be32_at(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint16_t be16_at(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline void be64_put(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}
static inline void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void be16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* qcow2-header.c */
int qcow2_parse_header(const uint8_t *buf, size_t len, uint64_t file_size, Qcow2HeaderInfo *ret_hi,
                       GError **errp);
void qcow2_header_info_clear(Qcow2HeaderInfo *hi);
/* Serialise header + extensions + backing name into a buffer of cluster_size bytes. */
int qcow2_build_header(const Qcow2HeaderInfo *hi, uint64_t cluster_size, uint8_t *buf);
int qcow2_write_header(BlockDriverState *bs);
int qcow2_update_incompat(BlockDriverState *bs, uint64_t set, uint64_t clear);
void qcow2_mark_corrupt(BlockDriverState *bs, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* qcow2-cache.c */
Qcow2Cache *qcow2_cache_new(BlockDriverState *bs, int nb_entries, uint64_t entry_size);
void qcow2_cache_free(Qcow2Cache *c);
void qcow2_cache_set_dependency(Qcow2Cache *c, Qcow2Cache *dep);
int qcow2_cache_get(Qcow2Cache *c, uint64_t offset, void **ret_table);
int qcow2_cache_get_empty(Qcow2Cache *c, uint64_t offset, void **ret_table);
void qcow2_cache_put(Qcow2Cache *c, void **table);
void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table);
int qcow2_cache_write(Qcow2Cache *c);                     /* write back dirty entries (no flush) */
int qcow2_cache_flush(Qcow2Cache *c);                     /* write back and flush the file */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset); /* forget a freed table */
void qcow2_cache_drop_all(Qcow2Cache *c); /* forget everything (after errors, repairs) */
uint64_t qcow2_cache_writes(Qcow2Cache *c);

/* qcow2-refcount.c */
int qcow2_refcount_init(BlockDriverState *bs);
int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index, uint64_t *ret);
int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset, uint64_t length, int64_t delta);
int qcow2_set_refcount(BlockDriverState *bs, uint64_t cluster_index, uint64_t value);
int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t n);
void qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t length);
uint64_t qcow2_refblock_get(BDRVQcow2State *s, const void *block, uint64_t index);
void qcow2_refblock_set(BDRVQcow2State *s, void *block, uint64_t index, uint64_t value);
/* Metadata kinds a write may legitimately target. */
enum {
    QCOW2_OL_HEADER = 1 << 0,
    QCOW2_OL_L1 = 1 << 1,
    QCOW2_OL_L2 = 1 << 2,
    QCOW2_OL_RT = 1 << 3,
    QCOW2_OL_RB = 1 << 4,
    QCOW2_OL_SNAPSHOTS = 1 << 5,
    QCOW2_OL_INACTIVE_L1 = 1 << 6,
    QCOW2_OL_ALL = 0x7f,
};
int qcow2_check_overlap(BlockDriverState *bs, int ignore, uint64_t offset, uint64_t len);
int qcow2_pwrite_meta(BlockDriverState *bs, int ignore, uint64_t offset, const void *buf,
                      uint64_t len);

/* qcow2-cluster.c */
int qcow2_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf);
int qcow2_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf, int flags);
int qcow2_zero_or_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes, bool discard,
                          bool may_unmap);
int qcow2_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                       uint64_t *ret_map, int *ret_status);
int qcow2_write_l1_entry(BlockDriverState *bs, uint32_t index);
int qcow2_grow_l1(BlockDriverState *bs, uint64_t min_size);
int qcow2_decompress(BDRVQcow2State *s, const uint8_t *src, size_t src_len, uint8_t *dst);
int64_t qcow2_compress(BDRVQcow2State *s, const uint8_t *src, uint8_t *dst, size_t dst_len);

/* qcow2-check.c */
int qcow2_check(BlockDriverState *bs, BlockCheckResult *res, int fix);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(BlockDriverState *bs, GError **errp);
void qcow2_free_snapshots(BDRVQcow2State *s);
int qcow2_find_snapshot(BDRVQcow2State *s, const char *name);
int qcow2_snapshot_create(BlockDriverState *bs, const char *name);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *name);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *name);
GArray *qcow2_snapshot_list(BlockDriverState *bs);
int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *name);
int qcow2_make_empty(BlockDriverState *bs);

/* qcow2.c */
typedef struct Qcow2CreateOpts {
    uint64_t size;
    uint32_t cluster_size;
    int version; /* 2 or 3 */
    uint32_t refcount_bits;
    const char *backing_file;
    const char *backing_fmt;
    int compression_type;
    bool lazy_refcounts;
    bool extended_l2;
} Qcow2CreateOpts;
int qcow2_create(const char *filename, const Qcow2CreateOpts *opts, GError **errp);
