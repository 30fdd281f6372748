/*
 * The node graph: driver registry, opening nodes (protocol, then format, then backing
 * chain), reference counting, node names, and the one synchronous request path, which
 * checks bounds and permissions, takes the node lock and accounts the request.
 */
#include "block/block.h"

#include <errno.h>
#include <string.h>

#define BDRV_MAX_CHAIN 64 /* backing chain depth limit: a loop in the chain stops here */

static GMutex registry_lock;
static GPtrArray *drivers; /* const BlockDriver *, registered formats and protocols */
static GHashTable *nodes;  /* node_name -> BlockDriverState * (not a reference) */
static guint node_counter;

void bdrv_register(const BlockDriver *drv)
{
    g_mutex_lock(&registry_lock);
    if (!drivers) {
        drivers = g_ptr_array_new();
    }
    if (!g_ptr_array_find(drivers, drv, NULL)) {
        g_ptr_array_add(drivers, (gpointer)drv);
    }
    g_mutex_unlock(&registry_lock);
}

void bdrv_register_builtin(void)
{
    bdrv_register(&bdrv_file);
    bdrv_register(&bdrv_mem);
    bdrv_register(&bdrv_raw);
    bdrv_register(&bdrv_qcow2);
}

const BlockDriver *bdrv_find_format(const char *name)
{
    const BlockDriver *found = NULL;

    bdrv_register_builtin();
    g_mutex_lock(&registry_lock);
    for (guint i = 0; i < drivers->len; i++) {
        const BlockDriver *drv = drivers->pdata[i];
        if (strcmp(drv->format_name, name) == 0) {
            found = drv;
            break;
        }
    }
    g_mutex_unlock(&registry_lock);
    return found;
}

BlockDriverState *bdrv_find_node(const char *node_name)
{
    g_mutex_lock(&registry_lock);
    BlockDriverState *bs = nodes ? g_hash_table_lookup(nodes, node_name) : NULL;
    g_mutex_unlock(&registry_lock);
    return bs;
}

static BlockDriverState *node_new(const BlockDriver *drv, const char *filename,
                                  const char *node_name, int flags, GError **errp)
{
    g_mutex_lock(&registry_lock);
    if (!nodes) {
        nodes = g_hash_table_new(g_str_hash, g_str_equal);
    }
    g_autofree char *name =
        node_name ? g_strdup(node_name) : g_strdup_printf("#block%u", node_counter++);
    if (g_hash_table_contains(nodes, name)) {
        g_mutex_unlock(&registry_lock);
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_EXIST, "Duplicate node name '%s'", name);
        return NULL;
    }
    BlockDriverState *bs = g_new0(BlockDriverState, 1);
    bs->drv = drv;
    bs->opaque = drv->instance_size ? g_malloc0(drv->instance_size) : NULL;
    bs->filename = g_strdup(filename);
    bs->node_name = g_steal_pointer(&name);
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    bs->refcnt = 1;
    g_mutex_init(&bs->lock);
    g_mutex_init(&bs->stats_lock);
    g_hash_table_insert(nodes, bs->node_name, bs);
    g_mutex_unlock(&registry_lock);
    return bs;
}

static void node_free(BlockDriverState *bs)
{
    g_mutex_lock(&registry_lock);
    g_hash_table_remove(nodes, bs->node_name);
    g_mutex_unlock(&registry_lock);
    g_clear_pointer(&bs->backing, bdrv_unref);
    g_clear_pointer(&bs->file, bdrv_unref);
    g_mutex_clear(&bs->lock);
    g_mutex_clear(&bs->stats_lock);
    g_free(bs->opaque);
    g_free(bs->node_name);
    g_free(bs->filename);
    g_free(bs->backing_file);
    g_free(bs->backing_format);
    g_free(bs);
}

BlockDriverState *bdrv_ref(BlockDriverState *bs)
{
    g_atomic_int_inc(&bs->refcnt);
    return bs;
}

void bdrv_unref(BlockDriverState *bs)
{
    if (!bs || !g_atomic_int_dec_and_test(&bs->refcnt)) {
        return;
    }
    if (bs->drv->close) {
        bs->drv->close(bs);
    }
    node_free(bs);
}

/* A node whose open failed: the driver has released what it took. */
static void node_discard(BlockDriverState *bs)
{
    node_free(bs);
}

BlockDriverState *bdrv_open_protocol(const BlockDriver *drv, const char *filename, int flags,
                                     GError **errp)
{
    BlockDriverState *bs = node_new(drv, filename, NULL, flags, errp);
    if (!bs) {
        return NULL;
    }
    if (drv->open(bs, filename, flags, errp) < 0) {
        node_discard(bs);
        return NULL;
    }
    return bs;
}

