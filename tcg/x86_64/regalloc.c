/*
 * The register allocator: local, on the fly, one pass over the block's ops.
 *
 * Each temp is in a host register or in memory: globals in their env field, locals in a
 * spill slot of the env's IR scratch area (allocated on first spill, freed when the
 * local dies), constants nowhere (they are rematerialized). A register copy may be
 * dirty (newer than memory). Liveness is the index of each temp's last mention: the IR
 * only branches forward, so a temp is needed exactly until that op.
 *
 * Ops ask for their inputs in registers (ra_in), for an output register (ra_alloc,
 * ra_out_2addr) and for fixed registers (ra_clobber); registers an op is using are
 * locked until the next op. When no register is free, a victim is chosen round-robin,
 * preferring one whose value is already in memory.
 *
 * Memory is made canonical where the IR demands it (see the callers): dirty globals are
 * stored before anything that may observe env (helpers, ops that may raise, exits);
 * at branches every live value is stored, and at labels every register is forgotten,
 * so both paths into a label agree without any merging.
 */
#include "tcg/x86_64/jit-internal.h"

/* Callee-saved registers first: their values survive helper calls. rax, rdx and rcx come
 * last because division, wide multiplication and shifts need them. */
static const X86Reg alloc_order[] = {
    RBX, R12, R13, R14, RSI, RDI, R8, R9, R10, RAX, RDX, RCX, R15,
};

#define BIT(r) (1u << (r))
#define CALLER_SAVED                                                                               \
    (BIT(RAX) | BIT(RCX) | BIT(RDX) | BIT(RSI) | BIT(RDI) | BIT(R8) | BIT(R9) | BIT(R10) | BIT(R11))

static X86Mem temp_mem(const JitGen *g, IrTemp t)
{
    if (jit_is_global(g, t)) {
        return x86_mem(JIT_ENV, g->b->temps[t].offset);
    }
    g_assert(g->ts[t].slot >= 0);
    return x86_mem(JIT_ENV, g->ctx->scratch_offset + 8 * g->ts[t].slot);
}

static int slot_alloc(JitGen *g)
{
    for (int s = 0; s < IR_SCRATCH_SLOTS; s++) {
        if (!g->slot_busy[s]) {
            g->slot_busy[s] = 1;
            return s;
        }
    }
    g_error("jit: block needs more than %d spill slots", IR_SCRATCH_SLOTS);
}

void ra_init(JitGen *g)
{
    const IrBlock *b = g->b;
    for (uint32_t t = 0; t < b->n_temps; t++) {
        g->ts[t] = (JitTempState){.reg = -1, .slot = -1};
        g->last_use[t] = 0;
    }
    for (uint32_t k = 0; k < b->n_ops; k++) {
        const IrOp *op = &b->ops[k];
        for (unsigned i = 0; i < op->n_out + op->n_in; i++) {
            g->last_use[op->args[i]] = k;
        }
    }
    for (int r = 0; r < X86_NREGS; r++) {
        g->reg_temp[r] = IR_TEMP_NONE;
    }
    g->allocatable = 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(alloc_order); i++) {
        g->allocatable |= BIT(alloc_order[i]);
    }
    if (g->ctx->mem && g->ctx->mem->guest_base) {
        g->allocatable &= ~BIT(JIT_GUEST_BASE);
    }
    g->locked = 0;
    g->next_victim = 0;
}

void ra_op_begin(JitGen *g)
{
    g->locked = 0;
    g->n_keep = 0;
}

bool ra_dies_here(const JitGen *g, IrTemp t)
{
    uint8_t kind = g->b->temps[t].kind;
    return (kind == IR_TEMP_LOCAL || kind == IR_TEMP_CONST) && g->last_use[t] == g->op_idx;
}

/* Whether t's value is needed by the current op or a later one. */
static bool needed(const JitGen *g, IrTemp t)
{
    return jit_is_global(g, t) || g->last_use[t] >= g->op_idx;
}

