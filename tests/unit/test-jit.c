/*
 * Tests of the x86-64 back end (tcg/x86_64/), against the interpreter.
 *
 * The main check is differential: random blocks over a fake CPU state (i64 and i32
 * globals, locals, constants in every operand position, every ALU op, setcond/movcond,
 * nested forward branches with dead code, env fields, guest memory of every size, atomics,
 * helper calls, insn_start markers and every kind of exit) run under TCI and under the
 * JIT, with and without the optimizer and with the optional host instructions on and
 * off; everything must come out the same: registers, env, guest memory, pc, the exit.
 * Then targeted tests: helper calls with 0..6 arguments, memory ops of every size and
 * sign (misaligned too), alignment traps, atomics from several threads, system-mode
 * callbacks, chaining with link/unlink racing a running loop, exit requests, precise
 * state after a fault in generated code, region reuse and flushes, the code dump.
 *
 * `test-jit -m perf -p /jit/bench` times a chained loop under TCI and the JIT.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "tcg/exec/tb.h"
#include "tcg/ir/ir.h"
#include "tcg/tci/tci.h"
#include "tcg/x86_64/jit.h"

#define NREGS      8
#define NAUX       4
#define GUEST_SIZE 4096

typedef struct FakeEnv {
    uint64_t r[NREGS];
    uint64_t w; /* an i32 global */
    uint64_t pc;
    uint64_t aux[NAUX]; /* state reached only through ld_env/st_env */
    uint64_t trap_addr; /* misaligned(): the address it was called with */
    uint64_t trap_pc;   /* misaligned(): env->pc at that point */
    int32_t trap_store;
    int32_t trap_kind; /* 1 misaligned, 2 bad address */
    int32_t exit_request;
    int32_t pad;
    uint64_t scratch[IR_SCRATCH_SLOTS];
} FakeEnv;

/* ---- Contexts: user mode with pc a plain field or a global; system mode -------------- */

static uint8_t *guest; /* GUEST_SIZE bytes of guest memory (user mode) */
static uintptr_t guest_base;
static __thread sigjmp_buf *trap_jmp;

static void trap(void *env, uint64_t addr, bool is_store, int kind)
{
    FakeEnv *e = env;
    e->trap_addr = addr;
    e->trap_pc = e->pc;
    e->trap_store = is_store;
    e->trap_kind = kind;
    siglongjmp(*trap_jmp, 2);
}

static void fake_misaligned(void *env, uint64_t addr, bool is_store)
{
    trap(env, addr, is_store, 1);
}

static void fake_bad_address(void *env, uint64_t addr, bool is_store)
{
    trap(env, addr, is_store, 2);
}

static uint64_t sys_load(void *env, uint64_t addr, unsigned memop, unsigned mmu_idx)
{
    uint64_t v = 0;
    memcpy(&v, guest + (addr % (GUEST_SIZE - 8)), 1u << (memop & IR_MO_SIZE));
    return v;
}

static void sys_store(void *env, uint64_t addr, uint64_t val, unsigned memop, unsigned mmu_idx)
{
    memcpy(guest + (addr % (GUEST_SIZE - 8)), &val, 1u << (memop & IR_MO_SIZE));
}

static void *sys_atomic_addr(void *env, uint64_t addr, unsigned memop, unsigned mmu_idx)
{
    return guest + (addr % (GUEST_SIZE - 8));
}

/* The guest space: the memory and the faulting page after it (host faults); beyond,
 * bad_address. */
static uint64_t guest_limit = 2 * GUEST_SIZE;
static const IrGuestMemory user_mem = {
    .guest_base = &guest_base,
    .guest_limit = &guest_limit,
    .bad_address = fake_bad_address,
    .misaligned = fake_misaligned,
};
static const IrGuestMemory system_mem = {
    .load = sys_load,
    .store = sys_store,
    .atomic_addr = sys_atomic_addr,
    .misaligned = fake_misaligned,
};

enum { CTX_USER, CTX_USER_PCG, CTX_SYSTEM, N_CTX };
static IrContext ctxs[N_CTX];
static IrTemp g_r[NREGS], g_w, g_pc;

