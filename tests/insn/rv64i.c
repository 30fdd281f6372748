/*
 * rv64i.c: the RV64I base instructions.
 *
 * Arithmetic with overflow and sign extension of every W result, shifts by the boundary
 * amounts and by register values whose high bits must be ignored, comparisons with
 * negatives, lui/auipc, branches taken and not taken, jal/jalr, loads with sign and zero
 * extension, stores of every width, and misaligned loads and stores (Linux user mode
 * accepts those, so an emulator must return the right value).
 */
#include "harness.h"

static void test_alu(void)
{
    T_RR("add", 1, 2, 3);
    T_RR("add", MAX64, 1, MIN64);
    T_RR("add", ONES, ONES, 0xfffffffffffffffe);
    T_RR("sub", 0, 1, ONES);
    T_RR("sub", MIN64, 1, MAX64);
    T_RR("sub", 5, 7, 0xfffffffffffffffe);
    T_RR("xor", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0);
    T_RR("or", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xfff0fff0fff0fff0);
    T_RR("and", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00);

    T_RI("addi", 0, -2048, 0xfffffffffffff800);
    T_RI("addi", 0, 2047, 0x7ff);
    T_RI("addi", MAX64, 1, MIN64);
    T_RI("addi", 5, -6, ONES);
    T_RI("xori", 0x1234, -1, ~0x1234ull);
    T_RI("xori", 0xf0, 0x0ff, 0x0f);
    T_RI("ori", 0, -2048, 0xfffffffffffff800);
    T_RI("ori", 0x100000000, 1, 0x100000001);
    T_RI("andi", ONES, -2048, 0xfffffffffffff800);
    T_RI("andi", 0x123456789abcdef0, 0x7ff, 0x6f0);
    T_RI("andi", 0x123456789abcdef0, -16, 0x123456789abcdef0);
}

static void test_w_ops(void)
{
    /* Every W operation computes on the low 32 bits and sign-extends its result. */
    T_RR("addw", 0x7fffffff, 1, MIN32);
    T_RR("addw", 0xffffffff, 1, 0);
    T_RR("addw", 0x123456789, 0, 0x23456789);
    T_RR("addw", 0xffffffff00000000, 0x80000000, MIN32);
    T_RR("subw", 0x80000000, 1, 0x7fffffff);
    T_RR("subw", 0, 0x80000000, MIN32);
    T_RR("subw", 0x100000000, 1, ONES);
    T_RI("addiw", 0x7fffffff, 1, MIN32);
    T_RI("addiw", 0xffffffff, 0, ONES);
    T_RI("addiw", 0x123456789abcdef0, 0, 0xffffffff9abcdef0);
    T_RI("addiw", 0x80000000, -1, 0x7fffffff);
    T_RI("addiw", 0, -2048, 0xfffffffffffff800);
}

