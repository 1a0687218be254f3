//! Hostile-input tests for every wire decoder: a bounded, seeded run of random bytes
//! and mutations of real packets (from the vectors), checking that nothing panics,
//! errors are sane, no single allocation exceeds what the input could carry, and
//! whatever decodes re-encodes to something that decodes to the same value.
//!
//! `IPV8SIM_FUZZ_ITERS` (default 100 000) sets the number of inputs; every decoder sees
//! every input. `IPV8SIM_FUZZ_SEED` overrides the seed (printed on every run).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Debug;

use ipv8sim::community::payload::*;
use ipv8sim::wire::dht;
use ipv8sim::wire::formats::ALL_FORMATS;
use ipv8sim::wire::tunnel;
use ipv8sim::wire::{self, decode_exact, Fmt, Reader, Schema, Serializable, Serializer, WireError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// ---------------------------------------------------------------- allocation probe

/// Tracks the largest single allocation made by the current thread since reset.
struct Probe;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call unchanged to the system allocator; the only extra work
// is updating a const-initialised thread-local `Cell<usize>`, which neither allocates
// nor can re-enter the allocator.
unsafe impl GlobalAlloc for Probe {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LARGEST.try_with(|l| l.set(l.get().max(layout.size())));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = LARGEST.try_with(|l| l.set(l.get().max(new_size)));
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static PROBE: Probe = Probe;

/// Run `f` and return the largest single allocation it made.
fn largest_alloc<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, LARGEST.with(|l| l.get()))
}

/// Bound on one allocation while decoding `len` input bytes: the widest per-item
/// blow-up is a `Vec<Value>` (≤ 48 bytes per item) from 2-byte items.
fn alloc_bound(len: usize) -> usize {
    32 * len + 256
}

// ---------------------------------------------------------------- inputs

