//! Authenticated denial of existence, round trip: zones get NSEC / NSEC3
//! chains from `sim::denial_chain`, an authoritative server's proof records
//! are selected, and the validator-side proofs (`anchord::dnssec::nsec`,
//! `nsec3`) must accept them, and reject tampered sets.
//!
//! The RFC 4035 Appendix A and RFC 5155 Appendix A example zones are the
//! fixed points: the chains built from them must equal the published ones.

mod sim;

use anchord::config::LimitsConfig;
use anchord::dnssec::nsec::{self, NsecError};
use anchord::dnssec::nsec3::{self, InsecureReason, Nsec3Error, Nsec3Limits, Nsec3Outcome};
use anchord::dnssec::nsec3_hash::base32hex_encode;
use anchord::dnssec::state::EdeCode;
use anchord::resolver::budget::{Budget, BudgetKind};
use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use sim::denial_chain::{DenialChain, DenialKind, Nsec3Config};
use RecordType::{
    A, AAAA, CNAME, DNAME, DNSKEY, DS, HINFO, MX, NS, NSEC3PARAM, RRSIG, SOA, TLSA, TXT,
};

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// Records with the given types; the chain builder looks only at types.
fn zone(spec: &[(&str, &[RecordType])]) -> Vec<Record> {
    spec.iter()
        .flat_map(|(name, types)| {
            types.iter().map(move |t| {
                Record::from_rdata(
                    n(name),
                    3600,
                    RData::Unknown {
                        code: *t,
                        rdata: NULL::with(vec![0]),
                    },
                )
            })
        })
        .collect()
}

/// RFC 4035 Appendix A / RFC 5155 Appendix A example zone (without the
/// NSEC3-only name `2t7b...example`).
const EXAMPLE: &[(&str, &[RecordType])] = &[
    ("example.", &[SOA, NS, MX, DNSKEY]),
    ("a.example.", &[NS, DS]),
    ("ns1.a.example.", &[A]),
    ("ns2.a.example.", &[A]),
    ("ai.example.", &[A, HINFO, AAAA]),
    ("ns1.example.", &[A]),
    ("ns2.example.", &[A]),
    ("*.w.example.", &[MX]),
    ("x.w.example.", &[MX]),
    ("x.y.w.example.", &[MX]),
    ("xx.example.", &[A, HINFO, AAAA]),
];

fn rfc4035_zone() -> Vec<Record> {
    let mut z = zone(EXAMPLE);
    z.extend(zone(&[
        ("b.example.", &[NS]),
        ("ns1.b.example.", &[A]),
        ("ns2.b.example.", &[A]),
    ]));
    z
}

fn rfc5155_zone() -> Vec<Record> {
    let mut z = zone(EXAMPLE);
    z.extend(zone(&[
        ("c.example.", &[NS]),
        ("ns1.c.example.", &[A]),
        ("ns2.c.example.", &[A]),
        ("2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.", &[A]),
    ]));
    z
}

fn rfc5155_config() -> Nsec3Config {
    Nsec3Config {
        salt: vec![0xaa, 0xbb, 0xcc, 0xdd],
        iterations: 12,
        opt_out: true,
    }
}

/// A mail-ish zone with the awkward cases: wildcard under an empty
/// non-terminal, deep ENTs, signed and unsigned delegations with glue,
/// CNAME, DNAME with an occluded name, mixed case.
const MAIL: &[(&str, &[RecordType])] = &[
    ("mail.test.", &[SOA, NS, MX, DNSKEY, TXT]),
    ("www.mail.test.", &[A, AAAA]),
    ("mx1.mail.test.", &[A]),
    ("_25._tcp.mx1.mail.test.", &[TLSA]),
    ("*.dyn.mail.test.", &[A, TXT]),
    ("a.b.c.mail.test.", &[TXT]),
    ("signed.mail.test.", &[NS, DS]),
    ("ns.signed.mail.test.", &[A]),
    ("unsigned.mail.test.", &[NS]),
    ("ns.unsigned.mail.test.", &[A, AAAA]),
    ("alias.mail.test.", &[CNAME]),
    ("dn.mail.test.", &[DNAME]),
    ("below.dn.mail.test.", &[A]),
    ("UPPER.Mail.test.", &[A]),
];

fn mail_apex() -> Name {
    n("mail.test.")
}

fn owners(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.name.to_ascii().to_ascii_lowercase())
        .collect()
}

fn types_of(r: &Record) -> Vec<RecordType> {
    let mut t: Vec<RecordType> = match &r.data {
        RData::DNSSEC(DNSSECRData::NSEC(x)) => x.type_bit_maps().collect(),
        RData::DNSSEC(DNSSECRData::NSEC3(x)) => x.type_bit_maps().collect(),
        _ => panic!("not a denial record"),
    };
    t.sort();
    t
}

fn sorted(mut t: Vec<RecordType>) -> Vec<RecordType> {
    t.sort();
    t
}

fn budget() -> Budget {
    Budget::new(&LimitsConfig::default())
}

/// What the validator side made of a proof.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Secure,
    Insecure,
    Bogus(String),
}

