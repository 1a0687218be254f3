//! [`TaskManager`]: named, cancellable delayed and periodic tasks (py-ipv8's
//! `ipv8/taskmanager.py`, spec §13), sans-IO.
//!
//! A task is a closure `FnMut(&mut C, Instant)` run against its owner `C` (e.g. a
//! community, which holds the `TaskManager` inside itself) and told the time it runs
//! at. Nothing runs by itself: the owner's driver asks [`TaskManager::poll_timeout`]
//! for the next deadline and calls [`TaskManager::run_due`] when it is reached. Due
//! tasks run in `(deadline, registration seq)` order (house rule 3).
//!
//! Semantics follow py-ipv8:
//! * no delay and no interval: runs once, at the next `run_due` (deadline = `now`);
//! * `delay` only: runs once, `delay` after registration;
//! * `interval`: first run `delay` after registration (default: one interval), then
//!   `interval` after each run (measured from the `now` of that run: no drift
//!   correction, like py-ipv8's `interval_runner` sleeping after the task returns);
//! * a name is taken while its task is pending (also while it runs); registering it
//!   again is [`TaskError::AlreadyExists`]. A one-shot task frees its name when it has
//!   run, a periodic one when cancelled;
//! * after [`TaskManager::shutdown`] new tasks are refused ([`TaskError::ShutDown`];
//!   py-ipv8 returns an already-done future, so callers mirroring py-ipv8 may ignore
//!   this error).
//!
//! A task may cancel itself or any other task, and register new ones, from inside its
//! closure (through the owner). Not ported: py-ipv8's watchdog that logs non-periodic
//! tasks older than 600 s (tasks here cannot hang: they are plain closures), executor
//! tasks, and passing in already-running futures.

use super::time::{Duration, Instant};
use super::timers::{TimerId, TimerQueue};
use slab::Slab;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A task body: runs against the owner, told the time it runs at.
pub type TaskFn<C> = Box<dyn FnMut(&mut C, Instant)>;

/// A shutdown callback (py-ipv8's `register_shutdown_task`).
pub type ShutdownFn<C> = Box<dyn FnOnce(&mut C)>;

/// Why a task was not registered, or a wait did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// A task with this name is still pending (py-ipv8: `RuntimeError("Task already
    /// exists")`).
    #[error("task already exists: '{0}'")]
    AlreadyExists(String),
    /// The task manager was shut down; the task was dropped without running.
    #[error("task manager is shut down; task '{0}' not added")]
    ShutDown(String),
    /// A zero interval would run the task forever without time passing.
    #[error("task '{0}': the interval must be positive")]
    ZeroInterval(String),
    /// `wait_for_*` reached its time limit with tasks still pending.
    #[error("{pending} task(s) still pending at the wait limit {limit:?}")]
    WaitLimit {
        /// The limit that was given.
        limit: Instant,
        /// How many tasks were still pending.
        pending: usize,
    },
}

/// Identifies one registration; stays valid (and refers to nothing) once the task has
/// finished or was cancelled, even if its name is reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskHandle {
    slot: usize,
    id: u64,
}

struct Task<C> {
    id: u64,
    name: Rc<str>,
    /// `None` while the task is running (taken out to be called).
    func: Option<TaskFn<C>>,
    interval: Option<Duration>,
    /// `None` while the task is running.
    timer: Option<TimerId>,
}

/// Named delayed/periodic tasks of one owner `C`. See the module docs.
pub struct TaskManager<C> {
    tasks: Slab<Task<C>>,
    by_name: BTreeMap<Rc<str>, usize>,
    timers: TimerQueue<usize>,
    next_id: u64,
    anon_counter: u64,
    shut_down: bool,
    shutdown_callbacks: Vec<ShutdownFn<C>>,
}

impl<C> Default for TaskManager<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> fmt::Debug for TaskManager<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskManager")
            .field("tasks", &self.task_names())
            .field("next_deadline", &self.timers.peek_deadline())
            .field("shut_down", &self.shut_down)
            .finish()
    }
}

