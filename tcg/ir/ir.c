/*
 * IR construction: temps, constants, labels and the emitters, plus the shared evaluation
 * of ALU ops (the optimizer folds with it and the interpreter executes with it, so the two
 * agree by construction) and a listing for debugging.
 */
#include "tcg/ir/ir.h"

#include <glib.h>
#include <string.h>

const IrOpDef ir_op_defs[IR_OP_MAX] = {
#define DEF(n, nout, nin, nimm, fl) [IR_OP_##n] = {#n, nout, nin, nimm, fl},
#include "tcg/ir/ir-ops.def"
#undef DEF
};

/* Constant interning: open addressing, cleared lazily by bumping a generation. */
#define CONST_CACHE_SIZE 1024
struct IrConstCache {
    uint32_t generation;
    uint32_t used;
    struct {
        uint32_t generation; /* the slot is valid when it equals the cache's */
        IrTemp temp;
        uint64_t value;
        uint8_t type;
    } slot[CONST_CACHE_SIZE];
};

void ir_context_init(IrContext *ctx, int32_t pc_offset, int32_t scratch_offset,
                     int32_t exit_request_offset)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->pc_offset = pc_offset;
    ctx->scratch_offset = scratch_offset;
    ctx->exit_request_offset = exit_request_offset;
}

IrTemp ir_context_global(IrContext *ctx, IrType type, int32_t offset, const char *name)
{
    g_assert(ctx->n_globals < IR_MAX_GLOBALS);
    g_assert(offset % 8 == 0);
    IrTempInfo *t = &ctx->globals[ctx->n_globals];
    t->kind = IR_TEMP_GLOBAL;
    t->type = type;
    t->offset = offset;
    t->name = name;
    return ctx->n_globals++;
}

static IrTemp new_temp(IrBlock *b, IrTempKind kind, IrType type)
{
    if (b->n_temps == b->cap_temps) {
        b->cap_temps = b->cap_temps ? b->cap_temps * 2 : 256;
        b->temps = g_renew(IrTempInfo, b->temps, b->cap_temps);
    }
    IrTempInfo *t = &b->temps[b->n_temps];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->type = type;
    return b->n_temps++;
}

void ir_block_init(IrBlock *b, const IrContext *ctx)
{
    memset(b, 0, sizeof(*b));
    b->ctx = ctx;
    b->consts = g_new0(struct IrConstCache, 1);
    ir_block_reset(b);
}

void ir_block_reset(IrBlock *b)
{
    b->n_ops = 0;
    b->n_calls = 0;
    b->n_labels = 0;
    b->n_temps = 0;
    for (uint32_t i = 0; i < b->ctx->n_globals; i++) {
        IrTemp t = new_temp(b, IR_TEMP_GLOBAL, b->ctx->globals[i].type);
        b->temps[t] = b->ctx->globals[i];
    }
    b->env = new_temp(b, IR_TEMP_ENV, IR_I64);
    b->consts->generation++;
    b->consts->used = 0;
}

void ir_block_destroy(IrBlock *b)
{
    if (!b->consts) {
        return;
    }
    g_free(b->consts);
    g_free(b->ops);
    g_free(b->temps);
    g_free(b->calls);
    memset(b, 0, sizeof(*b));
}

IrTemp ir_temp(IrBlock *b, IrType type)
{
    return new_temp(b, IR_TEMP_LOCAL, type);
}

IrTemp ir_const(IrBlock *b, IrType type, uint64_t value)
{
    if (type == IR_I32) {
        value = (uint32_t)value;
    }
    struct IrConstCache *c = b->consts;
    uint32_t h = (uint32_t)((value * 0x9e3779b97f4a7c15ull) >> 40) ^ type;
    for (uint32_t i = 0; i < CONST_CACHE_SIZE; i++) {
        __typeof__(c->slot[0]) *s = &c->slot[(h + i) % CONST_CACHE_SIZE];
        if (s->generation != c->generation) {
            IrTemp t = new_temp(b, IR_TEMP_CONST, type);
            b->temps[t].value = value;
            if (c->used < CONST_CACHE_SIZE * 3 / 4) {
                c->used++;
                s->generation = c->generation;
                s->temp = t;
                s->value = value;
                s->type = type;
            }
            return t;
        }
        if (s->value == value && s->type == type) {
            return s->temp;
        }
    }
    g_assert_not_reached();
}

uint32_t ir_new_label(IrBlock *b)
{
    return b->n_labels++;
}

IrOp *ir_emit(IrBlock *b, IrOpcode opc, IrType type, unsigned n_out, unsigned n_in,
              const IrTemp *args)
{
    g_assert(n_out + n_in <= IR_MAX_ARGS);
    if (b->n_ops == b->cap_ops) {
        b->cap_ops = b->cap_ops ? b->cap_ops * 2 : 256;
        b->ops = g_renew(IrOp, b->ops, b->cap_ops);
    }
    IrOp *op = &b->ops[b->n_ops++];
    memset(op, 0, sizeof(*op));
    op->opc = opc;
    op->type = type;
    op->n_out = n_out;
    op->n_in = n_in;
    if (n_out + n_in) {
        memcpy(op->args, args, (n_out + n_in) * sizeof(IrTemp));
    }
    return op;
}

static IrOp *emit_def(IrBlock *b, IrOpcode opc, IrType type, const IrTemp *args)
{
    const IrOpDef *def = &ir_op_defs[opc];
    return ir_emit(b, opc, type, def->n_out, def->n_in, args);
}

void ir_op1(IrBlock *b, IrOpcode opc, IrType type, IrTemp d, IrTemp a)
{
    emit_def(b, opc, type, (IrTemp[]){d, a});
}

