"""
An in-process simulated network for pyipv8 3.2.1 endpoints (spec section 12, "SimulationEndpoint").

* ``SimNetwork`` is the "internet": a dict address -> endpoint, a seeded address generator and a
  packet counter.
* ``SimEndpoint`` is a pyipv8 ``Endpoint``: ``send`` schedules delivery on the running loop after the
  link latency (0 by default: ``call_soon``, i.e. the next loop iteration; otherwise ``call_later``),
  with source = the sender's WAN address. Sending to an unknown address raises (as py-ipv8's mock
  endpoint does), sending while closed is a no-op, delivery happens only while the receiver is open.
"""
from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from ipv8.messaging.interfaces.endpoint import Endpoint
from ipv8.messaging.interfaces.lan_addresses.interfaces import get_lan_addresses
from ipv8.messaging.interfaces.udp.endpoint import UDPv4Address


class SimNetwork:
    """Address registry + counters shared by all endpoints of one simulation."""

    def __init__(self, rng: random.Random, latency: Callable[[object, object], float] | None = None) -> None:
        self.rng = rng
        self.hosts: dict[UDPv4Address, SimEndpoint] = {}
        self.latency = latency  # (from_address, to_address) -> seconds; None = zero latency
        self.packets_sent = 0
        self.bytes_sent = 0
        self._real_lan = set(get_lan_addresses())

    def fresh_address(self) -> UDPv4Address:
        """A random unused IPv4 address:port outside private/loopback ranges and not on this machine."""
        while True:
            a, b, c, d = (self.rng.randint(1, 254) for _ in range(4))
            if a in (10, 127) or (a == 172 and 16 <= b <= 31) or (a == 192 and b == 168) or a >= 224:
                continue
            addr = UDPv4Address(f"{a}.{b}.{c}.{d}", self.rng.randint(1024, 65535))
            if addr not in self.hosts and addr[0] not in self._real_lan:
                return addr


class SimEndpoint(Endpoint):
    """A pyipv8 Endpoint on a ``SimNetwork``; LAN and WAN address are the same generated address."""

    def __init__(self, net: SimNetwork) -> None:
        super().__init__()
        self.net = net
        self.wan_address = net.fresh_address()
        self.lan_address = self.wan_address
        net.hosts[self.wan_address] = self
        self._open = False

    async def open(self) -> bool:
        self._open = True
        return True

    def close(self) -> None:
        self._open = False

    def is_open(self) -> bool:
        return self._open

    def assert_open(self) -> None:
        assert self._open  # noqa: S101

    def get_address(self) -> UDPv4Address:
        return self.wan_address

    def reset_byte_counters(self) -> None:
        pass

    def send(self, socket_address, packet: bytes) -> None:  # noqa: ANN001
        if not self._open:
            return
        target = self.net.hosts.get(socket_address)
        if target is None:
            msg = f"simulated send to unregistered address {socket_address!r}"
            raise AssertionError(msg)
        self.net.packets_sent += 1
        self.net.bytes_sent += len(packet)
        loop = asyncio.get_running_loop()
        delay = self.net.latency(self.wan_address, socket_address) if self.net.latency else 0.0
        if delay > 0:
            loop.call_later(delay, target.deliver, (self.wan_address, packet))
        else:
            loop.call_soon(target.deliver, (self.wan_address, packet))

    def deliver(self, packet: tuple) -> None:
        if self._open:
            self.notify_listeners(packet)
