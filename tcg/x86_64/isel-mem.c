/*
 * Instruction selection for everything that touches state beyond the temps: env fields,
 * guest memory, atomics, barriers, helper calls, insn_start markers and block exits.
 *
 * Guest memory. In user mode (IrGuestMemory.guest_base set) an access is one instruction
 * on [r15 + addr], any alignment, after a compare of addr with the guest limit (kept in
 * the frame) that jumps to an out-of-line call of mem->bad_address; a fault inside the
 * guest space arrives as SIGSEGV/SIGBUS whose handler calls tb_restore_state.
 * IR_MO_ALIGN accesses and all atomics also test the low address bits first and jump to
 * an out-of-line call of mem->misaligned. Both callbacks long-jump. In
 * system mode every access calls the front end's load/store/atomic_addr callbacks; the
 * inline software-TLB fast path belongs in guest_operand() when the system machine
 * defines its TLB layout.
 *
 * Before any op that may raise, dirty globals are stored to env (they stay in their
 * registers, clean). env->pc is written lazily: insn_start only records the pc, and the
 * store happens before something could read it (a helper, a branch that merges paths,
 * an exit). Faults in generated code get it from restore_state instead.
 *
 * Barriers: x86-64 is TSO, so loads are ordered with loads, stores with stores, and
 * loads before stores already; only store-then-load ordering (IR_MB_ST_LD) needs mfence.
 * Locked instructions (xchg, lock xadd, lock cmpxchg) are full barriers themselves.
 *
 * Exits go through per-block stubs at the end of the code that load the TbExit
 * (block, kind, slot, code) into rax/ecx/edx/r8 and jump to the buffer's epilogue.
 */
#include "tcg/x86_64/jit-internal.h"

#define BIT(r) (1u << (r))

static bool user_mode(const JitGen *g)
{
    return g->ctx->mem && g->ctx->mem->guest_base;
}

static bool is_w(const IrOp *op)
{
    return op->type == IR_I64;
}

/* A result register for d that needs no input: a dying input's, d's own or a new one. */
static X86Reg result_reg(JitGen *g, IrTemp d, IrTemp in, X86Reg rin)
{
    if (rin != X86_NOREG && (d == in || ra_dies_here(g, in))) {
        return rin;
    }
    return ra_alloc(g, 0);
}

/* The loaded value (low 8 << size bits of r) extended as the memop says, as TCI does:
 * sign extension to 64 bits for SIGN, then truncation to the op's type. */
static void extend_result(JitGen *g, X86Reg r, unsigned memop, bool w)
{
    unsigned size = memop & IR_MO_SIZE;
    bool sign = memop & IR_MO_SIGN;
    if (size == 3 || (size == 2 && !(sign && w))) {
        if (!w || size == 2) {
            x86_mov_rr(&g->e, false, r, r);
        }
    } else if (sign) {
        x86_movsx(&g->e, size, w, r, r);
    } else {
        x86_movzx(&g->e, size, r, r);
    }
}

/* ---- env fields --------------------------------------------------------------------- */

void isel_ld_env(JitGen *g, const IrOp *op)
{
    unsigned mo = (unsigned)op->imm[0];
    int64_t off = (int64_t)op->imm[1];
    ra_sync_overlapping(g, off, 1u << (mo & IR_MO_SIZE), false);
    X86Reg r = ra_alloc(g, 0);
    x86_load(&g->e, mo & IR_MO_SIZE, mo & IR_MO_SIGN, is_w(op), r, x86_mem(JIT_ENV, (int32_t)off));
    ra_bind(g, op->args[0], r);
}

void isel_st_env(JitGen *g, const IrOp *op)
{
    unsigned size = op->imm[0] & IR_MO_SIZE;
    int64_t off = (int64_t)op->imm[1];
    IrTemp v = op->args[0];
    X86Mem m = x86_mem(JIT_ENV, (int32_t)off);
    /* st_env must not alias a global; if it does anyway, env wins, as in TCI. */
    ra_sync_overlapping(g, off, 1u << size, true);
    if (jit_is_const(g, v) && (size < 3 || x86_fits_i32((int64_t)jit_const_val(g, v)))) {
        x86_store_imm(&g->e, size, (int32_t)jit_const_val(g, v), m);
    } else {
        x86_store(&g->e, size, ra_in(g, v, 0), m);
    }
}

