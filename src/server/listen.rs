//! [`Server`]: binds every configured listener and runs them until shutdown.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cache::message::AnswerCache;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::resolver::api::Resolve;
use crate::server::fastpath::Handler;
use crate::server::stats::Stats;
use crate::server::tcp::{bind_tcp, serve_tcp, TcpSettings};
use crate::server::udp::{bind_udp, serve_udp};

/// Resolutions in flight at once over all UDP listeners.
const MAX_UDP_MISSES: usize = 10_000;
/// Attempts to find a port free for both TCP and UDP when port 0 is asked.
const PORT_ZERO_ATTEMPTS: usize = 20;

/// A listener's transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr} ({transport:?}): {source}")]
    Bind {
        addr: SocketAddr,
        transport: Transport,
        #[source]
        source: io::Error,
    },
}

/// Clears the answer cache (SIGHUP); cheap to clone and send.
#[derive(Clone, Debug)]
pub struct FlushHandle {
    cache: Arc<AnswerCache>,
}

impl FlushHandle {
    pub fn flush(&self) {
        self.cache.clear();
    }
}

/// The bound, not yet running, server.
pub struct Server {
    handler: Arc<Handler>,
    udp: Vec<Arc<UdpSocket>>,
    tcp: Vec<Arc<TcpListener>>,
    tcp_settings: TcpSettings,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addrs", &self.local_addrs())
            .finish_non_exhaustive()
    }
}

