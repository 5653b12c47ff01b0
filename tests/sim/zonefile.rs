//! A small presentation-format (RFC 1035 §5) zone text parser for tests.
//!
//! Supported: `$ORIGIN`, `$TTL`, `;` comments, `( ... )` continuation,
//! `@`, relative names, an omitted owner (leading blank: previous owner),
//! optional TTL and class `IN` in either order, and the types A, AAAA, NS,
//! CNAME, DNAME, SOA, MX, TXT, TLSA, DS, PTR, SRV, CAA, DNSKEY, plus the
//! RFC 3597 generic form `TYPE123 \# len hex` / `RRSIG \# len hex` for
//! anything else (decoded with hickory when it knows the type).
//!
//! Names inside RDATA are resolved against the origin here, because
//! hickory's `RData::try_from_str` has no origin and would leave them
//! relative. DNAME has no hickory RData variant: it is stored as
//! `RData::Unknown { code: DNAME, rdata: <uncompressed target> }`, exactly
//! what hickory produces when it decodes a DNAME from the wire.

use hickory_proto::rr::rdata::{CNAME, MX, NS, NULL, PTR, SOA, SRV};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, BinEncodable, Restrict};

/// A zone text could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("zone text line {line}: {message}")]
pub struct ZoneParseError {
    pub line: usize,
    pub message: String,
}

/// Parses `text` with `origin` as the initial `$ORIGIN`. The default TTL is
/// 3600 until a `$TTL` line or an SOA sets another.
pub fn parse_records(origin: &Name, text: &str) -> Result<Vec<Record>, ZoneParseError> {
    let mut origin = origin.clone();
    let mut default_ttl: Option<u32> = None;
    let mut last_owner: Option<Name> = None;
    let mut out = Vec::new();
    for (line_no, line) in logical_lines(text) {
        let err = |message: String| ZoneParseError {
            line: line_no,
            message,
        };
        let starts_blank = line.starts_with([' ', '\t']);
        let tokens = tokenize(&line);
        let Some(first) = tokens.first() else {
            continue;
        };
        if first.eq_ignore_ascii_case("$ORIGIN") {
            let o = tokens
                .get(1)
                .ok_or_else(|| err("$ORIGIN without name".into()))?;
            origin = name(o, &origin).map_err(err)?;
            continue;
        }
        if first.eq_ignore_ascii_case("$TTL") {
            let t = tokens
                .get(1)
                .ok_or_else(|| err("$TTL without value".into()))?;
            default_ttl = Some(t.parse().map_err(|e| err(format!("bad $TTL {t}: {e}")))?);
            continue;
        }
        let mut rest: &[String] = &tokens;
        let owner = if starts_blank {
            last_owner
                .clone()
                .ok_or_else(|| err("no previous owner".into()))?
        } else {
            let (o, r) = rest.split_first().ok_or_else(|| err("empty".into()))?;
            rest = r;
            name(o, &origin).map_err(err)?
        };
        last_owner = Some(owner.clone());
        let mut ttl: Option<u32> = None;
        // Optional TTL and class, in either order (RFC 1035 §5.1).
        while let Some((tok, r)) = rest.split_first() {
            if tok.eq_ignore_ascii_case("IN") {
                rest = r;
            } else if let Ok(t) = tok.parse::<u32>() {
                ttl = Some(t);
                rest = r;
            } else {
                break;
            }
        }
        let (rtype_tok, rdata) = rest
            .split_first()
            .ok_or_else(|| err("missing record type".into()))?;
        let rtype = parse_type(rtype_tok).map_err(err)?;
        let data = parse_rdata(rtype, rdata, &origin).map_err(err)?;
        if let RData::SOA(soa) = &data {
            // RFC 2308 §4: without $TTL, old practice used the SOA minimum.
            if default_ttl.is_none() {
                default_ttl = Some(soa.minimum);
            }
        }
        let ttl = ttl.or(default_ttl).unwrap_or(3600);
        out.push(Record::from_rdata(owner, ttl, data));
    }
    Ok(out)
}

/// Joins parenthesised continuations and strips comments; yields
/// (first line number, logical line) keeping leading whitespace.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut depth = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let mut in_quote = false;
        let mut stripped = String::new();
        for c in raw.chars() {
            match c {
                '"' => {
                    in_quote = !in_quote;
                    stripped.push(c);
                }
                ';' if !in_quote => break,
                '(' if !in_quote => {
                    depth += 1;
                    stripped.push(' ');
                }
                ')' if !in_quote => {
                    depth = depth.saturating_sub(1);
                    stripped.push(' ');
                }
                _ => stripped.push(c),
            }
        }
        if cur.is_empty() {
            start = i + 1;
            cur = stripped;
        } else {
            cur.push(' ');
            cur.push_str(&stripped);
        }
        if depth == 0 {
            if !cur.trim().is_empty() {
                out.push((start, std::mem::take(&mut cur)));
            }
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push((start, cur));
    }
    out
}

/// Splits on whitespace, keeping `"quoted strings"` (with their quotes) whole.
fn tokenize(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    let mut escaped = false;
    for c in line.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quote => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                cur.push(c);
                in_quote = !in_quote;
            }
            c if c.is_whitespace() && !in_quote => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Resolves `@`, relative and absolute names against `origin`.
