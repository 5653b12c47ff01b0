//! DNSSEC scenarios against the simulated world on virtual time: a signed
//! hierarchy (`sim::signed_world`) anchored at a test root KSK, and the
//! validating resolver's verdicts (RFC 4033–4035, 5155, 6840, 8198, 8509,
//! 9276, 7646, 8914) for secure, insecure and bogus data.

mod sim;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anchord::clock::Clock;
use anchord::config::Config;
use anchord::dnssec::state::{EdeCode, Security};
use anchord::resolver::{QueryOpts, Question, Resolution, Resolver};
use hickory_proto::dnssec::rdata::{DNSSECRData, DS};
use hickory_proto::dnssec::{Algorithm, DigestType};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use sim::denial_chain::Nsec3Config;
use sim::signed_world::{
    colliding_keys, corrupt, forge_proofs, proof_records, replace_rrsigs, rrsig_of, DsMode,
    SignedWorld, SignedWorldBuilder,
};
use sim::signer::{sign_rrset, sign_rrset_with, TestKey, Validity};
use sim::world::DEFAULT_START;
use sim::zone::{covered, DenialKind};

// ---------------------------------------------------------------- helpers

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn config() -> Config {
    Config::default()
}

const DO: QueryOpts = QueryOpts {
    dnssec_ok: true,
    checking_disabled: false,
    caller_caches_answer: false,
};
const CD: QueryOpts = QueryOpts {
    dnssec_ok: true,
    checking_disabled: true,
    caller_caches_answer: false,
};

async fn q(r: &Resolver, name: &str, qtype: RecordType) -> Resolution {
    r.resolve(&Question::new(n(name), qtype), DO).await
}

async fn q_with(r: &Resolver, name: &str, qtype: RecordType, opts: QueryOpts) -> Resolution {
    r.resolve(&Question::new(n(name), qtype), opts).await
}

/// Answer records of `rtype` (no RRSIGs).
fn data(res: &Resolution, rtype: RecordType) -> Vec<&Record> {
    res.answer
        .iter()
        .filter(|r| r.record_type() == rtype)
        .collect()
}

fn assert_secure(res: &Resolution, rtype: RecordType) {
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert_eq!(res.security, Security::Secure, "{res:#?}");
    assert!(!data(res, rtype).is_empty(), "no {rtype} in {res:#?}");
}

fn assert_insecure(res: &Resolution, rtype: RecordType) {
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert_eq!(res.security, Security::Insecure, "{res:#?}");
    assert!(!data(res, rtype).is_empty(), "no {rtype} in {res:#?}");
}

/// Bogus without CD: SERVFAIL, no data, an EDE explaining why.
fn assert_bogus(res: &Resolution) {
    assert_eq!(res.rcode, ResponseCode::ServFail, "{res:#?}");
    assert!(res.answer.is_empty(), "{res:#?}");
    assert!(res.ede.is_some(), "{res:#?}");
    assert_ne!(res.security, Security::Secure, "{res:#?}");
}

fn assert_bogus_code(res: &Resolution, codes: &[EdeCode]) {
    assert_bogus(res);
    let code = res.ede.as_ref().unwrap().code;
    assert!(
        codes.contains(&code),
        "EDE {code:?} not in {codes:?}: {res:#?}"
    );
}

fn has(res: &Resolution, rtype: RecordType) -> bool {
    res.authority.iter().any(|r| r.record_type() == rtype)
}

/// Data for `secure.example.`-like test zones.
const ZONE_DATA: &str = r#"
@              MX    10 mail
www            A     192.0.2.1
www            AAAA  2001:db8::1
mail           A     192.0.2.25
_25._tcp.mail  TLSA  3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
*.wild         A     192.0.2.99
*.wild         TXT   "wildcard"
a.b.c          A     192.0.2.7
alias          CNAME www
to-unsigned    CNAME www.unsigned.example.
to-nsec3       CNAME www.nsec3.example.
to-bogus       CNAME www.bogus.example.
mxu            MX    10 mail.unsigned.example.
"#;

const UNSIGNED_DATA: &str = r#"
www            A     192.0.2.50
mail           A     192.0.2.51
_25._tcp.mail  TLSA  3 1 1 abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789
to-secure      CNAME www.secure.example.
sub            A     192.0.2.52
"#;

/// The standard signed world:
///
/// ```text
/// .                    alg 13, NSEC
/// ├── example.         alg 13, NSEC
/// │   ├── secure.example.    alg 13, NSEC   (ZONE_DATA)
/// │   ├── nsec3.example.     alg 13, NSEC3  (ZONE_DATA)
/// │   ├── bogus.example.     alg 13, NSEC, DS of another key (bogus)
/// │   └── unsigned.example.  unsigned, no DS
/// └── test.            alg 13, NSEC3 (no opt-out)
///     └── unsigned.test.     unsigned, no DS
/// ```
fn std_builder() -> SignedWorldBuilder {
    let mut b = SignedWorldBuilder::new();
    b.zone("example.", "");
    b.zone("secure.example.", ZONE_DATA);
    b.zone("nsec3.example.", ZONE_DATA)
        .nsec3(Nsec3Config::default());
    let other = TestKey::new(13, true);
    b.zone("bogus.example.", ZONE_DATA).ds(DsMode::Records(vec![
        other.ds(&n("bogus.example."), DigestType::SHA256)
    ]));
    b.zone("unsigned.example.", UNSIGNED_DATA).unsigned();
    b.zone("test.", "").nsec3(Nsec3Config::default());
    b.zone("unsigned.test.", UNSIGNED_DATA).unsigned();
    b
}

fn std_world() -> SignedWorld {
    std_builder().build()
}

/// A world with one extra zone `z.example.` built by `f`.
fn world_with(f: impl FnOnce(&mut SignedWorldBuilder)) -> SignedWorld {
    let mut b = std_builder();
    f(&mut b);
    b.build()
}

fn now() -> u32 {
    DEFAULT_START as u32
}

// ------------------------------------------- secure answers per algorithm

/// RFC 4035 §5: a chain `.` → `example.` → `alg.example.` whose leaf zone
/// uses algorithm `alg` (RFC 8624 §3.1 lists what a validator must do).
async fn secure_with_algorithm(keys: Vec<TestKey>) {
    let sw = world_with(|b| {
        b.zone("alg.example.", ZONE_DATA).keys(keys);
    });
    let r = sw.resolver(config());
    assert_secure(
        &q(&r, "www.alg.example.", RecordType::A).await,
        RecordType::A,
    );
    let nx = q(&r, "nope.alg.example.", RecordType::A).await;
    assert_eq!(nx.rcode, ResponseCode::NXDomain, "{nx:#?}");
    assert_eq!(nx.security, Security::Secure, "{nx:#?}");
}

/// RSASHA1 (5), RFC 3110; still MUST validate (RFC 8624 §3.1).
#[tokio::test]
async fn algorithm_5_rsasha1_secure() {
    secure_with_algorithm(vec![TestKey::new(5, true), TestKey::new(5, false)]).await;
}

/// RSASHA1-NSEC3-SHA1 (7), RFC 5155 §2.
#[tokio::test]
async fn algorithm_7_rsasha1_nsec3_secure() {
    secure_with_algorithm(vec![TestKey::new(7, true), TestKey::new(7, false)]).await;
}

/// RSASHA256 (8), RFC 5702.
#[tokio::test]
async fn algorithm_8_rsasha256_secure() {
    secure_with_algorithm(vec![TestKey::new(8, true), TestKey::new(8, false)]).await;
}

/// RSASHA512 (10), RFC 5702.
#[tokio::test]
async fn algorithm_10_rsasha512_secure() {
    secure_with_algorithm(vec![TestKey::new(10, true), TestKey::new(10, false)]).await;
}

/// ECDSAP256SHA256 (13), RFC 6605.
#[tokio::test]
async fn algorithm_13_ecdsa_p256_secure() {
    secure_with_algorithm(vec![TestKey::new(13, true), TestKey::new(13, false)]).await;
}

/// ECDSAP384SHA384 (14), RFC 6605.
#[tokio::test]
async fn algorithm_14_ecdsa_p384_secure() {
    secure_with_algorithm(vec![TestKey::new(14, true), TestKey::new(14, false)]).await;
}

/// ED25519 (15), RFC 8080.
#[tokio::test]
async fn algorithm_15_ed25519_secure() {
    secure_with_algorithm(vec![TestKey::new(15, true), TestKey::new(15, false)]).await;
}

/// A single combined key (KSK signs everything, no ZSK) and a 1024-bit
/// RSA key are both fine (RFC 4033 §3.1 does not require a KSK/ZSK split).
#[tokio::test]
async fn single_key_rsa_1024_secure() {
    secure_with_algorithm(vec![TestKey::rsa(8, 1024, true)]).await;
}

/// RFC 4035 §5.2: each zone of the chain may use its own algorithm.
#[tokio::test]
async fn mixed_algorithms_along_the_chain_secure() {
    let mut b = SignedWorldBuilder::new();
    b.zone(".", "")
        .keys(vec![TestKey::new(8, true), TestKey::new(8, false)]);
    b.zone("example.", "").alg(15);
    b.zone("mixed.example.", ZONE_DATA).alg(14);
    let sw = b.build();
    let r = sw.resolver(config());
    assert_secure(
        &q(&r, "www.mixed.example.", RecordType::A).await,
        RecordType::A,
    );
}

/// A chain of trust through eight signed zones below the root, on a cold
/// cache. The walk up to the anchor is not a nested sub-resolution: it used
/// to count one level of the resolver's depth limit (6) per zone, which
/// made any chain of six or more signed zones below the root SERVFAIL.
#[tokio::test]
async fn deep_chain_of_signed_zones_secure() {
    let mut b = SignedWorldBuilder::new();
    let mut apex = "example.".to_string();
    b.zone(&apex, "");
    for label in ["a", "b", "c", "d", "e", "f", "g"] {
        apex = format!("{label}.{apex}");
        b.zone(&apex, ZONE_DATA);
    }
    let sw = b.build();
    let r = sw.resolver(config());
    assert_secure(
        &q(&r, &format!("www.{apex}"), RecordType::A).await,
        RecordType::A,
    );
}

// ------------------------------------------------------------ NSEC denial

/// RFC 4035 §3.1.3.2 / §5.4: NXDOMAIN proven by an NSEC covering the name
/// and one covering the wildcard.
#[tokio::test]
async fn nsec_nxdomain_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "nope.secure.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Secure, "{res:#?}");
    assert!(has(&res, RecordType::NSEC) && has(&res, RecordType::SOA));
}

