//! Unit tests of the socket-free server core with a fake resolver and a
//! virtual clock.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{A, SOA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use rand::{Rng, SeedableRng};

use crate::clock::VirtualClock;
use crate::config::Config;
use crate::dnssec::state::{EdeCode, ExtendedError, Security};
use crate::resolver::api::{QueryOpts, Question, Resolution, Resolve};
use crate::resolver::network::BoxFuture;
use crate::server::{FastPath, Handler};

type AnswerFn = Box<dyn Fn(&Question, QueryOpts) -> Resolution + Send + Sync>;

/// A resolver answering from a fixed function, counting calls.
struct Fake {
    answer: AnswerFn,
    calls: AtomicUsize,
    delay: Duration,
    seen: Mutex<Vec<(Question, QueryOpts)>>,
}

impl Resolve for Fake {
    fn resolve<'a>(&'a self, q: &'a Question, opts: QueryOpts) -> BoxFuture<'a, Resolution> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.seen.lock().unwrap().push((q.clone(), opts));
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            (self.answer)(q, opts)
        })
    }
}

fn fake(f: impl Fn(&Question, QueryOpts) -> Resolution + Send + Sync + 'static) -> Arc<Fake> {
    Arc::new(Fake {
        answer: Box::new(f),
        calls: AtomicUsize::new(0),
        delay: Duration::ZERO,
        seen: Mutex::new(Vec::new()),
    })
}

fn a_record(name: &str, ttl: u32) -> Record {
    Record::from_rdata(
        Name::from_ascii(name).unwrap(),
        ttl,
        RData::A(A::new(192, 0, 2, 1)),
    )
}

fn positive(security: Security) -> Resolution {
    Resolution {
        rcode: ResponseCode::NoError,
        answer: vec![a_record("www.example.com.", 300)],
        authority: vec![],
        security,
        ede: None,
        cache_ttl: 300,
    }
}

fn nxdomain_with_nsec() -> Resolution {
    let soa = SOA::new(
        Name::from_ascii("ns.example.com.").unwrap(),
        Name::from_ascii("host.example.com.").unwrap(),
        1,
        3600,
        600,
        86400,
        300,
    );
    let nsec = NSEC::new(Name::from_ascii("z.example.com.").unwrap(), [RecordType::A]);
    Resolution {
        rcode: ResponseCode::NXDomain,
        answer: vec![],
        authority: vec![
            Record::from_rdata(
                Name::from_ascii("example.com.").unwrap(),
                300,
                RData::SOA(soa),
            ),
            Record::from_rdata(
                Name::from_ascii("a.example.com.").unwrap(),
                300,
                RData::DNSSEC(DNSSECRData::NSEC(nsec)),
            ),
        ],
        security: Security::Secure,
        ede: None,
        cache_ttl: 300,
    }
}

const NOW: u64 = 1_700_000_000;

fn setup(r: Arc<Fake>) -> (Handler, Arc<VirtualClock>) {
    let clock = Arc::new(VirtualClock::new(NOW));
    let cfg = Config::default();
    (Handler::new(&cfg, r, clock.clone()), clock)
}

fn client() -> SocketAddr {
    "127.0.0.1:5353".parse().unwrap()
}

fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for l in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        out.push(l.len() as u8);
        out.extend_from_slice(l.as_bytes());
    }
    out.push(0);
    out
}

/// A query; `edns` = (udp size, version, DO).
fn query(id: u16, name: &str, qtype: u16, flags: u16, edns: Option<(u16, u8, bool)>) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&flags.to_be_bytes());
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(edns.is_some())]);
    q.extend_from_slice(&wire_name(name));
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    if let Some((size, version, d)) = edns {
        q.push(0);
        q.extend_from_slice(&41u16.to_be_bytes());
        q.extend_from_slice(&size.to_be_bytes());
        q.extend_from_slice(&[0, version, if d { 0x80 } else { 0 }, 0, 0, 0]);
    }
    q
}

const RD: u16 = 0x0100;
const AD: u16 = 0x0020;
const CD: u16 = 0x0010;

