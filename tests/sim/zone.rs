//! One authoritative zone and the RFC 1034 §4.3.2 lookup algorithm over it.
//!
//! The lookup covers exact matches, CNAME (chased inside the zone, as BIND
//! does), DNAME (RFC 6672 §3.1), delegations (referral with glue), NXDOMAIN
//! and NODATA (SOA in authority, RFC 2308 §3), wildcards (RFC 4592, with
//! closest-encloser semantics; empty non-terminals block them) and, for
//! DO=1 queries, the RRSIGs covering each returned RRset.
//!
//! DNSSEC denial proofs (NSEC/NSEC3) are not computed here: a zone may carry
//! a [`DenialProofs`] implementation (see `set_denial`) which is asked for
//! the extra authority records of every negative answer, wildcard answer and
//! referral when the query has DO=1.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::zonefile::{self, dname_target, ZoneParseError};

/// How many CNAME/DNAME steps one lookup follows inside a zone before it
/// stops (a loop, or a silly chain).
const MAX_CHASE: usize = 16;

/// What kind of DNSSEC proof a response needs, for [`DenialProofs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenialKind {
    /// `qname` does not exist and no wildcard matched (RFC 4035 §3.1.3.2).
    NxDomain,
    /// `qname` exists but has no `qtype` RRset (RFC 4035 §3.1.3.1).
    NoData,
    /// The answer was synthesised from `wildcard`: prove `qname` itself
    /// does not exist (RFC 4035 §3.1.3.3).
    WildcardAnswer { wildcard: Name },
    /// `wildcard` matched but has no `qtype` RRset (RFC 4035 §3.1.3.4).
    WildcardNoData { wildcard: Name },
    /// A referral to the child zone at `cut`. When `has_ds` is true the DS
    /// RRset and its RRSIGs are already in the authority section; otherwise
    /// the proof that there is no DS belongs here (RFC 4035 §3.1.4).
    Referral { cut: Name, has_ds: bool },
}

/// Extension point for signing-aware denial of existence (NSEC/NSEC3),
/// implemented in `denial_chain.rs`. Only consulted for DO=1 queries.
pub trait DenialProofs: Send + Sync {
    /// Records (NSEC/NSEC3 and their RRSIGs) to append to the authority
    /// section. `qname` is the name being looked up at that step (after any
    /// CNAME/DNAME rewriting).
    fn proofs(
        &self,
        zone: &Zone,
        qname: &Name,
        qtype: RecordType,
        kind: &DenialKind,
    ) -> Vec<Record>;
}

/// The outcome of a lookup in one zone: the sections of a response.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneAnswer {
    pub rcode: ResponseCode,
    /// AA bit: false for referrals.
    pub authoritative: bool,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    pub additionals: Vec<Record>,
}

/// One step of the lookup loop.
enum Step {
    Done,
    Chase(Name),
}

/// An authoritative zone: its origin, its records (indexed by lower-cased
/// owner), and an optional denial-proof provider.
#[derive(Clone)]
pub struct Zone {
    origin: Name,
    nodes: BTreeMap<Name, Vec<Record>>,
    denial: Option<Arc<dyn DenialProofs>>,
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Zone")
            .field("origin", &self.origin)
            .field("records", &self.nodes.values().map(Vec::len).sum::<usize>())
            .field("denial", &self.denial.is_some())
            .finish()
    }
}

impl Zone {
    /// An empty zone.
    pub fn new(origin: Name) -> Self {
        Self {
            origin: origin.to_lowercase(),
            nodes: BTreeMap::new(),
            denial: None,
        }
    }

    /// Parses presentation-format zone text (see `zonefile`). Panics with
    /// the parse error: this is test support, and a typo should fail loudly.
    pub fn parse(origin: &str, text: &str) -> Self {
        match Self::try_parse(origin, text) {
            Ok(z) => z,
            Err(e) => panic!("zone {origin}: {e}"),
        }
    }

    /// Parses presentation-format zone text.
    pub fn try_parse(origin: &str, text: &str) -> Result<Self, ZoneParseError> {
        let origin = Name::from_ascii(origin).map_err(|e| ZoneParseError {
            line: 0,
            message: format!("bad origin {origin}: {e}"),
        })?;
        let mut zone = Self::new(origin);
        for r in zonefile::parse_records(&zone.origin, text)? {
            zone.add(r);
        }
        Ok(zone)
    }

    pub fn origin(&self) -> &Name {
        &self.origin
    }