impl<C> TaskManager<C> {
    /// An empty task manager.
    pub fn new() -> Self {
        TaskManager {
            tasks: Slab::new(),
            by_name: BTreeMap::new(),
            timers: TimerQueue::new(),
            next_id: 0,
            anon_counter: 0,
            shut_down: false,
            shutdown_callbacks: Vec::new(),
        }
    }

    /// Registers a named task at time `now` (py-ipv8 `register_task(name, f,
    /// delay=, interval=)`); see the module docs for when it runs.
    pub fn register_task<F>(
        &mut self,
        now: Instant,
        name: &str,
        f: F,
        delay: Option<Duration>,
        interval: Option<Duration>,
    ) -> Result<TaskHandle, TaskError>
    where
        F: FnMut(&mut C, Instant) + 'static,
    {
        self.register_boxed(now, name, Box::new(f), delay, interval)
    }

    /// [`register_task`](Self::register_task) with an already boxed closure.
    pub fn register_boxed(
        &mut self,
        now: Instant,
        name: &str,
        f: TaskFn<C>,
        delay: Option<Duration>,
        interval: Option<Duration>,
    ) -> Result<TaskHandle, TaskError> {
        if self.shut_down {
            return Err(TaskError::ShutDown(name.to_owned()));
        }
        if self.by_name.contains_key(name) {
            return Err(TaskError::AlreadyExists(name.to_owned()));
        }
        let first = match interval {
            Some(i) if i.is_zero() => return Err(TaskError::ZeroInterval(name.to_owned())),
            Some(i) => now + delay.unwrap_or(i),
            None => now + delay.unwrap_or(Duration::ZERO),
        };
        let id = self.next_id;
        self.next_id += 1;
        let name: Rc<str> = Rc::from(name);
        let entry = self.tasks.vacant_entry();
        let slot = entry.key();
        let timer = self.timers.insert(first, slot);
        entry.insert(Task {
            id,
            name: Rc::clone(&name),
            func: Some(f),
            interval,
            timer: Some(timer),
        });
        self.by_name.insert(name, slot);
        Ok(TaskHandle { slot, id })
    }

    /// Registers a task named `"{base_name} {n}"` with a per-manager counter `n`
    /// starting at 1 (py-ipv8 `register_anonymous_task`).
    pub fn register_anonymous_task<F>(
        &mut self,
        now: Instant,
        base_name: &str,
        f: F,
        delay: Option<Duration>,
        interval: Option<Duration>,
    ) -> Result<TaskHandle, TaskError>
    where
        F: FnMut(&mut C, Instant) + 'static,
    {
        self.anon_counter += 1;
        let name = format!("{base_name} {}", self.anon_counter);
        self.register_task(now, &name, f, delay, interval)
    }

    /// Cancels the task called `name` (if any) and registers a new one under that
    /// name (py-ipv8 `replace_task`).
    pub fn replace_task<F>(
        &mut self,
        now: Instant,
        name: &str,
        f: F,
        delay: Option<Duration>,
        interval: Option<Duration>,
    ) -> Result<TaskHandle, TaskError>
    where
        F: FnMut(&mut C, Instant) + 'static,
    {
        self.cancel_pending_task(name);
        self.register_task(now, name, f, delay, interval)
    }

    /// Registers a callback to run (once, with the owner) at [`shutdown`](Self::shutdown).
    /// Refused after shutdown.
    pub fn register_shutdown_task<F>(&mut self, f: F) -> Result<(), TaskError>
    where
        F: FnOnce(&mut C) + 'static,
    {
        if self.shut_down {
            return Err(TaskError::ShutDown("<shutdown task>".to_owned()));
        }
        self.shutdown_callbacks.push(Box::new(f));
        Ok(())
    }

