//! Trust anchors: where every chain of trust starts.
//!
//! - IANA's `root-anchors.xml` (RFC 9718 format), compiled in from
//!   `trust-anchors/root-anchors.xml`: KSK-2017 (20326) and KSK-2024
//!   (38696). `validFrom`/`validUntil` are honoured against the clock;
//!   `<PublicKey>`/`<Flags>` are optional (older files lack them).
//! - Files of DS or DNSKEY records in presentation format, for any zone,
//!   like Unbound's `trust-anchor-file`: `. DS 20326 8 2 E06D…`, TTL and
//!   class optional, `;` comments, RDATA possibly split over lines inside
//!   parentheses.

use std::path::{Path, PathBuf};

use data_encoding::{BASE64, HEXUPPER_PERMISSIVE};
use hickory_proto::dnssec::rdata::{DNSKEY, DS};
use hickory_proto::dnssec::{Algorithm, DigestType, PublicKeyBuf};
use hickory_proto::rr::Name;

use super::verify_set::key_tag;

/// The compiled-in IANA root anchors.
const ROOT_ANCHORS_XML: &str = include_str!("../../trust-anchors/root-anchors.xml");

/// One trust anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustAnchor {
    /// A DS record: trusts the DNSKEY it designates.
    Ds { zone: Name, ds: DS },
    /// A DNSKEY: trusted as it is.
    Dnskey { zone: Name, key: DNSKEY },
}

impl TrustAnchor {
    pub fn zone(&self) -> &Name {
        match self {
            TrustAnchor::Ds { zone, .. } | TrustAnchor::Dnskey { zone, .. } => zone,
        }
    }

    /// The key tag of the designated key (RFC 8509 sentinel).
    pub fn key_tag(&self) -> Option<u16> {
        match self {
            TrustAnchor::Ds { ds, .. } => Some(ds.key_tag()),
            TrustAnchor::Dnskey { key, .. } => key_tag(key),
        }
    }
}

/// A trust anchor source could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: no trust anchor in file")]
    Empty { path: PathBuf },
}

/// The compiled-in root anchors valid at `now` (Unix seconds).
pub fn builtin_root_anchors(now: u64) -> Vec<TrustAnchor> {
    // The compiled-in file is tested below; a parse failure would leave no
    // anchor, which turns validation off loudly (logged at start-up).
    parse_root_anchors_xml(ROOT_ANCHORS_XML, now).unwrap_or_default()
}

/// The text between `<tag>` and `</tag>` in `s`, from `from`.
fn element<'a>(s: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = s.find(&open)? + open.len();
    let end = s[start..].find(&close)? + start;
    Some(s[start..end].trim())
}

