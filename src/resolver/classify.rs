//! Deciding what an upstream response *is*: an answer, a referral, a
//! negative answer, or a sign that the server is lame. This is where
//! bailiwick rules are enforced: whatever a server says about names outside
//! the zone it was asked as an authority for is dropped here, before anything
//! is cached (RFC 2181 §5.4.1, the defence against Kashpureff-style poisoning).

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

use super::rrset::{group, Rrset};

/// How the server was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Iterating: the server is an authority for `zone`; answers need AA.
    Authoritative,
    /// Forwarding: the server is a recursive resolver; no AA, no referrals.
    Forwarding,
}

/// What a response means for the question asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Classified {
    /// The answer section answers the question: RRsets (in bailiwick) in
    /// wire order: possibly a DNAME, CNAMEs, then the final RRset; with the
    /// NSEC/NSEC3 RRsets of the authority section (wildcard proofs).
    Answer {
        answer: Vec<Rrset>,
        proofs: Vec<Rrset>,
        /// Addresses of NS names from the additional section, in zone
        /// (used when an NS answer reveals a cut the server also serves).
        glue: Vec<Rrset>,
    },
    /// A delegation to `child`, below the zone asked.
    Referral(Box<Referral>),
    /// The name does not exist. `authority`: SOA, NSEC/NSEC3 with RRSIGs.
    NxDomain { authority: Vec<Rrset> },
    /// The name exists without data of the type asked.
    NoData { authority: Vec<Rrset> },
    /// The server is no use for this zone (reason for the log).
    Lame(String),
    /// The server reported an error.
    Error(ResponseCode),
}

/// A referral, with glue already filtered by bailiwick.
#[derive(Clone, Debug, PartialEq)]
pub struct Referral {
    pub child: Name,
    pub ns: Rrset,
    /// A/AAAA RRsets for NS names, within the referring zone.
    pub glue: Vec<Rrset>,
    /// The child's DS RRset with RRSIGs, if the parent sent one.
    pub ds: Option<Rrset>,
    /// NSEC/NSEC3 RRsets proving the absence of DS (insecure delegation).
    pub proofs: Vec<Rrset>,
}

/// The target of a DNAME record (RFC 6672 §2.1). hickory-proto has no
/// typed DNAME, so it arrives as unknown RDATA holding an uncompressed name
/// (RFC 3597 §4: new types are never compressed).
pub fn dname_target(record: &Record) -> Option<Name> {
    match &record.data {
        RData::Unknown { code, rdata } if *code == RecordType::DNAME => {
            let mut decoder = BinDecoder::new(&rdata.anything);
            Name::read(&mut decoder).ok()
        }
        _ => None,
    }
}

/// RFC 6672 §2.2: replace the DNAME owner suffix of `qname` by the target.
/// `None` when the result would be too long (the server should have said
/// YXDOMAIN) or `owner` is not a proper ancestor.
pub fn dname_substitute(qname: &Name, owner: &Name, target: &Name) -> Option<Name> {
    if !owner.zone_of(qname) || owner == qname {
        return None;
    }
    let keep = usize::from(qname.num_labels()) - usize::from(owner.num_labels());
    let labels: Vec<&[u8]> = qname.iter().take(keep).collect();
    let prefix = Name::from_labels(labels).ok()?;
    prefix.append_domain(target).ok()
}