/// RFC 4035 §3.1.3.1: NODATA proven by the NSEC of the name itself, whose
/// bitmap lacks the type.
#[tokio::test]
async fn nsec_nodata_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "www.secure.example.", RecordType::TXT).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert!(res.answer.is_empty());
    assert_eq!(res.security, Security::Secure, "{res:#?}");
    assert!(has(&res, RecordType::NSEC));
}

/// RFC 4035 §3.1.3.3 / §5.3.4: a wildcard expansion (RRSIG labels < owner
/// labels) is secure with the NSEC proving the name itself absent.
#[tokio::test]
async fn nsec_wildcard_expansion_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "anything.wild.secure.example.", RecordType::A).await;
    assert_secure(&res, RecordType::A);
    assert_eq!(
        data(&res, RecordType::A)[0].name,
        n("anything.wild.secure.example.")
    );
    assert!(has(&res, RecordType::NSEC), "{res:#?}");
}

/// RFC 4035 §3.1.3.4: wildcard NODATA needs the NSEC denying the name and
/// the wildcard's own NSEC without the type.
#[tokio::test]
async fn nsec_wildcard_nodata_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "anything.wild.secure.example.", RecordType::MX).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert!(res.answer.is_empty());
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

/// RFC 4592 §2.2.2 / RFC 4035 §3.1.3.1: an empty non-terminal exists; its
/// NODATA proof is the NSEC whose next name is below it.
#[tokio::test]
async fn nsec_empty_non_terminal_nodata_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "b.c.secure.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert!(res.answer.is_empty());
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

// ----------------------------------------------------------- NSEC3 denial

/// RFC 5155 §8.4: NXDOMAIN by closest encloser, next closer and wildcard.
#[tokio::test]
async fn nsec3_nxdomain_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "nope.nsec3.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Secure, "{res:#?}");
    assert!(has(&res, RecordType::NSEC3));
}

/// RFC 5155 §8.5: NODATA by the matching NSEC3's bitmap.
#[tokio::test]
async fn nsec3_nodata_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "www.nsec3.example.", RecordType::TXT).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert!(res.answer.is_empty());
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

/// RFC 5155 §8.8: wildcard answer plus the NSEC3 covering the next closer.
#[tokio::test]
async fn nsec3_wildcard_expansion_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "anything.wild.nsec3.example.", RecordType::A).await;
    assert_secure(&res, RecordType::A);
    assert!(has(&res, RecordType::NSEC3), "{res:#?}");
}

/// RFC 5155 §8.7: wildcard NODATA.
#[tokio::test]
async fn nsec3_wildcard_nodata_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "anything.wild.nsec3.example.", RecordType::MX).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert!(res.answer.is_empty());
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

/// RFC 5155 §7.2.3 / §8.5: empty non-terminals have NSEC3 records too.
#[tokio::test]
async fn nsec3_empty_non_terminal_nodata_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "b.c.nsec3.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert!(res.answer.is_empty());
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

/// RFC 5155 §5: salt and a few iterations (under the cap) still validate.
#[tokio::test]
async fn nsec3_salt_and_iterations_under_cap_secure() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA).nsec3(Nsec3Config {
            salt: vec![0xaa, 0xbb, 0xcc, 0xdd],
            iterations: 10,
            opt_out: false,
        });
    });
    let r = sw.resolver(config());
    let res = q(&r, "nope.z.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

/// RFC 9276 §3.2 / §6: NSEC3 iterations above the validator's cap make
/// the answer insecure (no AD, not SERVFAIL) with EDE 27.
#[tokio::test]
async fn nsec3_iterations_over_cap_insecure_ede27() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA).nsec3(Nsec3Config {
            salt: vec![],
            iterations: 100,
            opt_out: false,
        });
    });
    let r = sw.resolver(config());
    let res = q(&r, "nope.z.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Insecure, "{res:#?}");
    let ede = res.ede.as_ref().expect("EDE 27");
    assert_eq!(ede.code, EdeCode::UnsupportedNsec3Iterations, "{res:#?}");
    // Positive data of that zone is still secure: only proofs are affected.
    assert_secure(&q(&r, "www.z.example.", RecordType::A).await, RecordType::A);
}

/// RFC 9276 §3.2: the cap is configurable (`dnssec.nsec3_max_iterations`).
#[tokio::test]
async fn nsec3_iterations_cap_is_configurable() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA).nsec3(Nsec3Config {
            salt: vec![],
            iterations: 20,
            opt_out: false,
        });
    });
    let mut c = config();
    c.dnssec.nsec3_max_iterations = 10;
    let r = sw.resolver(c);
    let res = q(&r, "nope.z.example.", RecordType::A).await;
    assert_eq!(res.security, Security::Insecure, "{res:#?}");
    let r = sw.resolver(config());
    let res = q(&r, "nope.z.example.", RecordType::A).await;
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

// ---------------------------------------------------------------- opt-out

fn optout_world() -> SignedWorld {
    world_with(|b| {
        b.zone("optout.example.", "www A 192.0.2.80\n")
            .nsec3(Nsec3Config {
                salt: vec![],
                iterations: 0,
                opt_out: true,
            });
        b.zone("insecure.optout.example.", "www A 192.0.2.81\n")
            .unsigned();
        b.zone("signed.optout.example.", "www A 192.0.2.82\n");
    })
}

/// RFC 5155 §6 / §8.6: an unsigned delegation covered by an opt-out NSEC3
/// is insecure.
#[tokio::test]
async fn optout_unsigned_delegation_insecure() {
    let sw = optout_world();
    let r = sw.resolver(config());
    assert_insecure(
        &q(&r, "www.insecure.optout.example.", RecordType::A).await,
        RecordType::A,
    );
}

/// RFC 5155 §9.2: an NXDOMAIN whose next-closer NSEC3 has opt-out set
/// cannot be secure (the name could be an unsigned delegation): no AD.
#[tokio::test]
async fn optout_nxdomain_not_secure() {
    let sw = optout_world();
    let r = sw.resolver(config());
    let res = q(&r, "nope.optout.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Insecure, "{res:#?}");
}

/// RFC 5155 §6: signed delegations in an opt-out zone keep their chain.
#[tokio::test]
async fn optout_zone_signed_delegation_secure() {
    let sw = optout_world();
    let r = sw.resolver(config());
    assert_secure(
        &q(&r, "www.signed.optout.example.", RecordType::A).await,
        RecordType::A,
    );
    assert_secure(
        &q(&r, "www.optout.example.", RecordType::A).await,
        RecordType::A,
    );
}

// -------------------------------------------------- insecure delegations

/// RFC 4035 §5.2: a referral whose NSEC has NS but not DS proves the
/// child unsigned: its data is insecure, not bogus.
#[tokio::test]
async fn insecure_delegation_via_nsec() {
    let sw = std_world();
    let r = sw.resolver(config());
    assert_insecure(
        &q(&r, "www.unsigned.example.", RecordType::A).await,
        RecordType::A,
    );
    let nx = q(&r, "nope.unsigned.example.", RecordType::A).await;
    assert_eq!(nx.rcode, ResponseCode::NXDomain);
    assert_eq!(nx.security, Security::Insecure, "{nx:#?}");
}

/// RFC 5155 §8.9: the same proof with the NSEC3 matching the delegation.
#[tokio::test]
async fn insecure_delegation_via_nsec3() {
    let sw = std_world();
    let r = sw.resolver(config());
    assert_insecure(
        &q(&r, "www.unsigned.test.", RecordType::A).await,
        RecordType::A,
    );
}

/// RFC 4035 §5.2: a referral from a signed zone without DS and without a
/// proof that there is no DS cannot be trusted as insecure: bogus.
#[tokio::test]
async fn unsigned_referral_without_proof_bogus() {
    let sw = std_world();
    sw.edit_zone("example.", |z| {
        // Neither the referral nor the answer to an explicit DS query
        // carries a proof for unsigned.example.
        forge_proofs(z, |orig, qname, qtype, _| {
            if n("unsigned.example.").zone_of(qname) {
                Vec::new()
            } else {
                proof_records(orig, qname, qtype)
            }
        })
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.unsigned.example.", RecordType::A).await);
    // A signed sibling is not affected.
    assert_secure(
        &q(&r, "www.secure.example.", RecordType::A).await,
        RecordType::A,
    );
}

// ------------------------------------------------------------------ bogus

/// RFC 4035 §5.3.3: a signature that does not verify is bogus; EDE 6.
#[tokio::test]
async fn bogus_bad_signature() {
    let sw = std_world();
    sw.edit_zone("secure.example.", |z| {
        replace_rrsigs(z, &n("www.secure.example."), RecordType::A, |_, sigs| {
            sigs.iter().map(corrupt).collect()
        })
    });
    let r = sw.resolver(config());
    assert_bogus_code(
        &q(&r, "www.secure.example.", RecordType::A).await,
        &[EdeCode::DnssecBogus],
    );
    // Other RRsets of the zone are still fine.
    assert_secure(
        &q(&r, "mail.secure.example.", RecordType::A).await,
        RecordType::A,
    );
}

/// RFC 4035 §5.3.1: a signature past its expiration is bogus; EDE 7.
#[tokio::test]
async fn bogus_expired_signatures() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA).validity(Validity {
            inception: now() - 20 * 86_400,
            expiration: now() - 86_400,
        });
    });
    let r = sw.resolver(config());
    assert_bogus_code(
        &q(&r, "www.z.example.", RecordType::A).await,
        &[EdeCode::SignatureExpired],
    );
}

/// RFC 4035 §5.3.1: a signature before its inception is bogus; EDE 8.
#[tokio::test]
async fn bogus_not_yet_valid_signatures() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA).validity(Validity {
            inception: now() + 86_400,
            expiration: now() + 20 * 86_400,
        });
    });
    let r = sw.resolver(config());
    assert_bogus_code(
        &q(&r, "www.z.example.", RecordType::A).await,
        &[EdeCode::SignatureNotYetValid],
    );
}

/// RFC 4035 §5.2: a DS (supported algorithm and digest) that matches no
/// DNSKEY of the child makes the child bogus.
#[tokio::test]
async fn bogus_ds_mismatch() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "www.bogus.example.", RecordType::A).await;
    assert_bogus(&res);
    // The parent is fine and says so.
    let ds = q(&r, "bogus.example.", RecordType::DS).await;
    assert_eq!(ds.security, Security::Secure, "{ds:#?}");
}

/// RFC 4035 §5.3: data of a signed zone without RRSIG is bogus; EDE 10.
#[tokio::test]
async fn bogus_missing_rrsig() {
    let sw = std_world();
    sw.edit_zone("secure.example.", |z| {
        replace_rrsigs(z, &n("www.secure.example."), RecordType::A, |_, _| {
            Vec::new()
        })
    });
    let r = sw.resolver(config());
    assert_bogus_code(
        &q(&r, "www.secure.example.", RecordType::A).await,
        &[EdeCode::RrsigsMissing],
    );
}