fn seed() -> u64 {
    std::env::var("IPV8SIM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x1b8_5eed)
}

fn iters() -> usize {
    std::env::var("IPV8SIM_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

/// Every packet and payload hex in the vectors, as mutation seeds.
fn corpus() -> Vec<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/ipv8-vectors.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    fn walk(j: &serde_json::Value, out: &mut Vec<Vec<u8>>) {
        match j {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "hex" || k == "unwrapped_for_handlers" || k == "request_hex" {
                        if let Some(b) = x.as_str().and_then(|s| hex::decode(s).ok()) {
                            out.push(b);
                        }
                    } else {
                        walk(x, out);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&v, &mut out);
    // Payload-only slices of the packets too (after a 23-byte header and optional
    // key/global time), so payload decoders see near-valid input.
    let mut extra = Vec::new();
    for p in &out {
        for skip in [23usize, 31, 99, 107] {
            if p.len() > skip {
                extra.push(p[skip..].to_vec());
                if p.len() > skip + 64 {
                    extra.push(p[skip..p.len() - 64].to_vec());
                }
            }
        }
    }
    out.extend(extra);
    out
}

fn next_input(rng: &mut ChaCha8Rng, corpus: &[Vec<u8>], buf: &mut Vec<u8>) {
    buf.clear();
    match rng.gen_range(0..10) {
        0..=2 => {
            let len = if rng.gen_bool(0.5) {
                rng.gen_range(0..16)
            } else {
                rng.gen_range(0..400)
            };
            buf.extend((0..len).map(|_| rng.gen::<u8>()));
        }
        _ => {
            buf.extend_from_slice(&corpus[rng.gen_range(0..corpus.len())]);
            for _ in 0..rng.gen_range(1..5) {
                let len = buf.len();
                match rng.gen_range(0..7) {
                    0 if len > 0 => {
                        let i = rng.gen_range(0..len);
                        buf[i] ^= 1 << rng.gen_range(0..8);
                    }
                    1 if len > 0 => {
                        let i = rng.gen_range(0..len);
                        buf[i] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x02, 0x03][rng.gen_range(0..7)];
                    }
                    2 => buf.truncate(rng.gen_range(0..=len)),
                    3 => {
                        let i = rng.gen_range(0..=len);
                        buf.insert(i, rng.gen());
                    }
                    4 if len > 1 => {
                        // Max out a would-be length field.
                        let i = rng.gen_range(0..len - 1);
                        buf[i] = 0xff;
                        buf[i + 1] = 0xff;
                    }
                    5 if len > 0 => {
                        let i = rng.gen_range(0..len);
                        buf.remove(i);
                    }
                    _ => buf.push(rng.gen()),
                }
            }
        }
    }
}

// ---------------------------------------------------------------- checks

fn check_err(e: &WireError, len: usize) {
    match e {
        WireError::Truncated { needed, remaining } => {
            assert!(
                needed > remaining && *remaining <= len,
                "insane {e:?} for {len} bytes"
            )
        }
        WireError::TrailingBytes(n) => assert!(*n > 0 && *n <= len),
        WireError::NoHeader(n) => assert!(*n < wire::HEADER_LEN),
        WireError::BadAddressType(t) => assert!(![1u8, 3].contains(t)),
        // Encoding-only errors must never come out of a decoder.
        WireError::BadValue { .. } | WireError::TooLong { .. } | WireError::UnknownFormat(_) => {
            panic!("encoding error from a decoder: {e:?}")
        }
        _ => {}
    }
    assert!(!e.reason().is_empty());
    let _ = e.to_string();
}

/// Decode `T` exactly; on success, its encoding must decode to the same value.
fn typed<T: Serializable + PartialEq + Debug>(data: &[u8], stats: &mut Stats) {
    let (res, big) = largest_alloc(|| decode_exact::<T>(data));
    assert!(
        big <= alloc_bound(data.len()),
        "{} allocated {big} for {} bytes",
        std::any::type_name::<T>(),
        data.len()
    );
    match res {
        Ok(v) => {
            stats.ok += 1;
            let again: T =
                decode_exact(&v.to_bytes()).unwrap_or_else(|e| panic!("re-decode {v:?}: {e}"));
            assert_eq!(again, v);
        }
        Err(e) => {
            stats.err += 1;
            check_err(&e, data.len())
        }
    }
}

#[derive(Default)]
struct Stats {
    ok: u64,
    err: u64,
}

fn run_payloads(data: &[u8], st: &mut Stats) {
    typed::<IntroductionRequestOld>(data, st);
    typed::<IntroductionRequest>(data, st);
    typed::<IntroductionResponseOld>(data, st);
    typed::<IntroductionResponse>(data, st);
    typed::<PunctureRequestOld>(data, st);
    typed::<PunctureRequest>(data, st);
    typed::<PunctureOld>(data, st);
    typed::<Puncture>(data, st);
    typed::<SimilarityRequest>(data, st);
    typed::<SimilarityResponse>(data, st);
    typed::<DiscoveryPing>(data, st);
    typed::<DiscoveryPong>(data, st);
    typed::<dht::PingRequest>(data, st);
    typed::<dht::PingResponse>(data, st);
    typed::<dht::StoreRequest>(data, st);
    typed::<dht::StoreResponse>(data, st);
    typed::<dht::FindRequest>(data, st);
    typed::<dht::FindResponse>(data, st);
    typed::<dht::StorePeerRequest>(data, st);
    typed::<dht::StorePeerResponse>(data, st);
    typed::<dht::ConnectPeerRequest>(data, st);
    typed::<dht::ConnectPeerResponse>(data, st);
    typed::<tunnel::CreatePayload>(data, st);
    typed::<tunnel::DestroyPayload>(data, st);
}

fn run_envelopes(data: &[u8], st: &mut Stats) {
    for gt in [false, true] {
        let (res, big) = largest_alloc(|| {
            wire::parse_signed(data, gt, |k| {
                if k.len() == 74 {
                    Ok(64)
                } else if k.is_empty() {
                    Err(WireError::Invalid("empty key"))
                } else {
                    Ok(42)
                }
            })
            .map(|p| (p.signed_data.len() + p.signature.len(), p.payload.len()))
        });
        assert_eq!(big, 0, "parse_signed must not allocate");
        match res {
            Ok((total, payload)) => {
                st.ok += 1;
                assert_eq!(total, data.len());
                assert!(payload <= data.len());
            }
            Err(e) => {
                st.err += 1;
                check_err(&e, data.len())
            }
        }
        match wire::parse_unsigned(data, gt) {
            Ok(p) => {
                st.ok += 1;
                assert_eq!(
                    p.payload.len() + wire::HEADER_LEN + if gt { 8 } else { 0 },
                    data.len()
                );
            }
            Err(e) => {
                st.err += 1;
                check_err(&e, data.len())
            }
        }
    }
    if let Ok(cell) = tunnel::parse_cell(data) {
        st.ok += 1;
        let _ = tunnel::unwrap_for_handlers(cell.prefix, cell.circuit_id, cell.message);
    }
    let _ = dht::parse_value(data);
    let _ = wire::parse_beacon(data);
}

fn run_dynamic(ser: &Serializer, nested: &Schema, data: &[u8], st: &mut Stats) {
    let mut fmts: Vec<Fmt<'_>> = ALL_FORMATS.iter().map(|f| Fmt::Name(f)).collect();
    fmts.push(Fmt::Name("node-list"));
    fmts.push(Fmt::Payload(nested));
    fmts.push(Fmt::PayloadList(nested));
    for fmt in fmts {
        let mut r = Reader::new(data);
        let (res, big) = largest_alloc(|| ser.unpack(fmt, &mut r));
        assert!(
            big <= alloc_bound(data.len()),
            "{fmt:?} allocated {big} for {} bytes",
            data.len()
        );
        match res {
            Ok(v) => {
                st.ok += 1;
                let used = r.position();
                let mut out = Vec::new();
                ser.pack(fmt, &v, &mut out)
                    .unwrap_or_else(|e| panic!("{fmt:?}: repack of {v:?}: {e}"));
                let mut r2 = Reader::new(&out);
                let again = ser.unpack(fmt, &mut r2).unwrap();
                // Compare encodings, not values (NaN != NaN).
                let mut out2 = Vec::new();
                ser.pack(fmt, &again, &mut out2).unwrap();
                assert_eq!(out2, out, "{fmt:?}");
                assert!(used <= data.len());
            }
            Err(e) => {
                st.err += 1;
                check_err(&e, data.len())
            }
        }
    }
}

#[test]
fn fuzz_all_decoders() {
    let seed = seed();
    let n = iters();
    println!("wire fuzz: seed {seed} (IPV8SIM_FUZZ_SEED), {n} inputs (IPV8SIM_FUZZ_ITERS)");
    let corpus = corpus();
    assert!(corpus.len() > 40, "vector corpus missing");
    let mut ser = Serializer::new();
    ser.add_packer("node-list", Box::new(dht::NodeList));
    let nested = Schema::new()
        .field("a", "H")
        .field("b", "varlenH")
        .nested_list("c", Schema::new().field("x", "address"));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut buf = Vec::new();
    let mut st = Stats::default();
    for i in 0..n {
        next_input(&mut rng, &corpus, &mut buf);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut local = Stats::default();
            run_payloads(&buf, &mut local);
            run_envelopes(&buf, &mut local);
            run_dynamic(&ser, &nested, &buf, &mut local);
            local
        }));
        match result {
            Ok(local) => {
                st.ok += local.ok;
                st.err += local.err;
            }
            Err(_) => panic!("seed {seed}, input #{i}: {}", hex::encode(&buf)),
        }
    }
    println!(
        "wire fuzz: {n} inputs, {} decodes ({} ok, {} errors)",
        st.ok + st.err,
        st.ok,
        st.err
    );
    assert!(st.ok > n as u64, "mutations should often decode");
    assert!(st.err > n as u64, "random input should often fail");
}

