//! Core resolver scenarios against the simulated world (no DNSSEC): the
//! iterative algorithm (RFC 1034 §5.3.3), broken servers, transport
//! fallbacks, caching on virtual time, limits, QNAME minimisation
//! (RFC 9156) and address families.

mod sim;

use std::net::IpAddr;
use std::time::Duration;

use anchord::clock::Clock;
use anchord::config::Config;
use anchord::resolver::network::Transport;
use anchord::resolver::trace::TraceEvent;
use anchord::resolver::{QueryOpts, Question, Resolution, Resolver};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType};

use sim::authority::Behaviour;
use sim::std_world::{addr, StdWorld};
use sim::world::{DEFAULT_RTT, POISON_ADDR};
use sim::zone::Zone;

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn config() -> Config {
    Config::default()
}

fn resolver(w: &StdWorld, config: Config) -> Resolver {
    Resolver::new(w.setup(config))
}

async fn resolve(r: &Resolver, name: &str, qtype: RecordType) -> Resolution {
    r.resolve(&Question::new(n(name), qtype), QueryOpts::default())
        .await
}

/// The A/AAAA addresses in the answer section.
fn addrs(res: &Resolution) -> Vec<IpAddr> {
    res.answer
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect()
}

fn types(res: &Resolution) -> Vec<RecordType> {
    res.answer.iter().map(|r| r.record_type()).collect()
}

fn assert_answer(res: &Resolution, expect: &str) {
    assert_eq!(res.rcode, ResponseCode::NoError, "{res:?}");
    assert_eq!(addrs(res), vec![ip(expect)], "{res:?}");
}

fn has_soa(res: &Resolution) -> bool {
    res.authority
        .iter()
        .any(|r| r.record_type() == RecordType::SOA)
}

/// Makes every address of the example.com servers behave as `b`.
fn example_com_servers(w: &StdWorld, b: Behaviour) {
    for a in addr::EXAMPLE_COM {
        w.set_behaviour(a, b);
    }
}

// ---------------------------------------------------------------- basics

#[tokio::test]
async fn a_record_through_root_tld_and_zone() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
}

#[tokio::test]
async fn aaaa_record() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::AAAA).await,
        "2001:db8::10",
    );
}

#[tokio::test]
async fn multi_level_delegation() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "host.sub.example.com.", RecordType::A).await,
        "192.0.2.30",
    );
    assert!(w.query_count(addr::NS1_SUB_EXAMPLE_COM_V4) >= 1);
}

#[tokio::test]
async fn second_tld() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.net.", RecordType::A).await,
        "192.0.2.20",
    );
}

#[tokio::test]
async fn case_of_the_query_name_does_not_matter() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "WwW.ExAmPlE.CoM.", RecordType::A).await,
        "192.0.2.10",
    );
}

#[tokio::test]
async fn other_record_types() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "example.com.", RecordType::MX).await;
    assert_eq!(types(&res), vec![RecordType::MX]);
    let res = resolve(&r, "txt.example.com.", RecordType::TXT).await;
    assert_eq!(types(&res), vec![RecordType::TXT]);
    let res = resolve(&r, "_25._tcp.mail.example.com.", RecordType::TLSA).await;
    assert_eq!(types(&res), vec![RecordType::TLSA]);
    let res = resolve(&r, "_sip._udp.example.com.", RecordType::SRV).await;
    assert_eq!(types(&res), vec![RecordType::SRV]);
}

#[tokio::test]
async fn glueless_delegation() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.glueless.example.", RecordType::A).await,
        "192.0.2.40",
    );
    // The NS name's address had to be looked up in example.net.
    assert!(w
        .queries()
        .iter()
        .any(|q| q.qname.to_lowercase() == n("ns1.example.net.")
            && matches!(q.qtype, RecordType::A | RecordType::AAAA)));
}

// ------------------------------------- glueless name servers, concurrently
//
// These run on the overlapping network (`World::run`), where exchanges in
// flight together share virtual time, so concurrent branches really do
// overlap; on the ordinary network one would finish before the other began.

/// A resolver whose exchanges overlap in virtual time: drive it with `w.run`.
fn overlapping_resolver(w: &StdWorld, config: Config) -> Resolver {
    Resolver::new(w.setup_overlapping(config))
}

