//! The socket-free core of the server: [`Handler::fast_path`] answers from
//! the cache (or with an error) without building a hickory `Message`, and
//! [`Handler::resolve_miss`] asks the resolver, with identical concurrent
//! misses sharing one resolution (single flight).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use tokio::sync::watch;

use crate::cache::key::{CacheKey, KeyRef};
use crate::cache::message::{AnswerCache, RenderParams, StoredAnswer};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::dnssec::state::{EdeCode, ExtendedError};
use crate::resolver::api::{QueryOpts, Question, Resolution, Resolve};
use crate::server::acl::Acl;
use crate::server::query::{
    self, Edns, HeaderInfo, QueryView, Reject, RCODE_FORMERR, RCODE_REFUSED, RCODE_SERVFAIL,
};
use crate::server::response::{
    any_response_into, error_response, error_response_into, opt_for, response_limit,
};
use crate::server::stats::{bump, Stats};

const QTYPE_OPT: u16 = 41;
const QTYPE_IXFR: u16 = 251;
const QTYPE_AXFR: u16 = 252;
const QTYPE_ANY: u16 = 255;
const QCLASS_IN: u16 = 1;

/// What the fast path decided for one packet.
#[derive(Debug)]
pub enum FastPath {
    /// Send these bytes back (`fast_path` only).
    Answer(Vec<u8>),
    /// Send back the bytes written into the caller's buffer
    /// (`fast_path_into` only).
    Written,
    /// Send nothing.
    Drop,
    /// Not cached: resolve with [`Handler::resolve_miss`].
    Miss(ParsedQuery),
}

/// A valid query that missed the cache, owned so it can move to a task.
#[derive(Clone, Debug)]
pub struct ParsedQuery {
    pub header: HeaderInfo,
    /// The qname as the client wrote it.
    pub qname: Vec<u8>,
    pub key: CacheKey,
    pub edns: Option<Edns>,
    pub tcp: bool,
    pub client: SocketAddr,
}

impl ParsedQuery {
    /// The question section as the client sent it.
    fn question_bytes(&self) -> Vec<u8> {
        let mut q = Vec::with_capacity(self.qname.len() + 4);
        q.extend_from_slice(&self.qname);
        q.extend_from_slice(&self.key.qtype.to_be_bytes());
        q.extend_from_slice(&self.key.qclass.to_be_bytes());
        q
    }
}

type Shared = Option<Arc<StoredAnswer>>;

