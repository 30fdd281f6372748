#!/usr/bin/env python3
"""decodegen: turn a declarative instruction table into a C decoder.

A table (.decode file, syntax in docs/decode-tables.md) lists bit fields,
argument sets (the structs handed to translators), formats (how a group of
encodings fills an argument set) and patterns (one per instruction encoding).
From it this script writes a C fragment, meant to be #included after the
translator has defined DisasContext and every trans_<name>() function, that:

  - defines `typedef struct { int ...; } arg_<set>;` for each argument set,
  - declares `static bool trans_<name>(DisasContext *ctx, arg_<set> *a);`,
  - defines `static bool <decode-fn>(DisasContext *ctx, uintN_t insn)`.

The decoder is a decision tree: at each node it switches on the bits that
every remaining candidate fixes (the major opcode first, then funct3,
funct7, ...), so a lookup costs a few switches, not a scan of the table.

Everything that can be checked when the table is read is checked then:
patterns that overlap without being in an explicit overlap group, fields
outside the instruction width, bits that are neither fixed nor extracted,
unknown or missing names. Each error names the file and line.

Only the Python standard library is used; this runs at build time.
"""

import argparse
import os
import re
import sys
import tempfile

KEYWORDS = ('field', 'args', 'format', 'import')
IDENT_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
BITS_RE = re.compile(r'^[01.\-]+$')
INT_RE = re.compile(r'^-?(0x[0-9a-fA-F]+|0b[01]+|[0-9]+)$')
C_KEYWORDS = frozenset('''auto break case char const continue default do double else enum
extern float for goto if inline int long register restrict return short signed sizeof
static struct switch typedef union unsigned void volatile while'''.split())
RESERVED_NAME = '!reserved'


class DecodeError(Exception):
    """An error tied to a place in a .decode file."""

    def __init__(self, where, msg):
        super().__init__(f'{where}: error: {msg}')


class Where:
    """A file and line, printed as file:line."""

    def __init__(self, path, line):
        self.path = path
        self.line = line

    def __str__(self):
        return f'{self.path}:{self.line}'


class Field:
    """A value taken from the instruction: bit ranges, concatenated MSB first."""

    def __init__(self, where, name, parts, signed, shl, add, fn):
        self.where = where
        self.name = name
        self.parts = parts          # [(hi, lo)], most significant part first
        self.signed = signed        # sign-extend from the top bit of the first part
        self.shl = shl              # left shift applied to the concatenation
        self.add = add              # constant added at the end
        self.fn = fn                # C function applied last, or None

    def mask(self):
        m = 0
        for hi, lo in self.parts:
            m |= ((1 << (hi - lo + 1)) - 1) << lo
        return m

    def c_expr(self, var):
        """C expression computing this field from `var`, as an int."""
        total = sum(hi - lo + 1 for hi, lo in self.parts) + self.shl
        terms = []
        pos = total
        for hi, lo in self.parts:
            n = hi - lo + 1
            pos -= n
            t = f'(({var} >> {lo}) & 0x{(1 << n) - 1:x}u)'
            if pos:
                t = f'({t} << {pos})'
            terms.append(t)
        raw = terms[0] if len(terms) == 1 else '(' + ' | '.join(terms) + ')'
        if self.signed:
            expr = f'decodegen_sext({raw}, {total})'
        else:
            expr = f'(int){raw}'
        if self.add:
            expr = f'({expr} + {self.add})'
        if self.fn:
            expr = f'{self.fn}(ctx, {expr})'
        return expr


class ArgSet:
    """A named struct of int members filled by a pattern."""

    def __init__(self, where, name, members):
        self.where = where
        self.name = name
        self.members = members


class Format:
    """A reusable bit layout plus the way it fills an argument set."""

    def __init__(self, where, name, bits, argset, assigns):
        self.where = where
        self.name = name
        self.bits = bits            # string of 0 1 . - (or None: no layout)
        self.argset = argset
        self.assigns = assigns      # {member: Field or int}


