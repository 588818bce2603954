#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test kernel built in $OBJ under virtme-ng and run one command in
# the guest; exit with that command's status.
#
#   scripts/boot.sh [--rwdir DIR]... [--port NAME=FILE]... [--] COMMAND [ARG]...
#
# The guest's root is the host's / over 9p, read-only; /tmp, /etc, /var,
# /usr, /lib, /home, /opt and /srv get a throw-away tmpfs overlay, so writes
# there never reach the host. Directories given with --rwdir, and always
# $BUILD/vm/out (exported as GUEST_OUT), are writable host directories.
# A kernel variant (DEBUG=1, see lib.sh) uses $BUILD/vm-debug instead.
# The guest starts in the caller's working directory.
#
# --port NAME=FILE adds a virtio serial port named NAME whose output QEMU
# writes to the host file FILE: the guest finds it as the /dev/vport* whose
# /sys/class/virtio-ports/*/name is NAME. It moves bulk data out at about
# 120 MB/s under TCG, where a 9p --rwdir writes 7.7 MB/s.
#
# The command's stdout and stderr both arrive on stdout; the kernel console
# (and virtme-ng's own chatter) goes to $BUILD/vm/console.log.
#
# Exit status: the command's, or 124 when BOOT_TIMEOUT seconds passed, or
# 125 when the VM itself failed (vng error, no boot, crash), with a
# one-line explanation on stderr.
#
# Variables: BOOT_TIMEOUT (seconds, default 900), VM_CPUS (2), VM_MEMORY
# (2G), VM_KVM (auto|0|1), VM_APPEND (extra kernel arguments), VM_LOG
# (console log file).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}
VM_CPUS=${VM_CPUS:-2}
VM_MEMORY=${VM_MEMORY:-2G}
VM_DIR=$BUILD/vm$VARIANT
ROOT=$VM_DIR/root
LOG=${VM_LOG:-$VM_DIR/console.log}

vm_fail() {	# code message
	echo "error: $2" >&2
	exit "$1"
}

usage() {
	echo "usage: $0 [--rwdir DIR]... [--port NAME=FILE]... [--] COMMAND [ARG]..." >&2
	exit 2
}

