#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the build, the tests, the demo and the benchmarks need,
# from Debian only, through the mirror this system's apt already uses:
#   bookworm            the base system, the kernel source, build tools, QEMU
#   bookworm-backports  ngtcp2 / nghttp3 1.x (library, headers, gtls examples)
#   trixie              virtme-ng 1.35 only; everything else is pinned away
# Idempotent: a second run with nothing to do returns in a second.
#
#   scripts/setup.sh [--qemu-plugin-api]
#
# --qemu-plugin-api also puts QEMU's plugin API header, qemu-plugin.h, of
# the installed qemu-system-x86's own source version into
# $BUILD/qemu-plugin-api/ (for the instruction-accounting benchmark,
# scripts/bench-insn.sh): Debian ships the header in no binary package, so
# it comes from the qemu source package (`apt-get source`, through a
# deb-src entry for the bookworm suites of the mirror apt already uses).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

want_plugin_api=
case ${1:-} in
--qemu-plugin-api) want_plugin_api=1 ;;
'') ;;
*) die "usage: $0 [--qemu-plugin-api]" ;;
esac

PACKAGES=(
	# the base tree and what building a kernel needs
	linux-source-6.12 build-essential flex bison bc libelf-dev libssl-dev
	dwarves cpio rsync ccache kmod git xz-utils python3 sparse
	# booting it
	qemu-system-x86 udev virtme-ng python3-argcomplete python3-requests
	python3-pkg-resources
	# tests and tools inside the guest, and the interop judge on the host
	iproute2 ethtool tshark procps openssl python3-cryptography
	# userspace QUIC: ngtcp2 + nghttp3 1.x with GnuTLS, OpenSSL 3
	libngtcp2-dev libngtcp2-crypto-gnutls-dev libnghttp3-dev ngtcp2-client
	ngtcp2-server libgnutls28-dev pkg-config
	# fuzzing and sanitizers, plots
	clang libclang-rt-14-dev gnuplot-nox jq python3-docutils
	# a browser as an HTTP/3 client (interop-chromium.sh), and the fonts
	# its screenshot's text needs (only recommended by chromium-common)
	chromium fonts-liberation
	# the library's man page, checked by check-install.sh
	groff-base man-db
	# the kernel's YNL CLI (tools/net/ynl) in the netlink selftest
	python3-yaml python3-jsonschema
)
APT_SOURCES=/etc/apt/sources.list.d/quic-offload.sources
APT_PREFS=/etc/apt/preferences.d/quic-offload
PLUGIN_API=$BUILD/qemu-plugin-api

all_installed() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null) || return 1
	[ "$(grep -c '^installed$' <<<"$st")" = "${#PACKAGES[@]}" ]
}

[ -r /etc/os-release ] || die "unsupported system: no /etc/os-release (Debian 12 needed)"
. /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ] ||
	die "unsupported distribution ${PRETTY_NAME:-unknown}: these scripts need Debian 12 (bookworm)"

# The mirror is whatever serves bookworm to this system now; no host name
# is written anywhere but in the apt configuration we derive from it.
debian_mirror() {
	apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(LABEL)' |
		awk '$2 == "bookworm" && $3 == "Debian" { print $1; exit }'
}

