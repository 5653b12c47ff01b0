//! RFC 4034 §6: the canonical form of an RRset, i.e. the exact bytes an
//! RRSIG signs (RFC 4034 §3.1.8.1):
//!
//! ```text
//! signed_data = RRSIG_RDATA (without signature, signer name lowercased)
//!             | RR(1) | RR(2) | ...   (canonical order, duplicates removed)
//! RR(i) = owner | type | class | original TTL | RDLENGTH | RDATA
//! ```
//!
//! The owner is lowercased and, for a wildcard expansion (RRSIG labels
//! fewer than the owner's), rebuilt as `*.` + the rightmost `labels` labels
//! (RFC 4035 §5.3.2). Names inside RDATA are lowercased only for the types
//! of RFC 4034 §6.2 as amended by RFC 6840 §5.1 (not NSEC's next name):
//! hickory-proto's canonical encoder mode does that per type, and
//! [`lowercase_opaque_names`] does it for the listed types hickory keeps as
//! opaque RDATA (MD, MF, MB, MG, MR, MINFO, RP, AFSDB, RT, PX, KX, NXT).

use hickory_proto::dnssec::rdata::RRSIG;
use hickory_proto::rr::{Name, RData, Record};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};

/// The canonical form could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("RRSIG labels {labels} exceed the owner's {owner_labels} labels")]
    LabelsTooLarge { labels: u8, owner_labels: u8 },
    #[error("cannot encode RDATA: {0}")]
    Encode(String),
}

/// Appends `name` in lowercase, uncompressed wire format.
pub fn push_lowercase_name(out: &mut Vec<u8>, name: &Name) {
    for label in name.iter() {
        // Labels are at most 63 octets (hickory enforces it on decode).
        out.push(label.len() as u8);
        out.extend(label.iter().map(|b| b.to_ascii_lowercase()));
    }
    out.push(0);
}

/// The RDATA of `data` in canonical form.
pub fn canonical_rdata(data: &RData) -> Result<Vec<u8>, CanonicalError> {
    if let RData::Unknown { code, rdata } = data {
        let mut raw = rdata.anything.clone();
        lowercase_opaque_names(u16::from(*code), &mut raw);
        return Ok(raw);
    }
    let mut buf = Vec::new();
    let mut enc = BinEncoder::new(&mut buf);
    enc.set_canonical_form(true);
    enc.set_name_encoding(NameEncoding::Uncompressed);
    data.emit(&mut enc)
        .map_err(|e| CanonicalError::Encode(e.to_string()))?;
    Ok(buf)
}

/// RFC 4034 §6.2 item 3 for the listed types hickory keeps opaque: lowercase
/// their embedded names (uncompressed, RFC 3597 §4) in place. Layouts from
/// RFC 1035 §3.3, RFC 1183, RFC 2163, RFC 2230, RFC 2535. From the first
/// malformed octet on the data is left alone (the signature then fails).
pub fn lowercase_opaque_names(rtype: u16, raw: &mut [u8]) {
    // (octets before the first name, number of names)
    let (skip, names) = match rtype {
        3 | 4 | 7 | 8 | 9 => (0, 1), // MD, MF, MB, MG, MR
        14 | 17 => (0, 2),           // MINFO, RP
        18 | 21 | 36 => (2, 1),      // AFSDB, RT, KX: preference first
        26 => (2, 2),                // PX
        30 => (0, 1),                // NXT: next name, then a bitmap
        _ => return,
    };
    let mut pos = skip;
    for _ in 0..names {
        // At most 128 labels in a name: the walk is bounded.
        for _ in 0..=128 {
            let Some(&len) = raw.get(pos) else { return };
            if len == 0 {
                pos += 1;
                break;
            }
            if len > 63 {
                return;
            }
            let end = pos + 1 + usize::from(len);
            let Some(label) = raw.get_mut(pos + 1..end) else {
                return;
            };
            label.make_ascii_lowercase();
            pos = end;
        }
    }
}

/// The owner name used in the signature (RFC 4035 §5.3.2).
pub fn signed_owner(owner: &Name, labels: u8) -> Result<Name, CanonicalError> {
    // The RRSIG labels field does not count the root nor a leading `*`.
    let owner_labels = owner.num_labels();
    if labels > owner_labels {
        return Err(CanonicalError::LabelsTooLarge {
            labels,
            owner_labels,
        });
    }
    if labels == owner_labels {
        return Ok(owner.clone());
    }
    owner
        .trim_to(usize::from(labels))
        .prepend_label("*")
        .map_err(|e| CanonicalError::Encode(e.to_string()))
}

