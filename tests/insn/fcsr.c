/*
 * fcsr.c: the floating-point CSRs fflags, frm and fcsr (Zicsr on them).
 *
 * fcsr = frm << 5 | fflags, bits 31:8 read as zero; fflags and frm are views of it with
 * their widths (5 and 3 bits), writes are masked to those widths, frm accepts the
 * reserved values 5-7 (only a dynamic-rm instruction traps on them). Every csrr* form
 * returns the old value; csrrs/csrrc with x0 or uimm 0 do not write; instructions accrue
 * flags (OR) and never clear them; frm set through any of the three CSRs drives
 * rounding with rm = dyn.
 */
#include "fp.h"

static u64 rd_fcsr(void)
{
    u64 v;
    __asm__ volatile("csrr %0, fcsr" : "=r"(v));
    return v;
}

static u64 rd_frm(void)
{
    u64 v;
    __asm__ volatile("csrr %0, frm" : "=r"(v));
    return v;
}

static u64 rd_fflags(void)
{
    u64 v;
    __asm__ volatile("csrr %0, fflags" : "=r"(v));
    return v;
}

static void wr_fcsr(u64 v)
{
    __asm__ volatile("csrw fcsr, %0" : : "r"(v));
}

/* Run a CSR instruction with operand v (register %1), return its rd. */
#define CSR_OP(insn, v)                                                                            \
    ({                                                                                             \
        u64 r_;                                                                                    \
        __asm__ volatile(insn : "=&r"(r_) : "r"((u64)(v)));                                        \
        r_;                                                                                        \
    })

static void test_views(void)
{
    wr_fcsr(0);
    t_check("fcsr", "write 0", rd_fcsr(), 0);
    wr_fcsr(0xff);
    t_check("fcsr", "write 0xff", rd_fcsr(), 0xff);
    t_check("frm", "after fcsr = 0xff", rd_frm(), 7);
    t_check("fflags", "after fcsr = 0xff", rd_fflags(), 0x1f);
    wr_fcsr(ONES);
    t_check("fcsr", "write ~0: reserved bits read 0", rd_fcsr(), 0xff);
    wr_fcsr(0x1234);
    t_check("fcsr", "write 0x1234", rd_fcsr(), 0x34);
    t_check("frm", "after fcsr = 0x34", rd_frm(), 1);
    t_check("fflags", "after fcsr = 0x34", rd_fflags(), 0x14);

    wr_fcsr(0);
    __asm__ volatile("csrw fflags, %0" : : "r"(0xffull));
    t_check("fflags", "write 0xff masks to 5 bits", rd_fflags(), 0x1f);
    t_check("fcsr", "after fflags = 0xff", rd_fcsr(), 0x1f);
    wr_fcsr(0);
    __asm__ volatile("csrw frm, %0" : : "r"(0xffull));
    t_check("frm", "write 0xff masks to 3 bits", rd_frm(), 7);
    t_check("fcsr", "after frm = 0xff", rd_fcsr(), 0xe0);
    __asm__ volatile("csrw frm, %0" : : "r"(5ull));
    t_check("frm", "reserved value 5 is kept", rd_frm(), 5);

    wr_fcsr(3 << 5 | 0x05);
    t_check("frm", "fcsr = 0x65", rd_frm(), 3);
    t_check("fflags", "fcsr = 0x65", rd_fflags(), 5);
    __asm__ volatile("csrw fflags, zero");
    t_check("frm", "fflags write leaves frm", rd_frm(), 3);
    __asm__ volatile("csrw fflags, %0\n\tcsrw frm, %1" : : "r"(0x1full), "r"(0ull));
    t_check("fflags", "frm write leaves fflags", rd_fflags(), 0x1f);
}