static void setup(void)
{
    static bool done;
    if (done) {
        return;
    }
    done = true;
    /* Guest memory, then a page that faults. */
    guest = mmap(NULL, 2 * GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert(guest != MAP_FAILED);
    g_assert_cmpint(mprotect(guest + GUEST_SIZE, GUEST_SIZE, PROT_NONE), ==, 0);
    guest_base = (uintptr_t)guest;
    static const char *names[NREGS] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
    for (int k = 0; k < N_CTX; k++) {
        IrContext *c = &ctxs[k];
        ir_context_init(c, offsetof(FakeEnv, pc), offsetof(FakeEnv, scratch),
                        offsetof(FakeEnv, exit_request));
        c->mem = k == CTX_SYSTEM ? &system_mem : &user_mem;
        for (int i = 0; i < NREGS; i++) {
            g_r[i] = ir_context_global(c, IR_I64, offsetof(FakeEnv, r[i]), names[i]);
        }
        g_w = ir_context_global(c, IR_I32, offsetof(FakeEnv, w), "w");
        if (k == CTX_USER_PCG) {
            g_pc = ir_context_global(c, IR_I64, offsetof(FakeEnv, pc), "pc");
        }
    }
}

/* ---- A front end driven by the tests ------------------------------------------------- */

typedef void (*BuildFn)(IrBlock *b, uint64_t pc);
static BuildFn current_build;
static int current_ctx;

static void test_translate(void *env, TranslationBlock *tb, IrBlock *b)
{
    current_build(b, tb->pc);
    tb->size = 4;
    tb->n_insns = 1;
    g_assert_null(ir_verify(b));
}

static TbFrontend frontends[N_CTX] = {
    {.ctx = &ctxs[CTX_USER], .translate = test_translate},
    {.ctx = &ctxs[CTX_USER_PCG], .translate = test_translate},
    {.ctx = &ctxs[CTX_SYSTEM], .translate = test_translate},
};

static TbCache *new_cache(const TbBackend *be, int ctx, BuildFn build, unsigned debug)
{
    setup();
    current_build = build;
    current_ctx = ctx;
    TbCache *c = tb_cache_new(be, &frontends[ctx]);
    tb_cache_set_debug(c, debug);
    return c;
}

/* Runs the block at pc once (exits are not followed). */
static TbExit run_block(TbCache *c, FakeEnv *env, uint64_t pc)
{
    TbThread t;
    tb_thread_attach(c, &t);
    tb_exec_enter(&t);
    TranslationBlock *tb = tb_find(&t, env, pc, 0);
    TbExit e = tb_cache_backend(c)->exec(c, env, tb);
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    return e;
}

/* ---- Random blocks --------------------------------------------------------------------- */

static const IrOpcode alu2[] = {
    IR_OP_add,  IR_OP_sub,  IR_OP_mul,  IR_OP_mulsh, IR_OP_muluh, IR_OP_mulsuh, IR_OP_div,
    IR_OP_divu, IR_OP_rem,  IR_OP_remu, IR_OP_and,   IR_OP_or,    IR_OP_xor,    IR_OP_andc,
    IR_OP_orc,  IR_OP_eqv,  IR_OP_shl,  IR_OP_shr,   IR_OP_sar,   IR_OP_rotl,   IR_OP_rotr,
    IR_OP_smin, IR_OP_smax, IR_OP_umin, IR_OP_umax,
};
static const IrOpcode alu1[] = {
    IR_OP_not,   IR_OP_neg,   IR_OP_clz,    IR_OP_ctz,    IR_OP_ctpop,  IR_OP_bswap,
    IR_OP_ext8s, IR_OP_ext8u, IR_OP_ext16s, IR_OP_ext16u, IR_OP_ext32s, IR_OP_ext32u,
};

static uint64_t interesting(GRand *r)
{
    static const uint64_t v[] = {
        0,
        1,
        2,
        3,
        4,
        7,
        8,
        31,
        32,
        33,
        63,
        64,
        0xff,
        0xffff,
        UINT64_MAX,
        UINT64_MAX - 1,
        0x8000000000000000ull,
        0x7fffffffffffffffull,
        0x80000000ull,
        0xffffffffull,
        0x7fffffffull,
        0xffffffff80000000ull,
        0x100000000ull,
        0xfffffffffffffff0ull,
    };
    switch (g_rand_int_range(r, 0, 3)) {
    case 0:
        return v[g_rand_int_range(r, 0, G_N_ELEMENTS(v))];
    case 1:
        return (uint64_t)(int64_t)g_rand_int_range(r, -300, 300);
    default:
        return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
    }
}

typedef struct Gen {
    IrBlock *b;
    GRand *r;
    IrTemp p64[NREGS + 5];
    unsigned n64;
    IrTemp p32[3];
    unsigned n32;
    uint32_t open[6]; /* labels branched to and not yet defined */
    unsigned n_open;
    uint64_t pc;
} Gen;

static bool chance(Gen *g, int n)
{
    return g_rand_int_range(g->r, 0, n) == 0;
}

static IrTemp pick64(Gen *g)
{
    return g->p64[g_rand_int_range(g->r, 0, g->n64)];
}

static IrTemp pick32(Gen *g)
{
    return g->p32[g_rand_int_range(g->r, 0, g->n32)];
}

static IrTemp arg_t(Gen *g, IrType ty)
{
    if (chance(g, 3)) {
        return ir_const(g->b, ty, interesting(g->r));
    }
    return ty == IR_I64 ? pick64(g) : pick32(g);
}

static IrTemp dest_t(Gen *g, IrType ty)
{
    return ty == IR_I64 ? pick64(g) : pick32(g);
}

static IrType rand_type(Gen *g)
{
    return chance(g, 3) ? IR_I32 : IR_I64;
}

static uint64_t h_pure(uint64_t a, uint64_t b)
{
    return a * 31 ^ (b >> 3);
}

static uint64_t h_env(uint64_t env, uint64_t a)
{
    FakeEnv *e = (FakeEnv *)(uintptr_t)env;
    e->aux[0] += a;
    e->r[5] ^= e->pc;
    return e->r[0] ^ a ^ (uint32_t)e->w; /* w is i32: its upper half is undefined */
}

static uint64_t h_reads(uint64_t env)
{
    FakeEnv *e = (FakeEnv *)(uintptr_t)env;
    return e->r[1] + e->r[2] * 3 + e->pc;
}

static uint64_t h_six(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)
{
    return a + 3 * b + 5 * c + 7 * d + 11 * e + 13 * f;
}

static void gen_call(Gen *g)
{
    IrBlock *b = g->b;
    IrTemp d = chance(g, 4) ? IR_TEMP_NONE : pick64(g);
    switch (g_rand_int_range(g->r, 0, 4)) {
    case 0:
        IR_CALL(b, h_pure, 0, d == IR_TEMP_NONE ? pick64(g) : d, arg_t(g, IR_I64),
                arg_t(g, IR_I64));
        break;
    case 1:
        IR_CALL(b, h_env, IR_CALL_READS_ENV | IR_CALL_WRITES_ENV | IR_CALL_SIDE_EFFECTS, d, b->env,
                arg_t(g, IR_I64));
        break;
    case 2:
        IR_CALL(b, h_reads, IR_CALL_READS_ENV, d == IR_TEMP_NONE ? pick64(g) : d, b->env);
        break;
    default:
        IR_CALL(b, h_six, 0, d == IR_TEMP_NONE ? pick64(g) : d, arg_t(g, IR_I64), arg_t(g, IR_I64),
                arg_t(g, IR_I64), arg_t(g, IR_I64), arg_t(g, IR_I64), arg_t(g, IR_I64));
        break;
    }
}

/* A guest address inside the test's guest memory, aligned to align bytes. */
static IrTemp gen_addr(Gen *g, unsigned align)
{
    unsigned off = (unsigned)g_rand_int_range(g->r, 0, 32 - 8) & ~(align - 1);
    if (chance(g, 4)) {
        return ir_const64(g->b, (uint64_t)g_rand_int_range(g->r, 0, 120) * 32 + off);
    }
    IrTemp t = ir_temp(g->b, IR_I64);
    ir_and_i64(g->b, t, pick64(g), ir_const64(g->b, 0xfe0));
    ir_add_i64(g->b, t, t, ir_const64(g->b, off));
    return t;
}

static void gen_memory(Gen *g)
{
    IrBlock *b = g->b;
    IrType ty = rand_type(g);
    /* The upper half of an i32 value is unspecified: never store it. */
    unsigned size = (unsigned)g_rand_int_range(g->r, 0, ty == IR_I32 ? 3 : 4);
    bool align = chance(g, 3);
    unsigned mo = size | (g_rand_boolean(g->r) ? IR_MO_SIGN : 0) | (align ? IR_MO_ALIGN : 0);
    IrTemp addr = gen_addr(g, align ? 1u << size : 1);
    switch (g_rand_int_range(g->r, 0, 5)) {
    case 0:
    case 1:
        ir_ld_guest(b, ty, (IrMemOp)mo, 0, dest_t(g, ty), addr);
        break;
    case 2:
    case 3:
        ir_st_guest(b, ty, (IrMemOp)(mo & ~IR_MO_SIGN), 0, arg_t(g, ty), addr);
        break;
    default: {
        /* Atomics: 32 or 64 bits, aligned (TCI treats other sizes as 64). */
        size = g_rand_boolean(g->r) || ty == IR_I32 ? 2 : 3;
        mo = size | (g_rand_boolean(g->r) ? IR_MO_SIGN : 0);
        addr = gen_addr(g, 8);
        if (chance(g, 3)) {
            ir_cmpxchg(b, ty, (IrMemOp)mo, 0, dest_t(g, ty), addr, arg_t(g, ty), arg_t(g, ty));
        } else {
            ir_atomic_rmw(b, ty, (IrMemOp)mo, 0, (IrAtomicOp)g_rand_int_range(g->r, 0, 9),
                          dest_t(g, ty), addr, arg_t(g, ty));
        }
        break;
    }
    }
}

static void gen_env_access(Gen *g)
{
    IrType ty = rand_type(g);
    unsigned size = (unsigned)g_rand_int_range(g->r, 0, ty == IR_I32 ? 3 : 4);
    unsigned mo = size | (g_rand_boolean(g->r) ? IR_MO_SIGN : 0);
    int32_t off = offsetof(FakeEnv, aux) + 8 * g_rand_int_range(g->r, 0, NAUX) +
                  (g_rand_int_range(g->r, 0, 8) & ~((1 << size) - 1));
    if (g_rand_boolean(g->r)) {
        ir_ld_env(g->b, ty, (IrMemOp)mo, dest_t(g, ty), off);
    } else {
        ir_st_env(g->b, ty, (IrMemOp)size, arg_t(g, ty), off);
    }
}

static void gen_branch(Gen *g)
{
    IrBlock *b = g->b;
    if (g->n_open && chance(g, 2)) {
        ir_label(b, g->open[--g->n_open]);
        return;
    }
    if (g->n_open == G_N_ELEMENTS(g->open)) {
        return;
    }
    uint32_t l = ir_new_label(b);
    g->open[g->n_open++] = l;
    if (chance(g, 6)) {
        ir_br(b, l); /* what follows up to the label is dead */
        return;
    }
    IrType ty = rand_type(g);
    ir_brcond(b, ty, (IrCond)g_rand_int_range(g->r, 0, IR_COND_MAX), arg_t(g, ty), arg_t(g, ty), l);
}

static void gen_exit(Gen *g, bool last)
{
    IrBlock *b = g->b;
    switch (g_rand_int_range(g->r, 0, last ? 6 : 3)) {
    case 0:
        ir_exit_direct(b, g_rand_int_range(g->r, 0, 2), interesting(g->r));
        break;
    case 1:
        ir_exit_indirect(b);
        break;
    default:
        ir_exit_return(b, interesting(g->r));
        break;
    }
}

static void gen_alu(Gen *g)
{
    IrBlock *b = g->b;
    IrType ty = rand_type(g);
    switch (g_rand_int_range(g->r, 0, 9)) {
    case 0:
    case 1:
    case 2:
        ir_op2(b, alu2[g_rand_int_range(g->r, 0, G_N_ELEMENTS(alu2))], ty, dest_t(g, ty),
               arg_t(g, ty), arg_t(g, ty));
        break;
    case 3: {
        unsigned n = G_N_ELEMENTS(alu1) - (ty == IR_I32 ? 2 : 0);
        ir_op1(b, alu1[g_rand_int_range(g->r, 0, n)], ty, dest_t(g, ty), arg_t(g, ty));
        break;
    }
    case 4:
        ir_setcond(b, ty, (IrCond)g_rand_int_range(g->r, 0, IR_COND_MAX), dest_t(g, ty),
                   arg_t(g, ty), arg_t(g, ty));
        break;
    case 5:
        ir_movcond(b, ty, (IrCond)g_rand_int_range(g->r, 0, IR_COND_MAX), dest_t(g, ty),
                   arg_t(g, ty), arg_t(g, ty), arg_t(g, ty), arg_t(g, ty));
        break;
    case 6:
        ir_mov(b, ty, dest_t(g, ty), arg_t(g, ty));
        break;
    case 7:
        ir_op1(b, g_rand_boolean(g->r) ? IR_OP_ext_i32 : IR_OP_extu_i32, IR_I64, pick64(g),
               arg_t(g, IR_I32));
        break;
    default:
        ir_op1(b, IR_OP_trunc_i64, IR_I32, pick32(g), arg_t(g, IR_I64));
        break;
    }
}

/* Builds the random block for seed; the same seed always builds the same IR. */
static void build_random_seed(IrBlock *b, guint32 seed, bool pc_global)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(seed);
    Gen g = {.b = b, .r = r, .pc = 0x1000};
    for (int i = 0; i < NREGS; i++) {
        g.p64[g.n64++] = g_r[i];
    }
    if (pc_global) {
        g.p64[g.n64++] = g_pc;
    }
    for (int i = 0; i < 4; i++) {
        IrTemp t = ir_temp(b, IR_I64);
        ir_mov(b, IR_I64, t, g_r[i]);
        g.p64[g.n64++] = t;
    }
    g.p32[g.n32++] = g_w;
    for (int i = 0; i < 2; i++) {
        IrTemp t = ir_temp(b, IR_I32);
        ir_op1(b, IR_OP_trunc_i64, IR_I32, t, g_r[4 + i]);
        g.p32[g.n32++] = t;
    }
    int n = g_rand_int_range(r, 5, 90);
    for (int k = 0; k < n; k++) {
        int what = g_rand_int_range(r, 0, 40);
        if (what < 20) {
            gen_alu(&g);
        } else if (what < 24) {
            gen_branch(&g);
        } else if (what < 28) {
            gen_memory(&g);
        } else if (what < 30) {
            gen_env_access(&g);
        } else if (what < 32) {
            gen_call(&g);
        } else if (what < 35) {
            ir_insn_start(b, g.pc += 4);
        } else if (what < 36 && g.n_open) {
            gen_exit(&g, false); /* the rest up to the next label is dead */
        } else if (what < 37) {
            ir_mb(b, (unsigned)g_rand_int_range(r, 0, 16));
        } else {
            gen_alu(&g);
        }
    }
    while (g.n_open) {
        ir_label(b, g.open[--g.n_open]);
    }
    for (int i = 0; i < 4; i++) {
        ir_add_i64(b, g_r[4 + i], g_r[4 + i], g.p64[NREGS + (pc_global ? 1 : 0) + i]);
    }
    ir_op1(b, IR_OP_extu_i32, IR_I64, g_r[3], g.p32[1]);
    gen_exit(&g, true);
}

