//! The typed serialization traits: [`Serializable`], [`Payload`], [`Field`] and
//! [`Format`]. `#[derive(Payload)]` implements the first three for a struct.

use super::error::WireError;
use super::reader::Reader;

/// A type with a fixed py-ipv8 format list: packing concatenates its fields, unpacking
/// reads them back in the same order (py-ipv8 `Serializable` / `VariablePayload`).
pub trait Serializable: Sized {
    /// Append the encoding of `self` to `out`.
    fn pack(&self, out: &mut Vec<u8>);
    /// Read one value from `r`, leaving any following bytes unread.
    fn unpack(r: &mut Reader<'_>) -> Result<Self, WireError>;

    /// The encoding of `self` in a fresh vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.pack(&mut out);
        out
    }
}

/// A top-level message with its message id (py-ipv8 `@dataclass(msg_id=N)` /
/// `msg_id` class attribute).
pub trait Payload: Serializable {
    /// The message id (byte 22 of the packet).
    const MSG_ID: u8;
}

/// How a Rust type is encoded when it appears as a struct field without a
/// `#[wire(...)]` attribute: py-ipv8's dataclass type mapping (spec §4) plus the
/// natural integer formats. Derived payloads implement it as the `payload` format
/// (u16 length + nested encoding), and `Vec<T>` of them as `payload-list`.
pub trait Field: Sized {
    /// Append the field encoding.
    fn pack_field(&self, out: &mut Vec<u8>);
    /// Read the field.
    fn unpack_field(r: &mut Reader<'_>) -> Result<Self, WireError>;
}

/// Marker for derived payload types, so that `Vec<T>` of them is a `payload-list`.
pub trait NestedPayload: Serializable {}

/// A format (named by a marker type) that can encode values of type `T`. The 42
/// default formats are marker types in [`crate::wire::formats`]; implement this for
/// your own marker type to make a custom format and use it with
/// `#[wire(with = MyFormat)]` (py-ipv8's `add_packer` for typed payloads).
pub trait Format<T> {
    /// Append the encoding of `value`.
    fn pack(value: &T, out: &mut Vec<u8>);
    /// Read one value.
    fn unpack(r: &mut Reader<'_>) -> Result<T, WireError>;
}

/// A type stored in a `bits` byte: 8 flags, the first is bit 0x80 (spec §4).
pub trait BitFlags: Sized {
    /// The 8 flags, most significant bit first.
    fn to_bits(&self) -> [bool; 8];
    /// Build from the 8 flags, most significant bit first.
    fn from_bits(bits: [bool; 8]) -> Self;
}

impl BitFlags for [bool; 8] {
    fn to_bits(&self) -> [bool; 8] {
        *self
    }
    fn from_bits(bits: [bool; 8]) -> Self {
        bits
    }
}

impl BitFlags for u8 {
    fn to_bits(&self) -> [bool; 8] {
        let mut b = [false; 8];
        for (i, slot) in b.iter_mut().enumerate() {
            *slot = self & (0x80 >> i) != 0;
        }
        b
    }
    fn from_bits(bits: [bool; 8]) -> Self {
        bits.iter().enumerate().fold(
            0u8,
            |acc, (i, &bit)| if bit { acc | (0x80 >> i) } else { acc },
        )
    }
}

/// Decode `bytes` as exactly one `T`: every byte must be consumed
/// ([`WireError::TrailingBytes`] otherwise; spec §3.5 step 4).
pub fn decode_exact<T: Serializable>(bytes: &[u8]) -> Result<T, WireError> {
    let mut r = Reader::new(bytes);
    let v = T::unpack(&mut r)?;
    r.finish()?;
    Ok(v)
}
