//! NSEC3 proofs: NXDOMAIN, NODATA, wildcard, opt-out (RFC 5155 §8).
//!
//! Like [`super::nsec`], this decides what already-verified NSEC3 records
//! prove; it checks no signatures. The caller passes the NSEC3 records of a
//! response (those whose RRSIGs verified), the zone they were signed by, the
//! [`Nsec3Limits`] and the query's [`Budget`].
//!
//! Before any hashing, the records are screened ([`Nsec3Set::new`]):
//! - more than [`Nsec3Limits::max_records`] NSEC3 records in the response
//!   is an error (CVE-2023-50868: each one can cost a closest-encloser walk);
//! - records of another zone, or whose hashes are not SHA-1 sized, are
//!   ignored (RFC 5155 §8.2; hickory already refuses unknown hash
//!   algorithms and flags other than Opt-Out when parsing);
//! - the remaining records must share hash algorithm, salt and iterations
//!   (RFC 5155 §8.2), or the proof is refused;
//! - iterations above [`Nsec3Limits::max_iterations`] make the answer
//!   Insecure (RFC 9276 §3.2), reported as EDE 27.
//!
//! An opt-out span covering the next closer name never yields Secure: the
//! name may be an unsigned delegation (RFC 5155 §6), so NXDOMAIN, DS NODATA,
//! wildcard and referral proofs relying on it are [`Nsec3Outcome::Insecure`].

use std::cell::RefCell;
use std::sync::Arc;

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC3};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::nsec::{is_at_or_below, name_eq, wildcard_source};
use super::nsec3_closest_encloser::prove_closest_encloser;
use super::nsec3_hash::{nsec3_hash, owner_hash, SHA1_HASH_LEN};
use super::nsec3_hash_cache::Nsec3HashCache;
use super::state::{EdeCode, ExtendedError};
use crate::config::DnssecConfig;
use crate::resolver::budget::{Budget, BudgetExhausted};

/// RFC 9276 §3.2 lets a validator treat NSEC3 records whose iteration
/// count is above a limit of its choosing as insecure; 50 follows the
/// deployed resolvers (signers should use 0, RFC 9276 §3.1).
pub const DEFAULT_MAX_ITERATIONS: u16 = 50;

/// At most this many NSEC3 records are looked at in one response
/// (CVE-2023-50868; a full NXDOMAIN proof needs three, wildcard answers
/// across a CNAME chain a few more).
pub const DEFAULT_MAX_RECORDS: usize = 8;

/// Limits applied to every NSEC3 proof, and the shared hash memo the
/// proof may draw on.
#[derive(Clone, Debug)]
pub struct Nsec3Limits {
    /// Iterations above this make the proof Insecure (EDE 27).
    pub max_iterations: u16,
    /// More NSEC3 records than this in one response is an error.
    pub max_records: usize,
    /// Hashes already computed for earlier responses (issue: one hash per
    /// (salt, iterations, name) per cache lifetime). `None`: hash every time.
    pub hash_cache: Option<Arc<Nsec3HashCache>>,
}

impl Nsec3Limits {
    /// The limits configured in `[dnssec]` (the record limit is fixed).
    pub fn from_config(config: &DnssecConfig) -> Self {
        Self {
            max_iterations: config.nsec3_max_iterations,
            max_records: DEFAULT_MAX_RECORDS,
            hash_cache: None,
        }
    }
}

impl Default for Nsec3Limits {
    fn default() -> Self {
        Self {
            max_iterations: DEFAULT_MAX_ITERATIONS,
            max_records: DEFAULT_MAX_RECORDS,
            hash_cache: None,
        }
    }
}

/// Why a set of NSEC3 records proves nothing: the answer is Bogus.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Nsec3Error {
    #[error("{count} NSEC3 records in one response (at most {max} are considered)")]
    TooManyRecords { count: usize, max: usize },
    #[error("no usable NSEC3 record of zone {zone}")]
    NoUsableNsec3 { zone: Box<Name> },
    #[error("NSEC3 records of zone {zone} disagree on hash algorithm, salt or iterations")]
    MixedParameters { zone: Box<Name> },
    #[error(transparent)]
    Budget(#[from] BudgetExhausted),
    #[error("{name} is not in zone {zone}")]
    OutOfZone { name: Box<Name>, zone: Box<Name> },
    #[error("an NSEC3 matches {name}: the name exists")]
    NameExists { name: Box<Name> },
    #[error("no NSEC3 matches any ancestor of {name}: no closest encloser")]
    NoClosestEncloser { name: Box<Name> },
    #[error("no NSEC3 covers the next closer name {next_closer}")]
    NextCloserNotCovered { next_closer: Box<Name> },
    #[error("the NSEC3 of {owner} is from the parent side of a zone cut and cannot deny {name}")]
    AncestorDelegation { owner: Box<Name>, name: Box<Name> },
    #[error("the NSEC3 of {owner} has the DNAME bit and cannot deny {name} below it")]
    DnameAncestor { owner: Box<Name>, name: Box<Name> },
    #[error("no NSEC3 matches {name}")]
    NoMatchingNsec3 { name: Box<Name> },
    #[error("the NSEC3 of {name} lists type {rtype}")]
    TypeInBitmap { name: Box<Name>, rtype: RecordType },
    #[error("the NSEC3 of {name} lists CNAME")]
    CnameInBitmap { name: Box<Name> },
    #[error("wildcard {wildcard} is not denied")]
    WildcardNotDenied { wildcard: Box<Name> },
    #[error("no NSEC3 matches the wildcard {wildcard}")]
    WildcardNsec3Missing { wildcard: Box<Name> },
    #[error("the NSEC3 covering {next_closer} lacks the Opt-Out flag")]
    OptOutNotSet { next_closer: Box<Name> },
    #[error("the NSEC3 of {name} has no NS bit: not a delegation")]
    NotADelegation { name: Box<Name> },
    #[error("the NSEC3 of {name} has the SOA bit: it is from the child zone")]
    ChildSideNsec3 { name: Box<Name> },
    #[error("RRSIG labels {labels} do not make {name} a wildcard expansion")]
    NotAWildcardExpansion { name: Box<Name>, labels: u8 },
    #[error("cannot form a name: {0}")]
    BadName(String),
}

