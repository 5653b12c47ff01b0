//! Aggressive use of the validated NSEC cache (RFC 8198): NXDOMAIN and
//! NODATA answered from NSEC ranges we already validated, without asking
//! upstream. A mail host doing DNSBL lookups sees thousands of distinct
//! non-existent names under a few zones; most of them fall in ranges it has
//! seen before.
//!
//! Only Secure NSEC records go in (RFC 8198 §5.1); entries expire with the
//! records (and never outlive the zone's negative TTL, RFC 8198 §5.4);
//! memory is bounded per zone and in zones. NSEC3 ranges are not used
//! (each lookup would cost hashes; RFC 8198 §5.2 makes it optional).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::nsec::{common_ancestor, nsec_covers};

/// NSEC ranges kept per zone.
const MAX_PER_ZONE: usize = 4_096;
/// Zones kept.
const MAX_ZONES: usize = 1_024;

/// Canonical-order key of a name (RFC 4034 §6.1): labels from the right,
/// lowercased; `Vec` ordering then is canonical ordering.
fn canonical_key(name: &Name) -> Vec<Vec<u8>> {
    name.iter().rev().map(|l| l.to_ascii_lowercase()).collect()
}

#[derive(Clone, Debug)]
struct Range {
    owner: Name,
    next: Name,
    types: Vec<RecordType>,
    /// The NSEC record and its RRSIGs, TTLs as received.
    records: Vec<Record>,
    expires_at: u64,
}

#[derive(Debug, Default)]
struct ZoneRanges {
    ranges: BTreeMap<Vec<Vec<u8>>, Range>,
    /// The zone's SOA with RRSIGs, for the authority section and the
    /// negative TTL (RFC 8198 §5.4).
    soa: Option<(Vec<Record>, u32, u64)>,
}

/// What the cache can prove on its own.
#[derive(Clone, Debug, PartialEq)]
pub enum Synthesized {
    NxDomain { authority: Vec<Record>, ttl: u32 },
    NoData { authority: Vec<Record>, ttl: u32 },
}

/// The validated NSEC range cache.
#[derive(Debug, Default)]
pub struct NsecCache {
    zones: Mutex<HashMap<Name, ZoneRanges>>,
}

fn nsec_of(record: &Record) -> Option<&NSEC> {
    match &record.data {
        RData::DNSSEC(DNSSECRData::NSEC(n)) => Some(n),
        _ => None,
    }
}

