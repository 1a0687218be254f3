//! The `crypto` module against pyipv8's golden vectors (`../shared/vectors`), plus
//! round trips, key files and malformed-input robustness.
//!
//! Every entry of the groups read here is recognised explicitly; an entry these tests
//! do not know makes them fail (nothing is skipped silently).

use ipv8sim::crypto::tunnel::{self, Direction, SessionKeys};
use ipv8sim::crypto::{
    load_key_file, save_key_file, CryptoError, EcCurve, EcPrivateKey, EcPublicKey, KeyFileError,
    KeyKind, LibNaclPrivateKey, LibNaclPublicKey, PrivateKey, PublicKey,
};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn vectors() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/ipv8-vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(
        v.as_str()
            .unwrap_or_else(|| panic!("not a hex string: {v}")),
    )
    .unwrap()
}

fn arr32(b: &[u8]) -> [u8; 32] {
    b.try_into().unwrap()
}

/// The named LibNaCL keys of the `keys` group (A, B, C, zero).
fn named_keys(v: &Value) -> BTreeMap<String, PrivateKey> {
    let mut out = BTreeMap::new();
    for e in v["keys"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        if e["kind"].as_str().unwrap().starts_with("curve25519") {
            out.insert(
                name.to_owned(),
                PrivateKey::from_bin(&unhex(&e["private_key_bin"])).unwrap(),
            );
        }
    }
    assert_eq!(out.len(), 4, "expected keys A, B, C, zero");
    out
}

/// Checks a signed packet as a receiver would (spec §3.5): varlenH key at offset 23,
/// signature = last `signature_length` bytes over everything before. With a known
/// sender, also checks the key is the sender's and that re-signing is byte-identical
/// (Ed25519 is deterministic). Returns the sender's public key.
fn check_signed_packet(what: &str, packet: &[u8], sender: Option<&PrivateKey>) -> PublicKey {
    assert!(packet.len() > 25, "{what}: too short");
    let keylen = u16::from_be_bytes([packet[23], packet[24]]) as usize;
    let key = PublicKey::from_bin(&packet[25..25 + keylen])
        .unwrap_or_else(|e| panic!("{what}: key: {e}"));
    let siglen = key.signature_length();
    let (data, sig) = packet.split_at(packet.len() - siglen);
    assert!(key.verify(sig, data), "{what}: signature does not verify");
    // A flipped bit anywhere in the signed data must break it.
    let mut tampered = data.to_vec();
    tampered[22] ^= 0x01;
    assert!(
        !key.verify(sig, &tampered),
        "{what}: tampered data verified"
    );
    if let Some(sender) = sender {
        assert_eq!(
            key,
            sender.public_key(),
            "{what}: packet key is not the sender's"
        );
        assert_eq!(sender.sign(data), sig, "{what}: re-signing differs");
    }
    key
}

/// Checks that a packet entry's `signature` section (if any) is the tail of the packet.
fn check_signature_section(what: &str, e: &Value, packet: &[u8]) {
    let Some(sections) = e["sections"].as_array() else {
        return;
    };
    for s in sections {
        let name = s["name"].as_str().unwrap();
        let off = s["offset"].as_u64().unwrap() as usize;
        let len = s["length"].as_u64().unwrap() as usize;
        assert_eq!(
            &packet[off..off + len],
            unhex(&s["hex"]).as_slice(),
            "{what}: section {name}"
        );
        if name == "signature" {
            assert_eq!(off + len, packet.len(), "{what}: signature is not last");
            assert_eq!(len, 64, "{what}: Ed25519 signature length");
        }
        if name == "auth: public key bin" {
            PublicKey::from_bin(&packet[off..off + len]).unwrap();
        }
    }
}