static guint32 random_seed;
static void build_random(IrBlock *b, uint64_t pc)
{
    build_random_seed(b, random_seed, current_ctx == CTX_USER_PCG);
}

typedef struct RunResult {
    FakeEnv env;
    TbExit exit;
    uint8_t mem[GUEST_SIZE];
} RunResult;

static void init_state(guint32 seed, FakeEnv *env)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(seed ^ 0x5a5a5a5a);
    memset(env, 0, sizeof(*env));
    for (int i = 0; i < NREGS; i++) {
        env->r[i] = interesting(r);
    }
    env->w = interesting(r);
    env->pc = 0x1000;
    for (int i = 0; i < NAUX; i++) {
        env->aux[i] = interesting(r);
    }
    for (unsigned i = 0; i < GUEST_SIZE; i++) {
        guest[i] = (uint8_t)g_rand_int(r);
    }
}

static void run_random(const TbBackend *be, int ctx, unsigned debug, guint32 seed, RunResult *res)
{
    random_seed = seed;
    init_state(seed, &res->env);
    TbCache *c = new_cache(be, ctx, build_random, debug);
    res->exit = run_block(c, &res->env, 0x1000);
    tb_cache_free(c);
    memcpy(res->mem, guest, GUEST_SIZE);
    res->exit.last = NULL;
}

static void report_mismatch(guint32 seed, int ctx, const char *what, const RunResult *ref,
                            const RunResult *jit)
{
    IrBlock d;
    ir_block_init(&d, &ctxs[ctx]);
    build_random_seed(&d, seed, ctx == CTX_USER_PCG);
    g_autofree char *s = ir_dump(&d);
    ir_optimize(&d);
    g_autofree char *so = ir_dump(&d);
    g_printerr("optimized:\n%s\n", so);
    g_printerr("seed %u ctx %d (%s) differs:\n", seed, ctx, what);
    for (int i = 0; i < NREGS; i++) {
        g_printerr("  r%d tci %#" G_GINT64_MODIFIER "x jit %#" G_GINT64_MODIFIER "x\n", i,
                   ref->env.r[i], jit->env.r[i]);
    }
    g_printerr("  w %#" G_GINT64_MODIFIER "x/%#" G_GINT64_MODIFIER "x pc %#" G_GINT64_MODIFIER
               "x/%#" G_GINT64_MODIFIER "x exit %d/%d code %#" G_GINT64_MODIFIER
               "x/%#" G_GINT64_MODIFIER "x\n%s",
               ref->env.w, jit->env.w, ref->env.pc, jit->env.pc, ref->exit.kind, jit->exit.kind,
               ref->exit.code, jit->exit.code, s);
    ir_block_destroy(&d);
    g_assert_not_reached();
}

static bool same_result(const RunResult *a, const RunResult *b)
{
    /* w is an i32 global: only its low half is defined (docs/tcg-ir.md). */
    return memcmp(a->env.r, b->env.r, sizeof(a->env.r)) == 0 &&
           (uint32_t)a->env.w == (uint32_t)b->env.w &&
           memcmp(&a->env.pc, &b->env.pc, offsetof(FakeEnv, trap_addr) - offsetof(FakeEnv, pc)) ==
               0 &&
           a->exit.kind == b->exit.kind && a->exit.slot == b->exit.slot &&
           a->exit.code == b->exit.code && memcmp(a->mem, b->mem, GUEST_SIZE) == 0;
}