impl NsecCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds Secure NSEC RRsets (records + RRSIGs) and the Secure SOA of
    /// `zone`, all valid until `expires_at`.
    pub fn insert(
        &self,
        zone: &Name,
        nsec_sets: &[Vec<Record>],
        soa: Option<&[Record]>,
        expires_at: u64,
    ) {
        let mut zones = self.zones.lock().unwrap_or_else(|p| p.into_inner());
        if zones.len() >= MAX_ZONES && !zones.contains_key(zone) {
            zones.clear();
        }
        let entry = zones.entry(zone.to_lowercase()).or_default();
        if let Some(soa) = soa {
            let neg_ttl = soa
                .iter()
                .find_map(|r| match &r.data {
                    RData::SOA(s) => Some(r.ttl.min(s.minimum)),
                    _ => None,
                })
                .unwrap_or(0);
            entry.soa = Some((soa.to_vec(), neg_ttl, expires_at));
        }
        for set in nsec_sets {
            let Some((owner, nsec)) = set.iter().find_map(|r| nsec_of(r).map(|n| (&r.name, n)))
            else {
                continue;
            };
            if entry.ranges.len() >= MAX_PER_ZONE {
                // Drop the range expiring first: cheap and keeps fresh data.
                if let Some(k) = entry
                    .ranges
                    .iter()
                    .min_by_key(|(_, r)| r.expires_at)
                    .map(|(k, _)| k.clone())
                {
                    entry.ranges.remove(&k);
                }
            }
            entry.ranges.insert(
                canonical_key(owner),
                Range {
                    owner: owner.clone(),
                    next: nsec.next_domain_name().clone(),
                    types: nsec.type_bit_maps().collect(),
                    records: set.clone(),
                    expires_at,
                },
            );
        }
    }

    /// The live range whose owner is the closest at or before `name`.
    fn range_for<'a>(zr: &'a ZoneRanges, name: &Name, now: u64) -> Option<&'a Range> {
        zr.ranges
            .range(..=canonical_key(name))
            .next_back()
            .map(|(_, r)| r)
            .filter(|r| r.expires_at > now)
    }

    /// Tries to answer (qname, qtype) negatively from cached ranges of the
    /// deepest cached zone enclosing `qname`.
    pub fn synthesize(&self, qname: &Name, qtype: RecordType, now: u64) -> Option<Synthesized> {
        let zones = self.zones.lock().unwrap_or_else(|p| p.into_inner());
        let (zone, zr) = (0..=qname.num_labels())
            .rev()
            .map(|l| qname.trim_to(usize::from(l)))
            .find_map(|z| zones.get(&z.to_lowercase()).map(|zr| (z, zr)))?;
        let (soa, neg_ttl, soa_exp) = zr.soa.as_ref().filter(|s| s.2 > now)?;
        let left = |exp: u64| u32::try_from(exp.saturating_sub(now)).unwrap_or(u32::MAX);
        let range = Self::range_for(zr, qname, now)?;
        // Parent-side NSECs (NS without SOA) cannot deny anything below the
        // cut (RFC 6840 §4.1); DNAME ones nothing below the DNAME.
        let cut_above = |r: &Range| {
            (r.types.contains(&RecordType::NS) && !r.types.contains(&RecordType::SOA)
                || r.types.contains(&RecordType::DNAME))
                && r.owner.zone_of(qname)
                && r.owner != *qname
        };
        if cut_above(range) {
            return None;
        }
        let mut authority = soa.clone();
        if range.owner == *qname {
            // NODATA (RFC 4035 §3.1.3.1): the type and CNAME are absent.
            if range.types.contains(&qtype) || range.types.contains(&RecordType::CNAME) {
                return None;
            }
            if range.types.contains(&RecordType::NS)
                && !range.types.contains(&RecordType::SOA)
                && qtype != RecordType::DS
            {
                // A delegation: only DS may be denied here.
                return None;
            }
            authority.extend(range.records.iter().cloned());
            let ttl = (*neg_ttl).min(left(range.expires_at)).min(left(*soa_exp));
            return Some(Synthesized::NoData { authority, ttl });
        }
        if !nsec_covers(&range.owner, &range.next, &zone, qname) {
            return None;
        }
        // An empty non-terminal is not a name error (RFC 8198 §5.3 relies
        // on the full NXDOMAIN proof): the next name must not be below qname.
        if qname.zone_of(&range.next) {
            return None;
        }
        // RFC 4035 §3.1.3.2: the closest encloser, and its wildcard denied.
        let ce_owner = common_ancestor(qname, &range.owner);
        let ce_next = common_ancestor(qname, &range.next);
        let ce = if ce_owner.num_labels() >= ce_next.num_labels() {
            ce_owner
        } else {
            ce_next
        };
        let wildcard = ce.prepend_label("*").ok()?;
        let wrange = Self::range_for(zr, &wildcard, now)?;
        if wrange.owner == wildcard || cut_above(wrange) {
            return None;
        }
        if !nsec_covers(&wrange.owner, &wrange.next, &zone, &wildcard) {
            return None;
        }
        authority.extend(range.records.iter().cloned());
        if wrange.owner != range.owner {
            authority.extend(wrange.records.iter().cloned());
        }
        let ttl = (*neg_ttl)
            .min(left(range.expires_at))
            .min(left(wrange.expires_at))
            .min(left(*soa_exp));
        Some(Synthesized::NxDomain { authority, ttl })
    }

    pub fn clear(&self) {
        self.zones.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::SOA;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn nsec(owner: &str, next: &str, types: &[RecordType]) -> Vec<Record> {
        vec![Record::from_rdata(
            n(owner),
            300,
            RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(n(next), types.iter().copied()))),
        )]
    }

    fn soa() -> Vec<Record> {
        vec![Record::from_rdata(
            n("example."),
            3600,
            RData::SOA(SOA::new(n("ns.example."), n("h.example."), 1, 2, 3, 4, 60)),
        )]
    }

    fn cache() -> NsecCache {
        let c = NsecCache::new();
        c.insert(
            &n("example."),
            &[
                nsec(
                    "example.",
                    "a.example.",
                    &[RecordType::SOA, RecordType::NS, RecordType::NSEC],
                ),
                nsec(
                    "a.example.",
                    "m.example.",
                    &[RecordType::A, RecordType::NSEC],
                ),
                nsec(
                    "m.example.",
                    "example.",
                    &[RecordType::MX, RecordType::NSEC],
                ),
            ],
            Some(&soa()),
            1_300,
        );
        c
    }

    #[test]
    fn nxdomain_from_cached_ranges() {
        let got = cache()
            .synthesize(&n("b.example."), RecordType::A, 1_000)
            .unwrap();
        match got {
            Synthesized::NxDomain { authority, ttl } => {
                assert_eq!(ttl, 60);
                // SOA, the range covering b, and the one covering *.example.
                assert_eq!(authority.len(), 3);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nodata_from_a_matching_range_and_nothing_when_the_type_exists() {
        let c = cache();
        assert!(matches!(
            c.synthesize(&n("a.example."), RecordType::MX, 1_000),
            Some(Synthesized::NoData { .. })
        ));
        assert!(c
            .synthesize(&n("a.example."), RecordType::A, 1_000)
            .is_none());
    }

    #[test]
    fn expired_ranges_are_not_used() {
        assert!(cache()
            .synthesize(&n("b.example."), RecordType::A, 1_300)
            .is_none());
    }

    #[test]
    fn names_in_other_zones_are_not_answered() {
        assert!(cache()
            .synthesize(&n("b.example.net."), RecordType::A, 1_000)
            .is_none());
    }
}
