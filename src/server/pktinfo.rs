//! Replying from the address a query was sent to, on wildcard listeners.
//!
//! A socket bound to 0.0.0.0 or :: would otherwise reply from whatever
//! source address routing picks, and clients (which match responses by
//! address, RFC 5452 §4.3) would drop the reply. With IP_PKTINFO /
//! IPV6_RECVPKTINFO the kernel tells us the destination address of each
//! datagram, and we hand it back as the source when sending (RFC 3542 §6).
//! Linux-only. Datagrams are received in batches with their control
//! messages by [`crate::server::batch`], which uses [`local_from_cmsgs`] and
//! [`set_source`]; [`send`] is the one-off reply of a resolved miss.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use socket2::SockAddr;
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// The local side of a received datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Local {
    V4 { addr: Ipv4Addr },
    V6 { addr: Ipv6Addr, ifindex: u32 },
}

/// Asks the kernel for the destination address of every datagram.
pub fn enable(sock: &UdpSocket, v6: bool) -> io::Result<()> {
    let on: libc::c_int = 1;
    let (level, opt) = if v6 {
        (libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO)
    } else {
        (libc::IPPROTO_IP, libc::IP_PKTINFO)
    };
    // SAFETY: `on` outlives the call and its size is passed.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            opt,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Control buffer, aligned for `cmsghdr`, big enough for one pktinfo.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub(crate) struct Control(pub(crate) [u8; 128]);

impl Control {
    pub(crate) const fn new() -> Self {
        Control([0; 128])
    }
}

// The SAFETY argument of `set_source` (and the kernel's room for a received
// pktinfo) rests on this: one pktinfo message of either family fits.
// SAFETY: CMSG_SPACE is pure arithmetic on its argument.
const _: () = assert!(
    unsafe { libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) } as usize
        <= size_of::<Control>()
        && unsafe { libc::CMSG_SPACE(size_of::<libc::in_pktinfo>() as u32) } as usize
            <= size_of::<Control>()
);

/// The destination address from the control messages of a received `msg`.
///
/// # Safety
/// `msg.msg_control`/`msg_controllen` must describe a live buffer that the
/// kernel filled (recvmsg/recvmmsg), or be null/0.
pub(crate) unsafe fn local_from_cmsgs(msg: &libc::msghdr) -> Option<Local> {
    let mut local = None;
    // SAFETY (caller): CMSG_* walk the control buffer the kernel filled,
    // bounded by msg_controllen; data is read unaligned, and only from a
    // message whose cmsg_len covers it: the kernel cuts a message that does
    // not fit (MSG_CTRUNC) to the space left, so a short cmsg_len at the
    // end of the buffer would otherwise let the read run past it.
    let fits = |h: &libc::cmsghdr, size: usize| h.cmsg_len >= libc::CMSG_LEN(size as u32) as _;
    let mut c = libc::CMSG_FIRSTHDR(msg);
    while !c.is_null() {
        let h = &*c;
        if h.cmsg_level == libc::IPPROTO_IP
            && h.cmsg_type == libc::IP_PKTINFO
            && fits(h, size_of::<libc::in_pktinfo>())
        {
            let info: libc::in_pktinfo = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
            local = Some(Local::V4 {
                addr: Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr)),
            });
        } else if h.cmsg_level == libc::IPPROTO_IPV6
            && h.cmsg_type == libc::IPV6_PKTINFO
            && fits(h, size_of::<libc::in6_pktinfo>())
        {
            let info: libc::in6_pktinfo = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
            local = Some(Local::V6 {
                addr: Ipv6Addr::from(info.ipi6_addr.s6_addr),
                ifindex: info.ipi6_ifindex,
            });
        }
        c = libc::CMSG_NXTHDR(msg, c);
    }
    local
}

/// Points `msg`'s control at `control` and writes one pktinfo message
/// there, so the datagram leaves from `local`.
pub(crate) fn set_source(msg: &mut libc::msghdr, control: &mut Control, local: Local) {
    *control = Control::new();
    msg.msg_control = control.0.as_mut_ptr().cast();
    let (level, ty, size) = match local {
        Local::V4 { .. } => (
            libc::IPPROTO_IP,
            libc::IP_PKTINFO,
            size_of::<libc::in_pktinfo>(),
        ),
        Local::V6 { .. } => (
            libc::IPPROTO_IPV6,
            libc::IPV6_PKTINFO,
            size_of::<libc::in6_pktinfo>(),
        ),
    };
    // SAFETY: CMSG_* compute sizes and write one header plus its data
    // inside `control`, which is at least CMSG_SPACE of either struct
    // (asserted at compile time next to `Control`); msg_controllen is that
    // space, so CMSG_FIRSTHDR returns the start of `control` (the null test
    // is only a guard).
    unsafe {
        msg.msg_controllen = libc::CMSG_SPACE(size as u32) as _;
        let c = libc::CMSG_FIRSTHDR(msg);
        if c.is_null() {
            msg.msg_control = std::ptr::null_mut();
            msg.msg_controllen = 0;
            return;
        }
        (*c).cmsg_level = level;
        (*c).cmsg_type = ty;
        (*c).cmsg_len = libc::CMSG_LEN(size as u32) as _;
        match local {
            Local::V4 { addr } => {
                // ipi_spec_dst sets the source; ifindex 0 lets routing
                // choose the interface.
                let mut info: libc::in_pktinfo = zeroed();
                info.ipi_spec_dst.s_addr = u32::from(addr).to_be();
                std::ptr::write_unaligned(libc::CMSG_DATA(c).cast(), info);
            }
            Local::V6 { addr, ifindex } => {
                let mut info: libc::in6_pktinfo = zeroed();
                info.ipi6_addr.s6_addr = addr.octets();
                info.ipi6_ifindex = ifindex;
                std::ptr::write_unaligned(libc::CMSG_DATA(c).cast(), info);
            }
        }
    }
}

fn send_once(
    fd: libc::c_int,
    data: &[u8],
    peer: SocketAddr,
    local: Option<Local>,
) -> io::Result<usize> {
    let peer = SockAddr::from(peer);
    let mut control = Control::new();
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: all-zero is a valid msghdr.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_name = peer.as_ptr() as *mut libc::c_void;
    msg.msg_namelen = peer.len();
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if let Some(local) = local {
        set_source(&mut msg, &mut control, local);
    }
    // SAFETY: every pointer in `msg` refers to live buffers of the stated sizes.
    let n = unsafe { libc::sendmsg(fd, &msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Sends `data` to `peer` from `local` (the address the query came to).
pub async fn send(
    sock: &UdpSocket,
    data: &[u8],
    peer: SocketAddr,
    local: Option<Local>,
) -> io::Result<usize> {
    let fd = sock.as_raw_fd();
    sock.async_io(Interest::WRITABLE, || send_once(fd, data, peer, local))
        .await
}