/// The notes of a trace (cycle, depth and glueless messages).
fn notes(trace: &[TraceEvent]) -> Vec<String> {
    trace
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Note(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// When the queries for (`qname`, `qtype`) were sent.
fn sent_at(w: &StdWorld, qname: &str, qtype: RecordType) -> Vec<Duration> {
    w.queries()
        .iter()
        .filter(|q| q.qname.to_lowercase() == n(qname) && q.qtype == qtype)
        .map(|q| q.sent_at)
        .collect()
}

#[test]
fn glueless_ns_address_families_are_looked_up_concurrently() {
    // Issue 5: independent upstream queries run in parallel. The AAAA of a
    // glueless name server is asked while its A is still in flight, not
    // after it.
    let w = StdWorld::new();
    let r = overlapping_resolver(&w, config());
    let res = w.run(resolve(&r, "www.glueless.example.", RecordType::A));
    assert_answer(&res, "192.0.2.40");
    let a = sent_at(&w, "ns1.example.net.", RecordType::A);
    let aaaa = sent_at(&w, "ns1.example.net.", RecordType::AAAA);
    assert_eq!((a.len(), aaaa.len()), (1, 1), "{:?}", w.queries());
    assert!(
        aaaa[0] < a[0] + DEFAULT_RTT && a[0] < aaaa[0] + DEFAULT_RTT,
        "A sent at {:?}, AAAA at {:?}: not in flight together",
        a[0],
        aaaa[0]
    );

    // With IPv6 off, never AAAA.
    let w = StdWorld::new();
    let mut c = config();
    c.upstream.ipv6 = false;
    let r = overlapping_resolver(&w, c);
    let res = w.run(resolve(&r, "www.glueless.example.", RecordType::A));
    assert_answer(&res, "192.0.2.40");
    assert_eq!(sent_at(&w, "ns1.example.net.", RecordType::A).len(), 1);
    assert!(sent_at(&w, "ns1.example.net.", RecordType::AAAA).is_empty());
}

#[test]
fn glueless_ns_whose_aaaa_is_never_answered_costs_no_timeout() {
    // RFC 4074 §4.1: some servers ignore AAAA queries. The A lookup has
    // found the address, so the AAAA one is not waited for.
    let w = StdWorld::new();
    for a in [addr::NS1_EXAMPLE_NET_V4, addr::NS2_EXAMPLE_NET_V4] {
        w.set_behaviour(a, Behaviour::SilentTo(RecordType::AAAA));
    }
    let c = config();
    let timeout = Duration::from_millis(c.upstream.initial_timeout_ms);
    let r = overlapping_resolver(&w, c);
    let start = w.clock().monotonic();
    let (res, trace) = w.run(r.resolve_traced(
        &Question::new(n("www.glueless.example."), RecordType::A),
        QueryOpts::default(),
    ));
    assert_answer(&res, "192.0.2.40");
    let took = w.clock().monotonic() - start;
    assert!(took < timeout, "took {took:?}");
    assert!(
        notes(&trace)
            .iter()
            .any(|n| n.contains("AAAA: not waited for")),
        "{trace:#?}"
    );
}

/// `dual.example.` is served by `ns.dualnet.net.` (no glue), which has an
/// A and an AAAA record, in a zone whose server never answers A queries.
fn dual_family_glueless(w: &StdWorld) {
    w.edit_zone("example.", |z| z.add_text("dual NS ns.dualnet.net."));
    w.edit_zone("net.", |z| {
        z.add_text("dualnet NS ns1.dualnet\nns1.dualnet A 11.9.0.1")
    });
    w.serve(
        Zone::parse(
            "dualnet.net.",
            "@ SOA ns1 h 1 2 3 4 60\n@ NS ns1\nns1 A 11.9.0.1\nns A 11.9.0.10\nns AAAA 2600:0:9::10\n",
        ),
        &[ip("11.9.0.1")],
    );
    w.set_behaviour(ip("11.9.0.1"), Behaviour::SilentTo(RecordType::A));
    w.serve(
        Zone::parse(
            "dual.example.",
            "@ SOA ns.dualnet.net. h 1 2 3 4 60\n@ NS ns.dualnet.net.\nwww A 192.0.2.61\n",
        ),
        &[ip("11.9.0.10"), ip("2600:0:9::10")],
    );
}

#[test]
fn glueless_ns_whose_a_lookup_fails_is_reached_over_ipv6() {
    // A failure of one family does not fail the other, and is not waited
    // for once the other has an address.
    let w = StdWorld::new();
    dual_family_glueless(&w);
    let c = config();
    let timeout = Duration::from_millis(c.upstream.initial_timeout_ms);
    let r = overlapping_resolver(&w, c);
    let start = w.clock().monotonic();
    let res = w.run(resolve(&r, "www.dual.example.", RecordType::A));
    assert_answer(&res, "192.0.2.61");
    let took = w.clock().monotonic() - start;
    assert!(took < timeout, "took {took:?}");
    assert_eq!(w.query_count(ip("2600:0:9::10")), 1);
}

/// `top.example.` is served by `ns.mid.com.` (no glue, AAAA only), whose
/// zone `mid.com.` is served by `ns.deep.net.` (no glue either); `deep.net.`
/// has glue. Resolving ns.mid.com, its A and its AAAA lookup both need
/// ns.deep.net's address.
fn shared_deeper_glueless(w: &StdWorld) {
    w.edit_zone("example.", |z| z.add_text("top NS ns.mid.com."));
    w.edit_zone("com.", |z| z.add_text("mid NS ns.deep.net."));
    w.edit_zone("net.", |z| {
        z.add_text("deep NS ns.deep\nns.deep A 11.8.0.3")
    });
    w.serve(
        Zone::parse(
            "deep.net.",
            "@ SOA ns h 1 2 3 4 60\n@ NS ns\nns A 11.8.0.3\n",
        ),
        &[ip("11.8.0.3")],
    );
    w.serve(
        Zone::parse(
            "mid.com.",
            "@ SOA ns.deep.net. h 1 2 3 4 60\n@ NS ns.deep.net.\nns AAAA 2600:0:8::2\n",
        ),
        &[ip("11.8.0.3")],
    );
    w.serve(
        Zone::parse(
            "top.example.",
            "@ SOA ns.mid.com. h 1 2 3 4 60\n@ NS ns.mid.com.\nwww A 192.0.2.77\n",
        ),
        &[ip("2600:0:8::2")],
    );
}

#[test]
fn glueless_server_needed_by_both_address_families_is_no_cycle() {
    // The review finding that reverted e487ede: with one pending set per
    // client query, the second of the two concurrent lookups to need
    // ns.deep.net saw it pending and took it for a dependency cycle. Each
    // branch now checks only its own ancestors, and the two lookups share
    // one resolution of ns.deep.net.
    let w = StdWorld::new();
    shared_deeper_glueless(&w);
    let r = overlapping_resolver(&w, config());
    let (res, trace) = w.run(r.resolve_traced(
        &Question::new(n("www.top.example."), RecordType::A),
        QueryOpts::default(),
    ));
    assert_answer(&res, "192.0.2.77");
    let notes = notes(&trace);
    assert!(
        !notes.iter().any(|n| n.contains("cycle")),
        "false cycle: {notes:#?}"
    );
    // Both families of ns.mid.com were asked, in flight together...
    let a = sent_at(&w, "ns.mid.com.", RecordType::A);
    let aaaa = sent_at(&w, "ns.mid.com.", RecordType::AAAA);
    assert_eq!((a.len(), aaaa.len()), (1, 1), "{:?}", w.queries());
    assert!(aaaa[0] < a[0] + DEFAULT_RTT && a[0] < aaaa[0] + DEFAULT_RTT);
    // ...and ns.deep.net was resolved once for both.
    assert_eq!(sent_at(&w, "ns.deep.net.", RecordType::A).len(), 1);
    assert!(notes
        .iter()
        .any(|n| n.contains("ns.deep.net.: already looked up from this branch")));
}

#[test]
fn ns_dependency_cycle_is_servfail_with_concurrent_lookups() {
    // A true cycle (cyca.com served by ns.cycb.com, cycb.com by
    // ns.cyca.com, no glue) is still found when the address families are
    // looked up concurrently: ns.cycb.com is on the branch's own ancestor
    // chain. It ends quickly, within budget.
    let w = StdWorld::new();
    w.edit_zone("com.", |z| {
        z.add_text("cyca NS ns.cycb.com.\ncycb NS ns.cyca.com.")
    });
    let c = config();
    let timeout = Duration::from_millis(c.upstream.initial_timeout_ms);
    let r = overlapping_resolver(&w, c);
    let start = w.clock().monotonic();
    let (res, trace) = w.run(r.resolve_traced(
        &Question::new(n("www.cyca.com."), RecordType::A),
        QueryOpts::default(),
    ));
    assert_eq!(res.rcode, ResponseCode::ServFail);
    let notes = notes(&trace);
    assert!(
        notes
            .iter()
            .any(|n| n == "dependency cycle: already resolving ns.cycb.com."),
        "{notes:#?}"
    );
    assert!(!notes.iter().any(|n| n.contains("budget")), "{notes:#?}");
    assert!(w.total_queries() < 20, "{} queries", w.total_queries());
    let took = w.clock().monotonic() - start;
    assert!(took < timeout, "took {took:?}");
}

/// `www.top.example.` behind a chain of `levels` glueless name servers:
/// top.example is served by ns.lvl1.com, lvl1.com by ns.lvl2.com, ... and
/// the last, lvlN.com, by a.lvlN.com, with glue. ns.lvlI.com's address is
/// only in lvlI.com, so resolving www.top.example nests `levels`
/// sub-resolutions: ns.lvl1.com needs ns.lvl2.com, ... down to ns.lvlN.com.
fn glueless_chain(w: &StdWorld, levels: u8) {
    w.edit_zone("example.", |z| z.add_text("top NS ns.lvl1.com."));
    for i in 1..=levels {
        let addr = |i: u8| format!("11.10.0.{i}");
        let (server, served_at) = if i == levels {
            w.edit_zone("com.", |z| {
                z.add_text(&format!("lvl{i} NS a.lvl{i}\na.lvl{i} A {}", addr(i)))
            });
            (format!("a.lvl{i}.com."), addr(i))
        } else {
            let next = format!("ns.lvl{}.com.", i + 1);
            w.edit_zone("com.", |z| z.add_text(&format!("lvl{i} NS {next}")));
            (next, addr(i + 1))
        };
        w.serve(
            Zone::parse(
                &format!("lvl{i}.com."),
                &format!(
                    "@ SOA {server} h 1 2 3 4 60\n@ NS {server}\na A {}\nns A {}\n",
                    addr(i),
                    addr(i)
                ),
            ),
            &[ip(&served_at)],
        );
    }
    w.serve(
        Zone::parse(
            "top.example.",
            "@ SOA ns.lvl1.com. h 1 2 3 4 60\n@ NS ns.lvl1.com.\nwww A 192.0.2.78\n",
        ),
        &[ip("11.10.0.1")],
    );
}

/// `MAX_DEPTH` in src/resolver/mod.rs.
const MAX_DEPTH: u8 = 6;

#[test]
fn glueless_chain_as_deep_as_the_limit_resolves_with_both_families() {
    // Depth is the nesting of one branch: the concurrent A and AAAA lookups
    // at each level do not add up. Their shared resolution of each deeper
    // server keeps the work linear in the depth, within the default budget.
    let w = StdWorld::new();
    glueless_chain(&w, MAX_DEPTH);
    let r = overlapping_resolver(&w, config());
    let (res, trace) = w.run(r.resolve_traced(
        &Question::new(n("www.top.example."), RecordType::A),
        QueryOpts::default(),
    ));
    assert_answer(&res, "192.0.2.78");
    let notes = notes(&trace);
    for i in 1..=MAX_DEPTH {
        let lead = format!("resolving glueless name server ns.lvl{i}.com.");
        assert_eq!(
            notes.iter().filter(|n| **n == lead).count(),
            1,
            "{notes:#?}"
        );
        assert!(sent_at(&w, &format!("ns.lvl{i}.com."), RecordType::AAAA).len() <= 1);
    }
}

#[test]
fn glueless_chain_deeper_than_the_limit_is_servfail() {
    let w = StdWorld::new();
    glueless_chain(&w, MAX_DEPTH + 1);
    let c = config();
    let limit = c.limits.max_upstream_queries as usize;
    let r = overlapping_resolver(&w, c);
    let (res, trace) = w.run(r.resolve_traced(
        &Question::new(n("www.top.example."), RecordType::A),
        QueryOpts::default(),
    ));
    assert_eq!(res.rcode, ResponseCode::ServFail);
    let deepest = format!("ns.lvl{}.com.", MAX_DEPTH + 1);
    assert!(
        notes(&trace)
            .iter()
            .any(|n| n.contains(&format!("depth limit reached resolving {deepest}"))),
        "{trace:#?}"
    );
    // The deepest server was never asked for.
    assert!(sent_at(&w, &deepest, RecordType::A).is_empty());
    assert!(w.total_queries() <= limit, "{} queries", w.total_queries());
}

#[tokio::test]
async fn delegation_is_cached_for_the_next_query() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    resolve(&r, "www.example.com.", RecordType::A).await;
    w.clear_log();
    assert_answer(
        &resolve(&r, "mail.example.com.", RecordType::A).await,
        "192.0.2.25",
    );
    let log = w.queries();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(addr::EXAMPLE_COM.contains(&log[0].server.ip()));
}

/// Options of a query whose final answer the server keeps itself, in its
/// wire answer cache.
const SERVER_CACHES: QueryOpts = QueryOpts {
    dnssec_ok: false,
    checking_disabled: false,
    caller_caches_answer: true,
};

#[tokio::test]
async fn final_answer_held_by_the_server_is_not_cached_twice() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let q = Question::new(n("www.example.com."), RecordType::A);
    assert_answer(&r.resolve(&q, SERVER_CACHES).await, "192.0.2.10");
    // Not in the RRset cache: asking again (as the server would after its
    // own entry is gone, or with other DO/CD bits) is one query to the
    // zone's servers; the delegation is still cached.
    w.clear_log();
    assert_answer(&r.resolve(&q, SERVER_CACHES).await, "192.0.2.10");
    let log = w.queries();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(addr::EXAMPLE_COM.contains(&log[0].server.ip()));
    // A resolver user without its own answer cache (`anchord query`)
    // still gets the RRset cached.
    resolve(&r, "www.example.com.", RecordType::A).await;
    w.clear_log();
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    assert!(w.queries().is_empty(), "{:?}", w.queries());
}

