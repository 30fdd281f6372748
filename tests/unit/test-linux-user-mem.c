/*
 * vmd-user's guest address space: the mmap allocator, munmap/mprotect splitting,
 * mremap, brk, access checks and code invalidation, on a real host reservation.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/mman.h>

#include "linux-user/user-mem.h"

#define SPACE (1ull << 32)
#define PG    4096ull
#define ANON  (MAP_PRIVATE | MAP_ANONYMOUS)

typedef struct Fixture {
    UserMem m;
    uint64_t inval_start, inval_len; /* last invalidation */
    int inval_count;
} Fixture;

static void on_invalidate(void *opaque, uint64_t start, uint64_t len)
{
    Fixture *f = opaque;

    f->inval_start = start;
    f->inval_len = len;
    f->inval_count++;
}

static void setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    memset(f, 0, sizeof(*f));
    g_assert_true(user_mem_init(&f->m, SPACE, 0, &error));
    f->m.mmap_base = SPACE / 2;
    f->m.invalidate = on_invalidate;
    f->m.invalidate_opaque = f;
}

static void teardown(Fixture *f, gconstpointer data)
{
    user_mem_destroy(&f->m);
}

static void test_init_errors(void)
{
    UserMem m;
    g_autoptr(GError) error = NULL;

    g_assert_false(user_mem_init(&m, 12345, 0, &error));
    g_assert_nonnull(error);
}

static void test_topdown(Fixture *f, gconstpointer data)
{
    int64_t a = user_mem_mmap(&f->m, 0, 3 * PG, PROT_READ | PROT_WRITE, ANON, -1, 0);
    int64_t b = user_mem_mmap(&f->m, 0, 100, PROT_READ, ANON, -1, 0);

    g_assert_cmpint(a, >, 0);
    g_assert_cmphex(a + 3 * PG, ==, f->m.mmap_base);
    g_assert_cmphex(b + PG, ==, a); /* next one right below, length rounded up */
    g_assert_cmpint(user_mem_prot(&f->m, a), ==, PROT_READ | PROT_WRITE);
    g_assert_cmpint(user_mem_prot(&f->m, b), ==, PROT_READ);
    /* anonymous memory is zero and usable through the host pointer */
    g_assert_cmpuint(((char *)user_mem_g2h(&f->m, a))[5000], ==, 0);
    memset(user_mem_g2h(&f->m, a), 0x55, 3 * PG);

    /* a free hint is honoured; an occupied one is not */
    g_assert_cmphex(user_mem_mmap(&f->m, 0x10000000, PG, PROT_READ, ANON, -1, 0), ==, 0x10000000);
    g_assert_cmphex(user_mem_mmap(&f->m, 0x10000000, PG, PROT_READ, ANON, -1, 0), !=, 0x10000000);
    /* unmapping the top one lets the next allocation reuse the gap */
    g_assert_cmpint(user_mem_munmap(&f->m, a, 3 * PG), ==, 0);
    g_assert_cmphex(user_mem_mmap(&f->m, 0, 2 * PG, PROT_READ, ANON, -1, 0), ==,
                    f->m.mmap_base - 2 * PG);
}

static void test_fixed(Fixture *f, gconstpointer data)
{
    uint64_t a = 0x20000000;

    g_assert_cmphex(
        user_mem_mmap(&f->m, a, 4 * PG, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0), ==, a);
    memset(user_mem_g2h(&f->m, a), 1, 4 * PG);
    g_assert_cmpint(user_mem_mmap(&f->m, a + PG, PG, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0),
                    ==, -EEXIST);
    g_assert_cmphex(user_mem_mmap(&f->m, a + PG, PG, PROT_READ, ANON | MAP_FIXED, -1, 0), ==,
                    a + PG);
    /* replaced: fresh zero page, read-only; neighbours keep data and protection */
    g_assert_cmpuint(((char *)user_mem_g2h(&f->m, a + PG))[0], ==, 0);
    g_assert_cmpuint(((char *)user_mem_g2h(&f->m, a))[0], ==, 1);
    g_assert_cmpint(user_mem_prot(&f->m, a + PG), ==, PROT_READ);
    g_assert_cmpint(user_mem_prot(&f->m, a + 2 * PG), ==, PROT_READ | PROT_WRITE);
    g_assert_cmpint(user_mem_mmap(&f->m, a + 1, PG, PROT_READ, ANON | MAP_FIXED, -1, 0), ==,
                    -EINVAL);
    g_assert_cmpint(user_mem_mmap(&f->m, SPACE - PG, 2 * PG, PROT_READ, ANON | MAP_FIXED, -1, 0),
                    ==, -ENOMEM);
    g_assert_cmpint(user_mem_mmap(&f->m, 0, 0, PROT_READ, ANON, -1, 0), ==, -EINVAL);
    g_assert_cmpint(user_mem_mmap(&f->m, 0, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), ==, -EINVAL);
    g_assert_cmpint(user_mem_mmap(&f->m, 0, 1ull << 40, PROT_READ, ANON, -1, 0), ==, -ENOMEM);
}

