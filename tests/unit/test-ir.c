/*
 * Tests of the IR, its optimizer and the interpreter (TCI).
 *
 * The main check is differential: random straight-line and branching programs over a
 * small fake CPU state are built as IR, then run (a) by a plain reference walker over
 * the unoptimized IR written here, (b) by TCI without the optimizer and (c) by TCI after
 * the optimizer. All three must leave the same state. The rest covers helper calls,
 * guest memory and atomics, chaining, exit requests and the verifier.
 */
#include <glib.h>
#include <string.h>

#include "tcg/exec/tb.h"
#include "tcg/ir/ir.h"
#include "tcg/tci/tci.h"

#define NREGS 8

typedef struct FakeEnv {
    uint64_t r[NREGS];
    uint64_t pc;
    int32_t exit_request;
    int32_t pad;
    uint64_t scratch[IR_SCRATCH_SLOTS];
} FakeEnv;

static uintptr_t fake_guest_base;
static const uint64_t fake_guest_limit = UINT64_MAX;
static const IrGuestMemory fake_mem = {.guest_base = &fake_guest_base,
                                       .guest_limit = &fake_guest_limit};

static IrContext ctx;
static IrTemp g_r[NREGS];

static void setup_ctx(void)
{
    static bool done;
    if (done) {
        return;
    }
    done = true;
    ir_context_init(&ctx, offsetof(FakeEnv, pc), offsetof(FakeEnv, scratch),
                    offsetof(FakeEnv, exit_request));
    ctx.mem = &fake_mem;
    static const char *names[NREGS] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
    for (int i = 0; i < NREGS; i++) {
        g_r[i] = ir_context_global(&ctx, IR_I64, offsetof(FakeEnv, r[i]), names[i]);
    }
}

/* ---- Random program generation -------------------------------------------------- */

static const IrOpcode alu2[] = {
    IR_OP_add, IR_OP_sub, IR_OP_mul, IR_OP_mulsh, IR_OP_muluh, IR_OP_mulsuh, IR_OP_div,
    IR_OP_divu, IR_OP_rem, IR_OP_remu, IR_OP_and, IR_OP_or, IR_OP_xor, IR_OP_andc,
    IR_OP_orc, IR_OP_eqv, IR_OP_shl, IR_OP_shr, IR_OP_sar, IR_OP_rotl, IR_OP_rotr,
    IR_OP_smin, IR_OP_smax, IR_OP_umin, IR_OP_umax,
};
static const IrOpcode alu1[] = {
    IR_OP_not, IR_OP_neg, IR_OP_clz, IR_OP_ctz, IR_OP_ctpop, IR_OP_bswap, IR_OP_ext8s,
    IR_OP_ext8u, IR_OP_ext16s, IR_OP_ext16u,
};

static uint64_t interesting(GRand *r)
{
    static const uint64_t v[] = {0, 1, 2, 31, 32, 63, 64, UINT64_MAX, 0x8000000000000000ull,
                                 0x7fffffffffffffffull, 0x80000000ull, 0xffffffffull};
    if (g_rand_boolean(r)) {
        return v[g_rand_int_range(r, 0, G_N_ELEMENTS(v))];
    }
    return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
}

typedef struct ProgSeed {
    guint32 seed;
} ProgSeed;

