//! What the server asks of the resolver, and what it gets back.
//!
//! The server module depends only on this: the [`Resolve`] trait, a
//! [`Question`], the client's DNSSEC flags ([`QueryOpts`]) and a
//! [`Resolution`]. That keeps the server testable with a fake resolver and
//! the resolver testable without sockets.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{DNSClass, Name, Record, RecordType};

use crate::dnssec::state::{ExtendedError, Security};
use crate::resolver::network::BoxFuture;

/// The question of a client query.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Question {
    pub name: Name,
    pub qtype: RecordType,
    pub qclass: DNSClass,
}

impl Question {
    pub fn new(name: Name, qtype: RecordType) -> Self {
        Self {
            name,
            qtype,
            qclass: DNSClass::IN,
        }
    }
}

/// The client's DNSSEC-related flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueryOpts {
    /// EDNS DO bit: the client wants RRSIG/NSEC/NSEC3 records.
    pub dnssec_ok: bool,
    /// CD bit: return data even if validation fails (RFC 4035 §3.2.2).
    pub checking_disabled: bool,
    /// The caller keeps the final answer itself (the server's wire answer
    /// cache), so the resolver need not also keep the final RRset in its
    /// own cache: each answer is then held once. See
    /// [`crate::resolver::iterate::Keep`].
    pub caller_caches_answer: bool,
}

/// The outcome of resolving one question.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    pub rcode: ResponseCode,
    /// The CNAME/DNAME chain and the final RRset, with their RRSIGs.
    pub answer: Vec<Record>,
    /// For NXDOMAIN/NODATA: the SOA, plus NSEC/NSEC3 proofs and RRSIGs.
    pub authority: Vec<Record>,
    /// Security status of everything in answer and authority.
    pub security: Security,
    /// Why a SERVFAIL (or an insecure downgrade) happened, for the client.
    pub ede: Option<ExtendedError>,
    /// How long the server may cache this response, in seconds (0: don't).
    pub cache_ttl: u32,
}

impl Resolution {
    /// A SERVFAIL carrying an explanation; cached for `cache_ttl` seconds.
    pub fn servfail(ede: Option<ExtendedError>, cache_ttl: u32) -> Self {
        Self {
            rcode: ResponseCode::ServFail,
            answer: Vec::new(),
            authority: Vec::new(),
            security: Security::Indeterminate,
            ede,
            cache_ttl,
        }
    }
}

/// Resolves client questions. Implemented by [`crate::resolver::Resolver`].
pub trait Resolve: Send + Sync + 'static {
    fn resolve<'a>(&'a self, question: &'a Question, opts: QueryOpts) -> BoxFuture<'a, Resolution>;
}
