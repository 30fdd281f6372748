/*
 * Unit tests of the memory API (vm-core/memory.h, vm-core/ram.h): flat views of
 * overlapping regions, MMIO access rules, RAM and unassigned accesses, dirty and code
 * bitmaps (with a concurrent writer), listeners, the info mtree dumps, and lock-free
 * lookups racing with map changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include <glib.h>

#include "vm-core/memory.h"

#define BITS_PER_LONG (sizeof(unsigned long) * 8)

/* --- helpers ------------------------------------------------------------------------ */

static MemoryRegion *new_ram(const char *name, uint64_t size)
{
    MemoryRegion *mr = NULL;

    g_assert_cmpint(memory_region_new_ram_block(name, size, 0, &mr), ==, 0);
    return mr;
}

static uint8_t *ram_host(MemoryRegion *mr)
{
    return (uint8_t *)ram_block_host(memory_region_ram_block(mr)) + memory_region_ram_offset(mr);
}

/* One access seen by the test device. */
typedef struct IoAccess {
    uint64_t addr;
    unsigned size;
    bool write;
    uint64_t data;
} IoAccess;

/* An MMIO device whose registers read back as byte i = (offset + i) ^ 0x5a. */
typedef struct TestDev {
    GArray *log;      /* IoAccess, in order */
    MemTxResult fail; /* returned by every access when non-zero */
} TestDev;

static MemTxResult testdev_read(void *opaque, uint64_t addr, uint64_t *ret_data, unsigned size)
{
    TestDev *d = opaque;
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)(((addr + i) ^ 0x5a) & 0xff) << (i * 8);
    }
    IoAccess a = {addr, size, false, v};
    g_array_append_val(d->log, a);
    *ret_data = v;
    return d->fail;
}

static MemTxResult testdev_write(void *opaque, uint64_t addr, uint64_t data, unsigned size)
{
    TestDev *d = opaque;
    IoAccess a = {addr, size, true, data};

    g_array_append_val(d->log, a);
    return d->fail;
}

static uint64_t testdev_value(uint64_t addr, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)(((addr + i) ^ 0x5a) & 0xff) << (i * 8);
    }
    return v;
}

static void check_access(TestDev *d, guint i, uint64_t addr, unsigned size, bool write,
                         uint64_t data)
{
    g_assert_cmpuint(i, <, d->log->len);
    IoAccess *a = &g_array_index(d->log, IoAccess, i);
    g_assert_cmphex(a->addr, ==, addr);
    g_assert_cmpuint(a->size, ==, size);
    g_assert_cmpint(a->write, ==, write);
    if (write) {
        g_assert_cmphex(a->data, ==, data);
    }
}

static GPtrArray *guest_errors;

static void record_guest_error(const char *message)
{
    g_ptr_array_add(guest_errors, g_strdup(message));
}

static void check_range(const MemoryRegionSection *s, uint64_t start, uint64_t last,
                        MemoryRegion *mr, uint64_t offset)
{
    g_assert_cmphex(s->offset_within_as, ==, start);
    g_assert_cmphex(s->offset_within_as + s->size - 1, ==, last);
    g_assert_true(s->mr == mr);
    g_assert_cmphex(s->offset_within_region, ==, offset);
}

/* --- RAM blocks --------------------------------------------------------------------- */

static void test_ram_block(void)
{
    RamBlock *b = NULL;

    g_assert_cmpint(ram_block_new("r", 0, 0, &b), ==, -EINVAL);
    g_assert_cmpint(ram_block_new("r", 100, 0, &b), ==, -EINVAL);
    g_assert_cmpint(
        ram_block_new("r", 16 * RAM_PAGE_SIZE, RAM_BLOCK_NORESERVE | RAM_BLOCK_HUGEPAGES, &b), ==,
        0);
    g_assert_cmpstr(ram_block_name(b), ==, "r");
    g_assert_cmpuint(ram_block_size(b), ==, 16 * RAM_PAGE_SIZE);
    g_assert_cmpuint(ram_block_pages(b), ==, 16);
    g_assert_cmpint(ram_block_fd(b), >=, 0);
    /* Zero filled, and the fd is close-on-exec. */
    g_assert_cmpuint(((uint8_t *)ram_block_host(b))[5000], ==, 0);
    g_assert_true(fcntl(ram_block_fd(b), F_GETFD) & FD_CLOEXEC);

    MemoryRegion *mr = NULL;
    g_assert_cmpint(memory_region_new_ram("w", b, 8 * RAM_PAGE_SIZE, 9 * RAM_PAGE_SIZE, &mr), ==,
                    -EINVAL);
    g_assert_cmpint(memory_region_new_ram("w", b, 8 * RAM_PAGE_SIZE, 8 * RAM_PAGE_SIZE, &mr), ==,
                    0);
    ram_block_unref(b); /* the region keeps the block */
    g_assert_true(memory_region_is_ram(mr));
    g_assert_cmpuint(memory_region_ram_offset(mr), ==, 8 * RAM_PAGE_SIZE);
    ram_host(mr)[0] = 1;
    memory_region_unref(mr);
}

static void test_ram_memfd_shared(void)
{
    g_autoptr(MemoryRegion) mr = new_ram("ram", 4 * RAM_PAGE_SIZE);
    RamBlock *b = memory_region_ram_block(mr);
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_assert_cmpint(memory_region_add_subregion(root, 0x80000000, mr), ==, 0);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");

    uint8_t *second =
        mmap(NULL, ram_block_size(b), PROT_READ | PROT_WRITE, MAP_SHARED, ram_block_fd(b), 0);
    g_assert_true(second != MAP_FAILED);
    /* A write through the address space is seen by the second mapping, and back. */
    address_space_stl_le(as, 0x80001000, 0xdeadbeef, NULL);
    g_assert_cmphex(second[0x1000], ==, 0xef);
    g_assert_cmphex(second[0x1003], ==, 0xde);
    second[0x2000] = 0x42;
    g_assert_cmphex(address_space_ldub(as, 0x80002000, NULL), ==, 0x42);
    munmap(second, ram_block_size(b));
}

/* --- flat views --------------------------------------------------------------------- */

typedef struct Overlaps {
    MemoryRegion *root, *low, *dev, *under, *bus, *dev2;
    TestDev td;
    AddressSpace *as;
} Overlaps;

static const MemoryRegionOps testdev_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
};

static void overlaps_build(Overlaps *o)
{
    o->td.log = g_array_new(FALSE, FALSE, sizeof(IoAccess));
    o->root = memory_region_new_container("system", UINT64_MAX);
    o->low = new_ram("low", 0x8000);
    o->dev = memory_region_new_io("dev", &testdev_ops, &o->td, 0x2000);
    o->under = new_ram("under", 0x2000);
    o->bus = memory_region_new_container("bus", 0x1000);
    o->dev2 = memory_region_new_io("dev2", &testdev_ops, &o->td, 0x1000);
    o->as = address_space_new(o->root, "memory");
    g_assert_cmpint(memory_region_add_subregion(o->root, 0, o->low), ==, 0);
    g_assert_cmpint(memory_region_add_subregion_overlap(o->root, 0x2000, o->dev, 1), ==, 0);
    g_assert_cmpint(memory_region_add_subregion_overlap(o->root, 0x7000, o->under, -1), ==, 0);
    g_assert_cmpint(memory_region_add_subregion(o->root, 0x10000, o->bus), ==, 0);
    /* Sticks out of its container: clipped to it. */
    g_assert_cmpint(memory_region_add_subregion(o->bus, 0x800, o->dev2), ==, 0);
}

