/*
 * System-mode memory: Sv39/Sv48/Sv57 page walks with hardware A/D updates, PMP, the
 * per-hart software TLB, and the guest memory callbacks the back ends call for every
 * load, store and atomic in system mode (IrGuestMemory).
 *
 * MMU indices (the mmu_idx of memory ops, chosen at translation time): 0 = U, 1 = S,
 * 2 = S with mstatus.SUM, 3 = M (no translation). Instruction fetch uses the hart's
 * privilege. Whatever changes the outcome of a walk (satp, mstatus MPRV/MPP/SUM/MXR,
 * PMP, sfence.vma) flushes the whole TLB: simple and always correct.
 *
 * The TLB caches only RAM pages that PMP grants as a whole; MMIO accesses and pages
 * with finer PMP rules walk every time. A page holding translated code gets no write
 * entry, so stores to it take the slow path and invalidate the code first.
 */
#include <string.h>

#include "tcg/riscv/csr.h"
#include "tcg/riscv/helper.h"
#include "tcg/riscv/mmu.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_RESERVED (0x3ffull << 54) /* N, PBMT and reserved: not implemented */
#define PTE_PPN(pte) (((pte) >> 10) & ((1ull << 44) - 1))

#define PAGE_MASK (~(uint64_t)0xfff)

void riscv_tlb_flush(RiscvCPU *cpu)
{
    memset(cpu->sys.tlb, 0xff, sizeof(cpu->sys.tlb));
}

static unsigned data_priv(unsigned mmu_idx)
{
    return mmu_idx == RISCV_MMU_S_SUM ? RISCV_PRIV_S : mmu_idx;
}

/* ---- PMP ------------------------------------------------------------------------- */

static uint8_t pmp_cfg(const RiscvSysState *s, unsigned i)
{
    return s->pmpcfg[i / 8] >> (8 * (i % 8));
}

/* The byte range [*lo, *hi] entry i matches, or false if it is off. */
static bool pmp_range(const RiscvSysState *s, unsigned i, uint64_t *lo, uint64_t *hi)
{
    uint8_t cfg = pmp_cfg(s, i);
    uint64_t a = s->pmpaddr[i];
    switch ((cfg >> 3) & 3) {
    case 1: /* TOR */
        *lo = i ? s->pmpaddr[i - 1] << 2 : 0;
        *hi = (a << 2) - 1;
        return *hi >= *lo && a != 0;
    case 2: /* NA4 */
        *lo = a << 2;
        *hi = *lo + 3;
        return true;
    case 3: { /* NAPOT */
        unsigned ones = (unsigned)__builtin_ctzll(~a);
        uint64_t size = ones >= 54 ? UINT64_MAX : (8ull << ones);
        *lo = (a & ~((1ull << ones) - 1)) << 2;
        *hi = size == UINT64_MAX ? UINT64_MAX : *lo + size - 1;
        return true;
    }
    default:
        return false;
    }
}

/*
 * Checks [paddr, paddr + len) for the access; if whole_page is non-NULL, also says
 * whether the decision holds for the entire 4 KiB page (so the TLB may cache it).
 */
static bool pmp_check(RiscvCPU *cpu, uint64_t paddr, unsigned len, int access, unsigned priv,
                      bool *whole_page)
{
    const RiscvSysState *s = &cpu->sys;
    uint64_t end = paddr + len - 1, page = paddr & PAGE_MASK, page_end = page + 0xfff;
    bool uniform = true;
    for (unsigned i = 0; i < 64; i++) {
        uint64_t lo, hi;
        if (!pmp_range(s, i, &lo, &hi)) {
            continue;
        }
        if (hi < page || lo > page_end) {
            continue;
        }
        if (lo > page || hi < page_end) {
            uniform = false; /* the first matching rule covers only part of the page */
        }
        if (paddr > hi || end < lo) {
            continue;
        }
        if (paddr < lo || end > hi) {
            return false; /* straddles the entry's boundary */
        }
        uint8_t cfg = pmp_cfg(s, i);
        if (whole_page) {
            *whole_page = uniform;
        }
        if (priv == RISCV_PRIV_M && !(cfg & 0x80)) {
            return true;
        }
        unsigned need = access == RISCV_ACCESS_FETCH ? 4 : access == RISCV_ACCESS_STORE ? 2 : 1;
        return (cfg & need) != 0;
    }
    if (whole_page) {
        *whole_page = uniform;
    }
    return priv == RISCV_PRIV_M; /* no match: only M passes (64 entries implemented) */
}

/* ---- Page walk ------------------------------------------------------------------- */

