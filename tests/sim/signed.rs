//! Glue between the simulated zones and the DNSSEC test helpers: signs a
//! [`Zone`] in place (DNSKEY, RRSIGs, NSEC or NSEC3 chain) and installs a
//! [`DenialProofs`] provider that serves the chain's proofs with their
//! RRSIGs. The chain itself is `denial_chain`'s, the signatures `signer`'s.
//!
//! NSEC records live in the zone like real data (they answer NSEC/ANY
//! queries); NSEC3 records are kept only in the provider, because their
//! hashed owner names must not take part in name lookup (RFC 5155 §7.2.8).

use std::collections::HashMap;
use std::sync::Arc;

use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::denial_chain::{self, DenialChain, Nsec3Config};
use super::signer::{sign_zone, TestKey, Validity};
use super::zone::{covered, DenialKind, DenialProofs, Zone};

/// Which denial-of-existence chain a signed zone gets.
#[derive(Clone, Debug)]
pub enum Denial {
    Nsec,
    Nsec3(Nsec3Config),
}

/// Serves a signed chain's proof records plus their RRSIGs.
pub struct SignedDenial {
    chain: DenialChain,
    /// RRSIGs over NSEC/NSEC3 records, by lower-cased owner.
    sigs: HashMap<Name, Vec<Record>>,
}

impl DenialProofs for SignedDenial {
    fn proofs(&self, _: &Zone, qname: &Name, qtype: RecordType, kind: &DenialKind) -> Vec<Record> {
        let kind = match kind {
            DenialKind::NxDomain => denial_chain::DenialKind::NxDomain,
            DenialKind::NoData => denial_chain::DenialKind::NoData,
            DenialKind::WildcardAnswer { .. } => denial_chain::DenialKind::WildcardAnswer,
            DenialKind::WildcardNoData { .. } => denial_chain::DenialKind::WildcardNoData,
            DenialKind::Referral { has_ds: false, .. } => {
                denial_chain::DenialKind::UnsignedReferral
            }
            // The signed DS RRset is the proof (RFC 4035 §3.1.4).
            DenialKind::Referral { has_ds: true, .. } => return Vec::new(),
        };
        let mut out = Vec::new();
        for r in self.chain.proof(qname, qtype, kind) {
            let sigs = self.sigs.get(&r.name.to_lowercase()).cloned();
            out.push(r);
            out.extend(sigs.unwrap_or_default());
        }
        out
    }
}

/// Signs `zone` with `keys` (KSKs sign the DNSKEY RRset, ZSKs the rest; see
/// `signer::sign_zone`), builds its `denial` chain with the SOA minimum as
/// TTL (RFC 4034 §4, RFC 5155 §3), and installs the proof provider.
/// Existing RRSIG/NSEC/NSEC3 records are dropped first. DS records for
/// children must already be in `zone`.
pub fn sign_in_place(zone: &mut Zone, keys: &[&TestKey], validity: Validity, denial: Denial) {
    let apex = zone.origin().clone();
    let records: Vec<Record> = zone
        .records()
        .filter(|r| {
            !matches!(
                r.record_type(),
                RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3 | RecordType::NSEC3PARAM
            ) && zone.contains(&r.name)
        })
        .cloned()
        .collect();
    let out_of_zone: Vec<Record> = zone
        .records()
        .filter(|r| !zone.contains(&r.name))
        .cloned()
        .collect();
    let ttl = match zone.soa().map(|s| s.data) {
        Some(RData::SOA(soa)) => soa.minimum,
        _ => 3_600,
    };
    // The chain's apex bitmap must list DNSKEY (and NSEC3PARAM).
    let mut with_keys = records.clone();
    with_keys.extend(keys.iter().map(|k| k.dnskey_record(&apex, 3_600)));
    let chain = match &denial {
        Denial::Nsec => DenialChain::nsec(&apex, &with_keys, ttl),
        Denial::Nsec3(cfg) => DenialChain::nsec3(&apex, &with_keys, cfg, ttl),
    };
    let mut to_sign = records;
    to_sign.extend(chain.records());
    to_sign.extend(chain.nsec3param(ttl));
    let signed = sign_zone(&apex, &to_sign, keys, validity);

    let mut sigs: HashMap<Name, Vec<Record>> = HashMap::new();
    let mut fresh = Zone::new(apex);
    for r in signed {
        let rtype = r.record_type();
        let cov = covered(&r);
        if matches!(cov, Some(RecordType::NSEC) | Some(RecordType::NSEC3)) {
            sigs.entry(r.name.to_lowercase())
                .or_default()
                .push(r.clone());
        }
        let nsec3_data = rtype == RecordType::NSEC3 || cov == Some(RecordType::NSEC3);
        if !nsec3_data {
            fresh.add(r);
        }
    }
    for r in out_of_zone {
        fresh.add(r);
    }
    fresh.set_denial(Arc::new(SignedDenial { chain, sigs }));
    *zone = fresh;
}