static void test_split(Fixture *f, gconstpointer data)
{
    uint64_t a = 0x30000000;

    g_assert_cmphex(
        user_mem_mmap(&f->m, a, 5 * PG, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0), ==, a);
    g_assert_cmpint(user_mem_mprotect(&f->m, a + PG, PG, PROT_READ), ==, 0);
    g_assert_cmpint(user_mem_munmap(&f->m, a + 3 * PG, PG), ==, 0);
    g_assert_cmpint(user_mem_prot(&f->m, a), ==, PROT_READ | PROT_WRITE);
    g_assert_cmpint(user_mem_prot(&f->m, a + PG), ==, PROT_READ);
    g_assert_cmpint(user_mem_prot(&f->m, a + 2 * PG), ==, PROT_READ | PROT_WRITE);
    g_assert_cmpint(user_mem_prot(&f->m, a + 3 * PG), ==, -1);
    g_assert_cmpint(user_mem_prot(&f->m, a + 4 * PG), ==, PROT_READ | PROT_WRITE);
    g_assert_true(user_mem_access_ok(&f->m, a, 3 * PG, PROT_READ));
    g_assert_false(user_mem_access_ok(&f->m, a, 3 * PG, PROT_WRITE));
    g_assert_false(user_mem_access_ok(&f->m, a + 2 * PG, 2 * PG, PROT_READ)); /* hole */
    g_assert_true(user_mem_access_ok(&f->m, a + 4 * PG, PG, PROT_WRITE));
    g_assert_false(user_mem_access_ok(&f->m, SPACE - 1, 2, PROT_READ)); /* beyond the space */
    g_assert_false(user_mem_access_ok(&f->m, UINT64_MAX, 2, 0));        /* wraps */
    /* mprotect of a range with a hole fails, munmap of one does not */
    g_assert_cmpint(user_mem_mprotect(&f->m, a, 5 * PG, PROT_READ), ==, -ENOMEM);
    g_assert_cmpint(user_mem_munmap(&f->m, a, 5 * PG), ==, 0);
    g_assert_cmpint(user_mem_prot(&f->m, a + 4 * PG), ==, -1);
    g_assert_cmpint(user_mem_munmap(&f->m, a + 1, PG), ==, -EINVAL);
}

