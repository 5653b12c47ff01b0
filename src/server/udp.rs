//! UDP listeners: one socket per worker (SO_REUSEPORT spreads the load in the
//! kernel), each served by its own task. Datagrams are received and answered
//! in batches ([`crate::server::batch`]); cache hits are answered inline,
//! misses are spawned so the receive loop never waits on resolution.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::os::fd::AsRawFd;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

use crate::server::batch::{Batch, BATCH, SLOT};
use crate::server::fastpath::{FastPath, Handler};
use crate::server::pktinfo::{self, Local};
use crate::server::stats::{bump, Stats};

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
///
/// Each wakeup drains up to [`BATCH`] datagrams with one `recvmmsg`,
/// answers the hits and errors into per-slot buffers, and sends them all
/// with one `sendmmsg`; misses are spawned so the loop never waits on
/// resolution.
pub async fn serve_udp(
    sock: Arc<UdpSocket>,
    handler: Arc<Handler>,
    misses: Arc<Semaphore>,
    wildcard: bool,
) {
    let fd = sock.as_raw_fd();
    let mut batch = Batch::new(wildcard);
    loop {
        if let Err(e) = sock.readable().await {
            tracing::debug!(error = %e, "udp readiness");
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        }
        // A batch shorter than BATCH means the socket was drained: report
        // it to try_io as WouldBlock so it clears the readiness now, which
        // saves the recvmmsg that would only say EAGAIN. This is as safe as
        // a real EAGAIN: try_io clears only if no readiness event arrived
        // since it began, and every new datagram raises one (edge
        // triggered), so a datagram arriving meanwhile still wakes us.
        // try_io may return WouldBlock without calling recv: start empty.
        batch.reset();
        let r = sock.try_io(Interest::READABLE, || match batch.recv(fd)? {
            n if n < BATCH => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        });
        let n = match r {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => batch.received(),
            Err(e) => {
                // Transient errors (ICMP-induced, ENOBUFS): back off briefly
                // so a persistent error cannot spin the loop.
                tracing::debug!(error = %e, "udp recv");
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        for i in 0..n {
            answer(&sock, &handler, &misses, &mut batch, i);
        }
        send_queued(&sock, &mut batch, &handler.stats()).await;
    }
}

/// Handles received datagram `i`: queues an immediate answer in `batch`,
/// or spawns the resolution of a miss.
fn answer(
    sock: &Arc<UdpSocket>,
    handler: &Arc<Handler>,
    misses: &Arc<Semaphore>,
    batch: &mut Batch,
    i: usize,
) {
    let meta = batch.meta(i);
    let Some(client) = meta.peer else {
        tracing::debug!("udp: dropped a datagram without an IP sender address");
        bump(&handler.stats().dropped);
        return;
    };
    if meta.truncated {
        // Longer than any real query (see batch::SLOT): we do not have the
        // whole message, so we cannot parse it; drop it like garbage.
        tracing::debug!(%client, "udp: dropped a datagram longer than {SLOT} bytes");
        bump(&handler.stats().queries);
        bump(&handler.stats().dropped);
        return;
    }
    let Some((packet, out)) = batch.packet_and_out(i) else {
        return;
    };
    match handler.fast_path_into(packet, client, false, out) {
        FastPath::Written => batch.queue(i),
        // Not produced by `fast_path_into` (it writes into `out`); handled
        // all the same so the match stays total.
        FastPath::Answer(resp) => {
            out.clear();
            out.extend_from_slice(&resp);
            batch.queue(i);
        }
        FastPath::Drop => {}
        FastPath::Miss(q) => {
            // Bounded in-flight resolutions: beyond the cap, drop (the
            // client retries) instead of growing without limit.
            let Ok(permit) = misses.clone().try_acquire_owned() else {
                tracing::debug!(%client, "udp: dropped a miss: too many resolutions in flight");
                bump(&handler.stats().dropped);
                return;
            };
            let h = handler.clone();
            let s = sock.clone();
            let local = meta.local;
            tokio::spawn(async move {
                let resp = h.resolve_miss(q).await;
                reply(&s, &resp, client, local).await;
                drop(permit);
            });
        }
    }
}

/// Sends every queued response of `batch`. A full socket buffer waits for
/// writability (async_io clears readiness on EAGAIN, so this never spins);
/// a response the kernel refuses (e.g. an unreachable or forbidden client
/// address) is counted in `send_errors` and skipped. Bounded: each round
/// either sends or skips at least one response, or waits.
async fn send_queued(sock: &UdpSocket, batch: &mut Batch, stats: &Stats) {
    let fd = sock.as_raw_fd();
    while batch.unsent() > 0 {
        match sock.async_io(Interest::WRITABLE, || batch.send(fd)).await {
            // sendmmsg reports at least one sent message or an error; 0
            // would mean nothing was built to send: stop rather than spin.
            Ok(0) => {
                let left = batch.unsent();
                for _ in 0..left {
                    bump(&stats.send_errors);
                }
                batch.skip(left);
            }
            Ok(k) => batch.skip(k),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                // sendmmsg fails only for the first message of a call.
                tracing::debug!(error = %e, "udp send");
                bump(&stats.send_errors);
                batch.skip(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response the kernel refuses (here an IPv6 destination on an IPv4
    /// socket) is counted and skipped; the rest of the batch still goes out.
    #[tokio::test]
    async fn a_failing_send_does_not_lose_the_rest_of_the_batch() {
        let server = bind_udp("127.0.0.1:0".parse().unwrap(), false).unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = client.local_addr().unwrap();
        let mut batch = Batch::new(false);
        batch.push_for_test(to, b"first");
        batch.push_for_test("[::1]:53".parse().unwrap(), b"refused");
        batch.push_for_test(to, b"second");
        let stats = Stats::default();
        tokio::time::timeout(
            Duration::from_secs(2),
            send_queued(&server, &mut batch, &stats),
        )
        .await
        .unwrap();
        assert_eq!(batch.unsent(), 0);
        assert_eq!(stats.snapshot().send_errors, 1);
        let mut buf = [0u8; 64];
        for want in [&b"first"[..], b"second"] {
            let (n, _) = tokio::time::timeout(Duration::from_secs(2), client.recv_from(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&buf[..n], want);
        }
    }
}
