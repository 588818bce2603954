#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Have a headless Chromium load a page and wait for its result.

    chromium-cdp.py [--timeout S] [--screenshot PNG] [--log FILE] URL \\
        -- CHROMIUM [ARG]...

Starts CHROMIUM ARG... --remote-debugging-pipe and drives it through the
DevTools protocol on that pipe (fd 3 into the browser, fd 4 out of it,
messages ended by a NUL byte): a new tab, navigate to URL, wait for its load
event, then wait, in real time, for the promise the page keeps in
window.qoResult, take a screenshot of the page as it then is (also when
the promise failed), close the browser.

Why not --dump-dom and --screenshot: they act at the load event, or once a
--virtual-time-budget ran out, and virtual time runs on while the page's
work is not a network fetch (crypto.subtle.digest runs on another thread):
under emulation the page would be dumped before its script finished.

Prints KEY=VALUE lines: the members of the promise's value (the page's
own measurements) and browser= (the product and version). The protocol's
Network domain is left off: it would copy every response body for a
debugger that never asks.
Exit status 0 when the promise resolved, 1 when it failed or the time ran
out (with the reason as error=), 2 on bad usage.

Written for userspace-example/interop-chromium.sh; needs nothing but
Python's standard library.
"""
import base64
import fcntl
import json
import os
import select
import signal
import sys
import time


class Browser:
    """A browser process and the protocol on its pipe."""

    def __init__(self, argv, log, deadline):
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        # The browser's ends must become fds 3 and 4: move every pipe
        # end above them first, so that no dup2() overwrites another.
        to_r, to_w, from_r, from_w = (
            fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in
            (to_r, to_w, from_r, from_w))
        logfd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.dup2(to_r, 3)
                os.dup2(from_w, 4)
                os.dup2(logfd, 1)
                os.dup2(logfd, 2)
                os.execvp(argv[0], argv + ["--remote-debugging-pipe"])
            finally:
                os._exit(127)
        os.close(logfd)
        os.close(to_r)
        os.close(from_w)
        self.wr, self.rd = to_w, from_r
        self.deadline = deadline
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.wr, data):]
        return self.next_id

    def receive(self):
        """The next message from the browser (None: it closed the pipe)."""
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")
            ready, _, _ = select.select([self.rd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.rd, 1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        """Send a command and return its result; events seen meanwhile are
        kept in self.events."""
        want = self.send(method, params, session)
        while True:
            msg = self.receive()
            if msg is None:
                raise RuntimeError(f"{method}: the browser went away")
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method, session):
        while True:
            for i, ev in enumerate(self.events):
                if ev["method"] == method and ev.get("sessionId") == session:
                    return self.events.pop(i)
            msg = self.receive()
            if msg is None:
                raise RuntimeError(f"waiting for {method}: the browser went away")
            if "method" in msg:
                self.events.append(msg)

    def close(self):
        """Ask the browser to close, and make sure it did within 20 s."""
        try:
            self.send("Browser.close")
        except OSError:
            pass
        end = time.monotonic() + 20
        while time.monotonic() < end:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return
            time.sleep(0.2)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def main(argv):
    timeout, shot, log = 300.0, None, os.devnull
    args = argv[1:]
    try:
        while args and args[0].startswith("--") and args[0] != "--":
            opt, _, val = args.pop(0).partition("=")
            if opt == "--timeout":
                timeout = float(val)
            elif opt == "--screenshot":
                shot = val
            elif opt == "--log":
                log = val
            else:
                raise ValueError(opt)
        url = args.pop(0)
        if args.pop(0) != "--" or not args:
            raise ValueError("no browser command")
    except (IndexError, ValueError):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2

    b = Browser(args, log, time.monotonic() + timeout)
    ok, s, loaded = False, None, False
    try:
        print("browser=" + b.call("Browser.getVersion").get("product", "?"))
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.call("Target.attachToTarget",
                   {"targetId": target, "flatten": True})["sessionId"]
        b.call("Page.enable", session=s)
        nav = b.call("Page.navigate", {"url": url}, s)
        if nav.get("errorText"):
            raise RuntimeError(f"navigation: {nav['errorText']}")
        b.wait_event("Page.loadEventFired", s)
        loaded = True
        r = b.call("Runtime.evaluate", {"expression": "window.qoResult",
                                        "awaitPromise": True,
                                        "returnByValue": True}, s)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise RuntimeError("page: " + d.get("exception", {}).get(
                "description", d.get("text", "?")).splitlines()[0])
        value = r.get("result", {}).get("value")
        if not isinstance(value, dict):
            raise RuntimeError("page: window.qoResult is no object")
        for k, v in value.items():
            print(f"{k}={v}")
        ok = True
    except (RuntimeError, TimeoutError, OSError, KeyError) as e:
        print(f"error={e}")
    try:
        # the page as it ended, done or failed (or still waiting: 30 s
        # more for the picture then)
        if shot and loaded:
            b.deadline = max(b.deadline, time.monotonic() + 30)
            png = b.call("Page.captureScreenshot", {"format": "png"}, s)
            with open(shot, "wb") as f:
                f.write(base64.b64decode(png["data"]))
    except (RuntimeError, TimeoutError, OSError, KeyError) as e:
        if ok:
            print(f"error=screenshot: {e}")
        ok = False
    finally:
        b.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
