//! DNSSEC micro-benchmarks: RRSIG verification per algorithm (the basis of
//! the crypto budget weights in `dnssec::algorithm`), canonical-form
//! encoding and NSEC3 hashing.
//!
//! Run: `cargo bench --bench dnssec`.

#[path = "../tests/sim/mod.rs"]
mod sim;

use std::hint::black_box;

use anchord::dnssec::canonical::signed_data;
use anchord::dnssec::nsec3_hash::nsec3_hash_uncharged;
use anchord::dnssec::rrsig::verify_rrsig;
use anchord::dnssec::verify_set::as_rrsig;
use criterion::{criterion_group, criterion_main, Criterion};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record};
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

criterion_group!(benches, verify);
criterion_main!(benches);
