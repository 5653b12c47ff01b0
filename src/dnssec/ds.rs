//! Matching DS records (and DS trust anchors) to DNSKEYs (RFC 4034 §5):
//! `digest = hash(owner name in canonical form | DNSKEY RDATA)`, with
//! SHA-1, SHA-256 (RFC 4509) or SHA-384 (RFC 6605).

use hickory_proto::dnssec::rdata::{DNSKEY, DS};
use hickory_proto::dnssec::{DigestType, PublicKey};
use hickory_proto::rr::Name;
use ring::digest;

use super::algorithm::{algorithm_supported, digest_supported};
use super::canonical::push_lowercase_name;

/// The DS digest of `key` at `owner` for `digest_type`, if supported.
pub fn digest_of(owner: &Name, key: &DNSKEY, digest_type: DigestType) -> Option<Vec<u8>> {
    let alg = match digest_type {
        DigestType::SHA1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        DigestType::SHA256 => &digest::SHA256,
        DigestType::SHA384 => &digest::SHA384,
        _ => return None,
    };
    let mut data = Vec::with_capacity(300);
    push_lowercase_name(&mut data, owner);
    // DNSKEY RDATA (RFC 4034 §2.1): flags, protocol (3), algorithm, key.
    data.extend_from_slice(&key.flags().to_be_bytes());
    data.push(3);
    data.push(u8::from(key.public_key().algorithm()));
    data.extend_from_slice(key.public_key().public_bytes());
    Some(digest::digest(alg, &data).as_ref().to_vec())
}

/// True when `ds` designates `key` at `owner`: same algorithm, same key
/// tag, and the digest matches.
pub fn ds_matches(owner: &Name, ds: &DS, key: &DNSKEY) -> bool {
    if ds.algorithm() != key.public_key().algorithm() {
        return false;
    }
    if key.calculate_key_tag().ok() != Some(ds.key_tag()) {
        return false;
    }
    digest_of(owner, key, ds.digest_type())
        // Public data: no need for a constant-time comparison.
        .is_some_and(|d| d == ds.digest())
}

/// The DS records we can use: supported algorithm and digest; and when a
/// stronger digest is present, SHA-1 ones are ignored (RFC 4509 §3), so a
/// downgrade to a forged SHA-1 DS is not possible. Empty means the child is
/// insecure for us (RFC 4035 §5.2, RFC 6840 §5.2).
pub fn usable_ds<'a>(all: &[&'a DS]) -> Vec<&'a DS> {
    let supported: Vec<&DS> = all
        .iter()
        .copied()
        .filter(|d| algorithm_supported(d.algorithm()) && digest_supported(d.digest_type()))
        .collect();
    let strong = supported
        .iter()
        .any(|d| matches!(d.digest_type(), DigestType::SHA256 | DigestType::SHA384));
    supported
        .into_iter()
        .filter(|d| !strong || d.digest_type() != DigestType::SHA1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::dnssec::Algorithm;

    fn ds(digest: DigestType, alg: u8) -> DS {
        DS::new(1, Algorithm::from_u8(alg), digest, vec![0; 20])
    }

    #[test]
    fn sha1_ignored_when_sha256_present_and_unsupported_dropped() {
        let a = ds(DigestType::SHA1, 8);
        let b = ds(DigestType::SHA256, 8);
        let c = ds(DigestType::Unknown(3), 8);
        let d = ds(DigestType::SHA256, 16);
        let got = usable_ds(&[&a, &b, &c, &d]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].digest_type(), DigestType::SHA256);
        assert_eq!(usable_ds(&[&a]).len(), 1);
        assert!(usable_ds(&[&c, &d]).is_empty());
    }
}
