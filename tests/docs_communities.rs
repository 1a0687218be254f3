//! The docs' community examples (../shared/docs/py-ipv8-2.8-docs.txt §6.2–§6.3 and the
//! simulation chapter) as Rust tests on the simulator: the three-peer Lamport clock,
//! the RequestCache count-to-10 with its replay attack, the ping-pong community.

use ipv8sim::community::{Community, CommunityBase, CommunityExt, CommunitySettings, DropReason};
use ipv8sim::crypto::KeyKind;
use ipv8sim::discovery::Peer;
use ipv8sim::runtime::{Duration, Instant, NumberCache};
use ipv8sim::sim::{ConstantLatency, TestBase};
use ipv8sim::wire::Payload;
use std::cell::RefCell;
use std::rc::Rc;

// ----- the Lamport clock (docs §6.2.6) -------------------------------------------------

#[derive(Payload, Debug, Clone, PartialEq)]
#[payload(msg_id = 1)]
struct MyMessage {
    clock: i64,
}

struct LamportCommunity {
    base: CommunityBase<Self>,
    lamport_clock: i64,
}

impl Community for LamportCommunity {
    fn base(&self) -> &CommunityBase<Self> {
        &self.base
    }
    fn base_mut(&mut self) -> &mut CommunityBase<Self> {
        &mut self.base
    }
    fn started(&mut self) {
        let start_communication = |c: &mut Self, _now: Instant| {
            if c.lamport_clock == 0 {
                // Not counting yet: try to start with every known peer.
                for p in c.get_peers() {
                    c.ez_send(
                        &p,
                        &MyMessage {
                            clock: c.lamport_clock,
                        },
                    );
                }
            } else {
                c.cancel_pending_task("start_communication");
            }
        };
        self.register_task(
            "start_communication",
            start_communication,
            Some(Duration::ZERO),
            Some(Duration::from_secs(5)),
        )
        .unwrap();
    }
}

impl LamportCommunity {
    fn new(settings: CommunitySettings) -> Self {
        let mut c = LamportCommunity {
            base: CommunityBase::new(*b"docs lamport example", settings),
            lamport_clock: 0,
        };
        c.add_message_handler(|c: &mut Self, peer: &Peer, msg: MyMessage| {
            c.lamport_clock = c.lamport_clock.max(msg.clock) + 1;
            c.ez_send(
                peer,
                &MyMessage {
                    clock: c.lamport_clock,
                },
            );
        })
        .unwrap();
        c
    }
}

#[test]
fn three_peer_lamport_clock_keeps_increasing() {
    let mut t = TestBase::new(3);
    t.network()
        .set_latency_model(Box::new(ConstantLatency(Duration::from_millis(50))));
    for _ in 0..3 {
        t.add_node_with_key(KeyKind::MEDIUM, |s| (LamportCommunity::new(s), Vec::new()));
    }
    t.introduce_nodes();
    // The first "start_communication" ran at t = 0, before the peers knew each other;
    // the next one, at 5 s, starts the exchange.
    t.run_for(Duration::from_secs(6));
    let first: Vec<i64> = (0..3)
        .map(|i| t.overlay::<LamportCommunity>(i).lamport_clock)
        .collect();
    t.run_for(Duration::from_secs(1));
    let later: Vec<i64> = (0..3)
        .map(|i| t.overlay::<LamportCommunity>(i).lamport_clock)
        .collect();
    for i in 0..3 {
        assert!(first[i] > 0, "peer {i} started counting: {first:?}");
        assert!(
            later[i] > first[i] + 5,
            "peer {i} keeps counting: {first:?} -> {later:?}"
        );
    }
    // At 10 s the task finds the clock running and cancels itself.
    t.run_for(Duration::from_secs(4));
    for i in 0..3 {
        let c = t.overlay::<LamportCommunity>(i);
        assert!(
            !c.base().tasks.is_pending_task_active("start_communication"),
            "peer {i}"
        );
    }
}

// ----- the RequestCache count-to-10 with a replay attack (docs §6.3.3) -------------------

