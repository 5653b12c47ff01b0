//! Cache-hit micro-benchmark: nanoseconds per query through the server's
//! socket-free [`Handler::fast_path`] (parse, ACL, cache lookup, render),
//! with a fake resolver that returns a fixed [`Resolution`]. Each case
//! resolves once (the miss fills the cache), then measures the hit.
//!
//! Run: `cargo bench --bench hitpath`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;

use anchord::clock::VirtualClock;
use anchord::config::Config;
use anchord::dnssec::state::Security;
use anchord::resolver::api::{QueryOpts, Question, Resolution, Resolve};
use anchord::resolver::network::BoxFuture;
use anchord::server::query;
use anchord::server::{FastPath, Handler};
use criterion::{criterion_group, criterion_main, Criterion};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::{A, MX, SOA};
use hickory_proto::rr::{Name, RData, Record};

const NOW: u64 = 1_795_392_000;

/// Answers every question with the same resolution.
struct Fixed(Resolution);

impl Resolve for Fixed {
    fn resolve<'a>(&'a self, _q: &'a Question, _o: QueryOpts) -> BoxFuture<'a, Resolution> {
        Box::pin(async move { self.0.clone() })
    }
}

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn a_answer() -> Resolution {
    let owner = name("h00001.perf.test.");
    Resolution {
        rcode: ResponseCode::NoError,
        answer: vec![
            Record::from_rdata(owner.clone(), 3600, RData::A(A::new(192, 0, 2, 1))),
            Record::from_rdata(owner, 3600, RData::A(A::new(192, 0, 2, 2))),
        ],
        authority: vec![],
        security: Security::Secure,
        ede: None,
        cache_ttl: 3600,
    }
}

fn mx_answer() -> Resolution {
    Resolution {
        rcode: ResponseCode::NoError,
        answer: vec![Record::from_rdata(
            name("h00001.perf.test."),
            3600,
            RData::MX(MX::new(10, name("mx.perf.test."))),
        )],
        authority: vec![],
        security: Security::Secure,
        ede: None,
        cache_ttl: 3600,
    }
}

fn nxdomain() -> Resolution {
    let soa = SOA::new(
        name("ns.perf.test."),
        name("hostmaster.perf.test."),
        1,
        1800,
        900,
        604800,
        3600,
    );
    Resolution {
        rcode: ResponseCode::NXDomain,
        answer: vec![],
        authority: vec![Record::from_rdata(
            name("perf.test."),
            3600,
            RData::SOA(soa),
        )],
        security: Security::Secure,
        ede: None,
        cache_ttl: 3600,
    }
}

/// A query for `qname` (dotted, no trailing dot); `edns_do`: add an OPT RR
/// with DO set (size 1232), as a validating stub would.
fn query(qname: &str, qtype: u16, edns_do: Option<bool>) -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0];
    q.push(u8::from(edns_do.is_some()));
    for l in qname.split('.') {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    if let Some(d) = edns_do {
        q.push(0);
        q.extend_from_slice(&41u16.to_be_bytes());
        q.extend_from_slice(&1232u16.to_be_bytes());
        q.extend_from_slice(&[0, 0, if d { 0x80 } else { 0 }, 0, 0, 0]);
    }
    q
}

/// A handler whose cache holds the answer to `packet`.
fn warmed(res: Resolution, packet: &[u8], client: SocketAddr) -> Handler {
    let clock = Arc::new(VirtualClock::new(NOW));
    let h = Handler::new(&Config::default(), Arc::new(Fixed(res)), clock);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    match h.fast_path(packet, client, false) {
        FastPath::Miss(p) => {
            rt.block_on(h.resolve_miss(p));
        }
        other => panic!("expected a miss, got {other:?}"),
    }
    assert!(matches!(
        h.fast_path(packet, client, false),
        FastPath::Answer(_)
    ));
    h
}

fn hits(c: &mut Criterion) {
    let client: SocketAddr = "127.0.0.1:5353".parse().unwrap();
    let mut group = c.benchmark_group("hitpath");
    let cases: [(&str, Resolution, Vec<u8>); 5] = [
        ("a_plain", a_answer(), query("h00001.perf.test", 1, None)),
        (
            "a_edns_do",
            a_answer(),
            query("h00001.perf.test", 1, Some(true)),
        ),
        (
            "a_mixed_case",
            a_answer(),
            query("H00001.Perf.TEST", 1, Some(false)),
        ),
        (
            "mx_edns",
            mx_answer(),
            query("h00001.perf.test", 15, Some(false)),
        ),
        (
            "nxdomain_soa",
            nxdomain(),
            query("nx00004.perf.test", 1, Some(false)),
        ),
    ];
    for (label, res, packet) in cases {
        let h = warmed(res, &packet, client);
        group.bench_function(label, |b| {
            b.iter(|| match h.fast_path(black_box(&packet), client, false) {
                FastPath::Answer(r) => r,
                _ => unreachable!(),
            })
        });
    }
    // Many entries, visited in a scattered order: the lookups miss the CPU
    // caches as they do under real load (10,000+ distinct questions).
    let h = Handler::new(
        &Config::default(),
        Arc::new(Fixed(a_answer())),
        Arc::new(VirtualClock::new(NOW)),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    const MANY: usize = 50_000;
    let packets: Vec<Vec<u8>> = (0..MANY)
        .map(|i| query(&format!("h{:06}.perf.test", (i * 7919) % MANY), 1, None))
        .collect();
    for p in &packets {
        if let FastPath::Miss(q) = h.fast_path(p, client, false) {
            rt.block_on(h.resolve_miss(q));
        }
    }
    let mut i = 0;
    let mut out = Vec::new();
    group.bench_function("a_plain_50k_entries", |b| {
        b.iter(|| {
            i = (i + 1) % MANY;
            match h.fast_path_into(black_box(&packets[i]), client, false, &mut out) {
                FastPath::Written => out.len(),
                _ => unreachable!(),
            }
        })
    });
    // The parse step alone, for comparison with the whole hit.
    let packet = query("h00001.perf.test", 1, Some(true));
    group.bench_function("parse_only", |b| {
        b.iter(|| query::parse(black_box(&packet)).is_ok())
    });
    group.finish();
}

criterion_group!(benches, hits);
criterion_main!(benches);
