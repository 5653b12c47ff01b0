//! The network seam: the only way the iterator talks to authoritative servers.
//!
//! The daemon plugs in real UDP/TCP sockets (`resolver::udp_tcp`); tests plug in
//! the simulated world (`sim`). The contract is deliberately small: send one
//! query to one address, get back the first response that *matches* it
//! (`resolver::matching::response_matches`), or an error. Everything above
//! this (EDNS fallback, TC→TCP, retries, server choice) is transport-agnostic
//! code in the resolver and is exercised identically in tests and production.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed, sendable future (the network is used through `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which transport to use for one exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

/// Why an exchange produced no response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// No matching response before the timeout.
    #[error("timed out")]
    Timeout,
    /// The address cannot be reached (ICMP unreachable, connection refused,
    /// no route, address family disabled).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// Any other local I/O failure.
    #[error("i/o error: {0}")]
    Io(String),
}

/// Sends DNS queries to authoritative servers (or forwarders).
pub trait Network: Send + Sync + 'static {
    /// Sends `query` (wire format) to `server` and returns the first response
    /// from that address that matches it (same ID, same question, compared
    /// case-insensitively). Non-matching datagrams are ignored, not returned:
    /// that is what makes spoofed answers useless. Must give up after
    /// `timeout` with [`NetError::Timeout`].
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        transport: Transport,
        query: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<u8>, NetError>>;
}

/// Shared handle to a network.
pub type SharedNetwork = Arc<dyn Network>;