char *bdrv_probe_format(BlockDriverState *file)
{
    uint8_t buf[512];
    int best = -1;
    const char *name = "raw";

    if (bdrv_pread(file, 0, sizeof(buf), buf) < 0) {
        return g_strdup("raw");
    }
    bdrv_register_builtin();
    g_mutex_lock(&registry_lock);
    for (guint i = 0; i < drivers->len; i++) {
        const BlockDriver *drv = drivers->pdata[i];
        int score = drv->probe ? drv->probe(buf, sizeof(buf)) : -1;
        if (score > best) {
            best = score;
            name = drv->format_name;
        }
    }
    g_mutex_unlock(&registry_lock);
    return g_strdup(name);
}

BlockDriverState *bdrv_open_over(BlockDriverState *file, const BlockDriver *drv,
                                 const char *filename, int flags, GError **errp)
{
    BlockDriverState *bs = node_new(drv, filename, NULL, flags, errp);
    if (!bs) {
        return NULL;
    }
    bs->file = bdrv_ref(file);
    if (drv->open(bs, filename, flags, errp) < 0) {
        node_discard(bs);
        return NULL;
    }
    return bs;
}

char *bdrv_full_backing_filename(const char *filename, const char *backing)
{
    /* As qemu does: relative to the image's directory, unchanged if it has none. */
    if (g_path_is_absolute(backing) || !filename || !strchr(filename, '/')) {
        return g_strdup(backing);
    }
    g_autofree char *dir = g_path_get_dirname(filename);
    return g_build_filename(dir, backing, NULL);
}

static BlockDriverState *open_chain(const char *filename, const char *fmt, const char *node_name,
                                    int flags, int depth, GError **errp);

int bdrv_open_backing(BlockDriverState *bs, GError **errp)
{
    if (!bs->backing_file || bs->backing) {
        return 0;
    }
    g_autofree char *path = bdrv_full_backing_filename(bs->filename, bs->backing_file);
    int depth = 0;
    for (BlockDriverState *p = bs; p; p = p->backing) {
        depth++;
    }
    /* Backing files are opened read-only: commit reopens what it writes. */
    int flags = bs->open_flags & ~(BDRV_O_RDWR | BDRV_O_CHECK);
    g_autoptr(GError) local = NULL;
    bs->backing = open_chain(path, bs->backing_format, NULL, flags, depth, &local);
    if (!bs->backing) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Could not open backing file: %s",
                    local->message);
        return -EINVAL;
    }
    return 0;
}

static BlockDriverState *open_chain(const char *filename, const char *fmt, const char *node_name,
                                    int flags, int depth, GError **errp)
{
    if (depth >= BDRV_MAX_CHAIN) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_LOOP,
                    "Backing chain of '%s' is longer than %d images (a loop?)", filename,
                    BDRV_MAX_CHAIN);
        return NULL;
    }
    g_autoptr(BlockDriverState) file = bdrv_open_protocol(&bdrv_file, filename, flags, errp);
    if (!file) {
        return NULL;
    }
    g_autofree char *probed = fmt ? NULL : bdrv_probe_format(file);
    const char *name = fmt ? fmt : probed;
    const BlockDriver *drv = bdrv_find_format(name);
    if (!drv || drv->is_protocol) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Unknown driver '%s'", name);
        return NULL;
    }
    BlockDriverState *bs = bdrv_open_over(file, drv, filename, flags, errp);
    if (!bs) {
        return NULL;
    }
    if (node_name) {
        g_mutex_lock(&registry_lock);
        if (g_hash_table_contains(nodes, node_name)) {
            g_mutex_unlock(&registry_lock);
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_EXIST, "Duplicate node name '%s'",
                        node_name);
            bdrv_unref(bs);
            return NULL;
        }
        g_hash_table_remove(nodes, bs->node_name);
        g_free(bs->node_name);
        bs->node_name = g_strdup(node_name);
        g_hash_table_insert(nodes, bs->node_name, bs);
        g_mutex_unlock(&registry_lock);
    }
    if (!(flags & BDRV_O_NO_BACKING) && bdrv_open_backing(bs, errp) < 0) {
        bdrv_unref(bs);
        return NULL;
    }
    return bs;
}

BlockDriverState *bdrv_open(const char *filename, const char *fmt, const char *node_name, int flags,
                            GError **errp)
{
    return open_chain(filename, fmt, node_name, flags, 0, errp);
}

/* ---- the request path ---- */