/// Runs the validator-side proof matching `kind` on `proof`.
fn validate(
    chain: &DenialChain,
    proof: &[Record],
    qname: &Name,
    qtype: RecordType,
    kind: DenialKind,
) -> Verdict {
    let apex = chain.apex();
    let labels = u8::try_from(chain.closest_encloser(qname).iter().count()).unwrap();
    let is_nsec3 = proof
        .iter()
        .any(|r| matches!(r.data, RData::DNSSEC(DNSSECRData::NSEC3(_))));
    if !is_nsec3 {
        let r = match kind {
            DenialKind::NxDomain => nsec::prove_nxdomain(proof, apex, qname).map(|_| ()),
            DenialKind::NoData => nsec::prove_nodata(proof, apex, qname, qtype).map(|_| ()),
            DenialKind::WildcardAnswer => {
                nsec::prove_wildcard_answer(proof, apex, qname, labels).map(|_| ())
            }
            DenialKind::WildcardNoData => {
                nsec::prove_wildcard_nodata(proof, apex, qname, qtype).map(|_| ())
            }
            DenialKind::UnsignedReferral => {
                let d = chain.delegation_for(qname).unwrap();
                nsec::prove_insecure_delegation(proof, apex, &d)
            }
        };
        return match r {
            Ok(()) => Verdict::Secure,
            Err(e) => Verdict::Bogus(e.to_string()),
        };
    }
    let lim = Nsec3Limits::default();
    let b = budget();
    let r = match kind {
        DenialKind::NxDomain => nsec3::prove_nxdomain(proof, apex, qname, &lim, &b),
        DenialKind::NoData => nsec3::prove_nodata(proof, apex, qname, qtype, &lim, &b),
        DenialKind::WildcardAnswer => {
            nsec3::prove_wildcard_answer(proof, apex, qname, labels, &lim, &b)
        }
        DenialKind::WildcardNoData => {
            nsec3::prove_wildcard_nodata(proof, apex, qname, qtype, &lim, &b)
        }
        DenialKind::UnsignedReferral => {
            let d = chain.delegation_for(qname).unwrap();
            nsec3::prove_insecure_delegation(proof, apex, &d, &lim, &b)
        }
    };
    match r {
        Ok(Nsec3Outcome::Secure(_)) => Verdict::Secure,
        Ok(Nsec3Outcome::Insecure(_)) => Verdict::Insecure,
        Err(e) => Verdict::Bogus(e.to_string()),
    }
}

// ---------------------------------------------------------------------
// The published chains.

#[test]
fn rfc4035_example_zone_nsec_chain() {
    let chain = DenialChain::nsec(&n("example."), &rfc4035_zone(), 3600);
    let recs = chain.records();
    let expected: &[(&str, &str, &[RecordType])] = &[
        (
            "example.",
            "a.example.",
            &[NS, SOA, MX, RRSIG, RecordType::NSEC, DNSKEY],
        ),
        (
            "a.example.",
            "ai.example.",
            &[NS, DS, RRSIG, RecordType::NSEC],
        ),
        (
            "ai.example.",
            "b.example.",
            &[A, HINFO, AAAA, RRSIG, RecordType::NSEC],
        ),
        ("b.example.", "ns1.example.", &[NS, RRSIG, RecordType::NSEC]),
        (
            "ns1.example.",
            "ns2.example.",
            &[A, RRSIG, RecordType::NSEC],
        ),
        (
            "ns2.example.",
            "*.w.example.",
            &[A, RRSIG, RecordType::NSEC],
        ),
        (
            "*.w.example.",
            "x.w.example.",
            &[MX, RRSIG, RecordType::NSEC],
        ),
        (
            "x.w.example.",
            "x.y.w.example.",
            &[MX, RRSIG, RecordType::NSEC],
        ),
        (
            "x.y.w.example.",
            "xx.example.",
            &[MX, RRSIG, RecordType::NSEC],
        ),
        (
            "xx.example.",
            "example.",
            &[A, HINFO, AAAA, RRSIG, RecordType::NSEC],
        ),
    ];
    assert_eq!(recs.len(), expected.len());
    for (r, (owner, next, types)) in recs.iter().zip(expected) {
        let RData::DNSSEC(DNSSECRData::NSEC(x)) = &r.data else {
            panic!()
        };
        assert_eq!(r.name, n(owner));
        assert_eq!(x.next_domain_name(), &n(next), "next of {owner}");
        assert_eq!(types_of(r), sorted(types.to_vec()), "bitmap of {owner}");
    }
}

