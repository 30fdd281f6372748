/*
 * The IR interpreter.
 *
 * Lowering turns each IR op into one bytecode instruction of two 64-bit words, followed
 * by immediate words where needed. Every operand is a slot: an index into the env viewed
 * as an array of uint64_t. Globals are their own env fields; locals get slots in the
 * env's IR scratch area, allocated by a linear scan over their live ranges (the IR has
 * no backward branches, so first-to-last occurrence is the live range). A constant
 * second operand of an ALU op, or a branch, is kept as an immediate word (the "ri"
 * forms); other constants are loaded into reserved scratch slots just before the op.
 * i32 values live zero-extended in their slots.
 *
 * The interpreter follows chained exits itself and comes back to the exec loop only for
 * unlinked, indirect and return exits, or when exit_request is set.
 */
#include "tcg/tci/tci.h"

#include <glib.h>
#include <string.h>

#include "tcg/ir/ir.h"

typedef struct TciInsn {
    uint8_t opc;  /* IrOpcode */
    uint8_t mode; /* TCI_* bits */
    uint8_t x;    /* cond, memop, slot or atomic op, per opcode */
    uint8_t y;    /* mmu index, argument count */
    uint16_t d, a, b, c, e;
    uint16_t pad;
} TciInsn;

enum {
    TCI_I64 = 1 << 0, /* the op's type is i64 (else i32) */
    TCI_IMM = 1 << 1, /* operand b is the next immediate word */
};

#define TCI_NO_SLOT 0xffff
#define TCI_ENV_SLOT 0xfffe   /* call argument: the env pointer itself */
#define TCI_CONST_SLOTS 8     /* reserved scratch slots for materialized constants */

typedef struct TciCode {
    uint32_t n_words;
    uint64_t words[];
} TciCode;

/* ---- Lowering ----------------------------------------------------------------------- */

typedef struct Lower {
    const IrBlock *b;
    GArray *out;          /* uint64_t words */
    uint16_t *slot;       /* per temp: assigned slot, or TCI_NO_SLOT */
    uint32_t *last_use;   /* per temp: index of the last op mentioning it */
    uint32_t *label_pos;  /* per label: word index */
    GArray *fixups;       /* pairs (word index, label) */
    uint16_t scratch_base;
    bool *slot_busy;      /* per scratch slot */
    unsigned next_const;  /* round-robin over the reserved constant slots */
} Lower;

static void emit_word(Lower *l, uint64_t w)
{
    g_array_append_val(l->out, w);
}

static size_t emit_insn(Lower *l, const TciInsn *i)
{
    uint64_t w[2];
    G_STATIC_ASSERT(sizeof(TciInsn) == sizeof(w));
    memcpy(w, i, sizeof(w));
    size_t pos = l->out->len;
    emit_word(l, w[0]);
    emit_word(l, w[1]);
    return pos;
}

static uint16_t alloc_local(Lower *l)
{
    for (unsigned s = TCI_CONST_SLOTS; s < IR_SCRATCH_SLOTS; s++) {
        if (!l->slot_busy[s]) {
            l->slot_busy[s] = true;
            return l->scratch_base + s;
        }
    }
    g_error("tci: block needs more than %d scratch slots", IR_SCRATCH_SLOTS);
}

/* The slot holding temp t's value at this point, materializing constants. */
static uint16_t use_slot(Lower *l, IrTemp t)
{
    const IrTempInfo *ti = &l->b->temps[t];
    if (ti->kind == IR_TEMP_CONST) {
        uint16_t s = l->scratch_base + (l->next_const++ % TCI_CONST_SLOTS);
        TciInsn mi = {.opc = IR_OP_mov, .mode = TCI_I64 | TCI_IMM, .d = s};
        emit_insn(l, &mi);
        emit_word(l, ti->value);
        return s;
    }
    if (ti->kind == IR_TEMP_ENV) {
        return TCI_ENV_SLOT;
    }
    g_assert(l->slot[t] != TCI_NO_SLOT);
    return l->slot[t];
}

static uint16_t def_slot(Lower *l, IrTemp t)
{
    if (l->slot[t] == TCI_NO_SLOT) {
        l->slot[t] = alloc_local(l);
    }
    return l->slot[t];
}

static void release_dead(Lower *l, const IrOp *op, uint32_t idx)
{
    for (unsigned i = 0; i < op->n_out + op->n_in; i++) {
        IrTemp t = op->args[i];
        if (l->b->temps[t].kind == IR_TEMP_LOCAL && l->last_use[t] == idx &&
            l->slot[t] != TCI_NO_SLOT) {
            l->slot_busy[l->slot[t] - l->scratch_base] = false;
            l->slot[t] = TCI_NO_SLOT;
        }
    }
}

