//! DiscoveryCommunity (spec §10; py-ipv8 `ipv8/peerdiscovery/community.py`): golden
//! bytes from pyipv8, service exchange, ping/pong RTTs, churn and similarity
//! strategies on it, the max_peers drop paths, py-ipv8's old-style
//! introduction-request handler, and bad packets.

use ipv8sim::community::payload::{
    DiscoveryPing, DiscoveryPong, IntroRequestFlags, IntroductionRequestOld,
    IntroductionResponseOld, SimilarityRequest, SimilarityResponse, DISCOVERY_COMMUNITY_ID,
};
use ipv8sim::community::{
    intro, Community, CommunityExt, CommunitySettings, DropReason, KeyCache, NodeContext,
    NodeStats, Outgoing, Shared, Walker,
};
use ipv8sim::crypto::PrivateKey;
use ipv8sim::discovery::{
    DiscoveryCommunity, DispersyIntroductionRequest, KeyBin, Network, Peer, PeriodicSimilarity,
    RandomChurn, ServiceId, PING_CACHE_PREFIX,
};
use ipv8sim::runtime::{Duration, Instant};
use ipv8sim::sim::{ConstantLatency, TestBase};
use ipv8sim::wire::{self, Payload};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::net::{SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::rc::Rc;

// ----- helpers -----------------------------------------------------------------------

fn vectors() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/ipv8-vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn disc_vector(v: &Value, msg_id: u64) -> Value {
    v["discovery_community"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["msg_id"].as_u64() == Some(msg_id))
        .unwrap_or_else(|| panic!("no discovery_community vector for msg id {msg_id}"))
        .clone()
}

fn key_named(v: &Value, name: &str) -> PrivateKey {
    let k = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("no key {name}"));
    PrivateKey::from_bin(&hex::decode(k["private_key_bin"].as_str().unwrap()).unwrap()).unwrap()
}

fn addr_of(v: &Value) -> SocketAddr {
    let host = v[0].as_str().unwrap();
    let port = v[1].as_u64().unwrap() as u16;
    SocketAddr::new(host.parse().unwrap(), port)
}

