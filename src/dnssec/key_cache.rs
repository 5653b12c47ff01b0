//! The key cache: for each zone, the outcome of building its chain of trust
//! (validated DNSKEYs, or proof that it is insecure, or why it is bogus),
//! so that a warm cache validates nothing twice.
//!
//! Entries expire on wall-clock time, like every cache here: a Secure entry
//! lives no longer than its DS and DNSKEY RRsets and their signatures
//! (RFC 4035 §5.3.3); a Bogus one only `dnssec.bogus_ttl` (RFC 9520).

use std::sync::Arc;

use hickory_proto::dnssec::rdata::DNSKEY;
use hickory_proto::dnssec::PublicKey;
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

/// Weighs an entry by its keys' bytes ([`crate::cache::weight`]): a
/// hostile zone may publish a DNSKEY RRset of up to 64 KiB.
#[derive(Clone, Copy, Debug)]
struct Weight;

impl quick_cache::Weighter<Name, Arc<KeyEntry>> for Weight {
    fn weight(&self, _zone: &Name, entry: &Arc<KeyEntry>) -> u64 {
        let bytes = match &entry.trust {
            ZoneTrust::Secure { keys } => keys
                .iter()
                .map(|k| k.public_key().public_bytes().len() + 64)
                .sum(),
            ZoneTrust::Insecure { reason } => reason.len(),
            ZoneTrust::Bogus { .. } => 0,
        };
        crate::cache::weight::units(bytes)
    }
}

/// Zone name (lowercased) → its trust.
pub struct KeyCache {
    zones: Cache<Name, Arc<KeyEntry>, Weight>,
}

impl KeyCache {
    /// At most `capacity` zones, those with large key sets counting more.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(16);
        Self {
            zones: Cache::with_weighter(capacity, crate::cache::weight::capacity(capacity), Weight),
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