    /// Adds a record. Records outside the zone are allowed: they are never
    /// answered, but are returned as "glue" if an NS target matches, which
    /// is how a poisoning server is modelled.
    pub fn add(&mut self, record: Record) {
        self.nodes
            .entry(record.name.to_lowercase())
            .or_default()
            .push(record);
    }

    /// Adds records parsed from `text` (relative to this zone's origin).
    pub fn add_text(&mut self, text: &str) {
        let records = zonefile::parse_records(&self.origin, text)
            .unwrap_or_else(|e| panic!("zone {}: {e}", self.origin));
        for r in records {
            self.add(r);
        }
    }

    /// Removes the `rtype` RRset at `name` (and RRSIGs covering it).
    pub fn remove_rrset(&mut self, name: &Name, rtype: RecordType) {
        let key = name.to_lowercase();
        if let Some(node) = self.nodes.get_mut(&key) {
            node.retain(|r| r.record_type() != rtype && covered(r) != Some(rtype));
            if node.is_empty() {
                self.nodes.remove(&key);
            }
        }
    }

    /// Removes every record whose owner is `name`.
    pub fn remove_name(&mut self, name: &Name) {
        self.nodes.remove(&name.to_lowercase());
    }

    /// Installs the DNSSEC denial-proof provider.
    pub fn set_denial(&mut self, denial: Arc<dyn DenialProofs>) {
        self.denial = Some(denial);
    }

