#!/usr/bin/env bash
# vmd-vm booting real guests: the bare-metal programs (-bios none), then Linux 6.12
# under Debian's OpenSBI with the busybox initramfs, on 1 and 2 harts: the guest
# reaches /init, sees its CPUs, runs a parallel workload, answers commands typed on
# the serial console, and `poweroff` ends vmd-vm with status 0.
# Exit: 0 pass, 77 skip (no vmd-vm or guests cannot be built), 1 failure.
set -uo pipefail
src=${VMD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
build=${VMD_BUILD_DIR:-$src/build}
vm=$build/programs/vmd-vm
[[ -x $vm ]] || { echo "SKIP: $vm not built"; exit 77; }
env_out=$("$src/tests/guest/build.sh" --env) || { echo "SKIP: test guests cannot be built"; exit 77; }
eval "$env_out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; shift; for l in "$@"; do echo "# $l"; done; fail=$((fail + 1)); }
TIMEOUT=${VMD_BOOT_TIMEOUT:-180}

# boot NAME WANT... -- ARGS: runs vmd-vm ARGS to its own exit; every WANT must appear.
boot() {
	local name=$1; shift
	local wants=()
	while [[ $1 != -- ]]; do wants+=("$1"); shift; done
	shift
	timeout "$TIMEOUT" "$vm" "$@" </dev/null >"$tmp/$name.log" 2>&1
	local rc=$? missing=
	for w in "${wants[@]}"; do
		grep -qF -- "$w" "$tmp/$name.log" || missing+=" '$w'"
	done
	if [[ -z $missing && $rc == 0 ]]; then
		ok "$name"
	else
		not_ok "$name" "exit status $rc, missing:${missing:- nothing}" "$(tail -25 "$tmp/$name.log")"
	fi
}

boot baremetal-hello "hello from bare metal" -- -M virt -bios none -nographic \
	-kernel "$VMD_GUEST_BAREMETAL/hello.elf"
boot baremetal-priv "priv: all passed" -- -M virt -bios none -nographic \
	-kernel "$VMD_GUEST_BAREMETAL/priv.elf"

boot baremetal-paging "paging: all passed" -- -M virt -bios none -nographic \
	-kernel "$VMD_GUEST_BAREMETAL/paging.elf"

# A hostile guest feeds virtio-rng looped chains, out-of-range indices, buffers outside
# RAM, huge lengths: vmd-vm logs guest errors, stops only that device, and lives on.
boot baremetal-virtio-hostile "virtio-hostile: all passed" \
	"guest error: virtio-rng: queue 0: descriptor chain loops" \
	"guest error: virtio-rng: buffer at 0x10 (+64) is not guest RAM" -- \
	-M virt -bios none -nographic -device virtio-rng-device \
	-kernel "$VMD_GUEST_BAREMETAL/virtio-hostile.elf"

linux=(-M virt -m 256M -nographic -bios "$VMD_GUEST_OPENSBI" -kernel "$VMD_GUEST_KERNEL"
	-initrd "$VMD_GUEST_INITRD")
boot linux-poweroff "OpenSBI" "Linux version 6.12" VMD-GUEST-READY VMD-GUEST-POWEROFF -- \
	"${linux[@]}" -append "console=ttyS0 earlycon=sbi vmd.poweroff=1"
# Two harts: the guest sees both, and a workload with two parallel jobs completes.
boot linux-smp2 "nproc=2" "sum=500500 500500" VMD-GUEST-RUN-EXIT=0 -- "${linux[@]}" -smp 2 \
	-append 'console=ttyS0 vmd.run="echo nproc=$(nproc); a() { s=0; i=0; while [ $i -lt 1000 ]; do i=$((i+1)); s=$((s+i)); done; echo $s; }; a > /tmp/1 & a > /tmp/2; wait; echo sum=$(cat /tmp/1) $(cat /tmp/2)"'

# A virtio-blk ext4 disk (raw file) is mounted, read, written and synced; after the
# poweroff the host sees the new file and the filesystem is clean. virtio-rng feeds
# /dev/hwrng; the goldfish RTC gives the guest the date.
cp "$VMD_GUEST_EXT4" "$tmp/disk.img"
boot linux-virtio "hello from ext4" "rng=virtio_rng.0" "random=16" "rtc=goldfish_rtc" \
	"year=$(date -u +%Y)" VMD-GUEST-RUN-EXIT=0 -- \
	"${linux[@]}" -drive "file=$tmp/disk.img,format=raw,if=virtio" -device virtio-rng-device \
	-append 'console=ttyS0 vmd.run="mount /dev/vda /mnt && cat /mnt/hello.txt && echo written-by-guest > /mnt/new.txt && sync && umount /mnt && echo rng=$(cat /sys/class/misc/hw_random/rng_current) && echo random=$(head -c 16 /dev/hwrng | od -A n -t x1 | wc -w) && read n x < /sys/class/rtc/rtc0/name && echo rtc=$n year=$(date -u +%Y)"'
if [[ $(debugfs -R "cat /new.txt" "$tmp/disk.img" 2>/dev/null) == written-by-guest ]] &&
	e2fsck -fn "$tmp/disk.img" >"$tmp/fsck.log" 2>&1; then
	ok "the host sees the guest's write; e2fsck finds the filesystem clean"
else
	not_ok "the host sees the guest's write; e2fsck finds the filesystem clean" "$(cat "$tmp/fsck.log")"
fi

# The same on a qcow2 image (made by vmd-img from the ext4 image): afterwards
# qemu-img finds it clean and the guest's file is in it.
"$build/programs/vmd-img" convert -f raw -O qcow2 "$VMD_GUEST_EXT4" "$tmp/disk.qcow2"
boot linux-qcow2 "hello from ext4" VMD-GUEST-RUN-EXIT=0 -- "${linux[@]}" \
	-drive "file=$tmp/disk.qcow2,format=qcow2,if=virtio" \
	-append 'console=ttyS0 vmd.run="mount /dev/vda /mnt && cat /mnt/hello.txt && seq 1 20000 > /mnt/seq.txt && sync && umount /mnt"'
qemu-img convert -f qcow2 -O raw "$tmp/disk.qcow2" "$tmp/qcow2-back.raw" 2>"$tmp/qcheck.log"
if qemu-img check -q "$tmp/disk.qcow2" >>"$tmp/qcheck.log" 2>&1 &&
	[[ $(debugfs -R "cat /seq.txt" "$tmp/qcow2-back.raw" 2>/dev/null | tail -1) == 20000 ]] &&
	e2fsck -fn "$tmp/qcow2-back.raw" >>"$tmp/qcheck.log" 2>&1; then
	ok "qcow2 disk: qemu-img check is clean, the guest's file is there, e2fsck clean"
else
	not_ok "qcow2 disk: qemu-img check is clean, the guest's file is there, e2fsck clean" \
		"$(cat "$tmp/qcheck.log")"
fi

# Guest networking through slirp: DHCP gives the guest 10.0.2.15, it fetches a file
# from an HTTP server on the host's loopback (10.0.2.2), and a hostfwd port reaches an
# HTTP server in the guest.
mkdir -p "$tmp/www" && echo "served by the host" >"$tmp/www/index.html"
hport=$((20000 + RANDOM % 10000))
fport=$((hport + 1)) dport=$((hport + 2))
python3 -m http.server "$hport" --bind 127.0.0.1 --directory "$tmp/www" >/dev/null 2>&1 &
http_pid=$!
timeout "$TIMEOUT" "$vm" "${linux[@]}" \
	-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$fport-:80,hostfwd=tcp:127.0.0.1:$dport-:81" \
	-device virtio-net-device,netdev=n0 \
	-append "console=ttyS0 vmd.run=\"udhcpc -i eth0 -n -q && ip -4 addr show eth0 && wget -q -O - http://10.0.2.2:$hport/index.html && mkdir -p /www && echo served-by-the-guest > /www/index.html && httpd -p 80 -h /www && echo guest-httpd-up && nc -l -p 81 < /dev/null\"" \
	</dev/null >"$tmp/net.log" 2>&1 &
net_pid=$!
got=
for _ in $(seq $((TIMEOUT * 10))); do
	if grep -q guest-httpd-up "$tmp/net.log"; then
		got=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().strip())' \
			"http://127.0.0.1:$fport/index.html" 2>&1)
		(exec 3<>"/dev/tcp/127.0.0.1/$dport") 2>/dev/null # lets the guest's nc finish
		break
	fi
	kill -0 $net_pid 2>/dev/null || break
	sleep 0.1