/// Runs a query through the fast path and, on a miss, the resolver.
/// Uses the reusable-buffer path, as the UDP listener does.
async fn ask(h: &Handler, q: &[u8], tcp: bool) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match h.fast_path_into(q, client(), tcp, &mut out) {
        FastPath::Written => Some(out),
        FastPath::Answer(r) => Some(r),
        FastPath::Drop => None,
        FastPath::Miss(p) => Some(h.resolve_miss(p).await),
    }
}

fn rcode(r: &[u8]) -> u8 {
    r[3] & 0x0F
}

fn decode(r: &[u8]) -> Message {
    Message::from_vec(r).unwrap()
}

#[tokio::test]
async fn miss_then_hit_with_ttl_countdown_and_expiry() {
    let f = fake(|_, _| positive(Security::Insecure));
    let (h, clock) = setup(f.clone());
    let q = query(7, "www.example.com", 1, RD, None);
    assert!(matches!(
        h.fast_path(&q, client(), false),
        FastPath::Miss(_)
    ));
    let r = ask(&h, &q, false).await.unwrap();
    let m = decode(&r);
    assert_eq!(m.metadata.id, 7);
    assert!(m.metadata.recursion_available && m.metadata.recursion_desired);
    assert!(!m.metadata.authoritative);
    assert_eq!(m.answers.len(), 1);
    assert!(m.edns.is_none());

    clock.advance(Duration::from_secs(100));
    let FastPath::Answer(hit) =
        h.fast_path(&query(8, "www.example.com", 1, 0, None), client(), false)
    else {
        panic!("expected a hit")
    };
    let m = decode(&hit);
    assert_eq!(m.metadata.id, 8);
    assert!(!m.metadata.recursion_desired);
    assert_eq!(m.answers[0].ttl, 200);
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
    assert_eq!(h.stats().snapshot().cache_hits, 1);

    clock.advance(Duration::from_secs(200));
    assert!(matches!(
        h.fast_path(&q, client(), false),
        FastPath::Miss(_)
    ));
}

#[tokio::test]
async fn question_is_echoed_in_client_case_on_hit_and_miss() {
    let (h, _) = setup(fake(|_, _| positive(Security::Insecure)));
    let q1 = query(1, "WwW.ExAmPlE.CoM", 1, RD, None);
    let r1 = ask(&h, &q1, false).await.unwrap();
    assert_eq!(&r1[12..12 + 17], &q1[12..12 + 17]);
    let q2 = query(2, "www.EXAMPLE.com", 1, RD, None);
    let FastPath::Answer(r2) = h.fast_path(&q2, client(), false) else {
        panic!("expected a hit")
    };
    assert_eq!(&r2[12..12 + 17], &q2[12..12 + 17]);
}

#[tokio::test]
async fn edns_is_echoed_only_when_sent() {
    let (h, _) = setup(fake(|_, _| positive(Security::Insecure)));
    let r = ask(
        &h,
        &query(1, "www.example.com", 1, RD, Some((4096, 0, true))),
        false,
    )
    .await
    .unwrap();
    let m = decode(&r);
    let e = m.edns.expect("OPT echoed");
    assert_eq!(e.max_payload(), 1232);
    assert!(e.flags().dnssec_ok);
    let r = ask(
        &h,
        &query(1, "www.example.com", 1, RD, Some((4096, 0, false))),
        false,
    )
    .await
    .unwrap();
    assert!(!decode(&r).edns.unwrap().flags().dnssec_ok);
    let r = ask(&h, &query(1, "www.example.com", 1, RD, None), false)
        .await
        .unwrap();
    assert!(decode(&r).edns.is_none());
}

#[tokio::test]
async fn badvers_for_edns_version_1() {
    let (h, _) = setup(fake(|_, _| positive(Security::Insecure)));
    let r = ask(
        &h,
        &query(1, "www.example.com", 1, RD, Some((4096, 1, false))),
        false,
    )
    .await
    .unwrap();
    // RFC 6891 §6.1.3: BADVERS = 16: header RCODE 0, OPT EXTENDED-RCODE 1.
    assert_eq!(rcode(&r), 0);
    let m = decode(&r);
    assert_eq!(m.edns.unwrap().rcode_high(), 1);
}

