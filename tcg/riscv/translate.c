/*
 * The RISC-V front end: guest instructions to IR.
 *
 * translate_block() fetches and decodes one instruction at a time with the decoders
 * generated from insn32.decode and insn16.decode (tcg/decodegen.py), and each pattern's
 * trans_<name>() emits its IR. The trans functions live by extension in trans-*.c.inc,
 * included below, each a few lines handing off to a shared gen_* helper.
 *
 * A block ends at a control transfer, at an instruction that changes how later ones
 * must be translated or that must return to the exec loop (fence.i, ecall, csr writes
 * of privileged state), after RISCV_MAX_BLOCK_INSNS instructions, or before an
 * instruction that would cross into a page that is not readable.
 */
#include "tcg/riscv/translate.h"

#include <glib.h>
#include <string.h>

#include "tcg/riscv/helper.h"
#include "tcg/riscv/mmu.h"

#define RISCV_MAX_BLOCK_INSNS 128

IrTemp riscv_gpr[32];
IrTemp riscv_fpr[32];
static IrTemp riscv_pc, riscv_res_addr, riscv_res_val;

void gen_exception(DisasContext *ctx, RiscvException cause, uint64_t tval)
{
    IR_CALL(ctx->b, helper_raise, IR_CALL_MAY_RAISE | IR_CALL_READS_ENV, IR_TEMP_NONE,
            ctx->b->env, ir_const64(ctx->b, cause), ir_const64(ctx->b, tval),
            ir_const64(ctx->b, ctx->pc));
    ir_exit_return(ctx->b, RISCV_RET_NONE); /* not reached; keeps the block well formed */
    ctx->is_jmp = DISAS_NORETURN;
}

void gen_illegal(DisasContext *ctx)
{
    gen_exception(ctx, RISCV_EXCP_ILLEGAL_INSN, ctx->insn);
}

void gen_goto_pc(DisasContext *ctx, unsigned slot, uint64_t dest)
{
    ir_exit_direct(ctx->b, slot, dest);
}

void gen_set_pc(DisasContext *ctx, IrTemp dest)
{
    ir_mov(ctx->b, IR_I64, riscv_pc, dest);
}

/* rs1 + imm, the address of a load, store or jalr. */
static IrTemp gen_addr(DisasContext *ctx, int rs1, int64_t imm)
{
    IrTemp t = ir_temp(ctx->b, IR_I64);
    ir_add_i64(ctx->b, t, get_gpr(ctx, rs1), ir_const64(ctx->b, (uint64_t)imm));
    return t;
}

/* The decoders: arg_* structs and trans_* prototypes, then the decode functions. */
#include "insn32.c.inc"
#include "insn16.c.inc"

#include "tcg/riscv/trans-rvi.c.inc"
#include "tcg/riscv/trans-rvm.c.inc"
#include "tcg/riscv/trans-rva.c.inc"
#include "tcg/riscv/trans-rvb.c.inc"
#include "tcg/riscv/trans-rvf.c.inc"
#include "tcg/riscv/trans-zicsr.c.inc"
#include "tcg/riscv/trans-priv.c.inc"

/* Reads the 16-bit parcel at pc; false with *ret_fault (and the faulting address in
 * *ret_addr) if it cannot be fetched. */
static bool fetch16(DisasContext *ctx, uint64_t pc, uint32_t *ret, RiscvException *ret_fault)
{
    if (ctx->cpu->user_mode) {
        if (riscv_user_code_readable && !riscv_user_code_readable(pc, 2)) {
            *ret_fault = RISCV_EXCP_INSN_PAGE_FAULT;
            return false;
        }
        uint16_t v;
        memcpy(&v, riscv_g2h(pc), 2);
        *ret = v;
        return true;
    }
    uint16_t v;
    if (!riscv_fetch_code(ctx->cpu, pc, &v, ret_fault, NULL)) {
        return false;
    }
    *ret = v;
    return true;
}

/* Translates one instruction; false when the block must end before it. */
static bool translate_insn(DisasContext *ctx, bool first)
{
    RiscvException fault;
    uint32_t lo, hi;
    uint64_t fault_addr = ctx->pc;
    bool ok = fetch16(ctx, ctx->pc, &lo, &fault);
    bool is32 = ok && (lo & 3) == 3;
    if (is32) {
        /* The second half may lie on the next page; a block never continues into a page
         * it has not checked, so such an instruction starts a block of its own. */
        if (!first && ((ctx->pc + 2) & 0xfff) == 0) {
            return false;
        }
        fault_addr = ctx->pc + 2;
        ok = fetch16(ctx, ctx->pc + 2, &hi, &fault);
    }
    if (!ok) {
        if (!first) {
            return false;
        }
        ir_insn_start(ctx->b, ctx->pc);
        gen_exception(ctx, fault, fault_addr);
        return true;
    }
    ir_insn_start(ctx->b, ctx->pc);
    if (is32) {
        ctx->insn = lo | hi << 16;
        ctx->pc_next = ctx->pc + 4;
        if (!decode_insn32(ctx, ctx->insn)) {
            gen_illegal(ctx);
        }
    } else {
        ctx->insn = lo;
        ctx->pc_next = ctx->pc + 2;
        if (!decode_insn16(ctx, ctx->insn)) {
            gen_illegal(ctx);
        }
    }
    return true;
}

