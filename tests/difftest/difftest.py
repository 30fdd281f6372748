#!/usr/bin/env python3
"""Differential tester: random RV64GC programs under an emulator and under qemu-riscv64.

Generates a program of independent random snippets (see gen.py), runs it under the
emulator under test and under the reference (qemu-riscv64), and compares their outputs
byte for byte: after every snippet the program writes all x and f registers, fcsr and
its data buffer. On a mismatch it reports the seed, the snippet, the differing registers
and the snippet's listing; with --minimize it cuts that snippet down (shortest failing
prefix, then dropping items one at a time) and reports the smallest failing program.

Exit status: 0 no mismatch, 1 mismatch, 2 usage or build error, 77 skipped (no cross
toolchain, no qemu-riscv64, or the default emulator has not been built).
"""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CROSS = os.environ.get("RISCV_CROSS", "riscv64-linux-gnu-")
MARCH = "rv64gc_zba_zbb_zbc_zbs"
DEFAULT_SEED = 20240601
FLAG_NAMES = ["NX", "UF", "OF", "DZ", "NV"]
RM_NAMES = ["rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "rm7"]


def log(msg):
    print(msg, flush=True)


def skip(msg):
    log("SKIP: " + msg)
    sys.exit(77)


# ---- building and running ----

def build(workdir, seed, snippets, name="prog"):
    """Write init table and source for `snippets`, assemble and link; returns the ELF path."""
    init = os.path.join(workdir, name + ".init")
    src = os.path.join(workdir, name + ".S")
    elf = os.path.join(workdir, name)
    with open(init, "wb") as f:
        f.write(b"".join(s.row() for _, s, _ in snippets))
    with open(src, "w") as f:
        f.write(gen.program(seed, snippets, init))
    cmd = [CROSS + "gcc", "-nostdlib", "-static", "-march=" + MARCH, "-mabi=lp64d",
           "-Wl,--no-warn-rwx-segments", "-o", elf, src]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        log("difftest: building %s failed:\n%s" % (src, res.stderr[-4000:]))
        sys.exit(2)
    return elf


def start(emulator, elf, out_path):
    """emulator: the command as a list (program and its options)."""
    out = open(out_path, "wb")
    proc = subprocess.Popen(emulator + [elf], stdout=out, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    return proc, out


def finish(proc, out, timeout):
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        out.close()
        return "timeout", err.decode(errors="replace")
    out.close()
    return proc.returncode, err.decode(errors="replace")


def run_both(ref, emu, elf, timeout):
    """Run the program under the reference (a path) and the emulator under test (a command
    list) in parallel; returns ((output, (status, stderr), seconds), same for emu)."""
    ref_out, emu_out = elf + ".ref.out", elf + ".emu.out"
    res = {}

    def one(key, emulator, out_path):
        t0 = time.time()
        r = finish(*start(emulator, elf, out_path), timeout)
        res[key] = (r, time.time() - t0)

    threads = [threading.Thread(target=one, args=("ref", [ref], ref_out)),
               threading.Thread(target=one, args=("emu", emu, emu_out))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (r1, t1), (r2, t2) = res["ref"], res["emu"]
    with open(ref_out, "rb") as f:
        ref_data = f.read()
    with open(emu_out, "rb") as f:
        emu_data = f.read()
    return (ref_data, r1, t1), (emu_data, r2, t2)


def status_text(rc):
    if rc == "timeout":
        return "timed out"
    if isinstance(rc, int) and rc < 0:
        return "killed by signal %d" % -rc
    if isinstance(rc, int) and rc > 128:
        return "exit status %d (signal %d?)" % (rc, rc - 128)
    return "exit status %s" % rc


# ---- decoding records ----

def fields(rec):
    """Named 64-bit fields of an output record, plus buffer bytes."""
    out = {}
    x = struct.unpack_from("<32Q", rec, 0)
    f = struct.unpack_from("<32Q", rec, gen.OFF_F)
    for n in range(1, 32):
        if n != gen.BASE:
            out["x%d" % n] = x[n]
    for n in range(32):
        out["f%d" % n] = f[n]
    out["fcsr"] = struct.unpack_from("<Q", rec, gen.OFF_FCSR)[0]
    for k in range(0, gen.BUF, 8):
        out["mem[%d]" % k] = struct.unpack_from("<Q", rec, gen.OFF_BUF + k)[0]
    return out


def fp_text(v):
    """A short reading of an f register image."""
    if v >> 32 == 0xffffffff:
        s = struct.unpack("<f", struct.pack("<I", v & 0xffffffff))[0]
        return "single %r" % s
    d = struct.unpack("<d", struct.pack("<Q", v))[0]
    return "double %r" % d


def fcsr_text(v):
    flags = "|".join(n for i, n in enumerate(FLAG_NAMES) if v >> i & 1) or "0"
    return "frm=%s fflags=%s" % (RM_NAMES[v >> 5 & 7], flags)


def field_name(key):
    if key.startswith("x"):
        return "%s (%s)" % (key, gen.XNAMES[int(key[1:])])
    if key.startswith("f") and key[1:].isdigit():
        return "%s (%s)" % (key, gen.FNAMES[int(key[1:])])
    return key


def initial_value(snippet, key):
    if key.startswith("x"):
        return snippet.x[int(key[1:])]
    if key.startswith("f") and key[1:].isdigit():
        return snippet.f[int(key[1:])]
    if key == "fcsr":
        return snippet.fcsr
    k = int(key[4:-1])
    return struct.unpack_from("<Q", snippet.buf, k)[0]


def describe_diff(ref_rec, emu_rec, snippet):
    lines = []
    a, b = fields(ref_rec), fields(emu_rec)
    for key in a:
        if a[key] == b[key]:
            continue
        init = initial_value(snippet, key)
        line = "    %-10s reference 0x%016x  emulator 0x%016x  (initial 0x%016x)" % (
            field_name(key), a[key], b[key], init)
        if key.startswith("f") and key[1:].isdigit():
            line += "\n%15s reference %s, emulator %s" % ("", fp_text(a[key]), fp_text(b[key]))
        if key == "fcsr":
            line += "\n%15s reference %s, emulator %s" % ("", fcsr_text(a[key]),
                                                          fcsr_text(b[key]))
        lines.append(line)
    return "\n".join(lines)


def initial_state_text(snippet):
    lines = ["  initial state:"]
    regs = [n for n in range(1, 32) if n != gen.BASE]
    for i in range(0, len(regs), 3):
        lines.append("    " + "  ".join("%-4s=0x%016x" % (gen.XNAMES[n], snippet.x[n])
                                        for n in regs[i:i + 3]))
    for i in range(0, 32, 3):
        lines.append("    " + "  ".join("%-4s=0x%016x" % (gen.FNAMES[n], snippet.f[n])
                                        for n in range(i, min(i + 3, 32))))
    lines.append("    fcsr=0x%02x (%s)   data buffer at s0:" % (snippet.fcsr,
                                                               fcsr_text(snippet.fcsr)))
    for k in range(0, gen.BUF, 32):
        lines.append("    +%3d: %s" % (k, " ".join(
            "%016x" % struct.unpack_from("<Q", snippet.buf, k + j)[0] for j in range(0, 32, 8))))
    return "\n".join(lines)


def listing(elf, index):
    """objdump of snippet `index` in `elf`, falling back to nothing on error."""
    try:
        syms = subprocess.run([CROSS + "nm", elf], capture_output=True, text=True).stdout
    except OSError:
        return "    (no nm)"
    addr = {}
    want = ("snip_%d" % index, "snip_%d_end" % index)
    for line in syms.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in want:
            addr[parts[2]] = int(parts[0], 16)
    if len(addr) != 2:
        return "    (snippet symbols not found)"
    res = subprocess.run([CROSS + "objdump", "-d", "--no-show-raw-insn",
                          "--start-address=0x%x" % addr[want[0]],
                          "--stop-address=0x%x" % (addr[want[1]] + 10), elf],
                         capture_output=True, text=True)
    out = []
    for line in res.stdout.splitlines():
        if line.strip().startswith(tuple("0123456789abcdef")) and ":\t" in line:
            out.append("    " + line.strip())
    return "\n".join(out)


def source_lines(items):
    out = []
    for _, lines in items:
        for line in lines:
            out.append("    " + line)
    return "\n".join(out)


# ---- comparing ----

def compare(ref, emu, snippets):
    """Returns a list of (position, kind) mismatches; kind 'record' or 'missing'."""
    ref_data, ref_rc, _ = ref
    emu_data, emu_rc, _ = emu
    rec = gen.REC
    n = len(snippets)
    bad = []
    for i in range(n):
        a = ref_data[i * rec:(i + 1) * rec]
        b = emu_data[i * rec:(i + 1) * rec]
        if len(a) < rec or len(b) < rec:
            bad.append((i, "missing"))
            break
        if a != b:
            bad.append((i, "record"))
    if not bad and (ref_rc != emu_rc or len(ref_data) != len(emu_data)):
        bad.append((n, "exit"))
    return bad


def outputs_differ(ref, emu):
    return ref[0] != emu[0] or ref[1][0] != emu[1][0]


def report(args, snippets, ref, emu, bad, elf, budget):
    """Print the details of the first `budget` mismatches; returns how many it showed."""
    rec = gen.REC
    for pos, kind in bad[:budget]:
        if kind == "exit":
            log("MISMATCH seed=%s: outputs agree but reference %s, emulator %s" % (
                args.seed, status_text(ref[1][0]), status_text(emu[1][0])))
            continue
        index, snippet, items = snippets[pos]
        log("")
        log("MISMATCH seed=%s snippet=%d" % (args.seed, index))
        if kind == "missing":
            for name, r in (("reference", ref), ("emulator", emu)):
                if len(r[0]) < (pos + 1) * rec:
                    log("  %s stopped before the end of this snippet: %s" % (
                        name, status_text(r[1][0])))
                    if r[1][1].strip():
                        log("  %s stderr: %s" % (name, r[1][1].strip()[-2000:]))
        else:
            log("  differing state after the snippet:")
            log(describe_diff(ref[0][pos * rec:(pos + 1) * rec],
                              emu[0][pos * rec:(pos + 1) * rec], snippet))
        log("  listing (objdump; .4byte = Zicond or an fcvt.d.* with a non-default rm, see "
            "source below):")
        log(listing(elf, index))
        log("  source:")
        log(source_lines(items))
        log("  reproduce: tests/difftest/run.sh --seed %s --snippet %d --minimize%s" % (
            args.seed, index, emulator_arg(args)))
    return min(budget, len(bad))


def count_kinds(ref, emu, bad, kinds):
    """Add up which kinds of state differ in the mismatching snippets of one run."""
    rec = gen.REC
    for pos, kind in bad:
        if kind != "record":
            kinds[kind] = kinds.get(kind, 0) + 1
            continue
        a = fields(ref[0][pos * rec:(pos + 1) * rec])
        b = fields(emu[0][pos * rec:(pos + 1) * rec])
        seen = set()
        for key in a:
            if a[key] != b[key]:
                seen.add("x regs" if key.startswith("x") else "memory" if key.startswith("mem")
                         else "fcsr" if key == "fcsr" else "f regs")
        for k in seen:
            kinds[k] = kinds.get(k, 0) + 1


def emulator_arg(args):
    """The options a reproducing command line needs besides the seed and snippet."""
    text = " --emulator %s" % args.emulator if args.emulator_given else ""
    text += "".join(" --emulator-arg=%s" % a for a in args.emulator_arg)
    return text + "".join(" --exclude '%s'" % e for e in args.exclude_list)


# ---- minimizing ----

def minimize(args, index, workdir):
    """Cut snippet `index` down to a small program that still mismatches."""
    snippet = gen.make_snippet(args.seed, index, args.zicond, args.exclude)
    items = list(snippet.items)
    trials = [0]

    def fails(subset):
        trials[0] += 1
        elf = build(workdir, args.seed, [(index, snippet, subset)], "min")
        ref, emu = run_both(args.reference, [args.emulator] + args.emulator_arg, elf, args.timeout)
        return outputs_differ(ref, emu), (ref, emu, elf)

    log("")
    log("minimizing snippet %d (%d items)" % (index, len(items)))
    ok, res = fails(items)
    if not ok:
        log("  the snippet alone does not mismatch: the difference needs earlier snippets "
            "(state leaking between snippets, or translation-cache effects)")
        return False
    lo, hi = 0, len(items)  # shortest failing prefix is in (lo, hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fails(items[:mid])[0]:
            hi = mid
        else:
            lo = mid
    items = items[:hi]
    log("  shortest failing prefix: %d items" % hi)
    i = len(items) - 2
    while i >= 0:
        cand = items[:i] + items[i + 1:]
        if fails(cand)[0]:
            items = cand
        i -= 1
    ok, (ref, emu, elf) = fails(items)
    if not ok:
        log("  (the reduced program no longer mismatches; reporting the prefix)")
        items = snippet.items[:hi]
        ok, (ref, emu, elf) = fails(items)
    log("  minimized to %d items (%d instructions) after %d runs:" % (
        len(items), sum(k for k, _ in items), trials[0]))
    log(source_lines(items))
    log("  listing:")
    log(listing(elf, index))
    rec = gen.REC
    if len(ref[0]) >= rec and len(emu[0]) >= rec:
        log("  differing state:")
        log(describe_diff(ref[0][:rec], emu[0][:rec], snippet))
    else:
        log("  reference: %s, %d bytes; emulator: %s, %d bytes" % (
            status_text(ref[1][0]), len(ref[0]), status_text(emu[1][0]), len(emu[0])))
        if emu[1][1].strip():
            log("  emulator stderr: " + emu[1][1].strip()[-2000:])
    log(initial_state_text(snippet))
    log("  program: %s (source %s.S)" % (elf, elf))
    return True


# ---- main ----

def probe(reference, workdir, name, body):
    """Exit status of a tiny program (`body` leaves its result in a0) under the reference."""
    src = os.path.join(workdir, "probe-%s.S" % name)
    elf = os.path.join(workdir, "probe-%s" % name)
    with open(src, "w") as f:
        f.write(".globl _start\n_start:\n%s\n li a7, 93\n ecall\n" % body)
    subprocess.run([CROSS + "gcc", "-nostdlib", "-static", "-march=" + MARCH, "-o", elf, src],
                   check=True, capture_output=True)
    return subprocess.run([reference, elf], capture_output=True).returncode


# Known bugs of reference versions: (name, probe body, correct a0, regex of the items to
# leave out when the reference gets it wrong, explanation).
REFERENCE_BUGS = [
    ("ctzw", " li a1, 0x8000000000000000\n ctzw a0, a1", 32, r"^ctzw\b",
     "ctzw with rs1[31:0] = 0 and rs1[63:32] != 0 gives the 64-bit count (QEMU 7.2; "
     "fixed in QEMU 8.0); tests/insn/bitmanip.c covers ctzw"),
]


def reference_checks(args, workdir):
    """Adapt the generated programs to what the reference can be trusted with."""
    if args.zicond == "auto":
        rc = probe(args.reference, workdir, "zicond",
                   " li a1, 3\n li a2, 0\n .insn r 0x33, 5, 7, a0, a1, a2")
        args.zicond = rc == 0
        if not args.zicond:
            log("# Zicond excluded: the reference (%s) does not implement it" % args.reference)
    else:
        args.zicond = args.zicond == "on"
    patterns = [args.exclude.pattern] if args.exclude else []
    for name, body, good, regex, why in REFERENCE_BUGS:
        if probe(args.reference, workdir, name, body) != good:
            log("# %s excluded: the reference has a known bug: %s" % (name, why))
            patterns.append(regex)
    if patterns:
        args.exclude = re.compile("|".join("(?:%s)" % p for p in patterns))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", default=str(DEFAULT_SEED), help="random seed (default %(default)s)")
    p.add_argument("--insns", type=int, default=100000,
                   help="random instructions to generate (default %(default)s)")
    p.add_argument("--emulator", help="emulator under test (default "
                   "$VMD_BUILD_DIR/programs/vmd-user)")
    p.add_argument("--emulator-arg", action="append", default=[], metavar="ARG",
                   help="option for the emulator under test, e.g. --emulator-arg=-one-insn-per-tb; "
                   "repeatable")
    p.add_argument("--reference", default="qemu-riscv64", help="reference (default %(default)s)")
    p.add_argument("--snippet", type=int, help="only run this snippet (with --minimize: "
                   "minimize it)")
    p.add_argument("--minimize", action="store_true",
                   help="cut the first mismatching snippet down to a minimal failing program")
    p.add_argument("--zicond", choices=("auto", "on", "off"), default="auto",
                   help="generate Zicond (auto: only if the reference implements it)")
    p.add_argument("--max-report", type=int, default=5, help="mismatches shown in detail")
    p.add_argument("--timeout", type=int, help="seconds per emulator run (default: 60 plus "
                   "1 per 2000 instructions)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--exclude", action="append", default=[], metavar="REGEX",
                   help="do not generate items with an assembly line matching REGEX (e.g. "
                   "'fcvt' while a known bug is open); repeatable; changes the programs")
    p.add_argument("--max-restarts", type=int, default=20,
                   help="after the emulator dies, go on with the next snippet this many "
                   "times (default %(default)s)")
    args = p.parse_args()
    args.emulator_given = args.emulator is not None
    args.exclude_list = args.exclude
    args.exclude = re.compile("|".join("(?:%s)" % e for e in args.exclude)) \
        if args.exclude else None
    if args.timeout is None:
        args.timeout = 60 + args.insns // 2000
    return args


def check_tools(args):
    for tool in ("gcc", "nm", "objdump"):
        if not shutil.which(CROSS + tool):
            skip("%s%s not found (Debian: gcc-riscv64-linux-gnu, binutils-riscv64-linux-gnu)"
                 % (CROSS, tool))
    if not shutil.which(args.reference):
        skip("reference emulator %s not found (Debian: qemu-user)" % args.reference)
    if args.emulator is None:
        build_dir = os.environ.get("VMD_BUILD_DIR", os.path.join(REPO, "build"))
        args.emulator = os.path.join(build_dir, "programs", "vmd-user")
        if not os.access(args.emulator, os.X_OK):
            skip("%s not built (meson setup build && ninja -C build, or pass --emulator)"
                 % args.emulator)
    elif not shutil.which(args.emulator):
        log("difftest: emulator %s not found" % args.emulator)
        sys.exit(2)
    args.emulator = shutil.which(args.emulator) or args.emulator
    args.reference = shutil.which(args.reference)


def main():
    args = parse_args()
    check_tools(args)
    cache = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    os.makedirs(os.path.join(cache, "vmd"), exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="difftest-", dir=os.path.join(cache, "vmd"))
    keep = args.keep
    try:
        reference_checks(args, workdir)
        log("# emulator %s, reference %s, seed %s" % (args.emulator, args.reference, args.seed))
        if args.snippet is not None and args.minimize:
            keep = True
            return 1 if minimize(args, args.snippet, workdir) else 0
        rc, keep_it = run(args, workdir)
        keep = keep or keep_it
        return rc
    finally:
        if keep:
            log("# work directory kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir):
    t0 = time.time()
    snippets = []
    total = 0
    if args.snippet is not None:
        s = gen.make_snippet(args.seed, args.snippet, args.zicond, args.exclude)
        snippets.append((args.snippet, s, s.items))
        total = sum(k for k, _ in s.items)
    else:
        i = 0
        while total < args.insns:
            s = gen.make_snippet(args.seed, i, args.zicond, args.exclude)
            snippets.append((i, s, s.items))
            total += sum(k for k, _ in s.items)
            i += 1
    t_gen = time.time() - t0
    t_build = t_ref = t_emu = 0.0
    pending = snippets
    all_bad = []  # (snippet index, kind)
    kinds = {}
    shown = 0
    restarts = 0
    while pending:
        t1 = time.time()
        elf = build(workdir, args.seed, pending, "prog%d" % restarts)
        t_build += time.time() - t1
        ref, emu = run_both(args.reference, [args.emulator] + args.emulator_arg, elf, args.timeout)
        t_ref += ref[2]
        t_emu += emu[2]
        if ref[1][0] != 0:
            log("# warning: the reference itself %s: %s" % (status_text(ref[1][0]),
                                                            ref[1][1].strip()[-500:]))
        bad = compare(ref, emu, pending)
        shown += report(args, pending, ref, emu, bad, elf, args.max_report - shown)
        count_kinds(ref, emu, bad, kinds)
        all_bad += [(pending[pos][0] if pos < len(pending) else -1, kind) for pos, kind in bad]
        if not bad or bad[-1][1] != "missing" or restarts >= args.max_restarts:
            break
        pos = bad[-1][0]
        restarts += 1
        log("# emulator stopped in snippet %d: going on with the next one (restart %d of %d)"
            % (pending[pos][0], restarts, args.max_restarts))
        pending = pending[pos + 1:]
    if len(all_bad) > shown:
        log("... %d more mismatching snippets not shown" % (len(all_bad) - shown))
    log("")
    if kinds:
        log("# mismatching snippets by what differs: " + ", ".join(
            "%s %d" % (k, v) for k, v in sorted(kinds.items())))
    log("# generate %.1fs, build %.1fs, reference %.1fs, emulator %.1fs" % (
        t_gen, t_build, t_ref, t_emu))
    cond = sum(s.cond for _, s, _ in snippets)
    log("instructions: %d executed at most (at least %d: %d sit behind conditional branches)"
        % (total, total - cond, cond))
    log("snippets: %d" % len(snippets))
    log("mismatches: %d" % len(all_bad))
    if all_bad and args.minimize:
        first = all_bad[0][0]
        minimize(args, first if first >= 0 else snippets[0][0], workdir)
    return (1 if all_bad else 0), bool(all_bad)


if __name__ == "__main__":
    sys.exit(main())