/// RFC 4035 §5.2: a DS in the parent but no DNSKEY RRset in the child:
/// bogus (EDE 9 or 10, the chain cannot be built).
#[tokio::test]
async fn bogus_missing_dnskey() {
    let sw = std_world();
    sw.edit_zone("secure.example.", |z| {
        z.remove_rrset(&n("secure.example."), RecordType::DNSKEY)
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.secure.example.", RecordType::A).await);
}

/// RFC 4035 §5.2: the DNSKEY RRset must be signed by a key the DS
/// designates; signed only by the ZSK it is bogus.
#[tokio::test]
async fn bogus_dnskey_rrset_not_signed_by_ksk() {
    let sw = std_world();
    let zsk_tag = sw.zsk("secure.example.").key_tag();
    let v = sw.info("secure.example.").validity;
    let apex = n("secure.example.");
    let zsk = sw.zsk("secure.example.");
    let mut z = sw.zone("secure.example.").unwrap();
    replace_rrsigs(&mut z, &apex, RecordType::DNSKEY, |recs, _| {
        vec![sign_rrset(recs, zsk, &apex, v)]
    });
    assert_eq!(
        rrsig_of(&z.rrsigs(&apex, RecordType::DNSKEY)[0])
            .input()
            .key_tag,
        zsk_tag
    );
    sw.replace_zone(z);
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.secure.example.", RecordType::A).await);
}

/// RFC 4035 §5.3.1: the RRSIG's signer name must be the zone containing
/// the RRset; a signature "by" the parent zone is not usable: bogus.
#[tokio::test]
async fn bogus_signer_outside_zone() {
    let sw = std_world();
    let zsk = sw.zsk("secure.example.");
    let v = sw.info("secure.example.").validity;
    let mut z = sw.zone("secure.example.").unwrap();
    replace_rrsigs(
        &mut z,
        &n("www.secure.example."),
        RecordType::A,
        |recs, _| vec![sign_rrset(recs, zsk, &n("example."), v)],
    );
    sw.replace_zone(z);
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.secure.example.", RecordType::A).await);
}

/// RFC 4035 §5.3.1: the labels field must not exceed the owner's labels.
#[tokio::test]
async fn bogus_wrong_labels_count() {
    let sw = std_world();
    let zsk = sw.zsk("secure.example.");
    let v = sw.info("secure.example.").validity;
    let mut z = sw.zone("secure.example.").unwrap();
    replace_rrsigs(
        &mut z,
        &n("www.secure.example."),
        RecordType::A,
        |recs, _| {
            vec![sign_rrset_with(
                recs,
                zsk,
                &n("secure.example."),
                v,
                Some(5),
            )]
        },
    );
    sw.replace_zone(z);
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.secure.example.", RecordType::A).await);
}

/// RFC 4035 §5.3.4: a labels field smaller than the owner's claims a
/// wildcard expansion, which needs a proof the name does not exist; with
/// the name existing (no such proof) the answer is bogus.
#[tokio::test]
async fn bogus_fake_wildcard_labels_without_proof() {
    let sw = std_world();
    let zsk = sw.zsk("secure.example.");
    let v = sw.info("secure.example.").validity;
    let mut z = sw.zone("secure.example.").unwrap();
    replace_rrsigs(
        &mut z,
        &n("www.secure.example."),
        RecordType::A,
        |recs, _| {
            vec![sign_rrset_with(
                recs,
                zsk,
                &n("secure.example."),
                v,
                Some(2),
            )]
        },
    );
    sw.replace_zone(z);
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.secure.example.", RecordType::A).await);
}

/// RFC 4035 §5.4: an NXDOMAIN whose NSEC does not cover the name (here the
/// proof of another name) is bogus.
#[tokio::test]
async fn bogus_nsec_that_does_not_cover() {
    let sw = std_world();
    sw.edit_zone("secure.example.", |z| {
        forge_proofs(z, |orig, _qname, qtype, _| {
            proof_records(orig, &n("aaa.secure.example."), qtype)
        })
    });
    let r = sw.resolver(config());
    let res = q(&r, "zzz.secure.example.", RecordType::A).await;
    // RFC 8914 §4.13: no covering NSEC was provided.
    assert_bogus_code(&res, &[EdeCode::NsecMissing]);
}

/// RFC 4035 §5.4 / §3.1.3: an NXDOMAIN without any proof is bogus.
#[tokio::test]
async fn bogus_nxdomain_without_proof_nsec3() {
    let sw = std_world();
    sw.edit_zone("nsec3.example.", |z| {
        forge_proofs(z, |_, _, _, _| Vec::new())
    });
    let r = sw.resolver(config());
    let res = q(&r, "nope.nsec3.example.", RecordType::A).await;
    assert_bogus_code(&res, &[EdeCode::NsecMissing]);
}

/// The parent-side NSEC at `secure.example.` (NS, DS; no SOA), served by
/// the child to deny a name below the cut.
fn parent_nsec(sw: &SignedWorld) -> Vec<Record> {
    let parent = sw.zone("example.").unwrap();
    let cut = n("secure.example.");
    let mut v = parent.rrset(&cut, RecordType::NSEC);
    v.extend(parent.rrsigs(&cut, RecordType::NSEC));
    assert!(!v.is_empty());
    v
}

/// RFC 6840 §4.1: an NSEC with NS set and SOA clear comes from above a
/// delegation and must not deny names below it (NXDOMAIN case).
#[tokio::test]
async fn bogus_parent_nsec_above_cut_denies_child_name() {
    let sw = std_world();
    let forged = parent_nsec(&sw);
    sw.edit_zone("secure.example.", |z| {
        forge_proofs(z, move |_, _, _, _| forged.clone())
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "nope.secure.example.", RecordType::A).await);
}

/// RFC 6840 §4.1: the same parent NSEC used for NODATA at the child apex.
#[tokio::test]
async fn bogus_parent_nsec_above_cut_nodata_at_child_apex() {
    let sw = std_world();
    let forged = parent_nsec(&sw);
    sw.edit_zone("secure.example.", |z| {
        forge_proofs(z, move |_, _, _, _| forged.clone())
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "secure.example.", RecordType::TXT).await);
}

/// RFC 9520 / `dnssec.bogus_ttl`: a bogus SERVFAIL tells the server how
/// long to cache it.
#[tokio::test]
async fn bogus_servfail_cache_ttl_is_bogus_ttl() {
    let sw = std_world();
    let mut c = config();
    c.dnssec.bogus_ttl = 42;
    let r = sw.resolver(c);
    let res = q(&r, "www.bogus.example.", RecordType::A).await;
    assert_bogus(&res);
    assert_eq!(res.cache_ttl, 42);
}

// ------------------------------------------------- unsupported → insecure

/// RFC 4035 §5.2 / RFC 6840 §5.2: a DS whose algorithm the validator does
/// not implement (16, Ed448) makes the child insecure, not bogus.
#[tokio::test]
async fn ds_with_unsupported_algorithm_insecure() {
    let sw = world_with(|b| {
        let ds = DS::new(
            12345,
            Algorithm::from_u8(16),
            DigestType::SHA256,
            vec![0xab; 32],
        );
        b.zone("z.example.", ZONE_DATA)
            .ds(DsMode::Records(vec![ds]));
    });
    let r = sw.resolver(config());
    let res = q(&r, "www.z.example.", RecordType::A).await;
    assert_insecure(&res, RecordType::A);
}

/// RFC 8624 §3.1 / ring's floor: a zone keyed only with a 512-bit RSA key
/// is treated like an unsupported algorithm: insecure.
#[tokio::test]
async fn rsa_512_bit_key_insecure() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA)
            .keys(vec![TestKey::rsa(8, 512, true)]);
    });
    let r = sw.resolver(config());
    assert_insecure(&q(&r, "www.z.example.", RecordType::A).await, RecordType::A);
}

/// RFC 4035 §5.2 / RFC 6840 §5.2: DS records with only unknown digest
/// types (3 GOST, 5) cannot be used: insecure.
#[tokio::test]
async fn ds_with_only_unsupported_digest_types_insecure() {
    let sw = world_with(|b| {
        let ksk = TestKey::new(13, true);
        let tag = ksk.key_tag();
        let dss = vec![
            DS::new(
                tag,
                Algorithm::ECDSAP256SHA256,
                DigestType::from(3),
                vec![0x11; 32],
            ),
            DS::new(
                tag,
                Algorithm::ECDSAP256SHA256,
                DigestType::from(5),
                vec![0x22; 32],
            ),
        ];
        b.zone("z.example.", ZONE_DATA)
            .keys(vec![ksk, TestKey::new(13, false)])
            .ds(DsMode::Records(dss));
    });
    let r = sw.resolver(config());
    assert_insecure(&q(&r, "www.z.example.", RecordType::A).await, RecordType::A);
}

/// RFC 4035 §5.2: one usable DS among unusable ones is enough: secure.
#[tokio::test]
async fn ds_with_one_supported_digest_among_unknown_secure() {
    let sw = world_with(|b| {
        let ksk = TestKey::new(13, true);
        let tag = ksk.key_tag();
        let dss = vec![
            DS::new(
                tag,
                Algorithm::ECDSAP256SHA256,
                DigestType::from(5),
                vec![0x22; 32],
            ),
            ksk.ds(&n("z.example."), DigestType::SHA256),
        ];
        b.zone("z.example.", ZONE_DATA)
            .keys(vec![ksk, TestKey::new(13, false)])
            .ds(DsMode::Records(dss));
    });
    let r = sw.resolver(config());
    assert_secure(&q(&r, "www.z.example.", RecordType::A).await, RecordType::A);
}

