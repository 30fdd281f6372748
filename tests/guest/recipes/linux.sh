# tests/guest/recipes/linux.sh — Linux 6.12 Image for riscv64 from Debian's
# linux-source-6.12: tinyconfig + ../linux.config, every =y of the fragment checked.
# Sourced by build.sh; this file's text is part of the cache key.
LINUX_PKG=linux-source-6.12
LINUX_TARBALL=/usr/src/$LINUX_PKG.tar.xz
LINUX_MAKE=(make ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-)

linux_prepare() {
	[[ -n ${LINUX_VER:-} ]] && return 0
	LINUX_VER=$(dpkg-query -W -f='${Version}' "$LINUX_PKG" 2>/dev/null) && [[ -f $LINUX_TARBALL ]] ||
		die "$LINUX_TARBALL missing; install it with: apt-get install $LINUX_PKG"
}
linux_inputs() { echo "$LINUX_PKG $LINUX_VER"; cat "$GUEST_DIR/linux.config"; }
linux_artifact() { echo Image; }
linux_tools() {
	need riscv64-linux-gnu-gcc gcc-riscv64-linux-gnu make make gcc gcc bc bc bison bison \
		flex flex perl perl xz xz-utils tar tar
}

# linux_src: the unpacked source tree, shared by every config (unpacked once per version).
linux_src() {
	local d=$CACHE/src/linux-$LINUX_VER t
	if [[ ! -d $d ]]; then
		say "unpacking $LINUX_TARBALL (once per source version)"
		t=$(newtmp src)
		tar -xJf "$LINUX_TARBALL" -C "$t"
		mv "$t/$LINUX_PKG" "$d"
		rm -rf "$t"
	fi
	echo "$d/"
}

linux_build() {
	local out=$1 src o=$PWD/build missing
	src=$(linux_src)
	step "configuring: tinyconfig + linux.config"
	"${LINUX_MAKE[@]}" -C "$src" O="$o" tinyconfig
	cat "$GUEST_DIR/linux.config" >>"$o/.config"
	"${LINUX_MAKE[@]}" -C "$src" O="$o" olddefconfig
	step "checking .config against every symbol of linux.config"
	missing=$({
		grep -o '^CONFIG_[A-Za-z0-9_]*=y' "$GUEST_DIR/linux.config" | grep -vxFf "$o/.config"
		sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set/\1=y/p' "$GUEST_DIR/linux.config" |
			grep -xFf "$o/.config" | sed 's/$/ (wanted: is not set)/'
	} || true)
	if [[ -n $missing ]]; then
		echo "these linux.config symbols did not end up as asked (unmet dependencies?):"
		echo "$missing"
		return 1
	fi
	step "compiling Image with -j$(nproc) (takes minutes)"
	"${LINUX_MAKE[@]}" -C "$src" O="$o" -j"$(nproc)" Image
	mkdir "$out"
	cp "$o/arch/riscv/boot/Image" "$o/System.map" "$out/"
	cp "$o/.config" "$out/config"
	rm -rf "$o"
}
