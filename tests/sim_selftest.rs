//! Self-tests of the simulated world: query the sim servers directly through
//! the `Network` trait and check each authoritative behaviour.

mod sim;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anchord::clock::Clock;
use anchord::resolver::matching::response_matches;
use anchord::resolver::network::{NetError, SharedNetwork, Transport};
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use sim::authority::Behaviour;
use sim::std_world::{addr, StdWorld};
use sim::world::{World, POISON_ADDR};
use sim::zone::{DenialKind, DenialProofs, Zone};
use sim::zonefile::dname_target;

const TIMEOUT: Duration = Duration::from_millis(800);

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn query_msg(name: &str, qtype: RecordType, edns: Option<(u16, bool)>) -> Message {
    let mut m = Message::new(0x4242, MessageType::Query, OpCode::Query);
    m.add_query(Query::query(n(name), qtype));
    if let Some((size, do_bit)) = edns {
        let mut e = Edns::new();
        e.set_max_payload(size);
        e.set_dnssec_ok(do_bit);
        m.set_edns(e);
    }
    m
}

async fn ask_full(
    w: &std::sync::Arc<World>,
    ip: IpAddr,
    transport: Transport,
    q: &Message,
) -> Result<Message, NetError> {
    let net = w.network();
    let bytes = q.to_vec().unwrap();
    let resp = net
        .exchange(SocketAddr::new(ip, 53), transport, &bytes, TIMEOUT)
        .await?;
    assert!(response_matches(&bytes, &resp));
    Ok(Message::from_vec(&resp).unwrap())
}

async fn ask(w: &std::sync::Arc<World>, ip: IpAddr, name: &str, qtype: RecordType) -> Message {
    let q = query_msg(name, qtype, Some((1232, false)));
    ask_full(w, ip, Transport::Udp, &q).await.unwrap()
}

fn names(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| format!("{} {}", r.name, r.record_type()))
        .collect()
}

#[tokio::test]
async fn root_refers_to_com_with_glue() {
    let w = StdWorld::new();
    let m = ask(&w, addr::A_ROOT_V4, "www.example.com.", RecordType::A).await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(!m.metadata.authoritative);
    assert!(m.answers.is_empty());
    assert_eq!(
        names(&m.authorities),
        vec!["com. NS", "com. NS"],
        "{:?}",
        m.authorities
    );
    assert!(m
        .additionals
        .iter()
        .any(|r| r.name == n("a.gtld-servers.net.")
            && r.data == RData::A("192.5.6.30".parse::<std::net::Ipv4Addr>().unwrap().into())));
    // OPT echoed.
    assert!(m.edns.is_some());
}

#[tokio::test]
async fn priming_answer_has_addresses() {
    let w = StdWorld::new();
    let m = ask(&w, addr::B_ROOT_V6, ".", RecordType::NS).await;
    assert!(m.metadata.authoritative);
    assert_eq!(m.answers.len(), 2);
    assert_eq!(m.additionals.len(), 4);
}

#[tokio::test]
async fn multi_level_referral_and_answer() {
    let w = StdWorld::new();
    let m = ask(&w, addr::A_GTLD_V4, "host.sub.example.com.", RecordType::A).await;
    assert_eq!(
        names(&m.authorities),
        vec!["example.com. NS", "example.com. NS"]
    );
    assert_eq!(m.additionals.len(), 3);
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "host.sub.example.com.",
        RecordType::A,
    )
    .await;
    assert!(!m.metadata.authoritative);
    assert_eq!(names(&m.authorities), vec!["sub.example.com. NS"]);
    assert_eq!(names(&m.additionals), vec!["ns1.sub.example.com. A"]);
    let m = ask(
        &w,
        addr::NS1_SUB_EXAMPLE_COM_V4,
        "HOST.sub.example.com.",
        RecordType::A,
    )
    .await;
    assert!(m.metadata.authoritative);
    assert_eq!(m.answers.len(), 1);
    assert_eq!(
        m.answers[0].data,
        RData::A("192.0.2.30".parse::<std::net::Ipv4Addr>().unwrap().into())
    );
}

