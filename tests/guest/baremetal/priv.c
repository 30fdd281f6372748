/* tests/guest/baremetal/priv.c — the privileged architecture, checked from inside the
   guest: traps from M, S and U with their causes, epc and tval; mret/sret; Sv39 paging
   with a gigapage, a 4 KiB page, A/D bits set by hardware and page faults; SUM; trap
   delegation to S; and a software interrupt taken when enabled. Runs the same on
   qemu-system-riscv64 -M virt -bios none and on vmd. Prints "priv: all passed". */
#include "runtime.h"

/* Filled by the M-mode trap handler below. */
volatile uint64_t trap_cause, trap_epc, trap_tval, trap_count;
/* Where the handler resumes: 0 = the trapping instruction + 4. */
volatile uint64_t trap_resume;
volatile uint64_t s_cause, s_count;

void m_trap(void);
void s_trap(void);
__asm__(".align 2\n"
        "m_trap:\n"
        "  csrw mscratch, t0\n"
        "  csrr t0, mcause\n  sd t0, trap_cause, t1\n"
        "  csrr t0, mepc\n  sd t0, trap_epc, t1\n"
        "  csrr t0, mtval\n  sd t0, trap_tval, t1\n"
        "  ld t0, trap_count\n  addi t0, t0, 1\n  sd t0, trap_count, t1\n"
        "  csrr t0, mcause\n  bltz t0, 2f\n"            /* interrupt: clear SSIP, return */
        "  ld t0, trap_resume\n  bnez t0, 1f\n"
        "  csrr t0, mepc\n  addi t0, t0, 4\n"
        "1: csrw mepc, t0\n  sd zero, trap_resume, t1\n"
        "  li t0, 0x1800\n  csrs mstatus, t0\n"         /* come back in M mode */
        "  csrr t0, mscratch\n  mret\n"
        "2: li t0, 2\n  csrc mip, t0\n  csrr t0, mscratch\n  mret\n"
        ".align 2\n"
        "s_trap:\n"
        "  csrw sscratch, t0\n"
        "  csrr t0, scause\n  sd t0, s_cause, t1\n"
        "  ld t0, s_count\n  addi t0, t0, 1\n  sd t0, s_count, t1\n"
        "  csrr t0, sepc\n  addi t0, t0, 4\n  csrw sepc, t0\n"
        "  csrr t0, sscratch\n  sret\n");

static int failures;

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

#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")

/* Runs fn in mode mpp (0 U, 1 S) through mret; fn must end with an ecall, whose trap
   brings us back here in M mode. */
static void run_in_mode(void (*fn)(void), unsigned mpp)
{
    extern char back_to_m[];
    uint64_t st = csr_read(mstatus);
    st = (st & ~(3ull << 11)) | ((uint64_t)mpp << 11);
    csr_write(mstatus, st);
    csr_write(mepc, (uint64_t)fn);
    trap_resume = (uint64_t)back_to_m;
    __asm__ volatile("mret\n"
                     ".globl back_to_m\n"
                     "back_to_m:\n" ::: "memory");
}

static void s_ecall(void)
{
    __asm__ volatile("ecall");
}

static volatile uint64_t s_seen;
static void s_read_virtual(void)
{
    s_seen = *(volatile uint64_t *)0x40000000ull; /* through the 4 KiB mapping */
    __asm__ volatile("ecall");
}

static void s_fault(void)
{
    (void)*(volatile uint64_t *)0x50000000ull; /* unmapped: load page fault */
}

static void s_touch_user(void)
{
    (void)*(volatile uint64_t *)0x40000000ull; /* a U page, without SUM: fault */
}

/* The ecall is delegated to S (handled by s_trap, which returns after it); the
   illegal instruction is not, and brings us back to M. */
static void s_ecall_delegated(void)
{
    __asm__ volatile("ecall\n .option push\n .option norvc\n csrr a0, 0x5c0\n .option pop"
                     ::: "a0");
}

/* Page tables: root (level 2) and a level-1 and level-0 table for 0x40000000. */
static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t data_page[512] __attribute__((aligned(4096)));

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128

