/*
 * Accesses through the memory API: DMA-style reads and writes of any length through an
 * address space, the little-endian load/store helpers built on them, and the dispatch of
 * one access to an MMIO region under its access rules.
 *
 * An access walks the flat view range by range, so it never runs past the region it is
 * in: RAM is copied, MMIO is cut into the largest accesses the region's valid rules
 * allow, holes read as all ones and report MEMTX_DECODE_ERROR. Bytes past 2^64 are a
 * hole too (addresses do not wrap). The dispatcher then adapts each valid access to what
 * the callbacks implement (impl rules): splitting large or unaligned ones, widening small
 * ones. Data is little endian throughout, as on RISC-V and virtio.
 */
#include "vm-core/memory-internal.h"

#include <stdarg.h>
#include <string.h>

static MemoryCodeWriteHook code_write_hook;   /* the translator's invalidation hook */
static MemoryGuestErrorHook guest_error_hook; /* the machine's guest-error logger */

void memory_set_code_write_hook(MemoryCodeWriteHook fn)
{
    __atomic_store_n(&code_write_hook, fn, __ATOMIC_RELEASE);
}

void memory_set_guest_error_hook(MemoryGuestErrorHook fn)
{
    __atomic_store_n(&guest_error_hook, fn, __ATOMIC_RELEASE);
}

void memory_guest_error(const char *fmt, ...)
{
    MemoryGuestErrorHook fn = __atomic_load_n(&guest_error_hook, __ATOMIC_ACQUIRE);

    if (!fn) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fn(msg);
}

void memory_notify_code_write(RamBlock *block, uint64_t offset, uint64_t len)
{
    MemoryCodeWriteHook fn = __atomic_load_n(&code_write_hook, __ATOMIC_ACQUIRE);

    if (fn && ram_block_range_has_code(block, offset, len)) {
        fn(block, offset, len);
    }
}

/* --- MMIO dispatch ------------------------------------------------------------------ */

static void rules_bounds(const MemoryAccessRules *r, unsigned *ret_min, unsigned *ret_max)
{
    *ret_min = r->min_access_size ? r->min_access_size : 1;
    *ret_max = r->max_access_size ? r->max_access_size : 4;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static bool access_valid(MemoryRegion *mr, uint64_t addr, unsigned size, bool write)
{
    unsigned vmin, vmax;

    rules_bounds(&mr->ops->valid, &vmin, &vmax);
    if (size < vmin || size > vmax) {
        memory_guest_error("%s: invalid %s of size %u at offset 0x%" PRIx64
                           " (valid sizes %u to %u)",
                           mr->name, write ? "write" : "read", size, addr, vmin, vmax);
        return false;
    }
    if (!mr->ops->valid.unaligned && (addr & (size - 1))) {
        memory_guest_error("%s: unaligned %s of size %u at offset 0x%" PRIx64, mr->name,
                           write ? "write" : "read", size, addr);
        return false;
    }
    if (addr >= mr->size || size > mr->size - addr) {
        memory_guest_error("%s: %s of size %u at offset 0x%" PRIx64 " past the region end",
                           mr->name, write ? "write" : "read", size, addr);
        return false;
    }
    return true;
}

/* One callback access of size at addr; for writes data holds the value. */
static MemTxResult io_call(MemoryRegion *mr, uint64_t addr, uint64_t *data, unsigned size,
                           bool write)
{
    if (write) {
        return mr->ops->write ? mr->ops->write(mr->opaque, addr, *data & size_mask(size), size)
                              : MEMTX_OK;
    }
    *data = 0;
    if (!mr->ops->read) {
        return MEMTX_OK;
    }
    MemTxResult r = mr->ops->read(mr->opaque, addr, data, size);
    *data &= size_mask(size);
    return r;
}

/*
 * A piece of size bytes (1 to 7, any) that the callbacks cannot take alone: done as one
 * impl.min access at base, which contains it. Reads keep the piece's bytes; writes put
 * the value in place with the other bytes zero.
 */
static MemTxResult io_widened(MemoryRegion *mr, uint64_t base, uint64_t addr, uint64_t *data,
                              unsigned size, unsigned imin, bool write)
{
    unsigned shift = (unsigned)(addr - base) * 8;
    uint64_t v = write ? (*data & size_mask(size)) << shift : 0;

    MemTxResult r = io_call(mr, base, &v, imin, write);
    if (!write) {
        *data = (v >> shift) & size_mask(size);
    }
    return r;
}

/* Largest power of two <= min(rem, imax), aligned at addr unless the callbacks need not. */
static unsigned io_piece(uint64_t addr, unsigned rem, unsigned imax, bool unaligned)
{
    unsigned piece = imax;

    while (piece > rem) {
        piece >>= 1;
    }
    while (!unaligned && (addr & (piece - 1))) {
        piece >>= 1;
    }
    return piece;
}

/*
 * Does one valid access as the callbacks want it. Aligned impl (the usual case): the
 * bytes are walked in aligned impl.min blocks; a block only partly covered is widened,
 * runs of whole blocks go out in the largest aligned impl accesses. Unaligned impl: only a
 * tail shorter than impl.min is widened, at its own address (as QEMU does).
 */
static MemTxResult io_access(MemoryRegion *mr, uint64_t addr, uint64_t *data, unsigned size,
                             bool write)
{
    const MemoryAccessRules *impl = &mr->ops->impl;
    unsigned imin, imax;

    rules_bounds(impl, &imin, &imax);
    if (size >= imin && size <= imax && (impl->unaligned || !(addr & (size - 1)))) {
        return io_call(mr, addr, data, size, write);
    }
    MemTxResult res = MEMTX_OK;
    uint64_t value = write ? *data : 0;
    for (unsigned off = 0; off < size;) {
        uint64_t cur = addr + off;
        unsigned rem = size - off;
        unsigned in_block = imin - (unsigned)(cur & (imin - 1));
        unsigned piece;
        uint64_t part = 0;
        if (impl->unaligned ? rem < imin : (in_block != imin || rem < imin)) {
            piece = impl->unaligned ? rem : MIN(rem, in_block);
            part = write ? (value >> (off * 8)) & size_mask(piece) : 0;
            uint64_t base = impl->unaligned ? cur : cur - (imin - in_block);
            res |= io_widened(mr, base, cur, &part, piece, imin, write);
        } else {
            piece = io_piece(cur, rem, imax, impl->unaligned);
            part = write ? (value >> (off * 8)) & size_mask(piece) : 0;
            res |= io_call(mr, cur, &part, piece, write);
        }
        if (!write) {
            value |= (part & size_mask(piece)) << (off * 8);
        }
        off += piece;
    }
    if (!write) {
        *data = value;
    }
    return res;
}

static uint64_t ld_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (i * 8);
    }
    return v;
}

