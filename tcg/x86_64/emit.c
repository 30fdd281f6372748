/*
 * The x86-64 encoder (see emit.h). Every instruction goes through x86_op_rr (register
 * operand in ModRM.rm) or x86_op_rm (memory operand), which lay out, in order: LOCK,
 * operand-size and mandatory prefixes, REX, the 0F escape and opcode, ModRM, SIB and
 * displacement. Immediates follow. Opcode words carry their prefixes as flag bits.
 */
#include "tcg/x86_64/emit.h"

#include <glib.h>

enum {
    P_0F = 0x100,       /* 0F escape */
    P_0F38 = 0x200,     /* 0F 38 escape */
    P_66 = 0x400,       /* operand-size prefix (16-bit operands) */
    P_F3 = 0x800,       /* mandatory F3 prefix (lzcnt, tzcnt, popcnt) */
    P_W = 0x1000,       /* REX.W: 64-bit operands */
    P_BYTE_R = 0x2000,  /* ModRM.reg names a byte register: spl..dil need a REX */
    P_BYTE_RM = 0x4000, /* ModRM.rm names a byte register */
    P_LOCK = 0x8000,    /* LOCK prefix */
};

static inline uint32_t pw(bool w)
{
    return w ? P_W : 0;
}

static void x86_prefix_opc(JitEmit *e, uint32_t opc, int r, int rm, int index)
{
    if (opc & P_LOCK) {
        x86_byte(e, 0xf0);
    }
    if (opc & P_66) {
        x86_byte(e, 0x66);
    }
    if (opc & P_F3) {
        x86_byte(e, 0xf3);
    }
    unsigned rex = (opc & P_W) ? 8 : 0;
    rex |= (r >= 8) ? 4 : 0;
    rex |= (index >= 8) ? 2 : 0;
    rex |= (rm >= 8) ? 1 : 0;
    bool force = ((opc & P_BYTE_R) && r >= 4 && r < 8) || ((opc & P_BYTE_RM) && rm >= 4 && rm < 8);
    if (rex || force) {
        x86_byte(e, (uint8_t)(0x40 | rex));
    }
    if (opc & (P_0F | P_0F38)) {
        x86_byte(e, 0x0f);
    }
    if (opc & P_0F38) {
        x86_byte(e, 0x38);
    }
    x86_byte(e, (uint8_t)opc);
}

static void x86_op_rr(JitEmit *e, uint32_t opc, int r, int rm)
{
    x86_prefix_opc(e, opc, r, rm, X86_NOREG);
    x86_byte(e, (uint8_t)(0xc0 | (r & 7) << 3 | (rm & 7)));
}

static void x86_op_rm(JitEmit *e, uint32_t opc, int r, X86Mem m)
{
    x86_prefix_opc(e, opc, r, m.base, m.index);
    unsigned mod;
    if (m.disp == 0 && (m.base & 7) != RBP) {
        mod = 0; /* rbp/r13 as a base with mod 00 would mean rip-relative/disp32 */
    } else if (x86_fits_i8(m.disp)) {
        mod = 1;
    } else {
        mod = 2;
    }
    if (m.index == X86_NOREG && (m.base & 7) != RSP) {
        x86_byte(e, (uint8_t)(mod << 6 | (r & 7) << 3 | (m.base & 7)));
    } else {
        /* rsp/r12 as a base, or any index, needs a SIB byte; index 100 means none. */
        unsigned index = m.index == X86_NOREG ? 4 : (unsigned)(m.index & 7);
        x86_byte(e, (uint8_t)(mod << 6 | (r & 7) << 3 | 4));
        x86_byte(e, (uint8_t)(m.shift << 6 | index << 3 | (m.base & 7)));
    }
    if (mod == 1) {
        x86_byte(e, (uint8_t)m.disp);
    } else if (mod == 2) {
        x86_u32(e, (uint32_t)m.disp);
    }
}

void x86_mov_rr(JitEmit *e, bool w, X86Reg d, X86Reg s)
{
    x86_op_rr(e, 0x8b | pw(w), d, s);
}

