# SPDX-License-Identifier: GPL-2.0
# Common settings for the scripts in this directory; sourced, never run.
#
# Variables a user may set:
#   BACKPORT     empty: the primary base (series/base, Debian's newest
#                linux-source-7.*, patches/); 6.12: the 6.12 LTS backport
#                (series/6.12/base, patches/6.12), in a tree, object
#                directory, VM, stamps and results of its own ("-6.12")
#   KERNEL_TREE  a kernel source tree of one's own to apply the series to
#                (default: the Debian package at the version the base file
#                names, unpacked under build/)
#   BASE_VERSION that package's version instead of series/base's;
#                "installed": whatever /usr/src holds
#   BUILD        where everything generated goes (default: <repo>/build)
#   JOBS         parallel make jobs (default: number of CPUs)
#   DEBUG        1: the debug kernel variant (scripts/config/debug.config:
#                KASAN, lockdep, kmemleak, UBSAN, ...), built in its own
#                object directory $BUILD/obj-debug and booted from its own
#                VM directory, so that the lean kernel is never touched
#   OBJ          the kernel object directory (default: $BUILD/obj, or
#                $BUILD/obj-debug with DEBUG=1)

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
JOBS=${JOBS:-$(nproc)}

# The base the series is generated against: a Debian source package at one
# version (series/base), so that patches/ and its base-commit stay the same
# when bookworm-security moves on. The tarball is cached under build/.
BACKPORT=${BACKPORT:-}
if [ -n "$BACKPORT" ]; then
	[ -f "$TOP/series/$BACKPORT/base" ] ||
		{ echo "error: no backport $BACKPORT: series/$BACKPORT/base missing" >&2; exit 1; }
	BASE_FILE=$TOP/series/$BACKPORT/base
	PATCH_DIR=$TOP/patches/$BACKPORT
	TREE_SUFFIX=-$BACKPORT
	export SERIES_BACKPORT=$BACKPORT
else
	BASE_FILE=$TOP/series/base
	PATCH_DIR=$TOP/patches
	TREE_SUFFIX=
fi
read -r BASE_PKG BASE_PINNED < <(grep -v '^#' "$BASE_FILE")
BASE_VERSION=${BASE_VERSION:-$BASE_PINNED}
INSTALLED_TARBALL=/usr/src/$BASE_PKG.tar.xz
BASE_TARBALL=$BUILD/base/$BASE_PKG-$BASE_VERSION.tar.xz
[ "$BASE_VERSION" != installed ] || BASE_TARBALL=$INSTALLED_TARBALL

# The tree the series is applied to (a git work tree we own), the scratch
# work tree `git am` runs in, and the kernel object directory.
SRC=$BUILD/linux$TREE_SUFFIX
AM_TREE=$SRC-am
#
# A variant other than the lean kernel (DEBUG=1, or an OBJ of one's own)
# gets $VARIANT ("-debug", "-<name of OBJ>") appended to the names of its
# stamps, logs, VM directory, installed tests and result suites, so that
# it can be built and run beside the lean kernel, even at the same time.
if [ "${DEBUG:-0}" = 1 ]; then
	OBJ=${OBJ:-$BUILD/obj-debug$TREE_SUFFIX}
	KCONFIG_EXTRA=${KCONFIG_EXTRA:-$TOP/scripts/config/debug.config}
fi
OBJ=${OBJ:-$BUILD/obj$TREE_SUFFIX}
if [ "$OBJ" = "$BUILD/obj" ]; then
	VARIANT=
else
	VARIANT=${OBJ##*/}
	VARIANT=-${VARIANT#obj-}
fi
KSELFTEST_DIR=$BUILD/kselftest$VARIANT

export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
# Depend mode: on a miss ccache runs the compiler once and takes the
# headers from its -MMD file (kbuild passes -Wp,-MMD), instead of running
# the preprocessor first to hash its output. A hit is found as in direct
# mode. Measured on a kernel object: a miss costs 1.25 s of CPU in the
# default mode, 0.8 s in depend mode, the same as gcc alone; a fresh
# machine, where every object misses, builds its kernels that much sooner.
# CCACHE_NODEPEND=1 (ccache's own switch) goes back to the default.
[ -n "${CCACHE_NODEPEND:-}" ] || export CCACHE_DEPEND=1
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2024-01-01}
export KBUILD_BUILD_USER=quic KBUILD_BUILD_HOST=offload

die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo "==> $*" >&2
}

