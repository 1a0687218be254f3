//! The dynamic, by-name [`Serializer`] (py-ipv8 `ipv8/messaging/serialization.py`
//! `Serializer`): the 42 default formats plus formats registered with
//! [`Serializer::add_packer`], over dynamically typed [`Value`]s.
//!
//! The typed path ([`Serializable`](super::Serializable), `#[derive(Payload)]`) is what
//! protocol code uses; this path exists for py-ipv8's dynamic API, for custom formats
//! registered per community, and for tests against the vectors. Both share the
//! encoders in [`formats`](super::formats), so they cannot disagree.

use std::net::SocketAddr;

use indexmap::IndexMap;

use super::address::{pack_address, unpack_address, unpack_ip_address, unpack_ipv4, Address};
use super::error::WireError;
use super::formats::{self as f, pack_fixed, pack_varlen, pack_with_u16_len, unpack_varlen};
use super::reader::Reader;
use super::traits::{BitFlags, Format};
use super::value::{self as v, Value};

/// A format implementation for the dynamic serializer (py-ipv8's `Packer`).
pub trait Packer {
    /// Append the encoding of `value`; a value of the wrong shape is
    /// [`WireError::BadValue`].
    fn pack(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), WireError>;
    /// Read one value.
    fn unpack(&self, r: &mut Reader<'_>) -> Result<Value, WireError>;
}

/// A nested payload's format list with field names (py-ipv8 `format_list` +
/// `names`). A `bits` field is one field holding a `Tuple` of 8 values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    /// (field name, format) in wire order.
    pub fields: Vec<(String, FieldFmt)>,
}

/// The format of one [`Schema`] field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldFmt {
    /// A format registered by name.
    Name(String),
    /// A nested payload (`payload` with a known class).
    Payload(Schema),
    /// A list of nested payloads (`payload-list` with a known class, `[Class]`).
    PayloadList(Schema),
}

impl Schema {
    /// An empty schema.
    pub fn new() -> Self {
        Schema::default()
    }
    /// Add a field with a named format.
    pub fn field(mut self, name: &str, format: &str) -> Self {
        self.fields
            .push((name.to_owned(), FieldFmt::Name(format.to_owned())));
        self
    }
    /// Add a nested-payload field.
    pub fn nested(mut self, name: &str, schema: Schema) -> Self {
        self.fields
            .push((name.to_owned(), FieldFmt::Payload(schema)));
        self
    }
    /// Add a list-of-nested-payloads field.
    pub fn nested_list(mut self, name: &str, schema: Schema) -> Self {
        self.fields
            .push((name.to_owned(), FieldFmt::PayloadList(schema)));
        self
    }
}

/// What to pack or unpack: a format name, or a nested payload of a known schema.
#[derive(Debug, Clone, Copy)]
pub enum Fmt<'a> {
    /// A registered format name. `"payload"` / `"payload-list"` by name alone treat
    /// the nested encoding as opaque `Bytes` (there is no class to parse it with).
    Name(&'a str),
    /// `payload` with this schema (u16 length + fields).
    Payload(&'a Schema),
    /// `payload-list` with this schema (u8 count + each as `payload`).
    PayloadList(&'a Schema),
}

impl<'a> From<&'a str> for Fmt<'a> {
    fn from(s: &'a str) -> Self {
        Fmt::Name(s)
    }
}

impl<'a> From<&'a FieldFmt> for Fmt<'a> {
    fn from(f: &'a FieldFmt) -> Self {
        match f {
            FieldFmt::Name(n) => Fmt::Name(n),
            FieldFmt::Payload(s) => Fmt::Payload(s),
            FieldFmt::PayloadList(s) => Fmt::PayloadList(s),
        }
    }
}

/// py-ipv8's `Serializer`: format name → [`Packer`].
pub struct Serializer {
    packers: IndexMap<String, Box<dyn Packer>>,
}

impl Default for Serializer {
    fn default() -> Self {
        Serializer::new()
    }
}