static void compute_ranges(Lower *l)
{
    const IrBlock *b = l->b;
    for (uint32_t i = 0; i < b->n_temps; i++) {
        l->slot[i] = TCI_NO_SLOT;
        if (b->temps[i].kind == IR_TEMP_GLOBAL) {
            l->slot[i] = (uint16_t)(b->temps[i].offset / 8);
        }
    }
    for (uint32_t i = 0; i < b->n_ops; i++) {
        const IrOp *op = &b->ops[i];
        for (unsigned k = 0; k < op->n_out + op->n_in; k++) {
            l->last_use[op->args[k]] = i;
        }
    }
}

static void lower_call(Lower *l, const IrOp *op)
{
    const IrCallInfo *ci = &l->b->calls[op->imm[0]];
    uint16_t args[IR_CALL_MAX_ARGS] = {0};
    for (unsigned k = 0; k < op->n_in; k++) {
        args[k] = use_slot(l, op->args[op->n_out + k]);
    }
    TciInsn i = {.opc = IR_OP_call, .y = op->n_in,
                 .d = op->n_out ? def_slot(l, op->args[0]) : TCI_NO_SLOT};
    emit_insn(l, &i);
    emit_word(l, (uint64_t)(uintptr_t)ci->fn);
    uint64_t packed = 0;
    for (unsigned k = 0; k < 4; k++) {
        packed |= (uint64_t)args[k] << (16 * k);
    }
    emit_word(l, packed);
    emit_word(l, (uint64_t)args[4] | (uint64_t)args[5] << 16);
}

static void lower_op(Lower *l, const IrOp *op)
{
    const IrOpDef *def = &ir_op_defs[op->opc];
    TciInsn i = {.opc = (uint8_t)op->opc, .mode = op->type == IR_I64 ? TCI_I64 : 0};
    const IrTemp *in = op->args + op->n_out;
    bool imm_b = false;
    uint64_t imm_b_val = 0;

    switch (op->opc) {
    case IR_OP_nop:
        return;
    case IR_OP_call:
        lower_call(l, op);
        return;
    case IR_OP_label:
        l->label_pos[op->imm[0]] = l->out->len;
        return;
    default:
        break;
    }
    /* The second input of two-input ALU ops and brcond may stay an immediate. */
    if (op->n_in == 2 && (def->flags & IR_OPF_ALU || op->opc == IR_OP_brcond) &&
        ir_is_const(l->b, in[1])) {
        imm_b = true;
        imm_b_val = l->b->temps[in[1]].value;
    }
    if (op->n_in == 1 && op->opc == IR_OP_mov && ir_is_const(l->b, in[0])) {
        i.mode |= TCI_IMM;
        i.d = def_slot(l, op->args[0]);
        emit_insn(l, &i);
        emit_word(l, l->b->temps[in[0]].value);
        return;
    }
    uint16_t *ops[] = {&i.a, &i.b, &i.c, &i.e};
    uint16_t *outs[] = {&i.d};
    unsigned ni = op->n_in;
    if (op->opc == IR_OP_movcond) {
        /* d, a, b, c, e: all four inputs need slots. */
        imm_b = false;
    }
    for (unsigned k = 0; k < ni; k++) {
        if (k == 1 && imm_b) {
            continue;
        }
        *ops[k] = use_slot(l, in[k]);
    }
    if (op->opc == IR_OP_movcond) {
        i.d = def_slot(l, op->args[0]);
    } else {
        for (unsigned k = 0; k < op->n_out; k++) {
            *outs[k] = def_slot(l, op->args[k]);
        }
    }
    if (imm_b) {
        i.mode |= TCI_IMM;
    }
    switch (op->opc) {
    case IR_OP_setcond:
    case IR_OP_movcond:
        i.x = (uint8_t)op->imm[0];
        break;
    case IR_OP_brcond:
        i.x = (uint8_t)op->imm[1];
        break;
    case IR_OP_ld_guest:
    case IR_OP_st_guest:
    case IR_OP_cmpxchg:
    case IR_OP_atomic_rmw:
        i.x = (uint8_t)op->imm[0];
        i.y = (uint8_t)op->imm[1];
        i.pad = (uint16_t)op->imm[2];
        break;
    case IR_OP_ld_env:
    case IR_OP_st_env:
    case IR_OP_mb:
        i.x = (uint8_t)op->imm[0];
        break;
    case IR_OP_exit_direct:
        i.x = (uint8_t)op->imm[0];
        break;
    default:
        break;
    }
    emit_insn(l, &i);
    if (imm_b) {
        emit_word(l, imm_b_val);
    }
    switch (op->opc) {
    case IR_OP_br:
    case IR_OP_brcond: {
        uint64_t fix[2] = {l->out->len, op->imm[0]};
        g_array_append_vals(l->fixups, fix, 2);
        emit_word(l, 0);
        break;
    }
    case IR_OP_ld_env:
    case IR_OP_st_env:
        emit_word(l, op->imm[1]);
        break;
    case IR_OP_insn_start:
    case IR_OP_exit_return:
        emit_word(l, op->imm[0]);
        break;
    case IR_OP_exit_direct:
        emit_word(l, op->imm[1]);
        break;
    default:
        break;
    }
}

