//! `wire`: py-ipv8's Serializer formats, the `Payload` trait (+ derive), the packet
//! prefix and the signed/unsigned envelopes, `WireError`.
//!
//! Two ways to encode (spec §4, py-ipv8 `ipv8/messaging/serialization.py`):
//! * **typed** — `#[derive(Payload)]` on a struct of fields; each field's format comes
//!   from its Rust type ([`Field`]) or from `#[wire(format = "…")]` / `#[wire(with = T)]`
//!   ([`Format`]). This is what protocol code uses.
//! * **dynamic** — [`Serializer`] packs/unpacks [`Value`]s by format name, and takes
//!   custom formats with [`Serializer::add_packer`].
//!
//! ```
//! use ipv8sim::wire::{self, Payload, Serializable};
//!
//! #[derive(Payload, Debug, PartialEq)]
//! #[payload(msg_id = 1)]
//! struct Hello {
//!     #[wire(format = "I")]
//!     number: u32,
//!     text: String, // varlenHutf8
//!     flag: bool,   // ?
//! }
//!
//! let prefix = wire::prefix(&[1; 20]);
//! let msg = Hello { number: 7, text: "hi".into(), flag: true };
//! let packet = wire::pack_signed(&prefix, Hello::MSG_ID, b"key", None, &msg, |_| vec![0; 64]);
//! let parts = wire::parse_signed(&packet, false, |_key| Ok(64)).unwrap();
//! assert_eq!(wire::decode_exact::<Hello>(parts.payload).unwrap(), msg);
//! ```
//!
//! Decoding never panics and never allocates more than the input carries.

mod address;
pub mod dht;
mod envelope;
mod error;
pub mod formats;
mod reader;
mod serializer;
mod traits;
pub mod tunnel;
mod value;

pub use address::{
    pack_address, pack_ip_address, pack_ipv4, unpack_address, unpack_ip_address, unpack_ipv4,
    Address, NotAnIpAddress, ADDRESS_TYPE_DOMAIN, ADDRESS_TYPE_IPV4, ADDRESS_TYPE_IPV6,
};
pub use envelope::{
    broadcast_beacon, community_id, msg_id, pack_signed, pack_unsigned, packet_prefix,
    parse_beacon, parse_signed, parse_unsigned, prefix, prefix_with_version, reserved_name,
    split_header, Body, Prefix, SignedParts, UnsignedParts, BEACON_HEADER, HEADER_LEN, PREFIX_LEN,
    VERSION,
};
pub use error::WireError;
pub use reader::Reader;
pub use serializer::{FieldFmt, Fmt, Packer, Schema, Serializer};
pub use traits::{decode_exact, BitFlags, Field, Format, NestedPayload, Payload, Serializable};
pub use value::Value;

/// `#[derive(Payload)]`: implements [`Serializable`] and [`Field`] (as a nested
/// `payload`), plus [`Payload`] when `#[payload(msg_id = N)]` is given.
///
/// Field attributes: `#[wire(format = "varlenI")]` (any of the 42 format names, or
/// `"node-list"`), `#[wire(with = path::To::Marker)]` for a custom [`Format`].
pub use ipv8sim_derive::Payload;
