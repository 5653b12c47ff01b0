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

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};
use tokio::sync::watch;

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
/// query, counted along one branch. Unbound's `target-fetch-policy`
/// explores similarly shallowly.
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

/// One branch of a client query's resolution: the client query itself, or
/// a sub-resolution of a glueless name server's addresses started from
/// another branch.
///
/// All branches of one client query share its budget, deadline, trace and
/// last-asked zone, so that the work done for one client query stays
/// bounded however much of it runs concurrently. Each branch owns its place
/// in the tree of sub-resolutions: how deeply it is nested, and (through
/// `parent`) the name servers whose addresses it and its ancestors are
/// resolving. Lookups running concurrently (the A and AAAA of one name
/// server, a zone's DNSKEY fetch beside its parent's chain of trust) are on
/// one branch, and each glueless server they resolve gets a branch of its
/// own below it; so a name server that two concurrent lookups both need is
/// not taken for a dependency cycle (it is on neither's ancestor chain: it
/// is resolved once, see `ns_lookups`), and the depth is the true nesting,
/// not the sum of the nestings of whatever runs in parallel.
pub(crate) struct Ctx<'a> {
    pub(crate) budget: &'a Budget,
    /// Monotonic time by which the client must have an answer.
    pub(crate) deadline: Duration,
    pub(crate) trace: &'a Trace,
    /// The zone whose servers were asked last, so that a failure without a
    /// zone of its own (budget, deadline, depth) still says where it was.
    last_zone: &'a Mutex<Option<Name>>,
    /// The branch this one was started from; `None` for the client query.
    parent: Option<&'a Ctx<'a>>,
    /// The name server (lower case) whose addresses this branch resolves.
    ns: Option<Name>,
    /// Sub-resolutions this branch is nested in.
    depth: u32,
    /// The glueless name servers whose addresses are being (or were)
    /// resolved in sub-resolutions started from this branch, with the
    /// result once there is one. Lookups running concurrently on this
    /// branch (the A and AAAA of the name server it resolves) that need the
    /// same deeper server share one sub-resolution of it instead of each
    /// doing its own, which would double the work at every level of a chain
    /// of glueless servers. Only this branch's own lookups wait on these
    /// entries, and each entry is resolved one level below it, so every
    /// wait points down the tree of branches: no two can wait on each other.
    ns_lookups: Mutex<HashMap<Name, watch::Receiver<Option<NsAddrs>>>>,
}

/// The addresses found for a glueless name server, or why they could not be.
pub(crate) type NsAddrs = Result<Vec<IpAddr>, ResolveError>;

/// Who resolves a glueless name server's addresses for a branch.
pub(crate) enum NsClaim<'c> {
    /// This caller: resolve them, then hand the result to [`NsLead::finish`].
    Lead(NsLead<'c>),
    /// Another lookup of the branch is resolving (or has resolved) them.
    Follow(NsFollow),
}

/// Waits for the result of another lookup's resolution of a name server.
pub(crate) struct NsFollow(watch::Receiver<Option<NsAddrs>>);

impl NsFollow {
    /// The leader's result, or `None` if it went away without one (its
    /// lookup was dropped, e.g. when the other address family won the race
    /// in `resolve_ns_addresses`): then claim again.
    pub(crate) async fn result(mut self) -> Option<NsAddrs> {
        // The watch guard is dropped before any further await.
        self.0
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|v| v.clone())
    }
}

/// The duty to resolve a glueless name server for a branch. Dropped without
/// [`NsLead::finish`], its entry is removed so that a follower resolves the
/// server itself instead of waiting for nothing.
pub(crate) struct NsLead<'c> {
    table: &'c Mutex<HashMap<Name, watch::Receiver<Option<NsAddrs>>>>,
    key: Name,
    tx: watch::Sender<Option<NsAddrs>>,
}

impl NsLead<'_> {
    /// Hands the result to the followers, now and later ones.
    pub(crate) fn finish(self, result: &NsAddrs) {
        self.tx.send_replace(Some(result.clone()));
    }
}

