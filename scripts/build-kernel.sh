#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build the lean test kernel from $SRC into $OBJ, with ccache.
# The configuration is tinyconfig plus the fragments below, in this order:
#   scripts/config/vm.config                     booting under virtme-ng
#   tools/testing/selftests/net/quic/config      what the tests need
#   $KCONFIG_EXTRA (optional; DEBUG=1 sets scripts/config/debug.config
#   and OBJ=$BUILD/obj-debug, see lib.sh)
# It is regenerated only when a fragment changed, and make itself rebuilds
# only what changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -f "$SRC/Makefile" ] || die "no kernel tree at $SRC; run scripts/prepare-tree.sh"
command -v ccache >/dev/null || die "ccache missing; run scripts/setup.sh"

fragments=("$TOP/scripts/config/vm.config"
	"$TOP/tools/testing/selftests/net/quic/config")
[ -n "${KCONFIG_EXTRA:-}" ] && fragments+=("$KCONFIG_EXTRA")
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "config fragment $f missing"
done

# Objects of another base tree (the primary moved to a new version) are
# not rebuilt by make when the new sources are older than they are: start
# the object directory afresh.
base=$(git -C "$SRC" rev-parse base)
if ! stamp_ok "obj-base$VARIANT" "$base"; then
	rm -rf "$OBJ"
	rm -f "$BUILD/stamps/config$VARIANT"
fi
mkdir -p "$OBJ"
make_k() {
	make -s -C "$SRC" O="$OBJ" CC="ccache gcc" HOSTCC="ccache gcc" "$@"
}

sum=$(hash_files "${fragments[@]}")
if ! stamp_ok "config$VARIANT" "$sum" || [ ! -f "$OBJ/.config" ]; then
	note "kernel: configuring (tinyconfig + ${#fragments[@]} fragments)"
	make_k tinyconfig >/dev/null
	KCONFIG_CONFIG="$OBJ/.config" "$SRC/scripts/kconfig/merge_config.sh" \
		-m -O "$OBJ" "$OBJ/.config" "${fragments[@]}" >"$BUILD/config$VARIANT.log" 2>&1
	make_k olddefconfig >/dev/null
	# Every option a fragment asks for must have survived olddefconfig,
	# unless this tree has no such option at all (one fragment serves
	# both bases: 6.12's arch crypto options are library code in 7.x).
	known=$(cd "$SRC" && git ls-files -- '*Kconfig*' | xargs cat |
		sed -n 's/^[[:space:]]*\(menu\)\{0,1\}config[[:space:]]\{1,\}\([A-Z0-9_]*\).*/CONFIG_\2/p' | sort -u)
	missing=$(cat "${fragments[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=[ym]' |
		while IFS= read -r line; do
			opt=${line%%=*}
			val=${line#*=}
			grep -qx "$opt" <<<"$known" || continue
			grep -qx "$opt=$val" "$OBJ/.config" ||
				{ [ "$val" = m ] && grep -qx "$opt=y" "$OBJ/.config"; } ||
				echo "$line"
		done)
	[ -z "$missing" ] || [ -n "${ALLOW_MISSING_CONFIG:-}" ] || die "config options not set (missing dependency?): $(echo $missing)"
	stamp_set "config$VARIANT" "$sum"
	stamp_set "obj-base$VARIANT" "$base"
fi

note "kernel: building with $JOBS jobs"
start=$(date +%s)
if ! make_k -j"$JOBS" bzImage modules >"$BUILD/build$VARIANT.log" 2>&1; then
	grep -E 'error|Error' "$BUILD/build$VARIANT.log" | head -n 20 >&2
	die "kernel build failed; see $BUILD/build$VARIANT.log"
fi
grep -E '(warning|error):' "$BUILD/build$VARIANT.log" | grep -E 'net/(quic|ipv4/udp|ipv6/udp)' >&2 || true
note "kernel: built in $(($(date +%s) - start)) s: $OBJ/arch/x86/boot/bzImage"
