//! [`UdpEndpoint`]: an [`Endpoint`] on a real UDP socket (py-ipv8
//! `ipv8/messaging/interfaces/udp/endpoint.py`, spec §1 and §12), on `async-io`.
//!
//! * `open()` binds the configured address; if the port is taken it tries the next
//!   ones, up to 10 000 (py-ipv8's `UDPEndpoint._open`). Port 0 lets the OS choose.
//!   The receive buffer is set to 870 400 bytes where the OS allows it.
//! * IPv4 or IPv6 by the bind address. An IPv6 socket sends to IPv4 destinations as
//!   IPv4-mapped addresses and reports IPv4-mapped sources as IPv4 (dual stack).
//! * Receiving is a future, [`UdpEndpoint::receive_loop`], to spawn on the executor
//!   after `open()`; it hands each datagram to the listeners with py-ipv8's prefix
//!   rule ([`Listeners`]) and ends when the endpoint is closed. Nothing a datagram
//!   holds can make it panic.
//! * `send` never blocks: a datagram the socket cannot take at once is dropped and
//!   counted (UDP semantics), as is one to an address of the other family.
//!
//! This module (with `runtime::real_clock`) is the only place allowed to touch OS
//! sockets (house rule 2, DESIGN.md).

use super::listeners::Listeners;
use super::{Endpoint, EndpointError, EndpointListener, ListenerId, Prefix};
use async_io::Async;
use futures::future::{select, Either};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// py-ipv8's receive buffer size (`SO_RCVBUF`).
pub const RECEIVE_BUFFER: usize = 870_400;
/// py-ipv8 tries this many ports from the configured one.
pub const PORT_ATTEMPTS: u32 = 10_000;
/// Largest UDP payload we can receive.
const MAX_DATAGRAM: usize = 65_536;

/// Counters of a [`UdpEndpoint`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UdpStats {
    /// Datagrams handed to the OS.
    pub sent: u64,
    /// Bytes handed to the OS.
    pub bytes_sent: u64,
    /// Datagrams received (delivered to listeners).
    pub received: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Datagrams not sent: socket buffer full, wrong address family, OS error.
    pub send_failed: u64,
    /// Receive errors reported by the OS (the loop goes on).
    pub receive_errors: u64,
}

/// A UDP endpoint (see the module docs).
pub struct UdpEndpoint {
    requested: SocketAddr,
    port_attempts: u32,
    socket: RefCell<Option<Rc<Async<UdpSocket>>>>,
    local: Cell<Option<SocketAddr>>,
    listeners: Listeners,
    stats: Cell<UdpStats>,
    /// Incremented on every open and close: a receive loop serves one epoch.
    epoch: Cell<u64>,
    close_waker: RefCell<Option<Waker>>,
}

impl std::fmt::Debug for UdpEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpEndpoint")
            .field("requested", &self.requested)
            .field("local", &self.local.get())
            .field("open", &self.is_open())
            .finish()
    }
}

impl UdpEndpoint {
    /// An endpoint that will bind `address` (not opened yet).
    pub fn new(address: SocketAddr) -> Self {
        UdpEndpoint {
            requested: address,
            port_attempts: PORT_ATTEMPTS,
            socket: RefCell::new(None),
            local: Cell::new(None),
            listeners: Listeners::new(),
            stats: Cell::new(UdpStats::default()),
            epoch: Cell::new(0),
            close_waker: RefCell::new(None),
        }
    }

    /// Try at most `n` ports (≥ 1) from the configured one; 1 = exactly that port.
    pub fn with_port_attempts(mut self, n: u32) -> Self {
        self.port_attempts = n.max(1);
        self
    }

    /// The address `open` binds (first attempt).
    pub fn requested_address(&self) -> SocketAddr {
        self.requested
    }

    /// The counters.
    pub fn stats(&self) -> UdpStats {
        self.stats.get()
    }

    fn count(&self, f: impl FnOnce(&mut UdpStats)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }

    /// A guess of this host's LAN address for the endpoint's family (py-ipv8 guesses
    /// the first non-loopback interface address, spec §6.8): the source address the OS
    /// would pick to reach a public address (a UDP `connect`, which sends nothing);
    /// `127.0.0.1` / `::1` if there is none. The port is the bound port.
    pub fn guess_lan_address(&self) -> SocketAddr {
        let local = self.local_address();
        if !local.ip().is_unspecified() {
            return local;
        }
        let ip = match local {
            SocketAddr::V4(_) => guess_route_ip("0.0.0.0:0", "198.51.100.1:9")
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SocketAddr::V6(_) => guess_route_ip("[::]:0", "[2001:db8::1]:9")
                .unwrap_or(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        };
        SocketAddr::new(ip, local.port())
    }

    /// The receive loop: hands every datagram to the listeners until the endpoint is
    /// closed (or at once if it is not open). Spawn it after `open()`, once per open.
    pub fn receive_loop(self: &Rc<Self>) -> impl Future<Output = ()> + 'static {
        let ep = self.clone();
        async move {
            let epoch = ep.epoch.get();
            let Some(socket) = ep.socket.borrow().clone() else {
                return;
            };
            let mut buf = vec![0u8; MAX_DATAGRAM];
            loop {
                if ep.epoch.get() != epoch {
                    return;
                }
                let received = {
                    let recv = Box::pin(socket.recv_from(&mut buf));
                    let closed = Closed { ep: &ep, epoch };
                    match select(recv, closed).await {
                        Either::Left((r, _)) => r,
                        Either::Right(_) => return,
                    }
                };
                match received {
                    Ok((n, source)) => {
                        let data = buf.get(..n).unwrap_or(&[]);
                        ep.count(|s| {
                            s.received += 1;
                            s.bytes_received += n as u64;
                        });
                        let source = unmap(source);
                        ep.listeners
                            .deliver(source, data, || ep.epoch.get() == epoch && ep.is_open());
                    }
                    // ICMP errors surfacing on the socket etc.: count and go on.
                    Err(_) => ep.count(|s| s.receive_errors += 1),
                }
            }
        }
    }
}

