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
//! hickory-proto's canonical encoder mode does that per type.

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
    let mut buf = Vec::new();
    let mut enc = BinEncoder::new(&mut buf);
    enc.set_canonical_form(true);
    enc.set_name_encoding(NameEncoding::Uncompressed);
    data.emit(&mut enc)
        .map_err(|e| CanonicalError::Encode(e.to_string()))?;
    Ok(buf)
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
    fn lowercase_wire_name() {
        let mut out = Vec::new();
        push_lowercase_name(&mut out, &n("WwW.EXAMPLE."));
        assert_eq!(out, b"\x03www\x07example\x00");
    }
}