fn id_of(hexid: &Value) -> ServiceId {
    hex::decode(hexid.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn hexv(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// A DiscoveryCommunity on its own node context (no simulator), endpoint open;
/// `before` registers other overlays first. Returns the context, the community
/// and its Lamport clock.
fn standalone(
    key: PrivateKey,
    before: &[ServiceId],
) -> (Shared, DiscoveryCommunity, Rc<Cell<u64>>) {
    let keys = Rc::new(RefCell::new(KeyCache::new(16)));
    let shared = Rc::new(RefCell::new(NodeContext::new(
        ChaCha8Rng::seed_from_u64(7),
        keys,
    )));
    {
        let mut s = shared.borrow_mut();
        s.endpoint_open = true;
        for id in before {
            s.network.register_service_provider(*id);
        }
    }
    let settings = CommunitySettings::new(shared.clone(), Rc::new(key));
    let clock = settings.global_time.clone();
    (shared, DiscoveryCommunity::new(settings), clock)
}

/// Datagrams a standalone community queued: (destination, bytes).
type Sent = Vec<(SocketAddr, Vec<u8>)>;

fn take_out(shared: &Shared) -> Sent {
    shared
        .borrow_mut()
        .out
        .drain(..)
        .map(|o| match o {
            Outgoing::To(a, d) => (a, d),
            Outgoing::Broadcast(_) => panic!("unexpected broadcast"),
        })
        .collect()
}

fn key_bin(k: &PrivateKey) -> KeyBin {
    ipv8sim::discovery::KeyBin::new(k.public_key().key_to_bin())
}

fn net<R>(t: &TestBase, i: usize, f: impl FnOnce(&Network) -> R) -> R {
    let c = t.overlay::<DiscoveryCommunity>(i);
    let shared = c.base().shared().clone();
    drop(c);
    let s = shared.borrow();
    f(&s.network)
}

fn stats(t: &TestBase, i: usize) -> NodeStats {
    t.node(i).node.borrow().stats()
}

fn pings(t: &TestBase, i: usize, of: usize) -> Vec<Duration> {
    let k = t.key_bin(of);
    net(t, i, |n| {
        n.known_by_key(&k)
            .map(|p| p.pings().copied().collect())
            .unwrap_or_default()
    })
}

/// Node `from` sends raw bytes to node `to`, then everything is delivered.
fn inject(t: &TestBase, from: usize, to: usize, data: Vec<u8>) {
    let dest = t.address(to);
    t.with_overlay(from, |c: &mut DiscoveryCommunity| {
        c.endpoint_send(dest, data)
    });
    t.deliver_messages();
}

fn plain(s: CommunitySettings) -> (DiscoveryCommunity, Vec<Walker<DiscoveryCommunity>>) {
    (DiscoveryCommunity::new(s), Vec::new())
}

// ----- golden bytes ------------------------------------------------------------------

/// The four messages we emit, built from the vectors' key A and inputs, equal
/// pyipv8's bytes.
#[test]
fn emitted_packets_match_pyipv8_vectors() {
    let v = vectors();
    let req = disc_vector(&v, 1);
    let resp = disc_vector(&v, 2);
    let ping = disc_vector(&v, 3);
    let pong = disc_vector(&v, 4);
    assert_eq!(
        hex::encode(DISCOVERY_COMMUNITY_ID),
        req["inputs"]["community_id"].as_str().unwrap()
    );
    assert_eq!(req["sender_key"], "A");
    // The preference list = ids of all local overlays in registration order: the
    // other overlays are registered before the DiscoveryCommunity.
    let prefs: Vec<ServiceId> = req["inputs"]["preference_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    let others: Vec<ServiceId> = prefs
        .iter()
        .copied()
        .filter(|id| *id != DISCOVERY_COMMUNITY_ID)
        .collect();
    assert_eq!(prefs.last(), Some(&DISCOVERY_COMMUNITY_ID));
    let (shared, mut c, clock) = standalone(key_named(&v, "A"), &others);
    assert_eq!(c.my_overlays(), prefs);

    // similarity-request
    c.base_mut().my_estimated_lan = addr_of(&req["inputs"]["lan_address"]);
    c.base_mut().my_estimated_wan = addr_of(&req["inputs"]["wan_address"]);
    clock.set(req["inputs"]["global_time"].as_u64().unwrap() - 1);
    let to: SocketAddr = "1.2.3.4:5678".parse().unwrap();
    c.send_similarity_request(to);
    let out = take_out(&shared);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, to);
    assert_eq!(hex::encode(&out[0].1), req["hex"].as_str().unwrap());

    // similarity-response
    clock.set(resp["inputs"]["global_time"].as_u64().unwrap() - 1);
    let ident = resp["inputs"]["identifier"].as_u64().unwrap() as u16;
    assert!(resp["inputs"]["tb_overlap"].as_array().unwrap().is_empty());
    let r = c.create_similarity_response(ident);
    assert_eq!(hex::encode(&r), resp["hex"].as_str().unwrap());

    // ping: identifier = global time mod 65536, to the peer's address
    clock.set(ping["inputs"]["global_time"].as_u64().unwrap() - 1);
    let target = addr_of(&ping["sent_to"]);
    let peer = Peer::new(key_bin(&key_named(&v, "B")), target, Instant::ZERO);
    c.send_ping(&peer);
    let out = take_out(&shared);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, target);
    assert_eq!(hex::encode(&out[0].1), ping["hex"].as_str().unwrap());
    assert!(c.base().request_cache.has(
        PING_CACHE_PREFIX,
        ping["inputs"]["global_time"].as_u64().unwrap()
    ));

    // pong
    clock.set(pong["inputs"]["global_time"].as_u64().unwrap() - 1);
    let p = c.create_pong(pong["inputs"]["identifier"].as_u64().unwrap() as u16);
    assert_eq!(hex::encode(&p), pong["hex"].as_str().unwrap());
}

/// pyipv8's packets, fed to our community, decode as pyipv8 says
/// (`decoded_by_receiver`) and trigger the documented answers.
#[test]
fn pyipv8_packets_are_understood() {
    let v = vectors();
    let (shared, mut c, _) = standalone(key_named(&v, "B"), &[]);
    let a_key = key_bin(&key_named(&v, "A"));
    let src: SocketAddr = "80.100.120.140:8090".parse().unwrap();

    let req = disc_vector(&v, 1);
    let bytes = hexv(&req["hex"]);
    // Payload layout as the vector's receiver decoded it.
    let parts = wire::parse_signed(&bytes, true, |_| Ok(64)).unwrap();
    let p: SimilarityRequest = wire::decode_exact(parts.payload).unwrap();
    let d = &req["decoded_by_receiver"];
    assert_eq!(parts.global_time, d["global_time"].as_u64());
    assert_eq!(u64::from(p.identifier), d["identifier"].as_u64().unwrap());
    assert_eq!(p.flags.connection_type().name(), d["connection_type"]);
    assert_eq!(
        p.lan_address.to_string(),
        format!(
            "{}:{}",
            d["lan_address"]["host"].as_str().unwrap(),
            d["lan_address"]["port"]
        )
    );
    let want: Vec<ServiceId> = d["preference_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| id_of(&x["hex"]))
        .collect();
    // Handled: services recorded, answered with a response carrying the identifier.
    c.on_packet(src, &bytes).unwrap();
    assert_eq!(shared.borrow().network.services_for_peer(&a_key), &want[..]);
    let out = take_out(&shared);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, src);
    assert_eq!(out[0].1[22], SimilarityResponse::MSG_ID);
    let parts = wire::parse_signed(&out[0].1, true, |_| Ok(64)).unwrap();
    let r: SimilarityResponse = wire::decode_exact(parts.payload).unwrap();
    assert_eq!(r.identifier, p.identifier);
    assert_eq!(r.preference_list, vec![DISCOVERY_COMMUNITY_ID]);
    assert!(
        !shared.borrow().network.is_verified(&a_key),
        "a request alone does not verify"
    );

    // similarity-response: the sender becomes verified with its services.
    let resp = disc_vector(&v, 2);
    c.on_packet(src, &hexv(&resp["hex"])).unwrap();
    assert!(shared.borrow().network.is_verified(&a_key));
    assert_eq!(shared.borrow().network.services_for_peer(&a_key), &want[..]);
    assert!(take_out(&shared).is_empty());

    // ping → pong with the same identifier, to the source.
    let ping = disc_vector(&v, 3);
    c.on_packet(src, &hexv(&ping["hex"])).unwrap();
    let out = take_out(&shared);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, src);
    let parts = wire::parse_unsigned(&out[0].1, true).unwrap();
    assert_eq!(parts.msg_id, DiscoveryPong::MSG_ID);
    let pong: DiscoveryPong = wire::decode_exact(parts.payload).unwrap();
    assert_eq!(
        u64::from(pong.identifier),
        ping["decoded_by_receiver"]["identifier"].as_u64().unwrap()
    );

    // pyipv8's pong answers no ping of ours: refused as NoCache, nothing recorded.
    let pong_v = disc_vector(&v, 4);
    assert_eq!(
        c.on_packet(src, &hexv(&pong_v["hex"])),
        Err(DropReason::NoCache)
    );
    assert_eq!(
        shared
            .borrow()
            .network
            .known_by_key(&a_key)
            .unwrap()
            .ping_count(),
        0
    );
}

// ----- behaviour on the simulator ----------------------------------------------------

/// After `introduce_nodes`, every node knows the overlays the others run, which
/// only the similarity exchange can teach (the introduction teaches only 7e31…).
#[test]
fn introduce_nodes_exchanges_services() {
    let mut t = TestBase::new(1);
    let extra = |i: u8| [0xa0 + i; 20];
    for i in 0..3u8 {
        t.add_node_with(|s| {
            s.shared
                .borrow_mut()
                .network
                .register_service_provider(extra(i));
            plain(s)
        });
    }
    t.introduce_nodes();
    for i in 0..3 {
        for j in 0..3 {
            if i == j {
                continue;
            }
            let kj = t.key_bin(j);
            let services = net(&t, i, |n| n.services_for_peer(&kj).to_vec());
            assert!(net(&t, i, |n| n.is_verified(&kj)), "{i} verified {j}");
            assert!(
                services.contains(&extra(j as u8)),
                "{i} knows {j}'s overlay"
            );
            assert!(services.contains(&DISCOVERY_COMMUNITY_ID));
        }
        assert_eq!(t.overlay::<DiscoveryCommunity>(i).get_peers().len(), 2);
    }
}

/// A ping to a peer over a link of constant latency L records an RTT of exactly 2L.
#[test]
fn ping_pong_records_round_trip_time() {
    let mut t = TestBase::new(2);
    t.initialize(2, DiscoveryCommunity::new);
    t.introduce_nodes();
    let latency = Duration::from_millis(37);
    t.network()
        .set_latency_model(Box::new(ConstantLatency(latency)));
    let k1 = t.key_bin(1);
    let peer1 = net(&t, 0, |n| n.known_by_key(&k1).cloned()).unwrap();
    assert!(pings(&t, 0, 1).is_empty());
    t.with_overlay(0, |c: &mut DiscoveryCommunity| c.send_ping(&peer1));
    t.deliver_messages();
    assert_eq!(pings(&t, 0, 1), vec![latency * 2]);
    assert_eq!(stats(&t, 0).drops(DropReason::NoCache), 0);
}

/// A pong whose ping was already answered (replay), or that answers no ping at all,
/// changes nothing and is counted as NoCache.
#[test]
fn replayed_or_unknown_pong_changes_nothing() {
    let mut t = TestBase::new(3);
    t.initialize(2, DiscoveryCommunity::new);
    t.introduce_nodes();
    let k1 = t.key_bin(1);
    let peer1 = net(&t, 0, |n| n.known_by_key(&k1).cloned()).unwrap();
    let ident = t.with_overlay(0, |c: &mut DiscoveryCommunity| {
        c.send_ping(&peer1);
        c.base().global_time() % 65536
    }) as u16;
    t.deliver_messages();
    let before = pings(&t, 0, 1);
    assert_eq!(before.len(), 1);
    let drops = stats(&t, 0).drops(DropReason::NoCache);
    for id in [ident, ident.wrapping_add(1000)] {
        let pong = t.overlay::<DiscoveryCommunity>(1).create_pong(id);
        inject(&t, 1, 0, pong);
    }
    assert_eq!(pings(&t, 0, 1), before);
    assert_eq!(stats(&t, 0).drops(DropReason::NoCache), drops + 2);
}

/// QUIRK (spec §10): once the clock passes 65535 the pong carries the identifier mod
/// 65536 but the cache is keyed by the full time: no RTT, and the cache times out
/// after 5 s.
#[test]
fn pong_after_clock_wraps_is_never_matched() {
    let mut t = TestBase::new(4);
    let clock: Rc<RefCell<Option<Rc<Cell<u64>>>>> = Rc::default();
    let c2 = clock.clone();
    t.add_node_with(move |s| {
        *c2.borrow_mut() = Some(s.global_time.clone());
        plain(s)
    });
    t.add_node_with(plain);
    t.introduce_nodes();
    clock.borrow().as_ref().unwrap().set(70_000);
    let k1 = t.key_bin(1);
    let peer1 = net(&t, 0, |n| n.known_by_key(&k1).cloned()).unwrap();
    t.with_overlay(0, |c: &mut DiscoveryCommunity| c.send_ping(&peer1));
    t.deliver_messages();
    assert!(pings(&t, 0, 1).is_empty());
    assert_eq!(stats(&t, 0).drops(DropReason::NoCache), 1);
    assert!(t
        .overlay::<DiscoveryCommunity>(0)
        .base()
        .request_cache
        .has(PING_CACHE_PREFIX, 70_001));
    t.run_for(Duration::from_secs(6));
    assert!(!t
        .overlay::<DiscoveryCommunity>(0)
        .base()
        .request_cache
        .has(PING_CACHE_PREFIX, 70_001));
}

/// RandomChurn on a DiscoveryCommunity measures pings of a live peer and removes a
/// peer that stopped answering (drop_time 57.5 s).
#[test]
fn random_churn_removes_a_silent_peer() {
    let mut t = TestBase::new(5);
    t.add_node_with(|s| {
        (
            DiscoveryCommunity::new(s),
            vec![Walker::new(RandomChurn::default(), -1)],
        )
    });
    t.add_node_with(plain);
    t.introduce_nodes();
    let k1 = t.key_bin(1);
    t.run_for(Duration::from_secs(25));
    assert!(net(&t, 0, |n| n.is_verified(&k1)), "a live peer is kept");
    assert!(
        pings(&t, 0, 1).len() >= 2,
        "pings every 10 s are answered and measured"
    );
    t.stop(1);
    t.run_for(Duration::from_secs(50));
    assert!(
        net(&t, 0, |n| n.is_verified(&k1)),
        "not yet: silent for less than 57.5 s"
    );
    t.run_for(Duration::from_secs(20));
    assert!(!net(&t, 0, |n| n.is_verified(&k1)));
    assert!(net(&t, 0, |n| n.known_by_key(&k1).is_none()));
    assert_eq!(t.overlay::<DiscoveryCommunity>(0).get_peers().len(), 0);
}

/// PeriodicSimilarity, run every 0.5 s tick, sends at most one request per second.
#[test]
fn periodic_similarity_sends_at_most_once_per_second() {
    let mut t = TestBase::new(6);
    t.add_node_with(|s| {
        (
            DiscoveryCommunity::new(s),
            vec![Walker::new(PeriodicSimilarity::new(), -1)],
        )
    });
    t.add_node_with(plain);
    t.introduce_nodes();
    t.run_for(Duration::from_secs(2));
    // Node 0 sends nothing but similarity-requests now; node 1 answers each.
    let (sent0, recv1) = (stats(&t, 0).msgs_sent, stats(&t, 1).msgs_received);
    t.run_for(Duration::from_secs(10));
    let requests = stats(&t, 0).msgs_sent - sent0;
    assert_eq!(stats(&t, 1).msgs_received - recv1, requests);
    // 20 ticks in 10 s; at most one request per second (10, or 11 at the edges).
    assert!((9..=11).contains(&requests), "{requests} requests in 10 s");
}

/// Over max_peers, a similarity-response from an unknown sender and an old-style
/// introduction-request are dropped (TooManyPeers); with the default limit the same
/// response makes the sender a peer.
#[test]
fn max_peers_drops_unknown_responders_and_requests() {
    for limit in [0i64, 30] {
        let mut t = TestBase::new(7);
        t.add_node_with(|mut s| {
            s.max_peers = limit;
            plain(s)
        });
        t.add_node_with(plain);
        t.add_node_with(plain);
        let (a1, a2) = (t.address(1), t.address(2));
        t.with_overlay(0, |c: &mut DiscoveryCommunity| intro::walk_to(c, a1));
        t.deliver_messages();
        assert_eq!(t.overlay::<DiscoveryCommunity>(0).get_peers().len(), 1);
        let k2 = t.key_bin(2);
        let drops = stats(&t, 0).drops(DropReason::TooManyPeers);
        t.with_overlay(0, |c: &mut DiscoveryCommunity| {
            c.send_similarity_request(a2)
        });
        t.deliver_messages();
        let verified = net(&t, 0, |n| n.is_verified(&k2));
        if limit == 0 {
            assert!(!verified);
            assert!(net(&t, 0, |n| n.services_for_peer(&k2).is_empty()));
            assert_eq!(stats(&t, 0).drops(DropReason::TooManyPeers), drops + 1);
            // An old-style introduction-request is dropped too: no answer.
            let a0 = t.address(0);
            t.with_overlay(2, |c: &mut DiscoveryCommunity| intro::walk_to(c, a0));
            t.deliver_messages();
            assert_eq!(stats(&t, 0).drops(DropReason::TooManyPeers), drops + 2);
            assert_eq!(t.overlay::<DiscoveryCommunity>(2).get_peers().len(), 0);
        } else {
            assert!(verified);
            assert_eq!(
                net(&t, 0, |n| n.services_for_peer(&k2).to_vec()),
                vec![DISCOVERY_COMMUNITY_ID]
            );
            assert_eq!(stats(&t, 0).drops(DropReason::TooManyPeers), drops);
        }
    }
}

// ----- the old-style introduction-request handler ------------------------------------

fn requester() -> (Shared, DiscoveryCommunity, Rc<PrivateKey>) {
    let v = vectors();
    let key = key_named(&v, "B");
    let (s, c, _) = standalone(key_named(&v, "B"), &[]);
    (s, c, Rc::new(key))
}

/// Feed `pkt` from `src` to a fresh community with key A; return its context, the
/// result and what it sent.
fn receive(pkt: &[u8], src: SocketAddr) -> (Shared, Result<(), DropReason>, Sent) {
    let v = vectors();
    let (shared, mut c, _) = standalone(key_named(&v, "A"), &[]);
    c.base_mut().my_estimated_lan = "10.0.0.1:8090".parse().unwrap();
    let r = c.on_packet(src, pkt);
    let out = take_out(&shared);
    (shared, r, out)
}

fn old_response(pkt: &[u8]) -> IntroductionResponseOld {
    assert_eq!(pkt[22], 245, "answered old style");
    let parts = wire::parse_signed(pkt, true, |_| Ok(64)).unwrap();
    wire::decode_exact(parts.payload).unwrap()
}

/// A normal old-style request: the sender becomes a verified peer of this community
/// and gets an old-style response; unlike the base handler, its LAN address and the
/// new-style flag are not recorded.
#[test]
fn old_style_request_is_answered_old_style_without_lan_or_new_style() {
    let (_, b, b_key) = requester();
    let src: SocketAddr = "5.6.7.8:9000".parse().unwrap();
    // supports_new_style set: the base handler would mark the sender new-style.
    let p = IntroductionRequestOld {
        destination_address: "10.0.0.1:8090".parse().unwrap(),
        source_lan_address: "192.168.7.7:1234".parse().unwrap(),
        source_wan_address: "5.6.7.8:9000".parse().unwrap(),
        flags: IntroRequestFlags {
            supports_new_style: true,
            ..IntroRequestFlags::OLD_STYLE_SENT
        },
        identifier: 4242,
        extra_bytes: Vec::new(),
    };
    let kb = key_bin(&b_key);
    let pkt = wire::pack_signed(b.base().prefix(), 246, &kb, Some(4242), &p, |d| {
        b_key.sign(d)
    });
    let (shared, r, out) = receive(&pkt, src);
    r.unwrap();
    let s = shared.borrow();
    let peer = s.network.known_by_key(&kb).unwrap();
    assert!(s.network.is_verified(&kb));
    assert_eq!(s.network.services_for_peer(&kb), &[DISCOVERY_COMMUNITY_ID]);
    assert_eq!(peer.addresses().v4_lan, None, "LAN address not recorded");
    assert!(!peer.new_style_intro, "new-style flag not recorded");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, src);
    let resp = old_response(&out[0].1);
    assert_eq!(resp.identifier, 4242);
    assert_eq!(SocketAddr::V4(resp.destination_address), src);
}