/// The signed/unsigned packet groups: `packets`, `custom_messages`,
/// `discovery_community`, `dht` (the `unsigned_ids` are the message ids that group sends
/// without signature).
fn check_packet_group(group: &str, unsigned_ids: &[u64]) -> usize {
    let v = vectors();
    let keys = named_keys(&v);
    let entries = v[group].as_array().unwrap();
    let mut checked = 0;
    for e in entries {
        let name = e["name"].as_str().unwrap();
        let what = format!("{group}/{name}");
        match (e["signed"].as_bool(), e["expect"].as_str()) {
            (Some(true), None) => {
                let packet = unhex(&e["hex"]);
                let sender = &keys[e["sender_key"].as_str().unwrap()];
                check_signed_packet(&what, &packet, Some(sender));
                check_signature_section(&what, e, &packet);
                if let Some(req) = e["inputs"].get("request_hex") {
                    // The exchange entry carries A's signed request as input.
                    check_signed_packet(
                        &format!("{what} (request)"),
                        &unhex(req),
                        Some(&keys["A"]),
                    );
                }
            }
            (Some(false), None) => {
                let packet = unhex(&e["hex"]);
                let id = e["msg_id"].as_u64().unwrap();
                assert!(
                    unsigned_ids.contains(&id),
                    "{what}: unexpected unsigned message id {id}"
                );
                assert_eq!(packet[22] as u64, id, "{what}: message id byte");
                assert!(
                    e["sender_key"].is_null(),
                    "{what}: unsigned packet names a sender"
                );
                check_signature_section(&what, e, &packet);
            }
            (None, Some("reject (invalid signature)")) => {
                let packet = unhex(&e["hex"]);
                let keylen = u16::from_be_bytes([packet[23], packet[24]]) as usize;
                let key = PublicKey::from_bin(&packet[25..25 + keylen]).unwrap();
                let (data, sig) = packet.split_at(packet.len() - key.signature_length());
                assert!(
                    !key.verify(sig, data),
                    "{what}: tampered signature verified"
                );
            }
            (None, Some("reject (PackError: extra data)")) => {
                // Not a crypto failure: an unsigned message plus one byte. Check that it
                // is exactly that, so the rejection must come from the unpacker.
                let packet = unhex(&e["hex"]);
                let id = e["msg_id"].as_u64().unwrap();
                let original = entries
                    .iter()
                    .find(|o| o["signed"] == Value::Bool(false) && o["msg_id"].as_u64() == Some(id))
                    .unwrap_or_else(|| panic!("{what}: no unsigned original"));
                assert_eq!(
                    &packet[..packet.len() - 1],
                    unhex(&original["hex"]).as_slice()
                );
            }
            _ if group == "dht" && name == "calc_node_id" => {
                // node id = 3 CRC bytes ‖ mid[0:17] (spec §16); the crypto part is the mid.
                let mid = unhex(&e["inputs"]["mid"]);
                assert_eq!(mid, keys["A"].mid(), "{what}: mid is A's");
                assert_eq!(
                    &unhex(&e["node_id"])[3..],
                    &mid[..17],
                    "{what}: node id tail"
                );
            }
            _ if group == "dht" && name.starts_with("DHT stored value, unsigned") => {
                // No key material: a u8 type byte + data, owned by the dht module.
                assert!(e.get("signed").is_none() && e.get("sender_key").is_none());
            }
            _ => panic!("{what}: entry not recognised by the crypto tests"),
        }
        checked += 1;
    }
    assert_eq!(checked, entries.len());
    checked
}

