//! The real network: tokio UDP and TCP sockets implementing
//! [`Network`](super::network::Network).
//!
//! Each UDP exchange uses a fresh socket bound to an ephemeral port (the
//! kernel picks it at random: with the random query ID that gives the ~32
//! bits of entropy RFC 5452 §9.2 asks for), connected to the server so the
//! kernel drops datagrams from other sources. Datagrams that do not match
//! the query (`matching::response_matches`) are ignored and we keep waiting
//! until the timeout.
//!
//! A UDP reply is read into a buffer of the EDNS payload size we advertise
//! (at least 4,096 bytes), not 64 KiB: one such buffer per in-flight query,
//! zeroed and freed again, left holes in the heap that the long-lived cache
//! entries then pinned (RSS grew by ~0.5 KiB per query). A datagram that
//! fills the whole buffer may have been cut by the kernel and is refused;
//! RFC 6891 §6.2.5 forbids a responder to exceed the advertised size.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, UdpSocket};

use super::matching::response_matches;
use super::network::{BoxFuture, NetError, Network, Transport};

/// Upstream sockets, optionally bound to a configured source address.
#[derive(Clone, Debug)]
pub struct TokioNetwork {
    source_v4: Option<Ipv4Addr>,
    source_v6: Option<Ipv6Addr>,
    /// Receive buffer size for UDP replies.
    udp_buffer: usize,
}

/// The smallest UDP receive buffer, whatever the advertised size.
const MIN_UDP_BUFFER: usize = 4096;

impl TokioNetwork {
    /// `source`: the `upstream.source_address` setting, if any;
    /// `edns_udp_size`: the `upstream.edns_udp_size` we advertise.
    pub fn new(source: Option<IpAddr>, edns_udp_size: u16) -> Self {
        // One byte more than the largest acceptable reply, so that a reply
        // cut by the kernel (it fills the buffer) is recognised.
        let udp_buffer = usize::from(edns_udp_size).max(MIN_UDP_BUFFER) + 1;
        let (source_v4, source_v6) = match source {
            Some(IpAddr::V4(a)) => (Some(a), None),
            Some(IpAddr::V6(a)) => (None, Some(a)),
            None => (None, None),
        };
        Self {
            source_v4,
            source_v6,
            udp_buffer,
        }
    }

    fn local_for(&self, server: SocketAddr) -> SocketAddr {
        match server {
            SocketAddr::V4(_) => SocketAddr::new(
                IpAddr::V4(self.source_v4.unwrap_or(Ipv4Addr::UNSPECIFIED)),
                0,
            ),
            SocketAddr::V6(_) => SocketAddr::new(
                IpAddr::V6(self.source_v6.unwrap_or(Ipv6Addr::UNSPECIFIED)),
                0,
            ),
        }
    }

    async fn udp(&self, server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, NetError> {
        let sock = UdpSocket::bind(self.local_for(server))
            .await
            .map_err(io_err)?;
        sock.connect(server).await.map_err(io_err)?;
        sock.send(query).await.map_err(io_err)?;
        // Not zeroed: `recv_buf` writes into the spare capacity.
        let mut buf = Vec::with_capacity(self.udp_buffer);
        loop {
            buf.clear();
            let n = sock.recv_buf(&mut buf).await.map_err(io_err)?;
            if n >= self.udp_buffer {
                return Err(NetError::Io(format!(
                    "UDP response from {server} larger than {} bytes",
                    self.udp_buffer - 1
                )));
            }
            if response_matches(query, &buf) {
                // Right-sized copy: the reply may be kept while parsing.
                return Ok(buf.as_slice().to_vec());
            }
            tracing::debug!(%server, len = n, "ignoring non-matching UDP response");
        }
    }

    async fn tcp(&self, server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, NetError> {
        let sock = match server {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(io_err)?;
        sock.bind(self.local_for(server)).map_err(io_err)?;
        let mut stream = sock.connect(server).await.map_err(io_err)?;
        let len = u16::try_from(query.len())
            .map_err(|_| NetError::Io("query longer than 65535 bytes".into()))?;
        let mut framed = Vec::with_capacity(query.len() + 2);
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(query);
        stream.write_all(&framed).await.map_err(io_err)?;
        // RFC 7766 §6.2.1: a server may send other responses on the
        // connection; read until ours arrives (bounded by the timeout).
        loop {
            let len = stream.read_u16().await.map_err(io_err)?;
            let mut reply = vec![0u8; usize::from(len)];
            stream.read_exact(&mut reply).await.map_err(io_err)?;
            if response_matches(query, &reply) {
                return Ok(reply);
            }
        }
    }
}

fn io_err(e: std::io::Error) -> NetError {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused | ConnectionReset | AddrNotAvailable | NetworkUnreachable
        | HostUnreachable => NetError::Unreachable(e.to_string()),
        _ => NetError::Io(e.to_string()),
    }
}

impl Network for TokioNetwork {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        transport: Transport,
        query: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<u8>, NetError>> {
        Box::pin(async move {
            let fut = async {
                match transport {
                    Transport::Udp => self.udp(server, query).await,
                    Transport::Tcp => self.tcp(server, query).await,
                }
            };
            tokio::time::timeout(timeout, fut)
                .await
                .unwrap_or(Err(NetError::Timeout))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ID 0x1234, RD, one question: `a. A IN`.
    const QUERY: &[u8] =
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01";

    /// A UDP server on loopback that answers one query with `QUERY` marked
    /// as a response and padded to `len` bytes.
    async fn answering_with(len: usize) -> SocketAddr {
        let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let addr = sock.local_addr().expect("addr");
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            if let Ok((_, from)) = sock.recv_from(&mut buf).await {
                let mut reply = QUERY.to_vec();
                reply[2] |= 0x80;
                reply.resize(len, 0);
                let _ = sock.send_to(&reply, from).await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn udp_reply_up_to_the_buffer_is_taken_and_a_larger_one_refused() {
        let net = TokioNetwork::new(None, 1232);
        let ok = answering_with(4096).await;
        let got = net
            .exchange(ok, Transport::Udp, QUERY, Duration::from_secs(2))
            .await
            .expect("a 4096-byte reply fits");
        assert_eq!(got.len(), 4096);
        let big = answering_with(5000).await;
        let err = net
            .exchange(big, Transport::Udp, QUERY, Duration::from_secs(2))
            .await
            .expect_err("cut by the kernel");
        assert!(matches!(err, NetError::Io(_)), "{err:?}");
    }

    #[tokio::test]
    async fn larger_advertised_size_grows_the_buffer() {
        let net = TokioNetwork::new(None, 8192);
        let addr = answering_with(8000).await;
        let got = net
            .exchange(addr, Transport::Udp, QUERY, Duration::from_secs(2))
            .await
            .expect("fits in 8192");
        assert_eq!(got.len(), 8000);
    }
}
