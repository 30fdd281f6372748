/*
 * The virt machine: RAM, the boot ROM, the CLINT, the PLIC, the UART and the test
 * finisher on QEMU's virt memory map, one host thread per hart, and a timer thread.
 *
 * The harts reach the machine through a RiscvBus: RAM by host pointer (the harts' TLBs
 * cache it), everything else through the MMIO table below. Code pages are tracked in a
 * bitmap: a hart's first translation from a page marks it (and makes every hart drop
 * its TLB so no stale fast write path survives), and a store to a marked page
 * invalidates the blocks translated from it before it lands.
 *
 * Time: mtime is the host's monotonic clock at 10 MHz. The timer thread sleeps until
 * the nearest deadline (a CLINT mtimecmp or a hart's stimecmp), then raises MTIP or
 * kicks the hart whose Sstc timer expired. A hart halted in wfi sleeps on its
 * condition variable until an interrupt is pending.
 *
 * Devices and buses will move onto vm-core's memory API (address spaces, regions,
 * dirty logging) and chardevs as those land; the devices already use a tiny interface
 * (read/write/irq callbacks), so the move is wiring only.
 */
#include "hw/riscv/virt.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/char/ns16550a.h"
#include "hw/intc/aclint.h"
#include "hw/intc/plic.h"
#include "hw/misc/sifive-test.h"
#include "hw/rtc/goldfish-rtc.h"
#include "hw/virtio/virtio-devices.h"
#include "hw/virtio/virtio-mmio.h"
#include "tcg/exec/tb.h"
#include "tcg/riscv/cpu.h"
#include "tcg/riscv/csr.h"
#include "tcg/riscv/helper.h"

#define VIRT_MAX_HARTS 64

typedef bool (*MmioRead)(void *dev, uint64_t offset, unsigned size, uint64_t *ret_value);
typedef bool (*MmioWrite)(void *dev, uint64_t offset, unsigned size, uint64_t value);

typedef struct MmioRange {
    uint64_t base, size;
    MmioRead read;
    MmioWrite write;
    void *dev;
} MmioRange;

typedef struct Hart {
    VirtMachine *m;
    RiscvCPU *cpu;
    GThread *thread;
    GMutex lock;      /* guards the halted wait */
    GCond wake;
} Hart;

struct VirtMachine {
    VirtMachineConfig config;
    uint8_t *ram;
    int ram_fd;
    uint8_t rom[VIRT_MROM_SIZE];
    uint64_t *code_pages;     /* bitmap over RAM pages holding translated code */
    TbCache *tbs;
    RiscvBus bus;
    Hart harts[VIRT_MAX_HARTS];
    Aclint clint;
    Plic plic;
    Ns16550a uart;
    SifiveTest test;
    GoldfishRtc rtc;
    MmioRange mmio[16];
    VirtioMmio virtio[VIRT_VIRTIO_COUNT];
    struct VirtioIrq {
        VirtMachine *m;
        unsigned source;    /* PLIC source of the slot */
    } virtio_irq[VIRT_VIRTIO_COUNT];
    VirtioDma dma;
    VirtioBlk blk[VIRT_MAX_DRIVES];
    VirtioDevice rng;
    VirtioNet nic[4];
    VirtioConsole vcon;
    unsigned n_mmio;
    uint64_t boot_pc;
    /* Run control. */
    GMutex lock;
    GCond changed;            /* quit, reset or timers changed */
    int quit;                 /* 1 once the machine must stop */
    int exit_status;
    int reset_requested;
    unsigned parked;          /* harts waiting out a reset */
    GThread *timer_thread;
};

/* ---- Bus ---------------------------------------------------------------------------- */

static void *bus_ram_ptr(void *opaque, uint64_t paddr)
{
    VirtMachine *m = opaque;
    if (paddr >= VIRT_DRAM_BASE && paddr - VIRT_DRAM_BASE < m->config.ram_size) {
        return m->ram + (paddr - VIRT_DRAM_BASE);
    }
    return NULL;
}

