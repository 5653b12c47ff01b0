//! The server over real sockets on 127.0.0.1 with a fake resolver: UDP and
//! TCP answers, TCP pipelining out of order, idle timeout, connection cap,
//! port conflicts and shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anchord::clock::SystemClock;
use anchord::config::Config;
use anchord::dnssec::state::Security;
use anchord::resolver::api::{QueryOpts, Question, Resolution, Resolve};
use anchord::resolver::network::BoxFuture;
use anchord::server::{Server, Transport};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{RData, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::oneshot;
use tokio::time::timeout;

/// Answers A 192.0.2.1 for everything; names starting with "slow" take 300 ms.
struct Fake;

impl Resolve for Fake {
    fn resolve<'a>(&'a self, q: &'a Question, _: QueryOpts) -> BoxFuture<'a, Resolution> {
        Box::pin(async move {
            if q.name.to_ascii().starts_with("slow") {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Resolution {
                rcode: ResponseCode::NoError,
                answer: vec![Record::from_rdata(
                    q.name.clone(),
                    60,
                    RData::A(A::new(192, 0, 2, 1)),
                )],
                authority: vec![],
                security: Security::Insecure,
                ede: None,
                cache_ttl: 60,
            }
        })
    }
}

fn config() -> Config {
    let mut c = Config::default();
    c.server.listen = vec!["127.0.0.1:0".parse().unwrap()];
    c.server.threads = 2;
    c.server.tcp_idle_timeout_ms = 300;
    c.server.tcp_max_connections = 2;
    c
}

struct Running {
    udp: SocketAddr,
    tcp: SocketAddr,
    stop: Option<oneshot::Sender<u32>>,
    done: tokio::task::JoinHandle<u32>,
    stats: Arc<anchord::server::Stats>,
}

async fn start(c: &Config) -> Running {
    let server = Server::bind(c, Arc::new(Fake), Arc::new(SystemClock::new()))
        .await
        .unwrap();
    let addrs = server.local_addrs();
    let udp = addrs.iter().find(|a| a.1 == Transport::Udp).unwrap().0;
    let tcp = addrs.iter().find(|a| a.1 == Transport::Tcp).unwrap().0;
    assert_eq!(udp.port(), tcp.port());
    let stats = server.stats();
    let (tx, rx) = oneshot::channel::<u32>();
    let done = tokio::spawn(async move { server.run(async { rx.await.unwrap_or(0) }).await });
    Running {
        udp,
        tcp,
        stop: Some(tx),
        done,
        stats,
    }
}

fn query(id: u16, name: &str) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for l in name.split('.') {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

fn framed(msg: &[u8]) -> Vec<u8> {
    let mut out = (msg.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(msg);
    out
}

async fn read_framed(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).await.unwrap();
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut buf).await.unwrap();
    buf
}

async fn udp_ask(server: SocketAddr, q: &[u8]) -> Vec<u8> {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    s.send_to(q, server).await.unwrap();
    let mut buf = vec![0u8; 1500];
    let (n, _) = timeout(Duration::from_secs(2), s.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    buf.truncate(n);
    buf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_and_tcp_queries_are_answered() {
    let mut r = start(&config()).await;
    let resp = udp_ask(r.udp, &query(0x1111, "www.example.com")).await;
    let m = Message::from_vec(&resp).unwrap();
    assert_eq!(m.metadata.id, 0x1111);
    assert_eq!(m.answers.len(), 1);
    // Second time: from the cache.
    let resp = udp_ask(r.udp, &query(0x2222, "WWW.example.com")).await;
    assert_eq!(&resp[..2], &[0x22, 0x22]);
    assert_eq!(&resp[13..16], b"WWW");
    assert!(r.stats.snapshot().cache_hits >= 1);

    let mut t = TcpStream::connect(r.tcp).await.unwrap();
    t.write_all(&framed(&query(3, "www.example.com")))
        .await
        .unwrap();
    let resp = read_framed(&mut t).await;
    assert_eq!(Message::from_vec(&resp).unwrap().answers.len(), 1);
    assert!(r.stats.snapshot().tcp_queries >= 1);

    // Garbage does not stop the server.
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for n in 0..50u8 {
        s.send_to(&vec![n; usize::from(n)], r.udp).await.unwrap();
    }
    let resp = udp_ask(r.udp, &query(4, "www.example.com")).await;
    assert_eq!(&resp[..2], &[0, 4]);

    r.stop.take().unwrap().send(42).unwrap();
    assert_eq!(r.done.await.unwrap(), 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_pipelining_answers_out_of_order() {
    let r = start(&config()).await;
    let mut t = TcpStream::connect(r.tcp).await.unwrap();
    let mut both = framed(&query(1, "slow.example.com"));
    both.extend_from_slice(&framed(&query(2, "fast.example.com")));
    t.write_all(&both).await.unwrap();
    let first = timeout(Duration::from_secs(2), read_framed(&mut t))
        .await
        .unwrap();
    let second = timeout(Duration::from_secs(2), read_framed(&mut t))
        .await
        .unwrap();
    // RFC 7766 §7: the fast answer need not wait for the slow one.
    assert_eq!(&first[..2], &[0, 2]);
    assert_eq!(&second[..2], &[0, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_tcp_connections_are_closed() {
    let r = start(&config()).await;
    let mut t = TcpStream::connect(r.tcp).await.unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 16];
    let n = timeout(Duration::from_secs(3), t.read(&mut buf))
        .await
        .expect("closed by the server")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert!(start.elapsed() >= Duration::from_millis(250));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_closed() {
    let mut c = config();
    c.server.tcp_idle_timeout_ms = 5_000;
    let r = start(&c).await;
    let mut held = Vec::new();
    for id in 0..2u16 {
        let mut t = TcpStream::connect(r.tcp).await.unwrap();
        t.write_all(&framed(&query(id, "www.example.com")))
            .await
            .unwrap();
        read_framed(&mut t).await;
        held.push(t);
    }
    let mut third = TcpStream::connect(r.tcp).await.unwrap();
    let _ = third.write_all(&framed(&query(9, "www.example.com"))).await;
    let mut buf = [0u8; 16];
    let n = timeout(Duration::from_secs(2), third.read(&mut buf))
        .await
        .expect("closed at once")
        .unwrap_or(0);
    assert_eq!(n, 0);
    // The held connections still work.
    held[0]
        .write_all(&framed(&query(5, "www.example.com")))
        .await
        .unwrap();
    assert_eq!(&read_framed(&mut held[0]).await[..2], &[0, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_conflict_fails_fast() {
    let r = start(&config()).await;
    let mut c = config();
    c.server.listen = vec![r.tcp];
    let err = Server::bind(&c, Arc::new(Fake), Arc::new(SystemClock::new())).await;
    assert!(err.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_listener_replies_from_the_queried_address() {
    let mut c = config();
    c.server.listen = vec!["0.0.0.0:0".parse().unwrap()];
    let r = start(&c).await;
    // 127.0.0.2 reaches the wildcard socket, but routing would pick
    // 127.0.0.1 as the source of a reply to 127.0.0.1: pktinfo must not.
    let target = SocketAddr::new([127, 0, 0, 2].into(), r.udp.port());
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for (id, name) in [(1u16, "www.example.com"), (2, "www.example.com")] {
        s.send_to(&query(id, name), target).await.unwrap();
        let mut buf = vec![0u8; 1500];
        let (n, from) = timeout(Duration::from_secs(2), s.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(from, target, "reply from the address queried");
        assert_eq!(&buf[..2], &id.to_be_bytes());
        assert!(n > 12);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_wildcard_listener_answers() {
    let mut c = config();
    c.server.listen = vec!["[::]:0".parse().unwrap()];
    c.server.threads = 1;
    let Ok(server) = Server::bind(&c, Arc::new(Fake), Arc::new(SystemClock::new())).await else {
        return; // no IPv6 in this environment
    };
    let port = server.local_addrs()[0].0.port();
    let Ok(s) = UdpSocket::bind("[::1]:0").await else {
        return;
    };
    let (tx, rx) = oneshot::channel::<()>();
    let done = tokio::spawn(async move { server.run(async { rx.await.ok() }).await });
    let target = SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), port);
    s.send_to(&query(7, "www.example.com"), target)
        .await
        .unwrap();
    let mut buf = vec![0u8; 1500];
    let (_, from) = timeout(Duration::from_secs(2), s.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(from, target);
    assert_eq!(&buf[..2], &[0, 7]);
    tx.send(()).unwrap();
    done.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_garbage_and_flush() {
    let c = config();
    let server = Server::bind(&c, Arc::new(Fake), Arc::new(SystemClock::new()))
        .await
        .unwrap();
    let flush = server.flush_handle();
    let stats = server.stats();
    let addrs = server.local_addrs();
    let tcp = addrs.iter().find(|a| a.1 == Transport::Tcp).unwrap().0;
    let udp = addrs.iter().find(|a| a.1 == Transport::Udp).unwrap().0;
    let (tx, rx) = oneshot::channel::<()>();
    let done = tokio::spawn(async move { server.run(async { rx.await.ok() }).await });

    // Zero-length frames, junk, then a half-sent frame and a hang-up.
    let mut t = TcpStream::connect(tcp).await.unwrap();
    t.write_all(&[0, 0, 0, 3, 1, 2, 3, 0, 12]).await.unwrap();
    t.write_all(&[0xFF; 12]).await.unwrap();
    t.write_all(&[0, 40, 1]).await.unwrap();
    drop(t);

    udp_ask(udp, &query(1, "www.example.com")).await;
    udp_ask(udp, &query(2, "www.example.com")).await;
    let hits = stats.snapshot().cache_hits;
    assert!(hits >= 1);
    flush.flush();
    udp_ask(udp, &query(3, "www.example.com")).await;
    assert_eq!(stats.snapshot().cache_hits, hits, "flushed: a miss");
    let resp = udp_ask(udp, &query(4, "www.example.com")).await;
    assert_eq!(&resp[..2], &[0, 4]);
    tx.send(()).unwrap();
    done.await.unwrap();
}

/// One UDP socket (1 thread) gets a burst of queries that the server reads
/// in batches: hits, misses, a FORMERR and garbage mixed. Every query that
/// deserves an answer gets exactly one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_burst_of_hits_misses_and_malformed_is_all_answered() {
    udp_burst("127.0.0.1:0", [127, 0, 0, 1]).await;
}

/// The same on a wildcard socket: every reply of a batch leaves from the
/// address its query was sent to (per-message pktinfo).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_burst_on_a_wildcard_socket_replies_from_the_queried_address() {
    udp_burst("0.0.0.0:0", [127, 0, 0, 2]).await;
}

async fn udp_burst(listen: &str, target_ip: [u8; 4]) {
    let mut c = config();
    c.server.threads = 1;
    c.server.listen = vec![listen.parse().unwrap()];
    let r = start(&c).await;
    let target = SocketAddr::new(target_ip.into(), r.udp.port());
    udp_ask(target, &query(0xffff, "www.example.com")).await; // warm
    let sock = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
    .unwrap();
    let _ = sock.set_recv_buffer_size(1 << 20);
    sock.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    sock.set_nonblocking(true).unwrap();
    let s = UdpSocket::from_std(sock.into()).unwrap();
    const N: u16 = 120;
    let mut expected = std::collections::BTreeSet::new();
    for id in 0..N {
        let packet = match id {
            // Two questions: FORMERR, answered.
            50 => {
                let mut q = query(id, "www.example.com");
                q[5] = 2;
                q
            }
            // Garbage (a runt): dropped, no answer.
            51 => vec![0, 51, 1],
            // A miss every tenth query.
            _ if id % 10 == 7 => query(id, &format!("m{id}.example.com")),
            _ => query(id, "www.example.com"),
        };
        if id != 51 {
            expected.insert(id);
        }
        s.send_to(&packet, target).await.unwrap();
    }
    let mut buf = vec![0u8; 1500];
    let mut got = std::collections::BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < expected.len() && Instant::now() < deadline {
        let Ok(Ok((n, from))) = timeout(Duration::from_secs(2), s.recv_from(&mut buf)).await else {
            break;
        };
        assert_eq!(from, target, "reply from the address queried");
        let id = u16::from_be_bytes([buf[0], buf[1]]);
        assert!(got.insert(id), "one answer per query (id {id})");
        let rcode = buf[3] & 0x0f;
        if id == 50 {
            assert_eq!(rcode, 1, "FORMERR");
        } else {
            assert_eq!(rcode, 0);
            assert!(n > 12);
        }
    }
    assert_eq!(got, expected);
    let st = r.stats.snapshot();
    assert!(st.cache_hits >= 100, "{st:?}");
    assert!(st.dropped >= 1, "{st:?}");
}

/// A datagram longer than any real query is dropped (counted), and the
/// queries around it are still answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_udp_query_is_dropped() {
    let mut c = config();
    c.server.threads = 1;
    let r = start(&c).await;
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut big = query(1, "www.example.com");
    big.resize(9000, 0);
    let before = r.stats.snapshot().dropped;
    s.send_to(&big, r.udp).await.unwrap();
    s.send_to(&query(2, "www.example.com"), r.udp)
        .await
        .unwrap();
    let mut buf = vec![0u8; 1500];
    let (_, _) = timeout(Duration::from_secs(2), s.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..2], &[0, 2]);
    assert_eq!(r.stats.snapshot().dropped, before + 1);
}