void x86_movi(JitEmit *e, X86Reg d, uint64_t v, bool keep_flags)
{
    if (v == 0 && !keep_flags) {
        x86_op_rr(e, 0x31, d, d); /* xor d32, d32 */
    } else if (v <= UINT32_MAX) {
        x86_prefix_opc(e, 0xb8 + (d & 7), 0, d, X86_NOREG); /* mov r32, imm32 */
        x86_u32(e, (uint32_t)v);
    } else if (x86_fits_i32((int64_t)v)) {
        x86_op_rr(e, 0xc7 | P_W, 0, d); /* mov r/m64, simm32 */
        x86_u32(e, (uint32_t)v);
    } else {
        x86_prefix_opc(e, (0xb8 + (d & 7)) | P_W, 0, d, X86_NOREG); /* movabs */
        x86_u64(e, v);
    }
}

void x86_load(JitEmit *e, unsigned size_log2, bool sign, bool w, X86Reg d, X86Mem m)
{
    switch (size_log2) {
    case 0:
        x86_op_rm(e, (sign ? 0xbe : 0xb6) | P_0F | (sign ? pw(w) : 0), d, m);
        break;
    case 1:
        x86_op_rm(e, (sign ? 0xbf : 0xb7) | P_0F | (sign ? pw(w) : 0), d, m);
        break;
    case 2:
        if (sign && w) {
            x86_op_rm(e, 0x63 | P_W, d, m); /* movsxd */
        } else {
            x86_op_rm(e, 0x8b, d, m);
        }
        break;
    default:
        x86_op_rm(e, 0x8b | pw(w), d, m);
        break;
    }
}

void x86_store(JitEmit *e, unsigned size_log2, X86Reg s, X86Mem m)
{
    static const uint32_t opc[4] = {0x88 | P_BYTE_R, 0x89 | P_66, 0x89, 0x89 | P_W};
    x86_op_rm(e, opc[size_log2 & 3], s, m);
}

void x86_store_imm(JitEmit *e, unsigned size_log2, int32_t imm, X86Mem m)
{
    switch (size_log2) {
    case 0:
        x86_op_rm(e, 0xc6, 0, m);
        x86_byte(e, (uint8_t)imm);
        break;
    case 1:
        x86_op_rm(e, 0xc7 | P_66, 0, m);
        x86_byte(e, (uint8_t)imm);
        x86_byte(e, (uint8_t)(imm >> 8));
        break;
    default:
        x86_op_rm(e, 0xc7 | pw(size_log2 == 3), 0, m);
        x86_u32(e, (uint32_t)imm);
        break;
    }
}

void x86_lea(JitEmit *e, bool w, X86Reg d, X86Mem m)
{
    x86_op_rm(e, 0x8d | pw(w), d, m);
}

void x86_alu_rr(JitEmit *e, X86Alu op, bool w, X86Reg d, X86Reg s)
{
    x86_op_rr(e, (uint32_t)(op << 3 | 1) | pw(w), s, d);
}

void x86_alu_ri(JitEmit *e, X86Alu op, bool w, X86Reg d, int32_t imm)
{
    if (x86_fits_i8(imm)) {
        x86_op_rr(e, 0x83 | pw(w), op, d);
        x86_byte(e, (uint8_t)imm);
    } else {
        x86_op_rr(e, 0x81 | pw(w), op, d);
        x86_u32(e, (uint32_t)imm);
    }
}

void x86_alu_mi(JitEmit *e, X86Alu op, bool w, X86Mem m, int32_t imm)
{
    if (x86_fits_i8(imm)) {
        x86_op_rm(e, 0x83 | pw(w), op, m);
        x86_byte(e, (uint8_t)imm);
    } else {
        x86_op_rm(e, 0x81 | pw(w), op, m);
        x86_u32(e, (uint32_t)imm);
    }
}

void x86_op_cmp_rm(JitEmit *e, X86Reg r, X86Mem m)
{
    x86_op_rm(e, (ALU_CMP << 3 | 3) | P_W, r, m);
}

void x86_test_rr(JitEmit *e, bool w, X86Reg a, X86Reg b)
{
    x86_op_rr(e, 0x85 | pw(w), b, a);
}

void x86_test_ri(JitEmit *e, bool w, X86Reg a, int32_t imm)
{
    if ((imm & ~0xff) == 0) {
        x86_op_rr(e, 0xf6 | P_BYTE_RM, 0, a); /* test r8, imm8 */
        x86_byte(e, (uint8_t)imm);
    } else {
        x86_op_rr(e, 0xf7 | pw(w), 0, a);
        x86_u32(e, (uint32_t)imm);
    }
}

