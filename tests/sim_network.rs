//! The simulated network: exact delivery times (constant, matrix, topology), listener
//! demultiplexing, drops (unknown address, closed, partition, loss), broadcast, stats,
//! and determinism of whole runs under jitter.

use futures::channel::mpsc;
use futures::StreamExt;
use ipv8sim::endpoint::{Endpoint, EndpointListener, Prefix};
use ipv8sim::runtime::{Clock, Duration, Instant};
use ipv8sim::sim::seeds::{node_rng, purpose};
use ipv8sim::sim::{
    ConstantLatency, DropReason, JitterLatency, LatencyMatrix, Link, MatrixLatency, Placement, Sim,
    SimNetwork, SimulatedEndpoint, TopologyGraph, TopologyLatency,
};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

type Log = Rc<RefCell<Vec<(Instant, String)>>>;

/// Logs every datagram it gets as (time, "<tag> from <addr>: <payload>").
struct Recorder {
    sim: Sim,
    tag: &'static str,
    log: Log,
}

impl EndpointListener for Recorder {
    fn on_packet(&self, source: SocketAddr, data: &[u8]) {
        self.log.borrow_mut().push((
            self.sim.now(),
            format!(
                "{} from {source}: {}",
                self.tag,
                String::from_utf8_lossy(data)
            ),
        ));
    }
}

fn recorder(sim: &Sim, ep: &SimulatedEndpoint, tag: &'static str, log: &Log) {
    ep.add_listener(
        None,
        Rc::new(Recorder {
            sim: sim.clone(),
            tag,
            log: log.clone(),
        }),
    );
}

/// Replies "pong" to every "ping" from inside `on_packet` (re-entrant send).
struct Ponger {
    ep: SimulatedEndpoint,
}

impl EndpointListener for Ponger {
    fn on_packet(&self, source: SocketAddr, data: &[u8]) {
        if data == b"ping" {
            self.ep.send(source, b"pong".to_vec());
        }
    }
}

/// Forwards datagrams into a bounded channel, for an async task to await.
struct ToChannel(RefCell<mpsc::Sender<(SocketAddr, Vec<u8>)>>);

impl EndpointListener for ToChannel {
    fn on_packet(&self, source: SocketAddr, data: &[u8]) {
        let _ = self.0.borrow_mut().try_send((source, data.to_vec()));
    }
}

/// The docs' ping-pong (py-ipv8 2.8 docs §6.14): A pings B every 2 s; B answers.
/// Returns the (time, event) log.
fn ping_pong(sim: &Sim, net: &SimNetwork, until: Instant) -> Log {
    let a = net.new_endpoint();
    let b = net.new_endpoint();
    a.open().unwrap();
    b.open().unwrap();
    b.add_listener(None, Rc::new(Ponger { ep: b.clone() }));
    let log: Log = Log::default();
    let (tx, mut rx) = mpsc::channel(16);
    a.add_listener(None, Rc::new(ToChannel(RefCell::new(tx))));
    let (clock, l, a2, to) = (sim.clock(), log.clone(), a.clone(), b.wan_address());
    sim.spawn(async move {
        loop {
            l.borrow_mut().push((clock.now(), "A sends ping".into()));
            a2.send(to, b"ping".to_vec());
            clock.sleep(Duration::from_secs(2)).await;
        }
    })
    .detach();
    let (clock, l) = (sim.clock(), log.clone());
    let b_addr = b.wan_address();
    sim.spawn(async move {
        while let Some((src, data)) = rx.next().await {
            assert_eq!(src, b_addr, "source is the sender's WAN address");
            l.borrow_mut().push((
                clock.now(),
                format!("A got {}", String::from_utf8_lossy(&data)),
            ));
        }
    })
    .detach();
    sim.run_until(until);
    log
}

