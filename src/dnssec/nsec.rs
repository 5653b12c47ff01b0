//! NSEC denial-of-existence proofs: RFC 4035 §5.4, RFC 6840 §4.
//!
//! The functions here decide what a set of NSEC records *proves*. They do
//! not check signatures: the caller passes only NSEC records whose RRSIGs it
//! has already verified, together with the zone (the RRSIG signer name) they
//! belong to. NSEC records of other zones, and non-NSEC records, are ignored.
//!
//! Proofs offered:
//! - [`prove_nxdomain`]: name error (RFC 4035 §5.4, §3.1.3.2).
//! - [`prove_nodata`] / [`prove_ds_nodata`]: no data, including empty
//!   non-terminals (RFC 4035 §3.1.3.1, RFC 6840 §4.1).
//! - [`prove_wildcard_nodata`]: no data at a matching wildcard (§3.1.3.4).
//! - [`prove_wildcard_answer`]: a wildcard expansion was legitimate
//!   (RFC 4035 §5.3.4, §3.1.3.3).
//! - [`prove_insecure_delegation`]: a referral to an unsigned child
//!   (RFC 4035 §5.2, RFC 6840 §4.4).
//!
//! Two RFC 6840 §4.1 rules are applied everywhere: an NSEC from the parent
//! side of a zone cut (NS set, SOA clear) cannot deny names below the cut or
//! types other than DS at it, and an NSEC with the DNAME bit cannot deny
//! names below its owner.

use std::cmp::Ordering;

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::state::EdeCode;

/// Why a set of NSEC records does not prove what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NsecError {
    #[error("{name} is not in zone {zone}")]
    OutOfZone { name: Box<Name>, zone: Box<Name> },
    #[error("no NSEC covers {name}")]
    NoCoveringNsec { name: Box<Name> },
    #[error("no NSEC matches {name}")]
    NoMatchingNsec { name: Box<Name> },
    #[error("an NSEC at {name} shows that the name exists")]
    NameExists { name: Box<Name> },
    #[error("the NSEC at {name} lists type {rtype}")]
    TypeInBitmap { name: Box<Name>, rtype: RecordType },
    #[error("the NSEC at {name} lists CNAME")]
    CnameInBitmap { name: Box<Name> },
    #[error("wildcard {wildcard} is not denied")]
    WildcardNotDenied { wildcard: Box<Name> },
    #[error("no NSEC matches the wildcard {wildcard}")]
    WildcardNsecMissing { wildcard: Box<Name> },
    #[error("the NSEC at {owner} is from the parent side of a zone cut and cannot deny {name}")]
    AncestorDelegation { owner: Box<Name>, name: Box<Name> },
    #[error("the NSEC at {owner} has the DNAME bit and cannot deny {name} below it")]
    DnameAncestor { owner: Box<Name>, name: Box<Name> },
    #[error("the NSEC at {name} has no NS bit: not a delegation")]
    NotADelegation { name: Box<Name> },
    #[error("the NSEC at {name} has the SOA bit: it is from the child zone")]
    ChildSideNsec { name: Box<Name> },
    #[error("RRSIG labels {labels} do not make {name} a wildcard expansion")]
    NotAWildcardExpansion { name: Box<Name>, labels: u8 },
    #[error("answer expanded from a wildcard at {claimed}, but the NSEC proves closest encloser {proven}")]
    WrongClosestEncloser {
        claimed: Box<Name>,
        proven: Box<Name>,
    },
    #[error("cannot form a name: {0}")]
    BadName(String),
}

impl NsecError {
    /// The Extended DNS Error code for a response whose denial failed this
    /// way (RFC 8914 §5.2): NSEC Missing when a needed record is absent,
    /// DNSSEC Bogus when the records present contradict the claim.
    pub fn ede_code(&self) -> EdeCode {
        match self {
            NsecError::NoCoveringNsec { .. }
            | NsecError::NoMatchingNsec { .. }
            | NsecError::WildcardNotDenied { .. }
            | NsecError::WildcardNsecMissing { .. } => EdeCode::NsecMissing,
            _ => EdeCode::DnssecBogus,
        }
    }
}

