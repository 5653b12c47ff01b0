//! Building responses that do not come from the answer cache: errors
//! (FORMERR, NOTIMP, REFUSED, BADVERS, SERVFAIL) and the RFC 8482 answer to
//! qtype ANY. Responses from a `Resolution` are built by
//! [`crate::cache::message::StoredAnswer`] so hits and misses share one path.

use crate::cache::message::{push_opt, OptParams, HEADER_LEN};
use crate::server::query::{Edns, HeaderInfo};

/// RFC 1035 §4.2.1: the UDP limit without EDNS.
pub const MIN_UDP: usize = 512;
/// A TCP message is bounded by its 2-byte length prefix (RFC 1035 §4.2.2).
pub const TCP_LIMIT: usize = 65_535;
/// RFC 8482 §4.2: the TTL of the synthesized HINFO.
const ANY_TTL: u32 = 3600;

/// Maximum response size for a client: 512 without EDNS, else the smaller
/// of its advertised size and ours, never below 512 (RFC 6891 §6.2.5).
pub fn response_limit(edns: Option<Edns>, ours: u16, tcp: bool) -> usize {
    if tcp {
        return TCP_LIMIT;
    }
    match edns {
        None => MIN_UDP,
        Some(e) => usize::from(e.udp_size.min(ours)).max(MIN_UDP),
    }
}

/// Our OPT for a client that sent one: our size, DO echoed (RFC 3225 §3).
pub fn opt_for(edns: Option<Edns>, ours: u16) -> Option<OptParams> {
    edns.map(|e| OptParams {
        udp_size: ours,
        dnssec_ok: e.dnssec_ok,
    })
}

fn header(out: &mut Vec<u8>, h: &HeaderInfo, rcode: u16, qd: u16, an: u16, ar: u16) {
    out.extend_from_slice(&h.id.to_be_bytes());
    // QR=1, OPCODE echoed, AA=0, TC=0, RD copied.
    out.push(0x80 | ((h.opcode & 0x0F) << 3) | u8::from(h.rd));
    // RA=1, AD=0, CD copied, low 4 bits of the RCODE.
    out.push(0x80 | (u8::from(h.cd) << 4) | (rcode & 0x0F) as u8);
    out.extend_from_slice(&qd.to_be_bytes());
    out.extend_from_slice(&an.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&ar.to_be_bytes());
}

/// An error response: header, the question if it could be read, and an OPT
/// if the client sent one (carrying the upper RCODE bits, RFC 6891 §6.1.3).
pub fn error_response(
    h: &HeaderInfo,
    rcode: u16,
    question: Option<&[u8]>,
    edns: Option<Edns>,
    ours: u16,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + question.map_or(0, <[u8]>::len) + 11);
    error_response_into(&mut out, h, rcode, question, edns, ours);
    out
}

/// [`error_response`] written into `out` (cleared first), so the UDP
/// listener's reused per-slot buffer serves errors without allocating.
pub fn error_response_into(
    out: &mut Vec<u8>,
    h: &HeaderInfo,
    rcode: u16,
    question: Option<&[u8]>,
    edns: Option<Edns>,
    ours: u16,
) {
    out.clear();
    let qd = u16::from(question.is_some());
    let opt = opt_for(edns, ours);
    header(out, h, rcode, qd, 0, u16::from(opt.is_some()));
    if let Some(q) = question {
        out.extend_from_slice(q);
    }
    if let Some(o) = opt {
        push_opt(out, o, (rcode >> 4) as u8, None);
    }
}

/// RFC 8482 §4.2: answer qtype ANY with one synthesized HINFO RRset
/// ("RFC8482", "") instead of everything we hold; written into `out`
/// (cleared first).
pub fn any_response_into(
    out: &mut Vec<u8>,
    h: &HeaderInfo,
    question: &[u8],
    edns: Option<Edns>,
    ours: u16,
) {
    out.clear();
    let opt = opt_for(edns, ours);
    header(out, h, 0, 1, 1, u16::from(opt.is_some()));
    out.extend_from_slice(question);
    // Owner: a pointer to the question name at offset 12 (RFC 1035 §4.1.4).
    out.extend_from_slice(&[0xC0, 0x0C]);
    out.extend_from_slice(&13u16.to_be_bytes()); // HINFO
    out.extend_from_slice(&1u16.to_be_bytes()); // IN
    out.extend_from_slice(&ANY_TTL.to_be_bytes());
    let cpu = b"RFC8482";
    out.extend_from_slice(&((cpu.len() + 2) as u16).to_be_bytes());
    out.push(cpu.len() as u8);
    out.extend_from_slice(cpu);
    out.push(0); // empty OS string
    if let Some(o) = opt {
        push_opt(out, o, 0, None);
    }
}