install_packages() {
	command -v apt-get >/dev/null || die "apt-get not found"
	[ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null ||
		die "installing packages needs root (or password-less sudo); run: sudo $0"

	local mirror
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || die "cannot find the Debian bookworm mirror in the apt configuration"

	note "set-up: adding bookworm-backports and (pinned) trixie, trixie-backports from $mirror"
	as_root tee "$APT_SOURCES" >/dev/null <<EOF
Types: deb
URIs: $mirror
Suites: bookworm-backports trixie trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	as_root tee "$APT_PREFS" >/dev/null <<'EOF'
# Nothing comes from trixie but virtme-ng, which is architecture-independent.
Package: *
Pin: release n=trixie
Pin-Priority: -10

# trixie-backports is read for the primary base's linux-source-7.*, which
# scripts/prepare-tree.sh fetches with apt-get download: never installed.
Package: *
Pin: release n=trixie-backports
Pin-Priority: -1

Package: virtme-ng
Pin: release n=trixie
Pin-Priority: 500

# ngtcp2 and nghttp3 1.x come from bookworm-backports.
Package: libngtcp2* ngtcp2-* libnghttp3*
Pin: release n=bookworm-backports
Pin-Priority: 600
EOF

	note "set-up: apt-get update"
	as_root apt-get update -qq >"$TOP/.apt-update.log" 2>&1 ||
		die "apt-get update failed (no network to the package mirror?); see .apt-update.log"
	grep -q '^[EW]: ' "$TOP/.apt-update.log" &&
		die "apt-get update reported errors (mirror unreachable?): $(grep -m1 '^[EW]: ' "$TOP/.apt-update.log")"
	rm -f "$TOP/.apt-update.log"

	note "set-up: installing ${#PACKAGES[@]} packages"
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		as_root debconf-set-selections
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${PACKAGES[@]}" >"$TOP/.apt-install.log" 2>&1 ||
		die "apt-get install failed: $(grep -m1 '^E: ' "$TOP/.apt-install.log")"
	rm -f "$TOP/.apt-install.log"
	all_installed || die "packages missing after installation"
	note "set-up: done"
}

# qemu-plugin.h of the qemu source version the installed qemu-system-x86
# was built from (a binNMU such as +b3 has its source's version), so that
# a plugin is compiled against the API the emulator exports. Only the
# header is taken out of the upstream tarball, rather than unpacking all
# of QEMU; a Debian patch that changed it would stop this, saying so.
qemu_plugin_api() {
	local src ver want tmp p
	src=$(dpkg-query -W -f='${source:Package} ${source:Version}' qemu-system-x86 2>/dev/null) ||
		die "qemu-system-x86 is not installed; run $0 first"
	read -r src ver <<<"$src"
	want="$src $ver"
	if [ -f "$PLUGIN_API/qemu-plugin.h" ] && [ "$(cat "$PLUGIN_API/version" 2>/dev/null)" = "$want" ]; then
		note "set-up: qemu-plugin.h of $want present"
		return 0
	fi
	deb_src_for "$src"
	mkdir -p "$BUILD"
	tmp=$(mktemp -d "$BUILD/qemu-src.XXXXXX")
	note "set-up: apt-get source --download-only $src=$ver (for qemu-plugin.h)"
	if ! (cd "$tmp" && apt-get source -qq --download-only "$src=$ver") >"$BUILD/apt-source.log" 2>&1; then
		rm -rf "$tmp"
		die "apt-get source $src=$ver failed: $(grep -m1 '^E: ' "$BUILD/apt-source.log")"
	fi
	mkdir -p "$tmp/src"
	# the upstream tarball has one top directory; keep only the header
	tar -C "$tmp/src" --strip-components=1 --wildcards -xf "$tmp"/*.orig.tar.* \
		'*/include/qemu/qemu-plugin.h' ||
		die "no include/qemu/qemu-plugin.h in the $src source tarball"
	tar -C "$tmp/src" -xf "$tmp"/*.debian.tar.* debian/patches 2>/dev/null || true
	if [ -f "$tmp/src/debian/patches/series" ]; then
		grep -v '^[[:space:]]*#' "$tmp/src/debian/patches/series" | while read -r p _; do
			[ -n "$p" ] || continue
			grep -q '^+++ [^[:space:]]*include/qemu/qemu-plugin.h' "$tmp/src/debian/patches/$p" || continue
			# none does in 7.2+dfsg-7+deb12u18; say so rather than guess
			die "Debian's $p changes qemu-plugin.h: apply it by hand to $tmp/src"
		done
	fi
	mkdir -p "$PLUGIN_API"
	install -m 0644 "$tmp/src/include/qemu/qemu-plugin.h" "$PLUGIN_API/qemu-plugin.h"
	echo "$want" >"$PLUGIN_API/version"
	rm -rf "$tmp"
	note "set-up: $PLUGIN_API/qemu-plugin.h ($want)"
}

# (a machine set up before trixie-backports was added is set up again)
if all_installed && grep -qw trixie-backports "$APT_SOURCES" 2>/dev/null; then
	note "set-up: all packages present"
else
	install_packages
fi
[ -z "$want_plugin_api" ] || qemu_plugin_api