static void random_programs(int ctx, guint32 first, guint32 n)
{
    setup();
    g_autofree RunResult *ref = g_new(RunResult, 1);
    g_autofree RunResult *jit = g_new(RunResult, 1);
    for (guint32 seed = first; seed < first + n; seed++) {
        run_random(&tci_backend, ctx, TB_DEBUG_NO_OPT, seed, ref);
        jit_set_features(seed & 1 ? JIT_FEAT_ALL : 0);
        run_random(&jit_backend, ctx, TB_DEBUG_NO_OPT, seed, jit);
        if (!same_result(ref, jit)) {
            report_mismatch(seed, ctx, "jit", ref, jit);
        }
        /* Against TCI on the same optimized IR: the optimizer is test-ir's business (and
         * it does not model insn_start writing a pc global, see docs/jit.md). */
        run_random(&tci_backend, ctx, 0, seed, ref);
        run_random(&jit_backend, ctx, 0, seed, jit);
        if (!same_result(ref, jit)) {
            report_mismatch(seed, ctx, "jit+opt", ref, jit);
        }
    }
    jit_set_features(JIT_FEAT_ALL);
}

/* Seeds per run: fewer under AddressSanitizer (whose allocator makes each TbCache slow),
 * more with -m slow. */
static guint32 n_seeds(guint32 n)
{
#ifdef __SANITIZE_ADDRESS__
    n /= 4;
#endif
    return g_test_slow() ? n * 5 : n;
}

static void test_random_user(void)
{
    const char *one = g_getenv("VMD_TEST_SEED"); /* debugging: just this seed */
    if (one) {
        random_programs(CTX_USER, (guint32)atoi(one), 1);
        return;
    }
    random_programs(CTX_USER, 1, n_seeds(20000));
}

static void test_random_pc_global(void)
{
    random_programs(CTX_USER_PCG, 100001, n_seeds(5000));
}

static void test_random_system(void)
{
    random_programs(CTX_SYSTEM, 200001, n_seeds(5000));
}

/* ---- Helper calls -------------------------------------------------------------------- */

static uint64_t h0(void)
{
    return 42;
}
static uint64_t h1(uint64_t a)
{
    return a + 1;
}
static uint64_t h2(uint64_t a, uint64_t b)
{
    return a * 2 + b;
}
static uint64_t h3(uint64_t a, uint64_t b, uint64_t c)
{
    return a * 4 + b * 2 + c;
}
static uint64_t h4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    return a * 8 + b * 4 + c * 2 + d;
}
static uint64_t h5(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    return a * 16 + b * 8 + c * 4 + d * 2 + e;
}
static uint64_t h6(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)
{
    return a * 32 + b * 16 + c * 8 + d * 4 + e * 2 + f;
}

static uint64_t h_check_env(uint64_t env, uint64_t r0, uint64_t r1)
{
    FakeEnv *e = (FakeEnv *)(uintptr_t)env;
    /* READS_ENV: the globals written before the call are in env. */
    g_assert_cmphex(e->r[0], ==, r0);
    g_assert_cmphex(e->r[1], ==, r1);
    e->r[2] = 0x2222; /* WRITES_ENV: must be seen after the call */
    return e->pc;
}

/* Arguments in rotated register positions so that the parallel moves meet cycles. */
static void build_calls(IrBlock *b, uint64_t pc)
{
    static const void *fns[] = {h0, h1, h2, h3, h4, h5, h6};
    IrTemp l[6];
    for (int i = 0; i < 6; i++) {
        l[i] = ir_temp(b, IR_I64);
        ir_add_i64(b, l[i], g_r[i], ir_const64(b, (uint64_t)i));
    }
    for (unsigned n = 0; n <= 6; n++) {
        IrTemp in[6];
        for (unsigned k = 0; k < n; k++) {
            in[k] = k == 2 ? ir_const64(b, 1000) : l[(k + n) % 6];
        }
        ir_call(b, fns[n], "h", 0, g_r[n == 6 ? 7 : n], n, in);
    }
    ir_insn_start(b, 0x777);
    ir_movi(b, IR_I64, g_r[0], 0x1234);
    ir_mov(b, IR_I64, g_r[1], l[5]);
    IrTemp pcv = ir_temp(b, IR_I64);
    IR_CALL(b, h_check_env, IR_CALL_READS_ENV | IR_CALL_WRITES_ENV, pcv, b->env,
            ir_const64(b, 0x1234), l[5]);
    ir_add_i64(b, g_r[3], g_r[2], pcv); /* r2 reloaded after WRITES_ENV */
    for (int i = 0; i < 6; i++) {
        ir_add_i64(b, g_r[6], g_r[6], l[i]); /* locals survived the calls */
    }
    ir_exit_return(b, 0);
}

static void test_calls(void)
{
    FakeEnv ref = {.r = {10, 20, 30, 40, 50, 60, 70, 80}}, jit = ref;
    TbCache *c = new_cache(&tci_backend, CTX_USER, build_calls, TB_DEBUG_NO_OPT);
    run_block(c, &ref, 0);
    tb_cache_free(c);
    c = new_cache(&jit_backend, CTX_USER, build_calls, TB_DEBUG_NO_OPT);
    run_block(c, &jit, 0);
    tb_cache_free(c);
    g_assert_cmphex(jit.r[3], ==, 0x2222 + 0x777);
    g_assert_cmphex(jit.r[4], ==, ref.r[4]);
    g_assert_cmpmem(jit.r, sizeof(jit.r), ref.r, sizeof(ref.r));
    g_assert_cmphex(jit.r[5], ==, h5(65, 10, 1000, 32, 43));
}

/* ---- Memory ops of every size and sign ------------------------------------------------- */

static void build_mem_sizes(IrBlock *b, uint64_t pc)
{
    /* r0 = base address (misaligned on purpose), results in r1..r7 and aux. */
    IrTemp a = g_r[0];
    ir_ld_guest(b, IR_I64, IR_MO_8 | IR_MO_SIGN, 0, g_r[1], a);
    ir_ld_guest(b, IR_I64, IR_MO_16 | IR_MO_SIGN, 0, g_r[2], a);
    ir_ld_guest(b, IR_I64, IR_MO_32 | IR_MO_SIGN, 0, g_r[3], a);
    ir_ld_guest(b, IR_I64, IR_MO_64, 0, g_r[4], a);
    IrTemp t32 = ir_temp(b, IR_I32);
    ir_ld_guest(b, IR_I32, IR_MO_16 | IR_MO_SIGN, 0, t32, a);
    ir_op1(b, IR_OP_extu_i32, IR_I64, g_r[5], t32);
    ir_ld_guest(b, IR_I64, IR_MO_16, 0, g_r[6], a);
    ir_st_guest(b, IR_I64, IR_MO_64, 0, g_r[7], ir_const64(b, 0x101));
    ir_st_guest(b, IR_I64, IR_MO_32, 0, g_r[7], ir_const64(b, 0x203));
    ir_st_guest(b, IR_I64, IR_MO_16, 0, ir_const64(b, 0xbeef), ir_const64(b, 0x305));
    ir_st_guest(b, IR_I64, IR_MO_8, 0, g_r[6], ir_const64(b, 0x407));
    ir_st_guest(b, IR_I32, IR_MO_32, 0, t32, ir_const64(b, 0x509));
    ir_st_guest(b, IR_I64, IR_MO_64, 0, ir_const64(b, 0xfffffffffffffff1ull), a);
    ir_exit_return(b, 0);
}