class Pattern:
    """One encoding: fixed bits and how to fill the argument set."""

    def __init__(self, where, name, bits, argset, assigns):
        self.where = where
        self.name = name            # trans_<name>, or RESERVED_NAME
        self.bits = bits
        self.argset = argset
        self.assigns = assigns      # member -> Field or int, in member order
        self.mask, self.value = bits_to_mask(bits)
        self.group = None

    def is_reserved(self):
        return self.name == RESERVED_NAME

    def label(self):
        return 'reserved encoding' if self.is_reserved() else f"pattern '{self.name}'"


class Group:
    """Patterns allowed to overlap; tried in order until a trans returns true."""

    def __init__(self, where):
        self.where = where
        self.members = []
        self.mask = 0
        self.value = 0

    def finish(self):
        # The bits every member fixes to the same value: the tree can
        # switch on those before it reaches the group.
        mask = (1 << 64) - 1
        for p in self.members:
            mask &= p.mask
        first = self.members[0].value
        for p in self.members[1:]:
            mask &= ~(first ^ p.value)
        self.mask = mask
        self.value = first & mask


def bits_to_mask(bits):
    """Map a bit string (MSB first) to (fixed mask, fixed value)."""
    mask = value = 0
    width = len(bits)
    for i, c in enumerate(bits):
        b = width - 1 - i
        if c in '01':
            mask |= 1 << b
            if c == '1':
                value |= 1 << b
    return mask, value


def parse_int(tok):
    neg = tok.startswith('-')
    t = tok[1:] if neg else tok
    if t.startswith('0x'):
        v = int(t, 16)
    elif t.startswith('0b'):
        v = int(t[2:], 2)
    else:
        v = int(t, 10)
    return -v if neg else v


