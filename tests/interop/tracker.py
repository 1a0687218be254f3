"""
A bootstrap server ("tracker") built on pyipv8 3.2.1's public classes, behaving as spec section 11.4
describes (py-ipv8's scripts/tracker_service.py is not in the wheel, so this is our own implementation).

Used by py_tracker.py (real UDP on loopback) and by benches/pyipv8 (simulated endpoint, virtual time).
It works with any pyipv8 Endpoint.
"""
from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

from ipv8.community import Community
from ipv8.keyvault.crypto import default_eccrypto
from ipv8.messaging.interfaces.udp.endpoint import UDPv4LANAddress
from ipv8.messaging.payload import IntroductionRequestPayload, IntroductionResponsePayload
from ipv8.peer import Peer
from ipv8.peerdiscovery.churn import RandomChurn
from ipv8.peerdiscovery.network import Network
from ipv8.requestcache import NumberCacheWithName, RequestCache

OLD_INTRO_REQUEST = 246
OLD_INTRO_RESPONSE = 245


class TrackerLivenessPing(NumberCacheWithName):
    """Outstanding liveness ping (an introduction-request) to one peer for one of its services; 5 s."""

    name = "tracker-liveness"

    def __init__(self, cache: RequestCache, number: int, network: Network, peer: Peer, service: bytes) -> None:
        super().__init__(cache, self.name, number)
        self.network = network
        self.peer = peer
        self.service = service

    @property
    def timeout_delay(self) -> float:
        return 5.0

    def on_timeout(self) -> None:
        """No answer for this service: forget the service; forget the peer once it has none left."""
        drop_service(self.network, self.peer, self.service)


def drop_service(network: Network, peer: Peer, service: bytes) -> None:
    """Remove ``service`` from ``peer``'s service set and the peer itself when the set becomes empty."""
    services = network.get_services_for_peer(peer)
    services.discard(service)
    if not services:
        network.remove_peer(peer)


class TrackerLiveness(RandomChurn):
    """RandomChurn (sample 8, 10 / 27.5 / 57.5 s) plus a cap: above ``max_peers`` the oldest peers go."""

    def __init__(self, overlay: TrackerCommunity, max_peers: int = 100) -> None:
        super().__init__(overlay, sample_size=8, ping_interval=10.0, inactive_time=27.5, drop_time=57.5)
        self.max_peers = max_peers

    def take_step(self) -> None:
        super().take_step()
        verified = self.overlay.network.verified_peers
        if len(verified) > self.max_peers:
            by_age = sorted(verified, key=lambda p: p.creation_time)
            for peer in by_age[:len(by_age) - self.max_peers]:
                self.overlay.network.remove_peer(peer)


class TrackerCommunity(Community):
    """
    Answers old-style introduction-requests (id 246) under *any* 22-byte prefix, registering the sender as
    serving that prefix's service id and introducing it to another registered peer of the same service.

    ``clock`` is the time source for last_response stamps (wall clock by default).
    ``on_request`` (optional) is called as on_request(source_address, service_id, public_key_bin).
    """

    community_id = os.urandom(20)  # never used on the wire

    def __init__(self, endpoint, clock: Callable[[], float] = time.time,  # noqa: ANN001
                 on_request: Callable[[object, bytes, bytes], None] | None = None,
                 rng: random.Random | None = None, churn_interval: float = 10.0) -> None:
        my_peer = Peer(default_eccrypto.generate_key("very-low"))  # sect163k1, fresh on every start
        super().__init__(self.settings_class(my_peer=my_peer, endpoint=endpoint, network=Network()))
        self.clock = clock
        self.on_request = on_request
        self.rng = rng or random.Random()
        self.request_cache = RequestCache()
        # Hear every datagram, whatever its prefix (the Community constructor only registered our own prefix).
        self.endpoint.add_listener(self)
        self.liveness = TrackerLiveness(self)
        self.register_task("tracker liveness", self.liveness.take_step, interval=churn_interval)

    # -- receiving ---------------------------------------------------------------------------------------

    def on_packet(self, packet, warn_unknown: bool = False) -> None:  # noqa: ANN001
        source_address, data = packet
        known = self.network.get_verified_by_address(source_address)
        if known is not None:
            known.last_response = self.clock()
        if len(data) < 23:
            return
        try:
            if data[22] == OLD_INTRO_REQUEST:
                self.handle_request(source_address, data)
            elif data[22] == OLD_INTRO_RESPONSE:
                self.handle_response(source_address, data)
        except Exception as e:  # a bad packet must never take the tracker down
            self.logger.debug("dropped packet from %s: %s", source_address, e)

    def handle_request(self, source_address, data: bytes) -> None:  # noqa: ANN001
        prefix = data[:22]
        service_id = prefix[2:]
        auth, _dist, request = self._ez_unpack_auth(IntroductionRequestPayload, data)  # raises if invalid
        peer = Peer(auth.public_key_bin, source_address)
        peer.address = UDPv4LANAddress(*request.source_lan_address)
        peer.last_response = self.clock()
        if self.on_request is not None:
            self.on_request(source_address, service_id, auth.public_key_bin)

        self.network.add_verified_peer(peer)
        self.network.discover_services(peer, [service_id])

        others = [p for p in self.network.get_peers_for_service(service_id) if p != peer]
        introduce = self.rng.choice(others) if others else None
        # create_introduction_response also sends the puncture-request to the introduced peer (same prefix).
        response = self.create_introduction_response(request.destination_address, peer.address,
                                                     request.identifier, introduction=introduce, prefix=prefix)
        self.endpoint.send(peer.address, response)

    def handle_response(self, source_address, data: bytes) -> None:  # noqa: ANN001
        auth, _dist, response = self._ez_unpack_auth(IntroductionResponsePayload, data)
        if not self.request_cache.has(TrackerLivenessPing, response.identifier):
            return
        self.request_cache.pop(TrackerLivenessPing, response.identifier)
        if response.peer_limit_reached:
            drop_service(self.network, Peer(auth.public_key_bin, source_address), data[2:22])

    # -- sending -----------------------------------------------------------------------------------------

    def send_ping(self, peer: Peer) -> None:
        """Liveness ping (called by the churn strategy): an old-style request under one of its services."""
        services = sorted(self.network.get_services_for_peer(peer))
        if not services:
            return
        service = self.rng.choice(services)
        request = self.create_introduction_request(peer.address, prefix=b"\x00" + self.version + service)
        # Keyed by the full global time while the wire identifier is that value mod 65536 (spec 11.4 quirk).
        self.request_cache.add(TrackerLivenessPing(self.request_cache, self.global_time, self.network, peer,
                                                   service))
        self.endpoint.send(peer.address, request)

    def get_peer_for_introduction(self, exclude: Peer | None = None, new_style: bool = False) -> None:
        """We always pass the introduced peer explicitly; never pick one from our own (fake) community."""
        return None

    async def unload(self) -> None:
        await self.request_cache.shutdown()
        await super().unload()
