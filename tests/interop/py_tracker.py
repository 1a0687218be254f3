#!/usr/bin/env python3
"""
A py-ipv8 (pyipv8 3.2.1) bootstrap server on 127.0.0.1:<port> for interop tests (spec section 11.4).

stdout: JSON lines ``ready`` (port, public key, mid), ``request`` (source, service id, requester key),
``exit``. stdin: ``quit``. Exits after --timeout seconds. See tests/interop/README.md.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from binascii import hexlify

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from interop_community import emit  # noqa: E402
from tracker import TrackerCommunity  # noqa: E402

from ipv8.messaging.interfaces.udp.endpoint import UDPEndpoint, UDPv4Address  # noqa: E402


async def run(args: argparse.Namespace) -> str:
    endpoint = UDPEndpoint(port=args.port, ip="127.0.0.1")
    await endpoint.open()
    port = endpoint.get_address()[1]

    def on_request(source, service_id: bytes, key: bytes) -> None:  # noqa: ANN001
        emit({"event": "request", "source": [source[0], source[1]], "service": hexlify(service_id).decode(),
              "public_key": hexlify(key).decode()})

    tracker = TrackerCommunity(endpoint, on_request=on_request)
    me = UDPv4Address("127.0.0.1", port)
    tracker.my_estimated_lan = me
    tracker.my_estimated_wan = me
    emit({"event": "ready", "port": port,
          "public_key": hexlify(tracker.my_peer.public_key.key_to_bin()).decode(),
          "mid": hexlify(tracker.my_peer.mid).decode()})
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def readable() -> None:
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:
            loop.remove_reader(sys.stdin.fileno())
        elif b"quit" in chunk:
            done.set()

    try:
        loop.add_reader(sys.stdin.fileno(), readable)
    except (OSError, ValueError, NotImplementedError):
        pass
    reason = "quit"
    try:
        await asyncio.wait_for(done.wait(), timeout=args.timeout)
    except asyncio.TimeoutError:
        reason = "timeout"
    await tracker.unload()
    endpoint.close()
    return reason


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=0, help="UDP port on 127.0.0.1 (0 = any free port)")
    p.add_argument("--timeout", type=float, default=60.0, help="exit after this many seconds")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    reason = asyncio.run(run(args))
    emit({"event": "exit", "reason": reason})
    return 0


if __name__ == "__main__":
    sys.exit(main())
