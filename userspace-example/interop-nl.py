#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The kernel's own account of an interop case, through the quic-ulp
generic netlink family (Documentation/netlink/specs/quic-ulp.yaml) and the
kernel's YNL command line tool, whose classes and JSON output this uses.
Runs in the network namespace of the endpoint that offloads (scripts/
interop.sh judges what it writes):

    interop-nl.py CLI SPEC OUTDIR [MAX_SECONDS]

CLI is tools/net/ynl/pyynl/cli.py of the kernel tree. In OUTDIR:

  nl-events.json  every notification of the "events" group, as
                  `cli.py --subscribe events --output-json` prints them
  nl-conns.json   the last non-empty `cli.py --dump conn-get`; a dump is
                  taken every 2 s once one has shown a connection; before,
                  as soon as the namespace's packet counters move (read
                  from /proc/net/quic_ulp_stat every 50 ms: a dump costs
                  a quarter of a second of CPU under TCG, and a resumed
                  8 MiB transfer lives for about a second); and after
                  each batch of notifications
  nl-stats.json   `cli.py --do stats-get`, at the end
  nl-ready        created once subscribed: start the transfer then

and on stderr what went wrong, and "dumps N nonempty M events E lost L".

It ends on SIGTERM or SIGINT (reading what notifications are left and
taking a last dump first), or after MAX_SECONDS (default 3600). One
process does it all: a cli.py run costs seconds of CPU under TCG, most of
it Python starting and reading the spec, which would slow the very
transfer it watches if repeated every 2 s.
"""
import errno
import importlib.util
import json
import os
import queue
import selectors
import signal
import socket
import sys
import time

PERIOD = 2.0
POLL = 0.05
STAT = '/proc/net/quic_ulp_stat'


def packets():
    """The namespace's QuicTxPackets + QuicRxPackets, or None"""
    total = None
    try:
        with open(STAT, encoding='ascii') as f:
            for line in f:
                fields = line.split()
                if len(fields) == 2 and fields[0] in ('QuicTxPackets',
                                                      'QuicRxPackets'):
                    total = (total or 0) + int(fields[1])
    except (OSError, ValueError):
        return None
    return total


def main():
    cli_path, spec, out = sys.argv[1:4]
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 3600.0
    t_end = time.monotonic() + limit
    log = sys.stderr

    mod = importlib.util.spec_from_file_location('ynl_cli', cli_path)
    cli = importlib.util.module_from_spec(mod)
    mod.loader.exec_module(cli)

    def dumps(msg):
        return json.dumps(msg, cls=cli.YnlEncoder)

    # The spec is the kernel's own: no schema validation (cli.py --no-schema)
    ev = cli.YnlFamily(spec, schema='')
    ev.ntf_subscribe('events')
    # Room for bursts while this process waits for a CPU under TCG
    try:
        ev.sock.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE
    except OSError:
        ev.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    req = cli.YnlFamily(spec, schema='')

    stop = []
    rfd, wfd = os.pipe()
    os.set_blocking(rfd, False)
    os.set_blocking(wfd, False)
    signal.set_wakeup_fd(wfd)

    def on_signal(_sig, _frame):
        stop.append(1)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    events = open(os.path.join(out, 'nl-events.json'), 'w', encoding='utf-8')
    counts = {'dumps': 0, 'nonempty': 0, 'events': 0, 'lost': 0}

    def read_events():
        try:
            ev.check_ntf()
        except OSError as e:
            if e.errno != errno.ENOBUFS:
                raise
            counts['lost'] += 1
            print('notifications lost: ENOBUFS', file=log, flush=True)
        while True:
            try:
                msg = ev.async_msg_queue.get_nowait()
            except queue.Empty:
                break
            events.write(dumps(msg) + '\n')
            counts['events'] += 1
        events.flush()

    def snapshot():
        """The period until the next dump"""
        try:
            conns = req.dump('conn-get', {})
        except cli.NlError as e:
            print(f'conn-get: {e}', file=log, flush=True)
            return PERIOD
        counts['dumps'] += 1
        if not conns:
            return PERIOD
        counts['nonempty'] += 1
        tmp = os.path.join(out, 'nl-conns.json.tmp')
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(dumps(conns) + '\n')
        os.replace(tmp, os.path.join(out, 'nl-conns.json'))
        return PERIOD

    open(os.path.join(out, 'nl-ready'), 'w', encoding='utf-8').close()
    sel = selectors.DefaultSelector()
    sel.register(ev.sock, selectors.EVENT_READ)
    sel.register(rfd, selectors.EVENT_READ)
    next_dump = time.monotonic()
    seen = packets()
    while not stop and time.monotonic() < t_end:
        if not counts['nonempty']:
            # No connection seen yet: dump as soon as packets flow
            now = packets()
            if now != seen:
                seen = now
                next_dump = time.monotonic()
        if time.monotonic() >= next_dump:
            next_dump = time.monotonic() + snapshot()
        wait = next_dump - time.monotonic()
        if not counts['nonempty']:
            wait = min(wait, POLL)
        for key, _ in sel.select(max(0.0, wait)):
            if key.fd == rfd:
                try:
                    os.read(rfd, 64)
                except BlockingIOError:
                    pass
            else:
                read_events()
                # a notification names a live connection: see it now
                next_dump = time.monotonic()
    read_events()
    snapshot()
    try:
        stats = req.do('stats-get', {})
        with open(os.path.join(out, 'nl-stats.json'), 'w', encoding='utf-8') as f:
            f.write(dumps(stats) + '\n')
    except cli.NlError as e:
        print(f'stats-get: {e}', file=log, flush=True)
    events.close()
    print(' '.join(f'{k} {v}' for k, v in counts.items()), file=log, flush=True)


if __name__ == '__main__':
    main()