class Table:
    """A parsed .decode file."""

    def __init__(self, width):
        self.width = width
        self.fields = {}
        self.argsets = {}
        self.formats = {}
        self.items = []             # Pattern or Group, in file order
        self.files = []             # every file read, for the depfile
        self.errors = []
        self.argsets['empty'] = ArgSet(Where('<builtin>', 0), 'empty', [])

    def error(self, where, msg):
        self.errors.append(f'{where}: error: {msg}')

    # ---- reading -------------------------------------------------------

    def read_lines(self, path):
        """Yield (line number, tokens), joining lines that end in '\\'."""
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except OSError as e:
            raise DecodeError(path, f'cannot read: {e.strerror}')
        self.files.append(path)
        pending = []
        start = 0
        for n, raw in enumerate(text.split('\n'), 1):
            line = raw.split('#', 1)[0].rstrip()
            cont = line.endswith('\\')
            if cont:
                line = line[:-1]
            if not pending:
                start = n
            pending.append(line)
            if cont:
                continue
            toks = ' '.join(pending).split()
            pending = []
            if toks:
                yield start, toks
        if pending:
            raise DecodeError(Where(path, start), 'line continuation at end of file')

    def parse_file(self, path, only_args=False):
        group = None
        for n, toks in self.read_lines(path):
            where = Where(path, n)
            try:
                kw = toks[0]
                if kw == 'import':
                    self.parse_import(where, toks, path)
                elif kw == 'args':
                    self.parse_args(where, toks)
                elif only_args:
                    continue
                elif kw == 'field':
                    self.parse_field(where, toks)
                elif kw == 'format':
                    self.parse_format(where, toks)
                elif kw == '{':
                    if len(toks) != 1:
                        raise DecodeError(where, "'{' must be alone on its line")
                    if group is not None:
                        raise DecodeError(where, 'overlap groups do not nest')
                    group = Group(where)
                elif kw == '}':
                    if len(toks) != 1:
                        raise DecodeError(where, "'}' must be alone on its line")
                    if group is None:
                        raise DecodeError(where, "'}' without '{'")
                    if len(group.members) < 2:
                        raise DecodeError(where, 'an overlap group needs at least two patterns')
                    group.finish()
                    self.items.append(group)
                    group = None
                else:
                    p = self.parse_pattern(where, toks)
                    if group is not None:
                        p.group = group
                        group.members.append(p)
                    else:
                        self.items.append(p)
            except DecodeError as e:
                self.errors.append(str(e))
        if group is not None:
            self.error(group.where, "overlap group not closed with '}'")

    def parse_import(self, where, toks, path):
        if len(toks) != 2 or not (toks[1].startswith('"') and toks[1].endswith('"')):
            raise DecodeError(where, 'usage: import "FILE"')
        target = os.path.join(os.path.dirname(path), toks[1][1:-1])
        if not os.path.exists(target):
            raise DecodeError(where, f"imported file '{toks[1][1:-1]}' not found")
        if os.path.abspath(target) in (os.path.abspath(f) for f in self.files):
            raise DecodeError(where, f"'{toks[1][1:-1]}' is already read (import cycle?)")
        self.parse_file(target, only_args=True)

    def check_name(self, where, name, what):
        if not IDENT_RE.match(name) or name in C_KEYWORDS:
            raise DecodeError(where, f"invalid {what} name '{name}'")

    def parse_field(self, where, toks):
        if len(toks) < 3:
            raise DecodeError(where, 'usage: field NAME HI:LO|BIT... [signed] [shl=N] '
                              '[add=N] [fn=FUNC]')
        name = toks[1]
        self.check_name(where, name, 'field')
        if name in self.fields:
            raise DecodeError(where, f"field '{name}' already defined at "
                              f'{self.fields[name].where}')
        parts = []
        signed = False
        shl = add = 0
        fn = None
        for t in toks[2:]:
            m = re.match(r'^(\d+)(?::(\d+))?$', t)
            if m:
                hi = int(m.group(1))
                lo = int(m.group(2)) if m.group(2) is not None else hi
                if hi < lo:
                    raise DecodeError(where, f"bit range '{t}' must be written high:low")
                if hi >= self.width:
                    raise DecodeError(where, f"field '{name}': bit {hi} does not fit in a "
                                      f'{self.width}-bit instruction')
                parts.append((hi, lo))
            elif t == 'signed':
                signed = True
            elif t.startswith('shl=') and t[4:].isdigit():
                shl = int(t[4:])
            elif t.startswith('add=') and INT_RE.match(t[4:]):
                add = parse_int(t[4:])
            elif t.startswith('fn='):
                fn = t[3:]
                self.check_name(where, fn, 'function')
            else:
                raise DecodeError(where, f"field '{name}': unexpected '{t}'")
        if not parts:
            raise DecodeError(where, f"field '{name}' has no bits")
        seen = 0
        for hi, lo in parts:
            m = ((1 << (hi - lo + 1)) - 1) << lo
            if seen & m:
                raise DecodeError(where, f"field '{name}' uses a bit twice")
            seen |= m
        total = sum(hi - lo + 1 for hi, lo in parts) + shl
        if total > 32 or (total == 32 and not signed):
            raise DecodeError(where, f"field '{name}' is {total} bits wide and does not fit "
                              'in an int')
        self.fields[name] = Field(where, name, parts, signed, shl, add, fn)

    def parse_args(self, where, toks):
        if len(toks) < 2:
            raise DecodeError(where, 'usage: args NAME MEMBER...')
        name = toks[1]
        self.check_name(where, name, 'argument set')
        members = toks[2:]
        if name == 'empty' and members:
            raise DecodeError(where, "'empty' is the argument set with no members")
        prev = self.argsets.get(name)
        if prev is not None and not (name == 'empty' and prev.where.line == 0):
            raise DecodeError(where, f"argument set '{name}' already defined at "
                              f'{prev.where}')
        for m in members:
            self.check_name(where, m, 'member')
        if len(set(members)) != len(members):
            raise DecodeError(where, f"argument set '{name}' names a member twice")
        self.argsets[name] = ArgSet(where, name, members)

    def parse_assigns(self, where, toks, argset):
        """Parse MEMBER, MEMBER=FIELD and MEMBER=CONST tokens."""
        out = {}
        for t in toks:
            member, _, src = t.partition('=')
            if not src:
                src = member
            if member not in argset.members:
                raise DecodeError(where, f"argument set '{argset.name}' has no member "
                                  f"'{member}'")
            if member in out:
                raise DecodeError(where, f"member '{member}' assigned twice")
            if INT_RE.match(src):
                out[member] = parse_int(src)
            elif src in self.fields:
                out[member] = self.fields[src]
            else:
                raise DecodeError(where, f"undefined field '{src}'")
        return out

    def split_bits(self, where, toks):
        """Split leading bit-string tokens from the rest."""
        i = 0
        while i < len(toks) and BITS_RE.match(toks[i]):
            i += 1
        bits = ''.join(toks[:i])
        if bits and len(bits) != self.width:
            raise DecodeError(where, f'bit pattern has {len(bits)} bits, expected {self.width}')
        return bits, toks[i:]

    def parse_format(self, where, toks):
        if len(toks) < 3:
            raise DecodeError(where, 'usage: format NAME [BITS...] &ARGS [ASSIGN...]')
        name = toks[1]
        self.check_name(where, name, 'format')
        if name in self.formats:
            raise DecodeError(where, f"format '{name}' already defined at "
                              f'{self.formats[name].where}')
        bits, rest = self.split_bits(where, toks[2:])
        if not rest or not rest[0].startswith('&'):
            raise DecodeError(where, f"format '{name}' needs an argument set (&NAME)")
        argset = self.lookup_argset(where, rest[0][1:])
        assigns = self.parse_assigns(where, rest[1:], argset)
        if bits:
            self.check_bits(where, f"format '{name}'", bits, assigns)
        self.formats[name] = Format(where, name, bits or None, argset, assigns)

    def lookup_argset(self, where, name):
        if name not in self.argsets:
            raise DecodeError(where, f"undefined argument set '{name}'")
        return self.argsets[name]

    def parse_pattern(self, where, toks):
        name = toks[0]
        if name != RESERVED_NAME:
            if name in KEYWORDS:
                raise DecodeError(where, f"'{name}' is a keyword")
            self.check_name(where, name, 'pattern')
        bits, rest = self.split_bits(where, toks[1:])
        if not bits:
            raise DecodeError(where, f"pattern '{name}' has no bit pattern")
        fmt = None
        argset = self.argsets['empty']
        assigns = {}
        if rest and rest[0].startswith('@'):
            fname = rest[0][1:]
            if fname not in self.formats:
                raise DecodeError(where, f"undefined format '{fname}'")
            fmt = self.formats[fname]
            argset = fmt.argset
            assigns = dict(fmt.assigns)
            rest = rest[1:]
        elif rest and rest[0].startswith('&'):
            argset = self.lookup_argset(where, rest[0][1:])
            rest = rest[1:]
        assigns.update(self.parse_assigns(where, rest, argset))
        if name == RESERVED_NAME and (fmt or argset.members):
            raise DecodeError(where, 'a reserved encoding takes no format or arguments')
        if fmt and fmt.bits:
            bits = merge_bits(where, bits, fmt)
        missing = [m for m in argset.members if m not in assigns]
        if missing:
            raise DecodeError(where, f"pattern '{name}' leaves member(s) "
                              f"{', '.join(missing)} of '{argset.name}' unset")
        ordered = {m: assigns[m] for m in argset.members}
        p = Pattern(where, name, bits, argset, ordered)
        self.check_bits(where, p.label(), bits, ordered)
        return p

    def check_bits(self, where, label, bits, assigns):
        """'.' bits must be read by a field, and fields must not read '-' bits."""
        used = 0
        for src in assigns.values():
            if isinstance(src, Field):
                used |= src.mask()
        dots = dont = 0
        for i, c in enumerate(bits):
            b = self.width - 1 - i
            if c == '.':
                dots |= 1 << b
            elif c == '-':
                dont |= 1 << b
        if dots & ~used:
            raise DecodeError(where, f"{label}: bit(s) {bit_list(dots & ~used)} are "
                              "'.' but no field reads them (use '-' for ignored bits)")
        if used & dont:
            raise DecodeError(where, f"{label}: a field reads bit(s) "
                              f"{bit_list(used & dont)}, which are '-'")

    # ---- checks --------------------------------------------------------

    def check_overlaps(self):
        """Patterns outside a common group must not match a common word."""
        flat = []
        for it in self.items:
            if isinstance(it, Group):
                flat.extend(it.members)
            else:
                flat.append(it)
        for i, a in enumerate(flat):
            for b in flat[i + 1:]:
                if a.group is not None and a.group is b.group:
                    continue
                common = a.mask & b.mask
                if (a.value ^ b.value) & common == 0:
                    self.error(b.where, f'{b.label()} overlaps {a.label()} at {a.where}; '
                               "put both in an overlap group '{ }' if that is meant")
        for g in self.items:
            if not isinstance(g, Group):
                continue
            for i, a in enumerate(g.members):
                if not a.is_reserved():
                    continue
                for b in g.members[i + 1:]:
                    if a.mask & b.mask == a.mask and (a.value ^ b.value) & a.mask == 0:
                        self.error(b.where, f'{b.label()} can never match: the reserved '
                                   f'encoding at {a.where} covers it')

    def check_names(self):
        """One trans function per name, so one argument set per name."""
        seen = {}
        for p in self.patterns():
            if p.is_reserved():
                continue
            prev = seen.setdefault(p.name, p)
            if prev.argset is not p.argset:
                self.error(p.where, f"pattern '{p.name}' uses argument set "
                           f"'{p.argset.name}' but the same name at {prev.where} uses "
                           f"'{prev.argset.name}'")

    def patterns(self):
        for it in self.items:
            if isinstance(it, Group):
                yield from it.members
            else:
                yield it