const RFC5155_CHAIN: &[(&str, &str, &[RecordType])] = &[
    (
        "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
        "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
        &[MX, DNSKEY, NS, SOA, NSEC3PARAM, RRSIG],
    ),
    (
        "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
        "2vptu5timamqttgl4luu9kg21e0aor3s",
        &[A, RRSIG],
    ),
    (
        "2vptu5timamqttgl4luu9kg21e0aor3s",
        "35mthgpgcu1qg68fab165klnsnk3dpvl",
        &[MX, RRSIG],
    ),
    (
        "35mthgpgcu1qg68fab165klnsnk3dpvl",
        "b4um86eghhds6nea196smvmlo4ors995",
        &[NS, DS, RRSIG],
    ),
    (
        "b4um86eghhds6nea196smvmlo4ors995",
        "gjeqe526plbf1g8mklp59enfd789njgi",
        &[MX, RRSIG],
    ),
    (
        "gjeqe526plbf1g8mklp59enfd789njgi",
        "ji6neoaepv8b5o6k4ev33abha8ht9fgc",
        &[A, HINFO, AAAA, RRSIG],
    ),
    (
        "ji6neoaepv8b5o6k4ev33abha8ht9fgc",
        "k8udemvp1j2f7eg6jebps17vp3n8i58h",
        &[],
    ),
    (
        "k8udemvp1j2f7eg6jebps17vp3n8i58h",
        "kohar7mbb8dc2ce8a9qvl8hon4k53uhi",
        &[],
    ),
    (
        "kohar7mbb8dc2ce8a9qvl8hon4k53uhi",
        "q04jkcevqvmu85r014c7dkba38o0ji5r",
        &[A, RRSIG],
    ),
    (
        "q04jkcevqvmu85r014c7dkba38o0ji5r",
        "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
        &[A, RRSIG],
    ),
    (
        "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
        "t644ebqk9bibcna874givr6joj62mlhv",
        &[MX, RRSIG],
    ),
    (
        "t644ebqk9bibcna874givr6joj62mlhv",
        "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
        &[A, HINFO, AAAA, RRSIG],
    ),
];

#[test]
fn rfc5155_example_zone_nsec3_chain() {
    let chain = DenialChain::nsec3(&n("example."), &rfc5155_zone(), &rfc5155_config(), 3600);
    let recs = chain.records();
    assert_eq!(recs.len(), RFC5155_CHAIN.len());
    for (r, (owner, next, types)) in recs.iter().zip(RFC5155_CHAIN) {
        let RData::DNSSEC(DNSSECRData::NSEC3(x)) = &r.data else {
            panic!()
        };
        assert_eq!(r.name, n(&format!("{owner}.example.")));
        assert_eq!(
            base32hex_encode(x.next_hashed_owner_name()),
            *next,
            "next of {owner}"
        );
        assert_eq!(types_of(r), sorted(types.to_vec()), "bitmap of {owner}");
        assert!(x.opt_out());
        assert_eq!(x.iterations(), 12);
        assert_eq!(x.salt(), &[0xaa, 0xbb, 0xcc, 0xdd]);
    }
}

/// RFC 5155 Appendix B: the authority sections selected for the published
/// queries, and what the validator makes of them.
#[test]
fn rfc5155_appendix_b_responses() {
    let chain = DenialChain::nsec3(&n("example."), &rfc5155_zone(), &rfc5155_config(), 3600);
    let hashes = |p: &[Record]| -> Vec<String> {
        let mut h: Vec<String> = owners(p)
            .iter()
            .map(|o| o.split('.').next().unwrap().to_string())
            .collect();
        h.sort();
        h
    };
    let cases: &[(&str, RecordType, DenialKind, &[&str], Verdict)] = &[
        // B.1: name error; the next closer's cover has opt-out.
        (
            "a.c.x.w.example.",
            A,
            DenialKind::NxDomain,
            &[
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
                "35mthgpgcu1qg68fab165klnsnk3dpvl",
                "b4um86eghhds6nea196smvmlo4ors995",
            ],
            Verdict::Insecure,
        ),
        // B.2: no data.
        (
            "ns1.example.",
            MX,
            DenialKind::NoData,
            &["2t7b4g4vsa5smi47k61mv5bv1a22bojr"],
            Verdict::Secure,
        ),
        // B.2.1: no data, empty non-terminal.
        (
            "y.w.example.",
            A,
            DenialKind::NoData,
            &["ji6neoaepv8b5o6k4ev33abha8ht9fgc"],
            Verdict::Secure,
        ),
        // B.3: referral to an opt-out unsigned zone.
        (
            "mc.c.example.",
            MX,
            DenialKind::UnsignedReferral,
            &[
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
                "35mthgpgcu1qg68fab165klnsnk3dpvl",
            ],
            Verdict::Insecure,
        ),
        // B.4: wildcard expansion (opt-out span: insecure).
        (
            "a.z.w.example.",
            MX,
            DenialKind::WildcardAnswer,
            &["q04jkcevqvmu85r014c7dkba38o0ji5r"],
            Verdict::Insecure,
        ),
        // B.5: wildcard no data.
        (
            "a.z.w.example.",
            AAAA,
            DenialKind::WildcardNoData,
            &[
                "k8udemvp1j2f7eg6jebps17vp3n8i58h",
                "q04jkcevqvmu85r014c7dkba38o0ji5r",
                "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
            ],
            Verdict::Insecure,
        ),
        // B.6: DS child zone no data.
        (
            "example.",
            DS,
            DenialKind::NoData,
            &["0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"],
            Verdict::Secure,
        ),
    ];
    for (qname, qtype, kind, want, verdict) in cases {
        let proof = chain.proof(&n(qname), *qtype, *kind);
        assert_eq!(hashes(&proof), want.to_vec(), "{qname} {qtype} {kind:?}");
        assert_eq!(
            &validate(&chain, &proof, &n(qname), *qtype, *kind),
            verdict,
            "{qname} {qtype} {kind:?}"
        );
    }
}

