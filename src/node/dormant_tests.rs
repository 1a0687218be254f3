//! A converged node does not schedule its no-op ticks, and resumes them on the tick
//! grid when an input makes a walker want to run again (`Node::settle`).

use super::{Node, DEFAULT_WALKER_INTERVAL};
use crate::community::{CommunitySettings, KeyCache, NodeContext, Walker};
use crate::crypto::{KeyKind, PrivateKey};
use crate::discovery::{DiscoveryStrategy, Peer, WalkOverlay};
use crate::runtime::{Duration, Instant};
use crate::sim::scenario::build::PlainCommunity;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

const ID: [u8; 20] = [7; 20];

/// Records when it was asked to step.
struct Steps(Rc<RefCell<Vec<Instant>>>);

impl<O: WalkOverlay + ?Sized> DiscoveryStrategy<O> for Steps {
    fn take_step(&mut self, overlay: &mut O) {
        self.0.borrow_mut().push(overlay.now());
    }

    fn name(&self) -> &'static str {
        "Steps"
    }
}

fn at_ms(ms: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(ms)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn node(target: i64) -> (Node, Rc<RefCell<Vec<Instant>>>) {
    let shared = Rc::new(RefCell::new(NodeContext::new(
        ChaCha8Rng::seed_from_u64(1),
        Rc::new(RefCell::new(KeyCache::new(16))),
    )));
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let key = PrivateKey::generate(KeyKind::Curve25519, &mut rng).unwrap();
    let community = PlainCommunity::new(ID, CommunitySettings::new(shared.clone(), Rc::new(key)));
    let steps = Rc::new(RefCell::new(Vec::new()));
    let mut n = Node::new(shared, DEFAULT_WALKER_INTERVAL);
    n.add_overlay(community, vec![Walker::new(Steps(steps.clone()), target)]);
    (n, steps)
}

/// A verified peer serving the overlay.
fn add_peer(n: &Node, byte: u8, now: Instant) -> crate::discovery::KeyBin {
    let key = crate::discovery::KeyBin::from(vec![byte; 8]);
    let mut s = n.shared().borrow_mut();
    s.network
        .add_verified_peer(Peer::new(key.clone(), addr("10.0.0.9:9"), now));
    s.network.discover_services(&key, &[ID]);
    key
}

/// Run the node's timeouts up to `until`, as a driver would.
fn run_until(n: &mut Node, until: Instant) {
    while let Some(t) = n.poll_timeout().filter(|t| *t <= until) {
        n.handle_timeout(t);
    }
}

#[test]
fn converged_node_schedules_no_tick_and_resumes_on_the_grid() {
    let (mut n, steps) = node(1);
    n.start(Instant::ZERO, addr("10.0.0.1:1"));
    run_until(&mut n, at_ms(1000));
    // Below target: a step at every grid point.
    assert_eq!(*steps.borrow(), vec![at_ms(0), at_ms(500), at_ms(1000)]);

    // At target after an input at 1.2 s (a datagram no overlay takes): no tick is
    // scheduled any more, however long we wait.
    let key = add_peer(&n, 1, at_ms(1200));
    n.handle_datagram(at_ms(1200), addr("10.0.0.9:9"), b"not ipv8");
    assert_eq!(n.poll_timeout(), None, "a converged node has nothing to do");
    run_until(&mut n, at_ms(60_000));
    assert_eq!(steps.borrow().len(), 3);

    // An input at 61.7 s drops the count below target: the walker runs again at the
    // next point of the original 0.5 s grid, not at 61.7 s.
    n.shared().borrow_mut().network.remove_peer(&key);
    n.handle_datagram(at_ms(61_700), addr("10.0.0.9:9"), b"not ipv8");
    assert_eq!(n.poll_timeout(), Some(at_ms(62_000)));
    run_until(&mut n, at_ms(63_000));
    assert_eq!(
        steps.borrow()[3..],
        [at_ms(62_000), at_ms(62_500), at_ms(63_000)]
    );
}

#[test]
fn input_on_a_grid_point_resumes_at_the_next_one() {
    let (mut n, steps) = node(1);
    n.start(Instant::ZERO, addr("10.0.0.1:1"));
    run_until(&mut n, at_ms(0));
    let key = add_peer(&n, 1, at_ms(0));
    n.handle_datagram(at_ms(100), addr("10.0.0.9:9"), b"x");
    run_until(&mut n, at_ms(5000));
    assert_eq!(*steps.borrow(), vec![at_ms(0)]);
    // The tick of the 5.0 s grid point ran (as a no-op) before this input.
    n.shared().borrow_mut().network.remove_peer(&key);
    n.handle_datagram(at_ms(5000), addr("10.0.0.9:9"), b"x");
    assert_eq!(n.poll_timeout(), Some(at_ms(5500)));
}

#[test]
fn walkers_without_target_keep_the_node_ticking() {
    let (mut n, steps) = node(-1);
    n.start(Instant::ZERO, addr("10.0.0.1:1"));
    add_peer(&n, 1, at_ms(0));
    run_until(&mut n, at_ms(2000));
    assert_eq!(steps.borrow().len(), 5);
    assert_eq!(n.poll_timeout(), Some(at_ms(2500)));
}

#[test]
fn restart_ticks_at_once() {
    let (mut n, steps) = node(1);
    n.start(Instant::ZERO, addr("10.0.0.1:1"));
    let key = add_peer(&n, 1, at_ms(0));
    run_until(&mut n, at_ms(1000));
    assert!(steps.borrow().is_empty());
    assert_eq!(n.poll_timeout(), None);
    n.stop(at_ms(3000));
    n.shared().borrow_mut().network.remove_peer(&key);
    n.start(at_ms(7300), addr("10.0.0.1:1"));
    assert_eq!(n.poll_timeout(), Some(at_ms(7300)));
    run_until(&mut n, at_ms(7800));
    assert_eq!(*steps.borrow(), vec![at_ms(7300), at_ms(7800)]);
}
