#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Generate the quic_ulp netlink family's code from its YNL spec, as netdev
# does with tools/net/ynl/ynl-regen.sh: the uAPI header and the kernel's
# policy and op tables. The generated files are committed, like every
# other family's; this script is the one way they change.
#
#   scripts/ynl-gen.sh          rewrite the generated files
#   scripts/ynl-gen.sh --check  fail if a generated file is stale
#
# The generator is the primary base's (tools/net/ynl in $SRC, prepared by
# scripts/prepare-tree.sh). It runs in a scratch directory laid out as a
# kernel tree so that it finds the schema and names the spec by its path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SPEC=Documentation/netlink/specs/quic-ulp.yaml
GEN=$SRC/tools/net/ynl/pyynl/ynl_gen_c.py
[ -f "$GEN" ] || die "$GEN missing: run scripts/prepare-tree.sh first"

check=
[ "${1:-}" != --check ] || check=1

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/Documentation/netlink/specs"
# (the generator finds the tree's root by its MAINTAINERS file)
touch "$scratch/MAINTAINERS"
cp "$SRC/Documentation/netlink/genetlink.yaml" "$scratch/Documentation/netlink/"
cp "$TOP/$SPEC" "$scratch/$SPEC"

stale=0
gen() {	# mode header|source output
	local out=$3 flag=--header

	[ "$2" = header ] || flag=--source
	# (the source includes its header by the name it is written to)
	mkdir -p "$scratch/$(dirname "$out")"
	(cd "$scratch" && timeout 120 python3 "$GEN" --mode "$1" "$flag" \
		--spec "$scratch/$SPEC" -o "$scratch/$out") >/dev/null
	if [ -n "$check" ]; then
		cmp -s "$scratch/$out" "$TOP/$out" || {
			echo "stale: $out (run scripts/ynl-gen.sh)" >&2
			stale=1
		}
	else
		cmp -s "$scratch/$out" "$TOP/$out" || cp "$scratch/$out" "$TOP/$out"
	fi
}

gen uapi header include/uapi/linux/quic_ulp.h
gen kernel header net/quic/netlink-gen.h
gen kernel source net/quic/netlink-gen.c
exit $stale
