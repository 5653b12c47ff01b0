//! Test support: the authoritative side of authenticated denial of existence
//! for the simulated world.
//!
//! [`DenialChain::nsec`] and [`DenialChain::nsec3`] build a zone's NSEC or
//! NSEC3 chain from its (unsigned) records, and [`DenialChain::proof`]
//! picks the records an authoritative server puts in the authority section
//! of a negative or wildcard answer (RFC 4035 §3.1.3, RFC 5155 §7.2). The
//! records are returned unsigned; signing them is the signer's job.
//!
//! Zone content rules (RFC 4035 §2.3, RFC 5155 §7.1):
//! - names at or below a delegation point (NS not at the apex) other than
//!   the delegation point itself are glue or occluded: no NSEC/NSEC3;
//!   likewise names below a DNAME (RFC 6672 §2.3);
//! - a delegation point's bitmap lists only NS and, if present, DS;
//! - with NSEC3, empty non-terminals get an NSEC3 with an empty bitmap,
//!   and with opt-out, unsigned delegations (NS without DS) get no NSEC3,
//!   nor do empty non-terminals that exist only because of them.
//!
//! Canonical name order is implemented here independently of the
//! validator's (a key of reversed, lowercased labels), so that round-trip
//! tests compare two implementations.

use std::collections::{BTreeMap, BTreeSet};

use anchord::dnssec::nsec3_hash::{base32hex_encode, nsec3_hash_uncharged};
use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC, NSEC3, NSEC3PARAM};
use hickory_proto::dnssec::Nsec3HashAlgorithm;
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// RFC 4034 §6.1 canonical order key: labels from the right, lowercased,
/// compared as octet strings (a shorter label or name sorts first).
fn key(name: &Name) -> Vec<Vec<u8>> {
    name.iter().rev().map(|l| l.to_ascii_lowercase()).collect()
}

/// True if `name` is strictly below `ancestor`.
fn below(name: &Name, ancestor: &Name) -> bool {
    let (n, a) = (key(name), key(ancestor));
    n.len() > a.len() && n.starts_with(&a)
}

/// NSEC3 chain parameters (RFC 5155 §3, §6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nsec3Config {
    pub salt: Vec<u8>,
    pub iterations: u16,
    pub opt_out: bool,
}

impl Default for Nsec3Config {
    /// RFC 9276 §3.1: no salt, no extra iterations, no opt-out.
    fn default() -> Self {
        Self {
            salt: Vec::new(),
            iterations: 0,
            opt_out: false,
        }
    }
}

/// The kind of answer the zone gives, for which proof records are wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenialKind {
    /// Name error (RFC 4035 §3.1.3.2, RFC 5155 §7.2.2).
    NxDomain,
    /// No data, including empty non-terminals and DS at a delegation
    /// (RFC 4035 §3.1.3.1, RFC 5155 §7.2.3, §7.2.4).
    NoData,
    /// A positive answer synthesised from a wildcard (RFC 4035 §3.1.3.3,
    /// RFC 5155 §7.2.6).
    WildcardAnswer,
    /// The matching wildcard lacks the type (RFC 4035 §3.1.3.4,
    /// RFC 5155 §7.2.5).
    WildcardNoData,
    /// Referral to an unsigned child zone at or above the query name
    /// (RFC 4035 §3.1.4, RFC 5155 §7.2.7).
    UnsignedReferral,
}

/// One denial record of the chain with what the proof selection needs.
#[derive(Clone, Debug)]
struct Link {
    /// NSEC3: the owner hash (empty for NSEC, ordered by owner name).
    order: Vec<u8>,
    record: Record,
}

/// A zone's NSEC or NSEC3 chain and proof selection.
#[derive(Clone, Debug)]
pub struct DenialChain {
    apex: Name,
    /// `Some` for an NSEC3 chain.
    nsec3: Option<Nsec3Config>,
    /// Authoritative names (apex, delegation points, data) and their types.
    names: BTreeMap<Vec<Vec<u8>>, (Name, BTreeSet<RecordType>)>,
    /// Names that exist: authoritative names and their ancestors within the
    /// zone (empty non-terminals).
    existing: BTreeSet<Vec<Vec<u8>>>,
    /// Names that have a denial record (the NSEC or NSEC3 "owner" names
    /// before hashing), as canonical keys.
    chained: BTreeSet<Vec<Vec<u8>>>,
    /// The chain in order (canonical or hash order).
    links: Vec<Link>,
}