static void test_memory_sizes(void)
{
    setup();
    FakeEnv env = {.r = {0x11, [7] = 0x8877665544332211ull}};
    for (unsigned i = 0; i < GUEST_SIZE; i++) {
        guest[i] = (uint8_t)(i * 7 + 0x80);
    }
    uint8_t ref[GUEST_SIZE];
    memcpy(ref, guest, GUEST_SIZE);
    TbCache *c = new_cache(&jit_backend, CTX_USER, build_mem_sizes, 0);
    run_block(c, &env, 0);
    tb_cache_free(c);
    int64_t v64;
    int32_t v32;
    int16_t v16;
    memcpy(&v64, ref + 0x11, 8);
    memcpy(&v32, ref + 0x11, 4);
    memcpy(&v16, ref + 0x11, 2);
    g_assert_cmphex(env.r[1], ==, (uint64_t)(int64_t)(int8_t)ref[0x11]);
    g_assert_cmphex(env.r[2], ==, (uint64_t)(int64_t)v16);
    g_assert_cmphex(env.r[3], ==, (uint64_t)(int64_t)v32);
    g_assert_cmphex(env.r[5], ==, (uint32_t)(int32_t)v16);
    g_assert_cmphex(env.r[6], ==, (uint16_t)v16);
    uint64_t s64;
    memcpy(&s64, guest + 0x101, 8);
    g_assert_cmphex(s64, ==, 0x8877665544332211ull);
    uint32_t s32;
    memcpy(&s32, guest + 0x203, 4);
    g_assert_cmphex(s32, ==, 0x44332211);
    g_assert_cmphex(guest[0x305] | guest[0x306] << 8, ==, 0xbeef);
    g_assert_cmphex(guest[0x407], ==, (uint8_t)v16);
    memcpy(&s32, guest + 0x509, 4);
    g_assert_cmphex(s32, ==, (uint32_t)(int32_t)v16);
    memcpy(&s64, guest + 0x11, 8);
    g_assert_cmphex(s64, ==, 0xfffffffffffffff1ull);
    (void)v64;
}

/* An IR_MO_ALIGN access to a misaligned address, or (user mode) any access at or
 * beyond the guest limit, raises through the front end's callback, with the globals of
 * earlier instructions in env and env->pc at the faulting instruction. Misalignment is
 * checked first. Cases: bit 0 constant address, bit 1 store, bit 2 beyond the limit,
 * bit 3 atomic. */
static unsigned trap_case;
static uint64_t trap_case_addr(void)
{
    return trap_case & 4 ? 0x100000 + (trap_case & 8 ? 0 : 2) : 0x102;
}

static void build_trap(IrBlock *b, uint64_t pc)
{
    ir_insn_start(b, 0x2000);
    ir_movi(b, IR_I64, g_r[1], 0x5151);
    ir_insn_start(b, 0x2004);
    IrTemp addr = trap_case & 1 ? ir_const64(b, trap_case_addr()) : g_r[0];
    unsigned align = trap_case & 4 ? 0 : IR_MO_ALIGN;
    if (trap_case & 8) {
        ir_atomic_rmw(b, IR_I64, IR_MO_32, 0, IR_ATOMIC_ADD, g_r[2], addr, g_r[1]);
    } else if (trap_case & 2) {
        ir_st_guest(b, IR_I64, (IrMemOp)(IR_MO_32 | align), 0, g_r[2], addr);
    } else {
        ir_ld_guest(b, IR_I64, (IrMemOp)(IR_MO_32 | align), 0, g_r[2], addr);
    }
    ir_movi(b, IR_I64, g_r[3], 0x5353);
    ir_exit_return(b, 0);
}

static void trap_run(int ctx)
{
    FakeEnv env = {.r = {trap_case_addr(), 0, 0x99}, .pc = 0x1};
    TbCache *c = new_cache(&jit_backend, ctx, build_trap, 0);
    sigjmp_buf jb;
    trap_jmp = &jb;
    TbThread t;
    tb_thread_attach(c, &t);
    tb_exec_enter(&t);
    if (sigsetjmp(jb, 0) == 0) {
        TranslationBlock *tb = tb_find(&t, &env, 0, 0);
        jit_backend.exec(c, &env, tb);
        g_assert_not_reached();
    }
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    tb_cache_free(c);
    bool is_store = (trap_case & 2) || (trap_case & 8);
    g_assert_cmphex(env.trap_addr, ==, trap_case_addr());
    g_assert_cmpint(env.trap_kind, ==, trap_case & 4 ? 2 : 1);
    g_assert_cmpint(env.trap_store, ==, is_store);
    g_assert_cmphex(env.trap_pc, ==, 0x2004);
    g_assert_cmphex(env.r[1], ==, 0x5151);
    g_assert_cmphex(env.r[2], ==, 0x99);
    g_assert_cmphex(env.r[3], ==, 0);
}

static void test_traps(void)
{
    for (trap_case = 0; trap_case < 16; trap_case++) {
        trap_run(CTX_USER);
        if (!(trap_case & 4)) {
            trap_run(CTX_SYSTEM);
        }
    }
}

/* ---- Atomics from several threads ------------------------------------------------------ */

/* Block 0: atomic add/umax/xor, then block 0x100: a compare-and-swap increment that
 * retries itself on failure, counts r0 down and goes back to block 0 until r0 is 0. */
static void build_atomic_loop(IrBlock *b, uint64_t pc)
{
    IrTemp old = ir_temp(b, IR_I64), nv = ir_temp(b, IR_I64);
    if (pc == 0) {
        ir_atomic_rmw(b, IR_I64, IR_MO_64, 0, IR_ATOMIC_ADD, old, ir_const64(b, 0x40),
                      ir_const64(b, 1));
        ir_atomic_rmw(b, IR_I64, IR_MO_32, 0, IR_ATOMIC_ADD, old, ir_const64(b, 0x80), g_r[2]);
        ir_atomic_rmw(b, IR_I64, IR_MO_64, 0, IR_ATOMIC_UMAX, old, ir_const64(b, 0xc0), g_r[0]);
        ir_atomic_rmw(b, IR_I64, IR_MO_64, 0, IR_ATOMIC_XOR, old, ir_const64(b, 0xd0), g_r[3]);
        ir_atomic_rmw(b, IR_I64, IR_MO_32 | IR_MO_SIGN, 0, IR_ATOMIC_SMIN, g_r[7],
                      ir_const64(b, 0xc8), g_r[0]);
        ir_exit_direct(b, 0, 0x100);
        return;
    }
    uint32_t retry = ir_new_label(b), end = ir_new_label(b);
    ir_ld_guest(b, IR_I64, IR_MO_64, 0, old, ir_const64(b, 0xe0));
    ir_add_i64(b, nv, old, ir_const64(b, 1));
    ir_cmpxchg(b, IR_I64, IR_MO_64, 0, g_r[4], ir_const64(b, 0xe0), old, nv);
    ir_brcond(b, IR_I64, IR_COND_NE, g_r[4], old, retry);
    ir_add_i64(b, g_r[5], g_r[5], ir_const64(b, 1));
    ir_sub_i64(b, g_r[0], g_r[0], ir_const64(b, 1));
    ir_brcond(b, IR_I64, IR_COND_EQ, g_r[0], ir_const64(b, 0), end);
    ir_exit_direct(b, 1, 0);
    ir_label(b, retry);
    ir_add_i64(b, g_r[6], g_r[6], ir_const64(b, 1));
    ir_exit_direct(b, 0, 0x100);
    ir_label(b, end);
    ir_exit_return(b, 1);
}

/* A guest thread: runs the loop block chained to itself, like a front end's exec loop. */
typedef struct Worker {
    TbCache *c;
    FakeEnv env;
    GThread *thread;
    volatile int *stop;
} Worker;

static TbExit exec_loop(TbThread *t, TbCache *c, FakeEnv *env, volatile int *stop)
{
    TranslationBlock *tb = NULL;
    for (;;) {
        if (!tb) {
            tb = tb_find(t, env, env->pc, 0);
        }
        TbExit e = tb_cache_backend(c)->exec(c, env, tb);
        tb = NULL;
        if (e.kind == TB_EXIT_CHAIN) {
            TranslationBlock *next = tb_find(t, env, env->pc, 0);
            tb_link(c, e.last, e.slot, next);
            tb = next;
        } else if (e.kind != TB_EXIT_REQUEST || !stop || *stop) {
            return e;
        } else {
            env->exit_request = 0;
        }
    }
}

static gpointer worker_main(gpointer p)
{
    Worker *w = p;
    TbThread t;
    tb_thread_attach(w->c, &t);
    tb_exec_enter(&t);
    TbExit e = exec_loop(&t, w->c, &w->env, w->stop);
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    g_assert_cmpint(e.kind, ==, TB_EXIT_RETURN);
    return NULL;
}