/* ---- Guest memory ------------------------------------------------------------------- */

typedef struct GuestOperand {
    X86Mem m;
    X86Reg reg;     /* register holding the guest address, X86_NOREG if constant */
    uint64_t value; /* the constant address */
} GuestOperand;

/* User mode: [guest_base + addr], with a constant address folded into the displacement. */
static GuestOperand user_operand(JitGen *g, IrTemp addr, uint32_t avoid)
{
    GuestOperand a = {.reg = X86_NOREG};
    if (jit_is_const(g, addr) && ra_reg_of(g, addr) == X86_NOREG &&
        x86_fits_i32((int64_t)jit_const_val(g, addr))) {
        a.value = jit_const_val(g, addr);
        a.m = x86_mem(JIT_GUEST_BASE, (int32_t)a.value);
        return a;
    }
    a.reg = ra_in(g, addr, avoid);
    a.m = x86_mem_idx(JIT_GUEST_BASE, a.reg, 0);
    return a;
}

/* Jumps to an out-of-line call of mem->misaligned unless the address is aligned. */
static void check_align(JitGen *g, const GuestOperand *a, unsigned size, bool is_store)
{
    uint32_t mask = (1u << size) - 1;
    if (size == 0 || (a->reg == X86_NOREG && !(a->value & mask))) {
        return;
    }
    JitSlowPath s = {
        .kind = SLOW_MISALIGNED,
        .addr = a->reg,
        .addr_value = a->value,
        .is_store = is_store,
        .store_pc = g->pc_pending,
        .pc = g->insn_pc,
    };
    if (a->reg == X86_NOREG) {
        s.disp = x86_jmp32(&g->e);
    } else {
        x86_test_ri(&g->e, true, a->reg, (int32_t)mask);
        s.disp = x86_jcc32(&g->e, CC_NE);
    }
    g_array_append_val(g->slow, s);
}

/* User mode: an address at or above the guest limit raises through mem->bad_address.
 * The limit is read at exec() entry into the frame; a constant address is compared as
 * the imm32 it was folded from. */
static void check_limit(JitGen *g, const GuestOperand *a, bool is_store)
{
    if (!g->ctx->mem->guest_limit) {
        return;
    }
    JitSlowPath s = {
        .kind = SLOW_BAD_ADDRESS,
        .addr = a->reg,
        .addr_value = a->value,
        .is_store = is_store,
        .store_pc = g->pc_pending,
        .pc = g->insn_pc,
    };
    X86Mem limit = x86_mem(RSP, JIT_FRAME_LIMIT);
    if (a->reg == X86_NOREG) {
        x86_alu_mi(&g->e, ALU_CMP, true, limit, (int32_t)a->value);
        s.disp = x86_jcc32(&g->e, CC_BE); /* limit <= addr */
    } else {
        x86_op_cmp_rm(&g->e, a->reg, limit);
        s.disp = x86_jcc32(&g->e, CC_AE); /* addr >= limit */
    }
    g_array_append_val(g->slow, s);
}

static JitArg arg_temp(IrTemp t)
{
    return (JitArg){.kind = JIT_ARG_TEMP, .t = t};
}

static JitArg arg_imm(uint64_t v)
{
    return (JitArg){.kind = JIT_ARG_IMM, .imm = v};
}

static const JitArg arg_env = {.kind = JIT_ARG_ENV};

/* The flags of a call to a memory callback: it reads env (the TLB) and may raise. */
#define MEM_CALL_FLAGS (IR_CALL_READS_ENV | IR_CALL_MAY_RAISE | IR_CALL_SIDE_EFFECTS)

