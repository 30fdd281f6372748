/*
 * The IR optimizer: one forward pass of constant folding, copy propagation and
 * algebraic simplification, then one backward pass of dead code elimination.
 *
 * Knowledge (this temp is that constant / a copy of that temp) is forgotten at labels,
 * since a label joins paths the forward pass has not followed, and knowledge about
 * globals is forgotten at calls that may write env. Folding uses ir_eval_*, the very
 * functions the interpreter executes, so it cannot change a block's meaning.
 *
 * DCE only removes ops without side effects whose outputs are locals that no later op
 * reads. Branches only go forward (ir_verify checks it), so "read by a later op in list
 * order" over-approximates "read on some path", which keeps the pass one linear sweep.
 */
#include "tcg/ir/ir.h"

#include <glib.h>
#include <string.h>

typedef struct TempState {
    IrTemp copy_of; /* IR_TEMP_NONE, or a temp (possibly a constant) holding our value */
} TempState;

typedef struct Opt {
    IrBlock *b;
    TempState *ts;
} Opt;

static void forget(Opt *o, IrTemp t)
{
    o->ts[t].copy_of = IR_TEMP_NONE;
    for (uint32_t i = 0; i < o->b->n_temps; i++) {
        if (o->ts[i].copy_of == t) {
            o->ts[i].copy_of = IR_TEMP_NONE;
        }
    }
}

static void forget_all(Opt *o)
{
    for (uint32_t i = 0; i < o->b->n_temps; i++) {
        o->ts[i].copy_of = IR_TEMP_NONE;
    }
}

static void forget_globals(Opt *o)
{
    for (uint32_t i = 0; i < o->b->n_temps; i++) {
        IrTemp c = o->ts[i].copy_of;
        if (o->b->temps[i].kind == IR_TEMP_GLOBAL ||
            (c != IR_TEMP_NONE && o->b->temps[c].kind == IR_TEMP_GLOBAL)) {
            o->ts[i].copy_of = IR_TEMP_NONE;
        }
    }
}

/* Forgets what is known of the global at the context's pc offset, if there is one. */
static void forget_pc(Opt *o)
{
    for (uint32_t i = 0; i < o->b->ctx->n_globals; i++) {
        if (o->b->temps[i].offset == o->b->ctx->pc_offset) {
            forget(o, i);
        }
    }
}

static IrTemp resolve(Opt *o, IrTemp t)
{
    IrTemp c = o->ts[t].copy_of;
    return c == IR_TEMP_NONE ? t : c;
}

static bool is_const(Opt *o, IrTemp t, uint64_t *v)
{
    if (o->b->temps[t].kind != IR_TEMP_CONST) {
        return false;
    }
    *v = o->b->temps[t].value;
    return true;
}

static void make_mov(Opt *o, IrOp *op, IrTemp src)
{
    IrTemp d = op->args[0];
    memset(op->args, 0, sizeof(op->args));
    op->opc = IR_OP_mov;
    op->n_out = 1;
    op->n_in = 1;
    op->args[0] = d;
    op->args[1] = src;
    memset(op->imm, 0, sizeof(op->imm));
    (void)o;
}

static void make_movi(Opt *o, IrOp *op, uint64_t v)
{
    make_mov(o, op, ir_const(o->b, (IrType)op->type, v));
}

/* x op c for the identities that need no folding of x. Returns true if op changed. */
static bool simplify_identity(Opt *o, IrOp *op)
{
    uint64_t c;
    IrTemp x = op->args[1];
    if (!is_const(o, op->args[2], &c)) {
        return false;
    }
    uint64_t ones = op->type == IR_I32 ? UINT32_MAX : UINT64_MAX;
    switch (op->opc) {
    case IR_OP_add:
    case IR_OP_sub:
    case IR_OP_or:
    case IR_OP_xor:
    case IR_OP_shl:
    case IR_OP_shr:
    case IR_OP_sar:
    case IR_OP_rotl:
    case IR_OP_rotr:
        if (c == 0) {
            make_mov(o, op, x);
            return true;
        }
        break;
    case IR_OP_and:
        if (c == 0) {
            make_movi(o, op, 0);
            return true;
        }
        if (c == ones) {
            make_mov(o, op, x);
            return true;
        }
        break;
    case IR_OP_mul:
        if (c == 1) {
            make_mov(o, op, x);
            return true;
        }
        if (c == 0) {
            make_movi(o, op, 0);
            return true;
        }
        break;
    default:
        break;
    }
    return false;
}