static void test_shifts(void)
{
    T_RR("sll", 1, 0, 1);
    T_RR("sll", 1, 31, 0x80000000);
    T_RR("sll", 1, 32, 0x100000000);
    T_RR("sll", 1, 63, MIN64);
    T_RR("sll", 1, 64, 1); /* only rs2[5:0] counts */
    T_RR("sll", 1, 65, 2);
    T_RR("sll", 3, 0xffffffffffffffc1, 6);
    T_RR("srl", MIN64, 63, 1);
    T_RR("srl", MIN64, 0, MIN64);
    T_RR("srl", MIN64, 32, 0x80000000);
    T_RR("srl", MIN64, 127, 1);
    T_RR("srl", ONES, 31, 0x1ffffffff);
    T_RR("sra", MIN64, 63, ONES);
    T_RR("sra", MIN64, 64, MIN64);
    T_RR("sra", MIN64, 31, 0xffffffff00000000);
    T_RR("sra", MAX64, 63, 0);
    T_RR("sra", 0x80000000, 31, 1);
    T_RI("slli", 1, 0, 1);
    T_RI("slli", 1, 31, 0x80000000);
    T_RI("slli", 1, 32, 0x100000000);
    T_RI("slli", 3, 63, MIN64);
    T_RI("srli", MIN64, 0, MIN64);
    T_RI("srli", MIN64, 31, 0x100000000);
    T_RI("srli", MIN64, 32, 0x80000000);
    T_RI("srli", ONES, 63, 1);
    T_RI("srai", MIN64, 0, MIN64);
    T_RI("srai", MIN64, 31, 0xffffffff00000000);
    T_RI("srai", MIN64, 32, 0xffffffff80000000);
    T_RI("srai", MIN64, 63, ONES);
    T_RI("srai", 0x4000000000000000, 62, 1);

    /* W shifts: rs2[4:0] only, operate on the low word, sign-extend the result. */
    T_RR("sllw", 1, 31, MIN32);
    T_RR("sllw", 1, 32, 1);
    T_RR("sllw", 1, 63, MIN32);
    T_RR("sllw", 0xffffffff00000001, 0, 1);
    T_RR("sllw", 0x3, 30, 0xffffffffc0000000);
    T_RR("srlw", 0x80000000, 0, MIN32);
    T_RR("srlw", 0x80000000, 31, 1);
    T_RR("srlw", 0x80000000, 32, MIN32);
    T_RR("srlw", 0xffffffff, 1, 0x7fffffff);
    T_RR("srlw", 0xfffffffe00000000, 4, 0);
    T_RR("sraw", 0x80000000, 31, ONES);
    T_RR("sraw", 0x80000000, 4, 0xfffffffff8000000);
    T_RR("sraw", 0x80000000, 36, 0xfffffffff8000000);
    T_RR("sraw", 0x7fffffff00000000, 1, 0);
    T_RR("sraw", 0x40000000, 30, 1);
    T_RI("slliw", 1, 31, MIN32);
    T_RI("slliw", 0xffffffff, 0, ONES);
    T_RI("slliw", 0x12345678, 4, 0x23456780);
    T_RI("srliw", 0x80000000, 0, MIN32);
    T_RI("srliw", 0x80000000, 31, 1);
    T_RI("srliw", 0xffffffff00000010, 4, 1);
    T_RI("sraiw", 0x80000000, 0, MIN32);
    T_RI("sraiw", 0x80000000, 31, ONES);
    T_RI("sraiw", 0x0000000180000000, 1, 0xffffffffc0000000);
    T_RI("sraiw", 0x7ffffff0, 4, 0x7ffffff);
}

static void test_compare(void)
{
    T_RR("slt", ONES, 0, 1);
    T_RR("slt", 0, ONES, 0);
    T_RR("slt", MIN64, MAX64, 1);
    T_RR("slt", MAX64, MIN64, 0);
    T_RR("slt", 5, 5, 0);
    T_RR("sltu", ONES, 0, 0);
    T_RR("sltu", 0, ONES, 1);
    T_RR("sltu", MIN64, MAX64, 0);
    T_RR("sltu", MAX64, MIN64, 1);
    T_RR("sltu", 5, 5, 0);
    T_RI("slti", ONES, 0, 1);
    T_RI("slti", 0xfffffffffffffffe, -1, 1);
    T_RI("slti", ONES, -1, 0);
    T_RI("slti", MIN64, -2048, 1);
    T_RI("slti", 2047, 2047, 0);
    T_RI("slti", 2046, 2047, 1);
    /* sltiu sign-extends the immediate, then compares unsigned. */
    T_RI("sltiu", 0, 1, 1);
    T_RI("sltiu", 1, 1, 0);
    T_RI("sltiu", 5, -1, 1);
    T_RI("sltiu", ONES, -1, 0);
    T_RI("sltiu", 0xfffffffffffff800, -2048, 0);
    T_RI("sltiu", 0xfffffffffffff7ff, -2048, 1);
}

static void test_upper(void)
{
    u64 r, pc;

    __asm__ volatile("lui %0, 0x80000" : "=r"(r));
    t_check("lui", "0x80000", r, MIN32);
    __asm__ volatile("lui %0, 0x7ffff" : "=r"(r));
    t_check("lui", "0x7ffff", r, 0x7ffff000);
    __asm__ volatile("lui %0, 0xfffff" : "=r"(r));
    t_check("lui", "0xfffff", r, 0xfffffffffffff000);
    __asm__ volatile("lui %0, 1" : "=r"(r));
    t_check("lui", "0x1", r, 0x1000);

    __asm__ volatile("1: auipc %0, 0\n\tlla %1, 1b" : "=r"(r), "=r"(pc));
    t_check("auipc", "0", r, pc);
    __asm__ volatile("1: auipc %0, 1\n\tlla %1, 1b" : "=r"(r), "=r"(pc));
    t_check("auipc", "0x1", r, pc + 0x1000);
    __asm__ volatile("1: auipc %0, 0xfffff\n\tlla %1, 1b" : "=r"(r), "=r"(pc));
    t_check("auipc", "0xfffff", r, pc - 0x1000);
    __asm__ volatile("1: auipc %0, 0x80000\n\tlla %1, 1b" : "=r"(r), "=r"(pc));
    t_check("auipc", "0x80000", r, pc - 0x80000000ull);
}