#[test]
fn ping_pong_times_follow_constant_latency() {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 1);
    net.set_latency_model(Box::new(ConstantLatency(Duration::from_millis(25))));
    let log = ping_pong(&sim, &net, Instant::from_secs(5));
    let got: Vec<(u64, String)> = log
        .borrow()
        .iter()
        .map(|(t, e)| (t.as_nanos() / 1_000_000, e.clone()))
        .collect();
    let want: Vec<(u64, String)> = [
        (0, "A sends ping"),
        (50, "A got pong"),
        (2000, "A sends ping"),
        (2050, "A got pong"),
        (4000, "A sends ping"),
        (4050, "A got pong"),
    ]
    .iter()
    .map(|(t, e)| (*t, e.to_string()))
    .collect();
    assert_eq!(got, want);
    let s = net.stats();
    assert_eq!(
        (s.sent_packets, s.delivered_packets, s.dropped_total()),
        (6, 6, 0)
    );
    sim.shutdown();
}

#[test]
fn ten_virtual_minutes_of_ping_pong_run_fast() {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 1);
    net.set_latency_model(Box::new(ConstantLatency(Duration::from_millis(40))));
    #[allow(clippy::disallowed_methods)] // wall time is printed only, never asserted
    let wall = std::time::Instant::now();
    let log = ping_pong(&sim, &net, Instant::from_secs(600));
    println!(
        "10 virtual minutes of ping-pong took {:?} of wall time",
        wall.elapsed()
    );
    assert_eq!(sim.now(), Instant::from_secs(600));
    let log = log.borrow();
    // Pings at 0, 2, …, 600 s (events at the limit fire); the last pong is due at
    // 600.08 s, after the limit.
    assert_eq!(log.iter().filter(|(_, e)| e == "A sends ping").count(), 301);
    let pongs: Vec<Instant> = log
        .iter()
        .filter(|(_, e)| e == "A got pong")
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(pongs.len(), 300);
    assert_eq!(pongs.last(), Some(&Instant::from_millis(598_080)));
    sim.shutdown();
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn matrix_rtt_file_gives_half_rtt_one_way_delays() {
    let path = write_temp(
        "sim_net_rtt.csv",
        "# test matrix\n# unit: ms rtt\nhost,x,y,z\nx,2,40,90\ny,40,4,30\nz,90,30,6\n",
    );
    let m = Rc::new(LatencyMatrix::load(&path).unwrap());
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 3);
    net.set_latency_model(Box::new(MatrixLatency::new(
        m.clone(),
        Placement::RoundRobin,
    )));
    // 6 hosts on 3 rows: host h sits on row h % 3.
    let eps: Vec<SimulatedEndpoint> = (0..6).map(|_| net.new_endpoint()).collect();
    let log: Log = Log::default();
    for (i, e) in eps.iter().enumerate() {
        e.open().unwrap();
        let tag: &'static str = ["0", "1", "2", "3", "4", "5"][i];
        recorder(&sim, e, tag, &log);
    }
    // Every host sends one datagram to every host (itself included) at t = 1 s.
    for (i, from) in eps.iter().enumerate() {
        for to in &eps {
            let (from, to, payload) = (from.clone(), to.wan_address(), format!("{i}"));
            sim.schedule_at(Instant::from_secs(1), move || {
                from.send(to, payload.into_bytes())
            });
        }
    }
    sim.run_until_idle(1000);
    let log = log.borrow();
    assert_eq!(log.len(), 36);
    for (t, e) in log.iter() {
        // "<to> from <addr>: <from>"
        let to: usize = e[..1].parse().unwrap();
        let from: usize = e.rsplit(": ").next().unwrap().parse().unwrap();
        let rtt_ms = [[2.0, 40.0, 90.0], [40.0, 4.0, 30.0], [90.0, 30.0, 6.0]][from % 3][to % 3];
        let one_way = *t - Instant::from_secs(1);
        assert_eq!(one_way, Duration::from_secs_f64(rtt_ms / 2000.0), "{e}");
        assert_eq!(Some(one_way), m.one_way(from % 3, to % 3));
    }
    sim.shutdown();
}