/// What an NSEC name-error proof established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NsecNameError {
    /// The closest encloser derived from the NSEC covering the query name.
    pub closest_encloser: Name,
    /// `*.closest_encloser`, shown not to exist.
    pub wildcard: Name,
}

/// How an NSEC no-data proof was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NsecNoData {
    /// An NSEC at the query name whose bitmap lacks the type (and CNAME).
    AtName,
    /// The query name is an empty non-terminal: an NSEC before it whose
    /// next name is a descendant of it.
    EmptyNonTerminal,
}

/// What a wildcard proof (answer or no-data) established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NsecWildcard {
    /// The closest encloser of the query name.
    pub closest_encloser: Name,
    /// The wildcard `*.closest_encloser` the answer comes from.
    pub wildcard: Name,
}

/// RFC 4034 §6.1 canonical ordering of names: compare label by label from
/// the right (the most significant label first), each label as a string of
/// octets with uppercase ASCII folded to lowercase; a name that runs out of
/// labels sorts first.
pub fn canonical_cmp(a: &Name, b: &Name) -> Ordering {
    let mut la = a.iter().rev();
    let mut lb = b.iter().rev();
    loop {
        match (la.next(), lb.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                // RFC 4034 §6.1: the absence of an octet sorts before a zero
                // octet, which is exactly lexicographic slice order.
                let ord = x
                    .iter()
                    .map(u8::to_ascii_lowercase)
                    .cmp(y.iter().map(u8::to_ascii_lowercase));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// Case-insensitive name equality (RFC 4343).
pub fn name_eq(a: &Name, b: &Name) -> bool {
    canonical_cmp(a, b) == Ordering::Equal
}

/// True if `name` is `ancestor` or below it (labels compared
/// case-insensitively, RFC 4343; hickory's `zone_of` does exactly that).
pub fn is_at_or_below(name: &Name, ancestor: &Name) -> bool {
    ancestor.zone_of(name)
}

/// True if `name` is strictly below `ancestor`.
pub fn is_below(name: &Name, ancestor: &Name) -> bool {
    name.iter().count() > ancestor.iter().count() && is_at_or_below(name, ancestor)
}

/// The longest common ancestor of two names (the root if none other).
pub fn common_ancestor(a: &Name, b: &Name) -> Name {
    let shared = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x.eq_ignore_ascii_case(y))
        .count();
    a.trim_to(shared)
}

/// The closest encloser claimed by a wildcard expansion: `qname` cut to
/// the RRSIG's `rrsig_labels` labels, if that makes `qname` an expansion
/// (fewer labels than `qname`, RFC 4035 §5.3.4). A literal `*` owner with
/// labels = count - 1 is the wildcard itself, not an expansion (RFC 4035
/// §5.3.2 does not count the `*` label). Shared by the NSEC and NSEC3
/// wildcard-answer proofs.
pub(super) fn wildcard_source(qname: &Name, rrsig_labels: u8) -> Option<Name> {
    let qlabels = qname.iter().count();
    let labels = usize::from(rrsig_labels);
    if labels >= qlabels || qname.is_wildcard() && labels + 1 == qlabels {
        return None;
    }
    Some(qname.trim_to(labels))
}

/// Does the NSEC `owner -> next` of zone `apex` cover `name`, i.e. is
/// `name` strictly between them in canonical order?
///
/// The last NSEC of a zone wraps around: its next name is the apex
/// (RFC 4034 §4.1.1) and it covers every name of the zone after its owner.
/// A "wrapping" NSEC whose next name is not the apex is malformed and
/// covers nothing. `name` is expected to be in the zone.
pub fn nsec_covers(owner: &Name, next: &Name, apex: &Name, name: &Name) -> bool {
    let after_owner = canonical_cmp(owner, name) == Ordering::Less;
    match canonical_cmp(owner, next) {
        Ordering::Less => after_owner && canonical_cmp(name, next) == Ordering::Less,
        // owner >= next: only the wrap-around NSEC, whose next is the apex.
        _ => name_eq(next, apex) && after_owner,
    }
}

/// One NSEC record of the zone being examined.
#[derive(Clone, Copy)]
struct Nsec<'a> {
    owner: &'a Name,
    rdata: &'a NSEC,
}

impl Nsec<'_> {
    fn has(&self, t: RecordType) -> bool {
        self.rdata.type_set().contains(t)
    }

    /// RFC 6840 §4.1: an NSEC at a delegation point, from the parent zone.
    fn is_parent_side(&self) -> bool {
        self.has(RecordType::NS) && !self.has(RecordType::SOA)
    }

    /// RFC 6840 §4.1: this NSEC must not be used to say anything about
    /// `name` if `name` is below a zone cut or a DNAME at the NSEC's owner.
    fn usable_below(&self, name: &Name) -> Result<(), NsecError> {
        if !is_below(name, self.owner) {
            return Ok(());
        }
        if self.is_parent_side() {
            return Err(NsecError::AncestorDelegation {
                owner: Box::new(self.owner.clone()),
                name: Box::new(name.clone()),
            });
        }
        if self.has(RecordType::DNAME) {
            return Err(NsecError::DnameAncestor {
                owner: Box::new(self.owner.clone()),
                name: Box::new(name.clone()),
            });
        }
        Ok(())
    }
}