#[tokio::test]
async fn cname_steps_and_their_target_stay_cached_when_the_server_holds_the_answer() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let q = Question::new(n("external.example.com."), RecordType::A);
    assert_answer(&r.resolve(&q, SERVER_CACHES).await, "192.0.2.20");
    w.clear_log();
    // The target's data is cached under its own name, and a direct
    // question for it (another client query) needs no upstream query.
    assert_answer(
        &resolve(&r, "www.example.net.", RecordType::A).await,
        "192.0.2.20",
    );
    // The CNAME itself too.
    let res = resolve(&r, "external.example.com.", RecordType::CNAME).await;
    assert_eq!(types(&res), vec![RecordType::CNAME]);
    assert!(w.queries().is_empty(), "{:?}", w.queries());
}

// ------------------------------------------------------ poisoning attempts

#[tokio::test]
async fn out_of_bailiwick_glue_is_ignored() {
    let w = StdWorld::new();
    // example.com's servers try to plant an address for a name in
    // example.net as "glue" of a delegation they make.
    w.edit_zone("example.com.", |z| {
        z.add_text("evil NS ns9.example.net.\nns9.example.net. 86400 A 6.6.6.6");
    });
    w.edit_zone("example.net.", |z| z.add_text("ns9 A 11.4.0.9"));
    w.serve(
        Zone::parse(
            "evil.example.com.",
            "@ SOA ns9.example.net. h 1 2 3 4 60\n@ NS ns9.example.net.\nwww A 192.0.2.88\n",
        ),
        &[ip("11.4.0.9")],
    );
    w.serve(
        Zone::parse(
            "evil.example.com.",
            "@ SOA ns9.example.net. h 1 2 3 4 60\n@ NS ns9.example.net.\nwww A 6.6.6.66\n",
        ),
        &[IpAddr::V4(POISON_ADDR)],
    );
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.evil.example.com.", RecordType::A).await,
        "192.0.2.88",
    );
    assert_eq!(w.query_count(IpAddr::V4(POISON_ADDR)), 0);
    // And the planted address did not enter the cache.
    assert_answer(
        &resolve(&r, "ns9.example.net.", RecordType::A).await,
        "11.4.0.9",
    );
}