impl Nsec3Error {
    /// The Extended DNS Error code for a response whose denial failed this
    /// way (RFC 8914 §5.2): NSEC Missing when a needed record is absent,
    /// Other for an exhausted work budget, DNSSEC Bogus otherwise.
    pub fn ede_code(&self) -> EdeCode {
        match self {
            Nsec3Error::NoUsableNsec3 { .. }
            | Nsec3Error::NoClosestEncloser { .. }
            | Nsec3Error::NextCloserNotCovered { .. }
            | Nsec3Error::NoMatchingNsec3 { .. }
            | Nsec3Error::WildcardNotDenied { .. }
            | Nsec3Error::WildcardNsec3Missing { .. } => EdeCode::NsecMissing,
            Nsec3Error::Budget(_) => EdeCode::Other,
            _ => EdeCode::DnssecBogus,
        }
    }
}

/// Why an NSEC3 proof leaves the answer Insecure rather than Secure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsecureReason {
    /// The next closer name falls in an opt-out span (RFC 5155 §6).
    OptOut { next_closer: Box<Name> },
    /// The zone's iteration count is above our cap (RFC 9276 §3.2).
    IterationsAboveCap { iterations: u16, cap: u16 },
}

impl InsecureReason {
    /// The Extended DNS Error code to attach, if any: EDE 27 (Unsupported NSEC3
    /// Iterations Value, RFC 9276 §3.2) for the iteration cap. Opt-out is
    /// ordinary insecurity and carries none.
    pub fn ede_code(&self) -> Option<EdeCode> {
        match self {
            InsecureReason::OptOut { .. } => None,
            InsecureReason::IterationsAboveCap { .. } => Some(EdeCode::UnsupportedNsec3Iterations),
        }
    }

    /// [`InsecureReason::ede_code`] with an EXTRA-TEXT naming the zone.
    pub fn extended_error(&self, zone: &Name) -> Option<ExtendedError> {
        match self {
            InsecureReason::OptOut { .. } => None,
            InsecureReason::IterationsAboveCap { iterations, cap } => Some(ExtendedError::new(
                EdeCode::UnsupportedNsec3Iterations,
                format!("{zone}: NSEC3 iterations {iterations} above limit {cap}"),
            )),
        }
    }
}

/// What a Secure NSEC3 proof established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nsec3Proof {
    /// QNAME does not exist, nor does the wildcard at its closest encloser.
    NameError {
        closest_encloser: Name,
        next_closer: Name,
    },
    /// QNAME exists without the queried type (RFC 5155 §8.5, §8.6).
    NoData,
    /// QNAME does not exist; the wildcard at its closest encloser does, but
    /// without the queried type (RFC 5155 §8.7).
    WildcardNoData {
        closest_encloser: Name,
        wildcard: Name,
    },
    /// A wildcard expansion was legitimate: the next closer name does not
    /// exist (RFC 5155 §8.8).
    WildcardAnswer {
        closest_encloser: Name,
        next_closer: Name,
    },
    /// The NSEC3 at a delegation point shows NS without DS (RFC 5155 §8.9).
    InsecureDelegation,
}

/// The result of an NSEC3 proof that did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nsec3Outcome {
    Secure(Nsec3Proof),
    Insecure(InsecureReason),
}

/// One screened NSEC3 record.
#[derive(Clone, Copy, Debug)]
pub struct Nsec3Entry<'a> {
    owner: &'a Name,
    hash: &'a [u8],
    rdata: &'a NSEC3,
}

impl<'a> Nsec3Entry<'a> {
    /// The NSEC3's owner name (`base32hex(hash).zone`).
    pub fn owner(&self) -> &'a Name {
        self.owner
    }

    /// The record data.
    pub fn rdata(&self) -> &'a NSEC3 {
        self.rdata
    }

    /// Whether `t` is in the type bitmap.
    pub fn has(&self, t: RecordType) -> bool {
        self.rdata.type_set().contains(t)
    }

    /// RFC 6840 §4.1: the NSEC3 of a delegation point seen from the parent
    /// (NS set, SOA clear), which denies nothing but DS there and nothing
    /// below it.
    pub fn is_parent_side(&self) -> bool {
        self.has(RecordType::NS) && !self.has(RecordType::SOA)
    }

    /// The Opt-Out flag.
    pub fn opt_out(&self) -> bool {
        self.rdata.opt_out()
    }

    fn matches(&self, hash: &[u8]) -> bool {
        self.hash == hash
    }

    /// Is `hash` strictly between this owner's hash and the next hash, in
    /// the circular hash order (the last NSEC3 points back to the first)?
    fn covers(&self, hash: &[u8]) -> bool {
        let next = self.rdata.next_hashed_owner_name();
        if self.hash < next {
            self.hash < hash && hash < next
        } else {
            // The wrap-around record, or the only record of the zone.
            hash > self.hash || hash < next
        }
    }
}