    /// Whether a task called `name` is pending (scheduled or running).
    pub fn is_pending_task_active(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Whether the registration behind `handle` is still pending.
    pub fn is_active(&self, handle: TaskHandle) -> bool {
        matches!(self.tasks.get(handle.slot), Some(t) if t.id == handle.id)
    }

    /// Cancels the task called `name`; returns whether there was one. A running task
    /// that cancels itself finishes its current run and is not run again.
    pub fn cancel_pending_task(&mut self, name: &str) -> bool {
        match self.by_name.get(name) {
            Some(&slot) => {
                self.remove(slot);
                true
            }
            None => false,
        }
    }

    /// Cancels the registration behind `handle`; returns whether it was pending.
    pub fn cancel(&mut self, handle: TaskHandle) -> bool {
        if self.is_active(handle) {
            self.remove(handle.slot);
            true
        } else {
            false
        }
    }

    /// Cancels every pending task; returns how many there were.
    pub fn cancel_all_pending_tasks(&mut self) -> usize {
        let n = self.tasks.len();
        self.tasks.clear();
        self.by_name.clear();
        self.timers.clear();
        n
    }

    /// Names of the pending tasks, in registration order (py-ipv8 `get_tasks`).
    pub fn task_names(&self) -> Vec<&str> {
        let mut v: Vec<(u64, &str)> = self.tasks.iter().map(|(_, t)| (t.id, &*t.name)).collect();
        v.sort_unstable_by_key(|&(id, _)| id);
        v.into_iter().map(|(_, n)| n).collect()
    }

    /// Names of the pending tasks starting with `base_name`, in registration order
    /// (py-ipv8 `get_anonymous_tasks`; like there, includes named tasks that match).
    pub fn anonymous_task_names(&self, base_name: &str) -> Vec<&str> {
        let mut names = self.task_names();
        names.retain(|n| n.starts_with(base_name));
        names
    }

    /// When the task called `name` runs next (`None` if not pending or running now).
    pub fn next_run(&self, name: &str) -> Option<Instant> {
        let slot = *self.by_name.get(name)?;
        self.timers.deadline(self.tasks.get(slot)?.timer?)
    }

    /// Number of pending tasks.
    pub fn pending_count(&self) -> usize {
        self.tasks.len()
    }

    /// Whether any task (one-shot or periodic) is pending.
    pub fn has_pending_tasks(&self) -> bool {
        !self.tasks.is_empty()
    }

    /// Whether any one-shot (non-periodic) task is pending.
    pub fn has_pending_oneshot_tasks(&self) -> bool {
        self.tasks.iter().any(|(_, t)| t.interval.is_none())
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.shut_down
    }

    /// The earliest deadline of a pending task: call [`run_due`](Self::run_due) once
    /// the clock reaches it. Call again after every input (registering a task can
    /// make it earlier). `None`: nothing scheduled.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek_deadline()
    }

    /// Runs every task due at `now` (deadline `<= now`), in `(deadline, seq)` order,
    /// including tasks that become due at `now` while running (e.g. registered with
    /// no delay by a task). `get` finds this manager inside its owner; it is released
    /// while a task runs, so the task can reach it through the owner. Returns how
    /// many task runs happened.
    pub fn run_due(owner: &mut C, now: Instant, get: fn(&mut C) -> &mut TaskManager<C>) -> usize {
        let mut ran = 0;
        loop {
            let tm = get(owner);
            let Some((_, slot)) = tm.timers.pop_due(now) else {
                break;
            };
            // A timer only fires for a pending task: removing a task cancels its timer.
            let Some(task) = tm.tasks.get_mut(slot) else {
                continue;
            };
            task.timer = None;
            let id = task.id;
            let Some(mut f) = task.func.take() else {
                continue;
            };
            f(owner, now);
            ran += 1;
            let tm = get(owner);
            match tm.tasks.get_mut(slot) {
                // Still the same registration (not cancelled, even if it cancelled
                // itself and registered a namesake).
                Some(t) if t.id == id => match t.interval {
                    Some(i) => {
                        t.func = Some(f);
                        t.timer = Some(tm.timers.insert(now + i, slot));
                    }
                    None => tm.remove(slot),
                },
                _ => {}
            }
        }
        ran
    }

    /// Cancels all tasks, refuses new ones from now on, then runs the registered
    /// shutdown callbacks in registration order (py-ipv8 `shutdown_task_manager`).
    /// A second call does nothing.
    pub fn shutdown(owner: &mut C, get: fn(&mut C) -> &mut TaskManager<C>) {
        let tm = get(owner);
        if tm.shut_down {
            return;
        }
        tm.shut_down = true;
        tm.cancel_all_pending_tasks();
        let callbacks = std::mem::take(&mut tm.shutdown_callbacks);
        for cb in callbacks {
            cb(owner);
        }
    }

