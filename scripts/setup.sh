#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the build, the tests, the demo and the benchmarks need,
# from Debian only, through the mirror this system's apt already uses:
#   bookworm            the base system, the kernel source, build tools, QEMU
#   bookworm-backports  ngtcp2 / nghttp3 1.x (library, headers, gtls examples)
#   trixie              virtme-ng 1.35 only; everything else is pinned away
# Idempotent: a second run with nothing to do returns in a second.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

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
)
APT_SOURCES=/etc/apt/sources.list.d/quic-offload.sources
APT_PREFS=/etc/apt/preferences.d/quic-offload

all_installed() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null) || return 1
	[ "$(grep -c '^installed$' <<<"$st")" = "${#PACKAGES[@]}" ]
}

[ -r /etc/os-release ] || die "unsupported system: no /etc/os-release (Debian 12 needed)"
. /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ] ||
	die "unsupported distribution ${PRETTY_NAME:-unknown}: these scripts need Debian 12 (bookworm)"

if all_installed && [ -f "$APT_SOURCES" ]; then
	note "set-up: all packages present"
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found"
[ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null ||
	die "installing packages needs root (or password-less sudo); run: sudo $0"

# The mirror is whatever serves bookworm to this system now; no host name
# is written anywhere but in the apt configuration we derive from it.
mirror=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(LABEL)' |
	awk '$2 == "bookworm" && $3 == "Debian" { print $1; exit }')
[ -n "$mirror" ] || die "cannot find the Debian bookworm mirror in the apt configuration"

note "set-up: adding bookworm-backports and (pinned) trixie from $mirror"
as_root tee "$APT_SOURCES" >/dev/null <<EOF
Types: deb
URIs: $mirror
Suites: bookworm-backports trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
as_root tee "$APT_PREFS" >/dev/null <<'EOF'
# Nothing comes from trixie but virtme-ng, which is architecture-independent.
Package: *
Pin: release n=trixie
Pin-Priority: -10

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