/* Whether t's register copy can be dropped without a store. */
static bool clean(const JitGen *g, IrTemp t)
{
    const JitTempState *ts = &g->ts[t];
    switch (g->b->temps[t].kind) {
    case IR_TEMP_GLOBAL:
        return !ts->dirty;
    case IR_TEMP_LOCAL:
        return !needed(g, t) || (!ts->dirty && ts->in_mem);
    default:
        return true;
    }
}

static void unmap(JitGen *g, X86Reg r)
{
    IrTemp t = g->reg_temp[r];
    if (t != IR_TEMP_NONE) {
        g->ts[t].reg = -1;
        g->reg_temp[r] = IR_TEMP_NONE;
    }
}

static void map(JitGen *g, IrTemp t, X86Reg r)
{
    g->reg_temp[r] = t;
    g->ts[t].reg = (int8_t)r;
}

/* Stores t's register copy to memory if memory does not already hold it. */
static void spill(JitGen *g, IrTemp t)
{
    JitTempState *ts = &g->ts[t];
    g_assert(ts->reg >= 0);
    if (clean(g, t)) {
        return;
    }
    if (!jit_is_global(g, t) && ts->slot < 0) {
        ts->slot = (int16_t)slot_alloc(g);
    }
    x86_store(&g->e, 3, (X86Reg)ts->reg, temp_mem(g, t));
    ts->dirty = false;
    ts->in_mem = true;
}

static void evict(JitGen *g, X86Reg r)
{
    IrTemp t = g->reg_temp[r];
    if (t != IR_TEMP_NONE) {
        spill(g, t);
        unmap(g, r);
    }
}

static X86Reg find_free(const JitGen *g, uint32_t cand)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(alloc_order); i++) {
        X86Reg r = alloc_order[i];
        if ((cand & BIT(r)) && g->reg_temp[r] == IR_TEMP_NONE) {
            return r;
        }
    }
    return X86_NOREG;
}

X86Reg ra_alloc(JitGen *g, uint32_t avoid)
{
    uint32_t cand = g->allocatable & ~avoid & ~g->locked;
    X86Reg r = find_free(g, cand);
    if (r == X86_NOREG) {
        unsigned n = G_N_ELEMENTS(alloc_order);
        for (unsigned i = 0; i < n; i++) {
            X86Reg v = alloc_order[(g->next_victim + i) % n];
            if (!(cand & BIT(v))) {
                continue;
            }
            if (clean(g, g->reg_temp[v])) {
                r = v;
                break;
            }
            if (r == X86_NOREG) {
                r = v;
            }
        }
        g->next_victim++;
        g_assert(r != X86_NOREG);
        evict(g, r);
    }
    g->locked |= BIT(r);
    return r;
}

X86Reg ra_reg_of(const JitGen *g, IrTemp t)
{
    return (X86Reg)g->ts[t].reg;
}

X86Reg ra_in(JitGen *g, IrTemp t, uint32_t avoid)
{
    JitTempState *ts = &g->ts[t];
    if (ts->reg >= 0) {
        X86Reg old = (X86Reg)ts->reg;
        if (!(avoid & BIT(old))) {
            g->locked |= BIT(old);
            return old;
        }
        X86Reg r = ra_alloc(g, avoid);
        x86_mov_rr(&g->e, true, r, old);
        g->reg_temp[old] = IR_TEMP_NONE;
        map(g, t, r);
        return r;
    }
    X86Reg r = ra_alloc(g, avoid);
    switch (g->b->temps[t].kind) {
    case IR_TEMP_CONST:
        x86_movi(&g->e, r, jit_const_val(g, t), false);
        break;
    case IR_TEMP_GLOBAL:
        if (t == g->pc_global) {
            jit_flush_pc(g);
        }
        x86_load(&g->e, 3, false, true, r, temp_mem(g, t));
        break;
    case IR_TEMP_LOCAL:
        if (ts->in_mem) {
            x86_load(&g->e, 3, false, true, r, temp_mem(g, t));
        }
        break;
    default:
        x86_mov_rr(&g->e, true, r, JIT_ENV);
        break;
    }
    ts->dirty = false;
    map(g, t, r);
    return r;
}