void x86_grp3(JitEmit *e, X86Grp3 op, bool w, X86Reg r)
{
    x86_op_rr(e, 0xf7 | pw(w), op, r);
}

void x86_imul_rr(JitEmit *e, bool w, X86Reg d, X86Reg s)
{
    x86_op_rr(e, 0xaf | P_0F | pw(w), d, s);
}

void x86_imul_rri(JitEmit *e, bool w, X86Reg d, X86Reg s, int32_t imm)
{
    if (x86_fits_i8(imm)) {
        x86_op_rr(e, 0x6b | pw(w), d, s);
        x86_byte(e, (uint8_t)imm);
    } else {
        x86_op_rr(e, 0x69 | pw(w), d, s);
        x86_u32(e, (uint32_t)imm);
    }
}

void x86_shift_ri(JitEmit *e, X86Shift op, bool w, X86Reg r, unsigned count)
{
    if (count == 1) {
        x86_op_rr(e, 0xd1 | pw(w), op, r);
    } else {
        x86_op_rr(e, 0xc1 | pw(w), op, r);
        x86_byte(e, (uint8_t)count);
    }
}

void x86_shift_cl(JitEmit *e, X86Shift op, bool w, X86Reg r)
{
    x86_op_rr(e, 0xd3 | pw(w), op, r);
}

void x86_cqo(JitEmit *e, bool w)
{
    if (w) {
        x86_byte(e, 0x48);
    }
    x86_byte(e, 0x99);
}

void x86_setcc(JitEmit *e, X86Cond cc, X86Reg r)
{
    x86_op_rr(e, (0x90 + cc) | P_0F | P_BYTE_RM, 0, r);
}

void x86_cmov(JitEmit *e, X86Cond cc, bool w, X86Reg d, X86Reg s)
{
    x86_op_rr(e, (0x40 + cc) | P_0F | pw(w), d, s);
}

void x86_movzx(JitEmit *e, unsigned size_log2, X86Reg d, X86Reg s)
{
    if (size_log2 == 0) {
        x86_op_rr(e, 0xb6 | P_0F | P_BYTE_RM, d, s);
    } else if (size_log2 == 1) {
        x86_op_rr(e, 0xb7 | P_0F, d, s);
    } else {
        x86_mov_rr(e, false, d, s);
    }
}

void x86_movsx(JitEmit *e, unsigned size_log2, bool w, X86Reg d, X86Reg s)
{
    if (size_log2 == 0) {
        x86_op_rr(e, 0xbe | P_0F | P_BYTE_RM | pw(w), d, s);
    } else if (size_log2 == 1) {
        x86_op_rr(e, 0xbf | P_0F | pw(w), d, s);
    } else if (w) {
        x86_op_rr(e, 0x63 | P_W, d, s); /* movsxd */
    } else {
        x86_mov_rr(e, false, d, s);
    }
}

void x86_bitop(JitEmit *e, X86BitOp op, bool w, X86Reg d, X86Reg s)
{
    static const uint32_t opc[] = {
        [BIT_BSF] = 0xbc | P_0F,           [BIT_BSR] = 0xbd | P_0F,
        [BIT_TZCNT] = 0xbc | P_0F | P_F3,  [BIT_LZCNT] = 0xbd | P_0F | P_F3,
        [BIT_POPCNT] = 0xb8 | P_0F | P_F3,
    };
    x86_op_rr(e, opc[op] | pw(w), d, s);
}

void x86_bswap(JitEmit *e, bool w, X86Reg r)
{
    x86_prefix_opc(e, (0xc8 + (r & 7)) | P_0F | pw(w), 0, r, X86_NOREG);
}

void x86_andn(JitEmit *e, bool w, X86Reg d, X86Reg s1, X86Reg s2)
{
    /* Three-byte VEX: C4, then ~R ~X ~B and map 0F38, then W, ~vvvv, L=0, pp=00. */
    x86_byte(e, 0xc4);
    x86_byte(e, (uint8_t)(((d & 8) ? 0 : 0x80) | 0x40 | ((s2 & 8) ? 0 : 0x20) | 0x02));
    x86_byte(e, (uint8_t)((w ? 0x80 : 0) | ((~s1 & 0xf) << 3)));
    x86_byte(e, 0xf2);
    x86_byte(e, (uint8_t)(0xc0 | (d & 7) << 3 | (s2 & 7)));
}