/// RFC 5011 §2.1 / RFC 4035 §5.2: the key the DS designates has the
/// REVOKE bit: it must not be used, and no other key is vouched for:
/// bogus (a supported, matching DS exists, so not insecure).
#[tokio::test]
async fn revoked_ksk_bogus() {
    let sw = world_with(|b| {
        let ksk = TestKey::new(13, true).with_flags(257 | 0x80);
        b.zone("z.example.", ZONE_DATA)
            .keys(vec![ksk, TestKey::new(13, false)]);
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.z.example.", RecordType::A).await);
}

/// RFC 4034 §2.1.1: a DNSKEY without the ZONE flag is not a zone key and
/// cannot validate anything: the DS points at nothing usable → bogus.
#[tokio::test]
async fn ksk_without_zone_flag_bogus() {
    let sw = world_with(|b| {
        let ksk = TestKey::new(13, true).with_flags(1);
        b.zone("z.example.", ZONE_DATA)
            .keys(vec![ksk, TestKey::new(13, false)])
            .ds(DsMode::FromKsk);
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.z.example.", RecordType::A).await);
}

// ----------------------------------------------------------- CNAME chains

/// RFC 4035 §3.2.3 / RFC 6840 §5.7: every link secure → secure.
#[tokio::test]
async fn cname_secure_to_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "to-nsec3.secure.example.", RecordType::A).await;
    assert_secure(&res, RecordType::A);
    assert_eq!(data(&res, RecordType::CNAME).len(), 1);
    let res = q(&r, "alias.secure.example.", RecordType::A).await;
    assert_secure(&res, RecordType::A);
}

/// RFC 6840 §5.7: the answer is only as secure as its weakest RRset:
/// secure CNAME to an unsigned zone → insecure (no AD).
#[tokio::test]
async fn cname_secure_to_insecure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "to-unsigned.secure.example.", RecordType::A).await;
    assert_insecure(&res, RecordType::A);
    assert_eq!(data(&res, RecordType::CNAME).len(), 1);
}

/// RFC 6840 §5.7: insecure CNAME to secure data → insecure.
#[tokio::test]
async fn cname_insecure_to_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "to-secure.unsigned.example.", RecordType::A).await;
    assert_insecure(&res, RecordType::A);
}

/// RFC 4035 §5.5: one bogus link makes the answer bogus: SERVFAIL.
#[tokio::test]
async fn cname_secure_to_bogus_servfail() {
    let sw = std_world();
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "to-bogus.secure.example.", RecordType::A).await);
}

// ------------------------------------------------------------------- TLSA

/// RFC 7672 §2.2: DANE for SMTP needs the TLSA RRset secure.
#[tokio::test]
async fn tlsa_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "_25._tcp.mail.secure.example.", RecordType::TLSA).await;
    assert_secure(&res, RecordType::TLSA);
}

/// RFC 7672 §2.2.2: an MX host in an unsigned zone: TLSA insecure (no
/// DANE), the MX itself secure.
#[tokio::test]
async fn tlsa_insecure_mx_host_in_unsigned_zone() {
    let sw = std_world();
    let r = sw.resolver(config());
    let mx = q(&r, "mxu.secure.example.", RecordType::MX).await;
    assert_secure(&mx, RecordType::MX);
    let res = q(&r, "_25._tcp.mail.unsigned.example.", RecordType::TLSA).await;
    assert_insecure(&res, RecordType::TLSA);
}

/// RFC 7672 §2.2.1: a bogus TLSA RRset is SERVFAIL (the MTA must defer).
#[tokio::test]
async fn tlsa_bogus_servfail() {
    let sw = std_world();
    sw.edit_zone("secure.example.", |z| {
        replace_rrsigs(
            z,
            &n("_25._tcp.mail.secure.example."),
            RecordType::TLSA,
            |_, sigs| sigs.iter().map(corrupt).collect(),
        )
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "_25._tcp.mail.secure.example.", RecordType::TLSA).await);
}

// ------------------------------------------------- time and the cache

/// RFC 4035 §5.3.3: the TTL of validated data does not outlive its
/// signature: `expiration - now` caps it.
#[tokio::test]
async fn ttl_capped_by_signature_expiration() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA).validity(Validity {
            inception: now() - 3_600,
            expiration: now() + 1_000,
        });
    });
    let r = sw.resolver(config());
    let res = q(&r, "www.z.example.", RecordType::A).await;
    assert_secure(&res, RecordType::A);
    assert!(res.cache_ttl <= 1_000, "cache_ttl {} > 1000", res.cache_ttl);
    for rec in data(&res, RecordType::A) {
        assert!(rec.ttl <= 1_000, "TTL {} outlives the signature", rec.ttl);
    }
}

fn short_lived_world() -> SignedWorld {
    world_with(|b| {
        b.zone("z.example.", "www 86400 A 192.0.2.1\n")
            .validity(Validity {
                inception: now() - 3_600,
                expiration: now() + 1_000,
            });
    })
}

/// RFC 4035 §5.3.1 / §5.3.3: cached data must not be served as Secure
/// after its signatures expired; if the zone still serves the expired
/// signatures the re-fetched answer is bogus.
#[tokio::test]
async fn signature_expiring_while_cached_becomes_bogus() {
    let sw = short_lived_world();
    let r = sw.resolver(config());
    assert_secure(&q(&r, "www.z.example.", RecordType::A).await, RecordType::A);
    sw.clock().advance(Duration::from_secs(2_000));
    let res = q(&r, "www.z.example.", RecordType::A).await;
    assert_ne!(res.security, Security::Secure, "{res:#?}");
    assert_bogus_code(&res, &[EdeCode::SignatureExpired]);
}

/// Same, but the zone was re-signed meanwhile: the resolver re-fetches
/// (upstream query seen) and the answer is secure again. Here the clock
/// moves past the signatures' expiration (1000 s) but not past the DNSKEY
/// RRset's TTL (3600 s).
#[tokio::test]
async fn signature_expiring_while_cached_refetched_after_resign() {
    resign_and_refetch(2_000).await;
}

/// The same, past the DNSKEY TTL as well: everything is re-fetched.
#[tokio::test]
async fn signature_expiring_while_cached_refetched_after_resign_and_key_ttl() {
    resign_and_refetch(4_000).await;
}

async fn resign_and_refetch(after: u64) {
    let sw = short_lived_world();
    let r = sw.resolver(config());
    assert_secure(&q(&r, "www.z.example.", RecordType::A).await, RecordType::A);
    sw.clock().advance(Duration::from_secs(after));
    let t = sw.clock().unix_secs();
    sw.resign("z.example.", Validity::around(t, 30));
    sw.clear_log();
    let (res, events) = r
        .resolve_traced(&Question::new(n("www.z.example."), RecordType::A), DO)
        .await;
    let trace: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    assert_eq!(res.security, Security::Secure, "{res:#?}\n{trace:#?}");
    assert_secure(&res, RecordType::A);
    assert!(
        sw.queries()
            .iter()
            .any(|lq| lq.qname.to_lowercase() == n("www.z.example.") && lq.qtype == RecordType::A),
        "expected a re-fetch: {:#?}",
        sw.queries()
    );
}

/// Before expiration the cached secure answer is used without upstream
/// queries (the cache keeps the security status).
#[tokio::test]
async fn secure_answer_served_from_cache_stays_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    assert_secure(
        &q(&r, "www.secure.example.", RecordType::A).await,
        RecordType::A,
    );
    sw.clear_log();
    let res = q(&r, "www.secure.example.", RecordType::A).await;
    assert_secure(&res, RecordType::A);
    assert_eq!(sw.total_queries(), 0, "{:#?}", sw.queries());
}

// --------------------------------------------------------------- KeyTrap

/// Builds `trap.example.` whose DNSKEY RRset holds the real keys plus 40
/// keys sharing the ZSK's key tag, and whose `www A` carries 40 garbage
/// RRSIGs with that tag ahead of the real one (CVE-2023-50387).
fn keytrap_world() -> SignedWorld {
    let sw = world_with(|b| {
        b.zone("trap.example.", ZONE_DATA);
    });
    let zsk = sw.zsk("trap.example.");
    let fakes = colliding_keys(zsk, 40);
    let apex = n("trap.example.");
    sw.edit_zone("trap.example.", |z| {
        for k in fakes {
            z.add(Record::from_rdata(
                apex.clone(),
                3_600,
                RData::DNSSEC(DNSSECRData::DNSKEY(k)),
            ));
        }
    });
    sw.resign("trap.example.", sw.info("trap.example.").validity);
    sw.edit_zone("trap.example.", |z| {
        replace_rrsigs(z, &n("www.trap.example."), RecordType::A, |_, sigs| {
            let real = sigs[0].clone();
            let mut out: Vec<Record> = (0..40u8)
                .map(|i| {
                    let s = rrsig_of(&real);
                    let mut bytes = s.sig().to_vec();
                    bytes[0] ^= i.wrapping_add(1);
                    Record::from_rdata(
                        real.name.clone(),
                        real.ttl,
                        RData::DNSSEC(DNSSECRData::RRSIG(
                            hickory_proto::dnssec::rdata::RRSIG::from_sig(s.input().clone(), bytes),
                        )),
                    )
                })
                .collect();
            out.push(real);
            out
        })
    });
    let z = sw.zone("trap.example.").unwrap();
    assert_eq!(z.rrset(&apex, RecordType::DNSKEY).len(), 42);
    sw
}

/// RFC 4035 §5.3.3 + KeyTrap mitigations: with 42 keys of one tag and 41
/// signatures the validator gives up within its caps (a few dozen
/// verifications), quickly, with SERVFAIL; the rest of the zone works.
#[tokio::test]
async fn keytrap_colliding_keys_and_signatures_bounded() {
    let sw = keytrap_world();
    let r = sw.resolver(config());
    let v0 = sw.clock().monotonic();
    let t0 = Instant::now();
    let res = q(&r, "www.trap.example.", RecordType::A).await;
    let real = t0.elapsed();
    let virt = sw.clock().monotonic() - v0;
    assert_bogus(&res);
    if std::env::var_os("ANCHORD_SCENARIO_REPORT").is_some() {
        eprintln!("KeyTrap: SERVFAIL after {real:?} real, {virt:?} virtual");
    }
    assert!(real < Duration::from_secs(2), "took {real:?}");
    assert!(virt < Duration::from_secs(2), "took {virt:?} virtual");
    // With more than 4 keys per tag the real ZSK (last in the RRset) is
    // never tried: correctly signed data of the zone is lost too, which is
    // the accepted price of the cap; other zones are unaffected.
    assert_bogus(&q(&r, "mail.trap.example.", RecordType::A).await);
    assert_secure(
        &q(&r, "www.secure.example.", RecordType::A).await,
        RecordType::A,
    );
}

