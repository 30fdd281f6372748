/*
 * The virt board's device tree, built with libfdt's sequential writer. It describes
 * what the board has, at QEMU's addresses and with the compatible strings Linux,
 * OpenSBI and U-Boot match on: the harts (with both the legacy `riscv,isa` string and
 * the newer `riscv,isa-base` / `riscv,isa-extensions`), memory, the CLINT, the PLIC,
 * the UART, the virtio-mmio transports, the RTC, the test device with syscon
 * poweroff/reboot, and /chosen (bootargs, initrd, stdout-path).
 */
#include "hw/riscv/virt.h"

#include <libfdt.h>
#include <string.h>

enum { PH_PLIC = 1, PH_TEST = 2, PH_CPU0 = 3 };

static uint32_t ph_cpu(unsigned i)
{
    return PH_CPU0 + 2 * i;
}

static uint32_t ph_intc(unsigned i)
{
    return PH_CPU0 + 2 * i + 1;
}

static const char *const isa_extensions[] = {
    "i", "m", "a", "f", "d", "c", "zicsr", "zifencei", "zba", "zbb", "zbc", "zbs", "zicond",
    "sstc",
};
#define ISA_STRING "rv64imafdc_zicsr_zifencei_zba_zbb_zbc_zbs_zicond_sstc"

/* A property of big-endian 64-bit (address, size) cells. */
static int prop_reg(void *fdt, uint64_t addr, uint64_t size)
{
    fdt64_t cells[2] = {cpu_to_fdt64(addr), cpu_to_fdt64(size)};
    return fdt_property(fdt, "reg", cells, sizeof(cells));
}

static int prop_strings(void *fdt, const char *name, const char *const *list, size_t n)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        g_string_append_len(s, list[i], (gssize)strlen(list[i]) + 1);
    }
    int r = fdt_property(fdt, name, s->str, (int)s->len);
    g_string_free(s, TRUE);
    return r;
}

static int add_cpus(void *fdt, const VirtFdtConfig *c)
{
    int r = 0;
    r |= fdt_begin_node(fdt, "cpus");
    r |= fdt_property_u32(fdt, "#address-cells", 1);
    r |= fdt_property_u32(fdt, "#size-cells", 0);
    r |= fdt_property_u32(fdt, "timebase-frequency", 10000000);
    for (unsigned i = 0; i < c->harts; i++) {
        char name[32];
        g_snprintf(name, sizeof(name), "cpu@%u", i);
        r |= fdt_begin_node(fdt, name);
        r |= fdt_property_u32(fdt, "phandle", ph_cpu(i));
        r |= fdt_property_string(fdt, "device_type", "cpu");
        r |= fdt_property_u32(fdt, "reg", i);
        r |= fdt_property_string(fdt, "status", "okay");
        r |= fdt_property_string(fdt, "compatible", "riscv");
        r |= fdt_property_string(fdt, "riscv,isa", ISA_STRING);
        r |= fdt_property_string(fdt, "riscv,isa-base", "rv64i");
        r |= prop_strings(fdt, "riscv,isa-extensions", isa_extensions,
                          G_N_ELEMENTS(isa_extensions));
        r |= fdt_property_string(fdt, "mmu-type", c->mmu_type ? c->mmu_type : "riscv,sv57");
        r |= fdt_begin_node(fdt, "interrupt-controller");
        r |= fdt_property_u32(fdt, "#interrupt-cells", 1);
        r |= fdt_property(fdt, "interrupt-controller", NULL, 0);
        r |= fdt_property_string(fdt, "compatible", "riscv,cpu-intc");
        r |= fdt_property_u32(fdt, "phandle", ph_intc(i));
        r |= fdt_end_node(fdt);
        r |= fdt_end_node(fdt);
    }
    r |= fdt_begin_node(fdt, "cpu-map");
    r |= fdt_begin_node(fdt, "cluster0");
    for (unsigned i = 0; i < c->harts; i++) {
        char name[32];
        g_snprintf(name, sizeof(name), "core%u", i);
        r |= fdt_begin_node(fdt, name);
        r |= fdt_property_u32(fdt, "cpu", ph_cpu(i));
        r |= fdt_end_node(fdt);
    }
    r |= fdt_end_node(fdt);
    r |= fdt_end_node(fdt);
    r |= fdt_end_node(fdt);
    return r;
}

