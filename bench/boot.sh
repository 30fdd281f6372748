#!/usr/bin/env bash
# Boot to init and power off: the same OpenSBI + Linux 6.12 + busybox initramfs under
# vmd-vm and under qemu-system-riscv64 -M virt, side by side in one run. Prints the
# median wall time and peak RSS of each and the ratios. Timings are never pass/fail.
#
#   bench/boot.sh [-n RUNS] [-- extra vmd-vm options, e.g. -accel tcg,tci=on]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=5
while [ $# -gt 0 ]; do
    case "$1" in
    -n) runs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-n RUNS] [-- vmd-vm options]" >&2; exit 2 ;;
    esac
done
eval "$("$root/tests/guest/build.sh" --env)"
vm=$root/build/programs/vmd-vm
common=(-M virt -m 256M -nographic -bios "$VMD_GUEST_OPENSBI" -kernel "$VMD_GUEST_KERNEL"
    -initrd "$VMD_GUEST_INITRD" -append "console=ttyS0 vmd.poweroff=1")

# Runs "$@" $runs times; prints "median_seconds median_rss_kib".
measure() {
    local t=() r=() out
    for _ in $(seq "$runs"); do
        /usr/bin/time -o /tmp/bench-time.$$ -f "%e %M" "$@" </dev/null >/tmp/bench-boot.$$ 2>&1
        out=$(tail -1 /tmp/bench-time.$$)
        grep -q VMD-GUEST-POWEROFF /tmp/bench-boot.$$ || { echo "bench: boot failed: $*" >&2; exit 1; }
        t+=("${out% *}")
        r+=("${out#* }")
    done
    rm -f /tmp/bench-boot.$$ /tmp/bench-time.$$
    echo "$(printf '%s\n' "${t[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")" \
        "$(printf '%s\n' "${r[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")"
}

read -r qt qr < <(measure qemu-system-riscv64 "${common[@]}")
read -r vt vr < <(measure "$vm" "${common[@]}" "$@")
printf '%-22s %10s %12s\n' "" "seconds" "peak RSS MiB"
printf '%-22s %10.2f %12.1f\n' qemu-system-riscv64 "$qt" "$(echo "$qr / 1024" | bc -l)"
printf '%-22s %10.2f %12.1f\n' vmd-vm "$vt" "$(echo "$vr / 1024" | bc -l)"
printf '%-22s %10.2f %12.2f\n' "ratio vmd/qemu" "$(echo "$vt / $qt" | bc -l)" "$(echo "$vr / $qr" | bc -l)"
echo "(median of $runs boots to init and poweroff, 256 MiB guest, $(nproc) cores, $(date -u +%F))"
