#!/usr/bin/env bash
# vmd-user running the riscv64 busybox that tests/guest/build.sh builds: shell
# pipelines, exit statuses, death by signal, fork/exec of applets, sockets (httpd and
# wget on the loopback), and the -strace output. Each shell script is also run under
# Debian's qemu-riscv64, when it is installed, and the outputs must agree.
# Exit: 0 pass, 77 skipped (no vmd-user or no busybox), 1 failure.
set -uo pipefail
src=${VMD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
build=${VMD_BUILD_DIR:-$src/build}
vmd_user=$build/programs/vmd-user

[[ -x $vmd_user ]] || { echo "SKIP: $vmd_user not built"; exit 77; }
bb=${VMD_GUEST_BUSYBOX:-$("$src/tests/guest/build.sh" --path busybox 2>/dev/null)} ||
	{ echo "SKIP: the riscv64 busybox cannot be built here (tests/guest/build.sh busybox)"; exit 77; }

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; shift; for l in "$@"; do echo "# $l"; done; fail=$((fail + 1)); }

# expect NAME WANT SCRIPT [noqemu]: runs busybox sh -c SCRIPT, compares its output and
# status with WANT (and with qemu-riscv64's, unless noqemu says qemu is known wrong).
expect() {
	local got
	got=$(cd "$tmp" && timeout 120 "$vmd_user" "$bb" sh -c "$3" 2>&1; echo "status $?")
	if [[ $got == "$2" ]]; then ok "$1"; else not_ok "$1" "want: $2" "got:  $got"; fi
	if command -v qemu-riscv64 >/dev/null && [[ -z ${4:-} ]]; then
		local q
		q=$(cd "$tmp" && timeout 120 qemu-riscv64 "$bb" sh -c "$3" 2>&1; echo "status $?")
		if [[ $q == "$got" ]]; then ok "$1 (same as qemu-riscv64)"; else not_ok "$1 (same as qemu-riscv64)" "qemu: $q" "vmd:  $got"; fi
	fi
}

# same_as_qemu NAME SCRIPT: the output and status must be byte-identical to qemu-riscv64's.
same_as_qemu() {
	command -v qemu-riscv64 >/dev/null || return 0
	local got q
	got=$(cd "$tmp" && timeout 300 "$vmd_user" "$bb" sh -c "$2" 2>&1; echo "status $?")
	q=$(cd "$tmp" && timeout 300 qemu-riscv64 "$bb" sh -c "$2" 2>&1; echo "status $?")
	if [[ $q == "$got" && $got == *"status 0" ]]; then
		ok "$1 (byte-identical to qemu-riscv64)"
	else
		not_ok "$1 (byte-identical to qemu-riscv64)" "qemu: ${q:0:400}" "vmd:  ${got:0:400}"
	fi
}

expect "echo" $'hello world\nstatus 0' 'echo hello world'
expect "exit status" 'status 42' 'exit 42'
expect "pipeline" $'3\n2\n1\nstatus 0' 'seq 3 | sort -r'
expect "arithmetic loop" $'5050\nstatus 0' 'i=0; s=0; while [ $i -lt 100 ]; do i=$((i+1)); s=$((s+i)); done; echo $s'
expect "subshell and wait" $'child 7\nstatus 0' '(exit 7) & wait $!; echo child $?'
expect "text tools" $'b 2\na 1\nstatus 0' 'printf "a 1\nb 2\n" | awk "{print \$1, \$2}" | sort -r | sed -n "1,2p"'
expect "gzip round trip" $'same\nstatus 0' 'seq 1 5000 > f; gzip -c f | gunzip > g; cmp f g && echo same'
expect "files" $'d/x\nd/y\nstatus 0' 'mkdir -p d && touch d/y d/x && find d -type f | sort'
expect "trap" $'trapped\nafter\nstatus 0' 'trap "echo trapped" USR1; kill -USR1 $$; echo after'
# Only the status: whether the shell also reports "Terminated" (on stderr) depends on timing.
expect "killed job" $'143\nstatus 0' '{ sleep 5 & sleep 0.3; kill $!; wait $!; echo $?; } 2>/dev/null'
expect "dies by its own signal" 'status 139' 'kill -SEGV $$'
expect "md5sum" $'d41d8cd98f00b204e9800998ecf8427e  -\nstatus 0' 'printf "" | md5sum'

