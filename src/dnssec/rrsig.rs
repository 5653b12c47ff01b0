//! Verifying one RRSIG over one RRset with one DNSKEY (RFC 4035 §5.3),
//! with every check of §5.3.1 before any cryptography runs.

use hickory_proto::dnssec::rdata::{DNSKEY, RRSIG};
use hickory_proto::dnssec::PublicKey;
use hickory_proto::rr::{Name, Record};
use ring::signature::{self, UnparsedPublicKey};

use super::algorithm::{is_rsa, modulus_bits, ring_algorithm, rsa_components};
use super::canonical::signed_data;
use super::state::EdeCode;

/// Why a signature does not validate an RRset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RrsigError {
    #[error("signature expired at {expiration} (now {now})")]
    Expired { expiration: u32, now: u32 },
    #[error("signature not valid before {inception} (now {now})")]
    NotYetValid { inception: u32, now: u32 },
    #[error("signer {signer} is not the zone apex {zone}")]
    SignerNotZone { signer: Box<Name>, zone: Box<Name> },
    #[error("owner {owner} is not within signer {signer}")]
    OwnerOutsideSigner { owner: Box<Name>, signer: Box<Name> },
    #[error("RRSIG covers {covered}, RRset is {rtype}")]
    TypeMismatch { covered: String, rtype: String },
    #[error("key tag {key} does not match RRSIG key tag {sig}")]
    KeyTagMismatch { key: u16, sig: u16 },
    #[error("key algorithm {key} does not match RRSIG algorithm {sig}")]
    AlgorithmMismatch { key: u8, sig: u8 },
    #[error("DNSKEY is not a zone key (flags bit 7 clear)")]
    NotZoneKey,
    #[error("DNSKEY is revoked (RFC 5011)")]
    Revoked,
    #[error("RRSIG labels {labels} larger than owner's {owner_labels}")]
    LabelsInvalid { labels: u8, owner_labels: u8 },
    #[error("algorithm {0} is not supported")]
    UnsupportedAlgorithm(u8),
    #[error("signature does not verify")]
    BadSignature,
    #[error("malformed: {0}")]
    Malformed(String),
}

impl RrsigError {
    /// The Extended DNS Error code for this failure (RFC 8914 §4).
    pub fn ede_code(&self) -> EdeCode {
        match self {
            RrsigError::Expired { .. } => EdeCode::SignatureExpired,
            RrsigError::NotYetValid { .. } => EdeCode::SignatureNotYetValid,
            RrsigError::NotZoneKey => EdeCode::NoZoneKeyBitSet,
            RrsigError::UnsupportedAlgorithm(_) => EdeCode::UnsupportedDnskeyAlgorithm,
            _ => EdeCode::DnssecBogus,
        }
    }
}

/// `now` as a 32-bit serial number (RFC 4034 §3.1.5 counts seconds since
/// the epoch modulo 2^32).
fn serial_now(now: u64) -> u32 {
    (now & 0xffff_ffff) as u32
}

/// RFC 1982 comparison: is `a` at or before `b`? (Distances of up to 2^31
/// count as "after"; this is what makes RRSIG times wrap in 2106.)
fn serial_le(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) >= 0
}

/// Checks inception ≤ now ≤ expiration in serial arithmetic.
pub fn check_validity(rrsig: &RRSIG, now: u64) -> Result<(), RrsigError> {
    let input = rrsig.input();
    let now = serial_now(now);
    let inception = input.sig_inception.get();
    let expiration = input.sig_expiration.get();
    if !serial_le(inception, now) {
        return Err(RrsigError::NotYetValid { inception, now });
    }
    if !serial_le(now, expiration) {
        return Err(RrsigError::Expired { expiration, now });
    }
    Ok(())
}

/// RFC 4035 §5.3.3: validated data lives no longer than the record TTL,
/// the RRSIG's original TTL, and the time left until expiration.
pub fn ttl_bound(ttl: u32, rrsig: &RRSIG, now: u64) -> u32 {
    let input = rrsig.input();
    let left = input.sig_expiration.get().wrapping_sub(serial_now(now));
    let left = if (left as i32) < 0 { 0 } else { left };
    ttl.min(input.original_ttl).min(left)
}

