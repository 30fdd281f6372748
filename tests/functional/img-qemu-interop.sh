#!/bin/bash
# vmd-img against qemu-img, the reference implementation (Debian's qemu-utils).
#
#  1. Images vmd-img writes (convert from raw files of known content, every cluster
#     size / compat / refcount width / compression type, convert -n into images qemu
#     created, resize) pass `qemu-img check` with no errors or leaks, and `qemu-img
#     compare` finds them identical to the raw original.
#  2. Images qemu-img creates and qemu-io writes (v2/v3, 512 B..2 MiB clusters,
#     refcount_bits 1/16/64, zlib and zstd compression, backing chains, zero clusters,
#     internal snapshots, extended L2 entries) read back through `vmd-img compare`
#     identical to a raw reference that received the same qemu-io writes.
#  3. `vmd-img info --output=json` agrees with `qemu-img info --output=json` on every
#     field both report; `vmd-img check` exit codes agree with qemu-img's on clean,
#     leaking and corrupt images, and `check -r leaks` repairs what qemu-img then
#     accepts.
# Exit 0 pass, 77 skip (no qemu-img), 1 fail.
set -u
VMD_IMG=${VMD_IMG:-${VMD_BUILD_DIR:-build}/programs/vmd-img}
command -v qemu-img >/dev/null && command -v qemu-io >/dev/null || { echo "SKIP: qemu-utils"; exit 77; }
[ -x "$VMD_IMG" ] || { echo "FAIL: no vmd-img at $VMD_IMG"; exit 1; }
T=$(mktemp -d /tmp/img-interop.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
fails=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A raw image with random, compressible, zero and unaligned regions (not a multiple
# of any cluster size: the last cluster is partial).
python3 - <<'PY'
import os, random
random.seed(7)
size = 24 * 1024 * 1024 + 7 * 512
b = bytearray(size)
for _ in range(40):
    off = random.randrange(0, size - 300000)
    n = random.randrange(1, 300000)
    b[off:off + n] = os.urandom(n) if random.random() < 0.5 else (b"vmd-img " * (n // 8 + 1))[:n]
b[size - 1000:] = os.urandom(1000)
open("src.raw", "wb").write(b)
PY

qcheck_clean() { # image: qemu-img check must report no errors and no leaks
    local out; out=$(qemu-img check "$1" 2>&1); local rc=$?
    [ $rc -eq 0 ] || { bad "qemu-img check $1 (rc $rc): $out"; return 1; }
}
qsame() { # raw image
    qemu-img compare -q -f raw "$1" "$2" || { bad "qemu-img compare $1 $2"; return 1; }
}
vsame() {
    "$VMD_IMG" compare -q -f raw "$1" "$2" || { bad "vmd-img compare $1 $2"; return 1; }
}
info_agree() { # image: shared fields of info --output=json equal
    qemu-img info --output=json "$1" > q.json && "$VMD_IMG" info --output=json "$1" > v.json ||
        { bad "info $1"; return 1; }
    python3 - "$1" <<'PY' || { bad "info json differs for $1"; return 1; }
import json, sys
q, v = json.load(open("q.json")), json.load(open("v.json"))
keys = ["virtual-size", "filename", "cluster-size", "format", "dirty-flag",
        "backing-filename", "full-backing-filename", "backing-filename-format"]
bad = [k for k in keys if q.get(k) != v.get(k)]
qf, vf = q.get("format-specific", {}).get("data", {}), v.get("format-specific", {}).get("data", {})
bad += ["fs." + k for k in qf if k in ("compat", "compression-type", "lazy-refcounts",
        "refcount-bits", "corrupt", "extended-l2") and qf.get(k) != vf.get(k)]
if abs(q.get("actual-size", 0) - v.get("actual-size", 0)) > 0:
    bad.append("actual-size")
if bad:
    print(sys.argv[1], "differs in", bad, q, v)
    sys.exit(1)
PY
}

# ---- 1. images vmd-img writes ----
for opts in cluster_size=512 cluster_size=4096 cluster_size=65536 cluster_size=2M \
            compat=0.10 compat=0.10,cluster_size=1024 \
            refcount_bits=1 refcount_bits=2 refcount_bits=4 refcount_bits=8 \
            refcount_bits=32 refcount_bits=64 refcount_bits=64,cluster_size=512 \
            refcount_bits=1,cluster_size=512; do
    rm -f o.qcow2
    "$VMD_IMG" convert -O qcow2 -o "$opts" src.raw o.qcow2 || { bad "convert -o $opts"; continue; }
    qcheck_clean o.qcow2 && qsame src.raw o.qcow2 && vsame src.raw o.qcow2 &&
        info_agree o.qcow2 && ok
done
for ct in zlib zstd; do
    for cs in 512 65536 2M; do
        rm -f c.qcow2
        "$VMD_IMG" convert -c -O qcow2 -o compression_type=$ct,cluster_size=$cs src.raw c.qcow2 ||
            { bad "convert -c $ct $cs"; continue; }
        qcheck_clean c.qcow2 && qsame src.raw c.qcow2 && vsame src.raw c.qcow2 &&
            info_agree c.qcow2 && ok
    done
done
# raw output, and qcow2 -> qcow2
"$VMD_IMG" convert -O qcow2 src.raw a.qcow2 && "$VMD_IMG" convert -f qcow2 -O raw a.qcow2 back.raw &&
    cmp -s src.raw back.raw && ok || bad "qcow2 -> raw round trip"
"$VMD_IMG" convert -O qcow2 -o cluster_size=4096 a.qcow2 b.qcow2 && qcheck_clean b.qcow2 &&
    qsame src.raw b.qcow2 && ok
# O_DIRECT (-t none) through the aligned bounce buffer, qcow2 and raw
"$VMD_IMG" convert -t none -O qcow2 -o cluster_size=512 src.raw d.qcow2 && qcheck_clean d.qcow2 &&
    qsame src.raw d.qcow2 && "$VMD_IMG" convert -t none -O raw d.qcow2 d.raw &&
    cmp -s src.raw d.raw && ok || bad "convert -t none"
# created empty images, with a backing file, and resized
for opts in "" "-o compat=0.10" "-o cluster_size=2M,refcount_bits=64"; do
    rm -f e.qcow2
    "$VMD_IMG" create -q -f qcow2 $opts e.qcow2 5G && qcheck_clean e.qcow2 && info_agree e.qcow2 && ok
done
"$VMD_IMG" create -q -f qcow2 -b src.raw -F raw ov.qcow2 && qcheck_clean ov.qcow2 &&
    info_agree ov.qcow2 && qemu-img compare -q src.raw ov.qcow2 && vsame src.raw ov.qcow2 && ok ||
    bad "create with backing"
"$VMD_IMG" resize -q a.qcow2 +3G && qcheck_clean a.qcow2 && info_agree a.qcow2 &&
    [ "$(qemu-img info --output=json a.qcow2 | python3 -c 'import json,sys;print(json.load(sys.stdin)["virtual-size"])')" = \
      "$(( $(stat -c %s src.raw) + 3 * 1024 * 1024 * 1024 ))" ] && ok || bad "resize"
# our writes into images qemu laid out: convert -n into qemu-created images
for q in "-o cluster_size=65536" "-o compat=0.10" "-o cluster_size=512,refcount_bits=1" \
         "-o refcount_bits=64,cluster_size=2M"; do
    rm -f n.qcow2
    qemu-img create -q -f qcow2 $q n.qcow2 "$(stat -c %s src.raw)"
    qemu-io -f qcow2 -c 'write -P 0x5a 1M 3M' -c 'write -z 8M 1M' n.qcow2 >/dev/null
    "$VMD_IMG" convert -n -f raw -O qcow2 src.raw n.qcow2 || { bad "convert -n $q"; continue; }
    qcheck_clean n.qcow2 && qsame src.raw n.qcow2 && ok
done
# qemu-io writes into an image vmd-img created: our layout, their allocator
"$VMD_IMG" convert -O qcow2 -o cluster_size=4096 src.raw w.qcow2 && cp src.raw w.raw &&
    for f in w.qcow2 w.raw; do
        fmt=qcow2; [ $f = w.raw ] && fmt=raw
        qemu-io -f $fmt -c 'write -P 0x11 100k 700k' -c 'write -z 3M 2M' -c 'discard 6M 1M' \
            -c 'write -P 0x22 20M 64k' $f >/dev/null
    done
qemu-io -f raw -c 'write -z 6M 1M' w.raw >/dev/null
qcheck_clean w.qcow2 && vsame w.raw w.qcow2 && ok

# ---- 2. images qemu creates, read by vmd-img ----
QIO=(-c 'write -P 0xaa 0 3M' -c 'write -P 0xbb 5M 64k' -c 'write -P 0xcc 6000k 12k'
     -c 'write -z 1M 512k' -c 'write -P 0xdd 23M 7k' -c 'discard 2M 128k')
qemu_case() { # name, create options
    local name=$1; shift
    cp src.raw "$name.ref"
    qemu-img convert -f raw -O qcow2 "$@" src.raw "$name.qcow2" || { bad "qemu convert $name"; return; }
    qemu-io -f qcow2 "${QIO[@]}" "$name.qcow2" >/dev/null
    qemu-io -f raw "${QIO[@]}" "$name.ref" >/dev/null
    # discard in raw may leave data: the reference is what qemu itself reads back
    qemu-img convert -O raw "$name.qcow2" "$name.ref"
    vsame "$name.ref" "$name.qcow2" && info_agree "$name.qcow2" &&
        "$VMD_IMG" check -q "$name.qcow2" && ok || bad "qemu case $name"
}
qemu_case v2 -o compat=0.10
qemu_case v3 -o compat=1.1
qemu_case c512 -o cluster_size=512
qemu_case c64k -o cluster_size=64k
qemu_case c2m -o cluster_size=2M
qemu_case r1 -o refcount_bits=1
qemu_case r16 -o refcount_bits=16
qemu_case r64 -o refcount_bits=64
qemu_case zlib -c -o compression_type=zlib
qemu_case zstd -c -o compression_type=zstd
qemu_case zstd512 -c -o compression_type=zstd,cluster_size=512
qemu_case zlib2m -c -o compression_type=zlib,cluster_size=2M
qemu_case extl2 -o extended_l2=on,cluster_size=64k
qemu_case extl2b -o extended_l2=on,cluster_size=2M
# subclusters in an image with a backing file: unallocated subclusters read the backing
qemu-img create -q -f qcow2 -o extended_l2=on -b src.raw -F raw sub.qcow2
qemu-io -f qcow2 -c 'write -P 0x31 4k 4k' -c 'write -z 70k 2k' -c 'write -P 0x32 130k 1k' sub.qcow2 >/dev/null
qemu-img convert -O raw sub.qcow2 sub.ref
vsame sub.ref sub.qcow2 && info_agree sub.qcow2 && ok
# zero clusters over a backing file (v3), and a three-level chain
qemu-img create -q -f qcow2 -b src.raw -F raw mid.qcow2
qemu-io -f qcow2 -c 'write -z 0 2M' -c 'write -P 0x44 4M 1M' mid.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 0x55 4608k 64k' -c 'write -z 10M 64k' top.qcow2 >/dev/null
qemu-img convert -O raw top.qcow2 top.ref
vsame top.ref top.qcow2 && info_agree top.qcow2 && ok
# a backing file recorded without format (probed)
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 nofmt.qcow2 &&
    "$VMD_IMG" compare -q top.ref top.qcow2 && ok || bad "probe"
# internal snapshots: the active state after more writes reads right
qemu-img convert -O qcow2 src.raw snap.qcow2
qemu-img snapshot -c s1 snap.qcow2
qemu-io -f qcow2 -c 'write -P 0x66 0 1M' -c 'write -z 2M 1M' snap.qcow2 >/dev/null
qemu-img snapshot -c s2 snap.qcow2
qemu-io -f qcow2 -c 'write -P 0x77 512k 8k' snap.qcow2 >/dev/null
qemu-img convert -O raw snap.qcow2 snap.ref
vsame snap.ref snap.qcow2 && "$VMD_IMG" check -q snap.qcow2 && ok || bad "snapshots read"
# our writes into the image with snapshots: copy-on-write must keep s1 intact
qemu-img convert -O raw -l s1 snap.qcow2 s1.ref
"$VMD_IMG" convert -n -f raw -O qcow2 src.raw snap.qcow2 && qcheck_clean snap.qcow2 &&
    qsame src.raw snap.qcow2 && qemu-img convert -O raw -l s1 snap.qcow2 s1.after &&
    cmp -s s1.ref s1.after && ok || bad "COW with snapshots"

# ---- 3. check exit codes and repair against qemu-img ----
qemu-img convert -O qcow2 src.raw leak.qcow2
python3 - <<'PY'
# Leak one cluster: grow the file by one cluster and give it refcount 1.
import struct
f = open("leak.qcow2", "r+b")
h = f.read(104)
cb = struct.unpack(">I", h[20:24])[0]; cs = 1 << cb
rt = struct.unpack(">Q", h[48:56])[0]
f.seek(0, 2); size = f.tell(); idx = size // cs
f.truncate(size + cs)
f.seek(rt + (idx // (cs // 2)) * 8); rb = struct.unpack(">Q", f.read(8))[0]
assert rb, "refcount block missing"
f.seek(rb + (idx % (cs // 2)) * 2); f.write(struct.pack(">H", 1))
PY
qemu-img check -q leak.qcow2; q=$?
"$VMD_IMG" check -q leak.qcow2; v=$?
[ $q = 3 ] && [ $v = 3 ] && ok || bad "leak exit codes qemu=$q vmd=$v"
"$VMD_IMG" check -q -r leaks leak.qcow2 && qcheck_clean leak.qcow2 && qsame src.raw leak.qcow2 && ok ||
    bad "repair leaks"
cp a.qcow2 corrupt.qcow2
python3 - <<'PY'
# Corrupt: an L2 entry that is not cluster aligned.
import struct
f = open("corrupt.qcow2", "r+b")
h = f.read(104)
l1 = struct.unpack(">Q", h[40:48])[0]
f.seek(l1); l2 = struct.unpack(">Q", f.read(8))[0] & 0x00fffffffffffe00
f.seek(l2 + 8); e = struct.unpack(">Q", f.read(8))[0]
f.seek(l2 + 8); f.write(struct.pack(">Q", e | 0x200))
PY
qemu-img check -q corrupt.qcow2 >/dev/null 2>&1; q=$?
"$VMD_IMG" check -q corrupt.qcow2 >/dev/null 2>&1; v=$?
[ $q = 2 ] && [ $v = 2 ] && ok || bad "corrupt exit codes qemu=$q vmd=$v"
"$VMD_IMG" check -q -f raw src.raw; v=$?
[ $v = 63 ] && ok || bad "raw check exit $v"

# ---- 4. snapshots, commit, rebase, amend written by vmd-img, verified by qemu-img ----
"$VMD_IMG" convert -O qcow2 src.raw vs.qcow2
"$VMD_IMG" snapshot -c s1 vs.qcow2 && qcheck_clean vs.qcow2 &&
    qemu-img snapshot -l vs.qcow2 | grep -q ' s1 ' && ok || bad "snapshot -c"
qemu-img convert -O raw -f raw src.raw new.raw
qemu-io -f raw -c 'write -P 0x99 0 5M' -c 'write -z 9M 1M' new.raw >/dev/null
"$VMD_IMG" convert -n -f raw -O qcow2 new.raw vs.qcow2 && qcheck_clean vs.qcow2 &&
    qsame new.raw vs.qcow2 && qemu-img convert -O raw -l s1 vs.qcow2 vs-s1.raw &&
    cmp -s src.raw vs-s1.raw && ok || bad "writes after snapshot -c"
"$VMD_IMG" snapshot -c s2 vs.qcow2 && "$VMD_IMG" snapshot -a s1 vs.qcow2 && qcheck_clean vs.qcow2 &&
    qsame src.raw vs.qcow2 && ok || bad "snapshot -a"
"$VMD_IMG" snapshot -d s1 vs.qcow2 && qcheck_clean vs.qcow2 && qsame src.raw vs.qcow2 &&
    ! qemu-img snapshot -l vs.qcow2 | grep -q ' s1 ' && qemu-img convert -O raw -l s2 vs.qcow2 vs-s2.raw &&
    cmp -s new.raw vs-s2.raw && ok || bad "snapshot -d"
[ "$("$VMD_IMG" snapshot -l vs.qcow2 | awk 'NR>2{print $2}')" = s2 ] && ok || bad "snapshot -l"
# convert from an internal snapshot (-l snapshot.name=, -s id)
"$VMD_IMG" convert -l snapshot.name=s2 -O raw vs.qcow2 l.raw && cmp -s new.raw l.raw &&
    "$VMD_IMG" convert -s 2 -O raw vs.qcow2 l2.raw && cmp -s new.raw l2.raw && ok ||
    bad "convert -l/-s"
# a snapshot qemu made, applied and deleted by vmd-img
qemu-img convert -O qcow2 src.raw qs.qcow2 && qemu-img snapshot -c q1 qs.qcow2
qemu-io -f qcow2 -c 'write -P 0x12 0 2M' qs.qcow2 >/dev/null
"$VMD_IMG" snapshot -a q1 qs.qcow2 && "$VMD_IMG" snapshot -d q1 qs.qcow2 && qcheck_clean qs.qcow2 &&
    qsame src.raw qs.qcow2 && ok || bad "apply/delete a qemu snapshot"
# commit: the base receives the overlay's writes
cp src.raw cbase.raw
qemu-img create -q -f qcow2 -b cbase.raw -F raw cov.qcow2
qemu-io -f qcow2 -c 'write -P 0x21 1M 3M' -c 'write -z 10M 2M' cov.qcow2 >/dev/null
qemu-img convert -O raw cov.qcow2 cov.ref
"$VMD_IMG" commit -q cov.qcow2 && cmp -s cov.ref cbase.raw && qcheck_clean cov.qcow2 &&
    qemu-img map --output=json cov.qcow2 | python3 -c '
import json, sys
assert all(e["depth"] == 1 or not e["present"] for e in json.load(sys.stdin)), "top not emptied"' &&
    qemu-img compare -q cov.ref cov.qcow2 && ok || bad "commit"
# rebase (safe) onto a different base keeps the content; -u only rewrites the header
qemu-img create -q -f qcow2 -b src.raw -F raw rb.qcow2
qemu-io -f qcow2 -c 'write -P 0x23 2M 1M' rb.qcow2 >/dev/null
qemu-img convert -O raw rb.qcow2 rb.ref
"$VMD_IMG" rebase -b new.raw -F raw rb.qcow2 && qcheck_clean rb.qcow2 && qsame rb.ref rb.qcow2 &&
    [ "$(qemu-img info --output=json rb.qcow2 | python3 -c 'import json,sys;print(json.load(sys.stdin)["backing-filename"])')" = new.raw ] &&
    ok || bad "rebase"
"$VMD_IMG" rebase -b "" rb.qcow2 && qcheck_clean rb.qcow2 && qsame rb.ref rb.qcow2 && ok ||
    bad "rebase to no backing"
"$VMD_IMG" rebase -u -b src.raw -F raw rb.qcow2 && info_agree rb.qcow2 && ok || bad "rebase -u"
# amend: 0.10 -> 1.1, lazy refcounts
qemu-img convert -O qcow2 -o compat=0.10 src.raw am.qcow2
"$VMD_IMG" amend -o compat=1.1 am.qcow2 && "$VMD_IMG" amend -o lazy_refcounts=on am.qcow2 &&
    qcheck_clean am.qcow2 && qsame src.raw am.qcow2 && info_agree am.qcow2 &&
    qemu-img info am.qcow2 | grep -q 'lazy refcounts: true' && ok || bad "amend"
# measure agrees with qemu-img; bench runs on the async API
for m in "--size 10G -O qcow2" "--size 3T -O qcow2 -o cluster_size=512" "-O qcow2 src.raw" \
         "-O qcow2 -o cluster_size=2M,refcount_bits=64 src.raw" "-O qcow2 top.qcow2" "-O raw src.raw"; do
    [ "$("$VMD_IMG" measure $m)" = "$(qemu-img measure $m)" ] && ok || bad "measure $m"
done
"$VMD_IMG" bench -q -w -c 2000 -d 16 -f qcow2 vs.qcow2 && qcheck_clean vs.qcow2 && ok || bad "bench -w"

echo "img-qemu-interop: $pass passed, $fails failed"
[ $fails -eq 0 ]