/// RFC 4035 Appendix B: the published NSEC responses.
#[test]
fn rfc4035_appendix_b_responses() {
    let chain = DenialChain::nsec(&n("example."), &rfc4035_zone(), 3600);
    let cases: &[(&str, RecordType, DenialKind, &[&str])] = &[
        // B.2 name error.
        (
            "ml.example.",
            A,
            DenialKind::NxDomain,
            &["b.example.", "example."],
        ),
        // B.3 no data.
        ("ns1.example.", MX, DenialKind::NoData, &["ns1.example."]),
        // B.5 referral to an unsigned zone.
        (
            "mc.b.example.",
            MX,
            DenialKind::UnsignedReferral,
            &["b.example."],
        ),
        // B.6 wildcard expansion.
        (
            "a.z.w.example.",
            MX,
            DenialKind::WildcardAnswer,
            &["x.y.w.example."],
        ),
        // B.7 wildcard no data.
        (
            "a.z.w.example.",
            AAAA,
            DenialKind::WildcardNoData,
            &["x.y.w.example.", "*.w.example."],
        ),
        // B.8 DS child zone no data.
        ("example.", DS, DenialKind::NoData, &["example."]),
    ];
    for (qname, qtype, kind, want) in cases {
        let proof = chain.proof(&n(qname), *qtype, *kind);
        assert_eq!(owners(&proof), want.to_vec(), "{qname} {qtype} {kind:?}");
        assert_eq!(
            validate(&chain, &proof, &n(qname), *qtype, *kind),
            Verdict::Secure,
            "{qname} {qtype} {kind:?}"
        );
    }
}

// ---------------------------------------------------------------------
// Round trips over the mail zone with every chain flavour.

/// Queries against MAIL and the answer kind the zone gives.
const MAIL_QUERIES: &[(&str, RecordType, DenialKind)] = &[
    ("nope.mail.test.", A, DenialKind::NxDomain),
    ("zzzz.mail.test.", MX, DenialKind::NxDomain),
    ("0.mail.test.", A, DenialKind::NxDomain),
    ("x.www.mail.test.", A, DenialKind::NxDomain),
    ("q.a.b.c.mail.test.", TXT, DenialKind::NxDomain),
    ("deep.er.nope.mail.test.", A, DenialKind::NxDomain),
    ("smtp._tcp.mx1.mail.test.", TLSA, DenialKind::NxDomain),
    ("www.mail.test.", MX, DenialKind::NoData),
    ("mx1.mail.test.", AAAA, DenialKind::NoData),
    ("mail.test.", AAAA, DenialKind::NoData),
    ("upper.mail.test.", MX, DenialKind::NoData),
    ("c.mail.test.", A, DenialKind::NoData),
    ("b.c.mail.test.", TXT, DenialKind::NoData),
    ("_tcp.mx1.mail.test.", A, DenialKind::NoData),
    ("dyn.mail.test.", A, DenialKind::NoData),
    ("foo.dyn.mail.test.", A, DenialKind::WildcardAnswer),
    ("bar.baz.dyn.mail.test.", TXT, DenialKind::WildcardAnswer),
    ("foo.dyn.mail.test.", MX, DenialKind::WildcardNoData),
    ("host.unsigned.mail.test.", A, DenialKind::UnsignedReferral),
    ("unsigned.mail.test.", DS, DenialKind::NoData),
];

fn mail_chains() -> Vec<(&'static str, DenialChain)> {
    let z = zone(MAIL);
    let apex = mail_apex();
    vec![
        ("nsec", DenialChain::nsec(&apex, &z, 300)),
        (
            "nsec3",
            DenialChain::nsec3(&apex, &z, &Nsec3Config::default(), 300),
        ),
        (
            "nsec3-salted",
            DenialChain::nsec3(
                &apex,
                &z,
                &Nsec3Config {
                    salt: vec![0xde, 0xad],
                    iterations: 5,
                    opt_out: false,
                },
                300,
            ),
        ),
        (
            "nsec3-optout",
            DenialChain::nsec3(
                &apex,
                &z,
                &Nsec3Config {
                    opt_out: true,
                    ..Nsec3Config::default()
                },
                300,
            ),
        ),
    ]
}

#[test]
fn mail_zone_proofs_round_trip() {
    for (flavour, chain) in mail_chains() {
        for (qname, qtype, kind) in MAIL_QUERIES {
            let qname = n(qname);
            let proof = chain.proof(&qname, *qtype, *kind);
            assert!(
                !proof.is_empty(),
                "{flavour}: no proof for {qname} {qtype} {kind:?}"
            );
            let verdict = validate(&chain, &proof, &qname, *qtype, *kind);
            // Opt-out never gives Secure where a next closer is involved;
            // everything else must be Secure.
            let expected = match (flavour, kind) {
                ("nsec3-optout", DenialKind::NxDomain)
                | ("nsec3-optout", DenialKind::WildcardAnswer)
                | ("nsec3-optout", DenialKind::WildcardNoData)
                | ("nsec3-optout", DenialKind::UnsignedReferral) => Verdict::Insecure,
                ("nsec3-optout", DenialKind::NoData) if qname == n("unsigned.mail.test.") => {
                    Verdict::Insecure
                }
                _ => Verdict::Secure,
            };
            assert_eq!(verdict, expected, "{flavour}: {qname} {qtype} {kind:?}");
        }
    }
}