/// The bytes `rrsig` signs over `records` (one RRset: same owner, type,
/// class).
pub fn signed_data(rrsig: &RRSIG, records: &[Record]) -> Result<Vec<u8>, CanonicalError> {
    let input = rrsig.input();
    let mut out = Vec::with_capacity(512);
    // RRSIG RDATA without the signature (RFC 4034 §3.1.8.1).
    out.extend_from_slice(&u16::from(input.type_covered).to_be_bytes());
    out.push(u8::from(input.algorithm));
    out.push(input.num_labels);
    out.extend_from_slice(&input.original_ttl.to_be_bytes());
    out.extend_from_slice(&input.sig_expiration.get().to_be_bytes());
    out.extend_from_slice(&input.sig_inception.get().to_be_bytes());
    out.extend_from_slice(&input.key_tag.to_be_bytes());
    push_lowercase_name(&mut out, &input.signer_name);

    let Some(first) = records.first() else {
        return Ok(out);
    };
    let owner = signed_owner(&first.name, input.num_labels)?;
    let mut owner_wire = Vec::with_capacity(64);
    push_lowercase_name(&mut owner_wire, &owner);

    // RFC 4034 §6.3: RRs sorted by RDATA as left-justified octet strings;
    // RFC 4034 §6.3 also: duplicates are removed.
    let mut rdatas: Vec<Vec<u8>> = records
        .iter()
        .map(|r| canonical_rdata(&r.data))
        .collect::<Result<_, _>>()?;
    rdatas.sort();
    rdatas.dedup();
    let class = u16::from(first.dns_class).to_be_bytes();
    for rdata in rdatas {
        let len = u16::try_from(rdata.len())
            .map_err(|_| CanonicalError::Encode("RDATA longer than 65535".into()))?;
        out.extend_from_slice(&owner_wire);
        out.extend_from_slice(&u16::from(input.type_covered).to_be_bytes());
        out.extend_from_slice(&class);
        out.extend_from_slice(&input.original_ttl.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, CNAME, MX};

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn wildcard_owner_reconstruction() {
        assert_eq!(
            signed_owner(&n("a.b.example."), 2).unwrap(),
            n("*.b.example.")
        );
        assert_eq!(
            signed_owner(&n("a.b.example."), 3).unwrap(),
            n("a.b.example.")
        );
        assert!(signed_owner(&n("example."), 2).is_err());
    }

    #[test]
    fn embedded_names_lowercased_for_rfc4034_types_only() {
        let mx = canonical_rdata(&RData::MX(MX::new(10, n("MAIL.Example.")))).unwrap();
        assert_eq!(&mx[2..], b"\x04mail\x07example\x00");
        let cname = canonical_rdata(&RData::CNAME(CNAME(n("WWW.example.")))).unwrap();
        assert_eq!(cname, b"\x03www\x07example\x00");
        let a = canonical_rdata(&RData::A(A::new(192, 0, 2, 1))).unwrap();
        assert_eq!(a, [192, 0, 2, 1]);
    }

    #[test]
    fn opaque_listed_types_are_lowercased_others_untouched() {
        let mut rp = b"\x01A\x02Bc\x00\x01D\x00".to_vec();
        lowercase_opaque_names(17, &mut rp);
        assert_eq!(rp, b"\x01a\x02bc\x00\x01d\x00");
        let mut afsdb = b"\x00\x41\x01Q\x00".to_vec();
        lowercase_opaque_names(18, &mut afsdb);
        assert_eq!(afsdb, b"\x00\x41\x01q\x00");
        let mut truncated = b"\x05AB".to_vec();
        lowercase_opaque_names(7, &mut truncated);
        assert_eq!(truncated, b"\x05AB");
        let mut pointer = b"\xc0\x0c".to_vec();
        lowercase_opaque_names(17, &mut pointer);
        assert_eq!(pointer, b"\xc0\x0c");
        let mut other = b"\x01A\x00".to_vec();
        lowercase_opaque_names(99, &mut other);
        assert_eq!(other, b"\x01A\x00");
    }

    #[test]
    fn lowercase_wire_name() {
        let mut out = Vec::new();
        push_lowercase_name(&mut out, &n("WwW.EXAMPLE."));
        assert_eq!(out, b"\x03www\x07example\x00");
    }
}