#[derive(Payload, Debug, Clone, PartialEq)]
#[payload(msg_id = 1)]
struct MyRequest {
    value: u32,
    identifier: u32,
}

#[derive(Payload, Debug, Clone, PartialEq)]
#[payload(msg_id = 2)]
struct MyResponse {
    value: u32,
    identifier: u32,
}

const CACHE: &str = "my-cache";

struct MyCache {
    number: u64,
    value: u32,
}

impl NumberCache<CountCommunity> for MyCache {
    fn prefix(&self) -> &str {
        CACHE
    }
    fn number(&self) -> u64 {
        self.number
    }
    fn on_timeout(&mut self, owner: &mut CountCommunity, _now: Instant) {
        owner.timeouts += 1;
    }
}

struct CountCommunity {
    base: CommunityBase<Self>,
    responses: Vec<(u32, u32)>,
    done: Rc<RefCell<Vec<Instant>>>,
    timeouts: u32,
}

impl Community for CountCommunity {
    fn base(&self) -> &CommunityBase<Self> {
        &self.base
    }
    fn base_mut(&mut self) -> &mut CommunityBase<Self> {
        &mut self.base
    }
    fn started(&mut self) {
        // "wait for peers and send a request": poll every 0.1 s until peers exist.
        self.register_task(
            "wait for peers and send a request",
            |c: &mut Self, _| {
                if c.get_peers().is_empty() {
                    return;
                }
                c.cancel_pending_task("wait for peers and send a request");
                c.request(0, false);
            },
            Some(Duration::ZERO),
            Some(Duration::from_millis(100)),
        )
        .unwrap();
    }
}

impl CountCommunity {
    fn new(settings: CommunitySettings, done: Rc<RefCell<Vec<Instant>>>) -> Self {
        let mut c = CountCommunity {
            base: CommunityBase::new(*b"docs count-to-ten 01", settings),
            responses: Vec::new(),
            done,
            timeouts: 0,
        };
        c.add_message_handler(|c: &mut Self, peer: &Peer, req: MyRequest| {
            // Our service: increment the value.
            c.ez_send(
                peer,
                &MyResponse {
                    value: req.value + 1,
                    identifier: req.identifier,
                },
            );
        })
        .unwrap();
        c.add_message_handler(|c: &mut Self, _peer: &Peer, resp: MyResponse| {
            // py-ipv8 `retrieve_cache`: no cache → the response is ignored.
            let cache = c
                .base_mut()
                .request_cache
                .pop::<MyCache>(CACHE, u64::from(resp.identifier))
                .map_err(|_| DropReason::NoCache)?;
            c.responses.push((cache.value, resp.value));
            if resp.value == 10 {
                let now = c.now();
                c.done.borrow_mut().push(now);
                return Ok(());
            }
            c.request(resp.value, true);
            Ok(())
        })
        .unwrap();
        c
    }

    fn request(&mut self, value: u32, replay: bool) {
        let now = self.now();
        let shared = self.base().shared().clone();
        let number = {
            let mut s = shared.borrow_mut();
            let cache =
                self.base_mut()
                    .request_cache
                    .add_random(now, CACHE, &mut s.rng, |number| MyCache { number, value });
            match cache {
                Ok(c) => c.number,
                Err(_) => return,
            }
        };
        let msg = MyRequest {
            value,
            identifier: number as u32,
        };
        for peer in self.get_peers() {
            self.ez_send(&peer, &msg);
            if replay {
                // The docs' replay attack: the duplicate's response finds no cache.
                self.ez_send(&peer, &msg);
            }
        }
    }
}

