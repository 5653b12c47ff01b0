//! Hostile upstream: every server answers with bytes that pass response
//! matching (right ID, right question) followed by random or mangled
//! sections. The resolver must never panic or hang, and always produce an
//! answer (usually SERVFAIL) within its budget.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anchord::clock::VirtualClock;
use anchord::config::Config;
use anchord::resolver::hints::{HintServer, RootHints};
use anchord::resolver::network::{BoxFuture, NetError, Network, Transport};
use anchord::resolver::{QueryOpts, Question, Resolver, ResolverSetup};
use hickory_proto::rr::{Name, RecordType};

/// A deterministic xorshift generator (no dependency on test order).
struct Garbage {
    state: AtomicU64,
    clock: Arc<VirtualClock>,
}

impl Garbage {
    fn next(&self) -> u64 {
        let mut x = self.state.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state.store(x, Ordering::Relaxed);
        x
    }

    /// Header + question copied from the query, then random sections with
    /// plausible counts, or a truncated / self-pointing tail.
    fn response(&self, query: &[u8]) -> Vec<u8> {
        let qend = 12 + query[12..].iter().position(|b| *b == 0).unwrap_or(0) + 5;
        let mut r = query[..qend.min(query.len())].to_vec();
        r[2] |= 0x80; // QR
        if self.next() % 2 == 0 {
            r[2] |= 0x04; // AA
        }
        r[3] = (self.next() % 6) as u8; // rcode 0..5
        for b in r.iter_mut().take(12).skip(6) {
            *b = (self.next() % 4) as u8;
        }
        let tail = (self.next() % 300) as usize;
        for _ in 0..tail {
            r.push(self.next() as u8);
        }
        match self.next() % 5 {
            // A compression pointer to itself.
            0 => r.extend_from_slice(&[0xc0, r.len() as u8]),
            // A record owned by the question name, type NS, pointing back.
            1 => r.extend_from_slice(&[0xc0, 0x0c, 0, 2, 0, 1, 0, 0, 1, 0, 0, 2, 0xc0, 0x0c]),
            _ => {}
        }
        r
    }
}

impl Network for Garbage {
    fn exchange<'a>(
        &'a self,
        _server: SocketAddr,
        _transport: Transport,
        query: &'a [u8],
        _timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<u8>, NetError>> {
        self.clock.advance(Duration::from_millis(5));
        let r = self.response(query);
        Box::pin(async move { Ok(r) })
    }
}

#[tokio::test]
async fn garbage_from_upstream_never_panics_and_always_answers() {
    let clock = Arc::new(VirtualClock::new(1_795_392_000));
    let net = Arc::new(Garbage {
        state: AtomicU64::new(0x9e37_79b9_7f4a_7c15),
        clock: clock.clone(),
    });
    let hints = RootHints::from_servers(vec![HintServer {
        name: Name::from_ascii("a.root.").unwrap(),
        addrs: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))],
    }]);
    let resolver = Resolver::new(ResolverSetup {
        config: Config::default(),
        network: net,
        clock: clock.clone(),
        root_hints: hints,
    });
    for i in 0..2_000u32 {
        let name = Name::from_ascii(format!("n{i}.example.com.")).unwrap();
        let qtype = [
            RecordType::A,
            RecordType::MX,
            RecordType::TLSA,
            RecordType::NS,
        ][i as usize % 4];
        let res = resolver
            .resolve(&Question::new(name, qtype), QueryOpts::default())
            .await;
        // Whatever came back, it is a well-formed resolution.
        assert!(res.answer.len() < 10_000);
        if i % 100 == 0 {
            resolver.flush();
        }
    }
}

#[tokio::test]
async fn garbage_reaches_the_validator_without_panics() {
    let clock = Arc::new(VirtualClock::new(1_795_392_000));
    let net = Arc::new(Garbage {
        state: AtomicU64::new(0x2545_f491_4f6c_dd1d),
        clock: clock.clone(),
    });
    let hints = RootHints::from_servers(vec![HintServer {
        name: Name::from_ascii("a.root.").unwrap(),
        addrs: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))],
    }]);
    let anchors = anchord::dnssec::anchors::builtin_root_anchors(1_795_392_000);
    let resolver = Resolver::new_validating(
        ResolverSetup {
            config: Config::default(),
            network: net,
            clock: clock.clone(),
            root_hints: hints,
        },
        anchors,
    );
    for i in 0..1_000u32 {
        let name = Name::from_ascii(format!("v{i}.example.")).unwrap();
        let qtype = [
            RecordType::A,
            RecordType::DS,
            RecordType::DNSKEY,
            RecordType::TLSA,
        ][i as usize % 4];
        let opts = QueryOpts {
            dnssec_ok: true,
            checking_disabled: i % 3 == 0,
            caller_caches_answer: false,
        };
        let res = resolver.resolve(&Question::new(name, qtype), opts).await;
        // Garbage can never be authenticated by the real root keys.
        assert!(!res.security.is_secure(), "{res:?}");
    }
}