#[test]
fn keys_group() {
    let v = vectors();
    const CURVE_FIELDS: &[&str] = &[
        "name",
        "kind",
        "inputs",
        "private_key_bin",
        "public_key_bin",
        "public_key_bin_length",
        "mid",
        "mid_check",
        "x25519_public_key",
        "ed25519_verify_key",
        "signature_length",
        "sign_message",
        "signature",
        "deterministic",
        "public_key_pem",
    ];
    const EC_FIELDS: &[&str] = &[
        "name",
        "kind",
        "inputs",
        "private_key_bin",
        "public_key_bin",
        "public_key_bin_length",
        "mid",
        "signature_length",
        "curve_name",
        "sign_message",
        "signature",
        "deterministic",
        "note",
        "private_key_pem",
    ];
    let mut seen = Vec::new();
    for e in v["keys"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        let fields: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        let msg = unhex(&e["sign_message"]);
        match name {
            "A" | "B" | "C" | "zero" => {
                for f in &fields {
                    assert!(CURVE_FIELDS.contains(f), "keys/{name}: unknown field {f}");
                }
                let x = arr32(&unhex(&e["inputs"]["curve25519_secret_key"]));
                let seed = arr32(&unhex(&e["inputs"]["ed25519_seed"]));
                let from_seeds = LibNaclPrivateKey::from_seeds(x, seed);
                let priv_bin = unhex(&e["private_key_bin"]);
                let pub_bin = unhex(&e["public_key_bin"]);
                assert_eq!(from_seeds.key_to_bin().as_slice(), priv_bin.as_slice());
                let key = PrivateKey::from_bin(&priv_bin).unwrap();
                assert_eq!(key.kind(), KeyKind::Curve25519);
                assert_eq!(key.key_to_bin(), priv_bin);
                assert_eq!(key.public_key().key_to_bin(), pub_bin.as_slice());
                assert_eq!(
                    pub_bin.len() as u64,
                    e["public_key_bin_length"].as_u64().unwrap()
                );
                let public = PublicKey::from_bin(&pub_bin).unwrap();
                assert_eq!(public, key.public_key());
                assert_eq!(public.mid().as_slice(), unhex(&e["mid"]).as_slice());
                assert_eq!(public.mid().as_slice(), unhex(&e["mid_check"]).as_slice());
                let nacl = public.as_libnacl().unwrap();
                assert_eq!(
                    nacl.x25519_public().as_slice(),
                    unhex(&e["x25519_public_key"]).as_slice()
                );
                assert_eq!(
                    nacl.ed25519_verify_key().as_slice(),
                    unhex(&e["ed25519_verify_key"]).as_slice()
                );
                assert_eq!(
                    public.signature_length() as u64,
                    e["signature_length"].as_u64().unwrap()
                );
                let sig = unhex(&e["signature"]);
                assert_eq!(key.sign(&msg), sig, "keys/{name}: signature bytes");
                assert!(public.verify(&sig, &msg));
                assert!(!public.verify(&sig, b"other message"));
                assert_eq!(e["deterministic"], Value::Bool(true));
                assert_eq!(
                    public.key_to_pem().unwrap(),
                    e["public_key_pem"].as_str().unwrap()
                );
            }
            "legacy-sect163k1" => {
                for f in &fields {
                    assert!(EC_FIELDS.contains(f), "keys/{name}: unknown field {f}");
                }
                let der = unhex(&e["inputs"]["private_key_der"]);
                assert_eq!(der, unhex(&e["private_key_bin"]));
                let key = PrivateKey::from_bin(&der).unwrap();
                assert_eq!(key.kind(), KeyKind::Ec(EcCurve::Sect163k1));
                assert_eq!(e["curve_name"].as_str().unwrap(), "sect163k1");
                assert_eq!(
                    key.key_to_bin(),
                    der,
                    "private DER re-serialises identically"
                );
                let pem_key =
                    PrivateKey::from_bin(e["private_key_pem"].as_str().unwrap().as_bytes())
                        .unwrap();
                assert_eq!(pem_key.key_to_bin(), der);
                if let PrivateKey::Ec(ec) = &pem_key {
                    assert_eq!(
                        ec.key_to_pem().unwrap(),
                        e["private_key_pem"].as_str().unwrap()
                    );
                }
                let pub_bin = unhex(&e["public_key_bin"]);
                assert_eq!(key.public_key().key_to_bin(), pub_bin.as_slice());
                assert_eq!(
                    pub_bin.len() as u64,
                    e["public_key_bin_length"].as_u64().unwrap()
                );
                let public = PublicKey::from_bin(&pub_bin).unwrap();
                assert_eq!(public.mid().as_slice(), unhex(&e["mid"]).as_slice());
                assert_eq!(public.signature_length(), 42);
                assert_eq!(e["signature_length"].as_u64(), Some(42));
                // Randomised in pyipv8: verify, don't compare.
                assert_eq!(e["deterministic"], Value::Bool(false));
                let sig = unhex(&e["signature"]);
                assert!(public.verify(&sig, &msg), "pyipv8's ECDSA signature");
                assert!(!public.verify(&sig, b"other message"));
                let ours = key.sign(&msg);
                assert_eq!(ours.len(), 42);
                assert!(public.verify(&ours, &msg));
            }
            other => panic!("keys: entry {other:?} not recognised"),
        }
        seen.push(name.to_owned());
    }
    assert_eq!(seen, ["A", "B", "C", "zero", "legacy-sect163k1"]);
}

#[test]
fn packets_group_signatures() {
    // Unsigned: old (250) and new (232) puncture-requests.
    assert_eq!(check_packet_group("packets", &[250, 232]), 11);
}

#[test]
fn custom_messages_group_signatures() {
    assert_eq!(check_packet_group("custom_messages", &[200]), 5);
}

#[test]
fn discovery_community_group_signatures() {
    // Unsigned: ping (3) and pong (4).
    assert_eq!(check_packet_group("discovery_community", &[3, 4]), 4);
}

#[test]
fn dht_group_signatures() {
    assert_eq!(check_packet_group("dht", &[]), 7);
}