/// The Dispersy-era variant (`c20s` first) is accepted; its identifier is answered.
/// QUIRK: a normal request with ≥ 21 extra bytes parses as that variant, as in py-ipv8.
#[test]
fn dispersy_variant_request_is_accepted() {
    let (_, b, b_key) = requester();
    let kb = key_bin(&b_key);
    let src: SocketAddr = "5.6.7.8:9000".parse().unwrap();
    let d = DispersyIntroductionRequest {
        introduce_to: (b'Y', [9; 20]),
        destination_address: "10.0.0.1:8090".parse().unwrap(),
        source_lan_address: "192.168.7.7:1234".parse().unwrap(),
        source_wan_address: "5.6.7.8:9000".parse().unwrap(),
        flags: IntroRequestFlags::OLD_STYLE_SENT,
        identifier: 0x1234,
        extra_bytes: Vec::new(),
    };
    let pkt = wire::pack_signed(b.base().prefix(), 246, &kb, Some(7), &d, |x| b_key.sign(x));
    let (shared, r, out) = receive(&pkt, src);
    r.unwrap();
    assert!(shared.borrow().network.is_verified(&kb));
    assert_eq!(out.len(), 1);
    assert_eq!(old_response(&out[0].1).identifier, 0x1234);

    // A normal request with 21 extra bytes: the identifier is read at the shifted
    // position (extra_bytes[19..21]).
    let mut extra = vec![0u8; 21];
    extra[19] = 0xbe;
    extra[20] = 0xef;
    let p = IntroductionRequestOld {
        destination_address: SocketAddrV4::new([10, 0, 0, 1].into(), 8090),
        source_lan_address: SocketAddrV4::new([192, 168, 7, 7].into(), 1234),
        source_wan_address: SocketAddrV4::new([5, 6, 7, 8].into(), 9000),
        flags: IntroRequestFlags::OLD_STYLE_SENT,
        identifier: 1,
        extra_bytes: extra,
    };
    let pkt = wire::pack_signed(b.base().prefix(), 246, &kb, Some(8), &p, |x| b_key.sign(x));
    let (_, r, out) = receive(&pkt, src);
    r.unwrap();
    assert_eq!(old_response(&out[0].1).identifier, 0xbeef);
}