pub fn name(s: &str, origin: &Name) -> Result<Name, String> {
    if s == "@" {
        return Ok(origin.clone());
    }
    Name::parse(s, Some(origin)).map_err(|e| format!("bad name {s}: {e}"))
}

fn parse_type(s: &str) -> Result<RecordType, String> {
    let upper = s.to_ascii_uppercase();
    if let Some(num) = upper.strip_prefix("TYPE") {
        return num
            .parse::<u16>()
            .map(RecordType::from)
            .map_err(|e| format!("bad type {s}: {e}"));
    }
    upper
        .parse::<RecordType>()
        .map_err(|e| format!("unknown type {s}: {e}"))
}

fn parse_rdata(rtype: RecordType, f: &[String], origin: &Name) -> Result<RData, String> {
    if f.first().map(String::as_str) == Some("\\#") {
        return generic(rtype, f);
    }
    let arg = |i: usize| -> Result<&str, String> {
        f.get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("{rtype}: missing field {}", i + 1))
    };
    let num = |i: usize| -> Result<u32, String> {
        let s = arg(i)?;
        s.parse::<u32>()
            .map_err(|e| format!("{rtype}: bad number {s}: {e}"))
    };
    let num16 = |i: usize| -> Result<u16, String> {
        u16::try_from(num(i)?).map_err(|e| format!("{rtype}: {e}"))
    };
    Ok(match rtype {
        RecordType::NS => RData::NS(NS(name(arg(0)?, origin)?)),
        RecordType::CNAME => RData::CNAME(CNAME(name(arg(0)?, origin)?)),
        RecordType::PTR => RData::PTR(PTR(name(arg(0)?, origin)?)),
        RecordType::DNAME => dname_rdata(&name(arg(0)?, origin)?),
        RecordType::MX => RData::MX(MX::new(num16(0)?, name(arg(1)?, origin)?)),
        RecordType::SRV => RData::SRV(SRV::new(
            num16(0)?,
            num16(1)?,
            num16(2)?,
            name(arg(3)?, origin)?,
        )),
        RecordType::SOA => {
            let i32_at = |i: usize| i32::try_from(num(i)?).map_err(|e| format!("SOA: {e}"));
            RData::SOA(SOA::new(
                name(arg(0)?, origin)?,
                name(arg(1)?, origin)?,
                num(2)?,
                i32_at(3)?,
                i32_at(4)?,
                i32_at(5)?,
                num(6)?,
            ))
        }
        RecordType::DNSKEY => {
            // RFC 4034 §2.2: flags protocol algorithm base64-key.
            let mut wire = Vec::new();
            wire.extend_from_slice(&num16(0)?.to_be_bytes());
            wire.push(u8::try_from(num(1)?).map_err(|e| e.to_string())?);
            wire.push(u8::try_from(num(2)?).map_err(|e| e.to_string())?);
            let b64: String = f.iter().skip(3).map(String::as_str).collect();
            let key = data_encoding::BASE64
                .decode(b64.as_bytes())
                .map_err(|e| format!("DNSKEY: bad base64: {e}"))?;
            wire.extend_from_slice(&key);
            decode_wire(rtype, &wire)?
        }
        _ => {
            let text = f.join(" ");
            RData::try_from_str(rtype, &text).map_err(|e| format!("{rtype} {text}: {e}"))?
        }
    })
}

/// RFC 3597 §5: `\# <length> <hex...>`.
fn generic(rtype: RecordType, f: &[String]) -> Result<RData, String> {
    let len: usize = f
        .get(1)
        .ok_or("\\# without length")?
        .parse()
        .map_err(|e| format!("bad \\# length: {e}"))?;
    let hex: String = f.iter().skip(2).map(|s| s.to_ascii_uppercase()).collect();
    let wire = data_encoding::HEXUPPER
        .decode(hex.as_bytes())
        .map_err(|e| format!("bad hex: {e}"))?;
    if wire.len() != len {
        return Err(format!("\\# length {len} but {} bytes", wire.len()));
    }
    decode_wire(rtype, &wire)
}

/// Decodes RDATA wire bytes with hickory; unknown types become `Unknown`.
pub fn decode_wire(rtype: RecordType, wire: &[u8]) -> Result<RData, String> {
    let len = u16::try_from(wire.len()).map_err(|e| e.to_string())?;
    let mut dec = BinDecoder::new(wire);
    match RData::read(&mut dec, rtype, Restrict::new(len)) {
        Ok(d) => Ok(d),
        Err(_) if !wire.is_empty() => Ok(RData::Unknown {
            code: rtype,
            rdata: NULL::with(wire.to_vec()),
        }),
        Err(e) => Err(format!("{rtype}: {e}")),
    }
}

/// DNAME RDATA (RFC 6672 §2.1): the target, uncompressed.
pub fn dname_rdata(target: &Name) -> RData {
    let wire = target.to_bytes().unwrap_or_else(|_| vec![0]);
    RData::Unknown {
        code: RecordType::DNAME,
        rdata: NULL::with(wire),
    }
}

/// The target of a DNAME record (as stored by [`dname_rdata`] or as
/// decoded from the wire by hickory).
pub fn dname_target(data: &RData) -> Option<Name> {
    match data {
        RData::Unknown { code, rdata } if *code == RecordType::DNAME => {
            let mut dec = BinDecoder::new(&rdata.anything);
            hickory_proto::serialize::binary::BinDecodable::read(&mut dec).ok()
        }
        _ => None,
    }
}
