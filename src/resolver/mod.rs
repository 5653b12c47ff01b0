//! Iterative resolution from the root: referrals, server selection, upstream
//! transport. Sans-IO: sockets and time come in through [`network::Network`]
//! and [`crate::clock::Clock`], so the same code runs against real servers
//! and against the simulated world of the tests.
//!
//! - [`api`]: what the server module asks and gets back.
//! - [`iterate`]: following referrals down to an answer, QNAME minimisation.
//! - [`classify`]: what a response means, with bailiwick checks.
//! - [`transport`]: one question to one server (EDNS, TCP fallback).
//! - [`infra`]: per-server RTT and backoff for server selection.
//! - [`budget`]: the per-client-query work limits.
//! - [`hints`]: root hints.

pub mod api;
pub mod budget;
pub mod classify;
pub mod forward;
pub mod hints;
pub mod infra;
pub mod iterate;
pub mod matching;
pub mod network;
pub mod rrset;
pub(crate) mod step;
pub mod trace;
pub mod transport;
pub mod udp_tcp;
mod validate;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};

pub use api::{QueryOpts, Question, Resolution, Resolve};

use crate::cache::rrset::{NegativeKind, RrsetCache};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::dnssec::aggressive::NsecCache;
use crate::dnssec::anchors::TrustAnchor;
use crate::dnssec::key_cache::KeyCache;
use crate::dnssec::nsec3_hash_cache::Nsec3HashCache;
use crate::dnssec::state::Security;
use crate::dnssec::state::{EdeCode, ExtendedError};
use budget::{Budget, BudgetExhausted};
use hints::RootHints;
use infra::Infra;
use iterate::Keep;
use network::{BoxFuture, SharedNetwork};
use step::{combined, flatten, reason, Step, ZoneRrset};
use trace::{Trace, TraceEvent};

/// Everything a resolver is built from. The daemon fills it with real
/// sockets and the system clock; tests with the simulated world.
pub struct ResolverSetup {
    pub config: Config,
    pub network: SharedNetwork,
    pub clock: SharedClock,
    pub root_hints: RootHints,
}

/// Nested sub-resolutions (glueless NS addresses) allowed below a client
/// query. Unbound's `target-fetch-policy` explores similarly shallowly.
const MAX_DEPTH: u32 = 6;

/// Why a resolution failed (always logged, and sent as EDE EXTRA-TEXT).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Budget(#[from] BudgetExhausted),
    #[error("deadline of {0} ms exceeded")]
    Deadline(u64),
    #[error("no server for zone {zone} gave a usable answer (last: {last})")]
    NoUsableServer { zone: Name, last: String },
    #[error("CNAME/DNAME loop at {0}")]
    AliasLoop(Name),
    #[error("sub-resolution depth limit reached resolving {0}")]
    TooDeep(Name),
    #[error("DNAME substitution for {0} is too long")]
    DnameTooLong(Name),
    #[error("no root hints with a usable address")]
    NoHints,
}

impl ResolveError {
    /// The Extended DNS Error for a client (RFC 8914 §4).
    pub fn ede(&self) -> ExtendedError {
        let code = match self {
            ResolveError::NoUsableServer { .. } | ResolveError::NoHints => {
                EdeCode::NoReachableAuthority
            }
            ResolveError::Deadline(_) => EdeCode::NoReachableAuthority,
            _ => EdeCode::Other,
        };
        ExtendedError::new(code, self.to_string())
    }
}

/// The state of one client query's resolution, shared by its sub-resolutions.
pub(crate) struct Ctx {
    pub(crate) budget: Budget,
    /// Monotonic time by which the client must have an answer.
    pub(crate) deadline: Duration,
    pub(crate) trace: Arc<Trace>,
    /// Nesting depth of sub-resolutions.
    depth: AtomicU32,
    /// Names whose addresses are being resolved, to detect dependency cycles
    /// (ns.a. served by b., whose servers are in a.).
    pending_ns: Mutex<HashSet<Name>>,
    /// The zone whose servers were asked last, so that a failure without a
    /// zone of its own (budget, deadline, depth) still says where it was.
    last_zone: Mutex<Option<Name>>,
}