done
wait $net_pid
rc=$?
kill $http_pid 2>/dev/null
if grep -q "inet 10.0.2.15" "$tmp/net.log" && grep -q "served by the host" "$tmp/net.log" &&
	[[ $got == served-by-the-guest ]] && ((rc == 0)); then
	ok "slirp networking: DHCP, guest fetches from the host, hostfwd reaches the guest"
else
	not_ok "slirp networking: DHCP, guest fetches from the host, hostfwd reaches the guest" \
		"exit $rc, host got '$got'" "$(tail -15 "$tmp/net.log")"
fi

# U-Boot (Debian's u-boot-qemu, S mode under OpenSBI) reaches its prompt, answers
# `version`, and its `poweroff` ends vmd-vm with status 0.
mkfifo "$tmp/uin"
timeout "$TIMEOUT" "$vm" -M virt -m 256M -nographic -kernel "$VMD_GUEST_UBOOT" \
	<"$tmp/uin" >"$tmp/uboot.log" 2>&1 &
ub_pid=$!
exec 8>"$tmp/uin"
ustep=0
for _ in $(seq $((TIMEOUT * 10))); do
	if ((ustep == 0)) && grep -q "^=> " "$tmp/uboot.log"; then
		printf 'version\r' >&8
		ustep=1
	elif ((ustep == 1)) && grep -q "^U-Boot 20" "$tmp/uboot.log"; then
		printf 'poweroff\r' >&8
		ustep=2
	fi
	kill -0 $ub_pid 2>/dev/null || break
	sleep 0.1
