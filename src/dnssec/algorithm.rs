//! DNSSEC algorithms and DS digest types: which we verify (through ring),
//! what one verification costs, and which we must treat as unsupported.
//!
//! RFC 8624 §3.1: RSASHA1 (5, 7) is still MUST-validate, as are 8, 13;
//! 10, 14, 15 are recommended. DSA (3), GOST (12), Ed448 (16: ring has no
//! Ed448), private (253, 254) and unknown numbers are unsupported: a zone
//! signed only with them is *insecure*, not bogus (RFC 4035 §5.2,
//! RFC 6840 §5.2). RSA keys shorter than 1024 bits (ring's floor) likewise.

use hickory_proto::dnssec::rdata::DNSKEY;
use hickory_proto::dnssec::{Algorithm, DigestType, PublicKey};
use ring::signature;

/// Cost of one signature verification in budget units, where one unit is
/// one RSA-2048/SHA-256 verification. Measured with
/// `cargo bench --bench dnssec` on the 2-core development machine
/// (medians, 2026-11-23): RSA-2048/SHA-256 22.8 µs, RSA-2048/SHA-1 25 µs,
/// ECDSA P-256 69 µs, ECDSA P-384 697 µs, Ed25519 73 µs. RSA keys cost
/// more with size (≈ ×3 at 4096 bits), charged through `rsa_cost`.
pub fn verify_cost(alg: Algorithm) -> Option<u32> {
    match u8::from(alg) {
        5 | 7 | 8 | 10 => Some(1),
        13 => Some(3),
        14 => Some(30),
        15 => Some(3),
        _ => None,
    }
}

/// The cost of verifying with `key`: the algorithm's, scaled by RSA size.
pub fn key_cost(key: &DNSKEY) -> Option<u32> {
    let alg = key.public_key().algorithm();
    let base = verify_cost(alg)?;
    if is_rsa(alg) {
        let (_, n) = rsa_components(key.public_key().public_bytes())?;
        return Some(base * rsa_cost(modulus_bits(n)));
    }
    Some(base)
}

/// Extra cost of an RSA key by modulus size (verification is roughly
/// quadratic in the modulus length).
pub fn rsa_cost(modulus_bits: usize) -> u32 {
    match modulus_bits {
        0..=2048 => 1,
        2049..=3072 => 2,
        _ => 4,
    }
}

/// The ring verification algorithm for a DNSSEC algorithm, if supported.
pub(crate) fn ring_algorithm(
    alg: Algorithm,
) -> Option<&'static dyn signature::VerificationAlgorithm> {
    // By number: hickory marks the RSASHA1 variants deprecated, but RFC 8624
    // §3.1 still requires validating them.
    match u8::from(alg) {
        // ring's *_FOR_LEGACY_USE_ONLY variants accept 1024..8192-bit keys,
        // which DNSSEC still uses (RFC 8624 §3.1).
        5 | 7 => Some(&signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
        8 => Some(&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
        10 => Some(&signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
        13 => Some(&signature::ECDSA_P256_SHA256_FIXED),
        14 => Some(&signature::ECDSA_P384_SHA384_FIXED),
        15 => Some(&signature::ED25519),
        _ => None,
    }
}

/// True for the RSA algorithm numbers.
pub(crate) fn is_rsa(alg: Algorithm) -> bool {
    matches!(u8::from(alg), 5 | 7 | 8 | 10)
}

/// RFC 3110 §2: an RSA public key is an exponent length (one octet, or
/// zero then two octets), the exponent, then the modulus.
pub(crate) fn rsa_components(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = key.split_first()?;
    let (exp_len, rest) = if first == 0 {
        let hi = *rest.first()?;
        let lo = *rest.get(1)?;
        (usize::from(u16::from_be_bytes([hi, lo])), rest.get(2..)?)
    } else {
        (usize::from(first), rest)
    };
    if exp_len == 0 || rest.len() <= exp_len {
        return None;
    }
    let (e, n) = rest.split_at(exp_len);
    Some((e, n))
}

/// Modulus length in bits, ignoring leading zero octets.
pub(crate) fn modulus_bits(n: &[u8]) -> usize {
    let n: &[u8] = match n.iter().position(|b| *b != 0) {
        Some(i) => &n[i..],
        None => return 0,
    };
    let lead = n.first().map_or(0, |b| 8 - b.leading_zeros() as usize);
    (n.len() - 1) * 8 + lead
}

/// Can we verify signatures made with this key? Unsupported algorithms and
/// RSA keys outside ring's 1024..=8192-bit range are not.
pub fn key_supported(key: &DNSKEY) -> bool {
    let alg = key.public_key().algorithm();
    if ring_algorithm(alg).is_none() {
        return false;
    }
    if is_rsa(alg) {
        return rsa_components(key.public_key().public_bytes())
            .map(|(_, n)| (1024..=8192).contains(&modulus_bits(n)))
            .unwrap_or(false);
    }
    true
}

/// DS digest types we can compute (RFC 4034 §5.1.4, RFC 4509, RFC 6605).
/// GOST (3) and unknown types are unsupported.
pub fn digest_supported(digest: DigestType) -> bool {
    matches!(
        digest,
        DigestType::SHA1 | DigestType::SHA256 | DigestType::SHA384
    )
}

/// Algorithm numbers we can validate, for DS/anchor filtering.
pub fn algorithm_supported(alg: Algorithm) -> bool {
    ring_algorithm(alg).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_algorithms_follow_rfc8624() {
        for n in [5u8, 7, 8, 10, 13, 14, 15] {
            assert!(algorithm_supported(Algorithm::from_u8(n)), "alg {n}");
        }
        for n in [1u8, 3, 6, 12, 16, 253, 254, 200] {
            assert!(!algorithm_supported(Algorithm::from_u8(n)), "alg {n}");
        }
    }

    #[test]
    fn p384_costs_about_thirty_rsa_verifies() {
        assert_eq!(verify_cost(Algorithm::ECDSAP384SHA384), Some(30));
        assert_eq!(verify_cost(Algorithm::RSASHA256), Some(1));
        assert_eq!(verify_cost(Algorithm::from_u8(16)), None);
    }

    #[test]
    fn rfc3110_key_parsing() {
        // exponent 65537 in three octets, a 1024-bit modulus.
        let mut key = vec![3, 1, 0, 1];
        key.push(0xc0);
        key.extend(std::iter::repeat_n(0x11, 127));
        let (e, n) = rsa_components(&key).unwrap();
        assert_eq!(e, &[1, 0, 1]);
        assert_eq!(modulus_bits(n), 1024);
        assert!(rsa_components(&[3, 1, 0]).is_none());
        assert!(rsa_components(&[]).is_none());
        assert!(rsa_components(&[0, 0]).is_none());
    }
}