void ra_bind(JitGen *g, IrTemp d, X86Reg r)
{
    JitTempState *ts = &g->ts[d];
    if (ts->reg >= 0 && ts->reg != (int8_t)r) {
        g->reg_temp[ts->reg] = IR_TEMP_NONE;
    }
    IrTemp prev = g->reg_temp[r];
    if (prev != IR_TEMP_NONE && prev != d) {
        /* Only a value this op consumed may be overwritten. */
        g_assert(!jit_is_global(g, prev) && g->last_use[prev] <= g->op_idx);
        g->ts[prev].reg = -1;
    }
    map(g, d, r);
    ts->dirty = true;
    ts->in_mem = false;
    g->locked |= BIT(r);
    if (d == g->pc_global) {
        g->pc_pending = false;
    }
}

void ra_clobber(JitGen *g, uint32_t mask)
{
    g->locked |= mask;
    for (int r = 0; r < X86_NREGS; r++) {
        IrTemp t = g->reg_temp[r];
        if (!(mask & BIT(r)) || t == IR_TEMP_NONE) {
            continue;
        }
        X86Reg to = needed(g, t) ? find_free(g, g->allocatable & ~g->locked) : X86_NOREG;
        if (to != X86_NOREG) {
            x86_mov_rr(&g->e, true, to, (X86Reg)r);
            g->reg_temp[r] = IR_TEMP_NONE;
            map(g, t, to);
        } else {
            evict(g, (X86Reg)r);
        }
    }
}

X86Reg ra_out_2addr(JitGen *g, IrTemp d, IrTemp a, bool w, uint32_t avoid)
{
    X86Reg ra = ra_reg_of(g, a);
    if (ra != X86_NOREG && !(avoid & BIT(ra)) && (d == a || ra_dies_here(g, a))) {
        if (d != a) {
            unmap(g, ra);
        }
        g->locked |= BIT(ra);
        return ra;
    }
    X86Reg r = ra_alloc(g, avoid);
    if (ra != X86_NOREG) {
        x86_mov_rr(&g->e, w, r, ra);
    } else {
        g_assert(jit_is_const(g, a));
        x86_movi(&g->e, r, jit_const_val(g, a), false);
    }
    return r;
}

void ra_release_dead(JitGen *g, const IrOp *op)
{
    for (unsigned i = 0; i < op->n_out + op->n_in; i++) {
        IrTemp t = op->args[i];
        uint8_t kind = g->b->temps[t].kind;
        if ((kind != IR_TEMP_LOCAL && kind != IR_TEMP_CONST) || g->last_use[t] != g->op_idx) {
            continue;
        }
        JitTempState *ts = &g->ts[t];
        if (ts->reg >= 0) {
            unmap(g, (X86Reg)ts->reg);
        }
        if (ts->slot >= 0) {
            g->slot_busy[ts->slot] = 0;
            ts->slot = -1;
        }
        ts->in_mem = false;
    }
}

void ra_load_into(JitGen *g, IrTemp t, X86Reg r)
{
    const JitTempState *ts = &g->ts[t];
    if (ts->reg >= 0) {
        if (ts->reg != (int8_t)r) {
            x86_mov_rr(&g->e, true, r, (X86Reg)ts->reg);
        }
        return;
    }
    switch (g->b->temps[t].kind) {
    case IR_TEMP_CONST:
        x86_movi(&g->e, r, jit_const_val(g, t), false);
        break;
    case IR_TEMP_GLOBAL:
        if (t == g->pc_global) {
            jit_flush_pc(g);
        }
        x86_load(&g->e, 3, false, true, r, temp_mem(g, t));
        break;
    case IR_TEMP_LOCAL:
        if (ts->in_mem) {
            x86_load(&g->e, 3, false, true, r, temp_mem(g, t));
        }
        break;
    default:
        x86_mov_rr(&g->e, true, r, JIT_ENV);
        break;
    }
}

void ra_discard(JitGen *g, IrTemp t)
{
    if (g->ts[t].reg >= 0) {
        unmap(g, (X86Reg)g->ts[t].reg);
    }
    g->ts[t].dirty = false;
}