/// The NSEC records of `zone` among `records`: owner and next name both in
/// the zone (RFC 4034 §4.1.1: the next name is a name of the same zone).
fn collect<'a>(records: &'a [Record], zone: &Name) -> Vec<Nsec<'a>> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::NSEC(rdata)) => Some(Nsec {
                owner: &r.name,
                rdata,
            }),
            _ => None,
        })
        .filter(|n| {
            is_at_or_below(n.owner, zone) && is_at_or_below(n.rdata.next_domain_name(), zone)
        })
        .collect()
}

fn ensure_in_zone(name: &Name, zone: &Name) -> Result<(), NsecError> {
    if is_at_or_below(name, zone) {
        Ok(())
    } else {
        Err(NsecError::OutOfZone {
            name: Box::new(name.clone()),
            zone: Box::new(zone.clone()),
        })
    }
}

fn find_match<'a>(nsecs: &[Nsec<'a>], name: &Name) -> Option<Nsec<'a>> {
    nsecs.iter().copied().find(|n| name_eq(n.owner, name))
}

/// An NSEC covering `name` that may be used for it (RFC 6840 §4.1).
fn find_cover<'a>(nsecs: &[Nsec<'a>], zone: &Name, name: &Name) -> Result<Nsec<'a>, NsecError> {
    let mut refused = None;
    for n in nsecs {
        if nsec_covers(n.owner, n.rdata.next_domain_name(), zone, name) {
            match n.usable_below(name) {
                Ok(()) => return Ok(*n),
                Err(e) => refused = Some(e),
            }
        }
    }
    Err(refused.unwrap_or_else(|| NsecError::NoCoveringNsec {
        name: Box::new(name.clone()),
    }))
}

/// The closest encloser of `qname` given the NSEC covering it: the deeper of
/// its common ancestors with the NSEC's owner and next name (both exist, and
/// nothing between them does).
///
/// If the next name is a descendant of `qname`, then `qname` is an empty
/// non-terminal: it exists, and nothing about it can be denied.
fn closest_encloser(qname: &Name, cover: Nsec<'_>) -> Result<Name, NsecError> {
    let a = common_ancestor(qname, cover.owner);
    let b = common_ancestor(qname, cover.rdata.next_domain_name());
    let ce = if b.iter().count() > a.iter().count() {
        b
    } else {
        a
    };
    if ce.iter().count() >= qname.iter().count() {
        return Err(NsecError::NameExists {
            name: Box::new(qname.clone()),
        });
    }
    Ok(ce)
}

fn wildcard_of(name: &Name) -> Result<Name, NsecError> {
    name.prepend_label("*")
        .map_err(|e| NsecError::BadName(e.to_string()))
}

/// The bitmap of the NSEC at `name` must lack `qtype` and CNAME
/// (RFC 4035 §5.4: otherwise the type, or a CNAME to follow, exists).
fn check_bitmap(n: Nsec<'_>, name: &Name, qtype: RecordType) -> Result<(), NsecError> {
    if n.has(qtype) {
        return Err(NsecError::TypeInBitmap {
            name: Box::new(name.clone()),
            rtype: qtype,
        });
    }
    if n.has(RecordType::CNAME) {
        return Err(NsecError::CnameInBitmap {
            name: Box::new(name.clone()),
        });
    }
    Ok(())
}

