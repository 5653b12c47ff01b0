//! Batched UDP I/O for the listeners: one `recvmmsg` fetches up to
//! [`BATCH`] datagrams, and one `sendmmsg` sends back the answers to all of
//! them that could be answered at once (cache hits and errors).
//!
//! On a cache hit the kernel's per-packet work (two syscalls, two wakeups)
//! dominates the cost of a query, so amortising the syscalls over a batch is
//! the largest saving left. Linux-only; the raw calls are confined to this
//! file, bounded by [`BATCH`] messages per call.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::SocketAddr;
use std::os::fd::RawFd;

use socket2::SockAddr;

use crate::server::pktinfo::{self, Control, Local};

/// Datagrams per `recvmmsg`/`sendmmsg` call.
pub const BATCH: usize = 64;

/// Receive buffer per datagram. A DNS query is a header, one question and
/// at most an OPT record (plus perhaps a cookie or padding): far below this.
/// A longer datagram arrives with MSG_TRUNC and is dropped (counted), since
/// no real client sends such a query over UDP.
pub const SLOT: usize = 4096;

/// What the kernel told us about one received datagram.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    /// Bytes in the slot.
    pub len: usize,
    /// The sender; `None` if the address is not IPv4/IPv6 (cannot happen on
    /// an IP socket, but never trusted).
    pub peer: Option<SocketAddr>,
    /// The datagram's destination address (wildcard sockets only).
    pub local: Option<Local>,
    /// Longer than [`SLOT`]: the tail was cut off (MSG_TRUNC).
    pub truncated: bool,
}

const NO_META: Meta = Meta {
    len: 0,
    peer: None,
    local: None,
    truncated: false,
};

/// Preallocated buffers for one socket: [`BATCH`] receive slots, each with
/// its sender's address, and one reusable output buffer per slot. Holds no
/// raw pointers, so a task owning it stays `Send`; the `mmsghdr` arrays are
/// built on the stack for each call.
pub struct Batch {
    bufs: Box<[u8]>,
    names: Box<[libc::sockaddr_storage]>,
    name_lens: [libc::socklen_t; BATCH],
    controls: Box<[Control]>,
    meta: [Meta; BATCH],
    /// Number of valid entries in `meta`.
    received: usize,
    /// Response bytes per slot.
    out: Vec<Vec<u8>>,
    /// Slots whose `out` is to be sent, in order, with the source address.
    queue: Vec<(usize, Option<Local>)>,
    /// How many of `queue` are already sent (or failed).
    sent: usize,
    /// Control buffers for sending from a wildcard socket, one per message.
    send_controls: Box<[Control]>,
    /// Ask the kernel for (and send) IP_PKTINFO / IPV6_PKTINFO.
    pktinfo: bool,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("received", &self.received)
            .field("queued", &self.queue.len())
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl Batch {
    /// Buffers for a socket; `pktinfo` for wildcard-bound sockets.
    pub fn new(pktinfo: bool) -> Self {
        Batch {
            bufs: vec![0u8; BATCH * SLOT].into_boxed_slice(),
            // SAFETY: all-zero is a valid sockaddr_storage.
            names: vec![unsafe { zeroed::<libc::sockaddr_storage>() }; BATCH].into_boxed_slice(),
            name_lens: [0; BATCH],
            controls: vec![Control::new(); BATCH].into_boxed_slice(),
            meta: [NO_META; BATCH],
            received: 0,
            out: (0..BATCH).map(|_| Vec::with_capacity(512)).collect(),
            queue: Vec::with_capacity(BATCH),
            sent: 0,
            send_controls: if pktinfo {
                vec![Control::new(); BATCH].into_boxed_slice()
            } else {
                Box::default()
            },
            pktinfo,
        }
    }

    /// Forgets the received datagrams and queued responses.
    pub fn reset(&mut self) {
        self.received = 0;
        self.queue.clear();
        self.sent = 0;
    }

    /// Datagrams from the last [`Batch::recv`].
    pub fn received(&self) -> usize {
        self.received
    }

    /// Metadata of received datagram `i`.
    pub fn meta(&self, i: usize) -> Meta {
        self.meta.get(i).copied().unwrap_or(NO_META)
    }

    /// Datagram `i` and the output buffer of its slot.
    pub fn packet_and_out(&mut self, i: usize) -> Option<(&[u8], &mut Vec<u8>)> {
        let len = self.meta.get(i)?.len.min(SLOT);
        let packet = self.bufs.get(i * SLOT..i * SLOT + len)?;
        let out = self.out.get_mut(i)?;
        Some((packet, out))
    }

    /// Marks slot `i`'s output buffer for sending to the slot's sender.
    pub fn queue(&mut self, i: usize) {
        if i < self.received {
            let local = self.meta(i).local;
            self.queue.push((i, local));
        }
    }

    /// Responses queued and not yet sent.
    pub fn unsent(&self) -> usize {
        self.queue.len().saturating_sub(self.sent)
    }

    /// Counts the first unsent response as done (sent or failed).
    pub fn skip(&mut self, n: usize) {
        self.sent = self.sent.saturating_add(n).min(self.queue.len());
    }

    /// Receives up to [`BATCH`] datagrams without blocking; replaces the
    /// previous batch (whose responses must have been sent). Returns how
    /// many arrived, or the error of the first (EAGAIN when none).
    pub fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        self.reset();
        // SAFETY: all-zero is a valid iovec/mmsghdr (null pointers, zero
        // lengths); every entry is filled below before the call.
        let mut iovs: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut hdrs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        let slots = self.bufs.chunks_exact_mut(SLOT);
        for ((((iov, hdr), buf), name), control) in iovs
            .iter_mut()
            .zip(hdrs.iter_mut())
            .zip(slots)
            .zip(self.names.iter_mut())
            .zip(self.controls.iter_mut())
        {
            iov.iov_base = buf.as_mut_ptr().cast();
            iov.iov_len = buf.len();
            let m = &mut hdr.msg_hdr;
            m.msg_name = (name as *mut libc::sockaddr_storage).cast();
            m.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            m.msg_iov = iov;
            m.msg_iovlen = 1;
            if self.pktinfo {
                m.msg_control = control.0.as_mut_ptr().cast();
                m.msg_controllen = control.0.len() as _;
            }
        }
        // SAFETY: `hdrs` holds BATCH headers whose pointers refer to live,
        // distinct buffers of the stated sizes (the slots, names and
        // controls of `self`, and `iovs`), none of which moves or is
        // otherwise borrowed during the call.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                hdrs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = usize::try_from(n).unwrap_or(0).min(BATCH);
        for (i, hdr) in hdrs.iter().enumerate().take(n) {
            let m = &hdr.msg_hdr;
            // `names` is reused from call to call: a datagram without a
            // sender address (msg_namelen 0, impossible on an IP socket)
            // must not be answered to the previous sender still stored there.
            let name = self.names.get(i).copied().filter(|_| m.msg_namelen > 0);
            let peer = name.and_then(|s| {
                // SAFETY: the kernel wrote the sender's address into `s` and
                // its length into msg_namelen (at most the storage's size,
                // since it copies from a kernel sockaddr_storage).
                unsafe { SockAddr::new(s, m.msg_namelen) }.as_socket()
            });
            if let Some(l) = self.name_lens.get_mut(i) {
                *l = m.msg_namelen;
            }
            let local = if self.pktinfo {
                // SAFETY: msg_control points into self.controls[i], which
                // the kernel filled, with msg_controllen set by it.
                unsafe { pktinfo::local_from_cmsgs(m) }
            } else {
                None
            };
            if let Some(meta) = self.meta.get_mut(i) {
                *meta = Meta {
                    len: (hdr.msg_len as usize).min(SLOT),
                    peer,
                    local,
                    truncated: m.msg_flags & libc::MSG_TRUNC != 0,
                };
            }
        }
        self.received = n;
        Ok(n)
    }