/// UDP sockets per address: `server.threads`, 0 meaning one per core.
fn udp_sockets_per_addr(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Binds TCP then the UDP sockets on one address. TCP first, without
/// SO_REUSEPORT, so that another instance on the port makes us fail.
fn bind_addr(
    addr: SocketAddr,
    n_udp: usize,
) -> Result<(Arc<TcpListener>, Vec<Arc<UdpSocket>>), ServerError> {
    let err = |addr, transport, source| ServerError::Bind {
        addr,
        transport,
        source,
    };
    let attempts = if addr.port() == 0 {
        PORT_ZERO_ATTEMPTS
    } else {
        1
    };
    let mut last = None;
    for _ in 0..attempts {
        let tcp = bind_tcp(addr).map_err(|e| err(addr, Transport::Tcp, e))?;
        let port = tcp
            .local_addr()
            .map_err(|e| err(addr, Transport::Tcp, e))?
            .port();
        let udp_addr = SocketAddr::new(addr.ip(), port);
        let reuse = n_udp > 1;
        let mut udp = Vec::with_capacity(n_udp);
        let mut failed = None;
        for _ in 0..n_udp {
            match bind_udp(udp_addr, reuse) {
                Ok(s) => udp.push(Arc::new(s)),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        match failed {
            None => return Ok((Arc::new(tcp), udp)),
            // With port 0 the kernel chose a TCP port whose UDP twin is
            // taken; try another.
            Some(e) => last = Some(err(udp_addr, Transport::Udp, e)),
        }
    }
    Err(last.unwrap_or_else(|| {
        err(
            addr,
            Transport::Udp,
            io::Error::new(io::ErrorKind::AddrInUse, "no free port"),
        )
    }))
}

/// Did binding fail only because `::1` does not exist on this host (IPv6
/// disabled: EADDRNOTAVAIL, or EAFNOSUPPORT when the stack is absent)?
fn ipv6_loopback_unavailable(e: &ServerError) -> bool {
    let ServerError::Bind { addr, source, .. } = e;
    addr.ip() == IpAddr::V6(Ipv6Addr::LOCALHOST)
        && (source.kind() == io::ErrorKind::AddrNotAvailable
            || source.raw_os_error() == Some(libc::EAFNOSUPPORT))
}

impl Server {
    /// Binds every configured listener (UDP+TCP on each server.listen
    /// address); fails fast on a port conflict.
    pub async fn bind(
        config: &Config,
        resolver: Arc<dyn Resolve>,
        clock: SharedClock,
    ) -> Result<Server, ServerError> {
        let handler = Arc::new(Handler::new(config, resolver, clock));
        let n_udp = udp_sockets_per_addr(config.server.threads);
        let mut udp = Vec::new();
        let mut tcp = Vec::new();
        let mut skipped = None;
        for &addr in &config.server.listen {
            match bind_addr(addr, n_udp) {
                Ok((t, u)) => {
                    tcp.push(t);
                    udp.extend(u);
                }
                Err(e) if ipv6_loopback_unavailable(&e) => {
                    // A host booted with IPv6 disabled has no ::1, so no
                    // client can reach us there either: the default
                    // `[::1]:53` must not stop the daemon. Any other
                    // address, or ::1 failing for another reason (port in
                    // use), fails hard.
                    tracing::warn!(%addr, error = %e, "IPv6 loopback unavailable; not listening there");
                    skipped = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        if let (true, Some(e)) = (tcp.is_empty(), skipped) {
            return Err(e);
        }
        Ok(Server {
            handler,
            udp,
            tcp,
            tcp_settings: TcpSettings {
                idle: Duration::from_millis(config.server.tcp_idle_timeout_ms),
                // Clamped: Semaphore::new panics above MAX_PERMITS.
                connections: Arc::new(Semaphore::new(
                    config
                        .server
                        .tcp_max_connections
                        .min(Semaphore::MAX_PERMITS),
                )),
            },
        })
    }

    /// Serves until `shutdown` completes, then stops accepting, and returns
    /// shutdown's output. Takes `&self` so the shutdown future may borrow
    /// the server (e.g. to flush on SIGHUP).
    pub async fn run<T>(&self, shutdown: impl Future<Output = T>) -> T {
        let mut tasks = JoinSet::new();
        let misses = Arc::new(Semaphore::new(MAX_UDP_MISSES));
        for s in &self.udp {
            let wildcard = s.local_addr().is_ok_and(|a| a.ip().is_unspecified());
            tasks.spawn(serve_udp(
                s.clone(),
                self.handler.clone(),
                misses.clone(),
                wildcard,
            ));
        }
        for l in &self.tcp {
            tasks.spawn(serve_tcp(
                l.clone(),
                self.handler.clone(),
                self.tcp_settings.clone(),
            ));
        }
        let out = shutdown.await;
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        out
    }

    pub fn stats(&self) -> Arc<Stats> {
        self.handler.stats()
    }

    pub fn flush_handle(&self) -> FlushHandle {
        FlushHandle {
            cache: self.handler.cache(),
        }
    }

    /// Clears the answer cache.
    pub fn flush(&self) {
        self.handler.cache().clear();
    }

    /// The socket-free core, for tests and benchmarks.
    pub fn handler(&self) -> Arc<Handler> {
        self.handler.clone()
    }

    /// Actual bound addresses (port 0 resolved), one per socket.
    pub fn local_addrs(&self) -> Vec<(SocketAddr, Transport)> {
        let mut out = Vec::new();
        for s in &self.udp {
            if let Ok(a) = s.local_addr() {
                if !out.contains(&(a, Transport::Udp)) {
                    out.push((a, Transport::Udp));
                }
            }
        }
        for l in &self.tcp {
            if let Ok(a) = l.local_addr() {
                out.push((a, Transport::Tcp));
            }
        }
        out
    }
}

#[cfg(test)]
mod bind_tests {
    use super::*;

    fn bind_err(addr: &str, source: io::Error) -> ServerError {
        ServerError::Bind {
            addr: addr.parse().unwrap(),
            transport: Transport::Udp,
            source,
        }
    }

    #[test]
    fn only_a_missing_ipv6_loopback_is_skipped() {
        let notavail = || io::Error::from_raw_os_error(libc::EADDRNOTAVAIL);
        let nofamily = || io::Error::from_raw_os_error(libc::EAFNOSUPPORT);
        let inuse = || io::Error::from_raw_os_error(libc::EADDRINUSE);
        assert!(ipv6_loopback_unavailable(&bind_err("[::1]:53", notavail())));
        assert!(ipv6_loopback_unavailable(&bind_err("[::1]:53", nofamily())));
        assert!(!ipv6_loopback_unavailable(&bind_err("[::1]:53", inuse())));
        assert!(!ipv6_loopback_unavailable(&bind_err(
            "[2001:db8::1]:53",
            notavail()
        )));
        assert!(!ipv6_loopback_unavailable(&bind_err(
            "127.0.0.1:53",
            notavail()
        )));
    }
}
