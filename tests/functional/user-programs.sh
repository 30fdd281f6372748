#!/usr/bin/env bash
# vmd-user against the riscv64 test programs of tests/guest/user-programs: each is
# built statically and dynamically (the dynamic one loads ld.so and libc through -L's
# default, /usr/riscv64-linux-gnu), run under vmd-user, and its output compared with
# the .expected file beside it, which is what riscv64 Linux prints. Where Debian's
# qemu-riscv64 is installed, the programs it runs faithfully are also compared with
# it (it cannot exec riscv64 programs without binfmt_misc, and its
# MAP_FIXED_NOREPLACE differs, so user-process and user-mmap are not).
# Exit: 0 pass, 77 skipped (no cross compiler or no vmd-user), 1 failure.
set -uo pipefail
src=${VMD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
build=${VMD_BUILD_DIR:-$src/build}
vmd_user=$build/programs/vmd-user
progs=$src/tests/guest/user-programs

[[ -x $vmd_user ]] || { echo "SKIP: $vmd_user not built"; exit 77; }
command -v riscv64-linux-gnu-gcc >/dev/null ||
	{ echo "SKIP: no riscv64-linux-gnu-gcc (apt-get install gcc-riscv64-linux-gnu)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() {   # check NAME EXPECTED ACTUAL
	if diff -u "$2" "$3" >"$tmp/diff"; then
		echo "ok - $1"
		pass=$((pass + 1))
	else
		echo "not ok - $1"
		sed 's/^/# /' "$tmp/diff"
		fail=$((fail + 1))
	fi
}

for c in "$progs"/*.c; do
	name=$(basename "$c" .c)
	for link in static dynamic; do
		flags=(-O2 -pthread)
		[[ $link == static ]] && flags+=(-static)
		exe=$tmp/$name-$link
		if ! riscv64-linux-gnu-gcc "${flags[@]}" -o "$exe" "$c" 2>"$tmp/cc.log"; then
			echo "not ok - $name ($link): does not compile"; sed 's/^/# /' "$tmp/cc.log"
			fail=$((fail + 1))
			continue
		fi
		(cd "$tmp" && timeout 300 "$vmd_user" "./$name-$link") >"$exe.out" 2>&1
		echo "exit status $?" >>"$exe.out"
		{ cat "${c%.c}.expected"; echo "exit status 0"; } >"$tmp/expected"
		check "$name ($link)" "$tmp/expected" "$exe.out"
	done
	if command -v qemu-riscv64 >/dev/null && [[ $name != user-process && $name != user-mmap ]]; then
		(cd "$tmp" && timeout 300 qemu-riscv64 "./$name-static") >"$tmp/$name.qemu" 2>&1
		echo "exit status $?" >>"$tmp/$name.qemu"
		check "$name (same as qemu-riscv64)" "$tmp/$name.qemu" "$tmp/$name-static.out"
	fi
done
echo "$pass passed, $fail failed"
((fail == 0))