    /// py-ipv8's `wait_for_tasks()` for a sans-IO world: from `now`, jumps from
    /// deadline to deadline running due tasks until **no** task is pending (periodic
    /// ones must cancel themselves), and returns the time that happened. Errs if a
    /// task is still pending once the next deadline would pass `limit`. Drives only
    /// this manager: meant for tests and standalone use, not for a node with a network.
    pub fn wait_for_tasks(
        owner: &mut C,
        now: Instant,
        limit: Instant,
        get: fn(&mut C) -> &mut TaskManager<C>,
    ) -> Result<Instant, TaskError> {
        Self::wait_while(owner, now, limit, get, |tm| tm.has_pending_tasks())
    }

    /// Like [`wait_for_tasks`](Self::wait_for_tasks) but stops as soon as no one-shot
    /// task is pending (periodic tasks keep running meanwhile).
    pub fn wait_for_oneshot_tasks(
        owner: &mut C,
        now: Instant,
        limit: Instant,
        get: fn(&mut C) -> &mut TaskManager<C>,
    ) -> Result<Instant, TaskError> {
        Self::wait_while(owner, now, limit, get, |tm| tm.has_pending_oneshot_tasks())
    }

    fn wait_while(
        owner: &mut C,
        mut now: Instant,
        limit: Instant,
        get: fn(&mut C) -> &mut TaskManager<C>,
        pending: fn(&TaskManager<C>) -> bool,
    ) -> Result<Instant, TaskError> {
        loop {
            let tm = get(owner);
            if !pending(tm) {
                return Ok(now);
            }
            match tm.poll_timeout() {
                Some(t) if t <= limit => now = now.max(t),
                _ => {
                    return Err(TaskError::WaitLimit {
                        limit,
                        pending: tm.pending_count(),
                    })
                }
            }
            Self::run_due(owner, now, get);
        }
    }