/// Name error: `qname` does not exist in `zone` (RFC 4035 §5.4).
///
/// Needs an NSEC covering `qname` and an NSEC covering the wildcard at the
/// closest encloser, which is derived from the covering NSEC's owner and
/// next names. Both may be the same record.
pub fn prove_nxdomain(
    records: &[Record],
    zone: &Name,
    qname: &Name,
) -> Result<NsecNameError, NsecError> {
    ensure_in_zone(qname, zone)?;
    let nsecs = collect(records, zone);
    if find_match(&nsecs, qname).is_some() {
        return Err(NsecError::NameExists {
            name: Box::new(qname.clone()),
        });
    }
    let cover = find_cover(&nsecs, zone, qname)?;
    let ce = closest_encloser(qname, cover)?;
    let wildcard = wildcard_of(&ce)?;
    // RFC 4035 §5.4: no wildcard could have produced an answer either.
    if find_match(&nsecs, &wildcard).is_some() {
        return Err(NsecError::WildcardNotDenied {
            wildcard: Box::new(wildcard),
        });
    }
    match find_cover(&nsecs, zone, &wildcard) {
        Ok(_) => Ok(NsecNameError {
            closest_encloser: ce,
            wildcard,
        }),
        Err(NsecError::NoCoveringNsec { .. }) => Err(NsecError::WildcardNotDenied {
            wildcard: Box::new(wildcard),
        }),
        Err(e) => Err(e),
    }
}

/// No data: `qname` exists in `zone` but has no `qtype` RRset
/// (RFC 4035 §3.1.3.1, §5.4), or is an empty non-terminal.
///
/// An NSEC at a delegation point (NS set, SOA clear) only proves the
/// absence of DS there (RFC 6840 §4.1); for any other type it is refused.
pub fn prove_nodata(
    records: &[Record],
    zone: &Name,
    qname: &Name,
    qtype: RecordType,
) -> Result<NsecNoData, NsecError> {
    ensure_in_zone(qname, zone)?;
    let nsecs = collect(records, zone);
    if let Some(n) = find_match(&nsecs, qname) {
        check_bitmap(n, qname, qtype)?;
        if qtype != RecordType::DS && n.is_parent_side() {
            return Err(NsecError::AncestorDelegation {
                owner: Box::new(qname.clone()),
                name: Box::new(qname.clone()),
            });
        }
        return Ok(NsecNoData::AtName);
    }
    // Empty non-terminal: no NSEC at qname, but the NSEC just before it
    // points at a descendant of it, so qname exists without data.
    let mut refused = None;
    for n in &nsecs {
        let next = n.rdata.next_domain_name();
        if nsec_covers(n.owner, next, zone, qname) && is_below(next, qname) {
            match n.usable_below(qname) {
                Ok(()) => return Ok(NsecNoData::EmptyNonTerminal),
                Err(e) => refused = Some(e),
            }
        }
    }
    Err(refused.unwrap_or_else(|| NsecError::NoMatchingNsec {
        name: Box::new(qname.clone()),
    }))
}

/// No DS at `qname`: [`prove_nodata`] for type DS. The parent-side NSEC at
/// a delegation point is what proves this.
///
/// Like RFC 4035 Appendix B.8 this also accepts the child's apex NSEC (SOA
/// set). To conclude that a delegation is unsigned, use
/// [`prove_insecure_delegation`], which insists on the parent's NSEC
/// (RFC 6840 §4.4).
pub fn prove_ds_nodata(
    records: &[Record],
    zone: &Name,
    qname: &Name,
) -> Result<NsecNoData, NsecError> {
    prove_nodata(records, zone, qname, RecordType::DS)
}

