//! What one lookup step yields, as the resolver passes it around: RRsets
//! tagged with the zone that served them and their DNSSEC status, so the
//! validator knows which keys must have signed what, and the response
//! builder knows whether AD is earned.

use hickory_proto::rr::{Name, Record};

use super::rrset::{group, Rrset};
use crate::cache::rrset::NegativeKind;
use crate::dnssec::state::{ExtendedError, Security};

/// An RRset with the zone it came from and its security status.
/// `Security::Indeterminate` means "not validated (yet)".
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ZoneRrset {
    pub(crate) set: Rrset,
    pub(crate) zone: Name,
    pub(crate) security: Security,
    /// Why it is Bogus (or why a secure-looking zone is Insecure).
    pub(crate) why: Option<ExtendedError>,
}

impl ZoneRrset {
    pub(crate) fn new(set: Rrset, zone: &Name) -> Self {
        Self {
            set,
            zone: zone.clone(),
            security: Security::Indeterminate,
            why: None,
        }
    }

    /// RFC 4035 §5.3.3: validated data must not outlive the signature that
    /// validated it, in any cache (`bound` from `verify_rrset`).
    pub(crate) fn cap_ttl(&mut self, bound: u32) {
        for r in self
            .set
            .records
            .iter_mut()
            .chain(self.set.rrsigs.iter_mut())
        {
            r.ttl = r.ttl.min(bound);
        }
    }

    /// Rebuilds tagged RRsets from flat records (a cache entry).
    pub(crate) fn from_records(
        records: &[Record],
        zone: &Name,
        security: Security,
        why: &Option<ExtendedError>,
    ) -> Vec<Self> {
        group(records)
            .into_iter()
            .map(|set| Self {
                set,
                zone: zone.clone(),
                security,
                why: why.clone(),
            })
            .collect()
    }
}

/// Flattens tagged RRsets into records (each RRset followed by its RRSIGs).
pub(crate) fn flatten(sets: &[ZoneRrset]) -> Vec<Record> {
    sets.iter()
        .flat_map(|s| s.set.all_records().cloned())
        .collect()
}

/// The first explanation among RRsets as bad as `security`.
pub(crate) fn reason(sets: &[ZoneRrset], security: Security) -> Option<ExtendedError> {
    sets.iter()
        .filter(|s| s.security == security)
        .find_map(|s| s.why.clone())
}

/// The combined status of several RRsets: as secure as the weakest.
/// An empty list is Secure (nothing to distrust).
pub(crate) fn combined(sets: &[ZoneRrset]) -> Security {
    sets.iter()
        .map(|s| s.security)
        .fold(Security::Secure, Security::and)
}

/// What one lookup step found for (name, type).
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// The RRset asked for. `proofs`: NSEC/NSEC3 showing that a wildcard
    /// answer's name does not exist itself (RFC 4035 §5.3.4).
    Data {
        answer: ZoneRrset,
        proofs: Vec<ZoneRrset>,
    },
    /// A CNAME, or a DNAME plus the CNAME we synthesized from it; go on at
    /// `target`.
    Alias {
        answer: Vec<ZoneRrset>,
        proofs: Vec<ZoneRrset>,
        target: Name,
    },
    /// No such name, or no such data: SOA and NSEC/NSEC3 proofs.
    Negative {
        kind: NegativeKind,
        authority: Vec<ZoneRrset>,
        zone: Name,
    },
}

impl Step {
    /// Data that only answers a client: not Bogus (kept for CD=1 retries,
    /// RFC 9520 §3) and not of a type resolution reads back from the cache
    /// (NS for zone cuts, DS and DNSKEY for chains of trust, SOA and CNAME
    /// /DNAME for negative answers and aliases).
    pub(crate) fn is_leaf_data(&self) -> bool {
        use hickory_proto::rr::RecordType::{CNAME, DNAME, DNSKEY, DS, NS, SOA};
        match self {
            Step::Data { answer, .. } => {
                answer.security != Security::Bogus
                    && !matches!(answer.set.rtype, NS | DS | DNSKEY | SOA | CNAME | DNAME)
            }
            Step::Alias { .. } | Step::Negative { .. } => false,
        }
    }
}