# The CPU-heavy applets, on the same input, must print exactly what they print under QEMU.
mkinput='seq 1 20000 | awk "{print \$1 * 7919 % 10007, \"line\", \$1}" > in.txt'
same_as_qemu "md5sum" "$mkinput; md5sum in.txt"
same_as_qemu "sha256sum" "$mkinput; sha256sum in.txt"
same_as_qemu "gzip" "$mkinput; cat in.txt | gzip -c -9 | od -A x -t x1 | tail -3; cat in.txt | gzip -c | md5sum"
same_as_qemu "awk" "$mkinput; awk '{ s += \$1; n[\$1 % 7]++ } END { print s; for (k = 0; k < 7; k++) print k, n[k] }' in.txt"
same_as_qemu "sort" "$mkinput; sort -n in.txt | md5sum; sort -k3,3nr in.txt | head -3"
same_as_qemu "sed" "$mkinput; sed -e 's/line/LINE/' -e '/^1/d' in.txt | md5sum"
same_as_qemu "find" "mkdir -p t/a/b t/c && touch t/a/x t/a/b/y t/c/z && find t | sort && find t -type d -name '[ab]' | sort"
same_as_qemu "tar" "mkdir -p tt/s && echo one > tt/1 && echo two > tt/s/2 && touch -d '2020-01-01 00:00:00' tt/1 tt/s/2 tt/s tt && tar -cf - tt | md5sum && tar -tvf - < /dev/null; tar -cf x.tar tt && rm -r tt && tar -xf x.tar && cat tt/1 tt/s/2"
same_as_qemu "shell" 'f() { echo "$#:$*"; }; f a "b c"; x=$((17 * 3 % 5)); echo $x; case abc in a*) echo glob;; esac; for i in 1 2 3; do printf %s $i; done; echo'

# The emulator's own status reflects the guest's death by signal.
st=$( { "$vmd_user" "$bb" sh -c 'kill -TERM $$'; echo $?; } 2>/dev/null)
if ((st == 143)); then ok "vmd-user dies by the guest's signal"; else not_ok "vmd-user dies by the guest's signal" "status $st, want 143"; fi

# Sockets: busybox httpd serves, busybox wget fetches, both on the loopback.
mkdir -p "$tmp/www" && echo "served by httpd" >"$tmp/www/index.html"
port=$((20000 + RANDOM % 20000))
"$vmd_user" "$bb" httpd -f -p "127.0.0.1:$port" -h "$tmp/www" &
pids+=($!)
got=""
for _ in $(seq 50); do
	got=$("$vmd_user" "$bb" wget -q -T 5 -O - "http://127.0.0.1:$port/index.html" 2>&1) && break
	sleep 0.2
done
if [[ $got == "served by httpd" ]]; then ok "httpd and wget"; else not_ok "httpd and wget" "got: $got"; fi

# -strace: one line per system call, with decoded arguments and errors.
"$vmd_user" -strace "$bb" cat /nonexistent-file >/dev/null 2>"$tmp/strace" || true
if grep -q 'openat(AT_FDCWD,"/nonexistent-file",O_RDONLY.*) = -1 errno ENOENT (No such file or directory)' "$tmp/strace" &&
	grep -q '^[0-9]* exit_group(1)' "$tmp/strace"; then
	ok "-strace"
else
	not_ok "-strace" "$(head -c 2000 "$tmp/strace")"
fi

# Bad programs are an error message and status 1, not a crash.
printf 'not an elf' >"$tmp/bad"
"$vmd_user" "$tmp/bad" 2>"$tmp/err"
st=$?
if ((st == 1)) && grep -q "not an ELF file" "$tmp/err"; then ok "bad ELF"; else not_ok "bad ELF" "status $st: $(cat "$tmp/err")"; fi
"$vmd_user" /bin/true 2>"$tmp/err"
st=$?
if ((st == 1)) && grep -q "not a RISC-V program" "$tmp/err"; then ok "host ELF"; else not_ok "host ELF" "status $st: $(cat "$tmp/err")"; fi

echo "$pass passed, $fail failed"
((fail == 0))
