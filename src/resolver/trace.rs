//! A record of the steps of one resolution, for `anchord query --trace`.
//! Every step is also logged at debug level.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use hickory_proto::rr::{Name, RecordType};

use super::network::Transport;

/// One step of a resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    /// Looking up (name, type) starting at a zone cut.
    Lookup {
        name: Name,
        qtype: RecordType,
        zone: Name,
    },
    /// Answered from the iterator's cache.
    CacheHit { name: Name, qtype: RecordType },
    /// A query sent to a server.
    Query {
        zone: Name,
        server: SocketAddr,
        qname: Name,
        qtype: RecordType,
        transport: Transport,
        edns: bool,
    },
    /// What came back, and how long it took.
    Response {
        server: SocketAddr,
        kind: String,
        rtt: Duration,
    },
    /// The server did not answer usefully.
    Failure { server: SocketAddr, reason: String },
    /// A referral moved the zone cut down.
    Referral { from: Name, to: Name, ns: Vec<Name> },
    /// Anything else worth showing (DNSSEC chain of trust steps, budget).
    Note(String),
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceEvent::Lookup { name, qtype, zone } => {
                write!(f, "lookup {name} {qtype} starting at zone {zone}")
            }
            TraceEvent::CacheHit { name, qtype } => write!(f, "  cache hit {name} {qtype}"),
            TraceEvent::Query {
                zone,
                server,
                qname,
                qtype,
                transport,
                edns,
            } => write!(
                f,
                "  [{zone}] ask {server} {qname} {qtype} over {}{}",
                match transport {
                    Transport::Udp => "UDP",
                    Transport::Tcp => "TCP",
                },
                if *edns { "" } else { " (no EDNS)" }
            ),
            TraceEvent::Response { server, kind, rtt } => {
                write!(f, "    <- {server}: {kind} in {} ms", rtt.as_millis())
            }
            TraceEvent::Failure { server, reason } => write!(f, "    !! {server}: {reason}"),
            TraceEvent::Referral { from, to, ns } => {
                let ns: Vec<String> = ns.iter().map(|n| n.to_string()).collect();
                write!(f, "  zone cut {from} -> {to} (NS {})", ns.join(" "))
            }
            TraceEvent::Note(s) => write!(f, "  {s}"),
        }
    }
}

/// Collects trace events when tracing was asked for.
#[derive(Debug, Default)]
pub struct Trace {
    events: Option<Mutex<Vec<TraceEvent>>>,
}

impl Trace {
    /// A trace that records (for `--trace`).
    pub fn recording() -> Self {
        Self {
            events: Some(Mutex::new(Vec::new())),
        }
    }

    /// A trace that only logs.
    pub fn off() -> Self {
        Self { events: None }
    }

    pub fn push(&self, event: TraceEvent) {
        tracing::debug!(target: "anchord::trace", "{event}");
        if let Some(events) = &self.events {
            events.lock().unwrap_or_else(|p| p.into_inner()).push(event);
        }
    }

    pub fn take(&self) -> Vec<TraceEvent> {
        match &self.events {
            Some(events) => std::mem::take(&mut *events.lock().unwrap_or_else(|p| p.into_inner())),
            None => Vec::new(),
        }
    }
}