static void tci_compile(TbCache *c, TranslationBlock *tb, IrBlock *b)
{
    Lower l = {
        .b = b,
        .out = g_array_sized_new(FALSE, FALSE, sizeof(uint64_t), b->n_ops * 3),
        .slot = g_new(uint16_t, b->n_temps),
        .last_use = g_new0(uint32_t, b->n_temps),
        .label_pos = g_new0(uint32_t, b->n_labels + 1),
        .fixups = g_array_new(FALSE, FALSE, sizeof(uint64_t)),
        .scratch_base = (uint16_t)(b->ctx->scratch_offset / 8),
        .slot_busy = g_new0(bool, IR_SCRATCH_SLOTS),
    };
    g_assert(b->ctx->scratch_offset % 8 == 0 &&
             b->ctx->scratch_offset / 8 + IR_SCRATCH_SLOTS < TCI_ENV_SLOT);
    compute_ranges(&l);
    for (uint32_t k = 0; k < b->n_ops; k++) {
        lower_op(&l, &b->ops[k]);
        release_dead(&l, &b->ops[k], k);
    }
    for (guint k = 0; k < l.fixups->len; k += 2) {
        uint64_t pos = g_array_index(l.fixups, uint64_t, k);
        uint64_t label = g_array_index(l.fixups, uint64_t, k + 1);
        g_array_index(l.out, uint64_t, pos) = l.label_pos[label];
    }
    TciCode *code = g_malloc(sizeof(TciCode) + l.out->len * sizeof(uint64_t));
    code->n_words = l.out->len;
    memcpy(code->words, l.out->data, l.out->len * sizeof(uint64_t));
    tb->code = code;
    g_array_free(l.out, TRUE);
    g_array_free(l.fixups, TRUE);
    g_free(l.slot);
    g_free(l.last_use);
    g_free(l.label_pos);
    g_free(l.slot_busy);
}

static void tci_free_code(TranslationBlock *tb)
{
    g_free(tb->code);
    tb->code = NULL;
}

/* ---- Interpretation ----------------------------------------------------------------- */