static void account(BlockDriverState *bs, BlockAcctType type, uint64_t bytes, gint64 start, int ret)
{
    gint64 ns = (g_get_monotonic_time() - start) * 1000;

    g_mutex_lock(&bs->stats_lock);
    if (ret < 0) {
        bs->stats.failed_ops[type]++;
    } else {
        bs->stats.ops[type]++;
        bs->stats.bytes[type] += bytes;
        bs->stats.total_time_ns[type] += (uint64_t)ns;
    }
    g_mutex_unlock(&bs->stats_lock);
}

void bdrv_get_stats(BlockDriverState *bs, BlockAcctStats *ret_stats)
{
    g_mutex_lock(&bs->stats_lock);
    *ret_stats = bs->stats;
    g_mutex_unlock(&bs->stats_lock);
}

/* Format nodes have a fixed virtual size; protocol nodes grow on write. */
static int check_range(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    if (offset > INT64_MAX || bytes > INT64_MAX - offset) {
        return -EINVAL;
    }
    if (!bs->drv->is_protocol && offset + bytes > bs->size) {
        return -EINVAL;
    }
    return 0;
}

int bdrv_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf)
{
    int ret = check_range(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    gint64 start = g_get_monotonic_time();
    g_mutex_lock(&bs->lock);
    ret = bs->drv->read(bs, offset, bytes, buf);
    g_mutex_unlock(&bs->lock);
    account(bs, BLOCK_ACCT_READ, bytes, start, ret);
    return ret;
}

int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf, int flags)
{
    if (bs->read_only) {
        return -EACCES;
    }
    int ret = check_range(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    gint64 start = g_get_monotonic_time();
    g_mutex_lock(&bs->lock);
    ret = bs->drv->write(bs, offset, bytes, buf, flags);
    g_mutex_unlock(&bs->lock);
    account(bs, BLOCK_ACCT_WRITE, bytes, start, ret);
    return ret;
}

int bdrv_flush(BlockDriverState *bs)
{
    if (bs->read_only || (bs->drv->is_protocol && (bs->open_flags & BDRV_O_NO_FLUSH))) {
        return 0;
    }
    gint64 start = g_get_monotonic_time();
    g_mutex_lock(&bs->lock);
    int ret = bs->drv->flush ? bs->drv->flush(bs) : 0;
    g_mutex_unlock(&bs->lock);
    account(bs, BLOCK_ACCT_FLUSH, 0, start, ret);
    return ret;
}

int bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    if (bs->read_only) {
        return -EACCES;
    }
    int ret = check_range(bs, offset, bytes);
    if (ret < 0 || bytes == 0 || !bs->drv->discard) {
        return ret;
    }
    g_mutex_lock(&bs->lock);
    ret = bs->drv->discard(bs, offset, bytes);
    g_mutex_unlock(&bs->lock);
    return ret == -ENOTSUP ? 0 : ret; /* discard is a hint */
}

static int write_zeroes_fallback(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    const uint64_t chunk = 1 << 20;
    g_autofree uint8_t *zero = g_malloc0(MIN(chunk, bytes));

    while (bytes > 0) {
        uint64_t n = MIN(chunk, bytes);
        int ret = bs->drv->write(bs, offset, n, zero, 0);
        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
    }
    return 0;
}

int bdrv_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes, int flags)
{
    if (bs->read_only) {
        return -EACCES;
    }
    int ret = check_range(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    gint64 start = g_get_monotonic_time();
    g_mutex_lock(&bs->lock);
    ret = bs->drv->write_zeroes ? bs->drv->write_zeroes(bs, offset, bytes, flags) : -ENOTSUP;
    if (ret == -ENOTSUP) {
        ret = write_zeroes_fallback(bs, offset, bytes);
    }
    g_mutex_unlock(&bs->lock);
    account(bs, BLOCK_ACCT_WRITE, bytes, start, ret);
    return ret;
}

int bdrv_truncate(BlockDriverState *bs, uint64_t size)
{
    if (bs->read_only) {
        return -EACCES;
    }
    if (!bs->drv->truncate) {
        return -ENOTSUP;
    }
    g_mutex_lock(&bs->lock);
    int ret = bs->drv->truncate(bs, size);
    g_mutex_unlock(&bs->lock);
    return ret;
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    return bs->size > INT64_MAX ? -EFBIG : (int64_t)bs->size;
}

int64_t bdrv_get_allocated_size(BlockDriverState *bs)
{
    if (bs->drv->get_allocated_size) {
        return bs->drv->get_allocated_size(bs);
    }
    return bs->file ? bdrv_get_allocated_size(bs->file) : -ENOTSUP;
}

int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes, uint64_t *ret_pnum,
                      uint64_t *ret_map, int *ret_status)
{
    int ret = check_range(bs, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    *ret_map = 0;
    if (!bs->drv->block_status) {
        *ret_pnum = bytes;
        *ret_status = BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED;
        return 0;
    }
    g_mutex_lock(&bs->lock);
    ret = bs->drv->block_status(bs, offset, bytes, ret_pnum, ret_map, ret_status);
    g_mutex_unlock(&bs->lock);
    return ret;
}

int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    memset(bdi, 0, sizeof(*bdi));
    if (!bs->drv->get_info) {
        return -ENOTSUP;
    }
    g_mutex_lock(&bs->lock);
    int ret = bs->drv->get_info(bs, bdi);
    g_mutex_unlock(&bs->lock);
    return ret;
}

