//! [`Value`]: a dynamically typed py-ipv8 value, for the by-name [`Serializer`](super::Serializer).

use super::address::Address;
use super::error::WireError;

/// A value as py-ipv8's Serializer packs and unpacks it.
///
/// Unpacking produces: `?` → `Bool`; integer formats → `Int`; `f`/`d` → `Float`;
/// byte formats (`c`, `Ns`, `raw`, `varlen*`) → `Bytes`; `varlen*utf8` → `Str`;
/// address formats → `Address`; multi-value struct formats (`BBH`, `c20s`, `bits`…)
/// → `Tuple`; lists/arrays → `List`; a nested payload with a [`Schema`](super::Schema)
/// → `Payload` (field name, value) in schema order.
///
/// Packing is lenient the way Python is: a `List` is accepted where a `Tuple` is
/// expected, an `Int` where a float or bool is, and a `(host, port)` tuple where an
/// address is.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// Any integer (wide enough for u64 and i64).
    Int(i128),
    /// A float.
    Float(f64),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A UTF-8 string.
    Str(String),
    /// An address.
    Address(Address),
    /// A fixed-size group of values (py-ipv8 unpacks these as separate items).
    Tuple(Vec<Value>),
    /// A variable-size list.
    List(Vec<Value>),
    /// A nested payload: (field name, value) in format order.
    Payload(Vec<(String, Value)>),
}

impl Value {
    /// Shorthand for `Value::Int(v.into())`.
    pub fn int(v: impl Into<i128>) -> Value {
        Value::Int(v.into())
    }

    /// Shorthand for `Value::Bytes(v.into())`.
    pub fn bytes(v: impl Into<Vec<u8>>) -> Value {
        Value::Bytes(v.into())
    }

    /// Look a field of a `Payload` value up by name.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Payload(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

fn bad(format: &str, reason: &str) -> WireError {
    WireError::BadValue {
        format: format.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The integer in `v`, converted to `T` (range-checked).
pub(crate) fn int<T: TryFrom<i128>>(v: &Value, format: &str) -> Result<T, WireError> {
    let i = match v {
        Value::Int(i) => *i,
        Value::Bool(b) => i128::from(*b),
        _ => return Err(bad(format, "expected an integer")),
    };
    T::try_from(i).map_err(|_| bad(format, "integer out of range"))
}

/// The float in `v` (an `Int` is converted).
pub(crate) fn float(v: &Value, format: &str) -> Result<f64, WireError> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        _ => Err(bad(format, "expected a float")),
    }
}

/// The truth value of `v` (Python truthiness of bool/int).
pub(crate) fn boolean(v: &Value, format: &str) -> Result<bool, WireError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Int(i) => Ok(*i != 0),
        _ => Err(bad(format, "expected a bool")),
    }
}

/// The bytes in `v`.
pub(crate) fn bytes<'v>(v: &'v Value, format: &str) -> Result<&'v [u8], WireError> {
    match v {
        Value::Bytes(b) => Ok(b),
        _ => Err(bad(format, "expected bytes")),
    }
}

/// The string in `v`.
pub(crate) fn string<'v>(v: &'v Value, format: &str) -> Result<&'v str, WireError> {
    match v {
        Value::Str(s) => Ok(s),
        _ => Err(bad(format, "expected a string")),
    }
}

/// The items of a `Tuple` or `List` (of exactly `n` items when `n` is given).
pub(crate) fn seq<'v>(
    v: &'v Value,
    format: &str,
    n: Option<usize>,
) -> Result<&'v [Value], WireError> {
    let items = match v {
        Value::Tuple(items) | Value::List(items) => items.as_slice(),
        _ => return Err(bad(format, "expected a tuple or list")),
    };
    match n {
        Some(n) if items.len() != n => Err(bad(format, "wrong number of items")),
        _ => Ok(items),
    }
}

/// The `index`-th item of a sequence already checked by [`seq`].
pub(crate) fn item<'v>(
    items: &'v [Value],
    index: usize,
    format: &str,
) -> Result<&'v Value, WireError> {
    items.get(index).ok_or_else(|| bad(format, "missing item"))
}

/// An address from `Address` or a `(host, port)` tuple.
pub(crate) fn address(v: &Value, format: &str) -> Result<Address, WireError> {
    match v {
        Value::Address(a) => Ok(a.clone()),
        Value::Tuple(_) | Value::List(_) => {
            let items = seq(v, format, Some(2))?;
            let host = string(item(items, 0, format)?, format)?;
            let port = int::<u16>(item(items, 1, format)?, format)?;
            Ok(Address::from_host_port(host, port))
        }
        _ => Err(bad(format, "expected an address")),
    }
}