def merge_bits(where, bits, fmt):
    out = []
    for i, (a, b) in enumerate(zip(bits, fmt.bits)):
        if a in '01' and b in '01' and a != b:
            raise DecodeError(where, f"bit {len(bits) - 1 - i} is {a} here but {b} in "
                              f"format '{fmt.name}' ({fmt.where})")
        if a in '01':
            out.append(a)
        elif b in '01':
            out.append(b)
        elif '.' in (a, b):
            out.append('.')
        else:
            out.append('-')
    return ''.join(out)


def bit_list(mask):
    return ','.join(str(b) for b in range(63, -1, -1) if mask >> b & 1)


# ---- code generation ---------------------------------------------------

class Emitter:
    def __init__(self):
        self.lines = []

    def __call__(self, indent, text=''):
        self.lines.append(('    ' * indent + text) if text else '')

    def text(self):
        return '\n'.join(self.lines) + '\n'


def hexw(v, width):
    return f'0x{v:0{width // 4}x}'


class TreeGen:
    """Emit the decision tree for one table."""

    def __init__(self, table, out):
        self.t = table
        self.w = table.width
        self.out = out

    def gen(self, items, tested, ind):
        full = (1 << self.w) - 1
        if len(items) == 1:
            self.gen_leaf(items[0], tested, ind)
            return
        common = full & ~tested
        for it in items:
            common &= it.mask
        rest = []
        if common == 0:
            common, items, rest = self.pick_bits(items, tested)
        cases = {}
        for it in items:
            cases.setdefault(it.value & common, []).append(it)
        self.out(ind, f'switch (insn & {hexw(common, self.w)}) {{')
        for v in sorted(cases):
            self.out(ind, f'case {hexw(v, self.w)}:')
            self.gen(cases[v] + rest, tested | common, ind + 1)
        if rest:
            self.out(ind, 'default:')
            self.gen(rest, tested | common, ind + 1)
        self.out(ind, '}')
        self.out(ind, 'return false;')

    def pick_bits(self, items, tested):
        """No bit is fixed by every candidate: switch on the bits fixed by the
        most candidates; the others are tried under every case."""
        best = None
        for b in range(self.w):
            if tested >> b & 1:
                continue
            users = frozenset(i for i, it in enumerate(items) if it.mask >> b & 1)
            if users and (best is None or len(users) > len(best)):
                best = users
        mask = 0
        for b in range(self.w):
            if tested >> b & 1:
                continue
            users = frozenset(i for i, it in enumerate(items) if it.mask >> b & 1)
            if users == best:
                mask |= 1 << b
        inside = [it for i, it in enumerate(items) if i in best]
        outside = [it for i, it in enumerate(items) if i not in best]
        return mask, inside, outside

    def gen_leaf(self, it, tested, ind):
        if isinstance(it, Group):
            for p in it.members:
                self.gen_pattern(p, tested, ind, in_group=True)
            self.out(ind, 'return false;')
        else:
            self.gen_pattern(it, tested, ind, in_group=False)

    def gen_pattern(self, p, tested, ind, in_group):
        rem = p.mask & ~tested
        self.out(ind, f'/* {p.bits} {p.name} ({p.where}) */')
        if rem:
            self.out(ind, f'if ((insn & {hexw(rem, self.w)}) == {hexw(p.value & rem, self.w)}) {{')
            ind += 1
        if p.is_reserved():
            self.out(ind, 'return false;')
        else:
            var = f'u.{p.argset.name}'
            for m, src in p.assigns.items():
                expr = src.c_expr('insn') if isinstance(src, Field) else str(src)
                self.out(ind, f'{var}.{m} = {expr};')
            call = f'trans_{p.name}(ctx, &{var})'
            if in_group:
                self.out(ind, f'if ({call}) {{')
                self.out(ind + 1, 'return true;')
                self.out(ind, '}')
            else:
                self.out(ind, f'return {call};')
        if rem:
            ind -= 1
            self.out(ind, '}')
            if not in_group:
                self.out(ind, 'return false;')


