#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every prefix of the series builds in the configurations that broke it
# before, which the lean test kernel (IPv6 built in, the ULP a module,
# x86_64) never sees:
#
#   ipv6-m     IPv6 a module, the ULP a module: every symbol ipv6.ko and
#              quic_ulp.ko take from what the series adds to the core must be
#              exported
#   ipv6-n     no IPv6, the ULP built in
#   inet-n     networking without INET, with BPF_SYSCALL: skmsg.c and the
#              rest of net/core/ are built and must not reach for the UDP
#              ULP
#   i386       32-bit x86, IPv6 and the ULP modules (u64 counters, struct
#              layouts, the exports as for ipv6-m)
#
# Each configuration starts from tinyconfig plus the options below, in an
# object directory of its own ($BUILD/obj-cfg-NAME), with ccache. For each
# prefix that changes kernel code (net/, include/), checked out in the
# work tree $BUILD/linux-cfg, it compiles with W=1 the directories the
# series touches (CONFIGS_SCOPE=objects, the default: net/quic/, the UDP
# files, net/core/ for inet-n) and, for the module configurations, checks
# the exports with nm; CONFIGS_SCOPE=full also links vmlinux (and modules)
# at the last prefix, as modpost would find a missing export. A warning in
# our files fails the prefix as an error does. An option asked for must
# survive olddefconfig once the prefix's Kconfig defines it.
#
# A (configuration, prefix) that passed is remembered by the hash of its
# tree, of this script and of the compiler: a re-run skips it.
# CONFIGS="ipv6-m i386" picks some; CONFIGS_PREFIXES=last checks the whole
# series only (scripts/test.sh does, for time: every prefix is built in the
# lean configuration by scripts/check-bisect.sh). One line per configuration,
# "pass|fail series:config:NAME", goes to $RESULTS/series-config.lines;
# logs in $BUILD/configs/.
#
# Measured on this 2-core machine with a test VM running beside it:
# ipv6-m 22 minutes and ipv6-n 19 (a kernel build beside them too), inet-n
# 4, i386 6 (from an empty object directory); a re-run with nothing
# changed takes seconds (every prefix stamped).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

[ -d "$SRC/.git" ] || die "no base tree at $SRC; run scripts/prepare-tree.sh"
command -v ccache >/dev/null || die "ccache missing; run scripts/setup.sh"

SCOPE=${CONFIGS_SCOPE:-objects}
case $SCOPE in
full|objects) ;;
*) die "CONFIGS_SCOPE=$SCOPE: objects or full" ;;
esac
WT=$BUILD/linux-cfg
LOGS=$BUILD/configs
LINES=$RESULTS/series-config.lines
OURS='net/quic/|net/ipv4/udp_ulp\.c|net/ipv4/udp\.c|net/ipv6/udp\.c|net/core/skmsg\.c|include/net/udp_ulp\.h|include/uapi/linux/quic\.h'
mkdir -p "$LOGS" "$RESULTS"

python3 "$TOP/scripts/series.py" build >/dev/null
mapfile -t commits < <(git -C "$SRC" rev-list --reverse base..series)
mapfile -t names < <(python3 "$TOP/scripts/series.py" names)
if [ "${#commits[@]}" = 0 ] || [ "${#commits[@]}" != "${#names[@]}" ]; then
	die "ref series has ${#commits[@]} commits, the base's series ${#names[@]} patches"
fi
n=${#commits[@]}

# IPv6 is bool since 7.x: a modular IPv6 is a configuration of older
# trees only (ipv6-m is then not built, i386 has IPv6 built in).
ipv6_modular() {
	git -C "$SRC" show base:net/ipv6/Kconfig | grep -q '^[[:space:]]*tristate "The IPv6 protocol"'
}

options() {
	case $1 in
	ipv6-m)	echo "CONFIG_MODULES=y CONFIG_MODULE_UNLOAD=y CONFIG_NET=y
		      CONFIG_INET=y CONFIG_IPV6=m CONFIG_QUIC_ULP=m" ;;
	ipv6-n)	echo "CONFIG_NET=y CONFIG_INET=y CONFIG_IPV6=n
		      CONFIG_QUIC_ULP=y" ;;
	inet-n)	echo "CONFIG_NET=y CONFIG_INET=n CONFIG_BPF_SYSCALL=y" ;;
	i386)	echo "CONFIG_MODULES=y CONFIG_MODULE_UNLOAD=y CONFIG_NET=y
		      CONFIG_INET=y CONFIG_IPV6=$(ipv6_modular && echo m || echo y)
		      CONFIG_QUIC_ULP=m" ;;
	esac
}
arch_of() { [ "$1" = i386 ] && echo i386 || echo x86_64; }
modular() { [ "$1" = ipv6-m ] || [ "$1" = i386 ]; }

