/*
 * Asynchronous requests: each request runs the synchronous path (block.c) on a worker
 * of one shared GThreadPool and its completion callback is invoked in the GMainContext
 * that was the submitter's thread default. The per-node lock keeps requests to one node
 * serial; requests to different nodes run in parallel.
 */
#include "block/block.h"

#include <errno.h>

#define AIO_MAX_THREADS 16

typedef enum { AIO_READ, AIO_WRITE, AIO_FLUSH, AIO_DISCARD, AIO_ZEROES } AioOp;

typedef struct AioRequest {
    AioOp op;
    BlockDriverState *bs; /* a reference, dropped on completion */
    uint64_t offset;
    uint64_t bytes;
    void *buf; /* caller's buffer; const for writes */
    int flags;
    int ret; /* result of the request */
    BlockCompletionFunc *cb;
    void *opaque;
    GMainContext *ctx; /* where cb runs (a reference) */
} AioRequest;

static GThreadPool *pool;
static GOnce pool_once = G_ONCE_INIT;

static gboolean aio_complete(gpointer data)
{
    AioRequest *req = data;

    if (req->cb) {
        req->cb(req->opaque, req->ret);
    }
    bdrv_unref(req->bs);
    g_main_context_unref(req->ctx);
    g_free(req);
    return G_SOURCE_REMOVE;
}

static int aio_run(AioRequest *req)
{
    switch (req->op) {
    case AIO_READ:
        return bdrv_pread(req->bs, req->offset, req->bytes, req->buf);
    case AIO_WRITE:
        return bdrv_pwrite(req->bs, req->offset, req->bytes, req->buf, req->flags);
    case AIO_FLUSH:
        return bdrv_flush(req->bs);
    case AIO_DISCARD:
        return bdrv_discard(req->bs, req->offset, req->bytes);
    case AIO_ZEROES:
        return bdrv_write_zeroes(req->bs, req->offset, req->bytes, req->flags);
    }
    return -EINVAL;
}

static void aio_worker(gpointer data, gpointer user_data)
{
    AioRequest *req = data;

    req->ret = aio_run(req);
    /* Not g_main_context_invoke(): from a worker it may run the callback right here
     * when nobody owns the context. An idle source always runs in the context's own
     * thread. */
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, aio_complete, req, NULL);
    g_source_attach(src, req->ctx);
    g_source_unref(src);
}

static gpointer pool_init(gpointer unused)
{
    pool = g_thread_pool_new(aio_worker, NULL, AIO_MAX_THREADS, FALSE, NULL);
    return pool;
}

static void aio_submit(AioOp op, BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf,
                       int flags, BlockCompletionFunc *cb, void *opaque)
{
    AioRequest *req = g_new0(AioRequest, 1);

    g_once(&pool_once, pool_init, NULL);
    req->op = op;
    req->bs = bdrv_ref(bs);
    req->offset = offset;
    req->bytes = bytes;
    req->buf = buf;
    req->flags = flags;
    req->cb = cb;
    req->opaque = opaque;
    req->ctx = g_main_context_ref_thread_default();
    g_thread_pool_push(pool, req, NULL);
}

void bdrv_aio_read(BlockDriverState *bs, uint64_t offset, uint64_t bytes, void *buf,
                   BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(AIO_READ, bs, offset, bytes, buf, 0, cb, opaque);
}

void bdrv_aio_write(BlockDriverState *bs, uint64_t offset, uint64_t bytes, const void *buf,
                    int flags, BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(AIO_WRITE, bs, offset, bytes, (void *)buf, flags, cb, opaque);
}

void bdrv_aio_flush(BlockDriverState *bs, BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(AIO_FLUSH, bs, 0, 0, NULL, 0, cb, opaque);
}

void bdrv_aio_discard(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(AIO_DISCARD, bs, offset, bytes, NULL, 0, cb, opaque);
}

void bdrv_aio_write_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes, int flags,
                           BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(AIO_ZEROES, bs, offset, bytes, NULL, flags, cb, opaque);
}