impl Drop for NsLead<'_> {
    fn drop(&mut self) {
        if self.tx.borrow().is_none() {
            lock(self.table).remove(&self.key);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Single inserts and removes: a panic elsewhere cannot leave the map
    // inconsistent, so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
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
        let budget = Budget::new(&self.config.limits);
        let last_zone = Mutex::new(None);
        let deadline = self.clock.monotonic() + Duration::from_millis(deadline_ms);
        let ctx = Ctx::client_query(&budget, deadline, &trace, &last_zone);
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
        ctx: &Ctx<'_>,
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

impl<'a> Ctx<'a> {
    /// The branch of the client query itself.
    fn client_query(
        budget: &'a Budget,
        deadline: Duration,
        trace: &'a Trace,
        last_zone: &'a Mutex<Option<Name>>,
    ) -> Self {
        Ctx {
            budget,
            deadline,
            trace,
            last_zone,
            parent: None,
            ns: None,
            depth: 0,
            ns_lookups: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers that `zone`'s servers are being asked (for the log).
    pub(crate) fn asking(&self, zone: &Name) {
        let mut last = lock(self.last_zone);
        if last.as_ref() != Some(zone) {
            *last = Some(zone.clone());
        }
    }

    fn last_zone(&self) -> Option<Name> {
        lock(self.last_zone).clone()
    }

    /// The branch that resolves the addresses of name server `ns`, one
    /// level below this one.
    pub(crate) fn child(&self, ns: &Name) -> Result<Ctx<'_>, ResolveError> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(ResolveError::TooDeep(ns.clone()));
        }
        Ok(Ctx {
            budget: self.budget,
            deadline: self.deadline,
            trace: self.trace,
            last_zone: self.last_zone,
            parent: Some(self),
            ns: Some(ns.to_lowercase()),
            depth,
            ns_lookups: Mutex::new(HashMap::new()),
        })
    }

    /// Claims the resolution of glueless name server `ns`'s addresses for
    /// this branch (see `ns_lookups`).
    pub(crate) fn claim_ns(&self, ns: &Name) -> NsClaim<'_> {
        let key = ns.to_lowercase();
        let mut table = lock(&self.ns_lookups);
        if let Some(rx) = table.get(&key) {
            return NsClaim::Follow(NsFollow(rx.clone()));
        }
        let (tx, rx) = watch::channel(None);
        table.insert(key.clone(), rx);
        NsClaim::Lead(NsLead {
            table: &self.ns_lookups,
            key,
            tx,
        })
    }

    /// Is this branch, or one it was started from, resolving the addresses
    /// of `ns`? Then resolving them again here would wait on itself: a
    /// dependency cycle (ns.a. served by b., whose servers are in a.).
    /// Branches running beside this one do not count: a name server they
    /// need too is no cycle.
    pub(crate) fn resolving_ns(&self, ns: &Name) -> bool {
        let ns = ns.to_lowercase();
        let mut branch = Some(self);
        while let Some(b) = branch {
            if b.ns.as_ref() == Some(&ns) {
                return true;
            }
            branch = b.parent;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LimitsConfig;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn a_branch_sees_its_ancestors_not_its_siblings() {
        let budget = Budget::new(&LimitsConfig::default());
        let trace = Trace::off();
        let last_zone = Mutex::new(None);
        let root = Ctx::client_query(&budget, Duration::from_secs(1), &trace, &last_zone);
        let a = root.child(&n("NS.A.")).unwrap();
        let b = a.child(&n("ns.b.")).unwrap();
        // Two branches beside each other below ns.b.: neither sees the
        // other's name server, both see their common ancestors.
        let left = b.child(&n("ns.c.")).unwrap();
        let right = b.child(&n("ns.d.")).unwrap();
        assert!(left.resolving_ns(&n("ns.a.")) && left.resolving_ns(&n("ns.b.")));
        assert!(left.resolving_ns(&n("ns.c.")) && !left.resolving_ns(&n("ns.d.")));
        assert!(right.resolving_ns(&n("ns.d.")) && !right.resolving_ns(&n("ns.c.")));
        assert!(!root.resolving_ns(&n("ns.a.")));
        assert_eq!((left.depth, right.depth), (3, 3));
    }

    #[test]
    fn depth_is_the_nesting_of_one_branch() {
        let budget = Budget::new(&LimitsConfig::default());
        let trace = Trace::off();
        let last_zone = Mutex::new(None);
        let root = Ctx::client_query(&budget, Duration::from_secs(1), &trace, &last_zone);
        // Many branches side by side at one level do not add up...
        let siblings: Vec<Ctx<'_>> = (0..2 * MAX_DEPTH)
            .map(|i| root.child(&n(&format!("ns{i}.x."))).unwrap())
            .collect();
        assert!(siblings.iter().all(|s| s.depth == 1));
        // ...but nesting does, up to MAX_DEPTH.
        fn nest(ctx: &Ctx<'_>, levels: u32) -> Result<u32, ResolveError> {
            if levels == 0 {
                return Ok(ctx.depth);
            }
            nest(&ctx.child(&n(&format!("ns.l{levels}.")))?, levels - 1)
        }
        assert_eq!(nest(&root, MAX_DEPTH), Ok(MAX_DEPTH));
        assert_eq!(
            nest(&root, MAX_DEPTH + 1),
            Err(ResolveError::TooDeep(n("ns.l1.")))
        );
    }

    #[test]
    fn a_server_needed_twice_on_a_branch_is_resolved_once() {
        let budget = Budget::new(&LimitsConfig::default());
        let trace = Trace::off();
        let last_zone = Mutex::new(None);
        let root = Ctx::client_query(&budget, Duration::from_secs(1), &trace, &last_zone);
        let NsClaim::Lead(lead) = root.claim_ns(&n("ns.x.")) else {
            panic!("first claim must lead");
        };
        let NsClaim::Follow(early) = root.claim_ns(&n("NS.X.")) else {
            panic!("second claim must follow");
        };
        let addrs: NsAddrs = Ok(vec!["192.0.2.53".parse().unwrap()]);
        lead.finish(&addrs);
        let NsClaim::Follow(late) = root.claim_ns(&n("ns.x.")) else {
            panic!("a finished lookup is shared");
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(rt.block_on(early.result()), Some(addrs.clone()));
        assert_eq!(rt.block_on(late.result()), Some(addrs));
        // A leader dropped unfinished leaves no entry: its followers are told
        // to claim again, and the next claim leads.
        let NsClaim::Lead(lead) = root.claim_ns(&n("ns.y.")) else {
            panic!("first claim must lead");
        };
        let NsClaim::Follow(follower) = root.claim_ns(&n("ns.y.")) else {
            panic!("second claim must follow");
        };
        drop(lead);
        assert_eq!(rt.block_on(follower.result()), None);
        assert!(matches!(root.claim_ns(&n("ns.y.")), NsClaim::Lead(_)));
    }
}
