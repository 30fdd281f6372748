/*
 * fp_badrm.c: invalid rounding modes raise an illegal-instruction exception (SIGILL).
 *
 * rm = 5 or 6 in the instruction is reserved; rm = dyn with frm = 5, 6 or 7 is invalid.
 * Either way the instruction traps before changing anything. The check is made by every
 * instruction that has an rm field, even one the rounding mode cannot affect
 * (fcvt.d.s); instructions without an rm field (fmin, fsgnj, feq, fclass, fmv) and
 * static-rm instructions do not look at frm and must not trap.
 *
 * Unlike the other tests this one needs a third system call, rt_sigaction, to install a
 * SIGILL handler; the handler records the signal and moves the pc past the instruction.
 */
#include "fp.h"

#define SYS_RT_SIGACTION 134
#define SIGILL           4
#define SA_SIGINFO       4
#define ILL_ILLOPC       1
#define UC_PC_OFFSET     176 /* offsetof(struct ucontext, uc_mcontext.sc_regs.pc) */

struct kernel_sigaction {
    void (*handler)(int, void *, void *); /* sa_sigaction */
    unsigned long flags;                  /* SA_* */
    u64 mask;                             /* signals blocked while in the handler */
};

static volatile unsigned sigill_count; /* SIGILLs since the last reset */
static volatile u64 sigill_addr;       /* si_addr of the last one */
static volatile u64 sigill_pc;         /* pc in its ucontext */
static volatile int sigill_code;       /* si_code of the last one */

static void on_sigill(int sig, void *info, void *uctx)
{
    u64 *pc = (u64 *)((char *)uctx + UC_PC_OFFSET);

    (void)sig;
    sigill_count++;
    sigill_code = *(int *)((char *)info + 8);
    sigill_addr = *(u64 *)((char *)info + 16);
    sigill_pc = *pc;
    *pc += 4;
}

static long install_handler(void)
{
    struct kernel_sigaction act = {on_sigill, SA_SIGINFO, 0};
    register long a0 __asm__("a0") = SIGILL;
    register long a1 __asm__("a1") = (long)&act;
    register long a2 __asm__("a2") = 0;
    register long a3 __asm__("a3") = 8;
    register long a7 __asm__("a7") = SYS_RT_SIGACTION;

    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a7) : "memory");
    return a0;
}

/*
 * Run `insn` (reading ft1, ft2, writing ft0 or a0) with frm = rm after setting
 * ft0 = a sentinel and fflags = 0; report whether it trapped as expected, and that a
 * trapping instruction changed neither ft0 nor fflags.
 */
#define RUN_INSN(insn, frm, addr, ft0, fl)                                                         \
    __asm__ volatile("fsrm %3\n\tfmv.d.x ft0, %4\n\tfmv.d.x ft1, %4\n\tfmv.d.x ft2, %4\n\t"        \
                     "fsflags zero\n\tlla %0, 1f\n\t.option push\n\t.option norvc\n"               \
                     "1: " insn "\n\t.option pop\n\tfmv.x.d %1, ft0\n\tfrflags %2"                 \
                     : "=&r"(addr), "=&r"(ft0), "=&r"(fl)                                          \
                     : "r"((u64)(frm)), "r"(0x3ff0000000000000ull)                                 \
                     : "ft0", "ft1", "ft2", "a0")

static void expect(const char *name, int traps, unsigned count_before, u64 addr, u64 ft0, u64 fl)
{
    t_check(name, traps ? "raises SIGILL" : "does not trap", sigill_count - count_before,
            traps ? 1 : 0);
    if (traps) {
        t_check(name, "si_code ILL_ILLOPC", (u64)sigill_code, ILL_ILLOPC);
        t_check(name, "si_addr", sigill_addr, addr);
        t_check(name, "ucontext pc", sigill_pc, addr);
        t_check(name, "destination unchanged", ft0, 0x3ff0000000000000ull);
        t_check(name, "fflags unchanged", fl, 0);
    }
}

#define CASE(insn, frm, traps)                                                                     \
    do {                                                                                           \
        unsigned before_ = sigill_count;                                                           \
        u64 addr_, ft0_, fl_;                                                                      \
        RUN_INSN(insn, frm, addr_, ft0_, fl_);                                                     \
        expect(insn " frm=" #frm, traps, before_, addr_, ft0_, fl_);                               \
    } while (0)

int main(void)
{
    if (install_handler() != 0) {
        t_note("rt_sigaction failed");
        t_check("rt_sigaction", "returns 0", 1, 0);
        return t_finish();
    }

    CASE("fadd.s ft0, ft1, ft2, dyn", 5, 1);
    CASE("fmul.d ft0, ft1, ft2, dyn", 6, 1);
    CASE("fsqrt.s ft0, ft1, dyn", 7, 1);
    CASE("fmadd.d ft0, ft1, ft2, ft2, dyn", 5, 1);
    CASE("fcvt.w.s a0, ft1, dyn", 5, 1);
    CASE("fcvt.s.d ft0, ft1, dyn", 6, 1);
    CASE(".insn r 0x53, 7, 0x21, ft0, ft1, x0 # fcvt.d.s dyn", 7, 1);
    CASE(".insn r 0x53, 7, 0x69, ft0, x0, x0 # fcvt.d.w dyn", 5, 1);
    /* Reserved static rm values trap whatever frm holds. */
    CASE(".insn r 0x53, 5, 0x00, ft0, ft1, ft2 # fadd.s rm=5", 0, 1);
    CASE(".insn r 0x53, 6, 0x01, ft0, ft1, ft2 # fadd.d rm=6", 0, 1);
    CASE(".insn r 0x53, 5, 0x2c, ft0, ft1, x0 # fsqrt.s rm=5", 1, 1);
    /* A valid frm, or an instruction that does not use it. */
    CASE("fadd.s ft0, ft1, ft2, dyn", 4, 0);
    CASE("fadd.s ft0, ft1, ft2, rne", 7, 0);
    CASE("fmul.d ft0, ft1, ft2, rtz", 5, 0);
    CASE("fmin.s ft0, ft1, ft2", 7, 0);
    CASE("fsgnj.d ft0, ft1, ft2", 7, 0);
    CASE("feq.d a0, ft1, ft2", 6, 0);
    CASE("fclass.s a0, ft1", 5, 0);
    CASE("fmv.x.d a0, ft1", 7, 0);
    set_frm(RNE);
    return t_finish();
}