pub(crate) struct Inner {
    /// Trust anchors; empty means no validation at all.
    pub(crate) anchors: Vec<TrustAnchor>,
    /// RFC 7646 negative trust anchors.
    pub(crate) ntas: Vec<Name>,
    /// Zone trust (validated DNSKEYs, insecure or bogus verdicts).
    pub(crate) keys: KeyCache,
    /// Validated NSEC ranges (RFC 8198).
    pub(crate) nsec_cache: NsecCache,
    /// NSEC3 hashes memoised across responses.
    pub(crate) nsec3_hashes: Arc<Nsec3HashCache>,
    pub(crate) config: Config,
    pub(crate) network: SharedNetwork,
    pub(crate) clock: SharedClock,
    pub(crate) hints: RootHints,
    pub(crate) cache: RrsetCache,
    pub(crate) infra: Infra,
}

/// The iterative resolver. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

impl Resolver {
    /// A resolver that does not validate (no trust anchor): it never sets AD.
    pub fn new(setup: ResolverSetup) -> Self {
        Self::new_validating(setup, Vec::new())
    }

    /// A validating resolver, starting from `anchors` (see
    /// `dnssec::anchors`); negative trust anchors come from the config.
    pub fn new_validating(setup: ResolverSetup, anchors: Vec<TrustAnchor>) -> Self {
        let cache = RrsetCache::new(setup.config.cache.size);
        let infra = Infra::with_initial_rto(Duration::from_millis(
            setup.config.upstream.initial_timeout_ms,
        ));
        let ntas = setup
            .config
            .dnssec
            .negative_trust_anchors
            .iter()
            .filter_map(|n| match Name::from_ascii(n) {
                Ok(name) => Some(name),
                Err(e) => {
                    tracing::warn!(name = %n, error = %e, "ignoring invalid negative trust anchor");
                    None
                }
            })
            .collect();
        let keys = KeyCache::new(setup.config.cache.size / 16);
        Self {
            inner: Arc::new(Inner {
                anchors,
                ntas,
                keys,
                nsec_cache: NsecCache::new(),
                nsec3_hashes: Arc::new(Nsec3HashCache::default()),
                config: setup.config,
                network: setup.network,
                clock: setup.clock,
                hints: setup.root_hints,
                cache,
                infra,
            }),
        }
    }

    /// Resolves one question.
    pub async fn resolve(&self, question: &Question, opts: QueryOpts) -> Resolution {
        self.inner
            .resolve(question, opts, Arc::new(Trace::off()))
            .await
    }

    /// Resolves one question and returns every step taken (`--trace`).
    pub async fn resolve_traced(
        &self,
        question: &Question,
        opts: QueryOpts,
    ) -> (Resolution, Vec<TraceEvent>) {
        let trace = Arc::new(Trace::recording());
        let res = self.inner.resolve(question, opts, trace.clone()).await;
        (res, trace.take())
    }

    /// Drops all cached data and server state.
    pub fn flush(&self) {
        self.inner.cache.clear();
        self.inner.infra.clear();
        self.inner.keys.clear();
        self.inner.nsec_cache.clear();
        self.inner.nsec3_hashes.clear();
    }
}

impl Resolve for Resolver {
    fn resolve<'a>(&'a self, question: &'a Question, opts: QueryOpts) -> BoxFuture<'a, Resolution> {
        Box::pin(Resolver::resolve(self, question, opts))
    }
}

