/*
 * The virt board's layout: QEMU's riscv `virt` memory map and interrupt numbers, so
 * that unmodified OpenSBI, U-Boot and Linux find their devices where they expect them.
 */
#ifndef VMD_HW_RISCV_VIRT_H
#define VMD_HW_RISCV_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

enum {
    VIRT_MROM_BASE = 0x1000,
    VIRT_MROM_SIZE = 0xf000,
    VIRT_TEST_BASE = 0x100000,
    VIRT_TEST_SIZE = 0x1000,
    VIRT_RTC_BASE = 0x101000,
    VIRT_RTC_SIZE = 0x1000,
    VIRT_CLINT_BASE = 0x2000000,
    VIRT_CLINT_SIZE = 0x10000,
    VIRT_PLIC_BASE = 0xc000000,
    VIRT_UART0_BASE = 0x10000000,
    VIRT_UART0_SIZE = 0x100,
    VIRT_VIRTIO_BASE = 0x10001000,
    VIRT_VIRTIO_SIZE = 0x1000,
    VIRT_VIRTIO_COUNT = 8,
    VIRT_PCIE_PIO_BASE = 0x3000000,
    VIRT_PCIE_ECAM_BASE = 0x30000000,
    VIRT_PCIE_MMIO_BASE = 0x40000000,
};
#define VIRT_DRAM_BASE 0x80000000ull

/* PLIC interrupt sources. */
enum {
    VIRT_IRQ_VIRTIO_FIRST = 1, /* 1..8 */
    VIRT_IRQ_UART0 = 10,
    VIRT_IRQ_RTC = 11,
    VIRT_PLIC_NDEV = 0x60,
};

/* PLIC size for n contexts (two per hart: M and S external interrupts). */
static inline uint64_t virt_plic_size(unsigned harts)
{
    return 0x200000 + (uint64_t)harts * 2 * 0x1000;
}

/* What the device tree describes. */
typedef struct VirtFdtConfig {
    unsigned harts;
    uint64_t ram_size;          /* bytes at VIRT_DRAM_BASE */
    const char *bootargs;       /* kernel command line, or NULL */
    uint64_t initrd_start;      /* physical range of the initrd; both 0 if none */
    uint64_t initrd_end;
    bool rtc;                   /* goldfish RTC present */
    const char *mmu_type;       /* "riscv,sv39" / "riscv,sv48" / "riscv,sv57" */
} VirtFdtConfig;

/* Builds the flattened device tree; returns NULL with *error set on failure. The blob
 * is g_malloc'ed and *ret_size is its total size. */
void *virt_fdt_build(const VirtFdtConfig *c, size_t *ret_size, GError **error);

/* ---- Boot (boot.c) --------------------------------------------------------------- */

/* Where things go in RAM, decided before anything is written. */
typedef struct VirtBootLayout {
    uint64_t firmware_addr;   /* OpenSBI fw_dynamic, at the start of RAM */
    uint64_t kernel_addr;     /* kernel entry (the next stage after the firmware) */
    uint64_t kernel_size;
    uint64_t initrd_addr, initrd_size;
    uint64_t fdt_addr;
} VirtBootLayout;

/*
 * The reset code in MROM: sets a0 = mhartid, a1 = the FDT address, a2 = the fw_dynamic
 * info block (which it contains), and jumps to the firmware. Writes at most
 * VIRT_MROM_SIZE bytes to rom (little endian) and returns the number used.
 */
size_t virt_boot_rom(uint8_t *rom, size_t rom_size, uint64_t rom_base, uint64_t firmware_addr,
                     uint64_t fdt_addr, uint64_t next_addr, unsigned next_mode);

/* Kernel image loading: a RISC-V Linux Image (with its header) or an ELF. Copies it into
 * ram (which starts at VIRT_DRAM_BASE) at its load address and returns the entry.
 * Every size and offset from the file is checked against the file and the RAM. */
bool virt_load_kernel(const uint8_t *file, size_t file_size, uint8_t *ram, uint64_t ram_size,
                      uint64_t default_addr, uint64_t *ret_entry, uint64_t *ret_end,
                      GError **error);

#endif

/* ---- The machine (virt-machine.c) --------------------------------------------------- */

#define VIRT_MAX_DRIVES 6

typedef struct VirtDriveConfig {
    const char *file;        /* disk image */
    const char *format;      /* "raw", "qcow2", or NULL to probe */
    bool read_only;
    const char *serial;      /* virtio-blk ID, or NULL */
} VirtDriveConfig;

typedef struct VirtMachineConfig {
    unsigned harts;
    uint64_t ram_size;
    const char *bios;        /* firmware path; NULL: Debian's OpenSBI fw_dynamic; "none" */
    const char *kernel;      /* Linux Image or ELF, or NULL */
    const char *initrd;
    const char *append;      /* kernel command line */
    const char *dtb;         /* a device tree to use instead of the generated one */
    bool no_reboot;          /* a guest reset request powers off instead */
    bool tci;                /* run on the interpreter */
    VirtDriveConfig drives[VIRT_MAX_DRIVES]; /* virtio-blk disks, in -drive order */
    unsigned n_drives;
    bool rng;                /* a virtio-rng device */
    struct NetBackend *nics[4]; /* virtio-net devices, each on a network back end */
    uint8_t nic_mac[4][6];
    unsigned n_nics;
    /* A virtio-console (hvc0) and where its output goes (any thread). */
    bool virtio_console;
    void (*vcon_out)(void *opaque, const uint8_t *buf, size_t len);
    void *vcon_opaque;
    /* Where the serial console's output goes (any thread). */
    void (*console_out)(void *opaque, const uint8_t *buf, size_t len);
    void *console_opaque;
} VirtMachineConfig;

#define VIRT_DEFAULT_BIOS "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

typedef struct VirtMachine VirtMachine;

VirtMachine *virt_machine_new(const VirtMachineConfig *c, GError **error);
/* Runs the harts until the guest powers off (or virt_machine_quit()); returns the exit
 * status: 0 for a poweroff, the finisher's failure code otherwise. */
int virt_machine_run(VirtMachine *m);
void virt_machine_quit(VirtMachine *m, int status);
/* Console input for the UART (any thread): how many bytes fit now, and delivery
 * (returns how many bytes it took). */
size_t virt_machine_console_room(VirtMachine *m);
size_t virt_machine_console_input(VirtMachine *m, const uint8_t *buf, size_t len);
/* The same for the virtio-console, when there is one. */
size_t virt_machine_vcon_room(VirtMachine *m);
size_t virt_machine_vcon_input(VirtMachine *m, const uint8_t *buf, size_t len);
void virt_machine_free(VirtMachine *m);