static void fold_op(Opt *o, IrOp *op)
{
    const IrOpDef *def = &ir_op_defs[op->opc];
    uint64_t a, c;
    if (def->flags & IR_OPF_COMMUTATIVE && is_const(o, op->args[1], &a) &&
        !is_const(o, op->args[2], &c)) {
        IrTemp t = op->args[1];
        op->args[1] = op->args[2];
        op->args[2] = t;
    }
    if (op->opc == IR_OP_setcond) {
        if (is_const(o, op->args[1], &a) && is_const(o, op->args[2], &c)) {
            make_movi(o, op, ir_eval_cond((IrCond)op->imm[0], (IrType)op->type, a, c));
        }
        return;
    }
    if (op->opc == IR_OP_movcond) {
        if (is_const(o, op->args[1], &a) && is_const(o, op->args[2], &c)) {
            bool t = ir_eval_cond((IrCond)op->imm[0], (IrType)op->type, a, c);
            make_mov(o, op, t ? op->args[3] : op->args[4]);
        }
        return;
    }
    if (!(def->flags & IR_OPF_ALU)) {
        if ((op->opc == IR_OP_ext_i32 || op->opc == IR_OP_extu_i32 ||
             op->opc == IR_OP_trunc_i64) &&
            is_const(o, op->args[1], &a)) {
            IrType to = op->opc == IR_OP_trunc_i64 ? IR_I32 : IR_I64;
            uint64_t v = ir_eval_unary((IrOpcode)op->opc, IR_I64, a);
            op->type = to;
            make_movi(o, op, v);
        }
        return;
    }
    if (op->n_in == 1 && is_const(o, op->args[1], &a)) {
        make_movi(o, op, ir_eval_unary((IrOpcode)op->opc, (IrType)op->type, a));
        return;
    }
    if (op->n_in == 2 && is_const(o, op->args[1], &a) && is_const(o, op->args[2], &c)) {
        make_movi(o, op, ir_eval_alu((IrOpcode)op->opc, (IrType)op->type, a, c));
        return;
    }
    if (op->n_in == 2) {
        simplify_identity(o, op);
    }
}

static void fold_branch(Opt *o, IrOp *op)
{
    uint64_t a, c;
    if (!is_const(o, op->args[0], &a) || !is_const(o, op->args[1], &c)) {
        return;
    }
    if (ir_eval_cond((IrCond)op->imm[1], (IrType)op->type, a, c)) {
        uint64_t label = op->imm[0];
        memset(op, 0, sizeof(*op));
        op->opc = IR_OP_br;
        op->type = IR_I64;
        op->imm[0] = label;
    } else {
        memset(op, 0, sizeof(*op));
        op->opc = IR_OP_nop;
    }
}

static void forward_pass(Opt *o)
{
    IrBlock *b = o->b;
    for (uint32_t k = 0; k < b->n_ops; k++) {
        IrOp *op = &b->ops[k];
        if (op->opc == IR_OP_label) {
            forget_all(o);
            continue;
        }
        if (op->opc == IR_OP_insn_start) {
            forget_pc(o); /* back ends may store the guest pc here */
            continue;
        }
        for (unsigned i = op->n_out; i < op->n_out + op->n_in; i++) {
            op->args[i] = resolve(o, op->args[i]);
        }
        if (op->opc == IR_OP_brcond) {
            fold_branch(o, op);
            continue;
        }
        if (op->n_out && op->opc != IR_OP_call) {
            fold_op(o, op);
        }
        if (op->opc == IR_OP_call && (b->calls[op->imm[0]].flags & IR_CALL_WRITES_ENV)) {
            forget_globals(o);
        }
        for (unsigned i = 0; i < op->n_out; i++) {
            forget(o, op->args[i]);
        }
        if (op->opc == IR_OP_mov && op->args[0] != op->args[1]) {
            /* Only record copies whose type matches, so uses keep their type. */
            IrTemp d = op->args[0], s = op->args[1];
            if (b->temps[d].type == b->temps[s].type) {
                o->ts[d].copy_of = s;
            }
        }
    }
}

static bool removable(const IrBlock *b, const IrOp *op)
{
    if (op->opc == IR_OP_nop) {
        return true;
    }
    if (op->opc == IR_OP_mov && op->args[0] == op->args[1]) {
        return true;
    }
    const IrOpDef *def = &ir_op_defs[op->opc];
    if (op->opc == IR_OP_call) {
        const IrCallInfo *ci = &b->calls[op->imm[0]];
        return !(ci->flags & (IR_CALL_SIDE_EFFECTS | IR_CALL_WRITES_ENV | IR_CALL_MAY_RAISE)) &&
               op->n_out == 1;
    }
    if (def->flags & (IR_OPF_SIDE_EFFECTS | IR_OPF_BB_END | IR_OPF_EXIT)) {
        return false;
    }
    return op->n_out > 0;
}

static void dce_pass(Opt *o)
{
    IrBlock *b = o->b;
    bool *used = g_new0(bool, b->n_temps);
    bool *dead = g_new0(bool, b->n_ops);
    for (uint32_t k = b->n_ops; k-- > 0;) {
        IrOp *op = &b->ops[k];
        if (removable(b, op)) {
            bool all_dead = true;
            for (unsigned i = 0; i < op->n_out; i++) {
                IrTemp t = op->args[i];
                if (b->temps[t].kind != IR_TEMP_LOCAL || used[t]) {
                    all_dead = false;
                }
            }
            if (all_dead || op->opc == IR_OP_nop ||
                (op->opc == IR_OP_mov && op->args[0] == op->args[1])) {
                dead[k] = true;
                continue;
            }
        }
        for (unsigned i = op->n_out; i < op->n_out + op->n_in; i++) {
            used[op->args[i]] = true;
        }
    }
    uint32_t n = 0;
    for (uint32_t k = 0; k < b->n_ops; k++) {
        if (!dead[k]) {
            b->ops[n++] = b->ops[k];
        }
    }
    b->n_ops = n;
    g_free(used);
    g_free(dead);
}

void ir_optimize(IrBlock *b)
{
    /* Folding creates at most one constant temp per op. */
    uint32_t cap = b->n_temps + b->n_ops + 1;
    Opt o = {.b = b, .ts = g_new(TempState, cap)};
    for (uint32_t i = 0; i < cap; i++) {
        o.ts[i].copy_of = IR_TEMP_NONE;
    }
    forward_pass(&o);
    g_free(o.ts);
    dce_pass(&o);
}
