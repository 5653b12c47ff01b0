//! Matching a response to the query it claims to answer (RFC 5452 §4.3):
//! same ID, QR set, and the same question (name compared
//! case-insensitively, type and class equal). A response that fails this is
//! ignored, not an error: off-path spoofers can send anything, and we keep
//! waiting for the real answer.
//!
//! Bounded hand parsing over the raw bytes, used by the real network and the
//! simulated one alike.

/// Reads the question name at `pos`: uncompressed labels only (a query's
/// question is never compressed; a response echoing it compressed would be
/// odd enough to reject). Returns the lowercased wire name and the position
/// after it.
fn question_name(msg: &[u8], mut pos: usize) -> Option<(Vec<u8>, usize)> {
    let mut name = Vec::with_capacity(32);
    loop {
        let len = usize::from(*msg.get(pos)?);
        if len == 0 {
            name.push(0);
            return Some((name, pos + 1));
        }
        // RFC 1035 §4.1.4: 0b11 prefix = pointer, 0b01/0b10 reserved.
        if len > 63 {
            return None;
        }
        let label = msg.get(pos + 1..pos + 1 + len)?;
        name.push(len as u8);
        name.extend(label.iter().map(|b| b.to_ascii_lowercase()));
        if name.len() > 255 {
            return None;
        }
        pos += 1 + len;
    }
}

/// The (ID, lowercased qname, qtype+qclass) of a message with one question.
fn header_and_question(msg: &[u8]) -> Option<(u16, Vec<u8>, [u8; 4])> {
    let id = u16::from_be_bytes([*msg.first()?, *msg.get(1)?]);
    let qdcount = u16::from_be_bytes([*msg.get(4)?, *msg.get(5)?]);
    if qdcount != 1 {
        return None;
    }
    let (name, pos) = question_name(msg, 12)?;
    let tc = msg.get(pos..pos + 4)?;
    Some((id, name, [tc[0], tc[1], tc[2], tc[3]]))
}

/// True when `response` answers `query`.
pub fn response_matches(query: &[u8], response: &[u8]) -> bool {
    let is_response = response.get(2).is_some_and(|b| b & 0x80 != 0);
    if !is_response {
        return false;
    }
    match (header_and_question(query), header_and_question(response)) {
        (Some(q), Some(r)) => q == r,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: u16, qr: bool, name: &[u8], qtype: u16) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&id.to_be_bytes());
        m.push(if qr { 0x80 } else { 0 });
        m.push(0);
        m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
        m.extend_from_slice(name);
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        m
    }

    const WWW: &[u8] = b"\x03www\x07example\x00";
    const WWW_UPPER: &[u8] = b"\x03WwW\x07EXAMPLE\x00";

    #[test]
    fn matches_on_id_question_and_qr() {
        let q = msg(7, false, WWW, 1);
        assert!(response_matches(&q, &msg(7, true, WWW_UPPER, 1)));
        assert!(!response_matches(&q, &msg(8, true, WWW, 1)), "wrong ID");
        assert!(!response_matches(&q, &msg(7, true, WWW, 28)), "wrong type");
        assert!(
            !response_matches(&q, &msg(7, true, b"\x03xxx\x07example\x00", 1)),
            "wrong name"
        );
        assert!(!response_matches(&q, &msg(7, false, WWW, 1)), "QR clear");
    }

    #[test]
    fn garbage_never_matches_nor_panics() {
        let q = msg(7, false, WWW, 1);
        for len in 0..q.len() {
            assert!(!response_matches(&q, &q[..len]));
        }
        assert!(!response_matches(
            &q,
            b"\x00\x07\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c"
        ));
    }
}
