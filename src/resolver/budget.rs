//! The per-client-query work budget.
//!
//! Every client query gets one `Budget`; every unit of upstream or CPU work
//! is charged to it *before* it is done. When a charge fails the resolution
//! stops with SERVFAIL and the reason is logged. This bounds the damage of
//! NXNS (CVE-2020-12662), KeyTrap (CVE-2023-50387) and NSEC3 hash floods
//! (CVE-2023-50868), and of plain misconfigured zones.
//!
//! Defaults (see `config::LimitsConfig`) follow the established resolvers:
//! Unbound's `max-sent-count 32`, `MAX_TARGET_COUNT 64`,
//! `max-query-restarts 11`; PowerDNS Recursor's `max-qperq 50`.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::config::LimitsConfig;

/// What kind of work ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetKind {
    UpstreamQueries,
    Referrals,
    CnameSteps,
    GluelessLookups,
    CryptoCost,
    Nsec3Hashes,
}

impl fmt::Display for BudgetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BudgetKind::UpstreamQueries => "upstream queries",
            BudgetKind::Referrals => "referrals",
            BudgetKind::CnameSteps => "CNAME/DNAME steps",
            BudgetKind::GluelessLookups => "glueless NS lookups",
            BudgetKind::CryptoCost => "signature verification cost",
            BudgetKind::Nsec3Hashes => "NSEC3 hash computations",
        })
    }
}

/// A budget was exhausted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("budget exhausted: {kind} (limit {limit})")]
pub struct BudgetExhausted {
    pub kind: BudgetKind,
    pub limit: u32,
}

/// One counter: a limit and what has been spent. Atomic so one budget can be
/// shared by the parallel sub-resolutions of one client query.
#[derive(Debug)]
struct Counter {
    limit: u32,
    spent: AtomicU32,
}

impl Counter {
    fn new(limit: u32) -> Self {
        Self {
            limit,
            spent: AtomicU32::new(0),
        }
    }

    fn charge(&self, kind: BudgetKind, amount: u32) -> Result<(), BudgetExhausted> {
        let mut cur = self.spent.load(Ordering::Relaxed);
        loop {
            let next = cur.saturating_add(amount);
            if next > self.limit {
                return Err(BudgetExhausted {
                    kind,
                    limit: self.limit,
                });
            }
            match self
                .spent
                .compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    fn spent(&self) -> u32 {
        self.spent.load(Ordering::Relaxed)
    }
}

/// The work budget of one client query.
#[derive(Debug)]
pub struct Budget {
    upstream: Counter,
    referrals: Counter,
    cname: Counter,
    glueless: Counter,
    crypto: Counter,
    nsec3: Counter,
}

impl Budget {
    pub fn new(limits: &LimitsConfig) -> Self {
        Self {
            upstream: Counter::new(limits.max_upstream_queries),
            referrals: Counter::new(limits.max_referrals),
            cname: Counter::new(limits.max_cname_steps),
            glueless: Counter::new(limits.max_glueless_lookups),
            crypto: Counter::new(limits.max_crypto_cost),
            nsec3: Counter::new(limits.max_nsec3_hashes),
        }
    }

    fn counter(&self, kind: BudgetKind) -> &Counter {
        match kind {
            BudgetKind::UpstreamQueries => &self.upstream,
            BudgetKind::Referrals => &self.referrals,
            BudgetKind::CnameSteps => &self.cname,
            BudgetKind::GluelessLookups => &self.glueless,
            BudgetKind::CryptoCost => &self.crypto,
            BudgetKind::Nsec3Hashes => &self.nsec3,
        }
    }

    /// Charges `amount` units of `kind`, or fails without charging.
    pub fn charge(&self, kind: BudgetKind, amount: u32) -> Result<(), BudgetExhausted> {
        self.counter(kind).charge(kind, amount)
    }

    /// Units of `kind` spent so far.
    pub fn spent(&self, kind: BudgetKind) -> u32 {
        self.counter(kind).spent()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_until_the_limit_then_fails_without_charging() {
        let limits = LimitsConfig {
            max_upstream_queries: 3,
            ..LimitsConfig::default()
        };
        let b = Budget::new(&limits);
        assert!(b.charge(BudgetKind::UpstreamQueries, 2).is_ok());
        assert!(b.charge(BudgetKind::UpstreamQueries, 1).is_ok());
        let err = b.charge(BudgetKind::UpstreamQueries, 1).unwrap_err();
        assert_eq!(err.kind, BudgetKind::UpstreamQueries);
        assert_eq!(b.spent(BudgetKind::UpstreamQueries), 3);
    }
}