#[test]
fn topology_routes_by_shortest_path() {
    let mut g = TopologyGraph::new_undirected();
    let r: Vec<_> = (0..3).map(|_| g.add_node(())).collect();
    g.add_edge(r[0], r[1], Link::new(Duration::from_millis(10)));
    g.add_edge(r[1], r[2], Link::new(Duration::from_millis(15)));
    g.add_edge(r[0], r[2], Link::new(Duration::from_millis(100)));
    let model = TopologyLatency::new(&g, &[r[0], r[2]], Placement::RoundRobin).unwrap();
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 0);
    net.set_latency_model(Box::new(model));
    let (a, b) = (net.new_endpoint(), net.new_endpoint());
    a.open().unwrap();
    b.open().unwrap();
    let log: Log = Log::default();
    recorder(&sim, &b, "b", &log);
    a.send(b.wan_address(), b"x".to_vec());
    sim.run_until_idle(10);
    assert_eq!(log.borrow()[0].0, Instant::from_millis(25));
    sim.shutdown();
}

struct Tagged(&'static str, Log, Sim);
impl EndpointListener for Tagged {
    fn on_packet(&self, _: SocketAddr, data: &[u8]) {
        self.1
            .borrow_mut()
            .push((self.2.now(), format!("{} got {}", self.0, data.len())));
    }
}

#[test]
fn prefix_listeners_demultiplex_by_the_first_22_bytes() {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 0);
    let (a, b) = (net.new_endpoint(), net.new_endpoint());
    a.open().unwrap();
    b.open().unwrap();
    let log: Log = Log::default();
    let p1: Prefix = [1; 22];
    let p2: Prefix = [2; 22];
    b.add_listener(Some(p1), Rc::new(Tagged("P1", log.clone(), sim.clone())));
    let g = b.add_listener(None, Rc::new(Tagged("G", log.clone(), sim.clone())));
    b.add_listener(Some(p2), Rc::new(Tagged("P2", log.clone(), sim.clone())));
    let mut m1 = p1.to_vec();
    m1.push(9); // 23 bytes
    let mut m2 = p2.to_vec();
    m2.extend([9, 9]); // 24 bytes
    let other = vec![3u8; 25];
    let short = p1[..21].to_vec(); // 21 bytes: no prefix match possible
    for m in [m1, m2, other, short] {
        a.send(b.wan_address(), m);
        sim.run_until_idle(10);
    }
    b.remove_listener(g);
    a.send(b.wan_address(), p2.to_vec());
    sim.run_until_idle(10);
    let got: Vec<String> = log.borrow().iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(
        got,
        [
            "P1 got 23",
            "G got 23",
            "P2 got 24",
            "G got 24",
            "G got 25",
            "G got 21",
            "P2 got 22"
        ]
    );
    sim.shutdown();
}

#[test]
fn unknown_addresses_are_counted_and_dropped() {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 0);
    let a = net.new_endpoint();
    a.open().unwrap();
    assert_eq!(a.wan_address(), "11.0.0.1:8090".parse().unwrap());
    for to in ["11.0.0.2:8090", "11.0.0.1:9999", "1.2.3.4:5", "[::1]:8090"] {
        a.send(to.parse().unwrap(), vec![0; 10]);
    }
    sim.run_until_idle(10);
    let s = net.stats();
    assert_eq!(s.dropped(DropReason::UnknownAddress), 4);
    assert_eq!(s.sent_packets, 4);
    assert_eq!(s.delivered_packets, 0);
    assert_eq!(a.stats().packets_sent, 4);
    sim.shutdown();
}