/* interrupts-extended: for each hart, <intc irq_a> <intc irq_b>. */
static int prop_per_hart_irqs(void *fdt, const VirtFdtConfig *c, uint32_t irq_a, uint32_t irq_b)
{
    g_autofree fdt32_t *cells = g_new(fdt32_t, 4 * c->harts);
    for (unsigned i = 0; i < c->harts; i++) {
        cells[4 * i] = cpu_to_fdt32(ph_intc(i));
        cells[4 * i + 1] = cpu_to_fdt32(irq_a);
        cells[4 * i + 2] = cpu_to_fdt32(ph_intc(i));
        cells[4 * i + 3] = cpu_to_fdt32(irq_b);
    }
    return fdt_property(fdt, "interrupts-extended", cells, (int)(16 * c->harts));
}

static int add_device(void *fdt, const char *name, uint64_t base, uint64_t size,
                      const char *compatible, int irq)
{
    char node[64];
    int r = 0;
    g_snprintf(node, sizeof(node), "%s@%" G_GINT64_MODIFIER "x", name, base);
    r |= fdt_begin_node(fdt, node);
    if (irq >= 0) {
        r |= fdt_property_u32(fdt, "interrupts", (uint32_t)irq);
        r |= fdt_property_u32(fdt, "interrupt-parent", PH_PLIC);
    }
    r |= prop_reg(fdt, base, size);
    r |= fdt_property_string(fdt, "compatible", compatible);
    return r;
}

static int add_soc(void *fdt, const VirtFdtConfig *c)
{
    int r = 0;
    r |= fdt_begin_node(fdt, "soc");
    r |= fdt_property_u32(fdt, "#address-cells", 2);
    r |= fdt_property_u32(fdt, "#size-cells", 2);
    r |= fdt_property_string(fdt, "compatible", "simple-bus");
    r |= fdt_property(fdt, "ranges", NULL, 0);

    if (c->rtc) {
        r |= add_device(fdt, "rtc", VIRT_RTC_BASE, VIRT_RTC_SIZE, "google,goldfish-rtc",
                        VIRT_IRQ_RTC);
        r |= fdt_end_node(fdt);
    }
    r |= add_device(fdt, "serial", VIRT_UART0_BASE, VIRT_UART0_SIZE, "ns16550a", VIRT_IRQ_UART0);
    r |= fdt_property_u32(fdt, "clock-frequency", 3686400);
    r |= fdt_end_node(fdt);

    static const char *const test_compat[] = {"sifive,test1", "sifive,test0", "syscon"};
    r |= fdt_begin_node(fdt, "test@100000");
    r |= fdt_property_u32(fdt, "phandle", PH_TEST);
    r |= prop_reg(fdt, VIRT_TEST_BASE, VIRT_TEST_SIZE);
    r |= prop_strings(fdt, "compatible", test_compat, G_N_ELEMENTS(test_compat));
    r |= fdt_end_node(fdt);

    /* Linux probes the transports from the highest address down, like QEMU lists them. */
    for (int i = VIRT_VIRTIO_COUNT - 1; i >= 0; i--) {
        r |= add_device(fdt, "virtio_mmio", VIRT_VIRTIO_BASE + (uint64_t)i * VIRT_VIRTIO_SIZE,
                        VIRT_VIRTIO_SIZE, "virtio,mmio", VIRT_IRQ_VIRTIO_FIRST + i);
        r |= fdt_end_node(fdt);
    }

    static const char *const plic_compat[] = {"sifive,plic-1.0.0", "riscv,plic0"};
    char plic[32];
    g_snprintf(plic, sizeof(plic), "plic@%x", VIRT_PLIC_BASE);
    r |= fdt_begin_node(fdt, plic);
    r |= fdt_property_u32(fdt, "phandle", PH_PLIC);
    r |= fdt_property_u32(fdt, "riscv,ndev", VIRT_PLIC_NDEV);
    r |= prop_reg(fdt, VIRT_PLIC_BASE, virt_plic_size(c->harts));
    r |= prop_per_hart_irqs(fdt, c, 11, 9); /* M and S external */
    r |= fdt_property(fdt, "interrupt-controller", NULL, 0);
    r |= prop_strings(fdt, "compatible", plic_compat, G_N_ELEMENTS(plic_compat));
    r |= fdt_property_u32(fdt, "#address-cells", 0);
    r |= fdt_property_u32(fdt, "#interrupt-cells", 1);
    r |= fdt_end_node(fdt);

    static const char *const clint_compat[] = {"sifive,clint0", "riscv,clint0"};
    r |= fdt_begin_node(fdt, "clint@2000000");
    r |= prop_per_hart_irqs(fdt, c, 3, 7); /* M software and M timer */
    r |= prop_reg(fdt, VIRT_CLINT_BASE, VIRT_CLINT_SIZE);
    r |= prop_strings(fdt, "compatible", clint_compat, G_N_ELEMENTS(clint_compat));
    r |= fdt_end_node(fdt);

    r |= fdt_end_node(fdt);
    return r;
}