void ra_sync_globals(JitGen *g)
{
    for (int r = 0; r < X86_NREGS; r++) {
        IrTemp t = g->reg_temp[r];
        if (t != IR_TEMP_NONE && jit_is_global(g, t)) {
            spill(g, t);
        }
    }
}

void ra_save_for_branch(JitGen *g)
{
    for (int r = 0; r < X86_NREGS; r++) {
        IrTemp t = g->reg_temp[r];
        if (t != IR_TEMP_NONE && (jit_is_global(g, t) || g->last_use[t] > g->op_idx)) {
            spill(g, t);
        }
    }
}

void ra_forget_all(JitGen *g)
{
    for (int r = 0; r < X86_NREGS; r++) {
        unmap(g, (X86Reg)r);
    }
    /* Every path that jumps here stored its live values, and so did the fall-through if
     * there is one; a fall-through ended by an exit may have left other flags behind. */
    for (uint32_t t = 0; t < g->b->n_temps; t++) {
        JitTempState *ts = &g->ts[t];
        ts->dirty = false;
        if (g->b->temps[t].kind == IR_TEMP_LOCAL) {
            ts->in_mem = ts->slot >= 0 && g->last_use[t] > g->op_idx;
        }
    }
}

void ra_drop_globals(JitGen *g)
{
    for (int r = 0; r < X86_NREGS; r++) {
        IrTemp t = g->reg_temp[r];
        if (t != IR_TEMP_NONE && jit_is_global(g, t)) {
            g_assert(!g->ts[t].dirty);
            unmap(g, (X86Reg)r);
        }
    }
}

void ra_sync_overlapping(JitGen *g, int64_t offset, unsigned size, bool drop)
{
    if (g->pc_pending && offset < g->ctx->pc_offset + 8 && g->ctx->pc_offset < offset + size) {
        jit_flush_pc(g);
    }
    for (int r = 0; r < X86_NREGS; r++) {
        IrTemp t = g->reg_temp[r];
        if (t == IR_TEMP_NONE || !jit_is_global(g, t)) {
            continue;
        }
        int64_t goff = g->b->temps[t].offset;
        if (offset < goff + 8 && goff < offset + size) {
            spill(g, t);
            if (drop) {
                unmap(g, (X86Reg)r);
            }
        }
    }
}

void ra_save_caller_saved(JitGen *g)
{
    for (int r = 0; r < X86_NREGS; r++) {
        IrTemp t = g->reg_temp[r];
        if (!(CALLER_SAVED & BIT(r)) || t == IR_TEMP_NONE) {
            continue;
        }
        bool kept = false;
        for (unsigned i = 0; i < g->n_keep; i++) {
            kept |= g->keep[i] == t;
        }
        if (!jit_is_global(g, t) && g->last_use[t] <= g->op_idx && !kept) {
            continue; /* dies here: may still be an argument, nothing to keep */
        }
        X86Reg to = find_free(g, g->allocatable & ~CALLER_SAVED & ~g->locked);
        if (to != X86_NOREG && !jit_is_const(g, t)) {
            x86_mov_rr(&g->e, true, to, (X86Reg)r);
            g->reg_temp[r] = IR_TEMP_NONE;
            map(g, t, to);
        } else {
            evict(g, (X86Reg)r);
        }
    }
}

void ra_forget_caller_saved(JitGen *g)
{
    for (int r = 0; r < X86_NREGS; r++) {
        if (CALLER_SAVED & BIT(r)) {
            unmap(g, (X86Reg)r);
        }
    }
}

void jit_flush_pc(JitGen *g)
{
    if (!g->pc_pending) {
        return;
    }
    g->pc_pending = false;
    X86Mem m = x86_mem(JIT_ENV, g->ctx->pc_offset);
    if (x86_fits_i32((int64_t)g->insn_pc)) {
        x86_store_imm(&g->e, 3, (int32_t)g->insn_pc, m);
    } else {
        x86_movi(&g->e, JIT_TMP, g->insn_pc, true);
        x86_store(&g->e, 3, JIT_TMP, m);
    }
}