/// Measures the work KeyTrap costs: the smallest `limits.max_crypto_cost`
/// with which the resolution fails for the signatures (not for the budget)
/// is the number of cost units spent. ECDSA P-256 costs 3 units, so the
/// caps (8 RRSIGs × 4 keys per tag) bound `www A` to 96 units plus the
/// chain's DNSKEY/DS validations.
#[tokio::test]
async fn keytrap_work_is_measured_and_bounded() {
    let sw = keytrap_world();
    let exhausted = |res: &Resolution| {
        res.ede
            .as_ref()
            .is_some_and(|e| e.text.contains("budget exhausted"))
    };
    let run = |limit: u32| {
        let mut c = config();
        c.limits.max_crypto_cost = limit;
        let r = sw.resolver(c);
        async move { q(&r, "www.trap.example.", RecordType::A).await }
    };
    assert!(exhausted(&run(1).await));
    let (mut lo, mut hi) = (1u32, 2_000u32);
    assert!(!exhausted(&run(hi).await));
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if exhausted(&run(mid).await) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    if std::env::var_os("ANCHORD_SCENARIO_REPORT").is_some() {
        eprintln!("KeyTrap: {hi} crypto cost units for www.trap.example. A");
    }
    // `hi` units were spent: 8 RRSIGs × 4 keys of the tag = 32 ECDSA
    // verifications (3 units each) for www A, plus one verification each
    // for the DNSKEY RRsets of `.`, `example.`, `trap.example.` and the DS
    // RRsets of `example.` and `trap.example.`: 37 verifications, 111 units.
    assert_eq!(hi, 32 * 3 + 5 * 3, "KeyTrap cost {hi} units");
    // A budget too small for that is a SERVFAIL mentioning the budget.
    let res = run(hi - 1).await;
    assert_bogus(&res);
    assert!(exhausted(&res));
}

// ------------------------------------------------------ CD and DO bits

/// RFC 4035 §3.2.2: with CD=1 bogus data is returned (marked Bogus, so
/// the server sets no AD).
#[tokio::test]
async fn cd1_returns_bogus_data_marked_bogus() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q_with(&r, "www.bogus.example.", RecordType::A, CD).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert_eq!(res.security, Security::Bogus, "{res:#?}");
    assert!(!data(&res, RecordType::A).is_empty());
}

/// RFC 4035 §3.2.2 / RFC 6840 §5.9: CD=1 on secure data returns it with
/// its status; DO=0 gets the same verdict (the server strips RRSIGs).
#[tokio::test]
async fn cd_and_do_combinations_on_secure_data() {
    let sw = std_world();
    let r = sw.resolver(config());
    for (dnssec_ok, checking_disabled) in
        [(false, false), (true, false), (false, true), (true, true)]
    {
        let opts = QueryOpts {
            dnssec_ok,
            checking_disabled,
            caller_caches_answer: false,
        };
        let res = q_with(&r, "www.secure.example.", RecordType::A, opts).await;
        assert_eq!(res.rcode, ResponseCode::NoError, "{opts:?} {res:#?}");
        assert!(!data(&res, RecordType::A).is_empty(), "{opts:?}");
        assert_eq!(res.security, Security::Secure, "{opts:?} {res:#?}");
    }
}

/// RFC 4035 §5.5: DO=0 without CD still gets SERVFAIL for bogus data; DO=0
/// with CD=1 gets the data.
#[tokio::test]
async fn do0_bogus_servfail_and_cd1_data() {
    let sw = std_world();
    let r = sw.resolver(config());
    let plain = QueryOpts::default();
    assert_bogus(&q_with(&r, "www.bogus.example.", RecordType::A, plain).await);
    let cd_only = QueryOpts {
        dnssec_ok: false,
        checking_disabled: true,
        caller_caches_answer: false,
    };
    let res = q_with(&r, "www.bogus.example.", RecordType::A, cd_only).await;
    assert_eq!(res.security, Security::Bogus, "{res:#?}");
    assert!(!data(&res, RecordType::A).is_empty());
}

/// RFC 4035 §3.2.2: CD=1 on an insecure zone: data, Insecure.
#[tokio::test]
async fn cd1_insecure_data() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q_with(&r, "www.unsigned.example.", RecordType::A, CD).await;
    assert_insecure(&res, RecordType::A);
}

/// With DO=1 the RRSIGs come along in the answer section.
#[tokio::test]
async fn do1_answer_carries_rrsigs() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "www.secure.example.", RecordType::A).await;
    assert!(
        res.answer.iter().any(|r| covered(r) == Some(RecordType::A)),
        "{res:#?}"
    );
}

// ------------------------------------------------ negative trust anchors

/// RFC 7646 §2: a negative trust anchor turns a bogus zone insecure.
#[tokio::test]
async fn negative_trust_anchor_makes_bogus_zone_insecure() {
    let sw = std_world();
    let mut c = config();
    c.dnssec.negative_trust_anchors = vec!["bogus.example.".into()];
    let r = sw.resolver(c);
    assert_insecure(
        &q(&r, "www.bogus.example.", RecordType::A).await,
        RecordType::A,
    );
    // Siblings keep validating.
    assert_secure(
        &q(&r, "www.secure.example.", RecordType::A).await,
        RecordType::A,
    );
}

/// RFC 7646 §2.1: an NTA also covers secure zones below it (no AD).
#[tokio::test]
async fn negative_trust_anchor_on_secure_zone_is_insecure() {
    let sw = std_world();
    let mut c = config();
    c.dnssec.negative_trust_anchors = vec!["secure.example.".into()];
    let r = sw.resolver(c);
    assert_insecure(
        &q(&r, "www.secure.example.", RecordType::A).await,
        RecordType::A,
    );
}

// ------------------------------------------------------ root key sentinel

/// RFC 8509 §3.2: `is-ta-<tag>` with our root anchor's tag: answered.
#[tokio::test]
async fn sentinel_is_ta_with_anchor_tag_answers() {
    let sw = std_world();
    let tag = sw.ksk(".").key_tag();
    let r = sw.resolver(config());
    let name = format!("root-key-sentinel-is-ta-{tag:05}.wild.secure.example.");
    assert_secure(&q(&r, &name, RecordType::A).await, RecordType::A);
}

/// RFC 8509 §3.2: `not-ta-<tag>` with our anchor's tag: SERVFAIL.
#[tokio::test]
async fn sentinel_not_ta_with_anchor_tag_servfail() {
    let sw = std_world();
    let tag = sw.ksk(".").key_tag();
    let r = sw.resolver(config());
    let name = format!("root-key-sentinel-not-ta-{tag:05}.wild.secure.example.");
    let res = q(&r, &name, RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail, "{res:#?}");
}

/// RFC 8509 §3.2: `is-ta-<other tag>`: SERVFAIL; `not-ta-<other>`: answered.
#[tokio::test]
async fn sentinel_with_other_tag() {
    let sw = std_world();
    let other = sw.ksk(".").key_tag().wrapping_add(1);
    let r = sw.resolver(config());
    let is = format!("root-key-sentinel-is-ta-{other:05}.wild.secure.example.");
    assert_eq!(
        q(&r, &is, RecordType::A).await.rcode,
        ResponseCode::ServFail
    );
    let not = format!("root-key-sentinel-not-ta-{other:05}.wild.secure.example.");
    assert_secure(&q(&r, &not, RecordType::A).await, RecordType::A);
}

/// RFC 8509 §3.2: the sentinel only applies to secure answers; an
/// insecure answer is returned whatever the tag.
#[tokio::test]
async fn sentinel_ignored_for_insecure_answers() {
    let sw = world_with(|b| {
        b.zone("w.unsigned.example.", "").unsigned();
    });
    let r = sw.resolver(config());
    let mut c = sw.zone("unsigned.example.").unwrap();
    c.add_text("*.wild A 192.0.2.98\n");
    sw.replace_zone(c);
    let name = "root-key-sentinel-is-ta-00001.wild.unsigned.example.";
    assert_insecure(&q(&r, name, RecordType::A).await, RecordType::A);
}

// --------------------------------------------------------- aggressive NSEC

/// RFC 8198 §5.1: after one validated NXDOMAIN, another nonexistent name
/// covered by the same NSEC records is answered NXDOMAIN from the cache,
/// without any upstream query.
#[tokio::test]
async fn aggressive_nsec_synthesises_nxdomain() {
    let sw = std_world();
    let r = sw.resolver(config());
    let first = q(&r, "zz1.secure.example.", RecordType::A).await;
    assert_eq!(first.rcode, ResponseCode::NXDomain, "{first:#?}");
    assert_eq!(first.security, Security::Secure);
    sw.clear_log();
    let second = q(&r, "zz2.secure.example.", RecordType::A).await;
    assert_eq!(second.rcode, ResponseCode::NXDomain, "{second:#?}");
    assert_eq!(second.security, Security::Secure, "{second:#?}");
    assert_eq!(sw.total_queries(), 0, "{:#?}", sw.queries());
}

/// RFC 8198 §5.2: NODATA for another type of a name whose NSEC is cached.
#[tokio::test]
async fn aggressive_nsec_synthesises_nodata() {
    let sw = std_world();
    let r = sw.resolver(config());
    let first = q(&r, "www.secure.example.", RecordType::TXT).await;
    assert_eq!(first.security, Security::Secure, "{first:#?}");
    sw.clear_log();
    let second = q(&r, "www.secure.example.", RecordType::SRV).await;
    assert_eq!(second.rcode, ResponseCode::NoError, "{second:#?}");
    assert!(second.answer.is_empty());
    assert_eq!(second.security, Security::Secure, "{second:#?}");
    assert_eq!(sw.total_queries(), 0, "{:#?}", sw.queries());
}

/// `dnssec.aggressive_nsec = false`: the second name is asked upstream.
#[tokio::test]
async fn aggressive_nsec_disabled_asks_upstream() {
    let sw = std_world();
    let mut c = config();
    c.dnssec.aggressive_nsec = false;
    let r = sw.resolver(c);
    q(&r, "zz1.secure.example.", RecordType::A).await;
    sw.clear_log();
    let second = q(&r, "zz2.secure.example.", RecordType::A).await;
    assert_eq!(second.rcode, ResponseCode::NXDomain);
    assert!(sw.total_queries() >= 1);
}

/// RFC 8198 §4: only validated (secure) NSEC records are used: an insecure
/// zone's NXDOMAIN does not feed the aggressive cache.
#[tokio::test]
async fn aggressive_nsec_not_from_insecure_zone() {
    let sw = std_world();
    let r = sw.resolver(config());
    q(&r, "zz1.unsigned.example.", RecordType::A).await;
    sw.clear_log();
    let second = q(&r, "zz2.unsigned.example.", RecordType::A).await;
    assert_eq!(second.rcode, ResponseCode::NXDomain);
    assert_eq!(second.security, Security::Insecure);
    assert!(sw.total_queries() >= 1);
}

// ------------------------------------------------------------- no anchor

/// RFC 4033 §5: without a trust anchor nothing is Secure (and bogus zones
/// are not detected): everything is Insecure.
#[tokio::test]
async fn no_anchor_everything_insecure() {
    let sw = std_world();
    let r = Resolver::new(sw.setup(config()));
    for name in [
        "www.secure.example.",
        "www.bogus.example.",
        "www.unsigned.example.",
    ] {
        let res = q(&r, name, RecordType::A).await;
        assert_insecure(&res, RecordType::A);
    }
    let nx = q(&r, "nope.secure.example.", RecordType::A).await;
    assert_eq!(nx.rcode, ResponseCode::NXDomain);
    assert_eq!(nx.security, Security::Insecure);
}