int bdrv_check(BlockDriverState *bs, BlockCheckResult *res, int fix)
{
    memset(res, 0, sizeof(*res));
    res->log = g_string_new(NULL);
    if (!bs->drv->check) {
        return -ENOTSUP;
    }
    if (fix && bs->read_only) {
        return -EACCES;
    }
    g_mutex_lock(&bs->lock);
    int ret = bs->drv->check(bs, res, fix);
    g_mutex_unlock(&bs->lock);
    return ret;
}

int bdrv_sync_protocol(BlockDriverState *bs)
{
    for (; bs; bs = bs->file) {
        if (bs->drv->is_protocol && !bs->read_only && bs->drv->flush) {
            g_mutex_lock(&bs->lock);
            int ret = bs->drv->flush(bs);
            g_mutex_unlock(&bs->lock);
            return ret;
        }
    }
    return 0;
}

void block_check_result_clear(BlockCheckResult *res)
{
    if (res->log) {
        g_string_free(res->log, TRUE);
        res->log = NULL;
    }
}

typedef int (*SnapshotOp)(BlockDriverState *bs, const char *name);

static int snapshot_op(BlockDriverState *bs, SnapshotOp op, const char *name, bool writes)
{
    if (!op) {
        return -ENOTSUP;
    }
    if (writes && bs->read_only) {
        return -EACCES;
    }
    g_mutex_lock(&bs->lock);
    int ret = op(bs, name);
    g_mutex_unlock(&bs->lock);
    return ret;
}

int bdrv_snapshot_create(BlockDriverState *bs, const char *name)
{
    return snapshot_op(bs, bs->drv->snapshot_create, name, true);
}

int bdrv_snapshot_delete(BlockDriverState *bs, const char *name)
{
    return snapshot_op(bs, bs->drv->snapshot_delete, name, true);
}

int bdrv_snapshot_goto(BlockDriverState *bs, const char *name)
{
    return snapshot_op(bs, bs->drv->snapshot_goto, name, true);
}

GArray *bdrv_snapshot_list(BlockDriverState *bs)
{
    if (!bs->drv->snapshot_list) {
        return NULL;
    }
    g_mutex_lock(&bs->lock);
    GArray *list = bs->drv->snapshot_list(bs);
    g_mutex_unlock(&bs->lock);
    return list;
}

void bdrv_snapshot_list_free(GArray *list)
{
    for (guint i = 0; list && i < list->len; i++) {
        g_free(g_array_index(list, BlockSnapshotInfo, i).id);
        g_free(g_array_index(list, BlockSnapshotInfo, i).name);
    }
    if (list) {
        g_array_unref(list);
    }
}

int bdrv_change_backing_file(BlockDriverState *bs, const char *file, const char *fmt)
{
    if (!bs->drv->change_backing_file) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EACCES;
    }
    g_mutex_lock(&bs->lock);
    int ret = bs->drv->change_backing_file(bs, file, fmt);
    if (ret == 0) {
        g_free(bs->backing_file);
        g_free(bs->backing_format);
        bs->backing_file = g_strdup(file);
        bs->backing_format = g_strdup(fmt);
    }
    g_mutex_unlock(&bs->lock);
    return ret;
}

bool bdrv_amend(BlockDriverState *bs, GHashTable *opts, GError **errp)
{
    if (!bs->drv->amend) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Format driver '%s' does not support option amendment", bs->drv->format_name);
        return false;
    }
    g_mutex_lock(&bs->lock);
    int ret = bs->drv->amend(bs, opts, errp);
    g_mutex_unlock(&bs->lock);
    return ret == 0;
}

int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *name)
{
    if (!bs->read_only) {
        return -EINVAL; /* the active state must not change under a writer */
    }
    return snapshot_op(bs, bs->drv->snapshot_load_tmp, name, false);
}

int bdrv_make_empty(BlockDriverState *bs)
{
    if (!bs->drv->make_empty) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EACCES;
    }
    g_mutex_lock(&bs->lock);
    int ret = bs->drv->make_empty(bs);
    g_mutex_unlock(&bs->lock);
    return ret;
}
