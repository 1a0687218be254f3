//! The 42 default formats of py-ipv8's Serializer as marker types implementing
//! [`Format`] (spec §4, py-ipv8 `ipv8/messaging/serialization.py`), and the default
//! [`Field`] mapping of Rust types.
//!
//! Encoding is infallible. A value too long for its length prefix (e.g. a `varlenH` of
//! more than 65535 bytes, where py-ipv8 raises `struct.error`) is **truncated** to the
//! longest encodable prefix so the output is always well formed; the dynamic
//! [`Serializer`](super::Serializer) reports [`WireError::TooLong`] instead.
//! Decoding checks every length against the remaining input before allocating.

use std::net::{SocketAddr, SocketAddrV4};

use super::address::{
    pack_address, pack_ip_address, pack_ipv4, unpack_address, unpack_ip_address, unpack_ipv4,
    Address,
};
use super::error::WireError;
use super::reader::Reader;
use super::traits::{BitFlags, Field, Format, NestedPayload, Serializable};

macro_rules! marker {
    ($($(#[$m:meta])* $name:ident = $fmt:literal;)*) => {$(
        $(#[$m])*
        #[doc = concat!("\n\nFormat name: `", $fmt, "`.")]
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;
        impl $name {
            /// The py-ipv8 format name.
            pub const NAME: &'static str = $fmt;
        }
    )*};
}

marker! {
    /// 1 byte, 0/1; any non-zero byte reads as true.
    Bool = "?";
    /// u8.
    B = "B";
    /// u8, u8, u16.
    Bbh = "BBH";
    /// u8, u16.
    Bh = "BH";
    /// One raw byte.
    C = "c";
    /// binary32.
    F = "f";
    /// binary64.
    D = "d";
    /// u16.
    H = "H";
    /// u16, u16.
    Hh = "HH";
    /// u32.
    I = "I";
    /// i32.
    L = "l";
    /// u32, u32.
    Ll = "LL";
    /// i64.
    Q = "q";
    /// u64.
    UQ = "Q";
    /// u64, u16.
    Qh = "QH";
    /// u64, u32.
    Ql = "QL";
    /// u64, u64, u16, u16, u8, u16.
    Qqhhbh = "QQHHBH";
    /// byte, byte, u8.
    CcB = "ccB";
    /// 4 raw bytes, u16.
    FourSH = "4SH";
    /// byte + 20 raw bytes.
    C20s = "c20s";
    /// 8 flags in one byte, first = 0x80.
    Bits = "bits";
    /// IPv4 address + port (6 bytes).
    Ipv4 = "ipv4";
    /// Typed IPv4/IPv6 address.
    IpAddress = "ip_address";
    /// Typed IPv4/IPv6/domain address.
    AddressFmt = "address";
    /// Everything to the end of the input (last field only).
    Raw = "raw";
    /// u16 length + bytes.
    VarlenH = "varlenH";
    /// Identical to `varlenH`.
    DoubleVarlenH = "doublevarlenH";
    /// u32 length + bytes.
    VarlenI = "varlenI";
    /// u8 (length / 2) + bytes.
    VarlenBx2 = "varlenBx2";
    /// u16 (length / 20) + bytes.
    VarlenHx20 = "varlenHx20";
    /// u16 length + UTF-8.
    VarlenHUtf8 = "varlenHutf8";
    /// u32 length + UTF-8.
    VarlenIUtf8 = "varlenIutf8";
    /// u8 count + each item as `varlenH`.
    VarlenHList = "varlenH-list";
    /// Nested payload: u16 length + encoding, parsed only within that length.
    PayloadFmt = "payload";
    /// u8 count + each item as `payload`.
    PayloadList = "payload-list";
    /// Little-endian u16 count + one byte per bool.
    ArrayHBool = "arrayH-?";
    /// Little-endian u16 count + little-endian i64 items.
    ArrayHQ = "arrayH-q";
    /// Little-endian u16 count + little-endian binary64 items.
    ArrayHD = "arrayH-d";
}

/// `Ns`: exactly `N` raw bytes (`20s`, `32s`, `64s`, `74s`). Packing a shorter `Vec`
/// pads with zeros, a longer one is truncated (Python `struct` semantics).
#[derive(Debug, Clone, Copy, Default)]
pub struct Fixed<const N: usize>;
/// `20s`.
pub type S20 = Fixed<20>;
/// `32s`.
pub type S32 = Fixed<32>;
/// `64s`.
pub type S64 = Fixed<64>;
/// `74s`.
pub type S74 = Fixed<74>;

/// The names of all 42 default formats, in py-ipv8's registration order.
pub const ALL_FORMATS: [&str; 42] = [
    "?",
    "B",
    "BBH",
    "BH",
    "c",
    "f",
    "d",
    "H",
    "HH",
    "I",
    "l",
    "LL",
    "q",
    "Q",
    "QH",
    "QL",
    "QQHHBH",
    "ccB",
    "4SH",
    "20s",
    "32s",
    "64s",
    "74s",
    "c20s",
    "bits",
    "ipv4",
    "ip_address",
    "address",
    "raw",
    "varlenBx2",
    "varlenH",
    "varlenHutf8",
    "varlenIutf8",
    "varlenHx20",
    "varlenH-list",
    "varlenI",
    "doublevarlenH",
    "payload",
    "payload-list",
    "arrayH-?",
    "arrayH-q",
    "arrayH-d",
];

// ---- scalar helpers ------------------------------------------------------------

macro_rules! be_scalar {
    ($marker:ty, $t:ty, $read:ident) => {
        impl Format<$t> for $marker {
            fn pack(v: &$t, out: &mut Vec<u8>) {
                out.extend_from_slice(&v.to_be_bytes());
            }
            fn unpack(r: &mut Reader<'_>) -> Result<$t, WireError> {
                r.$read()
            }
        }
    };
}
be_scalar!(B, u8, u8);
be_scalar!(C, u8, u8);
be_scalar!(H, u16, u16);
be_scalar!(I, u32, u32);
be_scalar!(L, i32, i32);
be_scalar!(Q, i64, i64);
be_scalar!(UQ, u64, u64);
be_scalar!(F, f32, f32);
be_scalar!(D, f64, f64);

impl Format<bool> for Bool {
    fn pack(v: &bool, out: &mut Vec<u8>) {
        out.push(u8::from(*v));
    }
    fn unpack(r: &mut Reader<'_>) -> Result<bool, WireError> {
        Ok(r.u8()? != 0)
    }
}

impl Format<[u8; 1]> for C {
    fn pack(v: &[u8; 1], out: &mut Vec<u8>) {
        out.extend_from_slice(v);
    }
    fn unpack(r: &mut Reader<'_>) -> Result<[u8; 1], WireError> {
        r.array()
    }
}

/// Implements a tuple format from per-element formats.
macro_rules! tuple_fmt {
    (@pack $v:ident $out:ident; $i:tt; ) => {};
    (@pack $v:ident $out:ident; 0; ($t:ty, $f:ty) $(, $rest:tt)*) => {
        <$f as Format<$t>>::pack(&$v.0, $out); tuple_fmt!(@pack $v $out; 1; $($rest),*);
    };
    (@pack $v:ident $out:ident; 1; ($t:ty, $f:ty) $(, $rest:tt)*) => {
        <$f as Format<$t>>::pack(&$v.1, $out); tuple_fmt!(@pack $v $out; 2; $($rest),*);
    };
    (@pack $v:ident $out:ident; 2; ($t:ty, $f:ty) $(, $rest:tt)*) => {
        <$f as Format<$t>>::pack(&$v.2, $out); tuple_fmt!(@pack $v $out; 3; $($rest),*);
    };
    (@pack $v:ident $out:ident; 3; ($t:ty, $f:ty) $(, $rest:tt)*) => {
        <$f as Format<$t>>::pack(&$v.3, $out); tuple_fmt!(@pack $v $out; 4; $($rest),*);
    };
    (@pack $v:ident $out:ident; 4; ($t:ty, $f:ty) $(, $rest:tt)*) => {
        <$f as Format<$t>>::pack(&$v.4, $out); tuple_fmt!(@pack $v $out; 5; $($rest),*);
    };
    (@pack $v:ident $out:ident; 5; ($t:ty, $f:ty) $(, $rest:tt)*) => {
        <$f as Format<$t>>::pack(&$v.5, $out); tuple_fmt!(@pack $v $out; 6; $($rest),*);
    };
    ($marker:ty; $(($t:ty, $f:ty)),+) => {
        impl Format<($($t,)+)> for $marker {
            fn pack(v: &($($t,)+), out: &mut Vec<u8>) {
                tuple_fmt!(@pack v out; 0; $(($t, $f)),+);
            }
            fn unpack(r: &mut Reader<'_>) -> Result<($($t,)+), WireError> {
                Ok(($(<$f as Format<$t>>::unpack(r)?,)+))
            }
        }
    };
}

tuple_fmt!(Bbh; (u8, B), (u8, B), (u16, H));
tuple_fmt!(Bh; (u8, B), (u16, H));
tuple_fmt!(Hh; (u16, H), (u16, H));
tuple_fmt!(Ll; (u32, I), (u32, I));
tuple_fmt!(Qh; (u64, UQ), (u16, H));
tuple_fmt!(Ql; (u64, UQ), (u32, I));
tuple_fmt!(Qqhhbh; (u64, UQ), (u64, UQ), (u16, H), (u16, H), (u8, B), (u16, H));
tuple_fmt!(CcB; (u8, C), (u8, C), (u8, B));
tuple_fmt!(FourSH; ([u8; 4], Fixed<4>), (u16, H));
tuple_fmt!(C20s; (u8, C), ([u8; 20], Fixed<20>));

impl<const N: usize> Format<[u8; N]> for Fixed<N> {
    fn pack(v: &[u8; N], out: &mut Vec<u8>) {
        out.extend_from_slice(v);
    }
    fn unpack(r: &mut Reader<'_>) -> Result<[u8; N], WireError> {
        r.array()
    }
}

impl<const N: usize> Format<Vec<u8>> for Fixed<N> {
    fn pack(v: &Vec<u8>, out: &mut Vec<u8>) {
        pack_fixed(v, N, out);
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Vec<u8>, WireError> {
        Ok(r.take(N)?.to_vec())
    }
}

/// Pack `data` into exactly `n` bytes: zero-padded or truncated (struct `Ns`).
pub fn pack_fixed(data: &[u8], n: usize, out: &mut Vec<u8>) {
    let used = data.len().min(n);
    out.extend_from_slice(data.get(..used).unwrap_or(data));
    out.resize(out.len() + (n - used), 0);
}

impl<T: BitFlags> Format<T> for Bits {
    fn pack(v: &T, out: &mut Vec<u8>) {
        out.push(<u8 as BitFlags>::from_bits(v.to_bits()));
    }
    fn unpack(r: &mut Reader<'_>) -> Result<T, WireError> {
        Ok(T::from_bits(r.u8()?.to_bits()))
    }
}

// ---- addresses -------------------------------------------------------------------

impl Format<SocketAddrV4> for Ipv4 {
    fn pack(v: &SocketAddrV4, out: &mut Vec<u8>) {
        pack_ipv4(v, out);
    }
    fn unpack(r: &mut Reader<'_>) -> Result<SocketAddrV4, WireError> {
        unpack_ipv4(r)
    }
}

impl Format<SocketAddr> for IpAddress {
    fn pack(v: &SocketAddr, out: &mut Vec<u8>) {
        pack_ip_address(v, out);
    }
    fn unpack(r: &mut Reader<'_>) -> Result<SocketAddr, WireError> {
        unpack_ip_address(r)
    }
}

impl Format<Address> for AddressFmt {
    fn pack(v: &Address, out: &mut Vec<u8>) {
        pack_address(v, out);
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Address, WireError> {
        unpack_address(r)
    }
}

// ---- variable-length bytes --------------------------------------------------------

impl Format<Vec<u8>> for Raw {
    fn pack(v: &Vec<u8>, out: &mut Vec<u8>) {
        out.extend_from_slice(v);
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Vec<u8>, WireError> {
        Ok(r.rest().to_vec())
    }
}

/// Pack a length-prefixed byte string: `prefix_len` ∈ {1, 2, 4} bytes holding
/// `len / unit`. Returns how many bytes of `data` were written (all of them unless
/// too long or not a multiple of `unit`, see the module docs).
pub fn pack_varlen(data: &[u8], prefix_len: usize, unit: usize, out: &mut Vec<u8>) -> usize {
    let max_units: u64 = match prefix_len {
        1 => u8::MAX.into(),
        2 => u16::MAX.into(),
        _ => u32::MAX.into(),
    };
    let units = ((data.len() / unit) as u64).min(max_units);
    let used = (units as usize) * unit;
    match prefix_len {
        1 => out.push(units as u8),
        2 => out.extend_from_slice(&(units as u16).to_be_bytes()),
        _ => out.extend_from_slice(&(units as u32).to_be_bytes()),
    }
    out.extend_from_slice(data.get(..used).unwrap_or(data));
    used
}

/// Read a length-prefixed byte string (see [`pack_varlen`]) without copying.
pub fn unpack_varlen<'a>(
    r: &mut Reader<'a>,
    prefix_len: usize,
    unit: usize,
) -> Result<&'a [u8], WireError> {
    let units = match prefix_len {
        1 => usize::from(r.u8()?),
        2 => usize::from(r.u16()?),
        _ => r.u32()? as usize,
    };
    r.take(units.saturating_mul(unit))
}

macro_rules! varlen_fmt {
    ($marker:ty, $plen:expr, $unit:expr) => {
        impl Format<Vec<u8>> for $marker {
            fn pack(v: &Vec<u8>, out: &mut Vec<u8>) {
                pack_varlen(v, $plen, $unit, out);
            }
            fn unpack(r: &mut Reader<'_>) -> Result<Vec<u8>, WireError> {
                Ok(unpack_varlen(r, $plen, $unit)?.to_vec())
            }
        }
    };
}
varlen_fmt!(VarlenH, 2, 1);
varlen_fmt!(DoubleVarlenH, 2, 1);
varlen_fmt!(VarlenI, 4, 1);
varlen_fmt!(VarlenBx2, 1, 2);
varlen_fmt!(VarlenHx20, 2, 20);

impl Format<Vec<[u8; 20]>> for VarlenHx20 {
    fn pack(v: &Vec<[u8; 20]>, out: &mut Vec<u8>) {
        let n = v.len().min(usize::from(u16::MAX));
        out.extend_from_slice(&(n as u16).to_be_bytes());
        for id in v.iter().take(n) {
            out.extend_from_slice(id);
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Vec<[u8; 20]>, WireError> {
        let bytes = unpack_varlen(r, 2, 20)?;
        let mut ids = Vec::with_capacity(bytes.len() / 20);
        for chunk in bytes.chunks_exact(20) {
            let mut id = [0u8; 20];
            id.copy_from_slice(chunk);
            ids.push(id);
        }
        Ok(ids)
    }
}

macro_rules! utf8_fmt {
    ($marker:ty, $plen:expr) => {
        impl Format<String> for $marker {
            fn pack(v: &String, out: &mut Vec<u8>) {
                // Truncation (module docs) must not split a character.
                let max = if $plen == 2 {
                    usize::from(u16::MAX)
                } else {
                    u32::MAX as usize
                };
                let mut end = v.len().min(max);
                while !v.is_char_boundary(end) {
                    end -= 1;
                }
                pack_varlen(v.as_bytes().get(..end).unwrap_or(&[]), $plen, 1, out);
            }
            fn unpack(r: &mut Reader<'_>) -> Result<String, WireError> {
                let bytes = unpack_varlen(r, $plen, 1)?;
                std::str::from_utf8(bytes)
                    .map(str::to_owned)
                    .map_err(|_| WireError::BadUtf8)
            }
        }
    };
}
utf8_fmt!(VarlenHUtf8, 2);
utf8_fmt!(VarlenIUtf8, 4);

impl Format<Vec<Vec<u8>>> for VarlenHList {
    fn pack(v: &Vec<Vec<u8>>, out: &mut Vec<u8>) {
        let n = v.len().min(usize::from(u8::MAX));
        out.push(n as u8);
        for item in v.iter().take(n) {
            pack_varlen(item, 2, 1, out);
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, WireError> {
        let n = usize::from(r.u8()?);
        r.check_items(n, 2)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(unpack_varlen(r, 2, 1)?.to_vec());
        }
        Ok(items)
    }
}

// ---- nested payloads --------------------------------------------------------------

/// Write a u16 length placeholder, run `body`, then fill the length in. A body longer
/// than 65535 bytes is truncated (module docs).
pub fn pack_with_u16_len(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0, 0]);
    body(out);
    let len = out.len() - start - 2;
    if len > usize::from(u16::MAX) {
        out.truncate(start + 2 + usize::from(u16::MAX));
    }
    let len = (out.len() - start - 2) as u16;
    if let Some(slot) = out.get_mut(start..start + 2) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

impl<T: Serializable> Format<T> for PayloadFmt {
    fn pack(v: &T, out: &mut Vec<u8>) {
        pack_with_u16_len(out, |out| v.pack(out));
    }
    fn unpack(r: &mut Reader<'_>) -> Result<T, WireError> {
        // Parsed only within the length prefix; unconsumed bytes inside it are
        // ignored (spec §4 `payload`).
        let len = usize::from(r.u16()?);
        let mut inner = r.sub(len)?;
        T::unpack(&mut inner)
    }
}

impl<T: Serializable> Format<Vec<T>> for PayloadList {
    fn pack(v: &Vec<T>, out: &mut Vec<u8>) {
        let n = v.len().min(usize::from(u8::MAX));
        out.push(n as u8);
        for item in v.iter().take(n) {
            <PayloadFmt as Format<T>>::pack(item, out);
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Vec<T>, WireError> {
        let n = usize::from(r.u8()?);
        r.check_items(n, 2)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(<PayloadFmt as Format<T>>::unpack(r)?);
        }
        Ok(items)
    }
}

// ---- native arrays ------------------------------------------------------------------

fn array_count(r: &mut Reader<'_>, item: usize) -> Result<usize, WireError> {
    let n = usize::from(r.u16_le()?);
    r.check_items(n, item)?;
    Ok(n)
}

impl Format<Vec<bool>> for ArrayHBool {
    fn pack(v: &Vec<bool>, out: &mut Vec<u8>) {
        let n = v.len().min(usize::from(u16::MAX));
        out.extend_from_slice(&(n as u16).to_le_bytes());
        out.extend(v.iter().take(n).map(|&b| u8::from(b)));
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Vec<bool>, WireError> {
        let n = array_count(r, 1)?;
        Ok(r.take(n)?.iter().map(|&b| b != 0).collect())
    }
}

impl Format<Vec<i64>> for ArrayHQ {
    fn pack(v: &Vec<i64>, out: &mut Vec<u8>) {
        let n = v.len().min(usize::from(u16::MAX));
        out.extend_from_slice(&(n as u16).to_le_bytes());
        for x in v.iter().take(n) {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Vec<i64>, WireError> {
        let n = array_count(r, 8)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(i64::from_le_bytes(r.array()?));
        }
        Ok(items)
    }
}

impl Format<Vec<f64>> for ArrayHD {
    fn pack(v: &Vec<f64>, out: &mut Vec<u8>) {
        let n = v.len().min(usize::from(u16::MAX));
        out.extend_from_slice(&(n as u16).to_le_bytes());
        for x in v.iter().take(n) {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn unpack(r: &mut Reader<'_>) -> Result<Vec<f64>, WireError> {
        let n = array_count(r, 8)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(f64::from_le_bytes(r.array()?));
        }
        Ok(items)
    }
}

// ---- default field mapping ------------------------------------------------------------

macro_rules! default_field {
    ($t:ty => $f:ty) => {
        impl Field for $t {
            fn pack_field(&self, out: &mut Vec<u8>) {
                <$f as Format<$t>>::pack(self, out)
            }
            fn unpack_field(r: &mut Reader<'_>) -> Result<Self, WireError> {
                <$f as Format<$t>>::unpack(r)
            }
        }
    };
}
// py-ipv8 dataclass mapping (spec §4) ...
default_field!(bool => Bool);
default_field!(i64 => Q);
default_field!(f64 => D);
default_field!(Vec<u8> => VarlenH);
default_field!(String => VarlenHUtf8);
default_field!(Vec<i64> => ArrayHQ);
default_field!(Vec<bool> => ArrayHBool);
default_field!(Vec<f64> => ArrayHD);
// ... plus the natural formats of the other Rust types.
default_field!(u8 => B);
default_field!(u16 => H);
default_field!(u32 => I);
default_field!(u64 => UQ);
default_field!(i32 => L);
default_field!(f32 => F);
default_field!(Vec<Vec<u8>> => VarlenHList);
default_field!(SocketAddrV4 => Ipv4);
default_field!(SocketAddr => IpAddress);
default_field!(Address => AddressFmt);

impl<const N: usize> Field for [u8; N] {
    fn pack_field(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
    fn unpack_field(r: &mut Reader<'_>) -> Result<Self, WireError> {
        r.array()
    }
}

impl<T: NestedPayload> Field for Vec<T> {
    fn pack_field(&self, out: &mut Vec<u8>) {
        <PayloadList as Format<Vec<T>>>::pack(self, out)
    }
    fn unpack_field(r: &mut Reader<'_>) -> Result<Self, WireError> {
        <PayloadList as Format<Vec<T>>>::unpack(r)
    }
}