impl Inner {
    async fn resolve(&self, question: &Question, opts: QueryOpts, trace: Arc<Trace>) -> Resolution {
        let deadline_ms = self.config.upstream.query_deadline_ms;
        let keep = if opts.caller_caches_answer {
            Keep::NotFinalData
        } else {
            Keep::All
        };
        let ctx = Ctx {
            budget: Budget::new(&self.config.limits),
            deadline: self.clock.monotonic() + Duration::from_millis(deadline_ms),
            trace,
            depth: AtomicU32::new(0),
            pending_ns: Mutex::new(HashSet::new()),
            last_zone: Mutex::new(None),
        };
        let result = self
            .resolve_chain(&ctx, &question.name, question.qtype, keep)
            .await;
        let resolution = match result {
            Ok(chain) => {
                let res = chain.into_resolution();
                if res.security == Security::Bogus && !opts.checking_disabled {
                    // RFC 4035 §5.5: bogus data is not returned; the client
                    // gets SERVFAIL and, in the EDE, why (RFC 8914).
                    tracing::warn!(
                        qname = %question.name,
                        qtype = %question.qtype,
                        reason = %res.ede.as_ref().map(|e| e.to_string()).unwrap_or_default(),
                        "SERVFAIL: validation failure"
                    );
                    Resolution::servfail(res.ede, self.config.dnssec.bogus_ttl)
                } else if let Some(why) = self.sentinel_refusal(&question.name, &res) {
                    // Asked for by the client (RFC 8509), not a failure:
                    // debug, so that probes cannot flood the log.
                    tracing::debug!(
                        qname = %question.name,
                        qtype = %question.qtype,
                        reason = %why,
                        "SERVFAIL: root key sentinel"
                    );
                    ctx.trace.push(TraceEvent::Note(why.clone()));
                    Resolution::servfail(Some(ExtendedError::new(EdeCode::Other, why)), 0)
                } else {
                    // With CD=1 the data goes back as it is, without AD
                    // (RFC 4035 §3.2.2, RFC 6840 §5.9).
                    res
                }
            }
            Err(err) => {
                let last_zone = ctx.last_zone().map(|z| z.to_string()).unwrap_or_default();
                tracing::warn!(
                    qname = %question.name,
                    qtype = %question.qtype,
                    reason = %err,
                    last_zone,
                    "SERVFAIL"
                );
                ctx.trace.push(TraceEvent::Note(format!("SERVFAIL: {err}")));
                Resolution::servfail(Some(err.ede()), 0)
            }
        };
        resolution
    }

    /// Follows the CNAME/DNAME chain from `qname` to the final answer.
    pub(crate) async fn resolve_chain(
        &self,
        ctx: &Ctx,
        qname: &Name,
        qtype: RecordType,
        keep: Keep,
    ) -> Result<Chain, ResolveError> {
        let mut answer: Vec<ZoneRrset> = Vec::new();
        let mut seen: HashSet<Name> = HashSet::new();
        let mut name = qname.clone();
        seen.insert(name.to_lowercase());
        loop {
            // Only the client's own question is held by the caller: the
            // data at the end of a CNAME chain is cached here under its own
            // name, where a direct question for it will look.
            let keep = if name == *qname { keep } else { Keep::All };
            match self.lookup(ctx, &name, qtype, keep).await? {
                Step::Data {
                    answer: last,
                    proofs,
                } => {
                    answer.push(last);
                    return Ok(Chain {
                        rcode: ResponseCode::NoError,
                        answer,
                        authority: proofs,
                    });
                }
                Step::Negative {
                    kind, authority, ..
                } => {
                    // RFC 6604 §2.1: the RCODE reflects the last name of the chain.
                    let rcode = match kind {
                        NegativeKind::NxDomain => ResponseCode::NXDomain,
                        NegativeKind::NoData => ResponseCode::NoError,
                    };
                    return Ok(Chain {
                        rcode,
                        answer,
                        authority,
                    });
                }
                Step::Alias {
                    answer: alias,
                    target,
                    ..
                } => {
                    answer.extend(alias);
                    if qtype == RecordType::CNAME {
                        return Ok(Chain {
                            rcode: ResponseCode::NoError,
                            answer,
                            authority: Vec::new(),
                        });
                    }
                    ctx.budget.charge(budget::BudgetKind::CnameSteps, 1)?;
                    if !seen.insert(target.to_lowercase()) {
                        return Err(ResolveError::AliasLoop(target));
                    }
                    name = target;
                }
            }
        }
    }
}