static const MmioRange *find_mmio(VirtMachine *m, uint64_t paddr, unsigned size)
{
    for (unsigned i = 0; i < m->n_mmio; i++) {
        const MmioRange *r = &m->mmio[i];
        if (paddr >= r->base && paddr - r->base < r->size && size <= r->size - (paddr - r->base)) {
            return r;
        }
    }
    return NULL;
}

static bool bus_mmio_read(void *opaque, uint64_t paddr, unsigned size, uint64_t *ret)
{
    VirtMachine *m = opaque;
    if (paddr >= VIRT_MROM_BASE && paddr - VIRT_MROM_BASE + size <= VIRT_MROM_SIZE) {
        uint64_t v = 0;
        memcpy(&v, m->rom + (paddr - VIRT_MROM_BASE), size);
        *ret = v;
        return true;
    }
    const MmioRange *r = find_mmio(m, paddr, size);
    return r && r->read(r->dev, paddr - r->base, size, ret);
}

static bool bus_mmio_write(void *opaque, uint64_t paddr, unsigned size, uint64_t value)
{
    VirtMachine *m = opaque;
    if (paddr >= VIRT_MROM_BASE && paddr - VIRT_MROM_BASE + size <= VIRT_MROM_SIZE) {
        return true; /* ROM: writes are ignored */
    }
    const MmioRange *r = find_mmio(m, paddr, size);
    return r && r->write(r->dev, paddr - r->base, size, value);
}

static uint64_t bus_get_time(void *opaque)
{
    VirtMachine *m = opaque;
    return aclint_mtime(&m->clint);
}

static void wake_timer(VirtMachine *m)
{
    g_mutex_lock(&m->lock);
    g_cond_broadcast(&m->changed);
    g_mutex_unlock(&m->lock);
}

static void bus_stimecmp_changed(void *opaque, unsigned hartid, uint64_t stimecmp)
{
    wake_timer(opaque);
}

static bool page_bit(VirtMachine *m, uint64_t paddr, uint64_t **ret_word, uint64_t *ret_mask)
{
    if (paddr < VIRT_DRAM_BASE || paddr - VIRT_DRAM_BASE >= m->config.ram_size) {
        return false;
    }
    uint64_t page = (paddr - VIRT_DRAM_BASE) >> 12;
    *ret_word = &m->code_pages[page / 64];
    *ret_mask = 1ull << (page % 64);
    return true;
}

static bool bus_page_has_code(void *opaque, uint64_t paddr)
{
    uint64_t *w, mask;
    return page_bit(opaque, paddr, &w, &mask) && (__atomic_load_n(w, __ATOMIC_ACQUIRE) & mask);
}

static void bus_code_translated(void *opaque, uint64_t paddr)
{
    VirtMachine *m = opaque;
    uint64_t *w, mask;
    if (!page_bit(m, paddr, &w, &mask) || (__atomic_fetch_or(w, mask, __ATOMIC_ACQ_REL) & mask)) {
        return;
    }
    /* A hart may hold a fast write entry for this page: make every hart drop its TLB. */
    for (unsigned i = 0; i < m->config.harts; i++) {
        __atomic_store_n(&m->harts[i].cpu->sys.tlb_flush_request, 1, __ATOMIC_RELEASE);
        riscv_cpu_kick(m->harts[i].cpu);
    }
}

static void bus_code_written(void *opaque, uint64_t paddr, unsigned size)
{
    VirtMachine *m = opaque;
    uint64_t *w, mask;
    if (!page_bit(m, paddr, &w, &mask) ||
        !(__atomic_fetch_and(w, ~mask, __ATOMIC_ACQ_REL) & mask)) {
        return;
    }
    uint64_t host_page = (uintptr_t)(m->ram + ((paddr - VIRT_DRAM_BASE) & ~0xfffull));
    tb_invalidate_flags(m->tbs, RISCV_TBF_PAGE_MASK, host_page);
}

/* ---- Devices -------------------------------------------------------------------------- */

static void add_mmio(VirtMachine *m, uint64_t base, uint64_t size, MmioRead r, MmioWrite w,
                     void *dev)
{
    g_assert(m->n_mmio < G_N_ELEMENTS(m->mmio));
    m->mmio[m->n_mmio++] = (MmioRange){base, size, r, w, dev};
}