/* Builds the program for seed into b; the same seed always builds the same IR. */
static void build_random(IrBlock *b, guint32 seed)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(seed);
    IrTemp locals[4];
    for (int i = 0; i < 4; i++) {
        locals[i] = ir_temp(b, IR_I64);
        ir_mov(b, IR_I64, locals[i], g_r[i]);
    }
    int n = g_rand_int_range(r, 5, 40);
    for (int k = 0; k < n; k++) {
        IrTemp pool[NREGS + 4];
        for (int i = 0; i < NREGS; i++) {
            pool[i] = g_r[i];
        }
        for (int i = 0; i < 4; i++) {
            pool[NREGS + i] = locals[i];
        }
        IrTemp d = pool[g_rand_int_range(r, 0, NREGS + 4)];
        IrTemp a = pool[g_rand_int_range(r, 0, NREGS + 4)];
        IrTemp c = g_rand_int_range(r, 0, 3) == 0 ? ir_const64(b, interesting(r))
                                                   : pool[g_rand_int_range(r, 0, NREGS + 4)];
        if (g_rand_int_range(r, 0, 4) == 0) {
            a = ir_const64(b, interesting(r));
        }
        bool use32 = g_rand_int_range(r, 0, 4) == 0;
        switch (g_rand_int_range(r, 0, 6)) {
        case 0:
        case 1:
            if (use32) {
                IrTemp x = ir_temp(b, IR_I32), y = ir_temp(b, IR_I32), z = ir_temp(b, IR_I32);
                ir_op1(b, IR_OP_trunc_i64, IR_I32, x, a);
                ir_op1(b, IR_OP_trunc_i64, IR_I32, y, c);
                ir_op2(b, alu2[g_rand_int_range(r, 0, G_N_ELEMENTS(alu2))], IR_I32, z, x, y);
                ir_op1(b, g_rand_boolean(r) ? IR_OP_ext_i32 : IR_OP_extu_i32, IR_I64, d, z);
            } else {
                ir_op2(b, alu2[g_rand_int_range(r, 0, G_N_ELEMENTS(alu2))], IR_I64, d, a, c);
            }
            break;
        case 2:
            ir_op1(b, alu1[g_rand_int_range(r, 0, G_N_ELEMENTS(alu1))], IR_I64, d, a);
            break;
        case 3:
            ir_setcond(b, IR_I64, (IrCond)g_rand_int_range(r, 0, IR_COND_ALWAYS), d, a, c);
            break;
        case 4:
            ir_movcond(b, IR_I64, (IrCond)g_rand_int_range(r, 0, IR_COND_ALWAYS), d, a, c,
                       pool[g_rand_int_range(r, 0, NREGS + 4)],
                       pool[g_rand_int_range(r, 0, NREGS + 4)]);
            break;
        case 5: {
            uint32_t l = ir_new_label(b);
            ir_brcond(b, IR_I64, (IrCond)g_rand_int_range(r, 0, IR_COND_MAX), a, c, l);
            ir_op2(b, IR_OP_xor, IR_I64, d, d, ir_const64(b, interesting(r)));
            ir_mov(b, IR_I64, pool[g_rand_int_range(r, 0, NREGS + 4)], d);
            ir_label(b, l);
            break;
        }
        }
    }
    for (int i = 0; i < 4; i++) {
        ir_op2(b, IR_OP_add, IR_I64, g_r[4 + i], g_r[4 + i], locals[i]);
    }
    ir_exit_return(b, 7);
}

/* ---- Reference walker ------------------------------------------------------------ */

static void reference_run(const IrBlock *b, FakeEnv *env)
{
    g_autofree uint64_t *v = g_new0(uint64_t, b->n_temps);
    for (uint32_t t = 0; t < b->n_temps; t++) {
        if (b->temps[t].kind == IR_TEMP_CONST) {
            v[t] = b->temps[t].value;
        } else if (b->temps[t].kind == IR_TEMP_GLOBAL) {
            v[t] = *(uint64_t *)((char *)env + b->temps[t].offset);
        }
    }
    for (uint32_t k = 0; k < b->n_ops; k++) {
        const IrOp *op = &b->ops[k];
        const IrOpDef *def = &ir_op_defs[op->opc];
        const IrTemp *in = op->args + op->n_out;
        IrType ty = (IrType)op->type;
        uint64_t res = 0;
        if (op->opc == IR_OP_exit_return) {
            break;
        }
        if (op->opc == IR_OP_label || op->opc == IR_OP_nop) {
            continue;
        }
        if (op->opc == IR_OP_brcond) {
            if (ir_eval_cond((IrCond)op->imm[1], ty, v[in[0]], v[in[1]])) {
                while (!(b->ops[k].opc == IR_OP_label && b->ops[k].imm[0] == op->imm[0])) {
                    k++;
                }
            }
            continue;
        }
        if (op->opc == IR_OP_setcond) {
            res = ir_eval_cond((IrCond)op->imm[0], ty, v[in[0]], v[in[1]]);
        } else if (op->opc == IR_OP_movcond) {
            res = ir_eval_cond((IrCond)op->imm[0], ty, v[in[0]], v[in[1]]) ? v[in[2]]
                                                                          : v[in[3]];
        } else if (def->n_in == 2) {
            res = ir_eval_alu((IrOpcode)op->opc, ty, v[in[0]], v[in[1]]);
        } else {
            res = ir_eval_unary((IrOpcode)op->opc, ty, v[in[0]]);
        }
        v[op->args[0]] = res;
    }
    for (uint32_t t = 0; t < b->n_temps; t++) {
        if (b->temps[t].kind == IR_TEMP_GLOBAL) {
            *(uint64_t *)((char *)env + b->temps[t].offset) = v[t];
        }
    }
}

/* ---- Front end driven by the tests ------------------------------------------------ */

typedef void (*BuildFn)(IrBlock *b, uint64_t pc);
static BuildFn current_build;

static void test_translate(void *env, TranslationBlock *tb, IrBlock *b)
{
    current_build(b, tb->pc);
    tb->size = 4;
    tb->n_insns = 1;
    const char *err = ir_verify(b);
    g_assert_null(err);
}

static TbFrontend test_frontend = {.ctx = &ctx, .translate = test_translate};

static guint32 random_seed;
static void build_random_cb(IrBlock *b, uint64_t pc)
{
    build_random(b, random_seed);
}

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

