//! Sign-then-verify round trips for every algorithm, and every RRSIG check
//! failing as it should (RFC 4035 §5.3.1).
mod sim;

use anchord::dnssec::ds::ds_matches;
use anchord::dnssec::rrsig::{verify_rrsig, RrsigError};
use anchord::dnssec::verify_set::as_rrsig;
use anchord::dnssec::verify_set::key_tag;
use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, RRSIG};
use hickory_proto::dnssec::{Algorithm, DigestType};
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

// ── Published test vectors ──────────────────────────────────────────────────
// Real signatures from the RFCs: verifying them checks the signed-data
// construction (RRSIG prefix, canonical owner, original TTL, RDATA) byte for
// byte against other implementations.

fn key_from_text(text: &str) -> (Name, DNSKEY) {
    let anchors =
        anchord::dnssec::anchors::parse_anchor_text(text, std::path::Path::new("vector")).unwrap();
    match anchors.into_iter().next().unwrap() {
        anchord::dnssec::anchors::TrustAnchor::Dnskey { zone, key } => (zone, key),
        other => panic!("{other:?}"),
    }
}

#[allow(clippy::too_many_arguments)]
fn rrsig_record(
    owner: &str,
    covered: hickory_proto::rr::RecordType,
    alg: u8,
    labels: u8,
    ttl: u32,
    exp: u32,
    inc: u32,
    tag: u16,
    signer: &str,
    sig_b64: &str,
) -> Record {
    let input = hickory_proto::dnssec::rdata::SigInput {
        type_covered: covered,
        algorithm: Algorithm::from_u8(alg),
        num_labels: labels,
        original_ttl: ttl,
        sig_expiration: hickory_proto::rr::SerialNumber::new(exp),
        sig_inception: hickory_proto::rr::SerialNumber::new(inc),
        key_tag: tag,
        signer_name: n(signer),
    };
    let sig = data_encoding::BASE64.decode(sig_b64.as_bytes()).unwrap();
    Record::from_rdata(
        n(owner),
        ttl,
        RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, sig))),
    )
}

/// RFC 6605 §6.1 (ECDSA P-256) and §6.2 (ECDSA P-384).
#[test]
fn rfc6605_ecdsa_vectors() {
    let a = vec![Record::from_rdata(
        n("www.example.net."),
        3600,
        RData::A(A::new(192, 0, 2, 1)),
    )];
    let (zone, key) = key_from_text(
        "example.net. 3600 IN DNSKEY 257 3 13 ( GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSq\n\
         QpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA== )",
    );
    assert_eq!(key_tag(&key).unwrap(), 55648);
    let ds = hickory_proto::dnssec::rdata::DS::new(
        55648,
        Algorithm::ECDSAP256SHA256,
        DigestType::SHA256,
        data_encoding::HEXLOWER
            .decode(b"b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17")
            .unwrap(),
    );
    assert!(ds_matches(&zone, &ds, &key));
    let sig = rrsig_record(
        "www.example.net.",
        hickory_proto::rr::RecordType::A,
        13,
        3,
        3600,
        1_284_026_679, // 20100909100439
        1_281_607_479, // 20100812100439
        55648,
        "example.net.",
        "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==",
    );
    verify_rrsig(&a, as_rrsig(&sig).unwrap(), &key, &zone, 1_282_000_000).unwrap();

    let (zone, key) = key_from_text(
        "example.net. 3600 IN DNSKEY 257 3 14 xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
    );
    assert_eq!(key_tag(&key).unwrap(), 10771);
    let ds = hickory_proto::dnssec::rdata::DS::new(
        10771,
        Algorithm::ECDSAP384SHA384,
        DigestType::SHA384,
        data_encoding::HEXLOWER
            .decode(b"72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9495f27e305c6a9b0563a9b5f4d288405c3008a946df983d6")
            .unwrap(),
    );
    assert!(ds_matches(&zone, &ds, &key));
    let sig = rrsig_record(
        "www.example.net.",
        hickory_proto::rr::RecordType::A,
        14,
        3,
        3600,
        1_284_027_625, // 20100909102025
        1_281_608_425, // 20100812102025
        10771,
        "example.net.",
        "/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm",
    );
    verify_rrsig(&a, as_rrsig(&sig).unwrap(), &key, &zone, 1_282_000_000).unwrap();
    // Outside the 2010 window the same signature is expired.
    let e = verify_rrsig(&a, as_rrsig(&sig).unwrap(), &key, &zone, NOW).unwrap_err();
    assert!(matches!(e, RrsigError::Expired { .. }));
}

/// RFC 8080 §6.1 (Ed25519), with the corrections of verified erratum 4935
/// (the published text omits the algorithm field of the RRSIGs).
#[test]
fn rfc8080_ed25519_vectors() {
    let mx = vec![Record::from_rdata(
        n("example.com."),
        3600,
        RData::MX(MX::new(10, n("mail.example.com."))),
    )];
    for (key_b64, tag, ds_hex, sig_b64) in [
        (
            "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
            3613,
            "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b",
            "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==",
        ),
        (
            "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=",
            35217,
            "401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c",
            "zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5poJ7gD7AQR0O7KuI5k2pcBg==",
        ),
    ] {
        let (zone, key) = key_from_text(&format!("example.com. 3600 IN DNSKEY 257 3 15 {key_b64}"));
        assert_eq!(key_tag(&key).unwrap(), tag);
        let ds = hickory_proto::dnssec::rdata::DS::new(
            tag,
            Algorithm::ED25519,
            DigestType::SHA256,
            data_encoding::HEXLOWER.decode(ds_hex.as_bytes()).unwrap(),
        );
        assert!(ds_matches(&zone, &ds, &key));
        let sig = rrsig_record(
            "example.com.",
            hickory_proto::rr::RecordType::MX,
            15,
            2,
            3600,
            1_440_021_600,
            1_438_207_200,
            tag,
            "example.com.",
            sig_b64,
        );
        verify_rrsig(&mx, as_rrsig(&sig).unwrap(), &key, &zone, 1_439_000_000).unwrap();
        // Upper-case embedded name: MX is on the RFC 4034 §6.2 list, so the
        // signature still verifies.
        let upper = vec![Record::from_rdata(
            n("EXAMPLE.com."),
            3600,
            RData::MX(MX::new(10, n("MAIL.Example.COM."))),
        )];
        let mut usig = sig.clone();
        usig.name = n("EXAMPLE.com.");
        verify_rrsig(&upper, as_rrsig(&usig).unwrap(), &key, &zone, 1_439_000_000).unwrap();
    }
}

/// RFC 4034 §5.4 and RFC 4509 §2.3: DS records of dskey.example.com.
#[test]
fn rfc4034_rfc4509_ds_vectors() {
    let (_, key) = key_from_text(
        "dskey.example.com. 86400 IN DNSKEY 256 3 5 ( AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/\n\
         2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvx\n\
         egXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9Xzc\n\
         nOf+EPbtG9DMBmADjFDc2w/rljwvFw== ) ; key id = 60485",
    );
    assert_eq!(key_tag(&key).unwrap(), 60485);
    let owner = n("dskey.example.com.");
    for (dt, hex) in [
        (DigestType::SHA1, "2BB183AF5F22588179A53B0A98631FAD1A292118"),
        (
            DigestType::SHA256,
            "D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A",
        ),
    ] {
        let digest = data_encoding::HEXUPPER.decode(hex.as_bytes()).unwrap();
        let ds = hickory_proto::dnssec::rdata::DS::new(60485, Algorithm::from_u8(5), dt, digest);
        assert!(ds_matches(&owner, &ds, &key));
    }
}
