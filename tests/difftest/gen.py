"""Random RV64GC (+Zba/Zbb/Zbc/Zbs/Zicond) program generator for the differential tester.

A generated program is a series of independent snippets. Snippet k is derived only from
(seed, k), so any one of them can be regenerated alone, cut down, and re-run. Each one:

  1. the driver loads fcsr, f0-f31, every x register but s0, and a 256-byte data buffer
     from the snippet's row of the initial-state table (a binary file next to the source,
     included with .incbin);
  2. the snippet sets s0 to the data buffer and runs its random straight-line items:
     ALU, M, A, F, D, Zba/Zbb/Zbc/Zbs(/Zicond), explicit compressed forms, loads/stores
     (always inside the buffer: s0 plus a small offset, or a temporary register set from
     s0 just before), AMOs and LR/SC (realigned), CSR accesses to fflags/frm/fcsr,
     forward branches and jumps over a few items, small counted backward loops;
  3. the saver stores all registers, fcsr and the buffer into an output record and
     writes it to stdout (one write per snippet).

s0 (x8) is the only reserved register: it is the memory base during a snippet (x8 is
nameable by the compressed 3-bit register fields, so c.lw/c.ld/c.sd... appear), and the
driver's jump register outside of it.

Avoided on purpose, because their results may legitimately differ: counters and timers,
reads of memory the program did not initialise, reserved/illegal encodings (c.addi16sp 0,
shifts by 0 in the compressed forms...), frm values 5-7 while dynamic-rounding
instructions can run, an SC whose reservation could be kept by a coarser reservation
set (the "other address" SCs are 64 bytes away), ecall/ebreak/fence.i. (difftest.py
also leaves out what the reference is known to get wrong.)

Items are kept as lists of assembly lines; an item is the unit the minimizer removes
(a branch item includes the items it skips, so removing it never leaves a dangling label).
"""

import random
import struct

BUF = 256  # bytes of data buffer the random memory accesses use
REC = 8 * 32 + 8 * 32 + 8 + BUF  # x regs, f regs, fcsr, buffer: input and output record
OFF_F = 256
OFF_FCSR = 512
OFF_BUF = 520

XNAMES = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2",
          "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
          "s10", "s11", "t3", "t4", "t5", "t6"]
FNAMES = ["ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
          "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
          "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"]
BASE = 8  # s0
WRITABLE = [r for r in range(1, 32) if r != BASE]  # registers random code may write
COMPRESSED = [r for r in range(9, 16)]  # x8-x15 minus the base

RR_OPS = ("add sub sll slt sltu xor srl sra or and addw subw sllw srlw sraw "
          "mul mulh mulhsu mulhu div divu rem remu mulw divw divuw remw remuw "
          "sh1add sh2add sh3add add.uw sh1add.uw sh2add.uw sh3add.uw "
          "andn orn xnor max maxu min minu rol ror rolw rorw "
          "clmul clmulh clmulr bclr bext binv bset").split()
RI_OPS = "addi slti sltiu xori ori andi addiw".split()
SH_OPS = [("slli", 63), ("srli", 63), ("srai", 63), ("slliw", 31), ("srliw", 31),
          ("sraiw", 31), ("slli.uw", 63), ("rori", 63), ("roriw", 31), ("bclri", 63),
          ("bexti", 63), ("binvi", 63), ("bseti", 63)]
UNARY_OPS = ("clz clzw ctz ctzw cpop cpopw sext.b sext.h zext.h orc.b rev8 zext.w "
             "neg negw sext.w seqz snez sltz sgtz not mv").split()
