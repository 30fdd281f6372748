/*
 * Throttling (see throttle.h): throttle groups with leaky buckets, and the "throttle"
 * filter node that makes each request wait for its group before passing it to its
 * child. Requests run on the caller's thread (the asynchronous API's workers), so a
 * wait never blocks a main loop.
 */
#include "block/throttle.h"

#include <errno.h>
#include <string.h>

struct ThrottleGroup {
    char *name;
    gint refcnt;
    GMutex lock; /* protects the buckets and timestamp */
    ThrottleBucket b[THROTTLE_MAX];
    int64_t last_ns; /* when the buckets were last leaked */
    int64_t (*clock_ns)(void);
};

static GMutex groups_lock;
static GHashTable *groups; /* name -> ThrottleGroup (not a reference) */

static int64_t monotonic_ns(void)
{
    return g_get_monotonic_time() * 1000;
}

ThrottleGroup *throttle_group_get(const char *name)
{
    g_mutex_lock(&groups_lock);
    if (!groups) {
        groups = g_hash_table_new(g_str_hash, g_str_equal);
    }
    ThrottleGroup *tg = g_hash_table_lookup(groups, name);
    if (tg) {
        g_atomic_int_inc(&tg->refcnt);
    } else {
        tg = g_new0(ThrottleGroup, 1);
        tg->name = g_strdup(name);
        tg->refcnt = 1;
        tg->clock_ns = monotonic_ns;
        tg->last_ns = monotonic_ns();
        g_mutex_init(&tg->lock);
        g_hash_table_insert(groups, tg->name, tg);
    }
    g_mutex_unlock(&groups_lock);
    return tg;
}

void throttle_group_unref(ThrottleGroup *tg)
{
    if (!tg) {
        return;
    }
    g_mutex_lock(&groups_lock);
    if (g_atomic_int_dec_and_test(&tg->refcnt)) {
        g_hash_table_remove(groups, tg->name);
        g_mutex_clear(&tg->lock);
        g_free(tg->name);
        g_free(tg);
    }
    g_mutex_unlock(&groups_lock);
}

bool throttle_group_set_limit(ThrottleGroup *tg, ThrottleLimit which, double avg, double max,
                              double burst_length, GError **errp)
{
    if ((int)which < 0 || which >= THROTTLE_MAX || avg < 0 || max < 0 || avg > 1e15 || max > 1e15 ||
        (max && max < avg) || (max && !avg) || burst_length < 1 || burst_length > 1e6 ||
        (burst_length > 1 && !max)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Invalid throttle limit: avg %g, burst %g over %g s (bursts need an "
                    "average, may not be below it, and last at least 1 second)",
                    avg, max, burst_length);
        return false;
    }
    g_mutex_lock(&tg->lock);
    tg->b[which] = (ThrottleBucket){.avg = avg, .max = max, .burst_length = burst_length};
    g_mutex_unlock(&tg->lock);
    return true;
}

void throttle_group_set_clock(ThrottleGroup *tg, int64_t (*clock_ns)(void))
{
    g_mutex_lock(&tg->lock);
    tg->clock_ns = clock_ns;
    tg->last_ns = clock_ns();
    g_mutex_unlock(&tg->lock);
}

void throttle_leak(ThrottleBucket *b, double seconds)
{
    b->level = MAX(0, b->level - b->avg * seconds);
    b->burst_level = MAX(0, b->burst_level - b->max * seconds);
}

/* Seconds until units may be added to the bucket (0: now). */
double throttle_wait(const ThrottleBucket *b, double units)
{
    if (!b->avg) {
        return 0;
    }
    double cap = b->max ? b->max * b->burst_length : b->avg / 10;
    double wait = 0;
    if (b->level + units > cap) {
        wait = (b->level + units - cap) / b->avg;
    }
    if (b->max) {
        double bcap = b->max / 10;
        if (b->burst_level + units > bcap) {
            wait = MAX(wait, (b->burst_level + units - bcap) / b->max);
        }
    }
    /* A request larger than the bucket goes once the bucket is empty. */
    return (b->level == 0 && b->burst_level == 0) ? 0 : wait;
}