static void test_atomics_threads(void)
{
    enum { THREADS = 4, ITER = 20000 };
    setup();
    memset(guest, 0, GUEST_SIZE);
    uint32_t big = 0x7fffffff;
    memcpy(guest + 0xc8, &big, 4);
    TbCache *c = new_cache(&jit_backend, CTX_USER, build_atomic_loop, 0);
    Worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (Worker){.c = c, .env = {.r = {ITER, 0, 3, 1u << i}}};
        w[i].thread = g_thread_new("worker", worker_main, &w[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        g_thread_join(w[i].thread);
        g_assert_cmpuint(w[i].env.r[5], ==, ITER);
        g_assert_cmpuint(w[i].env.r[0], ==, 0);
    }
    tb_cache_free(c);
    uint64_t v64;
    uint32_t v32;
    memcpy(&v64, guest + 0x40, 8);
    g_assert_cmpuint(v64, ==, (uint64_t)THREADS * ITER);
    memcpy(&v32, guest + 0x80, 4);
    g_assert_cmpuint(v32, ==, 3u * THREADS * ITER);
    memcpy(&v64, guest + 0xc0, 8);
    g_assert_cmpuint(v64, ==, ITER);
    memcpy(&v32, guest + 0xc8, 4);
    g_assert_cmpuint(v32, ==, 1);
    memcpy(&v64, guest + 0xd0, 8);
    g_assert_cmpuint(v64, ==, 0); /* ITER is even: every bit flipped an even number of times */
    memcpy(&v64, guest + 0xe0, 8);
    g_assert_cmpuint(v64, ==, (uint64_t)THREADS * ITER);
}

/* ---- Chaining, link/unlink races, exit requests ---------------------------------------- */

/* Block 0 counts r0 up and chains to itself until r0 reaches r1, then goes to 0x40,
 * which returns. */
static void build_loop(IrBlock *b, uint64_t pc)
{
    if (pc == 0x40) {
        ir_exit_return(b, 9);
        return;
    }
    uint32_t done = ir_new_label(b);
    ir_add_i64(b, g_r[0], g_r[0], ir_const64(b, 1));
    ir_brcond(b, IR_I64, IR_COND_GEU, g_r[0], g_r[1], done);
    ir_exit_direct(b, 0, 0);
    ir_label(b, done);
    ir_exit_direct(b, 1, 0x40);
}

static void test_chaining(void)
{
    TbCache *c = new_cache(&jit_backend, CTX_USER, build_loop, 0);
    FakeEnv env = {.r = {0, 1000}};
    TbThread t;
    tb_thread_attach(c, &t);
    tb_exec_enter(&t);
    TranslationBlock *tb = tb_find(&t, &env, 0, 0);
    TbExit e = jit_backend.exec(c, &env, tb);
    g_assert_cmpint(e.kind, ==, TB_EXIT_CHAIN);
    g_assert_true(e.last == tb);
    g_assert_cmpuint(e.slot, ==, 0);
    g_assert_cmpuint(env.r[0], ==, 1);
    g_assert_cmphex(env.pc, ==, 0);
    tb_link(c, tb, 0, tb);
    e = jit_backend.exec(c, &env, tb);
    g_assert_cmpint(e.kind, ==, TB_EXIT_CHAIN);
    g_assert_cmpuint(e.slot, ==, 1);
    g_assert_cmpuint(env.r[0], ==, 1000);
    g_assert_cmphex(env.pc, ==, 0x40);

    /* Linked to 0x40: runs through to its exit_return. */
    TranslationBlock *ret = tb_find(&t, &env, 0x40, 0);
    tb_link(c, tb, 1, ret);
    env.r[0] = 500;
    e = jit_backend.exec(c, &env, tb);
    g_assert_cmpint(e.kind, ==, TB_EXIT_RETURN);
    g_assert_cmpuint(e.code, ==, 9);
    g_assert_true(e.last == ret);

    /* An exit request stops the chain at the next block boundary. */
    env.r[0] = 0;
    env.exit_request = 1;
    e = jit_backend.exec(c, &env, tb);
    g_assert_cmpint(e.kind, ==, TB_EXIT_REQUEST);
    g_assert_cmpuint(env.r[0], ==, 1);

    /* A flush retires the block and unlinks its chains. */
    env.exit_request = 0;
    tb_flush(c);
    g_assert_true(tb->invalid);
    e = jit_backend.exec(c, &env, tb);
    g_assert_cmpint(e.kind, ==, TB_EXIT_CHAIN);
    g_assert_cmpuint(env.r[0], ==, 2);
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    tb_cache_free(c);
}

typedef struct Racer {
    TbCache *c;
    TranslationBlock *tb;
    volatile int *done;
    bool flush;
} Racer;

static gpointer racer_main(gpointer p)
{
    Racer *r = p;
    for (unsigned n = 0; !*r->done; n++) {
        if (r->flush) {
            tb_flush(r->c);
            g_usleep(200);
        } else if (n & 1) {
            jit_backend.unlink(r->tb, 0);
        } else {
            jit_backend.link(r->tb, 0, r->tb);
        }
    }
    return NULL;
}

/* The loop keeps counting exactly while another thread patches its chain, or flushes. */
static void link_race(bool flush)
{
    enum { N = 3000000 };
    TbCache *c = new_cache(&jit_backend, CTX_USER, build_loop, 0);
    FakeEnv env = {.r = {0, N}};
    TbThread t;
    tb_thread_attach(c, &t);
    volatile int done = 0;
    Racer r = {.c = c, .tb = tb_find(&t, &env, 0, 0), .done = &done, .flush = flush};
    GThread *th = g_thread_new("racer", racer_main, &r);
    tb_exec_enter(&t);
    TbExit e = exec_loop(&t, c, &env, NULL);
    tb_exec_leave(&t);
    done = 1;
    g_thread_join(th);
    g_assert_cmpint(e.kind, ==, TB_EXIT_RETURN);
    g_assert_cmpuint(env.r[0], ==, N);
    g_assert_cmphex(env.pc, ==, 0x40);
    tb_thread_detach(&t);
    tb_cache_free(c);
}

static void test_link_race(void)
{
    link_race(false);
}

static void test_flush_race(void)
{
    link_race(true);
}

static volatile int spin_stop;

static gpointer spin_main(gpointer p)
{
    Worker *w = p;
    TbThread t;
    tb_thread_attach(w->c, &t);
    tb_exec_enter(&t);
    TbExit e = exec_loop(&t, w->c, &w->env, &spin_stop);
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    g_assert_cmpint(e.kind, ==, TB_EXIT_REQUEST);
    return NULL;
}

static void test_exit_request(void)
{
    Worker w = {.c = new_cache(&jit_backend, CTX_USER, build_loop, 0),
                .env = {.r = {0, UINT64_MAX}}};
    spin_stop = 0;
    w.thread = g_thread_new("spin", spin_main, &w);
    while (__atomic_load_n(&w.env.r[0], __ATOMIC_RELAXED) < 100000) {
        g_usleep(1000);
    }
    spin_stop = 1;
    __atomic_store_n(&w.env.exit_request, 1, __ATOMIC_RELEASE);
    g_thread_join(w.thread);
    g_assert_cmpuint(w.env.r[0], >, 100000);
    tb_cache_free(w.c);
}

/* ---- Precise state after a fault in generated code ------------------------------------- */

static TbCache *fault_cache;
static FakeEnv *fault_env;
static sigjmp_buf fault_jb;
static volatile int fault_restored;
static unsigned fault_case;

static void segv_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    uintptr_t host_pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    fault_restored = tb_restore_state(fault_cache, fault_env, host_pc);
    siglongjmp(fault_jb, 1);
}

