/* tests/guest/baremetal/paging.c — Sv39, Sv48 and Sv57 from S mode: for each mode a
   4 KiB page, a megapage and a gigapage at high virtual addresses (sign-extended
   canonical ones), reads and writes through them, the page fault of a non-canonical
   address, and that satp keeps the mode it was given. Same results on QEMU and vmd.
   Prints "paging: all passed". */
#include "runtime.h"

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_A 64
#define PTE_D 128
#define LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

static uint64_t tables[16][512] __attribute__((aligned(4096)));
static unsigned next_table;
static uint64_t page4k[512] __attribute__((aligned(4096)));
static int failures;
volatile uint64_t trap_cause, trap_tval;
volatile uint64_t resume_at;

void m_trap(void);
__asm__(".align 2\n"
        "m_trap:\n"
        "  csrr t0, mcause\n  sd t0, trap_cause, t1\n"
        "  csrr t0, mtval\n  sd t0, trap_tval, t1\n"
        "  ld t0, resume_at\n  csrw mepc, t0\n"
        "  li t0, 0x1800\n  csrs mstatus, t0\n"
        "  mret\n");

static void check(const char *what, uint64_t got, uint64_t want)
{
    if (got != want) {
        vmd_puts("FAIL ");
        vmd_puts(what);
        vmd_puts(": got ");
        vmd_puthex(got);
        vmd_puts(" want ");
        vmd_puthex(want);
        vmd_putc('\n');
        failures++;
    }
}

static uint64_t *new_table(void)
{
    uint64_t *t = tables[next_table++];
    for (int i = 0; i < 512; i++) {
        t[i] = 0;
    }
    return t;
}

static uint64_t pte(uint64_t pa, uint64_t flags)
{
    return (pa >> 12) << 10 | flags;
}

/* Maps va -> pa with a leaf at `level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB) in a table
   tree of `levels` levels rooted at root. */
static void map(uint64_t *root, int levels, uint64_t va, uint64_t pa, int level)
{
    uint64_t *t = root;
    for (int l = levels - 1; l > level; l--) {
        unsigned idx = (va >> (12 + 9 * l)) & 511;
        if (!(t[idx] & PTE_V)) {
            t[idx] = pte((uint64_t)new_table(), PTE_V);
        }
        t = (uint64_t *)((t[idx] >> 10) << 12);
    }
    t[(va >> (12 + 9 * level)) & 511] = pte(pa, LEAF);
}

/* Reads va in S mode (through mret, back through the ecall trap); returns the value
   or the trap cause with bit 62 set. */
static volatile uint64_t s_result;
static volatile uint64_t s_addr;
static void s_read(void)
{
    s_result = *(volatile uint64_t *)s_addr;
    __asm__ volatile("ecall");
}

static uint64_t read_in_s(uint64_t va)
{
    extern char back[];
    s_addr = va;
    s_result = 0xdead;
    resume_at = (uint64_t)back;
    uint64_t st;
    __asm__ volatile("csrr %0, mstatus" : "=r"(st));
    st = (st & ~(3ull << 11)) | (1ull << 11);
    __asm__ volatile("csrw mstatus, %0\n csrw mepc, %1\n mret\n .globl back\n back:"
                     ::"r"(st), "r"((uint64_t)s_read) : "memory");
    return trap_cause == 9 ? s_result : (1ull << 62) | trap_cause;
}

static void test_mode(unsigned mode, int levels, const char *name)
{
    next_table = 0;
    uint64_t *root = new_table();
    uint64_t va_bits = 12 + 9 * (uint64_t)levels;
    uint64_t high = ~0ull << (va_bits - 1); /* lowest canonical negative address */
    /* Code and stack keep running: identity gigapage over RAM. */
    map(root, levels, 0x80000000ull, 0x80000000ull, 2);
    map(root, levels, high + 0x1000, (uint64_t)page4k, 0);
    map(root, levels, high + 0x40200000ull, 0x80000000ull, 1);
    map(root, levels, high + 0x80000000ull, 0x80000000ull, 2);
    uint64_t satp = (uint64_t)mode << 60 | ((uint64_t)root >> 12);
    __asm__ volatile("csrw satp, %0\n sfence.vma" ::"r"(satp) : "memory");
    uint64_t got;
    __asm__ volatile("csrr %0, satp" : "=r"(got));
    check(name, got >> 60, mode);
    page4k[3] = 0x1234000000000000ull | mode;
    check(name, read_in_s(high + 0x1000 + 24), page4k[3]);
    check(name, read_in_s(high + 0x40200000ull + ((uint64_t)page4k & 0x1fffff) + 24),
          page4k[3]);
    check(name, read_in_s(high + 0x80000000ull + ((uint64_t)page4k - 0x80000000ull) + 24),
          page4k[3]);
    /* Bit va_bits-1 set but not sign-extended above: a load page fault. */
    uint64_t bad = 1ull << (va_bits - 1);
    check(name, read_in_s(bad), (1ull << 62) | 13);
    check(name, trap_tval, bad);
    __asm__ volatile("csrw satp, zero\n sfence.vma" ::: "memory");
}

int main(void)
{
    __asm__ volatile("csrw mtvec, %0" ::"r"((uint64_t)m_trap));
    __asm__ volatile("csrw pmpaddr0, %0\n csrw pmpcfg0, %1" ::"r"(~0ull >> 10), "r"(0x1full));
    test_mode(8, 3, "sv39");
    test_mode(9, 4, "sv48");
    test_mode(10, 5, "sv57");
    if (failures) {
        vmd_fail("paging", failures);
    }
    vmd_puts("paging: all passed\n");
    return 0;
}