kmake() {	# name make-arguments...
	nice -n 10 make -s -C "$WT" O="$BUILD/obj-cfg-$1" ARCH="$(arch_of "$1")" \
		CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS" "${@:2}"
}

worktree() {
	[ -e "$WT/.git" ] && return 0
	git -C "$SRC" worktree prune
	rm -rf "$WT"
	git -C "$SRC" worktree add -q --detach "$WT" "${commits[n - 1]}"
}

# The objects of the series' files that this prefix and configuration build
targets() {	# name
	local t=(prepare)

	case $1 in
	inet-n)	t+=(net/core/) ;;
	*)	t+=(net/ipv4/udp.o)
		[ ! -f "$WT/net/ipv4/udp_ulp.c" ] || t+=(net/ipv4/udp_ulp.o)
		[ "$1" = ipv6-n ] || t+=(net/ipv6/udp.o)
		[ ! -f "$WT/net/quic/Makefile" ] || t+=(net/quic/) ;;
	esac
	echo "${t[@]}"
}

# Module configurations: a symbol that ipv6.ko's udp.o or quic_ulp.ko needs
# and that the series' core objects define must be exported there.
# (Modpost checks this when modules are linked; this is its part that the
# series can break, without building the rest of the kernel.)
exports() {	# name
	local obj=$BUILD/obj-cfg-$1 core=() users=() sym def undef bad=0

	for f in net/ipv4/udp.o net/ipv4/udp_ulp.o; do
		[ ! -f "$obj/$f" ] || core+=("$obj/$f")
	done
	users=()
	! grep -qx CONFIG_IPV6=m "$obj/.config" || users=("$obj/net/ipv6/udp.o")
	# (quic_ulp.mod: an earlier run at a longer prefix may have left more)
	if [ -f "$WT/net/quic/Makefile" ]; then
		[ -f "$obj/net/quic/quic_ulp.mod" ] || { echo "no quic_ulp.mod"; return 1; }
		mapfile -t -O 1 users <"$obj/net/quic/quic_ulp.mod"
		users=("${users[@]/#net/$obj/net}")
	fi
	declare -A syms=()
	for def in "${core[@]}"; do
		syms[$def]=$(nm "$def") || { echo "nm $def failed"; return 1; }
	done
	undef=$(nm -u "${users[@]}") || { echo "nm of the module objects failed"; return 1; }
	while read -r sym; do
		for def in "${core[@]}"; do
			grep -qE " [TDBRW] $sym\$" <<<"${syms[$def]}" || continue
			grep -qE " __export_symbol_$sym\$" <<<"${syms[$def]}" && continue
			echo "${def#"$obj"/} defines $sym, used by a module, without exporting it"
			bad=1
		done
	done < <(awk 'NF == 2 { print $2 }' <<<"$undef" | sort -u)
	return "$bad"
}

# The configuration of one prefix, from tinyconfig and that prefix's own
# Kconfig: a later patch's selects must not make an earlier one build
make_config() {	# name
	local name=$1 obj=$BUILD/obj-cfg-$1

	mkdir -p "$obj"
	# shellcheck disable=SC2046
	printf '%s\n' $(options "$name") >"$obj/fragment.config"
	{
		kmake "$name" tinyconfig &&
		KCONFIG_CONFIG="$obj/.config" "$WT/scripts/kconfig/merge_config.sh" \
			-m -O "$obj" "$obj/.config" "$obj/fragment.config" &&
		kmake "$name" olddefconfig
	} >"$LOGS/$name-config.log" 2>&1 ||
		{ echo "configuration failed"; tail -n 5 "$LOGS/$name-config.log"; return 1; }
	if grep -q 'unmet direct dependencies' "$LOGS/$name-config.log"; then
		echo "configuration has unmet dependencies:"
		grep -A3 'unmet direct dependencies' "$LOGS/$name-config.log"
		return 1
	fi
}

