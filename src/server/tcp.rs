//! TCP listeners (RFC 7766): 2-byte length framing, pipelined queries
//! answered as they complete (possibly out of order, RFC 7766 §6.2.1.1),
//! an idle timeout and a cap on simultaneous connections.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::timeout;

use crate::server::fastpath::{FastPath, Handler};

/// Queries of one connection being resolved at once; the reader waits
/// beyond this, which pushes back on the client.
const MAX_PIPELINE: usize = 32;

/// Creates a listening TCP socket on `addr`. No SO_REUSEPORT: a second
/// instance on the same port must fail to bind (port-conflict detection).
pub fn bind_tcp(addr: SocketAddr) -> io::Result<TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    // Allows a restart while old connections sit in TIME_WAIT; does not
    // allow two listeners on one port on Linux.
    s.set_reuse_address(true)?;
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    TcpListener::from_std(s.into())
}

/// Per-listener TCP settings.
#[derive(Clone, Debug)]
pub struct TcpSettings {
    pub idle: Duration,
    pub connections: Arc<Semaphore>,
}

/// Accepts connections until the task is aborted.
pub async fn serve_tcp(listener: Arc<TcpListener>, handler: Arc<Handler>, settings: TcpSettings) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: wait rather than spin.
                tracing::debug!(error = %e, "tcp accept");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Over the cap: close at once (RFC 7766 §6.2.2 lets servers limit).
        let Ok(permit) = settings.connections.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "tcp: connection closed: at tcp_max_connections");
            drop(stream);
            continue;
        };
        let h = handler.clone();
        let idle = settings.idle;
        tokio::spawn(connection(stream, peer, h, idle, permit));
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    handler: Arc<Handler>,
    idle: Duration,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let (mut rd, mut wr) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(MAX_PIPELINE);
    // One writer per connection so responses from concurrent resolutions
    // never interleave their bytes.
    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            let Ok(len) = u16::try_from(msg.len()) else {
                tracing::warn!(len = msg.len(), "tcp: dropped a response too long to frame");
                continue;
            };
            let mut framed = Vec::with_capacity(msg.len() + 2);
            framed.extend_from_slice(&len.to_be_bytes());
            framed.extend_from_slice(&msg);
            // A client that stops reading is cut off after the idle time.
            match timeout(idle, wr.write_all(&framed)).await {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
        let _ = wr.shutdown().await;
    });
    let pipeline = Arc::new(Semaphore::new(MAX_PIPELINE));
    loop {
        let mut len = [0u8; 2];
        match timeout(idle, rd.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => break,
        }
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        match timeout(idle, rd.read_exact(&mut buf)).await {
            Ok(Ok(_)) => {}
            _ => break,
        }
        match handler.fast_path(&buf, peer, true) {
            FastPath::Answer(resp) => {
                if tx.send(resp).await.is_err() {
                    break;
                }
            }
            // `fast_path` returns hits as `Answer`; `Written` is only for
            // `fast_path_into`.
            FastPath::Drop | FastPath::Written => {}
            FastPath::Miss(q) => {
                let Ok(permit) = pipeline.clone().acquire_owned().await else {
                    break;
                };
                let tx = tx.clone();
                let h = handler.clone();
                tokio::spawn(async move {
                    let resp = h.resolve_miss(q).await;
                    let _ = tx.send(resp).await;
                    drop(permit);
                });
            }
        }
    }
    // The writer ends once every pending resolution has sent its answer.
    drop(tx);
    let _ = writer.await;
}
