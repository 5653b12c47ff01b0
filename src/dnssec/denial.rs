//! Choosing and running the right denial-of-existence proof for a response:
//! NSEC (`nsec`) or NSEC3 (`nsec3`), for NXDOMAIN, NODATA (direct or via a
//! wildcard), wildcard answers and missing DS. The records passed in must
//! already be validated as Secure RRsets of `zone`.

use hickory_proto::rr::{Name, Record, RecordType};

use super::nsec::{self, NsecError};
use super::nsec3::{self, Nsec3Error, Nsec3Limits, Nsec3Outcome};
use super::state::ExtendedError;
use crate::cache::rrset::NegativeKind;
use crate::resolver::budget::Budget;
use crate::resolver::step::ZoneRrset;

/// A proof that held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenialOutcome {
    /// The denial is authenticated.
    Secure,
    /// The records prove only that the answer cannot be authenticated
    /// (NSEC3 opt-out, iterations above our cap).
    Insecure(ExtendedError),
}

/// No proof held: the answer is Bogus.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DenialError {
    #[error("no NSEC or NSEC3 records")]
    NoProof,
    #[error(transparent)]
    Nsec(#[from] NsecError),
    #[error(transparent)]
    Nsec3(#[from] Nsec3Error),
}

impl DenialError {
    /// The RFC 8914 code for a failed denial: 12 (NSEC Missing) when the
    /// records that would prove it are absent (§4.13: "a covering NSEC or
    /// NSEC3 was not provided"), 6 (DNSSEC Bogus) when the records present
    /// contradict the answer or cannot be used.
    pub fn ede_code(&self) -> super::state::EdeCode {
        use super::state::EdeCode::{DnssecBogus, NsecMissing};
        match self {
            DenialError::NoProof
            | DenialError::Nsec(
                NsecError::NoCoveringNsec { .. }
                | NsecError::NoMatchingNsec { .. }
                | NsecError::WildcardNsecMissing { .. },
            )
            | DenialError::Nsec3(
                Nsec3Error::NoUsableNsec3 { .. }
                | Nsec3Error::NoClosestEncloser { .. }
                | Nsec3Error::NextCloserNotCovered { .. }
                | Nsec3Error::NoMatchingNsec3 { .. }
                | Nsec3Error::WildcardNsec3Missing { .. },
            ) => NsecMissing,
            _ => DnssecBogus,
        }
    }

    /// The query's work budget ran out while checking: not a verdict on
    /// the data.
    pub fn budget_exhausted(&self) -> Option<&crate::resolver::budget::BudgetExhausted> {
        match self {
            DenialError::Nsec3(Nsec3Error::Budget(b)) => Some(b),
            _ => None,
        }
    }
}

/// The NSEC and NSEC3 records (without RRSIGs) among `sets`.
fn proof_records(sets: &[ZoneRrset], rtype: RecordType) -> Vec<Record> {
    sets.iter()
        .filter(|s| s.set.rtype == rtype)
        .flat_map(|s| s.set.records.iter().cloned())
        .collect()
}

fn from_nsec3(zone: &Name, outcome: Nsec3Outcome) -> DenialOutcome {
    match outcome {
        Nsec3Outcome::Secure(_) => DenialOutcome::Secure,
        Nsec3Outcome::Insecure(reason) => {
            DenialOutcome::Insecure(reason.extended_error(zone).unwrap_or_else(|| {
                ExtendedError::new(
                    super::state::EdeCode::Other,
                    format!("{zone}: NSEC3 opt-out span, answer is insecure"),
                )
            }))
        }
    }
}

/// Proves an NXDOMAIN or NODATA answer for (qname, qtype).
pub(crate) fn prove_negative(
    kind: NegativeKind,
    qname: &Name,
    qtype: RecordType,
    zone: &Name,
    sets: &[ZoneRrset],
    limits: &Nsec3Limits,
    budget: &Budget,
) -> Result<DenialOutcome, DenialError> {
    let nsec3s = proof_records(sets, RecordType::NSEC3);
    if !nsec3s.is_empty() {
        let outcome = match kind {
            NegativeKind::NxDomain => nsec3::prove_nxdomain(&nsec3s, zone, qname, limits, budget)?,
            NegativeKind::NoData => {
                match nsec3::prove_nodata(&nsec3s, zone, qname, qtype, limits, budget) {
                    Ok(o) => o,
                    // RFC 5155 §8.7: the name may instead be covered, with a
                    // matching wildcard lacking the type.
                    Err(first) => {
                        nsec3::prove_wildcard_nodata(&nsec3s, zone, qname, qtype, limits, budget)
                            .map_err(|_| first)?
                    }
                }
            }
        };
        return Ok(from_nsec3(zone, outcome));
    }
    let nsecs = proof_records(sets, RecordType::NSEC);
    if nsecs.is_empty() {
        return Err(DenialError::NoProof);
    }
    match kind {
        NegativeKind::NxDomain => {
            nsec::prove_nxdomain(&nsecs, zone, qname)?;
        }
        NegativeKind::NoData => {
            if let Err(first) = nsec::prove_nodata(&nsecs, zone, qname, qtype) {
                // RFC 4035 §3.1.3.4: wildcard no data.
                nsec::prove_wildcard_nodata(&nsecs, zone, qname, qtype).map_err(|_| first)?;
            }
        }
    }
    Ok(DenialOutcome::Secure)
}

/// Proves that `child` is a delegation from `zone` without DS: an
/// unsigned (insecure) delegation, RFC 4035 §5.2, RFC 5155 §8.9 (opt-out
/// spans make it insecure too, §8.6).
pub(crate) fn prove_no_ds(
    child: &Name,
    zone: &Name,
    sets: &[ZoneRrset],
    limits: &Nsec3Limits,
    budget: &Budget,
) -> Result<DenialOutcome, DenialError> {
    let nsec3s = proof_records(sets, RecordType::NSEC3);
    if !nsec3s.is_empty() {
        let outcome = nsec3::prove_insecure_delegation(&nsec3s, zone, child, limits, budget)?;
        return Ok(from_nsec3(zone, outcome));
    }
    let nsecs = proof_records(sets, RecordType::NSEC);
    if nsecs.is_empty() {
        return Err(DenialError::NoProof);
    }
    nsec::prove_insecure_delegation(&nsecs, zone, child)?;
    Ok(DenialOutcome::Secure)
}

/// Proves that a wildcard expansion was legitimate: `qname` itself does not
/// exist (RFC 4035 §5.3.4, RFC 5155 §8.8). `labels`: the RRSIG labels field.
pub(crate) fn prove_wildcard_answer(
    qname: &Name,
    labels: u8,
    zone: &Name,
    sets: &[ZoneRrset],
    limits: &Nsec3Limits,
    budget: &Budget,
) -> Result<DenialOutcome, DenialError> {
    let nsec3s = proof_records(sets, RecordType::NSEC3);
    if !nsec3s.is_empty() {
        let outcome = nsec3::prove_wildcard_answer(&nsec3s, zone, qname, labels, limits, budget)?;
        return Ok(from_nsec3(zone, outcome));
    }
    let nsecs = proof_records(sets, RecordType::NSEC);
    if nsecs.is_empty() {
        return Err(DenialError::NoProof);
    }
    nsec::prove_wildcard_answer(&nsecs, zone, qname, labels)?;
    Ok(DenialOutcome::Secure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::state::EdeCode;
    use crate::resolver::budget::{BudgetExhausted, BudgetKind};

    fn name() -> Box<Name> {
        Box::new(Name::from_ascii("a.example.").expect("name"))
    }

    #[test]
    fn absent_proofs_are_nsec_missing_and_contradicting_ones_bogus() {
        assert_eq!(DenialError::NoProof.ede_code(), EdeCode::NsecMissing);
        let missing = DenialError::Nsec3(Nsec3Error::NextCloserNotCovered {
            next_closer: name(),
        });
        assert_eq!(missing.ede_code(), EdeCode::NsecMissing);
        let exists = DenialError::Nsec(NsecError::NameExists { name: name() });
        assert_eq!(exists.ede_code(), EdeCode::DnssecBogus);
        let optout = DenialError::Nsec3(Nsec3Error::OptOutNotSet {
            next_closer: name(),
        });
        assert_eq!(optout.ede_code(), EdeCode::DnssecBogus);
        assert!(exists.budget_exhausted().is_none());
    }

    #[test]
    fn running_out_of_budget_is_told_apart() {
        let spent = BudgetExhausted {
            kind: BudgetKind::Nsec3Hashes,
            limit: 1,
        };
        let e = DenialError::Nsec3(Nsec3Error::Budget(spent));
        assert_eq!(e.budget_exhausted(), Some(&spent));
    }
}
