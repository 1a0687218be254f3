//! Packets our community code emits are byte-identical to what py-ipv8 3.2.1 emits
//! for the same key, clock and addresses (../shared/vectors, group `packets`), and a
//! py-ipv8 request is answered exactly as py-ipv8 answers it.

use ipv8sim::community::intro::{
    create_introduction_request, create_introduction_response, create_puncture,
    create_puncture_request,
};
use ipv8sim::community::{
    Community, CommunityBase, CommunityExt, CommunitySettings, KeyCache, NodeContext, Outgoing,
};
use ipv8sim::crypto::PrivateKey;
use ipv8sim::discovery::Peer;
use ipv8sim::runtime::Instant;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

const ID: [u8; 20] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
];

struct Plain {
    base: CommunityBase<Self>,
    extra: Vec<u8>,
}

impl Community for Plain {
    fn base(&self) -> &CommunityBase<Self> {
        &self.base
    }
    fn base_mut(&mut self) -> &mut CommunityBase<Self> {
        &mut self.base
    }
    fn introduction_extra_bytes(&self) -> Vec<u8> {
        self.extra.clone()
    }
}

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/vectors/ipv8-vectors.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn key(v: &Value, name: &str) -> PrivateKey {
    let k = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap();
    PrivateKey::from_bin(&hex::decode(k["private_key_bin"].as_str().unwrap()).unwrap()).unwrap()
}

