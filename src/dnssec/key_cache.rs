//! The key cache: for each zone, the outcome of building its chain of trust
//! (validated DNSKEYs, or proof that it is insecure, or why it is bogus),
//! so that a warm cache validates nothing twice.
//!
//! Entries expire on wall-clock time, like every cache here: a Secure entry
//! lives no longer than its DS and DNSKEY RRsets and their signatures
//! (RFC 4035 §5.3.3); a Bogus one only `dnssec.bogus_ttl` (RFC 9520).

use std::sync::Arc;

use hickory_proto::dnssec::rdata::DNSKEY;
use hickory_proto::rr::Name;
use quick_cache::sync::Cache;

use super::state::ExtendedError;

/// The security of a zone, as established from a trust anchor.
#[derive(Clone, Debug, PartialEq)]
pub enum ZoneTrust {
    /// A chain of trust reaches the zone: these are its validated zone keys
    /// (ZONE flag set, REVOKE clear, in a DNSKEY RRset signed by a key that
    /// a DS or trust anchor vouches for).
    Secure { keys: Vec<DNSKEY> },
    /// Provably no chain: unsigned delegation, unsupported algorithms only,
    /// negative trust anchor, or no anchor above the zone.
    Insecure { reason: String },
    /// The chain should exist and does not validate.
    Bogus { why: ExtendedError },
}

/// A cached zone trust with its expiry.
#[derive(Clone, Debug)]
pub struct KeyEntry {
    pub trust: ZoneTrust,
    /// Wall-clock expiry, Unix seconds.
    pub expires_at: u64,
}

/// Zone name (lowercased) → its trust.
pub struct KeyCache {
    zones: Cache<Name, Arc<KeyEntry>>,
}

impl KeyCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            zones: Cache::new(capacity.max(16)),
        }
    }

    pub fn get(&self, zone: &Name, now: u64) -> Option<Arc<KeyEntry>> {
        let key = zone.to_lowercase();
        let hit = self.zones.get(&key)?;
        if hit.expires_at <= now {
            self.zones.remove(&key);
            return None;
        }
        Some(hit)
    }

    pub fn insert(&self, zone: &Name, entry: KeyEntry) -> Arc<KeyEntry> {
        let entry = Arc::new(entry);
        self.zones.insert(zone.to_lowercase(), entry.clone());
        entry
    }

    pub fn clear(&self) {
        self.zones.clear();
    }
}