/// RFC 4035 §5: an anchor for another tree (a DNSKEY anchor at `test.`)
/// leaves names outside it unvalidated, and validates below it.
#[tokio::test]
async fn dnskey_anchor_for_a_subtree() {
    let sw = std_world();
    let anchor = anchord::dnssec::anchors::TrustAnchor::Dnskey {
        zone: n("test."),
        key: sw.ksk("test.").dnskey.clone(),
    };
    let r = Resolver::new_validating(sw.setup(config()), vec![anchor]);
    let res = q(&r, "test.", RecordType::SOA).await;
    assert_secure(&res, RecordType::SOA);
    let res = q(&r, "www.secure.example.", RecordType::A).await;
    assert_ne!(res.security, Security::Secure, "{res:#?}");
    assert!(!data(&res, RecordType::A).is_empty());
}

// -------------------------------------------------------------- DS queries

/// RFC 4035 §3.1.4.1: DS is answered by the parent, signed by it: secure.
#[tokio::test]
async fn ds_query_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "secure.example.", RecordType::DS).await;
    assert_secure(&res, RecordType::DS);
}

/// RFC 4035 §3.1.4.1: the parent proves there is no DS for an unsigned
/// child: a secure NODATA.
#[tokio::test]
async fn ds_query_unsigned_child_secure_nodata() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "unsigned.example.", RecordType::DS).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert!(res.answer.is_empty());
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

/// A DS query for a name inside an unsigned zone is insecure.
#[tokio::test]
async fn ds_query_inside_unsigned_zone_insecure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q(&r, "sub.unsigned.example.", RecordType::DS).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert_eq!(res.security, Security::Insecure, "{res:#?}");
}

// ------------------------------------- RFC 4035 Appendix A/B example zone

/// RFC 4035 Appendix A's `example.` zone (HINFO left out), signed with
/// RSASHA1 and NSEC as in the RFC; `a.example.` signed, `b.example.` not.
/// Built once (RSA signing is slow in debug builds) and shared read-only:
/// the tests using it neither edit zones nor move the clock.
/// Tests sharing one world share its virtual clock, which every test's
/// exchanges advance: a generous deadline keeps them independent.
fn shared_config() -> Config {
    let mut c = config();
    c.upstream.query_deadline_ms = 600_000;
    c
}

fn rfc4035_world() -> &'static SignedWorld {
    static WORLD: OnceLock<SignedWorld> = OnceLock::new();
    WORLD.get_or_init(build_rfc4035_world)
}

fn build_rfc4035_world() -> SignedWorld {
    let mut b = SignedWorldBuilder::new();
    b.zone(
        "example.",
        r#"
@        MX    1 xx
ai       A     192.0.2.9
ai       AAAA  2001:db8::f00:baa9
*.w      MX    1 ai
x.w      MX    1 xx
x.y.w    MX    1 xx
xx       A     192.0.2.10
xx       AAAA  2001:db8::f00:baaa
"#,
    )
    .keys(vec![
        TestKey::rsa(5, 1024, true),
        TestKey::rsa(5, 1024, false),
    ]);
    b.zone("a.example.", "ai A 192.0.2.9\n")
        .keys(vec![TestKey::rsa(5, 1024, true)]);
    b.zone("b.example.", "ai A 192.0.2.9\n").unsigned();
    b.build()
}

/// RFC 4035 B.1: a positive answer, secure.
#[tokio::test]
async fn rfc4035_b1_answer() {
    let sw = rfc4035_world();
    let r = sw.resolver(shared_config());
    assert_secure(&q(&r, "x.w.example.", RecordType::MX).await, RecordType::MX);
}

/// RFC 4035 B.2 / B.3: name error (ml.example) and NODATA (ns1.example MX).
#[tokio::test]
async fn rfc4035_b2_b3_name_error_and_no_data() {
    let sw = rfc4035_world();
    let r = sw.resolver(shared_config());
    let nx = q(&r, "ml.example.", RecordType::A).await;
    assert_eq!(nx.rcode, ResponseCode::NXDomain, "{nx:#?}");
    assert_eq!(nx.security, Security::Secure, "{nx:#?}");
    let nd = q(&r, "ns1.example.", RecordType::MX).await;
    assert_eq!(nd.rcode, ResponseCode::NoError, "{nd:#?}");
    assert_eq!(nd.security, Security::Secure, "{nd:#?}");
}

/// RFC 4035 B.4 / B.5: referral to a signed zone (secure answer below it)
/// and to an unsigned zone (insecure answer).
#[tokio::test]
async fn rfc4035_b4_b5_referrals() {
    let sw = rfc4035_world();
    let r = sw.resolver(shared_config());
    assert_secure(&q(&r, "ai.a.example.", RecordType::A).await, RecordType::A);
    assert_insecure(&q(&r, "ai.b.example.", RecordType::A).await, RecordType::A);
}

/// RFC 4035 B.6 / B.7: wildcard expansion (a.z.w.example MX) and wildcard
/// NODATA (a.z.w.example AAAA).
#[tokio::test]
async fn rfc4035_b6_b7_wildcards() {
    let sw = rfc4035_world();
    let r = sw.resolver(shared_config());
    assert_secure(
        &q(&r, "a.z.w.example.", RecordType::MX).await,
        RecordType::MX,
    );
    let nd = q(&r, "a.z.w.example.", RecordType::AAAA).await;
    assert_eq!(nd.rcode, ResponseCode::NoError, "{nd:#?}");
    assert!(nd.answer.is_empty());
    assert_eq!(nd.security, Security::Secure, "{nd:#?}");
}

/// RFC 4035 B.8: DS NODATA at the child apex answered by the parent
/// (`example. DS` asked of the root for a zone whose DS exists → answer;
/// `ai.example. DS` is plain NODATA in `example.`).
#[tokio::test]
async fn rfc4035_b8_ds_nodata() {
    let sw = rfc4035_world();
    let r = sw.resolver(shared_config());
    let res = q(&r, "ai.example.", RecordType::DS).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert!(res.answer.is_empty());
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

// ------------------------------------------ RFC 5155 Appendix A/B zone

/// RFC 5155 Appendix A's zone: RSASHA1-NSEC3-SHA1, salt aabbccdd, 12
/// iterations, opt-out; `a.example.` signed, `b.example.`/`c.example.` not.
/// Built once and shared read-only, like `rfc4035_world`.
fn rfc5155_world() -> &'static SignedWorld {
    static WORLD: OnceLock<SignedWorld> = OnceLock::new();
    WORLD.get_or_init(build_rfc5155_world)
}

fn build_rfc5155_world() -> SignedWorld {
    let mut b = SignedWorldBuilder::new();
    b.zone(
        "example.",
        r#"
@        MX    1 xx
ai       A     192.0.2.9
ai       AAAA  2001:db8::f00:baa9
*.w      MX    1 ai
x.w      MX    1 xx
x.y.w    MX    1 xx
xx       A     192.0.2.10
xx       AAAA  2001:db8::f00:baaa
2t7b4g4vsa5smi47k61mv5bv1a22bojr A 192.0.2.127
"#,
    )
    .keys(vec![
        TestKey::rsa(7, 1024, true),
        TestKey::rsa(7, 1024, false),
    ])
    .nsec3(Nsec3Config {
        salt: vec![0xaa, 0xbb, 0xcc, 0xdd],
        iterations: 12,
        opt_out: true,
    });
    b.zone("a.example.", "ai A 192.0.2.9\n")
        .keys(vec![TestKey::rsa(7, 1024, true)]);
    b.zone("b.example.", "ai A 192.0.2.9\n").unsigned();
    b.zone("c.example.", "mc MX 1 ai\nai A 192.0.2.9\n")
        .unsigned();
    b.build()
}

/// RFC 5155 B.1: name error (a.c.x.w.example) under opt-out: the next
/// closer is covered by an opt-out NSEC3 → insecure NXDOMAIN (§9.2).
#[tokio::test]
async fn rfc5155_b1_name_error_under_optout() {
    let sw = rfc5155_world();
    let r = sw.resolver(shared_config());
    let res = q(&r, "a.c.x.w.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_ne!(res.security, Security::Bogus, "{res:#?}");
}

/// RFC 5155 B.2 / B.2.1: NODATA (ns1.example MX) and NODATA at an empty
/// non-terminal (y.w.example A).
#[tokio::test]
async fn rfc5155_b2_no_data_and_ent() {
    let sw = rfc5155_world();
    let r = sw.resolver(shared_config());
    let nd = q(&r, "ai.example.", RecordType::MX).await;
    assert_eq!(nd.rcode, ResponseCode::NoError, "{nd:#?}");
    assert_eq!(nd.security, Security::Secure, "{nd:#?}");
    let ent = q(&r, "y.w.example.", RecordType::A).await;
    assert_eq!(ent.rcode, ResponseCode::NoError, "{ent:#?}");
    assert_eq!(ent.security, Security::Secure, "{ent:#?}");
}

/// RFC 5155 B.3: referral to an opt-out unsigned zone (mc.c.example MX):
/// insecure.
#[tokio::test]
async fn rfc5155_b3_optout_referral() {
    let sw = rfc5155_world();
    let r = sw.resolver(shared_config());
    assert_insecure(
        &q(&r, "mc.c.example.", RecordType::MX).await,
        RecordType::MX,
    );
}

/// RFC 5155 B.4 / B.5: wildcard expansion and wildcard NODATA.
#[tokio::test]
async fn rfc5155_b4_b5_wildcards() {
    let sw = rfc5155_world();
    let r = sw.resolver(shared_config());
    // Every NSEC3 of this zone has opt-out set, so the next closer name of
    // the expansion could be an unsigned delegation: anchord answers
    // insecure (RFC 5155 §9.2 reasoning), never bogus.
    let res = q(&r, "a.z.w.example.", RecordType::MX).await;
    assert_insecure(&res, RecordType::MX);
    let nd = q(&r, "a.z.w.example.", RecordType::AAAA).await;
    assert_eq!(nd.rcode, ResponseCode::NoError, "{nd:#?}");
    assert!(nd.answer.is_empty());
    assert_ne!(nd.security, Security::Bogus, "{nd:#?}");
}

/// RFC 5155 B.6: DS NODATA (ai.example DS) and a signed child's chain
/// (a.example).
#[tokio::test]
async fn rfc5155_b6_ds_nodata_and_signed_child() {
    let sw = rfc5155_world();
    let r = sw.resolver(shared_config());
    let res = q(&r, "ai.example.", RecordType::DS).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert_eq!(res.security, Security::Secure, "{res:#?}");
    assert_secure(&q(&r, "ai.a.example.", RecordType::A).await, RecordType::A);
}

// ------------------------------------------------------- more bogus cases

/// RFC 4035 §5.3.4: a wildcard expansion without the proof that the name
/// itself does not exist is bogus (NSEC).
#[tokio::test]
async fn bogus_wildcard_expansion_without_nsec_proof() {
    let sw = std_world();
    sw.edit_zone("secure.example.", |z| {
        forge_proofs(z, |orig, qname, qtype, kind| match kind {
            DenialKind::WildcardAnswer { .. } => Vec::new(),
            _ => proof_records(orig, qname, qtype),
        })
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "anything.wild.secure.example.", RecordType::A).await);
}

/// RFC 5155 §8.8: the same with NSEC3 (no NSEC3 covering the next closer).
#[tokio::test]
async fn bogus_wildcard_expansion_without_nsec3_proof() {
    let sw = std_world();
    sw.edit_zone("nsec3.example.", |z| {
        forge_proofs(z, |orig, qname, qtype, kind| match kind {
            DenialKind::WildcardAnswer { .. } => Vec::new(),
            _ => proof_records(orig, qname, qtype),
        })
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "anything.wild.nsec3.example.", RecordType::A).await);
}

/// RFC 4035 §5.4: NODATA whose NSEC bitmap does list the type (a lying
/// server hiding existing data) is bogus.
#[tokio::test]
async fn bogus_nodata_with_nsec_listing_the_type() {
    let sw = std_world();
    // www has A: serve a NODATA for www A with www's own NSEC.
    sw.edit_zone("secure.example.", |z| {
        z.remove_rrset(&n("www.secure.example."), RecordType::A);
    });
    let r = sw.resolver(config());
    let res = q(&r, "www.secure.example.", RecordType::A).await;
    assert_bogus(&res);
}

/// RFC 4035 §5.3.3: a corrupted SOA signature in a negative answer makes
/// the NXDOMAIN bogus.
#[tokio::test]
async fn bogus_nxdomain_with_bad_soa_signature() {
    let sw = std_world();
    sw.edit_zone("secure.example.", |z| {
        replace_rrsigs(z, &n("secure.example."), RecordType::SOA, |_, sigs| {
            sigs.iter().map(corrupt).collect()
        })
    });
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "nope.secure.example.", RecordType::A).await);
}