/* System mode: checks alignment when required, before the callback runs. */
static void sys_check_align(JitGen *g, IrTemp addr, unsigned size, bool is_store)
{
    GuestOperand a = {.reg = X86_NOREG};
    if (jit_is_const(g, addr) && ra_reg_of(g, addr) == X86_NOREG) {
        a.value = jit_const_val(g, addr);
    } else {
        a.reg = ra_in(g, addr, 0);
    }
    check_align(g, &a, size, is_store);
}

void isel_ld_guest(JitGen *g, const IrOp *op)
{
    unsigned mo = (unsigned)op->imm[0], size = mo & IR_MO_SIZE;
    IrTemp d = op->args[0], addr = op->args[1];
    ra_sync_globals(g);
    if (!user_mode(g)) {
        /* The inline TLB lookup goes here; until then every access calls the front end. */
        jit_flush_pc(g);
        if (mo & IR_MO_ALIGN) {
            sys_check_align(g, addr, size, false);
        }
        JitArg args[] = {arg_env, arg_temp(addr), arg_imm(mo), arg_imm(op->imm[1])};
        isel_call_args(g, (const void *)g->ctx->mem->load, MEM_CALL_FLAGS, d, 4, args);
        extend_result(g, RAX, mo, is_w(op));
        return;
    }
    GuestOperand a = user_operand(g, addr, 0);
    if (mo & IR_MO_ALIGN) {
        check_align(g, &a, size, false);
    }
    check_limit(g, &a, false);
    X86Reg r = result_reg(g, d, addr, a.reg);
    x86_load(&g->e, size, mo & IR_MO_SIGN, is_w(op), r, a.m);
    ra_bind(g, d, r);
}

void isel_st_guest(JitGen *g, const IrOp *op)
{
    unsigned mo = (unsigned)op->imm[0], size = mo & IR_MO_SIZE;
    IrTemp v = op->args[0], addr = op->args[1];
    ra_sync_globals(g);
    if (!user_mode(g)) {
        jit_flush_pc(g);
        if (mo & IR_MO_ALIGN) {
            sys_check_align(g, addr, size, true);
        }
        JitArg args[] = {arg_env, arg_temp(addr), arg_temp(v), arg_imm(mo), arg_imm(op->imm[1])};
        isel_call_args(g, (const void *)g->ctx->mem->store, MEM_CALL_FLAGS, IR_TEMP_NONE, 5, args);
        return;
    }
    GuestOperand a = user_operand(g, addr, 0);
    if (mo & IR_MO_ALIGN) {
        check_align(g, &a, size, true);
    }
    check_limit(g, &a, true);
    if (jit_is_const(g, v) && ra_reg_of(g, v) == X86_NOREG &&
        (size < 3 || x86_fits_i32((int64_t)jit_const_val(g, v)))) {
        x86_store_imm(&g->e, size, (int32_t)jit_const_val(g, v), a.m);
    } else {
        x86_store(&g->e, size, ra_in(g, v, 0), a.m);
    }
}

/*
 * The memory operand of an atomic op, aligned (atomics always check, as TCI does), with
 * the registers in fixed free for the op. System mode asks mem->atomic_addr for a host
 * pointer first; the op's other inputs (keep) survive that call.
 */
static X86Mem atomic_operand(JitGen *g, const IrOp *op, uint32_t fixed, const IrTemp *keep,
                             unsigned n_keep)
{
    unsigned mo = (unsigned)op->imm[0], size = mo & IR_MO_SIZE;
    IrTemp addr = op->args[1];
    if (user_mode(g)) {
        ra_clobber(g, fixed);
        GuestOperand a = user_operand(g, addr, fixed);
        check_align(g, &a, size, true);
        check_limit(g, &a, true);
        return a.m;
    }
    jit_flush_pc(g);
    sys_check_align(g, addr, size, true);
    for (unsigned i = 0; i < n_keep; i++) {
        g->keep[g->n_keep++] = keep[i];
    }
    JitArg args[] = {arg_env, arg_temp(addr), arg_imm(mo), arg_imm(op->imm[1])};
    isel_call_args(g, (const void *)g->ctx->mem->atomic_addr, MEM_CALL_FLAGS, IR_TEMP_NONE, 4,
                   args);
    X86Reg p = ra_alloc(g, fixed | BIT(RAX));
    x86_mov_rr(&g->e, true, p, RAX);
    ra_clobber(g, fixed);
    return x86_mem(p, 0);
}

