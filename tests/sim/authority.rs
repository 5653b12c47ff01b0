//! One simulated authoritative server: picks the zone for a query, builds
//! the response (RFC 1035 §4.1 header rules, RFC 6891 EDNS echo), and
//! applies the server's [`Behaviour`] (lame, broken, old, ...).

use std::sync::Arc;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, NS};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use super::zone::Zone;

/// The UDP payload size the simulated servers advertise (RFC 9715 advice).
pub const SERVER_UDP_SIZE: u16 = 1232;

/// How a server reacts to queries. Switchable at run time with
/// `World::set_behaviour`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// A correct authoritative server.
    #[default]
    Normal,
    /// Never answers: every query times out.
    Silent,
    /// Answers every query with REFUSED.
    Refused,
    /// Answers every query with SERVFAIL.
    ServFail,
    /// Answers normally but without the AA bit (lame delegation).
    LameNoAa,
    /// Answers with an upward referral to the root (lame delegation, the
    /// classic misconfigured server).
    UpwardReferral,
    /// A recursive-only server: RA=1, never AA; it returns the zone data it
    /// happens to have (non-authoritatively) or an empty NOERROR.
    RecursionOnly,
    /// An old server: FORMERR (without OPT) when the query has EDNS,
    /// normal answers otherwise (RFC 6891 §7).
    FormErrOnEdns,
    /// Over UDP, always an empty response with TC=1 (forces TCP).
    AlwaysTruncate,
    /// Before the real answer, emits spoofed datagrams: one with a wrong
    /// ID, one with a wrong question, one from a wrong source address. The
    /// network must filter them with `response_matches` + source check.
    Spoof,
    /// Answers normally, except that queries of this type are never
    /// answered (RFC 4074 §4.1: servers that ignore AAAA queries).
    SilentTo(RecordType),
}

/// A parsed view of the query that the server and the log care about.
#[derive(Clone, Debug)]
pub struct QueryInfo {
    pub id: u16,
    pub qname: Name,
    pub qtype: RecordType,
    pub qclass: DNSClass,
    pub rd: bool,
    pub edns: bool,
    pub do_bit: bool,
    /// Requested UDP payload size (512 without EDNS, RFC 1035 §4.2.1).
    pub udp_size: u16,
}

impl QueryInfo {
    pub fn from_message(m: &Message) -> Option<Self> {
        let q = m.queries.first()?;
        Some(Self {
            id: m.metadata.id,
            qname: q.name().clone(),
            qtype: q.query_type(),
            qclass: q.query_class(),
            rd: m.metadata.recursion_desired,
            edns: m.edns.is_some(),
            do_bit: m.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok),
            // RFC 6891 §6.2.5: values below 512 are treated as 512.
            udp_size: m.edns.as_ref().map_or(512, |e| e.max_payload().max(512)),
        })
    }
}

/// A response skeleton: ID, opcode, RD and question copied (RFC 1035 §4.1.1).
pub fn response_to(query: &Message, rcode: ResponseCode) -> Message {
    let mut m = Message::new(
        query.metadata.id,
        MessageType::Response,
        query.metadata.op_code,
    );
    m.metadata.recursion_desired = query.metadata.recursion_desired;
    m.metadata.checking_disabled = query.metadata.checking_disabled;
    m.metadata.response_code = rcode;
    m.queries = query.queries.clone();
    if let Some(qe) = &query.edns {
        // RFC 6891 §6.1.1: a response to an EDNS query carries OPT;
        // RFC 3225 §3: DO is copied back.
        let mut e = Edns::new();
        e.set_max_payload(SERVER_UDP_SIZE);
        e.set_dnssec_ok(qe.flags().dnssec_ok);
        m.edns = Some(e);
    }
    m
}

/// The deepest zone containing `qname`. For DS the parent side of a cut
/// answers (RFC 4035 §3.1.4.1), so a zone whose apex *is* qname is only
/// used when the server has nothing above it.
pub fn pick_zone<'z>(zones: &'z [Arc<Zone>], qname: &Name, qtype: RecordType) -> Option<&'z Zone> {
    let mut containing: Vec<&Zone> = zones
        .iter()
        .map(Arc::as_ref)
        .filter(|z| z.contains(qname))
        .collect();
    containing.sort_by_key(|z| std::cmp::Reverse(z.origin().num_labels()));
    if qtype == RecordType::DS {
        if let Some(z) = containing.iter().find(|z| z.origin() != qname) {
            return Some(z);
        }
    }
    containing.first().copied()
}

