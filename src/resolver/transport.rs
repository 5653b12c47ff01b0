//! One question to one upstream server, whatever it takes at the transport
//! level: a fresh random ID per query, EDNS with a 1232-byte buffer (DNS
//! Flag Day 2020) and DO set, TCP when the UDP answer is truncated (RFC 7766
//! §5), one retry without EDNS when the server answers FORMERR (RFC 6891 §7),
//! and RTT/timeout bookkeeping in the infra cache.
//!
//! Matching a response to its query (ID, source, question) is the network's
//! job (`resolver::matching`); the source port is random per query in the
//! real network implementation.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};

use super::budget::{BudgetExhausted, BudgetKind};
use super::network::{NetError, Transport};
use super::trace::TraceEvent;
use super::{Ctx, Inner};

/// The flags of an upstream query.
#[derive(Clone, Copy, Debug)]
pub struct QueryFlags {
    /// RD: set only towards forwarders.
    pub recursion_desired: bool,
    /// CD: set towards forwarders, so that we get bogus data to judge for
    /// ourselves instead of their SERVFAIL (RFC 4035 §3.2.2).
    pub checking_disabled: bool,
}

/// Why an exchange with a server failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Network(NetError),
    #[error("malformed response: {0}")]
    Malformed(String),
    #[error(transparent)]
    Budget(#[from] BudgetExhausted),
    #[error("client deadline reached")]
    Deadline,
}

/// Builds the wire form of an upstream query.
pub fn build_query(
    id: u16,
    name: &Name,
    qtype: RecordType,
    flags: QueryFlags,
    edns_size: Option<u16>,
) -> Result<Vec<u8>, ExchangeError> {
    let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = flags.recursion_desired;
    msg.metadata.checking_disabled = flags.checking_disabled;
    msg.add_query(Query::query(name.clone(), qtype));
    if let Some(size) = edns_size {
        let mut edns = Edns::new();
        edns.set_max_payload(size.max(512));
        edns.set_dnssec_ok(true);
        msg.set_edns(edns);
    }
    msg.to_vec()
        .map_err(|e| ExchangeError::Malformed(format!("cannot encode query: {e}")))
}

impl Inner {
    /// Sends (`name`, `qtype`) to `server` and returns the parsed response.
    pub(crate) async fn exchange(
        &self,
        ctx: &Ctx<'_>,
        zone: &Name,
        server: SocketAddr,
        name: &Name,
        qtype: RecordType,
        flags: QueryFlags,
    ) -> Result<Message, ExchangeError> {
        ctx.asking(zone);
        let ip = server.ip();
        let mut transport = Transport::Udp;
        let mut use_edns = !self.infra.view(ip, self.clock.monotonic()).no_edns;
        // At most: UDP, then TCP after TC, then once more without EDNS.
        for _ in 0..3 {
            let now = self.clock.monotonic();
            let left = ctx.deadline.saturating_sub(now);
            if left.is_zero() {
                return Err(ExchangeError::Deadline);
            }
            ctx.budget.charge(BudgetKind::UpstreamQueries, 1)?;
            let view = self.infra.view(ip, now);
            let timeout = match transport {
                Transport::Udp => view.rto,
                // A TCP exchange includes the handshake: give it more time.
                Transport::Tcp => (view.rto * 3).max(Duration::from_millis(1_000)),
            }
            .min(left);
            let edns_size = use_edns.then_some(self.config.upstream.edns_udp_size);
            let id: u16 = rand::random();
            let wire = build_query(id, name, qtype, flags, edns_size)?;
            ctx.trace.push(TraceEvent::Query {
                zone: zone.clone(),
                server,
                qname: name.clone(),
                qtype,
                transport,
                edns: use_edns,
            });
            let started = self.clock.monotonic();
            let reply = self
                .network
                .exchange(server, transport, &wire, timeout)
                .await;
            let rtt = self.clock.monotonic().saturating_sub(started);
            let bytes = match reply {
                Ok(bytes) => bytes,
                Err(NetError::Timeout) => {
                    self.infra.record_timeout(ip, self.clock.monotonic());
                    ctx.trace.push(TraceEvent::Failure {
                        server,
                        reason: format!("timeout after {} ms", timeout.as_millis()),
                    });
                    return Err(ExchangeError::Timeout);
                }
                Err(e) => {
                    self.infra.record_timeout(ip, self.clock.monotonic());
                    ctx.trace.push(TraceEvent::Failure {
                        server,
                        reason: e.to_string(),
                    });
                    return Err(ExchangeError::Network(e));
                }
            };
            self.infra.record_rtt(ip, rtt);
            let msg = match Message::from_vec(&bytes) {
                Ok(m) => m,
                Err(e) => {
                    self.infra.record_bad_answer(ip);
                    ctx.trace.push(TraceEvent::Failure {
                        server,
                        reason: format!("unparsable response: {e}"),
                    });
                    return Err(ExchangeError::Malformed(e.to_string()));
                }
            };
            if msg.metadata.message_type != MessageType::Response {
                return Err(ExchangeError::Malformed("QR bit clear".into()));
            }
            if msg.metadata.truncation && transport == Transport::Udp {
                ctx.trace.push(TraceEvent::Response {
                    server,
                    kind: "truncated, retrying over TCP".into(),
                    rtt,
                });
                transport = Transport::Tcp;
                continue;
            }
            if msg.metadata.response_code == ResponseCode::FormErr && use_edns {
                // RFC 6891 §7: a server that does not know EDNS may answer
                // FORMERR; retry once without, and remember.
                self.infra.record_no_edns(ip);
                ctx.trace.push(TraceEvent::Response {
                    server,
                    kind: "FORMERR to EDNS, retrying without EDNS".into(),
                    rtt,
                });
                use_edns = false;
                continue;
            }
            ctx.trace.push(TraceEvent::Response {
                server,
                kind: describe(&msg),
                rtt,
            });
            return Ok(msg);
        }
        Err(ExchangeError::Malformed(
            "no usable response after retries".into(),
        ))
    }
}

/// A one-line description of a response for traces.
fn describe(msg: &Message) -> String {
    format!(
        "{}{} answer={} authority={} additional={}",
        msg.metadata.response_code,
        if msg.metadata.authoritative {
            " AA"
        } else {
            ""
        },
        msg.answers.len(),
        msg.authorities.len(),
        msg.additionals.len()
    )
}