static void build_fault(IrBlock *b, uint64_t pc)
{
    IrTemp t = ir_temp(b, IR_I64);
    ir_insn_start(b, 0x3000);
    ir_movi(b, IR_I64, g_r[1], 0x1111);
    ir_add_i64(b, g_r[2], g_r[2], ir_const64(b, 5));
    ir_insn_start(b, 0x3004);
    ir_ld_guest(b, IR_I64, IR_MO_32, 0, t, ir_const64(b, 0x10)); /* fine */
    ir_add_i64(b, g_r[6], g_r[6], t);
    ir_insn_start(b, 0x3008);
    ir_movi(b, IR_I64, g_r[3], 0x3333);
    switch (fault_case) {
    case 0:
        ir_ld_guest(b, IR_I64, IR_MO_64, 0, g_r[4], g_r[0]);
        break;
    case 1:
        ir_st_guest(b, IR_I64, IR_MO_16, 0, g_r[2], ir_const64(b, GUEST_SIZE + 0x20));
        break;
    default:
        ir_atomic_rmw(b, IR_I64, IR_MO_64, 0, IR_ATOMIC_OR, g_r[4], g_r[0], g_r[1]);
        break;
    }
    ir_insn_start(b, 0x300c);
    ir_movi(b, IR_I64, g_r[5], 0x5555);
    ir_exit_return(b, 0);
}

static void test_restore_state(void)
{
    struct sigaction sa = {.sa_sigaction = segv_handler, .sa_flags = SA_SIGINFO}, old;
    sigemptyset(&sa.sa_mask);
    setup();
    for (fault_case = 0; fault_case < 3; fault_case++) {
        FakeEnv env = {.r = {GUEST_SIZE + 0x100, 0, 10}, .pc = 0x1};
        memset(guest, 0, GUEST_SIZE);
        guest[0x10] = 7;
        fault_cache =
            new_cache(&jit_backend, CTX_USER, build_fault, fault_case == 2 ? 0 : TB_DEBUG_NO_OPT);
        fault_env = &env;
        fault_restored = 0;
        g_assert_cmpint(sigaction(SIGSEGV, &sa, &old), ==, 0);
        if (sigsetjmp(fault_jb, 1) == 0) {
            run_block(fault_cache, &env, 0);
            g_assert_not_reached();
        }
        sigaction(SIGSEGV, &old, NULL);
        /* run_block's thread is left attached: the block must stay alive for the test. */
        g_assert_true(fault_restored);
        g_assert_cmphex(env.pc, ==, 0x3008);
        g_assert_cmphex(env.r[1], ==, 0x1111);
        g_assert_cmphex(env.r[2], ==, 15);
        g_assert_cmphex(env.r[6], ==, 7);
        g_assert_cmphex(env.r[3], ==, 0x3333);
        g_assert_cmphex(env.r[4], ==, 0);
        g_assert_cmphex(env.r[5], ==, 0);
        g_assert_false(tb_restore_state(fault_cache, &env, (uintptr_t)test_restore_state));
    }
}

static void build_many(IrBlock *b, uint64_t pc);

/* ---- fork(): the child gets its own copy of the code ------------------------------ */

static void fresh_code(TbCache *c, TbThread *t)
{
    tb_flush(c);
    tb_exec_leave(t); /* reclaims: the next blocks reuse the same code addresses */
    tb_exec_enter(t);
}

/* In the child: compile the loop, let the parent write its own code, then run ours. */
static int fork_child(TbCache *c, TbThread *t, int to_parent, int from_parent)
{
    char byte = 0;
    FakeEnv env = {.r = {0, 20000}};
    tb_cache_fork_child(c, t);
    tb_exec_enter(t);
    fresh_code(c, t);
    TranslationBlock *tb = tb_find(t, &env, 0, 0);
    TbExit e = jit_backend.exec(c, &env, tb); /* compiled, run once, linked below */
    tb_link(c, tb, 0, tb);
    if (write(to_parent, "c", 1) != 1 || read(from_parent, &byte, 1) != 1) {
        return 2;
    }
    e = exec_loop(t, c, &env, NULL);
    /* Empty our regions (their pages are handed back) while the parent still uses its. */
    fresh_code(c, t);
    if (write(to_parent, "d", 1) != 1) {
        return 2;
    }
    return e.kind == TB_EXIT_RETURN && e.code == 9 && env.r[0] == 20000 ? 0 : 1;
}

/* After fork() parent and child compile different code at the same offsets of their
 * buffers and patch chains; with one shared code buffer each would run the other's.
 * Modes: 0 memfd buffers; 1 a memfd buffer but no memfd for the child's copy (heap
 * snapshot, private RWX child); 2 RWX buffers from the start. */
static void fork_case(int mode)
{
    if (mode == 2) {
        g_setenv("VMD_JIT_NO_MEMFD", "1", TRUE);
        jit_set_buffer_geometry(8 << 20, 8, 4); /* a new buffer, not an idle one */
    }
    TbCache *c = new_cache(&jit_backend, CTX_USER, build_loop, 0);
    TbThread t;
    tb_thread_attach(c, &t);
    tb_exec_enter(&t);
    FakeEnv env = {.r = {0, 1000}};
    g_assert_cmpint(exec_loop(&t, c, &env, NULL).kind, ==, TB_EXIT_RETURN);
    int up[2], down[2];
    g_assert_cmpint(pipe(up), ==, 0);
    g_assert_cmpint(pipe(down), ==, 0);
    if (mode == 1) {
        g_setenv("VMD_JIT_NO_MEMFD", "1", TRUE);
    }
    tb_cache_fork_prepare(c);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        _exit(fork_child(c, &t, up[1], down[0]));
    }
    tb_cache_fork_parent(c);
    g_unsetenv("VMD_JIT_NO_MEMFD");
    char byte;
    g_assert_cmpint(read(up[0], &byte, 1), ==, 1);
    current_build = build_many;
    fresh_code(c, &t);
    for (int round = 0; round < 2; round++) {
        for (uint64_t i = 0; i < 300; i++) {
            FakeEnv e2 = {.r = {1}};
            TbExit e = jit_backend.exec(c, &e2, tb_find(&t, &e2, i * 4, 0));
            g_assert_cmpuint(e.code, ==, i * 4);
            g_assert_cmphex(e2.r[0], !=, 1);
        }
        if (round == 0) {
            /* Let the child run, then empty its regions: ours must stay intact. */
            g_assert_cmpint(write(down[1], "p", 1), ==, 1);
            g_assert_cmpint(read(up[0], &byte, 1), ==, 1);
        }
    }
    current_build = build_loop;
    int status = 0;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    for (int i = 0; i < 2; i++) {
        close(up[i]);
        close(down[i]);
    }
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    tb_cache_free(c);
    jit_set_buffer_geometry(0, 0, 0);
}

static void test_fork(void)
{
    JitStats before, after;
    jit_get_stats(&before);
    for (int mode = 0; mode < 3; mode++) {
        fork_case(mode);
    }
    jit_get_stats(&after);
    g_assert_cmpuint(after.rwx_fallback, >, before.rwx_fallback); /* mode 2 */
}

/* ---- Region reuse, flushes, dumps ------------------------------------------------------ */

/* Block at pc: r0 = r0 * 3 + pc, forty times over, with every op's code in the block. */
static void build_many(IrBlock *b, uint64_t pc)
{
    for (int i = 0; i < 40; i++) {
        ir_op2(b, IR_OP_mul, IR_I64, g_r[0], g_r[0], ir_const64(b, 3));
        ir_add_i64(b, g_r[0], g_r[0], ir_const64(b, pc + (uint64_t)i));
    }
    ir_exit_return(b, pc);
}

