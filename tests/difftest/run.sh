#!/bin/sh
# Differential tester: random RV64GC(+Zba/Zbb/Zbc/Zbs/Zicond) instruction streams run under
# an emulator and under qemu-riscv64, final register, FP and fflags state compared.
#
# usage: tests/difftest/run.sh [--seed S] [--insns N] [--emulator PATH] [--minimize]
#            [--snippet K] [--emulator-arg=ARG] [--exclude REGEX] [--reference PATH]
#            [--keep] [--help]
#
# Defaults: a fixed seed, 100k instructions (the CI slice); --insns 1000000 for the long
# run. The emulator defaults to $VMD_BUILD_DIR/programs/vmd-user (VMD_BUILD_DIR defaults
# to <repo>/build). Exit status: 0 no mismatch, 1 mismatch, 77 skipped (no cross
# toolchain, no qemu-riscv64, or vmd-user not built). See docs/testing-cpu.md.
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not found"
    exit 77
fi
exec python3 "$(dirname "$0")/difftest.py" "$@"
