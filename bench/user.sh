#!/usr/bin/env bash
# CPU-bound busybox work under vmd-user, next to Debian's qemu-riscv64 and the native
# x86-64 busybox, in one run. Prints the median of N runs of each workload and the
# ratios vmd-user/qemu and qemu/native. Timings are never pass/fail.
#
#   bench/user.sh [-n RUNS] [-s MIB] [--vmd-user PATH] [--accel tci|jit]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
mib=8
vmd_user="$root/build/programs/vmd-user"
vmd_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    -n) runs=$2; shift ;;
    -s) mib=$2; shift ;;
    --vmd-user) vmd_user=$2; shift ;;
    --accel) vmd_args+=(-accel "tcg,tci=$([ "$2" = tci ] && echo on || echo off)"); shift ;;
    *) echo "usage: $0 [-n RUNS] [-s MIB] [--vmd-user PATH] [--accel tci|jit]" >&2; exit 2 ;;
    esac
    shift
done

guest_bb=$("$root/tests/guest/build.sh" --path busybox)
native_bb=$(command -v busybox || true)
for tool in qemu-riscv64 "$vmd_user"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Deterministic input: compressible text, so gzip and sort do real work.
python3 - "$work/input" "$mib" <<'PY'
import random, sys
random.seed(42)
words = [''.join(random.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(random.randint(2, 9)))
         for _ in range(5000)]
size = int(sys.argv[2]) << 20
with open(sys.argv[1], 'w') as f:
    n = 0
    while n < size:
        line = ' '.join(random.choice(words) for _ in range(8)) + '\n'
        f.write(line)
        n += len(line)
PY

workloads=(
    "md5sum:md5sum $work/input"
    "sha256sum:sha256sum $work/input"
    "gzip:gzip -c -6 $work/input"
    "sort:sort $work/input"
    "shell-loop:sh -c 'i=0; while [ \$i -lt 300000 ]; do i=\$((i+1)); done; echo \$i'"
)

# Median wall time in seconds of running "$@" $runs times (output discarded).
median() {
    local times=()
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; echo nan; return; }
        t1=$(date +%s.%N)
        times+=("$(echo "$t1 - $t0" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

printf '%-11s %10s %10s %10s %12s %13s\n' workload native qemu vmd-user vmd/qemu qemu/native
for w in "${workloads[@]}"; do
    name=${w%%:*}
    cmd=${w#*:}
    if [ -n "$native_bb" ]; then
        tn=$(median sh -c "$native_bb $cmd")
    else
        tn=nan
    fi
    tq=$(median sh -c "qemu-riscv64 $guest_bb $cmd")
    tv=$(median sh -c "$vmd_user ${vmd_args[*]} $guest_bb $cmd")
    ratio() { if [ "$1" = nan ] || [ "$2" = nan ]; then echo nan; else echo "scale=2; $1 / $2" | bc; fi; }
    printf '%-11s %10.3f %10.3f %10.3f %12s %13s\n' "$name" "$tn" "$tq" "$tv" \
        "$(ratio "$tv" "$tq")" "$(ratio "$tq" "$tn")"
done
echo "(seconds, median of $runs runs; input $mib MiB; $(nproc) cores; $(date -u +%F))"
