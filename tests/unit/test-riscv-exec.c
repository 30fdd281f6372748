/*
 * The RISC-V translator and execution loop on hand-assembled code, without vmd-user:
 * a guest space of three pages (a PROT_NONE page at guest address 0, code at 0x1000,
 * data at 0x2000), user-mode memory model, TCI. Checks that results are right, that
 * ecall returns with pc at the ecall, that a faulting load is a precise exception (pc
 * of the load, destination untouched), that illegal instructions report their bits,
 * and that fence.i makes rewritten code visible.
 */
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "tcg/exec/tb.h"
#include "tcg/riscv/cpu.h"

static uint8_t *space;
static TbCache *cache;

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
    RiscvCPU *cpu = riscv_current_cpu;
    if (!cpu) {
        signal(sig, SIG_DFL);
        return;
    }
    tb_restore_state(cpu->tbs, cpu, (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);
    riscv_cpu_raise(cpu, RISCV_EXCP_LOAD_PAGE_FAULT,
                    (uint64_t)((uintptr_t)si->si_addr - riscv_guest_base));
}

static void setup(void)
{
    if (space) {
        return;
    }
    space = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert(space != MAP_FAILED);
    g_assert(mprotect(space + 4096, 2 * 4096, PROT_READ | PROT_WRITE) == 0);
    riscv_guest_base = (uintptr_t)space;
    riscv_guest_size = 3 * 4096;
    struct sigaction sa = {.sa_sigaction = segv_handler, .sa_flags = SA_SIGINFO | SA_NODEFER};
    sigaction(SIGSEGV, &sa, NULL);
    cache = riscv_tb_cache_new(true, true);
}

/* Loads a new program: like exec(), nothing translated before survives. */
static void load_code(const uint32_t *words, size_t n)
{
    memcpy(space + 0x1000, words, n * 4);
    tb_flush(cache);
}

static const uint32_t prog1[] = {
    0x00000513, /* li a0,0 */
    0x06400293, /* li t0,100 */
    0x00550533, /* add a0,a0,t0 */
    0xfff28293, /* addi t0,t0,-1 */
    0xfe029ce3, /* bnez t0,8 */
    0xff900313, /* li t1,-7 */
    0x00000393, /* li t2,0 */
    0x027345b3, /* div a1,t1,t2 */
    0x02736633, /* rem a2,t1,t2 */
    0xfff2869b, /* addiw a3,t0,-1 */
    0x00000073, /* ecall */
    0x00043703, /* ld a4,0(s0) */
    0x00e424a3, /* sw a4,9(s0) */
    0x00942783, /* lw a5,9(s0) */
    0x10043e2f, /* lr.d t3,(s0) */
    0x18a43eaf, /* sc.d t4,a0,(s0) */
    0x00a42f2f, /* amoadd.w t5,a0,(s0) */
    0x00000073, /* ecall */
    0x00003803, /* ld a6,0(zero) */
    0x00000000, /* illegal */
};

enum { A0 = 10, A1, A2, A3, A4, A5, A6, T0 = 5, T1, T2, T3 = 28, T4, T5, S0 = 8 };