static void overlaps_free(Overlaps *o)
{
    address_space_destroy(o->as);
    memory_region_unref(o->root);
    memory_region_unref(o->low);
    memory_region_unref(o->dev);
    memory_region_unref(o->under);
    memory_region_unref(o->bus);
    memory_region_unref(o->dev2);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
    g_array_unref(o->td.log);
}

static void test_flatview_priorities(void)
{
    Overlaps o;
    size_t n;

    overlaps_build(&o);
    g_autofree MemoryRegionSection *fv = address_space_get_flat_view(o.as, &n);
    g_assert_cmpuint(n, ==, 5);
    check_range(&fv[0], 0x0, 0x1fff, o.low, 0);
    check_range(&fv[1], 0x2000, 0x3fff, o.dev, 0);
    check_range(&fv[2], 0x4000, 0x7fff, o.low, 0x4000);
    check_range(&fv[3], 0x8000, 0x8fff, o.under, 0x1000);
    check_range(&fv[4], 0x10800, 0x10fff, o.dev2, 0);
    g_assert_true(fv[0].host == ram_host(o.low));
    g_assert_true(fv[1].host == NULL);

    /* Disabling the device uncovers low again: its two pieces merge into one range. */
    memory_region_set_enabled(o.dev, false);
    g_autofree MemoryRegionSection *fv2 = address_space_get_flat_view(o.as, &n);
    g_assert_cmpuint(n, ==, 3);
    check_range(&fv2[0], 0x0, 0x7fff, o.low, 0);
    check_range(&fv2[1], 0x8000, 0x8fff, o.under, 0x1000);
    check_range(&fv2[2], 0x10800, 0x10fff, o.dev2, 0);

    /* Equal priority: the region added last wins. Raising under's priority uncovers it. */
    g_autoptr(MemoryRegion) dev3 = memory_region_new_io("dev3", &testdev_ops, &o.td, 0x1000);
    g_assert_cmpint(memory_region_add_subregion(o.root, 0, dev3), ==, 0);
    memory_region_transaction_begin();
    g_assert_cmpint(memory_region_del_subregion(o.root, o.under), ==, 0);
    g_assert_cmpint(memory_region_add_subregion_overlap(o.root, 0x7000, o.under, 2), ==, 0);
    memory_region_transaction_commit();
    g_autofree MemoryRegionSection *fv3 = address_space_get_flat_view(o.as, &n);
    g_assert_cmpuint(n, ==, 4);
    check_range(&fv3[0], 0x0, 0xfff, dev3, 0);
    check_range(&fv3[1], 0x1000, 0x6fff, o.low, 0x1000);
    check_range(&fv3[2], 0x7000, 0x8fff, o.under, 0);
    check_range(&fv3[3], 0x10800, 0x10fff, o.dev2, 0);

    /* Moving a region. */
    memory_region_set_address(o.bus, 0x20000);
    MemoryRegionSection s;
    g_assert_cmpint(address_space_translate(o.as, 0x20900, &s), ==, MEMTX_OK);
    g_assert_true(s.mr == o.dev2);
    g_assert_cmphex(s.offset_within_region, ==, 0x100);
    g_assert_cmphex(s.size, ==, 0x700);
    g_assert_cmpint(address_space_translate(o.as, 0x10900, &s), ==, MEMTX_DECODE_ERROR);

    g_assert_cmpint(memory_region_del_subregion(o.root, dev3), ==, 0);
    overlaps_free(&o);
}

static void test_tree_errors(void)
{
    g_autoptr(MemoryRegion) a = memory_region_new_container("a", 0x1000);
    g_autoptr(MemoryRegion) b = memory_region_new_container("b", 0x1000);
    g_autoptr(MemoryRegion) c = memory_region_new_container("c", 0x1000);

    g_assert_cmpint(memory_region_add_subregion(a, 0, b), ==, 0);
    g_assert_cmpint(memory_region_add_subregion(c, 0, b), ==, -EBUSY);
    g_assert_cmpint(memory_region_add_subregion(b, 0, a), ==, -ELOOP);
    g_assert_cmpint(memory_region_add_subregion(a, 0, a), ==, -ELOOP);
    g_assert_cmpint(memory_region_del_subregion(c, b), ==, -ENOENT);
    g_assert_cmpint(memory_region_del_subregion(a, b), ==, 0);
    g_assert_cmpint(memory_region_del_subregion(a, b), ==, -ENOENT);
    /* A container freed with children drops them. */
    g_assert_cmpint(memory_region_add_subregion(c, 0, memory_region_ref(b)), ==, 0);
    memory_region_unref(b);
}

static void test_alias(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(MemoryRegion) ram = new_ram("ram", 0x4000);
    g_autoptr(MemoryRegion) alias = memory_region_new_alias("ram.hi", ram, 0x1000, 0x2000);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");

    g_assert_cmpint(memory_region_add_subregion(root, 0x80000000, ram), ==, 0);
    g_assert_cmpint(memory_region_add_subregion(root, 0x1000, alias), ==, 0);
    address_space_stq_le(as, 0x80001008, 0x1122334455667788, NULL);
    g_assert_cmphex(address_space_ldq_le(as, 0x1008, NULL), ==, 0x1122334455667788);

    MemoryRegionSection s;
    g_assert_cmpint(address_space_translate(as, 0x1008, &s), ==, MEMTX_OK);
    g_assert_true(s.mr == ram);
    g_assert_cmphex(s.offset_within_region, ==, 0x1008);
    g_assert_cmphex(s.size, ==, 0x2000 - 8);
    g_assert_true(s.host == ram_host(ram) + 0x1008);
    g_assert_true(s.block == memory_region_ram_block(ram));
    g_assert_cmphex(s.block_offset, ==, 0x1008);
    g_assert_cmpint(address_space_translate(as, 0x3000, &s), ==, MEMTX_DECODE_ERROR);

    memory_region_set_alias_offset(alias, 0);
    g_assert_cmphex(address_space_ldq_le(as, 0x2008, NULL), ==, 0x1122334455667788);

    g_autofree char *tree = memory_dump_mtree(as);
    g_assert_cmpstr(tree, ==,
                    "address-space: memory\n"
                    "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
                    "    0000000000001000-0000000000002fff (prio 0, ram): alias ram.hi @ram "
                    "0000000000000000-0000000000001fff\n"
                    "    0000000080000000-0000000080003fff (prio 0, ram): ram\n"
                    "\n"
                    /* As in QEMU: the target at its own address (base 0). */
                    "memory-region: ram\n"
                    "  0000000080000000-0000000080003fff (prio 0, ram): ram\n"
                    "\n");
    /* An alias onto its own ancestor is a board bug; it must not hang or crash. */
    g_autoptr(MemoryRegion) loop = memory_region_new_alias("loop", root, 0, 0x10000);
    g_assert_cmpint(memory_region_add_subregion_overlap(root, 0, loop, -1), ==, 0);
    g_assert_cmphex(address_space_ldq_le(as, 0x2008, NULL), ==, 0x1122334455667788);
    g_assert_cmpint(memory_region_del_subregion(root, loop), ==, 0);

    g_assert_cmpint(memory_region_del_subregion(root, alias), ==, 0);
    g_assert_cmpint(memory_region_del_subregion(root, ram), ==, 0);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
}