/// Verifies `rrsig` over `records` (one RRset) with `key`, the RRset being
/// data of `zone`.
pub fn verify_rrsig(
    records: &[Record],
    rrsig: &RRSIG,
    key: &DNSKEY,
    zone: &Name,
    now: u64,
) -> Result<(), RrsigError> {
    let input = rrsig.input();
    let Some(first) = records.first() else {
        return Err(RrsigError::Malformed("empty RRset".into()));
    };
    // RFC 4035 §5.3.1, in order.
    if input.type_covered != first.record_type() {
        return Err(RrsigError::TypeMismatch {
            covered: input.type_covered.to_string(),
            rtype: first.record_type().to_string(),
        });
    }
    if input.signer_name != *zone {
        return Err(RrsigError::SignerNotZone {
            signer: Box::new(input.signer_name.clone()),
            zone: Box::new(zone.clone()),
        });
    }
    if !input.signer_name.zone_of(&first.name) {
        return Err(RrsigError::OwnerOutsideSigner {
            owner: Box::new(first.name.clone()),
            signer: Box::new(input.signer_name.clone()),
        });
    }
    // The labels field never exceeds the owner's label count, not counting
    // the root nor a leading `*` (hickory's `num_labels` discounts both).
    let owner_labels = first.name.num_labels();
    if input.num_labels > owner_labels {
        return Err(RrsigError::LabelsInvalid {
            labels: input.num_labels,
            owner_labels,
        });
    }
    let key_alg = key.public_key().algorithm();
    if key_alg != input.algorithm {
        return Err(RrsigError::AlgorithmMismatch {
            key: u8::from(key_alg),
            sig: u8::from(input.algorithm),
        });
    }
    let tag = key
        .calculate_key_tag()
        .map_err(|e| RrsigError::Malformed(e.to_string()))?;
    if tag != input.key_tag {
        return Err(RrsigError::KeyTagMismatch {
            key: tag,
            sig: input.key_tag,
        });
    }
    if !key.zone_key() {
        return Err(RrsigError::NotZoneKey);
    }
    if key.revoke() {
        return Err(RrsigError::Revoked);
    }
    check_validity(rrsig, now)?;
    let Some(alg) = ring_algorithm(input.algorithm) else {
        return Err(RrsigError::UnsupportedAlgorithm(u8::from(input.algorithm)));
    };
    let data = signed_data(rrsig, records).map_err(|e| RrsigError::Malformed(e.to_string()))?;
    verify_raw(
        alg,
        input.algorithm,
        key.public_key().public_bytes(),
        &data,
        rrsig.sig(),
    )
}

/// The cryptographic check itself.
fn verify_raw(
    alg: &'static dyn signature::VerificationAlgorithm,
    dnssec_alg: hickory_proto::dnssec::Algorithm,
    public_key: &[u8],
    data: &[u8],
    sig: &[u8],
) -> Result<(), RrsigError> {
    if is_rsa(dnssec_alg) {
        let (e, n) = rsa_components(public_key)
            .ok_or_else(|| RrsigError::Malformed("bad RSA key".into()))?;
        if !(1024..=8192).contains(&modulus_bits(n)) {
            return Err(RrsigError::UnsupportedAlgorithm(u8::from(dnssec_alg)));
        }
        let params = match u8::from(dnssec_alg) {
            5 | 7 => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            8 => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            _ => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
        };
        return signature::RsaPublicKeyComponents { n, e }
            .verify(params, data, sig)
            .map_err(|_| RrsigError::BadSignature);
    }
    // RFC 6605 §4: ECDSA keys are x || y; ring wants the SEC1 point 04 || x || y.
    let key: Vec<u8> = match u8::from(dnssec_alg) {
        13 | 14 => std::iter::once(4u8)
            .chain(public_key.iter().copied())
            .collect(),
        _ => public_key.to_vec(),
    };
    UnparsedPublicKey::new(alg, key)
        .verify(data, sig)
        .map_err(|_| RrsigError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_arithmetic_wraps() {
        assert!(serial_le(10, 20));
        assert!(!serial_le(20, 10));
        // Across the 2^32 wrap: 0xffff_fff0 is before 0x10.
        assert!(serial_le(0xffff_fff0, 0x10));
        assert!(!serial_le(0x10, 0xffff_fff0));
    }
}
