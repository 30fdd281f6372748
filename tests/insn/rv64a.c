/*
 * rv64a.c: atomics (RV64A).
 *
 * Every AMO in both widths: the old value returned in rd (sign-extended for .w), the
 * value left in memory (only 32 bits touched for .w, only the low word of rs2 used),
 * signed versus unsigned min/max. LR/SC: success, failure without a reservation, failure
 * on another address (a page away, outside any plausible reservation set), and that an
 * SC invalidates the reservation whether or not it succeeded.
 */
#include "harness.h"

/* Two words of memory per test, plus a far address for SC-elsewhere cases. */
static volatile u64 mem[1024] __attribute__((aligned(4096)));

#define AMO(op, addr, v)                                                                           \
    ({                                                                                             \
        u64 r_;                                                                                    \
        __asm__ volatile(op " %0, %2, (%1)" : "=&r"(r_) : "r"(addr), "r"((u64)(v)) : "memory");    \
        r_;                                                                                        \
    })

/* Run `op` on a word holding `init` (its neighbour holds a guard), check rd and memory. */
#define T_AMO_W(op, init, v, exp_rd, exp_mem)                                                      \
    do {                                                                                           \
        mem[0] = 0x5a5a5a5a00000000ull | (u32)(init);                                              \
        u64 r_ = AMO(op, &mem[0], v);                                                              \
        t_check_args(op " rd", 2, (const u64[]){(init), (v)}, r_, (exp_rd));                       \
        t_check_args(op " mem", 2, (const u64[]){(init), (v)}, mem[0],                             \
                     0x5a5a5a5a00000000ull | (u32)(exp_mem));                                      \
    } while (0)

#define T_AMO_D(op, init, v, exp_rd, exp_mem)                                                      \
    do {                                                                                           \
        mem[1] = (init);                                                                           \
        u64 r_ = AMO(op, &mem[1], v);                                                              \
        t_check_args(op " rd", 2, (const u64[]){(init), (v)}, r_, (exp_rd));                       \
        t_check_args(op " mem", 2, (const u64[]){(init), (v)}, mem[1], (exp_mem));                 \
    } while (0)

static void test_amo_w(void)
{
    T_AMO_W("amoswap.w", 0x80000000, 0x1234567800000001, MIN32, 1);
    T_AMO_W("amoadd.w", 0x7fffffff, 1, 0x7fffffff, 0x80000000);
    T_AMO_W("amoadd.w", 0xffffffff, 0x100000001, ONES, 0);
    T_AMO_W("amoxor.w", 0xffff0000, 0x0ff00ff0, 0xffffffffffff0000, 0xf00f0ff0);
    T_AMO_W("amoand.w", 0xf0f0f0f0, 0xffffffff0000ffff, 0xfffffffff0f0f0f0, 0x0000f0f0);
    T_AMO_W("amoor.w", 1, 0x80000000, 1, 0x80000001);
    T_AMO_W("amomin.w", 0x80000000, 1, MIN32, 0x80000000);
    T_AMO_W("amomin.w", 1, 0xffffffff, 1, 0xffffffff);
    T_AMO_W("amomin.w", 0x80000000, 0x1ffffffff, MIN32, 0x80000000);
    T_AMO_W("amomax.w", 1, 0xffffffff, 1, 1);
    T_AMO_W("amomax.w", 0x80000000, 0x7fffffff, MIN32, 0x7fffffff);
    T_AMO_W("amomax.w", 5, 0x100000000, 5, 5);
    T_AMO_W("amominu.w", 1, 0xffffffff, 1, 1);
    T_AMO_W("amominu.w", 0x80000000, 0x7fffffff, MIN32, 0x7fffffff);
    T_AMO_W("amomaxu.w", 1, 0xffffffff, 1, 0xffffffff);
    T_AMO_W("amomaxu.w", 0x80000000, 0xffffffff00000001, MIN32, 0x80000000);
    T_AMO_W("amoadd.w.aq", 2, 3, 2, 5);
    T_AMO_W("amoswap.w.rl", 2, 3, 2, 3);
    T_AMO_W("amoor.w.aqrl", 0x80000000, 0x40000000, MIN32, 0xc0000000);
}

