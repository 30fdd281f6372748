# tests/guest/recipes/initramfs.sh — gzip newc cpio with busybox, its applet links,
# /dev/console and ../init, made by the kernel's gen_init_cpio (no root needed).
# Sourced by build.sh; this file's text is part of the cache key.
initramfs_prepare() { linux_prepare; }
initramfs_inputs() {
	echo "gen_init_cpio from $LINUX_PKG $LINUX_VER"
	cat "$GUEST_DIR/init" "$GUEST_DIR/udhcpc.script"
}
initramfs_artifact() { echo initramfs.cpio.gz; }
initramfs_tools() { need gcc gcc gzip gzip qemu-riscv64 qemu-user xz xz-utils tar tar; }

initramfs_build() {
	local out=$1 bb=$CACHE/busybox-${KEY[busybox]}/busybox d a src applets
	src=$(linux_src)
	applets=$(qemu-riscv64 "$bb" --list-full)
	step "compiling gen_init_cpio from the kernel source"
	gcc -O2 -o gen_init_cpio "$src/usr/gen_init_cpio.c"
	step "writing the file list"
	{
		for d in bin sbin usr usr/bin usr/sbin dev proc sys etc root mnt usr/share usr/share/udhcpc; do
			echo "dir /$d 0755 0 0"
		done
		echo "dir /tmp 1777 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "nod /dev/null 0666 0 0 c 1 3"
		echo "file /init $GUEST_DIR/init 0755 0 0"
		echo "file /usr/share/udhcpc/default.script $GUEST_DIR/udhcpc.script 0755 0 0"
		echo "file /bin/busybox $bb 0755 0 0"
		for a in $applets; do
			[[ $a == bin/busybox || $a == linuxrc ]] || echo "slink /$a /bin/busybox 0777 0 0"
		done
	} >list
	step "packing initramfs.cpio.gz"
	mkdir "$out"
	./gen_init_cpio -t 0 list | gzip -9n >"$out/initramfs.cpio.gz"
	cp list "$out/"
}