/// A screened record with its owner hash decoded.
#[derive(Debug)]
struct Stored<'a> {
    owner: &'a Name,
    rdata: &'a NSEC3,
    hash: Vec<u8>,
}

/// The NSEC3 records of one zone from one response, screened and with a
/// cache of the hashes computed so far (each name is hashed once).
#[derive(Debug)]
pub struct Nsec3Set<'a> {
    zone: Name,
    entries: Vec<Stored<'a>>,
    salt: Vec<u8>,
    iterations: u16,
    hashes: RefCell<Vec<(Name, Vec<u8>)>>,
    shared: Option<Arc<Nsec3HashCache>>,
}

impl<'a> Nsec3Set<'a> {
    /// Screens the NSEC3 records among `records` for `zone` (see the module
    /// documentation). Does not apply the iteration cap; see
    /// [`Nsec3Set::iterations`].
    pub fn new(
        records: &'a [Record],
        zone: &Name,
        limits: &Nsec3Limits,
    ) -> Result<Self, Nsec3Error> {
        let all: Vec<(&'a Name, &'a NSEC3)> = records
            .iter()
            .filter_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::NSEC3(rdata)) => Some((&r.name, rdata)),
                _ => None,
            })
            .collect();
        if all.len() > limits.max_records {
            return Err(Nsec3Error::TooManyRecords {
                count: all.len(),
                max: limits.max_records,
            });
        }
        let mut entries = Vec::new();
        for (owner, rdata) in all {
            // RFC 5155 §8.2 / §3: the owner is one hash label on the zone.
            if owner.iter().count() != zone.iter().count() + 1 || !name_eq(&owner.base_name(), zone)
            {
                continue;
            }
            let Some(hash) = owner_hash(owner) else {
                continue;
            };
            if hash.len() != SHA1_HASH_LEN || rdata.next_hashed_owner_name().len() != SHA1_HASH_LEN
            {
                continue;
            }
            entries.push(Stored { owner, rdata, hash });
        }
        let Some(first) = entries.first().map(|e| e.rdata) else {
            return Err(Nsec3Error::NoUsableNsec3 {
                zone: Box::new(zone.clone()),
            });
        };
        let (alg, salt, iterations) = (
            first.hash_algorithm(),
            first.salt().to_vec(),
            first.iterations(),
        );
        if entries.iter().map(|e| e.rdata).any(|r| {
            r.hash_algorithm() != alg || r.salt() != salt.as_slice() || r.iterations() != iterations
        }) {
            return Err(Nsec3Error::MixedParameters {
                zone: Box::new(zone.clone()),
            });
        }
        Ok(Self {
            zone: zone.clone(),
            entries,
            salt,
            iterations,
            hashes: RefCell::new(Vec::new()),
            shared: limits.hash_cache.clone(),
        })
    }

    /// The zone the records belong to.
    pub fn zone(&self) -> &Name {
        &self.zone
    }

    /// The common iteration count of the records.
    pub fn iterations(&self) -> u16 {
        self.iterations
    }

    /// Number of usable records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no record is usable (never, for a constructed set).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The hash of `name` with the zone's parameters, taken from the shared
    /// memo when an earlier response computed it, else computed (and charged
    /// to `budget`) only the first time it is asked for.
    pub fn hash(&self, name: &Name, budget: &Budget) -> Result<Vec<u8>, BudgetExhausted> {
        if let Some((_, h)) = self.hashes.borrow().iter().find(|(n, _)| name_eq(n, name)) {
            return Ok(h.clone());
        }
        let shared = self.shared.as_deref();
        let h = match shared.and_then(|c| c.get(name, &self.salt, self.iterations)) {
            Some(h) => h,
            None => {
                let h = nsec3_hash(name, &self.salt, self.iterations, budget)?;
                if let Some(c) = shared {
                    c.insert(name, &self.salt, self.iterations, &h);
                }
                h
            }
        };
        self.hashes.borrow_mut().push((name.clone(), h.clone()));
        Ok(h)
    }

    fn iter(&self) -> impl Iterator<Item = Nsec3Entry<'_>> + '_ {
        self.entries.iter().map(|e| Nsec3Entry {
            owner: e.owner,
            hash: e.hash.as_slice(),
            rdata: e.rdata,
        })
    }

    /// The NSEC3 whose owner is the hash of `name`, if any.
    pub fn find_match(
        &self,
        name: &Name,
        budget: &Budget,
    ) -> Result<Option<Nsec3Entry<'_>>, BudgetExhausted> {
        let h = self.hash(name, budget)?;
        Ok(self.iter().find(|e| e.matches(&h)))
    }

    /// An NSEC3 covering the hash of `name`, if any.
    pub fn find_cover(
        &self,
        name: &Name,
        budget: &Budget,
    ) -> Result<Option<Nsec3Entry<'_>>, BudgetExhausted> {
        let h = self.hash(name, budget)?;
        Ok(self.iter().find(|e| e.covers(&h)))
    }
}

/// The screened set, or the reason the zone's NSEC3 parameters make any
/// answer from it Insecure.
enum Prepared<'a> {
    Set(Nsec3Set<'a>),
    Insecure(InsecureReason),
}

fn prepare<'a>(
    records: &'a [Record],
    zone: &Name,
    limits: &Nsec3Limits,
) -> Result<Prepared<'a>, Nsec3Error> {
    let set = Nsec3Set::new(records, zone, limits)?;
    // RFC 9276 §3.2: checked before any hash is computed, so a zone with
    // absurd iterations costs nothing.
    if set.iterations() > limits.max_iterations {
        return Ok(Prepared::Insecure(InsecureReason::IterationsAboveCap {
            iterations: set.iterations(),
            cap: limits.max_iterations,
        }));
    }
    Ok(Prepared::Set(set))
}

