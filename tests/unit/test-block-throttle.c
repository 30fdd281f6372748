/*
 * Throttling: the leaky buckets under a simulated clock (a greedy client must get the
 * average rate, the burst rate for no longer than the burst allows, never more), group
 * sharing, limit validation, and the filter node with the real clock.
 */
#include "block/block.h"
#include "block/throttle.h"

static int64_t fake_now;

static int64_t fake_clock(void)
{
    return fake_now;
}

/* Admit requests as fast as allowed until `seconds` pass; ops in [0, first) counted too. */
static uint64_t greedy(ThrottleGroup *tg, bool write, uint64_t bytes, double seconds, double first,
                       uint64_t *ret_first)
{
    uint64_t n = 0;
    int64_t end = fake_now + (int64_t)(seconds * 1e9);
    int64_t first_end = fake_now + (int64_t)(first * 1e9);

    *ret_first = 0;
    while (fake_now < end) {
        int64_t wait = throttle_group_admit(tg, write, bytes);
        if (wait > 0) {
            fake_now += wait;
            continue;
        }
        n++;
        *ret_first += fake_now < first_end;
    }
    return n;
}

static void test_average(void)
{
    ThrottleGroup *tg = throttle_group_get("avg");
    throttle_group_set_clock(tg, fake_clock);
    g_assert_true(throttle_group_set_limit(tg, THROTTLE_OPS_TOTAL, 100, 0, 1, NULL));
    uint64_t first;
    uint64_t n = greedy(tg, false, 4096, 10, 1, &first);
    /* 10 s at 100/s plus the bucket (a tenth of a second of the average) */
    g_assert_cmpuint(n, >=, 1000);
    g_assert_cmpuint(n, <=, 1011);
    throttle_group_unref(tg);
}

static void test_burst(void)
{
    ThrottleGroup *tg = throttle_group_get("burst");
    throttle_group_set_clock(tg, fake_clock);
    /* 100 ops/s on average, bursts of 1000 ops/s lasting up to 5 s */
    g_assert_true(throttle_group_set_limit(tg, THROTTLE_OPS_TOTAL, 100, 1000, 5, NULL));
    uint64_t first;
    uint64_t n = greedy(tg, true, 512, 20, 1, &first);
    g_assert_cmpuint(first, <=, 1000 + 100); /* never above the burst rate */
    g_assert_cmpuint(first, >=, 990);        /* but the burst is granted */
    /* bucket of 1000 x 5 plus 20 s of the average */
    g_assert_cmpuint(n, >=, 6900);
    g_assert_cmpuint(n, <=, 7100);
    throttle_group_unref(tg);
}

static void test_bytes_and_direction(void)
{
    ThrottleGroup *tg = throttle_group_get("bytes");
    throttle_group_set_clock(tg, fake_clock);
    g_assert_true(throttle_group_set_limit(tg, THROTTLE_BPS_WRITE, 1 << 20, 0, 1, NULL));
    for (int i = 0; i < 1000; i++) { /* reads are not limited: they never wait */
        g_assert_cmpint(throttle_group_admit(tg, false, 65536), ==, 0);
    }
    uint64_t first;
    uint64_t writes = greedy(tg, true, 65536, 10, 1, &first);
    g_assert_cmpuint(writes * 65536, >=, 10u << 20);
    g_assert_cmpuint(writes * 65536, <=, (10u << 20) + (1u << 20) / 10 + 65536);
    throttle_group_unref(tg);
}

static void test_group_shared(void)
{
    ThrottleGroup *a = throttle_group_get("shared");
    ThrottleGroup *b = throttle_group_get("shared");
    g_assert_true(a == b);
    throttle_group_set_clock(a, fake_clock);
    g_assert_true(throttle_group_set_limit(a, THROTTLE_OPS_TOTAL, 50, 0, 1, NULL));
    uint64_t na = 0, nb = 0;
    int64_t end = fake_now + 10 * 1000000000LL;
    for (int turn = 0; fake_now < end; turn ^= 1) {
        int64_t w = throttle_group_admit(turn ? b : a, false, 1);
        if (w > 0) {
            fake_now += w;
        } else {
            *(turn ? &nb : &na) += 1;
        }
    }
    g_assert_cmpuint(na + nb, <=, 506); /* one budget for both members */
    throttle_group_unref(a);
    throttle_group_unref(b);
}

static void test_invalid(void)
{
    ThrottleGroup *tg = throttle_group_get("bad");
    g_autoptr(GError) err = NULL;
    g_assert_false(throttle_group_set_limit(tg, THROTTLE_OPS_TOTAL, 100, 50, 1, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_false(throttle_group_set_limit(tg, THROTTLE_OPS_TOTAL, -1, 0, 1, &err));
    g_clear_error(&err);
    g_assert_false(throttle_group_set_limit(tg, THROTTLE_OPS_TOTAL, 0, 10, 1, &err));
    g_clear_error(&err);
    g_assert_false(throttle_group_set_limit(tg, THROTTLE_OPS_TOTAL, 10, 0, 5, &err));
    throttle_group_unref(tg);
}

static void test_node(void)
{
    g_autofree uint8_t *data = g_malloc0(1 << 20);
    g_autoptr(BlockDriverState) mem = bdrv_mem_new(data, 1 << 20, true);
    g_autoptr(BlockDriverState) raw = bdrv_open_over(mem, &bdrv_raw, "mem", BDRV_O_RDWR, NULL);
    ThrottleGroup *tg = throttle_group_get("node");
    g_assert_true(throttle_group_set_limit(tg, THROTTLE_OPS_TOTAL, 200, 0, 1, NULL));
    g_autoptr(GError) err = NULL;
    g_autoptr(BlockDriverState) t = throttle_node_new(raw, tg, &err);
    g_assert_no_error(err);
    throttle_group_unref(tg);
    uint8_t buf[512];
    gint64 start = g_get_monotonic_time();
    for (int i = 0; i < 60; i++) {
        g_assert_cmpint(bdrv_pread(t, (uint64_t)i * 512, sizeof(buf), buf), ==, 0);
    }
    /* 60 ops at 200/s with a bucket of 20: at least 0.2 s */
    g_assert_cmpint(g_get_monotonic_time() - start, >=, 190000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    bdrv_register_builtin();
    g_test_add_func("/block/throttle/average", test_average);
    g_test_add_func("/block/throttle/burst", test_burst);
    g_test_add_func("/block/throttle/bytes-and-direction", test_bytes_and_direction);
    g_test_add_func("/block/throttle/group-shared", test_group_shared);
    g_test_add_func("/block/throttle/invalid", test_invalid);
    g_test_add_func("/block/throttle/node", test_node);
    return g_test_run();
}
