//! The real network: tokio UDP and TCP sockets implementing
//! [`Network`](super::network::Network).
//!
//! Each UDP exchange uses a fresh socket bound to an ephemeral port (the
//! kernel picks it at random: with the random query ID that gives the ~32
//! bits of entropy RFC 5452 §9.2 asks for), connected to the server so the
//! kernel drops datagrams from other sources. Datagrams that do not match
//! the query (`matching::response_matches`) are ignored and we keep waiting
//! until the timeout. Replies up to 65,535 bytes are accepted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, UdpSocket};

use super::matching::response_matches;
use super::network::{BoxFuture, NetError, Network, Transport};

/// Upstream sockets, optionally bound to a configured source address.
#[derive(Clone, Debug, Default)]
pub struct TokioNetwork {
    source_v4: Option<Ipv4Addr>,
    source_v6: Option<Ipv6Addr>,
}

impl TokioNetwork {
    /// `source`: the `upstream.source_address` setting, if any.
    pub fn new(source: Option<IpAddr>) -> Self {
        match source {
            Some(IpAddr::V4(a)) => Self {
                source_v4: Some(a),
                source_v6: None,
            },
            Some(IpAddr::V6(a)) => Self {
                source_v4: None,
                source_v6: Some(a),
            },
            None => Self::default(),
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
        let mut buf = vec![0u8; 65_535];
        loop {
            let n = sock.recv(&mut buf).await.map_err(io_err)?;
            let reply = buf.get(..n).unwrap_or_default();
            if response_matches(query, reply) {
                return Ok(reply.to_vec());
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