#[tokio::test]
async fn unrelated_additional_records_are_not_cached() {
    let w = StdWorld::new();
    // The MX answer comes with an out-of-zone "address" for www.example.net.
    w.edit_zone("example.com.", |z| {
        z.add_text("poison MX 10 www.example.net.\nwww.example.net. 86400 A 6.6.6.6");
    });
    let r = resolver(&w, config());
    let res = resolve(&r, "poison.example.com.", RecordType::MX).await;
    assert_eq!(types(&res), vec![RecordType::MX]);
    assert_answer(
        &resolve(&r, "www.example.net.", RecordType::A).await,
        "192.0.2.20",
    );
}

#[tokio::test]
async fn spoofed_responses_are_ignored() {
    let w = StdWorld::new();
    for a in addr::ROOTS
        .iter()
        .chain(&addr::GTLDS)
        .chain(&addr::EXAMPLE_COM)
    {
        w.set_behaviour(*a, Behaviour::Spoof);
    }
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    assert!(w.rejected_datagrams() >= 3);
}

// ----------------------------------------------------------- aliases

#[tokio::test]
async fn cname_within_zone() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "chain.example.com.", RecordType::A).await;
    assert_answer(&res, "192.0.2.10");
    assert_eq!(
        types(&res),
        vec![RecordType::CNAME, RecordType::CNAME, RecordType::A]
    );
}

#[tokio::test]
async fn cname_across_zones() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "external.example.com.", RecordType::A).await;
    assert_answer(&res, "192.0.2.20");
    assert_eq!(types(&res), vec![RecordType::CNAME, RecordType::A]);
}

#[tokio::test]
async fn cname_to_nonexistent_name_is_nxdomain() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "dangling.example.com.", RecordType::A).await;
    // RFC 6604: the rcode describes the last name of the chain.
    assert_eq!(res.rcode, ResponseCode::NXDomain);
    assert_eq!(types(&res), vec![RecordType::CNAME]);
}

#[tokio::test]
async fn cname_loop_is_servfail() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "loop1.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
}

#[tokio::test]
async fn cname_loop_across_zones_is_servfail() {
    let w = StdWorld::new();
    w.edit_zone("example.com.", |z| {
        z.add_text("ping CNAME pong.example.net.")
    });
    w.edit_zone("example.net.", |z| {
        z.add_text("pong CNAME ping.example.com.")
    });
    let r = resolver(&w, config());
    let res = resolve(&r, "ping.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
    assert!(w.total_queries() < 40);
}

#[tokio::test]
async fn dname_substitution() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "www.old.example.com.", RecordType::A).await;
    assert_answer(&res, "192.0.2.20");
    // RFC 6672 §3.4: the DNAME, then the CNAME synthesized for the name.
    assert_eq!(res.answer[0].name, n("old.example.com."));
    assert_eq!(res.answer[0].record_type(), RecordType::DNAME);
    assert_eq!(res.answer[1].name, n("www.old.example.com."));
    assert_eq!(res.answer[1].record_type(), RecordType::CNAME);
}

#[tokio::test]
async fn dname_record_is_returned_to_the_client() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "www.old.example.com.", RecordType::A).await;
    assert_eq!(
        types(&res),
        vec![RecordType::DNAME, RecordType::CNAME, RecordType::A],
        "{:?}",
        res.answer
    );
}

#[tokio::test]
async fn wildcard_answer() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "anything.wild.example.com.", RecordType::A).await;
    assert_answer(&res, "192.0.2.99");
    assert_eq!(res.answer[0].name, n("anything.wild.example.com."));
}

// ------------------------------------------------------ negative answers

