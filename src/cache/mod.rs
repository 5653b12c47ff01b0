//! Caches.
//!
//! - [`key`]: the answer-cache key (lowercased qname, qtype, qclass, DO, CD).
//! - [`message`]: whole responses in wire format, for the cache-hit fast path.
//! - [`rrset`]: RRsets and negative answers used by the iterator.

pub mod key;
pub mod message;
pub mod rrset;