static void test_rmw(void)
{
    wr_fcsr(3 << 5 | 0x05);
    t_check("csrrs", "fflags, x0 reads", CSR_OP("csrrs %0, fflags, x0", 0), 5);
    t_check("csrrs", "fflags, x0 does not write", rd_fcsr(), 0x65);
    t_check("csrrsi", "fflags, 0 reads", CSR_OP("csrrsi %0, fflags, 0", 0), 5);
    t_check("csrrci", "fflags, 0 reads", CSR_OP("csrrci %0, fflags, 0", 0), 5);
    t_check("csrrc", "fcsr, x0 reads", CSR_OP("csrrc %0, fcsr, x0", 0), 0x65);
    t_check("csrr*", "x0/uimm 0 forms leave fcsr", rd_fcsr(), 0x65);

    t_check("csrrsi", "fflags, 0xa old", CSR_OP("csrrsi %0, fflags, 0xa", 0), 5);
    t_check("csrrsi", "fflags, 0xa new", rd_fflags(), 0x0f);
    t_check("csrrci", "fflags, 3 old", CSR_OP("csrrci %0, fflags, 3", 0), 0x0f);
    t_check("csrrci", "fflags, 3 new", rd_fflags(), 0x0c);
    t_check("csrrc", "fcsr, 0xe0 old", CSR_OP("csrrc %0, fcsr, %1", 0xe0), 0x6c);
    t_check("csrrc", "fcsr, 0xe0 new", rd_fcsr(), 0x0c);
    t_check("csrrw", "frm, 2 old", CSR_OP("csrrw %0, frm, %1", 2), 0);
    t_check("csrrw", "frm, 2 new fcsr", rd_fcsr(), 0x4c);
    t_check("csrrwi", "fflags, 0x1f old", CSR_OP("csrrwi %0, fflags, 0x1f", 0), 0x0c);
    t_check("csrrwi", "fflags, 0x1f new fcsr", rd_fcsr(), 0x5f);
    t_check("fsrmi", "4 old", CSR_OP("fsrmi %0, 4", 0), 2);
    t_check("fsrmi", "4 new", rd_frm(), 4);
    t_check("fsflagsi", "0 old", CSR_OP("fsflagsi %0, 0", 0), 0x1f);
    t_check("fsflagsi", "0 new fcsr", rd_fcsr(), 0x80);
    t_check("csrrs", "fcsr, 0x101 old", CSR_OP("csrrs %0, fcsr, %1", 0x101), 0x80);
    t_check("csrrs", "fcsr, 0x101 new", rd_fcsr(), 0x81);
    t_check("fscsr", "old", CSR_OP("fscsr %0, %1", 0x22), 0x81);
    t_check("fscsr", "new", rd_fcsr(), 0x22);
    t_check("fsrm", "old", CSR_OP("fsrm %0, %1", 0x1c), 1);
    t_check("fsrm", "masks to 3 bits", rd_frm(), 4);
    t_check("fsflags", "old", CSR_OP("fsflags %0, %1", 0x3), 2);
    t_check("fsflags", "new fcsr", rd_fcsr(), 0x83);

    u64 v = 0x41;
    __asm__ volatile("csrrw %0, fcsr, %0" : "+r"(v));
    t_check("csrrw", "rd == rs1 old", v, 0x83);
    t_check("csrrw", "rd == rs1 new", rd_fcsr(), 0x41);
    __asm__ volatile("csrrs x0, fflags, %0" : : "r"(0x10ull));
    t_check("csrrs", "rd == x0 still writes", rd_fcsr(), 0x51);
}

/* fadd.s with the dynamic rounding mode on 1 + 0.75 ulp. */
static u64 add_dyn(void)
{
    u64 r;
    __asm__ volatile("fmv.w.x ft0, %1\n\tfmv.w.x ft1, %2\n\tfadd.s ft2, ft0, ft1, dyn\n\t"
                     "fmv.x.w %0, ft2"
                     : "=r"(r)
                     : "r"(0x3f800000ull), "r"(0x33c00000ull)
                     : "ft0", "ft1", "ft2");
    return r;
}

static void test_rounding_and_accrual(void)
{
    wr_fcsr(RTZ << 5);
    t_check("frm via fcsr", "rtz rounds down", add_dyn(), 0x3f800000);
    u64 old;
    __asm__ volatile("fsrmi %0, 3" : "=r"(old));
    t_check("frm via fsrmi", "rup rounds up", add_dyn(), 0x3f800001);
    __asm__ volatile("csrwi frm, 2");
    t_check("frm via csrwi", "rdn rounds down", add_dyn(), 0x3f800000);
    __asm__ volatile("csrwi frm, 0");
    t_check("frm via csrwi", "rne rounds up", add_dyn(), 0x3f800001);

    /* Flags accrue: an op ORs its flags in and never clears the others. */
    wr_fcsr(NV);
    u64 r;
    __asm__ volatile("fmv.w.x ft0, %1\n\tfmv.w.x ft1, %2\n\tfdiv.s ft2, ft0, ft1\n\t"
                     "fmv.x.w %0, ft2"
                     : "=r"(r)
                     : "r"(0x3f800000ull), "r"(0x40400000ull)
                     : "ft0", "ft1", "ft2");
    t_check("fflags", "NV then inexact op", rd_fflags(), NV | NX);
    __asm__ volatile("fmv.w.x ft0, %1\n\tfmv.w.x ft1, zero\n\tfdiv.s ft2, ft0, ft1\n\t"
                     "fmv.x.w %0, ft2"
                     : "=r"(r)
                     : "r"(0x3f800000ull)
                     : "ft0", "ft1", "ft2");
    t_check("fflags", "then a division by zero", rd_fflags(), NV | NX | DZ);
    __asm__ volatile("fmv.w.x ft0, %1\n\tfadd.s ft2, ft0, ft0\n\tfmv.x.w %0, ft2"
                     : "=r"(r)
                     : "r"(0x3f800000ull)
                     : "ft0", "ft2");
    t_check("fflags", "then an exact op", rd_fflags(), NV | NX | DZ);
    t_check("fcsr", "frm untouched by ops", rd_frm(), 0);
    wr_fcsr(0);
}

int main(void)
{
    test_views();
    test_rmw();
    test_rounding_and_accrual();
    return t_finish();
}