void isel_cmpxchg(JitGen *g, const IrOp *op)
{
    unsigned mo = (unsigned)op->imm[0];
    IrTemp d = op->args[0], expect = op->args[2], newv = op->args[3];
    ra_sync_globals(g);
    X86Mem m = atomic_operand(g, op, BIT(RAX), (IrTemp[]){expect, newv}, 2);
    X86Reg rn = ra_in(g, newv, BIT(RAX));
    ra_load_into(g, expect, RAX);
    x86_lock_cmpxchg(&g->e, mo & IR_MO_SIZE, rn, m);
    extend_result(g, RAX, mo, is_w(op));
    ra_bind(g, d, RAX);
}

/* xchg and add have single instructions; the rest loop on lock cmpxchg. */
static void emit_rmw_loop(JitGen *g, const IrOp *op, X86Mem m, X86Reg rv)
{
    unsigned mo = (unsigned)op->imm[0], size = mo & IR_MO_SIZE;
    IrAtomicOp aop = (IrAtomicOp)op->imm[2];
    bool w = size == 3;
    bool minmax = aop >= IR_ATOMIC_SMIN;
    bool is_signed = aop == IR_ATOMIC_SMIN || aop == IR_ATOMIC_SMAX;
    X86Reg ve = rv;
    if (minmax && size < 2) {
        /* Compare sub-word values extended to 64 bits. */
        ve = ra_alloc(g, BIT(RAX));
        if (is_signed) {
            x86_movsx(&g->e, size, true, ve, rv);
        } else {
            x86_movzx(&g->e, size, ve, rv);
        }
    }
    x86_load(&g->e, size, false, w, RAX, m);
    uint8_t *loop = g->e.p;
    if (!minmax) {
        static const X86Alu alu[] = {
            [IR_ATOMIC_AND] = ALU_AND,
            [IR_ATOMIC_OR] = ALU_OR,
            [IR_ATOMIC_XOR] = ALU_XOR,
        };
        x86_mov_rr(&g->e, w, JIT_TMP, RAX);
        x86_alu_rr(&g->e, alu[aop], w, JIT_TMP, rv);
    } else {
        /* The condition under which the old value is the result. */
        static const X86Cond keep_old[] = {
            [IR_ATOMIC_SMIN] = CC_L,
            [IR_ATOMIC_SMAX] = CC_G,
            [IR_ATOMIC_UMIN] = CC_B,
            [IR_ATOMIC_UMAX] = CC_A,
        };
        if (size < 2) {
            if (is_signed) {
                x86_movsx(&g->e, size, true, JIT_TMP, RAX);
            } else {
                x86_movzx(&g->e, size, JIT_TMP, RAX);
            }
            x86_alu_rr(&g->e, ALU_CMP, true, JIT_TMP, ve);
        } else {
            x86_alu_rr(&g->e, ALU_CMP, w, RAX, ve);
        }
        x86_mov_rr(&g->e, true, JIT_TMP, ve);
        x86_cmov(&g->e, keep_old[aop], true, JIT_TMP, RAX);
    }
    x86_lock_cmpxchg(&g->e, size, JIT_TMP, m);
    ptrdiff_t back = loop - (g->e.p + 2);
    g_assert(x86_fits_i8(back));
    x86_byte(&g->e, 0x70 + CC_NE);
    x86_byte(&g->e, (uint8_t)back);
}