/* Evaluates to 1 if the branch `op a, b` is taken, else 0. */
#define BR(op, a, b)                                                                               \
    ({                                                                                             \
        u64 t_;                                                                                    \
        __asm__ volatile("li %0, 1\n\t" op " %1, %2, 1f\n\tli %0, 0\n1:"                           \
                         : "=&r"(t_)                                                               \
                         : "r"((u64)(a)), "r"((u64)(b)));                                          \
        t_;                                                                                        \
    })
#define T_BR(op, a, b, exp) t_check_args(op, 2, (const u64[]){(a), (b)}, BR(op, a, b), (exp))

static void test_branches(void)
{
    T_BR("beq", 5, 5, 1);
    T_BR("beq", 5, 0x100000005, 0);
    T_BR("bne", 5, 5, 0);
    T_BR("bne", 0, MIN64, 1);
    T_BR("blt", ONES, 0, 1);
    T_BR("blt", 0, ONES, 0);
    T_BR("blt", MIN64, MAX64, 1);
    T_BR("blt", 3, 3, 0);
    T_BR("bge", ONES, 0, 0);
    T_BR("bge", 0, ONES, 1);
    T_BR("bge", 3, 3, 1);
    T_BR("bge", MAX64, MIN64, 1);
    T_BR("bltu", ONES, 0, 0);
    T_BR("bltu", 0, ONES, 1);
    T_BR("bltu", 3, 3, 0);
    T_BR("bltu", MAX64, MIN64, 1);
    T_BR("bgeu", ONES, 0, 1);
    T_BR("bgeu", 0, ONES, 0);
    T_BR("bgeu", 3, 3, 1);
    T_BR("bgeu", MIN64, MAX64, 1);

    /* A backward branch: a loop that runs 5 times. */
    u64 n = 5, count = 0;
    __asm__ volatile("1: addi %0, %0, 1\n\taddi %1, %1, -1\n\tbnez %1, 1b" : "+r"(count), "+r"(n));
    t_check("bnez", "backward loop", count, 5);
}

static void test_jumps(void)
{
    u64 link, ret, skipped;

    /* jal writes pc+4 and skips what lies between it and the target. */
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     "li %2, 0\n\tjal %0, 2f\n1: li %2, 1\n2: lla %1, 1b\n\t.option pop"
                     : "=&r"(link), "=&r"(ret), "=&r"(skipped));
    t_check("jal", "link", link, ret);
    t_check("jal", "skips", skipped, 0);

    /* jalr with a negative offset. */
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     "li %2, 0\n\tlla %0, 2f + 8\n\tjalr %0, -8(%0)\n1: li %2, 1\n2: lla %1, 1b\n\t"
                     ".option pop"
                     : "=&r"(link), "=&r"(ret), "=&r"(skipped));
    t_check("jalr", "negative offset", link, ret);
    t_check("jalr", "negative offset skips", skipped, 0);

    /* rd == rs1: the target is computed from the old value before the link is written. */
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     "li %2, 0\n\tlla %0, 2f\n\tjalr %0, 0(%0)\n1: li %2, 1\n2: lla %1, 1b\n\t"
                     ".option pop"
                     : "=&r"(link), "=&r"(ret), "=&r"(skipped));
    t_check("jalr", "rd == rs1", link, ret);
    t_check("jalr", "rd == rs1 skips", skipped, 0);

    /* jalr clears bit 0 of the target (an odd target would otherwise fault). */
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     "li %2, 0\n\tlla %0, 2f\n\tjalr %0, 1(%0)\n1: li %2, 1\n2: lla %1, 1b\n\t"
                     ".option pop"
                     : "=&r"(link), "=&r"(ret), "=&r"(skipped));
    t_check("jalr", "odd target", link, ret);
    t_check("jalr", "odd target skips", skipped, 0);

    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     "li %2, 0\n\tlla %0, 2f\n\taddi %0, %0, 1\n\tjalr %0, 0(%0)\n"
                     "1: li %2, 1\n2: lla %1, 1b\n\t.option pop"
                     : "=&r"(link), "=&r"(ret), "=&r"(skipped));
    t_check("jalr", "odd register", link, ret);
    t_check("jalr", "odd register skips", skipped, 0);

    /* jalr with rd = x0 does not write anything; the call/return pair works. */
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     "li %1, 0\n\tjal t0, 2f\n\taddi %1, %1, 1\n\tj 3f\n"
                     "2: addi %1, %1, 10\n\tjalr x0, 0(t0)\n3: mv %0, x0\n\t.option pop"
                     : "=&r"(link), "=&r"(skipped)
                     :
                     : "t0");
    t_check("jal/jalr", "call and return", skipped, 11);
}

