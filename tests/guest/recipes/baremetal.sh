# tests/guest/recipes/baremetal.sh — bare-metal test programs: every ../baremetal/*.c
# except runtime.c becomes NAME.elf and NAME.bin (linked with start.S + runtime.c).
# Sourced by build.sh; this file's text is part of the cache key.
BAREMETAL_CFLAGS=(-march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles -static
	-ffreestanding -fno-pie -no-pie -O2 -g -Wall -Wextra -Werror -Wl,--build-id=none -Wl,--no-warn-rwx-segments)
baremetal_inputs() { (cd "$GUEST_DIR/baremetal" && sha256sum -- *); }
baremetal_artifact() { echo; }
baremetal_tools() { need riscv64-linux-gnu-gcc gcc-riscv64-linux-gnu riscv64-linux-gnu-objcopy binutils-riscv64-linux-gnu; }

baremetal_build() {
	local out=$1 b=$GUEST_DIR/baremetal c n
	mkdir "$out"
	for c in "$b"/*.c; do
		n=$(basename "$c" .c)
		[[ $n == runtime ]] && continue
		step "compiling $n.elf"
		riscv64-linux-gnu-gcc "${BAREMETAL_CFLAGS[@]}" -T "$b/link.ld" -o "$out/$n.elf" \
			"$b/start.S" "$b/runtime.c" "$c"
		riscv64-linux-gnu-objcopy -O binary "$out/$n.elf" "$out/$n.bin"
	done
}