/// Completes when the endpoint leaves `epoch` (closed or reopened).
struct Closed<'a> {
    ep: &'a UdpEndpoint,
    epoch: u64,
}

impl Future for Closed<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.ep.epoch.get() != self.epoch {
            return Poll::Ready(());
        }
        *self.ep.close_waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// IPv4-mapped IPv6 source addresses (`::ffff:a.b.c.d`) as IPv4.
fn unmap(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
            None => a,
        },
        v4 => v4,
    }
}

fn guess_route_ip(bind: &str, target: &str) -> Option<IpAddr> {
    let s = UdpSocket::bind(bind).ok()?;
    s.connect(target).ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// Bind one UDP socket at `addr` with py-ipv8's receive buffer size.
fn bind_socket(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: the OS may cap or refuse it (py-ipv8 ignores that too).
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
    if addr.is_ipv6() {
        // Dual stack where the OS allows it, so IPv4 peers are reachable too.
        let _ = socket.set_only_v6(false);
    }
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

impl Endpoint for UdpEndpoint {
    fn send(&self, to: SocketAddr, data: Vec<u8>) {
        let Some(socket) = self.socket.borrow().clone() else {
            return; // closed: silent no-op, as in py-ipv8
        };
        let to = match (self.local.get(), to) {
            (Some(SocketAddr::V6(_)), SocketAddr::V4(v4)) => {
                SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port())
            }
            (Some(SocketAddr::V4(_)), SocketAddr::V6(v6)) => match v6.ip().to_ipv4_mapped() {
                Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
                None => {
                    self.count(|s| s.send_failed += 1);
                    return;
                }
            },
            _ => to,
        };
        // The socket is non-blocking (async-io): a full buffer drops the datagram.
        match socket.get_ref().send_to(&data, to) {
            Ok(_) => self.count(|s| {
                s.sent += 1;
                s.bytes_sent += data.len() as u64;
            }),
            Err(_) => self.count(|s| s.send_failed += 1),
        }
    }

    fn add_listener(
        &self,
        prefix: Option<Prefix>,
        listener: Rc<dyn EndpointListener>,
    ) -> ListenerId {
        self.listeners.add(prefix, listener)
    }

    fn remove_listener(&self, id: ListenerId) {
        self.listeners.remove(id)
    }

    fn open(&self) -> Result<(), EndpointError> {
        if self.is_open() {
            return Ok(());
        }
        let attempts = if self.requested.port() == 0 {
            1
        } else {
            self.port_attempts
        };
        let mut last_err = None;
        for i in 0..attempts {
            let Some(port) = u16::try_from(u32::from(self.requested.port()) + i).ok() else {
                break;
            };
            let addr = SocketAddr::new(self.requested.ip(), port);
            match bind_socket(addr) {
                Ok(sock) => {
                    let local = sock.local_addr()?;
                    let sock = Async::new(sock)?;
                    *self.socket.borrow_mut() = Some(Rc::new(sock));
                    self.local.set(Some(local));
                    self.epoch.set(self.epoch.get() + 1);
                    return Ok(());
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(EndpointError::Open(format!(
            "cannot bind UDP {} (tried {} port(s)): {}",
            self.requested,
            attempts,
            last_err.map_or_else(|| "port range exhausted".to_owned(), |e| e.to_string())
        )))
    }

    fn close(&self) {
        if self.socket.borrow_mut().take().is_some() {
            self.epoch.set(self.epoch.get() + 1);
            if let Some(w) = self.close_waker.borrow_mut().take() {
                w.wake();
            }
        }
    }

    fn is_open(&self) -> bool {
        self.socket.borrow().is_some()
    }

    /// The bound address (the requested one until opened; it keeps the last bound
    /// address after closing).
    fn local_address(&self) -> SocketAddr {
        self.local.get().unwrap_or(self.requested)
    }

    /// py-ipv8's UDP endpoint has no WAN notion: the bound address.
    fn wan_address(&self) -> SocketAddr {
        self.local_address()
    }
}
