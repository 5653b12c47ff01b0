//! Caches.
//!
//! - [`key`]: the answer-cache key (lowercased qname, qtype, qclass, DO, CD).
//! - [`message`]: whole responses in wire format, for the cache-hit fast path.
//! - [`rrset`]: RRsets and negative answers used by the iterator.
//! - [`weight`]: how much an entry counts against `cache.size` (large
//!   entries count once per 512 bytes).

pub mod key;
pub mod message;
pub mod rrset;
pub mod weight;