static void riscv_translate(void *env, TranslationBlock *tb, IrBlock *b)
{
    RiscvCPU *cpu = env;
    DisasContext ctx = {
        .b = b,
        .cpu = cpu,
        .tb = tb,
        .pc = tb->pc,
        .flags = tb->flags,
        .mmu_idx = riscv_tb_flags_mmu_idx(tb->flags),
    };
    unsigned n = 0;
    if (!cpu->user_mode) {
        uint16_t dummy;
        RiscvException fault;
        uint64_t paddr;
        const RiscvBus *bus = cpu->sys.bus;
        if (bus->code_translated && riscv_fetch_code(cpu, tb->pc, &dummy, &fault, &paddr)) {
            bus->code_translated(bus->opaque, paddr);
        }
    }
    for (;;) {
        if (!translate_insn(&ctx, n == 0)) {
            ctx.pc_next = ctx.pc;
            ctx.is_jmp = DISAS_CHAIN;
            break;
        }
        n++;
        if (ctx.is_jmp != DISAS_NEXT) {
            break;
        }
        ctx.pc = ctx.pc_next;
        if (n >= RISCV_MAX_BLOCK_INSNS) {
            ctx.is_jmp = DISAS_CHAIN;
            break;
        }
        /* Keep blocks within one guest page so that page-granular invalidation and
         * (system mode) page-granular translation stay exact. */
        if ((ctx.pc & 0xfff) == 0) {
            ctx.is_jmp = DISAS_CHAIN;
            break;
        }
    }
    switch (ctx.is_jmp) {
    case DISAS_CHAIN:
        gen_goto_pc(&ctx, 0, ctx.pc_next);
        break;
    case DISAS_STOP:
        ir_mov(b, IR_I64, riscv_pc, ir_const64(b, ctx.pc_next));
        ir_exit_return(b, RISCV_RET_NONE);
        break;
    default:
        break;
    }
    tb->size = (uint32_t)(ctx.pc_next - tb->pc);
    if (tb->size == 0) {
        tb->size = 2;
    }
    tb->n_insns = n;
}

static IrContext riscv_ir_ctx;
static const TbFrontend riscv_frontend = {
    .ctx = &riscv_ir_ctx,
    .translate = riscv_translate,
    .lookup_flags = riscv_tb_key_flags,
};

const TbFrontend *riscv_frontend_init(const IrGuestMemory *mem)
{
    static const char *const xnames[32] = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
        "a1",   "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
        "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    };
    static const char *const fnames[32] = {
        "ft0", "ft1", "ft2",  "ft3",  "ft4", "ft5", "ft6",  "ft7",  "fs0",  "fs1", "fa0",
        "fa1", "fa2", "fa3",  "fa4",  "fa5", "fa6", "fa7",  "fs2",  "fs3",  "fs4", "fs5",
        "fs6", "fs7", "fs8",  "fs9",  "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
    };
    static gsize initialized;
    if (g_once_init_enter(&initialized)) {
        IrContext *c = &riscv_ir_ctx;
        ir_context_init(c, offsetof(RiscvCPU, pc), offsetof(RiscvCPU, ir_scratch),
                        offsetof(RiscvCPU, exit_request));
        c->mem = mem;
        riscv_gpr[0] = IR_TEMP_NONE;
        for (int i = 1; i < 32; i++) {
            riscv_gpr[i] = ir_context_global(c, IR_I64, offsetof(RiscvCPU, x[i]), xnames[i]);
        }
        for (int i = 0; i < 32; i++) {
            riscv_fpr[i] = ir_context_global(c, IR_I64, offsetof(RiscvCPU, f[i]), fnames[i]);
        }
        riscv_pc = ir_context_global(c, IR_I64, offsetof(RiscvCPU, pc), "pc");
        riscv_res_addr =
            ir_context_global(c, IR_I64, offsetof(RiscvCPU, res_addr), "res_addr");
        riscv_res_val = ir_context_global(c, IR_I64, offsetof(RiscvCPU, res_val), "res_val");
        g_once_init_leave(&initialized, 1);
    }
    return &riscv_frontend;
}