# One configuration at one prefix; says what is wrong, non-zero if anything
check_prefix() {	# name commit last
	local name=$1 obj=$BUILD/obj-cfg-$1 log=$LOGS/$1-current.log opt sym

	if ! git -C "$WT" checkout -q --force --detach "$2" ||
	   [ "$(git -C "$WT" rev-parse HEAD)" != "$2" ]; then
		echo "cannot check out $2 in $WT"
		return 1
	fi
	make_config "$name" || return 1
	: >"$log"
	# Every option asked for that this prefix knows must have survived
	while read -r opt; do
		sym=${opt%%=*}
		git -C "$WT" grep -qE "^(menu)?config ${sym#CONFIG_}\$" -- '*Kconfig*' || continue
		case $opt in
		*=n) ! grep -q "^$sym=" "$obj/.config" ;;
		*) grep -qx "$opt" "$obj/.config" ;;
		esac || { echo "$opt lost in olddefconfig"; return 1; }
	done <"$obj/fragment.config"
	# shellcheck disable=SC2046
	if ! kmake "$name" W=1 $(targets "$name") >>"$log" 2>&1; then
		echo "build failed:"
		grep -E 'error|Error' "$log" | head -n 20
		return 1
	fi
	if grep -E "(^|/)($OURS)[^:]*:[0-9]+:[0-9]+: (warning|error)|(^|/)($OURS)[^:]*: warning: objtool:" "$log"; then
		return 1
	fi
	if modular "$name" && ! exports "$name"; then
		return 1
	fi
	[ "$SCOPE" = full ] && [ "$3" = 1 ] || return 0
	local link=(vmlinux)
	modular "$name" && link+=(modules)
	if ! kmake "$name" "${link[@]}" >>"$log" 2>&1 ||
	   grep -E '^(ERROR|WARNING): modpost' "$log"; then
		echo "linking failed:"
		grep -E 'error|Error|modpost' "$log" | head -n 20
		return 1
	fi
}

# Prefixes that change what a configuration compiles (its targets, or a
# header): the others cannot break its build. The last one always counts.
code_prefix() {	# name index
	local paths

	[ "$2" = $((n - 1)) ] && return 0
	[ "${CONFIGS_PREFIXES:-all}" = all ] || return 1
	case $1 in
	inet-n)	paths='^(include|net/core)/|(^|/)(Kconfig|Makefile)' ;;
	*)	paths='^(include|net/ipv4/udp|net/ipv6/udp|net/quic/)|(^|/)(Kconfig|Makefile)' ;;
	esac
	# (the whole list read, so that no early exit of grep counts as "no")
	git -C "$SRC" diff --name-only "${commits[$2]}^" "${commits[$2]}" |
		grep -E "$paths" >/dev/null
}

for name in ${CONFIGS:-}; do
	[ -n "$(options "$name")" ] || die "CONFIGS: no configuration $name"
done
tool_sum=$(gcc --version | head -n 1 | sha256sum | cut -d' ' -f1)
script_sum=$(grep -v '^[[:space:]]*#' "$0" | sha256sum | cut -d' ' -f1)
: >"$LINES"
rc=0
for name in ${CONFIGS:-ipv6-m ipv6-n inet-n i386}; do
	if [ "$name" = ipv6-m ] && ! ipv6_modular; then
		note "config ipv6-m: IPv6 cannot be a module in this tree, not built"
		continue
	fi
	t0=$(date +%s)
	failed=
	checked=0
	for ((i = 0; i < n; i++)); do
		code_prefix "$name" "$i" || continue
		last=$((i == n - 1 ? 1 : 0))
		key=$( { git -C "$SRC" rev-parse "${commits[i]}^{tree}"
			echo "$name $last $SCOPE $tool_sum $script_sum"; } |
			sha256sum | cut -d' ' -f1)
		stamp_ok "config-$name-${names[i]}" "$key" && continue
		worktree
		if check_prefix "$name" "${commits[i]}" "$last" \
				>"$LOGS/$name-${names[i]}.log" 2>&1; then
			stamp_set "config-$name-${names[i]}" "$key"
			checked=$((checked + 1))
		else
			failed=${names[i]}
			break
		fi
	done
	if [ -z "$failed" ]; then
		echo "pass series:config:$name" >>"$LINES"
		note "config $name: every prefix builds ($checked checked, $(($(date +%s) - t0)) s)"
	else
		echo "fail series:config:$name" >>"$LINES"
		note "config $name: FAILED at $failed, see ${LOGS#"$TOP"/}/$name-$failed.log"
		head -n 20 "$LOGS/$name-$failed.log" >&2
		rc=1
	fi
done
exit "$rc"