impl DenialChain {
    /// Builds the NSEC chain (RFC 4035 §2.3) of `apex` from `records`.
    /// DNSKEY and other apex records are listed only if present.
    pub fn nsec(apex: &Name, records: &[Record], ttl: u32) -> Self {
        let mut chain = Self::analyse(apex, records, None);
        let names: Vec<(Name, BTreeSet<RecordType>)> = chain.names.values().cloned().collect();
        chain.chained = chain.names.keys().cloned().collect();
        for (i, (owner, types)) in names.iter().enumerate() {
            // RFC 4034 §4.1.1: the last NSEC's next name is the apex.
            let next = names.get(i + 1).map_or(apex, |(n, _)| n).clone();
            let bitmap = types
                .iter()
                .copied()
                .chain([RecordType::RRSIG, RecordType::NSEC]);
            let rdata = NSEC::new(next, bitmap);
            chain.links.push(Link {
                order: Vec::new(),
                record: Record::from_rdata(
                    owner.clone(),
                    ttl,
                    RData::DNSSEC(DNSSECRData::NSEC(rdata)),
                ),
            });
        }
        chain
    }

    /// Builds the NSEC3 chain (RFC 5155 §7.1) of `apex` from `records`.
    /// The apex bitmap gets NSEC3PARAM.
    pub fn nsec3(apex: &Name, records: &[Record], config: &Nsec3Config, ttl: u32) -> Self {
        let mut chain = Self::analyse(apex, records, Some(config.clone()));
        // Names with their own NSEC3: all authoritative names except, with
        // opt-out, unsigned delegations.
        let mut hashed: BTreeMap<Vec<Vec<u8>>, (Name, BTreeSet<RecordType>)> = chain
            .names
            .iter()
            .filter(|(_, (name, types))| {
                let unsigned_delegation = name != apex
                    && types.contains(&RecordType::NS)
                    && !types.contains(&RecordType::DS);
                !(config.opt_out && unsigned_delegation)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // Empty non-terminals between those names and the apex.
        let ents: Vec<Name> = hashed
            .values()
            .flat_map(|(name, _)| ancestors_below(name, apex))
            .collect();
        for ent in ents {
            hashed
                .entry(key(&ent))
                .or_insert_with(|| (ent.clone(), BTreeSet::new()));
        }
        chain.chained = hashed.keys().cloned().collect();
        let mut links: Vec<(Vec<u8>, BTreeSet<RecordType>)> = hashed
            .values()
            .map(|(name, types)| {
                let mut types = types.clone();
                if key(name) == key(apex) {
                    types.insert(RecordType::NSEC3PARAM);
                }
                // RRSIG exists wherever an authoritative RRset is signed:
                // everywhere except bare NS at a delegation and ENTs.
                let delegation = key(name) != key(apex) && types.contains(&RecordType::NS);
                if types.iter().any(|t| !delegation || *t != RecordType::NS) {
                    types.insert(RecordType::RRSIG);
                }
                (hash(name, config), types)
            })
            .collect();
        links.sort_by(|a, b| a.0.cmp(&b.0));
        for i in 0..links.len() {
            let next = links[(i + 1) % links.len()].0.clone();
            let (h, types) = &links[i];
            let owner = apex
                .prepend_label(base32hex_encode(h).as_str())
                .expect("hashed owner name fits");
            let rdata = NSEC3::new(
                Nsec3HashAlgorithm::SHA1,
                config.opt_out,
                config.iterations,
                config.salt.clone(),
                next,
                types.iter().copied(),
            );
            chain.links.push(Link {
                order: h.clone(),
                record: Record::from_rdata(owner, ttl, RData::DNSSEC(DNSSECRData::NSEC3(rdata))),
            });
        }
        chain
    }

    /// Sorts the zone's records into authoritative names and types.
    fn analyse(apex: &Name, records: &[Record], nsec3: Option<Nsec3Config>) -> Self {
        let mut all: BTreeMap<Vec<Vec<u8>>, (Name, BTreeSet<RecordType>)> = BTreeMap::new();
        for r in records {
            let t = r.record_type();
            if matches!(t, RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3) {
                continue;
            }
            if !(key(&r.name) == key(apex) || below(&r.name, apex)) {
                continue;
            }
            all.entry(key(&r.name))
                .or_insert_with(|| (r.name.clone(), BTreeSet::new()))
                .1
                .insert(t);
        }
        // Zone cuts and DNAMEs hide everything below them.
        let cuts: Vec<Name> = all
            .values()
            .filter(|(name, types)| {
                key(name) != key(apex)
                    && (types.contains(&RecordType::NS) || types.contains(&RecordType::DNAME))
            })
            .map(|(name, _)| name.clone())
            .collect();
        let mut names = BTreeMap::new();
        for (k, (name, types)) in all {
            if cuts.iter().any(|c| below(&name, c)) {
                continue;
            }
            let delegation = key(&name) != key(apex) && types.contains(&RecordType::NS);
            let types: BTreeSet<RecordType> = if delegation {
                // RFC 4035 §2.3: only NS and DS are authoritative here.
                types
                    .into_iter()
                    .filter(|t| matches!(t, RecordType::NS | RecordType::DS))
                    .collect()
            } else {
                types
            };
            names.insert(k, (name, types));
        }
        let mut existing: BTreeSet<Vec<Vec<u8>>> = names.keys().cloned().collect();
        for (name, _) in names.values() {
            existing.extend(ancestors_below(name, apex).iter().map(key));
        }
        Self {
            apex: apex.clone(),
            nsec3,
            names,
            existing,
            chained: BTreeSet::new(),
            links: Vec::new(),
        }
    }

    /// The apex NSEC3PARAM record announced in the apex bitmap of an NSEC3
    /// chain (flags 0: RFC 5155 §4.1.2 keeps opt-out out of it).
    pub fn nsec3param(&self, ttl: u32) -> Option<Record> {
        let config = self.nsec3.as_ref()?;
        let rdata = NSEC3PARAM::new(
            Nsec3HashAlgorithm::SHA1,
            false,
            config.iterations,
            config.salt.clone(),
        );
        Some(Record::from_rdata(
            self.apex.clone(),
            ttl,
            RData::DNSSEC(DNSSECRData::NSEC3PARAM(rdata)),
        ))
    }

    /// True for an NSEC3 chain.
    pub fn is_nsec3(&self) -> bool {
        self.nsec3.is_some()
    }

    /// The zone apex.
    pub fn apex(&self) -> &Name {
        &self.apex
    }

    /// The whole chain, in chain order.
    pub fn records(&self) -> Vec<Record> {
        self.links.iter().map(|l| l.record.clone()).collect()
    }

    /// The denial record whose (unhashed) owner is `name`, if any.
    pub fn record_for(&self, name: &Name) -> Option<Record> {
        match &self.nsec3 {
            None => self
                .links
                .iter()
                .find(|l| key(&l.record.name) == key(name))
                .map(|l| l.record.clone()),
            Some(config) => {
                let h = hash(name, config);
                self.links
                    .iter()
                    .find(|l| l.order == h)
                    .map(|l| l.record.clone())
            }
        }
    }

    /// The denial record covering `name` (strictly between owner and next
    /// in chain order, the last record wrapping to the first).
    pub fn cover_for(&self, name: &Name) -> Option<Record> {
        match &self.nsec3 {
            None => {
                let k = key(name);
                if self.links.iter().any(|l| key(&l.record.name) == k) {
                    return None;
                }
                // The last NSEC whose owner sorts before the name (for
                // names after the last owner, the wrap-around NSEC).
                self.links
                    .iter()
                    .rev()
                    .find(|l| key(&l.record.name) < k)
                    .map(|l| l.record.clone())
            }
            Some(config) => {
                let h = hash(name, config);
                if self.links.iter().any(|l| l.order == h) {
                    return None;
                }
                // The last NSEC3 whose hash is below, or the wrap-around.
                self.links
                    .iter()
                    .rev()
                    .find(|l| l.order < h)
                    .or(self.links.last())
                    .map(|l| l.record.clone())
            }
        }
    }

    /// The closest encloser of `qname` (RFC 5155 §1.3 "closest provable
    /// encloser" for NSEC3): its longest proper ancestor that exists and,
    /// with NSEC3, has its own NSEC3.
    pub fn closest_encloser(&self, qname: &Name) -> Name {
        let proven = |n: &Name| match self.nsec3 {
            None => self.existing.contains(&key(n)),
            Some(_) => self.chained.contains(&key(n)),
        };
        let labels = qname.iter().count();
        (0..labels)
            .rev()
            .map(|depth| qname.trim_to(depth))
            .find(|n| proven(n))
            .unwrap_or_else(|| self.apex.clone())
    }

    /// The delegation point at or above `qname`, if any.
    pub fn delegation_for(&self, qname: &Name) -> Option<Name> {
        self.names
            .values()
            .filter(|(name, types)| {
                key(name) != key(&self.apex)
                    && types.contains(&RecordType::NS)
                    && (key(name) == key(qname) || below(qname, name))
            })
            .map(|(name, _)| name.clone())
            .next()
    }

    /// The authority-section denial records for a `kind` answer to
    /// (`qname`, `qtype`), without duplicates.
    /// The selection depends on the query type only through `kind` (a DS
    /// query at an opt-out delegation is a no-data answer proven like an
    /// omitted empty non-terminal), so `_qtype` is informational.
    pub fn proof(&self, qname: &Name, _qtype: RecordType, kind: DenialKind) -> Vec<Record> {
        let mut out: Vec<Record> = Vec::new();
        let mut add = |r: Option<Record>| {
            if let Some(r) = r {
                if !out.iter().any(|o| o.name == r.name) {
                    out.push(r);
                }
            }
        };
        let ce = self.closest_encloser(qname);
        let wildcard = ce.prepend_label("*").expect("wildcard name fits");
        let next_closer = qname.trim_to(ce.iter().count() + 1);
        match (&self.nsec3, kind) {
            (None, DenialKind::NxDomain) => {
                add(self.cover_for(qname));
                add(self.cover_for(&wildcard));
            }
            (None, DenialKind::NoData) => {
                // At the name, or for an empty non-terminal the NSEC
                // before it (RFC 4035 §3.1.3.2 last paragraph).
                add(self.record_for(qname).or_else(|| self.cover_for(qname)));
            }
            (None, DenialKind::WildcardAnswer) => add(self.cover_for(qname)),
            (None, DenialKind::WildcardNoData) => {
                add(self.cover_for(qname));
                add(self.record_for(&wildcard));
            }
            (None, DenialKind::UnsignedReferral) => {
                add(self.delegation_for(qname).and_then(|d| self.record_for(&d)));
            }
            (Some(_), DenialKind::NxDomain) => {
                add(self.record_for(&ce));
                add(self.cover_for(&next_closer));
                add(self.cover_for(&wildcard));
            }
            (Some(_), DenialKind::NoData) => match self.record_for(qname) {
                Some(r) => add(Some(r)),
                // RFC 5155 §7.2.4: DS at an opt-out delegation without its
                // own NSEC3 (or an ENT omitted above opt-out delegations):
                // the closest provable encloser proof.
                None => {
                    add(self.record_for(&ce));
                    add(self.cover_for(&next_closer));
                }
            },
            (Some(_), DenialKind::WildcardAnswer) => add(self.cover_for(&next_closer)),
            (Some(_), DenialKind::WildcardNoData) => {
                add(self.record_for(&ce));
                add(self.cover_for(&next_closer));
                add(self.record_for(&wildcard));
            }
            (Some(_), DenialKind::UnsignedReferral) => {
                if let Some(d) = self.delegation_for(qname) {
                    match self.record_for(&d) {
                        Some(r) => add(Some(r)),
                        None => {
                            // RFC 5155 §7.2.7: opt-out, closest provable
                            // encloser proof for the delegation name.
                            let ce = self.closest_encloser(&d);
                            add(self.record_for(&ce));
                            add(self.cover_for(&d.trim_to(ce.iter().count() + 1)));
                        }
                    }
                }
            }
        }
        out
    }
}

/// The hash of `name` with the chain's parameters.
fn hash(name: &Name, config: &Nsec3Config) -> Vec<u8> {
    nsec3_hash_uncharged(name, &config.salt, config.iterations)
}

/// The proper ancestors of `name` strictly below `apex`.
fn ancestors_below(name: &Name, apex: &Name) -> Vec<Name> {
    let apex_labels = apex.iter().count();
    let labels = name.iter().count();
    (apex_labels + 1..labels).map(|d| name.trim_to(d)).collect()
}