#[tokio::test]
async fn exact_answer_nxdomain_nodata() {
    let w = StdWorld::new();
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "www.example.com.",
        RecordType::A,
    )
    .await;
    assert!(m.metadata.authoritative);
    assert_eq!(m.answers.len(), 1);
    assert_eq!(m.answers[0].ttl, 300);

    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "nope.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    assert!(m.metadata.authoritative);
    assert_eq!(names(&m.authorities), vec!["example.com. SOA"]);
    // RFC 2308 §3: min(SOA TTL 3600, minimum 300).
    assert_eq!(m.authorities[0].ttl, 300);

    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "www.example.com.",
        RecordType::MX,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
    assert_eq!(names(&m.authorities), vec!["example.com. SOA"]);

    // Empty non-terminal: NODATA, not NXDOMAIN.
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "b.c.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
}

#[tokio::test]
async fn out_of_zone_is_refused() {
    let w = StdWorld::new();
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "www.example.org.",
        RecordType::A,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
}

#[tokio::test]
async fn cname_chased_in_zone_and_not_across() {
    let w = StdWorld::new();
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "chain.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(
        names(&m.answers),
        vec![
            "chain.example.com. CNAME",
            "alias.example.com. CNAME",
            "www.example.com. A"
        ]
    );
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "external.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(names(&m.answers), vec!["external.example.com. CNAME"]);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    // RFC 6604: the rcode is that of the last name in the chain.
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "dangling.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(m.answers.len(), 1);
    // A loop stops.
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "loop1.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(m.answers.len(), 2);
    // Asking for the CNAME itself.
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "alias.example.com.",
        RecordType::CNAME,
    )
    .await;
    assert_eq!(names(&m.answers), vec!["alias.example.com. CNAME"]);
}

#[tokio::test]
async fn dname_synthesises_cname() {
    let w = StdWorld::new();
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "www.old.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(
        names(&m.answers),
        vec!["old.example.com. DNAME", "www.old.example.com. CNAME"]
    );
    assert_eq!(dname_target(&m.answers[0].data), Some(n("example.net.")));
    assert_eq!(
        m.answers[1].data,
        RData::CNAME(hickory_proto::rr::rdata::CNAME(n("www.example.net.")))
    );
    assert_eq!(m.answers[1].ttl, m.answers[0].ttl);
    // The DNAME owner itself is an ordinary node.
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "old.example.com.",
        RecordType::A,
    )
    .await;
    assert!(m.answers.is_empty());
}

#[tokio::test]
async fn wildcard_synthesis_and_closest_encloser() {
    let w = StdWorld::new();
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "anything.wild.example.com.",
        RecordType::A,
    )
    .await;
    assert!(m.metadata.authoritative);
    assert_eq!(names(&m.answers), vec!["anything.wild.example.com. A"]);
    // Multi-label: the closest encloser is still wild.example.com.
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "x.y.wild.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(names(&m.answers), vec!["x.y.wild.example.com. A"]);
    // Wildcard NODATA.
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "z.wild.example.com.",
        RecordType::AAAA,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
    // An existing name below the wildcard's parent blocks it (RFC 4592 §2.2.2).
    let mut z = w.zone("example.com.").unwrap();
    z.add_text("host.sub2.wild A 192.0.2.77");
    w.replace_zone(z);
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "x.sub2.wild.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "sub2.wild.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
}

#[tokio::test]
async fn ds_is_answered_by_the_parent_side() {
    let w = World::new();
    let parent = Zone::parse(
        "example.",
        "@ SOA ns hm 1 2 3 4 60\n@ NS ns\nns A 11.9.0.1\nchild NS ns\nchild DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
    );
    let child = Zone::parse(
        "child.example.",
        "@ SOA ns.example. hm 1 2 3 4 60\n@ NS ns.example.\nwww A 192.0.2.1\n",
    );
    let ip: IpAddr = "11.9.0.1".parse().unwrap();
    w.serve(parent, &[ip]);
    w.serve(child, &[ip]);
    let m = ask(&w, ip, "child.example.", RecordType::DS).await;
    assert!(m.metadata.authoritative);
    assert_eq!(names(&m.answers), vec!["child.example. DS"]);
    // The deepest zone answers other types.
    let m = ask(&w, ip, "www.child.example.", RecordType::A).await;
    assert!(m.metadata.authoritative);
    assert_eq!(m.answers.len(), 1);
}