/// Runs `proof` on the prepared set, short-circuiting the iteration cap.
fn with_set<'a>(
    records: &'a [Record],
    zone: &Name,
    limits: &Nsec3Limits,
    proof: impl FnOnce(&Nsec3Set<'a>) -> Result<Nsec3Outcome, Nsec3Error>,
) -> Result<Nsec3Outcome, Nsec3Error> {
    match prepare(records, zone, limits)? {
        Prepared::Insecure(reason) => Ok(Nsec3Outcome::Insecure(reason)),
        Prepared::Set(set) => proof(&set),
    }
}

fn ensure_in_zone(name: &Name, zone: &Name) -> Result<(), Nsec3Error> {
    if is_at_or_below(name, zone) {
        Ok(())
    } else {
        Err(Nsec3Error::OutOfZone {
            name: Box::new(name.clone()),
            zone: Box::new(zone.clone()),
        })
    }
}

fn wildcard_of(name: &Name) -> Result<Name, Nsec3Error> {
    name.prepend_label("*")
        .map_err(|e| Nsec3Error::BadName(e.to_string()))
}

/// The bitmap must lack `qtype` and CNAME (RFC 5155 §8.5, §8.6, §8.7).
fn check_bitmap(e: Nsec3Entry<'_>, name: &Name, qtype: RecordType) -> Result<(), Nsec3Error> {
    if e.has(qtype) {
        return Err(Nsec3Error::TypeInBitmap {
            name: Box::new(name.clone()),
            rtype: qtype,
        });
    }
    if e.has(RecordType::CNAME) {
        return Err(Nsec3Error::CnameInBitmap {
            name: Box::new(name.clone()),
        });
    }
    Ok(())
}

fn opt_out(next_closer: Name) -> Nsec3Outcome {
    Nsec3Outcome::Insecure(InsecureReason::OptOut {
        next_closer: Box::new(next_closer),
    })
}

/// Name error (RFC 5155 §8.4): a closest-encloser proof for `qname` and an
/// NSEC3 covering the wildcard at the closest encloser. Insecure if the
/// next closer name is in an opt-out span.
pub fn prove_nxdomain(
    records: &[Record],
    zone: &Name,
    qname: &Name,
    limits: &Nsec3Limits,
    budget: &Budget,
) -> Result<Nsec3Outcome, Nsec3Error> {
    ensure_in_zone(qname, zone)?;
    with_set(records, zone, limits, |set| {
        let ce = prove_closest_encloser(set, qname, budget)?;
        let wildcard = wildcard_of(&ce.closest_encloser)?;
        if set.find_match(&wildcard, budget)?.is_some()
            || set.find_cover(&wildcard, budget)?.is_none()
        {
            return Err(Nsec3Error::WildcardNotDenied {
                wildcard: Box::new(wildcard),
            });
        }
        if ce.next_closer_opt_out {
            return Ok(opt_out(ce.next_closer));
        }
        Ok(Nsec3Outcome::Secure(Nsec3Proof::NameError {
            closest_encloser: ce.closest_encloser,
            next_closer: ce.next_closer,
        }))
    })
}

/// No data (RFC 5155 §8.5): an NSEC3 matching `qname` whose bitmap lacks
/// `qtype` and CNAME. For `qtype` DS this is [`prove_ds_nodata`]. The NSEC3
/// of a delegation point seen from the parent (NS set, SOA clear) proves
/// only the absence of DS (RFC 6840 §4.1) and is refused here.
///
/// Without a matching NSEC3, `qname` may be an empty non-terminal that
/// exists only above opt-out delegations (RFC 5155 §7.1 lets the zone omit
/// its NSEC3) or lie beneath an opt-out delegation: a closest-encloser
/// proof whose next closer is in an opt-out span makes the answer Insecure
/// (as Unbound does, RFC 5155 §9.2); anything else fails.
pub fn prove_nodata(
    records: &[Record],
    zone: &Name,
    qname: &Name,
    qtype: RecordType,
    limits: &Nsec3Limits,
    budget: &Budget,
) -> Result<Nsec3Outcome, Nsec3Error> {
    if qtype == RecordType::DS {
        return prove_ds_nodata(records, zone, qname, limits, budget);
    }
    ensure_in_zone(qname, zone)?;
    with_set(records, zone, limits, |set| {
        let Some(e) = set.find_match(qname, budget)? else {
            let no_match = || Nsec3Error::NoMatchingNsec3 {
                name: Box::new(qname.clone()),
            };
            return match prove_closest_encloser(set, qname, budget) {
                Ok(ce) if ce.next_closer_opt_out => Ok(opt_out(ce.next_closer)),
                Err(Nsec3Error::Budget(b)) => Err(Nsec3Error::Budget(b)),
                Ok(_) | Err(_) => Err(no_match()),
            };
        };
        check_bitmap(e, qname, qtype)?;
        if e.is_parent_side() {
            return Err(Nsec3Error::AncestorDelegation {
                owner: Box::new(qname.clone()),
                name: Box::new(qname.clone()),
            });
        }
        Ok(Nsec3Outcome::Secure(Nsec3Proof::NoData))
    })
}