done
wait $ub_pid
rc=$?
exec 8>&-
if ((ustep == 2 && rc == 0)); then
	ok "U-Boot reaches its prompt, runs a command and powers off"
else
	not_ok "U-Boot reaches its prompt, runs a command and powers off" "exit $rc, step $ustep" \
		"$(tail -15 "$tmp/uboot.log")"
fi

# Commands typed on the serial console run, `reboot` restarts the guest, and
# `poweroff` ends vmd-vm with status 0.
mkfifo "$tmp/in"
timeout "$TIMEOUT" "$vm" "${linux[@]}" -append "console=ttyS0" <"$tmp/in" >"$tmp/console.log" 2>&1 &
vm_pid=$!
exec 7>"$tmp/in"
# prompt_after_ready N: the shell's prompt has appeared after the Nth boot's marker.
prompt_after_ready() {
	awk -v n="$1" '/VMD-GUEST-READY/ { seen++ } seen >= n && /\/ # / { found = 1 } END { exit !found }' \
		"$tmp/console.log"
}
step=0
for _ in $(seq $((TIMEOUT * 10))); do
	if ((step == 0)) && prompt_after_ready 1; then
		printf 'echo "typed: $((6*7))"\n' >&7
		step=1
	elif ((step == 1)) && grep -q "typed: 42" "$tmp/console.log"; then
		printf 'reboot\n' >&7
		step=2
	elif ((step == 2)) && prompt_after_ready 2; then
		printf 'poweroff\n' >&7
		step=3
	fi
	kill -0 $vm_pid 2>/dev/null || break
	sleep 0.1
done
wait $vm_pid
rc=$?
exec 7>&-
if grep -q "typed: 42" "$tmp/console.log" && ((step == 3 && rc == 0)); then
	ok "serial console: typed commands run, reboot restarts, poweroff exits 0"
else
	not_ok "serial console: typed commands run, reboot restarts, poweroff exits 0" \
		"exit status $rc, step $step" \
		"$(tail -20 "$tmp/console.log")"
fi

# socket_console NAME SOCKET VMD-VM-ARGS...: boots with a console on the unix socket
# SOCKET (server, waiting for us); a client sees the guest boot, types a command, and
# powers the guest off, which must end vmd-vm with status 0.
socket_console() {
	local name=$1 sock=$2
	shift 2
	timeout "$TIMEOUT" "$vm" "$@" </dev/null >"$tmp/$name.log" 2>&1 &
	local vm_pid=$! out rc
	out=$(timeout "$TIMEOUT" python3 - "$sock" <<'PY' 2>&1
import os, socket, sys, time
path = sys.argv[1]
for _ in range(600):
    if os.path.exists(path):
        break
    time.sleep(0.1)
s = socket.socket(socket.AF_UNIX)
s.connect(path)
buf = b""
def until(marker):
    global buf
    while marker not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection closed before " + marker.decode())
        buf += chunk
until(b"VMD-GUEST-READY")
buf = buf[buf.index(b"VMD-GUEST-READY"):]
until(b"/ # ")  # the shell's prompt: it reads its input now
s.sendall(b"echo socket-$((7*6))\n")
until(b"socket-42")
s.sendall(b"poweroff\n")
# Stay connected until vmd-vm exits and closes its end, as a console user would.
while s.recv(4096):
    pass
print("typed over the socket")
PY
)
	wait $vm_pid
	rc=$?
	if [[ $out == *"typed over the socket"* ]] && ((rc == 0)); then
		ok "$name"
	else
		not_ok "$name" "exit $rc: $out" "$(tail -5 "$tmp/$name.log")"
	fi
}

# The serial port on a unix socket, then the guest's console on a virtio-console.
socket_console "serial console on a unix socket" "$tmp/serial.sock" "${linux[@]}" \
	-append "console=ttyS0" -serial "unix:$tmp/serial.sock,server=on,wait=on"
socket_console "virtio-console (hvc0) on a socket chardev" "$tmp/hvc.sock" "${linux[@]}" \
	-append "console=hvc0" -chardev "socket,id=vc0,path=$tmp/hvc.sock,server=on,wait=on" \
	-device virtio-serial-device -device virtconsole,chardev=vc0

echo "$pass passed, $fail failed"
((fail == 0))