#[tokio::test]
async fn nxdomain() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "nope.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain);
    assert!(res.answer.is_empty());
    assert!(has_soa(&res));
}

#[tokio::test]
async fn nxdomain_from_the_root() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "www.no-such-tld.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain);
}

#[tokio::test]
async fn nodata() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "www.example.com.", RecordType::MX).await;
    assert_eq!(res.rcode, ResponseCode::NoError);
    assert!(res.answer.is_empty());
    assert!(has_soa(&res));
}

#[tokio::test]
async fn empty_non_terminal_is_nodata() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    let res = resolve(&r, "b.c.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NoError);
    assert!(res.answer.is_empty());
    assert_answer(
        &resolve(&r, "a.b.c.example.com.", RecordType::A).await,
        "192.0.2.7",
    );
}

// ------------------------------------------------------ broken servers

#[tokio::test]
async fn referral_loop_is_servfail() {
    let w = StdWorld::new();
    // loop.com's server refers sub.loop.com to a server that serves the
    // same loop.com zone again: the referral never gets closer.
    w.edit_zone("com.", |z| {
        z.add_text("loop NS ns.loop\nns.loop A 11.6.0.1")
    });
    let looping =
        "@ SOA ns h 1 2 3 4 60\n@ NS ns\nns A 11.6.0.1\nsub NS ns2.sub\nns2.sub A 11.6.0.2\n";
    w.serve(
        Zone::parse("loop.com.", looping),
        &[ip("11.6.0.1"), ip("11.6.0.2")],
    );
    let r = resolver(&w, config());
    let res = resolve(&r, "www.sub.loop.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
    assert!(w.total_queries() < 40);
}

#[tokio::test]
async fn ns_dependency_cycle_is_servfail() {
    let w = StdWorld::new();
    // cyca.com is served by ns.cycb.com and vice versa, without glue.
    w.edit_zone("com.", |z| {
        z.add_text("cyca NS ns.cycb.com.\ncycb NS ns.cyca.com.")
    });
    let r = resolver(&w, config());
    let res = resolve(&r, "www.cyca.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
    assert!(w.total_queries() < 40);
}

#[tokio::test]
async fn one_refused_server_another_answers() {
    let w = StdWorld::new();
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V4, Behaviour::Refused);
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V6, Behaviour::Refused);
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
}

#[tokio::test]
async fn one_servfail_server_another_answers() {
    let w = StdWorld::new();
    w.set_behaviour(addr::NS2_EXAMPLE_COM_V4, Behaviour::ServFail);
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V6, Behaviour::ServFail);
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
}

#[tokio::test]
async fn all_servers_refused_is_servfail() {
    let w = StdWorld::new();
    example_com_servers(&w, Behaviour::Refused);
    let r = resolver(&w, config());
    let res = resolve(&r, "www.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
}

#[tokio::test]
async fn all_servers_servfail_is_servfail() {
    let w = StdWorld::new();
    example_com_servers(&w, Behaviour::ServFail);
    let r = resolver(&w, config());
    let res = resolve(&r, "www.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
}

#[tokio::test]
async fn one_lame_server_without_aa_another_answers() {
    let w = StdWorld::new();
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V4, Behaviour::UpwardReferral);
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V6, Behaviour::RecursionOnly);
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
}

#[tokio::test]
async fn one_server_answering_without_aa_another_answers() {
    let w = StdWorld::new();
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V4, Behaviour::LameNoAa);
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V6, Behaviour::LameNoAa);
    let r = resolver(&w, config());
    for i in 0..4 {
        let res = resolve(&r, &format!("n{i}.example.com."), RecordType::A).await;
        assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:?}");
    }
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
}

#[tokio::test]
async fn all_servers_recursion_only_is_servfail() {
    let w = StdWorld::new();
    example_com_servers(&w, Behaviour::RecursionOnly);
    let r = resolver(&w, config());
    let res = resolve(&r, "www.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail, "{res:?}");
}

/// ns1.example.com also serves sub.example.com (common in practice): it
/// answers for the child directly, never with the referral.
async fn parent_and_child_on_one_server(qmin: bool) {
    let w = StdWorld::new();
    let sub = w.zone("sub.example.com.").unwrap();
    w.serve(sub, &addr::EXAMPLE_COM);
    let mut cfg = config();
    cfg.iterator.qname_minimisation = qmin;
    let r = resolver(&w, cfg);
    assert_answer(
        &resolve(&r, "host.sub.example.com.", RecordType::A).await,
        "192.0.2.30",
    );
    let res = resolve(&r, "nope.sub.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain, "{res:?}");
}

#[tokio::test]
async fn parent_and_child_zone_on_one_server_without_qmin() {
    parent_and_child_on_one_server(false).await;
}

#[tokio::test]
async fn parent_and_child_zone_on_one_server_with_qmin() {
    parent_and_child_on_one_server(true).await;
}

#[tokio::test]
async fn all_servers_upward_referral_is_servfail() {
    let w = StdWorld::new();
    example_com_servers(&w, Behaviour::UpwardReferral);
    let r = resolver(&w, config());
    let res = resolve(&r, "www.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
    assert!(w.total_queries() < 40);
}

#[tokio::test]
async fn one_silent_server_another_answers() {
    let w = StdWorld::new();
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V4, Behaviour::Silent);
    w.set_behaviour(addr::NS1_EXAMPLE_COM_V6, Behaviour::Silent);
    let r = resolver(&w, config());
    for _ in 0..3 {
        r.flush();
        assert_answer(
            &resolve(&r, "www.example.com.", RecordType::A).await,
            "192.0.2.10",
        );
    }
}

#[tokio::test]
async fn all_silent_is_servfail_within_the_deadline() {
    let w = StdWorld::new();
    example_com_servers(&w, Behaviour::Silent);
    let cfg = config();
    let deadline = Duration::from_millis(cfg.upstream.query_deadline_ms);
    let r = resolver(&w, cfg);
    let t0 = w.clock().monotonic();
    let res = resolve(&r, "www.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
    let spent = w.clock().monotonic() - t0;
    // At most one exchange may overrun the deadline.
    assert!(spent <= deadline * 2, "spent {spent:?}");
}

#[tokio::test]
async fn server_recovers_mid_test() {
    let w = StdWorld::new();
    example_com_servers(&w, Behaviour::Refused);
    let r = resolver(&w, config());
    assert_eq!(
        resolve(&r, "www.example.com.", RecordType::A).await.rcode,
        ResponseCode::ServFail
    );
    example_com_servers(&w, Behaviour::Normal);
    w.clock().advance(Duration::from_secs(900));
    assert_answer(
        &resolve(&r, "mail.example.com.", RecordType::A).await,
        "192.0.2.25",
    );
}

// ------------------------------------------------------ transport

#[tokio::test]
async fn truncated_udp_retries_over_tcp() {
    let w = StdWorld::new();
    example_com_servers(&w, Behaviour::AlwaysTruncate);
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    assert!(w
        .queries()
        .iter()
        .any(|q| q.transport == Transport::Tcp && addr::EXAMPLE_COM.contains(&q.server.ip())));
}

#[tokio::test]
async fn large_answer_comes_over_tcp() {
    let w = StdWorld::new();
    w.edit_zone("example.com.", |z| {
        for i in 0..60 {
            z.add_text(&format!(
                "big TXT \"padding record {i} xxxxxxxxxxxxxxxxxxxxxxxxxx\""
            ));
        }
    });
    let r = resolver(&w, config());
    let res = resolve(&r, "big.example.com.", RecordType::TXT).await;
    assert_eq!(res.answer.len(), 60);
    assert!(w.queries().iter().any(|q| q.transport == Transport::Tcp));
}

#[tokio::test]
async fn edns_formerr_falls_back_to_plain_dns() {
    let w = StdWorld::new();
    example_com_servers(&w, Behaviour::FormErrOnEdns);
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    assert!(w
        .queries()
        .iter()
        .any(|q| !q.edns && addr::EXAMPLE_COM.contains(&q.server.ip())));
}

#[tokio::test]
async fn queries_are_iterative_with_edns() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    resolve(&r, "www.example.com.", RecordType::A).await;
    let log = w.queries();
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|q| !q.rd),
        "RD must be clear towards authorities"
    );
    assert!(log.iter().all(|q| q.edns));
}