void isel_atomic_rmw(JitGen *g, const IrOp *op)
{
    unsigned mo = (unsigned)op->imm[0], size = mo & IR_MO_SIZE;
    IrAtomicOp aop = (IrAtomicOp)op->imm[2];
    IrTemp d = op->args[0], v = op->args[2];
    ra_sync_globals(g);
    if (aop == IR_ATOMIC_XCHG || aop == IR_ATOMIC_ADD) {
        X86Mem m = atomic_operand(g, op, 0, &v, 1);
        X86Reg rv = ra_in(g, v, 0);
        X86Reg r = result_reg(g, d, v, rv);
        if (r != rv) {
            x86_mov_rr(&g->e, true, r, rv);
        }
        if (aop == IR_ATOMIC_XCHG) {
            x86_xchg(&g->e, size, r, m);
        } else {
            x86_lock_xadd(&g->e, size, r, m);
        }
        extend_result(g, r, mo, is_w(op));
        ra_bind(g, d, r);
        return;
    }
    X86Mem m = atomic_operand(g, op, BIT(RAX), &v, 1);
    X86Reg rv = ra_in(g, v, BIT(RAX));
    emit_rmw_loop(g, op, m, rv);
    extend_result(g, RAX, mo, is_w(op));
    ra_bind(g, d, RAX);
}

void isel_mb(JitGen *g, const IrOp *op)
{
    if (op->imm[0] & IR_MB_ST_LD) {
        x86_mfence(&g->e);
    }
}

/* ---- Helper calls ------------------------------------------------------------------- */

static const X86Reg arg_regs[IR_CALL_MAX_ARGS] = {RDI, RSI, RDX, RCX, R8, R9};

/* Argument registers from registers: a parallel move, cycles broken through r11. */
static void move_reg_args(JitGen *g, unsigned n, X86Reg *src)
{
    bool pending[IR_CALL_MAX_ARGS];
    unsigned left = 0;
    for (unsigned i = 0; i < n; i++) {
        pending[i] = src[i] != X86_NOREG && src[i] != arg_regs[i];
        left += pending[i];
    }
    while (left) {
        bool progress = false;
        for (unsigned i = 0; i < n; i++) {
            bool blocked = false;
            for (unsigned j = 0; j < n && pending[i]; j++) {
                blocked |= j != i && pending[j] && src[j] == arg_regs[i];
            }
            if (pending[i] && !blocked) {
                x86_mov_rr(&g->e, true, arg_regs[i], src[i]);
                pending[i] = false;
                left--;
                progress = true;
            }
        }
        for (unsigned i = 0; i < n && !progress; i++) {
            if (pending[i]) {
                x86_mov_rr(&g->e, true, JIT_TMP, arg_regs[i]);
                for (unsigned j = 0; j < n; j++) {
                    if (pending[j] && src[j] == arg_regs[i]) {
                        src[j] = JIT_TMP;
                    }
                }
                progress = true;
            }
        }
    }
}

static void move_args(JitGen *g, unsigned n, const JitArg *args)
{
    X86Reg src[IR_CALL_MAX_ARGS];
    for (unsigned i = 0; i < n; i++) {
        src[i] = args[i].kind == JIT_ARG_TEMP ? ra_reg_of(g, args[i].t) : X86_NOREG;
    }
    move_reg_args(g, n, src);
    for (unsigned i = 0; i < n; i++) {
        if (args[i].kind == JIT_ARG_IMM) {
            x86_movi(&g->e, arg_regs[i], args[i].imm, false);
        } else if (args[i].kind == JIT_ARG_ENV) {
            x86_mov_rr(&g->e, true, arg_regs[i], JIT_ENV);
        } else if (ra_reg_of(g, args[i].t) == X86_NOREG) {
            ra_load_into(g, args[i].t, arg_regs[i]);
        }
    }
}

void isel_call_args(JitGen *g, const void *fn, uint32_t flags, IrTemp d, unsigned n,
                    const JitArg *args)
{
    g_assert(n <= IR_CALL_MAX_ARGS);
    if (flags & (IR_CALL_READS_ENV | IR_CALL_WRITES_ENV | IR_CALL_MAY_RAISE)) {
        ra_sync_globals(g);
        jit_flush_pc(g);
    }
    ra_save_caller_saved(g);
    move_args(g, n, args);
    x86_movi(&g->e, JIT_TMP, (uintptr_t)fn, false);
    x86_call_r(&g->e, JIT_TMP);
    ra_forget_caller_saved(g);
    if (flags & IR_CALL_WRITES_ENV) {
        ra_drop_globals(g);
    }
    g->locked |= BIT(RAX);
    if (d != IR_TEMP_NONE) {
        ra_bind(g, d, RAX);
    }
}

