//! Per-server state for server selection, like Unbound's infra cache:
//! smoothed RTT and variance (RFC 6298 estimator), exponential backoff after
//! timeouts, and whether the server understands EDNS.
//!
//! Keyed by IP address only; it lives apart from the answer caches and is
//! bounded (when full, the whole table is dropped: it is only a hint).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

/// Entries kept before the table is reset.
const MAX_ENTRIES: usize = 20_000;
/// RTT assumed for a server never tried (Unbound uses 376 ms).
const UNKNOWN_RTT: Duration = Duration::from_millis(376);
/// Bounds of the retransmit timeout.
const MIN_RTO: Duration = Duration::from_millis(50);
const MAX_RTO: Duration = Duration::from_millis(3_000);
/// How long a server that keeps timing out is avoided, at most.
const MAX_BACKOFF: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug)]
struct ServerState {
    srtt: Duration,
    rttvar: Duration,
    /// Consecutive timeouts.
    timeouts: u32,
    /// Monotonic time before which the server is avoided.
    avoid_until: Duration,
    /// The server answered FORMERR to an EDNS query.
    no_edns: bool,
    /// At least one RTT was measured (RFC 6298 §2.2 vs §2.3).
    measured: bool,
}

impl Default for ServerState {
    fn default() -> Self {
        Self {
            srtt: UNKNOWN_RTT,
            rttvar: UNKNOWN_RTT / 2,
            timeouts: 0,
            avoid_until: Duration::ZERO,
            no_edns: false,
            measured: false,
        }
    }
}

/// What the iterator needs to know about one server right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerView {
    /// Selection score: smoothed RTT, with a penalty while backed off.
    pub score: Duration,
    /// Retransmit timeout to use for the next query.
    pub rto: Duration,
    pub no_edns: bool,
    pub backed_off: bool,
    /// No RTT measured yet: its score is a guess.
    pub measured: bool,
}

/// The infra cache.
#[derive(Debug)]
pub struct Infra {
    servers: Mutex<HashMap<IpAddr, ServerState>>,
    /// Retransmit timeout for a server with no RTT measured yet
    /// (`upstream.initial_timeout_ms`; Unbound uses 376 ms).
    initial_rto: Duration,
}

impl Default for Infra {
    fn default() -> Self {
        Self::new()
    }
}

impl Infra {
    pub fn new() -> Self {
        Self::with_initial_rto(UNKNOWN_RTT)
    }

    /// An infra cache whose first retransmit to an unmeasured server comes
    /// after `initial_rto` (a few hundred ms, so one dead server does not
    /// eat the client's deadline).
    pub fn with_initial_rto(initial_rto: Duration) -> Self {
        Self {
            servers: Mutex::new(HashMap::new()),
            initial_rto: initial_rto.clamp(MIN_RTO, MAX_RTO),
        }
    }

    fn with<T>(&self, ip: IpAddr, f: impl FnOnce(&mut ServerState) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update of
        // a hint table; the data is still usable.
        let mut map = self
            .servers
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if map.len() >= MAX_ENTRIES && !map.contains_key(&ip) {
            map.clear();
        }
        f(map.entry(ip).or_default())
    }

    /// Current view of `ip` at monotonic time `now`.
    pub fn view(&self, ip: IpAddr, now: Duration) -> ServerView {
        let initial = self.initial_rto;
        self.with(ip, |s| {
            let rto = if s.measured {
                (s.srtt + 4 * s.rttvar).clamp(MIN_RTO, MAX_RTO)
            } else if s.timeouts > 0 {
                // RFC 6298 §5.5: back off after a timeout, bounded.
                (initial * 2u32.pow(s.timeouts.min(3))).min(MAX_RTO)
            } else {
                initial
            };
            let backed_off = s.avoid_until > now;
            let score = if backed_off {
                s.srtt + MAX_RTO * s.timeouts.min(10)
            } else {
                s.srtt
            };
            ServerView {
                score,
                rto,
                no_edns: s.no_edns,
                backed_off,
                measured: s.measured,
            }
        })
    }

    /// A response arrived after `rtt`: RFC 6298 §2.2 for the first
    /// measurement (SRTT = R, RTTVAR = R/2), §2.3 after that.
    pub fn record_rtt(&self, ip: IpAddr, rtt: Duration) {
        self.with(ip, |s| {
            if s.measured {
                let diff = s.srtt.abs_diff(rtt);
                s.rttvar = (s.rttvar * 3 + diff) / 4;
                s.srtt = (s.srtt * 7 + rtt) / 8;
            } else {
                s.srtt = rtt;
                s.rttvar = rtt / 2;
                s.measured = true;
            }
            s.timeouts = 0;
            s.avoid_until = Duration::ZERO;
        });
    }

    /// The server did not answer in time: back off exponentially.
    pub fn record_timeout(&self, ip: IpAddr, now: Duration) {
        self.with(ip, |s| {
            s.timeouts = s.timeouts.saturating_add(1);
            // Double the estimate (RFC 6298 §5.5), bounded.
            s.srtt = (s.srtt * 2).min(MAX_RTO);
            let backoff = Duration::from_millis(250)
                .saturating_mul(1u32 << s.timeouts.min(9))
                .min(MAX_BACKOFF);
            s.avoid_until = now + backoff;
        });
    }

    /// The server answered badly (lame, REFUSED, SERVFAIL): make it less
    /// attractive without treating it as dead.
    pub fn record_bad_answer(&self, ip: IpAddr) {
        self.with(ip, |s| {
            s.srtt = (s.srtt + Duration::from_millis(200)).min(MAX_RTO);
        });
    }

    /// The server returned FORMERR to an EDNS query (RFC 6891 §7).
    pub fn record_no_edns(&self, ip: IpAddr) {
        self.with(ip, |s| s.no_edns = true);
    }

    /// Forgets everything (`anchord` flush).
    pub fn clear(&self) {
        self.servers
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmeasured_servers_get_the_initial_timeout() {
        let infra = Infra::with_initial_rto(Duration::from_millis(400));
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        assert_eq!(
            infra.view(ip, Duration::ZERO).rto,
            Duration::from_millis(400)
        );
        infra.record_timeout(ip, Duration::ZERO);
        assert_eq!(
            infra.view(ip, Duration::ZERO).rto,
            Duration::from_millis(800)
        );
        infra.record_rtt(ip, Duration::from_millis(20));
        assert_eq!(
            infra.view(ip, Duration::ZERO).rto,
            Duration::from_millis(60)
        );
    }

    #[test]
    fn fast_servers_score_better_and_timeouts_back_off() {
        let infra = Infra::new();
        let fast: IpAddr = "192.0.2.1".parse().unwrap();
        let slow: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..5 {
            infra.record_rtt(fast, Duration::from_millis(10));
            infra.record_rtt(slow, Duration::from_millis(200));
        }
        let now = Duration::from_secs(10);
        assert!(infra.view(fast, now).score < infra.view(slow, now).score);
        infra.record_timeout(fast, now);
        let v = infra.view(fast, now);
        assert!(v.backed_off);
        assert!(v.score > infra.view(slow, now).score);
        assert!(!infra.view(fast, now + MAX_BACKOFF).backed_off);
    }
}