HELPERS = '''#ifndef DECODEGEN_HELPERS
#define DECODEGEN_HELPERS
/* Sign-extend the low `len` bits of `v` (1 <= len <= 32). */
static inline int decodegen_sext(uint32_t v, int len)
{
    return (int32_t)(v << (32 - len)) >> (32 - len);
}
#endif'''


def emit_argset(out, a):
    out(0, f'#ifndef DECODEGEN_ARG_{a.name}')
    out(0, f'#define DECODEGEN_ARG_{a.name}')
    out(0, 'typedef struct {')
    if a.members:
        for m in a.members:
            out(1, f'int {m};')
    else:
        out(1, 'int unused_; /* C has no empty structs */')
    out(0, f'}} arg_{a.name};')
    out(0, '#endif')


def generate(table, src_name, fn_name):
    out = Emitter()
    itype = 'uint32_t' if table.width > 16 else 'uint16_t'
    out(0, f'/* Generated by tcg/decodegen.py from {src_name}. Do not edit. */')
    out(0)
    out(0, HELPERS)
    used_sets = []
    for p in table.patterns():
        if not p.is_reserved() and p.argset not in used_sets:
            used_sets.append(p.argset)
    for a in sorted(used_sets, key=lambda a: a.name):
        out(0)
        emit_argset(out, a)
    out(0)
    fns = sorted({src.fn for p in table.patterns() for src in p.assigns.values()
                  if isinstance(src, Field) and src.fn})
    for f in fns:
        out(0, f'static int {f}(DisasContext *ctx, int x);')
    names = {}
    for p in table.patterns():
        if not p.is_reserved():
            names.setdefault(p.name, p.argset)
    for n in sorted(names):
        out(0, f'static bool trans_{n}(DisasContext *ctx, arg_{names[n].name} *a);')
    out(0)
    out(0, f'static bool {fn_name}(DisasContext *ctx, {itype} insn)')
    out(0, '{')
    if used_sets:
        out(1, 'union {')
        for a in sorted(used_sets, key=lambda a: a.name):
            out(2, f'arg_{a.name} {a.name};')
        out(1, '} u;')
        out(0)
    TreeGen(table, out).gen(list(table.items), 0, 1)
    out(0, '}')
    return out.text()


