//! The virtual-time executor: ordering, exact times, cancellation, run modes, seeds.

use ipv8sim::runtime::{Clock, Duration, Instant};
use ipv8sim::sim::seeds::{node_rng, purpose};
use ipv8sim::sim::{RunOutcome, Sim};
use rand::RngCore;
use std::cell::RefCell;
use std::rc::Rc;

type Log = Rc<RefCell<Vec<(Instant, String)>>>;

fn log(l: &Log, t: Instant, what: impl Into<String>) {
    l.borrow_mut().push((t, what.into()));
}

#[test]
fn same_time_events_fire_in_insertion_order() {
    let sim = Sim::new();
    let l: Log = Log::default();
    for name in ["c1", "c2", "c3"] {
        let (l, s) = (l.clone(), sim.clone());
        sim.schedule_at(Instant::from_secs(1), move || log(&l, s.now(), name));
    }
    // An earlier-inserted later event and a later-inserted earlier event.
    let (l2, s2) = (l.clone(), sim.clone());
    sim.schedule_at(Instant::from_millis(500), move || {
        log(&l2, s2.now(), "half")
    });
    let (l3, s3) = (l.clone(), sim.clone());
    sim.schedule_at(Instant::from_secs(1), move || log(&l3, s3.now(), "c4"));
    assert_eq!(sim.run_until_idle(100), RunOutcome::Idle);
    let got: Vec<(u64, String)> = l
        .borrow()
        .iter()
        .map(|(t, s)| (t.as_nanos() / 1_000_000, s.clone()))
        .collect();
    let want: Vec<(u64, String)> = [
        (500, "half"),
        (1000, "c1"),
        (1000, "c2"),
        (1000, "c3"),
        (1000, "c4"),
    ]
    .iter()
    .map(|(t, s)| (*t, s.to_string()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(sim.events_processed(), 5);
    sim.shutdown();
}

#[test]
fn tasks_sleep_for_exact_virtual_times() {
    let sim = Sim::new();
    let l: Log = Log::default();
    for (name, step_ms) in [("a", 1500u64), ("b", 700)] {
        let (l, clock) = (l.clone(), sim.clock());
        sim.spawn(async move {
            for i in 0..3 {
                clock.sleep(Duration::from_millis(step_ms)).await;
                log(&l, clock.now(), format!("{name}{i}"));
            }
        })
        .detach();
    }
    assert_eq!(
        sim.run_until(Instant::from_secs(10)),
        RunOutcome::TimeReached
    );
    assert_eq!(sim.now(), Instant::from_secs(10));
    let got: Vec<(u64, String)> = l
        .borrow()
        .iter()
        .map(|(t, s)| (t.as_nanos() / 1_000_000, s.clone()))
        .collect();
    let want = vec![
        (700, "b0"),
        (1400, "b1"),
        (1500, "a0"),
        (2100, "b2"),
        (3000, "a1"),
        (4500, "a2"),
    ];
    let want: Vec<(u64, String)> = want.into_iter().map(|(t, s)| (t, s.to_string())).collect();
    assert_eq!(got, want);
    sim.shutdown();
}

#[test]
fn run_until_stops_at_the_limit_and_resumes() {
    let sim = Sim::new();
    let l: Log = Log::default();
    for s in [1u64, 2, 3] {
        let (l, sm) = (l.clone(), sim.clone());
        sim.schedule_at(Instant::from_secs(s), move || log(&l, sm.now(), "e"));
    }
    sim.run_until(Instant::from_secs(2));
    assert_eq!(l.borrow().len(), 2, "events at exactly the limit fire");
    assert_eq!(sim.now(), Instant::from_secs(2));
    sim.run_for(Duration::from_millis(500));
    assert_eq!(sim.now(), Instant::from_millis(2500));
    assert_eq!(l.borrow().len(), 2);
    assert_eq!(sim.next_event_time(), Some(Instant::from_secs(3)));
    sim.run_for(Duration::from_secs(10));
    assert_eq!(l.borrow().len(), 3);
    assert_eq!(sim.now(), Instant::from_millis(12500));
    sim.shutdown();
}

#[test]
fn cancel_and_dropped_sleeps_do_not_fire() {
    let sim = Sim::new();
    let l: Log = Log::default();
    let (l1, s1) = (l.clone(), sim.clone());
    let id = sim.schedule_at(Instant::from_secs(1), move || log(&l1, s1.now(), "x"));
    assert!(sim.is_pending(id));
    assert!(sim.cancel(id));
    assert!(!sim.cancel(id));
    let sleep = sim.clock().sleep(Duration::from_secs(5));
    assert_eq!(sim.pending_events(), 1);
    drop(sleep);
    assert_eq!(sim.pending_events(), 0);
    assert_eq!(sim.run_until_idle(10), RunOutcome::Idle);
    assert!(l.borrow().is_empty());
    assert_eq!(sim.events_processed(), 0);
    assert_eq!(sim.now(), Instant::ZERO, "idle runs do not move the clock");
    sim.shutdown();
}

#[test]
fn past_schedules_clamp_to_now_and_zero_sleeps_are_ready() {
    let sim = Sim::new();
    let l: Log = Log::default();
    let (l1, s1) = (l.clone(), sim.clone());
    sim.schedule_at(Instant::from_secs(2), move || {
        let (l2, s2) = (l1.clone(), s1.clone());
        s1.schedule_at(Instant::from_secs(1), move || log(&l2, s2.now(), "past"));
        log(&l1, s1.now(), "outer");
    });
    let (l3, c) = (l.clone(), sim.clock());
    sim.spawn(async move {
        c.sleep_until(Instant::ZERO).await;
        log(&l3, c.now(), "zero");
    })
    .detach();
    sim.run_until_idle(10);
    let got: Vec<(Instant, String)> = l.borrow().clone();
    assert_eq!(
        got,
        vec![
            (Instant::ZERO, "zero".to_string()),
            (Instant::from_secs(2), "outer".to_string()),
            (Instant::from_secs(2), "past".to_string()),
        ]
    );
    sim.shutdown();
}

#[test]
fn periodic_work_hits_the_event_cap_and_stop_works() {
    let sim = Sim::new();
    let c = sim.clock();
    sim.spawn(async move {
        loop {
            c.sleep(Duration::from_secs(1)).await;
        }
    })
    .detach();
    assert_eq!(sim.run_until_idle(50), RunOutcome::EventCapReached);
    assert_eq!(sim.now(), Instant::from_secs(50));
    let s = sim.clone();
    sim.schedule_at(Instant::from_secs(60), move || s.stop());
    assert_eq!(sim.run_until(Instant::from_secs(100)), RunOutcome::Stopped);
    assert_eq!(sim.now(), Instant::from_secs(60));
    assert_eq!(
        sim.run_until(Instant::from_secs(100)),
        RunOutcome::TimeReached
    );
    assert_eq!(sim.now(), Instant::from_secs(100));
    sim.shutdown();
}

#[test]
fn dropping_a_task_cancels_it() {
    let sim = Sim::new();
    let l: Log = Log::default();
    let (l1, c) = (l.clone(), sim.clock());
    let task = sim.spawn(async move {
        c.sleep(Duration::from_secs(1)).await;
        log(&l1, c.now(), "ran");
    });
    sim.run_for(Duration::from_millis(10));
    drop(task);
    sim.run_for(Duration::from_secs(5));
    assert!(l.borrow().is_empty());
    sim.shutdown();
}

#[test]
fn node_streams_do_not_depend_on_node_count() {
    // Stream i of a 10-node run equals stream i of a 1000-node run, drawn in any order.
    let draw = |n: u64| -> Vec<Vec<u64>> {
        let mut rngs: Vec<_> = (0..n).map(|i| node_rng(7, i, purpose::PROTOCOL)).collect();
        // Interleave draws across nodes, like a simulation would.
        let mut out = vec![Vec::new(); n as usize];
        for _ in 0..5 {
            for (i, r) in rngs.iter_mut().enumerate() {
                out[i].push(r.next_u64());
            }
        }
        out
    };
    let small = draw(10);
    let big = draw(1000);
    for i in 0..10 {
        assert_eq!(small[i], big[i], "stream {i} changed when nodes were added");
    }
    assert_ne!(small[0], small[1]);
}

/// A world of tasks and callbacks that schedule more work at the same instant and
/// later; returns its log after running to `end` with `run`.
fn chain_world(run: impl Fn(&Sim, Instant)) -> Vec<(Instant, String)> {
    let sim = Sim::new();
    let l: Log = Log::default();
    fn spread(sim: &Sim, l: &Log, depth: u32, tag: String) {
        log(l, sim.now(), tag.clone());
        if depth == 0 {
            return;
        }
        for (i, delay_ms) in [0u64, 0, 250].into_iter().enumerate() {
            let (s, l, tag) = (sim.clone(), l.clone(), format!("{tag}.{i}"));
            sim.schedule_in(Duration::from_millis(delay_ms), move || {
                spread(&s, &l, depth - 1, tag)
            });
        }
    }
    spread(&sim, &l, 5, "r".into());
    let mut tasks = Vec::new();
    for name in ["t0", "t1"] {
        let (l, clock) = (l.clone(), sim.clock());
        tasks.push(sim.spawn(async move {
            for i in 0..6 {
                log(&l, clock.now(), format!("{name}-{i}"));
                clock
                    .sleep(Duration::from_millis(if i % 2 == 0 { 0 } else { 250 }))
                    .await;
            }
        }));
    }
    run(&sim, Instant::from_secs(2));
    assert!(
        tasks.iter().all(|t| t.is_finished()),
        "tasks ran to the end"
    );
    let out = l.borrow().clone();
    sim.shutdown();
    out
}

#[test]
fn run_until_capped_in_chunks_runs_exactly_as_run_until() {
    let whole = chain_world(|sim, end| {
        assert_eq!(sim.run_until(end), RunOutcome::TimeReached);
    });
    assert!(whole.len() > 300, "{}", whole.len());
    for cap in [1u64, 2, 7, 100] {
        let chunked = chain_world(|sim, end| {
            let mut chunks = 0;
            while sim.run_until_capped(end, cap) == RunOutcome::EventCapReached {
                chunks += 1;
                assert!(sim.now() <= end);
            }
            assert!(cap > 50 || chunks > 10, "cap {cap}: only {chunks} chunks");
            assert_eq!(sim.now(), end);
        });
        assert_eq!(chunked, whole, "cap {cap}");
    }
}