/// RFC 4035 §5.2: a bogus link high in the chain (expired signatures in
/// the TLD) makes everything below it bogus.
#[tokio::test]
async fn bogus_tld_makes_children_bogus() {
    let mut b = std_builder();
    b.zone("example.", "").validity(Validity {
        inception: now() - 20 * 86_400,
        expiration: now() - 86_400,
    });
    let sw = b.build();
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.secure.example.", RecordType::A).await);
    // The other TLD is unaffected.
    assert_insecure(
        &q(&r, "www.unsigned.test.", RecordType::A).await,
        RecordType::A,
    );
}

/// RFC 4035 §5.1: a trust anchor that matches no root key: all bogus.
#[tokio::test]
async fn wrong_root_anchor_everything_bogus() {
    let sw = std_world();
    let wrong = TestKey::new(13, true);
    let anchor = anchord::dnssec::anchors::TrustAnchor::Ds {
        zone: Name::root(),
        ds: wrong.ds(&Name::root(), DigestType::SHA256),
    };
    let r = Resolver::new_validating(sw.setup(config()), vec![anchor]);
    assert_bogus(&q(&r, "www.secure.example.", RecordType::A).await);
    assert_bogus(&q(&r, "www.unsigned.example.", RecordType::A).await);
}

/// RFC 9520 §3: a bogus result is cached for `bogus_ttl`: asking again
/// sends nothing upstream; after it, the resolver tries again.
#[tokio::test]
async fn bogus_result_cached_then_retried() {
    let sw = std_world();
    let r = sw.resolver(config());
    assert_bogus(&q(&r, "www.bogus.example.", RecordType::A).await);
    sw.clear_log();
    assert_bogus(&q(&r, "www.bogus.example.", RecordType::A).await);
    assert_eq!(sw.total_queries(), 0, "{:#?}", sw.queries());
    sw.clock().advance(Duration::from_secs(3_700));
    sw.clear_log();
    assert_bogus(&q(&r, "www.bogus.example.", RecordType::A).await);
    assert!(sw.total_queries() >= 1);
}

/// RFC 4035 §5.3.3: with CD=1 a bogus NXDOMAIN is returned as it is.
#[tokio::test]
async fn cd1_bogus_nxdomain_returned() {
    let sw = std_world();
    let r = sw.resolver(config());
    let res = q_with(&r, "nope.bogus.example.", RecordType::A, CD).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Bogus, "{res:#?}");
}

// ------------------------------------------------- more chain-of-trust cases

/// RFC 4035 §5.2: any one DS matching a key is enough; a stale DS for a
/// retired key next to it does no harm (KSK rollover, RFC 6781 §4.1.2).
#[tokio::test]
async fn ds_set_with_one_stale_entry_secure() {
    let sw = world_with(|b| {
        let ksk = TestKey::new(13, true);
        let retired = TestKey::new(13, true);
        let dss = vec![
            retired.ds(&n("z.example."), DigestType::SHA256),
            ksk.ds(&n("z.example."), DigestType::SHA256),
        ];
        b.zone("z.example.", ZONE_DATA)
            .keys(vec![ksk, TestKey::new(13, false)])
            .ds(DsMode::Records(dss));
    });
    let r = sw.resolver(config());
    assert_secure(&q(&r, "www.z.example.", RecordType::A).await, RecordType::A);
}

/// RFC 4035 §5.2: a SHA-1 DS (digest type 1) still validates.
#[tokio::test]
async fn ds_sha1_digest_secure() {
    let sw = world_with(|b| {
        let ksk = TestKey::new(13, true);
        let dss = vec![ksk.ds(&n("z.example."), DigestType::SHA1)];
        b.zone("z.example.", ZONE_DATA)
            .keys(vec![ksk, TestKey::new(13, false)])
            .ds(DsMode::Records(dss));
    });
    let r = sw.resolver(config());
    assert_secure(&q(&r, "www.z.example.", RecordType::A).await, RecordType::A);
}

/// RFC 4035 §4.1 / §5.2: a signed child below an unsigned parent is
/// insecure: there is no chain to it, whatever it publishes.
#[tokio::test]
async fn signed_zone_below_unsigned_parent_insecure() {
    let sw = world_with(|b| {
        b.zone("signed.unsigned.example.", ZONE_DATA);
    });
    let r = sw.resolver(config());
    assert_insecure(
        &q(&r, "www.signed.unsigned.example.", RecordType::A).await,
        RecordType::A,
    );
}

/// RFC 4035 §5.2: a DS stripped from the referral of a signed child does
/// not make it insecure: the resolver asks for the DS and finds it.
#[tokio::test]
async fn ds_stripped_from_referral_still_secure() {
    let sw = std_world();
    sw.edit_zone("example.", |z| {
        // Referrals to secure.example. carry no DS and no proof; DS queries
        // are still answered.
        forge_proofs(z, |orig, qname, qtype, kind| match kind {
            DenialKind::Referral { .. } => Vec::new(),
            _ => proof_records(orig, qname, qtype),
        })
    });
    let r = sw.resolver(config());
    assert_secure(
        &q(&r, "www.secure.example.", RecordType::A).await,
        RecordType::A,
    );
}

/// RFC 6672 §5.3.1: a DNAME-synthesised CNAME is as secure as the signed
/// DNAME; the target zone's answer is secure too.
#[tokio::test]
async fn dname_secure() {
    let sw = world_with(|b| {
        b.zone("z.example.", "old DNAME secure.example.\n");
    });
    let r = sw.resolver(config());
    let res = q(&r, "www.old.z.example.", RecordType::A).await;
    assert_secure(&res, RecordType::A);
    assert_eq!(data(&res, RecordType::CNAME).len(), 1, "{res:#?}");
}