static void st_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (i * 8));
    }
}

static MemTxResult ram_access(MemoryRegion *mr, uint64_t addr, uint8_t *buf, uint64_t len,
                              bool write, bool readonly)
{
    uint64_t block_off = mr->ram_offset + addr;
    uint8_t *host = (uint8_t *)ram_block_host(mr->ram_block) + block_off;

    if (!write) {
        memcpy(buf, host, len);
    } else if (!readonly) {
        memcpy(host, buf, len);
        ram_block_set_dirty(mr->ram_block, block_off, len);
        memory_notify_code_write(mr->ram_block, block_off, len);
    }
    return MEMTX_OK;
}

static MemTxResult dispatch(MemoryRegion *mr, uint64_t addr, uint64_t *data, unsigned size,
                            bool write)
{
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        return MEMTX_ERROR;
    }
    if (mr->kind == MR_RAM) {
        uint8_t bytes[8];
        if (addr >= mr->size || size > mr->size - addr) {
            return MEMTX_ERROR;
        }
        st_le(bytes, write ? *data : 0, size);
        ram_access(mr, addr, bytes, size, write, mr->readonly);
        if (!write) {
            *data = ld_le(bytes, size);
        }
        return MEMTX_OK;
    }
    if (mr->kind != MR_IO || !access_valid(mr, addr, size, write)) {
        return MEMTX_ERROR;
    }
    return io_access(mr, addr, data, size, write);
}

MemTxResult memory_region_dispatch_read(MemoryRegion *mr, uint64_t addr, uint64_t *ret_data,
                                        unsigned size)
{
    *ret_data = 0;
    MemTxResult r = dispatch(mr, addr, ret_data, size, false);
    if (r != MEMTX_OK) {
        *ret_data = size_mask(size);
    }
    return r;
}

MemTxResult memory_region_dispatch_write(MemoryRegion *mr, uint64_t addr, uint64_t data,
                                         unsigned size)
{
    return dispatch(mr, addr, &data, size, true);
}

/* --- address space accesses --------------------------------------------------------- */

/* Size of the next MMIO access of a DMA transfer: the largest valid one that fits. */
static unsigned io_dma_size(MemoryRegion *mr, uint64_t addr, uint64_t len)
{
    unsigned vmin, vmax;

    rules_bounds(&mr->ops->valid, &vmin, &vmax);
    unsigned l = vmax;
    while (l > 1 && l > len) {
        l >>= 1;
    }
    if (!mr->ops->valid.unaligned) {
        while (l > 1 && (addr & (l - 1))) {
            l >>= 1;
        }
    }
    return l;
}