BRANCHES = "beq bne blt bge bltu bgeu bgt ble bgtu bleu".split()
BRANCHES_Z = "beqz bnez bltz bgez blez bgtz".split()
LOADS = [("lb", 1), ("lh", 2), ("lw", 4), ("ld", 8), ("lbu", 1), ("lhu", 2), ("lwu", 4)]
STORES = [("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)]
AMOS = "amoswap amoadd amoxor amoand amoor amomin amomax amominu amomaxu".split()
ORDER = ["", ".aq", ".rl", ".aqrl"]
RMS = ["rne", "rtz", "rdn", "rup", "rmm", "dyn", None]
# Exact conversions binutils 2.40 takes without an rm operand: (mnemonic, funct7, rs2).
EXACT_CVT = [("fcvt.d.w", 0x69, 0), ("fcvt.d.wu", 0x69, 1), ("fcvt.d.s", 0x21, 0)]

INT_SPECIALS = [0, 1, 2, 0xffffffffffffffff, 0xfffffffffffffffe, 0x7fffffff, 0x80000000,
                0xffffffff, 0xffffffff80000000, 0x100000000, 0x7fffffffffffffff,
                0x8000000000000000, 31, 32, 63, 64, 0xff, 0x80, 0xffff, 0x8000,
                0xffffffff7fffffff, 0x3f800000, 0xffffffff3f800000, 0x3ff0000000000000]
SINGLE_SPECIALS = [0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
                   0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fc12345, 0x7fbfffff,
                   0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
                   0x3f800001, 0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000, 0x4f800000,
                   0x5f800000, 0x3f000000, 0x3fc00000, 0x40200000, 0xbf000000, 0x4b800000,
                   0x33800000, 0x40400000, 0x3eaaaaab]
DOUBLE_SPECIALS = [0x0, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
                   0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
                   0xfff8000000000000, 0x7ff0000000000001, 0x7ff4000000000000,
                   0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000,
                   0x7fefffffffffffff, 0x3ff0000000000001, 0x41e0000000000000,
                   0xc1e0000000000000, 0x43e0000000000000, 0xc3e0000000000000,
                   0x41efffffffe00000, 0x43f0000000000000, 0x3fe0000000000000,
                   0x3ff8000000000000, 0x4004000000000000, 0xbfe0000000000000,
                   0x3ca0000000000000, 0x4340000000000000, 0x3ff0000010000000,
                   0xc1e0000000100000, 0x41dfffffffe00000, 0x3fd5555555555555]
M64 = (1 << 64) - 1


class Snippet:
    """The initial state and the items of one snippet."""

    def __init__(self, x, f, fcsr, buf, items, cond):
        self.x = x  # 32 initial x register values (x0 and s0 unused)
        self.f = f  # 32 initial f register images
        self.fcsr = fcsr  # initial fcsr (frm always valid)
        self.buf = buf  # BUF bytes of initial data buffer
        self.items = items  # list of (instructions executed at most, [asm lines])
        self.cond = cond  # of those, how many sit behind conditional forward branches

    def row(self):
        """The snippet's row of the initial-state table."""
        return (struct.pack("<32Q", *self.x) + struct.pack("<32Q", *self.f)
                + struct.pack("<Q", self.fcsr) + self.buf)


class Gen:
    """Draws one snippet's state and items from a random stream."""

    def __init__(self, rnd, zicond, label):
        self.r = rnd
        self.zicond = zicond
        self.label = label  # prefix of this snippet's local labels
        self.nlabel = 0
        self.recent = []  # recently written x registers, preferred as sources
        self.cond = 0  # instructions counted that a conditional branch may skip

    # ---- operand helpers ----

    def new_label(self):
        self.nlabel += 1
        return "%s_%d" % (self.label, self.nlabel)

    def xsrc(self):
        r = self.r
        if self.recent and r.random() < 0.4:
            return XNAMES[r.choice(self.recent)]
        if r.random() < 0.05:
            return "zero"
        return XNAMES[r.randrange(32)]

    def xdst(self, avoid=()):
        r = self.r
        if r.random() < 0.02 and 0 not in avoid:
            return "zero"
        while True:
            n = r.choice(WRITABLE)
            if n not in avoid:
                break
        self.recent.append(n)
        if len(self.recent) > 6:
            del self.recent[0]
        return XNAMES[n]

    def xcomp(self, avoid=()):
        """A writable register that the 3-bit compressed fields can name."""
        while True:
            n = self.r.choice(COMPRESSED)
            if n not in avoid:
                return n

    def freg(self):
        return FNAMES[self.r.randrange(32)]

    def imm12(self):
        r = self.r
        c = r.random()
        if c < 0.3:
            return r.choice((0, 1, -1, 2, 2047, -2048, 31, 32, 63, -32, 0x7ff, -0x800))
        if c < 0.7:
            return r.randrange(-64, 64)
        return r.randrange(-2048, 2048)

    def rm(self):
        rm = self.r.choice(RMS)
        return "" if rm is None else ", " + rm

    def big_const(self):
        r = self.r
        c = r.random()
        if c < 0.5:
            v = r.choice(INT_SPECIALS)
        elif c < 0.8:
            v = r.getrandbits(64)
        else:
            v = r.randrange(-(1 << 31), 1 << 31) & M64
        return v - (1 << 64) if v >> 63 else v

    # ---- items; each returns (ninsns, lines) ----

    def alu(self, avoid=()):
        r = self.r
        c = r.random()
        if c < 0.42:
            op = r.choice(RR_OPS)
            rd = self.xdst(avoid)
            # rd == rs1 with registers in x8-x15 lets the assembler pick the 16-bit form.
            rs1 = rd if r.random() < 0.15 and rd != "zero" else self.xsrc()
            return 1, ["%s %s, %s, %s" % (op, rd, rs1, self.xsrc())]
        if c < 0.58:
            op = r.choice(RI_OPS)
            return 1, ["%s %s, %s, %d" % (op, self.xdst(avoid), self.xsrc(), self.imm12())]
        if c < 0.72:
            op, mx = r.choice(SH_OPS)
            sh = r.choice((0, 1, mx, mx // 2, mx - 1, r.randrange(mx + 1)))
            return 1, ["%s %s, %s, %d" % (op, self.xdst(avoid), self.xsrc(), sh)]
        if c < 0.82:
            op = r.choice(UNARY_OPS)
            return 1, ["%s %s, %s" % (op, self.xdst(avoid), self.xsrc())]
        if c < 0.86 and self.zicond:
            f3 = r.choice((5, 7))
            return 1, [".insn r 0x33, %d, 7, %s, %s, %s # czero.%s" % (
                f3, self.xdst(avoid), self.xsrc(), self.xsrc(), "eqz" if f3 == 5 else "nez")]
        if c < 0.90:
            if r.random() < 0.5:
                return 1, ["lui %s, 0x%x" % (self.xdst(avoid), r.randrange(1 << 20))]
            return 1, ["auipc %s, 0x%x" % (self.xdst(avoid), r.randrange(1 << 20))]
        if c < 0.94:
            return 1, ["li %s, %d" % (self.xdst(avoid), self.big_const())]
        return self.compressed_alu(avoid)

    def compressed_alu(self, avoid=()):
        """Explicit 16-bit forms, with only their legal (non-reserved, non-HINT) operands."""
        r = self.r
        c = r.randrange(14)

        def d():
            n = self.xcomp(avoid)
            return XNAMES[n]

        def full():
            return self.xdst(tuple(avoid) + (0,))

        def nz6():
            return r.choice([v for v in range(-32, 32) if v != 0])

        if c == 0:
            return 1, ["c.li %s, %d" % (full(), r.randrange(-32, 32))]
        if c == 1:
            while True:
                rd = full()
                if rd != "sp":
                    break
            v = nz6() & 0xfffff
            return 1, ["c.lui %s, 0x%x" % (rd, v)]
        if c == 2 and 2 not in avoid:
            v = r.choice([v for v in range(-512, 512, 16) if v != 0])
            return 1, ["c.addi16sp sp, %d" % v]
        if c == 3:
            return 1, ["c.addi4spn %s, sp, %d" % (d(), r.randrange(4, 1024, 4))]
        if c == 4:
            return 1, ["c.addi %s, %d" % (full(), nz6())]
        if c == 5:
            return 1, ["c.addiw %s, %d" % (full(), r.randrange(-32, 32))]
        if c == 6:
            return 1, ["c.slli %s, %d" % (full(), r.randrange(1, 64))]
        if c == 7:
            return 1, ["c.srli %s, %d" % (d(), r.randrange(1, 64))]
        if c == 8:
            return 1, ["c.srai %s, %d" % (d(), r.randrange(1, 64))]
        if c == 9:
            return 1, ["c.andi %s, %d" % (d(), r.randrange(-32, 32))]
        if c == 10:
            op = r.choice(("c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw"))
            return 1, ["%s %s, %s" % (op, d(), XNAMES[r.choice(COMPRESSED + [BASE])])]
        if c == 11:
            src = r.choice([n for n in range(1, 32)])
            return 1, ["c.mv %s, %s" % (full(), XNAMES[src])]
        if c == 12:
            src = r.choice([n for n in range(1, 32)])
            return 1, ["c.add %s, %s" % (full(), XNAMES[src])]
        return 1, ["c.nop"]

    def fp(self, avoid=()):
        r = self.r
        c = r.random()
        p = r.choice(("s", "d"))
        fd, fa, fb, fc = self.freg(), self.freg(), self.freg(), self.freg()
        if c < 0.30:
            op = r.choice(("fadd", "fsub", "fmul", "fdiv"))
            return 1, ["%s.%s %s, %s, %s%s" % (op, p, fd, fa, fb, self.rm())]
        if c < 0.40:
            op = r.choice(("fmadd", "fmsub", "fnmadd", "fnmsub"))
            return 1, ["%s.%s %s, %s, %s, %s%s" % (op, p, fd, fa, fb, fc, self.rm())]
        if c < 0.45:
            return 1, ["fsqrt.%s %s, %s%s" % (p, fd, fa, self.rm())]
        if c < 0.55:
            op = r.choice(("fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"))
            return 1, ["%s.%s %s, %s, %s" % (op, p, fd, fa, fb)]
        if c < 0.62:
            op = r.choice(("feq", "flt", "fle"))
            return 1, ["%s.%s %s, %s, %s" % (op, p, self.xdst(avoid), fa, fb)]
        if c < 0.65:
            return 1, ["fclass.%s %s, %s" % (p, self.xdst(avoid), fa)]
        if c < 0.75:
            it = r.choice(("w", "wu", "l", "lu"))
            return 1, ["fcvt.%s.%s %s, %s%s" % (it, p, self.xdst(avoid), fa, self.rm())]
        if c < 0.85:
            it = r.choice(("w", "wu", "l", "lu"))
            if p == "d" and it in ("w", "wu"):
                return self.exact_cvt("fcvt.d." + it, fd, self.xsrc())
            return 1, ["fcvt.%s.%s %s, %s%s" % (p, it, fd, self.xsrc(), self.rm())]
        if c < 0.90:
            if p == "s":
                return 1, ["fcvt.s.d %s, %s%s" % (fd, fa, self.rm())]
            return self.exact_cvt("fcvt.d.s", fd, fa)
        op = r.randrange(4)
        if op == 0:
            return 1, ["fmv.x.w %s, %s" % (self.xdst(avoid), fa)]
        if op == 1:
            return 1, ["fmv.x.d %s, %s" % (self.xdst(avoid), fa)]
        if op == 2:
            return 1, ["fmv.w.x %s, %s" % (fd, self.xsrc())]
        return 1, ["fmv.d.x %s, %s" % (fd, self.xsrc())]

    def exact_cvt(self, mn, fd, src):
        """fcvt.d.w/wu/s: binutils only takes the default rm; spell others with .insn."""
        r = self.r
        if r.random() < 0.6:
            return 1, ["%s %s, %s" % (mn, fd, src)]
        f7, rs2 = {m: (f, s) for m, f, s in EXACT_CVT}[mn]
        rm = r.choice((0, 1, 2, 3, 4, 7))
        return 1, [".insn r 0x53, %d, 0x%x, %s, %s, x%d # %s rm=%d" % (rm, f7, fd, src, rs2, mn,
                                                                          rm)]

    def csr(self, avoid=()):
        r = self.r
        c = r.randrange(12)
        rd = self.xdst(avoid)
        if c == 0:
            return 1, ["%s %s" % (r.choice(("frflags", "frrm", "frcsr")), rd)]
        if c == 1:
            return 1, ["csrrs %s, %s, zero" % (rd, r.choice(("fflags", "frm", "fcsr")))]
        if c == 2:
            return 1, ["fsflags %s, %s" % (rd, self.xsrc())]
        if c == 3:
            return 1, ["fsflagsi %s, %d" % (rd, r.randrange(32))]
        if c == 4:
            return 1, ["fsrmi %s, %d" % (rd, r.randrange(5))]
        if c == 5:
            return 1, ["csrrsi %s, %s, %d" % (rd, r.choice(("fflags", "fcsr")), r.randrange(32))]
        if c == 6:
            return 1, ["csrrci %s, %s, %d" % (rd, r.choice(("fflags", "frm", "fcsr")),
                                               r.randrange(32))]
        if c == 7:
            return 1, ["csrrc %s, %s, %s" % (rd, r.choice(("fflags", "frm", "fcsr")),
                                             self.xsrc())]
        if c == 8:
            return 1, ["csrrs %s, fflags, %s" % (rd, self.xsrc())]
        # Writes of frm/fcsr from a register: mask the value so that frm stays valid.
        t = self.xdst(tuple(avoid) + (0,))
        if c == 9:
            mask = r.choice((0x7f, 0x9f, 0x1f, 0x83))
            return 2, ["andi %s, %s, 0x%x" % (t, self.xsrc(), mask),
                       "fscsr %s, %s" % (rd, t)]
        if c == 10:
            mask = r.choice((3, 4))
            return 2, ["andi %s, %s, %d" % (t, self.xsrc(), mask), "fsrm %s, %s" % (rd, t)]
        return 2, ["andi %s, %s, 0x1f" % (t, self.xsrc()), "csrrs %s, fcsr, %s" % (rd, t)]

    def mem_offset(self, size, lo=0, hi=BUF):
        """An offset in [lo, hi - size], aligned to size most of the time."""
        r = self.r
        if r.random() < 0.8:
            return r.randrange(lo + (-lo) % size, hi - size + 1, size)
        return r.randrange(lo, hi - size + 1)

    def mem(self, avoid=()):
        r = self.r
        c = r.random()
        if c < 0.45:
            # Base s0 or a temporary set from it just before.
            load = r.random() < 0.5
            fpop = r.random() < 0.2
            if fpop:
                op, size = r.choice((("flw", 4), ("fld", 8)) if load else (("fsw", 4), ("fsd", 8)))
            else:
                op, size = r.choice(LOADS if load else STORES)
            addr = self.mem_offset(size)
            lines = []
            if r.random() < 0.5:
                base, off = "s0", addr
            else:
                k = r.randrange(0, BUF)
                base = self.xdst(tuple(avoid) + (0,))
                lines.append("addi %s, s0, %d" % (base, k))
                off = addr - k
            if fpop:
                dst = self.freg()
            else:
                dst = self.xdst(avoid) if load else self.xsrc()
            lines.append("%s %s, %d(%s)" % (op, dst, off, base))
            return len(lines), lines
        if c < 0.75:
            return self.mem_compressed(avoid)
        return self.mem_sp(avoid)

    def mem_compressed(self, avoid=()):
        """c.lw/c.ld/c.fld/c.sw/c.sd/c.fsd with s0 or an x9-x15 temporary as base."""
        r = self.r
        op, size, maxoff, isfp, isload = r.choice((
            ("c.lw", 4, 124, False, True), ("c.ld", 8, 248, False, True),
            ("c.fld", 8, 248, True, True), ("c.sw", 4, 124, False, False),
            ("c.sd", 8, 248, False, False), ("c.fsd", 8, 248, True, False)))
        lines = []
        if r.random() < 0.5:
            base, k = "s0", 0
        else:
            n = self.xcomp(avoid)
            base = XNAMES[n]
            k = r.randrange(0, BUF - size + 1, size)
            lines.append("addi %s, s0, %d" % (base, k))
        off = r.randrange(0, min(maxoff, BUF - size - k) + 1, size)
        if isfp:
            reg = "f%d" % r.randrange(8, 16)
        elif isload:
            reg = XNAMES[self.xcomp(avoid)]
        else:
            reg = XNAMES[r.choice(COMPRESSED + [BASE])]
        lines.append("%s %s, %d(%s)" % (op, reg, off, base))
        return len(lines), lines

    def mem_sp(self, avoid=()):
        """The sp-relative compressed forms, with sp pointed into the buffer first."""
        r = self.r
        if 2 in avoid:
            return self.alu(avoid)
        op, size, isfp, isload = r.choice((
            ("c.lwsp", 4, False, True), ("c.ldsp", 8, False, True), ("c.fldsp", 8, True, True),
            ("c.swsp", 4, False, False), ("c.sdsp", 8, False, False),
            ("c.fsdsp", 8, True, False)))
        k = r.randrange(0, BUF - size + 1, size)
        off = r.randrange(0, BUF - size - k + 1, size)
        if isfp:
            reg = self.freg()
        elif isload:
            reg = self.xdst(tuple(avoid) + (0,))
        else:
            reg = self.xsrc()
        return 2, ["addi sp, s0, %d" % k, "%s %s, %d(sp)" % (op, reg, off)]

    def amo(self, avoid=()):
        r = self.r
        w = r.choice(("w", "d"))
        size = 4 if w == "w" else 8
        off = r.randrange(0, BUF, size)
        lines = []
        if off == 0 and r.random() < 0.5:
            base = "s0"
        else:
            base = self.xdst(tuple(avoid) + (0,))
            lines.append("addi %s, s0, %d" % (base, off))
        op = "%s.%s%s" % (r.choice(AMOS), w, r.choice(ORDER))
        lines.append("%s %s, %s, (%s)" % (op, self.xdst(avoid), self.xsrc(), base))
        return len(lines), lines

    def lrsc(self, avoid=()):
        r = self.r
        w = r.choice(("w", "d"))
        size = 4 if w == "w" else 8
        off = r.randrange(0, BUF, size)
        t = self.xdst(tuple(avoid) + (0,))
        tn = XNAMES.index(t)
        lines = ["addi %s, s0, %d" % (t, off)]
        kind = r.random()
        if kind < 0.2:
            # No reservation is held here (every LR below is paired with an SC): fails.
            lines.append("sc.%s%s %s, %s, (%s)" % (w, r.choice(ORDER), self.xdst(avoid),
                                                   self.xsrc(), t))
            return len(lines), lines
        keep = tuple(avoid) + (tn,)
        lines.append("lr.%s%s %s, (%s)" % (w, r.choice(ORDER), self.xdst(keep), t))
        n = len(lines)
        for _ in range(r.randrange(3)):
            k, more = self.alu(keep)
            n += k
            lines += more
        if kind < 0.4:
            # SC to another 64-byte block: outside any plausible reservation set, fails.
            other = (off + r.choice((64, 128, 192))) % BUF
            t2 = self.xdst(keep + (0,))
            lines.append("addi %s, s0, %d" % (t2, other))
            lines.append("sc.%s%s %s, %s, (%s)" % (w, r.choice(ORDER), self.xdst(avoid),
                                                   self.xsrc(), t2))
            return n + 2, lines
        lines.append("sc.%s%s %s, %s, (%s)" % (w, r.choice(ORDER), self.xdst(avoid),
                                               self.xsrc(), t))
        return n + 1, lines

    def simple(self, avoid=()):
        """An item without control flow, for branch bodies."""
        c = self.r.random()
        if c < 0.55:
            return self.alu(avoid)
        if c < 0.80:
            return self.fp(avoid)
        return self.mem(avoid)

    def body(self, avoid, nmax=4):
        n, lines = 0, []
        for _ in range(self.r.randrange(1, nmax + 1)):
            k, more = self.simple(avoid)
            n += k
            lines += more
        return n, lines

    def control(self, avoid=()):
        r = self.r
        c = r.randrange(8)
        label = self.new_label()
        if c == 0:
            head = ["%s %s, %s, %s" % (r.choice(BRANCHES), self.xsrc(), self.xsrc(), label)]
        elif c == 1:
            head = ["%s %s, %s" % (r.choice(BRANCHES_Z), self.xsrc(), label)]
        elif c == 2:
            head = ["%s %s, %s" % (r.choice(("c.beqz", "c.bnez")),
                                   XNAMES[r.choice(COMPRESSED + [BASE])], label)]
        elif c == 3:
            head = ["jal %s, %s" % (self.xdst(avoid), label)]
        elif c == 4:
            head = ["c.j %s" % label]
        elif c == 5:
            t = self.xdst(tuple(avoid) + (0,))
            v = r.randrange(4)
            if v == 0:
                head = ["lla %s, %s" % (t, label), "jalr %s, 0(%s)" % (self.xdst(avoid), t)]
            elif v == 1:  # odd target: jalr clears bit 0
                head = ["lla %s, %s" % (t, label), "jalr %s, 1(%s)" % (self.xdst(avoid), t)]
            elif v == 2:
                d = r.randrange(-40, 40)
                head = ["lla %s, %s" % (t, label), "addi %s, %s, %d" % (t, t, d),
                        "jalr %s, %d(%s)" % (self.xdst(avoid), -d, t)]
            else:
                head = ["lla %s, %s" % (t, label), "%s %s" % (r.choice(("c.jr", "c.jalr")), t)]
                if head[1].startswith("c.jalr"):
                    self.recent.append(1)
        elif c == 6:
            return self.loop(avoid, label)
        else:
            return self.lrsc(avoid) if r.random() < 0.5 else self.amo(avoid)
        n, body = self.body(avoid)
        if c <= 2:
            # A conditional branch: the body may run; count it, and remember it may not.
            self.cond += n
            return len(head) + n, head + body + [label + ":"]
        return len(head), head + body + [label + ":"]  # jumped over: never runs

    def loop(self, avoid, label):
        """A counted backward loop: li t, n; L: body; addi t, t, -1; bnez t, L."""
        r = self.r
        t = self.xdst(tuple(avoid) + (0,))
        tn = XNAMES.index(t)
        n, body = self.body(tuple(avoid) + (tn,), 3)
        count = r.randrange(1, 5)
        lines = ["li %s, %d" % (t, count), label + ":"] + body
        lines += ["addi %s, %s, -1" % (t, t), "bnez %s, %s" % (t, label)]
        return 1 + count * (n + 2), lines

    def item(self):
        c = self.r.random()
        if c < 0.50:
            return self.alu()
        if c < 0.72:
            return self.fp()
        if c < 0.84:
            return self.mem()
        if c < 0.87:
            return self.csr()
        if c < 0.90:
            return self.amo()
        if c < 0.92:
            return self.lrsc()
        if c < 0.995:
            return self.control()
        return 1, [self.r.choice(("fence", "fence rw, rw", "fence r, r", "fence w, w", "nop"))]

    # ---- state ----

    def xvalue(self):
        r = self.r
        c = r.random()
        if c < 0.45:
            return r.choice(INT_SPECIALS)
        if c < 0.60:
            return r.randrange(-2048, 2048) & M64
        if c < 0.75:
            return r.randrange(-(1 << 31), 1 << 31) & M64
        return r.getrandbits(64)

    def fvalue(self):
        r = self.r
        c = r.random()
        if c < 0.35:
            return 0xffffffff00000000 | r.choice(SINGLE_SPECIALS)
        if c < 0.45:
            return 0xffffffff00000000 | r.getrandbits(32)
        if c < 0.75:
            return r.choice(DOUBLE_SPECIALS) | (r.random() < 0.2) << 63
        if c < 0.90:
            return r.getrandbits(64)
        # Improperly boxed singles.
        return r.choice((0, 0xfffffffe00000000, 0x7fffffff00000000)) | r.choice(SINGLE_SPECIALS)

    def buffer(self):
        r = self.r
        out = bytearray()
        while len(out) < BUF:
            c = r.random()
            if c < 0.3:
                out += struct.pack("<Q", r.choice(INT_SPECIALS))
            elif c < 0.5:
                out += struct.pack("<Q", self.fvalue())
            else:
                out += r.getrandbits(64).to_bytes(8, "little")
        return bytes(out[:BUF])


def snippet_insns(seed, index):
    """How many instructions snippet `index` aims for (drawn from its own stream)."""
    return random.Random("%s/%d/len" % (seed, index)).randrange(8, 90)


def make_snippet(seed, index, zicond, exclude=None):
    """Snippet `index` of `seed`; `exclude` (a compiled regex) drops items with a line
    it matches, drawing others instead."""
    rnd = random.Random("%s/%d" % (seed, index))
    g = Gen(rnd, zicond, ".Ls%d" % index)
    x = [g.xvalue() for _ in range(32)]
    x[0] = 0
    x[BASE] = 0
    f = [g.fvalue() for _ in range(32)]
    fcsr = rnd.randrange(5) << 5 | rnd.randrange(32)
    buf = g.buffer()
    target = snippet_insns(seed, index)
    items, n = [], 0
    attempts = 0
    while n < target and attempts < 100 * target:
        attempts += 1
        cond = g.cond
        k, lines = g.item()
        if exclude is not None and any(exclude.search(line) for line in lines):
            g.cond = cond
            continue
        items.append((k, lines))
        n += k
    return Snippet(x, f, fcsr, buf, items, g.cond)


DRIVER = """\
# Generated by tests/difftest/gen.py: seed {seed}, {nsnip} snippets. Do not edit.
    .option norelax
    .option rvc

    .section .rodata
    .balign 16
init_table:
    .incbin "{init}"

    .data
    .balign 8
drv_remaining: .dword {nsnip}
drv_in: .dword init_table
drv_next: .dword snip_table
drv_jump: .dword 0
snip_table:
{table}
    .bss
    .balign 64
scratch: .zero {buf}
    .balign 64
out_rec: .zero {rec}

    .text
    .globl _start
_start:
next_snippet:
    lla t0, drv_remaining
    ld t1, 0(t0)
    beqz t1, finish
    addi t1, t1, -1
    sd t1, 0(t0)
    lla t0, drv_next
    ld t1, 0(t0)
    ld t2, 0(t1)
    addi t1, t1, 8
    sd t1, 0(t0)
    lla t0, drv_jump
    sd t2, 0(t0)
    lla t0, drv_in
    ld s0, 0(t0)
    li t1, {rec}
    add t1, s0, t1
    sd t1, 0(t0)
    lla t0, scratch
    addi t1, s0, {off_buf}
    li t2, {buf}
1:  ld t3, 0(t1)
    sd t3, 0(t0)
    addi t0, t0, 8
    addi t1, t1, 8
    addi t2, t2, -8
    bnez t2, 1b
    ld t0, {off_fcsr}(s0)
    fscsr t0
{fload}
{xload}
    lla s0, drv_jump
    ld s0, 0(s0)
    jr s0

save_state:
    lla s0, out_rec
{xsave}
{fsave}
    frcsr t0
    sd t0, {off_fcsr}(s0)
    lla t0, scratch
    addi t1, s0, {off_buf}
    li t2, {buf}
1:  ld t3, 0(t0)
    sd t3, 0(t1)
    addi t0, t0, 8
    addi t1, t1, 8
    addi t2, t2, -8
    bnez t2, 1b
    li a0, 1
    mv a1, s0
    li a2, {rec}
    li a7, 64
    ecall
    j next_snippet

finish:
    li a0, 0
    li a7, 93
    ecall
"""


def program(seed, snippets, init_name):
    """The assembly source of a program running `snippets` [(index, Snippet, items)]."""
    regs = [n for n in range(1, 32) if n != BASE]
    parts = [DRIVER.format(
        seed=seed, nsnip=len(snippets), init=init_name, buf=BUF, rec=REC,
        off_buf=OFF_BUF, off_fcsr=OFF_FCSR,
        table="\n".join("    .dword snip_%d" % i for i, _, _ in snippets),
        fload="\n".join("    fld f%d, %d(s0)" % (n, OFF_F + 8 * n) for n in range(32)),
        xload="\n".join("    ld x%d, %d(s0)" % (n, 8 * n) for n in regs),
        xsave="\n".join("    sd x%d, %d(s0)" % (n, 8 * n) for n in regs),
        fsave="\n".join("    fsd f%d, %d(s0)" % (n, OFF_F + 8 * n) for n in range(32)))]
    for i, _, items in snippets:
        parts.append("\n    .balign 4\nsnip_%d:\n    lla s0, scratch\n" % i)
        for _, lines in items:
            parts.append("    " + "\n    ".join(lines) + "\n")
        parts.append("snip_%d_end:\n    lla s0, save_state\n    jr s0\n" % i)
    return "".join(parts)