// ---------------------------------------------------------------- round-trip properties

mod roundtrip {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

    use ipv8sim::community::payload::*;
    use ipv8sim::wire::dht::{self, DhtNode};
    use ipv8sim::wire::{decode_exact, Address, Payload, Serializable};
    use proptest::collection::vec;
    use proptest::prelude::*;

    #[derive(Payload, Debug, Clone, PartialEq)]
    struct Scalars {
        a: bool,
        b: u8,
        #[wire(format = "BBH")]
        bbh: (u8, u8, u16),
        #[wire(format = "BH")]
        bh: (u8, u16),
        #[wire(format = "c")]
        c: u8,
        f: f32,
        d: f64,
        h: u16,
        #[wire(format = "HH")]
        hh: (u16, u16),
        i: u32,
        l: i32,
        #[wire(format = "LL")]
        ll: (u32, u32),
        q: i64,
        uq: u64,
        #[wire(format = "QH")]
        qh: (u64, u16),
        #[wire(format = "QL")]
        ql: (u64, u32),
        #[wire(format = "QQHHBH")]
        qqhhbh: (u64, u64, u16, u16, u8, u16),
        #[wire(format = "ccB")]
        ccb: (u8, u8, u8),
        #[wire(format = "4SH")]
        four: ([u8; 4], u16),
        s20: [u8; 20],
        #[wire(format = "32s")]
        s32: Vec<u8>,
        #[wire(format = "c20s")]
        c20s: (u8, [u8; 20]),
        #[wire(format = "bits")]
        bits: [bool; 8],
    }

