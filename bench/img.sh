#!/usr/bin/env bash
# vmd-img against qemu-img, side by side: convert of a sparse qcow2 with data to qcow2,
# to raw and to compressed qcow2, and a 4 KiB random-write bench. Median of N runs;
# prints both times and the ratio. Timings are never pass/fail.
#
#   bench/img.sh [-n RUNS] [-s VIRTUAL_SIZE] [-d DATA_MIB]    (default 4G with 1024 MiB)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=5 size=4G data=1024
while [ $# -gt 0 ]; do
    case "$1" in
    -n) runs=$2; shift 2 ;;
    -s) size=$2; shift 2 ;;
    -d) data=$2; shift 2 ;;
    *) echo "usage: $0 [-n RUNS] [-s SIZE] [-d DATA_MIB]" >&2; exit 2 ;;
    esac
done
vimg=$root/build/programs/vmd-img
work=$(mktemp -d "${TMPDIR:-/var/tmp}/vmd-bench-img.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A sparse source: $data MiB of random data in 1 MiB pieces spread over the disk.
qemu-img create -q -f qcow2 "$work/src.qcow2" "$size"
vsize=$(qemu-img info --output=json "$work/src.qcow2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
step=$((vsize / data / 1048576))
[ "$step" -ge 1 ] || step=1
python3 - "$work/script" "$data" "$step" <<'PY'
import sys
path, data, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    for i in range(data):
        f.write(f"write -P {i % 251} {i * step}M 1M\n")
PY
qemu-io -f qcow2 "$work/src.qcow2" <"$work/script" >/dev/null

median() {
    local t=()
    for _ in $(seq "$runs"); do
        rm -f "$work/out"
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
        t1=$(date +%s.%N)
        t+=("$(echo "$t1 - $t0" | bc)")
    done
    printf '%s\n' "${t[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

row() {
    local name=$1 q v
    shift
    q=$(median qemu-img "$@")
    v=$(median "$vimg" "$@")
    printf '%-26s %10.3f %10.3f %8.2f\n' "$name" "$q" "$v" "$(echo "$v / $q" | bc -l)"
}

printf '%-26s %10s %10s %8s\n' workload qemu-img vmd-img ratio
row "convert qcow2 -> qcow2" convert -f qcow2 -O qcow2 "$work/src.qcow2" "$work/out"
row "convert qcow2 -> raw" convert -f qcow2 -O raw "$work/src.qcow2" "$work/out"
row "convert -c (zlib)" convert -c -f qcow2 -O qcow2 "$work/src.qcow2" "$work/out"
# bench allocates on the first pass: a fresh image for every run.
bench_row() {
    local name=$1 q v
    shift
    q=$(median sh -c "qemu-img create -q -f qcow2 $work/b.qcow2 1G && qemu-img bench $*")
    v=$(median sh -c "qemu-img create -q -f qcow2 $work/b.qcow2 1G && $vimg bench $*")
    printf '%-26s %10.3f %10.3f %8.2f\n' "$name" "$q" "$v" "$(echo "$v / $q" | bc -l)"
}
bench_row "bench 4K writes" -w -s 4096 -c 20000 -d 32 "$work/b.qcow2"
bench_row "bench 4K writes O_DIRECT" -w -t none -s 4096 -c 20000 -d 32 "$work/b.qcow2"
echo "(seconds, median of $runs runs; source $size with $data MiB of data; $(nproc) cores; $(date -u +%F))"