/// A finished chain: what goes into the response.
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    pub(crate) rcode: ResponseCode,
    pub(crate) answer: Vec<ZoneRrset>,
    pub(crate) authority: Vec<ZoneRrset>,
}

impl Chain {
    /// The A/AAAA/... records of the answer section.
    pub(crate) fn answer_records(&self) -> Vec<hickory_proto::rr::Record> {
        flatten(&self.answer)
    }

    fn into_resolution(self) -> Resolution {
        let answer = flatten(&self.answer);
        let authority = flatten(&self.authority);
        // The response may be cached as long as its shortest-lived record.
        let cache_ttl = answer
            .iter()
            .chain(authority.iter())
            .map(|r| r.ttl)
            .min()
            .unwrap_or(0);
        // RFC 4035 §3.2.3 / RFC 6840 §5.7: the whole response is only as
        // secure as its least secure RRset.
        let mut all = self.answer;
        all.extend(self.authority);
        let security = combined(&all);
        let ede = reason(&all, security);
        Resolution {
            rcode: self.rcode,
            answer,
            authority,
            security,
            ede,
            cache_ttl,
        }
    }
}

impl Inner {
    /// RFC 8509 §3.2: for a Secure answer to a name whose first label is
    /// `root-key-sentinel-is-ta-<tag>` (or `-not-ta-`), answer SERVFAIL if
    /// the key with that tag is not (or is) one of our root trust anchors,
    /// so a client can learn which root KSKs its resolver trusts.
    fn sentinel_refusal(&self, qname: &Name, res: &Resolution) -> Option<String> {
        if !res.security.is_secure() {
            return None;
        }
        let first = qname.iter().next()?;
        let label = std::str::from_utf8(first).ok()?.to_ascii_lowercase();
        let (is_ta, tag) = if let Some(t) = label.strip_prefix("root-key-sentinel-is-ta-") {
            (true, t)
        } else if let Some(t) = label.strip_prefix("root-key-sentinel-not-ta-") {
            (false, t)
        } else {
            return None;
        };
        // RFC 8509 §2: exactly five decimal digits.
        if tag.len() != 5 || !tag.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let tag: u16 = tag.parse().ok()?;
        let trusted = self
            .anchors
            .iter()
            .filter(|a| a.zone().is_root())
            .any(|a| a.key_tag() == Some(tag));
        match (is_ta, trusted) {
            (true, false) => Some(format!(
                "root key sentinel: key {tag} is not a trust anchor"
            )),
            (false, true) => Some(format!("root key sentinel: key {tag} is a trust anchor")),
            _ => None,
        }
    }
}

impl Ctx {
    /// Remembers that `zone`'s servers are being asked (for the log).
    pub(crate) fn asking(&self, zone: &Name) {
        let mut last = self.last_zone.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_ref() != Some(zone) {
            *last = Some(zone.clone());
        }
    }

    fn last_zone(&self) -> Option<Name> {
        self.last_zone
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn enter(&self, name: &Name) -> Result<DepthGuard<'_>, ResolveError> {
        let depth = self.depth.fetch_add(1, Ordering::SeqCst) + 1;
        let guard = DepthGuard { ctx: self };
        if depth > MAX_DEPTH {
            return Err(ResolveError::TooDeep(name.clone()));
        }
        Ok(guard)
    }
}

/// Decrements the sub-resolution depth when dropped.
pub(crate) struct DepthGuard<'a> {
    ctx: &'a Ctx,
}

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.ctx.depth.fetch_sub(1, Ordering::SeqCst);
    }
}