int64_t throttle_group_admit(ThrottleGroup *tg, bool is_write, uint64_t bytes)
{
    ThrottleLimit limits[] = {
        THROTTLE_BPS_TOTAL,
        is_write ? THROTTLE_BPS_WRITE : THROTTLE_BPS_READ,
        THROTTLE_OPS_TOTAL,
        is_write ? THROTTLE_OPS_WRITE : THROTTLE_OPS_READ,
    };
    double wait = 0;

    g_mutex_lock(&tg->lock);
    int64_t now = tg->clock_ns();
    for (int i = 0; i < THROTTLE_MAX; i++) {
        throttle_leak(&tg->b[i], (double)(now - tg->last_ns) / 1e9);
    }
    tg->last_ns = now;
    for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
        double units = i < 2 ? (double)bytes : 1;
        wait = MAX(wait, throttle_wait(&tg->b[limits[i]], units));
    }
    if (wait == 0) {
        for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
            double units = i < 2 ? (double)bytes : 1;
            tg->b[limits[i]].level += units;
            tg->b[limits[i]].burst_level += units;
        }
    }
    g_mutex_unlock(&tg->lock);
    return wait > 0 ? MAX(1, (int64_t)(wait * 1e9)) : 0;
}

/* ---- the filter node ---- */

typedef struct ThrottleNode {
    ThrottleGroup *tg; /* a reference */
} ThrottleNode;

static void throttle_before(BlockDriverState *bs, bool is_write, uint64_t bytes)
{
    ThrottleNode *t = bs->opaque;
    int64_t ns;

    while ((ns = throttle_group_admit(t->tg, is_write, bytes)) > 0) {
        g_usleep((gulong)MIN(ns / 1000 + 1, G_USEC_PER_SEC));
    }
}

static int throttle_open(BlockDriverState *bs, const char *filename, int flags, GError **errp)
{
    bs->size = bs->file->size;
    return 0;
}

static void throttle_close(BlockDriverState *bs)
{
    ThrottleNode *t = bs->opaque;
    throttle_group_unref(t->tg);
}

static int throttle_read(BlockDriverState *bs, uint64_t off, uint64_t n, void *buf)
{
    throttle_before(bs, false, n);
    return bdrv_pread(bs->file, off, n, buf);
}

static int throttle_write(BlockDriverState *bs, uint64_t off, uint64_t n, const void *buf,
                          int flags)
{
    throttle_before(bs, true, n);
    return bdrv_pwrite(bs->file, off, n, buf, flags);
}

static int throttle_flush(BlockDriverState *bs)
{
    return bdrv_flush(bs->file);
}

static int throttle_zeroes(BlockDriverState *bs, uint64_t off, uint64_t n, int flags)
{
    throttle_before(bs, true, n);
    return bdrv_write_zeroes(bs->file, off, n, flags);
}

static int throttle_discard(BlockDriverState *bs, uint64_t off, uint64_t n)
{
    return bdrv_discard(bs->file, off, n);
}

const BlockDriver bdrv_throttle = {
    .format_name = "throttle",
    .instance_size = sizeof(ThrottleNode),
    .open = throttle_open,
    .close = throttle_close,
    .read = throttle_read,
    .write = throttle_write,
    .flush = throttle_flush,
    .write_zeroes = throttle_zeroes,
    .discard = throttle_discard,
};

BlockDriverState *throttle_node_new(BlockDriverState *child, ThrottleGroup *tg, GError **errp)
{
    BlockDriverState *bs = bdrv_open_over(child, &bdrv_throttle, child->filename,
                                          child->read_only ? 0 : BDRV_O_RDWR, errp);
    if (bs) {
        ((ThrottleNode *)bs->opaque)->tg = tg;
        g_atomic_int_inc(&tg->refcnt);
    }
    return bs;
}
