//! Sign-then-verify round trips for every algorithm, and every RRSIG check
//! failing as it should (RFC 4035 §5.3.1).
mod sim;

use anchord::dnssec::rrsig::{verify_rrsig, RrsigError};
use anchord::dnssec::verify_set::as_rrsig;
use hickory_proto::rr::rdata::{A, MX};
use hickory_proto::rr::{Name, RData, Record};
use sim::signer::{sign_rrset, sign_rrset_with, TestKey, Validity};

const NOW: u64 = 1_795_392_000;

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn rrset() -> Vec<Record> {
    vec![
        Record::from_rdata(n("www.example."), 300, RData::A(A::new(192, 0, 2, 2))),
        Record::from_rdata(n("www.example."), 300, RData::A(A::new(192, 0, 2, 1))),
    ]
}

fn check(
    records: &[Record],
    sig: &Record,
    key: &TestKey,
    zone: &str,
    now: u64,
) -> Result<(), RrsigError> {
    verify_rrsig(records, as_rrsig(sig).unwrap(), &key.dnskey, &n(zone), now)
}

#[test]
fn every_algorithm_round_trips() {
    for alg in [5u8, 7, 8, 10, 13, 14, 15] {
        let key = TestKey::new(alg, false);
        let sig = sign_rrset(&rrset(), &key, &n("example."), Validity::around(NOW, 30));
        assert_eq!(
            check(&rrset(), &sig, &key, "example.", NOW),
            Ok(()),
            "algorithm {alg}"
        );
        // Order and case of the RRset do not matter (canonical form).
        let mut shuffled = rrset();
        shuffled.reverse();
        for r in shuffled.iter_mut() {
            r.name = n("WWW.Example.");
        }
        assert_eq!(
            check(&shuffled, &sig, &key, "example.", NOW),
            Ok(()),
            "algorithm {alg}, reordered"
        );
    }
}

#[test]
fn rsa_1024_validates_and_512_is_unsupported() {
    let key = TestKey::rsa(8, 1024, false);
    let sig = sign_rrset(&rrset(), &key, &n("example."), Validity::around(NOW, 30));
    assert_eq!(check(&rrset(), &sig, &key, "example.", NOW), Ok(()));
    let key = TestKey::rsa(8, 512, false);
    let sig = sign_rrset(&rrset(), &key, &n("example."), Validity::around(NOW, 30));
    assert!(matches!(
        check(&rrset(), &sig, &key, "example.", NOW),
        Err(RrsigError::UnsupportedAlgorithm(8))
    ));
    assert!(!anchord::dnssec::algorithm::key_supported(&key.dnskey));
}

#[test]
fn tampered_data_fails() {
    let key = TestKey::new(13, false);
    let sig = sign_rrset(&rrset(), &key, &n("example."), Validity::around(NOW, 30));
    let mut bad = rrset();
    bad[0].data = RData::A(A::new(192, 0, 2, 99));
    assert_eq!(
        check(&bad, &sig, &key, "example.", NOW),
        Err(RrsigError::BadSignature)
    );
    // A TTL change does not matter: the original TTL is signed.
    let mut ttl = rrset();
    ttl[0].ttl = 5;
    assert_eq!(check(&ttl, &sig, &key, "example.", NOW), Ok(()));
}

#[test]
fn validity_window_with_serial_arithmetic() {
    let key = TestKey::new(13, false);
    let v = Validity {
        inception: (NOW - 100) as u32,
        expiration: (NOW + 100) as u32,
    };
    let sig = sign_rrset(&rrset(), &key, &n("example."), v);
    assert!(matches!(
        check(&rrset(), &sig, &key, "example.", NOW + 101),
        Err(RrsigError::Expired { .. })
    ));
    assert!(matches!(
        check(&rrset(), &sig, &key, "example.", NOW - 101),
        Err(RrsigError::NotYetValid { .. })
    ));
    // Around the 2^32 wrap (year 2106): inception before, expiration after.
    let wrap = 1u64 << 32;
    let v = Validity {
        inception: (wrap - 100) as u32,
        expiration: 100,
    };
    let sig = sign_rrset(&rrset(), &key, &n("example."), v);
    assert_eq!(check(&rrset(), &sig, &key, "example.", wrap + 10), Ok(()));
    assert!(matches!(
        check(&rrset(), &sig, &key, "example.", wrap + 200),
        Err(RrsigError::Expired { .. })
    ));
}

#[test]
fn signer_key_and_labels_checks() {
    let key = TestKey::new(13, false);
    let v = Validity::around(NOW, 30);
    let sig = sign_rrset(&rrset(), &key, &n("example."), v);
    assert!(matches!(
        check(&rrset(), &sig, &key, "other.", NOW),
        Err(RrsigError::SignerNotZone { .. })
    ));
    let other = TestKey::new(13, false);
    assert!(matches!(
        check(&rrset(), &sig, &other, "example.", NOW),
        Err(RrsigError::KeyTagMismatch { .. }) | Err(RrsigError::BadSignature)
    ));
    let revoked = TestKey::new(13, false).with_flags(256 | 0x80);
    let sig_r = sign_rrset(&rrset(), &revoked, &n("example."), v);
    assert_eq!(
        check(&rrset(), &sig_r, &revoked, "example.", NOW),
        Err(RrsigError::Revoked)
    );
    let non_zone = TestKey::new(13, false).with_flags(0);
    let sig_nz = sign_rrset(&rrset(), &non_zone, &n("example."), v);
    assert_eq!(
        check(&rrset(), &sig_nz, &non_zone, "example.", NOW),
        Err(RrsigError::NotZoneKey)
    );
    let sig_l = sign_rrset_with(&rrset(), &key, &n("example."), v, Some(3));
    assert!(matches!(
        check(&rrset(), &sig_l, &key, "example.", NOW),
        Err(RrsigError::LabelsInvalid { .. })
    ));
    let p384 = TestKey::new(14, false);
    assert!(matches!(
        check(&rrset(), &sig, &p384, "example.", NOW),
        Err(RrsigError::AlgorithmMismatch { .. })
    ));
}

#[test]
fn wildcard_expansion_verifies_with_reconstructed_owner() {
    let key = TestKey::new(15, false);
    let wild = vec![Record::from_rdata(
        n("*.example."),
        300,
        RData::MX(MX::new(10, n("mx.example."))),
    )];
    let sig = sign_rrset(&wild, &key, &n("example."), Validity::around(NOW, 30));
    // The expansion a.b.example answered from *.example (labels = 1).
    let mut expanded = wild.clone();
    expanded[0].name = n("a.b.example.");
    let mut sig_exp = sig.clone();
    sig_exp.name = n("a.b.example.");
    assert_eq!(check(&expanded, &sig_exp, &key, "example.", NOW), Ok(()));
}
