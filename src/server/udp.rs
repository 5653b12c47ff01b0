//! UDP listeners: one socket per worker (SO_REUSEPORT spreads the load in the
//! kernel), each served by its own task. Cache hits are answered inline;
//! misses are spawned so the receive loop never waits on resolution.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

use crate::server::fastpath::{FastPath, Handler};
use crate::server::pktinfo::{self, Local};
use crate::server::stats::bump;

/// Largest datagram we accept (RFC 6891 allows up to 65535).
const RECV_BUF: usize = 65_535;

/// Creates a non-blocking UDP socket bound to `addr`.
pub fn bind_udp(addr: SocketAddr, reuse_port: bool) -> io::Result<UdpSocket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        // Keep IPv4 and IPv6 listeners independent, as configured.
        s.set_only_v6(true)?;
    }
    if reuse_port {
        s.set_reuse_port(true)?;
    }
    // A larger receive buffer absorbs bursts; failure is not fatal.
    let _ = s.set_recv_buffer_size(1 << 20);
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    let sock = UdpSocket::from_std(s.into())?;
    if addr.ip().is_unspecified() {
        pktinfo::enable(&sock, addr.is_ipv6())?;
    }
    Ok(sock)
}

/// Sends one response, from the query's destination address when known.
async fn reply(sock: &UdpSocket, data: &[u8], client: SocketAddr, local: Option<Local>) {
    let r = match local {
        Some(_) => pktinfo::send(sock, data, client, local).await,
        None => sock.send_to(data, client).await,
    };
    if let Err(e) = r {
        tracing::debug!(error = %e, %client, "udp send");
    }
}

/// Serves one UDP socket until the task is aborted. `wildcard`: the socket
/// is bound to 0.0.0.0 or :: and has pktinfo enabled ([`pktinfo::enable`]).
pub async fn serve_udp(
    sock: Arc<UdpSocket>,
    handler: Arc<Handler>,
    misses: Arc<Semaphore>,
    wildcard: bool,
) {
    let mut buf = vec![0u8; RECV_BUF];
    // Reused for every cache hit: no allocation per hit.
    let mut out: Vec<u8> = Vec::with_capacity(RECV_BUF);
    loop {
        let received = if wildcard {
            pktinfo::recv(&sock, &mut buf).await
        } else {
            sock.recv_from(&mut buf).await.map(|(n, a)| (n, a, None))
        };
        let (n, client, local) = match received {
            Ok(x) => x,
            Err(e) => {
                // Transient errors (ICMP-induced, ENOBUFS): back off briefly
                // so a persistent error cannot spin the loop.
                tracing::debug!(error = %e, "udp recv");
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        let Some(packet) = buf.get(..n) else { continue };
        match handler.fast_path_into(packet, client, false, &mut out) {
            FastPath::Written => reply(&sock, &out, client, local).await,
            FastPath::Answer(resp) => reply(&sock, &resp, client, local).await,
            FastPath::Drop => {}
            FastPath::Miss(q) => {
                // Bounded in-flight resolutions: beyond the cap, drop (the
                // client retries) instead of growing without limit.
                let Ok(permit) = misses.clone().try_acquire_owned() else {
                    bump(&handler.stats().dropped);
                    continue;
                };
                let h = handler.clone();
                let s = sock.clone();
                tokio::spawn(async move {
                    let resp = h.resolve_miss(q).await;
                    reply(&s, &resp, client, local).await;
                    drop(permit);
                });
            }
        }
    }
}