static void test_mremap(Fixture *f, gconstpointer data)
{
    uint64_t a = 0x40000000, b;
    int64_t r;

    g_assert_cmphex(
        user_mem_mmap(&f->m, a, 2 * PG, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0), ==, a);
    strcpy(user_mem_g2h(&f->m, a), "data");
    /* grows in place into free space */
    g_assert_cmphex(user_mem_mremap(&f->m, a, 2 * PG, 4 * PG, 0, 0), ==, a);
    g_assert_cmpint(user_mem_prot(&f->m, a + 3 * PG), ==, PROT_READ | PROT_WRITE);
    g_assert_cmpstr(user_mem_g2h(&f->m, a), ==, "data");
    /* blocked by a neighbour: fails without MAYMOVE, moves with it */
    g_assert_cmphex(user_mem_mmap(&f->m, a + 4 * PG, PG, PROT_READ, ANON | MAP_FIXED, -1, 0), ==,
                    a + 4 * PG);
    g_assert_cmpint(user_mem_mremap(&f->m, a, 4 * PG, 8 * PG, 0, 0), ==, -ENOMEM);
    r = user_mem_mremap(&f->m, a, 4 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
    g_assert_cmpint(r, >, 0);
    b = r;
    g_assert_cmpstr(user_mem_g2h(&f->m, b), ==, "data");
    g_assert_cmpint(user_mem_prot(&f->m, a), ==, -1);
    g_assert_cmpint(user_mem_prot(&f->m, b + 7 * PG), ==, PROT_READ | PROT_WRITE);
    /* shrinks */
    g_assert_cmphex(user_mem_mremap(&f->m, b, 8 * PG, PG, 0, 0), ==, b);
    g_assert_cmpint(user_mem_prot(&f->m, b + PG), ==, -1);
    /* moves to a fixed place */
    g_assert_cmphex(user_mem_mremap(&f->m, b, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, 0x50000000),
                    ==, 0x50000000);
    g_assert_cmpstr(user_mem_g2h(&f->m, 0x50000000), ==, "data");
    g_assert_cmpint(user_mem_mremap(&f->m, 0x60000000, PG, 2 * PG, MREMAP_MAYMOVE, 0), ==, -EFAULT);
    g_assert_cmpint(user_mem_mremap(&f->m, a, PG, PG, MREMAP_FIXED, 0x1000000), ==, -EINVAL);
}

static void test_brk(Fixture *f, gconstpointer data)
{
    f->m.brk_start = f->m.brk = 0x100000;
    g_assert_cmphex(user_mem_brk(&f->m, 0), ==, 0x100000);
    g_assert_cmphex(user_mem_brk(&f->m, 0x100010), ==, 0x100010);
    g_assert_cmpint(user_mem_prot(&f->m, 0x100000), ==, PROT_READ | PROT_WRITE);
    g_assert_cmphex(user_mem_brk(&f->m, 0x103000), ==, 0x103000);
    memset(user_mem_g2h(&f->m, 0x100000), 7, 0x3000);
    g_assert_cmphex(user_mem_brk(&f->m, 0x101000), ==, 0x101000);
    g_assert_cmpint(user_mem_prot(&f->m, 0x101000), ==, -1);
    g_assert_cmphex(user_mem_brk(&f->m, 0x102000), ==, 0x102000);
    g_assert_cmpuint(((char *)user_mem_g2h(&f->m, 0x101000))[0], ==, 0); /* fresh page */
    /* a mapping in the way stops the break */
    g_assert_cmphex(user_mem_mmap(&f->m, 0x110000, PG, PROT_READ, ANON | MAP_FIXED, -1, 0), ==,
                    0x110000);
    g_assert_cmphex(user_mem_brk(&f->m, 0x120000), ==, 0x102000);
    g_assert_cmphex(user_mem_brk(&f->m, 0x1000), ==, 0x102000); /* below the start */
}

static void test_strings(Fixture *f, gconstpointer data)
{
    uint64_t a = 0x70000000;
    char *p;

    g_assert_cmphex(user_mem_mmap(&f->m, a, PG, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0),
                    ==, a);
    p = user_mem_g2h(&f->m, a);
    strcpy(p, "short");
    g_assert_cmpint(user_mem_strnlen(&f->m, a, 4096), ==, 5);
    g_assert_cmpint(user_mem_strnlen(&f->m, a, 3), ==, -ENAMETOOLONG);
    memset(p, 'x', PG); /* runs into the unmapped page after it */
    g_assert_cmpint(user_mem_strnlen(&f->m, a, 8192), ==, -EFAULT);
    g_assert_cmpint(user_mem_strnlen(&f->m, a - 10, 100), ==, -EFAULT);
    /* the string may end exactly at the end of the mapping */
    p[PG - 1] = 0;
    g_assert_cmpint(user_mem_strnlen(&f->m, a + PG - 3, 100), ==, 2);
}

static void test_invalidate(Fixture *f, gconstpointer data)
{
    uint64_t a = 0x80000000;

    g_assert_cmphex(user_mem_mmap(&f->m, a, 4 * PG, PROT_READ | PROT_EXEC, ANON | MAP_FIXED, -1, 0),
                    ==, a);
    g_assert_cmpint(f->inval_count, ==, 0);
    g_assert_true(user_mem_range_has_exec(&f->m, a, 1));
    g_assert_cmpint(user_mem_munmap(&f->m, a + PG, PG), ==, 0);
    g_assert_cmpint(f->inval_count, ==, 1);
    g_assert_cmphex(f->inval_start, ==, a + PG);
    g_assert_cmphex(f->inval_len, ==, PG);
    g_assert_cmpint(user_mem_mprotect(&f->m, a, PG, PROT_READ | PROT_WRITE), ==, 0);
    g_assert_cmpint(f->inval_count, ==, 2);
    g_assert_cmphex(user_mem_mmap(&f->m, a + 2 * PG, PG, PROT_READ, ANON | MAP_FIXED, -1, 0), ==,
                    a + 2 * PG);
    g_assert_cmpint(f->inval_count, ==, 3);
    /* data-only changes do not invalidate */
    g_assert_cmpint(user_mem_munmap(&f->m, a, PG), ==, 0);
    g_assert_cmpint(f->inval_count, ==, 3);
}

static void test_maps(Fixture *f, gconstpointer data)
{
    g_autofree char *maps = NULL;

    g_assert_cmphex(
        user_mem_mmap(&f->m, 0x90000000, PG, PROT_READ | PROT_EXEC, ANON | MAP_FIXED, -1, 0), ==,
        0x90000000);
    g_assert_cmphex(user_mem_mmap(&f->m, 0x90001000, PG, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
                    ==, 0x90001000);
    user_mem_set_name(&f->m, 0x90000000, 0x90001000, "/bin/prog", 0);
    maps = user_mem_format_maps(&f->m);
    g_assert_nonnull(strstr(maps, "90000000-90001000 r-xp 00000000 00:00 0          /bin/prog\n"));
    g_assert_nonnull(strstr(maps, "90001000-90002000 rw-s 00000000 00:00 0\n"));
}

/* Many random operations against a page-by-page model. */
static void test_random(Fixture *f, gconstpointer data)
{
    enum { NPAGES = 64 };
    const uint64_t base = 0xa0000000;
    int model[NPAGES];
    GRand *r = g_rand_new_with_seed(42);

    for (int i = 0; i < NPAGES; i++) {
        model[i] = -1;
    }
    for (int step = 0; step < 2000; step++) {
        int first = g_rand_int_range(r, 0, NPAGES), n = g_rand_int_range(r, 1, 9);
        int prot = g_rand_int_range(r, 0, 8), op = g_rand_int_range(r, 0, 3);
        bool all_mapped = true;
        n = MIN(n, NPAGES - first);
        for (int i = first; i < first + n; i++) {
            all_mapped &= model[i] >= 0;
        }
        if (op == 0) {
            g_assert_cmphex(
                user_mem_mmap(&f->m, base + first * PG, n * PG, prot, ANON | MAP_FIXED, -1, 0), ==,
                base + first * PG);
            for (int i = first; i < first + n; i++) {
                model[i] = prot;
            }
        } else if (op == 1) {
            g_assert_cmpint(user_mem_munmap(&f->m, base + first * PG, n * PG), ==, 0);
            for (int i = first; i < first + n; i++) {
                model[i] = -1;
            }
        } else {
            int ret = user_mem_mprotect(&f->m, base + first * PG, n * PG, prot);
            g_assert_cmpint(ret, ==, all_mapped ? 0 : -ENOMEM);
            for (int i = first; all_mapped && i < first + n; i++) {
                model[i] = prot;
            }
        }
        for (int i = 0; i < NPAGES; i++) {
            g_assert_cmpint(user_mem_prot(&f->m, base + i * PG), ==, model[i]);
        }
    }
    /* the area array stays sorted and merged: no two neighbours are mergeable */
    for (guint i = 1; i < f->m.vmas->len; i++) {
        UserVma *p = &g_array_index(f->m.vmas, UserVma, i - 1);
        UserVma *q = &g_array_index(f->m.vmas, UserVma, i);
        g_assert_cmphex(p->end, <=, q->start);
        g_assert_false(p->end == q->start && p->prot == q->prot && p->flags == q->flags &&
                       p->name == q->name);
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/linux-user/mem/init-errors", test_init_errors);
#define ADD(name, fn) g_test_add("/linux-user/mem/" name, Fixture, NULL, setup, fn, teardown)
    ADD("topdown", test_topdown);
    ADD("fixed", test_fixed);
    ADD("split", test_split);
    ADD("mremap", test_mremap);
    ADD("brk", test_brk);
    ADD("strings", test_strings);
    ADD("invalidate", test_invalidate);
    ADD("maps", test_maps);
    ADD("random", test_random);
#undef ADD
    return g_test_run();
}