/// The response of a correct authoritative server hosting `zones`.
pub fn authoritative_answer(zones: &[Arc<Zone>], query: &Message) -> Message {
    if query.metadata.op_code != OpCode::Query {
        return response_to(query, ResponseCode::NotImp);
    }
    if query.queries.len() != 1 {
        return response_to(query, ResponseCode::FormErr);
    }
    let Some(info) = QueryInfo::from_message(query) else {
        return response_to(query, ResponseCode::FormErr);
    };
    if info.qclass != DNSClass::IN {
        return response_to(query, ResponseCode::Refused);
    }
    let Some(zone) = pick_zone(zones, &info.qname, info.qtype) else {
        // Not authoritative for any zone containing the name.
        return response_to(query, ResponseCode::Refused);
    };
    let ans = zone.lookup(&info.qname, info.qtype, info.do_bit);
    let mut m = response_to(query, ans.rcode);
    m.metadata.authoritative = ans.authoritative;
    m.answers = ans.answers;
    m.authorities = ans.authorities;
    m.additionals = ans.additionals;
    m
}

/// The response of a server behaving as `behaviour` (None: no response at
/// all). `root_servers` feeds the upward referral.
pub fn respond(
    zones: &[Arc<Zone>],
    query: &Message,
    behaviour: Behaviour,
    root_servers: &[(Name, Vec<std::net::IpAddr>)],
) -> Option<Message> {
    let has_edns = query.edns.is_some();
    Some(match behaviour {
        Behaviour::Silent => return None,
        Behaviour::SilentTo(t) if query.queries.first().map(|q| q.query_type()) == Some(t) => {
            return None
        }
        Behaviour::Refused => response_to(query, ResponseCode::Refused),
        Behaviour::ServFail => response_to(query, ResponseCode::ServFail),
        Behaviour::FormErrOnEdns if has_edns => {
            let mut m = response_to(query, ResponseCode::FormErr);
            // An old server does not understand OPT, so it cannot echo it.
            m.edns = None;
            m
        }
        Behaviour::LameNoAa => {
            let mut m = authoritative_answer(zones, query);
            m.metadata.authoritative = false;
            m
        }
        Behaviour::RecursionOnly => {
            let mut m = authoritative_answer(zones, query);
            if m.metadata.response_code == ResponseCode::Refused {
                m.metadata.response_code = ResponseCode::NoError;
            }
            m.metadata.authoritative = false;
            m.metadata.recursion_available = true;
            m
        }
        Behaviour::UpwardReferral => {
            let mut m = response_to(query, ResponseCode::NoError);
            for (name, addrs) in root_servers {
                m.authorities.push(Record::from_rdata(
                    Name::root(),
                    518_400,
                    RData::NS(NS(name.clone())),
                ));
                for ip in addrs {
                    let data = match ip {
                        std::net::IpAddr::V4(v4) => RData::A(A(*v4)),
                        std::net::IpAddr::V6(v6) => {
                            RData::AAAA(hickory_proto::rr::rdata::AAAA(*v6))
                        }
                    };
                    m.additionals
                        .push(Record::from_rdata(name.clone(), 518_400, data));
                }
            }
            m
        }
        Behaviour::Normal
        | Behaviour::SilentTo(_)
        | Behaviour::FormErrOnEdns
        | Behaviour::AlwaysTruncate
        | Behaviour::Spoof => authoritative_answer(zones, query),
    })
}

/// Encodes `m` for `transport`: over UDP, a response larger than the
/// requester's payload size is replaced by a TC=1 response carrying only
/// the header, question and OPT (RFC 2181 §9, RFC 6891 §7).
pub fn encode(m: &Message, udp_limit: Option<u16>) -> Vec<u8> {
    let full = m.to_vec().unwrap_or_default();
    match udp_limit {
        Some(limit) if full.len() > usize::from(limit) => truncated(m),
        _ => full,
    }
}

/// The header + question (+ OPT) of `m` with TC=1.
pub fn truncated(m: &Message) -> Vec<u8> {
    let mut t = m.clone();
    t.metadata.truncation = true;
    t.answers.clear();
    t.authorities.clear();
    t.additionals.clear();
    t.to_vec().unwrap_or_default()
}
