#!/bin/bash
# Self-test of the differential tester: a test that cannot fail is worse than none.
#
# 1. qemu-riscv64 against itself must report no mismatch (the generated programs are
#    deterministic and valid);
# 2. a wrapper that flips one bit of QEMU's output must be caught, at the right snippet
#    and register;
# 3. a wrapper running QEMU without Zbb must crash, be caught, and be minimized down to a
#    single Zbb instruction.
#
# usage: tests/difftest/selftest.sh     exit status 0 ok, 1 a check failed, 77 skipped
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v qemu-riscv64 >/dev/null 2>&1 || { echo "SKIP: no qemu-riscv64"; exit 77; }
command -v riscv64-linux-gnu-gcc >/dev/null 2>&1 || { echo "SKIP: no cross compiler"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() { # description, condition result
    if [ "$2" = 0 ]; then
        echo "ok   $1"
    else
        echo "FAIL $1"
        fails=$((fails + 1))
    fi
}

# 1. QEMU against itself.
"$here/run.sh" --emulator qemu-riscv64 --seed 11 >"$tmp/same.log" 2>&1
rc=$?
check "qemu vs qemu: exit status 0" $([ $rc = 0 ]; echo $?)
check "qemu vs qemu: 0 mismatches" $(grep -q '^mismatches: 0$' "$tmp/same.log"; echo $?)

# 2. One flipped bit: record 37 (776 bytes each), register x10 (offset 80), byte 2.
cat >"$tmp/corrupt-emu" <<'EOF'
#!/usr/bin/env python3
import subprocess, sys
out = subprocess.run(["qemu-riscv64"] + sys.argv[1:], capture_output=True)
data = bytearray(out.stdout)
at = 776 * 37 + 80 + 2
if at < len(data):
    data[at] ^= 0x10
sys.stdout.buffer.write(data)
sys.exit(out.returncode)
EOF
chmod +x "$tmp/corrupt-emu"
XDG_CACHE_HOME=$tmp "$here/run.sh" --emulator "$tmp/corrupt-emu" --seed 11 >"$tmp/flip.log" 2>&1
rc=$?
check "flipped bit: exit status 1" $([ $rc = 1 ]; echo $?)
check "flipped bit: reported at snippet 37" \
    $(grep -q '^MISMATCH seed=11 snippet=37$' "$tmp/flip.log"; echo $?)
check "flipped bit: register a0 named" $(grep -q '^    x10 (a0) ' "$tmp/flip.log"; echo $?)
check "flipped bit: 1 mismatch" $(grep -q '^mismatches: 1$' "$tmp/flip.log"; echo $?)

# 3. An emulator without Zbb: crash, minimized to one Zbb instruction.
cat >"$tmp/nozbb-emu" <<'EOF'
#!/bin/sh
QEMU_CPU=rv64,zbb=false exec qemu-riscv64 "$@"
EOF
chmod +x "$tmp/nozbb-emu"
XDG_CACHE_HOME=$tmp "$here/run.sh" --emulator "$tmp/nozbb-emu" --seed 11 --insns 20000 \
    --minimize >"$tmp/min.log" 2>&1
rc=$?
check "no Zbb: exit status 1" $([ $rc = 1 ]; echo $?)
check "no Zbb: emulator crash reported" $(grep -q 'killed by signal 4' "$tmp/min.log"; echo $?)
min=$(sed -n '/minimized to 1 items/{n;p}' "$tmp/min.log" | awk '{print $1}')
zbb="andn orn xnor max maxu min minu rol ror rolw rorw rori roriw clz clzw ctz ctzw cpop cpopw
     sext.b sext.h zext.h orc.b rev8"
found=1
for m in $zbb; do [ "$min" = "$m" ] && found=0; done
check "no Zbb: minimized to a single Zbb instruction (${min:-none})" $found

if [ $fails -gt 0 ]; then
    echo "$fails self-test checks failed; logs:"
    for f in same flip min; do echo "== $f"; tail -40 "$tmp/$f.log"; done
    exit 1
fi
echo "all self-test checks passed"
