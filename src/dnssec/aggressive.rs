//! Aggressive use of the validated NSEC cache (RFC 8198): NXDOMAIN and
//! NODATA answered from NSEC ranges we already validated, without asking
//! upstream. A mail host doing DNSBL lookups sees thousands of distinct
//! non-existent names under a few zones; most of them fall in ranges it has
//! seen before.
//!
//! Only Secure NSEC records go in (RFC 8198 §5.1); entries expire with the
//! records (and never outlive the zone's negative TTL, RFC 8198 §5.4);
//! memory is bounded per zone and in zones. NSEC3 ranges are used too
//! (RFC 8198 §5.2), with a hash-cost cap: a lookup hashes at most the
//! names between the query and the zone (and only for zones whose
//! iteration count is within `nsec3_max_iterations`); opt-out spans never
//! give answers (they prove nothing, RFC 5155 §6).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::nsec::{common_ancestor, nsec_covers};
use super::nsec3::{self, Nsec3Limits, Nsec3Outcome};
use super::nsec3_hash::{nsec3_hash_uncharged, owner_hash};
use crate::config::LimitsConfig;
use crate::resolver::budget::Budget;

/// Names hashed for one NSEC3 lookup at most (the hash-cost cap).
const MAX_NSEC3_NAMES: usize = 12;

/// NSEC ranges (or NSEC3 records) kept per zone.
const MAX_PER_ZONE: usize = 4_096;
/// Zones kept.
const MAX_ZONES: usize = 1_024;
/// Ranges kept over all zones (each NSEC or NSEC3 set, with its RRSIGs as
/// hickory records, is about 1 KiB): without it, 1,024 hostile zones of
/// 4,096 ranges each would be 4 GiB.
const MAX_TOTAL: usize = 32_768;

/// How many ranges a zone's entry holds.
trait RangeCount {
    fn count(&self) -> usize;
}

impl RangeCount for ZoneRanges {
    fn count(&self) -> usize {
        self.ranges.len()
    }
}

impl RangeCount for Nsec3Ranges {
    fn count(&self) -> usize {
        self.by_hash.len()
    }
}

/// Makes room in a full zone for `key`: drops the range after it in
/// canonical (or hash) order, wrapping around. O(log n), and as inserted
/// names are spread over the zone so are the evictions; which range goes
/// does not matter for correctness, the cache being an optimisation.
fn make_room<K: Ord + Clone, V>(map: &mut BTreeMap<K, V>, key: &K) {
    if map.len() < MAX_PER_ZONE || map.contains_key(key) {
        return;
    }
    let victim = map
        .range(key.clone()..)
        .next()
        .or_else(|| map.iter().next())
        .map(|(k, _)| k.clone());
    if let Some(k) = victim {
        map.remove(&k);
    }
}

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

/// One zone's validated NSEC3 records, by owner hash.
#[derive(Debug, Default)]
struct Nsec3Ranges {
    salt: Vec<u8>,
    iterations: u16,
    /// Owner hash → (the NSEC3 record and its RRSIGs, expiry).
    by_hash: BTreeMap<Vec<u8>, (Vec<Record>, u64)>,
    soa: Option<(Vec<Record>, u32, u64)>,
}

/// The validated NSEC and NSEC3 range cache.
#[derive(Debug, Default)]
pub struct NsecCache {
    zones: Mutex<HashMap<Name, ZoneRanges>>,
    nsec3: Mutex<HashMap<Name, Nsec3Ranges>>,
}

fn nsec_of(record: &Record) -> Option<&NSEC> {
    match &record.data {
        RData::DNSSEC(DNSSECRData::NSEC(n)) => Some(n),
        _ => None,
    }
}

/// The SOA of a zone with its negative TTL (RFC 2308 §5) and expiry.
fn soa_entry(soa: &[Record], expires_at: u64) -> (Vec<Record>, u32, u64) {
    let neg_ttl = soa
        .iter()
        .find_map(|r| match &r.data {
            RData::SOA(s) => Some(r.ttl.min(s.minimum)),
            _ => None,
        })
        .unwrap_or(0);
    (soa.to_vec(), neg_ttl, expires_at)
}

/// The deepest zone in `zones` whose records may deny (qname, qtype).
///
/// A DS RRset belongs to the parent side of a zone cut (RFC 4035 §2.4):
/// the child's apex NSEC or NSEC3 (SOA set, no DS) says nothing about it
/// (RFC 4035 Appendix B.8), so for DS the search starts at qname's parent.
fn deepest_zone<'a, T>(
    zones: &'a HashMap<Name, T>,
    qname: &Name,
    qtype: RecordType,
) -> Option<(Name, &'a T)> {
    // All labels, a leading `*` included (`trim_to` counts it too).
    let labels = qname.iter().count();
    let top = if qtype == RecordType::DS {
        labels.checked_sub(1)?
    } else {
        labels
    };
    (0..=top)
        .rev()
        .map(|l| qname.trim_to(l))
        .find_map(|z| zones.get(&z.to_lowercase()).map(|zr| (z, zr)))
}