static RiscvException fault_for(int access)
{
    switch (access) {
    case RISCV_ACCESS_FETCH:
        return RISCV_EXCP_INSN_PAGE_FAULT;
    case RISCV_ACCESS_STORE:
        return RISCV_EXCP_STORE_PAGE_FAULT;
    default:
        return RISCV_EXCP_LOAD_PAGE_FAULT;
    }
}

static RiscvException access_fault_for(int access)
{
    switch (access) {
    case RISCV_ACCESS_FETCH:
        return RISCV_EXCP_INSN_ACCESS;
    case RISCV_ACCESS_STORE:
        return RISCV_EXCP_STORE_ACCESS;
    default:
        return RISCV_EXCP_LOAD_ACCESS;
    }
}

/*
 * Translates vaddr for an access at privilege priv. On success fills *ret with the
 * physical address and which accesses the mapping allows (for the TLB); returns 0 or
 * the exception to raise.
 */
/* One walk; returns 0, an exception, or -1 when a PTE changed during the A/D update and
 * the walk must be repeated. */
static int walk(RiscvCPU *cpu, uint64_t vaddr, int access, unsigned priv, RiscvTranslation *ret)
{
    RiscvSysState *s = &cpu->sys;
    unsigned mode = s->satp >> SATP_MODE_SHIFT;
    unsigned levels = mode == SATP_SV39 ? 3 : mode == SATP_SV48 ? 4 : 5;
    unsigned va_bits = 12 + 9 * levels;
    if ((uint64_t)((int64_t)(vaddr << (64 - va_bits)) >> (64 - va_bits)) != vaddr) {
        return fault_for(access);
    }
    bool sum = s->mstatus & MSTATUS_SUM, mxr = s->mstatus & MSTATUS_MXR;
    uint64_t ppn = s->satp & SATP_PPN_MASK;
    for (int level = (int)levels - 1; level >= 0; level--) {
        uint64_t vpn = (vaddr >> (12 + 9 * level)) & 0x1ff;
        uint64_t pte_addr = (ppn << 12) + vpn * 8;
        if (!pmp_check(cpu, pte_addr, 8, RISCV_ACCESS_LOAD, RISCV_PRIV_S, NULL)) {
            return access_fault_for(access);
        }
        uint64_t *pte_p = s->bus->ram_ptr(s->bus->opaque, pte_addr);
        if (!pte_p) {
            return access_fault_for(access);
        }
        uint64_t pte = __atomic_load_n(pte_p, __ATOMIC_ACQUIRE);
        if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)) || (pte & PTE_RESERVED)) {
            return fault_for(access);
        }
        if (!(pte & (PTE_R | PTE_X))) {
            ppn = PTE_PPN(pte);
            continue; /* pointer to the next level */
        }
        /* A leaf: alignment of superpages, then permissions. */
        uint64_t low_mask = (1ull << (9 * level)) - 1;
        if (PTE_PPN(pte) & low_mask) {
            return fault_for(access);
        }
        if (priv == RISCV_PRIV_U ? !(pte & PTE_U)
                                 : (pte & PTE_U) && (access == RISCV_ACCESS_FETCH || !sum)) {
            return fault_for(access);
        }
        bool readable = (pte & PTE_R) || (mxr && (pte & PTE_X));
        if ((access == RISCV_ACCESS_FETCH && !(pte & PTE_X)) ||
            (access == RISCV_ACCESS_LOAD && !readable) ||
            (access == RISCV_ACCESS_STORE && !(pte & PTE_W))) {
            return fault_for(access);
        }
        /* Hardware A/D update, atomically against other harts and the guest. */
        uint64_t want = pte | PTE_A | (access == RISCV_ACCESS_STORE ? PTE_D : 0);
        if (want != pte && !__atomic_compare_exchange_n(pte_p, &pte, want, false,
                                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            return -1;
        }
        ret->paddr = ((PTE_PPN(pte) & ~low_mask) | ((vaddr >> 12) & low_mask)) << 12 |
                     (vaddr & 0xfff);
        ret->prot = (readable ? RISCV_PROT_R : 0) | (pte & PTE_X ? RISCV_PROT_X : 0) |
                    ((pte & PTE_W) && (want & PTE_D) ? RISCV_PROT_W : 0);
        return 0;
    }
    return fault_for(access);
}

/*
 * Translates vaddr for an access at privilege priv. On success fills *ret with the
 * physical address and which accesses the mapping allows; returns 0 or the exception
 * to raise.
 */