/* Loads and stores operate on this buffer; it spans a page boundary at lsbuf + 4096. */
static unsigned char lsbuf[8192] __attribute__((aligned(4096)));

#define LOAD(op, off)                                                                              \
    ({                                                                                             \
        u64 r_;                                                                                    \
        __asm__ volatile(op " %0, 0(%1)" : "=r"(r_) : "r"(lsbuf + (off)) : "memory");              \
        r_;                                                                                        \
    })
#define STORE(op, off, v)                                                                          \
    __asm__ volatile(op " %0, 0(%1)" : : "r"((u64)(v)), "r"(lsbuf + (off)) : "memory")

static u64 peek64(size_t off)
{
    u64 v = 0;

    for (int i = 7; i >= 0; i--) {
        v = v << 8 | lsbuf[off + i];
    }
    return v;
}

static void fill(size_t off, u64 v)
{
    for (int i = 0; i < 8; i++) {
        lsbuf[off + i] = (unsigned char)(v >> (8 * i));
    }
}

static void test_loads(void)
{
    fill(0, 0x8070605040302080);
    fill(8, 0x7fffffff80008081);
    t_check("lb", "0x80", LOAD("lb", 0), 0xffffffffffffff80);
    t_check("lbu", "0x80", LOAD("lbu", 0), 0x80);
    t_check("lb", "0x20", LOAD("lb", 1), 0x20);
    t_check("lh", "0x2080", LOAD("lh", 0), 0x2080);
    t_check("lh", "0x8081", LOAD("lh", 8), 0xffffffffffff8081);
    t_check("lhu", "0x8081", LOAD("lhu", 8), 0x8081);
    t_check("lw", "0x80008081", LOAD("lw", 8), 0xffffffff80008081);
    t_check("lwu", "0x80008081", LOAD("lwu", 8), 0x80008081);
    t_check("lw", "0x7fffffff", LOAD("lw", 12), 0x7fffffff);
    t_check("ld", "", LOAD("ld", 0), 0x8070605040302080);
    t_check("ld", "negative offset", ({
                u64 r_;
                __asm__ volatile("ld %0, -8(%1)" : "=r"(r_) : "r"(lsbuf + 16) : "memory");
                r_;
            }),
            0x7fffffff80008081);

    /* Misaligned loads, including ones that cross a page boundary. */
    t_check("lh", "misaligned", LOAD("lh", 7), 0xffffffffffff8180);
    t_check("lhu", "misaligned", LOAD("lhu", 7), 0x8180);
    t_check("lw", "misaligned", LOAD("lw", 5), 0xffffffff81807060);
    t_check("lwu", "misaligned", LOAD("lwu", 5), 0x81807060);
    t_check("lw", "misaligned 2", LOAD("lw", 2), 0x60504030);
    t_check("ld", "misaligned", LOAD("ld", 3), 0x0080818070605040);
    t_check("ld", "misaligned 7", LOAD("ld", 7), 0xffffff8000808180);
    fill(4088, 0x1122334455667788);
    fill(4096, 0x99aabbccddeeff00);
    t_check("ld", "misaligned across page", LOAD("ld", 4093), 0xccddeeff00112233);
    t_check("lw", "misaligned across page", LOAD("lw", 4094), 0xffffffffff001122);
    t_check("lhu", "misaligned across page", LOAD("lhu", 4095), 0x0011);
}

