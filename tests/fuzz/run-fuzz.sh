#!/usr/bin/env bash
# The libFuzzer targets (qcow2 images, guest virtqueues), a short fixed-seed slice for
# CI; longer runs on demand:
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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# build NAME SOURCES...: the clang-built target, cached by the hash of its sources.
build() {
    local name=$1
    shift
    local key
    key=$(cat "$@" block/*.h storage-backends/*.h hw/virtio/*.h | sha256sum | cut -c1-16)
    target=${XDG_CACHE_HOME:-$HOME/.cache}/vmd/$name-$key
    if [ ! -x "$target/$name" ]; then
        rm -rf "$target.tmp" && mkdir -p "$target.tmp"
        # shellcheck disable=SC2046
        clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
            $(pkg-config --cflags glib-2.0) "$@" \
            $(pkg-config --libs glib-2.0 zlib libzstd) -o "$target.tmp/$name"
        rm -rf "$target" && mv "$target.tmp" "$target"
    fi
    target=$target/$name
}

# fuzz NAME CORPUS MAX_LEN: runs a built target over its corpus.
fuzz() {
    local name=$1 corpus=$2 max_len=$3
    if (cd "$work" && "$target" -runs="$runs" -seed="$seed" -max_len="$max_len" -timeout=10 \
        -artifact_prefix="$work/$name-" "$corpus" >"$work/$name.log" 2>&1); then
        echo "$name: $runs runs, seed $seed, clean"
    else
        tail -40 "$work/$name.log"
        for f in "$work/$name"-crash-* "$work/$name"-leak-* "$work/$name"-timeout-*; do
            [ -e "$f" ] && cp "$f" "$src/" && echo "reproducer kept: $src/$(basename "$f")"
        done
        status=1
    fi
}

# qcow2: seeds are small images of different shapes made by qemu-img and qemu-io.
build fuzz-qcow2 block/fuzz-qcow2.c block/block.c block/aio.c block/file-node.c block/mem.c \
    block/raw.c block/qcow2*.c storage-backends/file.c
mkdir "$work/qcow2"
i=0
for opts in "cluster_size=512" "cluster_size=65536,refcount_bits=1" "compat=0.10" \
    "cluster_size=16384,extended_l2=on" "compression_type=zstd"; do
    qemu-img create -q -f qcow2 -o "$opts" "$work/qcow2/seed$i.qcow2" 1M
    qemu-io -f qcow2 -c "write -P 7 0 8k" -c "write -z 64k 4k" "$work/qcow2/seed$i.qcow2" >/dev/null
    i=$((i + 1))
done
qemu-img snapshot -c s1 "$work/qcow2/seed0.qcow2"
fuzz fuzz-qcow2 "$work/qcow2" 262144

# virtqueues: the seed is a well-formed queue of 8 with a two-buffer chain posted.
build fuzz-virtqueue hw/virtio/fuzz-virtqueue.c hw/virtio/virtio.c
mkdir "$work/vq"
python3 - "$work/vq/seed" <<'PY'
import struct, sys
ram = bytearray(8192)
struct.pack_into("<HHHH", ram, 0, 8, 0x100, 0x200, 0x300)     # num, desc, avail, used
base = 0x80000000
struct.pack_into("<QIHH", ram, 0x100, base + 0x1000, 16, 1, 1)  # out buffer, NEXT -> 1
struct.pack_into("<QIHH", ram, 0x110, base + 0x1800, 16, 2, 0)  # in buffer (WRITE)
struct.pack_into("<HHH", ram, 0x200, 0, 1, 0)                   # avail: idx 1, ring[0] 0
open(sys.argv[1], "wb").write(ram)
PY
fuzz fuzz-virtqueue "$work/vq" 65536
exit $status