#[tokio::test]
async fn tc_over_udp_when_too_big_and_full_over_tcp() {
    let w = StdWorld::new();
    let mut z = w.zone("example.com.").unwrap();
    for i in 0..40 {
        z.add_text(&format!(
            "big TXT \"record number {i} with some padding to make it large\""
        ));
    }
    w.replace_zone(z);
    // No EDNS: 512 bytes.
    let q = query_msg("big.example.com.", RecordType::TXT, None);
    let m = ask_full(&w, addr::NS1_EXAMPLE_COM_V4, Transport::Udp, &q)
        .await
        .unwrap();
    assert!(m.metadata.truncation);
    assert!(m.answers.is_empty());
    assert!(m.edns.is_none());
    let m = ask_full(&w, addr::NS1_EXAMPLE_COM_V4, Transport::Tcp, &q)
        .await
        .unwrap();
    assert!(!m.metadata.truncation);
    assert_eq!(m.answers.len(), 40);
    // A small answer fits in 512.
    let q = query_msg("www.example.com.", RecordType::A, None);
    let m = ask_full(&w, addr::NS1_EXAMPLE_COM_V4, Transport::Udp, &q)
        .await
        .unwrap();
    assert!(!m.metadata.truncation);
}

#[tokio::test]
async fn always_truncate_forces_tcp() {
    let w = StdWorld::new();
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V4, Behaviour::AlwaysTruncate);
    let q = query_msg("www.example.com.", RecordType::A, Some((1232, false)));
    let m = ask_full(&w, addr::NS1_EXAMPLE_COM_V4, Transport::Udp, &q)
        .await
        .unwrap();
    assert!(m.metadata.truncation && m.answers.is_empty());
    assert!(m.edns.is_some());
    let m = ask_full(&w, addr::NS1_EXAMPLE_COM_V4, Transport::Tcp, &q)
        .await
        .unwrap();
    assert!(!m.metadata.truncation && m.answers.len() == 1);
}

#[tokio::test]
async fn formerr_on_edns_only() {
    let w = StdWorld::new();
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V4, Behaviour::FormErrOnEdns);
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "www.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
    assert!(m.edns.is_none());
    let q = query_msg("www.example.com.", RecordType::A, None);
    let m = ask_full(&w, addr::NS1_EXAMPLE_COM_V4, Transport::Udp, &q)
        .await
        .unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert_eq!(m.answers.len(), 1);
}

#[tokio::test]
async fn error_and_lame_behaviours() {
    let w = StdWorld::new();
    let ip = addr::NS1_EXAMPLE_COM_V4;
    let cases = [
        (Behaviour::Refused, ResponseCode::Refused),
        (Behaviour::ServFail, ResponseCode::ServFail),
    ];
    for (b, rc) in cases {
        w.set_behaviour(ip, b);
        let m = ask(&w, ip, "www.example.com.", RecordType::A).await;
        assert_eq!(m.metadata.response_code, rc);
        assert!(m.answers.is_empty());
    }
    w.set_behaviour(ip, Behaviour::LameNoAa);
    let m = ask(&w, ip, "www.example.com.", RecordType::A).await;
    assert!(!m.metadata.authoritative);
    assert_eq!(m.answers.len(), 1);

    w.set_behaviour(ip, Behaviour::UpwardReferral);
    let m = ask(&w, ip, "www.example.com.", RecordType::A).await;
    assert!(!m.metadata.authoritative && m.answers.is_empty());
    assert_eq!(names(&m.authorities), vec![". NS", ". NS"]);
    assert_eq!(m.additionals.len(), 4);

    w.set_behaviour(ip, Behaviour::RecursionOnly);
    let m = ask(&w, ip, "www.example.org.", RecordType::A).await;
    assert!(m.metadata.recursion_available && !m.metadata.authoritative);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);

    // Back to normal mid-test.
    w.set_behaviour(ip, Behaviour::Normal);
    let m = ask(&w, ip, "www.example.com.", RecordType::A).await;
    assert!(m.metadata.authoritative);
}

