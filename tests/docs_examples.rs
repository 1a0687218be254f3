//! The docs' examples (../shared/docs/py-ipv8-2.8-docs.txt) as Rust tests on the
//! simulator: peers finding each other, the bootstrap-server scenario.

use ipv8sim::bootstrap::server::BootstrapServer;
use ipv8sim::bootstrap::DispersyBootstrapper;
use ipv8sim::community::{Community, CommunityBase, CommunityExt, CommunitySettings, Walker};
use ipv8sim::crypto::KeyKind;
use ipv8sim::discovery::RandomWalk;
use ipv8sim::runtime::{Duration, Instant};
use ipv8sim::sim::TestBase;
use std::net::SocketAddr;

const ID: [u8; 20] = *b"ipv8sim docs example";

/// The docs' `MyCommunity`: a community with a fixed id and nothing else.
struct MyCommunity {
    base: CommunityBase<Self>,
}

impl Community for MyCommunity {
    fn base(&self) -> &CommunityBase<Self> {
        &self.base
    }
    fn base_mut(&mut self) -> &mut CommunityBase<Self> {
        &mut self.base
    }
}

impl MyCommunity {
    fn new(settings: CommunitySettings) -> Self {
        MyCommunity {
            base: CommunityBase::new(ID, settings),
        }
    }
}

fn add_trackers(t: &mut TestBase, n: usize) -> Vec<SocketAddr> {
    (0..n)
        .map(|_| {
            let i =
                t.add_node_with_key(KeyKind::VERY_LOW, |s| (BootstrapServer::new(s), Vec::new()));
            t.address(i)
        })
        .collect()
}

fn add_walker_peer(t: &mut TestBase, trackers: &[SocketAddr], target: i64) -> usize {
    let trackers = trackers.to_vec();
    t.add_node_with(move |s| {
        let mut c = MyCommunity::new(s);
        c.base_mut()
            .bootstrappers
            .push(Box::new(DispersyBootstrapper::new(
                trackers,
                Duration::from_secs(30),
            )));
        (
            c,
            vec![Walker::new(RandomWalk::new(3.0, 5, 50, 0.0), target)],
        )
    })
}

#[test]
fn two_peers_find_each_other_with_medium_keys_through_a_bootstrap_server() {
    // Docs §6.2.5: two peers, "medium" keys, RandomWalk target 10, bootstrap servers.
    let mut t = TestBase::new(7);
    let trackers = add_trackers(&mut t, 1);
    let trackers2 = trackers.clone();
    let a = t.add_node_with_key(KeyKind::MEDIUM, move |s| {
        let mut c = MyCommunity::new(s);
        c.base_mut()
            .bootstrappers
            .push(Box::new(DispersyBootstrapper::new(
                trackers2,
                Duration::from_secs(30),
            )));
        (c, vec![Walker::new(RandomWalk::default(), 10)])
    });
    let b = t.add_node_with_key(KeyKind::MEDIUM, move |s| {
        let mut c = MyCommunity::new(s);
        c.base_mut()
            .bootstrappers
            .push(Box::new(DispersyBootstrapper::new(
                trackers,
                Duration::from_secs(30),
            )));
        (c, vec![Walker::new(RandomWalk::default(), 10)])
    });
    t.run_for(Duration::from_secs(5));
    let pa = t.overlay::<MyCommunity>(a).get_peers();
    let pb = t.overlay::<MyCommunity>(b).get_peers();
    assert_eq!(pa.len(), 1, "a knows b");
    assert_eq!(pb.len(), 1, "b knows a");
    assert_eq!(pa[0].mid(), &t.mid(b));
    assert_eq!(pb[0].mid(), &t.mid(a));
}

#[test]
fn introduce_nodes_makes_peers_verified() {
    let mut t = TestBase::new(1);
    t.initialize(3, MyCommunity::new);
    t.introduce_nodes();
    for i in 0..3 {
        assert_eq!(t.overlay::<MyCommunity>(i).get_peers().len(), 2, "node {i}");
    }
}

/// The docs' "Using the Bootstrap Server" example: 20 peers, 2 bootstrap servers,
/// RandomWalk target 10, 120 s. Every peer ends with at least 8 verified peers.
#[test]
fn twenty_peers_two_bootstrap_servers() {
    let mut t = TestBase::new(1);
    let trackers = add_trackers(&mut t, 2);
    let peers: Vec<usize> = (0..20)
        .map(|_| add_walker_peer(&mut t, &trackers, 10))
        .collect();
    let mut mean9 = None;
    let mut at = Instant::ZERO;
    while at < Instant::from_secs(120) {
        at += Duration::from_millis(500);
        t.sim().run_until(at);
        let mean = peers
            .iter()
            .map(|&i| t.overlay::<MyCommunity>(i).peer_count() as f64)
            .sum::<f64>()
            / peers.len() as f64;
        if mean9.is_none() && mean >= 9.0 {
            mean9 = Some(at);
        }
    }
    let counts: Vec<usize> = peers
        .iter()
        .map(|&i| t.overlay::<MyCommunity>(i).peer_count())
        .collect();
    println!("verified peers at 120 s: {counts:?}; mean reached 9 at {mean9:?}");
    assert!(counts.iter().all(|&c| c >= 8), "{counts:?}");
}