void isel_call_fn(JitGen *g, const void *fn, uint32_t flags, IrTemp d, unsigned n, const IrTemp *in)
{
    JitArg args[IR_CALL_MAX_ARGS];
    for (unsigned i = 0; i < n; i++) {
        switch (g->b->temps[in[i]].kind) {
        case IR_TEMP_ENV:
            args[i] = arg_env;
            break;
        case IR_TEMP_CONST:
            args[i] = ra_reg_of(g, in[i]) == X86_NOREG ? arg_imm(jit_const_val(g, in[i]))
                                                       : arg_temp(in[i]);
            break;
        default:
            args[i] = arg_temp(in[i]);
            break;
        }
    }
    isel_call_args(g, fn, flags, d, n, args);
}

void isel_call(JitGen *g, const IrOp *op)
{
    const IrCallInfo *ci = &g->b->calls[op->imm[0]];
    IrTemp d = op->n_out ? op->args[0] : IR_TEMP_NONE;
    isel_call_fn(g, ci->fn, ci->flags, d, op->n_in, op->args + op->n_out);
}

/* ---- insn_start and exits ----------------------------------------------------------- */

static void put_uleb(GByteArray *a, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v) {
            byte |= 0x80;
        }
        g_byte_array_append(a, &byte, 1);
    } while (v);
}

static void put_sleb(GByteArray *a, int64_t v)
{
    for (;;) {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        if (!done) {
            byte |= 0x80;
        }
        g_byte_array_append(a, &byte, 1);
        if (done) {
            return;
        }
    }
}

/* The search data: per insn_start, (code offset delta, pc delta) as LEB128. */
void isel_insn_start(JitGen *g, const IrOp *op)
{
    uint64_t pc = op->imm[0];
    uint32_t off = x86_offset(&g->e);
    put_uleb(g->search, off - g->search_off);
    put_sleb(g->search, (int64_t)(pc - g->search_pc));
    g->search_off = off;
    g->search_pc = pc;
    g->insn_pc = pc;
    g->pc_pending = true;
    if (g->pc_global != IR_TEMP_NONE) {
        ra_discard(g, g->pc_global); /* superseded by the instruction's pc */
    }
}

static void store_pc(JitGen *g, uint64_t pc)
{
    X86Mem m = x86_mem(JIT_ENV, g->ctx->pc_offset);
    if (x86_fits_i32((int64_t)pc)) {
        x86_store_imm(&g->e, 3, (int32_t)pc, m);
    } else {
        x86_movi(&g->e, JIT_TMP, pc, false);
        x86_store(&g->e, 3, JIT_TMP, m);
    }
}

/* Leaves generated code through the epilogue with rax = block, ecx = kind, edx = slot,
 * r8 = code. */
static void jump_to_epilogue(JitGen *g, TbExitKind kind, unsigned slot, uint64_t code)
{
    x86_movi(&g->e, RAX, (uintptr_t)g->tb, false);
    x86_movi(&g->e, RCX, kind, false);
    if (kind == TB_EXIT_CHAIN) {
        x86_movi(&g->e, RDX, slot, false);
    }
    if (kind == TB_EXIT_RETURN) {
        x86_movi(&g->e, R8, code, false);
    }
    x86_patch_rel32(&g->e, x86_jmp32(&g->e), g->buf->epilogue);
}

void isel_exit_direct(JitGen *g, const IrOp *op)
{
    ra_sync_globals(g);
    g->pc_pending = false;
    store_pc(g, op->imm[1]);
    x86_alu_mi(&g->e, ALU_CMP, false, x86_mem(JIT_ENV, g->ctx->exit_request_offset), 0);
    uint8_t *req = x86_jcc32(&g->e, CC_NE);
    g_array_append_val(g->request_fix, req);
    /* The jump's displacement is 4-byte aligned, so link() patches it atomically. */
    x86_nops(&g->e, (unsigned)(3 - x86_rx(&g->e, g->e.p) % 4));
    JitExitSite site = {.disp = x86_jmp32(&g->e), .slot = (unsigned)op->imm[0] & 1};
    g_array_append_val(g->exits, site);
    g->reachable = false;
}