static uint32_t atomic_opc(unsigned size_log2, uint32_t byte_opc)
{
    switch (size_log2) {
    case 0:
        return byte_opc | P_BYTE_R;
    case 1:
        return (byte_opc + 1) | P_66;
    case 2:
        return byte_opc + 1;
    default:
        return (byte_opc + 1) | P_W;
    }
}

void x86_lock_cmpxchg(JitEmit *e, unsigned size_log2, X86Reg r, X86Mem m)
{
    x86_op_rm(e, atomic_opc(size_log2, 0xb0) | P_0F | P_LOCK, r, m);
}

void x86_lock_xadd(JitEmit *e, unsigned size_log2, X86Reg r, X86Mem m)
{
    x86_op_rm(e, atomic_opc(size_log2, 0xc0) | P_0F | P_LOCK, r, m);
}

void x86_xchg(JitEmit *e, unsigned size_log2, X86Reg r, X86Mem m)
{
    x86_op_rm(e, atomic_opc(size_log2, 0x86), r, m); /* xchg with memory is always locked */
}

void x86_mfence(JitEmit *e)
{
    x86_byte(e, 0x0f);
    x86_byte(e, 0xae);
    x86_byte(e, 0xf0);
}

uint8_t *x86_jcc32(JitEmit *e, X86Cond cc)
{
    x86_byte(e, 0x0f);
    x86_byte(e, (uint8_t)(0x80 + cc));
    uint8_t *disp = e->p;
    x86_u32(e, 0);
    return disp;
}

uint8_t *x86_jmp32(JitEmit *e)
{
    x86_byte(e, 0xe9);
    uint8_t *disp = e->p;
    x86_u32(e, 0);
    return disp;
}

uint8_t *x86_jcc8(JitEmit *e, X86Cond cc)
{
    x86_byte(e, (uint8_t)(0x70 + cc));
    x86_byte(e, 0);
    return e->p - 1;
}

uint8_t *x86_jmp8(JitEmit *e)
{
    x86_byte(e, 0xeb);
    x86_byte(e, 0);
    return e->p - 1;
}

void x86_patch_rel8(JitEmit *e, uint8_t *disp)
{
    ptrdiff_t rel = e->p - (disp + 1);
    g_assert(rel >= 0 && rel <= INT8_MAX);
    *disp = (uint8_t)rel;
}

void x86_patch_rel32(const JitEmit *e, uint8_t *disp, uintptr_t target)
{
    int64_t rel = (int64_t)(target - (x86_rx(e, disp) + 4));
    g_assert(x86_fits_i32(rel));
    int32_t r32 = (int32_t)rel;
    memcpy(disp, &r32, 4);
}

void x86_call_r(JitEmit *e, X86Reg r)
{
    x86_op_rr(e, 0xff, 2, r);
}

void x86_jmp_r(JitEmit *e, X86Reg r)
{
    x86_op_rr(e, 0xff, 4, r);
}

void x86_push(JitEmit *e, X86Reg r)
{
    x86_prefix_opc(e, 0x50 + (r & 7), 0, r, X86_NOREG);
}

void x86_pop(JitEmit *e, X86Reg r)
{
    x86_prefix_opc(e, 0x58 + (r & 7), 0, r, X86_NOREG);
}

void x86_ret(JitEmit *e)
{
    x86_byte(e, 0xc3);
}

void x86_ud2(JitEmit *e)
{
    x86_byte(e, 0x0f);
    x86_byte(e, 0x0b);
}

void x86_nops(JitEmit *e, unsigned n)
{
    /* The SDM's recommended multi-byte nops, 1 to 8 bytes. */
    static const uint8_t nop[8][8] = {
        {0x90},
        {0x66, 0x90},
        {0x0f, 0x1f, 0x00},
        {0x0f, 0x1f, 0x40, 0x00},
        {0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
        {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
    };
    while (n) {
        unsigned k = n > 8 ? 8 : n;
        memcpy(e->p, nop[k - 1], k);
        e->p += k;
        n -= k;
    }
}