static void test_dump(void)
{
    Overlaps o;

    overlaps_build(&o);
    memory_region_set_readonly(o.under, true);
    g_autofree char *tree = memory_dump_mtree(o.as);
    g_assert_cmpstr(tree, ==,
                    "address-space: memory\n"
                    "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
                    "    0000000000000000-0000000000007fff (prio 0, ram): low\n"
                    "    0000000000002000-0000000000003fff (prio 1, i/o): dev\n"
                    "    0000000000007000-0000000000008fff (prio -1, rom): under\n"
                    "    0000000000010000-0000000000010fff (prio 0, i/o): bus\n"
                    "      0000000000010800-00000000000117ff (prio 0, i/o): dev2\n"
                    "\n");
    g_autofree char *flat = memory_dump_flatview(o.as);
    g_assert_cmpstr(flat, ==,
                    "FlatView #0\n"
                    " AS \"memory\", root: system\n"
                    " Root memory region: system\n"
                    "  0000000000000000-0000000000001fff (prio 0, ram): low\n"
                    "  0000000000002000-0000000000003fff (prio 1, i/o): dev\n"
                    "  0000000000004000-0000000000007fff (prio 0, ram): low @0000000000004000\n"
                    "  0000000000008000-0000000000008fff (prio -1, rom): under "
                    "@0000000000001000\n"
                    "  0000000000010800-0000000000010fff (prio 0, i/o): dev2\n"
                    "\n");
    memory_region_set_enabled(o.bus, false);
    g_autofree char *tree2 = memory_dump_mtree(o.as);
    g_assert_null(strstr(tree2, "dev2"));
    overlaps_free(&o);
}

/* --- accesses ----------------------------------------------------------------------- */

static void test_ram_access(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(MemoryRegion) ram = new_ram("ram", 0x10000);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    uint8_t buf[300], back[300];

    g_assert_cmpint(memory_region_add_subregion(root, 0x80000000, ram), ==, 0);
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 7 + 1);
    }
    g_assert_cmpint(address_space_write(as, 0x80000ff0, buf, sizeof(buf)), ==, MEMTX_OK);
    g_assert_cmpmem(ram_host(ram) + 0xff0, sizeof(buf), buf, sizeof(buf));
    ram_host(ram)[0x2000] = 0xab;
    g_assert_cmpint(address_space_read(as, 0x80001fff, back, 2), ==, MEMTX_OK);
    g_assert_cmphex(back[1], ==, 0xab);
    g_assert_cmpint(address_space_read(as, 0x80000ff0, back, sizeof(back)), ==, MEMTX_OK);
    g_assert_cmpmem(back, sizeof(back), buf, sizeof(buf));

    /* Little-endian helpers. */
    MemTxResult r = MEMTX_ERROR;
    address_space_stq_le(as, 0x80000100, 0x0807060504030201, &r);
    g_assert_cmpint(r, ==, MEMTX_OK);
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmpuint(ram_host(ram)[0x100 + i], ==, i + 1);
    }
    g_assert_cmphex(address_space_ldl_le(as, 0x80000101, &r), ==, 0x05040302);
    g_assert_cmphex(address_space_lduw_le(as, 0x80000106, NULL), ==, 0x0807);
    address_space_stw_le(as, 0x80000200, 0xbeef, NULL);
    address_space_stl_le(as, 0x80000202, 0xcafe1234, NULL);
    address_space_stb(as, 0x80000206, 0x99, NULL);
    g_assert_cmphex(address_space_ldq_le(as, 0x80000200, NULL), ==, 0x0099cafe1234beef);

    /* A read-only RAM region ignores stores, as a ROM does. */
    memory_region_set_readonly(ram, true);
    address_space_stb(as, 0x80000206, 0x11, &r);
    g_assert_cmpint(r, ==, MEMTX_OK);
    g_assert_cmphex(address_space_ldub(as, 0x80000206, NULL), ==, 0x99);
    MemoryRegionSection s;
    g_assert_cmpint(address_space_translate(as, 0x80000206, &s), ==, MEMTX_OK);
    g_assert_true(s.readonly);
    g_assert_cmpint(memory_region_del_subregion(root, ram), ==, 0);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
}