static void init_env(FakeEnv *env, guint32 seed)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(seed ^ 0x5a5a5a5a);
    memset(env, 0, sizeof(*env));
    for (int i = 0; i < NREGS; i++) {
        env->r[i] = interesting(r);
    }
}

static void test_random_programs(void)
{
    setup_ctx();
    current_build = build_random_cb;
    for (guint32 seed = 1; seed <= 3000; seed++) {
        random_seed = seed;
        FakeEnv ref, noopt, opt;
        init_env(&ref, seed);
        noopt = ref;
        opt = ref;

        IrBlock b;
        ir_block_init(&b, &ctx);
        build_random(&b, seed);
        g_assert_null(ir_verify(&b));
        reference_run(&b, &ref);
        ir_block_destroy(&b);

        TbCache *c1 = tb_cache_new(&tci_backend, &test_frontend);
        tb_cache_set_debug(c1, TB_DEBUG_NO_OPT);
        TbExit e = run_block(c1, &noopt, 0x1000);
        g_assert_cmpint(e.kind, ==, TB_EXIT_RETURN);
        g_assert_cmpuint(e.code, ==, 7);
        tb_cache_free(c1);

        TbCache *c2 = tb_cache_new(&tci_backend, &test_frontend);
        run_block(c2, &opt, 0x1000);
        tb_cache_free(c2);

        for (int i = 0; i < NREGS; i++) {
            if (ref.r[i] != noopt.r[i] || ref.r[i] != opt.r[i]) {
                IrBlock d;
                ir_block_init(&d, &ctx);
                build_random(&d, seed);
                g_autofree char *s = ir_dump(&d);
                g_printerr("seed %u r%d: ref %#lx tci %#lx tci+opt %#lx\n%s", seed, i,
                           (unsigned long)ref.r[i], (unsigned long)noopt.r[i],
                           (unsigned long)opt.r[i], s);
                ir_block_destroy(&d);
                g_assert_not_reached();
            }
        }
    }
}

/* ---- Helpers, memory, chaining ---------------------------------------------------- */

static uint64_t helper_mix(uint64_t env, uint64_t a, uint64_t b)
{
    FakeEnv *e = (FakeEnv *)(uintptr_t)env;
    e->r[7] = 0x77;
    return a * 3 + b;
}

static void build_calls(IrBlock *b, uint64_t pc)
{
    IrTemp t = ir_temp(b, IR_I64);
    IR_CALL(b, helper_mix, IR_CALL_WRITES_ENV, t, b->env, g_r[0], ir_const64(b, 5));
    ir_mov(b, IR_I64, g_r[1], t);
    ir_exit_return(b, 0);
}

static void test_helper_call(void)
{
    setup_ctx();
    current_build = build_calls;
    TbCache *c = tb_cache_new(&tci_backend, &test_frontend);
    FakeEnv env = {.r = {10}};
    run_block(c, &env, 0);
    g_assert_cmpuint(env.r[1], ==, 35);
    g_assert_cmpuint(env.r[7], ==, 0x77);
    tb_cache_free(c);
}

static void build_memory(IrBlock *b, uint64_t pc)
{
    IrTemp t = ir_temp(b, IR_I64);
    ir_ld_guest(b, IR_I64, IR_MO_8 | IR_MO_SIGN, 0, t, g_r[0]);
    ir_mov(b, IR_I64, g_r[1], t);
    ir_ld_guest(b, IR_I64, IR_MO_32, 0, g_r[2], g_r[0]);
    ir_st_guest(b, IR_I64, IR_MO_16, 0, g_r[3], ir_const64(b, 8));
    ir_atomic_rmw(b, IR_I64, IR_MO_32 | IR_MO_SIGN, 0, IR_ATOMIC_ADD, g_r[4],
                  ir_const64(b, 16), g_r[5]);
    ir_cmpxchg(b, IR_I64, IR_MO_64, 0, g_r[6], ir_const64(b, 24), ir_const64(b, 1),
               ir_const64(b, 2));
    ir_exit_return(b, 0);
}

static void test_guest_memory(void)
{
    setup_ctx();
    current_build = build_memory;
    uint8_t mem[32] = {0x80, 0x01, 0x02, 0x03};
    uint32_t w = 0xfffffff0;
    memcpy(mem + 16, &w, 4);
    uint64_t one = 1;
    memcpy(mem + 24, &one, 8);
    fake_guest_base = (uintptr_t)mem;
    TbCache *c = tb_cache_new(&tci_backend, &test_frontend);
    FakeEnv env = {.r = {0, 0, 0, 0xabcd1234, 0, 0x20}};
    run_block(c, &env, 0);
    g_assert_cmphex(env.r[1], ==, 0xffffffffffffff80ull);
    g_assert_cmphex(env.r[2], ==, 0x03020180);
    g_assert_cmphex(mem[8] | mem[9] << 8, ==, 0x1234);
    g_assert_cmphex(env.r[4], ==, 0xfffffffffffffff0ull);
    memcpy(&w, mem + 16, 4);
    g_assert_cmphex(w, ==, 0x10);
    g_assert_cmphex(env.r[6], ==, 1);
    g_assert_cmphex(mem[24], ==, 2);
    tb_cache_free(c);
}

