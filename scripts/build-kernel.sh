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
	# Every option a fragment asks for must have survived olddefconfig.
	missing=$(cat "${fragments[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=[ym]' |
		while IFS= read -r line; do
			opt=${line%%=*}
			val=${line#*=}
			grep -qx "$opt=$val" "$OBJ/.config" ||
				{ [ "$val" = m ] && grep -qx "$opt=y" "$OBJ/.config"; } ||
				echo "$line"
		done)
	[ -z "$missing" ] || [ -n "${ALLOW_MISSING_CONFIG:-}" ] || die "config options not set (missing dependency?): $(echo $missing)"
	stamp_set "config$VARIANT" "$sum"
fi

note "kernel: building with $JOBS jobs"
start=$(date +%s)
if ! make_k -j"$JOBS" bzImage modules >"$BUILD/build$VARIANT.log" 2>&1; then
	grep -E 'error|Error' "$BUILD/build$VARIANT.log" | head -n 20 >&2
	die "kernel build failed; see $BUILD/build$VARIANT.log"
fi
grep -E '(warning|error):' "$BUILD/build$VARIANT.log" | grep -E 'net/(quic|ipv4/udp|ipv6/udp)' >&2 || true
note "kernel: built in $(($(date +%s) - start)) s: $OBJ/arch/x86/boot/bzImage"