/// No DS at `qname` (RFC 5155 §8.6): either an NSEC3 matching `qname`
/// without DS and CNAME (Secure), or a closest-encloser proof whose next
/// closer is covered by an opt-out NSEC3 (Insecure; without opt-out the
/// proof fails).
pub fn prove_ds_nodata(
    records: &[Record],
    zone: &Name,
    qname: &Name,
    limits: &Nsec3Limits,
    budget: &Budget,
) -> Result<Nsec3Outcome, Nsec3Error> {
    ensure_in_zone(qname, zone)?;
    with_set(records, zone, limits, |set| {
        if let Some(e) = set.find_match(qname, budget)? {
            check_bitmap(e, qname, RecordType::DS)?;
            return Ok(Nsec3Outcome::Secure(Nsec3Proof::NoData));
        }
        let ce = prove_closest_encloser(set, qname, budget)?;
        if ce.next_closer_opt_out {
            Ok(opt_out(ce.next_closer))
        } else {
            Err(Nsec3Error::OptOutNotSet {
                next_closer: Box::new(ce.next_closer),
            })
        }
    })
}

/// Wildcard no data (RFC 5155 §8.7): a closest-encloser proof for `qname`
/// and an NSEC3 matching the wildcard at the closest encloser whose bitmap
/// lacks `qtype` and CNAME. Insecure if the next closer is in an opt-out
/// span.
pub fn prove_wildcard_nodata(
    records: &[Record],
    zone: &Name,
    qname: &Name,
    qtype: RecordType,
    limits: &Nsec3Limits,
    budget: &Budget,
) -> Result<Nsec3Outcome, Nsec3Error> {
    ensure_in_zone(qname, zone)?;
    with_set(records, zone, limits, |set| {
        let ce = prove_closest_encloser(set, qname, budget)?;
        let wildcard = wildcard_of(&ce.closest_encloser)?;
        let e =
            set.find_match(&wildcard, budget)?
                .ok_or_else(|| Nsec3Error::WildcardNsec3Missing {
                    wildcard: Box::new(wildcard.clone()),
                })?;
        check_bitmap(e, &wildcard, qtype)?;
        // RFC 6840 §4.1: a parent-side NSEC3 denies nothing but DS.
        if qtype != RecordType::DS && e.is_parent_side() {
            return Err(Nsec3Error::AncestorDelegation {
                owner: Box::new(wildcard.clone()),
                name: Box::new(qname.clone()),
            });
        }
        if ce.next_closer_opt_out {
            return Ok(opt_out(ce.next_closer));
        }
        Ok(Nsec3Outcome::Secure(Nsec3Proof::WildcardNoData {
            closest_encloser: ce.closest_encloser,
            wildcard,
        }))
    })
}

/// A positive answer for `qname` was expanded from a wildcard: its RRSIG
/// has `rrsig_labels` labels, fewer than `qname` (RFC 4035 §5.3.4). The
/// closest encloser is `qname` cut to that many labels, and the next closer
/// name must be covered by an NSEC3 (RFC 5155 §8.8). Insecure if that NSEC3
/// has opt-out.
pub fn prove_wildcard_answer(
    records: &[Record],
    zone: &Name,
    qname: &Name,
    rrsig_labels: u8,
    limits: &Nsec3Limits,
    budget: &Budget,
) -> Result<Nsec3Outcome, Nsec3Error> {
    ensure_in_zone(qname, zone)?;
    let closest_encloser =
        wildcard_source(qname, rrsig_labels).ok_or_else(|| Nsec3Error::NotAWildcardExpansion {
            name: Box::new(qname.clone()),
            labels: rrsig_labels,
        })?;
    ensure_in_zone(&closest_encloser, zone)?;
    let next_closer = qname.trim_to(usize::from(rrsig_labels) + 1);
    with_set(records, zone, limits, |set| {
        let cover = set.find_cover(&next_closer, budget)?.ok_or_else(|| {
            Nsec3Error::NextCloserNotCovered {
                next_closer: Box::new(next_closer.clone()),
            }
        })?;
        if cover.opt_out() {
            return Ok(opt_out(next_closer));
        }
        Ok(Nsec3Outcome::Secure(Nsec3Proof::WildcardAnswer {
            closest_encloser,
            next_closer,
        }))
    })
}

/// A referral to `delegation` leads to an unsigned zone (RFC 5155 §8.9):
/// either the NSEC3 matching the delegation has NS, no DS and no SOA
/// (Secure: provably unsigned, RFC 6840 §4.4), or a closest-encloser proof
/// whose next closer is covered by an opt-out NSEC3 (Insecure).
pub fn prove_insecure_delegation(
    records: &[Record],
    zone: &Name,
    delegation: &Name,
    limits: &Nsec3Limits,
    budget: &Budget,
) -> Result<Nsec3Outcome, Nsec3Error> {
    ensure_in_zone(delegation, zone)?;
    with_set(records, zone, limits, |set| {
        if let Some(e) = set.find_match(delegation, budget)? {
            let name = || Box::new(delegation.clone());
            if !e.has(RecordType::NS) {
                return Err(Nsec3Error::NotADelegation { name: name() });
            }
            if e.has(RecordType::SOA) {
                return Err(Nsec3Error::ChildSideNsec3 { name: name() });
            }
            check_bitmap(e, delegation, RecordType::DS)?;
            return Ok(Nsec3Outcome::Secure(Nsec3Proof::InsecureDelegation));
        }
        let ce = prove_closest_encloser(set, delegation, budget)?;
        if ce.next_closer_opt_out {
            Ok(opt_out(ce.next_closer))
        } else {
            Err(Nsec3Error::OptOutNotSet {
                next_closer: Box::new(ce.next_closer),
            })
        }
    })
}

/// RFC 5155 Appendix A/B test vectors, shared with the other NSEC3 modules'
/// unit tests.
#[cfg(test)]
pub(crate) mod test_vectors {
    use hickory_proto::dnssec::Nsec3HashAlgorithm;
    use hickory_proto::rr::RecordType::{
        self, A, AAAA, DNSKEY, DS, HINFO, MX, NS, NSEC3PARAM, RRSIG, SOA,
    };