void ir_op2(IrBlock *b, IrOpcode opc, IrType type, IrTemp d, IrTemp a, IrTemp c)
{
    emit_def(b, opc, type, (IrTemp[]){d, a, c});
}

void ir_mov(IrBlock *b, IrType type, IrTemp d, IrTemp a)
{
    if (d != a) {
        ir_op1(b, IR_OP_mov, type, d, a);
    }
}

void ir_movi(IrBlock *b, IrType type, IrTemp d, uint64_t v)
{
    ir_op1(b, IR_OP_mov, type, d, ir_const(b, type, v));
}

void ir_setcond(IrBlock *b, IrType type, IrCond cond, IrTemp d, IrTemp a, IrTemp c)
{
    emit_def(b, IR_OP_setcond, type, (IrTemp[]){d, a, c})->imm[0] = cond;
}

void ir_movcond(IrBlock *b, IrType type, IrCond cond, IrTemp d, IrTemp a, IrTemp c,
                IrTemp vtrue, IrTemp vfalse)
{
    emit_def(b, IR_OP_movcond, type, (IrTemp[]){d, a, c, vtrue, vfalse})->imm[0] = cond;
}

void ir_label(IrBlock *b, uint32_t label)
{
    emit_def(b, IR_OP_label, IR_I64, NULL)->imm[0] = label;
}

void ir_br(IrBlock *b, uint32_t label)
{
    emit_def(b, IR_OP_br, IR_I64, NULL)->imm[0] = label;
}

void ir_brcond(IrBlock *b, IrType type, IrCond cond, IrTemp a, IrTemp c, uint32_t label)
{
    IrOp *op = emit_def(b, IR_OP_brcond, type, (IrTemp[]){a, c});
    op->imm[0] = label;
    op->imm[1] = cond;
}

void ir_ld_env(IrBlock *b, IrType type, IrMemOp mo, IrTemp d, int32_t offset)
{
    IrOp *op = emit_def(b, IR_OP_ld_env, type, (IrTemp[]){d});
    op->imm[0] = mo;
    op->imm[1] = (uint64_t)(int64_t)offset;
}

void ir_st_env(IrBlock *b, IrType type, IrMemOp mo, IrTemp v, int32_t offset)
{
    IrOp *op = emit_def(b, IR_OP_st_env, type, (IrTemp[]){v});
    op->imm[0] = mo;
    op->imm[1] = (uint64_t)(int64_t)offset;
}

void ir_ld_guest(IrBlock *b, IrType type, IrMemOp mo, unsigned mmu_idx, IrTemp d, IrTemp addr)
{
    IrOp *op = emit_def(b, IR_OP_ld_guest, type, (IrTemp[]){d, addr});
    op->imm[0] = mo;
    op->imm[1] = mmu_idx;
}

void ir_st_guest(IrBlock *b, IrType type, IrMemOp mo, unsigned mmu_idx, IrTemp v, IrTemp addr)
{
    IrOp *op = emit_def(b, IR_OP_st_guest, type, (IrTemp[]){v, addr});
    op->imm[0] = mo;
    op->imm[1] = mmu_idx;
}

void ir_cmpxchg(IrBlock *b, IrType type, IrMemOp mo, unsigned mmu_idx, IrTemp d, IrTemp addr,
                IrTemp expect, IrTemp newv)
{
    IrOp *op = emit_def(b, IR_OP_cmpxchg, type, (IrTemp[]){d, addr, expect, newv});
    op->imm[0] = mo;
    op->imm[1] = mmu_idx;
}

void ir_atomic_rmw(IrBlock *b, IrType type, IrMemOp mo, unsigned mmu_idx, IrAtomicOp aop,
                   IrTemp d, IrTemp addr, IrTemp v)
{
    IrOp *op = emit_def(b, IR_OP_atomic_rmw, type, (IrTemp[]){d, addr, v});
    op->imm[0] = mo;
    op->imm[1] = mmu_idx;
    op->imm[2] = aop;
}

void ir_mb(IrBlock *b, unsigned bits)
{
    emit_def(b, IR_OP_mb, IR_I64, NULL)->imm[0] = bits;
}

void ir_call(IrBlock *b, const void *fn, const char *name, uint32_t flags, IrTemp d,
             unsigned n_in, const IrTemp *in)
{
    g_assert(n_in <= IR_CALL_MAX_ARGS);
    if (b->n_calls == b->cap_calls) {
        b->cap_calls = b->cap_calls ? b->cap_calls * 2 : 32;
        b->calls = g_renew(IrCallInfo, b->calls, b->cap_calls);
    }
    b->calls[b->n_calls] = (IrCallInfo){.fn = fn, .name = name, .flags = flags};
    IrTemp args[IR_MAX_ARGS];
    unsigned n_out = d != IR_TEMP_NONE;
    if (n_out) {
        args[0] = d;
    }
    for (unsigned i = 0; i < n_in; i++) {
        args[n_out + i] = in[i];
    }
    IrOp *op = ir_emit(b, IR_OP_call, IR_I64, n_out, n_in, args);
    op->imm[0] = b->n_calls++;
}

void ir_insn_start(IrBlock *b, uint64_t pc)
{
    emit_def(b, IR_OP_insn_start, IR_I64, NULL)->imm[0] = pc;
}

void ir_exit_direct(IrBlock *b, unsigned slot, uint64_t pc)
{
    IrOp *op = emit_def(b, IR_OP_exit_direct, IR_I64, NULL);
    op->imm[0] = slot;
    op->imm[1] = pc;
}

void ir_exit_indirect(IrBlock *b)
{
    emit_def(b, IR_OP_exit_indirect, IR_I64, NULL);
}

void ir_exit_return(IrBlock *b, uint64_t code)
{
    emit_def(b, IR_OP_exit_return, IR_I64, NULL)->imm[0] = code;
}