def generate_stubs(tables):
    """Recording trans functions for tests: each calls decodegen_stub_record()."""
    names = {}
    for t in tables:
        for p in t.patterns():
            if p.is_reserved():
                continue
            prev = names.setdefault(p.name, p)
            if [prev.argset.name, prev.argset.members] != [p.argset.name, p.argset.members]:
                raise DecodeError(p.where, f"'{p.name}' has argument set '{p.argset.name}' "
                                  f"here but '{prev.argset.name}' at {prev.where}")
    out = Emitter()
    out(0, '/* Generated by tcg/decodegen.py --stubs. Do not edit. */')
    for n in sorted(names):
        a = names[n].argset
        out(0)
        out(0, f'static bool trans_{n}(DisasContext *ctx, arg_{a.name} *a)')
        out(0, '{')
        k = len(a.members)
        if k:
            quoted = ', '.join(f'"{m}"' for m in a.members)
            vals = ', '.join(f'a->{m}' for m in a.members)
            out(1, f'static const char *const names[] = {{ {quoted} }};')
            out(1, f'const int vals[] = {{ {vals} }};')
            out(1, f'return decodegen_stub_record(ctx, "{n}", names, vals, {k});')
        else:
            out(1, '(void)a;')
            out(1, f'return decodegen_stub_record(ctx, "{n}", NULL, NULL, 0);')
        out(0, '}')
    return out.text()