fn packet<'a>(v: &'a Value, name_start: &str) -> &'a Value {
    v["packets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str().unwrap().starts_with(name_start))
        .unwrap_or_else(|| panic!("no packet vector {name_start}"))
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A community of key `name` with the vectors' community id, addresses and clock.
fn community(v: &Value, name: &str, lan: &str, wan: &str, clock: u64) -> Plain {
    let shared = Rc::new(RefCell::new(NodeContext::new(
        ChaCha8Rng::seed_from_u64(0),
        Rc::new(RefCell::new(KeyCache::new(16))),
    )));
    shared.borrow_mut().endpoint_open = true;
    let settings = CommunitySettings::new(shared, Rc::new(key(v, name)));
    settings.global_time.set(clock);
    let mut c = Plain {
        base: CommunityBase::new(ID, settings),
        extra: Vec::new(),
    };
    c.base_mut().my_estimated_lan = addr(lan);
    c.base_mut().my_estimated_wan = addr(wan);
    c
}

fn a(v: &Value, clock: u64) -> Plain {
    community(v, "A", "192.168.1.10:8090", "80.100.120.140:8090", clock)
}

fn hex_of(p: &Value) -> String {
    p["hex"].as_str().unwrap().to_string()
}

fn sent(c: &Plain) -> Vec<(SocketAddr, String)> {
    c.base()
        .shared()
        .borrow()
        .out
        .iter()
        .map(|o| match o {
            Outgoing::To(a, d) => (*a, hex::encode(d)),
            Outgoing::Broadcast(d) => ("255.255.255.255:0".parse().unwrap(), hex::encode(d)),
        })
        .collect()
}

#[test]
fn introduction_requests_match_pyipv8() {
    let v = vectors();
    let c = a(&v, 41);
    let old = create_introduction_request(&c, addr("1.2.3.4:5678"), false);
    assert_eq!(
        hex::encode(old),
        hex_of(packet(&v, "introduction-request (old style"))
    );
    let new = create_introduction_request(&c, addr("1.2.3.4:5678"), true);
    assert_eq!(
        hex::encode(new),
        hex_of(packet(&v, "introduction-request (new style)"))
    );
    let mut c = c;
    c.extra = vec![0xca, 0xfe];
    let v6 = create_introduction_request(&c, addr("[2001:db8::1]:5678"), false);
    assert_eq!(
        hex::encode(v6),
        hex_of(packet(&v, "introduction-request (new style, IPv6"))
    );
    // The Lamport clock past 65535: reduced mod 65536 in both fields.
    let c = a(&v, 65540);
    let wrapped = create_introduction_request(&c, addr("1.2.3.4:5678"), false);
    assert_eq!(
        hex::encode(wrapped),
        hex_of(packet(&v, "introduction-request with global time above"))
    );
}

#[test]
fn introduction_response_and_its_puncture_request_match_pyipv8() {
    let v = vectors();
    let c = a(&v, 99);
    let c_key = key(&v, "C").public_key();
    let mut intro = Peer::new(
        ipv8sim::discovery::KeyBin::new(c_key.key_to_bin()),
        addr("5.6.7.8:9000"),
        Instant::ZERO,
    );
    intro.set_lan_address(addr("10.0.0.7:9000"));
    let resp = create_introduction_response(
        &c,
        addr("80.100.120.140:8090"),
        addr("1.2.3.4:5678"),
        42,
        Some(intro),
        false,
    );
    assert_eq!(
        hex::encode(resp),
        hex_of(packet(&v, "introduction-response (old style)"))
    );
    let out = sent(&c);
    assert_eq!(out.len(), 1, "one puncture-request to the introduced peer");
    assert_eq!(out[0].0, addr("5.6.7.8:9000"));
    assert_eq!(out[0].1, hex_of(packet(&v, "puncture-request (old style)")));

    let c = a(&v, 100);
    let resp = create_introduction_response(
        &c,
        addr("80.100.120.140:8090"),
        addr("1.2.3.4:5678"),
        43,
        None,
        true,
    );
    assert_eq!(
        hex::encode(resp),
        hex_of(packet(&v, "introduction-response (new style)"))
    );
    assert!(
        sent(&c).is_empty(),
        "nobody introduced, no puncture-request"
    );
}

#[test]
fn punctures_and_new_puncture_request_match_pyipv8() {
    let v = vectors();
    let c = a(&v, 199);
    let old = create_puncture(
        &c,
        addr("192.168.1.10:8090"),
        addr("1.2.3.4:5678"),
        42,
        false,
    );
    assert_eq!(hex::encode(old), hex_of(packet(&v, "puncture (old style)")));
    let new = create_puncture(
        &c,
        addr("192.168.1.10:8090"),
        addr("1.2.3.4:5678"),
        42,
        true,
    );
    assert_eq!(hex::encode(new), hex_of(packet(&v, "puncture (new style)")));
    let c = a(&v, 299);
    let pr = create_puncture_request(&c, addr("10.0.0.5:5678"), addr("1.2.3.4:5678"), 7, true);
    assert_eq!(
        hex::encode(pr),
        hex_of(packet(&v, "puncture-request (new style)"))
    );
}

#[test]
fn pyipv8_request_is_answered_as_pyipv8_answers_it() {
    let v = vectors();
    let p = packet(&v, "exchange:");
    let inputs: Value = match &p["inputs"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    };
    let mut b = community(&v, "B", "10.0.0.5:5678", "1.2.3.4:5678", 499);
    let request = hex::decode(inputs["request_hex"].as_str().unwrap()).unwrap();
    let src = inputs["request_source_address"].as_array().unwrap();
    let src: SocketAddr = format!("{}:{}", src[0].as_str().unwrap(), src[1])
        .parse()
        .unwrap();
    b.on_packet(src, &request).expect("accepted");
    let out = sent(&b);
    assert_eq!(
        out.len(),
        1,
        "only the response: B knows nobody to introduce"
    );
    assert_eq!(out[0].0, src);
    assert_eq!(out[0].1, hex_of(p));
    let after = &p["receiver_state_after"];
    let shared = b.base().shared().clone();
    let s = shared.borrow();
    let mids: Vec<String> = s
        .network
        .verified_iter()
        .map(|p| hex::encode(p.mid()))
        .collect();
    let want: Vec<String> = after["verified_peer_mids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    assert_eq!(mids, want);
    let a_key = s.network.verified_iter().next().unwrap().key_bin().clone();
    let services: Vec<String> = s
        .network
        .services_for_peer(&a_key)
        .iter()
        .map(hex::encode)
        .collect();
    assert_eq!(
        services,
        vec![after["services_of_A"][0].as_str().unwrap().to_string()]
    );
}

#[test]
fn forged_truncated_foreign_and_replayed_packets_change_nothing() {
    let v = vectors();
    let p = packet(&v, "exchange:");
    let inputs: Value = match &p["inputs"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    };
    let request = hex::decode(inputs["request_hex"].as_str().unwrap()).unwrap();
    let src = addr("80.100.120.140:8090");
    let mut b = community(&v, "B", "10.0.0.5:5678", "1.2.3.4:5678", 499);
    // Forged: one bit of the signature flipped.
    let mut forged = request.clone();
    *forged.last_mut().unwrap() ^= 1;
    assert!(b.on_packet(src, &forged).is_err());
    // Truncated at every length.
    for n in 0..request.len() {
        assert!(b.on_packet(src, &request[..n]).is_err(), "truncated to {n}");
    }
    // A trailing byte.
    let mut long = request.clone();
    long.push(0);
    assert!(b.on_packet(src, &long).is_err());
    assert_eq!(b.base().shared().borrow().network.verified_count(), 0);
    assert!(sent(&b).is_empty());
    assert_eq!(b.base().global_time(), 499, "nothing was created");

    // A response nobody asked for is accepted (spec §6.7 quirk), but a response for
    // another community never reaches this one: the node routes by prefix.
    let resp = hex::decode(hex_of(p)).unwrap();
    let mut other = resp.clone();
    other[5] ^= 0xff;
    let shared = Rc::new(RefCell::new(NodeContext::new(
        ChaCha8Rng::seed_from_u64(0),
        Rc::new(RefCell::new(KeyCache::new(16))),
    )));
    let mut node = ipv8sim::node::Node::new(shared.clone(), ipv8sim::node::DEFAULT_WALKER_INTERVAL);
    node.add_overlay(a(&v, 41), Vec::new());
    node.start(Instant::ZERO, addr("80.100.120.140:8090"));
    node.handle_datagram(Instant::ZERO, addr("1.2.3.4:5678"), &other);
    assert_eq!(
        node.stats()
            .drops(ipv8sim::community::DropReason::UnknownCommunity),
        1
    );
    assert_eq!(
        node.overlay::<Plain>()
            .unwrap()
            .base()
            .shared()
            .borrow()
            .network
            .verified_count(),
        0
    );
}
