//! [`RealClock`]: wall-clock time for the live UDP peer, on `async-io` timers.
//!
//! Its epoch ([`Instant::ZERO`]) is the moment it was created. This is the one module
//! allowed to read the OS clock (house rule 2, DESIGN.md); the simulator uses its own
//! virtual clock and protocol code only ever sees the [`Clock`] trait.

use super::clock::{Clock, Sleep};
use super::time::Instant;
use std::time::Duration;

/// The real (monotonic OS) clock.
#[derive(Debug, Clone, Copy)]
pub struct RealClock {
    epoch: std::time::Instant,
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new()
    }
}

impl RealClock {
    /// A clock whose epoch is now.
    pub fn new() -> Self {
        RealClock { epoch: os_now() }
    }

    /// The OS instant corresponding to `t`.
    pub fn to_std(&self, t: Instant) -> std::time::Instant {
        // Saturate far-future deadlines (e.g. Instant::MAX) instead of overflowing.
        self.epoch
            .checked_add(t.since_epoch())
            .unwrap_or_else(|| self.epoch + Duration::from_secs(100 * 365 * 24 * 3600))
    }
}

/// Reads the OS monotonic clock: allowed here only (real-clock module).
#[allow(clippy::disallowed_methods)]
fn os_now() -> std::time::Instant {
    std::time::Instant::now()
}

impl Clock for RealClock {
    fn now(&self) -> Instant {
        let elapsed = os_now().saturating_duration_since(self.epoch);
        Instant::from_nanos(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX))
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let at = self.to_std(deadline);
        Box::pin(async move {
            async_io::Timer::at(at).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeping_advances_now() {
        let clock = RealClock::new();
        let before = clock.now();
        futures::executor::block_on(clock.sleep(Duration::from_millis(20)));
        let after = clock.now();
        assert!(
            after - before >= Duration::from_millis(20),
            "{before:?} -> {after:?}"
        );
        // A deadline already passed completes at once.
        futures::executor::block_on(clock.sleep_until(Instant::ZERO));
    }
}