    #[derive(Payload, Debug, Clone, PartialEq)]
    struct Inner {
        x: i64,
        y: Vec<u8>,
    }

    #[derive(Payload, Debug, Clone, PartialEq)]
    #[payload(msg_id = 9)]
    struct Variable {
        ipv4: SocketAddrV4,
        ip: SocketAddr,
        addr: Address,
        varlen_h: Vec<u8>,
        #[wire(format = "doublevarlenH")]
        double: Vec<u8>,
        #[wire(format = "varlenI")]
        varlen_i: Vec<u8>,
        #[wire(format = "varlenBx2")]
        bx2: Vec<u8>,
        #[wire(format = "varlenHx20")]
        hx20: Vec<u8>,
        text: String,
        #[wire(format = "varlenIutf8")]
        text_i: String,
        list: Vec<Vec<u8>>,
        inner: Inner,
        inners: Vec<Inner>,
        bools: Vec<bool>,
        ints: Vec<i64>,
        floats: Vec<f64>,
        #[wire(format = "raw")]
        rest: Vec<u8>,
    }

    fn finite() -> impl Strategy<Value = f64> {
        -1e300f64..1e300f64
    }

    fn v4() -> impl Strategy<Value = SocketAddrV4> {
        (any::<u32>(), any::<u16>()).prop_map(|(ip, p)| SocketAddrV4::new(Ipv4Addr::from(ip), p))
    }