#[test]
fn mail_zone_chain_shape() {
    let z = zone(MAIL);
    let apex = mail_apex();
    let chain = DenialChain::nsec(&apex, &z, 300);
    let names = owners(&chain.records());
    // Glue and occluded names get no NSEC; the DNAME owner does.
    for absent in [
        "ns.signed.mail.test.",
        "ns.unsigned.mail.test.",
        "below.dn.mail.test.",
    ] {
        assert!(!names.contains(&absent.to_string()), "{absent}");
    }
    assert!(names.contains(&"dn.mail.test.".to_string()));
    let at = |name: &str| chain.record_for(&n(name)).unwrap();
    assert_eq!(
        types_of(&at("unsigned.mail.test.")),
        sorted(vec![NS, RRSIG, RecordType::NSEC])
    );
    assert_eq!(
        types_of(&at("signed.mail.test.")),
        sorted(vec![NS, DS, RRSIG, RecordType::NSEC])
    );

    // NSEC3 without opt-out: ENTs with empty bitmaps, the unsigned
    // delegation with NS alone.
    let c3 = DenialChain::nsec3(&apex, &z, &Nsec3Config::default(), 300);
    for ent in [
        "c.mail.test.",
        "b.c.mail.test.",
        "dyn.mail.test.",
        "_tcp.mx1.mail.test.",
    ] {
        assert_eq!(types_of(&c3.record_for(&n(ent)).unwrap()), vec![], "{ent}");
    }
    assert_eq!(
        types_of(&c3.record_for(&n("unsigned.mail.test.")).unwrap()),
        vec![NS]
    );
    assert!(c3.record_for(&n("ns.unsigned.mail.test.")).is_none());
    // With opt-out the unsigned delegation has no NSEC3.
    let oo = DenialChain::nsec3(
        &apex,
        &z,
        &Nsec3Config {
            opt_out: true,
            ..Nsec3Config::default()
        },
        300,
    );
    assert!(oo.record_for(&n("unsigned.mail.test.")).is_none());
    assert!(oo.record_for(&n("signed.mail.test.")).is_some());
    assert!(oo.is_nsec3() && !chain.is_nsec3());
    assert!(chain.nsec3param(300).is_none());
    let param = oo.nsec3param(300).unwrap();
    assert_eq!(param.name, apex);
    assert_eq!(param.record_type(), NSEC3PARAM);
    assert_eq!(oo.records().len() + 1, c3.records().len());
}

/// An ENT that exists only because of an opt-out delegation gets no NSEC3.
#[test]
fn opt_out_ent_only_above_unsigned_delegation_is_omitted() {
    let z = zone(&[
        ("zone.test.", &[SOA, NS]),
        ("child.ent.zone.test.", &[NS]),
        ("www.zone.test.", &[A]),
    ]);
    let oo = DenialChain::nsec3(
        &n("zone.test."),
        &z,
        &Nsec3Config {
            opt_out: true,
            ..Nsec3Config::default()
        },
        300,
    );
    assert!(oo.record_for(&n("ent.zone.test.")).is_none());
    assert_eq!(oo.records().len(), 2);
    let proof = oo.proof(
        &n("host.child.ent.zone.test."),
        A,
        DenialKind::UnsignedReferral,
    );
    assert_eq!(
        validate(
            &oo,
            &proof,
            &n("host.child.ent.zone.test."),
            A,
            DenialKind::UnsignedReferral
        ),
        Verdict::Insecure
    );
    // NODATA at the omitted ENT: insecure, through the opt-out span.
    // (The apex NSEC3 may also be the one covering the ENT's hash.)
    let proof = oo.proof(&n("ent.zone.test."), A, DenialKind::NoData);
    assert!(!proof.is_empty());
    assert_eq!(
        validate(&oo, &proof, &n("ent.zone.test."), A, DenialKind::NoData),
        Verdict::Insecure
    );
}

// ---------------------------------------------------------------------
// Tampered proofs.

fn nsec_chain() -> DenialChain {
    DenialChain::nsec(&mail_apex(), &zone(MAIL), 300)
}

fn nsec3_chain(config: &Nsec3Config) -> DenialChain {
    DenialChain::nsec3(&mail_apex(), &zone(MAIL), config, 300)
}

#[test]
fn nsec_missing_wildcard_cover_is_bogus() {
    let chain = nsec_chain();
    let q = n("zzzz.mail.test.");
    let proof = chain.proof(&q, A, DenialKind::NxDomain);
    assert_eq!(
        proof.len(),
        2,
        "qname and wildcard covered by different NSECs"
    );
    let cover_only = vec![chain.cover_for(&q).unwrap()];
    assert!(matches!(
        nsec::prove_nxdomain(&cover_only, &mail_apex(), &q),
        Err(NsecError::WildcardNotDenied { .. })
    ));
}

