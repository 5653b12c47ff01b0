//! Parsing and validating a client query by hand, without allocation.
//!
//! Only what the server needs is read: the header, the single question
//! (lowercased into a stack buffer for the cache key) and the OPT RR. Every
//! read is bounds-checked and every loop is bounded by the packet length,
//! so no input can panic or stall the parser.

use crate::cache::message::{skip_name, HEADER_LEN, OPT_TYPE};

/// RFC 1035 §3.1: a name is at most 255 octets in wire format.
pub const MAX_NAME: usize = 255;

/// The client's EDNS parameters (RFC 6891 §6.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edns {
    pub udp_size: u16,
    pub version: u8,
    pub dnssec_ok: bool,
}

/// Header fields echoed in every response, even an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderInfo {
    pub id: u16,
    pub opcode: u8,
    pub rd: bool,
    pub ad: bool,
    pub cd: bool,
}

/// A well-formed query, borrowing the packet.
#[derive(Clone, Copy, Debug)]
pub struct QueryView<'a> {
    pub header: HeaderInfo,
    /// The qname as the client wrote it.
    pub qname: &'a [u8],
    /// The question section (qname, qtype, qclass) as the client wrote it.
    pub question: &'a [u8],
    /// The qname lowercased (ASCII, RFC 4343), first `qname.len()` bytes used.
    pub lower: [u8; MAX_NAME],
    pub qtype: u16,
    pub qclass: u16,
    pub edns: Option<Edns>,
}

impl QueryView<'_> {
    pub fn lower_name(&self) -> &[u8] {
        self.lower.get(..self.qname.len()).unwrap_or(&[])
    }
}

/// Why a query is answered with an error instead of being resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject<'a> {
    /// No response at all: shorter than a header, or a response (QR=1).
    Drop,
    /// An error RCODE, echoing what could be read of the query.
    Error {
        header: HeaderInfo,
        /// RCODE, possibly extended (BADVERS = 16).
        rcode: u16,
        /// The question section (qname, qtype, qclass) as sent, if it parsed.
        question: Option<&'a [u8]>,
        edns: Option<Edns>,
    },
}

pub const RCODE_FORMERR: u16 = 1;
pub const RCODE_SERVFAIL: u16 = 2;
pub const RCODE_NOTIMP: u16 = 4;
pub const RCODE_REFUSED: u16 = 5;
/// RFC 6891 §6.1.3: unsupported EDNS version.
pub const RCODE_BADVERS: u16 = 16;

