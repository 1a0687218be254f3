//! The py-ipv8 docs' TaskManager examples (docs §6.5.2), driven in virtual time.
//!
//! Each test owns a tiny "owner" struct holding the `TaskManager` (as a community
//! does) and drives it with the sans-IO loop
//! `while let Some(t) = poll_timeout() { now = t; run_due(...) }`.

use ipv8sim::runtime::{Duration, Instant, TaskError, TaskManager};

#[derive(Default)]
struct Owner {
    tm: TaskManager<Owner>,
    completed: Vec<u32>,
}

fn tm(o: &mut Owner) -> &mut TaskManager<Owner> {
    &mut o.tm
}

/// Runs timers until none is left; returns the final virtual time.
fn run_to_idle(o: &mut Owner, mut now: Instant) -> Instant {
    while let Some(t) = o.tm.poll_timeout() {
        now = t;
        TaskManager::run_due(o, now, tm);
    }
    now
}

/// `execute_me_too(i)`: "await sleep(0.5); COMPLETED.append(i)", as a task with a
/// 0.5 s delay (a sans-IO task cannot sleep inside itself).
fn execute_me_too(i: u32) -> impl FnMut(&mut Owner, Instant) {
    move |o: &mut Owner, _now| o.completed.push(i)
}

const HALF_SECOND: Option<Duration> = Some(Duration::from_millis(500));

/// "This example prints [2]": two tasks, the first cancelled, then wait_for_tasks.
#[test]
fn docs_cancel_example_prints_2() {
    let mut o = Owner::default();
    let t0 = Instant::ZERO;
    o.tm.register_task(t0, "execute_me_too1", execute_me_too(1), HALF_SECOND, None)
        .unwrap();
    o.tm.register_task(t0, "execute_me_too2", execute_me_too(2), HALF_SECOND, None)
        .unwrap();
    assert!(o.tm.cancel_pending_task("execute_me_too1"));
    let done = TaskManager::wait_for_tasks(&mut o, t0, Instant::from_secs(60), tm).unwrap();
    assert_eq!(done, Instant::from_millis(500));
    TaskManager::shutdown(&mut o, tm);
    assert_eq!(o.completed, vec![2]);
}

/// "If you had not called wait_for_tasks() before shutdown_task_manager() ... all of
/// your registered tasks would have been canceled, printing []."
#[test]
fn docs_cancel_example_without_wait_prints_nothing() {
    let mut o = Owner::default();
    let t0 = Instant::ZERO;
    o.tm.register_task(t0, "execute_me_too1", execute_me_too(1), HALF_SECOND, None)
        .unwrap();
    o.tm.register_task(t0, "execute_me_too2", execute_me_too(2), HALF_SECOND, None)
        .unwrap();
    o.tm.cancel_pending_task("execute_me_too1");
    TaskManager::shutdown(&mut o, tm);
    let end = run_to_idle(&mut o, t0);
    assert_eq!(end, t0, "nothing left to run after shutdown");
    assert_eq!(o.completed, Vec::<u32>::new());
}

/// The anonymous-task example: 20 tasks under one base name, all done "just over half
/// a second" later (exactly 0.5 s in virtual time), in registration order.
#[test]
fn docs_anonymous_tasks() {
    let mut o = Owner::default();
    let t0 = Instant::ZERO;
    for i in 0..20 {
        o.tm.register_anonymous_task(t0, "execute_me_too", execute_me_too(i), HALF_SECOND, None)
            .unwrap();
    }
    // py-ipv8 names them "<base> <counter>" with the counter starting at 1.
    let names = o.tm.anonymous_task_names("execute_me_too");
    assert_eq!(names.len(), 20);
    assert_eq!(names[0], "execute_me_too 1");
    assert_eq!(names[19], "execute_me_too 20");
    let done = TaskManager::wait_for_tasks(&mut o, t0, Instant::from_secs(60), tm).unwrap();
    assert_eq!(done, Instant::from_millis(500));
    assert_eq!(o.completed, (0..20).collect::<Vec<u32>>());
    // The counter keeps counting: a later anonymous task is "... 21".
    o.tm.register_anonymous_task(done, "execute_me_too", execute_me_too(99), None, None)
        .unwrap();
    assert_eq!(o.tm.task_names(), vec!["execute_me_too 21"]);
}