/// CVE-2023-50868: NSEC3 hashing is charged to `limits.max_nsec3_hashes`;
/// a proof needing more than that is SERVFAIL, not unbounded work.
#[tokio::test]
async fn nsec3_hash_budget_exhausted_servfail() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA).nsec3(Nsec3Config {
            salt: vec![1, 2, 3, 4],
            iterations: 50,
            opt_out: false,
        });
    });
    let mut c = config();
    c.limits.max_nsec3_hashes = 100;
    let r = sw.resolver(c);
    let res = q(&r, "a.b.nope.z.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail, "{res:#?}");
    // Said as a budget failure, not as a bogus denial (the data was not
    // judged, and is not cached as Bogus).
    let ede = res.ede.as_ref().expect("EDE");
    assert!(ede.text.contains("NSEC3 hash"), "{ede:?}");
    assert_eq!(res.cache_ttl, 0, "{res:#?}");
    // With the default budget the same proof is fine.
    let r = sw.resolver(config());
    let res = q(&r, "a.b.nope.z.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Secure, "{res:#?}");
}

/// RFC 8198 §5.1 with NSEC3: another name under the same closest encloser
/// whose next closer hashes into a cached span. Whether or not NSEC3 is
/// used aggressively, the answer must be a secure NXDOMAIN.
#[tokio::test]
async fn nsec3_second_nxdomain_secure() {
    let sw = std_world();
    let r = sw.resolver(config());
    let first = q(&r, "nope1.nsec3.example.", RecordType::A).await;
    assert_eq!(first.security, Security::Secure);
    let second = q(&r, "nope2.nsec3.example.", RecordType::A).await;
    assert_eq!(second.rcode, ResponseCode::NXDomain, "{second:#?}");
    assert_eq!(second.security, Security::Secure, "{second:#?}");
}

/// Issue 5: a zone's DNSKEY fetch runs while its parent's chain of trust is
/// established. On the network where exchanges overlap in virtual time, the
/// DNSKEY queries of the root, example. and secure.example. (whose DS sets
/// came with the referrals) are all in flight together; validation gives
/// the same verdicts as one exchange at a time.
#[test]
fn dnskey_fetches_overlap_with_the_parents_chain_of_trust() {
    let sw = std_world();
    let r = sw.overlapping_resolver(config());
    let res = sw.run(q(&r, "www.secure.example.", RecordType::A));
    assert_secure(&res, RecordType::A);
    let sent: Vec<_> = sw
        .queries()
        .iter()
        .filter(|l| l.qtype == RecordType::DNSKEY)
        .map(|l| (l.qname.to_lowercase(), l.sent_at))
        .collect();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent.iter().all(|(_, at)| *at == sent[0].1), "{sent:?}");

    let res = sw.run(q(&r, "nope.nsec3.example.", RecordType::A));
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Secure, "{res:#?}");
    assert_insecure(
        &sw.run(q(&r, "www.unsigned.example.", RecordType::A)),
        RecordType::A,
    );
    assert_bogus(&sw.run(q(&r, "www.bogus.example.", RecordType::A)));
}

/// The chain-of-trust steps are visible in the trace (`anchord query
/// --trace`): each zone's verdict is noted.
#[tokio::test]
async fn trace_shows_chain_of_trust() {
    let sw = std_world();
    let r = sw.resolver(config());
    let (res, events) = r
        .resolve_traced(&Question::new(n("www.secure.example."), RecordType::A), DO)
        .await;
    assert_secure(&res, RecordType::A);
    let notes: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    for zone in [".", "example.", "secure.example."] {
        assert!(
            notes
                .iter()
                .any(|t| t.contains(&format!("zone {zone}: secure"))),
            "no verdict for {zone}: {notes:#?}"
        );
    }
}

// ------------------------- proof completeness, downgrades, expiry in caches

/// RFC 4035 §5.4: each NSEC of an NXDOMAIN proof is needed: without the
/// one covering the name, or the one covering the wildcard, it is bogus.
#[tokio::test]
async fn nsec_nxdomain_every_proof_record_is_needed() {
    let sw = std_world();
    let zone = sw.zone("secure.example.").unwrap();
    let qname = n("nope.secure.example.");
    let proof = proof_records(&zone, &qname, RecordType::A);
    let nsecs: Vec<Name> = proof
        .iter()
        .filter(|r| r.record_type() == RecordType::NSEC)
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(nsecs.len(), 2, "{proof:#?}");
    for drop in nsecs {
        let world = std_world();
        world.edit_zone("secure.example.", |z| {
            let drop = drop.clone();
            forge_proofs(z, move |orig, qname, qtype, _| {
                proof_records(orig, qname, qtype)
                    .into_iter()
                    .filter(|r| r.name != drop)
                    .collect()
            })
        });
        let r = world.resolver(config());
        let res = q(&r, "nope.secure.example.", RecordType::A).await;
        assert_bogus(&res);
    }
}

/// RFC 5155 §8.4: each NSEC3 of the closest-encloser proof plus wildcard
/// denial is needed: dropping any one makes the NXDOMAIN bogus.
#[tokio::test]
async fn nsec3_nxdomain_every_proof_record_is_needed() {
    let sw = std_world();
    let zone = sw.zone("nsec3.example.").unwrap();
    let qname = n("nope.nsec3.example.");
    let proof = proof_records(&zone, &qname, RecordType::A);
    let owners: Vec<Name> = proof
        .iter()
        .filter(|r| r.record_type() == RecordType::NSEC3)
        .map(|r| r.name.clone())
        .collect();
    assert!(owners.len() >= 2, "{proof:#?}");
    for drop in owners {
        let world = std_world();
        world.edit_zone("nsec3.example.", |z| {
            let drop = drop.clone();
            forge_proofs(z, move |orig, qname, qtype, _| {
                proof_records(orig, qname, qtype)
                    .into_iter()
                    .filter(|r| r.name != drop)
                    .collect()
            })
        });
        let r = world.resolver(config());
        assert_bogus(&q(&r, "nope.nsec3.example.", RecordType::A).await);
    }
}

/// RFC 6840 §4.1 / RFC 4035 §5.2: the child's apex NSEC (SOA set) must not
/// prove that the parent has no DS: a parent that drops the DS and shows
/// the child's apex NSEC instead is a downgrade attempt, not an insecure
/// delegation.
#[tokio::test]
async fn bogus_child_apex_nsec_used_to_deny_ds() {
    let sw = std_world();
    let child = sw.zone("secure.example.").unwrap();
    let apex = n("secure.example.");
    let mut child_nsec = child.rrset(&apex, RecordType::NSEC);
    child_nsec.extend(child.rrsigs(&apex, RecordType::NSEC));
    assert_eq!(child_nsec.len(), 2);
    sw.edit_zone("example.", |z| {
        z.remove_rrset(&apex, RecordType::DS);
        forge_proofs(z, move |orig, qname, qtype, _| {
            if n("secure.example.").zone_of(qname) {
                child_nsec.clone()
            } else {
                proof_records(orig, qname, qtype)
            }
        })
    });
    let r = sw.resolver(config());
    let res = q(&r, "www.secure.example.", RecordType::A).await;
    assert_ne!(res.security, Security::Insecure, "downgraded: {res:#?}");
    assert_bogus(&res);
}

/// RFC 4035 §5.3.3 applied to denial: a negative answer is not cached (or
/// served) past its proof's signature expiration.
#[tokio::test]
async fn negative_ttl_capped_by_signature_expiration() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA).validity(Validity {
            inception: now() - 3_600,
            expiration: now() + 100,
        });
    });
    let r = sw.resolver(config());
    let res = q(&r, "nope.z.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Secure, "{res:#?}");
    assert!(res.cache_ttl <= 100, "cache_ttl {} > 100", res.cache_ttl);
}

/// RFC 8198 §5.1 + RFC 4035 §5.3.1: NSEC records whose signatures have
/// expired must not synthesise a Secure NXDOMAIN from the aggressive cache.
#[tokio::test]
async fn aggressive_nsec_not_used_past_signature_expiration() {
    let sw = world_with(|b| {
        b.zone("z.example.", ZONE_DATA).validity(Validity {
            inception: now() - 3_600,
            expiration: now() + 100,
        });
    });
    let r = sw.resolver(config());
    let first = q(&r, "zz1.z.example.", RecordType::A).await;
    assert_eq!(first.security, Security::Secure, "{first:#?}");
    sw.clock().advance(Duration::from_secs(200));
    let second = q(&r, "zz2.z.example.", RecordType::A).await;
    assert_ne!(second.security, Security::Secure, "{second:#?}");
}

/// The DS RRset of a child, validated while its parent's signatures are
/// about to expire, must not be reused from the cache past them: after the
/// parent is re-signed the child is secure again.
#[tokio::test]
async fn ds_signature_expiring_while_cached_refetched_after_resign() {
    let sw = std_world();
    // Only the DS RRset of secure.example. gets a short-lived signature.
    let zsk = sw.zsk("example.");
    let short = Validity {
        inception: now() - 3_600,
        expiration: now() + 1_000,
    };
    let mut z = sw.zone("example.").unwrap();
    replace_rrsigs(&mut z, &n("secure.example."), RecordType::DS, |recs, _| {
        vec![sign_rrset(recs, zsk, &n("example."), short)]
    });
    sw.replace_zone(z);
    let r = sw.resolver(config());
    assert_secure(
        &q(&r, "www.secure.example.", RecordType::A).await,
        RecordType::A,
    );
    sw.clock().advance(Duration::from_secs(2_000));
    let t = sw.clock().unix_secs();
    sw.resign("example.", Validity::around(t, 30));
    let (res, events) = r
        .resolve_traced(&Question::new(n("mail.secure.example."), RecordType::A), DO)
        .await;
    let trace: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    assert_eq!(res.security, Security::Secure, "{res:#?}\n{trace:#?}");
}

/// RFC 4035 §5: a root DNSKEY (instead of DS) as trust anchor works the same.
#[tokio::test]
async fn root_dnskey_anchor_secure() {
    let sw = std_world();
    let anchor = anchord::dnssec::anchors::TrustAnchor::Dnskey {
        zone: Name::root(),
        key: sw.ksk(".").dnskey.clone(),
    };
    let r = Resolver::new_validating(sw.setup(config()), vec![anchor]);
    assert_secure(
        &q(&r, "www.secure.example.", RecordType::A).await,
        RecordType::A,
    );
}

// ------------------------------------------- aliases and opt-out, more

/// RFC 4035 §3.1.3.3 + RFC 6604 §3: a CNAME synthesised from a wildcard is
/// secure with its NSEC proof, and so is the target.
#[tokio::test]
async fn wildcard_cname_secure() {
    let sw = world_with(|b| {
        b.zone("z.example.", "*.wc CNAME www\nwww A 192.0.2.1\n");
    });
    let r = sw.resolver(config());
    let res = q(&r, "x.wc.z.example.", RecordType::A).await;
    assert_secure(&res, RecordType::A);
    assert_eq!(data(&res, RecordType::CNAME).len(), 1, "{res:#?}");
}

/// RFC 6604 §3 / RFC 4035 §5.4: a secure CNAME to a name that does not
/// exist: NXDOMAIN, secure, with the CNAME in the answer.
#[tokio::test]
async fn secure_cname_to_nxdomain() {
    let sw = world_with(|b| {
        b.zone("z.example.", "dangling CNAME nope.secure.example.\n");
    });
    let r = sw.resolver(config());
    let res = q(&r, "dangling.z.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:#?}");
    assert_eq!(res.security, Security::Secure, "{res:#?}");
    assert_eq!(data(&res, RecordType::CNAME).len(), 1, "{res:#?}");
}

/// RFC 5155 §8.6: a DS query for an unsigned delegation inside an opt-out
/// span: NODATA, insecure (the opt-out NSEC3 proves nothing more).
#[tokio::test]
async fn optout_ds_query_for_unsigned_delegation() {
    let sw = optout_world();
    let r = sw.resolver(config());
    let res = q(&r, "insecure.optout.example.", RecordType::DS).await;
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:#?}");
    assert!(res.answer.is_empty(), "{res:#?}");
    assert_eq!(res.security, Security::Insecure, "{res:#?}");
}

/// RFC 4035 §5.3.4 / §5.4: the RRSIG labels field fixes which wildcard
/// produced the answer. A signature claiming `*.secure.example.` (labels 2)
/// on an answer for `x.wild.secure.example.` needs a proof that the next
/// closer name `wild.secure.example.` does not exist, which is false: the
/// proof that only covers the query name is not enough → bogus.
#[tokio::test]
async fn bogus_wildcard_signature_claiming_a_higher_wildcard() {
    let sw = std_world();
    let zsk = sw.zsk("secure.example.");
    let v = sw.info("secure.example.").validity;
    let mut z = sw.zone("secure.example.").unwrap();
    replace_rrsigs(
        &mut z,
        &n("*.wild.secure.example."),
        RecordType::A,
        |recs, _| {
            vec![sign_rrset_with(
                recs,
                zsk,
                &n("secure.example."),
                v,
                Some(2),
            )]
        },
    );
    sw.replace_zone(z);
    let r = sw.resolver(config());
    let res = q(&r, "x.wild.secure.example.", RecordType::A).await;
    assert_ne!(res.security, Security::Secure, "{res:#?}");
    assert_bogus(&res);
    let ede = res.ede.unwrap();
    assert!(ede.text.contains("wildcard"), "{ede:?}");
}
