//! Server counters: plain atomics, bumped on the hot path without locks.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, shared by every listener task.
#[derive(Debug, Default)]
pub struct Stats {
    pub queries: AtomicU64,
    pub cache_hits: AtomicU64,
    pub misses: AtomicU64,
    pub servfail: AtomicU64,
    pub nxdomain: AtomicU64,
    pub formerr: AtomicU64,
    pub refused: AtomicU64,
    pub notimp: AtomicU64,
    pub tcp_queries: AtomicU64,
    pub dropped: AtomicU64,
    /// UDP responses the kernel refused to send (counted, not retried).
    pub send_errors: AtomicU64,
}

/// A point-in-time copy of [`Stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub queries: u64,
    pub cache_hits: u64,
    pub misses: u64,
    pub servfail: u64,
    pub nxdomain: u64,
    pub formerr: u64,
    pub refused: u64,
    pub notimp: u64,
    pub tcp_queries: u64,
    pub dropped: u64,
    pub send_errors: u64,
}

/// Adds one; counters are statistics, so relaxed ordering is enough.
pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            queries: g(&self.queries),
            cache_hits: g(&self.cache_hits),
            misses: g(&self.misses),
            servfail: g(&self.servfail),
            nxdomain: g(&self.nxdomain),
            formerr: g(&self.formerr),
            refused: g(&self.refused),
            notimp: g(&self.notimp),
            tcp_queries: g(&self.tcp_queries),
            dropped: g(&self.dropped),
            send_errors: g(&self.send_errors),
        }
    }

    /// Counts the RCODE of a response we send.
    pub(crate) fn count_rcode(&self, rcode: u8) {
        match rcode {
            1 => bump(&self.formerr),
            2 => bump(&self.servfail),
            3 => bump(&self.nxdomain),
            4 => bump(&self.notimp),
            5 => bump(&self.refused),
            _ => {}
        }
    }
}