static uint64_t pte(void *pa, uint64_t flags)
{
    return ((uint64_t)pa >> 12) << 10 | flags;
}

int main(void)
{
    csr_write(mtvec, (uint64_t)m_trap);
    /* PMP: let S and U reach everything (NAPOT over the whole space). Without any rule
       S and U may touch nothing (and QEMU even refuses the mret). */
    csr_write(pmpaddr0, ~0ull >> 10);
    csr_write(pmpcfg0, 0x1f);

    /* 1. ecall from M. */
    uint64_t n = trap_count;
    __asm__ volatile("ecall");
    check("M ecall count", trap_count, n + 1);
    check("M ecall cause", trap_cause, 11);

    /* 2. An unimplemented CSR is illegal; tval holds the instruction bits. */
    __asm__ volatile(".option push\n .option norvc\n csrr a0, 0x5c0\n .option pop" ::: "a0");
    check("illegal cause", trap_cause, 2);
    check("illegal tval", trap_tval, 0x5c002573);

    /* 3. ecall from S, bare addressing: cause 9, epc the ecall. */
    run_in_mode(s_ecall, 1);
    check("S ecall cause", trap_cause, 9);
    check("S ecall epc", trap_epc, (uint64_t)s_ecall);

    /* 4. Sv39: identity gigapage at 0x80000000 for code, a 4 KiB user page at
       0x40000000 -> data_page (A/D clear: hardware sets them). */
    root[2] = pte((void *)0x80000000ull, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    root[1] = pte(l1, PTE_V);
    l1[0] = pte(l0, PTE_V);
    l0[0] = pte(data_page, PTE_V | PTE_R | PTE_W | PTE_U);
    data_page[0] = 0x1122334455667788ull;
    csr_write(satp, (8ull << 60) | ((uint64_t)root >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");

    /* S without SUM may not touch a U page. */
    run_in_mode(s_touch_user, 1);
    check("no-SUM cause", trap_cause, 13);
    check("no-SUM tval", trap_tval, 0x40000000);
    run_in_mode(s_ecall, 1);  /* resynchronise: back in M */

    /* With SUM it may, and hardware sets A. */
    csr_write(mstatus, csr_read(mstatus) | (1ull << 18));
    run_in_mode(s_read_virtual, 1);
    check("S read via Sv39", s_seen, 0x1122334455667788ull);
    check("A bit set", (l0[0] >> 6) & 1, 1);
    check("D bit clear", (l0[0] >> 7) & 1, 0);

    /* An unmapped address: load page fault with tval = the address. */
    trap_resume = 0;
    run_in_mode(s_fault, 1);
    check("page fault cause", trap_cause, 13);
    check("page fault tval", trap_tval, 0x50000000ull);
    run_in_mode(s_ecall, 1);

    /* 5. Delegation: ecall from S is cause 9; delegate it to S (stvec) and count. */
    csr_write(stvec, (uint64_t)s_trap);
    csr_write(medeleg, 1ull << 9);
    n = s_count;
    run_in_mode(s_ecall_delegated, 1);
    csr_write(medeleg, 0);
    check("delegated to S", s_count, n + 1);
    check("S saw cause 9", s_cause, 9);
    check("not delegated: M saw cause 2", trap_cause, 2);

    /* 6. A software interrupt, pending and enabled, is taken at once in M. */
    csr_write(satp, 0);
    n = trap_count;
    csr_write(mie, 1ull << 1);            /* SSIE */
    csr_write(mstatus, csr_read(mstatus) | 8); /* MIE */
    __asm__ volatile("csrs mip, %0" ::"r"(2ull));
    __asm__ volatile("nop; nop");
    csr_write(mstatus, csr_read(mstatus) & ~8ull);
    check("interrupt taken", trap_count, n + 1);
    check("interrupt cause", trap_cause, (1ull << 63) | 1);

    if (failures) {
        vmd_fail("priv", failures);
    }
    vmd_puts("priv: all passed\n");
    return 0;
}