/// Wildcard no data (RFC 4035 §3.1.3.4): `qname` does not exist, the
/// wildcard at its closest encloser does, but without `qtype` (or CNAME).
pub fn prove_wildcard_nodata(
    records: &[Record],
    zone: &Name,
    qname: &Name,
    qtype: RecordType,
) -> Result<NsecWildcard, NsecError> {
    ensure_in_zone(qname, zone)?;
    let nsecs = collect(records, zone);
    if find_match(&nsecs, qname).is_some() {
        return Err(NsecError::NameExists {
            name: Box::new(qname.clone()),
        });
    }
    let cover = find_cover(&nsecs, zone, qname)?;
    let ce = closest_encloser(qname, cover)?;
    let wildcard = wildcard_of(&ce)?;
    let n = find_match(&nsecs, &wildcard).ok_or_else(|| NsecError::WildcardNsecMissing {
        wildcard: Box::new(wildcard.clone()),
    })?;
    check_bitmap(n, &wildcard, qtype)?;
    // RFC 6840 §4.1: a parent-side NSEC denies nothing but DS.
    if qtype != RecordType::DS && n.is_parent_side() {
        return Err(NsecError::AncestorDelegation {
            owner: Box::new(wildcard.clone()),
            name: Box::new(qname.clone()),
        });
    }
    Ok(NsecWildcard {
        closest_encloser: ce,
        wildcard,
    })
}

/// A positive answer for `qname` was synthesised from a wildcard: its RRSIG
/// has `rrsig_labels` labels, fewer than `qname` (RFC 4035 §5.3.4). Proves
/// that `qname` itself does not exist and that the closest encloser is the
/// wildcard's parent, so no closer match could have been used (§5.4).
pub fn prove_wildcard_answer(
    records: &[Record],
    zone: &Name,
    qname: &Name,
    rrsig_labels: u8,
) -> Result<NsecWildcard, NsecError> {
    ensure_in_zone(qname, zone)?;
    let claimed =
        wildcard_source(qname, rrsig_labels).ok_or_else(|| NsecError::NotAWildcardExpansion {
            name: Box::new(qname.clone()),
            labels: rrsig_labels,
        })?;
    ensure_in_zone(&claimed, zone)?;
    let nsecs = collect(records, zone);
    let cover = find_cover(&nsecs, zone, qname)?;
    let proven = closest_encloser(qname, cover)?;
    if !name_eq(&proven, &claimed) {
        return Err(NsecError::WrongClosestEncloser {
            claimed: Box::new(claimed),
            proven: Box::new(proven),
        });
    }
    let wildcard = wildcard_of(&claimed)?;
    Ok(NsecWildcard {
        closest_encloser: claimed,
        wildcard,
    })
}