#[test]
fn request_cache_counts_to_ten_and_ignores_the_replay_attack() {
    let mut t = TestBase::new(5);
    t.network()
        .set_latency_model(Box::new(ConstantLatency(Duration::from_millis(10))));
    let done = Rc::new(RefCell::new(Vec::new()));
    for _ in 0..2 {
        let d = done.clone();
        t.add_node_with(move |s| (CountCommunity::new(s, d), Vec::new()));
    }
    t.introduce_nodes();
    t.run_for(Duration::from_secs(5));
    assert_eq!(done.borrow().len(), 2, "both peers reached 10");
    for i in 0..2 {
        let c = t.overlay::<CountCommunity>(i);
        let expected: Vec<(u32, u32)> = (0..10).map(|v| (v, v + 1)).collect();
        assert_eq!(c.responses, expected, "peer {i} counted 0..10 once each");
        assert_eq!(c.timeouts, 0);
        assert!(c.base().request_cache.is_empty());
        // 9 replayed responses (values 2..=10) found no cache.
        let stats = t.node(i).node.borrow().stats();
        assert_eq!(stats.drops(DropReason::NoCache), 9, "peer {i}");
    }
}

// ----- the ping-pong community (docs, simulation chapter) ------------------------------

#[derive(Payload, Debug, Clone, PartialEq)]
#[payload(msg_id = 1)]
struct PingMessage {}

#[derive(Payload, Debug, Clone, PartialEq)]
#[payload(msg_id = 2)]
struct PongMessage {}

type Log = Rc<RefCell<Vec<(u64, usize, &'static str)>>>;

struct PingPongCommunity {
    base: CommunityBase<Self>,
    id: usize,
    log: Log,
}

impl Community for PingPongCommunity {
    fn base(&self) -> &CommunityBase<Self> {
        &self.base
    }
    fn base_mut(&mut self) -> &mut CommunityBase<Self> {
        &mut self.base
    }
    fn started(&mut self) {
        self.register_task(
            "send_ping",
            |c: &mut Self, now| {
                c.log
                    .borrow_mut()
                    .push((now.as_nanos() / 1_000_000, c.id, "sending ping"));
                let peers: Vec<Peer> = c
                    .base()
                    .shared()
                    .borrow()
                    .network
                    .verified_iter()
                    .cloned()
                    .collect();
                for p in peers {
                    c.ez_send(&p, &PingMessage {});
                }
            },
            Some(Duration::ZERO),
            Some(Duration::from_secs(2)),
        )
        .unwrap();
    }
}

impl PingPongCommunity {
    fn new(settings: CommunitySettings, id: usize, log: Log) -> Self {
        let mut c = PingPongCommunity {
            base: CommunityBase::new(*b"docs ping-pong exmpl", settings),
            id,
            log,
        };
        c.add_message_handler(|c: &mut Self, peer: &Peer, _: PingMessage| {
            let now = c.now().as_nanos() / 1_000_000;
            c.log.borrow_mut().push((now, c.id, "received ping"));
            c.ez_send(peer, &PongMessage {});
        })
        .unwrap();
        c.add_message_handler(|c: &mut Self, _peer: &Peer, _: PongMessage| {
            let now = c.now().as_nanos() / 1_000_000;
            c.log.borrow_mut().push((now, c.id, "received pong"));
        })
        .unwrap();
        c
    }
}

#[test]
fn ping_pong_community_runs_in_virtual_time() {
    let mut t = TestBase::new(9);
    t.network()
        .set_latency_model(Box::new(ConstantLatency(Duration::from_millis(50))));
    let log: Log = Rc::new(RefCell::new(Vec::new()));
    for id in 0..2 {
        let l = log.clone();
        t.add_node_with_key(KeyKind::MEDIUM, move |s| {
            (PingPongCommunity::new(s, id, l), Vec::new())
        });
    }
    t.introduce_nodes();
    let start = t.now().as_nanos() / 1_000_000;
    log.borrow_mut().clear();
    t.run_for(Duration::from_secs(10));
    let log = log.borrow();
    // Pings go out every 2 s (from t = 0); each is received 50 ms later and its pong
    // 100 ms after the ping.
    for (ms, id, what) in log.iter() {
        let phase = ms % 2000;
        let expected = match *what {
            "sending ping" => 0,
            "received ping" => 50,
            "received pong" => 100,
            _ => unreachable!(),
        };
        assert_eq!(phase, expected, "{what} by {id} at {ms} ms (start {start})");
    }
    let pongs = log.iter().filter(|e| e.2 == "received pong").count();
    assert_eq!(pongs, 2 * 5, "two peers, five rounds in 10 s: {log:?}");
}