static void test_stores(void)
{
    fill(32, ONES);
    fill(40, ONES);
    STORE("sb", 33, 0x1234567890abcd00);
    t_check("sb", "", peek64(32), 0xffffffffffff00ff);
    STORE("sh", 36, 0x1234567890ab5678);
    t_check("sh", "", peek64(32), 0xffff5678ffff00ff);
    STORE("sw", 40, 0x1234567800000000);
    t_check("sw", "", peek64(40), 0xffffffff00000000);
    STORE("sd", 32, 0x0102030405060708);
    t_check("sd", "", peek64(32), 0x0102030405060708);
    t_check("sd", "neighbour untouched", peek64(40), 0xffffffff00000000);

    /* Misaligned stores. */
    fill(48, 0);
    fill(56, 0);
    STORE("sh", 49, 0xaabb);
    t_check("sh", "misaligned", peek64(48), 0xaabb00);
    STORE("sw", 51, 0x11223344);
    t_check("sw", "misaligned", peek64(48), 0x11223344aabb00);
    STORE("sd", 53, 0x8877665544332211);
    t_check("sd", "misaligned low", peek64(48), 0x3322113344aabb00);
    t_check("sd", "misaligned high", peek64(56), 0x0000008877665544);
    STORE("sd", 4090, 0x0807060504030201);
    t_check("sd", "misaligned across page low", peek64(4088), 0x0605040302017788);
    t_check("sd", "misaligned across page high", peek64(4096), 0x99aabbccddee0807);
    STORE("sw", 4094, 0xdeadbeef);
    t_check("sw", "misaligned across page low", peek64(4088), 0xbeef040302017788);
    t_check("sw", "misaligned across page high", peek64(4096), 0x99aabbccddeedead);

    /* Floating-point loads and stores are ordinary accesses too. */
    u64 r;
    fill(64, 0x1122334455667788);
    fill(72, 0x99aabbccddeeff00);
    __asm__ volatile("fld ft0, 0(%1)\n\tfmv.x.d %0, ft0" : "=r"(r) : "r"(lsbuf + 67) : "ft0");
    t_check("fld", "misaligned", r, 0xeeff001122334455);
    __asm__ volatile("flw ft0, 0(%1)\n\tfmv.x.d %0, ft0" : "=r"(r) : "r"(lsbuf + 70) : "ft0");
    t_check("flw", "misaligned", r, 0xffffffffff001122);
    __asm__ volatile("fmv.d.x ft0, %0\n\tfsd ft0, 0(%1)"
                     :
                     : "r"(0x0102030405060708ull), "r"(lsbuf + 65)
                     : "ft0", "memory");
    t_check("fsd", "misaligned", peek64(64), 0x0203040506070888);
    __asm__ volatile("fmv.d.x ft0, %0\n\tfsw ft0, 0(%1)"
                     :
                     : "r"(0x55555555a1b2c3d4ull), "r"(lsbuf + 71)
                     : "ft0", "memory");
    t_check("fsw", "misaligned", peek64(64) >> 56 | peek64(72) << 8, 0xaabbccdda1b2c3d4);
}

static void test_x0(void)
{
    u64 r, word = 0x1234;

    /* Writes to x0 are discarded, whatever the instruction (most of these are HINTs). */
    __asm__ volatile("addi x0, x0, 5\n\tadd x0, %1, %1\n\tlui x0, 0x12345\n\t"
                     "ld x0, 0(%2)\n\tsltiu x0, x0, 1\n\tmv %0, x0"
                     : "=&r"(r)
                     : "r"(7ull), "r"(&word)
                     : "memory");
    t_check("x0", "writes are discarded", r, 0);
    __asm__ volatile("li %0, 9\n\tadd %0, %0, x0\n\tsub %0, x0, %0" : "=&r"(r));
    t_check("x0", "reads as zero", r, (u64)-9);
}

int main(void)
{
    test_alu();
    test_w_ops();
    test_shifts();
    test_compare();
    test_upper();
    test_branches();
    test_jumps();
    test_loads();
    test_stores();
    test_x0();
    return t_finish();
}