/// A referral to `delegation` is provably unsigned: the NSEC at the
/// delegation point has NS, but neither DS (no chain of trust continues)
/// nor SOA (it must be the parent's NSEC, RFC 6840 §4.4).
pub fn prove_insecure_delegation(
    records: &[Record],
    zone: &Name,
    delegation: &Name,
) -> Result<(), NsecError> {
    ensure_in_zone(delegation, zone)?;
    let nsecs = collect(records, zone);
    let n = find_match(&nsecs, delegation).ok_or_else(|| NsecError::NoMatchingNsec {
        name: Box::new(delegation.clone()),
    })?;
    if !n.has(RecordType::NS) {
        return Err(NsecError::NotADelegation {
            name: Box::new(delegation.clone()),
        });
    }
    if n.has(RecordType::SOA) {
        return Err(NsecError::ChildSideNsec {
            name: Box::new(delegation.clone()),
        });
    }
    if n.has(RecordType::DS) {
        return Err(NsecError::TypeInBitmap {
            name: Box::new(delegation.clone()),
            rtype: RecordType::DS,
        });
    }
    // A delegation point cannot also hold a CNAME (RFC 1034 §3.6.2); a
    // bitmap claiming both is not a usable proof.
    if n.has(RecordType::CNAME) {
        return Err(NsecError::CnameInBitmap {
            name: Box::new(delegation.clone()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use RecordType::{A, AAAA, CNAME, DNAME, DNSKEY, DS, HINFO, MX, NS, RRSIG, SOA};
    const NSEC_T: RecordType = RecordType::NSEC;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn nsec(owner: &str, next: &str, types: &[RecordType]) -> Record {
        Record::from_rdata(
            n(owner),
            3600,
            RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(n(next), types.iter().copied()))),
        )
    }

    /// The NSEC chain of the RFC 4035 Appendix A example zone.
    fn rfc4035_chain() -> Vec<Record> {
        vec![
            nsec(
                "example.",
                "a.example.",
                &[NS, SOA, MX, RRSIG, NSEC_T, DNSKEY],
            ),
            nsec("a.example.", "ai.example.", &[NS, DS, RRSIG, NSEC_T]),
            nsec(
                "ai.example.",
                "b.example.",
                &[A, HINFO, AAAA, RRSIG, NSEC_T],
            ),
            nsec("b.example.", "ns1.example.", &[NS, RRSIG, NSEC_T]),
            nsec("ns1.example.", "ns2.example.", &[A, RRSIG, NSEC_T]),
            nsec("ns2.example.", "*.w.example.", &[A, RRSIG, NSEC_T]),
            nsec("*.w.example.", "x.w.example.", &[MX, RRSIG, NSEC_T]),
            nsec("x.w.example.", "x.y.w.example.", &[MX, RRSIG, NSEC_T]),
            nsec("x.y.w.example.", "xx.example.", &[MX, RRSIG, NSEC_T]),
            nsec("xx.example.", "example.", &[A, HINFO, AAAA, RRSIG, NSEC_T]),
        ]
    }

    fn pick(chain: &[Record], owners: &[&str]) -> Vec<Record> {
        owners
            .iter()
            .map(|o| chain.iter().find(|r| r.name == n(o)).unwrap().clone())
            .collect()
    }

    #[test]
    fn canonical_order_rfc4034_6_1() {
        // The example list of RFC 4034 §6.1, in order.
        let names: Vec<Name> = [
            &[&b"example"[..]][..],
            &[b"a", b"example"],
            &[b"yljkjljk", b"a", b"example"],
            &[b"Z", b"a", b"example"],
            &[b"zABC", b"a", b"EXAMPLE"],
            &[b"z", b"example"],
            &[b"\x01", b"z", b"example"],
            &[b"*", b"z", b"example"],
            &[b"\xc8", b"z", b"example"],
        ]
        .iter()
        .map(|labels| {
            let mut name = Name::from_labels(labels.iter().copied()).unwrap();
            name.set_fqdn(true);
            name
        })
        .collect();
        for w in names.windows(2) {
            assert_eq!(
                canonical_cmp(&w[0], &w[1]),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
            assert_eq!(canonical_cmp(&w[1], &w[0]), Ordering::Greater);
        }
        assert_eq!(
            canonical_cmp(&n("A.Example."), &n("a.example.")),
            Ordering::Equal
        );
    }

    #[test]
    fn wrap_around_cover() {
        let apex = n("example.");
        assert!(nsec_covers(
            &n("xx.example."),
            &apex,
            &apex,
            &n("z.example.")
        ));
        assert!(nsec_covers(
            &n("xx.example."),
            &apex,
            &apex,
            &n("a.xx.example.")
        ));
        assert!(!nsec_covers(
            &n("xx.example."),
            &apex,
            &apex,
            &n("b.example.")
        ));
        assert!(!nsec_covers(
            &n("xx.example."),
            &apex,
            &apex,
            &n("xx.example.")
        ));
        // Malformed wrap (next is not the apex): covers nothing.
        assert!(!nsec_covers(
            &n("xx.example."),
            &n("b.example."),
            &apex,
            &n("z.example.")
        ));
        // A one-name zone: the apex NSEC points at itself.
        assert!(nsec_covers(&apex, &apex, &apex, &n("foo.example.")));
        assert!(!nsec_covers(&apex, &apex, &apex, &apex));
    }

    #[test]
    fn b2_name_error() {
        let proof = pick(&rfc4035_chain(), &["b.example.", "example."]);
        let ok = prove_nxdomain(&proof, &n("example."), &n("ml.example.")).unwrap();
        assert_eq!(ok.closest_encloser, n("example."));
        // Without the wildcard cover the proof fails.
        let proof = pick(&rfc4035_chain(), &["b.example."]);
        assert_eq!(
            prove_nxdomain(&proof, &n("example."), &n("ml.example.")),
            Err(NsecError::WildcardNotDenied {
                wildcard: Box::new(n("*.example."))
            })
        );
    }

    #[test]
    fn name_error_under_existing_wildcard_is_refused() {
        let chain = rfc4035_chain();
        // a.z.w.example is covered, but *.w.example exists.
        assert!(matches!(
            prove_nxdomain(&chain, &n("example."), &n("a.z.w.example.")),
            Err(NsecError::WildcardNotDenied { .. })
        ));
    }

    #[test]
    fn b3_no_data_and_type_in_bitmap() {
        let proof = pick(&rfc4035_chain(), &["ns1.example."]);
        assert_eq!(
            prove_nodata(&proof, &n("example."), &n("ns1.example."), MX),
            Ok(NsecNoData::AtName)
        );
        assert!(matches!(
            prove_nodata(&proof, &n("example."), &n("ns1.example."), A),
            Err(NsecError::TypeInBitmap { .. })
        ));
        let cname = vec![nsec("c.example.", "d.example.", &[CNAME, RRSIG, NSEC_T])];
        assert!(matches!(
            prove_nodata(&cname, &n("example."), &n("c.example."), A),
            Err(NsecError::CnameInBitmap { .. })
        ));
    }

    #[test]
    fn empty_non_terminal() {
        let proof = pick(&rfc4035_chain(), &["ns2.example."]);
        assert_eq!(
            prove_nodata(&proof, &n("example."), &n("w.example."), A),
            Ok(NsecNoData::EmptyNonTerminal)
        );
        // ns2 -> *.w covers v.example too, but *.w is not below it.
        assert!(prove_nodata(&proof, &n("example."), &n("v.example."), A).is_err());
    }

    #[test]
    fn empty_non_terminal_is_not_a_name_error() {
        // ns2 -> *.w.example: w.example is an ENT, it exists.
        let proof = pick(&rfc4035_chain(), &["ns2.example.", "example."]);
        assert!(matches!(
            prove_nxdomain(&proof, &n("example."), &n("w.example.")),
            Err(NsecError::NameExists { .. })
        ));
        assert!(matches!(
            prove_wildcard_nodata(&proof, &n("example."), &n("w.example."), A),
            Err(NsecError::NameExists { .. })
        ));
    }

    #[test]
    fn closest_encloser_from_the_next_name() {
        // `!` sorts before `*`: ns2.example < w.example < !.w.example <
        // *.w.example. The closest encloser is w.example (from the next
        // name), whose wildcard exists: no name error.
        let mut q = Name::from_labels([&b"!"[..], b"w", b"example"]).unwrap();
        q.set_fqdn(true);
        let chain = rfc4035_chain();
        assert_eq!(
            prove_nxdomain(&chain, &n("example."), &q),
            Err(NsecError::WildcardNotDenied {
                wildcard: Box::new(n("*.w.example."))
            })
        );
    }

    #[test]
    fn root_zone_wrap_around() {
        let root = Name::root();
        let chain = vec![
            nsec(".", "aaa.", &[NS, SOA, RRSIG, NSEC_T, DNSKEY]),
            nsec("aaa.", "zw.", &[NS, DS, RRSIG, NSEC_T]),
            nsec("zw.", ".", &[NS, DS, RRSIG, NSEC_T]),
        ];
        let ok = prove_nxdomain(&chain, &root, &n("zz.")).unwrap();
        assert_eq!(ok.closest_encloser, root);
        assert_eq!(
            prove_nodata(&chain, &root, &root, MX),
            Ok(NsecNoData::AtName)
        );
        // Below the zw. delegation nothing can be denied by the root.
        assert!(matches!(
            prove_nxdomain(&chain, &root, &n("a.zw.")),
            Err(NsecError::AncestorDelegation { .. })
        ));
    }

    #[test]
    fn parent_side_nsec_cannot_deny_below_the_cut_or_other_types() {
        let chain = rfc4035_chain();
        let b = pick(&chain, &["b.example.", "example."]);
        assert!(matches!(
            prove_nxdomain(&b, &n("example."), &n("mc.b.example.")),
            Err(NsecError::AncestorDelegation { .. })
        ));
        assert!(matches!(
            prove_nodata(&b, &n("example."), &n("b.example."), A),
            Err(NsecError::AncestorDelegation { .. })
        ));
        assert_eq!(
            prove_ds_nodata(&b, &n("example."), &n("b.example.")),
            Ok(NsecNoData::AtName)
        );
    }

    #[test]
    fn dname_nsec_cannot_deny_below() {
        let proof = vec![
            nsec("d.example.", "e.example.", &[DNAME, RRSIG, NSEC_T]),
            nsec("example.", "d.example.", &[SOA, NS, RRSIG, NSEC_T]),
        ];
        assert!(matches!(
            prove_nxdomain(&proof, &n("example."), &n("x.d.example.")),
            Err(NsecError::DnameAncestor { .. })
        ));
    }

    #[test]
    fn b5_insecure_referral() {
        let chain = rfc4035_chain();
        let b = pick(&chain, &["b.example."]);
        assert_eq!(
            prove_insecure_delegation(&b, &n("example."), &n("b.example.")),
            Ok(())
        );
        let a = pick(&chain, &["a.example."]);
        assert!(matches!(
            prove_insecure_delegation(&a, &n("example."), &n("a.example.")),
            Err(NsecError::TypeInBitmap { rtype: DS, .. })
        ));
        let apex = pick(&chain, &["example."]);
        assert!(matches!(
            prove_insecure_delegation(&apex, &n("example."), &n("example.")),
            Err(NsecError::ChildSideNsec { .. })
        ));
        let ns1 = pick(&chain, &["ns1.example."]);
        assert!(matches!(
            prove_insecure_delegation(&ns1, &n("example."), &n("ns1.example.")),
            Err(NsecError::NotADelegation { .. })
        ));
    }

    #[test]
    fn b6_wildcard_answer() {
        let proof = pick(&rfc4035_chain(), &["x.y.w.example."]);
        let ok = prove_wildcard_answer(&proof, &n("example."), &n("a.z.w.example."), 2).unwrap();
        assert_eq!(ok.wildcard, n("*.w.example."));
        // Claiming the wildcard was *.example: the NSEC shows w.example exists.
        assert!(matches!(
            prove_wildcard_answer(&proof, &n("example."), &n("a.z.w.example."), 1),
            Err(NsecError::WrongClosestEncloser { .. })
        ));
        assert!(matches!(
            prove_wildcard_answer(&proof, &n("example."), &n("a.z.w.example."), 4),
            Err(NsecError::NotAWildcardExpansion { .. })
        ));
        // The wrong NSEC: does not cover the query name.
        let wrong = pick(&rfc4035_chain(), &["x.w.example."]);
        assert!(prove_wildcard_answer(&wrong, &n("example."), &n("a.z.w.example."), 2).is_err());
    }

    #[test]
    fn b7_wildcard_no_data() {
        let proof = pick(&rfc4035_chain(), &["x.y.w.example.", "*.w.example."]);
        let ok = prove_wildcard_nodata(&proof, &n("example."), &n("a.z.w.example."), AAAA).unwrap();
        assert_eq!(ok.closest_encloser, n("w.example."));
        assert!(matches!(
            prove_wildcard_nodata(&proof, &n("example."), &n("a.z.w.example."), MX),
            Err(NsecError::TypeInBitmap { .. })
        ));
        let missing = pick(&rfc4035_chain(), &["x.y.w.example."]);
        assert!(matches!(
            prove_wildcard_nodata(&missing, &n("example."), &n("a.z.w.example."), AAAA),
            Err(NsecError::WildcardNsecMissing { .. })
        ));
    }

    #[test]
    fn b8_ds_child_zone_no_data() {
        let proof = pick(&rfc4035_chain(), &["example."]);
        assert_eq!(
            prove_ds_nodata(&proof, &n("example."), &n("example.")),
            Ok(NsecNoData::AtName)
        );
    }

    #[test]
    fn out_of_zone_records_and_names_are_ignored() {
        let chain = rfc4035_chain();
        assert!(matches!(
            prove_nxdomain(&chain, &n("example."), &n("foo.test.")),
            Err(NsecError::OutOfZone { .. })
        ));
        // The example chain is not evidence for the zone w.example.
        assert!(prove_nxdomain(&chain, &n("other."), &n("ml.other.")).is_err());
    }
}
