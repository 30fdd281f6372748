# tests/guest/recipes/busybox.sh — static riscv64 busybox from Debian's busybox
# source package (fetched once into $CACHE/src with `apt-get source`).
# Sourced by build.sh; this file's text is part of the cache key.
BUSYBOX_APPLETS="sh ash gzip gunzip md5sum sha256sum awk sort sed grep find tar mount umount
	poweroff reboot udhcpc wget httpd nc ip ifconfig dd seq cat ls mkdir sync dmesg nproc
	cttyhack setsid hostname sleep"
BUSYBOX_OFF="TC PAM SELINUX FEATURE_HAVE_RPC FEATURE_MOUNT_NFS FEATURE_INETD_RPC"

# busybox_fetch: `apt-get source busybox` into $CACHE/src/busybox-VERSION (adds a deb-src entry if needed).
busybox_fetch() {
	local t v deb=/etc/apt/sources.list.d/debian.sources list=/etc/apt/sources.list.d/vmd-deb-src.sources
	local add="sed 's/^Types:.*/Types: deb-src/' $deb > $list && apt-get update"
	need apt-get apt dpkg-source dpkg-dev
	if ! apt-cache showsrc busybox 2>/dev/null | grep -q '^Package: busybox'; then
		[[ -f $deb ]] || die "no deb-src entry for busybox; add one (Types: deb-src) and run apt-get update"
		((EUID == 0)) || die "no deb-src entry for busybox; as root run: $add"
		say "busybox: adding a deb-src entry ($list) and running apt-get update"
		[[ -e $list ]] || sed 's/^Types:.*/Types: deb-src/' "$deb" >"$list"
		apt-get update >"$CACHE/logs/apt-update.log" 2>&1 || die "apt-get update failed, see $CACHE/logs/apt-update.log"
	fi
	say "busybox: downloading the source package (apt-get source busybox)"
	t=$(newtmp src)
	(cd "$t" && apt-get source busybox) >"$CACHE/logs/busybox-source.log" 2>&1 ||
		die "apt-get source busybox failed, see $CACHE/logs/busybox-source.log"
	v=$(sed -n 's/^Version: //p' "$t"/busybox_*.dsc)
	mv "$t" "$CACHE/src/busybox-$v"
}

busybox_prepare() {
	[[ -n ${BUSYBOX_SRC:-} ]] && return 0
	local c=("$CACHE"/src/busybox-*/busybox-*/)
	if [[ ! -d ${c[-1]} ]]; then
		lock
		c=("$CACHE"/src/busybox-*/busybox-*/)
		[[ -d ${c[-1]} ]] || { busybox_fetch; c=("$CACHE"/src/busybox-*/busybox-*/); }
	fi
	BUSYBOX_SRC=${c[-1]%/}
}
busybox_inputs() { echo "busybox source ${BUSYBOX_SRC#"$CACHE"/src/}"; }
busybox_artifact() { echo busybox; }
busybox_tools() {
	need riscv64-linux-gnu-gcc gcc-riscv64-linux-gnu /usr/riscv64-linux-gnu/lib/libc.a libc6-dev-riscv64-cross \
		make make gcc gcc file file qemu-riscv64 qemu-user
}

# kset NAME VALUE: set (VALUE=n: unset) one busybox .config option.
kset() {
	sed -i "/^CONFIG_$1=/d; /^# CONFIG_$1 is not set/d" .config
	if [[ $2 == n ]]; then echo "# CONFIG_$1 is not set"; else echo "CONFIG_$1=$2"; fi >>.config
}

busybox_build() {
	local out=$1 a list f
	step "copying the source ($BUSYBOX_SRC)"
	cp -a "$BUSYBOX_SRC" build
	cd build || return
	step "configuring: defconfig + static + riscv64-linux-gnu-"
	make defconfig
	kset STATIC y
	kset CROSS_COMPILER_PREFIX '"riscv64-linux-gnu-"'
	for a in $BUSYBOX_OFF; do kset "$a" n; done
	(yes '' || true) | make oldconfig
	step "compiling with -j$(nproc)"
	make -j"$(nproc)"
	step "checking: static RISC-V binary, runs under qemu-riscv64, has the applets"
	f=$(file busybox)
	echo "$f"
	[[ $f == *RISC-V*statically\ linked* ]] || { echo "not a static RISC-V executable"; return 1; }
	[[ $(qemu-riscv64 ./busybox echo ok) == ok ]] || { echo "qemu-riscv64 busybox echo ok failed"; return 1; }
	list=$(qemu-riscv64 ./busybox --list)
	for a in $BUSYBOX_APPLETS; do grep -qx "$a" <<<"$list" || { echo "applet $a missing"; return 1; }; done
	mkdir "$out"
	cp busybox "$out/"
	cp .config "$out/config"
}