static int add_syscon(void *fdt, const char *name, const char *compatible, uint32_t value)
{
    int r = 0;
    r |= fdt_begin_node(fdt, name);
    r |= fdt_property_u32(fdt, "value", value);
    r |= fdt_property_u32(fdt, "offset", 0);
    r |= fdt_property_u32(fdt, "regmap", PH_TEST);
    r |= fdt_property_string(fdt, "compatible", compatible);
    r |= fdt_end_node(fdt);
    return r;
}

static int add_chosen(void *fdt, const VirtFdtConfig *c)
{
    int r = 0;
    r |= fdt_begin_node(fdt, "chosen");
    if (c->bootargs && *c->bootargs) {
        r |= fdt_property_string(fdt, "bootargs", c->bootargs);
    }
    if (c->initrd_end > c->initrd_start) {
        r |= fdt_property_u64(fdt, "linux,initrd-start", c->initrd_start);
        r |= fdt_property_u64(fdt, "linux,initrd-end", c->initrd_end);
    }
    char stdout_path[64];
    g_snprintf(stdout_path, sizeof(stdout_path), "/soc/serial@%x", VIRT_UART0_BASE);
    r |= fdt_property_string(fdt, "stdout-path", stdout_path);
    r |= fdt_end_node(fdt);
    return r;
}

void *virt_fdt_build(const VirtFdtConfig *c, size_t *ret_size, GError **error)
{
    if (c->harts == 0 || c->harts > 512) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "unsupported number of harts: %u",
                    c->harts);
        return NULL;
    }
    size_t cap = 16384 + 1024 * (size_t)c->harts + (c->bootargs ? strlen(c->bootargs) : 0);
    void *fdt = g_malloc0(cap);
    int r = fdt_create(fdt, (int)cap);
    r |= fdt_finish_reservemap(fdt);
    r |= fdt_begin_node(fdt, "");
    r |= fdt_property_u32(fdt, "#address-cells", 2);
    r |= fdt_property_u32(fdt, "#size-cells", 2);
    r |= fdt_property_string(fdt, "compatible", "riscv-virtio");
    r |= fdt_property_string(fdt, "model", "riscv-virtio,qemu");
    r |= add_chosen(fdt, c);
    r |= add_syscon(fdt, "poweroff", "syscon-poweroff", 0x5555);
    r |= add_syscon(fdt, "reboot", "syscon-reboot", 0x7777);
    char mem[32];
    g_snprintf(mem, sizeof(mem), "memory@%" G_GINT64_MODIFIER "x", (uint64_t)VIRT_DRAM_BASE);
    r |= fdt_begin_node(fdt, mem);
    r |= fdt_property_string(fdt, "device_type", "memory");
    r |= prop_reg(fdt, VIRT_DRAM_BASE, c->ram_size);
    r |= fdt_end_node(fdt);
    r |= add_cpus(fdt, c);
    r |= add_soc(fdt, c);
    r |= fdt_end_node(fdt);
    r |= fdt_finish(fdt);
    if (r != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
                    "building the device tree failed (%s)", fdt_strerror(r < 0 ? r : -1));
        g_free(fdt);
        return NULL;
    }
    *ret_size = fdt_totalsize(fdt);
    return fdt;
}