static void uart_tx(void *opaque, uint8_t byte)
{
    VirtMachine *m = opaque;
    if (m->config.console_out) {
        m->config.console_out(m->config.console_opaque, &byte, 1);
    }
}

static void uart_irq(void *opaque, bool level)
{
    VirtMachine *m = opaque;
    plic_set_irq(&m->plic, VIRT_IRQ_UART0, level);
}

/* Guest-physical RAM for a virtio device; writes go through the code tracking. */
static void *dma_map(void *opaque, uint64_t gpa, uint64_t len, bool for_write)
{
    VirtMachine *m = opaque;
    if (gpa < VIRT_DRAM_BASE || gpa - VIRT_DRAM_BASE > m->config.ram_size ||
        len > m->config.ram_size - (gpa - VIRT_DRAM_BASE)) {
        return NULL;
    }
    if (for_write) {
        for (uint64_t p = gpa & ~0xfffull; p < gpa + len; p += 4096) {
            if (bus_page_has_code(m, p)) {
                bus_code_written(m, p, 4096);
            }
        }
    }
    return m->ram + (gpa - VIRT_DRAM_BASE);
}

static void virtio_irq(void *opaque, bool level)
{
    struct VirtioIrq *irq = opaque;
    plic_set_irq(&irq->m->plic, irq->source, level);
}

/* Devices take transports from the highest address down, so the first disk is the
 * first one Linux probes (vda), as on QEMU. */
static bool add_virtio_devices(VirtMachine *m, GError **error)
{
    unsigned slot = VIRT_VIRTIO_COUNT;
    m->dma = (VirtioDma){.opaque = m, .map = dma_map};
    for (unsigned i = 0; i < m->config.n_drives; i++) {
        const VirtDriveConfig *dc = &m->config.drives[i];
        g_autofree char *node = g_strdup_printf("virtio-disk%u", i);
        g_autoptr(BlockDriverState) bs =
            bdrv_open(dc->file, dc->format, node, dc->read_only ? 0 : BDRV_O_RDWR, error);
        if (!bs) {
            return false;
        }
        virtio_blk_init(&m->blk[i], &m->dma, bs, dc->read_only, dc->serial);
        m->virtio[--slot].dev = &m->blk[i].dev;
    }
    if (m->config.rng) {
        virtio_rng_init(&m->rng, &m->dma);
        m->virtio[--slot].dev = &m->rng;
    }
    if (m->config.virtio_console && slot > 0) {
        virtio_console_init(&m->vcon, &m->dma, m->config.vcon_out, m->config.vcon_opaque);
        m->virtio[--slot].dev = &m->vcon.dev;
    }
    for (unsigned i = 0; i < m->config.n_nics && slot > 0; i++) {
        virtio_net_init(&m->nic[i], &m->dma, m->config.nics[i], m->config.nic_mac[i]);
        m->virtio[--slot].dev = &m->nic[i].dev;
    }
    for (unsigned s = 0; s < VIRT_VIRTIO_COUNT; s++) {
        m->virtio_irq[s] = (struct VirtioIrq){m, VIRT_IRQ_VIRTIO_FIRST + s};
        if (m->virtio[s].dev) {
            m->virtio[s].dev->notify_irq = virtio_irq;
            m->virtio[s].dev->irq_opaque = &m->virtio_irq[s];
        }
        add_mmio(m, VIRT_VIRTIO_BASE + (uint64_t)s * VIRT_VIRTIO_SIZE, VIRT_VIRTIO_SIZE,
                 (MmioRead)virtio_mmio_read, (MmioWrite)virtio_mmio_write, &m->virtio[s]);
    }
    return true;
}

static void rtc_irq(void *opaque, bool level)
{
    VirtMachine *m = opaque;
    plic_set_irq(&m->plic, VIRT_IRQ_RTC, level);
}