    use super::*;
    use crate::dnssec::nsec3_hash::base32hex_decode;

    pub(crate) fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    pub(crate) const SALT: [u8; 4] = [0xaa, 0xbb, 0xcc, 0xdd];

    pub(crate) fn nsec3_with(
        owner: &str,
        zone: &str,
        next: &str,
        types: &[RecordType],
        opt_out: bool,
        iterations: u16,
        salt: &[u8],
    ) -> Record {
        Record::from_rdata(
            n(&format!("{owner}.{zone}")),
            3600,
            RData::DNSSEC(DNSSECRData::NSEC3(NSEC3::new(
                Nsec3HashAlgorithm::SHA1,
                opt_out,
                iterations,
                salt.to_vec(),
                base32hex_decode(next.as_bytes()).unwrap(),
                types.iter().copied(),
            ))),
        )
    }

    /// The NSEC3 chain of the RFC 5155 Appendix A zone (flags 1 = opt-out,
    /// 12 iterations, salt aabbccdd).
    pub(crate) fn rfc5155_chain() -> Vec<Record> {
        let nsec3 =
            |o: &str, x: &str, t: &[RecordType]| nsec3_with(o, "example.", x, t, true, 12, &SALT);
        vec![
            nsec3(
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
                "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
                &[MX, DNSKEY, NS, SOA, NSEC3PARAM, RRSIG],
            ),
            nsec3(
                "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
                "2vptu5timamqttgl4luu9kg21e0aor3s",
                &[A, RRSIG],
            ),
            nsec3(
                "2vptu5timamqttgl4luu9kg21e0aor3s",
                "35mthgpgcu1qg68fab165klnsnk3dpvl",
                &[MX, RRSIG],
            ),
            nsec3(
                "35mthgpgcu1qg68fab165klnsnk3dpvl",
                "b4um86eghhds6nea196smvmlo4ors995",
                &[NS, DS, RRSIG],
            ),
            nsec3(
                "b4um86eghhds6nea196smvmlo4ors995",
                "gjeqe526plbf1g8mklp59enfd789njgi",
                &[MX, RRSIG],
            ),
            nsec3(
                "gjeqe526plbf1g8mklp59enfd789njgi",
                "ji6neoaepv8b5o6k4ev33abha8ht9fgc",
                &[A, HINFO, AAAA, RRSIG],
            ),
            nsec3(
                "ji6neoaepv8b5o6k4ev33abha8ht9fgc",
                "k8udemvp1j2f7eg6jebps17vp3n8i58h",
                &[],
            ),
            nsec3(
                "k8udemvp1j2f7eg6jebps17vp3n8i58h",
                "kohar7mbb8dc2ce8a9qvl8hon4k53uhi",
                &[],
            ),
            nsec3(
                "kohar7mbb8dc2ce8a9qvl8hon4k53uhi",
                "q04jkcevqvmu85r014c7dkba38o0ji5r",
                &[A, RRSIG],
            ),
            nsec3(
                "q04jkcevqvmu85r014c7dkba38o0ji5r",
                "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
                &[A, RRSIG],
            ),
            nsec3(
                "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
                "t644ebqk9bibcna874givr6joj62mlhv",
                &[MX, RRSIG],
            ),
            nsec3(
                "t644ebqk9bibcna874givr6joj62mlhv",
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
                &[A, HINFO, AAAA, RRSIG],
            ),
        ]
    }

    /// The records of `chain` whose owner's first label is in `hashes`.
    pub(crate) fn pick(chain: &[Record], hashes: &[&str]) -> Vec<Record> {
        hashes
            .iter()
            .map(|h| {
                chain
                    .iter()
                    .find(|r| r.name.iter().next() == Some(h.as_bytes()))
                    .unwrap()
                    .clone()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_vectors::*;
    use super::*;
    use crate::config::LimitsConfig;
    use RecordType::{A, AAAA, CNAME, DS, MX, NS};

    fn budget() -> Budget {
        Budget::new(&LimitsConfig::default())
    }

    fn lim() -> Nsec3Limits {
        Nsec3Limits::default()
    }

    const APEX: &str = "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom";
    const NS1: &str = "2t7b4g4vsa5smi47k61mv5bv1a22bojr";
    const A_EX: &str = "35mthgpgcu1qg68fab165klnsnk3dpvl";
    const X_W: &str = "b4um86eghhds6nea196smvmlo4ors995";
    const Y_W: &str = "ji6neoaepv8b5o6k4ev33abha8ht9fgc";
    const W: &str = "k8udemvp1j2f7eg6jebps17vp3n8i58h";
    const NS2: &str = "q04jkcevqvmu85r014c7dkba38o0ji5r";
    const STAR_W: &str = "r53bq7cc2uvmubfu5ocmm6pers9tk9en";

    fn zone() -> Name {
        n("example.")
    }

    /// The appendix zone uses opt-out everywhere; the same chain without it.
    fn without_opt_out(records: &[Record]) -> Vec<Record> {
        records
            .iter()
            .map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::NSEC3(x)) => Record::from_rdata(
                    r.name.clone(),
                    r.ttl,
                    RData::DNSSEC(DNSSECRData::NSEC3(NSEC3::new(
                        x.hash_algorithm(),
                        false,
                        x.iterations(),
                        x.salt().to_vec(),
                        x.next_hashed_owner_name().to_vec(),
                        x.type_bit_maps(),
                    ))),
                ),
                _ => r.clone(),
            })
            .collect()
    }