    /// Sends the unsent queued responses with one `sendmmsg`, without
    /// blocking. Returns how many left (at least one), or the error of the
    /// first one (EAGAIN when the socket buffer is full).
    pub fn send(&mut self, fd: RawFd) -> io::Result<usize> {
        let pending = self.queue.get(self.sent..).unwrap_or(&[]);
        if pending.is_empty() {
            return Ok(0);
        }
        // SAFETY: all-zero is a valid iovec/mmsghdr.
        let mut iovs: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut hdrs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        let mut controls = self.send_controls.iter_mut();
        let mut count = 0;
        for ((&(slot, local), iov), hdr) in pending.iter().zip(iovs.iter_mut()).zip(hdrs.iter_mut())
        {
            let (Some(out), Some(name), Some(&len)) = (
                self.out.get(slot),
                self.names.get_mut(slot),
                self.name_lens.get(slot),
            ) else {
                break;
            };
            iov.iov_base = out.as_ptr() as *mut libc::c_void;
            iov.iov_len = out.len();
            let m = &mut hdr.msg_hdr;
            // The reply goes back to the address the query came from.
            m.msg_name = (name as *mut libc::sockaddr_storage).cast();
            m.msg_namelen = len;
            m.msg_iov = iov;
            m.msg_iovlen = 1;
            // Only wildcard sockets have a `local`, and they have a control
            // buffer per message.
            if let (Some(local), Some(control)) = (local, controls.next()) {
                pktinfo::set_source(m, control, local);
            }
            count += 1;
        }
        if count == 0 {
            return Ok(0);
        }
        // SAFETY: the first `count` headers point to live buffers of the
        // stated sizes (output buffers, sender addresses, `iovs`,
        // `send_controls`), none of which moves during the call; sendmmsg only
        // reads them (and writes msg_len).
        let n = unsafe { libc::sendmmsg(fd, hdrs.as_mut_ptr(), count as libc::c_uint, 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Test helper: queues `data` for `peer` as if it were a received query's
    /// answer.
    #[cfg(test)]
    pub(crate) fn push_for_test(&mut self, peer: SocketAddr, data: &[u8]) {
        let i = self.received;
        let sa = SockAddr::from(peer);
        if let (Some(name), Some(len), Some(out), Some(meta)) = (
            self.names.get_mut(i),
            self.name_lens.get_mut(i),
            self.out.get_mut(i),
            self.meta.get_mut(i),
        ) {
            *len = sa.len();
            *name = sa.as_storage();
            out.clear();
            out.extend_from_slice(data);
            *meta = Meta {
                len: 0,
                peer: Some(peer),
                local: None,
                truncated: false,
            };
            self.received += 1;
            self.queue(i);
        }
    }
}
