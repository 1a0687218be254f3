//! [`Address`] and the three address formats `ipv4`, `ip_address` and `address`
//! (spec §4; py-ipv8 `ipv8/messaging/serialization.py` classes `IPv4` and `Address`).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::error::WireError;
use super::reader::Reader;

/// `ip_address`/`address` type byte for IPv4.
pub const ADDRESS_TYPE_IPV4: u8 = 0x01;
/// `address` type byte for a domain name.
pub const ADDRESS_TYPE_DOMAIN: u8 = 0x02;
/// `ip_address`/`address` type byte for IPv6.
pub const ADDRESS_TYPE_IPV6: u8 = 0x03;

/// An address as py-ipv8 decodes it: `UDPv4Address`, `UDPv6Address` or `DomainAddress`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Address {
    /// `UDPv4Address`.
    V4(SocketAddrV4),
    /// `UDPv6Address` (flow info and scope are always 0 on the wire).
    V6(SocketAddrV6),
    /// `DomainAddress(host, port)`.
    Domain(String, u16),
}

impl Address {
    /// Parse `host` the way py-ipv8's `address` packer does: IPv4 text, else IPv6 text,
    /// else a domain name.
    pub fn from_host_port(host: &str, port: u16) -> Address {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            Address::V4(SocketAddrV4::new(ip, port))
        } else if let Ok(ip) = host.parse::<Ipv6Addr>() {
            Address::V6(SocketAddrV6::new(ip, port, 0, 0))
        } else {
            Address::Domain(host.to_owned(), port)
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        match self {
            Address::V4(a) => a.port(),
            Address::V6(a) => a.port(),
            Address::Domain(_, p) => *p,
        }
    }

    /// The host as text (what py-ipv8 keeps in the address tuple).
    pub fn host(&self) -> String {
        match self {
            Address::V4(a) => a.ip().to_string(),
            Address::V6(a) => a.ip().to_string(),
            Address::Domain(h, _) => h.clone(),
        }
    }

    /// The socket address, unless this is a domain name.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match self {
            Address::V4(a) => Some(SocketAddr::V4(*a)),
            Address::V6(a) => Some(SocketAddr::V6(*a)),
            Address::Domain(..) => None,
        }
    }

    /// py-ipv8's type name (`UDPv4Address`, `UDPv6Address`, `DomainAddress`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Address::V4(_) => "UDPv4Address",
            Address::V6(_) => "UDPv6Address",
            Address::Domain(..) => "DomainAddress",
        }
    }

    /// The all-zero IPv4 address `0.0.0.0:0` ("nobody" in introductions).
    pub const ZERO_V4: Address = Address::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::V4(a) => a.fmt(f),
            Address::V6(a) => a.fmt(f),
            Address::Domain(h, p) => write!(f, "{h}:{p}"),
        }
    }
}

impl From<SocketAddr> for Address {
    fn from(a: SocketAddr) -> Self {
        match a {
            SocketAddr::V4(a) => Address::V4(a),
            SocketAddr::V6(a) => Address::V6(SocketAddrV6::new(*a.ip(), a.port(), 0, 0)),
        }
    }
}

impl From<SocketAddrV4> for Address {
    fn from(a: SocketAddrV4) -> Self {
        Address::V4(a)
    }
}

impl From<SocketAddrV6> for Address {
    fn from(a: SocketAddrV6) -> Self {
        Address::V6(a)
    }
}

/// Error converting a domain-name [`Address`] to a socket address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("domain address {0:?} is not a socket address")]
pub struct NotAnIpAddress(pub String);

impl TryFrom<Address> for SocketAddr {
    type Error = NotAnIpAddress;
    fn try_from(a: Address) -> Result<Self, Self::Error> {
        match a {
            Address::V4(a) => Ok(SocketAddr::V4(a)),
            Address::V6(a) => Ok(SocketAddr::V6(a)),
            Address::Domain(h, _) => Err(NotAnIpAddress(h)),
        }
    }
}

/// Pack `ipv4`: 4 address bytes, u16 port (6 bytes).
pub fn pack_ipv4(a: &SocketAddrV4, out: &mut Vec<u8>) {
    out.extend_from_slice(&a.ip().octets());
    out.extend_from_slice(&a.port().to_be_bytes());
}

/// Unpack `ipv4`.
pub fn unpack_ipv4(r: &mut Reader<'_>) -> Result<SocketAddrV4, WireError> {
    let ip: [u8; 4] = r.array()?;
    let port = r.u16()?;
    Ok(SocketAddrV4::new(Ipv4Addr::from(ip), port))
}

/// Pack `ip_address`: type byte 1 + IPv4 + port, or type byte 3 + IPv6 + port.
pub fn pack_ip_address(a: &SocketAddr, out: &mut Vec<u8>) {
    match a {
        SocketAddr::V4(a) => {
            out.push(ADDRESS_TYPE_IPV4);
            pack_ipv4(a, out);
        }
        SocketAddr::V6(a) => {
            out.push(ADDRESS_TYPE_IPV6);
            out.extend_from_slice(&a.ip().octets());
            out.extend_from_slice(&a.port().to_be_bytes());
        }
    }
}

/// Unpack `ip_address` (types 1 and 3 only; anything else is
/// [`WireError::BadAddressType`]).
pub fn unpack_ip_address(r: &mut Reader<'_>) -> Result<SocketAddr, WireError> {
    match r.u8()? {
        ADDRESS_TYPE_IPV4 => Ok(SocketAddr::V4(unpack_ipv4(r)?)),
        ADDRESS_TYPE_IPV6 => {
            let ip: [u8; 16] = r.array()?;
            let port = r.u16()?;
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                port,
                0,
                0,
            )))
        }
        t => Err(WireError::BadAddressType(t)),
    }
}

/// Pack `address`: like `ip_address`, plus type 2 = u16 length, UTF-8 host, u16 port.
/// A host longer than 65535 bytes is truncated to 65535 bytes (py-ipv8 would raise).
pub fn pack_address(a: &Address, out: &mut Vec<u8>) {
    match a {
        Address::V4(v4) => pack_ip_address(&SocketAddr::V4(*v4), out),
        Address::V6(v6) => pack_ip_address(&SocketAddr::V6(*v6), out),
        Address::Domain(host, port) => {
            out.push(ADDRESS_TYPE_DOMAIN);
            let bytes = host.as_bytes();
            let bytes = bytes.get(..usize::from(u16::MAX)).unwrap_or(bytes);
            out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
            out.extend_from_slice(bytes);
            out.extend_from_slice(&port.to_be_bytes());
        }
    }
}

/// Unpack `address`.
pub fn unpack_address(r: &mut Reader<'_>) -> Result<Address, WireError> {
    let mut peek = r.clone();
    if peek.u8()? == ADDRESS_TYPE_DOMAIN {
        let len = usize::from(peek.u16()?);
        let host = std::str::from_utf8(peek.take(len)?).map_err(|_| WireError::BadUtf8)?;
        let port = peek.u16()?;
        *r = peek;
        return Ok(Address::Domain(host.to_owned(), port));
    }
    unpack_ip_address(r).map(Address::from)
}
