//! Deciding whether a datagram is the response to a query we sent.
//!
//! RFC 5452 §4.3 / §9.1: a resolver must only accept a response whose ID and
//! question match an outstanding query (and which comes from the address the
//! query went to — that part is the transport's job, it knows the source).
//! Both the real UDP/TCP transport and the simulated network use this one
//! function, so spoofing scenarios exercise the production rule.
//!
//! Hand-written, bounded parsing: this runs on untrusted bytes before any
//! full decode, and must never panic.

/// Length of the fixed DNS header (RFC 1035 §4.1.1).
const HEADER_LEN: usize = 12;
/// Upper bound on compression pointers followed while reading one name;
/// a name has at most 127 labels, so more hops than that is a loop.
const MAX_POINTER_HOPS: usize = 128;
/// RCODE FORMERR (RFC 1035 §4.1.1).
const RCODE_FORMERR: u8 = 1;
/// RCODE NOTIMP (RFC 1035 §4.1.1).
const RCODE_NOTIMP: u8 = 4;

/// True if `response` is a response (QR=1) to `query`: same ID, same number
/// of questions, and each question has the same QTYPE, QCLASS and QNAME
/// compared ASCII case-insensitively (RFC 4343; the query may carry 0x20
/// case randomisation, which a server may or may not preserve).
///
/// One exception: a FORMERR or NOTIMP response with an empty question
/// section is accepted when the ID matches, because old servers that reject
/// EDNS (RFC 6891 §7) commonly answer that way and the resolver needs to
/// see that to fall back.
pub fn response_matches(query: &[u8], response: &[u8]) -> bool {
    let (Some(q_hdr), Some(r_hdr)) = (header(query), header(response)) else {
        return false;
    };
    if q_hdr.id != r_hdr.id || !r_hdr.is_response {
        return false;
    }
    if r_hdr.qdcount == 0 && (r_hdr.rcode == RCODE_FORMERR || r_hdr.rcode == RCODE_NOTIMP) {
        return true;
    }
    if q_hdr.qdcount != r_hdr.qdcount || q_hdr.qdcount == 0 {
        return false;
    }
    let mut q_pos = HEADER_LEN;
    let mut r_pos = HEADER_LEN;
    for _ in 0..q_hdr.qdcount {
        let (Some((q_name, q_next)), Some((r_name, r_next))) =
            (read_name(query, q_pos), read_name(response, r_pos))
        else {
            return false;
        };
        if !q_name.eq_ignore_ascii_case(&r_name) {
            return false;
        }
        // QTYPE and QCLASS: 4 bytes right after the name.
        let (Some(q_tc), Some(r_tc)) = (
            query.get(q_next..q_next.saturating_add(4)),
            response.get(r_next..r_next.saturating_add(4)),
        ) else {
            return false;
        };
        if q_tc != r_tc {
            return false;
        }
        q_pos = q_next.saturating_add(4);
        r_pos = r_next.saturating_add(4);
    }
    true
}

/// The header fields matching needs.
struct Header {
    id: u16,
    is_response: bool,
    rcode: u8,
    qdcount: u16,
}

fn header(msg: &[u8]) -> Option<Header> {
    let h = msg.get(..HEADER_LEN)?;
    let b = |i: usize| h.get(i).copied().unwrap_or(0);
    Some(Header {
        id: u16::from_be_bytes([b(0), b(1)]),
        is_response: b(2) & 0x80 != 0,
        rcode: b(3) & 0x0f,
        qdcount: u16::from_be_bytes([b(4), b(5)]),
    })
}

/// Reads the (possibly compressed) name at `pos`. Returns its uncompressed
/// wire form (labels with length bytes, terminated by the root) and the
/// offset just after the name at its original position.
fn read_name(msg: &[u8], mut pos: usize) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::with_capacity(64);
    let mut end_of_name: Option<usize> = None;
    let mut hops = 0usize;
    loop {
        let len = *msg.get(pos)?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    out.push(0);
                    return Some((out, end_of_name.unwrap_or(pos + 1)));
                }
                let label = msg.get(pos + 1..pos + 1 + usize::from(len))?;
                out.push(len);
                out.extend_from_slice(label);
                // RFC 1035 §2.3.4: names are at most 255 octets.
                if out.len() > 255 {
                    return None;
                }
                pos += 1 + usize::from(len);
            }
            0xc0 => {
                let low = *msg.get(pos + 1)?;
                hops += 1;
                if hops > MAX_POINTER_HOPS {
                    return None;
                }
                if end_of_name.is_none() {
                    end_of_name = Some(pos + 2);
                }
                pos = usize::from(u16::from_be_bytes([len & 0x3f, low]));
            }
            // 0x40 and 0x80: extended label types (RFC 6891 §5), not valid here.
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
    use hickory_proto::rr::{Name, RecordType};

    fn query(id: u16, name: &str, qtype: RecordType) -> Vec<u8> {
        let mut m = Message::new(id, MessageType::Query, OpCode::Query);
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
        m.to_vec().unwrap()
    }

    fn response(id: u16, name: &str, qtype: RecordType) -> Vec<u8> {
        let mut m = Message::new(id, MessageType::Response, OpCode::Query);
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
        m.to_vec().unwrap()
    }

    #[test]
    fn same_id_and_question_matches_case_insensitively() {
        let q = query(7, "WwW.ExAmple.com.", RecordType::A);
        assert!(response_matches(&q, &response(7, "www.example.COM.", RecordType::A)));
    }

    #[test]
    fn wrong_id_type_name_or_qr_is_rejected() {
        let q = query(7, "www.example.com.", RecordType::A);
        assert!(!response_matches(&q, &response(8, "www.example.com.", RecordType::A)));
        assert!(!response_matches(&q, &response(7, "www.example.com.", RecordType::AAAA)));
        assert!(!response_matches(&q, &response(7, "ww.example.com.", RecordType::A)));
        // A copy of the query itself (QR=0) is not a response.
        assert!(!response_matches(&q, &q));
    }

    #[test]
    fn formerr_without_question_is_accepted() {
        let q = query(9, "example.com.", RecordType::A);
        let mut m = Message::error_msg(9, OpCode::Query, ResponseCode::FormErr);
        m.metadata.message_type = MessageType::Response;
        assert!(response_matches(&q, &m.to_vec().unwrap()));
        let mut m = Message::error_msg(9, OpCode::Query, ResponseCode::NoError);
        m.metadata.message_type = MessageType::Response;
        assert!(!response_matches(&q, &m.to_vec().unwrap()));
    }

    #[test]
    fn compressed_question_name_is_followed() {
        let q = query(1, "a.b.", RecordType::A);
        // Header, then a question whose name is a pointer loop: rejected.
        let mut r = response(1, "a.b.", RecordType::A);
        r.truncate(12);
        r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(!response_matches(&q, &r));
    }

    #[test]
    fn garbage_never_panics() {
        let q = query(1, "example.com.", RecordType::A);
        for len in 0..q.len() {
            assert!(!response_matches(&q, &q[..len]));
            let mut r = q.clone();
            r[2] |= 0x80;
            r.truncate(len);
            assert!(!response_matches(&q, &r));
        }
        let mut seed = 0x1234_5678u32;
        for _ in 0..2000 {
            let mut buf = vec![0u8; (seed % 64) as usize];
            for b in buf.iter_mut() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                *b = (seed >> 16) as u8;
            }
            let _ = response_matches(&q, &buf);
            let _ = response_matches(&buf, &buf);
        }
    }
}