static void test_amo_d(void)
{
    T_AMO_D("amoswap.d", MIN64, 7, MIN64, 7);
    T_AMO_D("amoadd.d", MAX64, 1, MAX64, MIN64);
    T_AMO_D("amoxor.d", ONES, 0xff, ONES, 0xffffffffffffff00);
    T_AMO_D("amoand.d", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00,
            0x0f000f000f000f00);
    T_AMO_D("amoor.d", 0x8000000000000000, 1, MIN64, 0x8000000000000001);
    T_AMO_D("amomin.d", MIN64, 1, MIN64, MIN64);
    T_AMO_D("amomin.d", 1, ONES, 1, ONES);
    T_AMO_D("amomax.d", ONES, 1, ONES, 1);
    T_AMO_D("amomax.d", MIN64, MAX64, MIN64, MAX64);
    T_AMO_D("amominu.d", ONES, 1, ONES, 1);
    T_AMO_D("amominu.d", MIN64, MAX64, MIN64, MAX64);
    T_AMO_D("amomaxu.d", 1, ONES, 1, ONES);
    T_AMO_D("amomaxu.d", MIN64, MAX64, MIN64, MIN64);
    T_AMO_D("amoadd.d.aqrl", 40, 2, 40, 42);

    /* rd == rs2: rd receives the old value, memory the old rs2. */
    u64 r = 5;
    mem[1] = 9;
    __asm__ volatile("amoswap.d %0, %0, (%1)" : "+r"(r) : "r"(&mem[1]) : "memory");
    t_check("amoswap.d", "rd == rs2 rd", r, 9);
    t_check("amoswap.d", "rd == rs2 mem", mem[1], 5);

    /* rd == x0: memory is still updated. */
    mem[1] = 9;
    __asm__ volatile("amoadd.d x0, %0, (%1)" : : "r"(1ull), "r"(&mem[1]) : "memory");
    t_check("amoadd.d", "rd == x0 mem", mem[1], 10);
}

#define LR(op, addr)                                                                               \
    ({                                                                                             \
        u64 r_;                                                                                    \
        __asm__ volatile(op " %0, (%1)" : "=r"(r_) : "r"(addr) : "memory");                        \
        r_;                                                                                        \
    })
/* SC result as 0 (success) or 1 (any nonzero failure code). */
#define SC(op, addr, v)                                                                            \
    ({                                                                                             \
        u64 r_;                                                                                    \
        __asm__ volatile(op " %0, %2, (%1)" : "=&r"(r_) : "r"(addr), "r"((u64)(v)) : "memory");    \
        r_ != 0;                                                                                   \
    })

static void test_lrsc(void)
{
    volatile u64 *far = &mem[1000]; /* 8000 bytes away, on another page */

    mem[2] = 0xaaaaaaaa80000000;
    t_check("lr.w", "sign-extends", LR("lr.w", &mem[2]), MIN32);
    t_check("sc.w", "after lr.w succeeds", SC("sc.w", &mem[2], 0x1234567876543210), 0);
    t_check("sc.w", "stores the low word", mem[2], 0xaaaaaaaa76543210);
    t_check("sc.w", "again fails", SC("sc.w", &mem[2], 1), 1);
    t_check("sc.w", "failed sc leaves memory", mem[2], 0xaaaaaaaa76543210);

    mem[3] = 0x1111;
    t_check("lr.d", "value", LR("lr.d", &mem[3]), 0x1111);
    t_check("sc.d", "after lr.d succeeds", SC("sc.d", &mem[3], MIN64), 0);
    t_check("sc.d", "stores", mem[3], MIN64);
    t_check("sc.d", "without lr fails", SC("sc.d", &mem[3], 5), 1);
    t_check("sc.d", "failed sc leaves memory", mem[3], MIN64);

    /* SC to an address outside the reservation set fails, and kills the reservation. */
    far[0] = 77;
    mem[4] = 66;
    LR("lr.d", &mem[4]);
    t_check("sc.d", "other address fails", SC("sc.d", far, 1), 1);
    t_check("sc.d", "other address untouched", far[0], 77);
    t_check("sc.d", "reservation gone after failed sc", SC("sc.d", &mem[4], 2), 1);
    t_check("sc.d", "reserved address untouched", mem[4], 66);

    LR("lr.w", &mem[4]);
    t_check("sc.w", "other address fails", SC("sc.w", far, 1), 1);
    t_check("sc.w", "other address untouched", far[0], 77);

    /* A successful LR/SC loop (atomic increment) and the aq/rl forms. */
    mem[5] = 41;
    u64 tmp, fail;
    __asm__ volatile("1: lr.d.aq %0, (%2)\n\taddi %0, %0, 1\n\tsc.d.rl %1, %0, (%2)\n\t"
                     "bnez %1, 1b"
                     : "=&r"(tmp), "=&r"(fail)
                     : "r"(&mem[5])
                     : "memory");
    t_check("lr.d.aq/sc.d.rl", "loop", mem[5], 42);
    t_check("lr.w.aqrl", "value", LR("lr.w.aqrl", &mem[5]), 42);
    t_check("sc.w.aqrl", "succeeds", SC("sc.w.aqrl", &mem[5], 43), 0);
    t_check("sc.w.aqrl", "stored", mem[5], 43);
}

int main(void)
{
    test_amo_w();
    test_amo_d();
    test_lrsc();
    return t_finish();
}