#[test]
fn closing_drops_in_flight_datagrams_and_reopening_does_not_resurrect_them() {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 0);
    net.set_latency_model(Box::new(ConstantLatency(Duration::from_millis(100))));
    let (a, b) = (net.new_endpoint(), net.new_endpoint());
    a.open().unwrap();
    b.open().unwrap();
    let log: Log = Log::default();
    recorder(&sim, &b, "b", &log);
    a.send(b.wan_address(), b"lost".to_vec());
    sim.run_for(Duration::from_millis(50));
    b.close();
    assert!(!b.is_open());
    b.open().unwrap();
    sim.run_for(Duration::from_millis(100));
    assert!(
        log.borrow().is_empty(),
        "in-flight datagram was resurrected"
    );
    // Sending to a closed endpoint drops at once; sending while closed is a no-op.
    b.close();
    a.send(b.wan_address(), b"closed".to_vec());
    a.close();
    a.send(b.wan_address(), b"noop".to_vec());
    b.open().unwrap();
    a.open().unwrap();
    a.send(b.wan_address(), b"ok".to_vec());
    sim.run_until_idle(10);
    assert_eq!(log.borrow().len(), 1);
    assert!(log.borrow()[0].1.ends_with(": ok"));
    let s = net.stats();
    assert_eq!(s.dropped(DropReason::Closed), 2);
    assert_eq!(s.send_while_closed, 1);
    assert_eq!(s.sent_packets, s.delivered_packets + s.dropped_total());
    sim.shutdown();
}

#[test]
fn partitions_drop_between_groups_until_healed() {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 0);
    net.set_latency_model(Box::new(ConstantLatency(Duration::from_millis(10))));
    let eps: Vec<_> = (0..3).map(|_| net.new_endpoint()).collect();
    let log: Log = Log::default();
    for (e, tag) in eps.iter().zip(["a", "b", "c"]) {
        e.open().unwrap();
        recorder(&sim, e, tag, &log);
    }
    net.set_group(eps[1].host(), 1);
    net.set_group(eps[2].host(), 1);
    // In flight when the partition starts: dropped on arrival.
    eps[0].send(eps[1].wan_address(), b"1".to_vec());
    sim.run_for(Duration::from_millis(5));
    net.partition(0, 1);
    assert!(net.is_partitioned(1, 0));
    eps[0].send(eps[1].wan_address(), b"2".to_vec());
    eps[2].send(eps[0].wan_address(), b"3".to_vec());
    eps[1].send(eps[2].wan_address(), b"same group".to_vec());
    sim.run_for(Duration::from_millis(50));
    assert_eq!(net.stats().dropped(DropReason::Partition), 3);
    net.heal(0, 1);
    eps[0].send(eps[1].wan_address(), b"4".to_vec());
    sim.run_for(Duration::from_millis(50));
    let got: Vec<String> = log.borrow().iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(got.len(), 2);
    assert!(got[0].starts_with("c from") && got[0].ends_with("same group"));
    assert!(got[1].starts_with("b from") && got[1].ends_with(": 4"));
    sim.shutdown();
}

#[test]
fn broadcast_reaches_every_other_open_endpoint_in_the_domain() {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 0);
    let eps: Vec<_> = (0..4).map(|_| net.new_endpoint()).collect();
    // A second socket on host 0 (like py-ipv8's broadcast bootstrapper).
    let extra = net.add_endpoint(eps[0].host(), None);
    assert_eq!(extra.wan_address().port(), 8091);
    let log: Log = Log::default();
    for (e, tag) in eps.iter().chain([&extra]).zip(["0", "1", "2", "3", "x"]) {
        e.open().unwrap();
        recorder(&sim, e, tag, &log);
    }
    for e in &eps[..3] {
        net.set_broadcast_domain(e.host(), Some(7));
    }
    eps[2].close();
    eps[0].broadcast(b"hi".to_vec());
    sim.run_until_idle(10);
    let mut got: Vec<String> = log
        .borrow()
        .iter()
        .map(|(_, e)| e[..1].to_string())
        .collect();
    got.sort();
    assert_eq!(got, ["1", "x"], "other open endpoints in domain 7 only");
    log.borrow_mut().clear();
    // 255.255.255.255:8091 reaches only the domain's endpoints bound to 8091.
    eps[1].send("255.255.255.255:8091".parse().unwrap(), b"b".to_vec());
    sim.run_until_idle(10);
    let got: Vec<String> = log.borrow().iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(got, [format!("x from {}: b", eps[1].wan_address())]);
    let s = net.stats();
    assert_eq!(s.broadcasts, 2);
    assert_eq!(s.sent_packets, s.delivered_packets + s.dropped_total());
    sim.shutdown();
}

