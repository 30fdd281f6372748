#!/usr/bin/env bash
# The libFuzzer targets, a short fixed-seed slice for CI; longer runs on demand:
#   tests/fuzz/run-fuzz.sh [-runs N] [-seed S]      (default: 20000 runs, seed 1)
# Each target is built with clang into a cache directory keyed by its sources, seeded
# with small valid inputs made by the real tools (qemu-img), and run. Exit: 0 clean,
# 1 a crash/leak/hang (the reproducer is kept and named), 77 without clang.
set -euo pipefail
src=${VMD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
runs=20000 seed=1
while [ $# -gt 0 ]; do
    case "$1" in
    -runs) runs=$2; shift 2 ;;
    -seed) seed=$2; shift 2 ;;
    *) echo "usage: $0 [-runs N] [-seed S]" >&2; exit 2 ;;
    esac
done
command -v clang >/dev/null || { echo "SKIP: clang not installed (apt-get install clang)"; exit 77; }
command -v qemu-img >/dev/null || { echo "SKIP: qemu-img not installed"; exit 77; }

cd "$src"
sources=(block/fuzz-qcow2.c block/block.c block/aio.c block/file-node.c block/mem.c block/raw.c
    block/qcow2*.c storage-backends/file.c)
key=$(cat "${sources[@]}" block/*.h storage-backends/*.h | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vmd/fuzz-qcow2-$key
if [ ! -x "$cache/fuzz-qcow2" ]; then
    mkdir -p "$cache.tmp"
    # shellcheck disable=SC2046
    clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
        $(pkg-config --cflags glib-2.0) "${sources[@]}" \
        $(pkg-config --libs glib-2.0 zlib libzstd) -o "$cache.tmp/fuzz-qcow2"
    rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
i=0
for opts in "cluster_size=512" "cluster_size=65536,refcount_bits=1" "compat=0.10" \
    "cluster_size=16384,extended_l2=on" "compression_type=zstd"; do
    qemu-img create -q -f qcow2 -o "$opts" "$work/corpus/seed$i.qcow2" 1M
    qemu-io -f qcow2 -c "write -P 7 0 8k" -c "write -z 64k 4k" "$work/corpus/seed$i.qcow2" >/dev/null
    i=$((i + 1))
done
qemu-img snapshot -c s1 "$work/corpus/seed0.qcow2"
cd "$work"
if "$cache/fuzz-qcow2" -runs="$runs" -seed="$seed" -max_len=262144 -timeout=10 \
    -artifact_prefix="$work/" corpus >"$work/log" 2>&1; then
    tail -2 "$work/log"
    echo "fuzz-qcow2: $runs runs, seed $seed, clean"
else
    tail -40 "$work/log"
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null |
        while read -r f; do cp "$f" "$src/"; echo "reproducer kept: $src/$(basename "$f")"; done
    exit 1
fi
