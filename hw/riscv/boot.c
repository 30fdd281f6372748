/*
 * Booting the virt board: the reset code in MROM with OpenSBI's fw_dynamic info block
 * (OpenSBI docs/firmware/fw_dynamic.md), and kernel loading (a RISC-V Linux Image,
 * Documentation/arch/riscv/boot-image-header.rst, or an ELF).
 */
#include "hw/riscv/virt.h"

#include <string.h>

#define FW_DYNAMIC_MAGIC 0x4942534full /* "OSBI" */
#define FW_DYNAMIC_VERSION 2

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t virt_boot_rom(uint8_t *rom, size_t rom_size, uint64_t rom_base, uint64_t firmware_addr,
                     uint64_t fdt_addr, uint64_t next_addr, unsigned next_mode)
{
    static const uint32_t code[] = {
        0x00000297, /* auipc t0, 0            t0 = this code */
        0x02828613, /* addi  a2, t0, 0x28     a2 = &fw_dynamic_info */
        0xf1402573, /* csrr  a0, mhartid */
        0x0202b583, /* ld    a1, 0x20(t0)     a1 = the device tree */
        0x0182b283, /* ld    t0, 0x18(t0)     the firmware's entry */
        0x00028067, /* jr    t0 */
    };
    const size_t size = 0x28 + 6 * 8;
    (void)rom_base;
    if (rom_size < size) {
        return 0;
    }
    memset(rom, 0, size);
    for (size_t i = 0; i < G_N_ELEMENTS(code); i++) {
        put32(rom + 4 * i, code[i]);
    }
    put64(rom + 0x18, firmware_addr);
    put64(rom + 0x20, fdt_addr);
    uint8_t *info = rom + 0x28;
    put64(info + 0, FW_DYNAMIC_MAGIC);
    put64(info + 8, FW_DYNAMIC_VERSION);
    put64(info + 16, next_addr);
    put64(info + 24, next_mode);
    put64(info + 32, 0);          /* options */
    put64(info + 40, UINT64_MAX); /* boot hart: whichever wins the lottery */
    return size;
}

static bool load_image(const uint8_t *file, size_t file_size, uint8_t *ram, uint64_t ram_size,
                       uint64_t default_addr, uint64_t *ret_entry, uint64_t *ret_end,
                       GError **error)
{
    uint64_t text_offset = get64(file + 8);
    uint64_t image_size = get64(file + 16);
    uint64_t addr = text_offset ? VIRT_DRAM_BASE + text_offset : default_addr;
    if (image_size < file_size) {
        image_size = file_size;
    }
    if (addr < VIRT_DRAM_BASE || addr - VIRT_DRAM_BASE > ram_size ||
        image_size > ram_size - (addr - VIRT_DRAM_BASE)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
                    "the kernel (%" G_GUINT64_FORMAT " bytes at 0x%" G_GINT64_MODIFIER
                    "x) does not fit in RAM",
                    image_size, addr);
        return false;
    }
    uint8_t *dst = ram + (addr - VIRT_DRAM_BASE);
    memcpy(dst, file, file_size);
    memset(dst + file_size, 0, image_size - file_size);
    *ret_entry = addr;
    *ret_end = addr + image_size;
    return true;
}

static bool load_elf(const uint8_t *file, size_t file_size, uint8_t *ram, uint64_t ram_size,
                     uint64_t *ret_entry, uint64_t *ret_end, GError **error)
{
    if (file_size < 64 || file[4] != 2 || file[5] != 1 || (file[18] | file[19] << 8) != 243) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "not a 64-bit little-endian RISC-V ELF file");
        return false;
    }
    uint64_t phoff = get64(file + 32);
    unsigned phentsize = file[54] | file[55] << 8, phnum = file[56] | file[57] << 8;
    if (phentsize < 56 || phoff > file_size || (uint64_t)phnum * phentsize > file_size - phoff) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "bad ELF program headers");
        return false;
    }
    uint64_t end = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = file + phoff + (uint64_t)i * phentsize;
        if (get32(ph) != 1) {
            continue; /* PT_LOAD only */
        }
        uint64_t off = get64(ph + 8), paddr = get64(ph + 24), filesz = get64(ph + 32),
                 memsz = get64(ph + 40);
        if (filesz > memsz || off > file_size || filesz > file_size - off ||
            paddr < VIRT_DRAM_BASE || paddr - VIRT_DRAM_BASE > ram_size ||
            memsz > ram_size - (paddr - VIRT_DRAM_BASE)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "ELF segment %u does not fit in RAM or in the file", i);
            return false;
        }
        uint8_t *dst = ram + (paddr - VIRT_DRAM_BASE);
        memcpy(dst, file + off, filesz);
        memset(dst + filesz, 0, memsz - filesz);
        end = MAX(end, paddr + memsz);
    }
    *ret_entry = get64(file + 24);
    *ret_end = end;
    return true;
}

bool virt_load_kernel(const uint8_t *file, size_t file_size, uint8_t *ram, uint64_t ram_size,
                      uint64_t default_addr, uint64_t *ret_entry, uint64_t *ret_end,
                      GError **error)
{
    if (file_size >= 4 && memcmp(file, "\x7f" "ELF", 4) == 0) {
        return load_elf(file, file_size, ram, ram_size, ret_entry, ret_end, error);
    }
    if (file_size >= 64 && memcmp(file + 56, "RSC\x05", 4) == 0) {
        return load_image(file, file_size, ram, ram_size, default_addr, ret_entry, ret_end,
                          error);
    }
    /* A raw binary (e.g. OpenSBI's fw_dynamic.bin, U-Boot): loaded as it is. */
    if (default_addr < VIRT_DRAM_BASE || default_addr - VIRT_DRAM_BASE > ram_size ||
        file_size > ram_size - (default_addr - VIRT_DRAM_BASE)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "the image does not fit in RAM");
        return false;
    }
    memcpy(ram + (default_addr - VIRT_DRAM_BASE), file, file_size);
    *ret_entry = default_addr;
    *ret_end = default_addr + file_size;
    return true;
}
