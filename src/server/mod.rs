//! The client-facing server: UDP/TCP listeners on the configured addresses,
//! the access list, the cache-hit fast path and response building.
//!
//! - [`query`]: parsing and validating a client query by hand.
//! - [`fastpath`]: the socket-free [`Handler`] (cache hits, errors, misses).
//! - [`response`]: error and RFC 8482 ANY responses, size limits.
//! - [`udp`] (with [`batch`] for recvmmsg/sendmmsg, [`pktinfo`] on wildcard addresses), [`tcp`]: the listeners; [`listen`]: the [`Server`] that binds and runs them.
//! - [`acl`], [`stats`]: access list and counters.

pub mod acl;
pub mod batch;
pub mod fastpath;
pub mod listen;
pub mod pktinfo;
pub mod query;
pub mod response;
pub mod stats;
pub mod tcp;
pub mod udp;

pub use fastpath::{FastPath, Handler, ParsedQuery};
pub use listen::{FlushHandle, Server, ServerError, Transport};
pub use stats::{Stats, StatsSnapshot};

#[cfg(test)]
mod tests;