static inline uint64_t load_host(const void *p, unsigned memop)
{
    switch (memop & (IR_MO_SIZE | IR_MO_SIGN)) {
    case IR_MO_8:
        return *(const uint8_t *)p;
    case IR_MO_8 | IR_MO_SIGN:
        return (uint64_t)(int64_t) * (const int8_t *)p;
    case IR_MO_16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case IR_MO_16 | IR_MO_SIGN: {
        int16_t v;
        memcpy(&v, p, 2);
        return (uint64_t)(int64_t)v;
    }
    case IR_MO_32: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case IR_MO_32 | IR_MO_SIGN: {
        int32_t v;
        memcpy(&v, p, 4);
        return (uint64_t)(int64_t)v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

static inline void store_host(void *p, uint64_t v, unsigned memop)
{
    switch (memop & IR_MO_SIZE) {
    case IR_MO_8:
        *(uint8_t *)p = (uint8_t)v;
        break;
    case IR_MO_16: {
        uint16_t x = (uint16_t)v;
        memcpy(p, &x, 2);
        break;
    }
    case IR_MO_32: {
        uint32_t x = (uint32_t)v;
        memcpy(p, &x, 4);
        break;
    }
    default:
        memcpy(p, &v, 8);
        break;
    }
}

static inline uint64_t sext_result(uint64_t v, unsigned memop)
{
    if (!(memop & IR_MO_SIGN)) {
        return v;
    }
    switch (memop & IR_MO_SIZE) {
    case IR_MO_8:
        return (uint64_t)(int64_t)(int8_t)v;
    case IR_MO_16:
        return (uint64_t)(int64_t)(int16_t)v;
    case IR_MO_32:
        return (uint64_t)(int64_t)(int32_t)v;
    default:
        return v;
    }
}

/* User mode: the host address of guest address addr, which must be below the limit. */
static inline void *user_host_addr(const IrGuestMemory *mem, void *env, uint64_t addr,
                                   bool is_store)
{
    if (__builtin_expect(addr >= *mem->guest_limit, 0)) {
        mem->bad_address(env, addr, is_store);
    }
    return (void *)(*mem->guest_base + (uintptr_t)addr);
}

static void *guest_atomic_addr(const IrGuestMemory *mem, void *env, uint64_t addr,
                               unsigned memop, unsigned mmu_idx, bool is_store)
{
    unsigned size = 1u << (memop & IR_MO_SIZE);
    if (addr & (size - 1)) {
        mem->misaligned(env, addr, is_store);
    }
    if (mem->guest_base) {
        return user_host_addr(mem, env, addr, is_store);
    }
    return mem->atomic_addr(env, addr, memop, mmu_idx);
}

/* op(old, v) at a width of `bits`, on zero-extended values. */
static uint64_t atomic_apply(unsigned aop, uint64_t old, uint64_t v, unsigned bits)
{
    uint64_t mask = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    unsigned sh = 64 - bits;
    int64_t so = (int64_t)(old << sh) >> sh, sv = (int64_t)(v << sh) >> sh;
    uint64_t r;
    switch (aop) {
    case IR_ATOMIC_XCHG: r = v; break;
    case IR_ATOMIC_ADD: r = old + v; break;
    case IR_ATOMIC_AND: r = old & v; break;
    case IR_ATOMIC_OR: r = old | v; break;
    case IR_ATOMIC_XOR: r = old ^ v; break;
    case IR_ATOMIC_SMIN: r = so < sv ? old : v; break;
    case IR_ATOMIC_SMAX: r = so > sv ? old : v; break;
    case IR_ATOMIC_UMIN: r = (old & mask) < (v & mask) ? old : v; break;
    default: r = (old & mask) > (v & mask) ? old : v; break;
    }
    return r & mask;
}

/* Per access size: a compare-and-swap loop applying aop, and a plain cmpxchg; both
 * return the old value. */
#define DEFINE_ATOMIC_OPS(type, bits)                                                        \
    static uint64_t atomic_rmw_##bits(void *p, unsigned aop, uint64_t v)                     \
    {                                                                                        \
        type *q = p, old = __atomic_load_n(q, __ATOMIC_RELAXED);                             \
        while (!__atomic_compare_exchange_n(q, &old, (type)atomic_apply(aop, old, v, bits),  \
                                            true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {     \
        }                                                                                    \
        return old;                                                                          \
    }                                                                                        \
    static uint64_t cmpxchg_##bits(void *p, uint64_t expect, uint64_t newv)                  \
    {                                                                                        \
        type e = (type)expect;                                                               \
        __atomic_compare_exchange_n((type *)p, &e, (type)newv, false, __ATOMIC_SEQ_CST,      \
                                    __ATOMIC_SEQ_CST);                                       \
        return e;                                                                            \
    }
DEFINE_ATOMIC_OPS(uint8_t, 8)
DEFINE_ATOMIC_OPS(uint16_t, 16)
DEFINE_ATOMIC_OPS(uint32_t, 32)
DEFINE_ATOMIC_OPS(uint64_t, 64)
#undef DEFINE_ATOMIC_OPS

static uint64_t do_atomic_rmw(void *p, unsigned memop, unsigned aop, uint64_t v)
{
    switch (memop & IR_MO_SIZE) {
    case IR_MO_8:
        return atomic_rmw_8(p, aop, v);
    case IR_MO_16:
        return atomic_rmw_16(p, aop, v);
    case IR_MO_32:
        return atomic_rmw_32(p, aop, v);
    default:
        return atomic_rmw_64(p, aop, v);
    }
}

static uint64_t do_cmpxchg(void *p, unsigned memop, uint64_t expect, uint64_t newv)
{
    switch (memop & IR_MO_SIZE) {
    case IR_MO_8:
        return cmpxchg_8(p, expect, newv);
    case IR_MO_16:
        return cmpxchg_16(p, expect, newv);
    case IR_MO_32:
        return cmpxchg_32(p, expect, newv);
    default:
        return cmpxchg_64(p, expect, newv);
    }
}

static uint64_t call_helper(uint64_t fnw, unsigned n, const uint64_t *a)
{
    const void *fn = (const void *)(uintptr_t)fnw;
    switch (n) {
    case 0:
        return ((uint64_t(*)(void))fn)();
    case 1:
        return ((uint64_t(*)(uint64_t))fn)(a[0]);
    case 2:
        return ((uint64_t(*)(uint64_t, uint64_t))fn)(a[0], a[1]);
    case 3:
        return ((uint64_t(*)(uint64_t, uint64_t, uint64_t))fn)(a[0], a[1], a[2]);
    case 4:
        return ((uint64_t(*)(uint64_t, uint64_t, uint64_t, uint64_t))fn)(a[0], a[1], a[2],
                                                                         a[3]);
    case 5:
        return ((uint64_t(*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t))fn)(
            a[0], a[1], a[2], a[3], a[4]);
    default:
        return ((IrHelper6)fn)(a[0], a[1], a[2], a[3], a[4], a[5]);
    }
}

static TbExit tci_exec(TbCache *c, void *env, TranslationBlock *tb)
{
    uint64_t *R = env;
    const IrContext *ctx = tb_cache_context(c);
    const IrGuestMemory *mem = ctx->mem;
    uint64_t *pc_field = (uint64_t *)((char *)env + ctx->pc_offset);
    volatile int *exit_request = (volatile int *)((char *)env + ctx->exit_request_offset);
    const uint64_t *code = ((TciCode *)tb->code)->words;
    const uint64_t *ip = code;

    for (;;) {
        TciInsn i;
        memcpy(&i, ip, sizeof(i));
        ip += 2;
        uint64_t B = 0;
        if (i.mode & TCI_IMM) {
            B = *ip++;
        } else if (i.b != TCI_NO_SLOT) {
            B = R[i.b];
        }
        uint64_t A = R[i.a];
        bool is64 = i.mode & TCI_I64;
        uint64_t mask = is64 ? UINT64_MAX : UINT32_MAX;

        switch ((IrOpcode)i.opc) {
        case IR_OP_mov:
            R[i.d] = (i.mode & TCI_IMM) ? B : A;
            break;
        case IR_OP_ext_i32:
            R[i.d] = (uint64_t)(int64_t)(int32_t)A;
            break;
        case IR_OP_extu_i32:
        case IR_OP_trunc_i64:
            R[i.d] = (uint32_t)A;
            break;
        case IR_OP_add:
            R[i.d] = (A + B) & mask;
            break;
        case IR_OP_sub:
            R[i.d] = (A - B) & mask;
            break;
        case IR_OP_and:
            R[i.d] = A & B;
            break;
        case IR_OP_or:
            R[i.d] = A | B;
            break;
        case IR_OP_xor:
            R[i.d] = A ^ B;
            break;
        case IR_OP_shl:
            R[i.d] = is64 ? A << (B & 63) : (uint32_t)(A << (B & 31));
            break;
        case IR_OP_shr:
            R[i.d] = is64 ? A >> (B & 63) : (uint32_t)A >> (B & 31);
            break;
        case IR_OP_sar:
            R[i.d] = is64 ? (uint64_t)((int64_t)A >> (B & 63))
                          : (uint32_t)((int32_t)A >> (B & 31));
            break;
        case IR_OP_mul:
        case IR_OP_mulsh:
        case IR_OP_muluh:
        case IR_OP_mulsuh:
        case IR_OP_div:
        case IR_OP_divu:
        case IR_OP_rem:
        case IR_OP_remu:
        case IR_OP_andc:
        case IR_OP_orc:
        case IR_OP_eqv:
        case IR_OP_rotl:
        case IR_OP_rotr:
        case IR_OP_smin:
        case IR_OP_smax:
        case IR_OP_umin:
        case IR_OP_umax:
            R[i.d] = ir_eval_alu((IrOpcode)i.opc, is64 ? IR_I64 : IR_I32, A, B);
            break;
        case IR_OP_not:
        case IR_OP_neg:
        case IR_OP_clz:
        case IR_OP_ctz:
        case IR_OP_ctpop:
        case IR_OP_bswap:
        case IR_OP_ext8s:
        case IR_OP_ext8u:
        case IR_OP_ext16s:
        case IR_OP_ext16u:
        case IR_OP_ext32s:
        case IR_OP_ext32u:
            R[i.d] = ir_eval_unary((IrOpcode)i.opc, is64 ? IR_I64 : IR_I32, A);
            break;
        case IR_OP_setcond:
            R[i.d] = ir_eval_cond((IrCond)i.x, is64 ? IR_I64 : IR_I32, A, B);
            break;
        case IR_OP_movcond:
            R[i.d] = ir_eval_cond((IrCond)i.x, is64 ? IR_I64 : IR_I32, A, R[i.b]) ? R[i.c]
                                                                                  : R[i.e];
            break;
        case IR_OP_br:
            ip = code + *ip;
            break;
        case IR_OP_brcond:
            if (ir_eval_cond((IrCond)i.x, is64 ? IR_I64 : IR_I32, A, B)) {
                ip = code + *ip;
            } else {
                ip++;
            }
            break;
        case IR_OP_ld_env: {
            int64_t off = (int64_t)*ip++;
            R[i.d] = load_host((char *)env + off, i.x) & mask;
            break;
        }
        case IR_OP_st_env: {
            int64_t off = (int64_t)*ip++;
            store_host((char *)env + off, A, i.x);
            break;
        }
        case IR_OP_ld_guest: {
            unsigned size = 1u << (i.x & IR_MO_SIZE);
            if ((i.x & IR_MO_ALIGN) && (A & (size - 1))) {
                mem->misaligned(env, A, false);
            }
            uint64_t v = mem->guest_base ? load_host(user_host_addr(mem, env, A, false), i.x)
                                         : sext_result(mem->load(env, A, i.x, i.y), i.x);
            R[i.d] = v & mask;
            break;
        }
        case IR_OP_st_guest: {
            unsigned size = 1u << (i.x & IR_MO_SIZE);
            if ((i.x & IR_MO_ALIGN) && (B & (size - 1))) {
                mem->misaligned(env, B, true);
            }
            if (mem->guest_base) {
                store_host(user_host_addr(mem, env, B, true), A, i.x);
            } else {
                mem->store(env, B, A, i.x, i.y);
            }
            break;
        }
        case IR_OP_cmpxchg: {
            void *p = guest_atomic_addr(mem, env, A, i.x, i.y, true);
            R[i.d] = sext_result(do_cmpxchg(p, i.x, R[i.b], R[i.c]), i.x) & mask;
            break;
        }
        case IR_OP_atomic_rmw: {
            void *p = guest_atomic_addr(mem, env, A, i.x, i.y, true);
            R[i.d] = sext_result(do_atomic_rmw(p, i.x, i.pad, B), i.x) & mask;
            break;
        }
        case IR_OP_mb:
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            break;
        case IR_OP_call: {
            uint64_t fn = ip[0], p0 = ip[1], p1 = ip[2];
            ip += 3;
            uint64_t args[IR_CALL_MAX_ARGS];
            for (unsigned k = 0; k < i.y; k++) {
                uint16_t s = (uint16_t)((k < 4 ? p0 >> (16 * k) : p1 >> (16 * (k - 4))));
                args[k] = s == TCI_ENV_SLOT ? (uint64_t)(uintptr_t)env : R[s];
            }
            uint64_t r = call_helper(fn, i.y, args);
            if (i.d != TCI_NO_SLOT) {
                R[i.d] = r;
            }
            break;
        }
        case IR_OP_insn_start:
            *pc_field = *ip++;
            break;
        case IR_OP_exit_direct: {
            *pc_field = *ip++;
            TranslationBlock *next = __atomic_load_n(&tb->jmp_dest[i.x], __ATOMIC_ACQUIRE);
            if (*exit_request) {
                return (TbExit){.kind = TB_EXIT_REQUEST, .last = tb};
            }
            if (!next || next->invalid) {
                return (TbExit){.kind = TB_EXIT_CHAIN, .last = tb, .slot = i.x};
            }
            tb = next;
            code = ((TciCode *)tb->code)->words;
            ip = code;
            break;
        }
        case IR_OP_exit_indirect:
            return (TbExit){.kind = TB_EXIT_LOOKUP, .last = tb};
        case IR_OP_exit_return:
            return (TbExit){.kind = TB_EXIT_RETURN, .last = tb, .code = *ip};
        default:
            g_error("tci: unknown opcode %u", i.opc);
        }
    }
}

const TbBackend tci_backend = {
    .name = "tci",
    .compile = tci_compile,
    .free_code = tci_free_code,
    .exec = tci_exec,
};
