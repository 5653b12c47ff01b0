//! The answer-cache key: lowercased qname, qtype, qclass, DO, CD.
//!
//! Two forms hash identically: the owned [`CacheKey`] stored in the cache and
//! the borrowed [`KeyRef`] built on the hot path from a stack buffer, so a
//! cache lookup allocates nothing.

use std::hash::{Hash, Hasher};
use std::ops::Deref;

use quick_cache::Equivalent;

/// Names up to this many wire bytes are kept inside the key.
const INLINE: usize = 46;

/// A lowercased wire-format name owned by a [`CacheKey`]: inline when short
/// (almost every real qname), so comparing a probe against a cached key
/// reads the entry itself instead of chasing a pointer to another cache
/// line; on the heap otherwise (up to 255 bytes, RFC 1035 §3.1).
#[derive(Clone)]
pub enum KeyName {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl KeyName {
    pub fn new(name: &[u8]) -> Self {
        let mut bytes = [0u8; INLINE];
        match (bytes.get_mut(..name.len()), u8::try_from(name.len())) {
            (Some(dst), Ok(len)) => {
                dst.copy_from_slice(name);
                KeyName::Inline { len, bytes }
            }
            _ => KeyName::Heap(name.into()),
        }
    }
}

impl Deref for KeyName {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            KeyName::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(&[]),
            KeyName::Heap(b) => b,
        }
    }
}

impl PartialEq for KeyName {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for KeyName {}

impl std::fmt::Debug for KeyName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Owned key, stored in the cache and in the single-flight table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheKey {
    /// Lowercased qname in uncompressed wire format.
    pub name: KeyName,
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
            name: KeyName::new(self.name),
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
        // The small fields first: a different qtype or flag is decided
        // without touching the name bytes.
        self.qtype == key.qtype
            && self.qclass == key.qclass
            && self.dnssec_ok == key.dnssec_ok
            && self.checking_disabled == key.checking_disabled
            && self.name == &*key.name
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
    fn short_and_long_names_round_trip() {
        let short = b"\x03www\x07example\x03com\x00";
        let long = [b'a'; 200];
        for name in [
            &short[..],
            &long[..],
            &[][..],
            &[0u8; INLINE][..],
            &[1u8; INLINE + 1][..],
        ] {
            let k = KeyName::new(name);
            assert_eq!(&*k, name);
            assert_eq!(k, KeyName::new(name));
        }
        assert!(matches!(KeyName::new(short), KeyName::Inline { .. }));
        assert!(matches!(KeyName::new(&long), KeyName::Heap(_)));
        assert_ne!(KeyName::new(short), KeyName::new(&long));
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
