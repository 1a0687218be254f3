//! TimerQueue throughput: the simulator's hot path.
//!
//! Run: `cargo bench --bench runtime_timers -- --warm-up-time 1 --measurement-time 2`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ipv8sim::runtime::{Instant, TimerQueue};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N: u64 = 100_000;

fn deadlines(n: u64) -> Vec<Instant> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    (0..n)
        .map(|_| Instant::from_nanos(rng.gen_range(0..10_000_000_000)))
        .collect()
}

fn bench(c: &mut Criterion) {
    let ds = deadlines(N);
    let mut g = c.benchmark_group("timer_queue");
    g.throughput(Throughput::Elements(N));

    g.bench_function("insert_then_pop_all_100k", |b| {
        b.iter_batched(
            || TimerQueue::with_capacity(N as usize),
            |mut q| {
                for (i, &d) in ds.iter().enumerate() {
                    q.insert(d, i as u32);
                }
                while let Some(x) = q.pop_next() {
                    black_box(x);
                }
            },
            BatchSize::LargeInput,
        )
    });

    // Baseline: a bare std BinaryHeap of (time, seq, payload) with no cancellation
    // support, to compare against under the same machine load.
    g.bench_function("baseline_std_heap_insert_then_pop_all_100k", |b| {
        b.iter_batched(
            || std::collections::BinaryHeap::with_capacity(N as usize),
            |mut q| {
                for (i, &d) in ds.iter().enumerate() {
                    q.push(std::cmp::Reverse((d, i as u64, i as u32)));
                }
                while let Some(x) = q.pop() {
                    black_box(x);
                }
            },
            BatchSize::LargeInput,
        )
    });

    // Steady state of 100k pending timers (one per simulated node): each step fires
    // the earliest, re-arms it one interval later, and adds + cancels a request timeout.
    g.bench_function("steady_fire_rearm_cancel_100k", |b| {
        let mut q = TimerQueue::with_capacity(2 * N as usize);
        for (i, &d) in ds.iter().enumerate() {
            q.insert(d, i as u32);
        }
        let interval = std::time::Duration::from_millis(500);
        b.iter(|| {
            for _ in 0..N {
                let (at, v) = q.pop_next().unwrap();
                q.insert(at + interval, v);
                let t = q.insert(at + interval * 20, v);
                black_box(q.cancel(t));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
