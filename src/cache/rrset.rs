//! The iterator's cache: RRsets (with their RRSIGs and security status) and
//! negative answers, keyed by (owner, type). Separate from the wire-format
//! answer cache that serves client hits: this one feeds resolution itself
//! (zone cuts, server addresses, CNAME steps, DS and DNSKEY sets).
//!
//! Expiry is judged on wall-clock seconds from the [`Clock`] (SystemTime in
//! the daemon), so a suspended host or virtual time in tests behaves the same.
//! Capacity is bounded; `quick_cache` evicts (sharded, readers do not
//! serialize on one lock).
//!
//! [`Clock`]: crate::clock::Clock

use std::sync::Arc;

use hickory_proto::rr::{Name, Record, RecordType};
use quick_cache::sync::Cache;

use crate::dnssec::state::{ExtendedError, Security};

/// How much an RRset can be believed (RFC 2181 §5.4.1 ranking, simplified).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trust {
    /// Glue or other additional-section data: good enough to reach a
    /// server, never returned to a client.
    Glue,
    /// Delegation NS records from the parent side of a cut.
    Referral,
    /// The answer section of an authoritative (or forwarded) response.
    Answer,
}

/// A cached RRset with its signatures.
#[derive(Clone, Debug)]
pub struct CachedRrset {
    /// The records, all with one owner and type.
    pub records: Vec<Record>,
    /// RRSIGs covering the records (empty for unsigned data).
    pub rrsigs: Vec<Record>,
    /// For wildcard-expanded answers: the NSEC/NSEC3 records (and RRSIGs)
    /// proving the exact name does not exist (RFC 4035 §5.3.4).
    pub proofs: Vec<Record>,
    /// The zone the data came from (for validation: the expected signer).
    pub zone: Name,
    pub trust: Trust,
    pub security: Security,
    /// Why the data is Bogus, for the EDE of later answers.
    pub why: Option<ExtendedError>,
    /// Wall-clock expiry, Unix seconds.
    pub expires_at: u64,
}

impl CachedRrset {
    /// Seconds of life left at `now`.
    pub fn remaining(&self, now: u64) -> u32 {
        u32::try_from(self.expires_at.saturating_sub(now)).unwrap_or(u32::MAX)
    }

    /// Records and RRSIGs with TTLs counted down to what is left at `now`.
    pub fn records_at(&self, now: u64) -> Vec<Record> {
        countdown(
            self.records.iter().chain(self.rrsigs.iter()),
            self.remaining(now),
        )
    }

    /// The wildcard proofs with TTLs counted down.
    pub fn proofs_at(&self, now: u64) -> Vec<Record> {
        countdown(self.proofs.iter(), self.remaining(now))
    }
}

/// Clones records with their TTL capped at `left` seconds.
fn countdown<'a>(records: impl Iterator<Item = &'a Record>, left: u32) -> Vec<Record> {
    records
        .map(|r| {
            let mut r = r.clone();
            r.ttl = r.ttl.min(left);
            r
        })
        .collect()
}

/// What kind of negative answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegativeKind {
    /// The name does not exist (any type).
    NxDomain,
    /// The name exists but has no data of this type.
    NoData,
}

/// A cached negative answer (RFC 2308).
#[derive(Clone, Debug)]
pub struct CachedNegative {
    pub kind: NegativeKind,
    /// SOA, NSEC/NSEC3 and their RRSIGs, for the authority section.
    pub authority: Vec<Record>,
    pub zone: Name,
    pub security: Security,
    pub why: Option<ExtendedError>,
    pub expires_at: u64,
}

impl CachedNegative {
    pub fn remaining(&self, now: u64) -> u32 {
        u32::try_from(self.expires_at.saturating_sub(now)).unwrap_or(u32::MAX)
    }

    pub fn authority_at(&self, now: u64) -> Vec<Record> {
        countdown(self.authority.iter(), self.remaining(now))
    }
}

/// Cache key: owner (lowercased) and type. NXDOMAIN is stored under
/// `RecordType::ANY` since it covers every type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    name: Name,
    rtype: RecordType,
}

impl Key {
    fn new(name: &Name, rtype: RecordType) -> Self {
        Self {
            name: name.to_lowercase(),
            rtype,
        }
    }
}

/// The iterator's RRset and negative cache.
pub struct RrsetCache {
    rrsets: Cache<Key, Arc<CachedRrset>>,
    negatives: Cache<Key, Arc<CachedNegative>>,
}

