#!/bin/bash
# Per-instruction tests of a riscv64 Linux user-mode emulator.
#
# usage: tests/insn/run.sh [-v] [EMULATOR]
#
# Builds the self-checking test programs in this folder with the riscv64 cross compiler
# (into a cache directory keyed by a hash of the sources and flags, never into the source
# tree), runs each under EMULATOR and prints a summary. EMULATOR defaults to
# $VMD_BUILD_DIR/programs/vmd-user (VMD_BUILD_DIR defaults to <repo>/build); pass
# qemu-riscv64 to check the tests themselves against QEMU.
#
#   -v    print every case, not only the failing ones
#
# Exit status: 0 all passed, 1 a test failed, 77 skipped (no cross compiler, or the
# default emulator has not been built).
#
# Known differences: zicond is skipped under QEMU (7.2 does not implement Zicond), and
# failures listed in qemu.xfail are reported as XFAIL when the emulator is QEMU.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
verbose=0

while [ $# -gt 0 ]; do
    case "$1" in
    -v) verbose=1; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done

CC=${RISCV_CC:-riscv64-linux-gnu-gcc}
CFLAGS="-O2 -march=rv64gc -mabi=lp64d -ffreestanding -fno-builtin -nostdlib -static -fno-pic
        -no-pie -fno-stack-protector -fno-asynchronous-unwind-tables -Wall -Wextra -Werror
        -Wl,--no-warn-rwx-segments"
TESTS="rv64i rv64m rv64a rvc regs bitmanip zicond fcsr fp_arith fp_cvt fp_misc fp_badrm smc"

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "SKIP: riscv64 cross compiler '$CC' not found (Debian: gcc-riscv64-linux-gnu)"
    exit 77
fi

if [ $# -ge 1 ]; then
    emu=$1
    if ! command -v "$emu" >/dev/null 2>&1; then
        echo "run.sh: emulator '$emu' not found" >&2
        exit 1
    fi
else
    emu=${VMD_BUILD_DIR:-$repo/build}/programs/vmd-user
    if [ ! -x "$emu" ]; then
        echo "SKIP: $emu not built (run meson setup build && ninja -C build, or pass an emulator)"
        exit 77
    fi
fi
is_qemu=0
case "$(basename "$emu")" in qemu*) is_qemu=1 ;; esac

# Build (or reuse) the test binaries.
hash=$( (cd "$here" && cat crt0.S harness.[ch] fp.[ch] $(for t in $TESTS; do echo "$t.c"; done);
         echo "$CFLAGS"; "$CC" --version | head -1) | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vmd/insn-tests-$hash
if [ ! -d "$cache" ]; then
    tmp=$(mktemp -d "${cache}.tmp.XXXXXX" 2>/dev/null) || {
        mkdir -p "$(dirname "$cache")" && tmp=$(mktemp -d "${cache}.tmp.XXXXXX")
    } || exit 1
    for t in $TESTS; do
        # shellcheck disable=SC2086
        if ! "$CC" $CFLAGS -o "$tmp/$t" "$here/crt0.S" "$here/harness.c" "$here/fp.c" \
            "$here/$t.c"; then
            echo "run.sh: building $t failed" >&2
            rm -rf "$tmp"
            exit 1
        fi
    done
    mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp" # another run may have won the race
fi

echo "# emulator: $emu"
echo "# binaries: $cache"
total=0
failed=0
xfailed=0
bad_tests=""
for t in $TESTS; do
    if [ "$t" = zicond ] && [ $is_qemu = 1 ]; then
        echo "SKIP  $t (QEMU 7.2 does not implement Zicond)"
        continue
    fi
    out=$(timeout 120 "$emu" "$cache/$t" 2>&1)
    rc=$?
    n=$(grep -c '^\(not \)\{0,1\}ok ' <<<"$out")
    nf=0
    nx=0
    report=""
    while IFS= read -r line; do
        case "$line" in
        "not ok "*)
            name=${line#not ok }
            name=${name#* }
            name=${name%%: got *}
            if [ $is_qemu = 1 ] && grep -qxF "$t: $name" "$here/qemu.xfail" 2>/dev/null; then
                nx=$((nx + 1))
                report+="  XFAIL ${line}"$'\n'
            else
                nf=$((nf + 1))
                report+="  ${line}"$'\n'
            fi
            ;;
        "ok "*) [ $verbose = 1 ] && report+="  ${line}"$'\n' ;;
        "#"*|1..*|"") ;;
        *) report+="  | ${line}"$'\n' ;;
        esac
    done <<<"$out"
    total=$((total + n))
    xfailed=$((xfailed + nx))
    status=PASS
    why="$n cases"
    if [ $rc -ge 124 ]; then
        status=FAIL
        if [ $rc = 124 ]; then
            why="timed out after $n cases"
        else
            why="killed by signal $((rc - 128)) after $n cases"
        fi
        last=$(grep '^\(not \)\{0,1\}ok ' <<<"$out" | tail -1)
        report+="  last case before the crash: ${last:-none}"$'\n'
    elif [ $nf -gt 0 ]; then
        status=FAIL
        why="$nf of $n cases failed"
    elif [ $rc -ne 0 ] && [ $nx -eq 0 ]; then
        status=FAIL
        why="exit status $rc after $n cases"
    elif ! grep -q '^1\.\.' <<<"$out"; then
        status=FAIL
        why="no plan line after $n cases (exit status $rc)"
    fi
    [ $nx -gt 0 ] && why+=", $nx known QEMU differences"
    printf '%-5s %s (%s)\n' "$status" "$t" "$why"
    if [ $status = FAIL ] || [ $verbose = 1 ] || [ $nx -gt 0 ]; then
        printf '%s' "$report"
    fi
    if [ $status = FAIL ]; then
        failed=$((failed + nf))
        bad_tests+=" $t"
    fi
done

echo "# $total cases run, $failed failed, $xfailed known QEMU differences"
if [ -n "$bad_tests" ]; then
    echo "# failing tests:$bad_tests"
    exit 1
fi
exit 0