/// Classifies `msg`, the response to (`sname`, `stype`) from a server of
/// `zone`. Records outside `zone` are ignored.
pub fn classify(
    msg: &Message,
    zone: &Name,
    sname: &Name,
    stype: RecordType,
    mode: Mode,
) -> Classified {
    let rcode = msg.metadata.response_code;
    let aa = msg.metadata.authoritative || mode == Mode::Forwarding;
    let in_zone = |r: &Record| zone.zone_of(&r.name);

    match rcode {
        ResponseCode::NoError | ResponseCode::NXDomain => {}
        other => return Classified::Error(other),
    }

    let answer: Vec<Record> = msg.answers.iter().filter(|r| in_zone(r)).cloned().collect();
    let answer = group(&answer);
    let authority: Vec<Record> = msg
        .authorities
        .iter()
        .filter(|r| in_zone(r))
        .cloned()
        .collect();
    let authority = group(&authority);

    // An answer for the name (or a CNAME/DNAME leading away from it).
    let relevant = |s: &Rrset| {
        !s.records.is_empty()
            && ((s.name == *sname && (s.rtype == stype || s.rtype == RecordType::CNAME))
                || (s.rtype == RecordType::DNAME && s.name.zone_of(sname) && s.name != *sname))
    };
    if answer.iter().any(relevant) {
        if !aa {
            return Classified::Lame("answer without AA (recursion-only or lame server)".into());
        }
        let proofs = authority
            .into_iter()
            .filter(|s| matches!(s.rtype, RecordType::NSEC | RecordType::NSEC3))
            .collect();
        let ns_names: Vec<Name> = answer
            .iter()
            .filter(|s| s.rtype == RecordType::NS)
            .flat_map(|s| s.records.iter())
            .filter_map(|r| match &r.data {
                RData::NS(n) => Some(n.0.clone()),
                _ => None,
            })
            .collect();
        let glue = glue_for(msg, zone, &ns_names);
        return Classified::Answer {
            answer,
            proofs,
            glue,
        };
    }

    if rcode == ResponseCode::NXDomain {
        if !aa {
            return Classified::Lame("NXDOMAIN without AA".into());
        }
        return Classified::NxDomain {
            authority: negative_authority(authority, sname),
        };
    }

    // A referral: NS records in authority for a name strictly below the zone
    // and at or above the name asked.
    let ns_sets: Vec<&Rrset> = authority
        .iter()
        .filter(|s| s.rtype == RecordType::NS && !s.records.is_empty())
        .collect();
    let has_soa = authority.iter().any(|s| s.rtype == RecordType::SOA);
    if let (Some(ns), false) = (ns_sets.first(), has_soa) {
        if mode == Mode::Forwarding {
            return Classified::Lame("forwarder sent a referral".into());
        }
        if ns.name == *zone || !ns.name.zone_of(sname) {
            return Classified::Lame(format!("upward or sideways referral to {}", ns.name));
        }
        if aa && !msg.answers.is_empty() {
            // AA with NS in authority and an unrelated answer: not a referral.
            return Classified::Lame("confusing response".into());
        }
        return Classified::Referral(Box::new(referral(msg, zone, (*ns).clone(), &authority)));
    }
    if !msg.authorities.is_empty() && authority.is_empty() && !has_soa {
        // Everything in authority was out of zone: a lame or poisoning server.
        return Classified::Lame("authority section outside the zone".into());
    }

    if !aa {
        return Classified::Lame("empty response without AA".into());
    }
    Classified::NoData {
        authority: negative_authority(authority, sname),
    }
}

/// The authority RRsets worth keeping with a negative answer: the SOA of a
/// zone containing the name, and NSEC/NSEC3 records (RFC 2308 §2, RFC 4035
/// §3.1.3), each with their RRSIGs.
fn negative_authority(authority: Vec<Rrset>, sname: &Name) -> Vec<Rrset> {
    authority
        .into_iter()
        .filter(|s| match s.rtype {
            RecordType::SOA => s.name.zone_of(sname),
            RecordType::NSEC | RecordType::NSEC3 => true,
            _ => false,
        })
        .collect()
}

/// Glue: addresses of the NS names, and only within the zone of the
/// server that sent them (Unbound's harden-glue; RFC 2181 §5.4.1).
fn glue_for(msg: &Message, zone: &Name, ns_names: &[Name]) -> Vec<Rrset> {
    let records: Vec<Record> = msg
        .additionals
        .iter()
        .filter(|r| matches!(r.record_type(), RecordType::A | RecordType::AAAA))
        .filter(|r| zone.zone_of(&r.name) && ns_names.contains(&r.name))
        .cloned()
        .collect();
    group(&records)
}