static MemTxResult io_transfer(MemoryRegion *mr, uint64_t addr, uint8_t *buf, uint64_t len,
                               bool write)
{
    MemTxResult res = MEMTX_OK;

    while (len > 0) {
        unsigned l = io_dma_size(mr, addr, len);
        uint64_t data = write ? ld_le(buf, l) : 0;
        MemTxResult r = dispatch(mr, addr, &data, l, write);
        if (!write) {
            st_le(buf, r == MEMTX_OK ? data : UINT64_MAX, l);
        }
        res |= r;
        addr += l;
        buf += l;
        len -= l;
    }
    return res;
}

static MemTxResult address_space_rw(AddressSpace *as, uint64_t addr, uint8_t *buf, size_t len,
                                    bool write)
{
    MemTxResult res = MEMTX_OK;

    memory_rcu_read_lock();
    const FlatView *view = address_space_current_view(as);
    while (len > 0) {
        size_t i = flatview_find(view, addr);
        const FlatRange *fr = NULL;
        uint64_t last = UINT64_MAX; /* a hole runs to the next range or to the end */
        if (i < view->nr && view->ranges[i].start <= addr) {
            fr = &view->ranges[i];
            last = fr->last;
        } else if (i < view->nr) {
            last = view->ranges[i].start - 1;
        }
        uint64_t l = (uint64_t)len - 1 <= last - addr ? (uint64_t)len : last - addr + 1;
        if (!fr) {
            if (!write) {
                memset(buf, 0xff, l);
            }
            res |= MEMTX_DECODE_ERROR;
        } else if (fr->mr->kind == MR_RAM) {
            res |= ram_access(fr->mr, fr->offset + (addr - fr->start), buf, l, write, fr->readonly);
        } else {
            res |= io_transfer(fr->mr, fr->offset + (addr - fr->start), buf, l, write);
        }
        buf += l;
        len -= l;
        if (len > 0 && last == UINT64_MAX) {
            /* Past 2^64: addresses do not wrap around. */
            if (!write) {
                memset(buf, 0xff, len);
            }
            res |= MEMTX_DECODE_ERROR;
            break;
        }
        addr += l;
    }
    memory_rcu_read_unlock();
    return res;
}

MemTxResult address_space_read(AddressSpace *as, uint64_t addr, void *buf, size_t len)
{
    return address_space_rw(as, addr, buf, len, false);
}

MemTxResult address_space_write(AddressSpace *as, uint64_t addr, const void *buf, size_t len)
{
    /* The buffer is only read on this path; the cast keeps one walker for both ways. */
    return address_space_rw(as, addr, (uint8_t *)buf, len, true);
}

static uint64_t ld_helper(AddressSpace *as, uint64_t addr, unsigned size, MemTxResult *ret_result)
{
    uint8_t bytes[8];
    MemTxResult r = address_space_rw(as, addr, bytes, size, false);

    if (ret_result) {
        *ret_result = r;
    }
    return r == MEMTX_OK ? ld_le(bytes, size) : size_mask(size);
}

static void st_helper(AddressSpace *as, uint64_t addr, uint64_t val, unsigned size,
                      MemTxResult *ret_result)
{
    uint8_t bytes[8];

    st_le(bytes, val, size);
    MemTxResult r = address_space_rw(as, addr, bytes, size, true);
    if (ret_result) {
        *ret_result = r;
    }
}

uint8_t address_space_ldub(AddressSpace *as, uint64_t addr, MemTxResult *ret_result)
{
    return (uint8_t)ld_helper(as, addr, 1, ret_result);
}

uint16_t address_space_lduw_le(AddressSpace *as, uint64_t addr, MemTxResult *ret_result)
{
    return (uint16_t)ld_helper(as, addr, 2, ret_result);
}

uint32_t address_space_ldl_le(AddressSpace *as, uint64_t addr, MemTxResult *ret_result)
{
    return (uint32_t)ld_helper(as, addr, 4, ret_result);
}

uint64_t address_space_ldq_le(AddressSpace *as, uint64_t addr, MemTxResult *ret_result)
{
    return ld_helper(as, addr, 8, ret_result);
}

void address_space_stb(AddressSpace *as, uint64_t addr, uint8_t val, MemTxResult *ret_result)
{
    st_helper(as, addr, val, 1, ret_result);
}

void address_space_stw_le(AddressSpace *as, uint64_t addr, uint16_t val, MemTxResult *ret_result)
{
    st_helper(as, addr, val, 2, ret_result);
}

void address_space_stl_le(AddressSpace *as, uint64_t addr, uint32_t val, MemTxResult *ret_result)
{
    st_helper(as, addr, val, 4, ret_result);
}

void address_space_stq_le(AddressSpace *as, uint64_t addr, uint64_t val, MemTxResult *ret_result)
{
    st_helper(as, addr, val, 8, ret_result);
}