// ------------------------------------------------------ caching

#[tokio::test]
async fn positive_answer_is_cached_until_ttl_expiry() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    resolve(&r, "www.example.com.", RecordType::A).await;
    w.clear_log();
    w.clock().advance(Duration::from_secs(100));
    let res = resolve(&r, "www.example.com.", RecordType::A).await;
    assert_answer(&res, "192.0.2.10");
    assert_eq!(w.total_queries(), 0);
    assert!(
        res.answer[0].ttl <= 200,
        "TTL counts down: {}",
        res.answer[0].ttl
    );
    w.clock().advance(Duration::from_secs(201));
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    assert!(w.total_queries() >= 1);
}

#[tokio::test]
async fn changed_data_is_seen_after_expiry() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    w.edit_zone("example.com.", |z| {
        z.remove_rrset(&n("www.example.com."), RecordType::A);
        z.add_text("www 300 A 192.0.2.11");
    });
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    w.clock().advance(Duration::from_secs(301));
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.11",
    );
}

#[tokio::test]
async fn nxdomain_is_cached_for_the_soa_minimum() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    resolve(&r, "nope.example.com.", RecordType::A).await;
    w.clear_log();
    w.clock().advance(Duration::from_secs(200));
    assert_eq!(
        resolve(&r, "nope.example.com.", RecordType::A).await.rcode,
        ResponseCode::NXDomain
    );
    assert_eq!(w.total_queries(), 0);
    w.clock().advance(Duration::from_secs(101));
    assert_eq!(
        resolve(&r, "nope.example.com.", RecordType::A).await.rcode,
        ResponseCode::NXDomain
    );
    assert!(w.total_queries() >= 1);
}

#[tokio::test]
async fn nodata_is_cached() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    resolve(&r, "www.example.com.", RecordType::MX).await;
    w.clear_log();
    let res = resolve(&r, "www.example.com.", RecordType::MX).await;
    assert!(res.answer.is_empty() && res.rcode == ResponseCode::NoError);
    assert_eq!(w.total_queries(), 0);
}

#[tokio::test]
async fn min_ttl_clamp_keeps_answers_longer() {
    let w = StdWorld::new();
    let mut cfg = config();
    cfg.cache.min_ttl = 900;
    let r = resolver(&w, cfg);
    resolve(&r, "www.example.com.", RecordType::A).await;
    w.clear_log();
    w.clock().advance(Duration::from_secs(600));
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    assert_eq!(w.total_queries(), 0);
}

#[tokio::test]
async fn max_ttl_clamp_expires_answers_sooner() {
    let w = StdWorld::new();
    let mut cfg = config();
    cfg.cache.max_ttl = 60;
    let r = resolver(&w, cfg);
    let res = resolve(&r, "www.example.com.", RecordType::A).await;
    assert!(res.answer.iter().all(|r| r.ttl <= 60), "{res:?}");
    w.clear_log();
    w.clock().advance(Duration::from_secs(61));
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    assert!(w.total_queries() >= 1);
}

#[tokio::test]
async fn max_negative_ttl_clamp() {
    let w = StdWorld::new();
    let mut cfg = config();
    cfg.cache.max_negative_ttl = 10;
    let r = resolver(&w, cfg);
    resolve(&r, "nope.example.com.", RecordType::A).await;
    w.clear_log();
    w.clock().advance(Duration::from_secs(11));
    resolve(&r, "nope.example.com.", RecordType::A).await;
    assert!(w.total_queries() >= 1);
}

// ------------------------------------------------------ limits