/// The periodic/delayed example: "keep adding 1" every 0.1 s, "sneaky inject" once
/// after 0.5 s; the periodic task cancels itself from inside once 20 items exist.
///
/// Why 2 comes fifth: "keep adding 1" runs at 0.1, 0.2, 0.3, 0.4 s (four 1s). Time is
/// integer nanoseconds, so its fifth deadline, 0.4 s + 0.1 s, is *exactly* 500 ms, the
/// same instant as "sneaky inject" (0 + 0.5 s). Same-time timers fire in `(time, seq)`
/// order, and the inject timer was inserted at registration (t = 0), long before the
/// periodic task re-armed itself at 0.4 s, so the 2 runs first, then the 1 of 0.5 s.
/// (py-ipv8 prints the same list; there float sums such as 0.1+0.1+... merely happen
/// to land in the same order.)
#[test]
fn docs_periodic_and_delayed_example() {
    fn execute_me_too(i: u32) -> impl FnMut(&mut Owner, Instant) {
        move |o: &mut Owner, _now| {
            if o.completed.len() == 20 {
                o.tm.cancel_pending_task("keep adding 1");
                return;
            }
            o.completed.push(i);
        }
    }
    let mut o = Owner::default();
    let t0 = Instant::ZERO;
    let interval = Some(Duration::from_millis(100));
    o.tm.register_task(t0, "keep adding 1", execute_me_too(1), None, interval)
        .unwrap();
    o.tm.register_task(t0, "sneaky inject", execute_me_too(2), HALF_SECOND, None)
        .unwrap();

    let end = run_to_idle(&mut o, t0);

    let mut want = vec![1, 1, 1, 1, 2];
    want.extend(std::iter::repeat(1).take(15));
    assert_eq!(o.completed, want);
    assert_eq!(o.completed.len(), 20);
    // 19 ones at 0.1 s .. 1.9 s, then the run at 2.0 s sees 20 items and cancels.
    assert_eq!(end, Instant::from_secs(2));
    assert!(!o.tm.has_pending_tasks());
}

/// "Community integration": cancel_all_pending_tasks() drops everything scheduled.
#[test]
fn cancel_all_pending_tasks_stops_everything() {
    let mut o = Owner::default();
    let t0 = Instant::ZERO;
    o.tm.register_task(
        t0,
        "a",
        execute_me_too(1),
        None,
        Some(Duration::from_secs(1)),
    )
    .unwrap();
    o.tm.register_task(t0, "b", execute_me_too(2), HALF_SECOND, None)
        .unwrap();
    assert_eq!(o.tm.cancel_all_pending_tasks(), 2);
    assert_eq!(run_to_idle(&mut o, t0), t0);
    assert!(o.completed.is_empty());
    // Not a shutdown: new tasks are still accepted.
    o.tm.register_task(t0, "a", execute_me_too(3), None, None)
        .unwrap();
    run_to_idle(&mut o, t0);
    assert_eq!(o.completed, vec![3]);
}

/// Registering a name that is still active is an error; after it finished it is not.
#[test]
fn name_registered_twice_is_an_error() {
    let mut o = Owner::default();
    let t0 = Instant::ZERO;
    o.tm.register_task(t0, "x", execute_me_too(1), HALF_SECOND, None)
        .unwrap();
    let err =
        o.tm.register_task(t0, "x", execute_me_too(2), None, None)
            .unwrap_err();
    assert_eq!(err, TaskError::AlreadyExists("x".to_owned()));
    assert_eq!(err.to_string(), "task already exists: 'x'");
    run_to_idle(&mut o, t0);
    assert_eq!(o.completed, vec![1], "the refused task never runs");
    o.tm.register_task(t0, "x", execute_me_too(3), None, None)
        .unwrap();
}

/// Tasks may register other tasks from inside; same-time tasks run in (time, seq)
/// order, including those registered during the run.
#[test]
fn tasks_register_tasks_in_order() {
    let mut o = Owner::default();
    o.tm.register_task(
        Instant::ZERO,
        "spawner",
        |o: &mut Owner, now| {
            o.completed.push(10);
            o.tm.register_task(now, "child now", execute_me_too(30), None, None)
                .unwrap();
            o.tm.register_task(now, "child later", execute_me_too(40), HALF_SECOND, None)
                .unwrap();
        },
        Some(Duration::from_millis(100)),
        None,
    )
    .unwrap();
    o.tm.register_task(
        Instant::ZERO,
        "peer",
        execute_me_too(20),
        Some(Duration::from_millis(100)),
        None,
    )
    .unwrap();
    let end = run_to_idle(&mut o, Instant::ZERO);
    assert_eq!(o.completed, vec![10, 20, 30, 40]);
    assert_eq!(end, Instant::from_millis(600));
}
