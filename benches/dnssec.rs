//! DNSSEC micro-benchmarks: RRSIG verification per algorithm (the basis of
//! the crypto budget weights in `dnssec::algorithm`), canonical-form
//! encoding, NSEC3 hashing, and a cold validated resolution in the
//! simulated world (a fresh resolver per iteration: root, TLD and leaf
//! zone, DS and DNSKEY fetched and verified, NSEC and NSEC3 leaves).
//!
//! Run: `cargo bench --bench dnssec`.

#[path = "../tests/sim/mod.rs"]
mod sim;

use std::hint::black_box;

use anchord::config::Config;
use anchord::dnssec::canonical::signed_data;
use anchord::dnssec::nsec3_hash::nsec3_hash_uncharged;
use anchord::dnssec::rrsig::verify_rrsig;
use anchord::dnssec::verify_set::as_rrsig;
use anchord::resolver::{QueryOpts, Question};
use criterion::{criterion_group, criterion_main, Criterion};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::RecordType;
use hickory_proto::rr::{Name, RData, Record};
use sim::denial_chain::Nsec3Config;
use sim::signed_world::SignedWorldBuilder;
use sim::signer::{sign_rrset, TestKey, Validity};

const NOW: u64 = 1_795_392_000;

fn rrset() -> Vec<Record> {
    let owner = Name::from_ascii("www.example.").unwrap();
    (1..=3)
        .map(|i| Record::from_rdata(owner.clone(), 300, RData::A(A::new(192, 0, 2, i))))
        .collect()
}

fn verify(c: &mut Criterion) {
    let zone = Name::from_ascii("example.").unwrap();
    let mut group = c.benchmark_group("rrsig_verify");
    for (alg, label) in [
        (8u8, "rsasha256_2048"),
        (5, "rsasha1_2048"),
        (10, "rsasha512_2048"),
        (13, "ecdsa_p256"),
        (14, "ecdsa_p384"),
        (15, "ed25519"),
    ] {
        let key = TestKey::new(alg, false);
        let records = rrset();
        let sig = sign_rrset(&records, &key, &zone, Validity::around(NOW, 30));
        let rrsig = as_rrsig(&sig).unwrap().clone();
        group.bench_function(label, |b| {
            b.iter(|| verify_rrsig(black_box(&records), &rrsig, &key.dnskey, &zone, NOW).unwrap())
        });
    }
    group.finish();

    let key = TestKey::new(13, false);
    let records = rrset();
    let sig = sign_rrset(&records, &key, &zone, Validity::around(NOW, 30));
    let rrsig = as_rrsig(&sig).unwrap().clone();
    c.bench_function("canonical_form_3_a_records", |b| {
        b.iter(|| signed_data(black_box(&rrsig), black_box(&records)).unwrap())
    });
    let name = Name::from_ascii("a.long.name.under.example.").unwrap();
    for iterations in [0u16, 10, 50] {
        c.bench_function(&format!("nsec3_hash_{iterations}_iterations"), |b| {
            b.iter(|| nsec3_hash_uncharged(black_box(&name), &[0xaa, 0xbb], iterations))
        });
    }
}

const LEAF: &str = r#"
@    MX 10 mail
www  A  192.0.2.1
mail A  192.0.2.25
"#;

/// Cold cache each time: `www.nsec.example.` (alg 13, NSEC) and
/// `www.nsec3.example.` (alg 8, NSEC3) from the root down, with DO.
fn cold_resolution(c: &mut Criterion) {
    let mut b = SignedWorldBuilder::new();
    b.zone("example.", "");
    b.zone("nsec.example.", LEAF).alg(13);
    b.zone("nsec3.example.", LEAF)
        .alg(8)
        .nsec3(Nsec3Config::default());
    let world = b.build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = QueryOpts {
        dnssec_ok: true,
        checking_disabled: false,
        caller_caches_answer: false,
    };
    for leaf in ["nsec", "nsec3"] {
        let q = Question::new(
            Name::from_ascii(format!("www.{leaf}.example.")).unwrap(),
            RecordType::A,
        );
        c.bench_function(&format!("cold_validated_resolution_{leaf}"), |b| {
            b.iter(|| {
                let r = world.resolver(Config::default());
                let res = rt.block_on(r.resolve(&q, opts));
                assert_eq!(res.security, anchord::dnssec::state::Security::Secure);
                res
            })
        });
    }
}

criterion_group!(benches, verify, cold_resolution);
criterion_main!(benches);