#[tokio::test]
async fn silent_and_unknown_servers_time_out_on_virtual_time() {
    let w = StdWorld::new();
    let clock = w.clock();
    let t0 = clock.monotonic();
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V4, Behaviour::Silent);
    let q = query_msg("www.example.com.", RecordType::A, None);
    let r = ask_full(&w, addr::NS1_EXAMPLE_COM_V4, Transport::Udp, &q).await;
    assert_eq!(r.unwrap_err(), NetError::Timeout);
    assert_eq!(clock.monotonic() - t0, TIMEOUT);
    let r = ask_full(&w, "11.99.0.1".parse().unwrap(), Transport::Udp, &q).await;
    assert_eq!(r.unwrap_err(), NetError::Timeout);
    assert_eq!(clock.monotonic() - t0, TIMEOUT * 2);
}

#[tokio::test]
async fn rtt_is_charged_to_the_clock() {
    let w = StdWorld::new();
    let clock = w.clock();
    w.set_rtt(addr::NS2_EXAMPLE_COM_V4, Duration::from_millis(150));
    let t0 = clock.monotonic();
    let wall0 = clock.unix_secs();
    ask(
        &w,
        addr::NS2_EXAMPLE_COM_V4,
        "www.example.com.",
        RecordType::A,
    )
    .await;
    assert_eq!(clock.monotonic() - t0, Duration::from_millis(150));
    assert!(clock.unix_secs() - wall0 <= 1);
    // An RTT above the timeout is a timeout.
    w.set_rtt(addr::NS2_EXAMPLE_COM_V4, Duration::from_secs(2));
    let q = query_msg("www.example.com.", RecordType::A, None);
    let r = ask_full(&w, addr::NS2_EXAMPLE_COM_V4, Transport::Udp, &q).await;
    assert_eq!(r.unwrap_err(), NetError::Timeout);
}

#[tokio::test]
async fn spoofed_datagrams_are_filtered() {
    let w = StdWorld::new();
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V4, Behaviour::Spoof);
    let m = ask(
        &w,
        addr::NS1_EXAMPLE_COM_V4,
        "www.example.com.",
        RecordType::A,
    )
    .await;
    assert!(m.metadata.authoritative);
    assert_eq!(m.answers.len(), 1);
    assert_ne!(m.answers[0].data, RData::A(POISON_ADDR.into()));
    assert_eq!(w.rejected_datagrams(), 3);
}

#[tokio::test]
async fn ipv6_reachability_is_switchable() {
    let w = StdWorld::new();
    let m = ask(
        &w,
        addr::NS1_V6ONLY_V6,
        "www.v6only.example.",
        RecordType::A,
    )
    .await;
    assert_eq!(m.answers.len(), 1);
    w.set_ipv6_reachable(false);
    let t0 = w.clock().monotonic();
    let q = query_msg("www.v6only.example.", RecordType::A, None);
    let r = ask_full(&w, addr::NS1_V6ONLY_V6, Transport::Udp, &q).await;
    assert!(matches!(r, Err(NetError::Unreachable(_))));
    assert_eq!(w.clock().monotonic(), t0);
    // IPv4 still works.
    ask(&w, addr::A_ROOT_V4, ".", RecordType::NS).await;
    let log = w.queries();
    assert!(!log[1].reached && log[1].server.is_ipv6());
    assert!(log[2].reached);
}

#[tokio::test]
async fn query_log_records_what_was_sent() {
    let w = StdWorld::new();
    let mut q = query_msg("ExAmPle.COM.", RecordType::NS, Some((1232, true)));
    q.metadata.recursion_desired = true;
    ask_full(&w, addr::A_GTLD_V6, Transport::Tcp, &q)
        .await
        .unwrap();
    ask(&w, addr::A_GTLD_V4, "com.", RecordType::SOA).await;
    let log = w.queries();
    assert_eq!(log.len(), 2);
    let first = &log[0];
    assert_eq!(first.server, SocketAddr::new(addr::A_GTLD_V6, 53));
    assert!(first.qname.eq_case(&n("ExAmPle.COM.")));
    assert_eq!(first.qtype, RecordType::NS);
    assert_eq!(first.transport, Transport::Tcp);
    assert!(first.edns && first.do_bit && first.rd);
    assert!(!log[1].do_bit && !log[1].rd);
    assert_eq!(w.query_count(addr::A_GTLD_V6), 1);
    assert_eq!(w.query_count(addr::A_GTLD_V4), 1);
    assert_eq!(w.total_queries(), 2);
    w.clear_log();
    assert!(w.queries().is_empty());
    assert_eq!(w.total_queries(), 0);
}