RiscvException riscv_mmu_translate(RiscvCPU *cpu, uint64_t vaddr, int access, unsigned priv,
                                   RiscvTranslation *ret)
{
    unsigned mode = cpu->sys.satp >> SATP_MODE_SHIFT;
    ret->prot = RISCV_PROT_R | RISCV_PROT_W | RISCV_PROT_X;
    if (priv == RISCV_PRIV_M || mode == SATP_BARE) {
        ret->paddr = vaddr;
        return 0;
    }
    /* Another hart rewriting our PTEs forever only delays us a bounded number of times. */
    for (int attempt = 0; attempt < 64; attempt++) {
        int r = walk(cpu, vaddr, access, priv, ret);
        if (r >= 0) {
            return (RiscvException)r;
        }
    }
    return fault_for(access);
}

bool riscv_cpu_debug_translate(RiscvCPU *cpu, uint64_t vaddr, uint64_t *ret_paddr)
{
    RiscvTranslation t;
    /* A debug walk must not set A/D bits: only answer for Bare and M. */
    unsigned mode = cpu->sys.satp >> SATP_MODE_SHIFT;
    if (cpu->priv != RISCV_PRIV_M && mode != SATP_BARE) {
        return false;
    }
    if (riscv_mmu_translate(cpu, vaddr, RISCV_ACCESS_LOAD, RISCV_PRIV_M, &t)) {
        return false;
    }
    *ret_paddr = t.paddr;
    return true;
}

/* ---- The TLB and the slow path ------------------------------------------------------- */

static inline RiscvTlbEntry *tlb_entry(RiscvCPU *cpu, unsigned mmu_idx, uint64_t vaddr)
{
    return &cpu->sys.tlb[mmu_idx][(vaddr >> 12) & (RISCV_TLB_SIZE - 1)];
}

/*
 * Translates and checks one access that fits in a page. Returns the host pointer for
 * RAM (filling the TLB when it may) or NULL with *ret_paddr set for MMIO; raises on
 * faults.
 */
static void *resolve(RiscvCPU *cpu, uint64_t vaddr, unsigned len, int access, unsigned mmu_idx,
                     uint64_t *ret_paddr)
{
    const RiscvBus *bus = cpu->sys.bus;
    unsigned priv = data_priv(mmu_idx);
    RiscvTranslation t;
    RiscvException e = riscv_mmu_translate(cpu, vaddr, access, priv, &t);
    if (e) {
        riscv_cpu_raise(cpu, e, vaddr);
    }
    bool whole = false;
    if (!pmp_check(cpu, t.paddr, len, access, priv, &whole)) {
        riscv_cpu_raise(cpu, access_fault_for(access), vaddr);
    }
    *ret_paddr = t.paddr;
    uint8_t *host = bus->ram_ptr(bus->opaque, t.paddr & PAGE_MASK);
    if (!host) {
        return NULL;
    }
    bool code = bus->page_has_code && bus->page_has_code(bus->opaque, t.paddr);
    if (access == RISCV_ACCESS_STORE && code) {
        bus->code_written(bus->opaque, t.paddr, len);
    }
    /* Cache the page for this kind of access only: PMP may treat the kinds apart. */
    if (whole && !(access == RISCV_ACCESS_STORE && code)) {
        RiscvTlbEntry *te = tlb_entry(cpu, mmu_idx, vaddr);
        uint64_t vpage = vaddr & PAGE_MASK;
        uintptr_t addend = (uintptr_t)host - vpage;
        if (te->addend != addend ||
            (te->vpage_read != vpage && te->vpage_write != vpage && te->vpage_exec != vpage)) {
            te->vpage_read = te->vpage_write = te->vpage_exec = UINT64_MAX;
        }
        te->addend = addend;
        if (access == RISCV_ACCESS_LOAD) {
            te->vpage_read = vpage;
        } else if (access == RISCV_ACCESS_STORE) {
            te->vpage_write = vpage;
        } else {
            te->vpage_exec = vpage;
        }
    }
    return host + (t.paddr & 0xfff);
}

static uint64_t load_le(const void *p, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, p, size);
    return v;
}

static uint64_t sys_load(void *env, uint64_t addr, unsigned memop, unsigned mmu_idx)
{
    RiscvCPU *cpu = env;
    unsigned size = 1u << (memop & IR_MO_SIZE);
    RiscvTlbEntry *te = tlb_entry(cpu, mmu_idx, addr);
    if ((addr & PAGE_MASK) == te->vpage_read && ((addr & 0xfff) + size) <= 4096) {
        return load_le((void *)(te->addend + addr), size);
    }
    if (((addr & 0xfff) + size) > 4096) {
        /* Crosses a page: byte by byte, each byte its own access (misaligned). */
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            v |= sys_load(env, addr + i, IR_MO_8, mmu_idx) << (8 * i);
        }
        return v;
    }
    uint64_t paddr;
    void *host = resolve(cpu, addr, size, RISCV_ACCESS_LOAD, mmu_idx, &paddr);
    if (host) {
        return load_le(host, size);
    }
    uint64_t v;
    if (!cpu->sys.bus->mmio_read(cpu->sys.bus->opaque, paddr, size, &v)) {
        riscv_cpu_raise(cpu, RISCV_EXCP_LOAD_ACCESS, addr);
    }
    return v;
}

