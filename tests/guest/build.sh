#!/usr/bin/env bash
# tests/guest/build.sh — builds the test guests once and caches them by recipe hash.
#
#   build.sh [NAME...]     build everything, or the named artifacts (and their dependencies)
#   build.sh --path NAME   build NAME if needed, print the artifact's absolute path
#   build.sh --env         build everything, print VMD_GUEST_*=... shell assignments
# NAME: linux busybox initramfs ext4 baremetal. Each recipe is recipes/NAME.sh; an
# artifact lives in $CACHE/NAME-<key>, key = sha256 of the recipe file, the files it
# uses, the Debian source version and the keys of its dependencies. Progress goes to
# stderr, compiler output to $CACHE/logs/NAME.log.
set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vmd
ALL=(linux busybox initramfs ext4 baremetal)
declare -A DEPS=([initramfs]=busybox)
declare -A KEY=()
OPENSBI=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin   # Debian opensbi
UBOOT=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin                 # Debian u-boot-qemu
LOCKED=0

exec 3>&2                                   # progress channel, even while logging
say() { echo "guest: $*" >&3; }
die() { say "error: $*"; exit 1; }
step() { say "$CUR: $*"; echo "=== $*"; }    # inside a recipe: progress + log marker

# need TOOL PACKAGE...: fail with the Debian package to install when a tool is missing.
need() {
	local missing=() t p
	while (($#)); do
		t=$1 p=$2; shift 2
		if [[ $t == /* ]]; then [[ -e $t ]] || missing+=("$p"); else command -v "$t" >/dev/null || missing+=("$p"); fi
	done
	((${#missing[@]} == 0)) || die "missing tools; install them with: apt-get install $(printf '%s\n' "${missing[@]}" | sort -u | paste -sd' ')"
}

# lock: one builder at a time per cache dir; stale temp dirs of dead builders are removed.
lock() {
	((LOCKED)) && return 0
	mkdir -p "$CACHE/logs" "$CACHE/src"
	exec 9>"$CACHE/lock"
	flock -n 9 || { say "waiting for another build (lock $CACHE/lock)"; flock 9; }
	LOCKED=1
	rm -rf "$CACHE"/.tmp-*
}

# newtmp NAME: a fresh temp dir in the cache (same file system, so mv is atomic).
newtmp() { mktemp -d "$CACHE/.tmp-$1-XXXXXX"; }

for r in "${ALL[@]}"; do source "$GUEST_DIR/recipes/$r.sh"; done

key() {   # key NAME: sets KEY[NAME] (NAME_prepare may fetch sources first)
	local n=$1 d
	[[ -n ${KEY[$n]:-} ]] && return 0
	for d in ${DEPS[$n]:-}; do key "$d"; done
	! declare -F "${n}_prepare" >/dev/null || "${n}_prepare"
	KEY[$n]=$({
		cat "$GUEST_DIR/recipes/$n.sh"
		"${n}_inputs"
		for d in ${DEPS[$n]:-}; do echo "dep $d ${KEY[$d]}"; done
	} | sha256sum | cut -c1-16)
}

ensure() {   # ensure NAME: build NAME (after its dependencies) unless cached
	local n=$1 d out tmp rc t0
	for d in ${DEPS[$n]:-}; do ensure "$d"; done
	key "$n"
	out=$CACHE/$n-${KEY[$n]}
	[[ -d $out ]] && return 0
	lock
	[[ -d $out ]] && return 0
	"${n}_tools"
	tmp=$(newtmp "$n") TMP=$tmp
	trap 'rm -rf "$TMP"' EXIT
	LOG=$CACHE/logs/$n.log CUR=$n t0=$SECONDS
	say "$n: building (log: $LOG)"
	set +e
	(set -e; cd "$tmp"; "${n}_build" "$tmp/out") >"$LOG" 2>&1
	rc=$?
	set -e
	if ((rc != 0)); then
		say "$n: FAILED (exit $rc); last 40 lines of $LOG:"
		tail -n 40 "$LOG" >&3
		exit 1
	fi
	mv "$tmp/out" "$out"
	rm -rf "$tmp"
	trap - EXIT
	say "$n: built in $((SECONDS - t0)) s -> $out"
}

path() {   # path NAME: the artifact (NAME_artifact empty: the whole directory)
	local a; a=$("${1}_artifact"); key "$1"
	echo "$CACHE/$1-${KEY[$1]}${a:+/$a}"
}

check_name() { [[ " ${ALL[*]} " == *" $1 "* ]] || die "unknown artifact '$1' (known: ${ALL[*]})"; }

main() {
	case "${1:-}" in
	--path)
		(($# == 2)) || die "usage: $0 --path NAME"
		check_name "$2"; ensure "$2"; path "$2" ;;
	--env)
		for n in "${ALL[@]}"; do ensure "$n"; done
		[[ -e $OPENSBI ]] || say "warning: $OPENSBI missing (apt-get install opensbi)"
		[[ -e $UBOOT ]] || say "warning: $UBOOT missing (apt-get install u-boot-qemu)"
		printf "VMD_GUEST_%s=%q\n" KERNEL "$(path linux)" BUSYBOX "$(path busybox)" \
			INITRD "$(path initramfs)" EXT4 "$(path ext4)" BAREMETAL "$(path baremetal)" \
			OPENSBI "$OPENSBI" UBOOT "$UBOOT" ;;
	-h | --help)
		sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' ;;
	-*) die "unknown option $1 (see --help)" ;;
	*)
		(($#)) || set -- "${ALL[@]}"
		for n in "$@"; do check_name "$n"; done
		for n in "$@"; do ensure "$n"; done ;;
	esac
}

main "$@"; exit