static void test_request(void *opaque, SifiveTestRequest what, unsigned code)
{
    VirtMachine *m = opaque;
    if (what == SIFIVE_TEST_RESET && !m->config.no_reboot) {
        g_mutex_lock(&m->lock);
        m->reset_requested = 1;
        g_cond_broadcast(&m->changed);
        g_mutex_unlock(&m->lock);
        for (unsigned i = 0; i < m->config.harts; i++) {
            riscv_cpu_kick(m->harts[i].cpu);
        }
        return;
    }
    virt_machine_quit(m, what == SIFIVE_TEST_FAIL ? (int)(code ? code : 1) : 0);
}

size_t virt_machine_vcon_room(VirtMachine *m)
{
    return m->config.virtio_console ? virtio_console_room(&m->vcon) : 0;
}

size_t virt_machine_vcon_input(VirtMachine *m, const uint8_t *buf, size_t len)
{
    return m->config.virtio_console ? virtio_console_input(&m->vcon, buf, len) : 0;
}

size_t virt_machine_console_room(VirtMachine *m)
{
    return ns16550a_can_receive(&m->uart);
}

size_t virt_machine_console_input(VirtMachine *m, const uint8_t *buf, size_t len)
{
    unsigned room = ns16550a_can_receive(&m->uart);
    return ns16550a_receive(&m->uart, buf, (unsigned)MIN(len, (size_t)room));
}

/* ---- Loading ---------------------------------------------------------------------- */

static bool load_file(const char *path, const char *what, uint8_t **ret, size_t *ret_len,
                      GError **error)
{
    gchar *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, error)) {
        g_prefix_error(error, "cannot read the %s: ", what);
        return false;
    }
    *ret = (uint8_t *)data;
    *ret_len = len;
    return true;
}

/* Loads firmware, kernel, initrd and the device tree into RAM and writes the ROM. */
static bool load_images(VirtMachine *m, GError **error)
{
    const VirtMachineConfig *c = &m->config;
    uint64_t ram_size = c->ram_size;
    uint64_t next_addr = 0, kernel_end = VIRT_DRAM_BASE, entry;
    bool firmware = !c->bios || strcmp(c->bios, "none") != 0;
    if (firmware) {
        g_autofree uint8_t *fw = NULL;
        size_t fw_len;
        if (!load_file(c->bios ? c->bios : VIRT_DEFAULT_BIOS, "firmware (-bios)", &fw, &fw_len,
                       error) ||
            !virt_load_kernel(fw, fw_len, m->ram, ram_size, VIRT_DRAM_BASE, &entry, &kernel_end,
                              error)) {
            return false;
        }
    }
    if (c->kernel) {
        g_autofree uint8_t *k = NULL;
        size_t k_len;
        /* After a firmware, the kernel goes 2 MiB in, where fw_dynamic expects it. */
        uint64_t at = firmware ? VIRT_DRAM_BASE + 0x200000 : VIRT_DRAM_BASE;
        if (!load_file(c->kernel, "kernel (-kernel)", &k, &k_len, error) ||
            !virt_load_kernel(k, k_len, m->ram, ram_size, at, &next_addr, &kernel_end, error)) {
            return false;
        }
    }
    /* The device tree at the top of RAM (at most 3 GiB in, as QEMU does), the initrd
     * just below it. */
    uint64_t top = VIRT_DRAM_BASE + MIN(ram_size, 3ull << 30);
    uint64_t fdt_addr = (top - 0x200000) & ~0xfffull;
    VirtFdtConfig fc = {.harts = c->harts, .ram_size = ram_size, .bootargs = c->append,
                        .rtc = true, .mmu_type = "riscv,sv57"};
    if (c->initrd) {
        g_autofree uint8_t *rd = NULL;
        size_t rd_len;
        if (!load_file(c->initrd, "initrd (-initrd)", &rd, &rd_len, error)) {
            return false;
        }
        uint64_t start = (fdt_addr - rd_len) & ~0xfffull;
        if (rd_len >= fdt_addr - kernel_end || start < kernel_end) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
                        "the initrd (%zu bytes) does not fit in RAM after the kernel", rd_len);
            return false;
        }
        memcpy(m->ram + (start - VIRT_DRAM_BASE), rd, rd_len);
        fc.initrd_start = start;
        fc.initrd_end = start + rd_len;
    }
    g_autofree uint8_t *fdt = NULL;
    size_t fdt_len;
    if (c->dtb) {
        if (!load_file(c->dtb, "device tree (-dtb)", &fdt, &fdt_len, error)) {
            return false;
        }
    } else if (!(fdt = virt_fdt_build(&fc, &fdt_len, error))) {
        return false;
    }
    if (fdt_len > 0x200000 - 0x1000) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "the device tree is too big");
        return false;
    }
    memcpy(m->ram + (fdt_addr - VIRT_DRAM_BASE), fdt, fdt_len);
    memset(m->rom, 0, sizeof(m->rom));
    uint64_t target = firmware ? VIRT_DRAM_BASE : (c->kernel ? next_addr : VIRT_DRAM_BASE);
    virt_boot_rom(m->rom, sizeof(m->rom), VIRT_MROM_BASE, target, fdt_addr, next_addr,
                  /* next_mode= S */ 1);
    m->boot_pc = VIRT_MROM_BASE;
    return true;
}