static void test_regions(void)
{
    JitStats before, after;
    jit_get_stats(&before);
    jit_set_buffer_geometry(64 << 10, 4, 2);
    TbCache *c = new_cache(&jit_backend, CTX_USER, build_many, TB_DEBUG_NO_OPT);
    TbThread t;
    tb_thread_attach(c, &t);
    tb_exec_enter(&t);
    for (uint64_t i = 0; i < 6000; i++) {
        if (i % 50 == 0) {
            tb_exec_leave(&t); /* a quiescent point: retired blocks can be freed */
            tb_exec_enter(&t);
        }
        uint64_t pc = (i % 3000) * 4;
        FakeEnv env = {.r = {i}};
        TbExit e = jit_backend.exec(c, &env, tb_find(&t, &env, pc, 0));
        uint64_t want = i;
        for (int k = 0; k < 40; k++) {
            want = want * 3 + pc + (uint64_t)k;
        }
        g_assert_cmpint(e.kind, ==, TB_EXIT_RETURN);
        g_assert_cmpuint(e.code, ==, pc);
        g_assert_cmphex(env.r[0], ==, want);
    }
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    tb_cache_free(c);
    jit_set_buffer_geometry(0, 0, 0);
    jit_get_stats(&after);
    g_assert_cmpuint(after.flushes_requested, >, before.flushes_requested);
    g_assert_cmpuint(after.region_switches, >, before.region_switches);
    g_assert_cmpuint(after.blocks_freed - before.blocks_freed, ==,
                     after.blocks_compiled - before.blocks_compiled);
}

/* Without quiescent points nothing retired is freed: the buffer runs out of empty
 * regions and the cache continues in another buffer. */
static void test_buffer_overflow(void)
{
    JitStats before, after;
    jit_get_stats(&before);
    jit_set_buffer_geometry(64 << 10, 2, 1);
    TbCache *c = new_cache(&jit_backend, CTX_USER, build_many, TB_DEBUG_NO_OPT);
    TbThread t;
    tb_thread_attach(c, &t);
    tb_exec_enter(&t);
    for (uint64_t pc = 0; pc < 4000; pc += 4) {
        FakeEnv env = {.r = {pc}};
        TbExit e = jit_backend.exec(c, &env, tb_find(&t, &env, pc, 0));
        uint64_t want = pc;
        for (int k = 0; k < 40; k++) {
            want = want * 3 + pc + (uint64_t)k;
        }
        g_assert_cmpuint(e.code, ==, pc);
        g_assert_cmphex(env.r[0], ==, want);
    }
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    tb_cache_free(c);
    jit_set_buffer_geometry(0, 0, 0);
    jit_get_stats(&after);
    g_assert_cmpuint(after.buffers_created, >, before.buffers_created + 1);
    g_assert_cmpuint(after.blocks_freed - before.blocks_freed, ==,
                     after.blocks_compiled - before.blocks_compiled);
}

static void test_dump(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vmd-jit-XXXXXX", &err);
    g_assert_no_error(err);
    jit_set_dump_dir(dir);
    TbCache *c = new_cache(&jit_backend, CTX_USER, build_loop, 0);
    FakeEnv env = {.r = {0, 10}};
    run_block(c, &env, 0);
    jit_set_dump_dir(NULL);
    tb_cache_free(c);
    GDir *d = g_dir_open(dir, 0, &err);
    g_assert_no_error(err);
    const char *name;
    unsigned n = 0;
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *data = NULL;
        gsize len = 0;
        g_assert_true(g_str_has_prefix(name, "tb-") && g_str_has_suffix(name, "-0.bin"));
        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        g_assert_cmpuint(len, >, 16);
        g_unlink(path);
        n++;
    }
    g_dir_close(d);
    g_rmdir(dir);
    g_assert_cmpuint(n, ==, 1);
}

/* ---- Benchmark: the chained counting loop under TCI and the JIT ------------------------ */

/* An ALU-heavy loop body (a xorshift/multiply mix over five registers), then the same
 * count-and-chain tail as build_loop. */
static void build_mix(IrBlock *b, uint64_t pc)
{
    if (pc == 0x40) {
        ir_exit_return(b, 9);
        return;
    }
    IrTemp t = ir_temp(b, IR_I64), u = ir_temp(b, IR_I32);
    ir_shl_i64(b, t, g_r[2], ir_const64(b, 13));
    ir_xor_i64(b, g_r[2], g_r[2], t);
    ir_shr_i64(b, t, g_r[2], ir_const64(b, 7));
    ir_xor_i64(b, g_r[2], g_r[2], t);
    ir_mul_i64(b, g_r[3], g_r[3], ir_const64(b, 0x9e3779b97f4a7c15ull));
    ir_add_i64(b, g_r[3], g_r[3], g_r[2]);
    ir_xor_i64(b, t, g_r[4], g_r[3]);
    ir_op2(b, IR_OP_rotl, IR_I64, g_r[4], t, ir_const64(b, 27));
    ir_and_i64(b, t, g_r[4], ir_const64(b, 0xffff));
    ir_add_i64(b, g_r[5], g_r[5], t);
    ir_op1(b, IR_OP_trunc_i64, IR_I32, u, g_r[5]);
    ir_op2(b, IR_OP_mul, IR_I32, u, u, ir_const32(b, 7));
    ir_op1(b, IR_OP_ext_i32, IR_I64, t, u);
    ir_setcond(b, IR_I64, IR_COND_LTU, g_r[7], g_r[6], t);
    ir_movcond(b, IR_I64, IR_COND_NE, g_r[6], g_r[7], ir_const64(b, 0), t, g_r[6]);
    ir_op2(b, IR_OP_sub, IR_I64, g_r[6], g_r[6], g_r[2]);
    build_loop(b, pc);
}

static double time_loop(const TbBackend *be, BuildFn build, uint64_t n)
{
    TbCache *c = new_cache(be, CTX_USER, build, 0);
    FakeEnv env = {.r = {0, n}};
    TbThread t;
    tb_thread_attach(c, &t);
    tb_exec_enter(&t);
    gint64 start = g_get_monotonic_time();
    TbExit e = exec_loop(&t, c, &env, NULL);
    gint64 end = g_get_monotonic_time();
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    tb_cache_free(c);
    g_assert_cmpint(e.kind, ==, TB_EXIT_RETURN);
    g_assert_cmpuint(env.r[0], ==, n);
    return (end - start) / 1e6;
}

static void bench_one(const char *name, BuildFn build, uint64_t n)
{
    double tci = time_loop(&tci_backend, build, n), jit = time_loop(&jit_backend, build, n);
    g_test_minimized_result(jit, "%s: jit %.3f s, tci %.3f s: %.1fx", name, jit, tci, tci / jit);
    g_printerr("%s, %" G_GUINT64_FORMAT " iterations: tci %.3f s (%.2f ns/iter), jit %.3f s "
               "(%.2f ns/iter), speedup %.1fx\n",
               name, n, tci, tci * 1e9 / n, jit, jit * 1e9 / n, tci / jit);
}

static void test_bench(void)
{
    if (!g_test_perf()) {
        g_test_skip("benchmark: run with -m perf");
        return;
    }
    bench_one("counting loop (add, brcond, chained exit)", build_loop, 100000000);
    bench_one("alu mix (16 more ALU ops per iteration)", build_mix, 20000000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!jit_available()) {
        g_printerr("jit not available on this host\n");
        return 77;
    }
    g_test_add_func("/jit/random-user", test_random_user);
    g_test_add_func("/jit/random-pc-global", test_random_pc_global);
    g_test_add_func("/jit/random-system", test_random_system);
    g_test_add_func("/jit/calls", test_calls);
    g_test_add_func("/jit/memory-sizes", test_memory_sizes);
    g_test_add_func("/jit/traps", test_traps);
    g_test_add_func("/jit/atomics-threads", test_atomics_threads);
    g_test_add_func("/jit/chaining", test_chaining);
    g_test_add_func("/jit/link-race", test_link_race);
    g_test_add_func("/jit/flush-race", test_flush_race);
    g_test_add_func("/jit/exit-request", test_exit_request);
    g_test_add_func("/jit/restore-state", test_restore_state);
    g_test_add_func("/jit/fork", test_fork);
    g_test_add_func("/jit/regions", test_regions);
    g_test_add_func("/jit/buffer-overflow", test_buffer_overflow);
    g_test_add_func("/jit/dump", test_dump);
    g_test_add_func("/jit/bench", test_bench);
    return g_test_run();
}
