#!/usr/bin/env python3
"""
One py-ipv8 (pyipv8 3.2.1) peer on 127.0.0.1:<port> for interop tests.

stdout: JSON lines (ready / peer / message / peers / sent / error / exit); stdin: commands
``peers``, ``send <hex public key>``, ``quit``. Exits by itself after --timeout seconds.
See tests/interop/README.md for the protocol.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from binascii import hexlify, unhexlify

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from interop_community import InteropCommunity, emit  # noqa: E402

from ipv8.bootstrapping.dispersy.bootstrapper import DispersyBootstrapper  # noqa: E402
from ipv8.keyvault.crypto import default_eccrypto  # noqa: E402
from ipv8.messaging.interfaces.udp.endpoint import UDPEndpoint, UDPv4Address  # noqa: E402
from ipv8.peer import Peer  # noqa: E402
from ipv8.peerdiscovery.discovery import RandomWalk  # noqa: E402
from ipv8.peerdiscovery.network import Network  # noqa: E402


def parse_addr(text: str) -> tuple[str, int]:
    """Parse ``IP:PORT`` (IPv4 only)."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected IP:PORT, got {text!r}")
    return host, int(port)


def load_key(path: str | None):  # noqa: ANN201
    """A curve25519 key: from ``path`` (raw private key bin, py-ipv8's key-file format) or fresh in memory.

    A missing file is created with a fresh key, so a later run reuses the same identity.
    """
    if path and os.path.isfile(path):
        with open(path, "rb") as f:
            return default_eccrypto.key_from_private_bin(f.read())
    key = default_eccrypto.generate_key("curve25519")
    if path:
        with open(path, "wb") as f:
            f.write(key.key_to_bin())
    return key


class PeerProcess:
    """Owns the endpoint, the overlay, the walker loop and the stdin/stdout protocol."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.done = asyncio.Event()
        self.reported: set[bytes] = set()
        self.endpoint: UDPEndpoint | None = None
        self.overlay: InteropCommunity | None = None

    async def start(self) -> None:
        args = self.args
        self.endpoint = UDPEndpoint(port=args.port, ip="127.0.0.1")
        await self.endpoint.open()
        port = self.endpoint.get_address()[1]
        my_peer = Peer(load_key(args.key_file))
        settings = InteropCommunity.settings_class(my_peer=my_peer, endpoint=self.endpoint, network=Network())
        self.overlay = InteropCommunity(settings)
        # On loopback py-ipv8 would guess a LAN address for us and treat both peers as behind one NAT:
        # pin both estimates to the address we really use.
        me = UDPv4Address("127.0.0.1", port)
        self.overlay.my_estimated_lan = me
        self.overlay.my_estimated_wan = me
        if args.bootstrap:
            self.overlay.bootstrappers.append(DispersyBootstrapper(ip_addresses=args.bootstrap, dns_addresses=[]))
        self.walker = RandomWalk(self.overlay, timeout=3.0)
        emit({"event": "ready", "port": port,
              "public_key": hexlify(my_peer.public_key.key_to_bin()).decode(),
              "mid": hexlify(my_peer.mid).decode()})

    async def walk_loop(self) -> None:
        """py-ipv8's IPv8.on_tick in miniature: one walker, target --target-peers, every --walker-interval."""
        overlay = self.overlay
        while True:
            for addr in self.args.walk_to:
                if not overlay.network.get_verified_by_address(UDPv4Address(*addr)):
                    overlay.walk_to(UDPv4Address(*addr))
            if len(overlay.get_peers()) < self.args.target_peers:
                self.walker.take_step()
            await asyncio.sleep(self.args.walker_interval)

    async def peer_loop(self) -> None:
        """Poll the overlay's verified peers and report each new one once."""
        while True:
            for peer in self.overlay.get_peers():
                key = peer.public_key.key_to_bin()
                if key not in self.reported:
                    self.reported.add(key)
                    emit({"event": "peer", "public_key": hexlify(key).decode(),
                          "address": [peer.address[0], peer.address[1]]})
            await asyncio.sleep(0.05)

    def on_command(self, line: str) -> None:
        parts = line.split()
        if not parts:
            return
        cmd = parts[0]
        if cmd == "peers":
            emit({"event": "peers", "peers": [
                {"public_key": hexlify(p.public_key.key_to_bin()).decode(), "address": [p.address[0], p.address[1]]}
                for p in self.overlay.get_peers()]})
        elif cmd == "send" and len(parts) == 2:
            try:
                key = unhexlify(parts[1])
            except ValueError:
                emit({"event": "error", "error": "bad hex public key"})
                return
            peer = self.overlay.network.get_verified_by_public_key_bin(key)
            if peer is None:
                emit({"event": "error", "error": "unknown peer", "public_key": parts[1]})
                return
            self.overlay.send_test_message(peer)
            emit({"event": "sent", "public_key": parts[1], "address": [peer.address[0], peer.address[1]]})
        elif cmd == "quit":
            self.done.set()
        else:
            emit({"event": "error", "error": f"unknown command {line.strip()!r}"})

    def attach_stdin(self) -> None:
        loop = asyncio.get_running_loop()
        buf = bytearray()

        def readable() -> None:
            chunk = os.read(sys.stdin.fileno(), 4096)
            if not chunk:  # EOF: stop reading, keep running until quit/timeout
                loop.remove_reader(sys.stdin.fileno())
                return
            buf.extend(chunk)
            while b"\n" in buf:
                line, _, rest = bytes(buf).partition(b"\n")
                buf[:] = rest
                self.on_command(line.decode(errors="replace"))

        try:
            loop.add_reader(sys.stdin.fileno(), readable)
        except (OSError, ValueError, NotImplementedError):
            pass  # stdin not pollable (e.g. a regular file): commands unavailable

    async def run(self) -> str:
        await self.start()
        self.attach_stdin()
        tasks = [asyncio.ensure_future(self.walk_loop()), asyncio.ensure_future(self.peer_loop())]
        reason = "quit"
        try:
            await asyncio.wait_for(self.done.wait(), timeout=self.args.timeout)
        except asyncio.TimeoutError:
            reason = "timeout"
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.overlay.unload()
        self.endpoint.close()
        return reason


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=0, help="UDP port on 127.0.0.1 (0 = any free port)")
    p.add_argument("--key-file", default=None,
                   help="private key bin file (created with a fresh curve25519 key if missing); default in memory")
    p.add_argument("--bootstrap", type=parse_addr, action="append", default=[],
                   help="IP:PORT of a bootstrap server (DispersyBootstrapper); repeatable")
    p.add_argument("--walk-to", type=parse_addr, action="append", default=[],
                   help="IP:PORT of a peer to send introduction-requests to until it is verified; repeatable")
    p.add_argument("--target-peers", type=int, default=20, help="RandomWalk target peer count")
    p.add_argument("--walker-interval", type=float, default=0.5)
    p.add_argument("--timeout", type=float, default=60.0, help="exit after this many seconds")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    reason = asyncio.run(PeerProcess(args).run())
    emit({"event": "exit", "reason": reason})
    return 0


if __name__ == "__main__":
    sys.exit(main())