static void test_unassigned(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(MemoryRegion) ram = new_ram("ram", 0x1000);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    uint8_t buf[16];
    MemTxResult r = MEMTX_OK;
    MemoryRegionSection s;

    g_assert_cmpint(memory_region_add_subregion(root, 0x10000, ram), ==, 0);
    g_assert_cmphex(address_space_ldl_le(as, 0x5000, &r), ==, 0xffffffff);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(address_space_ldq_le(as, 0x5000, &r), ==, UINT64_MAX);
    address_space_stl_le(as, 0x5000, 1, &r);
    g_assert_cmpint(r, ==, MEMTX_DECODE_ERROR);
    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(address_space_read(as, 0, buf, sizeof(buf)), ==, MEMTX_DECODE_ERROR);
    for (unsigned i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, 0xff);
    }
    /* The hole's length, before and after the RAM. */
    g_assert_cmpint(address_space_translate(as, 0x4000, &s), ==, MEMTX_DECODE_ERROR);
    g_assert_null(s.mr);
    g_assert_cmphex(s.size, ==, 0xc000);
    g_assert_cmpint(address_space_translate(as, 0x11000, &s), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(s.size, ==, UINT64_MAX - 0x11000 + 1);
    g_assert_cmpint(address_space_translate(as, 0, &s), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(s.size, ==, 0x10000);

    /* An empty address space, and an access running past 2^64. */
    g_autoptr(MemoryRegion) empty = memory_region_new_container("empty", UINT64_MAX);
    g_autoptr(AddressSpace) as2 = address_space_new(empty, "empty");
    g_assert_cmpint(address_space_translate(as2, 0, &s), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(s.size, ==, UINT64_MAX);
    g_autoptr(MemoryRegion) top = new_ram("top", 0x1000);
    g_assert_cmpint(memory_region_add_subregion(root, UINT64_MAX - 0xfff, top), ==, 0);
    ram_host(top)[0xffe] = 0x12;
    ram_host(top)[0xfff] = 0x34;
    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(address_space_read(as, UINT64_MAX - 1, buf, 4), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(buf[0], ==, 0x12);
    g_assert_cmphex(buf[1], ==, 0x34);
    g_assert_cmphex(buf[2], ==, 0xff);
    g_assert_cmphex(buf[3], ==, 0xff);
    g_assert_cmphex(address_space_lduw_le(as, UINT64_MAX - 1, &r), ==, 0x3412);
    g_assert_cmpint(r, ==, MEMTX_OK);
    g_assert_cmpint(address_space_translate(as, UINT64_MAX, &s), ==, MEMTX_OK);
    g_assert_cmphex(s.size, ==, 1);
    g_assert_cmpint(memory_region_del_subregion(root, top), ==, 0);
    g_assert_cmpint(memory_region_del_subregion(root, ram), ==, 0);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
}

static void test_crossing(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(MemoryRegion) a = new_ram("a", 0x1000);
    g_autoptr(MemoryRegion) b = new_ram("b", 0x1000);
    TestDev td = {.log = g_array_new(FALSE, FALSE, sizeof(IoAccess))};
    g_autoptr(MemoryRegion) io = memory_region_new_io("io", &testdev_ops, &td, 0x100);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    uint8_t buf[16];

    g_assert_cmpint(memory_region_add_subregion(root, 0x1000, a), ==, 0);
    g_assert_cmpint(memory_region_add_subregion(root, 0x2000, b), ==, 0);
    g_assert_cmpint(memory_region_add_subregion(root, 0x3000, io), ==, 0);
    /* Two blocks, adjacent in the address space but not in the host: split. */
    address_space_stq_le(as, 0x1ffc, 0x8877665544332211, NULL);
    g_assert_cmphex(ram_host(a)[0xffc], ==, 0x11);
    g_assert_cmphex(ram_host(a)[0xfff], ==, 0x44);
    g_assert_cmphex(ram_host(b)[0], ==, 0x55);
    g_assert_cmphex(ram_host(b)[3], ==, 0x88);
    g_assert_cmphex(address_space_ldq_le(as, 0x1ffc, NULL), ==, 0x8877665544332211);

    /* RAM then MMIO: each part from its own region. */
    ram_host(b)[0xffe] = 0xaa;
    ram_host(b)[0xfff] = 0xbb;
    g_assert_cmpint(address_space_read(as, 0x2ffe, buf, 6), ==, MEMTX_OK);
    g_assert_cmphex(buf[0], ==, 0xaa);
    g_assert_cmphex(buf[1], ==, 0xbb);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmphex(buf[2 + i], ==, i ^ 0x5a);
    }
    g_assert_cmpuint(td.log->len, ==, 1);
    check_access(&td, 0, 0, 4, false, 0);

    /* MMIO then a hole: the device part succeeds, the rest is a decode error. */
    g_array_set_size(td.log, 0);
    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(address_space_read(as, 0x30fc, buf, 8), ==, MEMTX_DECODE_ERROR);
    g_assert_cmphex(buf[0], ==, 0xfc ^ 0x5a);
    g_assert_cmphex(buf[4], ==, 0xff);
    g_assert_cmpuint(td.log->len, ==, 1);
    check_access(&td, 0, 0xfc, 4, false, 0);

    for (const char *r = "abi"; *r; r++) {
        MemoryRegion *mr = *r == 'a' ? a : *r == 'b' ? b : io;
        g_assert_cmpint(memory_region_del_subregion(root, mr), ==, 0);
    }
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
    g_array_unref(td.log);
}

/* --- MMIO access rules -------------------------------------------------------------- */

static void test_mmio_split(void)
{
    /* The guest may do 1 to 8 bytes, unaligned; the device implements aligned 4 only. */
    static const MemoryRegionOps ops = {
        .read = testdev_read,
        .write = testdev_write,
        .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
        .impl = {.min_access_size = 4, .max_access_size = 4},
    };
    TestDev td = {.log = g_array_new(FALSE, FALSE, sizeof(IoAccess))};
    g_autoptr(MemoryRegion) mr = memory_region_new_io("dev", &ops, &td, 0x100);
    uint64_t v;

    g_assert_cmpint(memory_region_dispatch_read(mr, 0x10, &v, 8), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, testdev_value(0x10, 8));
    g_assert_cmpuint(td.log->len, ==, 2);
    check_access(&td, 0, 0x10, 4, false, 0);
    check_access(&td, 1, 0x14, 4, false, 0);

    /* Smaller than the device does: widened to the aligned word around it. */
    g_array_set_size(td.log, 0);
    g_assert_cmpint(memory_region_dispatch_read(mr, 0x12, &v, 1), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, testdev_value(0x12, 1));
    check_access(&td, 0, 0x10, 4, false, 0);
    g_assert_cmpint(memory_region_dispatch_write(mr, 0x22, 0xabcd, 2), ==, MEMTX_OK);
    check_access(&td, 1, 0x20, 4, true, 0xabcd0000);

    /* Unaligned 4 bytes at 0x31: the two words holding bytes 0x31..0x34. */
    g_array_set_size(td.log, 0);
    g_assert_cmpint(memory_region_dispatch_read(mr, 0x31, &v, 4), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, testdev_value(0x31, 4));
    g_assert_cmpuint(td.log->len, ==, 2);
    check_access(&td, 0, 0x30, 4, false, 0);
    check_access(&td, 1, 0x34, 4, false, 0);
    g_assert_cmpint(memory_region_dispatch_write(mr, 0x43, 0x11223344, 4), ==, MEMTX_OK);
    g_assert_cmpuint(td.log->len, ==, 4);
    check_access(&td, 2, 0x40, 4, true, 0x44000000);
    check_access(&td, 3, 0x44, 4, true, 0x112233);
    /* Unaligned 8 bytes at 0x52: a partial word, a whole one, a partial one. */
    g_array_set_size(td.log, 0);
    g_assert_cmpint(memory_region_dispatch_write(mr, 0x52, 0x0807060504030201, 8), ==, MEMTX_OK);
    g_assert_cmpuint(td.log->len, ==, 3);
    check_access(&td, 0, 0x50, 4, true, 0x02010000);
    check_access(&td, 1, 0x54, 4, true, 0x06050403);
    check_access(&td, 2, 0x58, 4, true, 0x0807);

    /* A device that takes unaligned accesses of 2 to 8 bytes: a 1-byte tail is widened. */
    static const MemoryRegionOps loose = {
        .read = testdev_read,
        .write = testdev_write,
        .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
        .impl = {.min_access_size = 2, .max_access_size = 8, .unaligned = true},
    };
    g_autoptr(MemoryRegion) mr3 = memory_region_new_io("loose", &loose, &td, 0x100);
    g_array_set_size(td.log, 0);
    g_assert_cmpint(memory_region_dispatch_read(mr3, 0x13, &v, 1), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, testdev_value(0x13, 1));
    check_access(&td, 0, 0x13, 2, false, 0);
    g_assert_cmpint(memory_region_dispatch_read(mr3, 0x21, &v, 8), ==, MEMTX_OK);
    g_assert_cmphex(v, ==, testdev_value(0x21, 8));
    check_access(&td, 1, 0x21, 8, false, 0);

    g_clear_pointer(&mr, memory_region_unref);
    g_clear_pointer(&mr3, memory_region_unref);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
    g_array_unref(td.log);
}

static void test_mmio_dma(void)
{
    TestDev td = {.log = g_array_new(FALSE, FALSE, sizeof(IoAccess))};

    /* DMA through an address space picks the largest valid aligned sizes. */
    static const MemoryRegionOps wide = {
        .read = testdev_read,
        .write = testdev_write,
        .valid = {.min_access_size = 1, .max_access_size = 8},
        .impl = {.min_access_size = 1, .max_access_size = 8},
    };
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(MemoryRegion) mr2 = memory_region_new_io("wide", &wide, &td, 0x100);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    g_assert_cmpint(memory_region_add_subregion(root, 0x1000, mr2), ==, 0);
    uint8_t buf[16];
    g_array_set_size(td.log, 0);
    g_assert_cmpint(address_space_read(as, 0x1001, buf, 15), ==, MEMTX_OK);
    g_assert_cmpuint(td.log->len, ==, 4);
    check_access(&td, 0, 0x1, 1, false, 0);
    check_access(&td, 1, 0x2, 2, false, 0);
    check_access(&td, 2, 0x4, 4, false, 0);
    check_access(&td, 3, 0x8, 8, false, 0);
    for (unsigned i = 0; i < 15; i++) {
        g_assert_cmphex(buf[i], ==, (i + 1) ^ 0x5a);
    }

    static const uint8_t out[6] = {1, 2, 3, 4, 5, 6};
    g_array_set_size(td.log, 0);
    g_assert_cmpint(address_space_write(as, 0x1002, out, sizeof(out)), ==, MEMTX_OK);
    g_assert_cmpuint(td.log->len, ==, 2);
    check_access(&td, 0, 0x2, 2, true, 0x0201);
    check_access(&td, 1, 0x4, 4, true, 0x06050403);

    /* A device error propagates. */
    td.fail = MEMTX_ERROR;
    g_assert_cmpint(address_space_read(as, 0x1000, buf, 4), ==, MEMTX_ERROR);
    g_assert_cmphex(buf[0], ==, 0xff);
    td.fail = MEMTX_OK;

    g_assert_cmpint(memory_region_del_subregion(root, mr2), ==, 0);
    g_clear_pointer(&mr2, memory_region_unref);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
    g_array_unref(td.log);
}

static void test_mmio_reject(void)
{
    /* A 32-bit register block: aligned 4-byte accesses only. */
    static const MemoryRegionOps ops = {
        .read = testdev_read,
        .write = testdev_write,
        .valid = {.min_access_size = 4, .max_access_size = 4},
        .impl = {.min_access_size = 4, .max_access_size = 4},
    };
    TestDev td = {.log = g_array_new(FALSE, FALSE, sizeof(IoAccess))};
    g_autoptr(MemoryRegion) mr = memory_region_new_io("regs", &ops, &td, 0x100);
    uint64_t v = 0;

    guest_errors = g_ptr_array_new_with_free_func(g_free);
    memory_set_guest_error_hook(record_guest_error);
    g_assert_cmpint(memory_region_dispatch_read(mr, 0, &v, 1), ==, MEMTX_ERROR);
    g_assert_cmphex(v, ==, 0xff);
    g_assert_cmpint(memory_region_dispatch_read(mr, 2, &v, 4), ==, MEMTX_ERROR);
    g_assert_cmpint(memory_region_dispatch_write(mr, 0, 0, 8), ==, MEMTX_ERROR);
    g_assert_cmpint(memory_region_dispatch_write(mr, 0x100, 0, 4), ==, MEMTX_ERROR);
    g_assert_cmpint(memory_region_dispatch_write(mr, 0, 0, 3), ==, MEMTX_ERROR);
    g_assert_cmpuint(td.log->len, ==, 0);
    g_assert_cmpuint(guest_errors->len, ==, 4);
    g_assert_nonnull(strstr(g_ptr_array_index(guest_errors, 0), "regs: invalid read of size 1"));
    g_assert_nonnull(strstr(g_ptr_array_index(guest_errors, 1), "unaligned read"));
    g_assert_nonnull(strstr(g_ptr_array_index(guest_errors, 3), "past the region end"));
    g_assert_cmpint(memory_region_dispatch_write(mr, 0xfc, 7, 4), ==, MEMTX_OK);
    check_access(&td, 0, 0xfc, 4, true, 7);

    /* Through an address space: a 2-byte load is refused, a 4-byte one works. */
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    g_assert_cmpint(memory_region_add_subregion(root, 0x1000, mr), ==, 0);
    MemTxResult r;
    g_assert_cmphex(address_space_lduw_le(as, 0x1000, &r), ==, 0xffff);
    g_assert_cmpint(r, ==, MEMTX_ERROR);
    g_assert_cmphex(address_space_ldl_le(as, 0x1004, &r), ==, testdev_value(4, 4));
    g_assert_cmpint(r, ==, MEMTX_OK);

    memory_set_guest_error_hook(NULL);
    g_clear_pointer(&guest_errors, g_ptr_array_unref);
    g_assert_cmpint(memory_region_del_subregion(root, mr), ==, 0);
    g_clear_pointer(&mr, memory_region_unref);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
    g_array_unref(td.log);
}

/* --- dirty and code bitmaps --------------------------------------------------------- */

static void test_dirty_basic(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(MemoryRegion) ram = new_ram("ram", 200 * RAM_PAGE_SIZE);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    RamBlock *b = memory_region_ram_block(ram);

    g_assert_cmpint(memory_region_add_subregion(root, 0x80000000, ram), ==, 0);
    for (int c = 0; c < DIRTY_CLIENT_MAX; c++) {
        g_assert_false(ram_block_test_dirty(b, c, 3));
    }
    /* A write through the address space dirties the pages it touches, for every client. */
    uint8_t data[2] = {1, 2};
    address_space_write(as, 0x80000000 + 4 * RAM_PAGE_SIZE - 1, data, 2);
    for (int c = 0; c < DIRTY_CLIENT_MAX; c++) {
        g_assert_true(ram_block_test_dirty(b, c, 3));
        g_assert_true(ram_block_test_dirty(b, c, 4));
        g_assert_false(ram_block_test_dirty(b, c, 5));
    }
    g_assert_true(ram_block_page_all_dirty(b, 4));
    /* Reads do not. */
    address_space_ldub(as, 0x80000000 + 10 * RAM_PAGE_SIZE, NULL);
    g_assert_false(ram_block_test_dirty(b, DIRTY_CLIENT_MIGRATION, 10));

    /* The display fetches its range; the other clients keep their bits. */
    g_assert_true(ram_block_test_and_clear_dirty(b, DIRTY_CLIENT_DISPLAY, 0, 8 * RAM_PAGE_SIZE));
    g_assert_false(ram_block_test_and_clear_dirty(b, DIRTY_CLIENT_DISPLAY, 0, 8 * RAM_PAGE_SIZE));
    g_assert_false(ram_block_page_all_dirty(b, 4));
    g_assert_true(ram_block_test_dirty(b, DIRTY_CLIENT_MIGRATION, 4));

    /* Partial words at both ends of a range. */
    ram_block_set_dirty(b, 60 * RAM_PAGE_SIZE, 10 * RAM_PAGE_SIZE);
    ram_block_set_dirty(b, 199 * RAM_PAGE_SIZE, 5);
    g_assert_false(ram_block_test_and_clear_dirty(b, DIRTY_CLIENT_CODE, 70 * RAM_PAGE_SIZE,
                                                  100 * RAM_PAGE_SIZE));
    g_assert_true(ram_block_test_and_clear_dirty(b, DIRTY_CLIENT_CODE, 62 * RAM_PAGE_SIZE,
                                                 3 * RAM_PAGE_SIZE));
    g_assert_true(ram_block_test_dirty(b, DIRTY_CLIENT_CODE, 61));
    g_assert_false(ram_block_test_dirty(b, DIRTY_CLIENT_CODE, 63));
    g_assert_true(ram_block_test_dirty(b, DIRTY_CLIENT_CODE, 65));

    /* Migration's sync moves its whole bitmap out. */
    g_autofree unsigned long *map = g_new0(unsigned long, ram_block_bitmap_longs(b));
    g_assert_cmpuint(ram_block_dirty_sync(b, DIRTY_CLIENT_MIGRATION, map), ==, 2 + 10 + 1);
    g_assert_true(map[3 / BITS_PER_LONG] & (1UL << (3 % BITS_PER_LONG)));
    g_assert_true(map[199 / BITS_PER_LONG] & (1UL << (199 % BITS_PER_LONG)));
    g_assert_cmpuint(ram_block_dirty_sync(b, DIRTY_CLIENT_MIGRATION, map), ==, 0);
    ram_block_set_all_dirty(b, DIRTY_CLIENT_MIGRATION);
    g_assert_cmpuint(ram_block_dirty_sync(b, DIRTY_CLIENT_MIGRATION, map), ==, 200);
    /* Out-of-range arguments are ignored. */
    ram_block_set_dirty(b, 200 * RAM_PAGE_SIZE, 1);
    g_assert_false(ram_block_test_dirty(b, DIRTY_CLIENT_MAX, 0));
    g_assert_false(ram_block_test_dirty(b, DIRTY_CLIENT_MIGRATION, 200));
    g_assert_cmpint(memory_region_del_subregion(root, ram), ==, 0);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
}

#define RACE_PAGES (1u << 18)

typedef struct DirtyRace {
    RamBlock *block;
    AddressSpace *as;
    gint progress; /* pages written so far; RACE_PAGES when done */
} DirtyRace;

/*
 * Writes every page exactly once, in order: a bit lost by a racing fetch would never be
 * set again, so the final union shows it. Most pages only get their bit set (the CPU's
 * path); every 64th is written through the address space (the DMA path).
 */
static gpointer dirty_writer(gpointer opaque)
{
    DirtyRace *d = opaque;

    for (unsigned page = 0; page < RACE_PAGES; page++) {
        if (page % 64 == 0) {
            address_space_stl_le(d->as, (uint64_t)page * RAM_PAGE_SIZE, page, NULL);
        } else {
            ram_block_set_dirty(d->block, (uint64_t)page * RAM_PAGE_SIZE + 8, 1);
        }
        g_atomic_int_set(&d->progress, (gint)page + 1);
    }
    return NULL;
}

static void set_page_bit(unsigned long *map, uint64_t page)
{
    map[page / BITS_PER_LONG] |= 1UL << (page % BITS_PER_LONG);
}

static void test_dirty_concurrent(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    MemoryRegion *ram = NULL;
    g_assert_cmpint(memory_region_new_ram_block("ram", (uint64_t)RACE_PAGES * RAM_PAGE_SIZE,
                                                RAM_BLOCK_NORESERVE, &ram),
                    ==, 0);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    RamBlock *b = memory_region_ram_block(ram);
    size_t longs = ram_block_bitmap_longs(b);
    g_autofree unsigned long *migration = g_new0(unsigned long, longs);
    g_autofree unsigned long *display = g_new0(unsigned long, longs);
    DirtyRace d = {.block = b, .as = as};

    g_assert_cmpint(memory_region_add_subregion(root, 0, ram), ==, 0);
    GThread *t = g_thread_new("dirty-writer", dirty_writer, &d);
    /* Fetch while the writer runs, aiming the per-page fetches at the word it writes. */
    unsigned rounds = 0;
    while (g_atomic_int_get(&d.progress) < (gint)RACE_PAGES) {
        uint64_t at = (uint64_t)g_atomic_int_get(&d.progress);
        ram_block_dirty_sync(b, DIRTY_CLIENT_MIGRATION, migration);
        for (uint64_t page = at > 8 ? at - 8 : 0; page < at + 8; page++) {
            if (ram_block_test_and_clear_dirty(b, DIRTY_CLIENT_DISPLAY, page * RAM_PAGE_SIZE,
                                               RAM_PAGE_SIZE)) {
                set_page_bit(display, page);
            }
        }
        rounds++;
    }
    g_thread_join(t);
    ram_block_dirty_sync(b, DIRTY_CLIENT_MIGRATION, migration);
    ram_block_dirty_sync(b, DIRTY_CLIENT_DISPLAY, display);
    /* Every page was written once: all of them must have been reported, to both. */
    for (size_t i = 0; i < longs; i++) {
        g_assert_cmphex(migration[i], ==, ~0UL);
        g_assert_cmphex(display[i], ==, ~0UL);
    }
    g_test_message("%u fetch rounds during the writes", rounds);
    g_assert_cmpint(memory_region_del_subregion(root, ram), ==, 0);
    memory_region_unref(ram);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
}

static GArray *code_writes; /* uint64_t offsets seen by the hook */

static void code_hook(RamBlock *block, uint64_t offset, uint64_t len)
{
    g_array_append_val(code_writes, offset);
    for (uint64_t p = offset >> RAM_PAGE_BITS; p <= (offset + len - 1) >> RAM_PAGE_BITS; p++) {
        ram_block_clear_code(block, p);
    }
}

static void test_code_bitmap(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(MemoryRegion) ram = new_ram("ram", 16 * RAM_PAGE_SIZE);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    RamBlock *b = memory_region_ram_block(ram);

    g_assert_cmpint(memory_region_add_subregion(root, 0x80000000, ram), ==, 0);
    code_writes = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    memory_set_code_write_hook(code_hook);
    ram_block_set_code(b, 2);
    ram_block_set_code(b, 99); /* out of range: ignored */
    g_assert_true(ram_block_test_code(b, 2));
    g_assert_false(ram_block_test_code(b, 3));
    g_assert_false(ram_block_test_code(b, 99));
    address_space_stl_le(as, 0x80000000 + 3 * RAM_PAGE_SIZE, 1, NULL);
    g_assert_cmpuint(code_writes->len, ==, 0);
    address_space_stl_le(as, 0x80000000 + 2 * RAM_PAGE_SIZE + 12, 1, NULL);
    g_assert_cmpuint(code_writes->len, ==, 1);
    g_assert_cmphex(g_array_index(code_writes, uint64_t, 0), ==, 2 * RAM_PAGE_SIZE + 12);
    g_assert_false(ram_block_test_code(b, 2)); /* the hook invalidated it */
    address_space_stl_le(as, 0x80000000 + 2 * RAM_PAGE_SIZE, 1, NULL);
    g_assert_cmpuint(code_writes->len, ==, 1);
    /* The CPU's slow path reports its stores the same way. */
    ram_block_set_code(b, 5);
    memory_notify_code_write(b, 4 * RAM_PAGE_SIZE, 2 * RAM_PAGE_SIZE);
    g_assert_cmpuint(code_writes->len, ==, 2);
    ram_block_set_code(b, 5);
    ram_block_clear_code(b, 5);
    g_assert_false(ram_block_range_has_code(b, 0, 16 * RAM_PAGE_SIZE));
    memory_set_code_write_hook(NULL);
    g_clear_pointer(&code_writes, g_array_unref);
    g_assert_cmpint(memory_region_del_subregion(root, ram), ==, 0);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
}

/* --- listeners ---------------------------------------------------------------------- */

typedef struct TestListener {
    MemoryListener l;
    GString *log; /* one line per callback */
} TestListener;

static void tl_begin(MemoryListener *l)
{
    g_string_append(((TestListener *)l)->log, "begin\n");
}

static void tl_commit(MemoryListener *l)
{
    g_string_append(((TestListener *)l)->log, "commit\n");
}

static void tl_region(MemoryListener *l, const MemoryRegionSection *s, const char *what)
{
    g_string_append_printf(((TestListener *)l)->log, "%s %s 0x%" PRIx64 "+0x%" PRIx64 "\n", what,
                           memory_region_name(s->mr), s->offset_within_as, s->size);
}

static void tl_add(MemoryListener *l, const MemoryRegionSection *s)
{
    tl_region(l, s, "add");
}

static void tl_del(MemoryListener *l, const MemoryRegionSection *s)
{
    tl_region(l, s, "del");
}

static void test_listener(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(MemoryRegion) ram = new_ram("ram", 0x4000);
    TestDev td = {.log = g_array_new(FALSE, FALSE, sizeof(IoAccess))};
    g_autoptr(MemoryRegion) io = memory_region_new_io("io", &testdev_ops, &td, 0x1000);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    TestListener tl = {
        .l = {.begin = tl_begin, .commit = tl_commit, .region_add = tl_add, .region_del = tl_del},
        .log = g_string_new(NULL),
    };

    g_assert_cmpint(memory_region_add_subregion(root, 0x10000, ram), ==, 0);
    memory_listener_register(&tl.l, as);
    g_assert_true(tl.l.as == as);
    g_assert_cmpstr(tl.log->str, ==, "begin\nadd ram 0x10000+0x4000\ncommit\n");

    g_string_truncate(tl.log, 0);
    g_assert_cmpint(memory_region_add_subregion_overlap(root, 0x11000, io, 1), ==, 0);
    g_assert_cmpstr(tl.log->str, ==,
                    "begin\ndel ram 0x10000+0x4000\n"
                    "add ram 0x10000+0x1000\nadd io 0x11000+0x1000\nadd ram 0x12000+0x2000\n"
                    "commit\n");

    /* A change that leaves the view as it was is not reported. */
    g_string_truncate(tl.log, 0);
    memory_region_transaction_begin();
    memory_region_set_enabled(io, false);
    memory_region_set_enabled(io, true);
    memory_region_transaction_commit();
    g_assert_cmpstr(tl.log->str, ==, "");

    g_string_truncate(tl.log, 0);
    g_assert_cmpint(memory_region_del_subregion(root, io), ==, 0);
    g_assert_cmpstr(tl.log->str, ==,
                    "begin\ndel ram 0x10000+0x1000\ndel io 0x11000+0x1000\n"
                    "del ram 0x12000+0x2000\nadd ram 0x10000+0x4000\ncommit\n");

    g_string_truncate(tl.log, 0);
    memory_listener_unregister(&tl.l);
    g_assert_null(tl.l.as);
    g_assert_cmpstr(tl.log->str, ==, "begin\ndel ram 0x10000+0x4000\ncommit\n");
    memory_listener_unregister(&tl.l);

    /* Destroying the address space unregisters what is left. */
    memory_listener_register(&tl.l, as);
    g_string_truncate(tl.log, 0);
    g_assert_cmpint(memory_region_del_subregion(root, ram), ==, 0);
    address_space_destroy(g_steal_pointer(&as));
    g_assert_null(tl.l.as);
    g_string_free(tl.log, TRUE);
    g_clear_pointer(&io, memory_region_unref);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
    g_array_unref(td.log);
}

/* A listener that reacts to a mapping by changing the map (as a PCI bridge might). */
typedef struct ReentrantListener {
    MemoryListener l;
    MemoryRegion *root;
    MemoryRegion *follower; /* mapped when "trigger" appears */
    unsigned adds;          /* region_add calls */
} ReentrantListener;

static void reentrant_add(MemoryListener *l, const MemoryRegionSection *s)
{
    ReentrantListener *r = (ReentrantListener *)l;

    r->adds++;
    if (g_str_equal(memory_region_name(s->mr), "trigger")) {
        g_assert_cmpint(memory_region_add_subregion(r->root, 0x5000, r->follower), ==, 0);
    }
}

static void test_listener_reentrant(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    g_autoptr(MemoryRegion) trigger = new_ram("trigger", 0x1000);
    g_autoptr(AddressSpace) as = address_space_new(root, "memory");
    ReentrantListener r = {
        .l = {.region_add = reentrant_add}, .root = root, .follower = new_ram("follower", 0x1000)};

    memory_listener_register(&r.l, as);
    g_assert_cmpint(memory_region_add_subregion(root, 0x1000, trigger), ==, 0);
    /* Told about the trigger, then (in a second rebuild) about the follower. */
    g_assert_cmpuint(r.adds, ==, 2);
    MemoryRegionSection s;
    g_assert_cmpint(address_space_translate(as, 0x5000, &s), ==, MEMTX_OK);
    g_assert_true(s.mr == r.follower);
    memory_listener_unregister(&r.l);
    g_assert_cmpint(memory_region_del_subregion(root, r.follower), ==, 0);
    g_assert_cmpint(memory_region_del_subregion(root, trigger), ==, 0);
    memory_region_unref(r.follower);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
}

/* --- RCU and concurrent lookups ----------------------------------------------------- */

typedef struct RcuHold {
    GMutex lock;
    GCond cond;
    int state; /* 0 start, 1 reader inside, 2 release asked */
    gint callback_ran;
} RcuHold;

static gpointer rcu_holder(gpointer opaque)
{
    RcuHold *h = opaque;

    memory_rcu_read_lock();
    memory_rcu_read_lock(); /* nested */
    g_mutex_lock(&h->lock);
    h->state = 1;
    g_cond_broadcast(&h->cond);
    while (h->state != 2) {
        g_cond_wait(&h->cond, &h->lock);
    }
    g_mutex_unlock(&h->lock);
    memory_rcu_read_unlock();
    /* Still inside the outer section: the callback must not have run. */
    g_assert_cmpint(g_atomic_int_get(&h->callback_ran), ==, 0);
    memory_rcu_read_unlock();
    return NULL;
}

static void rcu_mark(void *ptr)
{
    g_atomic_int_set(&((RcuHold *)ptr)->callback_ran, 1);
}

static void test_rcu_grace_period(void)
{
    RcuHold h = {0};

    g_mutex_init(&h.lock);
    g_cond_init(&h.cond);
    GThread *t = g_thread_new("rcu-holder", rcu_holder, &h);
    g_mutex_lock(&h.lock);
    while (h.state != 1) {
        g_cond_wait(&h.cond, &h.lock);
    }
    g_mutex_unlock(&h.lock);
    memory_rcu_call(rcu_mark, &h);
    /* The reader is inside: give the reclaimer time to (wrongly) run the callback. */
    g_usleep(20000);
    g_assert_cmpint(g_atomic_int_get(&h.callback_ran), ==, 0);
    g_mutex_lock(&h.lock);
    h.state = 2;
    g_cond_broadcast(&h.cond);
    g_mutex_unlock(&h.lock);
    g_thread_join(t);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
    g_assert_cmpint(g_atomic_int_get(&h.callback_ran), ==, 1);

    memory_rcu_read_lock();
    g_assert_true(memory_rcu_read_locked());
    g_assert_cmpint(memory_rcu_barrier(), ==, -EDEADLK);
    memory_rcu_read_unlock();
    g_assert_false(memory_rcu_read_locked());
    g_mutex_clear(&h.lock);
    g_cond_clear(&h.cond);
}

#define RACE_BASE 0x80000000

typedef struct LookupRace {
    AddressSpace *as;
    MemoryRegion *base_ram; /* always mapped; its words hold 0xaaaaaaaa */
    gint stop;
    gint lookups; /* total lookups done by readers */
} LookupRace;

static MemTxResult overlay_read(void *opaque, uint64_t addr, uint64_t *ret_data, unsigned size)
{
    /* Touches the opaque: under ASan, a freed one would be reported here. */
    *ret_data = *(uint32_t *)opaque;
    return MEMTX_OK;
}

static const MemoryRegionOps overlay_ops = {
    .read = overlay_read,
    .valid = {.min_access_size = 4, .max_access_size = 4},
};

static gpointer lookup_reader(gpointer opaque)
{
    LookupRace *r = opaque;
    int n = 0;

    while (!g_atomic_int_get(&r->stop) || n < 100) {
        uint64_t addr = RACE_BASE + (uint64_t)(n % 4) * 0x1000;
        uint32_t v = address_space_ldl_le(r->as, addr, NULL);
        /* The old map or the new one: the base RAM or an overlay, never a hole. */
        g_assert_true(v == 0xaaaaaaaa || v == 0xbbbbbbbb || v == 0xcccccccc);
        MemoryRegionSection s;
        memory_rcu_read_lock();
        g_assert_cmpint(address_space_translate(r->as, addr, &s), ==, MEMTX_OK);
        g_assert_nonnull(s.mr);
        g_assert_nonnull(memory_region_name(s.mr));
        if (s.host) {
            uint32_t w;
            memcpy(&w, s.host, 4);
            g_assert_true(w == 0xaaaaaaaa || w == 0xbbbbbbbb);
        }
        memory_rcu_read_unlock();
        n++;
    }
    g_atomic_int_add(&r->lookups, n);
    return NULL;
}

static void test_concurrent_lookups(void)
{
    g_autoptr(MemoryRegion) root = memory_region_new_container("system", UINT64_MAX);
    LookupRace r = {.base_ram = new_ram("ram", 0x4000)};
    g_autoptr(RamBlock) overlay_block = NULL;
    GThread *readers[2];

    g_assert_cmpint(ram_block_new("overlay", 0x1000, 0, &overlay_block), ==, 0);
    memset(ram_host(r.base_ram), 0xaa, 0x4000);
    memset(ram_block_host(overlay_block), 0xbb, 0x1000);
    g_assert_cmpint(memory_region_add_subregion(root, RACE_BASE, r.base_ram), ==, 0);
    r.as = address_space_new(root, "memory");
    for (unsigned i = 0; i < G_N_ELEMENTS(readers); i++) {
        readers[i] = g_thread_new("lookup-reader", lookup_reader, &r);
    }
    /*
     * Each round maps a fresh region over one page and drops every reference to it; the
     * MMIO ones' opaques are freed in batches after a barrier.
     */
    g_autoptr(GPtrArray) opaques = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < 1500; i++) {
        MemoryRegion *mr;
        uint32_t *value = NULL;
        uint64_t where = RACE_BASE + (uint64_t)(i % 4) * 0x1000;
        if (i % 2) {
            g_assert_cmpint(memory_region_new_ram("ov", overlay_block, 0, 0x1000, &mr), ==, 0);
        } else {
            value = g_new(uint32_t, 1);
            *value = 0xcccccccc;
            mr = memory_region_new_io("ov-io", &overlay_ops, value, 0x1000);
        }
        g_assert_cmpint(memory_region_add_subregion_overlap(root, where, mr, 1), ==, 0);
        if (i % 3 == 0) {
            memory_region_set_address(mr, RACE_BASE + (uint64_t)((i + 1) % 4) * 0x1000);
        }
        g_assert_cmpint(memory_region_del_subregion(root, mr), ==, 0);
        memory_region_unref(mr);
        if (value) {
            g_ptr_array_add(opaques, value);
        }
        if (i % 64 == 63) {
            /* The opaques may be freed once no reader can reach their regions. */
            g_assert_cmpint(memory_rcu_barrier(), ==, 0);
            g_ptr_array_set_size(opaques, 0);
        }
    }
    g_atomic_int_set(&r.stop, 1);
    for (unsigned i = 0; i < G_N_ELEMENTS(readers); i++) {
        g_thread_join(readers[i]);
    }
    g_assert_cmpint(g_atomic_int_get(&r.lookups), >=, 200);
    g_assert_cmpint(memory_region_del_subregion(root, r.base_ram), ==, 0);
    address_space_destroy(r.as);
    memory_region_unref(r.base_ram);
    g_assert_cmpint(memory_rcu_barrier(), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory/ram/block", test_ram_block);
    g_test_add_func("/memory/ram/memfd-shared", test_ram_memfd_shared);
    g_test_add_func("/memory/flatview/priorities", test_flatview_priorities);
    g_test_add_func("/memory/flatview/tree-errors", test_tree_errors);
    g_test_add_func("/memory/flatview/alias", test_alias);
    g_test_add_func("/memory/flatview/dump", test_dump);
    g_test_add_func("/memory/access/ram", test_ram_access);
    g_test_add_func("/memory/access/unassigned", test_unassigned);
    g_test_add_func("/memory/access/crossing", test_crossing);
    g_test_add_func("/memory/mmio/split", test_mmio_split);
    g_test_add_func("/memory/mmio/dma", test_mmio_dma);
    g_test_add_func("/memory/mmio/reject", test_mmio_reject);
    g_test_add_func("/memory/dirty/basic", test_dirty_basic);
    g_test_add_func("/memory/dirty/concurrent", test_dirty_concurrent);
    g_test_add_func("/memory/code/bitmap", test_code_bitmap);
    g_test_add_func("/memory/listener/basic", test_listener);
    g_test_add_func("/memory/listener/reentrant", test_listener_reentrant);
    g_test_add_func("/memory/rcu/grace-period", test_rcu_grace_period);
    g_test_add_func("/memory/rcu/concurrent-lookups", test_concurrent_lookups);
    return g_test_run();
}
