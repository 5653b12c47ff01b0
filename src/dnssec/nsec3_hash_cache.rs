//! A bounded, shared memo of NSEC3 hashes, so the names every denial proof
//! of a zone needs again and again (the zone apex as closest encloser, the
//! wildcard `*.zone`, the ancestors of DNSBL-style names) are hashed once per
//! cache lifetime instead of once per response.
//!
//! RFC 5155 §5: `IH(salt, name, iterations)` depends on the salt, the
//! iteration count and the canonical owner name only; the zone is implied by
//! the name, so the key is (salt, iterations, lowercased wire name). A hash
//! served from here costs no SHA-1 work, so it is not charged to the
//! per-query NSEC3 budget (CVE-2023-50868 is about work actually done).

use quick_cache::sync::Cache;

use hickory_proto::rr::Name;

use super::nsec3_hash::{canonical_wire_name, nsec3_hash_uncharged};

/// Default number of memoised hashes (about 100 bytes each).
pub const DEFAULT_CAPACITY: usize = 16_384;

/// Shared memo of `IH(salt, name, iterations)`.
pub struct Nsec3HashCache {
    hashes: Cache<Box<[u8]>, Box<[u8]>>,
}

impl std::fmt::Debug for Nsec3HashCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nsec3HashCache")
            .field("len", &self.hashes.len())
            .finish()
    }
}

impl Default for Nsec3HashCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

/// The memo key: iterations, salt length, salt, canonical name. The length
/// prefix keeps (salt, name) pairs from colliding when concatenated.
fn key(name: &Name, salt: &[u8], iterations: u16) -> Box<[u8]> {
    let wire = canonical_wire_name(name);
    let mut k = Vec::with_capacity(3 + salt.len() + wire.len());
    k.extend_from_slice(&iterations.to_be_bytes());
    // RFC 5155 §3.2: the salt length is one octet, so a salt never exceeds 255.
    k.push(u8::try_from(salt.len()).unwrap_or(u8::MAX));
    k.extend_from_slice(salt);
    k.extend_from_slice(&wire);
    k.into_boxed_slice()
}

impl Nsec3HashCache {
    /// A memo holding at most `capacity` hashes.
    pub fn new(capacity: usize) -> Self {
        Self {
            hashes: Cache::new(capacity.max(16)),
        }
    }

    /// The memoised hash, if present.
    pub fn get(&self, name: &Name, salt: &[u8], iterations: u16) -> Option<Vec<u8>> {
        self.hashes
            .get(&key(name, salt, iterations))
            .map(|h| h.to_vec())
    }

    /// Remembers a hash computed elsewhere (after charging a budget for it).
    pub fn insert(&self, name: &Name, salt: &[u8], iterations: u16, hash: &[u8]) {
        self.hashes.insert(
            key(name, salt, iterations),
            hash.to_vec().into_boxed_slice(),
        );
    }

    /// The hash, computed (uncharged) and remembered on a miss.
    pub fn hash_uncharged(&self, name: &Name, salt: &[u8], iterations: u16) -> Vec<u8> {
        let k = key(name, salt, iterations);
        if let Some(h) = self.hashes.get(&k) {
            return h.to_vec();
        }
        let h = nsec3_hash_uncharged(name, salt, iterations);
        self.hashes.insert(k, h.clone().into_boxed_slice());
        h
    }

    /// Number of memoised hashes.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops everything (`anchord` flush).
    pub fn clear(&self) {
        self.hashes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn memo_matches_the_direct_hash_and_ignores_case() {
        let c = Nsec3HashCache::new(100);
        let salt = [0xAA, 0xBB, 0xCC, 0xDD];
        let direct = nsec3_hash_uncharged(&n("example."), &salt, 12);
        assert_eq!(c.hash_uncharged(&n("ExAmPle."), &salt, 12), direct);
        assert_eq!(c.get(&n("example."), &salt, 12), Some(direct));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn salt_and_iterations_are_part_of_the_key() {
        let c = Nsec3HashCache::new(100);
        c.hash_uncharged(&n("example."), &[1], 0);
        assert!(c.get(&n("example."), &[1], 1).is_none());
        assert!(c.get(&n("example."), &[2], 0).is_none());
        assert!(c.get(&n("example."), &[], 0).is_none());
        // Salt 07 + "example." vs no salt + "example." shifted by one octet:
        // the salt length in the key keeps them apart.
        assert_ne!(key(&n("example."), &[7], 0), key(&n("example."), &[], 0));
    }

    #[test]
    fn bounded() {
        let c = Nsec3HashCache::new(16);
        for i in 0..1_000 {
            c.hash_uncharged(&n(&format!("n{i}.example.")), &[], 0);
        }
        assert!(c.len() <= 32, "{} entries", c.len());
    }
}
