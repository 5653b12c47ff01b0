//! The answer-cache key: lowercased qname, qtype, qclass, DO, CD.
//!
//! Two forms hash identically: the owned [`CacheKey`] stored in the cache and
//! the borrowed [`KeyRef`] built on the hot path from a stack buffer, so a
//! cache lookup allocates nothing.

use std::hash::{Hash, Hasher};

use quick_cache::Equivalent;

/// Owned key, stored in the cache and in the single-flight table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheKey {
    /// Lowercased qname in uncompressed wire format.
    pub name: Box<[u8]>,
    pub qtype: u16,
    pub qclass: u16,
    /// The client's DO bit: RRSIG/NSEC/NSEC3 are stripped when clear.
    pub dnssec_ok: bool,
    /// The client's CD bit: the resolver answers differently (RFC 4035 §3.2.2).
    pub checking_disabled: bool,
}

/// Borrowed key for lookups without allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRef<'a> {
    pub name: &'a [u8],
    pub qtype: u16,
    pub qclass: u16,
    pub dnssec_ok: bool,
    pub checking_disabled: bool,
}

impl KeyRef<'_> {
    pub fn to_owned_key(&self) -> CacheKey {
        CacheKey {
            name: self.name.into(),
            qtype: self.qtype,
            qclass: self.qclass,
            dnssec_ok: self.dnssec_ok,
            checking_disabled: self.checking_disabled,
        }
    }
}

impl CacheKey {
    pub fn as_ref(&self) -> KeyRef<'_> {
        KeyRef {
            name: &self.name,
            qtype: self.qtype,
            qclass: self.qclass,
            dnssec_ok: self.dnssec_ok,
            checking_disabled: self.checking_disabled,
        }
    }
}

// Both hash exactly the same fields in the same order, which is what
// `Equivalent` lookups require.
fn hash_parts<H: Hasher>(name: &[u8], qtype: u16, qclass: u16, d: bool, cd: bool, state: &mut H) {
    name.hash(state);
    qtype.hash(state);
    qclass.hash(state);
    d.hash(state);
    cd.hash(state);
}

impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_parts(
            &self.name,
            self.qtype,
            self.qclass,
            self.dnssec_ok,
            self.checking_disabled,
            state,
        );
    }
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_parts(
            self.name,
            self.qtype,
            self.qclass,
            self.dnssec_ok,
            self.checking_disabled,
            state,
        );
    }
}

impl Equivalent<CacheKey> for KeyRef<'_> {
    fn equivalent(&self, key: &CacheKey) -> bool {
        *self == key.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn h<T: Hash>(t: &T) -> u64 {
        let mut s = DefaultHasher::new();
        t.hash(&mut s);
        s.finish()
    }

    #[test]
    fn borrowed_and_owned_keys_hash_alike() {
        let r = KeyRef {
            name: b"\x03www\x00",
            qtype: 1,
            qclass: 1,
            dnssec_ok: true,
            checking_disabled: false,
        };
        let o = r.to_owned_key();
        assert_eq!(h(&r), h(&o));
        assert!(r.equivalent(&o));
        let other = KeyRef {
            dnssec_ok: false,
            ..r
        };
        assert!(!other.equivalent(&o));
    }
}