#[test]
fn loss_and_runtime_latency_changes() {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 5);
    let (a, b) = (net.new_endpoint(), net.new_endpoint());
    a.open().unwrap();
    b.open().unwrap();
    let log: Log = Log::default();
    recorder(&sim, &b, "b", &log);
    net.set_loss(1.0);
    a.send(b.wan_address(), b"x".to_vec());
    net.set_loss(0.25);
    for _ in 0..4000 {
        a.send(b.wan_address(), b"y".to_vec());
    }
    sim.run_until_idle(10_000);
    let lost = net.stats().dropped(DropReason::Loss);
    assert!((900..1100).contains(&(lost - 1)), "lost {lost}");
    net.set_loss(0.0);
    // A scenario event swaps the latency model at t = 10 s.
    let n2 = net.clone();
    sim.schedule_at(Instant::from_secs(10), move || {
        n2.set_latency_model(Box::new(ConstantLatency(Duration::from_secs(1))))
    });
    sim.run_until(Instant::from_secs(10));
    log.borrow_mut().clear();
    a.send(b.wan_address(), b"z".to_vec());
    sim.run_until_idle(10);
    assert_eq!(log.borrow()[0].0, Instant::from_secs(11));
    sim.shutdown();
}

/// 20 nodes each ping a random other node at random intervals, under normal jitter;
/// returns the SHA-256 of the (time, event) log.
fn jittered_run(seed: u64) -> [u8; 32] {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, seed);
    net.set_latency_model(Box::new(JitterLatency::normal(
        Duration::from_millis(50),
        Duration::from_millis(20),
    )));
    net.set_loss(0.05);
    let eps: Vec<_> = (0..20).map(|_| net.new_endpoint()).collect();
    let addrs: Vec<SocketAddr> = eps.iter().map(|e| e.wan_address()).collect();
    let log: Log = Log::default();
    for (i, e) in eps.iter().enumerate() {
        e.open().unwrap();
        e.add_listener(None, Rc::new(Ponger { ep: e.clone() }));
        recorder(&sim, e, "rx", &log);
        let (e, clock, addrs) = (e.clone(), sim.clock(), addrs.clone());
        let mut rng = node_rng(seed, i as u64, purpose::PROTOCOL);
        sim.spawn(async move {
            loop {
                clock
                    .sleep(Duration::from_millis(rng.gen_range(100..2000)))
                    .await;
                let to = addrs[rng.gen_range(0..addrs.len())];
                e.send(to, b"ping".to_vec());
            }
        })
        .detach();
    }
    sim.run_until(Instant::from_secs(60));
    let mut h = Sha256::new();
    for (t, e) in log.borrow().iter() {
        h.update(t.as_nanos().to_le_bytes());
        h.update(e.as_bytes());
    }
    let s = net.stats();
    assert!(s.delivered_packets > 1000);
    h.update(format!("{s:?}").as_bytes());
    sim.shutdown();
    h.finalize().into()
}

#[test]
fn same_seed_same_run_different_seed_different_run() {
    let a = jittered_run(11);
    let b = jittered_run(11);
    let c = jittered_run(12);
    assert_eq!(a, b, "seed 11 is not reproducible");
    assert_ne!(a, c, "seeds 11 and 12 gave the same run");
}