    fn remove(&mut self, slot: usize) {
        if let Some(task) = self.tasks.try_remove(slot) {
            if let Some(timer) = task.timer {
                let _ = self.timers.cancel(timer);
            }
            self.by_name.remove(&task.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Owner {
        tm: TaskManager<Owner>,
        log: Vec<(u64, &'static str)>,
    }

    fn tm(o: &mut Owner) -> &mut TaskManager<Owner> {
        &mut o.tm
    }

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    fn drive(o: &mut Owner, until: Instant) {
        while let Some(t) = o.tm.poll_timeout() {
            if t > until {
                break;
            }
            TaskManager::run_due(o, t, tm);
        }
    }

    fn logger(tag: &'static str) -> impl FnMut(&mut Owner, Instant) {
        move |o: &mut Owner, now: Instant| o.log.push((now.as_nanos() / 1_000_000, tag))
    }

    #[test]
    fn schedules_match_py_ipv8() {
        let mut o = Owner::default();
        let t0 = ms(1000);
        o.tm.register_task(t0, "now", logger("now"), None, None)
            .unwrap();
        o.tm.register_task(
            t0,
            "delay",
            logger("delay"),
            Some(Duration::from_millis(250)),
            None,
        )
        .unwrap();
        o.tm.register_task(
            t0,
            "every",
            logger("every"),
            None,
            Some(Duration::from_millis(100)),
        )
        .unwrap();
        o.tm.register_task(
            t0,
            "both",
            logger("both"),
            Some(Duration::from_millis(50)),
            Some(Duration::from_millis(200)),
        )
        .unwrap();
        assert_eq!(o.tm.poll_timeout(), Some(t0));
        drive(&mut o, ms(1300));
        assert_eq!(
            o.log,
            vec![
                (1000, "now"),
                (1050, "both"),
                (1100, "every"),
                (1200, "every"),
                (1250, "delay"),
                (1250, "both"),
                (1300, "every"),
            ]
        );
        assert!(!o.tm.is_pending_task_active("now"));
        assert!(!o.tm.is_pending_task_active("delay"));
        assert_eq!(o.tm.task_names(), vec!["every", "both"]);
        assert_eq!(o.tm.next_run("every"), Some(ms(1400)));
    }

    #[test]
    fn late_run_does_not_correct_drift() {
        let mut o = Owner::default();
        o.tm.register_task(
            Instant::ZERO,
            "p",
            logger("p"),
            None,
            Some(Duration::from_secs(1)),
        )
        .unwrap();
        // The driver is late: runs at 1.5 s; the next run is 1 s after that.
        assert_eq!(TaskManager::run_due(&mut o, ms(1500), tm), 1);
        assert_eq!(o.tm.next_run("p"), Some(ms(2500)));
    }

    #[test]
    fn errors_and_handles() {
        let mut o = Owner::default();
        let h =
            o.tm.register_task(ms(0), "a", logger("a"), None, None)
                .unwrap();
        assert_eq!(
            o.tm.register_task(ms(0), "a", logger("a"), None, None),
            Err(TaskError::AlreadyExists("a".into()))
        );
        assert_eq!(
            o.tm.register_task(ms(0), "z", logger("z"), None, Some(Duration::ZERO)),
            Err(TaskError::ZeroInterval("z".into()))
        );
        assert!(o.tm.is_active(h));
        TaskManager::run_due(&mut o, ms(0), tm);
        assert!(!o.tm.is_active(h));
        // The name is free again; the old handle does not refer to the new task.
        let h2 =
            o.tm.register_task(ms(0), "a", logger("a"), None, None)
                .unwrap();
        assert!(!o.tm.cancel(h));
        assert!(o.tm.is_active(h2));
        assert!(o.tm.cancel(h2));
        assert!(!o.tm.has_pending_tasks());
    }

    #[test]
    fn task_cancels_itself_and_registers_a_namesake() {
        let mut o = Owner::default();
        o.tm.register_task(
            ms(0),
            "p",
            |o: &mut Owner, now| {
                o.log.push((now.as_nanos() / 1_000_000, "p"));
                assert!(o.tm.is_pending_task_active("p"), "pending while running");
                assert!(o.tm.cancel_pending_task("p"));
                o.tm.register_task(
                    now,
                    "p",
                    logger("new p"),
                    Some(Duration::from_millis(5)),
                    None,
                )
                .unwrap();
            },
            None,
            Some(Duration::from_millis(10)),
        )
        .unwrap();
        drive(&mut o, ms(100));
        assert_eq!(o.log, vec![(10, "p"), (15, "new p")]);
        assert!(!o.tm.has_pending_tasks());
    }

    #[test]
    fn shutdown_cancels_refuses_and_runs_callbacks() {
        let mut o = Owner::default();
        o.tm.register_task(ms(0), "a", logger("a"), Some(Duration::from_secs(1)), None)
            .unwrap();
        o.tm.register_shutdown_task(|o: &mut Owner| o.log.push((0, "cb1")))
            .unwrap();
        o.tm.register_shutdown_task(|o: &mut Owner| o.log.push((0, "cb2")))
            .unwrap();
        TaskManager::shutdown(&mut o, tm);
        TaskManager::shutdown(&mut o, tm);
        assert_eq!(o.log, vec![(0, "cb1"), (0, "cb2")]);
        assert_eq!(o.tm.poll_timeout(), None);
        assert!(o.tm.is_shut_down());
        assert_eq!(
            o.tm.register_task(ms(0), "b", logger("b"), None, None),
            Err(TaskError::ShutDown("b".into()))
        );
        assert!(o.tm.register_shutdown_task(|_: &mut Owner| {}).is_err());
    }

    #[test]
    fn wait_limits() {
        let mut o = Owner::default();
        o.tm.register_task(ms(0), "p", logger("p"), None, Some(Duration::from_secs(1)))
            .unwrap();
        o.tm.register_task(
            ms(0),
            "d",
            logger("d"),
            Some(Duration::from_millis(2500)),
            None,
        )
        .unwrap();
        let done = TaskManager::wait_for_oneshot_tasks(&mut o, ms(0), ms(10_000), tm).unwrap();
        assert_eq!(done, ms(2500));
        assert_eq!(
            TaskManager::wait_for_tasks(&mut o, done, ms(5_000), tm),
            Err(TaskError::WaitLimit {
                limit: ms(5_000),
                pending: 1
            })
        );
        assert_eq!(o.log.iter().filter(|e| e.1 == "p").count(), 5);
    }
}