fn referral(msg: &Message, zone: &Name, ns: Rrset, authority: &[Rrset]) -> Referral {
    // (authority is already limited to the referring zone's bailiwick)
    let child = ns.name.clone();
    let ns_names: Vec<Name> = ns
        .records
        .iter()
        .filter_map(|r| match &r.data {
            RData::NS(n) => Some(n.0.clone()),
            _ => None,
        })
        .collect();
    let glue = glue_for(msg, zone, &ns_names);
    let ds = authority
        .iter()
        .find(|s| s.rtype == RecordType::DS && s.name == child)
        .cloned();
    let proofs = authority
        .iter()
        .filter(|s| matches!(s.rtype, RecordType::NSEC | RecordType::NSEC3))
        .cloned()
        .collect();
    Referral {
        child,
        ns,
        glue,
        ds,
        proofs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{MessageType, OpCode};
    use hickory_proto::rr::rdata::{A, NS, SOA};

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn msg(aa: bool, rcode: ResponseCode) -> Message {
        let mut m = Message::new(1, MessageType::Response, OpCode::Query);
        m.metadata.authoritative = aa;
        m.metadata.response_code = rcode;
        m
    }

    fn ns(owner: &str, target: &str) -> Record {
        Record::from_rdata(n(owner), 3600, RData::NS(NS(n(target))))
    }

    fn a(owner: &str) -> Record {
        Record::from_rdata(n(owner), 3600, RData::A(A::new(192, 0, 2, 1)))
    }

    fn soa(owner: &str) -> Record {
        Record::from_rdata(
            n(owner),
            3600,
            RData::SOA(SOA::new(n("ns."), n("h."), 1, 2, 3, 4, 300)),
        )
    }

    #[test]
    fn referral_keeps_in_bailiwick_glue_only() {
        let mut m = msg(false, ResponseCode::NoError);
        m.authorities.push(ns("example.com.", "ns1.example.com."));
        m.authorities.push(ns("example.com.", "ns.evil.net."));
        m.additionals.push(a("ns1.example.com."));
        m.additionals.push(a("ns.evil.net."));
        m.additionals.push(a("www.example.com."));
        match classify(
            &m,
            &n("com."),
            &n("www.example.com."),
            RecordType::A,
            Mode::Authoritative,
        ) {
            Classified::Referral(r) => {
                assert_eq!(r.child, n("example.com."));
                assert_eq!(r.glue.len(), 1);
                assert_eq!(r.glue[0].name, n("ns1.example.com."));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn upward_referral_is_lame() {
        let mut m = msg(false, ResponseCode::NoError);
        m.authorities.push(ns(".", "a.root-servers.net."));
        assert!(matches!(
            classify(
                &m,
                &n("example.com."),
                &n("www.example.com."),
                RecordType::A,
                Mode::Authoritative
            ),
            Classified::Lame(_)
        ));
    }

    #[test]
    fn answers_need_aa_and_out_of_zone_records_are_dropped() {
        let mut m = msg(false, ResponseCode::NoError);
        m.answers.push(a("www.example.com."));
        assert!(matches!(
            classify(
                &m,
                &n("example.com."),
                &n("www.example.com."),
                RecordType::A,
                Mode::Authoritative
            ),
            Classified::Lame(_)
        ));
        let mut m = msg(true, ResponseCode::NoError);
        m.answers.push(a("www.example.com."));
        m.answers.push(a("www.bank.test."));
        match classify(
            &m,
            &n("example.com."),
            &n("www.example.com."),
            RecordType::A,
            Mode::Authoritative,
        ) {
            Classified::Answer { answer, .. } => assert_eq!(answer.len(), 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn negative_answers() {
        let mut m = msg(true, ResponseCode::NXDomain);
        m.authorities.push(soa("example.com."));
        assert!(matches!(
            classify(
                &m,
                &n("example.com."),
                &n("nope.example.com."),
                RecordType::A,
                Mode::Authoritative
            ),
            Classified::NxDomain { .. }
        ));
        let mut m = msg(true, ResponseCode::NoError);
        m.authorities.push(soa("example.com."));
        assert!(matches!(
            classify(
                &m,
                &n("example.com."),
                &n("www.example.com."),
                RecordType::MX,
                Mode::Authoritative
            ),
            Classified::NoData { .. }
        ));
    }

    #[test]
    fn dname_substitution() {
        let q = n("a.b.old.example.");
        let got = dname_substitute(&q, &n("old.example."), &n("new.test.")).unwrap();
        assert_eq!(got, n("a.b.new.test."));
        assert!(dname_substitute(&n("old.example."), &n("old.example."), &n("x.")).is_none());
    }
}
