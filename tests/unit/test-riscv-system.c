/*
 * The hart in system mode, on a bus with just enough machine to run the bare-metal
 * test programs of tests/guest/baremetal: 64 MiB of RAM at 0x80000000, an NS16550A
 * transmit register at 0x10000000 and the SiFive test finisher at 0x100000, as on the
 * virt board. The programs check the privileged architecture from inside (traps,
 * delegation, Sv39, A/D, SUM, interrupts) and report through the finisher; the same
 * programs pass on qemu-system-riscv64 (tests/functional/qemu-boot-recipe.sh).
 */
#include <glib.h>
#include <string.h>

#include "tcg/exec/tb.h"
#include "tcg/riscv/cpu.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (64ull << 20)
#define UART_BASE 0x10000000ull
#define FINISHER_BASE 0x100000ull

typedef struct TestMachine {
    uint8_t *ram;
    GString *console;
    bool finished;
    uint32_t finisher_value;
    RiscvCPU *cpu;
} TestMachine;

static void *tm_ram_ptr(void *opaque, uint64_t paddr)
{
    TestMachine *m = opaque;
    if (paddr >= RAM_BASE && paddr < RAM_BASE + RAM_SIZE) {
        return m->ram + (paddr - RAM_BASE);
    }
    return NULL;
}

static bool tm_mmio_read(void *opaque, uint64_t paddr, unsigned size, uint64_t *ret)
{
    if (paddr >= UART_BASE && paddr < UART_BASE + 8) {
        *ret = paddr - UART_BASE == 5 ? 0x60 : 0; /* LSR: transmitter empty */
        return true;
    }
    return false;
}

static bool tm_mmio_write(void *opaque, uint64_t paddr, unsigned size, uint64_t value)
{
    TestMachine *m = opaque;
    if (paddr == UART_BASE) {
        if (value != '\r') {
            g_string_append_c(m->console, (char)value);
        }
        return true;
    }
    if (paddr > UART_BASE && paddr < UART_BASE + 8) {
        return true;
    }
    if (paddr == FINISHER_BASE) {
        m->finished = true;
        m->finisher_value = (uint32_t)value;
        riscv_cpu_kick(m->cpu);
        return true;
    }
    return false;
}

static uint64_t tm_time(void *opaque)
{
    return (uint64_t)g_get_monotonic_time() * 10;
}

static void load_elf(TestMachine *m, const char *path, uint64_t *ret_entry)
{
    g_autofree char *data = NULL;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, >=, 64);
    uint64_t phoff, entry;
    uint16_t phnum, phentsize;
    memcpy(&entry, data + 24, 8);
    memcpy(&phoff, data + 32, 8);
    memcpy(&phentsize, data + 54, 2);
    memcpy(&phnum, data + 56, 2);
    for (unsigned i = 0; i < phnum; i++) {
        const char *ph = data + phoff + (uint64_t)i * phentsize;
        uint32_t type;
        uint64_t off, paddr, filesz;
        memcpy(&type, ph, 4);
        memcpy(&off, ph + 8, 8);
        memcpy(&paddr, ph + 24, 8);
        memcpy(&filesz, ph + 32, 8);
        if (type != 1 || filesz == 0) {
            continue;
        }
        g_assert_true(paddr >= RAM_BASE && paddr + filesz <= RAM_BASE + RAM_SIZE);
        g_assert_cmpuint(off + filesz, <=, len);
        memcpy(m->ram + (paddr - RAM_BASE), data + off, filesz);
    }
    *ret_entry = entry;
}

static const char *baremetal_dir(void)
{
    static char *dir;
    if (!dir) {
        const char *src = g_getenv("VMD_SOURCE_DIR");
        g_autofree char *script = g_build_filename(src ? src : ".", "tests/guest/build.sh", NULL);
        char *argv[] = {script, "--path", "baremetal", NULL};
        char *out = NULL;
        int status = -1;
        if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                          &status, NULL) ||
            status != 0) {
            g_free(out);
            return NULL;
        }
        dir = g_strstrip(out);
    }
    return dir;
}

/* Runs NAME.elf to the finisher; returns the console output. */
static char *run_program(const char *name, uint32_t *ret_finisher)
{
    const char *dir = baremetal_dir();
    if (!dir) {
        g_test_skip("the bare-metal programs cannot be built here (tests/guest/build.sh)");
        return NULL;
    }
    g_autofree char *path = g_strdup_printf("%s/%s.elf", dir, name);
    TestMachine m = {.ram = g_malloc0(RAM_SIZE), .console = g_string_new(NULL)};
    RiscvBus bus = {
        .opaque = &m,
        .ram_ptr = tm_ram_ptr,
        .mmio_read = tm_mmio_read,
        .mmio_write = tm_mmio_write,
        .get_time = tm_time,
    };
    uint64_t entry;
    load_elf(&m, path, &entry);
    TbCache *tbs = riscv_tb_cache_new(/* user_mode= */ false, /* tci= */ true);
    m.cpu = g_new0(RiscvCPU, 1);
    riscv_cpu_init_system(m.cpu, tbs, &bus, 0, entry);
    for (int rounds = 0; !m.finished && rounds < 100000; rounds++) {
        RiscvException r = riscv_cpu_exec(m.cpu);
        g_assert_true(r == RISCV_EXIT_REQUEST || r == RISCV_EXIT_HALT);
        if (r == RISCV_EXIT_HALT && !m.finished) {
            break; /* wfi with nothing that could wake it: the program is stuck */
        }
    }
    riscv_cpu_destroy(m.cpu);
    g_free(m.cpu);
    tb_cache_free(tbs);
    g_free(m.ram);
    g_assert_true(m.finished);
    *ret_finisher = m.finisher_value;
    return g_string_free(m.console, FALSE);
}

static void test_hello(void)
{
    uint32_t fin;
    g_autofree char *out = run_program("hello", &fin);
    if (!out) {
        return;
    }
    g_assert_cmpstr(out, ==, "hello from bare metal\n");
    g_assert_cmphex(fin, ==, 0x5555);
}

static void test_priv(void)
{
    uint32_t fin;
    g_autofree char *out = run_program("priv", &fin);
    if (!out) {
        return;
    }
    g_assert_cmpstr(out, ==, "priv: all passed\n");
    g_assert_cmphex(fin, ==, 0x5555);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/riscv/system/hello", test_hello);
    g_test_add_func("/riscv/system/priv", test_priv);
    return g_test_run();
}
