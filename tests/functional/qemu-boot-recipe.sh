#!/usr/bin/env bash
# tests/functional/qemu-boot-recipe.sh — proves the guest recipes (tests/guest/build.sh)
# independently of vmd: boots the recipe kernel + initramfs under stock QEMU with
# OpenSBI and expects VMD-GUEST-READY, VMD-GUEST-POWEROFF and QEMU exiting 0 by
# itself; then runs baremetal/hello.elf and priv.elf under -bios none. Exit 77 = skip (no QEMU).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
TIMEOUT=${VMD_TEST_TIMEOUT:-120}

if ! command -v qemu-system-riscv64 >/dev/null; then
	echo "SKIP: qemu-system-riscv64 not installed (apt-get install qemu-system-misc)"
	exit 77
fi
env=$("$root/tests/guest/build.sh" --env) || { echo "FAIL: tests/guest/build.sh --env failed"; echo "0 passed, 1 failed"; exit 1; }
eval "$env"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0 failed=0

# run NAME QEMU-ARGS...: QEMU under timeout, console output to $log; sets rc.
run() {
	local name=$1; shift
	echo "--- $name: qemu-system-riscv64 $*"
	set +e
	timeout "$TIMEOUT" qemu-system-riscv64 -M virt -nographic "$@" </dev/null >"$log" 2>&1
	rc=$?
	set -e
}
# verdict NAME PROBLEM: PROBLEM empty = pass; else print it and the console tail.
verdict() {
	if [[ -z $2 ]]; then
		echo "PASS: $1"; passed=$((passed + 1))
	else
		echo "FAIL: $1: $2"; failed=$((failed + 1))
		echo "--- last 60 lines of console output:"; tail -n 60 "$log" | tr -d '\r'
	fi
}
seen() { grep -q "$1" "$log"; }

run linux-boot -m 256M -bios "$VMD_GUEST_OPENSBI" -kernel "$VMD_GUEST_KERNEL" \
	-initrd "$VMD_GUEST_INITRD" -append "console=ttyS0 earlycon=sbi vmd.poweroff=1"
problem=
if ! seen VMD-GUEST-READY; then problem="no VMD-GUEST-READY"
elif ! seen VMD-GUEST-POWEROFF; then problem="no VMD-GUEST-POWEROFF"
elif ((rc == 124)); then problem="QEMU did not exit within ${TIMEOUT}s"
elif ((rc != 0)); then problem="QEMU exited $rc"
fi
verdict "linux boots to /init and powers off" "$problem"

run baremetal-hello -bios none -kernel "$VMD_GUEST_BAREMETAL/hello.elf"
problem=
if ! seen "hello from bare metal"; then problem="no 'hello from bare metal'"
elif ((rc != 0)); then problem="QEMU exited $rc (the finisher should end it with 0)"
fi
verdict "bare-metal hello.elf prints and passes" "$problem"

# The privileged-architecture checks that vmd's hart runs in tests/unit/test-riscv-system
# must pass on QEMU too, so that they test the ISA, not our reading of it.
run baremetal-priv -bios none -kernel "$VMD_GUEST_BAREMETAL/priv.elf"
problem=
if ! seen "priv: all passed"; then problem="no 'priv: all passed'"
elif ((rc != 0)); then problem="QEMU exited $rc"
fi
verdict "bare-metal priv.elf passes on QEMU" "$problem"

run baremetal-paging -bios none -kernel "$VMD_GUEST_BAREMETAL/paging.elf"
problem=
if ! seen "paging: all passed"; then problem="no 'paging: all passed'"
elif ((rc != 0)); then problem="QEMU exited $rc"
fi
verdict "bare-metal paging.elf (Sv39/48/57) passes on QEMU" "$problem"

echo "$passed passed, $failed failed"
((failed == 0))
