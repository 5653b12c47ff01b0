//! Validating one RRset against a zone's keys, within bounded work.
//!
//! KeyTrap (CVE-2023-50387) showed that trying every RRSIG against every
//! key with a colliding key tag is quadratic work an attacker controls. So:
//! at most [`MAX_RRSIGS_TRIED`] signatures per RRset, at most
//! [`MAX_KEYS_PER_TAG`] keys per key tag, and every verification is charged
//! to the query's crypto budget *before* it runs, weighted by the
//! algorithm's measured cost (`algorithm::verify_cost`).

use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, RRSIG};
use hickory_proto::rr::{Name, RData, Record};

use super::algorithm;
use super::rrsig;
use super::state::{EdeCode, ExtendedError};
use crate::resolver::budget::{Budget, BudgetKind};
use crate::resolver::rrset::Rrset;

/// Signatures tried per RRset (Unbound and BIND use similar caps since
/// KeyTrap).
pub const MAX_RRSIGS_TRIED: usize = 8;
/// Keys with one key tag tried per signature.
pub const MAX_KEYS_PER_TAG: usize = 4;

/// Why an RRset did not validate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub code: EdeCode,
    pub reason: String,
}

impl Failure {
    fn new(code: EdeCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// The EDE for a client, with what was being validated.
    pub fn ede(&self, what: &str) -> ExtendedError {
        ExtendedError::new(self.code, format!("{what}: {}", self.reason))
    }

    /// Ranks failures so the most telling one is reported: an expired
    /// signature says more than "no key matched".
    fn rank(&self) -> u8 {
        match self.code {
            EdeCode::SignatureExpired | EdeCode::SignatureNotYetValid => 3,
            EdeCode::DnssecBogus => 2,
            EdeCode::DnskeyMissing => 1,
            _ => 0,
        }
    }
}

/// The RRSIG RDATA of a record, if it is one.
pub fn as_rrsig(record: &Record) -> Option<&RRSIG> {
    match &record.data {
        RData::DNSSEC(DNSSECRData::RRSIG(sig)) => Some(sig),
        _ => None,
    }
}

/// The DNSKEY RDATA of a record, if it is one.
pub fn as_dnskey(record: &Record) -> Option<&DNSKEY> {
    match &record.data {
        RData::DNSSEC(DNSSECRData::DNSKEY(key)) => Some(key),
        _ => None,
    }
}

/// What validated an RRset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// RFC 4035 §5.3.3: min of the TTL, the original TTL and the time to
    /// the signature's expiration.
    pub ttl_bound: u32,
    /// The key that signed it.
    pub key_tag: u16,
    pub algorithm: u8,
}

/// Validates `set` as data of `zone` signed by one of `keys`.
pub fn verify_rrset(
    set: &Rrset,
    zone: &Name,
    keys: &[DNSKEY],
    now: u64,
    budget: &Budget,
) -> Result<Verified, Failure> {
    if set.rrsigs.is_empty() {
        return Err(Failure::new(
            EdeCode::RrsigsMissing,
            format!("{} {} has no RRSIG", set.name, set.rtype),
        ));
    }
    // RFC 4035 §5.3.1: the signer must be the zone apex holding the RRset.
    let sigs: Vec<&RRSIG> = set
        .rrsigs
        .iter()
        .filter_map(as_rrsig)
        .filter(|s| s.input().signer_name == *zone && s.input().type_covered == set.rtype)
        .take(MAX_RRSIGS_TRIED)
        .collect();
    if sigs.is_empty() {
        return Err(Failure::new(
            EdeCode::RrsigsMissing,
            format!("{} {} has no RRSIG by zone {zone}", set.name, set.rtype),
        ));
    }
    // Each key's tag and algorithm once, not once per signature: the key
    // set comes from upstream and may be large.
    let ids: Vec<(Option<u16>, hickory_proto::dnssec::Algorithm)> = keys
        .iter()
        .map(|k| (key_tag(k), key_algorithm(k)))
        .collect();
    let mut best: Option<Failure> = None;
    let mut note = |f: Failure| {
        if best.as_ref().is_none_or(|b| f.rank() > b.rank()) {
            best = Some(f);
        }
    };
    for sig in sigs {
        let input = sig.input();
        if algorithm::verify_cost(input.algorithm).is_none() {
            note(Failure::new(
                EdeCode::UnsupportedDnskeyAlgorithm,
                format!("RRSIG algorithm {} not supported", input.algorithm),
            ));
            continue;
        }
        let candidates = keys
            .iter()
            .zip(&ids)
            .filter(|(_, (tag, alg))| *alg == input.algorithm && *tag == Some(input.key_tag))
            .map(|(key, _)| key)
            .take(MAX_KEYS_PER_TAG);
        let mut any_key = false;
        for key in candidates {
            any_key = true;
            let cost = algorithm::key_cost(key).unwrap_or(1);
            budget
                .charge(BudgetKind::CryptoCost, cost)
                .map_err(|e| Failure::new(EdeCode::DnssecBogus, e.to_string()))?;
            match rrsig::verify_rrsig(&set.records, sig, key, zone, now) {
                Ok(()) => {
                    return Ok(Verified {
                        ttl_bound: rrsig::ttl_bound(set.ttl(), sig, now),
                        key_tag: input.key_tag,
                        algorithm: u8::from(input.algorithm),
                    })
                }
                Err(e) => note(Failure::new(e.ede_code(), e.to_string())),
            }
        }
        if !any_key {
            note(Failure::new(
                EdeCode::DnskeyMissing,
                format!(
                    "no DNSKEY of {zone} with tag {} algorithm {}",
                    input.key_tag, input.algorithm
                ),
            ));
        }
    }
    Err(best.unwrap_or_else(|| Failure::new(EdeCode::DnssecBogus, "no signature validated")))
}

/// The algorithm of a DNSKEY.
pub fn key_algorithm(key: &DNSKEY) -> hickory_proto::dnssec::Algorithm {
    use hickory_proto::dnssec::PublicKey;
    key.public_key().algorithm()
}

/// The key tag of a DNSKEY (RFC 4034 Appendix B), `None` if unencodable.
pub fn key_tag(key: &DNSKEY) -> Option<u16> {
    key.calculate_key_tag().ok()
}