#[test]
fn nsec_from_above_the_cut_is_bogus() {
    let chain = nsec_chain();
    let apex = mail_apex();
    // The parent-side NSEC at unsigned.mail.test "covers" names below it.
    let q = n("host.unsigned.mail.test.");
    let proof = vec![
        chain.record_for(&n("unsigned.mail.test.")).unwrap(),
        chain.record_for(&apex).unwrap(),
    ];
    assert!(matches!(
        nsec::prove_nxdomain(&proof, &apex, &q),
        Err(NsecError::AncestorDelegation { .. })
    ));
    // Nor may it deny types other than DS at the cut.
    assert!(matches!(
        nsec::prove_nodata(&proof, &apex, &n("unsigned.mail.test."), A),
        Err(NsecError::AncestorDelegation { .. })
    ));
    // The DNAME owner's NSEC cannot deny names below it.
    let dn = vec![
        chain.record_for(&n("dn.mail.test.")).unwrap(),
        chain.record_for(&apex).unwrap(),
    ];
    assert!(matches!(
        nsec::prove_nxdomain(&dn, &apex, &n("zz.dn.mail.test.")),
        Err(NsecError::DnameAncestor { .. })
    ));
}

#[test]
fn bitmap_with_the_type_is_bogus() {
    let apex = mail_apex();
    let chain = nsec_chain();
    let proof = chain.proof(&n("www.mail.test."), AAAA, DenialKind::NoData);
    assert!(matches!(
        nsec::prove_nodata(&proof, &apex, &n("www.mail.test."), AAAA),
        Err(NsecError::TypeInBitmap { rtype: AAAA, .. })
    ));
    let proof = chain.proof(&n("alias.mail.test."), A, DenialKind::NoData);
    assert!(matches!(
        nsec::prove_nodata(&proof, &apex, &n("alias.mail.test."), A),
        Err(NsecError::CnameInBitmap { .. })
    ));
    let c3 = nsec3_chain(&Nsec3Config::default());
    let proof = c3.proof(&n("www.mail.test."), AAAA, DenialKind::NoData);
    assert!(matches!(
        nsec3::prove_nodata(
            &proof,
            &apex,
            &n("www.mail.test."),
            AAAA,
            &Nsec3Limits::default(),
            &budget()
        ),
        Err(Nsec3Error::TypeInBitmap { rtype: AAAA, .. })
    ));
    let proof = c3.proof(&n("foo.dyn.mail.test."), MX, DenialKind::WildcardNoData);
    assert!(matches!(
        nsec3::prove_wildcard_nodata(
            &proof,
            &apex,
            &n("foo.dyn.mail.test."),
            TXT,
            &Nsec3Limits::default(),
            &budget()
        ),
        Err(Nsec3Error::TypeInBitmap { rtype: TXT, .. })
    ));
}

#[test]
fn nsec3_next_closer_not_covered_is_bogus() {
    let apex = mail_apex();
    let c3 = nsec3_chain(&Nsec3Config::default());
    let q = n("x.www.mail.test.");
    let proof = c3.proof(&q, A, DenialKind::NxDomain);
    assert_eq!(proof.len(), 3);
    let nc_cover = c3.cover_for(&q).unwrap();
    let tampered: Vec<Record> = proof
        .into_iter()
        .filter(|r| r.name != nc_cover.name)
        .collect();
    assert!(matches!(
        nsec3::prove_nxdomain(&tampered, &apex, &q, &Nsec3Limits::default(), &budget()),
        Err(Nsec3Error::NextCloserNotCovered { .. }) | Err(Nsec3Error::NoClosestEncloser { .. })
    ));
    // A wildcard answer without the next closer's cover.
    let wq = n("foo.dyn.mail.test.");
    let wrong = vec![c3.record_for(&n("www.mail.test.")).unwrap()];
    let r = nsec3::prove_wildcard_answer(&wrong, &apex, &wq, 3, &Nsec3Limits::default(), &budget());
    assert!(
        matches!(r, Err(Nsec3Error::NextCloserNotCovered { .. })),
        "{r:?}"
    );
}

#[test]
fn nsec3_missing_wildcard_cover_is_bogus() {
    let apex = mail_apex();
    let c3 = nsec3_chain(&Nsec3Config::default());
    let q = n("x.www.mail.test.");
    let wildcard_cover = c3.cover_for(&n("*.www.mail.test.")).unwrap();
    let proof: Vec<Record> = c3
        .proof(&q, A, DenialKind::NxDomain)
        .into_iter()
        .filter(|r| r.name != wildcard_cover.name)
        .collect();
    let r = nsec3::prove_nxdomain(&proof, &apex, &q, &Nsec3Limits::default(), &budget());
    assert!(
        matches!(
            r,
            Err(Nsec3Error::WildcardNotDenied { .. })
                | Err(Nsec3Error::NextCloserNotCovered { .. })
        ),
        "{r:?}"
    );
}

#[test]
fn nsec3_from_above_the_cut_is_bogus() {
    let apex = mail_apex();
    let c3 = nsec3_chain(&Nsec3Config::default());
    // Claim host.signed.mail.test does not exist using the parent-side
    // NSEC3 of the delegation as closest encloser.
    let q = n("host.signed.mail.test.");
    let mut proof = vec![c3.record_for(&n("signed.mail.test.")).unwrap()];
    proof.extend(c3.cover_for(&q));
    proof.extend(c3.cover_for(&n("*.signed.mail.test.")));
    assert!(matches!(
        nsec3::prove_nxdomain(&proof, &apex, &q, &Nsec3Limits::default(), &budget()),
        Err(Nsec3Error::AncestorDelegation { .. })
    ));
    let at_cut = vec![c3.record_for(&n("unsigned.mail.test.")).unwrap()];
    assert!(matches!(
        nsec3::prove_nodata(
            &at_cut,
            &apex,
            &n("unsigned.mail.test."),
            A,
            &Nsec3Limits::default(),
            &budget()
        ),
        Err(Nsec3Error::AncestorDelegation { .. })
    ));
    // ... but it does prove the delegation unsigned.
    assert!(matches!(
        nsec3::prove_insecure_delegation(
            &at_cut,
            &apex,
            &n("unsigned.mail.test."),
            &Nsec3Limits::default(),
            &budget()
        ),
        Ok(Nsec3Outcome::Secure(_))
    ));
}