/// A forged signature on either layout, or a bad key, is refused without state change.
#[test]
fn old_style_request_with_bad_signature_is_refused() {
    let (_, b, b_key) = requester();
    let kb = key_bin(&b_key);
    let src: SocketAddr = "5.6.7.8:9000".parse().unwrap();
    let mut pkt = intro::create_introduction_request(&b, "10.0.0.1:8090".parse().unwrap(), false);
    assert_eq!(pkt[22], 246);
    let last = pkt.len() - 1;
    pkt[last] ^= 1;
    let (shared, r, out) = receive(&pkt, src);
    assert_eq!(r, Err(DropReason::BadSignature));
    assert!(out.is_empty());
    assert!(shared.borrow().network.known_by_key(&kb).is_none());
}

// ----- bad packets -------------------------------------------------------------------

/// A forged signature, truncated packets, a trailing byte and unknown message ids
/// change no state, send nothing, and are counted per reason.
#[test]
fn bad_packets_change_nothing_and_are_counted() {
    let mut t = TestBase::new(8);
    t.initialize(2, DiscoveryCommunity::new);
    t.introduce_nodes();
    let k1 = t.key_bin(1);
    let key1 = t.node(1).key.clone();
    let prefix = *t.overlay::<DiscoveryCommunity>(0).base().prefix();
    let snapshot = |t: &TestBase| {
        (
            net(t, 0, |n| n.services_for_peer(&k1).to_vec()),
            net(t, 0, |n| n.verified_count()),
            pings(t, 0, 1),
            stats(t, 0).msgs_sent,
        )
    };
    let before = snapshot(&t);
    let d0 = stats(&t, 0);

    // A similarity-request announcing a new overlay, with one signature bit flipped.
    let req = SimilarityRequest {
        identifier: 5,
        lan_address: SocketAddrV4::new([10, 0, 0, 2].into(), 1),
        wan_address: SocketAddrV4::new([10, 0, 0, 2].into(), 1),
        flags: Default::default(),
        preference_list: vec![0xee; 20],
    };
    let good = wire::pack_signed(&prefix, 1, &k1, Some(5), &req, |d| key1.sign(d));
    let mut forged = good.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x80;
    inject(&t, 1, 0, forged);
    // Truncated: the key length runs past the end.
    inject(&t, 1, 0, good[..40].to_vec());
    // A similarity-response cut inside its preference list (varlenHx20 says 1 id).
    let resp = SimilarityResponse {
        identifier: 5,
        preference_list: vec![[0xee; 20]],
        tb_overlap: Vec::new(),
    };
    let mut body = Vec::new();
    wire::Serializable::pack(&resp, &mut body);
    body.truncate(10);
    let cut = wire::pack_signed(&prefix, 2, &k1, Some(6), &body[..], |d| key1.sign(d));
    inject(&t, 1, 0, cut);
    // A ping without identifier, and one with a trailing byte.
    inject(
        &t,
        1,
        0,
        wire::pack_unsigned(&prefix, 3, Some(9), &[0u8][..]),
    );
    inject(
        &t,
        1,
        0,
        wire::pack_unsigned(&prefix, DiscoveryPing::MSG_ID, Some(9), &[0u8, 1, 2][..]),
    );
    // Unknown message ids of this community, and no message id at all.
    inject(
        &t,
        1,
        0,
        wire::pack_unsigned(&prefix, 5, Some(9), &[0u8, 1][..]),
    );
    inject(&t, 1, 0, wire::pack_unsigned(&prefix, 200, None, &[][..]));
    inject(&t, 1, 0, prefix.to_vec());

    assert_eq!(snapshot(&t), before);
    let d1 = stats(&t, 0);
    let delta = |r| d1.drops(r) - d0.drops(r);
    assert_eq!(delta(DropReason::BadSignature), 1);
    assert_eq!(delta(DropReason::Malformed), 4);
    assert_eq!(delta(DropReason::UnknownMessage), 2);
    assert_eq!(delta(DropReason::NoHeader), 1);

    // Control: the unforged request is accepted and does change state.
    inject(&t, 1, 0, good);
    assert!(net(&t, 0, |n| n
        .services_for_peer(&k1)
        .contains(&[0xee; 20])));
}