fn u16_at(p: &[u8], at: usize) -> Option<u16> {
    let s = p.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// Reads the header fields, if there is a whole header.
pub fn header_info(p: &[u8]) -> Option<HeaderInfo> {
    let h = p.get(..HEADER_LEN)?;
    Some(HeaderInfo {
        id: u16::from_be_bytes([h[0], h[1]]),
        opcode: (h[2] >> 3) & 0x0F,
        rd: h[2] & 0x01 != 0,
        ad: h[3] & 0x20 != 0,
        cd: h[3] & 0x10 != 0,
    })
}

/// Reads the uncompressed question name at offset 12, lowercasing it into
/// `lower`; returns its length. Compression is refused: in a query the
/// question is the first name, so a pointer can only be bogus.
fn read_qname(p: &[u8], lower: &mut [u8; MAX_NAME]) -> Option<usize> {
    let mut pos = HEADER_LEN;
    let mut n = 0usize;
    loop {
        let len = usize::from(*p.get(pos)?);
        if len > 63 {
            return None;
        }
        let end = pos.checked_add(1 + len)?;
        let src = p.get(pos..end)?;
        let dst = lower.get_mut(n..n + 1 + len)?;
        for (d, s) in dst.iter_mut().zip(src) {
            *d = s.to_ascii_lowercase();
        }
        n += 1 + len;
        pos = end;
        if len == 0 {
            return Some(n);
        }
    }
}

/// Skips one resource record at `pos`; returns its type, class, TTL,
/// whether its owner is the root, and the offset of the next record.
fn skip_rr(p: &[u8], pos: usize) -> Option<(u16, u16, u32, bool, usize)> {
    let after_name = skip_name(p, pos)?;
    let root = after_name == pos + 1;
    let rtype = u16_at(p, after_name)?;
    let class = u16_at(p, after_name + 2)?;
    let ttl_s = p.get(after_name + 4..after_name + 8)?;
    let ttl = u32::from_be_bytes([ttl_s[0], ttl_s[1], ttl_s[2], ttl_s[3]]);
    let rdlen = usize::from(u16_at(p, after_name + 8)?);
    let next = after_name + 10 + rdlen;
    if next > p.len() {
        return None;
    }
    Some((rtype, class, ttl, root, next))
}

/// Parses a client query. QR=1 packets and runts are dropped; everything
/// else that is not a plain one-question QUERY is a [`Reject::Error`].
pub fn parse(p: &[u8]) -> Result<QueryView<'_>, Reject<'_>> {
    let Some(header) = header_info(p) else {
        return Err(Reject::Drop);
    };
    // A response sent to a server is dropped, never answered (it could be
    // a reflection attempt or a loop).
    if p.get(2).is_some_and(|b| b & 0x80 != 0) {
        return Err(Reject::Drop);
    }
    let err = |rcode, question, edns| {
        Err(Reject::Error {
            header,
            rcode,
            question,
            edns,
        })
    };
    if header.opcode != 0 {
        return err(RCODE_NOTIMP, None, None);
    }
    let (Some(qd), Some(an), Some(ns), Some(ar)) =
        (u16_at(p, 4), u16_at(p, 6), u16_at(p, 8), u16_at(p, 10))
    else {
        return Err(Reject::Drop);
    };
    if qd != 1 {
        return err(RCODE_FORMERR, None, None);
    }
    let mut lower = [0u8; MAX_NAME];
    let Some(qlen) = read_qname(p, &mut lower) else {
        return err(RCODE_FORMERR, None, None);
    };
    let qend = HEADER_LEN + qlen;
    let (Some(question), Some(qtype), Some(qclass)) = (
        p.get(HEADER_LEN..qend + 4),
        u16_at(p, qend),
        u16_at(p, qend + 2),
    ) else {
        return err(RCODE_FORMERR, None, None);
    };
    let qname = p.get(HEADER_LEN..qend).unwrap_or(&[]);
    // Skip answer and authority (normally empty in a query), then look for
    // the OPT RR in the additional section. Each RR consumes at least 11
    // bytes, so these loops end with the packet.
    let mut pos = qend + 4;
    for _ in 0..(u32::from(an) + u32::from(ns)) {
        match skip_rr(p, pos) {
            Some((.., next)) => pos = next,
            None => return err(RCODE_FORMERR, Some(question), None),
        }
    }
    let mut edns: Option<Edns> = None;
    for _ in 0..ar {
        let Some((rtype, class, ttl, root, next)) = skip_rr(p, pos) else {
            return err(RCODE_FORMERR, Some(question), edns);
        };
        if rtype == OPT_TYPE {
            // RFC 6891 §6.1.1: more than one OPT, or an OPT not owned by
            // the root, is FORMERR.
            if edns.is_some() || !root {
                return err(RCODE_FORMERR, Some(question), None);
            }
            edns = Some(Edns {
                udp_size: class,
                version: (ttl >> 16) as u8,
                dnssec_ok: ttl & 0x8000 != 0,
            });
        }
        pos = next;
    }
    if let Some(e) = edns {
        // RFC 6891 §6.1.3: a version we do not implement gets BADVERS.
        if e.version > 0 {
            return err(RCODE_BADVERS, Some(question), edns);
        }
    }
    Ok(QueryView {
        header,
        qname,
        question,
        lower,
        qtype,
        qclass,
        edns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &[u8], qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(name);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&1u16.to_be_bytes());
        q
    }

    #[test]
    fn parses_and_lowercases() {
        let q = query(b"\x03WwW\x07ExAmple\x03com\x00", 1);
        let v = parse(&q).unwrap();
        assert_eq!(v.header.id, 0x1234);
        assert!(v.header.rd);
        assert_eq!(v.qname, b"\x03WwW\x07ExAmple\x03com\x00");
        assert_eq!(v.lower_name(), b"\x03www\x07example\x03com\x00");
        assert_eq!(v.qtype, 1);
        assert!(v.edns.is_none());
    }

    #[test]
    fn runts_and_responses_are_dropped() {
        assert_eq!(parse(&[0; 11]).unwrap_err(), Reject::Drop);
        let mut q = query(b"\x00", 1);
        q[2] |= 0x80;
        assert_eq!(parse(&q).unwrap_err(), Reject::Drop);
    }

    #[test]
    fn compression_in_question_is_formerr() {
        let q = query(b"\xc0\x0c", 1);
        assert!(matches!(
            parse(&q),
            Err(Reject::Error {
                rcode: RCODE_FORMERR,
                ..
            })
        ));
    }

    #[test]
    fn overlong_name_is_formerr() {
        let mut name = Vec::new();
        for _ in 0..5 {
            name.push(63);
            name.extend_from_slice(&[b'a'; 63]);
        }
        name.push(0);
        let q = query(&name, 1);
        assert!(matches!(
            parse(&q),
            Err(Reject::Error {
                rcode: RCODE_FORMERR,
                ..
            })
        ));
    }
}