#[test]
fn nsec3_opt_out_is_never_secure() {
    let apex = mail_apex();
    let oo = nsec3_chain(&Nsec3Config {
        opt_out: true,
        ..Nsec3Config::default()
    });
    let q = n("nope.mail.test.");
    let proof = oo.proof(&q, A, DenialKind::NxDomain);
    assert!(matches!(
        nsec3::prove_nxdomain(&proof, &apex, &q, &Nsec3Limits::default(), &budget()),
        Ok(Nsec3Outcome::Insecure(InsecureReason::OptOut { .. }))
    ));
    let d = n("unsigned.mail.test.");
    let proof = oo.proof(&d, DS, DenialKind::NoData);
    assert!(matches!(
        nsec3::prove_ds_nodata(&proof, &apex, &d, &Nsec3Limits::default(), &budget()),
        Ok(Nsec3Outcome::Insecure(InsecureReason::OptOut { .. }))
    ));
}

#[test]
fn nsec3_iterations_over_cap_are_insecure_with_ede_27() {
    let apex = mail_apex();
    let c3 = nsec3_chain(&Nsec3Config {
        salt: vec![1],
        iterations: 51,
        opt_out: false,
    });
    let q = n("nope.mail.test.");
    let proof = c3.proof(&q, A, DenialKind::NxDomain);
    let b = budget();
    let out = nsec3::prove_nxdomain(&proof, &apex, &q, &Nsec3Limits::default(), &b).unwrap();
    let Nsec3Outcome::Insecure(reason) = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        reason,
        InsecureReason::IterationsAboveCap {
            iterations: 51,
            cap: 50
        }
    );
    assert_eq!(
        reason.extended_error(&apex).unwrap().code,
        EdeCode::UnsupportedNsec3Iterations
    );
    assert_eq!(b.spent(BudgetKind::Nsec3Hashes), 0, "nothing hashed");
    // A higher configured cap accepts the same proof.
    let lim = Nsec3Limits {
        max_iterations: 100,
        ..Nsec3Limits::default()
    };
    assert!(matches!(
        nsec3::prove_nxdomain(&proof, &apex, &q, &lim, &b),
        Ok(Nsec3Outcome::Secure(_))
    ));
    assert!(b.spent(BudgetKind::Nsec3Hashes) >= 52);
}

#[test]
fn nsec3_mixed_parameters_are_bogus() {
    let apex = mail_apex();
    let a = nsec3_chain(&Nsec3Config::default());
    let b = nsec3_chain(&Nsec3Config {
        salt: vec![0xbb],
        ..Nsec3Config::default()
    });
    let q = n("x.www.mail.test.");
    let mut proof = a.proof(&q, A, DenialKind::NxDomain);
    proof.pop();
    proof.extend(b.proof(&q, A, DenialKind::NxDomain).pop());
    assert!(matches!(
        nsec3::prove_nxdomain(&proof, &apex, &q, &Nsec3Limits::default(), &budget()),
        Err(Nsec3Error::MixedParameters { .. })
    ));
}

#[test]
fn more_than_eight_nsec3_records_are_bogus() {
    let apex = mail_apex();
    let c3 = nsec3_chain(&Nsec3Config::default());
    let all = c3.records();
    assert!(all.len() > 8);
    let q = n("www.mail.test.");
    assert!(matches!(
        nsec3::prove_nodata(&all, &apex, &q, MX, &Nsec3Limits::default(), &budget()),
        Err(Nsec3Error::TooManyRecords { .. })
    ));
    assert!(matches!(
        nsec3::prove_nodata(&all[..8], &apex, &q, MX, &Nsec3Limits::default(), &budget()).or_else(
            |_| nsec3::prove_nodata(
                &c3.proof(&q, MX, DenialKind::NoData),
                &apex,
                &q,
                MX,
                &Nsec3Limits::default(),
                &budget()
            )
        ),
        Ok(Nsec3Outcome::Secure(_))
    ));
}

#[test]
fn nsec3_hash_budget_is_enforced() {
    let apex = mail_apex();
    let c3 = nsec3_chain(&Nsec3Config {
        salt: vec![],
        iterations: 10,
        opt_out: false,
    });
    let q = n("a.b.c.d.nope.mail.test.");
    let proof = c3.proof(&q, A, DenialKind::NxDomain);
    let tight = Budget::new(&LimitsConfig {
        max_nsec3_hashes: 22,
        ..LimitsConfig::default()
    });
    assert!(matches!(
        nsec3::prove_nxdomain(&proof, &apex, &q, &Nsec3Limits::default(), &tight),
        Err(Nsec3Error::Budget(_))
    ));
    assert!(tight.spent(BudgetKind::Nsec3Hashes) <= 22);
}

