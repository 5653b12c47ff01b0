//! RFC 5155 §8.3: the closest-encloser proof.
//!
//! Walking from the query name towards the zone apex, the closest encloser
//! is the first ancestor with a *matching* NSEC3, and the proof holds only
//! if the name one label longer (the "next closer" name) is *covered* by an
//! NSEC3. The walk never leaves the zone, so it hashes at most as many names
//! as the query name has labels below the apex, plus the apex itself; each
//! name is hashed once (the [`Nsec3Set`] caches hashes) and every hash is
//! charged to the query's budget.

use hickory_proto::rr::{Name, RecordType};

use super::nsec::is_at_or_below;
use super::nsec3::{Nsec3Error, Nsec3Set};
use crate::resolver::budget::Budget;

/// A verified closest-encloser proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosestEncloserProof {
    /// The longest existing ancestor of the query name.
    pub closest_encloser: Name,
    /// The closest encloser plus one label of the query name; provably
    /// does not exist (or is an opt-out unsigned delegation).
    pub next_closer: Name,
    /// The NSEC3 covering the next closer name has the Opt-Out flag: the
    /// next closer may be an unsigned delegation, so nonexistence is not
    /// proven securely (RFC 5155 §6).
    pub next_closer_opt_out: bool,
}

/// Finds and checks the closest-encloser proof for `qname` in `set`.
///
/// Fails if `qname` itself has a matching NSEC3 (it exists), if no ancestor
/// up to the apex matches, if the next closer name is not covered, or if
/// the matching NSEC3 is at a zone cut seen from the parent side or has a
/// DNAME: such a name cannot be the closest encloser of names below it
/// (RFC 5155 §8.3, RFC 6840 §4.1).
pub fn prove_closest_encloser(
    set: &Nsec3Set<'_>,
    qname: &Name,
    budget: &Budget,
) -> Result<ClosestEncloserProof, Nsec3Error> {
    let zone = set.zone();
    if !is_at_or_below(qname, zone) {
        return Err(Nsec3Error::OutOfZone {
            name: Box::new(qname.clone()),
            zone: Box::new(zone.clone()),
        });
    }
    let zone_labels = zone.iter().count();
    let qname_labels = qname.iter().count();
    // The NSEC3 covering the name one label longer than the current one.
    let mut longer_cover_opt_out: Option<bool> = None;
    // RFC 5155 §8.3: from QNAME up to (and including) the apex, never above.
    for depth in (zone_labels..=qname_labels).rev() {
        let candidate = qname.trim_to(depth);
        if let Some(m) = set.find_match(&candidate, budget)? {
            if depth == qname_labels {
                return Err(Nsec3Error::NameExists {
                    name: Box::new(qname.clone()),
                });
            }
            // RFC 5155 §8.3 and RFC 6840 §4.1: the NSEC3 of a delegation
            // point (NS without SOA) or of a DNAME owner says nothing about
            // the names below it.
            if m.is_parent_side() {
                return Err(Nsec3Error::AncestorDelegation {
                    owner: Box::new(candidate),
                    name: Box::new(qname.clone()),
                });
            }
            if m.has(RecordType::DNAME) {
                return Err(Nsec3Error::DnameAncestor {
                    owner: Box::new(candidate),
                    name: Box::new(qname.clone()),
                });
            }
            let next_closer = qname.trim_to(depth + 1);
            return match longer_cover_opt_out {
                Some(opt_out) => Ok(ClosestEncloserProof {
                    closest_encloser: candidate,
                    next_closer,
                    next_closer_opt_out: opt_out,
                }),
                None => Err(Nsec3Error::NextCloserNotCovered {
                    next_closer: Box::new(next_closer),
                }),
            };
        }
        longer_cover_opt_out = set.find_cover(&candidate, budget)?.map(|c| c.opt_out());
    }
    Err(Nsec3Error::NoClosestEncloser {
        name: Box::new(qname.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LimitsConfig;
    use crate::dnssec::nsec3::test_vectors::{n, pick, rfc5155_chain};
    use crate::dnssec::nsec3::Nsec3Limits;
    use crate::resolver::budget::BudgetKind;

    /// The whole appendix chain (12 records) in one set.
    fn whole_chain() -> Nsec3Limits {
        Nsec3Limits {
            max_records: 16,
            ..Nsec3Limits::default()
        }
    }

    fn budget() -> Budget {
        Budget::new(&LimitsConfig::default())
    }

    #[test]
    fn b1_name_error_closest_encloser() {
        let chain = rfc5155_chain();
        let set = Nsec3Set::new(&chain, &n("example."), &whole_chain()).unwrap();
        let b = budget();
        let p = prove_closest_encloser(&set, &n("a.c.x.w.example."), &b).unwrap();
        assert_eq!(p.closest_encloser, n("x.w.example."));
        assert_eq!(p.next_closer, n("c.x.w.example."));
        assert!(p.next_closer_opt_out);
        // a.c.x.w.example, c.x.w.example, x.w.example: three hashes of 13.
        assert_eq!(b.spent(BudgetKind::Nsec3Hashes), 3 * 13);
    }

    #[test]
    fn shared_memo_spares_the_hashes_of_a_second_response() {
        let chain = rfc5155_chain();
        let memo = std::sync::Arc::new(crate::dnssec::nsec3_hash_cache::Nsec3HashCache::new(64));
        let limits = Nsec3Limits {
            hash_cache: Some(memo.clone()),
            ..whole_chain()
        };
        let first = budget();
        let set = Nsec3Set::new(&chain, &n("example."), &limits).unwrap();
        prove_closest_encloser(&set, &n("a.c.x.w.example."), &first).unwrap();
        assert_eq!(first.spent(BudgetKind::Nsec3Hashes), 3 * 13);
        // A later response (new set, new budget) for a sibling name: only
        // the name itself is new; c.x.w and x.w come from the memo.
        let second = budget();
        let set = Nsec3Set::new(&chain, &n("example."), &limits).unwrap();
        let p = prove_closest_encloser(&set, &n("b.c.x.w.example."), &second).unwrap();
        assert_eq!(p.closest_encloser, n("x.w.example."));
        assert_eq!(second.spent(BudgetKind::Nsec3Hashes), 13);
        assert_eq!(memo.len(), 4);
    }

    #[test]
    fn existing_name_has_no_closest_encloser_proof() {
        let chain = rfc5155_chain();
        let set = Nsec3Set::new(&chain, &n("example."), &whole_chain()).unwrap();
        assert!(matches!(
            prove_closest_encloser(&set, &n("ns1.example."), &budget()),
            Err(Nsec3Error::NameExists { .. })
        ));
    }

    #[test]
    fn next_closer_must_be_covered() {
        let chain = rfc5155_chain();
        // Only the closest encloser's NSEC3, nothing covering c.x.w.example.
        let proof = pick(&chain, &["b4um86eghhds6nea196smvmlo4ors995"]);
        let set = Nsec3Set::new(&proof, &n("example."), &Nsec3Limits::default()).unwrap();
        assert_eq!(
            prove_closest_encloser(&set, &n("a.c.x.w.example."), &budget()),
            Err(Nsec3Error::NextCloserNotCovered {
                next_closer: Box::new(n("c.x.w.example."))
            })
        );
    }

    #[test]
    fn delegation_cannot_be_closest_encloser() {
        let chain = rfc5155_chain();
        // a.example is a (signed) delegation: NS DS, no SOA.
        let proof = pick(
            &chain,
            &[
                "35mthgpgcu1qg68fab165klnsnk3dpvl",
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
            ],
        );
        let set = Nsec3Set::new(&proof, &n("example."), &Nsec3Limits::default()).unwrap();
        // The match at a.example is refused before its cover is considered.
        assert!(matches!(
            prove_closest_encloser(&set, &n("x.a.example."), &budget()),
            Err(Nsec3Error::AncestorDelegation { .. })
        ));
    }

    #[test]
    fn never_hashes_more_names_than_labels() {
        let chain = rfc5155_chain();
        let set = Nsec3Set::new(&chain, &n("example."), &whole_chain()).unwrap();
        let b = budget();
        // No usable proof for a name in a zone the set does not prove.
        let deep = n("a.b.c.d.e.f.g.h.example.");
        let _ = prove_closest_encloser(&set, &deep, &b);
        assert!(b.spent(BudgetKind::Nsec3Hashes) <= 9 * 13);
    }

    #[test]
    fn budget_exhaustion_stops_the_walk() {
        let chain = rfc5155_chain();
        let set = Nsec3Set::new(&chain, &n("example."), &whole_chain()).unwrap();
        let b = Budget::new(&LimitsConfig {
            max_nsec3_hashes: 13,
            ..LimitsConfig::default()
        });
        assert!(matches!(
            prove_closest_encloser(&set, &n("a.c.x.w.example."), &b),
            Err(Nsec3Error::Budget(_))
        ));
    }
}