/* ---- Harts and time ---------------------------------------------------------------- */

static void bus_hart_wake(void *opaque, unsigned hartid)
{
    VirtMachine *m = opaque;
    if (hartid < m->config.harts) {
        Hart *h = &m->harts[hartid];
        g_mutex_lock(&h->lock);
        g_cond_signal(&h->wake);
        g_mutex_unlock(&h->lock);
    }
}

static bool quitting(VirtMachine *m)
{
    return __atomic_load_n(&m->quit, __ATOMIC_ACQUIRE);
}

/* Sleeps while the hart is halted in wfi with nothing pending. */
static void hart_halt(Hart *h)
{
    g_mutex_lock(&h->lock);
    while (!quitting(h->m) && !riscv_cpu_interrupt_pending(h->cpu) &&
           !__atomic_load_n(&h->m->reset_requested, __ATOMIC_ACQUIRE)) {
        /* The timeout only bounds a missed wakeup; wakeups come from hart_wake. */
        g_cond_wait_until(&h->wake, &h->lock, g_get_monotonic_time() + 100 * 1000);
    }
    g_mutex_unlock(&h->lock);
}

static gpointer hart_thread(gpointer opaque)
{
    Hart *h = opaque;
    VirtMachine *m = h->m;
    unsigned id = (unsigned)(h - m->harts);
    riscv_cpu_init_system(h->cpu, m->tbs, &m->bus, id, m->boot_pc);
    while (!quitting(m)) {
        if (__atomic_load_n(&m->reset_requested, __ATOMIC_ACQUIRE)) {
            /* Park until the main thread has reset the machine. */
            g_mutex_lock(&m->lock);
            m->parked++;
            g_cond_broadcast(&m->changed);
            while (m->reset_requested && !m->quit) {
                g_cond_wait(&m->changed, &m->lock);
            }
            m->parked--;
            g_mutex_unlock(&m->lock);
            continue;
        }
        RiscvException r = riscv_cpu_exec(h->cpu);
        if (r == RISCV_EXIT_HALT) {
            hart_halt(h);
        }
    }
    riscv_cpu_destroy(h->cpu);
    return NULL;
}

static gpointer timer_thread(gpointer opaque)
{
    VirtMachine *m = opaque;
    uint64_t kicked[VIRT_MAX_HARTS];
    memset(kicked, 0xff, sizeof(kicked));
    g_mutex_lock(&m->lock);
    while (!m->quit) {
        g_mutex_unlock(&m->lock);
        uint64_t next = aclint_update(&m->clint), now = aclint_mtime(&m->clint);
        for (unsigned i = 0; i < m->config.harts; i++) {
            RiscvCPU *cpu = m->harts[i].cpu;
            uint64_t cmp = __atomic_load_n(&cpu->sys.stimecmp, __ATOMIC_ACQUIRE);
            if (!(cpu->sys.menvcfg & MENVCFG_STCE)) {
                continue;
            }
            if (now >= cmp) {
                if (kicked[i] != cmp) { /* once per deadline: STIP is level, read live */
                    kicked[i] = cmp;
                    riscv_cpu_kick(cpu);
                    bus_hart_wake(m, i);
                }
            } else if (cmp < next) {
                next = cmp;
            }
        }
        now = aclint_mtime(&m->clint);
        int64_t wait_us = next == UINT64_MAX ? 100000 : (int64_t)MIN((next - MIN(next, now)) / 10,
                                                                      100000);
        wait_us = MIN(wait_us, goldfish_rtc_poll(&m->rtc));
        g_mutex_lock(&m->lock);
        if (!m->quit && wait_us > 0) {
            g_cond_wait_until(&m->changed, &m->lock, g_get_monotonic_time() + wait_us);
        }
    }
    g_mutex_unlock(&m->lock);
    return NULL;
}