#[test]
fn wildcard_answer_with_wrong_labels_is_bogus() {
    let apex = mail_apex();
    let chain = nsec_chain();
    let q = n("foo.dyn.mail.test.");
    let proof = chain.proof(&q, A, DenialKind::WildcardAnswer);
    // Claims expansion from *.mail.test: dyn.mail.test exists.
    assert!(matches!(
        nsec::prove_wildcard_answer(&proof, &apex, &q, 2,),
        Err(NsecError::WrongClosestEncloser { .. })
    ));
    // Records of another zone prove nothing here.
    let other = DenialChain::nsec(
        &n("other.test."),
        &zone(&[("other.test.", &[SOA, NS])]),
        300,
    );
    let foreign = other.proof(&n("x.other.test."), A, DenialKind::NxDomain);
    assert!(nsec::prove_nxdomain(&foreign, &apex, &n("x.mail.test.")).is_err());
}

#[test]
fn existing_names_cannot_be_denied() {
    let apex = mail_apex();
    let chain = nsec_chain();
    // c.mail.test is an empty non-terminal: the NSEC before it points below it.
    let ent = n("c.mail.test.");
    let mut proof = chain.proof(&ent, A, DenialKind::NoData);
    proof.extend(chain.cover_for(&n("*.mail.test.")));
    assert!(matches!(
        nsec::prove_nxdomain(&proof, &apex, &ent),
        Err(NsecError::NameExists { .. })
    ));
    let c3 = nsec3_chain(&Nsec3Config::default());
    let proof = c3.proof(&ent, A, DenialKind::NoData);
    let r = nsec3::prove_nxdomain(&proof, &apex, &ent, &Nsec3Limits::default(), &budget());
    assert!(matches!(r, Err(Nsec3Error::NameExists { .. })), "{r:?}");
    assert_eq!(r.unwrap_err().ede_code(), EdeCode::DnssecBogus);
}

/// A tiny deterministic generator (PCG-style LCG) for arbitrary inputs.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, m: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % m
    }

    fn name(&mut self) -> Name {
        const LABELS: [&str; 7] = [
            "a",
            "b",
            "*",
            "x",
            "zone",
            "A",
            "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
        ];
        let mut s = String::new();
        for _ in 0..self.below(4) {
            s.push_str(LABELS[self.below(LABELS.len() as u64) as usize]);
            s.push('.');
        }
        s.push_str(if self.below(5) == 0 {
            "other."
        } else {
            "zone."
        });
        n(&s)
    }
}

/// Arbitrary (deterministic pseudo-random) records and names: every proof
/// function returns, none panics.
#[test]
fn arbitrary_inputs_never_panic() {
    let mut rng = Lcg(0x9e37_79b9_7f4a_7c15);
    let all_types = [A, NS, SOA, DS, CNAME, DNAME, MX, RRSIG];
    let apex = n("zone.");
    let lim = Nsec3Limits::default();
    for _ in 0..300 {
        let q = rng.name();
        let mut recs = Vec::new();
        for _ in 0..rng.below(6) {
            let owner = rng.name();
            let types: Vec<RecordType> = all_types
                .iter()
                .copied()
                .filter(|_| rng.below(2) == 0)
                .collect();
            let rdata = if rng.below(2) == 0 {
                RData::DNSSEC(DNSSECRData::NSEC(hickory_proto::dnssec::rdata::NSEC::new(
                    rng.name(),
                    types,
                )))
            } else {
                let hash: Vec<u8> = (0..20).map(|_| rng.below(256) as u8).collect();
                RData::DNSSEC(DNSSECRData::NSEC3(
                    hickory_proto::dnssec::rdata::NSEC3::new(
                        hickory_proto::dnssec::Nsec3HashAlgorithm::SHA1,
                        rng.below(2) == 0,
                        rng.below(3) as u16,
                        vec![],
                        hash,
                        types,
                    ),
                ))
            };
            recs.push(Record::from_rdata(owner, 300, rdata));
        }
        let t = all_types[rng.below(all_types.len() as u64) as usize];
        let labels_count = rng.below(5) as u8;
        let _ = nsec::prove_nxdomain(&recs, &apex, &q);
        let _ = nsec::prove_nodata(&recs, &apex, &q, t);
        let _ = nsec::prove_wildcard_nodata(&recs, &apex, &q, t);
        let _ = nsec::prove_wildcard_answer(&recs, &apex, &q, labels_count);
        let _ = nsec::prove_insecure_delegation(&recs, &apex, &q);
        let b = budget();
        let _ = nsec3::prove_nxdomain(&recs, &apex, &q, &lim, &b);
        let _ = nsec3::prove_nodata(&recs, &apex, &q, t, &lim, &b);
        let _ = nsec3::prove_ds_nodata(&recs, &apex, &q, &lim, &b);
        let _ = nsec3::prove_wildcard_nodata(&recs, &apex, &q, t, &lim, &b);
        let _ = nsec3::prove_wildcard_answer(&recs, &apex, &q, labels_count, &lim, &b);
        let _ = nsec3::prove_insecure_delegation(&recs, &apex, &q, &lim, &b);
    }
}