#[test]
fn zone_parser_handles_presentation_format() {
    let z = Zone::parse(
        "example.org.",
        r#"
$TTL 1200
@   IN  SOA ns1 hostmaster ( 1 3600 600
            86400 300 )   ; multi-line
    IN  NS  ns1           ; owner carried over
ns1 60 IN A 192.0.2.1
ns1    AAAA 2001:db8::1
*.w  TXT "a ; not a comment" "b"
ptr  PTR host.example.net.
srv  SRV 1 2 3 target
ds   DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
key  DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
odd  TYPE65280 \# 3 abcdef
$ORIGIN sub.example.org.
x    IN 7 A 192.0.2.2
"#,
    );
    let soa = z.soa().unwrap();
    assert_eq!(soa.ttl, 1200);
    assert_eq!(z.rrset(&n("example.org."), RecordType::NS).len(), 1);
    assert_eq!(z.rrset(&n("ns1.example.org."), RecordType::A)[0].ttl, 60);
    assert_eq!(z.rrset(&n("*.w.example.org."), RecordType::TXT).len(), 1);
    assert_eq!(z.rrset(&n("srv.example.org."), RecordType::SRV).len(), 1);
    assert_eq!(z.rrset(&n("ds.example.org."), RecordType::DS).len(), 1);
    assert_eq!(z.rrset(&n("key.example.org."), RecordType::DNSKEY).len(), 1);
    assert_eq!(
        z.rrset(&n("odd.example.org."), RecordType::Unknown(65280))
            .len(),
        1
    );
    let x = &z.rrset(&n("x.sub.example.org."), RecordType::A)[0];
    assert_eq!(x.ttl, 7);
    assert!(Zone::try_parse("example.org.", "www A not-an-address").is_err());
    assert!(Zone::try_parse("example.org.", "www BOGUS 1").is_err());
}

/// A stand-in for the NSEC/NSEC3 provider: tags each proof request with a
/// TXT record so the test sees which hook was called.
struct Recorder;

impl DenialProofs for Recorder {
    fn proofs(&self, _: &Zone, qname: &Name, _: RecordType, kind: &DenialKind) -> Vec<Record> {
        let tag = match kind {
            DenialKind::NxDomain => "nxdomain",
            DenialKind::NoData => "nodata",
            DenialKind::WildcardAnswer { .. } => "wildcard",
            DenialKind::WildcardNoData { .. } => "wildcard-nodata",
            DenialKind::Referral { has_ds: true, .. } => "referral-ds",
            DenialKind::Referral { has_ds: false, .. } => "referral-insecure",
        };
        vec![Record::from_rdata(
            qname.clone(),
            1,
            RData::TXT(hickory_proto::rr::rdata::TXT::new(vec![tag.to_string()])),
        )]
    }
}

#[tokio::test]
async fn dnssec_hook_is_called_only_with_do() {
    let w = StdWorld::new();
    w.edit_zone("example.com.", |z| {
        z.set_denial(std::sync::Arc::new(Recorder))
    });
    let ip = addr::NS1_EXAMPLE_COM_V4;
    let tag = |m: &Message| -> Vec<String> {
        m.authorities
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(t) => Some(t.to_string()),
                _ => None,
            })
            .collect()
    };
    for (qname, qtype, expect) in [
        ("nope.example.com.", RecordType::A, "nxdomain"),
        ("www.example.com.", RecordType::MX, "nodata"),
        ("a.wild.example.com.", RecordType::A, "wildcard"),
        ("a.wild.example.com.", RecordType::AAAA, "wildcard-nodata"),
        ("host.sub.example.com.", RecordType::A, "referral-insecure"),
    ] {
        let q = query_msg(qname, qtype, Some((4096, true)));
        let m = ask_full(&w, ip, Transport::Udp, &q).await.unwrap();
        assert_eq!(tag(&m), vec![expect.to_string()], "{qname} {qtype}");
        assert!(m.edns.as_ref().unwrap().flags().dnssec_ok);
        let m = ask(&w, ip, qname, qtype).await;
        assert!(tag(&m).is_empty());
    }
}