#[tokio::test]
async fn malformed_queries() {
    let (h, _) = setup(fake(|_, _| positive(Security::Insecure)));
    // Runts and responses are dropped.
    assert!(ask(&h, &[0u8; 5], false).await.is_none());
    let mut resp = query(1, "a", 1, 0, None);
    resp[2] |= 0x80;
    assert!(ask(&h, &resp, false).await.is_none());
    // QDCOUNT 0 and 2.
    let mut q = query(1, "a", 1, 0, None);
    q[5] = 0;
    assert_eq!(rcode(&ask(&h, &q, false).await.unwrap()), 1);
    q[5] = 2;
    assert_eq!(rcode(&ask(&h, &q, false).await.unwrap()), 1);
    // Truncated question.
    let q = query(1, "example.com", 1, 0, None);
    assert_eq!(rcode(&ask(&h, &q[..q.len() - 3], false).await.unwrap()), 1);
    // Two OPT records: RFC 6891 §6.1.1.
    let mut q = query(1, "example.com", 1, 0, Some((1232, 0, false)));
    q[11] = 2;
    q.extend_from_slice(&[0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(rcode(&ask(&h, &q, false).await.unwrap()), 1);
    // Header only: FORMERR with the ID echoed.
    let r = ask(&h, &[0xAB, 0xCD, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], false)
        .await
        .unwrap();
    assert_eq!(&r[..2], &[0xAB, 0xCD]);
    assert_eq!(rcode(&r), 1);
    assert!(h.stats().snapshot().formerr >= 5);
}

#[tokio::test]
async fn notimp_refused_and_any() {
    let (h, _) = setup(fake(|_, _| positive(Security::Insecure)));
    // OPCODE 4 (NOTIFY).
    let r = ask(&h, &query(1, "example.com", 6, 4 << 11, None), false)
        .await
        .unwrap();
    assert_eq!(rcode(&r), 4);
    assert_eq!((r[2] >> 3) & 0x0F, 4);
    // AXFR / IXFR.
    for t in [252, 251] {
        let r = ask(&h, &query(1, "example.com", t, 0, None), false)
            .await
            .unwrap();
        assert_eq!(rcode(&r), 5);
    }
    // Class CH.
    let mut q = query(1, "version.bind", 16, 0, None);
    let n = q.len();
    q[n - 1] = 3;
    assert_eq!(rcode(&ask(&h, &q, false).await.unwrap()), 5);
    // A client outside server.allow.
    let out = "192.0.2.9:53".parse().unwrap();
    let FastPath::Answer(r) = h.fast_path(&query(1, "example.com", 1, 0, None), out, false) else {
        panic!("refused expected")
    };
    assert_eq!(rcode(&r), 5);
    // RFC 8482 §4.2: ANY gets one synthesized HINFO.
    let r = ask(&h, &query(1, "Example.com", 255, RD, None), false)
        .await
        .unwrap();
    let m = decode(&r);
    assert_eq!(m.answers.len(), 1);
    assert_eq!(m.answers[0].record_type(), RecordType::HINFO);
    assert_eq!(m.answers[0].ttl, 3600);
    assert_eq!(m.answers[0].name.to_ascii(), "Example.com.");
}

#[tokio::test]
async fn ad_bit_rules() {
    let (h, _) = setup(fake(|_, _| positive(Security::Secure)));
    let ad = |r: &[u8]| r[3] & 0x20 != 0;
    // Secure, but the client asked neither DO nor AD: no AD (RFC 6840 §5.7).
    let r = ask(&h, &query(1, "www.example.com", 1, RD, None), false)
        .await
        .unwrap();
    assert!(!ad(&r));
    // AD in the query: AD (also on the cached copy).
    let r = ask(&h, &query(1, "www.example.com", 1, RD | AD, None), false)
        .await
        .unwrap();
    assert!(ad(&r));
    // DO: AD.
    let r = ask(
        &h,
        &query(1, "www.example.com", 1, RD, Some((1232, 0, true))),
        false,
    )
    .await
    .unwrap();
    assert!(ad(&r));
    // CD echoed.
    let r = ask(&h, &query(1, "www.example.com", 1, RD | CD, None), false)
        .await
        .unwrap();
    assert!(r[3] & 0x10 != 0);
    // Insecure never gets AD.
    let (h, _) = setup(fake(|_, _| positive(Security::Insecure)));
    let r = ask(
        &h,
        &query(1, "www.example.com", 1, RD | AD, Some((1232, 0, true))),
        false,
    )
    .await
    .unwrap();
    assert!(!ad(&r));
}

#[tokio::test]
async fn dnssec_records_stripped_without_do() {
    let f = fake(|q, _| {
        let mut r = nxdomain_with_nsec();
        if q.qtype == RecordType::NSEC {
            r.rcode = ResponseCode::NoError;
            r.answer = r.authority.split_off(1);
        }
        r
    });
    let (h, _) = setup(f.clone());
    let r = ask(&h, &query(1, "b.example.com", 1, RD, None), false)
        .await
        .unwrap();
    let m = decode(&r);
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(m.authorities.len(), 1);
    assert_eq!(m.authorities[0].record_type(), RecordType::SOA);
    let r = ask(
        &h,
        &query(1, "b.example.com", 1, RD, Some((1232, 0, true))),
        false,
    )
    .await
    .unwrap();
    assert_eq!(decode(&r).authorities.len(), 2);
    // RFC 4035 §3.2.1: the asked-for type is kept even without DO.
    let r = ask(&h, &query(1, "a.example.com", 47, RD, None), false)
        .await
        .unwrap();
    assert_eq!(decode(&r).answers[0].record_type(), RecordType::NSEC);
    // DO and CD are part of the cache key, and reach the resolver.
    let seen = f.seen.lock().unwrap();
    assert!(seen.iter().any(|(_, o)| o.dnssec_ok));
}

#[tokio::test]
async fn servfail_carries_ede_when_edns() {
    let (h, _) = setup(fake(|_, _| {
        let mut r = Resolution::servfail(
            Some(ExtendedError::new(
                EdeCode::DnssecBogus,
                "example.com: bad sig",
            )),
            30,
        );
        // Even if the resolver left records, SERVFAIL has empty sections.
        r.answer = vec![a_record("www.example.com.", 30)];
        r
    }));
    let r = ask(
        &h,
        &query(1, "www.example.com", 1, RD, Some((1232, 0, false))),
        false,
    )
    .await
    .unwrap();
    assert_eq!(rcode(&r), 2);
    let m = decode(&r);
    assert!(m.answers.is_empty() && m.authorities.is_empty());
    let text = b"example.com: bad sig";
    let mut tail = vec![0, 15];
    tail.extend_from_slice(&((2 + text.len()) as u16).to_be_bytes());
    tail.extend_from_slice(&6u16.to_be_bytes());
    tail.extend_from_slice(text);
    assert!(r.ends_with(&tail), "EDE option at the end");
    // Without EDNS: no OPT, no EDE (also from the cache).
    let r = ask(&h, &query(2, "www.example.com", 1, RD, None), false)
        .await
        .unwrap();
    assert_eq!(rcode(&r), 2);
    assert!(decode(&r).edns.is_none());
    assert_eq!(h.stats().snapshot().servfail, 2);
}

#[tokio::test]
async fn large_answers_truncate_over_udp_only() {
    let big = |_: &Question, _| {
        let recs = (0..20)
            .map(|i| {
                Record::from_rdata(
                    Name::from_ascii("big.example.com.").unwrap(),
                    60,
                    RData::TXT(TXT::new(vec![format!("{i:03}{}", "x".repeat(100))])),
                )
            })
            .collect();
        Resolution {
            rcode: ResponseCode::NoError,
            answer: recs,
            authority: vec![],
            security: Security::Insecure,
            ede: None,
            cache_ttl: 60,
        }
    };
    let (h, _) = setup(fake(big));
    let q = query(1, "big.example.com", 16, RD, None);
    let r = ask(&h, &q, false).await.unwrap();
    assert!(r.len() <= 512);
    assert!(r[2] & 0x02 != 0, "TC set");
    let m = decode(&r);
    assert!(m.answers.is_empty());
    assert_eq!(m.queries.len(), 1);
    // EDNS 4096 from the client, but ours is 1232: still truncated, OPT kept.
    let r = ask(
        &h,
        &query(1, "big.example.com", 16, RD, Some((4096, 0, false))),
        false,
    )
    .await
    .unwrap();
    assert!(r.len() <= 1232 && r[2] & 0x02 != 0);
    assert!(decode(&r).edns.is_some());
    // TCP: the whole answer.
    let r = ask(&h, &q, true).await.unwrap();
    assert_eq!(r[2] & 0x02, 0);
    assert_eq!(decode(&r).answers.len(), 20);
}

#[tokio::test]
async fn storing_ttl_rules() {
    let (h, _) = setup(fake(|q, _| {
        let mut r = positive(Security::Insecure);
        if q.name.to_ascii().starts_with("zero") {
            r.cache_ttl = 0;
        }
        r
    }));
    let q = query(1, "zero.example.com", 1, RD, None);
    ask(&h, &q, false).await.unwrap();
    assert!(matches!(
        h.fast_path(&q, client(), false),
        FastPath::Miss(_)
    ));
    let cache = h.cache();
    let mut neg = nxdomain_with_nsec();
    neg.cache_ttl = 999_999;
    assert_eq!(cache.storing_ttl(&neg), 3600);
    let mut pos = positive(Security::Secure);
    pos.cache_ttl = 999_999;
    assert_eq!(cache.storing_ttl(&pos), 86_400);
}

#[tokio::test]
async fn concurrent_misses_share_one_resolution() {
    let f = Arc::new(Fake {
        answer: Box::new(|_, _| positive(Security::Insecure)),
        calls: AtomicUsize::new(0),
        delay: Duration::from_millis(50),
        seen: Mutex::new(Vec::new()),
    });
    let (h, _) = setup(f.clone());
    let h = Arc::new(h);
    let mut tasks = Vec::new();
    for id in 0..8u16 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            let q = query(id, "www.example.com", 1, RD, None);
            match h.fast_path(&q, client(), false) {
                FastPath::Miss(p) => h.resolve_miss(p).await,
                _ => panic!("miss expected"),
            }
        }));
    }
    for (id, t) in tasks.into_iter().enumerate() {
        let r = t.await.unwrap();
        assert_eq!(u16::from_be_bytes([r[0], r[1]]), id as u16);
    }
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn fuzzed_packets_never_crash_the_handler() {
    let (h, _) = setup(fake(|_, _| positive(Security::Insecure)));
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5EED);
    let valid = query(9, "www.example.com", 1, RD, Some((1232, 0, true)));
    for i in 0..10_000 {
        let pkt: Vec<u8> = match i % 4 {
            // Random bytes.
            0 => {
                let n = rng.random_range(0..600);
                (0..n).map(|_| rng.random()).collect()
            }
            // A valid query cut short.
            1 => valid[..rng.random_range(0..valid.len())].to_vec(),
            // A valid query with random bytes flipped.
            2 => {
                let mut p = valid.clone();
                for _ in 0..rng.random_range(1..6) {
                    let at = rng.random_range(0..p.len());
                    p[at] = rng.random();
                }
                p
            }
            // Compression loops and pointers everywhere, plus counts.
            _ => {
                let mut p = vec![0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 3];
                if rng.random_bool(0.5) {
                    // A pointer loop as the qname.
                    p.extend_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1]);
                } else {
                    p.extend_from_slice(&[1, b'a', 0, 0, 1, 0, 1]);
                }
                for _ in 0..rng.random_range(0..8) {
                    p.extend_from_slice(&[0xC0, rng.random(), 0, 41, 0xFF, 0xFF]);
                    p.extend_from_slice(&[0, 0, 0, 0, 0, rng.random_range(0..4)]);
                }
                p
            }
        };
        let _ = ask(&h, &pkt, i % 2 == 0).await;
    }
    let r = ask(&h, &valid, false).await.unwrap();
    assert_eq!(rcode(&r), 0);
    assert_eq!(decode(&r).answers.len(), 1);
}