#[tokio::test]
async fn budget_exhaustion_is_servfail() {
    let w = StdWorld::new();
    let mut cfg = config();
    cfg.limits.max_upstream_queries = 2;
    let r = resolver(&w, cfg);
    let res = resolve(&r, "host.sub.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
    assert!(w.total_queries() <= 2, "{:?}", w.queries());
}

#[tokio::test]
async fn long_cname_chain_hits_the_step_limit() {
    let w = StdWorld::new();
    w.edit_zone("example.com.", |z| {
        for i in 0..30 {
            z.add_text(&format!("c{i} CNAME c{}.example.net.", i));
        }
    });
    w.edit_zone("example.net.", |z| {
        for i in 0..30 {
            z.add_text(&format!("c{i} CNAME c{}.example.com.", i + 1));
        }
    });
    let r = resolver(&w, config());
    let res = resolve(&r, "c0.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
}

// ------------------------------------------------------ QNAME minimisation

#[tokio::test]
async fn qname_minimisation_on_sends_partial_names() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "host.sub.example.com.", RecordType::A).await,
        "192.0.2.30",
    );
    let log = w.queries();
    let to_roots: Vec<_> = log
        .iter()
        .filter(|q| addr::ROOTS.contains(&q.server.ip()))
        .collect();
    assert!(!to_roots.is_empty());
    // RFC 9156: the root learns only the TLD.
    for q in &to_roots {
        assert!(q.qname.num_labels() <= 1, "root saw {}", q.qname);
    }
    // The com servers see at most example.com.
    for q in log.iter().filter(|q| addr::GTLDS.contains(&q.server.ip())) {
        if q.qname.to_lowercase().to_string().ends_with("example.com.") {
            assert!(q.qname.num_labels() <= 2, "com saw {}", q.qname);
        }
    }
    assert!(
        log.iter().any(|q| q.qtype == RecordType::NS),
        "NS-type probes expected: {log:?}"
    );
}

#[tokio::test]
async fn qname_minimisation_off_sends_full_names() {
    let w = StdWorld::new();
    let mut cfg = config();
    cfg.iterator.qname_minimisation = false;
    let r = resolver(&w, cfg);
    assert_answer(
        &resolve(&r, "host.sub.example.com.", RecordType::A).await,
        "192.0.2.30",
    );
    let log = w.queries();
    assert!(log.iter().any(|q| addr::ROOTS.contains(&q.server.ip())
        && q.qname.to_lowercase() == n("host.sub.example.com.")));
    assert!(!log
        .iter()
        .any(|q| q.qtype == RecordType::NS && q.qname.to_lowercase() == n("sub.example.com.")));
}

#[tokio::test]
async fn qname_minimisation_walks_through_empty_non_terminals() {
    let w = StdWorld::new();
    // c.example.com and b.c.example.com are empty non-terminals: NODATA
    // for the minimised probes must not stop the walk (RFC 9156 §3).
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "a.b.c.example.com.", RecordType::A).await,
        "192.0.2.7",
    );
}

// ------------------------------------------------------ address families

#[tokio::test]
async fn ipv6_only_server_with_ipv6_on() {
    let w = StdWorld::new();
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.v6only.example.", RecordType::A).await,
        "192.0.2.50",
    );
    assert!(w.query_count(addr::NS1_V6ONLY_V6) >= 1);
}

