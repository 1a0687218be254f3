//! `UdpEndpoint` on loopback: send/receive, py-ipv8's prefix-listener rule, port
//! retry when the port is taken, closed endpoints, hostile datagrams, IPv6.

use async_executor::LocalExecutor;
use ipv8sim::endpoint::{Endpoint, EndpointListener, UdpEndpoint};
use std::cell::RefCell;
use std::net::{SocketAddr, UdpSocket};
use std::rc::Rc;
use std::time::Duration;

#[derive(Default)]
struct Rec(RefCell<Vec<(SocketAddr, Vec<u8>)>>);
impl EndpointListener for Rec {
    fn on_packet(&self, source: SocketAddr, data: &[u8]) {
        self.0.borrow_mut().push((source, data.to_vec()));
    }
}

/// Run the executor until `done()` or 5 s.
fn run_until(ex: &LocalExecutor<'_>, done: impl Fn() -> bool) {
    async_io::block_on(ex.run(async {
        for _ in 0..500 {
            if done() {
                return;
            }
            async_io::Timer::after(Duration::from_millis(10)).await;
        }
    }));
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn send_receive_with_prefix_listeners() {
    let ex = LocalExecutor::new();
    let a = Rc::new(UdpEndpoint::new(loopback(0)));
    let b = Rc::new(UdpEndpoint::new(loopback(0)));
    a.open().unwrap();
    b.open().unwrap();
    assert!(a.is_open());
    assert_ne!(b.local_address().port(), 0);
    let general = Rc::new(Rec::default());
    let pref = Rc::new(Rec::default());
    let other = Rc::new(Rec::default());
    let p = [7u8; 22];
    b.add_listener(None, general.clone());
    b.add_listener(Some(p), pref.clone());
    b.add_listener(Some([8u8; 22]), other.clone());
    ex.spawn(b.receive_loop()).detach();
    let mut with_prefix = p.to_vec();
    with_prefix.extend_from_slice(b"hello");
    a.send(b.local_address(), with_prefix.clone());
    a.send(b.local_address(), b"short".to_vec());
    a.send(b.local_address(), Vec::new());
    run_until(&ex, || general.0.borrow().len() == 3);
    let g = general.0.borrow();
    assert_eq!(g.len(), 3, "{g:?}");
    assert!(g.iter().all(|(src, _)| *src == a.local_address()));
    assert_eq!(*pref.0.borrow(), vec![(a.local_address(), with_prefix)]);
    assert!(other.0.borrow().is_empty());
    assert_eq!(a.stats().sent, 3);
    assert_eq!(b.stats().received, 3);
    b.close();
    a.close();
}

#[test]
fn taken_port_moves_to_the_next_one_and_exact_port_fails() {
    let holder = UdpSocket::bind(loopback(0)).unwrap();
    let taken = holder.local_addr().unwrap().port();
    if taken == u16::MAX {
        return; // no next port to try
    }
    let e = UdpEndpoint::new(loopback(taken));
    e.open().unwrap();
    assert!(e.local_address().port() > taken, "{:?}", e.local_address());
    let exact = UdpEndpoint::new(loopback(taken)).with_port_attempts(1);
    let err = exact.open().unwrap_err().to_string();
    assert!(err.contains(&taken.to_string()), "{err}");
    assert!(!exact.is_open());
}

#[test]
fn close_ends_the_receive_loop_and_silences_send() {
    let ex = LocalExecutor::new();
    let a = Rc::new(UdpEndpoint::new(loopback(0)));
    a.open().unwrap();
    let task = ex.spawn(a.receive_loop());
    let rec = Rc::new(Rec::default());
    a.add_listener(None, rec.clone());
    let peer = UdpSocket::bind(loopback(0)).unwrap();
    peer.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    a.close();
    assert!(!a.is_open());
    // The loop returns once closed.
    async_io::block_on(ex.run(task));
    // Sending while closed is a silent no-op.
    a.send(peer.local_addr().unwrap(), b"x".to_vec());
    let mut buf = [0u8; 16];
    assert!(peer.recv_from(&mut buf).is_err());
    assert_eq!(a.stats().sent, 0);
    // A loop started while closed returns at once.
    async_io::block_on(a.receive_loop());
    // Reopening works.
    a.open().unwrap();
    assert!(a.is_open());
}

#[test]
fn hostile_datagrams_do_not_panic() {
    let ex = LocalExecutor::new();
    let a = Rc::new(UdpEndpoint::new(loopback(0)));
    a.open().unwrap();
    let rec = Rc::new(Rec::default());
    a.add_listener(Some([0u8; 22]), rec.clone());
    a.add_listener(None, rec.clone());
    ex.spawn(a.receive_loop()).detach();
    let s = UdpSocket::bind(loopback(0)).unwrap();
    let big = vec![0u8; 65_000];
    for d in [&[][..], &[0][..], &[0u8; 21][..], &[0u8; 22][..], &big[..]] {
        s.send_to(d, a.local_address()).unwrap();
    }
    run_until(&ex, || rec.0.borrow().len() >= 7);
    // Two listeners for the prefixed ones (22 zero bytes and the big one), one otherwise.
    assert_eq!(rec.0.borrow().len(), 7);
    assert_eq!(rec.0.borrow().last().unwrap().1.len(), 65_000);
}

#[test]
fn ipv6_loopback_and_family_mismatch() {
    let ex = LocalExecutor::new();
    let v6: SocketAddr = "[::1]:0".parse().unwrap();
    if UdpSocket::bind(v6).is_err() {
        eprintln!("no IPv6 loopback here; skipping the IPv6 part");
        return;
    }
    let a = Rc::new(UdpEndpoint::new(v6));
    let b = Rc::new(UdpEndpoint::new(v6));
    a.open().unwrap();
    b.open().unwrap();
    let rec = Rc::new(Rec::default());
    b.add_listener(None, rec.clone());
    ex.spawn(b.receive_loop()).detach();
    a.send(b.local_address(), b"over v6".to_vec());
    run_until(&ex, || !rec.0.borrow().is_empty());
    assert_eq!(
        *rec.0.borrow(),
        vec![(a.local_address(), b"over v6".to_vec())]
    );
    // An IPv4 endpoint cannot reach a (non-mapped) IPv6 address: dropped and counted.
    let v4 = UdpEndpoint::new(loopback(0));
    v4.open().unwrap();
    v4.send(b.local_address(), b"x".to_vec());
    assert_eq!(v4.stats().send_failed, 1);
}

#[test]
fn lan_guess_is_a_concrete_address() {
    let e = UdpEndpoint::new("0.0.0.0:0".parse().unwrap());
    e.open().unwrap();
    let lan = e.guess_lan_address();
    assert!(!lan.ip().is_unspecified());
    assert_eq!(lan.port(), e.local_address().port());
    // Bound to a concrete address: that address.
    let l = UdpEndpoint::new(loopback(0));
    l.open().unwrap();
    assert_eq!(l.guess_lan_address(), l.local_address());
}
