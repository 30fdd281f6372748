/*
 * The block layer: a graph of nodes, each run by a driver.
 *
 * A format node (raw, qcow2) sits on a protocol node (file, mem) through bs->file and
 * may have a backing node (bs->backing) that supplies clusters it does not hold. Nodes
 * are reference counted; the graph owns its children. Each node has one lock that
 * serialises requests to its driver, so a driver never sees two requests at once;
 * requests to a child take the child's own lock (the graph is a tree, so lock order is
 * always parent before child).
 *
 * The synchronous calls (bdrv_pread, ...) are the one request path. The asynchronous
 * calls (bdrv_aio_*, block/aio.c) run that same path on a thread pool and deliver the
 * completion on the submitter's GMainContext, so a main loop never blocks on a disk.
 * Drivers return a negative errno; calls that a user sees take a GError.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

typedef struct BlockDriver BlockDriver;
typedef struct BlockDriverState BlockDriverState;

enum {
    BDRV_O_RDWR = 1 << 0,       /* writable open */
    BDRV_O_NO_BACKING = 1 << 1, /* do not open the backing chain */
    BDRV_O_NOCACHE = 1 << 2,    /* O_DIRECT on the protocol */
    BDRV_O_CHECK = 1 << 3,      /* opened for check: tolerate the corrupt bit */
    BDRV_O_NO_REPAIR = 1 << 4,  /* do not repair a dirty image on open (check does) */
    BDRV_O_NO_FLUSH = 1 << 5,   /* cache=unsafe: flushes of the protocol are no-ops */
    BDRV_O_CREATE = 1 << 6,     /* protocol: create the file if missing */
};

enum {
    BDRV_REQ_MAY_UNMAP = 1 << 0,  /* write_zeroes may deallocate */
    BDRV_REQ_COMPRESSED = 1 << 1, /* write compressed (whole clusters only) */
};

/* block_status() result bits, as in qemu-img map. */
enum {
    BDRV_BLOCK_DATA = 1 << 0,      /* reads come from storage (not known zero) */
    BDRV_BLOCK_ZERO = 1 << 1,      /* reads as zeros */
    BDRV_BLOCK_OFFSET = 1 << 2,    /* *ret_map is a valid offset in bs->file */
    BDRV_BLOCK_ALLOCATED = 1 << 3, /* this node holds the range (not the backing) */
    BDRV_BLOCK_COMPRESSED = 1 << 4,
};

typedef enum BlockAcctType {
    BLOCK_ACCT_READ,
    BLOCK_ACCT_WRITE,
    BLOCK_ACCT_FLUSH,
    BLOCK_ACCT_MAX,
} BlockAcctType;

typedef struct BlockAcctStats {
    uint64_t ops[BLOCK_ACCT_MAX];           /* completed requests */
    uint64_t failed_ops[BLOCK_ACCT_MAX];    /* requests that returned an error */
    uint64_t bytes[BLOCK_ACCT_MAX];         /* bytes moved by completed requests */
    uint64_t total_time_ns[BLOCK_ACCT_MAX]; /* sum of request latencies */
} BlockAcctStats;

/* What `info` shows beyond size and format; the qcow2 fields stay zero for others. */
typedef struct BlockDriverInfo {
    uint32_t cluster_size; /* 0 when the format has none */
    bool is_qcow2;         /* the fields below are valid */
    const char *compat;    /* "0.10" or "1.1" */
    const char *compression_type;
    bool lazy_refcounts;
    bool corrupt;
    bool extended_l2;
    bool dirty;
    int refcount_bits;
} BlockDriverInfo;

typedef struct BlockCheckResult {
    int corruptions;  /* errors left in the image */
    int leaks;        /* leaked clusters left in the image */
    int check_errors; /* the check itself failed (I/O error...) */
    int corruptions_fixed;
    int leaks_fixed;
    uint64_t image_end_offset;
    uint64_t allocated_clusters;
    uint64_t total_clusters;
    uint64_t fragmented_clusters;
    uint64_t compressed_clusters;
    GString *log; /* human-readable findings, one per line */
} BlockCheckResult;

enum {
    BDRV_FIX_LEAKS = 1 << 0,
    BDRV_FIX_ERRORS = 1 << 1,
};

typedef struct BlockSnapshotInfo {
    char *id;
    char *name;
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount; /* UINT64_MAX when not recorded */
} BlockSnapshotInfo;

