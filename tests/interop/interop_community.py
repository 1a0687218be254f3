"""
Shared definitions for the py-ipv8 interop helpers (py_peer.py, selftest.py).

Everything here is written against pyipv8 3.2.1's public classes; the Rust side mirrors the
community id and the message layout documented in tests/interop/README.md.
"""
from __future__ import annotations

import json
import sys
from binascii import hexlify

from ipv8.community import Community, CommunitySettings
from ipv8.lazy_community import lazy_wrapper
from ipv8.messaging.lazy_payload import VariablePayload

#: Fixed community id of the interop overlay: the 20 ASCII bytes "ipv8sim interop test".
#: hex 69707638 73696d20 696e7465 726f7020 74657374
INTEROP_COMMUNITY_ID = b"ipv8sim interop test"
assert len(INTEROP_COMMUNITY_ID) == 20

#: Message id of the custom message inside the interop community (ids 231-255 are reserved, spec section 2).
INTEROP_MSG_ID = 1


class InteropMessage(VariablePayload):
    """
    The custom "several datatypes" message, sent with ez_send (signed, no global time; spec section 3.2).

    Wire body (after prefix + id + varlenH public key, before the 64-byte signature) is the fields below
    in order; see tests/interop/README.md for the byte layout.
    """

    msg_id = INTEROP_MSG_ID
    format_list = ["I", "q", "d", "?", "H", "Q", "varlenH", "varlenHutf8", "ipv4", "ip_address",
                   "varlenH-list", "arrayH-q"]
    names = ["counter", "delta", "ratio", "flag", "port", "big", "blob", "text", "v4", "addr",
             "items", "numbers"]


#: The fixed test values every sender uses (and every receiver checks against).
TEST_VALUES = {
    "counter": 3000000000,            # I   u32, above i32::MAX
    "delta": -1234567890123,          # q   i64, negative
    "ratio": -2.75,                   # d   binary64 (exactly representable)
    "flag": True,                     # ?   0x01
    "port": 65535,                    # H   u16
    "big": 18446744073709551615,      # Q   u64::MAX
    "blob": bytes([0x00, 0x01, 0x02, 0xFF]),   # varlenH
    "text": "h\u00e9llo, ipv8 \u2713",          # varlenHutf8 (multi-byte UTF-8)
    "v4": ("10.1.2.3", 6421),         # ipv4 (6 bytes)
    "addr": ("::1", 8090),            # ip_address, IPv6 form (type 0x03, 19 bytes)
    "items": [b"a", b"", bytes([0x00, 0xFF])],  # varlenH-list
    "numbers": [1, -1, 4611686018427387904],     # arrayH-q (native = little-endian count and items)
}


def make_test_message() -> InteropMessage:
    """Build the custom message with the fixed test values."""
    return InteropMessage(*(TEST_VALUES[name] for name in InteropMessage.names))


def to_jsonable(value: object) -> object:
    """Turn decoded payload values into JSON: bytes as hex, addresses as [host, port], lists recursively."""
    if isinstance(value, (bytes, bytearray)):
        return hexlify(bytes(value)).decode()
    if isinstance(value, tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    return value


def message_values(payload: InteropMessage) -> dict[str, object]:
    """The decoded fields of a received message as a JSON-ready dict."""
    return {name: to_jsonable(getattr(payload, name)) for name in InteropMessage.names}


def expected_values() -> dict[str, object]:
    """The fixed test values in the same JSON form as ``message_values``."""
    return {name: to_jsonable(TEST_VALUES[name]) for name in InteropMessage.names}


def emit(obj: dict[str, object]) -> None:
    """Print one JSON line on stdout and flush (the harness reads line by line)."""
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


class InteropCommunity(Community):
    """A plain Community with the fixed interop id and one custom message (msg_id 1)."""

    community_id = INTEROP_COMMUNITY_ID
    settings_class = CommunitySettings

    def __init__(self, settings: CommunitySettings) -> None:
        super().__init__(settings)
        self.add_message_handler(InteropMessage, self.on_interop_message)

    def send_test_message(self, peer) -> None:  # noqa: ANN001
        """Send the custom message with the fixed test values to ``peer`` (signed, no global time)."""
        self.ez_send(peer, make_test_message())

    @lazy_wrapper(InteropMessage)
    def on_interop_message(self, peer, payload: InteropMessage) -> None:  # noqa: ANN001
        values = message_values(payload)
        emit({
            "event": "message",
            "from": hexlify(peer.public_key.key_to_bin()).decode(),
            "address": [peer.address[0], peer.address[1]],
            "values": values,
            "matches_expected": values == expected_values(),
        })