impl RrsetCache {
    /// A cache holding at most `capacity` RRsets and `capacity` negatives.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(16);
        Self {
            rrsets: Cache::new(capacity),
            negatives: Cache::new(capacity / 4 + 16),
        }
    }

    /// A live RRset of at least `min_trust`.
    pub fn get(
        &self,
        name: &Name,
        rtype: RecordType,
        min_trust: Trust,
        now: u64,
    ) -> Option<Arc<CachedRrset>> {
        let key = Key::new(name, rtype);
        let hit = self.rrsets.get(&key)?;
        if hit.expires_at <= now {
            self.rrsets.remove(&key);
            return None;
        }
        (hit.trust >= min_trust).then_some(hit)
    }

    /// Stores an RRset unless a live entry of higher trust is present
    /// (RFC 2181 §5.4.1: glue must not replace authoritative data).
    pub fn insert(&self, rrset: CachedRrset, now: u64) {
        let Some(first) = rrset.records.first() else {
            return;
        };
        let key = Key::new(&first.name, first.record_type());
        if let Some(old) = self.rrsets.get(&key) {
            if old.expires_at > now && old.trust > rrset.trust {
                return;
            }
        }
        // A positive answer supersedes a cached negative one for that type.
        self.negatives.remove(&key);
        self.rrsets.insert(key, Arc::new(rrset));
    }

    /// A live negative answer for (name, type): NODATA for that type, or
    /// NXDOMAIN for the name.
    pub fn get_negative(
        &self,
        name: &Name,
        rtype: RecordType,
        now: u64,
    ) -> Option<Arc<CachedNegative>> {
        for key in [Key::new(name, RecordType::ANY), Key::new(name, rtype)] {
            if let Some(hit) = self.negatives.get(&key) {
                if hit.expires_at > now {
                    return Some(hit);
                }
                self.negatives.remove(&key);
            }
        }
        None
    }

    pub fn insert_negative(&self, name: &Name, rtype: RecordType, neg: CachedNegative) {
        let rtype = match neg.kind {
            NegativeKind::NxDomain => RecordType::ANY,
            NegativeKind::NoData => rtype,
        };
        self.negatives.insert(Key::new(name, rtype), Arc::new(neg));
    }

    /// Drops everything (`anchord` flush).
    pub fn clear(&self) {
        self.rrsets.clear();
        self.negatives.clear();
    }

    /// Number of cached RRsets and negative answers.
    pub fn len(&self) -> usize {
        self.rrsets.len() + self.negatives.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::RData;

    fn a(name: &str, ttl: u32) -> Record {
        Record::from_rdata(
            Name::from_ascii(name).unwrap(),
            ttl,
            RData::A(A::new(192, 0, 2, 1)),
        )
    }

    fn rrset(name: &str, trust: Trust, expires_at: u64) -> CachedRrset {
        CachedRrset {
            records: vec![a(name, 300)],
            rrsigs: vec![],
            proofs: vec![],
            zone: Name::root(),
            trust,
            security: Security::Insecure,
            why: None,
            expires_at,
        }
    }

    #[test]
    fn expiry_is_judged_on_wall_clock_seconds() {
        let c = RrsetCache::new(100);
        c.insert(rrset("www.example.", Trust::Answer, 1_300), 1_000);
        let n = Name::from_ascii("WWW.example.").unwrap();
        let hit = c.get(&n, RecordType::A, Trust::Answer, 1_100).unwrap();
        assert_eq!(hit.records_at(1_100)[0].ttl, 200);
        assert!(c.get(&n, RecordType::A, Trust::Answer, 1_300).is_none());
    }

    #[test]
    fn glue_never_replaces_answers_nor_answers_clients() {
        let c = RrsetCache::new(100);
        let n = Name::from_ascii("ns.example.").unwrap();
        c.insert(rrset("ns.example.", Trust::Glue, 2_000), 1_000);
        assert!(c.get(&n, RecordType::A, Trust::Answer, 1_000).is_none());
        assert!(c.get(&n, RecordType::A, Trust::Glue, 1_000).is_some());
        c.insert(rrset("ns.example.", Trust::Answer, 1_500), 1_000);
        c.insert(rrset("ns.example.", Trust::Glue, 3_000), 1_000);
        let hit = c.get(&n, RecordType::A, Trust::Glue, 1_000).unwrap();
        assert_eq!(hit.trust, Trust::Answer);
    }
}