/// Removes a single-flight entry when the leader finishes or is cancelled,
/// so a lost leader never blocks later queries.
struct InflightGuard<'a> {
    map: &'a Mutex<HashMap<CacheKey, watch::Receiver<Shared>>>,
    key: &'a CacheKey,
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        lock(self.map).remove(self.key);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere cannot leave the map inconsistent (single inserts and
    // removes), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Everything needed to answer a packet, shared by all listeners.
pub struct Handler {
    resolver: Arc<dyn Resolve>,
    clock: SharedClock,
    cache: Arc<AnswerCache>,
    acl: Acl,
    stats: Arc<Stats>,
    edns_size: u16,
    /// Upper bound on one resolution, a safety net over the resolver's own
    /// deadline so a stuck resolution cannot hold clients forever.
    resolve_timeout: Duration,
    inflight: Mutex<HashMap<CacheKey, watch::Receiver<Shared>>>,
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("cache", &self.cache)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Handler {
    pub fn new(config: &Config, resolver: Arc<dyn Resolve>, clock: SharedClock) -> Self {
        Self {
            resolver,
            clock,
            cache: Arc::new(AnswerCache::new(&config.cache)),
            acl: Acl::new(&config.server.allow),
            stats: Arc::new(Stats::default()),
            edns_size: config.server.edns_udp_size,
            resolve_timeout: Duration::from_millis(
                config.upstream.query_deadline_ms.saturating_add(2_000),
            ),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    pub fn cache(&self) -> Arc<AnswerCache> {
        self.cache.clone()
    }

    fn error(
        &self,
        out: &mut Vec<u8>,
        h: &HeaderInfo,
        rcode: u16,
        q: Option<&[u8]>,
        e: Option<Edns>,
    ) -> FastPath {
        self.stats.count_rcode((rcode & 0x0F) as u8);
        error_response_into(out, h, rcode, q, e, self.edns_size);
        FastPath::Written
    }

    /// Answers `packet` from `client` if it can be answered without the
    /// resolver; never allocates except for the response itself.
    pub fn fast_path(&self, packet: &[u8], client: SocketAddr, tcp: bool) -> FastPath {
        let mut out = Vec::new();
        match self.fast_path_into(packet, client, tcp, &mut out) {
            FastPath::Written => FastPath::Answer(out),
            other => other,
        }
    }

    /// Like [`Handler::fast_path`], but every immediate answer (a cache hit,
    /// an error, the ANY answer) is written into `out` (returning
    /// [`FastPath::Written`]): with a reused buffer, none allocates.
    pub fn fast_path_into(
        &self,
        packet: &[u8],
        client: SocketAddr,
        tcp: bool,
        out: &mut Vec<u8>,
    ) -> FastPath {
        bump(&self.stats.queries);
        if tcp {
            bump(&self.stats.tcp_queries);
        }
        let v = match query::parse(packet) {
            Ok(v) => v,
            Err(Reject::Drop) => {
                // Debug level: a flood of garbage must not flood the log.
                tracing::debug!(%client, len = packet.len(), "dropped: runt or a response (QR=1)");
                bump(&self.stats.dropped);
                return FastPath::Drop;
            }
            Err(Reject::Error {
                header,
                rcode,
                question,
                edns,
            }) => {
                let rcode = if self.acl.allows(client) {
                    rcode
                } else {
                    RCODE_REFUSED
                };
                return self.error(out, &header, rcode, question, edns);
            }
        };
        let question = Some(v.question);
        if !self.acl.allows(client) {
            return self.error(out, &v.header, RCODE_REFUSED, question, v.edns);
        }
        match (v.qclass, v.qtype) {
            // We only serve the Internet class.
            (c, _) if c != QCLASS_IN => {
                return self.error(out, &v.header, RCODE_REFUSED, question, v.edns)
            }
            // Zone transfers are for authoritative servers.
            (_, QTYPE_AXFR | QTYPE_IXFR) => {
                return self.error(out, &v.header, RCODE_REFUSED, question, v.edns)
            }
            // RFC 6891 §6.1.1: OPT is a pseudo-RR, never a question type.
            (_, QTYPE_OPT) => return self.error(out, &v.header, RCODE_FORMERR, question, v.edns),
            (_, QTYPE_ANY) => {
                any_response_into(out, &v.header, v.question, v.edns, self.edns_size);
                return FastPath::Written;
            }
            _ => {}
        }
        let key = Self::key_ref(&v);
        let now = self.clock.unix_secs();
        if let Some(stored) = self.cache.get(&key, now) {
            bump(&self.stats.cache_hits);
            self.stats.count_rcode(stored.rcode);
            stored.render_into(&self.render_params(&v, tcp), now, out);
            return FastPath::Written;
        }
        bump(&self.stats.misses);
        FastPath::Miss(ParsedQuery {
            header: v.header,
            qname: v.qname.to_vec(),
            key: key.to_owned_key(),
            edns: v.edns,
            tcp,
            client,
        })
    }

    fn key_ref<'a>(v: &'a QueryView<'_>) -> KeyRef<'a> {
        KeyRef {
            name: v.lower_name(),
            qtype: v.qtype,
            qclass: v.qclass,
            dnssec_ok: v.edns.is_some_and(|e| e.dnssec_ok),
            checking_disabled: v.header.cd,
        }
    }

    fn render_params<'a>(&self, v: &'a QueryView<'_>, tcp: bool) -> RenderParams<'a> {
        params(&v.header, v.qname, v.edns, self.edns_size, tcp)
    }

    /// Resolves a missed query and returns the response bytes.
    pub async fn resolve_miss(&self, q: ParsedQuery) -> Vec<u8> {
        match self.resolve_shared(&q).await {
            Some(stored) => {
                self.stats.count_rcode(stored.rcode);
                let p = params(&q.header, &q.qname, q.edns, self.edns_size, q.tcp);
                stored.render(&p, self.clock.unix_secs())
            }
            None => {
                self.stats.count_rcode(RCODE_SERVFAIL as u8);
                let qb = q.question_bytes();
                error_response(&q.header, RCODE_SERVFAIL, Some(&qb), q.edns, self.edns_size)
            }
        }
    }

    /// Single flight: the first miss for a key resolves; concurrent ones
    /// wait for its result.
    async fn resolve_shared(&self, q: &ParsedQuery) -> Shared {
        let leader = {
            let mut map = lock(&self.inflight);
            match map.get(&q.key) {
                Some(rx) => Err(rx.clone()),
                None => {
                    let (tx, rx) = watch::channel(None);
                    map.insert(q.key.clone(), rx);
                    Ok(tx)
                }
            }
        };
        match leader {
            Ok(tx) => {
                let _guard = InflightGuard {
                    map: &self.inflight,
                    key: &q.key,
                };
                let stored = self.resolve_and_store(q).await;
                // Followers that arrive later find the cache (filled above)
                // or start a new flight once the guard removes the entry.
                tx.send_replace(stored.clone());
                stored
            }
            Err(mut rx) => {
                // The watch guard is dropped before any further await.
                let shared = rx.wait_for(Option::is_some).await.ok().map(|v| v.clone());
                match shared {
                    Some(v) => v,
                    // The leader went away without an answer: resolve ourselves.
                    None => self.resolve_and_store(q).await,
                }
            }
        }
    }

    async fn resolve_and_store(&self, q: &ParsedQuery) -> Shared {
        let name = match Name::read(&mut BinDecoder::new(&q.key.name)) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, client = %q.client, "SERVFAIL: query name not decodable");
                return None;
            }
        };
        let qtype = RecordType::from(q.key.qtype);
        let question = Question {
            name: name.clone(),
            qtype,
            qclass: DNSClass::from(q.key.qclass),
        };
        let opts = QueryOpts {
            dnssec_ok: q.key.dnssec_ok,
            checking_disabled: q.key.checking_disabled,
            // Stored below in `self.cache`, in wire form.
            caller_caches_answer: true,
        };
        let res = match tokio::time::timeout(
            self.resolve_timeout,
            self.resolver.resolve(&question, opts),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!(
                    name = %name,
                    ?qtype,
                    timeout_ms = self.resolve_timeout.as_millis(),
                    "SERVFAIL: resolution timed out"
                );
                Resolution::servfail(
                    Some(ExtendedError::new(
                        EdeCode::NoReachableAuthority,
                        "resolution timed out",
                    )),
                    0,
                )
            }
        };
        let now = self.clock.unix_secs();
        let ttl = self.cache.storing_ttl(&res);
        let stored = match StoredAnswer::build(
            &name,
            qtype,
            q.key.qclass,
            &res,
            q.key.dnssec_ok,
            now,
            ttl,
        ) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, name = %name, "SERVFAIL: cannot encode response");
                let fail = Resolution::servfail(
                    Some(ExtendedError::new(
                        EdeCode::Other,
                        "response encoding failed",
                    )),
                    0,
                );
                match StoredAnswer::build(&name, qtype, q.key.qclass, &fail, false, now, 0) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, name = %name, "cannot encode SERVFAIL either");
                        return None;
                    }
                }
            }
        };
        let stored = Arc::new(stored.for_key(&q.key));
        if ttl > 0 && stored.expires_at() > now {
            self.cache.insert(&q.key, stored.clone());
        }
        Some(stored)
    }
}

fn params<'a>(
    h: &HeaderInfo,
    qname: &'a [u8],
    edns: Option<Edns>,
    ours: u16,
    tcp: bool,
) -> RenderParams<'a> {
    RenderParams {
        id: h.id,
        rd: h.rd,
        cd: h.cd,
        // RFC 6840 §5.7: AD for clients that set DO or AD.
        ad_requested: h.ad || edns.is_some_and(|e| e.dnssec_ok),
        client_qname: qname,
        edns: opt_for(edns, ours),
        limit: response_limit(edns, ours, tcp),
    }
}
