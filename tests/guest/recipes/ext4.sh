# tests/guest/recipes/ext4.sh — a 64 MiB raw ext4 image with known files, made with
# `mkfs.ext4 -d` (no root, no mount). Sourced by build.sh; part of the cache key.
EXT4_UUID=6d6b7666-7465-7374-2d65-787434000001
ext4_inputs() { :; }
ext4_artifact() { echo disk.ext4; }
ext4_tools() { need mkfs.ext4 e2fsprogs seq coreutils; }

ext4_build() {
	local out=$1
	step "writing the files"
	mkdir -p root/dir
	echo "hello from ext4" >root/hello.txt
	seq 1 100000 >root/dir/seq.txt
	(cd root && sha256sum hello.txt dir/seq.txt >SHA256SUMS)
	step "mkfs.ext4 -d (64 MiB)"
	mkdir "$out"
	E2FSPROGS_FAKE_TIME=1700000000 mkfs.ext4 -q -F -L vmd-test -U "$EXT4_UUID" \
		-E root_owner=0:0,hash_seed="$EXT4_UUID" -d root "$out/disk.ext4" 64M
}