struct BlockDriver {
    const char *format_name;
    bool is_protocol;
    size_t instance_size;
    /* 0..100: how sure the driver is that buf (the first bytes of the file) is its format */
    int (*probe)(const uint8_t *buf, size_t len);
    /* protocol drivers: open a file; format drivers: open over bs->file */
    int (*open)(BlockDriverState *bs, const char *filename, int flags, GError **errp);
    void (*close)(BlockDriverState *bs);
    int (*read)(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf);
    int (*write)(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf, int flags);
    int (*flush)(BlockDriverState *bs);
    int (*discard)(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
    int (*write_zeroes)(BlockDriverState *bs, uint64_t offset, uint64_t bytes, int flags);
    int (*truncate)(BlockDriverState *bs, uint64_t size);
    int64_t (*get_allocated_size)(BlockDriverState *bs);
    int (*block_status)(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                        uint64_t *ret_map, int *ret_status);
    int (*get_info)(BlockDriverState *bs, BlockDriverInfo *bdi);
    int (*check)(BlockDriverState *bs, BlockCheckResult *res, int fix);
    int (*snapshot_create)(BlockDriverState *bs, const char *name);
    int (*snapshot_delete)(BlockDriverState *bs, const char *name);
    int (*snapshot_goto)(BlockDriverState *bs, const char *name);
    /* A new array of BlockSnapshotInfo (free with bdrv_snapshot_list_free) */
    GArray *(*snapshot_list)(BlockDriverState *bs);
    /* Record a new backing file name and format (NULL: none) in the image header. */
    int (*change_backing_file)(BlockDriverState *bs, const char *file, const char *fmt);
    /* Read-only nodes: present snapshot name's state instead of the active one. */
    int (*snapshot_load_tmp)(BlockDriverState *bs, const char *name);
    /* Drop everything this node holds, so reads come from the backing file again. */
    int (*make_empty)(BlockDriverState *bs);
    /* Change format options in place (amend); unknown keys are an error. */
    int (*amend)(BlockDriverState *bs, GHashTable *opts, GError **errp);
};

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;              /* the driver's state, instance_size bytes */
    BlockDriverState *file;    /* protocol child of a format node */
    BlockDriverState *backing; /* backing node, or NULL */
    char *node_name;           /* unique name in the graph */
    char *filename;            /* what the node was opened from */
    char *backing_file;        /* backing file name recorded in the image */
    char *backing_format;      /* its format, if the image records one */
    uint64_t size;             /* virtual size in bytes */
    int open_flags;            /* BDRV_O_* */
    bool read_only;
    gint refcnt;
    GMutex lock;       /* serialises requests to drv */
    GMutex stats_lock; /* protects stats */
    BlockAcctStats stats;
};

void bdrv_register(const BlockDriver *drv);
const BlockDriver *bdrv_find_format(const char *name);

/* Open filename with format fmt (NULL: probe). Opens the backing chain unless
 * BDRV_O_NO_BACKING. The node is named node_name, or "#blockN" when NULL. */
BlockDriverState *bdrv_open(const char *filename, const char *fmt, const char *node_name, int flags,
                            GError **errp);
/* Open a protocol node of driver drv. */
BlockDriverState *bdrv_open_protocol(const BlockDriver *drv, const char *filename, int flags,
                                     GError **errp);
/* Open a node of a given driver over an existing protocol node (takes a reference). */
BlockDriverState *bdrv_open_over(BlockDriverState *file, const BlockDriver *drv,
                                 const char *filename, int flags, GError **errp);
int bdrv_open_backing(BlockDriverState *bs, GError **errp);
BlockDriverState *bdrv_ref(BlockDriverState *bs);
void bdrv_unref(BlockDriverState *bs);
BlockDriverState *bdrv_find_node(const char *node_name);
char *bdrv_probe_format(BlockDriverState *file);
/* The backing file name resolved relative to the directory of bs->filename. */
char *bdrv_full_backing_filename(const char *filename, const char *backing);

int bdrv_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf);
int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf, int flags);
int bdrv_flush(BlockDriverState *bs);
int bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
int bdrv_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes, int flags);
int bdrv_truncate(BlockDriverState *bs, uint64_t size);
int64_t bdrv_getlength(BlockDriverState *bs);
int64_t bdrv_get_allocated_size(BlockDriverState *bs);
int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                      uint64_t *ret_map, int *ret_status);
int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);
int bdrv_check(BlockDriverState *bs, BlockCheckResult *res, int fix);
/* Flush the protocol under bs even when it was opened with BDRV_O_NO_FLUSH. */
int bdrv_sync_protocol(BlockDriverState *bs);
void bdrv_get_stats(BlockDriverState *bs, BlockAcctStats *ret_stats);
void block_check_result_clear(BlockCheckResult *res);
int bdrv_snapshot_create(BlockDriverState *bs, const char *name);
int bdrv_snapshot_delete(BlockDriverState *bs, const char *name);
int bdrv_snapshot_goto(BlockDriverState *bs, const char *name);
GArray *bdrv_snapshot_list(BlockDriverState *bs);
void bdrv_snapshot_list_free(GArray *list);
int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *name);
int bdrv_make_empty(BlockDriverState *bs);
int bdrv_change_backing_file(BlockDriverState *bs, const char *file, const char *fmt);
bool bdrv_amend(BlockDriverState *bs, GHashTable *opts, GError **errp);

/* Asynchronous requests: cb(opaque, ret) runs in the GMainContext that was the thread
 * default when the request was submitted (the global default if none). */
typedef void BlockCompletionFunc(void *opaque, int ret);
void bdrv_aio_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf,
                   BlockCompletionFunc *cb, void *opaque);
void bdrv_aio_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf,
                    int flags, BlockCompletionFunc *cb, void *opaque);
void bdrv_aio_flush(BlockDriverState *bs, BlockCompletionFunc *cb, void *opaque);
void bdrv_aio_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      BlockCompletionFunc *cb, void *opaque);
void bdrv_aio_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes, int flags,
                           BlockCompletionFunc *cb, void *opaque);

/* Drivers built into the library; bdrv_register_builtin() is idempotent. */
extern const BlockDriver bdrv_file;
extern const BlockDriver bdrv_mem;
extern const BlockDriver bdrv_raw;
extern const BlockDriver bdrv_qcow2;
void bdrv_register_builtin(void);
/* A protocol node over a copy of data in memory (tests, fuzzing). */
BlockDriverState *bdrv_mem_new(const void *data, size_t len, bool writable);
const GByteArray *bdrv_mem_data(BlockDriverState *bs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BlockDriverState, bdrv_unref)
