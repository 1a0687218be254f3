//! Executor and simulated-network throughput (no crypto).
//!
//! * `timers/task_sleeps`: 10k tasks each sleeping 1 s in a loop; one iteration fires
//!   10k timer events (wake + poll).
//! * `timers/callbacks`: 10k self-rescheduling callbacks; 10k events per iteration.
//! * `deliveries/*`: 10k open endpoints, each with a listener that answers every
//!   datagram (100 bytes) to its source; one datagram per endpoint in flight, so the
//!   traffic never stops. One iteration = 10k deliveries (each: queue pop, listener
//!   call, reply send with latency draw and queue push).
//!
//! Run: `cargo bench --bench executor -- --warm-up-time 1 --measurement-time 2`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ipv8sim::endpoint::{Endpoint, EndpointListener};
use ipv8sim::runtime::{Clock, Duration};
use ipv8sim::sim::{
    ConstantLatency, JitterLatency, LatencyModel, Sim, SimNetwork, SimulatedEndpoint,
};
use std::net::SocketAddr;
use std::rc::Rc;

const N: usize = 10_000;

struct Echo(SimulatedEndpoint);

impl EndpointListener for Echo {
    fn on_packet(&self, source: SocketAddr, data: &[u8]) {
        self.0.send(source, data.to_vec());
    }
}

fn network(model: Box<dyn LatencyModel>) -> (Sim, SimNetwork) {
    let sim = Sim::new();
    let net = SimNetwork::new(&sim, 1);
    net.set_latency_model(model);
    let eps: Vec<SimulatedEndpoint> = (0..N).map(|_| net.new_endpoint()).collect();
    for e in &eps {
        e.open().unwrap();
        e.add_listener(None, Rc::new(Echo(e.clone())));
    }
    for (i, e) in eps.iter().enumerate() {
        // A fixed pseudo-random partner per endpoint.
        let j = (i * 7919 + 13) % N;
        e.send(eps[j].wan_address(), vec![0u8; 100]);
    }
    (sim, net)
}

fn deliveries(c: &mut Criterion) {
    let mut g = c.benchmark_group("deliveries");
    g.throughput(Throughput::Elements(N as u64));
    let (sim, net) = network(Box::new(ConstantLatency(Duration::from_millis(50))));
    g.bench_function("10k_endpoints_constant_latency", |b| {
        b.iter(|| sim.run_until_idle(N as u64))
    });
    assert!(net.stats().delivered_packets > 0);
    sim.shutdown();
    let (sim, net) = network(Box::new(JitterLatency::normal(
        Duration::from_millis(50),
        Duration::from_millis(20),
    )));
    g.bench_function("10k_endpoints_normal_jitter", |b| {
        b.iter(|| sim.run_until_idle(N as u64))
    });
    assert!(net.stats().delivered_packets > 0);
    sim.shutdown();
    g.finish();
}

fn tick(sim: Sim) {
    let s = sim.clone();
    sim.schedule_in(Duration::from_secs(1), move || tick(s));
}

fn timers(c: &mut Criterion) {
    let mut g = c.benchmark_group("timers");
    g.throughput(Throughput::Elements(N as u64));
    let sim = Sim::new();
    for _ in 0..N {
        let clock = sim.clock();
        sim.spawn(async move {
            loop {
                clock.sleep(Duration::from_secs(1)).await;
            }
        })
        .detach();
    }
    g.bench_function("task_sleeps", |b| b.iter(|| sim.run_until_idle(N as u64)));
    sim.shutdown();
    let sim = Sim::new();
    for _ in 0..N {
        tick(sim.clone());
    }
    g.bench_function("callbacks", |b| b.iter(|| sim.run_until_idle(N as u64)));
    sim.shutdown();
    g.finish();
}

criterion_group!(benches, deliveries, timers);
criterion_main!(benches);