impl std::fmt::Debug for Serializer {
    fn fmt(&self, fm: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fm.debug_struct("Serializer")
            .field("formats", &self.packers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Serializer {
    /// A serializer that knows the 42 default formats.
    pub fn new() -> Self {
        let mut packers: IndexMap<String, Box<dyn Packer>> = IndexMap::new();
        for name in f::ALL_FORMATS {
            packers.insert(name.to_owned(), Box::new(Builtin(name)));
        }
        Serializer { packers }
    }

    /// Register (or replace) a format (py-ipv8 `Serializer.add_packer`).
    pub fn add_packer(&mut self, name: impl Into<String>, packer: Box<dyn Packer>) {
        self.packers.insert(name.into(), packer);
    }

    /// The known format names, in registration order.
    pub fn formats(&self) -> impl Iterator<Item = &str> {
        self.packers.keys().map(String::as_str)
    }

    fn packer(&self, name: &str) -> Result<&dyn Packer, WireError> {
        self.packers
            .get(name)
            .map(|b| b.as_ref())
            .ok_or_else(|| WireError::UnknownFormat(name.to_owned()))
    }

    /// Append the encoding of `value` in format `fmt`.
    pub fn pack<'f>(
        &self,
        fmt: impl Into<Fmt<'f>>,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> Result<(), WireError> {
        match fmt.into() {
            Fmt::Name(name) => self.packer(name)?.pack(value, out),
            Fmt::Payload(schema) => {
                let mut res = Ok(());
                pack_with_u16_len(out, |out| res = self.pack_schema(schema, value, out));
                res
            }
            Fmt::PayloadList(schema) => {
                let items = v::seq(value, "payload-list", None)?;
                let n = u8::try_from(items.len()).map_err(|_| WireError::TooLong {
                    format: "payload-list",
                    len: items.len(),
                })?;
                out.push(n);
                for item in items {
                    self.pack(Fmt::Payload(schema), item, out)?;
                }
                Ok(())
            }
        }
    }

    /// Read one value of format `fmt`.
    pub fn unpack<'f>(
        &self,
        fmt: impl Into<Fmt<'f>>,
        r: &mut Reader<'_>,
    ) -> Result<Value, WireError> {
        match fmt.into() {
            Fmt::Name(name) => self.packer(name)?.unpack(r),
            Fmt::Payload(schema) => {
                let len = usize::from(r.u16()?);
                let mut inner = r.sub(len)?;
                self.unpack_schema(schema, &mut inner)
            }
            Fmt::PayloadList(schema) => {
                let n = usize::from(r.u8()?);
                r.check_items(n, 2)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.unpack(Fmt::Payload(schema), r)?);
                }
                Ok(Value::List(items))
            }
        }
    }

    /// Pack several values in sequence (py-ipv8 `pack_serializable` of a format list).
    pub fn pack_multiple(
        &self,
        fmts: &[Fmt<'_>],
        values: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), WireError> {
        if fmts.len() != values.len() {
            return Err(WireError::BadValue {
                format: "(format list)".to_owned(),
                reason: format!("{} formats but {} values", fmts.len(), values.len()),
            });
        }
        for (fmt, value) in fmts.iter().zip(values) {
            self.pack(*fmt, value, out)?;
        }
        Ok(())
    }

    /// Unpack several values in sequence.
    pub fn unpack_multiple(
        &self,
        fmts: &[Fmt<'_>],
        r: &mut Reader<'_>,
    ) -> Result<Vec<Value>, WireError> {
        fmts.iter().map(|fmt| self.unpack(*fmt, r)).collect()
    }

    /// Pack the fields of a `Value::Payload` (looked up by name) without a length
    /// prefix (py-ipv8 `pack_serializable`).
    pub fn pack_schema(
        &self,
        schema: &Schema,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> Result<(), WireError> {
        for (name, fmt) in &schema.fields {
            let field = value.field(name).ok_or_else(|| WireError::BadValue {
                format: "payload".to_owned(),
                reason: format!("missing field {name:?}"),
            })?;
            self.pack(fmt, field, out)?;
        }
        Ok(())
    }

    /// Unpack the fields of `schema` into a `Value::Payload` (py-ipv8
    /// `unpack_serializable`; bytes after the last field are left unread).
    pub fn unpack_schema(&self, schema: &Schema, r: &mut Reader<'_>) -> Result<Value, WireError> {
        let mut fields = Vec::with_capacity(schema.fields.len());
        for (name, fmt) in &schema.fields {
            fields.push((name.clone(), self.unpack(fmt, r)?));
        }
        Ok(Value::Payload(fields))
    }
}

/// One of the 42 default formats, by name.
struct Builtin(&'static str);

fn too_long(format: &'static str, len: usize) -> WireError {
    WireError::TooLong { format, len }
}

impl Packer for Builtin {
    fn pack(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), WireError> {
        let n = self.0;
        let tuple = |count: usize| v::seq(value, n, Some(count));
        match n {
            "?" => out.push(u8::from(v::boolean(value, n)?)),
            "B" => out.push(v::int::<u8>(value, n)?),
            "BBH" | "BH" | "HH" | "LL" | "QH" | "QL" | "QQHHBH" => {
                let widths: &[usize] = match n {
                    "BBH" => &[1, 1, 2],
                    "BH" => &[1, 2],
                    "HH" => &[2, 2],
                    "LL" => &[4, 4],
                    "QH" => &[8, 2],
                    "QL" => &[8, 4],
                    _ => &[8, 8, 2, 2, 1, 2],
                };
                let items = tuple(widths.len())?;
                for (item, &w) in items.iter().zip(widths) {
                    let x = v::int::<u64>(item, n)?;
                    if w < 8 && x >> (8 * w) != 0 {
                        return Err(v_bad(n, "integer out of range"));
                    }
                    out.extend_from_slice(&x.to_be_bytes()[8 - w..]);
                }
            }
            "c" => {
                let b = v::bytes(value, n)?;
                if b.len() != 1 {
                    return Err(v_bad(n, "expected exactly 1 byte"));
                }
                out.extend_from_slice(b);
            }
            "f" => out.extend_from_slice(&(v::float(value, n)? as f32).to_be_bytes()),
            "d" => out.extend_from_slice(&v::float(value, n)?.to_be_bytes()),
            "H" => out.extend_from_slice(&v::int::<u16>(value, n)?.to_be_bytes()),
            "I" => out.extend_from_slice(&v::int::<u32>(value, n)?.to_be_bytes()),
            "l" => out.extend_from_slice(&v::int::<i32>(value, n)?.to_be_bytes()),
            "q" => out.extend_from_slice(&v::int::<i64>(value, n)?.to_be_bytes()),
            "Q" => out.extend_from_slice(&v::int::<u64>(value, n)?.to_be_bytes()),
            "ccB" => {
                let items = tuple(3)?;
                for item in items.iter().take(2) {
                    Builtin("c").pack(item, out)?;
                }
                out.push(v::int::<u8>(v::item(items, 2, n)?, n)?);
            }
            "4SH" => {
                let items = tuple(2)?;
                pack_fixed(v::bytes(v::item(items, 0, n)?, n)?, 4, out);
                out.extend_from_slice(&v::int::<u16>(v::item(items, 1, n)?, n)?.to_be_bytes());
            }
            "20s" => pack_fixed(v::bytes(value, n)?, 20, out),
            "32s" => pack_fixed(v::bytes(value, n)?, 32, out),
            "64s" => pack_fixed(v::bytes(value, n)?, 64, out),
            "74s" => pack_fixed(v::bytes(value, n)?, 74, out),
            "c20s" => {
                let items = tuple(2)?;
                Builtin("c").pack(v::item(items, 0, n)?, out)?;
                pack_fixed(v::bytes(v::item(items, 1, n)?, n)?, 20, out);
            }
            "bits" => {
                let items = tuple(8)?;
                let mut bits = [false; 8];
                for (slot, item) in bits.iter_mut().zip(items) {
                    *slot = v::boolean(item, n)?;
                }
                out.push(<u8 as BitFlags>::from_bits(bits));
            }
            "ipv4" => match v::address(value, n)? {
                Address::V4(a) => f::Ipv4::pack(&a, out),
                _ => return Err(v_bad(n, "not an IPv4 address")),
            },
            "ip_address" => {
                let a: SocketAddr = v::address(value, n)?
                    .try_into()
                    .map_err(|_| v_bad(n, "not an IP address"))?;
                f::IpAddress::pack(&a, out);
            }
            "address" => {
                let a = v::address(value, n)?;
                if let Address::Domain(h, _) = &a {
                    if h.len() > usize::from(u16::MAX) {
                        return Err(too_long("address", h.len()));
                    }
                }
                pack_address(&a, out);
            }
            "raw" => out.extend_from_slice(v::bytes(value, n)?),
            "varlenH" | "doublevarlenH" => varlen(v::bytes(value, n)?, 2, 1, out)?,
            "varlenI" => varlen(v::bytes(value, n)?, 4, 1, out)?,
            "varlenBx2" => varlen(v::bytes(value, n)?, 1, 2, out)?,
            "varlenHx20" => varlen(v::bytes(value, n)?, 2, 20, out)?,
            "varlenHutf8" => varlen(v::string(value, n)?.as_bytes(), 2, 1, out)?,
            "varlenIutf8" => varlen(v::string(value, n)?.as_bytes(), 4, 1, out)?,
            "varlenH-list" => {
                let items = v::seq(value, n, None)?;
                out.push(
                    u8::try_from(items.len()).map_err(|_| too_long("varlenH-list", items.len()))?,
                );
                for item in items {
                    varlen(v::bytes(item, n)?, 2, 1, out)?;
                }
            }
            "payload" => {
                let b = v::bytes(value, n)?;
                varlen(b, 2, 1, out)?;
            }
            "payload-list" => {
                let items = v::seq(value, n, None)?;
                out.push(
                    u8::try_from(items.len()).map_err(|_| too_long("payload-list", items.len()))?,
                );
                for item in items {
                    varlen(v::bytes(item, n)?, 2, 1, out)?;
                }
            }
            "arrayH-?" | "arrayH-q" | "arrayH-d" => {
                let items = v::seq(value, n, None)?;
                let count =
                    u16::try_from(items.len()).map_err(|_| too_long("arrayH", items.len()))?;
                out.extend_from_slice(&count.to_le_bytes());
                for item in items {
                    match n {
                        "arrayH-?" => out.push(u8::from(v::boolean(item, n)?)),
                        "arrayH-q" => out.extend_from_slice(&v::int::<i64>(item, n)?.to_le_bytes()),
                        _ => out.extend_from_slice(&v::float(item, n)?.to_le_bytes()),
                    }
                }
            }
            other => return Err(WireError::UnknownFormat(other.to_owned())),
        }
        Ok(())
    }

    fn unpack(&self, r: &mut Reader<'_>) -> Result<Value, WireError> {
        let n = self.0;
        let int = |x: u64| Value::Int(i128::from(x));
        Ok(match n {
            "?" => Value::Bool(f::Bool::unpack(r)?),
            "B" => int(r.u8()?.into()),
            "BBH" => {
                let (a, b, c) = <f::Bbh as Format<(u8, u8, u16)>>::unpack(r)?;
                Value::Tuple(vec![int(a.into()), int(b.into()), int(c.into())])
            }
            "BH" => Value::Tuple(vec![int(r.u8()?.into()), int(r.u16()?.into())]),
            "c" => Value::Bytes(r.take(1)?.to_vec()),
            "f" => Value::Float(f64::from(r.f32()?)),
            "d" => Value::Float(r.f64()?),
            "H" => int(r.u16()?.into()),
            "HH" => Value::Tuple(vec![int(r.u16()?.into()), int(r.u16()?.into())]),
            "I" => int(r.u32()?.into()),
            "l" => Value::Int(r.i32()?.into()),
            "LL" => Value::Tuple(vec![int(r.u32()?.into()), int(r.u32()?.into())]),
            "q" => Value::Int(r.i64()?.into()),
            "Q" => int(r.u64()?),
            "QH" => Value::Tuple(vec![int(r.u64()?), int(r.u16()?.into())]),
            "QL" => Value::Tuple(vec![int(r.u64()?), int(r.u32()?.into())]),
            "QQHHBH" => Value::Tuple(vec![
                int(r.u64()?),
                int(r.u64()?),
                int(r.u16()?.into()),
                int(r.u16()?.into()),
                int(r.u8()?.into()),
                int(r.u16()?.into()),
            ]),
            "ccB" => Value::Tuple(vec![
                Value::Bytes(r.take(1)?.to_vec()),
                Value::Bytes(r.take(1)?.to_vec()),
                int(r.u8()?.into()),
            ]),
            "4SH" => Value::Tuple(vec![
                Value::Bytes(r.take(4)?.to_vec()),
                int(r.u16()?.into()),
            ]),
            "20s" => Value::Bytes(r.take(20)?.to_vec()),
            "32s" => Value::Bytes(r.take(32)?.to_vec()),
            "64s" => Value::Bytes(r.take(64)?.to_vec()),
            "74s" => Value::Bytes(r.take(74)?.to_vec()),
            "c20s" => Value::Tuple(vec![
                Value::Bytes(r.take(1)?.to_vec()),
                Value::Bytes(r.take(20)?.to_vec()),
            ]),
            "bits" => Value::Tuple(
                r.u8()?
                    .to_bits()
                    .iter()
                    .map(|&b| int(u64::from(b)))
                    .collect(),
            ),
            "ipv4" => Value::Address(Address::V4(unpack_ipv4(r)?)),
            "ip_address" => Value::Address(Address::from(unpack_ip_address(r)?)),
            "address" => Value::Address(unpack_address(r)?),
            "raw" => Value::Bytes(r.rest().to_vec()),
            "varlenH" | "doublevarlenH" | "payload" => {
                Value::Bytes(unpack_varlen(r, 2, 1)?.to_vec())
            }
            "varlenI" => Value::Bytes(unpack_varlen(r, 4, 1)?.to_vec()),
            "varlenBx2" => Value::Bytes(unpack_varlen(r, 1, 2)?.to_vec()),
            "varlenHx20" => Value::Bytes(unpack_varlen(r, 2, 20)?.to_vec()),
            "varlenHutf8" => Value::Str(<f::VarlenHUtf8 as Format<String>>::unpack(r)?),
            "varlenIutf8" => Value::Str(<f::VarlenIUtf8 as Format<String>>::unpack(r)?),
            "varlenH-list" | "payload-list" => {
                let count = usize::from(r.u8()?);
                r.check_items(count, 2)?;
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    items.push(Value::Bytes(unpack_varlen(r, 2, 1)?.to_vec()));
                }
                Value::List(items)
            }
            "arrayH-?" => Value::List(
                <f::ArrayHBool as Format<Vec<bool>>>::unpack(r)?
                    .into_iter()
                    .map(Value::Bool)
                    .collect(),
            ),
            "arrayH-q" => Value::List(
                <f::ArrayHQ as Format<Vec<i64>>>::unpack(r)?
                    .into_iter()
                    .map(|x| Value::Int(x.into()))
                    .collect(),
            ),
            "arrayH-d" => Value::List(
                <f::ArrayHD as Format<Vec<f64>>>::unpack(r)?
                    .into_iter()
                    .map(Value::Float)
                    .collect(),
            ),
            other => return Err(WireError::UnknownFormat(other.to_owned())),
        })
    }
}

fn v_bad(format: &str, reason: &str) -> WireError {
    WireError::BadValue {
        format: format.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Length-checked varlen for the dynamic path (errors instead of truncating).
fn varlen(data: &[u8], prefix_len: usize, unit: usize, out: &mut Vec<u8>) -> Result<(), WireError> {
    let max = match prefix_len {
        1 => u64::from(u8::MAX),
        2 => u64::from(u16::MAX),
        _ => u64::from(u32::MAX),
    };
    let name = match (prefix_len, unit) {
        (1, _) => "varlenBx2",
        (2, 20) => "varlenHx20",
        (2, _) => "varlenH",
        _ => "varlenI",
    };
    if data.len() % unit != 0 || (data.len() / unit) as u64 > max {
        return Err(too_long(name, data.len()));
    }
    pack_varlen(data, prefix_len, unit, out);
    Ok(())
}
