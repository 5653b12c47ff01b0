//! RRsets as they come off the wire: records grouped by owner, type and
//! class, together with the RRSIGs that cover them (RFC 4034 §3: an RRSIG
//! covers the RRset of its owner, class and "type covered").

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// One RRset and its signatures.
#[derive(Clone, Debug, PartialEq)]
pub struct Rrset {
    pub name: Name,
    pub rtype: RecordType,
    pub records: Vec<Record>,
    pub rrsigs: Vec<Record>,
}

impl Rrset {
    /// Lowest TTL of the records (RFC 2181 §5.2: an RRset has one TTL; a
    /// server sending several gets the minimum).
    pub fn ttl(&self) -> u32 {
        self.records.iter().map(|r| r.ttl).min().unwrap_or(0)
    }

    /// Records followed by their RRSIGs.
    pub fn all_records(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().chain(self.rrsigs.iter())
    }
}

/// The type an RRSIG record covers, or `None` for other records.
pub fn rrsig_covered(record: &Record) -> Option<RecordType> {
    match &record.data {
        RData::DNSSEC(DNSSECRData::RRSIG(sig)) => Some(sig.input().type_covered),
        _ => None,
    }
}

/// Groups records into RRsets, attaching each RRSIG to the RRset it covers.
/// Order of first appearance is kept (it matters for CNAME chains).
/// RRSIGs covering nothing present are kept as RRsets of their own with no
/// records, so a caller can see "signatures without data".
pub fn group(records: &[Record]) -> Vec<Rrset> {
    let mut sets: Vec<Rrset> = Vec::new();
    let mut orphan_sigs: Vec<(RecordType, Record)> = Vec::new();
    for r in records {
        let rtype = r.record_type();
        if rtype == RecordType::OPT {
            continue;
        }
        if let Some(covered) = rrsig_covered(r) {
            orphan_sigs.push((covered, r.clone()));
            continue;
        }
        match sets
            .iter_mut()
            .find(|s| s.rtype == rtype && s.name == r.name)
        {
            Some(set) => {
                // RFC 2181 §5: duplicate RRs in a set are one RR.
                if !set.records.iter().any(|x| x.data == r.data) {
                    set.records.push(r.clone());
                }
            }
            None => sets.push(Rrset {
                name: r.name.clone(),
                rtype,
                records: vec![r.clone()],
                rrsigs: Vec::new(),
            }),
        }
    }
    for (covered, sig) in orphan_sigs {
        match sets
            .iter_mut()
            .find(|s| s.rtype == covered && s.name == sig.name)
        {
            Some(set) => set.rrsigs.push(sig),
            None => sets.push(Rrset {
                name: sig.name.clone(),
                rtype: covered,
                records: Vec::new(),
                rrsigs: vec![sig],
            }),
        }
    }
    sets
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::A;

    #[test]
    fn groups_by_owner_and_type_case_insensitively_and_dedups() {
        let n1 = Name::from_ascii("www.example.").unwrap();
        let n2 = Name::from_ascii("WWW.Example.").unwrap();
        let recs = vec![
            Record::from_rdata(n1.clone(), 60, RData::A(A::new(192, 0, 2, 1))),
            Record::from_rdata(n2, 30, RData::A(A::new(192, 0, 2, 2))),
            Record::from_rdata(n1, 60, RData::A(A::new(192, 0, 2, 1))),
        ];
        let sets = group(&recs);
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].records.len(), 2);
        assert_eq!(sets[0].ttl(), 30);
    }
}