#[test]
fn tracker_group_signatures() {
    let v = vectors();
    let keys = named_keys(&v);
    let t = &v["tracker"];
    let known = [
        "deterministic",
        "name",
        "note",
        "request_from_A",
        "request_from_B",
        "tracker_address",
        "tracker_sent_after_A",
        "tracker_sent_after_B",
    ];
    for k in t.as_object().unwrap().keys() {
        assert!(known.contains(&k.as_str()), "tracker: unknown field {k}");
    }
    check_signed_packet(
        "tracker/request_from_A",
        &unhex(&t["request_from_A"]["hex"]),
        Some(&keys["A"]),
    );
    check_signed_packet(
        "tracker/request_from_B",
        &unhex(&t["request_from_B"]["hex"]),
        Some(&keys["B"]),
    );
    let mut tracker_keys = Vec::new();
    let mut checked = 0;
    for list in ["tracker_sent_after_A", "tracker_sent_after_B"] {
        for (i, m) in t[list].as_array().unwrap().iter().enumerate() {
            let what = format!("tracker/{list}[{i}]");
            let packet = unhex(&m["hex"]);
            match m["msg_id"].as_u64().unwrap() {
                245 => {
                    let key = check_signed_packet(&what, &packet, None);
                    assert_eq!(key.kind(), KeyKind::Ec(EcCurve::Sect163k1), "{what}");
                    assert_eq!(key.signature_length(), 42);
                    assert_eq!(
                        key.key_to_bin(),
                        unhex(&m["decoded"]["public_key_bin"]).as_slice()
                    );
                    tracker_keys.push(key);
                }
                250 => {
                    // Unsigned puncture-request: prefix, id, global time, payload.
                    assert_eq!(packet[22], 250, "{what}");
                }
                other => panic!("{what}: unexpected message id {other}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3);
    assert_eq!(tracker_keys.len(), 2);
    assert_eq!(
        tracker_keys[0], tracker_keys[1],
        "one tracker key signs both responses"
    );
}

#[test]
fn tunnel_group_crypto() {
    let v = vectors();
    let keys = named_keys(&v);
    let mut checked = 0;
    for e in v["tunnel"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        if name.starts_with("ExtraIntroductionPayload") {
            // Peer flags are a u16 bitwise OR, big-endian.
            let flags = e["inputs"]["flags"]
                .as_array()
                .unwrap()
                .iter()
                .fold(0u16, |a, f| a | f.as_u64().unwrap() as u16);
            assert_eq!(
                flags.to_be_bytes().as_slice(),
                unhex(&e["hex"]).as_slice(),
                "{name}"
            );
        } else if name.starts_with("PrivateKey.diffie_hellman") {
            let me = keys[e["inputs"]["private"].as_str().unwrap()]
                .as_libnacl()
                .unwrap()
                .clone();
            let peer_pub = arr32(&unhex(&e["inputs"]["peer_x25519_public"]));
            let shared = me.diffie_hellman(&peer_pub).unwrap();
            assert_eq!(shared.as_slice(), unhex(&e["shared"]).as_slice(), "{name}");
            // Symmetric: B's secret with A's public.
            let peer = keys
                .values()
                .find(|k| k.as_libnacl().unwrap().public_key().x25519_public() == &peer_pub)
                .unwrap();
            let back = peer
                .as_libnacl()
                .unwrap()
                .diffie_hellman(me.public_key().x25519_public())
                .unwrap();
            assert_eq!(back.as_slice(), unhex(&e["check_symmetric"]).as_slice());
        } else if name.starts_with("crypto_auth") {
            let key = arr32(&unhex(&e["inputs"]["key"]));
            let msg = unhex(&e["inputs"]["message"]);
            let tag = unhex(&e["tag"]);
            assert_eq!(
                tunnel::crypto_auth(&key, &msg).as_slice(),
                tag.as_slice(),
                "{name}"
            );
            assert!(tunnel::crypto_auth_verify(&tag, &key, &msg));
            assert!(!tunnel::crypto_auth_verify(&tag, &key, b"msh"));
            assert!(!tunnel::crypto_auth_verify(&tag[..31], &key, &msg));
        } else if name.starts_with("session keys") {
            let mut sk = SessionKeys::derive(&unhex(&e["inputs"]["shared_secret"])).unwrap();
            assert_eq!(
                sk.key_forward.as_slice(),
                unhex(&e["key_forward"]).as_slice()
            );
            assert_eq!(
                sk.key_backward.as_slice(),
                unhex(&e["key_backward"]).as_slice()
            );
            assert_eq!(
                sk.salt_forward.as_slice(),
                unhex(&e["salt_forward"]).as_slice()
            );
            assert_eq!(
                sk.salt_backward.as_slice(),
                unhex(&e["salt_backward"]).as_slice()
            );
            let initial: Vec<u64> = e["salt_explicit_initial"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            assert_eq!(initial, [sk.counter_forward, sk.counter_backward]);
            let receiver = sk.clone();
            for (field, dir) in [
                ("encrypt_forward_1", Direction::Forward),
                ("encrypt_forward_2", Direction::Forward),
                ("encrypt_backward_1", Direction::Backward),
            ] {
                let pt = unhex(&e[field]["plaintext"]);
                let out = sk.encrypt(dir, &pt).unwrap();
                assert_eq!(out, unhex(&e[field]["out"]), "{field}");
                assert_eq!(receiver.decrypt(dir, &out).unwrap(), pt, "{field} decrypt");
                let other = if dir == Direction::Forward {
                    Direction::Backward
                } else {
                    Direction::Forward
                };
                assert_eq!(
                    receiver.decrypt(other, &out),
                    Err(CryptoError::DecryptFailed)
                );
                let mut bad = out.clone();
                *bad.last_mut().unwrap() ^= 1;
                assert_eq!(receiver.decrypt(dir, &bad), Err(CryptoError::DecryptFailed));
            }
            assert_eq!(
                receiver.decrypt(Direction::Forward, &[0u8; 23]),
                Err(CryptoError::CiphertextTooShort(23))
            );
        } else if name.starts_with("plaintext CREATE cell") {
            // Key material inside the cell: A's public key bin and B's X25519 public.
            let cell = unhex(&e["hex"]);
            let a = keys["A"].public_key();
            assert_eq!(&cell[34..108], a.key_to_bin());
            assert_eq!(PublicKey::from_bin(&cell[34..108]).unwrap(), a);
            assert_eq!(
                &cell[110..142],
                keys["B"]
                    .as_libnacl()
                    .unwrap()
                    .public_key()
                    .x25519_public()
                    .as_slice()
            );
            assert_eq!(cell.len(), 142);
        } else {
            panic!("tunnel: entry {name:?} not recognised");
        }
        checked += 1;
    }
    assert_eq!(checked, 7);
}

#[test]
fn ec_sign_verify_all_levels() {
    let expected = [
        ("very-low", 42, "sect163k1"),
        ("low", 60, "sect233k1"),
        ("medium", 104, "sect409k1"),
        ("high", 144, "sect571k1"),
    ];
    for (name, siglen, curve) in expected {
        let kind = KeyKind::from_name(name).unwrap();
        assert_eq!(kind.name(), name);
        let mut rng = ChaCha20Rng::seed_from_u64(42);
        let key = PrivateKey::generate(kind, &mut rng).unwrap();
        let again = PrivateKey::generate(kind, &mut ChaCha20Rng::seed_from_u64(42)).unwrap();
        assert_eq!(
            key.key_to_bin(),
            again.key_to_bin(),
            "{name}: deterministic generation"
        );
        let other = PrivateKey::generate(kind, &mut rng).unwrap();
        assert_ne!(key.public_key(), other.public_key());
        let PrivateKey::Ec(ec) = &key else {
            panic!("{name}: not EC")
        };
        assert_eq!(ec.curve().openssl_name(), curve);
        assert_eq!(key.signature_length(), siglen);
        assert_eq!(key.public_key().signature_length(), siglen);
        let public = key.public_key();
        for msg in [&b""[..], b"x", &[7u8; 300]] {
            let sig = key.sign(msg);
            assert_eq!(sig.len(), siglen, "{name}");
            assert_eq!(sig, key.sign(msg), "{name}: deterministic signature");
            assert!(public.verify(&sig, msg), "{name}: own signature");
            assert!(!other.public_key().verify(&sig, msg), "{name}: wrong key");
            let mut bad = sig.clone();
            bad[siglen - 1] ^= 1;
            assert!(!public.verify(&bad, msg));
            assert!(!public.verify(&sig[..siglen - 1], msg));
            let randomized = ec.sign_randomized(msg).unwrap();
            assert_eq!(randomized.len(), siglen);
            assert!(
                public.verify(&randomized, msg),
                "{name}: OpenSSL-nonce signature"
            );
        }
        assert!(
            !public.verify(&vec![0u8; siglen], b"x"),
            "{name}: zero r, s"
        );
        assert!(
            !public.verify(&vec![0xffu8; siglen], b"x"),
            "{name}: r, s >= n"
        );
    }
}

#[test]
fn ec_pem_der_round_trips() {
    for curve in EcCurve::ALL {
        let key =
            EcPrivateKey::generate(curve, &mut ChaCha20Rng::seed_from_u64(curve as u64)).unwrap();
        let der = key.key_to_bin().to_vec();
        let pem = key.key_to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
        for input in [der.as_slice(), pem.as_bytes()] {
            let back = PrivateKey::from_bin(input).unwrap();
            assert_eq!(back.key_to_bin(), der, "{curve:?}");
            assert_eq!(back.public_key(), PublicKey::Ec(key.public_key().clone()));
        }
        let pub_der = key.public_key().key_to_bin().to_vec();
        let pub_pem = key.public_key().key_to_pem().unwrap();
        assert!(pub_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(pub_der[0], 0x30);
        for input in [pub_der.as_slice(), pub_pem.as_bytes()] {
            let back = EcPublicKey::from_bin(input).unwrap();
            assert_eq!(back.key_to_bin(), pub_der.as_slice());
            assert_eq!(back.curve(), curve);
        }
        // A PKCS#8 encoding of the same key is accepted too.
        let pkcs8 = openssl::pkey::PKey::from_ec_key(
            openssl::ec::EcKey::private_key_from_der(&der).unwrap(),
        )
        .unwrap()
        .private_key_to_pem_pkcs8()
        .unwrap();
        assert_eq!(PrivateKey::from_bin(&pkcs8).unwrap().key_to_bin(), der);
    }
    // OpenSSL-RNG generation (real-network use) yields a working key too.
    let os = EcPrivateKey::generate_with_openssl_rng(EcCurve::Sect163k1).unwrap();
    let sig = os.sign(b"m").unwrap();
    assert!(os.public_key().verify(&sig, b"m"));
    assert_eq!(
        EcPrivateKey::from_bin(os.key_to_bin())
            .unwrap()
            .key_to_bin(),
        os.key_to_bin()
    );
    // sect163k1 public bin has the layout of spec §5.2.
    let k = EcPrivateKey::generate(EcCurve::Sect163k1, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
    let bin = k.public_key().key_to_bin();
    assert_eq!(bin.len(), 66);
    assert!(bin.starts_with(&hex::decode("3040301006072a8648ce3d020106052b81040001").unwrap()));
}

#[test]
fn ec_keys_on_other_curves_are_rejected() {
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let key = openssl::ec::EcKey::generate(&group).unwrap();
    let priv_der = key.private_key_to_der().unwrap();
    let pub_der = key.public_key_to_der().unwrap();
    assert!(matches!(
        PrivateKey::from_bin(&priv_der),
        Err(CryptoError::UnsupportedCurve(_))
    ));
    assert!(matches!(
        PublicKey::from_bin(&pub_der),
        Err(CryptoError::UnsupportedCurve(_))
    ));
}

#[test]
fn curve25519_generation_is_seeded() {
    let a = PrivateKey::generate(KeyKind::Curve25519, &mut ChaCha20Rng::seed_from_u64(9)).unwrap();
    let b = PrivateKey::generate(KeyKind::Curve25519, &mut ChaCha20Rng::seed_from_u64(9)).unwrap();
    let c = PrivateKey::generate(KeyKind::Curve25519, &mut ChaCha20Rng::seed_from_u64(10)).unwrap();
    assert_eq!(a.key_to_bin(), b.key_to_bin());
    assert_ne!(a.public_key(), c.public_key());
    let bin = a.key_to_bin();
    assert_eq!(bin.len(), 74);
    assert!(bin.starts_with(b"LibNaCLSK:"));
    assert!(a.public_key().key_to_bin().starts_with(b"LibNaCLPK:"));
    assert_eq!(
        a.mid(),
        ipv8sim::crypto::mid_of(a.public_key().key_to_bin())
    );
    // Hash/Eq/Ord follow the bin.
    let mut set = std::collections::HashSet::new();
    set.insert(a.public_key());
    assert!(set.contains(&PublicKey::from_bin(a.public_key().key_to_bin()).unwrap()));
    assert!(!set.contains(&c.public_key()));
    assert_eq!(
        a.public_key().cmp(&c.public_key()),
        a.public_key().key_to_bin().cmp(c.public_key().key_to_bin())
    );
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipv8sim-crypto-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn key_files_round_trip_like_pyipv8() {
    let v = vectors();
    let keys = named_keys(&v);
    // py-ipv8 writes key_to_bin() raw: for curve25519 the 74-byte LibNaCLSK: bin.
    let path = temp_path("ec_multichain.pem");
    let a = &keys["A"];
    save_key_file(&path, a).unwrap();
    let written = std::fs::read(&path).unwrap();
    assert_eq!(written, a.key_to_bin());
    assert_eq!(written.len(), 74);
    assert!(written.starts_with(b"LibNaCLSK:"));
    assert_eq!(load_key_file(&path).unwrap().public_key(), a.public_key());
    // A file py-ipv8 wrote (the vector's private bin, raw).
    let py_path = temp_path("py_written.pem");
    std::fs::write(&py_path, unhex(&v["keys"][1]["private_key_bin"])).unwrap();
    assert_eq!(
        load_key_file(&py_path).unwrap().public_key(),
        keys["B"].public_key()
    );
    // EC: DER written by us/py-ipv8, PEM (older files) accepted.
    let ec = PrivateKey::generate(
        KeyKind::from_name("very-low").unwrap(),
        &mut ChaCha20Rng::seed_from_u64(3),
    )
    .unwrap();
    let ec_path = temp_path("tracker.pem");
    save_key_file(&ec_path, &ec).unwrap();
    assert_eq!(std::fs::read(&ec_path).unwrap(), ec.key_to_bin());
    assert_eq!(
        load_key_file(&ec_path).unwrap().public_key(),
        ec.public_key()
    );
    std::fs::write(&ec_path, v["keys"][4]["private_key_pem"].as_str().unwrap()).unwrap();
    assert_eq!(
        load_key_file(&ec_path).unwrap().public_key().key_to_bin(),
        unhex(&v["keys"][4]["public_key_bin"]).as_slice()
    );
    // Errors name the file and the reason.
    let missing = temp_path("does-not-exist.pem");
    let err = load_key_file(&missing).unwrap_err();
    assert!(matches!(err, KeyFileError::Io { .. }));
    assert!(err.to_string().contains("does-not-exist.pem"), "{err}");
    std::fs::write(&py_path, b"LibNaCLSK:too short").unwrap();
    let err = load_key_file(&py_path).unwrap_err();
    assert!(matches!(
        err,
        KeyFileError::InvalidKey {
            source: CryptoError::InvalidLength { .. },
            ..
        }
    ));
    assert!(err.to_string().contains("py_written.pem"), "{err}");
    std::fs::write(&py_path, b"garbage").unwrap();
    assert!(matches!(
        load_key_file(&py_path),
        Err(KeyFileError::InvalidKey {
            source: CryptoError::InvalidEcKey(_),
            ..
        })
    ));
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn malformed_keys_and_signatures_are_errors() {
    let v = vectors();
    let keys = named_keys(&v);
    let a = keys["A"].clone();
    let a_pub = a.public_key().key_to_bin().to_vec();
    let a_priv = a.key_to_bin();
    for n in 0..a_pub.len() {
        assert!(
            PublicKey::from_bin(&a_pub[..n]).is_err(),
            "truncated public bin {n}"
        );
        assert!(
            PrivateKey::from_bin(&a_priv[..n]).is_err(),
            "truncated private bin {n}"
        );
    }
    let mut long = a_pub.clone();
    long.push(0);
    assert!(matches!(
        PublicKey::from_bin(&long),
        Err(CryptoError::InvalidLength {
            expected: 74,
            actual: 75,
            ..
        })
    ));
    // A verify key that is not a curve point.
    let bad_point = (0u8..=255)
        .map(|b| [b; 32])
        .find(|vk| LibNaclPublicKey::from_parts([0; 32], *vk).is_err())
        .expect("some 32-byte string is not an Ed25519 point");
    assert_eq!(
        LibNaclPublicKey::from_parts([0; 32], bad_point).unwrap_err(),
        CryptoError::InvalidEd25519Key
    );
    // EC: every truncation of a valid DER is rejected.
    let ec_pub = unhex(&v["keys"][4]["public_key_bin"]);
    let ec_priv = unhex(&v["keys"][4]["private_key_bin"]);
    for n in 0..ec_pub.len() {
        assert!(
            PublicKey::from_bin(&ec_pub[..n]).is_err(),
            "truncated EC public {n}"
        );
    }
    for n in 0..ec_priv.len() {
        assert!(
            PrivateKey::from_bin(&ec_priv[..n]).is_err(),
            "truncated EC private {n}"
        );
    }
    // Trailing bytes after the DER SEQUENCE (OpenSSL alone would ignore them).
    let mut trailing = ec_pub.clone();
    trailing.push(0);
    assert!(PublicKey::from_bin(&trailing).is_err());
    let mut trailing = ec_priv.clone();
    trailing.push(0);
    assert!(PrivateKey::from_bin(&trailing).is_err());
    // A point that is not on the curve.
    let mut off_curve = ec_pub.clone();
    *off_curve.last_mut().unwrap() ^= 1;
    assert!(PublicKey::from_bin(&off_curve).is_err());
    assert!(PublicKey::from_bin(
        b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n"
    )
    .is_err());
    // Wrong-length signatures.
    let ec = PublicKey::from_bin(&ec_pub).unwrap();
    let pa = a.public_key();
    for n in [0usize, 1, 41, 43, 63, 65, 128] {
        assert!(!pa.verify(&vec![1u8; n], b"m"));
        assert!(!ec.verify(&vec![1u8; n], b"m"));
    }
    assert!(!pa.verify(&[0u8; 64], b"m"));
}

#[test]
fn random_bytes_never_panic() {
    let v = vectors();
    let keys = named_keys(&v);
    let pa = keys["A"].public_key();
    let ec = PublicKey::from_bin(&unhex(&v["keys"][4]["public_key_bin"])).unwrap();
    let templates: Vec<Vec<u8>> = vec![
        b"LibNaCLPK:".to_vec(),
        b"LibNaCLSK:".to_vec(),
        b"-----BEGIN PUBLIC KEY-----\n".to_vec(),
        b"-----BEGIN EC PRIVATE KEY-----\n".to_vec(),
        unhex(&v["keys"][4]["public_key_bin"]),
        unhex(&v["keys"][4]["private_key_bin"]),
        pa.key_to_bin().to_vec(),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(0x1987_2024);
    let mut accepted = 0usize;
    let mut valid_sigs = 0usize;
    for i in 0..100_000u32 {
        let mut input = match rng.gen_range(0..4) {
            0 => Vec::new(),
            // Start from a valid or prefix template, then mutate.
            _ => templates[rng.gen_range(0..templates.len())].clone(),
        };
        let extra = rng.gen_range(0..100);
        let start = input.len();
        input.resize(start + extra, 0);
        rng.fill_bytes(&mut input[start..]);
        if !input.is_empty() && rng.gen_bool(0.5) {
            let at = rng.gen_range(0..input.len());
            input[at] ^= 1 << rng.gen_range(0..8);
        }
        if rng.gen_bool(0.3) {
            let keep = rng.gen_range(0..=input.len());
            input.truncate(keep);
        }
        if PublicKey::from_bin(&input).is_ok() {
            accepted += 1;
        }
        if PrivateKey::from_bin(&input).is_ok() {
            accepted += 1;
        }
        let msg = &input[..input.len().min(16)];
        valid_sigs += usize::from(pa.verify(&input, msg));
        // Exact-length signatures: random (mostly out of range), and on 1 in 64
        // iterations with r, s < n (resp. S < L) so the full verification runs.
        if i % 8 == 0 {
            let mut sig = vec![0u8; 42];
            rng.fill_bytes(&mut sig);
            if i % 64 == 0 {
                sig[0] &= 0x03; // sect163k1: n > 2^162
                sig[21] &= 0x03;
            }
            valid_sigs += usize::from(ec.verify(&sig, msg));
            let mut sig = [0u8; 64];
            rng.fill_bytes(&mut sig);
            sig[63] &= 0x0f; // Ed25519: S < 2^252 < L
            valid_sigs += usize::from(pa.verify(&sig, msg));
        } else {
            valid_sigs += usize::from(ec.verify(&input, msg));
        }
    }
    assert_eq!(valid_sigs, 0, "random bytes verified as a signature");
    // Unmutated templates (valid key bins) must parse; mutated ones mostly must not:
    // the loop exercised both outcomes.
    assert!(accepted > 0 && accepted < 10_000, "accepted {accepted}");
}

#[test]
fn tunnel_handshake_agrees() {
    // Spec §17: both sides derive the same shared secret and session keys.
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let responder = LibNaclPrivateKey::generate(&mut rng);
    let x = tunnel::x25519_generate(&mut rng);
    let y = tunnel::x25519_generate(&mut rng);
    let (big_x, big_y) = (tunnel::x25519_public(&x), tunnel::x25519_public(&y));
    let b_pub = *responder.public_key().x25519_public();
    let mut resp_shared = tunnel::crypto_box_beforenm(&y, &big_x).unwrap().to_vec();
    resp_shared.extend_from_slice(&responder.diffie_hellman(&big_x).unwrap());
    let mut init_shared = tunnel::crypto_box_beforenm(&x, &big_y).unwrap().to_vec();
    init_shared.extend_from_slice(&tunnel::crypto_box_beforenm(&x, &b_pub).unwrap());
    assert_eq!(resp_shared, init_shared);
    let auth = tunnel::crypto_auth(&arr32(&resp_shared[..32]), &big_y);
    assert!(tunnel::crypto_auth_verify(
        &auth,
        &arr32(&init_shared[..32]),
        &big_y
    ));
    let mut a = SessionKeys::derive(&init_shared).unwrap();
    let b = SessionKeys::derive(&resp_shared).unwrap();
    let ct = a.encrypt(Direction::Forward, b"cell").unwrap();
    assert_eq!(b.decrypt(Direction::Forward, &ct).unwrap(), b"cell");
    // Low-order public key (all zeros) is refused, as libsodium does.
    assert_eq!(
        tunnel::crypto_box_beforenm(&x, &[0u8; 32]),
        Err(CryptoError::LowOrderPoint)
    );
    assert!(matches!(
        SessionKeys::derive(&[0u8; 16]),
        Err(CryptoError::HkdfKeyTooShort(16))
    ));
}