/// Checks that every RRSIG in a section verifies with `key` over the RRset
/// it covers; returns how many RRSIGs there were.
fn verify_section(records: &[Record], key: &sim::signer::TestKey, zone: &str, now: u64) -> usize {
    use anchord::dnssec::rrsig::verify_rrsig;
    use anchord::dnssec::verify_set::as_rrsig;
    let mut verified = 0;
    for sig in records
        .iter()
        .filter(|r| r.record_type() == RecordType::RRSIG)
    {
        let covered = sim::zone::covered(sig).unwrap();
        let set: Vec<Record> = records
            .iter()
            .filter(|r| r.name == sig.name && r.record_type() == covered)
            .cloned()
            .collect();
        verify_rrsig(&set, as_rrsig(sig).unwrap(), &key.dnskey, &n(zone), now)
            .unwrap_or_else(|e| panic!("{} {covered}: {e:?}", sig.name));
        verified += 1;
    }
    verified
}

#[tokio::test]
async fn signed_zone_serves_verifiable_answers_and_denials() {
    use sim::denial_chain::Nsec3Config;
    use sim::signed::{sign_in_place, Denial};
    use sim::signer::{TestKey, Validity};
    let w = StdWorld::new();
    let now = w.clock().unix_secs();
    let key = TestKey::new(13, false);
    for denial in [Denial::Nsec, Denial::Nsec3(Nsec3Config::default())] {
        let is_nsec3 = matches!(denial, Denial::Nsec3(_));
        w.edit_zone("example.com.", |z| {
            sign_in_place(z, &[&key], Validity::around(now, 30), denial.clone())
        });
        let ip = addr::NS1_EXAMPLE_COM_V4;
        let ask_do = |name: &str, qtype| {
            let q = query_msg(name, qtype, Some((4096, true)));
            let w = w.world.clone();
            async move { ask_full(&w, ip, Transport::Tcp, &q).await.unwrap() }
        };
        // Positive answer with its RRSIG.
        let m = ask_do("www.example.com.", RecordType::A).await;
        assert_eq!(verify_section(&m.answers, &key, "example.com.", now), 1);
        // The DNSKEY RRset.
        let m = ask_do("example.com.", RecordType::DNSKEY).await;
        assert_eq!(verify_section(&m.answers, &key, "example.com.", now), 1);
        // NXDOMAIN: SOA + denial records, all signed.
        let m = ask_do("nope.example.com.", RecordType::A).await;
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        let denial_type = if is_nsec3 {
            RecordType::NSEC3
        } else {
            RecordType::NSEC
        };
        let proofs = m
            .authorities
            .iter()
            .filter(|r| r.record_type() == denial_type)
            .count();
        assert!(proofs >= 1, "{:?}", m.authorities);
        assert_eq!(
            verify_section(&m.authorities, &key, "example.com.", now),
            proofs + 1
        );
        // NODATA.
        let m = ask_do("www.example.com.", RecordType::MX).await;
        assert!(m.authorities.iter().any(|r| r.record_type() == denial_type));
        verify_section(&m.authorities, &key, "example.com.", now);
        // Wildcard answer: signature from the wildcard, plus a proof.
        let m = ask_do("x.wild.example.com.", RecordType::A).await;
        assert_eq!(verify_section(&m.answers, &key, "example.com.", now), 1);
        assert!(m.authorities.iter().any(|r| r.record_type() == denial_type));
        // Unsigned delegation: NS plus the proof that there is no DS.
        let m = ask_do("host.sub.example.com.", RecordType::A).await;
        assert!(m.authorities.iter().any(|r| r.record_type() == denial_type));
        verify_section(&m.authorities, &key, "example.com.", now);
        // Without DO nothing DNSSEC shows up.
        let m = ask(&w, ip, "nope.example.com.", RecordType::A).await;
        assert_eq!(names(&m.authorities), vec!["example.com. SOA"]);
        // NSEC3 owners do not take part in name lookup.
        if is_nsec3 {
            let z = w.zone("example.com.").unwrap();
            assert!(z.records().all(|r| r.record_type() != RecordType::NSEC3));
        }
    }
}