void virt_machine_quit(VirtMachine *m, int status)
{
    g_mutex_lock(&m->lock);
    if (!m->quit) {
        m->exit_status = status;
        __atomic_store_n(&m->quit, 1, __ATOMIC_RELEASE);
    }
    g_cond_broadcast(&m->changed);
    g_mutex_unlock(&m->lock);
    for (unsigned i = 0; i < m->config.harts; i++) {
        riscv_cpu_kick(m->harts[i].cpu);
        bus_hart_wake(m, i);
    }
}

/* A guest reset: every hart parks outside guest code, then everything starts over.
 * Called with m->lock held. */
static void do_reset_locked(VirtMachine *m)
{
    for (unsigned i = 0; i < m->config.harts; i++) {
        riscv_cpu_kick(m->harts[i].cpu);
        bus_hart_wake(m, i);
    }
    while (m->parked < m->config.harts && !m->quit) {
        g_cond_wait(&m->changed, &m->lock);
    }
    if (m->quit) {
        return;
    }
    g_mutex_unlock(&m->lock);
    GError *error = NULL;
    /* RAM starts over as zeros: drop the pages rather than write 0 to each of them. */
    if (fallocate(m->ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                  (off_t)m->config.ram_size) < 0) {
        memset(m->ram, 0, m->config.ram_size);
    }
    if (!load_images(m, &error)) {
        g_printerr("vmd-vm: reset failed: %s\n", error->message);
        g_error_free(error);
        virt_machine_quit(m, 1);
        g_mutex_lock(&m->lock);
        return;
    }
    tb_flush(m->tbs);
    memset(m->code_pages, 0, ((m->config.ram_size >> 12) + 63) / 64 * 8);
    for (unsigned i = 0; i < m->config.harts; i++) {
        riscv_cpu_reset(m->harts[i].cpu, m->boot_pc);
    }
    g_mutex_lock(&m->lock);
    m->reset_requested = 0;
    g_cond_broadcast(&m->changed);
}

int virt_machine_run(VirtMachine *m)
{
    m->timer_thread = g_thread_new("timer", timer_thread, m);
    for (unsigned i = 0; i < m->config.harts; i++) {
        char name[16];
        g_snprintf(name, sizeof(name), "hart%u", i);
        m->harts[i].thread = g_thread_new(name, hart_thread, &m->harts[i]);
    }
    g_mutex_lock(&m->lock);
    while (!m->quit) {
        if (m->reset_requested) {
            do_reset_locked(m);
            continue;
        }
        g_cond_wait(&m->changed, &m->lock);
    }
    g_mutex_unlock(&m->lock);
    for (unsigned i = 0; i < m->config.harts; i++) {
        g_thread_join(m->harts[i].thread);
    }
    g_thread_join(m->timer_thread);
    return m->exit_status;
}

