# SPDX-License-Identifier: GPL-2.0
#
# Debian's Chromium, headless, as an HTTP/3 client of qo-server: sourced by
# interop-guest.sh (the chromium-qo cases) and demo-guest.sh; never run.
#
#	chromium_page DIR
#		writes DIR/chromium.html: a page whose script fetches the
#		file its query names (?file=/PATH), computes its SHA-256 with
#		crypto.subtle, shows the result and keeps it in the promise
#		window.qoResult
#	chromium_get NS ADDR PORT CERT PATH OUTDIR [TIMEOUT]
#		loads that page from https://ADDR:PORT/ in namespace NS, the
#		origin forced to QUIC and CERT accepted by its key's hash;
#		OUTDIR gets chromium.result (KEY=VALUE lines of
#		chromium-cdp.py: sha256, bytes, seconds, page_protocol,
#		file_protocol, browser, or error), chromium.log (the
#		browser's stderr) and screenshot.png (the page once its
#		script finished)
#	chromium_client DIR ADDR SIZE
#		interop-guest.sh's client of a chromium-qo case: fetches
#		/dataSIZE into case directory DIR, adds chromium_* lines to
#		DIR/meta
#
# The browser is driven through the DevTools protocol on a pipe
# (chromium-cdp.py): it waits for the page's script in real time, which
# --dump-dom under emulation does not (see there). One run under TCG takes
# 70 to 180 s for 16 MiB, most of it the browser starting. When another VM
# shares the CPUs, it starts so slowly that a child process it starts early
# may give up waiting for its IPC connection ("Terminating current process
# after 15 seconds with no connection"), and chromium.log then says
# "Network service crashed or was terminated, restarting service": the
# browser starts a new one (in the runs seen, before the page was asked
# for), and nothing is lost.

CHROMIUM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHROMIUM=${CHROMIUM:-chromium}
CHROMIUM_ARGS=(
	# the new headless mode; as root, and no GPU in the VM
	--headless --no-sandbox --disable-gpu
	# nothing on the wire but the test origin: no first-run tasks,
	# component updates, safe browsing lists, sync or metrics
	--no-first-run --no-default-browser-check --disable-background-networking
	--disable-component-update --disable-sync --disable-extensions
	--metrics-recording-only --mute-audio
	# what the screenshot shows
	--window-size=1000,560 --hide-scrollbars
)

chromium_page() {	# DIR
	cat >"$1/chromium.html" <<'EOF'
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>quic offload: HTTP/3 from qo-server</title>
<link rel="icon" href="data:,">
<style>
body { font: 16px/1.45 sans-serif; margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.45em; margin: 0 0 .4em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { text-align: left; padding: .25em 1.2em .25em 0; border-bottom: 1px solid #ddd; }
td { font-family: monospace; font-size: 15px; }
#state { font-weight: bold; }
.ok { color: #11681b; }
.fail { color: #b00020; }
</style>
</head>
<body>
<h1>HTTP/3 from qo-server, its 1-RTT crypto in the kernel</h1>
<p>This page and the file below came over QUIC from qo-server, which has the
kernel's quic ULP protect and unprotect its 1-RTT packets. The browser
computed the file's SHA-256 (crypto.subtle).</p>
<table>
<tr><th>page</th><td id="page"></td></tr>
<tr><th>file</th><td id="file"></td></tr>
<tr><th>bytes</th><td id="bytes"></td></tr>
<tr><th>SHA-256</th><td id="sha256"></td></tr>
<tr><th>fetch and hash</th><td id="time"></td></tr>
<tr><th>browser</th><td id="ua"></td></tr>
</table>
<p id="state">fetching ...</p>
<script>
"use strict";
function show(id, text) { document.getElementById(id).textContent = text; }
window.qoResult = (async () => {
	const file = new URLSearchParams(location.search).get("file");
	const url = new URL(file, location.href).href;
	const nav = performance.getEntriesByType("navigation")[0];
	show("page", location.href + " over " + nav.nextHopProtocol);
	show("ua", navigator.userAgent);
	try {
		const t0 = performance.now();
		const r = await fetch(url, { cache: "no-store" });
		if (!r.ok)
			throw new Error("HTTP status " + r.status);
		const body = await r.arrayBuffer();
		const t1 = performance.now();
		const d = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
		const t2 = performance.now();
		const hex = Array.from(d, b => b.toString(16).padStart(2, "0")).join("");
		const res = performance.getEntriesByName(url)[0];
		const proto = res ? res.nextHopProtocol : "?";
		show("file", url + " over " + proto);
		show("bytes", body.byteLength);
		show("sha256", hex);
		show("time", ((t1 - t0) / 1000).toFixed(2) + " s + " +
		     ((t2 - t1) / 1000).toFixed(2) + " s");
		const st = document.getElementById("state");
		st.className = "ok";
		st.textContent = "done: " + body.byteLength + " bytes over " + proto +
			", SHA-256 computed here";
		return { sha256: hex, bytes: body.byteLength,
			 seconds: ((t1 - t0) / 1000).toFixed(3),
			 page_protocol: nav.nextHopProtocol, file_protocol: proto };
	} catch (e) {
		const st = document.getElementById("state");
		st.className = "fail";
		st.textContent = "failed: " + e;
		throw e;
	}
})();
</script>
</body>
</html>
EOF
}

# The base64 SHA-256 of the certificate's SubjectPublicKeyInfo, which
# --ignore-certificate-errors-spki-list takes.
chromium_spki() {	# CERT
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64
}

chromium_get() {	# NS ADDR PORT CERT PATH OUTDIR [TIMEOUT]
	local ns=$1 host=$2 port=$3 cert=$4 path=$5 out=$6 tmo=${7:-300}
	local home spki rc
	case $host in *:*) host="[$host]" ;; esac
	spki=$(chromium_spki "$cert") || return 1
	# A profile and a home of its own: the host's / is read-only in the
	# guest, and Chromium writes its NSS database and caches under $HOME.
	home=$(mktemp -d /tmp/chromium.XXXXXX) || return 1
	# (chromium-cdp.py stops the browser at its own deadline, after 30 s
	# more for a screenshot and 20 s for the browser to close; timeout(1)
	# only catches a hung driver)
	HOME=$home XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache \
	timeout -k 10 $((tmo + 90)) ip netns exec "$ns" python3 "$CHROMIUM_HERE/chromium-cdp.py" \
		--timeout="$tmo" --screenshot="$out/screenshot.png" --log="$out/chromium.log" \
		"https://$host:$port/chromium.html?file=$path" -- \
		"$CHROMIUM" "${CHROMIUM_ARGS[@]}" --user-data-dir="$home/profile" \
		--origin-to-force-quic-on="$host:$port" \
		--ignore-certificate-errors-spki-list="$spki" >"$out/chromium.result"
	rc=$?
	rm -rf "$home"
	return "$rc"
}

chromium_client() {	# DIR ADDR SIZE
	local d=$1 rc
	if ! command -v "$CHROMIUM" >/dev/null; then
		echo "setup=no-chromium" >>"$d/meta"
		return 127
	fi
	chromium_page "$WORK/htdocs"
	chromium_get cli "$2" "$PORT" "$CERT" "/data$3" "$d" "$TIMEOUT"
	rc=$?
	sed 's/^/chromium_/' "$d/chromium.result" >>"$d/meta"
	return "$rc"
}