/* Follows an indirect jump inside generated code when the next block is in this
 * thread's jump cache (jit_lookup_indirect), else leaves for the exec loop. */
void isel_exit_indirect(JitGen *g, const IrOp *op)
{
    ra_sync_globals(g);
    jit_flush_pc(g);
    x86_mov_rr(&g->e, true, RDI, JIT_ENV);
    x86_movi(&g->e, RSI, (uintptr_t)g->buf, false);
    x86_movi(&g->e, JIT_TMP, (uintptr_t)jit_lookup_indirect, false);
    x86_call_r(&g->e, JIT_TMP);
    x86_test_rr(&g->e, true, RAX, RAX);
    uint8_t *miss = x86_jcc32(&g->e, CC_E);
    x86_jmp_r(&g->e, RAX);
    x86_patch_rel32(&g->e, miss, x86_rx(&g->e, g->e.p));
    jump_to_epilogue(g, TB_EXIT_LOOKUP, 0, 0);
    g->reachable = false;
}

void isel_exit_return(JitGen *g, const IrOp *op)
{
    ra_sync_globals(g);
    jit_flush_pc(g);
    jump_to_epilogue(g, TB_EXIT_RETURN, 0, op->imm[0]);
    g->reachable = false;
}

static bool tail_space(JitGen *g)
{
    if (g->e.p > g->e.limit) {
        g->overflow = true;
    }
    return !g->overflow;
}

static void emit_slow_path(JitGen *g, const JitSlowPath *s)
{
    x86_patch_rel32(&g->e, s->disp, x86_rx(&g->e, g->e.p));
    if (s->store_pc) {
        store_pc(g, s->pc);
    }
    if (s->addr == X86_NOREG) {
        x86_movi(&g->e, RSI, s->addr_value, false);
    } else if (s->addr != RSI) {
        x86_mov_rr(&g->e, true, RSI, s->addr);
    }
    x86_mov_rr(&g->e, true, RDI, JIT_ENV);
    x86_movi(&g->e, RDX, s->is_store, false);
    const void *fn = s->kind == SLOW_MISALIGNED ? (const void *)g->ctx->mem->misaligned
                                                : (const void *)g->ctx->mem->bad_address;
    x86_movi(&g->e, JIT_TMP, (uintptr_t)fn, false);
    x86_call_r(&g->e, JIT_TMP);
    x86_ud2(&g->e); /* misaligned() and bad_address() do not return */
}

void isel_emit_tail(JitGen *g, JitTb *jt)
{
    for (guint i = 0; i < g->exits->len && tail_space(g); i++) {
        JitExitSite *site = &g_array_index(g->exits, JitExitSite, i);
        uint8_t *stub = g->e.p;
        jump_to_epilogue(g, TB_EXIT_CHAIN, site->slot, 0);
        x86_patch_rel32(&g->e, site->disp, x86_rx(&g->e, stub));
        unsigned n = jt->n_sites[site->slot];
        if (n < JIT_MAX_SITES) {
            jt->site[site->slot][n] = (uint32_t)(site->disp - g->e.start);
            jt->stub[site->slot][n] = (uint32_t)(stub - g->e.start);
            jt->n_sites[site->slot] = (uint8_t)(n + 1);
        }
    }
    if (g->request_fix->len && tail_space(g)) {
        uintptr_t stub = x86_rx(&g->e, g->e.p);
        jump_to_epilogue(g, TB_EXIT_REQUEST, 0, 0);
        for (guint i = 0; i < g->request_fix->len; i++) {
            x86_patch_rel32(&g->e, g_array_index(g->request_fix, uint8_t *, i), stub);
        }
    }
    for (guint i = 0; i < g->slow->len && tail_space(g); i++) {
        emit_slow_path(g, &g_array_index(g->slow, JitSlowPath, i));
    }
    tail_space(g);
}