static void test_basic(void)
{
    setup();
    load_code(prog1, G_N_ELEMENTS(prog1));
    uint64_t v = 0xfedcba9876543210ull;
    memcpy(space + 0x2000, &v, 8);

    RiscvCPU *cpu = g_new0(RiscvCPU, 1);
    riscv_cpu_init(cpu, cache, true);
    cpu->pc = 0x1000;
    cpu->x[S0] = 0x2000;

    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXCP_ECALL_U);
    g_assert_cmphex(cpu->pc, ==, 0x1028);
    g_assert_cmpuint(cpu->x[A0], ==, 5050);
    g_assert_cmphex(cpu->x[A1], ==, UINT64_MAX);      /* -7 / 0 = -1 */
    g_assert_cmpint((int64_t)cpu->x[A2], ==, -7);     /* -7 % 0 = -7 */
    g_assert_cmpint((int64_t)cpu->x[A3], ==, -1);     /* addiw 0 - 1 */

    cpu->pc += 4;
    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXCP_ECALL_U);
    g_assert_cmphex(cpu->x[A4], ==, v);
    g_assert_cmphex(cpu->x[A5], ==, 0x76543210); /* misaligned */
    g_assert_cmphex(cpu->x[T3], ==, v);
    g_assert_cmpuint(cpu->x[T4], ==, 0);               /* sc succeeded */
    g_assert_cmphex(cpu->x[T5], ==, 5050);             /* amoadd.w: old low word */
    uint32_t w;
    memcpy(&w, space + 0x2000, 4);
    g_assert_cmphex(w, ==, 5050 * 2);

    /* A faulting load: precise pc, destination untouched. */
    cpu->x[A6] = 0x1234;
    cpu->pc += 4;
    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXCP_LOAD_PAGE_FAULT);
    g_assert_cmphex(cpu->pc, ==, 0x1048);
    g_assert_cmphex(cpu->badaddr, ==, 0);
    g_assert_cmphex(cpu->x[A6], ==, 0x1234);

    /* An illegal instruction reports its bits. */
    cpu->pc += 4;
    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXCP_ILLEGAL_INSN);
    g_assert_cmphex(cpu->pc, ==, 0x104c);
    g_assert_cmphex(cpu->badaddr, ==, 0);

    riscv_cpu_destroy(cpu);
    g_free(cpu);
}

static void test_fence_i(void)
{
    setup();
    /* li a0, 1; ecall; then the code is rewritten to li a0, 2 and fence.i runs. */
    static const uint32_t before[] = {0x00100513, 0x00000073};
    static const uint32_t fence[] = {0x0000100f, 0x00000073}; /* fence.i; ecall */
    RiscvCPU *cpu = g_new0(RiscvCPU, 1);
    riscv_cpu_init(cpu, cache, true);
    memcpy(space + 0x1800, fence, sizeof(fence));
    load_code(before, 2);
    cpu->pc = 0x1000;
    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXCP_ECALL_U);
    g_assert_cmpuint(cpu->x[A0], ==, 1);
    uint32_t li2 = 0x00200513;
    memcpy(space + 0x1000, &li2, 4);
    cpu->pc = 0x1800;
    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXCP_ECALL_U);
    cpu->pc = 0x1000;
    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXCP_ECALL_U);
    g_assert_cmpuint(cpu->x[A0], ==, 2);
    riscv_cpu_destroy(cpu);
    g_free(cpu);
}

static void test_exit_request(void)
{
    setup();
    static const uint32_t loop[] = {0x0000006f}; /* j . */
    RiscvCPU *cpu = g_new0(RiscvCPU, 1);
    riscv_cpu_init(cpu, cache, true);
    load_code(loop, 1);
    cpu->pc = 0x1000;
    cpu->exit_request = 1;
    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXIT_REQUEST);
    g_assert_cmpint(cpu->exit_request, ==, 0);
    riscv_cpu_destroy(cpu);
    g_free(cpu);
}

/* Addresses beyond the guest space are page faults, never host accesses. */
static void test_wild_address(void)
{
    setup();
    static const uint32_t prog[] = {0x0008b803, 0x0108b023}; /* ld a6,0(a7); sd a6,0(a7) */
    RiscvCPU *cpu = g_new0(RiscvCPU, 1);
    riscv_cpu_init(cpu, cache, true);
    load_code(prog, 2);
    cpu->pc = 0x1000;
    cpu->x[A6 + 1] = (uint64_t)(uintptr_t)&cpu->x[0] - riscv_guest_base; /* host memory */
    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXCP_LOAD_PAGE_FAULT);
    g_assert_cmphex(cpu->pc, ==, 0x1000);
    cpu->pc = 0x1004;
    g_assert_cmpint(riscv_cpu_exec(cpu), ==, RISCV_EXCP_STORE_PAGE_FAULT);
    g_assert_cmphex(cpu->badaddr, ==, cpu->x[A6 + 1]);
    riscv_cpu_destroy(cpu);
    g_free(cpu);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/riscv/exec/basic", test_basic);
    g_test_add_func("/riscv/exec/fence-i", test_fence_i);
    g_test_add_func("/riscv/exec/exit-request", test_exit_request);
    g_test_add_func("/riscv/exec/wild-address", test_wild_address);
    return g_test_run();
}
