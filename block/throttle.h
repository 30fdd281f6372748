/*
 * I/O throttling: limits on bytes and operations per second (total, read, write), each
 * with an optional burst (a higher rate allowed for a limited number of seconds), shared
 * by every node of a throttle group. Semantics follow QEMU's throttling: a leaky bucket
 * per limit that drains at the average rate; its capacity is burst rate x burst length
 * when a burst is set (so e.g. 1000 operations can go at once, then 100/s), a tenth of
 * a second of the average rate otherwise; a second bucket drains at the burst rate so a
 * burst never exceeds it.
 */
#pragma once

#include "block/block.h"

typedef enum ThrottleLimit {
    THROTTLE_BPS_TOTAL,
    THROTTLE_BPS_READ,
    THROTTLE_BPS_WRITE,
    THROTTLE_OPS_TOTAL,
    THROTTLE_OPS_READ,
    THROTTLE_OPS_WRITE,
    THROTTLE_MAX,
} ThrottleLimit;

typedef struct ThrottleBucket {
    double avg;          /* units per second, 0: no limit */
    double max;          /* burst rate, 0: no burst */
    double burst_length; /* seconds the burst rate may last (>= 1) */
    double level;        /* units in the bucket */
    double burst_level;  /* units in the burst-rate bucket */
} ThrottleBucket;

typedef struct ThrottleGroup ThrottleGroup;

/* Find or create the group called name (a reference). */
ThrottleGroup *throttle_group_get(const char *name);
void throttle_group_unref(ThrottleGroup *tg);
/* Set one limit; false (with errp) if the values are inconsistent. */
bool throttle_group_set_limit(ThrottleGroup *tg, ThrottleLimit which, double avg, double max,
                              double burst_length, GError **errp);
/* For tests: the clock in nanoseconds (default: monotonic). */
void throttle_group_set_clock(ThrottleGroup *tg, int64_t (*clock_ns)(void));

/* Nanoseconds to wait before a request of bytes (write or read) may go, 0 if now;
 * when 0 is returned the request has been accounted. */
int64_t throttle_group_admit(ThrottleGroup *tg, bool is_write, uint64_t bytes);

/* Pure bucket arithmetic, exposed for tests. */
void throttle_leak(ThrottleBucket *b, double seconds);
double throttle_wait(const ThrottleBucket *b, double units);

/* A "throttle" filter node over child, in group tg. */
BlockDriverState *throttle_node_new(BlockDriverState *child, ThrottleGroup *tg, GError **errp);
extern const BlockDriver bdrv_throttle;