/// The entry of `zone`, making room when too many zones or ranges are
/// kept, for `incoming` more ranges (the cache is an optimisation: dropping
/// it all is safe). Summing the counts is O(zones) ≤ [`MAX_ZONES`], once
/// per validated negative answer, not per client query.
fn bounded_entry<'a, T: Default + RangeCount>(
    zones: &'a mut HashMap<Name, T>,
    zone: &Name,
    incoming: usize,
) -> &'a mut T {
    let total: usize = zones.values().map(RangeCount::count).sum();
    if (zones.len() >= MAX_ZONES && !zones.contains_key(zone))
        || total.saturating_add(incoming) > MAX_TOTAL
    {
        zones.clear();
    }
    zones.entry(zone.to_lowercase()).or_default()
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
        let entry = bounded_entry(&mut zones, zone, nsec_sets.len());
        if let Some(soa) = soa {
            entry.soa = Some(soa_entry(soa, expires_at));
        }
        for set in nsec_sets {
            let Some((owner, nsec)) = set.iter().find_map(|r| nsec_of(r).map(|n| (&r.name, n)))
            else {
                continue;
            };
            let key = canonical_key(owner);
            make_room(&mut entry.ranges, &key);
            entry.ranges.insert(
                key,
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
        let (zone, zr) = deepest_zone(&zones, qname, qtype)?;
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
        self.nsec3.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Adds Secure NSEC3 RRsets (records + RRSIGs) and the Secure SOA of
    /// `zone`. Records whose parameters differ from the zone's current
    /// ones replace the set (a re-salted zone).
    pub fn insert_nsec3(
        &self,
        zone: &Name,
        sets: &[Vec<Record>],
        soa: Option<&[Record]>,
        expires_at: u64,
    ) {
        let mut zones = self.nsec3.lock().unwrap_or_else(|p| p.into_inner());
        let entry = bounded_entry(&mut zones, zone, sets.len());
        if let Some(soa) = soa {
            entry.soa = Some(soa_entry(soa, expires_at));
        }
        for set in sets {
            let Some((owner, rd)) = set.iter().find_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::NSEC3(n)) => Some((&r.name, n)),
                _ => None,
            }) else {
                continue;
            };
            let Some(hash) = owner_hash(owner) else {
                continue;
            };
            if rd.salt() != entry.salt.as_slice() || rd.iterations() != entry.iterations {
                entry.by_hash.clear();
                entry.salt = rd.salt().to_vec();
                entry.iterations = rd.iterations();
            }
            make_room(&mut entry.by_hash, &hash);
            entry.by_hash.insert(hash, (set.clone(), expires_at));
        }
    }

    /// RFC 8198 with NSEC3: NXDOMAIN or NODATA for (qname, qtype) from the
    /// cached records of the deepest zone holding some, proven by the same
    /// NSEC3 proof code as upstream answers.
    pub fn synthesize_nsec3(
        &self,
        qname: &Name,
        qtype: RecordType,
        now: u64,
        limits: &Nsec3Limits,
    ) -> Option<Synthesized> {
        let max_iterations = limits.max_iterations;
        let zones = self.nsec3.lock().unwrap_or_else(|p| p.into_inner());
        let (zone, zr) = deepest_zone(&zones, qname, qtype)?;
        if zr.iterations > max_iterations {
            return None;
        }
        let (soa, neg_ttl, soa_exp) = zr.soa.as_ref().filter(|s| s.2 > now)?;
        // The records a proof may need: for qname and each ancestor down to
        // the zone, the record matching or covering its hash, and the same
        // for the wildcard below each ancestor.
        let extra = usize::from(qname.num_labels().saturating_sub(zone.num_labels()));
        if extra + 1 > MAX_NSEC3_NAMES / 2 {
            return None;
        }
        let lookup = |name: &Name| -> Option<(&Vec<Record>, u64)> {
            // The proof below hashes the same names again: with the shared
            // memo that second pass costs nothing.
            let h = match &limits.hash_cache {
                Some(c) => c.hash_uncharged(name, &zr.salt, zr.iterations),
                None => nsec3_hash_uncharged(name, &zr.salt, zr.iterations),
            };
            let hit = zr
                .by_hash
                .range(..=h)
                .next_back()
                // Before the first hash: the last record wraps around.
                .or_else(|| zr.by_hash.iter().next_back())?;
            let (records, exp) = hit.1;
            (*exp > now).then_some((records, *exp))
        };
        let mut chosen: Vec<(&Vec<Record>, u64)> = Vec::new();
        for labels in (zone.num_labels()..=qname.num_labels()).rev() {
            let name = qname.trim_to(usize::from(labels));
            for candidate in [Some(name.clone()), name.prepend_label("*").ok()]
                .into_iter()
                .flatten()
            {
                if let Some(hit) = lookup(&candidate) {
                    if !chosen.iter().any(|(r, _)| std::ptr::eq(*r, hit.0)) {
                        chosen.push(hit);
                    }
                }
            }
        }
        if chosen.len() > nsec3::DEFAULT_MAX_RECORDS {
            chosen.truncate(nsec3::DEFAULT_MAX_RECORDS);
        }
        let records: Vec<Record> = chosen
            .iter()
            .flat_map(|(r, _)| r.iter())
            .filter(|r| r.record_type() == RecordType::NSEC3)
            .cloned()
            .collect();
        let limits = Nsec3Limits {
            max_iterations,
            hash_cache: limits.hash_cache.clone(),
            ..Nsec3Limits::default()
        };
        let budget = Budget::new(&LimitsConfig::default());
        let left = |exp: u64| u32::try_from(exp.saturating_sub(now)).unwrap_or(u32::MAX);
        let ttl = chosen
            .iter()
            .map(|(_, e)| left(*e))
            .fold((*neg_ttl).min(left(*soa_exp)), u32::min);
        let mut authority = soa.clone();
        authority.extend(chosen.iter().flat_map(|(r, _)| r.iter().cloned()));
        let secure =
            |o: Result<Nsec3Outcome, nsec3::Nsec3Error>| matches!(o, Ok(Nsec3Outcome::Secure(_)));
        if secure(nsec3::prove_nxdomain(
            &records, &zone, qname, &limits, &budget,
        )) {
            return Some(Synthesized::NxDomain { authority, ttl });
        }
        if secure(nsec3::prove_nodata(
            &records, &zone, qname, qtype, &limits, &budget,
        )) {
            return Some(Synthesized::NoData { authority, ttl });
        }
        None
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
    fn the_child_apex_nsec_does_not_deny_ds() {
        // RFC 4035 §2.4, Appendix B.8: the DS of example. is in the parent;
        // the apex NSEC (SOA set) of example. itself says nothing about it.
        let c = cache();
        assert!(c
            .synthesize(&n("example."), RecordType::DS, 1_000)
            .is_none());
        // The parent's own NSEC at the delegation does deny it.
        c.insert(
            &n("."),
            &[nsec(
                "example.",
                "f.",
                &[RecordType::NS, RecordType::NSEC, RecordType::RRSIG],
            )],
            Some(&[Record::from_rdata(
                Name::root(),
                3600,
                RData::SOA(SOA::new(n("a.root."), n("h.root."), 1, 2, 3, 4, 60)),
            )]),
            1_300,
        );
        assert!(matches!(
            c.synthesize(&n("example."), RecordType::DS, 1_000),
            Some(Synthesized::NoData { .. })
        ));
    }

    #[test]
    fn the_child_apex_nsec3_does_not_deny_ds() {
        use crate::dnssec::nsec3::test_vectors::{pick, rfc5155_chain};
        let c = NsecCache::new();
        let apex = pick(&rfc5155_chain(), &["0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"]);
        c.insert_nsec3(&n("example."), &[apex], Some(&soa()), 1_300);
        let limits = Nsec3Limits::default();
        assert!(c
            .synthesize_nsec3(&n("example."), RecordType::DS, 1_000, &limits)
            .is_none());
        assert!(matches!(
            c.synthesize_nsec3(&n("example."), RecordType::A, 1_000, &limits),
            Some(Synthesized::NoData { .. })
        ));
    }

    #[test]
    fn names_in_other_zones_are_not_answered() {
        assert!(cache()
            .synthesize(&n("b.example.net."), RecordType::A, 1_000)
            .is_none());
    }

    fn counts(c: &NsecCache) -> (usize, usize) {
        let zones = c.zones.lock().unwrap();
        (zones.len(), zones.values().map(RangeCount::count).sum())
    }

    #[test]
    fn a_full_zone_stays_at_its_bound_and_keeps_the_new_range() {
        let c = NsecCache::new();
        let zone = n("example.");
        let sets: Vec<Vec<Record>> = (0..MAX_PER_ZONE + 10)
            .map(|i| {
                nsec(
                    &format!("r{i:05}.example."),
                    &format!("r{i:05}a.example."),
                    &[],
                )
            })
            .collect();
        c.insert(&zone, &sets, Some(&soa()), 1_300);
        let (_, total) = counts(&c);
        assert_eq!(total, MAX_PER_ZONE);
        let last = format!("r{:05}.example.", MAX_PER_ZONE + 9);
        let zones = c.zones.lock().unwrap();
        assert!(zones[&zone].ranges.contains_key(&canonical_key(&n(&last))));
    }

    #[test]
    fn ranges_over_all_zones_stay_bounded() {
        let c = NsecCache::new();
        for z in 0..(MAX_TOTAL / 1_000 + 3) {
            let zone = format!("z{z}.test.");
            let sets: Vec<Vec<Record>> = (0..1_000)
                .map(|i| nsec(&format!("r{i}.{zone}"), &format!("r{i}a.{zone}"), &[]))
                .collect();
            c.insert(&n(&zone), &sets, None, 1_300);
            let (_, total) = counts(&c);
            assert!(total <= MAX_TOTAL, "{total} ranges");
        }
    }
}