/* Block at pc 0 counts r0 up and chains to itself until r0 reaches r1. */
static void build_loop(IrBlock *b, uint64_t pc)
{
    uint32_t done = ir_new_label(b);
    ir_add_i64(b, g_r[0], g_r[0], ir_const64(b, 1));
    ir_brcond(b, IR_I64, IR_COND_GEU, g_r[0], g_r[1], done);
    ir_exit_direct(b, 0, 0);
    ir_label(b, done);
    ir_exit_direct(b, 1, 0x40);
}

static void test_chaining(void)
{
    setup_ctx();
    current_build = build_loop;
    TbCache *c = tb_cache_new(&tci_backend, &test_frontend);
    FakeEnv env = {.r = {0, 1000}};
    TbThread t;
    tb_thread_attach(c, &t);
    tb_exec_enter(&t);
    TranslationBlock *tb = tb_find(&t, &env, 0, 0);
    TbExit e = tci_backend.exec(c, &env, tb);
    g_assert_cmpint(e.kind, ==, TB_EXIT_CHAIN);
    g_assert_cmpuint(e.slot, ==, 0);
    g_assert_cmpuint(env.r[0], ==, 1);
    tb_link(c, tb, 0, tb);
    e = tci_backend.exec(c, &env, tb);
    /* Chained to itself: runs until the loop ends without coming back. */
    g_assert_cmpint(e.kind, ==, TB_EXIT_CHAIN);
    g_assert_cmpuint(e.slot, ==, 1);
    g_assert_cmpuint(env.r[0], ==, 1000);
    g_assert_cmphex(env.pc, ==, 0x40);

    /* An exit request stops the chain at the next block boundary. */
    env.r[0] = 0;
    env.exit_request = 1;
    e = tci_backend.exec(c, &env, tb);
    g_assert_cmpint(e.kind, ==, TB_EXIT_REQUEST);
    g_assert_cmpuint(env.r[0], ==, 1);

    /* A flush retires the block: its self-chain is no longer followed. */
    env.exit_request = 0;
    tb_flush(c);
    g_assert_true(tb->invalid);
    e = tci_backend.exec(c, &env, tb);
    g_assert_cmpint(e.kind, ==, TB_EXIT_CHAIN);
    g_assert_cmpuint(env.r[0], ==, 2);
    tb_exec_leave(&t);
    tb_thread_detach(&t);
    tb_cache_free(c);
}

static void test_verify_rejects(void)
{
    setup_ctx();
    IrBlock b;
    ir_block_init(&b, &ctx);
    uint32_t l = ir_new_label(&b);
    ir_label(&b, l);
    ir_br(&b, l);
    ir_exit_return(&b, 0);
    g_assert_nonnull(ir_verify(&b));
    ir_block_reset(&b);
    ir_add_i64(&b, g_r[0], g_r[0], g_r[1]);
    g_assert_nonnull(ir_verify(&b)); /* no exit */
    ir_block_destroy(&b);
}

static void test_optimizer_folds(void)
{
    setup_ctx();
    IrBlock b;
    ir_block_init(&b, &ctx);
    IrTemp t = ir_temp(&b, IR_I64), u = ir_temp(&b, IR_I64);
    ir_movi(&b, IR_I64, t, 40);
    ir_add_i64(&b, u, t, ir_const64(&b, 2));
    ir_mov(&b, IR_I64, g_r[0], u);
    ir_add_i64(&b, g_r[1], g_r[1], ir_const64(&b, 0));
    ir_exit_return(&b, 0);
    ir_optimize(&b);
    /* What remains: r0 = $42 and the exit; the dead locals and the add of 0 are gone. */
    g_autofree char *s = ir_dump(&b);
    g_assert_cmpuint(b.n_ops, ==, 2);
    g_assert_nonnull(strstr(s, "mov_i64 r0 <- $0x2a"));
    ir_block_destroy(&b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ir/random-programs", test_random_programs);
    g_test_add_func("/ir/helper-call", test_helper_call);
    g_test_add_func("/ir/guest-memory", test_guest_memory);
    g_test_add_func("/ir/chaining", test_chaining);
    g_test_add_func("/ir/verify-rejects", test_verify_rejects);
    g_test_add_func("/ir/optimizer-folds", test_optimizer_folds);
    return g_test_run();
}