/// The value of `attr="..."` in an opening tag.
fn attribute<'a>(tag: &'a str, attr: &str) -> Option<&'a str> {
    let key = format!("{attr}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(&tag[start..end])
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses an RFC 3339 date-time as used by root-anchors.xml
/// (`2017-02-02T00:00:00+00:00`) into Unix seconds.
fn parse_datetime(s: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = s.get(19..)?;
    // Skip fractional seconds, then the offset.
    let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match rest {
        "Z" | "" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let oh = o.get(1..3)?.parse::<i64>().ok()?;
            let om = o.get(4..6)?.parse::<i64>().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// Parses IANA's root-anchors.xml, keeping the KeyDigests valid at `now`.
pub fn parse_root_anchors_xml(xml: &str, now: u64) -> Result<Vec<TrustAnchor>, AnchorError> {
    let path = PathBuf::from("root-anchors.xml");
    let err = |message: String| AnchorError::Syntax {
        path: path.clone(),
        line: 0,
        message,
    };
    let zone = element(xml, "Zone").ok_or_else(|| err("no <Zone>".into()))?;
    let zone = Name::from_ascii(zone).map_err(|e| err(format!("bad <Zone>: {e}")))?;
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for chunk in xml.split("<KeyDigest").skip(1) {
        let Some(tag_end) = chunk.find('>') else {
            return Err(err("unterminated <KeyDigest>".into()));
        };
        let open_tag = &chunk[..tag_end];
        let body = chunk[tag_end..].split("</KeyDigest>").next().unwrap_or("");
        // RFC 9718 §2.2: an anchor is used only inside its validity window.
        if let Some(from) = attribute(open_tag, "validFrom") {
            let from = parse_datetime(from).ok_or_else(|| err(format!("bad validFrom {from}")))?;
            if now < from {
                continue;
            }
        }
        if let Some(until) = attribute(open_tag, "validUntil") {
            let until =
                parse_datetime(until).ok_or_else(|| err(format!("bad validUntil {until}")))?;
            if now >= until {
                continue;
            }
        }
        let field =
            |t: &str| element(body, t).ok_or_else(|| err(format!("<KeyDigest> without <{t}>")));
        let key_tag: u16 = field("KeyTag")?
            .parse()
            .map_err(|_| err("bad <KeyTag>".into()))?;
        let alg: u8 = field("Algorithm")?
            .parse()
            .map_err(|_| err("bad <Algorithm>".into()))?;
        let digest_type: u8 = field("DigestType")?
            .parse()
            .map_err(|_| err("bad <DigestType>".into()))?;
        let digest = HEXUPPER_PERMISSIVE
            .decode(field("Digest")?.as_bytes())
            .map_err(|e| err(format!("bad <Digest>: {e}")))?;
        out.push(TrustAnchor::Ds {
            zone: zone.clone(),
            ds: DS::new(
                key_tag,
                Algorithm::from_u8(alg),
                DigestType::from(digest_type),
                digest,
            ),
        });
    }
    Ok(out)
}

/// Reads a presentation-format anchor file.
pub fn load_anchor_file(path: &Path) -> Result<Vec<TrustAnchor>, AnchorError> {
    let text = std::fs::read_to_string(path).map_err(|source| AnchorError::Io {
        path: path.to_owned(),
        source,
    })?;
    let anchors = parse_anchor_text(&text, path)?;
    if anchors.is_empty() {
        return Err(AnchorError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(anchors)
}

/// Parses DS/DNSKEY records in presentation format; `path` names the
/// source in errors.
pub fn parse_anchor_text(text: &str, path: &Path) -> Result<Vec<TrustAnchor>, AnchorError> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (idx, raw) in text.lines().enumerate() {
        let line = raw.split(';').next().unwrap_or("");
        let (start, mut acc) = pending.take().unwrap_or((idx + 1, String::new()));
        acc.push(' ');
        acc.push_str(line);
        // RFC 1035 §5.1: parentheses continue a record over lines.
        if acc.matches('(').count() > acc.matches(')').count() {
            pending = Some((start, acc));
            continue;
        }
        let record = acc.replace(['(', ')'], " ");
        if record.trim().is_empty() {
            continue;
        }
        out.push(
            parse_record(&record).map_err(|message| AnchorError::Syntax {
                path: path.to_owned(),
                line: start,
                message,
            })?,
        );
    }
    if let Some((line, _)) = pending {
        return Err(AnchorError::Syntax {
            path: path.to_owned(),
            line,
            message: "unbalanced parenthesis".into(),
        });
    }
    Ok(out)
}

/// One record: `owner [ttl] [class] DS|DNSKEY rdata...`.
fn parse_record(text: &str) -> Result<TrustAnchor, String> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let owner = fields.first().ok_or("empty record")?;
    let zone = Name::from_ascii(owner).map_err(|e| format!("bad owner `{owner}`: {e}"))?;
    let mut i = 1;
    while let Some(f) = fields.get(i) {
        if f.parse::<u32>().is_ok() || f.eq_ignore_ascii_case("IN") {
            i += 1;
        } else {
            break;
        }
    }
    let rtype = fields
        .get(i)
        .ok_or("missing record type")?
        .to_ascii_uppercase();
    let rdata = fields.get(i + 1..).unwrap_or_default();
    let num = |j: usize, what: &str| -> Result<u64, String> {
        rdata
            .get(j)
            .ok_or(format!("missing {what}"))?
            .parse::<u64>()
            .map_err(|_| format!("bad {what}"))
    };
    match rtype.as_str() {
        "DS" => {
            let key_tag = u16::try_from(num(0, "key tag")?).map_err(|_| "key tag out of range")?;
            let alg = u8::try_from(num(1, "algorithm")?).map_err(|_| "algorithm out of range")?;
            let dt =
                u8::try_from(num(2, "digest type")?).map_err(|_| "digest type out of range")?;
            let hex: String = rdata.get(3..).unwrap_or_default().concat();
            if hex.is_empty() {
                return Err("missing digest".into());
            }
            let digest = HEXUPPER_PERMISSIVE
                .decode(hex.as_bytes())
                .map_err(|e| format!("bad digest hex: {e}"))?;
            Ok(TrustAnchor::Ds {
                zone,
                ds: DS::new(
                    key_tag,
                    Algorithm::from_u8(alg),
                    DigestType::from(dt),
                    digest,
                ),
            })
        }
        "DNSKEY" => {
            let flags = u16::try_from(num(0, "flags")?).map_err(|_| "flags out of range")?;
            if num(1, "protocol")? != 3 {
                return Err("DNSKEY protocol must be 3 (RFC 4034 §2.1.2)".into());
            }
            let alg = u8::try_from(num(2, "algorithm")?).map_err(|_| "algorithm out of range")?;
            let b64: String = rdata.get(3..).unwrap_or_default().concat();
            if b64.is_empty() {
                return Err("missing public key".into());
            }
            let key = BASE64
                .decode(b64.as_bytes())
                .map_err(|e| format!("bad public key base64: {e}"))?;
            Ok(TrustAnchor::Dnskey {
                zone,
                key: DNSKEY::with_flags(flags, PublicKeyBuf::new(key, Algorithm::from_u8(alg))),
            })
        }
        other => Err(format!("expected DS or DNSKEY, got {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::ds::ds_matches;

    /// 2026-11-23.
    const NOW: u64 = 1_795_392_000;

    #[test]
    fn builtin_has_ksk2017_and_ksk2024() {
        let anchors = builtin_root_anchors(NOW);
        let tags: Vec<u16> = anchors.iter().filter_map(|a| a.key_tag()).collect();
        assert_eq!(tags, vec![20326, 38696]);
        assert!(anchors.iter().all(|a| a.zone().is_root()));
    }

    #[test]
    fn valid_from_is_honoured() {
        // Before 2024-07-18 only KSK-2017 was valid.
        let anchors = builtin_root_anchors(1_700_000_000);
        let tags: Vec<u16> = anchors.iter().filter_map(|a| a.key_tag()).collect();
        assert_eq!(tags, vec![20326]);
    }

    #[test]
    fn shipped_ds_digests_match_the_root_dnskeys() {
        let keys = parse_anchor_text(
            include_str!("../../trust-anchors/root.key"),
            Path::new("root.key"),
        )
        .unwrap();
        let ds = builtin_root_anchors(NOW);
        assert_eq!(keys.len(), 2);
        for (k, d) in keys.iter().zip(ds.iter()) {
            let (TrustAnchor::Dnskey { key, .. }, TrustAnchor::Ds { ds, .. }) = (k, d) else {
                panic!("unexpected anchor kinds");
            };
            assert!(
                ds_matches(&Name::root(), ds, key),
                "DS {} does not match its key",
                ds.key_tag()
            );
        }
    }

    #[test]
    fn xml_without_public_key_and_with_valid_until() {
        let xml = r#"<TrustAnchor><Zone>.</Zone>
<KeyDigest id="a" validFrom="2010-07-15T00:00:00+00:00" validUntil="2019-01-11T00:00:00+00:00">
<KeyTag>19036</KeyTag><Algorithm>8</Algorithm><DigestType>2</DigestType>
<Digest>49AAC11D7B6F6446702E54A1607371607A1A41855200FD2CE1CDDE32F24E8FB5</Digest></KeyDigest>
</TrustAnchor>"#;
        assert_eq!(parse_root_anchors_xml(xml, 1_500_000_000).unwrap().len(), 1);
        assert!(parse_root_anchors_xml(xml, NOW).unwrap().is_empty());
    }

    #[test]
    fn presentation_files_with_ttl_class_parentheses_and_errors() {
        let text = "; lab anchor\n. DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D084\n  \nexample. 3600 IN DNSKEY 257 3 13 (\n  mdsswUyr3DPW132mOi8V9xESWE8jTo0d\n  xCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )\n";
        let got = parse_anchor_text(text, Path::new("lab.anchor")).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].zone(), &Name::from_ascii("example.").unwrap());
        let err = parse_anchor_text(". DS 20326 8 2\n. A 192.0.2.1\n", Path::new("bad.anchor"))
            .unwrap_err();
        assert_eq!(err.to_string(), "bad.anchor:1: missing digest");
        let err = parse_anchor_text(". IN A 1.2.3.4\n", Path::new("bad.anchor")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad.anchor:1: expected DS or DNSKEY, got A"
        );
    }

    #[test]
    fn datetime_parsing() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00+00:00"), Some(0));
        assert_eq!(
            parse_datetime("2017-02-02T00:00:00+00:00"),
            Some(1_485_993_600)
        );
        assert_eq!(
            parse_datetime("2017-02-02T01:00:00+01:00"),
            Some(1_485_993_600)
        );
        assert_eq!(parse_datetime("garbage"), None);
    }
}