# Run as root, or through sudo when it is there without a password.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		die "this step needs root (or password-less sudo): $*"
	fi
}

# A stamp file records the hash of what a step was built from, so that a
# re-run skips steps whose inputs did not change.
stamp_ok() {	# name hash
	[ -f "$BUILD/stamps/$1" ] && [ "$(cat "$BUILD/stamps/$1")" = "$2" ]
}

stamp_set() {	# name hash
	mkdir -p "$BUILD/stamps"
	echo "$2" >"$BUILD/stamps/$1"
}

hash_files() {
	cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1
}

# Whether QEMU can run a guest under KVM here: VM_KVM=1 or 0 decides,
# otherwise (auto) /dev/kvm must be there and QEMU must be able to set up
# a vCPU as virtme-ng asks for one (-cpu host). A /dev/kvm alone is not
# enough: a PVM host (kvm_pvm, a sandbox without hardware virtualisation)
# offers one that aborts QEMU on the first MSR write of -cpu host. The
# probe creates the machine stopped (-S) and quits at once: 0.1 s.
kvm_usable() {
	case ${VM_KVM:-auto} in
	1) return 0 ;;
	0) return 1 ;;
	esac
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	# (a subshell, so that bash's "Aborted" report is silenced too)
	(echo quit | timeout 20 qemu-system-x86_64 -accel kvm -cpu host \
		-display none -nodefaults -S -monitor stdio >/dev/null 2>&1) 2>/dev/null
}

# Fetch usr/src/PKG.tar.xz out of Debian package PKG at version VER, with
# apt-get download through the system's own mirror, into OUT. Nothing is
# installed; what apt said goes to LOG.
deb_tarball() {	# pkg version out log
	local tmp deb
	tmp=$(mktemp -d "$(dirname "$3")/deb.XXXXXX") || return 1
	if ! (cd "$tmp" && apt-get download -qq "$1=$2") >"$4" 2>&1; then
		rm -rf "$tmp"
		return 1
	fi
	deb=$(ls "$tmp"/*.deb)
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$1.tar.xz" >"$3.tmp" &&
		mv "$3.tmp" "$3"
	local rc=$?
	rm -rf "$tmp" "$3.tmp"
	return "$rc"
}

# deb-src entries for the bookworm suites only, on the mirrors apt uses for
# them now (the main archive and, where configured, the security one): for
# apt-get source (qemu's plugin header, iproute2)
APT_SRC_SOURCES=/etc/apt/sources.list.d/quic-offload-src.sources
add_deb_src() {
	local m line
	# shellcheck disable=SC2016 # apt's own $(...) fields
	m=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(LABEL)' |
		awk '($2 == "bookworm" || $2 == "bookworm-updates") && $3 == "Debian" { print $1 " " $2 }
		     $2 == "bookworm-security" && $3 == "Debian-Security" { print $1 " " $2 }' | sort -u)
	[ -n "$m" ] || die "cannot find the Debian bookworm mirror in the apt configuration"
	note "adding deb-src entries for bookworm"
	while read -r line; do
		printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n' \
			"${line% *}" "${line#* }"
	done <<<"$m" | as_root tee "$APT_SRC_SOURCES" >/dev/null
	mkdir -p "$BUILD"
	# a failed update takes the entries away again (deb_src_for asks apt
	# whether it knows the source package, not whether the file is there)
	if ! as_root apt-get update -qq >"$BUILD/apt-src-update.log" 2>&1; then
		as_root rm -f "$APT_SRC_SOURCES"
		die "apt-get update failed; see $BUILD/apt-src-update.log"
	fi
}

# Make apt know source package PKG: the deb-src entries added (again)
# unless it does already, since an interrupted update leaves entries
# without indexes
deb_src_for() {	# PKG
	[ -z "$(apt-cache showsrc "$1" 2>/dev/null)" ] || return 0
	add_deb_src
	[ -n "$(apt-cache showsrc "$1" 2>/dev/null)" ] ||
		die "no source package $1 in $APT_SRC_SOURCES's suites"
}
