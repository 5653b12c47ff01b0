//! RFC 5155 §5: the NSEC3 owner-name hash, and the base32hex encoding
//! (RFC 4648 §7, lowercase, no padding) used for hashed owner names.
//!
//! Only hash algorithm 1 (SHA-1) exists (RFC 5155 §11); it is the only one
//! hickory can even represent, so there is no algorithm parameter here.
//! Every hash is charged to the per-query [`Budget`] *before* it is computed
//! (CVE-2023-50868: NSEC3 closest-encloser proofs can be made expensive).

use hickory_proto::rr::Name;
use ring::digest;

use super::canonical::push_lowercase_name;
use crate::resolver::budget::{Budget, BudgetExhausted, BudgetKind};

/// NSEC3 hash algorithm number of SHA-1 (RFC 5155 §11), the only one defined.
pub const NSEC3_HASH_SHA1: u8 = 1;

/// Length in octets of a SHA-1 NSEC3 hash.
pub const SHA1_HASH_LEN: usize = 20;

/// The canonical wire form of `name` (RFC 4034 §6.2): uncompressed, every
/// label lowercased (ASCII only), terminated by the root label.
pub fn canonical_wire_name(name: &Name) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 1);
    push_lowercase_name(&mut out, name);
    out
}

/// Computes `IH(salt, name, iterations)` of RFC 5155 §5 with SHA-1.
///
/// Charges `iterations + 1` units of [`BudgetKind::Nsec3Hashes`] first; when
/// the budget is exhausted nothing is hashed.
pub fn nsec3_hash(
    name: &Name,
    salt: &[u8],
    iterations: u16,
    budget: &Budget,
) -> Result<Vec<u8>, BudgetExhausted> {
    budget.charge(BudgetKind::Nsec3Hashes, u32::from(iterations) + 1)?;
    Ok(nsec3_hash_uncharged(name, salt, iterations))
}

/// The same hash without charging a budget. Only for the authoritative side
/// (zone building in tests) where no client query pays for it.
pub fn nsec3_hash_uncharged(name: &Name, salt: &[u8], iterations: u16) -> Vec<u8> {
    // RFC 5155 §5: IH(salt, x, 0) = H(x || salt);
    //              IH(salt, x, k) = H(IH(salt, x, k-1) || salt).
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(&canonical_wire_name(name));
    ctx.update(salt);
    let mut h = ctx.finish();
    for _ in 0..iterations {
        let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
        ctx.update(h.as_ref());
        ctx.update(salt);
        h = ctx.finish();
    }
    h.as_ref().to_vec()
}

/// base32hex (RFC 4648 §7) without padding, lowercase: the form of a hashed
/// owner label (RFC 5155 §3.3).
pub fn base32hex_encode(data: &[u8]) -> String {
    data_encoding::BASE32_DNSSEC.encode(data)
}

/// Decodes unpadded base32hex, case-insensitively. `None` if it is not
/// valid base32hex (including non-canonical trailing bits).
pub fn base32hex_decode(text: &[u8]) -> Option<Vec<u8>> {
    data_encoding::BASE32_DNSSEC.decode(text).ok()
}

/// The hash carried in the first label of an NSEC3 owner name, if that label
/// is valid base32hex.
pub fn owner_hash(owner: &Name) -> Option<Vec<u8>> {
    owner.iter().next().and_then(base32hex_decode)
}

/// The NSEC3 owner name for `hash` in `zone`: `base32hex(hash).zone`.
pub fn hashed_owner_name(hash: &[u8], zone: &Name) -> Result<Name, hickory_proto::ProtoError> {
    zone.prepend_label(base32hex_encode(hash).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LimitsConfig;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    const SALT: [u8; 4] = [0xaa, 0xbb, 0xcc, 0xdd];

    /// RFC 5155 Appendix A: hashes of the example zone's names
    /// (salt aabbccdd, 12 iterations).
    const APPENDIX_A: &[(&str, &str)] = &[
        ("example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
        ("a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
        ("ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"),
        ("ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
        ("ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r"),
        ("w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"),
        ("*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
        ("x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"),
        ("y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"),
        ("x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"),
        ("xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"),
        (
            "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.",
            "kohar7mbb8dc2ce8a9qvl8hon4k53uhi",
        ),
    ];

    #[test]
    fn rfc5155_appendix_a_hashes() {
        let budget = Budget::new(&LimitsConfig::default());
        for (name, want) in APPENDIX_A {
            let h = nsec3_hash(&n(name), &SALT, 12, &budget).unwrap();
            assert_eq!(h.len(), SHA1_HASH_LEN);
            assert_eq!(base32hex_encode(&h), *want, "hash of {name}");
        }
        assert_eq!(
            budget.spent(BudgetKind::Nsec3Hashes),
            13 * APPENDIX_A.len() as u32
        );
    }

    #[test]
    fn hash_ignores_case() {
        assert_eq!(
            nsec3_hash_uncharged(&n("ExAmPlE."), &SALT, 12),
            nsec3_hash_uncharged(&n("example."), &SALT, 12)
        );
    }

    #[test]
    fn budget_is_charged_before_hashing() {
        let limits = LimitsConfig {
            max_nsec3_hashes: 20,
            ..LimitsConfig::default()
        };
        let budget = Budget::new(&limits);
        assert!(nsec3_hash(&n("example."), &SALT, 12, &budget).is_ok());
        let err = nsec3_hash(&n("example."), &SALT, 12, &budget).unwrap_err();
        assert_eq!(err.kind, BudgetKind::Nsec3Hashes);
        assert_eq!(budget.spent(BudgetKind::Nsec3Hashes), 13);
    }

    #[test]
    fn base32hex_round_trip_and_case() {
        let h = nsec3_hash_uncharged(&n("example."), &SALT, 12);
        let text = base32hex_encode(&h);
        assert_eq!(base32hex_decode(text.as_bytes()).unwrap(), h);
        assert_eq!(
            base32hex_decode(text.to_ascii_uppercase().as_bytes()).unwrap(),
            h
        );
        assert!(base32hex_decode(b"not-base32").is_none());
        let owner = hashed_owner_name(&h, &n("example.")).unwrap();
        assert_eq!(owner, n("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example."));
        assert_eq!(owner_hash(&owner).unwrap(), h);
    }

    #[test]
    fn canonical_wire_name_lowercases() {
        assert_eq!(
            canonical_wire_name(&n("Ab.C.")),
            vec![2, b'a', b'b', 1, b'c', 0]
        );
        assert_eq!(canonical_wire_name(&Name::root()), vec![0]);
    }
}