    fn ip() -> impl Strategy<Value = SocketAddr> {
        prop_oneof![
            v4().prop_map(SocketAddr::V4),
            (any::<u128>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                p,
                0,
                0
            ))),
        ]
    }

    fn address() -> impl Strategy<Value = Address> {
        prop_oneof![
            ip().prop_map(Address::from),
            ("[a-z0-9.-]{0,40}", any::<u16>()).prop_map(|(h, p)| Address::Domain(h, p)),
        ]
    }

    fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
        vec(any::<u8>(), 0..max)
    }

    fn inner() -> impl Strategy<Value = Inner> {
        (any::<i64>(), bytes(20)).prop_map(|(x, y)| Inner { x, y })
    }

    fn scalars() -> impl Strategy<Value = Scalars> {
        (
            (
                any::<bool>(),
                any::<u8>(),
                any::<(u8, u8, u16)>(),
                any::<(u8, u16)>(),
                any::<u8>(),
            ),
            (
                (-1e30f32..1e30f32),
                finite(),
                any::<u16>(),
                any::<(u16, u16)>(),
                any::<u32>(),
                any::<i32>(),
            ),
            (
                any::<(u32, u32)>(),
                any::<i64>(),
                any::<u64>(),
                any::<(u64, u16)>(),
                any::<(u64, u32)>(),
            ),
            (
                any::<(u64, u64, u16, u16, u8, u16)>(),
                any::<(u8, u8, u8)>(),
                any::<([u8; 4], u16)>(),
            ),
            (
                any::<[u8; 20]>(),
                vec(any::<u8>(), 32),
                any::<(u8, [u8; 20])>(),
                any::<[bool; 8]>(),
            ),
        )
            .prop_map(
                |(
                    (a, b, bbh, bh, c),
                    (f, d, h, hh, i, l),
                    (ll, q, uq, qh, ql),
                    (qqhhbh, ccb, four),
                    (s20, s32, c20s, bits),
                )| {
                    Scalars {
                        a,
                        b,
                        bbh,
                        bh,
                        c,
                        f,
                        d,
                        h,
                        hh,
                        i,
                        l,
                        ll,
                        q,
                        uq,
                        qh,
                        ql,
                        qqhhbh,
                        ccb,
                        four,
                        s20,
                        s32,
                        c20s,
                        bits,
                    }
                },
            )
    }

    fn variable() -> impl Strategy<Value = Variable> {
        (
            (v4(), ip(), address(), bytes(300), bytes(50), bytes(50)),
            (
                vec(any::<[u8; 2]>(), 0..20),
                vec(any::<[u8; 20]>(), 0..4),
                ".{0,30}",
                ".{0,30}",
            ),
            (vec(bytes(10), 0..10), inner(), vec(inner(), 0..5)),
            (
                vec(any::<bool>(), 0..20),
                vec(any::<i64>(), 0..20),
                vec(finite(), 0..20),
                bytes(40),
            ),
        )
            .prop_map(
                |(
                    (ipv4, ip, addr, varlen_h, double, varlen_i),
                    (bx2, hx20, text, text_i),
                    (list, inner, inners),
                    (bools, ints, floats, rest),
                )| Variable {
                    ipv4,
                    ip,
                    addr,
                    varlen_h,
                    double,
                    varlen_i,
                    bx2: bx2.concat(),
                    hx20: hx20.concat(),
                    text,
                    text_i,
                    list,
                    inner,
                    inners,
                    bools,
                    ints,
                    floats,
                    rest,
                },
            )
    }

    fn roundtrip<T: Serializable + PartialEq + std::fmt::Debug>(
        v: &T,
    ) -> Result<(), TestCaseError> {
        let bytes = v.to_bytes();
        let back: T = decode_exact(&bytes).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(&back, v);
        prop_assert_eq!(back.to_bytes(), bytes);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn scalar_formats_roundtrip(v in scalars()) {
            roundtrip(&v)?;
            // Fixed sizes: every field but none variable, so the length is constant.
            prop_assert_eq!(v.to_bytes().len(), 1 + 1 + 4 + 3 + 1 + 4 + 8 + 2 + 4 + 4 + 4 + 8 + 8 + 8 + 10 + 12 + 23 + 3 + 6 + 20 + 32 + 21 + 1);
        }

        #[test]
        fn variable_formats_roundtrip(v in variable()) {
            roundtrip(&v)?;
        }

        #[test]
        fn discovery_payloads_roundtrip(
            a in v4(), b in v4(), c in v4(), d in v4(), e in v4(),
            x in ip(), y in ip(), z in ip(), id in any::<u16>(), flags in any::<u8>(), extra in bytes(30),
        ) {
            use ipv8sim::wire::BitFlags;
            roundtrip(&IntroductionRequestOld { destination_address: a, source_lan_address: b, source_wan_address: c,
                flags: IntroRequestFlags::from_bits(flags.to_bits()), identifier: id, extra_bytes: extra.clone() })?;
            roundtrip(&IntroductionRequest { destination_address: x, source_lan_address: y, source_wan_address: z,
                identifier: id, flags: IntroRequestFlags::from_bits(flags.to_bits()), extra_bytes: extra.clone() })?;
            roundtrip(&IntroductionResponseOld { destination_address: a, source_lan_address: b, source_wan_address: c,
                lan_introduction_address: d, wan_introduction_address: e,
                flags: IntroResponseFlags::from_bits(flags.to_bits()), identifier: id, extra_bytes: extra.clone() })?;
            roundtrip(&IntroductionResponse { destination_address: x, source_lan_address: y, source_wan_address: z,
                lan_introduction_address: x, wan_introduction_address: y, identifier: id,
                flags: NewIntroResponseFlags::from_bits(flags.to_bits()), extra_bytes: extra.clone() })?;
            roundtrip(&PunctureRequestOld { lan_walker_address: a, wan_walker_address: b, identifier: id })?;
            roundtrip(&PunctureRequest { lan_walker_address: x, wan_walker_address: y, identifier: id })?;
            roundtrip(&PunctureOld { source_lan_address: a, source_wan_address: b, identifier: id })?;
            roundtrip(&Puncture { source_lan_address: x, source_wan_address: y, identifier: id })?;
            roundtrip(&SimilarityRequest { identifier: id, lan_address: a, wan_address: b,
                flags: ConnectionTypeFlags::from_bits(flags.to_bits()), preference_list: extra.clone() })?;
            roundtrip(&SimilarityResponse { identifier: id, preference_list: vec![[flags; 20]; usize::from(flags % 4)], tb_overlap: extra })?;
            roundtrip(&DiscoveryPing { identifier: id })?;
            roundtrip(&DiscoveryPong { identifier: id })?;
        }

        #[test]
        fn dht_payloads_roundtrip(
            id in any::<u32>(), token in any::<[u8; 20]>(), target in any::<[u8; 20]>(),
            values in vec(bytes(30), 0..8), nodes in vec((ip(), bytes(80)), 0..8), lan in ip(), offset in any::<u32>(), force in any::<bool>(),
        ) {
            let nodes: Vec<DhtNode> = nodes.into_iter().map(|(address, public_key)| DhtNode { address, public_key }).collect();
            roundtrip(&dht::StoreRequest { identifier: id, token, target, values: values.clone() })?;
            roundtrip(&dht::FindRequest { identifier: id, lan_address: lan, target, offset, force_nodes: force })?;
            roundtrip(&dht::FindResponse { identifier: id, token, values, nodes: nodes.clone() })?;
            roundtrip(&dht::ConnectPeerRequest { identifier: id, lan_address: lan, target })?;
            roundtrip(&dht::ConnectPeerResponse { identifier: id, nodes })?;
        }

        #[test]
        fn envelope_roundtrip(key in bytes(100), gt in proptest::option::of(any::<u64>()), body in bytes(100), sig in bytes(80), id in any::<u8>()) {
            let prefix = ipv8sim::wire::prefix(&[7; 20]);
            let sig_len = sig.len();
            let packet = ipv8sim::wire::pack_signed(&prefix, id, &key, gt, body.as_slice(), |_| sig.clone());
            let parts = ipv8sim::wire::parse_signed(&packet, gt.is_some(), |_| Ok(sig_len)).unwrap();
            prop_assert_eq!(parts.key_bin, key.as_slice());
            prop_assert_eq!(parts.global_time, gt);
            prop_assert_eq!(parts.payload, body.as_slice());
            prop_assert_eq!(parts.signature, sig.as_slice());
            prop_assert_eq!(parts.msg_id, id);
            let packet = ipv8sim::wire::pack_unsigned(&prefix, id, gt, body.as_slice());
            let parts = ipv8sim::wire::parse_unsigned(&packet, gt.is_some()).unwrap();
            prop_assert_eq!(parts.payload, body.as_slice());
            prop_assert_eq!(parts.global_time, gt);
        }
    }
}