rwdirs=("$VM_DIR/out")
ports=()
while [ $# -gt 0 ]; do
	case $1 in
	--rwdir) [ $# -ge 2 ] || usage; rwdirs+=("$(realpath -m "$2")"); shift 2 ;;
	--port)
		[ $# -ge 2 ] && [[ $2 == [a-z]*=?* ]] || usage
		ports+=("${2%%=*}=$(realpath -m "${2#*=}")")
		shift 2
		;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage

command -v vng >/dev/null || die "vng (virtme-ng) missing; run scripts/setup.sh"
[ -f "$OBJ/arch/x86/boot/bzImage" ] ||
	die "no kernel at $OBJ/arch/x86/boot/bzImage; run scripts/build-kernel.sh"
# vng pastes paths into a shell command line unquoted.
for d in "$BUILD" "$PWD" "${rwdirs[@]}" "${ports[@]}"; do
	case $d in *[[:space:]\'\"\\\$\`,]*) die "path with blanks, quotes or commas not supported by vng and QEMU: $d" ;; esac
done

# Give vng a private copy of the kernel and its modules laid out as a root
# (boot/vmlinuz-VER, lib/modules/VER). vng then links the guest's
# /lib/modules/VER to it, so modprobe works, and nothing is written into
# $OBJ (vng's own way, --run $OBJ, creates $OBJ/.virtme_mods). The copy also
# keeps a running guest independent of a rebuild going on meanwhile.
stage_kernel() {
	local kver ko sum mods
	kver=$(cat "$OBJ/include/config/kernel.release") ||
		die "$OBJ/include/config/kernel.release missing; rebuild the kernel"
	mods=()
	if [ -f "$OBJ/modules.order" ]; then
		mapfile -t mods < <(sed 's/\.o$/.ko/' "$OBJ/modules.order")
	fi
	sum=$(cd "$OBJ" && stat -c '%n %s %Y' arch/x86/boot/bzImage System.map \
		"${mods[@]}" | sha256sum | cut -d' ' -f1)
	KIMG=$ROOT/boot/vmlinuz-$kver
	if stamp_ok "vm-root$VARIANT" "$sum" && [ -f "$KIMG" ]; then
		return
	fi
	local new=$ROOT.new dst=$ROOT.new/lib/modules/$kver
	rm -rf "$new"
	mkdir -p "$new/boot" "$dst/kernel"
	cp "$OBJ/arch/x86/boot/bzImage" "$new/boot/vmlinuz-$kver"
	for ko in "${mods[@]}"; do
		[ -f "$OBJ/$ko" ] || die "module $ko listed in modules.order but not built"
		install -D -m 0644 "$OBJ/$ko" "$dst/kernel/$ko"
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ ! -f "$OBJ/$f" ] || cp "$OBJ/$f" "$dst/"
	done
	depmod -a -b "$new" -F "$OBJ/System.map" "$kver" ||
		die "depmod failed for the modules in $OBJ"
	rm -rf "$ROOT"
	mv "$new" "$ROOT"
	stamp_set "vm-root$VARIANT" "$sum"
}

# The guest runs this script with bash. Stderr joins stdout because
# virtme-ng sends the guest's stderr to the same host fd as the console.
guest_script() {
	local q
	printf -v q '%q ' "$@"
	printf 'exec 2>&1\nexport GUEST_OUT=%q\n%s\n' "$VM_DIR/out" "$q"
}

# A pattern in the console log.
log_has() {
	grep -qaE "$1" "$LOG"
}

# The most telling console line when the VM failed: a panic, else a
# complaint, else the last line.
log_reason() {
	local pat line=
	for pat in 'Kernel panic' 'BUG:|Oops|Unable to|cannot|No such|[Ee]rror'; do
		line=$(grep -aE -m1 "$pat" "$LOG") && break
	done
	[ -n "$line" ] || line=$(grep -av '^[[:space:]]*$' "$LOG" | tail -n1) || true
	line=$(sed 's/^\[ *[0-9.]*\] //' <<<"$line")
	echo "${line:-empty console log}"
}

stage_kernel
mkdir -p "${rwdirs[@]}"

vng_args=(--run "$KIMG" --force-9p --verbose
	--cpus "$VM_CPUS" --memory "$VM_MEMORY"
	# 9p root without CONFIG_BLOCK: the kernel only mounts a nodev root
	# when root= names its tag (init/do_mounts.c, mount_nodev_root).
	--append "root=/dev/root")
[ -z "${VM_APPEND:-}" ] || vng_args+=(--append "$VM_APPEND")
# GUEST=HOST form: vng checks a bare path relative to its working
# directory and refuses it unless that happens to be /.
for d in "${rwdirs[@]}"; do
	vng_args+=(--rwdir "$d=$d")
done
vng_args+=(--exec "$(guest_script "$@")")
qemu_opts=
if kvm_usable; then
	accel=kvm
else
	accel=tcg
	vng_args+=(--disable-kvm)
	qemu_opts="-cpu max"
fi
# On the virtio serial bus virtme-ng already has for its console
for ((i = 0; i < ${#ports[@]}; i++)); do
	p=${ports[i]}
	mkdir -p "$(dirname "${p#*=}")"
	: >"${p#*=}"
	qemu_opts+=" -chardev file,id=qoport$i,path=${p#*=}"
	qemu_opts+=" -device virtserialport,chardev=qoport$i,name=${p%%=*}"
done
# --qemu-opts must come last: vng passes everything after it to QEMU.
[ -z "$qemu_opts" ] || vng_args+=(--qemu-opts="${qemu_opts# }")

# QEMU reopens the host's stdout and stderr through /proc/self/fd with
# O_TRUNC and several independent writers, which garbles regular files:
# hand it FIFOs and copy from them instead.
fifos=$(mktemp -d)
mkfifo "$fifos/out" "$fifos/err"
cat "$fifos/out" &
out_cat=$!
cat "$fifos/err" >"$LOG" &
err_cat=$!

# A kernel that cannot power off (no ACPI) halts instead, and QEMU would
# sit there until the timeout: stop it as soon as the console says so.
watch_halt() {
	while kill -0 "$vm" 2>/dev/null; do
		if grep -qa 'reboot: .*System halted' "$LOG"; then
			kill -TERM "$vm" 2>/dev/null || true
			return
		fi
		sleep 1
	done
}

# timeout puts vng, virtme-run and QEMU in a process group of their own and
# signals all of them on expiry; forward our own interruptions to it.
start=$(date +%s)
timeout -k 15 "$BOOT_TIMEOUT" vng "${vng_args[@]}" \
	</dev/null >"$fifos/out" 2>"$fifos/err" &
vm=$!
interrupted=
trap 'interrupted=1; kill -TERM "$vm" 2>/dev/null || true' INT TERM HUP
watch_halt &
watcher=$!
rc=0
wait "$vm" || rc=$?
if [ -n "$interrupted" ]; then
	wait "$vm" 2>/dev/null || true
fi
wait "$watcher" "$out_cat" "$err_cat" || true
rm -rf "$fifos"
trap - INT TERM HUP
[ -z "$interrupted" ] || vm_fail 130 "interrupted; console log: $LOG"
elapsed=$(($(date +%s) - start))

# virtme-init logs both ends of the command on the console; that, not
# vng's status alone, tells a failing command from a failing VM.
returned=$(sed -n 's/.*virtme-init: script returned {\([0-9]*\)}.*/\1/p' "$LOG" | tail -n1)
if [ -n "$returned" ]; then
	if [ "$rc" != "$returned" ]; then
		note "vm: the guest did not power off by itself (kernel without CONFIG_ACPI?)"
		rc=$returned
	fi
	note "vm: $accel, ${VM_CPUS} CPUs, exit $rc after ${elapsed}s (console: ${LOG#"$TOP"/})"
	exit "$rc"
fi
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	log_has 'virtme-init: starting script' &&
		vm_fail 124 "guest command timed out after ${BOOT_TIMEOUT}s; console log: $LOG"
	vm_fail 124 "kernel did not boot within ${BOOT_TIMEOUT}s: $(log_reason); console log: $LOG"
fi
log_has 'Linux version' ||
	vm_fail 125 "vng failed to start the VM: $(log_reason); full output: $LOG"
log_has 'virtme-init: starting script' ||
	vm_fail 125 "kernel did not boot: $(log_reason); console log: $LOG"
vm_fail 125 "the guest died while running the command: $(log_reason); console log: $LOG"
