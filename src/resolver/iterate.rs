//! Following referrals from the closest known zone cut down to an answer
//! (RFC 1034 §5.3.3), with QNAME minimisation (RFC 9156), glueless NS
//! address resolution (bounded: NXNS, CVE-2020-12662), dependency-cycle
//! detection, and the caching of everything learnt on the way.

use std::collections::HashSet;
use std::future::{poll_fn, Future};
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::task::Poll;

use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::budget::BudgetKind;
use super::classify::{classify, dname_substitute, dname_target, Classified, Mode, Referral};
use super::infra::ServerView;
use super::network::BoxFuture;
use super::rrset::Rrset;
use super::step::{combined, flatten, reason, Step, ZoneRrset};
use super::trace::TraceEvent;
use super::transport::{ExchangeError, QueryFlags};
use super::{Ctx, Inner, NsAddrs, NsClaim, ResolveError};
use crate::cache::rrset::{CachedNegative, CachedRrset, NegativeKind, Trust};
use crate::dnssec::aggressive::Synthesized;
use crate::dnssec::state::Security;

/// Servers whose score is this close to the best one are equally likely
/// to be picked (Unbound's RTT band).
const SELECTION_BAND: std::time::Duration = std::time::Duration::from_millis(400);
/// One selection in this many explores the band instead of taking the best.
const EXPLORE_ONE_IN: u32 = 10;
/// Rounds over a zone's server addresses before giving up.
const ROUNDS_PER_ZONE: u32 = 3;
/// Servers tried for one question at one zone cut before giving up.
const MAX_ATTEMPTS_PER_ZONE: usize = 8;
/// RFC 9156 §2.3: at most this many minimised queries per lookup...
const MAX_MINIMISE_COUNT: u32 = 10;
/// ...of which the first few add one label at a time.
const MINIMISE_ONE_LAB: u32 = 4;

/// One name server of a zone cut, and what we know of its addresses.
#[derive(Clone, Debug)]
pub(crate) struct NsEntry {
    pub(crate) name: Name,
    pub(crate) addrs: Vec<IpAddr>,
    /// Its addresses were looked up (or it was skipped); don't try again.
    pub(crate) looked_up: bool,
}

/// A zone cut: the zone and its servers.
#[derive(Clone, Debug)]
pub(crate) struct Delegation {
    pub(crate) zone: Name,
    pub(crate) servers: Vec<NsEntry>,
    /// Addresses came from configuration (root hints), not the network, so
    /// `allow_localhost_targets` does not apply to them.
    pub(crate) configured: bool,
}

/// QNAME minimisation state for one lookup (RFC 9156 §3).
struct Qmin {
    enabled: bool,
    /// Labels of the longest name known to exist without being a cut.
    labels: u8,
    count: u32,
}

impl Qmin {
    fn new(enabled: bool, zone: &Name) -> Self {
        Self {
            enabled,
            labels: zone.num_labels(),
            count: 0,
        }
    }

    /// The next (name, type) to send.
    fn next(&mut self, name: &Name, qtype: RecordType, zone: &Name) -> (Name, RecordType) {
        let target = name.num_labels();
        let cur = self.labels.max(zone.num_labels());
        if !self.enabled || cur.saturating_add(1) >= target || self.count >= MAX_MINIMISE_COUNT {
            return (name.clone(), qtype);
        }
        self.count += 1;
        let add = if self.count <= MINIMISE_ONE_LAB {
            1
        } else {
            // Spread the remaining labels over the remaining iterations.
            let remaining = u32::from(target - cur);
            let iterations_left = MAX_MINIMISE_COUNT - self.count + 1;
            (remaining / iterations_left).max(1)
        };
        let next = u32::from(cur) + add;
        if next >= u32::from(target) {
            return (name.clone(), qtype);
        }
        let next = u8::try_from(next).unwrap_or(target);
        // RFC 9156 §2.1 allows any type; NS (as Knot Resolver) has the useful
        // property that the answer at a cut is a referral.
        (name.trim_to(usize::from(next)), RecordType::NS)
    }

    fn advance(&mut self, sname: &Name) {
        self.labels = sname.num_labels();
    }

    fn at_zone(&mut self, zone: &Name) {
        self.labels = zone.num_labels();
    }

    fn disable(&mut self) {
        self.enabled = false;
    }
}

/// Server selection. Mostly the fastest (ties at random). While servers
/// within 400 ms of it (Unbound's band) are unmeasured, half the picks go
/// to one of them, so a faster sibling is found quickly; otherwise one pick
/// in ten explores the band, so recovering servers get measured again.
fn choose_server(candidates: &[(IpAddr, ServerView)]) -> Option<IpAddr> {
    let floor = candidates.iter().map(|(_, v)| v.score).min()?;
    let band: Vec<&(IpAddr, ServerView)> = candidates
        .iter()
        .filter(|(_, v)| v.score <= floor + SELECTION_BAND)
        .collect();
    let unmeasured: Vec<IpAddr> = band
        .iter()
        .filter(|(_, v)| !v.measured)
        .map(|(ip, _)| *ip)
        .collect();
    let pool: Vec<IpAddr> = if !unmeasured.is_empty() && rand::random_bool(0.5) {
        unmeasured
    } else if rand::random_ratio(1, EXPLORE_ONE_IN) {
        band.iter().map(|(ip, _)| *ip).collect()
    } else {
        band.iter()
            .filter(|(_, v)| v.score == floor)
            .map(|(ip, _)| *ip)
            .collect()
    };
    pool.get(rand::random_range(0..pool.len().max(1))).copied()
}