VirtMachine *virt_machine_new(const VirtMachineConfig *c, GError **error)
{
    if (c->harts == 0 || c->harts > VIRT_MAX_HARTS) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "Invalid SMP CPUs %u. The max CPUs supported by machine 'virt' is %u",
                    c->harts, VIRT_MAX_HARTS);
        return NULL;
    }
    if (c->ram_size < (16ull << 20) || c->ram_size > (1ull << 40) || (c->ram_size & 0xfff)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "RAM size must be between 16 MiB and 1 TiB, in whole pages");
        return NULL;
    }
    VirtMachine *m = g_new0(VirtMachine, 1);
    m->config = *c;
    g_mutex_init(&m->lock);
    g_cond_init(&m->changed);
    /* Guest RAM is a memfd, so that post-copy migration and snapshots can share it. */
    m->ram_fd = memfd_create("vmd-ram", MFD_CLOEXEC);
    if (m->ram_fd < 0 || ftruncate(m->ram_fd, (off_t)c->ram_size) < 0 ||
        (m->ram = mmap(NULL, c->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                       m->ram_fd, 0)) == MAP_FAILED) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot allocate guest RAM: %s", g_strerror(errno));
        if (m->ram_fd >= 0) {
            close(m->ram_fd);
        }
        g_free(m);
        return NULL;
    }
    m->code_pages = g_new0(uint64_t, ((c->ram_size >> 12) + 63) / 64);
    m->bus = (RiscvBus){
        .opaque = m,
        .ram_ptr = bus_ram_ptr,
        .mmio_read = bus_mmio_read,
        .mmio_write = bus_mmio_write,
        .get_time = bus_get_time,
        .stimecmp_changed = bus_stimecmp_changed,
        .hart_wake = bus_hart_wake,
        .page_has_code = bus_page_has_code,
        .code_written = bus_code_written,
        .code_translated = bus_code_translated,
    };
    m->tbs = riscv_tb_cache_new(/* user_mode= */ false, c->tci);
    RiscvCPU *cpus[VIRT_MAX_HARTS];
    for (unsigned i = 0; i < c->harts; i++) {
        m->harts[i].m = m;
        m->harts[i].cpu = g_new0(RiscvCPU, 1);
        m->harts[i].cpu->sys.bus = &m->bus;
        m->harts[i].cpu->sys.mhartid = i;
        g_mutex_init(&m->harts[i].lock);
        g_cond_init(&m->harts[i].wake);
        cpus[i] = m->harts[i].cpu;
    }
    aclint_init(&m->clint, c->harts, cpus);
    plic_init(&m->plic, c->harts, cpus);
    ns16550a_init(&m->uart, uart_tx, uart_irq, m);
    m->test = (SifiveTest){.request = test_request, .opaque = m};
    goldfish_rtc_init(&m->rtc, rtc_irq, m);
    add_mmio(m, VIRT_RTC_BASE, VIRT_RTC_SIZE, (MmioRead)goldfish_rtc_read,
             (MmioWrite)goldfish_rtc_write, &m->rtc);
    add_mmio(m, VIRT_CLINT_BASE, VIRT_CLINT_SIZE, (MmioRead)aclint_read, (MmioWrite)aclint_write,
             &m->clint);
    add_mmio(m, VIRT_PLIC_BASE, virt_plic_size(c->harts), (MmioRead)plic_read,
             (MmioWrite)plic_write, &m->plic);
    add_mmio(m, VIRT_UART0_BASE, VIRT_UART0_SIZE, (MmioRead)ns16550a_read,
             (MmioWrite)ns16550a_write, &m->uart);
    add_mmio(m, VIRT_TEST_BASE, VIRT_TEST_SIZE, (MmioRead)sifive_test_read,
             (MmioWrite)sifive_test_write, &m->test);
    if (!add_virtio_devices(m, error) || !load_images(m, error)) {
        virt_machine_free(m);
        return NULL;
    }
    return m;
}

void virt_machine_free(VirtMachine *m)
{
    if (!m) {
        return;
    }
    for (unsigned i = 0; i < m->config.harts; i++) {
        g_free(m->harts[i].cpu);
        g_mutex_clear(&m->harts[i].lock);
        g_cond_clear(&m->harts[i].wake);
    }
    for (unsigned i = 0; i < m->config.n_drives; i++) {
        if (m->blk[i].bs) {
            bdrv_flush(m->blk[i].bs);
            bdrv_unref(m->blk[i].bs);
        }
    }
    tb_cache_free(m->tbs);
    munmap(m->ram, m->config.ram_size);
    close(m->ram_fd);
    g_free(m->code_pages);
    g_free(m);
}