static void sys_store(void *env, uint64_t addr, uint64_t val, unsigned memop, unsigned mmu_idx)
{
    RiscvCPU *cpu = env;
    unsigned size = 1u << (memop & IR_MO_SIZE);
    RiscvTlbEntry *te = tlb_entry(cpu, mmu_idx, addr);
    if ((addr & PAGE_MASK) == te->vpage_write && ((addr & 0xfff) + size) <= 4096) {
        memcpy((void *)(te->addend + addr), &val, size);
        return;
    }
    if (((addr & 0xfff) + size) > 4096) {
        /* Check both pages before writing anything, so a fault leaves memory as it was. */
        uint64_t second = (addr & PAGE_MASK) + 4096, paddr;
        resolve(cpu, second, 1, RISCV_ACCESS_STORE, mmu_idx, &paddr);
        for (unsigned i = 0; i < size; i++) {
            sys_store(env, addr + i, val >> (8 * i), IR_MO_8, mmu_idx);
        }
        return;
    }
    uint64_t paddr;
    void *host = resolve(cpu, addr, size, RISCV_ACCESS_STORE, mmu_idx, &paddr);
    if (host) {
        memcpy(host, &val, size);
        return;
    }
    if (!cpu->sys.bus->mmio_write(cpu->sys.bus->opaque, paddr, size, val)) {
        riscv_cpu_raise(cpu, RISCV_EXCP_STORE_ACCESS, addr);
    }
}

static void *sys_atomic_addr(void *env, uint64_t addr, unsigned memop, unsigned mmu_idx)
{
    RiscvCPU *cpu = env;
    unsigned size = 1u << (memop & IR_MO_SIZE);
    RiscvTlbEntry *te = tlb_entry(cpu, mmu_idx, addr);
    if ((addr & PAGE_MASK) == te->vpage_write) {
        return (void *)(te->addend + addr);
    }
    uint64_t paddr;
    void *host = resolve(cpu, addr, size, RISCV_ACCESS_STORE, mmu_idx, &paddr);
    if (!host) {
        /* AMOs on device memory are not supported by any device here. */
        riscv_cpu_raise(cpu, RISCV_EXCP_STORE_ACCESS, addr);
    }
    return host;
}

static void sys_misaligned(void *env, uint64_t addr, bool is_store)
{
    riscv_cpu_raise(env, is_store ? RISCV_EXCP_STORE_MISALIGNED : RISCV_EXCP_LOAD_MISALIGNED,
                    addr);
}

const IrGuestMemory riscv_system_memory = {
    .load = sys_load,
    .store = sys_store,
    .atomic_addr = sys_atomic_addr,
    .misaligned = sys_misaligned,
};

bool riscv_fetch_code(RiscvCPU *cpu, uint64_t pc, uint16_t *ret_half, RiscvException *ret_fault,
                      uint64_t *ret_paddr)
{
    RiscvTlbEntry *te = tlb_entry(cpu, RISCV_MMU_FETCH_IDX(cpu->priv), pc);
    if ((pc & PAGE_MASK) == te->vpage_exec && ret_paddr == NULL) {
        memcpy(ret_half, (void *)(te->addend + pc), 2);
        return true;
    }
    RiscvTranslation t;
    RiscvException e = riscv_mmu_translate(cpu, pc, RISCV_ACCESS_FETCH, cpu->priv, &t);
    if (e) {
        *ret_fault = e;
        return false;
    }
    if (!pmp_check(cpu, t.paddr, 2, RISCV_ACCESS_FETCH, cpu->priv, NULL)) {
        *ret_fault = RISCV_EXCP_INSN_ACCESS;
        return false;
    }
    const RiscvBus *bus = cpu->sys.bus;
    uint8_t *host = bus->ram_ptr(bus->opaque, t.paddr);
    if (!host) {
        uint64_t v;
        if (!bus->mmio_read(bus->opaque, t.paddr, 2, &v)) {
            *ret_fault = RISCV_EXCP_INSN_ACCESS;
            return false;
        }
        *ret_half = (uint16_t)v;
    } else {
        memcpy(ret_half, host, 2);
    }
    if (ret_paddr) {
        *ret_paddr = t.paddr;
    }
    return true;
}
