//! Time, behind a trait so the resolver and validator can run on virtual time.
//!
//! Two kinds of time are used and they are not interchangeable:
//! - *wall-clock* seconds since the Unix epoch (`unix_secs`): cache expiry and
//!   RRSIG inception/expiration (RFC 4034 §3.1.5). Read from `SystemTime` in
//!   the daemon.
//! - *monotonic* time (`monotonic`): deadlines, retransmit timers and RTT
//!   measurements, which must not jump when the wall clock is stepped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Source of time for the sans-IO core.
pub trait Clock: Send + Sync + 'static {
    /// Wall-clock seconds since the Unix epoch.
    fn unix_secs(&self) -> u64;
    /// Monotonic time since an arbitrary, fixed origin.
    fn monotonic(&self) -> Duration;
}

/// Shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock: `SystemTime` for wall time, `Instant` for monotonic time.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn unix_secs(&self) -> u64 {
        // A clock before 1970 is a broken host; treat it as the epoch rather
        // than panic. `anchord doctor` reports an insane clock.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// Virtual time for tests: only moves when told to (or when the simulated
/// network charges a round trip or a timeout to it).
#[derive(Debug)]
pub struct VirtualClock {
    /// Wall-clock time in microseconds since the epoch.
    wall_us: AtomicU64,
    /// Monotonic time in microseconds.
    mono_us: AtomicU64,
}

impl VirtualClock {
    /// A virtual clock whose wall time starts at `unix_secs`.
    pub fn new(unix_secs: u64) -> Self {
        Self {
            wall_us: AtomicU64::new(unix_secs.saturating_mul(1_000_000)),
            mono_us: AtomicU64::new(0),
        }
    }

    /// Moves both wall and monotonic time forward.
    pub fn advance(&self, by: Duration) {
        let us = u64::try_from(by.as_micros()).unwrap_or(u64::MAX);
        self.wall_us.fetch_add(us, Ordering::SeqCst);
        self.mono_us.fetch_add(us, Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn unix_secs(&self) -> u64 {
        self.wall_us.load(Ordering::SeqCst) / 1_000_000
    }

    fn monotonic(&self) -> Duration {
        Duration::from_micros(self.mono_us.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_when_advanced() {
        let c = VirtualClock::new(1_000);
        assert_eq!(c.unix_secs(), 1_000);
        assert_eq!(c.monotonic(), Duration::ZERO);
        c.advance(Duration::from_millis(1_500));
        assert_eq!(c.unix_secs(), 1_001);
        assert_eq!(c.monotonic(), Duration::from_millis(1_500));
    }
}