    #[test]
    fn b1_name_error() {
        let proof = without_opt_out(&pick(&rfc5155_chain(), &[APEX, X_W, A_EX]));
        let out =
            prove_nxdomain(&proof, &zone(), &n("a.c.x.w.example."), &lim(), &budget()).unwrap();
        assert_eq!(
            out,
            Nsec3Outcome::Secure(Nsec3Proof::NameError {
                closest_encloser: n("x.w.example."),
                next_closer: n("c.x.w.example."),
            })
        );
        // As published (opt-out set on the next closer's cover): insecure.
        let proof = pick(&rfc5155_chain(), &[APEX, X_W, A_EX]);
        assert!(matches!(
            prove_nxdomain(&proof, &zone(), &n("a.c.x.w.example."), &lim(), &budget()),
            Ok(Nsec3Outcome::Insecure(InsecureReason::OptOut { .. }))
        ));
        // Without the wildcard cover (35mthg... covers *.x.w.example).
        let proof = without_opt_out(&pick(&rfc5155_chain(), &[APEX, X_W]));
        assert!(matches!(
            prove_nxdomain(&proof, &zone(), &n("a.c.x.w.example."), &lim(), &budget()),
            Err(Nsec3Error::WildcardNotDenied { .. })
        ));
    }

    #[test]
    fn b2_no_data() {
        let proof = pick(&rfc5155_chain(), &[NS1]);
        assert_eq!(
            prove_nodata(&proof, &zone(), &n("ns1.example."), MX, &lim(), &budget()),
            Ok(Nsec3Outcome::Secure(Nsec3Proof::NoData))
        );
        assert!(matches!(
            prove_nodata(&proof, &zone(), &n("ns1.example."), A, &lim(), &budget()),
            Err(Nsec3Error::TypeInBitmap { .. })
        ));
        assert!(matches!(
            prove_nodata(&proof, &zone(), &n("ns2.example."), MX, &lim(), &budget()),
            Err(Nsec3Error::NoMatchingNsec3 { .. })
        ));
    }

    #[test]
    fn no_data_without_matching_nsec3_needs_opt_out() {
        let b = budget();
        // ns1.c.example lies beneath the opt-out delegation c.example:
        // closest encloser example (apex), next closer c.example covered by
        // the opt-out NSEC3 35mthg...
        let proof = pick(&rfc5155_chain(), &[APEX, A_EX]);
        assert!(matches!(
            prove_nodata(&proof, &zone(), &n("ns1.c.example."), A, &lim(), &b),
            Ok(Nsec3Outcome::Insecure(InsecureReason::OptOut { .. }))
        ));
        // The same without opt-out is bogus.
        let proof = without_opt_out(&proof);
        assert!(matches!(
            prove_nodata(&proof, &zone(), &n("ns1.c.example."), A, &lim(), &b),
            Err(Nsec3Error::NoMatchingNsec3 { .. })
        ));
    }

    #[test]
    fn b2_1_empty_non_terminal() {
        let proof = pick(&rfc5155_chain(), &[Y_W]);
        assert_eq!(
            prove_nodata(&proof, &zone(), &n("y.w.example."), A, &lim(), &budget()),
            Ok(Nsec3Outcome::Secure(Nsec3Proof::NoData))
        );
    }

    #[test]
    fn b3_opt_out_referral() {
        let proof = pick(&rfc5155_chain(), &[A_EX, APEX]);
        assert_eq!(
            prove_insecure_delegation(&proof, &zone(), &n("c.example."), &lim(), &budget()),
            Ok(Nsec3Outcome::Insecure(InsecureReason::OptOut {
                next_closer: Box::new(n("c.example."))
            }))
        );
        assert!(matches!(
            prove_ds_nodata(&proof, &zone(), &n("c.example."), &lim(), &budget()),
            Ok(Nsec3Outcome::Insecure(InsecureReason::OptOut { .. }))
        ));
        // Without opt-out, a covered delegation name proves nothing.
        let proof = without_opt_out(&proof);
        assert!(matches!(
            prove_insecure_delegation(&proof, &zone(), &n("c.example."), &lim(), &budget()),
            Err(Nsec3Error::OptOutNotSet { .. })
        ));
        assert!(matches!(
            prove_ds_nodata(&proof, &zone(), &n("c.example."), &lim(), &budget()),
            Err(Nsec3Error::OptOutNotSet { .. })
        ));
        // a.example is a signed delegation: its NSEC3 has DS.
        let proof = pick(&rfc5155_chain(), &[A_EX]);
        assert!(matches!(
            prove_insecure_delegation(&proof, &zone(), &n("a.example."), &lim(), &budget()),
            Err(Nsec3Error::TypeInBitmap { rtype: DS, .. })
        ));
    }

    #[test]
    fn b4_wildcard_answer() {
        let proof = without_opt_out(&pick(&rfc5155_chain(), &[NS2]));
        assert_eq!(
            prove_wildcard_answer(&proof, &zone(), &n("a.z.w.example."), 2, &lim(), &budget()),
            Ok(Nsec3Outcome::Secure(Nsec3Proof::WildcardAnswer {
                closest_encloser: n("w.example."),
                next_closer: n("z.w.example."),
            }))
        );
        let proof = pick(&rfc5155_chain(), &[NS2]);
        assert!(matches!(
            prove_wildcard_answer(&proof, &zone(), &n("a.z.w.example."), 2, &lim(), &budget()),
            Ok(Nsec3Outcome::Insecure(InsecureReason::OptOut { .. }))
        ));
        let wrong = pick(&rfc5155_chain(), &[W]);
        assert!(matches!(
            prove_wildcard_answer(&wrong, &zone(), &n("a.z.w.example."), 2, &lim(), &budget()),
            Err(Nsec3Error::NextCloserNotCovered { .. })
        ));
        assert!(matches!(
            prove_wildcard_answer(&proof, &zone(), &n("a.z.w.example."), 4, &lim(), &budget()),
            Err(Nsec3Error::NotAWildcardExpansion { .. })
        ));
    }