#[tokio::test]
async fn ipv6_only_server_with_ipv6_unreachable() {
    let w = StdWorld::new();
    w.set_ipv6_reachable(false);
    let r = resolver(&w, config());
    let res = resolve(&r, "www.v6only.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
    // Other names still resolve over IPv4.
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
}

#[tokio::test]
async fn ipv6_disabled_in_config_never_tries_ipv6() {
    let w = StdWorld::new();
    let mut cfg = config();
    cfg.upstream.ipv6 = false;
    let r = resolver(&w, cfg);
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    let res = resolve(&r, "www.v6only.example.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
    let log = w.queries();
    assert!(log.iter().all(|q| q.server.is_ipv4()), "{log:?}");
}

#[tokio::test]
async fn ipv4_unreachable_resolves_over_ipv6() {
    let w = StdWorld::new();
    w.set_ipv4_reachable(false);
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    assert!(w.queries().iter().any(|q| q.server.is_ipv6() && q.reached));
}

#[tokio::test]
async fn slow_server_is_avoided_after_learning_rtts() {
    let w = StdWorld::new();
    // Well above the RTT assumed for unknown servers (376 ms, as Unbound),
    // so that the untried servers get explored.
    w.set_rtt(addr::NS1_EXAMPLE_COM_V4, Duration::from_millis(800));
    w.set_rtt(addr::NS1_EXAMPLE_COM_V6, Duration::from_millis(800));
    let r = resolver(&w, config());
    for i in 0..20 {
        let name = format!("n{i}.example.com.");
        resolve(&r, &name, RecordType::A).await;
    }
    let slow = w.query_count(addr::NS1_EXAMPLE_COM_V4) + w.query_count(addr::NS1_EXAMPLE_COM_V6);
    let fast = w.query_count(addr::NS2_EXAMPLE_COM_V4);
    assert!(fast > slow, "fast {fast}, slow {slow}");
}

// ------------------------------------------------------ more limits

/// Builds d1.deep.com ... dN...d1.deep.com, each level delegated to its own
/// server (glue in the parent); the leaf has `www A 192.0.2.123`.
fn deep_chain(w: &StdWorld, levels: u8) -> String {
    w.edit_zone("com.", |z| {
        z.add_text("deep NS ns.deep\nns.deep A 11.7.0.1")
    });
    let mut apex = "deep.com.".to_string();
    for level in 1..=levels {
        let server = format!("11.7.0.{level}");
        let child = format!("d{level}.{apex}");
        let child_server = format!("11.7.0.{}", level + 1);
        let text = format!(
            "@ SOA ns h 1 2 3 4 60\n@ NS ns\nns A {server}\nd{level} NS ns.d{level}\nns.d{level} A {child_server}\n"
        );
        w.serve(Zone::parse(&apex, &text), &[ip(&server)]);
        apex = child;
    }
    let leaf_server = format!("11.7.0.{}", levels + 1);
    let text = format!("@ SOA ns h 1 2 3 4 60\n@ NS ns\nns A {leaf_server}\nwww A 192.0.2.123\n");
    w.serve(Zone::parse(&apex, &text), &[ip(&leaf_server)]);
    format!("www.{apex}")
}

#[tokio::test]
async fn deep_delegation_chain_resolves() {
    let w = StdWorld::new();
    let name = deep_chain(&w, 8);
    let r = resolver(&w, config());
    assert_answer(&resolve(&r, &name, RecordType::A).await, "192.0.2.123");
}

#[tokio::test]
async fn referral_limit_stops_deep_chains() {
    let w = StdWorld::new();
    let name = deep_chain(&w, 8);
    let mut cfg = config();
    cfg.limits.max_referrals = 4;
    let r = resolver(&w, cfg);
    assert_eq!(
        resolve(&r, &name, RecordType::A).await.rcode,
        ResponseCode::ServFail
    );
}

#[tokio::test]
async fn many_glueless_ns_names_are_bounded() {
    // NXNS (CVE-2020-12662): a delegation to many glueless NS names that do
    // not exist must not make the resolver send unbounded queries.
    let w = StdWorld::new();
    w.edit_zone("com.", |z| {
        for i in 0..100 {
            z.add_text(&format!("nxns NS ns{i}.nonexistent.example.net."));
        }
    });
    let cfg = config();
    let limit = cfg.limits.max_upstream_queries as usize;
    let r = resolver(&w, cfg);
    let res = resolve(&r, "www.nxns.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::ServFail);
    assert!(w.total_queries() <= limit, "{} queries", w.total_queries());
}

#[test]
fn many_glueless_ns_names_are_bounded_with_concurrent_lookups() {
    // The same NXNS bound when each name server's A and AAAA lookups run
    // together: the budget is one per client query, whatever runs in
    // parallel.
    let w = StdWorld::new();
    w.edit_zone("com.", |z| {
        for i in 0..100 {
            z.add_text(&format!("nxns NS ns{i}.nonexistent.example.net."));
        }
    });
    let cfg = config();
    let limit = cfg.limits.max_upstream_queries as usize;
    let r = overlapping_resolver(&w, cfg);
    let res = w.run(resolve(&r, "www.nxns.com.", RecordType::A));
    assert_eq!(res.rcode, ResponseCode::ServFail);
    assert!(w.total_queries() <= limit, "{} queries", w.total_queries());
}

#[tokio::test]
async fn negative_ttl_is_the_smaller_of_soa_ttl_and_minimum() {
    let w = StdWorld::new();
    // RFC 2308 §5: SOA TTL 100 < MINIMUM 300, so the negative TTL is 100.
    w.edit_zone("example.com.", |z| {
        z.remove_rrset(&n("example.com."), RecordType::SOA);
        z.add_text("@ 100 SOA ns1 hostmaster 2 7200 3600 1209600 300");
    });
    let r = resolver(&w, config());
    resolve(&r, "nope.example.com.", RecordType::A).await;
    w.clear_log();
    w.clock().advance(Duration::from_secs(90));
    resolve(&r, "nope.example.com.", RecordType::A).await;
    assert_eq!(w.total_queries(), 0);
    w.clock().advance(Duration::from_secs(11));
    resolve(&r, "nope.example.com.", RecordType::A).await;
    assert!(w.total_queries() >= 1);
}

#[tokio::test]
async fn dead_glue_address_falls_back_to_the_other_server() {
    let w = StdWorld::new();
    // ns1's glue points at an address where nothing answers.
    w.edit_zone("com.", |z| {
        z.remove_rrset(&n("ns1.example.com."), RecordType::A);
        z.remove_rrset(&n("ns1.example.com."), RecordType::AAAA);
        z.add_text("ns1.example A 11.2.0.99");
    });
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
}

/// Glue that expires long before its delegation's NS set (60 s vs two days):
/// the resolver must go back to the parent for the referral and its glue,
/// not give up on a cut with in-zone servers and no addresses.
#[tokio::test]
async fn glue_expiring_before_the_delegation() {
    let w = StdWorld::new();
    w.edit_zone("com.", |z| {
        for name in ["ns1.example.com.", "ns2.example.com."] {
            z.remove_rrset(&n(name), RecordType::A);
            z.remove_rrset(&n(name), RecordType::AAAA);
        }
        z.add_text(
            "ns1.example 60 A 11.2.0.1\nns1.example 60 AAAA 2600:0:2::1\nns2.example 60 A 11.2.0.2",
        );
    });
    let r = resolver(&w, config());
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    w.clock().advance(Duration::from_secs(120));
    assert_answer(
        &resolve(&r, "mail.example.com.", RecordType::A).await,
        "192.0.2.25",
    );
}

/// A server never tried is explored, and once measured the fast one
/// carries most of the load (RFC 6298 first-sample SRTT, 1-in-10 exploration).
#[tokio::test]
async fn faster_server_is_discovered_and_preferred() {
    for _ in 0..5 {
        let w = StdWorld::new();
        w.set_rtt(addr::NS1_EXAMPLE_COM_V4, Duration::from_millis(250));
        w.set_rtt(addr::NS1_EXAMPLE_COM_V6, Duration::from_millis(250));
        let r = resolver(&w, config());
        for i in 0..40 {
            resolve(&r, &format!("n{i}.example.com."), RecordType::A).await;
        }
        let slow =
            w.query_count(addr::NS1_EXAMPLE_COM_V4) + w.query_count(addr::NS1_EXAMPLE_COM_V6);
        let fast = w.query_count(addr::NS2_EXAMPLE_COM_V4);
        assert!(fast >= 2 * slow, "fast {fast}, slow {slow}");
    }
}

/// Forward-only mode: every query goes, with RD=1 (and CD=1, so that our
/// own validation sees the data), to the configured forwarder; nothing is
/// sent to the root or any other server.
#[tokio::test]
async fn forward_only_mode_asks_only_the_forwarder() {
    let w = StdWorld::new();
    let mut c = config();
    c.upstream.forward_to = vec![std::net::SocketAddr::new(addr::NS1_EXAMPLE_COM_V4, 53)];
    let r = resolver(&w, c);
    assert_answer(
        &resolve(&r, "www.example.com.", RecordType::A).await,
        "192.0.2.10",
    );
    let log = w.queries();
    assert!(!log.is_empty());
    for q in &log {
        assert_eq!(q.server.ip(), addr::NS1_EXAMPLE_COM_V4, "{q:?}");
        assert!(q.rd, "forwarded queries set RD: {q:?}");
    }
    // Negative answers come back through the forwarder too.
    let res = resolve(&r, "nope.example.com.", RecordType::A).await;
    assert_eq!(res.rcode, ResponseCode::NXDomain);
}