fn is_local(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified()
}

/// What a lookup keeps in the RRset cache.
///
/// A client's final answer is also stored by the server, as wire bytes in
/// the answer cache that serves hits. Keeping the same records a second
/// time in the RRset cache doubled the memory per cached answer, so for the
/// client's own question the server says it keeps the answer
/// ([`QueryOpts::caller_caches_answer`]) and the final data RRset is not
/// stored here. Everything resolution itself reuses still is: referrals,
/// DS and DNSKEY sets, CNAME/DNAME steps, negative answers (for RFC 2308
/// and RFC 8198), server addresses looked up for the iterator, and Bogus
/// data (kept `bogus_ttl` so a CD=1 retry does not refetch it). The cost:
/// the same question with other DO/CD bits is a miss in both caches and
/// costs one upstream query.
///
/// [`QueryOpts::caller_caches_answer`]: crate::resolver::api::QueryOpts::caller_caches_answer
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Cache every RRset of the step.
    All,
    /// The caller caches the answer: skip a final, non-Bogus data RRset
    /// of an ordinary type.
    NotFinalData,
}

impl Inner {
    /// Looks up one (name, type): the cache first, then the network; the
    /// result is validated (unless already judged) and cached with its status.
    pub(crate) fn lookup<'a>(
        &'a self,
        ctx: &'a Ctx<'_>,
        name: &'a Name,
        qtype: RecordType,
        keep: Keep,
    ) -> BoxFuture<'a, Result<Step, ResolveError>> {
        Box::pin(async move {
            let (step, fresh) = self.fetch_step(ctx, name, qtype).await?;
            if !fresh && !step.needs_validation() {
                return Ok(step);
            }
            let step = self.validate_step(ctx, name, qtype, step).await?;
            if keep == Keep::All || !step.is_leaf_data() {
                self.store_step(&step, name, qtype, self.clock.unix_secs());
            }
            Ok(step)
        })
    }

    /// The cache's step for (name, type), or the network's, without
    /// validating anything. `true` when it came from the network.
    pub(crate) fn fetch_step<'a>(
        &'a self,
        ctx: &'a Ctx<'_>,
        name: &'a Name,
        qtype: RecordType,
    ) -> BoxFuture<'a, Result<(Step, bool), ResolveError>> {
        Box::pin(async move {
            let now = self.clock.unix_secs();
            if let Some(step) = self.cached_step(name, qtype, now) {
                ctx.trace.push(TraceEvent::CacheHit {
                    name: name.clone(),
                    qtype,
                });
                return Ok((step, false));
            }
            if let Some(step) = self.aggressive_step(name, qtype, now) {
                ctx.trace.push(TraceEvent::Note(format!(
                    "{name} {qtype}: denied by cached NSEC/NSEC3 ranges (RFC 8198)"
                )));
                return Ok((step, false));
            }
            let step = if self.config.upstream.forward_to.is_empty() {
                let deleg = self.find_delegation(name, qtype, now)?;
                self.iterate(ctx, name, qtype, deleg).await?
            } else {
                self.forward_lookup(ctx, name, qtype).await?
            };
            Ok((step, true))
        })
    }

    /// What the cache already says about (name, type), if anything.
    pub(crate) fn cached_step(&self, name: &Name, qtype: RecordType, now: u64) -> Option<Step> {
        if let Some(hit) = self.cache.get(name, qtype, Trust::Answer, now) {
            let mut sets =
                ZoneRrset::from_records(&hit.records_at(now), &hit.zone, hit.security, &hit.why);
            if sets.len() == 1 {
                let answer = sets.pop()?;
                let proofs =
                    ZoneRrset::from_records(&hit.proofs_at(now), &hit.zone, hit.security, &hit.why);
                return Some(Step::Data { answer, proofs });
            }
        }
        if qtype != RecordType::CNAME {
            if let Some(hit) = self.cache.get(name, RecordType::CNAME, Trust::Answer, now) {
                let target = hit.records.iter().find_map(|r| match &r.data {
                    RData::CNAME(c) => Some(c.0.clone()),
                    _ => None,
                })?;
                return Some(Step::Alias {
                    answer: ZoneRrset::from_records(
                        &hit.records_at(now),
                        &hit.zone,
                        hit.security,
                        &hit.why,
                    ),
                    proofs: ZoneRrset::from_records(
                        &hit.proofs_at(now),
                        &hit.zone,
                        hit.security,
                        &hit.why,
                    ),
                    target,
                });
            }
        }
        self.cache
            .get_negative(name, qtype, now)
            .map(|neg| Step::Negative {
                kind: neg.kind,
                authority: ZoneRrset::from_records(
                    &neg.authority_at(now),
                    &neg.zone,
                    neg.security,
                    &neg.why,
                ),
                zone: neg.zone.clone(),
            })
    }

    /// Caches a step's RRsets with their (now judged) status. Bogus data is
    /// kept only `dnssec.bogus_ttl` seconds (RFC 9520 §3).
    pub(crate) fn store_step(&self, step: &Step, name: &Name, qtype: RecordType, now: u64) {
        match step {
            Step::Data { answer, proofs } => {
                self.cache_zone_rrset(answer, &flatten(proofs), now);
            }
            Step::Alias { answer, .. } => {
                for set in answer {
                    // Our own CNAME synthesized from a DNAME is not cached:
                    // it is made again from the cached DNAME's lookup.
                    if !(set.set.rtype == RecordType::CNAME
                        && set.set.rrsigs.is_empty()
                        && answer.len() > 1)
                    {
                        self.cache_zone_rrset(set, &[], now);
                    }
                }
            }
            Step::Negative {
                kind,
                authority,
                zone,
            } => {
                let has_soa = authority.iter().any(|s| s.set.rtype == RecordType::SOA);
                let security = combined(authority);
                if security == Security::Secure && self.config.dnssec.aggressive_nsec {
                    self.feed_nsec_cache(zone, authority, now);
                }
                let mut ttl = authority.iter().map(|s| s.set.ttl()).min().unwrap_or(0);
                if security == Security::Bogus {
                    ttl = ttl.min(self.config.dnssec.bogus_ttl);
                }
                // RFC 2308 §5: without an SOA a negative answer is not cached.
                if has_soa && ttl > 0 {
                    self.cache.insert_negative(
                        name,
                        qtype,
                        CachedNegative {
                            kind: *kind,
                            authority: flatten(authority),
                            zone: zone.clone(),
                            security,
                            why: reason(authority, security),
                            expires_at: now + u64::from(ttl),
                        },
                    );
                }
            }
        }
    }

    /// RFC 8198: a negative answer from validated NSEC ranges, if the
    /// cache holds enough of them.
    fn aggressive_step(&self, name: &Name, qtype: RecordType, now: u64) -> Option<Step> {
        if !self.validating() || !self.config.dnssec.aggressive_nsec {
            return None;
        }
        let synthesized = self.nsec_cache.synthesize(name, qtype, now).or_else(|| {
            self.nsec_cache
                .synthesize_nsec3(name, qtype, now, &self.nsec3_limits())
        })?;
        let (kind, mut authority, ttl) = match synthesized {
            Synthesized::NxDomain { authority, ttl } => (NegativeKind::NxDomain, authority, ttl),
            Synthesized::NoData { authority, ttl } => (NegativeKind::NoData, authority, ttl),
        };
        for r in authority.iter_mut() {
            r.ttl = r.ttl.min(ttl);
        }
        let zone = authority
            .iter()
            .find(|r| r.record_type() == RecordType::SOA)
            .map(|r| r.name.clone())?;
        Some(Step::Negative {
            kind,
            authority: ZoneRrset::from_records(&authority, &zone, Security::Secure, &None),
            zone,
        })
    }

    /// Remembers the Secure NSEC ranges and SOA of a negative answer.
    fn feed_nsec_cache(&self, zone: &Name, authority: &[ZoneRrset], now: u64) {
        let ttl = authority.iter().map(|s| s.set.ttl()).min().unwrap_or(0);
        let of_type = |t: RecordType| -> Vec<Vec<Record>> {
            authority
                .iter()
                .filter(|s| s.set.rtype == t)
                .map(|s| s.set.all_records().cloned().collect())
                .collect()
        };
        if ttl == 0 {
            return;
        }
        let soa: Option<Vec<Record>> = authority
            .iter()
            .find(|s| s.set.rtype == RecordType::SOA)
            .map(|s| s.set.all_records().cloned().collect());
        let expires_at = now + u64::from(ttl);
        let nsecs = of_type(RecordType::NSEC);
        if !nsecs.is_empty() {
            self.nsec_cache
                .insert(zone, &nsecs, soa.as_deref(), expires_at);
        }
        let nsec3s = of_type(RecordType::NSEC3);
        if !nsec3s.is_empty() {
            self.nsec_cache
                .insert_nsec3(zone, &nsec3s, soa.as_deref(), expires_at);
        }
    }

    /// Caches one tagged RRset as authoritative answer data.
    fn cache_zone_rrset(&self, zs: &ZoneRrset, proofs: &[Record], now: u64) {
        if zs.set.records.is_empty() {
            return;
        }
        let mut ttl = zs.set.ttl();
        if zs.security == Security::Bogus {
            ttl = ttl.min(self.config.dnssec.bogus_ttl);
        }
        self.cache.insert(
            CachedRrset {
                records: zs.set.records.clone(),
                rrsigs: zs.set.rrsigs.clone(),
                proofs: proofs.to_vec(),
                zone: zs.zone.clone(),
                trust: Trust::Answer,
                security: zs.security,
                why: zs.why.clone(),
                expires_at: now + u64::from(ttl),
            },
            now,
        );
    }

    /// The closest enclosing zone cut we know servers for. DS records live
    /// on the parent side of a cut (RFC 4035 §3.1.4.1), so a DS lookup
    /// starts above the name.
    pub(crate) fn find_delegation(
        &self,
        name: &Name,
        qtype: RecordType,
        now: u64,
    ) -> Result<Delegation, ResolveError> {
        let start = if qtype == RecordType::DS && !name.is_root() {
            name.base_name()
        } else {
            name.clone()
        };
        for labels in (1..=start.num_labels()).rev() {
            let zone = start.trim_to(usize::from(labels));
            if let Some(ns) = self.cache.get(&zone, RecordType::NS, Trust::Referral, now) {
                let servers = ns
                    .records
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::NS(n) => Some(n.0.clone()),
                        _ => None,
                    })
                    .map(|ns_name| {
                        let addrs = self.cached_addrs(&ns_name, now);
                        NsEntry {
                            name: ns_name,
                            addrs,
                            looked_up: false,
                        }
                    })
                    .collect::<Vec<NsEntry>>();
                // A cut whose glue has expired while its NS set lives on is
                // no use if every server is inside the zone: go back to the
                // parent, which sends the referral with glue again.
                let reachable = servers
                    .iter()
                    .any(|s| !s.addrs.is_empty() || !zone.zone_of(&s.name));
                if reachable {
                    return Ok(Delegation {
                        zone,
                        servers,
                        configured: false,
                    });
                }
            }
        }
        self.root_delegation(now)
    }

    /// The root zone cut: the cached root NS set if primed, else the hints.
    fn root_delegation(&self, now: u64) -> Result<Delegation, ResolveError> {
        if let Some(ns) = self
            .cache
            .get(&Name::root(), RecordType::NS, Trust::Answer, now)
        {
            let servers: Vec<NsEntry> = ns
                .records
                .iter()
                .filter_map(|r| match &r.data {
                    RData::NS(n) => Some(n.0.clone()),
                    _ => None,
                })
                .map(|n| {
                    let mut addrs = self.cached_addrs(&n, now);
                    // Root servers named in the hints keep their configured
                    // addresses even if the glue has expired.
                    if let Some(h) = self.hints.servers.iter().find(|h| h.name == n) {
                        for a in &h.addrs {
                            if !addrs.contains(a) {
                                addrs.push(*a);
                            }
                        }
                    }
                    NsEntry {
                        name: n,
                        addrs,
                        looked_up: false,
                    }
                })
                .collect();
            if servers.iter().any(|s| !s.addrs.is_empty()) {
                return Ok(Delegation {
                    zone: Name::root(),
                    servers,
                    configured: true,
                });
            }
        }
        if self.hints.servers.is_empty() {
            return Err(ResolveError::NoHints);
        }
        Ok(Delegation {
            zone: Name::root(),
            servers: self
                .hints
                .servers
                .iter()
                .map(|h| NsEntry {
                    name: h.name.clone(),
                    addrs: h.addrs.clone(),
                    looked_up: true,
                })
                .collect(),
            configured: true,
        })
    }

    /// Cached addresses (glue or answers) of a name server.
    fn cached_addrs(&self, ns: &Name, now: u64) -> Vec<IpAddr> {
        let mut out = Vec::new();
        for rtype in [RecordType::A, RecordType::AAAA] {
            if let Some(set) = self.cache.get(ns, rtype, Trust::Glue, now) {
                out.extend(set.records.iter().filter_map(|r| match &r.data {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                    _ => None,
                }));
            }
        }
        out
    }

    /// May we send to `ip`? Address families are switched strictly; loopback
    /// targets learnt from the network are refused unless allowed (Unbound's
    /// `do-not-query-localhost`).
    fn usable_addr(&self, ip: IpAddr, configured: bool) -> bool {
        let up = &self.config.upstream;
        let family_ok = match ip {
            IpAddr::V4(_) => up.ipv4,
            IpAddr::V6(_) => up.ipv6,
        };
        family_ok && (configured || up.allow_localhost_targets || !is_local(ip))
    }

    /// Iterates from `deleg` down to the answer for (name, type).
    async fn iterate(
        &self,
        ctx: &Ctx<'_>,
        name: &Name,
        qtype: RecordType,
        mut deleg: Delegation,
    ) -> Result<Step, ResolveError> {
        let mut qmin = Qmin::new(self.config.iterator.qname_minimisation, &deleg.zone);
        ctx.trace.push(TraceEvent::Lookup {
            name: name.clone(),
            qtype,
            zone: deleg.zone.clone(),
        });
        loop {
            if self.clock.monotonic() >= ctx.deadline {
                return Err(ResolveError::Deadline(
                    self.config.upstream.query_deadline_ms,
                ));
            }
            let (sname, stype) = qmin.next(name, qtype, &deleg.zone);
            let minimised = sname != *name || stype != qtype;
            let classified = match self.ask_zone(ctx, &mut deleg, &sname, stype).await {
                Ok(c) => c,
                // RFC 9156 §2.3: servers that choke on minimised queries get
                // the full name instead.
                Err(ResolveError::NoUsableServer { .. }) if minimised => {
                    ctx.trace.push(TraceEvent::Note(
                        "minimised query failed, retrying with the full name".into(),
                    ));
                    qmin.disable();
                    continue;
                }
                Err(e) => return Err(e),
            };
            let now = self.clock.unix_secs();
            match classified {
                Classified::Referral(referral) => {
                    ctx.budget.charge(BudgetKind::Referrals, 1)?;
                    deleg = self.accept_referral(ctx, &deleg, *referral, now);
                    qmin.at_zone(&deleg.zone);
                }
                Classified::Answer {
                    answer: sets, glue, ..
                } if minimised => {
                    // An authoritative NS answer below the zone: the server
                    // also serves the child. Treat it as a zone cut.
                    match sets.into_iter().find(|s| {
                        s.rtype == RecordType::NS && s.name == sname && !s.records.is_empty()
                    }) {
                        Some(ns) => {
                            let referral = Referral {
                                child: sname.clone(),
                                ns,
                                glue,
                                ds: None,
                                proofs: Vec::new(),
                            };
                            ctx.budget.charge(BudgetKind::Referrals, 1)?;
                            deleg = self.accept_referral(ctx, &deleg, referral, now);
                            qmin.at_zone(&deleg.zone);
                        }
                        None => qmin.disable(),
                    }
                }
                Classified::Answer { answer, proofs, .. } => {
                    return self.answer_step(&deleg.zone, answer, proofs, name, qtype, now);
                }
                Classified::NoData { .. } if minimised => qmin.advance(&sname),
                Classified::NoData { authority } => {
                    return Ok(self.negative_step(NegativeKind::NoData, &deleg.zone, authority));
                }
                // RFC 8020 says nothing exists below an NXDOMAIN, but some
                // servers answer NXDOMAIN for empty non-terminals: ask the
                // full name to be sure (Unbound's relaxed mode does too).
                Classified::NxDomain { .. } if minimised => qmin.disable(),
                Classified::NxDomain { authority } => {
                    return Ok(self.negative_step(NegativeKind::NxDomain, &deleg.zone, authority));
                }
                Classified::Lame(reason) => {
                    return Err(ResolveError::NoUsableServer {
                        zone: deleg.zone.clone(),
                        last: reason,
                    })
                }
                Classified::Error(rcode) => {
                    return Err(ResolveError::NoUsableServer {
                        zone: deleg.zone.clone(),
                        last: rcode.to_string(),
                    })
                }
            }
        }
    }

    /// Asks the servers of `deleg` until one gives a usable response.
    async fn ask_zone(
        &self,
        ctx: &Ctx<'_>,
        deleg: &mut Delegation,
        sname: &Name,
        stype: RecordType,
    ) -> Result<Classified, ResolveError> {
        let mut tried: HashSet<IpAddr> = HashSet::new();
        let mut last = String::from("no server address");
        let flags = QueryFlags {
            recursion_desired: false,
            checking_disabled: false,
        };
        let mut attempts = 0;
        let mut round = 0;
        while attempts < MAX_ATTEMPTS_PER_ZONE {
            let mono = self.clock.monotonic();
            if mono >= ctx.deadline {
                return Err(ResolveError::Deadline(
                    self.config.upstream.query_deadline_ms,
                ));
            }
            let candidates: Vec<(IpAddr, ServerView)> = deleg
                .servers
                .iter()
                .flat_map(|s| s.addrs.iter().copied())
                .filter(|ip| !tried.contains(ip) && self.usable_addr(*ip, deleg.configured))
                .map(|ip| (ip, self.infra.view(ip, mono)))
                .collect();
            let best = choose_server(&candidates);
            let Some(ip) = best else {
                if self.resolve_next_ns(ctx, deleg).await? {
                    continue;
                }
                // Every address tried once: go round again (their timeouts
                // have doubled), as long as the deadline and budget allow.
                // A zone with one server must survive one lost packet.
                if round + 1 < ROUNDS_PER_ZONE && !tried.is_empty() {
                    round += 1;
                    tried.clear();
                    continue;
                }
                break;
            };
            attempts += 1;
            tried.insert(ip);
            let server = SocketAddr::new(ip, 53);
            match self
                .exchange(ctx, &deleg.zone, server, sname, stype, flags)
                .await
            {
                Ok(msg) => match classify(&msg, &deleg.zone, sname, stype, Mode::Authoritative) {
                    Classified::Lame(reason) => {
                        self.infra.record_bad_answer(ip);
                        ctx.trace.push(TraceEvent::Failure {
                            server,
                            reason: format!("lame: {reason}"),
                        });
                        last = format!("{server}: {reason}");
                    }
                    Classified::Error(rcode) => {
                        self.infra.record_bad_answer(ip);
                        last = format!("{server}: {rcode}");
                    }
                    usable => return Ok(usable),
                },
                Err(ExchangeError::Budget(b)) => return Err(b.into()),
                Err(ExchangeError::Deadline) => {
                    return Err(ResolveError::Deadline(
                        self.config.upstream.query_deadline_ms,
                    ))
                }
                Err(e) => last = format!("{server}: {e}"),
            }
        }
        Err(ResolveError::NoUsableServer {
            zone: deleg.zone.clone(),
            last,
        })
    }

    /// Resolves the addresses of one more name server of `deleg` that has
    /// none (a glueless delegation). Returns false when none is left.
    async fn resolve_next_ns(
        &self,
        ctx: &Ctx<'_>,
        deleg: &mut Delegation,
    ) -> Result<bool, ResolveError> {
        // Prefer servers outside the zone: one inside it without glue can
        // only be found through the zone itself.
        let pick = deleg
            .servers
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.looked_up)
            .min_by_key(|(_, s)| deleg.zone.zone_of(&s.name))
            .map(|(i, _)| i);
        let Some(idx) = pick else {
            return Ok(false);
        };
        let Some(entry) = deleg.servers.get_mut(idx) else {
            return Ok(false);
        };
        entry.looked_up = true;
        let ns = entry.name.clone();
        if deleg.zone.zone_of(&ns) {
            ctx.trace.push(TraceEvent::Note(format!(
                "skipping {ns}: in-zone name server without glue"
            )));
            return Ok(true);
        }
        if ctx.resolving_ns(&ns) {
            ctx.trace.push(TraceEvent::Note(format!(
                "dependency cycle: already resolving {ns}"
            )));
            return Ok(true);
        }
        // Another lookup on this branch (the other address family of the
        // name server the branch resolves) may need the same server at the
        // same time: one of them resolves it, the other takes its result.
        // A leader dropped without a result (its family lost the race in
        // `resolve_ns_addresses`) hands the job to the next claim.
        let addrs = loop {
            match ctx.claim_ns(&ns) {
                NsClaim::Lead(lead) => {
                    let result = self.lead_ns_lookup(ctx, &ns).await;
                    lead.finish(&result);
                    break result?;
                }
                NsClaim::Follow(follow) => {
                    ctx.trace.push(TraceEvent::Note(format!(
                        "glueless name server {ns}: already looked up from this branch, sharing the result"
                    )));
                    if let Some(result) = follow.result().await {
                        break result?;
                    }
                }
            }
        };
        if let Some(entry) = deleg.servers.get_mut(idx) {
            entry.addrs = addrs;
        }
        Ok(true)
    }

    /// Resolves glueless name server `ns`'s addresses on a branch of its
    /// own below `ctx`, charged to the query's budget.
    async fn lead_ns_lookup(&self, ctx: &Ctx<'_>, ns: &Name) -> NsAddrs {
        let branch = ctx.child(ns)?;
        ctx.budget.charge(BudgetKind::GluelessLookups, 1)?;
        ctx.trace.push(TraceEvent::Note(format!(
            "resolving glueless name server {ns}"
        )));
        self.resolve_ns_addresses(&branch, ns).await
    }

    /// The addresses of name server `ns`, looked up in `ctx` (the branch
    /// resolving it): its A and AAAA concurrently, as far as the address
    /// families are enabled (as Unbound fetches both target types).
    ///
    /// One family is enough to reach the server: as soon as one lookup has
    /// given addresses they are used and the other lookup is dropped. So a
    /// name server whose AAAA lookup is slow or never answered (RFC 4074
    /// describes servers that ignore AAAA queries) costs the A lookup's
    /// time, and one whose A lookup fails is still reached over IPv6, at
    /// the cost of the AAAA lookup's time instead of both in a row. A
    /// lookup that fails, or finds no address, does not fail the other; the
    /// branch fails only if neither gives an address and one ran out of
    /// budget or deadline (which end the whole client query anyway).
    async fn resolve_ns_addresses(&self, ctx: &Ctx<'_>, ns: &Name) -> NsAddrs {
        let up = &self.config.upstream;
        let lookup = |on: bool, rtype: RecordType| on.then(|| self.ns_family(ctx, ns, rtype));
        let mut lookups = [
            (RecordType::A, pin!(lookup(up.ipv4, RecordType::A)), None),
            (
                RecordType::AAAA,
                pin!(lookup(up.ipv6, RecordType::AAAA)),
                None,
            ),
        ];
        poll_fn(|cx| {
            let mut pending = false;
            for (_, lookup, result) in lookups.iter_mut() {
                let Some(running) = lookup.as_mut().as_pin_mut() else {
                    continue;
                };
                if result.is_none() {
                    match running.poll(cx) {
                        Poll::Ready(r) => *result = Some(r),
                        Poll::Pending => pending = true,
                    }
                }
            }
            let found = lookups
                .iter()
                .any(|(_, _, r)| matches!(r, Some(Ok(addrs)) if !addrs.is_empty()));
            if found || !pending {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        let mut addrs = Vec::new();
        let mut fatal = None;
        for (rtype, lookup, result) in lookups {
            match result {
                Some(Ok(found)) => addrs.extend(found),
                Some(Err(e)) => {
                    ctx.trace
                        .push(TraceEvent::Note(format!("{ns} {rtype}: {e}")));
                    if matches!(e, ResolveError::Budget(_) | ResolveError::Deadline(_)) {
                        fatal = fatal.or(Some(e));
                    }
                }
                None if lookup.is_some() => ctx.trace.push(TraceEvent::Note(format!(
                    "{ns} {rtype}: not waited for, the other address family answered first"
                ))),
                None => {}
            }
        }
        match fatal {
            Some(e) if addrs.is_empty() => Err(e),
            _ => Ok(addrs),
        }
    }

    /// The addresses of one family (`rtype` A or AAAA) of name server `ns`.
    async fn ns_family(&self, ctx: &Ctx<'_>, ns: &Name, rtype: RecordType) -> NsAddrs {
        let chain = self.resolve_chain(ctx, ns, rtype, Keep::All).await?;
        Ok(chain
            .answer_records()
            .iter()
            .filter_map(|r| match &r.data {
                RData::A(a) => Some(IpAddr::V4(a.0)),
                RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                _ => None,
            })
            .collect())
    }

    /// Caches a referral and returns the child's zone cut.
    fn accept_referral(
        &self,
        ctx: &Ctx<'_>,
        parent: &Delegation,
        r: Referral,
        now: u64,
    ) -> Delegation {
        let ns_names: Vec<Name> =
            r.ns.records
                .iter()
                .filter_map(|rec| match &rec.data {
                    RData::NS(n) => Some(n.0.clone()),
                    _ => None,
                })
                .collect();
        ctx.trace.push(TraceEvent::Referral {
            from: parent.zone.clone(),
            to: r.child.clone(),
            ns: ns_names.clone(),
        });
        self.cache_rrset(&r.ns, &parent.zone, Trust::Referral, now);
        for glue in &r.glue {
            self.cache_rrset(glue, &parent.zone, Trust::Glue, now);
        }
        if let Some(ds) = &r.ds {
            self.cache_rrset(ds, &parent.zone, Trust::Answer, now);
        }
        let servers = ns_names
            .into_iter()
            .map(|name| {
                let addrs = self.cached_addrs(&name, now);
                NsEntry {
                    name,
                    addrs,
                    looked_up: false,
                }
            })
            .collect();
        Delegation {
            zone: r.child,
            servers,
            configured: false,
        }
    }

    /// TTL policy for positive data (`cache.min_ttl` / `cache.max_ttl`).
    fn clamp_ttl(&self, ttl: u32) -> u32 {
        let c = &self.config.cache;
        ttl.max(c.min_ttl).min(c.max_ttl)
    }

    /// Stores an RRset in the iterator cache with clamped TTLs.
    fn cache_rrset(&self, set: &Rrset, zone: &Name, trust: Trust, now: u64) {
        if set.records.is_empty() {
            return;
        }
        let ttl = self.clamp_ttl(set.ttl());
        let fix = |r: &Record| {
            let mut r = r.clone();
            r.ttl = ttl;
            r
        };
        self.cache.insert(
            CachedRrset {
                records: set.records.iter().map(fix).collect(),
                rrsigs: set.rrsigs.iter().map(fix).collect(),
                proofs: Vec::new(),
                zone: zone.clone(),
                trust,
                security: Security::Indeterminate,
                why: None,
                expires_at: now + u64::from(ttl),
            },
            now,
        );
    }

    /// Extracts the step for (name, type) from an answer. Other in-zone
    /// RRsets of the answer (a chased CNAME chain) are cached unvalidated;
    /// they are validated when used.
    pub(crate) fn answer_step(
        &self,
        zone: &Name,
        sets: Vec<Rrset>,
        proofs: Vec<Rrset>,
        name: &Name,
        qtype: RecordType,
        now: u64,
    ) -> Result<Step, ResolveError> {
        let clamp = |set: &Rrset| -> ZoneRrset {
            let ttl = self.clamp_ttl(set.ttl());
            let fix = |r: &Record| {
                let mut r = r.clone();
                r.ttl = ttl;
                r
            };
            ZoneRrset::new(
                Rrset {
                    name: set.name.clone(),
                    rtype: set.rtype,
                    records: set.records.iter().map(fix).collect(),
                    rrsigs: set.rrsigs.iter().map(fix).collect(),
                },
                zone,
            )
        };
        let is_step = |s: &Rrset| {
            s.name == *name && (s.rtype == qtype || s.rtype == RecordType::CNAME)
                || (s.rtype == RecordType::DNAME && s.name.zone_of(name) && s.name != *name)
        };
        for set in sets.iter().filter(|s| !is_step(s) && !s.records.is_empty()) {
            // A CNAME synthesized by the server from a DNAME is unsigned; we
            // synthesize our own (RFC 6672 §3.4) rather than cache theirs.
            let synthesized = set.rtype == RecordType::CNAME
                && sets.iter().any(|d| {
                    d.rtype == RecordType::DNAME && d.name.zone_of(&set.name) && d.name != set.name
                });
            if !synthesized {
                self.cache_rrset(set, zone, Trust::Answer, now);
            }
        }
        if let Some(set) = sets
            .iter()
            .find(|s| s.name == *name && s.rtype == qtype && !s.records.is_empty())
        {
            return Ok(Step::Data {
                answer: clamp(set),
                proofs: proofs.iter().map(clamp).collect(),
            });
        }
        // RFC 6672 §3.4: a DNAME above the name wins over the CNAME the
        // server synthesized from it (unsigned); we synthesize our own.
        let dname = sets.iter().find(|s| {
            s.rtype == RecordType::DNAME
                && qtype != RecordType::DNAME
                && s.name.zone_of(name)
                && s.name != *name
                && !s.records.is_empty()
        });
        if let Some(dname) = dname {
            let target = dname
                .records
                .first()
                .and_then(dname_target)
                .ok_or_else(|| ResolveError::NoUsableServer {
                    zone: zone.clone(),
                    last: "unparsable DNAME".into(),
                })?;
            let new_name = dname_substitute(name, &dname.name, &target)
                .ok_or_else(|| ResolveError::DnameTooLong(name.clone()))?;
            let dname = clamp(dname);
            // RFC 6672 §3.4 (and §5.3.1 for DNSSEC): the CNAME is ours,
            // synthesized, unsigned, as trustworthy as the DNAME.
            let cname = Record::from_rdata(
                name.clone(),
                dname.set.ttl(),
                RData::CNAME(hickory_proto::rr::rdata::CNAME(new_name.clone())),
            );
            let synthesized = ZoneRrset::new(
                Rrset {
                    name: name.clone(),
                    rtype: RecordType::CNAME,
                    records: vec![cname],
                    rrsigs: Vec::new(),
                },
                zone,
            );
            return Ok(Step::Alias {
                answer: vec![dname, synthesized],
                proofs: Vec::new(),
                target: new_name,
            });
        }
        if let Some(set) = sets
            .iter()
            .find(|s| s.name == *name && s.rtype == RecordType::CNAME && !s.records.is_empty())
        {
            if let Some(target) = set.records.iter().find_map(|r| match &r.data {
                RData::CNAME(c) => Some(c.0.clone()),
                _ => None,
            }) {
                return Ok(Step::Alias {
                    answer: vec![clamp(set)],
                    proofs: proofs.iter().map(clamp).collect(),
                    target,
                });
            }
        }
        Err(ResolveError::NoUsableServer {
            zone: zone.clone(),
            last: format!("answer did not contain {name} {qtype}"),
        })
    }

    /// Builds a negative step (RFC 2308): the SOA and proofs, with TTLs
    /// capped at the negative TTL.
    pub(crate) fn negative_step(
        &self,
        kind: NegativeKind,
        zone: &Name,
        authority: Vec<Rrset>,
    ) -> Step {
        // RFC 2308 §5: negative TTL = min(SOA TTL, SOA MINIMUM).
        let soa_ttl = authority
            .iter()
            .filter(|s| s.rtype == RecordType::SOA)
            .flat_map(|s| s.records.iter())
            .find_map(|r| match &r.data {
                RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
                _ => None,
            });
        let ttl = soa_ttl
            .map(|t| t.min(self.config.cache.max_negative_ttl))
            .unwrap_or(0);
        let authority = authority
            .into_iter()
            .map(|mut set| {
                for r in set.records.iter_mut().chain(set.rrsigs.iter_mut()) {
                    r.ttl = r.ttl.min(ttl);
                }
                ZoneRrset::new(set, zone)
            })
            .collect();
        Step::Negative {
            kind,
            authority,
            zone: zone.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn qmin_adds_one_label_at_a_time_then_asks_the_full_name() {
        let name = n("a.b.c.example.com.");
        let mut q = Qmin::new(true, &Name::root());
        let zone = Name::root();
        assert_eq!(
            q.next(&name, RecordType::A, &zone),
            (n("com."), RecordType::NS)
        );
        q.advance(&n("com."));
        assert_eq!(
            q.next(&name, RecordType::A, &zone),
            (n("example.com."), RecordType::NS)
        );
        q.at_zone(&n("example.com."));
        let zone = n("example.com.");
        assert_eq!(
            q.next(&name, RecordType::A, &zone),
            (n("c.example.com."), RecordType::NS)
        );
        q.advance(&n("c.example.com."));
        assert_eq!(
            q.next(&name, RecordType::A, &zone),
            (n("b.c.example.com."), RecordType::NS)
        );
        q.advance(&n("b.c.example.com."));
        assert_eq!(
            q.next(&name, RecordType::A, &zone),
            (name.clone(), RecordType::A)
        );
    }

    #[test]
    fn qmin_is_bounded_on_very_long_names() {
        let long = (0..40).map(|i| format!("l{i}.")).collect::<String>() + "example.";
        let name = n(&long);
        let mut q = Qmin::new(true, &Name::root());
        let zone = Name::root();
        let mut sent = 0;
        loop {
            let (s, t) = q.next(&name, RecordType::A, &zone);
            if s == name {
                assert_eq!(t, RecordType::A);
                break;
            }
            q.advance(&s);
            sent += 1;
            assert!(sent <= MAX_MINIMISE_COUNT);
        }
    }

    #[test]
    fn qmin_off_asks_the_full_name() {
        let name = n("www.example.com.");
        let mut q = Qmin::new(false, &Name::root());
        assert_eq!(
            q.next(&name, RecordType::A, &Name::root()),
            (name.clone(), RecordType::A)
        );
    }
}