def load(path, width):
    t = Table(width)
    try:
        t.parse_file(path)
    except DecodeError as e:
        t.errors.append(str(e))
    if not t.errors:
        t.check_names()
        t.check_overlaps()
    return t


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix='.decodegen-')
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)   # mkstemp creates 0600; be an ordinary file
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(description='Generate a C instruction decoder from a '
                                 '.decode table (see docs/decode-tables.md).')
    ap.add_argument('inputs', nargs='+', metavar='INPUT.decode')
    ap.add_argument('-o', '--output', required=True, help="the file to write ('-': stdout)")
    ap.add_argument('--width', type=int, choices=(16, 32), default=32,
                    help='instruction width in bits (default 32)')
    ap.add_argument('--decode-fn', help='name of the decode function '
                    '(default decode_insn<width>)')
    ap.add_argument('--depfile', help='also write a Makefile-style dependency file')
    ap.add_argument('--stubs', action='store_true',
                    help='write recording trans_* stubs for tests instead of a decoder; '
                    'several inputs may be given (each as INPUT.decode[:WIDTH])')
    ap.add_argument('--list', action='store_true',
                    help='write one "name argset members..." line per trans function')
    args = ap.parse_args(argv)

    tables = []
    for spec in args.inputs:
        path, width = spec, args.width
        m = re.match(r'^(.*):(16|32)$', spec)
        if m and args.stubs:
            path, width = m.group(1), int(m.group(2))
        tables.append((path, load(path, width)))
    errors = [e for _, t in tables for e in t.errors]
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    if len(tables) > 1 and not args.stubs:
        print('decodegen: only --stubs takes several inputs', file=sys.stderr)
        return 2

    try:
        if args.stubs:
            text = generate_stubs([t for _, t in tables])
        elif args.list:
            t = tables[0][1]
            seen = {}
            for p in t.patterns():
                if not p.is_reserved():
                    seen.setdefault(p.name, p.argset)
            text = ''.join(f'{n} {a.name} {" ".join(a.members)}'.rstrip() + '\n'
                           for n, a in sorted(seen.items()))
        else:
            path, t = tables[0]
            fn = args.decode_fn or f'decode_insn{t.width}'
            if not IDENT_RE.match(fn):
                print(f"decodegen: invalid --decode-fn '{fn}'", file=sys.stderr)
                return 2
            text = generate(t, os.path.basename(path), fn)
    except DecodeError as e:
        print(e, file=sys.stderr)
        return 1
    if args.output == '-':
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    if args.depfile:
        deps = []
        for _, t in tables:
            deps.extend(t.files)
        write_atomic(args.depfile, f'{args.output}: ' +
                     ' '.join(p.replace(' ', '\\ ') for p in deps) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