fn lookup_zone() -> Zone {
    Zone::parse(
        "example.org.",
        r#"
$TTL 600
@        SOA   ns hm 1 2 3 4 60
@        NS    ns
ns       A     11.8.0.1
*.w      CNAME target
target   A     192.0.2.1
child    NS    ns.child
child    DS    1 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.child A     11.8.0.2
long     DNAME aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.
"#,
    )
}

#[test]
fn lookup_edge_cases() {
    let z = lookup_zone();
    // Wildcard CNAME: synthesised owner, chased to the target.
    let a = z.lookup(&n("x.w.example.org."), RecordType::A, false);
    assert_eq!(
        names(&a.answers),
        vec!["x.w.example.org. CNAME", "target.example.org. A"]
    );
    // Glue below a cut is not answered authoritatively: referral.
    let a = z.lookup(&n("ns.child.example.org."), RecordType::A, false);
    assert!(!a.authoritative && a.answers.is_empty());
    assert_eq!(names(&a.authorities), vec!["child.example.org. NS"]);
    assert_eq!(names(&a.additionals), vec!["ns.child.example.org. A"]);
    // DS at the cut is answered by the parent; other types are referred.
    let a = z.lookup(&n("child.example.org."), RecordType::DS, false);
    assert!(a.authoritative);
    assert_eq!(names(&a.answers), vec!["child.example.org. DS"]);
    let a = z.lookup(&n("child.example.org."), RecordType::A, false);
    assert!(!a.authoritative);
    // Referral with DO=1 carries the DS RRset.
    let a = z.lookup(&n("www.child.example.org."), RecordType::A, true);
    assert_eq!(
        names(&a.authorities),
        vec!["child.example.org. NS", "child.example.org. DS"]
    );
    // RFC 6672 §2.2: a substitution that would be too long is YXDOMAIN.
    let a = z.lookup(
        &n("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.long.example.org."),
        RecordType::A,
        false,
    );
    assert_eq!(a.rcode, ResponseCode::YXDomain);
    assert_eq!(names(&a.answers), vec!["long.example.org. DNAME"]);
    // ANY returns every RRset at the name (no DNSSEC types without DO).
    let a = z.lookup(&n("example.org."), RecordType::ANY, false);
    assert_eq!(
        names(&a.answers),
        vec!["example.org. SOA", "example.org. NS"]
    );
}

/// One UDP exchange with `ip` on `net`.
async fn exchange_on(net: &SharedNetwork, ip: IpAddr, wire: &[u8]) -> Result<Vec<u8>, NetError> {
    net.exchange(SocketAddr::new(ip, 53), Transport::Udp, wire, TIMEOUT)
        .await
}

/// The overlapping network: two exchanges in flight together are both sent
/// at the start and end after the slower one's RTT, not the sum; one to a
/// server that is not there ends after its timeout.
#[test]
fn overlapping_exchanges_share_virtual_time() {
    let w = StdWorld::new();
    w.set_rtt(addr::NS2_EXAMPLE_COM_V4, Duration::from_millis(70));
    let net = w.overlapping_network();
    let clock = w.clock();
    let wire = |name: &str| {
        query_msg(name, RecordType::A, Some((1232, false)))
            .to_vec()
            .unwrap()
    };
    let (a, b) = (wire("www.example.com."), wire("mail.example.com."));
    let start = clock.monotonic();
    let (ra, rb) = w.run(async {
        tokio::join!(
            exchange_on(&net, addr::NS1_EXAMPLE_COM_V4, &a),
            exchange_on(&net, addr::NS2_EXAMPLE_COM_V4, &b)
        )
    });
    assert!(ra.is_ok() && rb.is_ok());
    assert_eq!(clock.monotonic() - start, Duration::from_millis(70));
    let log = w.queries();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|l| l.sent_at == start), "{log:?}");

    let start = clock.monotonic();
    let nobody: IpAddr = "11.99.0.1".parse().unwrap();
    let r = w.run(exchange_on(&net, nobody, &a));
    assert!(matches!(r, Err(NetError::Timeout)), "{r:?}");
    assert_eq!(clock.monotonic() - start, TIMEOUT);
}

/// `World::run` reports a resolution that waits on something no exchange
/// will ever bring instead of hanging.
#[test]
#[should_panic(expected = "deadlock")]
fn run_panics_on_a_deadlock() {
    let w = StdWorld::new();
    w.run(std::future::pending::<()>());
}