    /// All records, in canonical owner order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.nodes.values().flatten()
    }

    /// All owner names (lower-cased), in canonical order (RFC 4034 §6.1).
    pub fn names(&self) -> impl Iterator<Item = &Name> {
        self.nodes.keys()
    }

    /// Records at `name` (any type).
    pub fn node(&self, name: &Name) -> &[Record] {
        self.nodes
            .get(&name.to_lowercase())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The `rtype` RRset at `name` (without RRSIGs).
    pub fn rrset(&self, name: &Name, rtype: RecordType) -> Vec<Record> {
        self.node(name)
            .iter()
            .filter(|r| r.record_type() == rtype)
            .cloned()
            .collect()
    }

    /// RRSIGs at `name` covering `rtype`.
    pub fn rrsigs(&self, name: &Name, rtype: RecordType) -> Vec<Record> {
        self.node(name)
            .iter()
            .filter(|r| covered(r) == Some(rtype))
            .cloned()
            .collect()
    }

    /// The apex SOA record, if any.
    pub fn soa(&self) -> Option<Record> {
        self.rrset(&self.origin, RecordType::SOA).into_iter().next()
    }

    /// True if `name` exists in the zone: it owns records or is an empty
    /// non-terminal (RFC 4592 §2.2.2: a name with descendants exists).
    pub fn exists(&self, name: &Name) -> bool {
        // In canonical order (hickory's `Ord` for `Name`, RFC 4034 §6.1) a
        // name's descendants directly follow it, so the first key at or
        // after `name` decides. Keeps lookups O(log n) for bench-sized zones.
        let key = name.to_lowercase();
        self.nodes
            .range(key.clone()..)
            .next()
            .is_some_and(|(k, _)| key.zone_of(k))
    }

    /// True if `name` is at or below the apex.
    pub fn contains(&self, name: &Name) -> bool {
        self.origin.zone_of(name)
    }

    /// RFC 1034 §4.3.2 steps 3 and 4 for `qname`/`qtype` (which must be in
    /// this zone). `dnssec_ok` adds RRSIGs and denial proofs.
    pub fn lookup(&self, qname: &Name, qtype: RecordType, dnssec_ok: bool) -> ZoneAnswer {
        let mut ans = ZoneAnswer {
            rcode: ResponseCode::NoError,
            authoritative: true,
            answers: Vec::new(),
            authorities: Vec::new(),
            additionals: Vec::new(),
        };
        let mut name = qname.clone();
        let mut seen: HashSet<Name> = HashSet::new();
        for _ in 0..MAX_CHASE {
            if !seen.insert(name.to_lowercase()) {
                break; // CNAME loop: the resolver sees the chain and detects it.
            }
            match self.step(&name, qtype, dnssec_ok, &mut ans) {
                Step::Done => break,
                // RFC 1034 §4.3.2 step 3a: restart only if the target is here.
                Step::Chase(target) if self.contains(&target) => name = target,
                Step::Chase(_) => break,
            }
        }
        ans
    }

    fn step(&self, name: &Name, qtype: RecordType, dnssec_ok: bool, ans: &mut ZoneAnswer) -> Step {
        let chasing = !ans.answers.is_empty();
        let apex_labels = self.origin.num_labels();
        let labels = name.num_labels();
        // Step 3b/3c: walk down from the apex looking for a cut or a DNAME.
        for k in apex_labels.saturating_add(1)..=labels {
            let n = name.trim_to(usize::from(k));
            let node = self.node(&n);
            let at_qname = k == labels;
            let has_ns = node.iter().any(|r| r.record_type() == RecordType::NS);
            // RFC 4035 §3.1.4.1: DS at a cut is answered by the parent.
            if has_ns && !(at_qname && qtype == RecordType::DS) {
                if !chasing {
                    self.referral(&n, name, qtype, dnssec_ok, ans);
                }
                return Step::Done;
            }
            if !at_qname {
                if let Some(dname) = node.iter().find(|r| r.record_type() == RecordType::DNAME) {
                    return self.dname(dname, name, dnssec_ok, ans);
                }
            }
        }
        let node = self.node(name);
        if !node.is_empty() {
            return self.answer_from(name, name, qtype, dnssec_ok, ans, None);
        }
        if self.exists(name) {
            // Empty non-terminal: NODATA.
            self.negative(name, qtype, dnssec_ok, DenialKind::NoData, ans);
            return Step::Done;
        }
        // RFC 4592 §3.3.1: the closest encloser is the deepest existing
        // ancestor; only `*.<closest encloser>` can match.
        let mut ce = name.base_name();
        while !self.exists(&ce) && ce.num_labels() > apex_labels {
            ce = ce.base_name();
        }
        if let Ok(wild) = ce.prepend_label("*") {
            if !self.node(&wild).is_empty() {
                return self.answer_from(&wild, name, qtype, dnssec_ok, ans, Some(wild.clone()));
            }
        }
        self.negative(name, qtype, dnssec_ok, DenialKind::NxDomain, ans);
        Step::Done
    }

    /// Answers from the node `source` (the name itself, or a wildcard) for
    /// `name`, rewriting owners for wildcard synthesis (RFC 4592 §3.3.1).
    fn answer_from(
        &self,
        source: &Name,
        name: &Name,
        qtype: RecordType,
        dnssec_ok: bool,
        ans: &mut ZoneAnswer,
        wildcard: Option<Name>,
    ) -> Step {
        let rename = |mut r: Record| {
            r.name = name.clone();
            r
        };
        let node = self.node(source);
        let wanted: Vec<Record> = if qtype == RecordType::ANY {
            node.iter()
                .filter(|r| dnssec_ok || !is_dnssec_type(r.record_type()))
                .cloned()
                .collect()
        } else {
            node.iter()
                .filter(|r| r.record_type() == qtype)
                .cloned()
                .collect()
        };
        let (records, next) = if !wanted.is_empty() {
            (wanted, Step::Done)
        } else if let Some(cname) = node
            .iter()
            .find(|r| r.record_type() == RecordType::CNAME)
            .filter(|_| qtype != RecordType::CNAME)
        {
            let target = match &cname.data {
                RData::CNAME(c) => c.0.clone(),
                _ => return Step::Done,
            };
            (vec![cname.clone()], Step::Chase(target))
        } else {
            let kind = match wildcard {
                Some(w) => DenialKind::WildcardNoData { wildcard: w },
                None => DenialKind::NoData,
            };
            self.negative(name, qtype, dnssec_ok, kind, ans);
            return Step::Done;
        };
        let rtype = records.first().map(Record::record_type);
        // RFC 1034 §4.3.2 step 6: addresses of NS/MX/SRV targets known here
        // (priming, RFC 8109 §4.2, relies on this for the root NS query).
        for r in &records {
            let target = match &r.data {
                RData::NS(ns) => Some(ns.0.clone()),
                RData::MX(mx) => Some(mx.exchange.clone()),
                RData::SRV(srv) => Some(srv.target.clone()),
                _ => None,
            };
            if let Some(t) = target {
                self.add_addresses(&t, ans);
            }
        }
        let mut types: Vec<RecordType> = records.iter().map(Record::record_type).collect();
        types.dedup();
        ans.answers.extend(records.into_iter().map(rename));
        if dnssec_ok && rtype != Some(RecordType::RRSIG) {
            for t in types {
                ans.answers
                    .extend(self.rrsigs(source, t).into_iter().map(rename));
            }
            if let Some(w) = wildcard {
                let kind = DenialKind::WildcardAnswer { wildcard: w };
                self.add_proofs(name, qtype, &kind, ans);
            }
        }
        next
    }

    /// RFC 6672 §3.1: the DNAME RRset plus a synthesised CNAME.
    fn dname(&self, dname: &Record, name: &Name, dnssec_ok: bool, ans: &mut ZoneAnswer) -> Step {
        // Only reached for names strictly below the owner: a query at the
        // owner itself is an ordinary lookup (RFC 6672 §2.3).
        let owner = dname.name.clone();
        ans.answers.push(dname.clone());
        if dnssec_ok {
            ans.answers.extend(self.rrsigs(&owner, RecordType::DNAME));
        }
        let Some(target) = dname_target(&dname.data) else {
            return Step::Done;
        };
        let keep = usize::from(name.num_labels().saturating_sub(owner.num_labels()));
        let prefix: Vec<Vec<u8>> = name.iter().take(keep).map(<[u8]>::to_vec).collect();
        let synthesized = Name::from_labels(prefix).and_then(|p| p.append_domain(&target));
        match synthesized {
            Ok(new_name) => {
                let cname = hickory_proto::rr::rdata::CNAME(new_name.clone());
                // RFC 6672 §3.1: the synthesised CNAME has the DNAME's TTL.
                ans.answers.push(Record::from_rdata(
                    name.clone(),
                    dname.ttl,
                    RData::CNAME(cname),
                ));
                Step::Chase(new_name)
            }
            Err(_) => {
                // RFC 6672 §2.2: the result would be too long.
                ans.rcode = ResponseCode::YXDomain;
                Step::Done
            }
        }
    }

    /// RFC 1034 §4.3.2 step 3b: NS in authority, glue in additional, AA=0.
    fn referral(
        &self,
        cut: &Name,
        qname: &Name,
        qtype: RecordType,
        dnssec_ok: bool,
        ans: &mut ZoneAnswer,
    ) {
        ans.authoritative = false;
        let ns = self.rrset(cut, RecordType::NS);
        for r in &ns {
            if let RData::NS(target) = &r.data {
                self.add_addresses(&target.0, ans);
            }
        }
        ans.authorities.extend(ns);
        if dnssec_ok {
            let ds = self.rrset(cut, RecordType::DS);
            let has_ds = !ds.is_empty();
            ans.authorities.extend(ds);
            if has_ds {
                ans.authorities.extend(self.rrsigs(cut, RecordType::DS));
            }
            let kind = DenialKind::Referral {
                cut: cut.clone(),
                has_ds,
            };
            self.add_proofs(qname, qtype, &kind, ans);
        }
    }

    /// RFC 2308 §3: SOA in authority with TTL min(SOA TTL, SOA MINIMUM).
    fn negative(
        &self,
        name: &Name,
        qtype: RecordType,
        dnssec_ok: bool,
        kind: DenialKind,
        ans: &mut ZoneAnswer,
    ) {
        if kind == DenialKind::NxDomain {
            ans.rcode = ResponseCode::NXDomain;
        }
        if let Some(mut soa) = self.soa() {
            let ttl = match &soa.data {
                RData::SOA(s) => soa.ttl.min(s.minimum),
                _ => soa.ttl,
            };
            soa.ttl = ttl;
            ans.authorities.push(soa);
            if dnssec_ok {
                for mut sig in self.rrsigs(&self.origin, RecordType::SOA) {
                    sig.ttl = ttl;
                    ans.authorities.push(sig);
                }
            }
        }
        if dnssec_ok {
            self.add_proofs(name, qtype, &kind, ans);
        }
    }

    /// Adds A/AAAA records owned by `target` (glue included, and records
    /// outside the zone: that is how a poisoning server is modelled).
    fn add_addresses(&self, target: &Name, ans: &mut ZoneAnswer) {
        for t in [RecordType::A, RecordType::AAAA] {
            for g in self.rrset(target, t) {
                if !ans.additionals.contains(&g) {
                    ans.additionals.push(g);
                }
            }
        }
    }

    fn add_proofs(&self, name: &Name, qtype: RecordType, kind: &DenialKind, ans: &mut ZoneAnswer) {
        if let Some(d) = &self.denial {
            for r in d.proofs(self, name, qtype, kind) {
                if !ans.authorities.contains(&r) {
                    ans.authorities.push(r);
                }
            }
        }
    }
}

/// The type an RRSIG record covers.
pub fn covered(r: &Record) -> Option<RecordType> {
    match &r.data {
        RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::RRSIG(sig)) => {
            Some(sig.input().type_covered)
        }
        _ => None,
    }
}

fn is_dnssec_type(t: RecordType) -> bool {
    matches!(
        t,
        RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3 | RecordType::NSEC3PARAM
    )
}