    #[test]
    fn b5_wildcard_no_data() {
        let proof = without_opt_out(&pick(&rfc5155_chain(), &[W, NS2, STAR_W]));
        assert_eq!(
            prove_wildcard_nodata(
                &proof,
                &zone(),
                &n("a.z.w.example."),
                AAAA,
                &lim(),
                &budget()
            ),
            Ok(Nsec3Outcome::Secure(Nsec3Proof::WildcardNoData {
                closest_encloser: n("w.example."),
                wildcard: n("*.w.example."),
            }))
        );
        assert!(matches!(
            prove_wildcard_nodata(&proof, &zone(), &n("a.z.w.example."), MX, &lim(), &budget()),
            Err(Nsec3Error::TypeInBitmap { .. })
        ));
    }

    #[test]
    fn b6_ds_child_zone_no_data() {
        let proof = pick(&rfc5155_chain(), &[APEX]);
        assert_eq!(
            prove_ds_nodata(&proof, &zone(), &zone(), &lim(), &budget()),
            Ok(Nsec3Outcome::Secure(Nsec3Proof::NoData))
        );
        assert_eq!(
            prove_nodata(&proof, &zone(), &zone(), DS, &lim(), &budget()),
            Ok(Nsec3Outcome::Secure(Nsec3Proof::NoData))
        );
    }

    #[test]
    fn parent_side_nsec3_only_denies_ds() {
        let proof = pick(&rfc5155_chain(), &[A_EX]);
        assert!(matches!(
            prove_nodata(&proof, &zone(), &n("a.example."), A, &lim(), &budget()),
            Err(Nsec3Error::AncestorDelegation { .. })
        ));
        let cname = vec![nsec3_with(NS1, "example.", NS2, &[CNAME], false, 12, &SALT)];
        assert!(matches!(
            prove_nodata(&cname, &zone(), &n("ns1.example."), A, &lim(), &budget()),
            Err(Nsec3Error::CnameInBitmap { .. })
        ));
    }

    #[test]
    fn iterations_above_cap_are_insecure_with_ede_27() {
        let proof = vec![nsec3_with(NS1, "example.", NS2, &[A], false, 51, &SALT)];
        let b = budget();
        let out = prove_nodata(&proof, &zone(), &n("ns1.example."), MX, &lim(), &b).unwrap();
        let Nsec3Outcome::Insecure(reason) = out else {
            panic!("{out:?}")
        };
        let ede = reason.extended_error(&zone()).unwrap();
        assert_eq!(ede.code, EdeCode::UnsupportedNsec3Iterations);
        // Nothing was hashed.
        assert_eq!(b.spent(crate::resolver::budget::BudgetKind::Nsec3Hashes), 0);
    }

    #[test]
    fn limits_follow_the_configuration() {
        let (a, b) = (
            Nsec3Limits::from_config(&DnssecConfig::default()),
            Nsec3Limits::default(),
        );
        assert_eq!(
            (a.max_iterations, a.max_records),
            (b.max_iterations, b.max_records)
        );
    }

    #[test]
    fn mixed_parameters_are_refused() {
        let mut proof = pick(&rfc5155_chain(), &[APEX, X_W]);
        proof.push(nsec3_with(
            A_EX,
            "example.",
            X_W,
            &[NS, DS],
            true,
            12,
            &[1, 2],
        ));
        assert!(matches!(
            prove_nxdomain(&proof, &zone(), &n("a.c.x.w.example."), &lim(), &budget()),
            Err(Nsec3Error::MixedParameters { .. })
        ));
        let mut proof = pick(&rfc5155_chain(), &[APEX, X_W]);
        proof.push(nsec3_with(
            A_EX,
            "example.",
            X_W,
            &[NS, DS],
            true,
            11,
            &SALT,
        ));
        assert!(matches!(
            prove_nxdomain(&proof, &zone(), &n("a.c.x.w.example."), &lim(), &budget()),
            Err(Nsec3Error::MixedParameters { .. })
        ));
    }

    #[test]
    fn more_than_eight_records_are_refused() {
        let chain = rfc5155_chain();
        assert!(matches!(
            prove_nodata(&chain, &zone(), &n("ns1.example."), MX, &lim(), &budget()),
            Err(Nsec3Error::TooManyRecords { count: 12, max: 8 })
        ));
        assert!(prove_nodata(
            &chain[..8],
            &zone(),
            &n("ns1.example."),
            MX,
            &lim(),
            &budget()
        )
        .is_ok());
    }

    #[test]
    fn records_of_other_zones_are_ignored() {
        let proof = vec![nsec3_with(NS1, "other.", NS2, &[A], false, 12, &SALT)];
        assert!(matches!(
            prove_nodata(&proof, &zone(), &n("ns1.example."), MX, &lim(), &budget()),
            Err(Nsec3Error::NoUsableNsec3 { .. })
        ));
        let deep = vec![nsec3_with(NS1, "sub.example.", NS2, &[A], false, 12, &SALT)];
        assert!(matches!(
            prove_nodata(&deep, &zone(), &n("ns1.example."), MX, &lim(), &budget()),
            Err(Nsec3Error::NoUsableNsec3 { .. })
        ));
    }
}
