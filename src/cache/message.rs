//! Whole responses in wire format for the cache-hit fast path.
//!
//! A [`StoredAnswer`] is the response to one cache key, encoded once: header,
//! lowercased question, answer and authority sections, no OPT. It remembers
//! where every RR's TTL field is, so that serving a hit is a byte copy plus
//! a few patches (ID, flags, the client's qname case, decremented TTLs, OPT)
//! instead of building a hickory `Message`.
//!
//! The cache itself is a `quick_cache::sync::Cache`: sharded, so readers on
//! different shards never serialize on one lock. The project measured it at
//! about 1.5x the throughput of a sharded `lru` for this workload.

use std::sync::Arc;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, Record, RecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};

use crate::cache::key::{CacheKey, KeyRef};
use crate::config::CacheConfig;
use crate::dnssec::state::{ExtendedError, Security};
use crate::resolver::api::Resolution;

/// Length of a DNS header (RFC 1035 §4.1.1).
pub const HEADER_LEN: usize = 12;
/// RFC 8914 §2: the EDNS option code of Extended DNS Errors.
pub const EDE_OPTION_CODE: u16 = 15;
/// RR type of the EDNS OPT pseudo-RR (RFC 6891 §6.1.2).
pub const OPT_TYPE: u16 = 41;
/// EXTRA-TEXT is cut to this many bytes so an EDE never dominates a response.
const MAX_EDE_TEXT: usize = 200;

/// Why a response could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("cannot encode the response: {0}")]
    Proto(#[from] hickory_proto::ProtoError),
    #[error("the encoded question does not match the query name")]
    QuestionMismatch,
    #[error("response too large ({0} bytes)")]
    TooLarge(usize),
}

/// One cached response, ready to be patched for a client.
///
/// Laid out for memory: a mail host caches hundreds of thousands of these,
/// so the wire bytes and the TTL offsets share one allocation, the rare EDE
/// sits behind a box, and times are u32 Unix seconds (good until 2106).
/// About 140 bytes of heap for a simple answer, down from about 240.
#[derive(Debug)]
pub struct StoredAnswer {
    /// Header (ID 0, flags filled at render time), lowercased question,
    /// answer and authority; ARCOUNT 0. Then, from `wire_len`, the offset
    /// of every RR's TTL field as native-endian u16s.
    data: Box<[u8]>,
    /// Wall-clock second this was stored at.
    stored_at: u32,
    /// Wall-clock second from which this is a miss.
    expires_at: u32,
    /// Only SERVFAILs and a few insecure answers carry one.
    ede: Option<Box<ExtendedError>>,
    /// Length of the wire part of `data` (responses are at most 65535 bytes).
    wire_len: u16,
    /// Length of the qname at offset 12 (a name is at most 255 bytes).
    qname_len: u8,
    /// RCODE (4 bits).
    pub rcode: u8,
    pub security: Security,
    /// The DO and CD bits of the key this answer is stored under (bits 0
    /// and 1): with the question in `data`, what [`AnswerCache::get`]
    /// checks a fingerprint hit against.
    key_flags: u8,
}

fn key_flags(dnssec_ok: bool, checking_disabled: bool) -> u8 {
    u8::from(dnssec_ok) | (u8::from(checking_disabled) << 1)
}

fn get_u16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

/// Unix seconds as stored: saturated into u32.
fn secs32(t: u64) -> u32 {
    u32::try_from(t).unwrap_or(u32::MAX)
}

/// The EDNS part of a response: our UDP size and the echoed DO bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptParams {
    pub udp_size: u16,
    pub dnssec_ok: bool,
}

/// What is patched into a [`StoredAnswer`] for one client.
#[derive(Clone, Copy, Debug)]
pub struct RenderParams<'a> {
    pub id: u16,
    pub rd: bool,
    pub cd: bool,
    /// Client set DO or AD: RFC 6840 §5.7, AD is only set for such clients.
    pub ad_requested: bool,
    /// The client's qname, in the client's case (same length as stored).
    pub client_qname: &'a [u8],
    /// Present iff the client sent EDNS.
    pub edns: Option<OptParams>,
    /// Maximum response size (UDP payload size or 65535 for TCP).
    pub limit: usize,
}

/// Reads past a (possibly compressed) name starting at `pos`; returns the
/// offset just after it. Bounded by the buffer length.
pub fn skip_name(buf: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *buf.get(pos)?;
        match len & 0xC0 {
            0x00 if len == 0 => return Some(pos + 1),
            0x00 => pos = pos.checked_add(1 + usize::from(len))?,
            // RFC 1035 §4.1.4: a pointer ends the name.
            0xC0 => {
                buf.get(pos + 1)?;
                return Some(pos + 2);
            }
            _ => return None,
        }
    }
}

fn put_u16(buf: &mut [u8], at: usize, v: u16) {
    if let Some(s) = buf.get_mut(at..at + 2) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

fn get_u32(buf: &[u8], at: usize) -> Option<u32> {
    let s = buf.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Appends an OPT pseudo-RR (RFC 6891 §6.1.2) with an optional EDE option
/// (RFC 8914 §2: INFO-CODE u16, then UTF-8 EXTRA-TEXT).
pub fn push_opt(out: &mut Vec<u8>, opt: OptParams, ext_rcode: u8, ede: Option<&ExtendedError>) {
    out.push(0); // root owner name
    out.extend_from_slice(&OPT_TYPE.to_be_bytes());
    out.extend_from_slice(&opt.udp_size.to_be_bytes());
    // TTL field: EXTENDED-RCODE, VERSION 0, DO bit, Z.
    out.push(ext_rcode);
    out.push(0);
    out.push(if opt.dnssec_ok { 0x80 } else { 0 });
    out.push(0);
    match ede {
        Some(e) => {
            let text = truncate_utf8(&e.text, MAX_EDE_TEXT);
            let opt_len = 2 + text.len();
            out.extend_from_slice(&((4 + opt_len) as u16).to_be_bytes());
            out.extend_from_slice(&EDE_OPTION_CODE.to_be_bytes());
            out.extend_from_slice(&(opt_len as u16).to_be_bytes());
            out.extend_from_slice(&(e.code as u16).to_be_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        None => out.extend_from_slice(&0u16.to_be_bytes()),
    }
}

fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Is `t` one of the DNSSEC types a DO=0 client must not see (RFC 4035 §3.2.1)?
fn is_dnssec_type(t: RecordType) -> bool {
    matches!(t, RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3)
}

/// RFC 4035 §3.2.1: without DO, RRSIG/NSEC/NSEC3 are omitted unless they
/// are the type asked for.
fn keep_record(r: &Record, qtype: RecordType, dnssec_ok: bool) -> bool {
    let t = r.record_type();
    dnssec_ok || !is_dnssec_type(t) || t == qtype
}

/// What the response to `resolution` carries in its RCODE field.
fn header_rcode(rcode: ResponseCode) -> u8 {
    let v = u16::from(rcode);
    if v > 15 {
        // Extended RCODEs need an OPT; the resolver never produces them.
        2
    } else {
        v as u8
    }
}

impl StoredAnswer {
    /// Encodes `res` as the response to (`lower_qname`, `qtype`, `qclass`),
    /// stripping DNSSEC records for DO=0 clients, valid for `ttl` seconds.
    pub fn build(
        lower_qname: &Name,
        qtype: RecordType,
        qclass: u16,
        res: &Resolution,
        dnssec_ok: bool,
        now: u64,
        ttl: u32,
    ) -> Result<Self, EncodeError> {
        let rcode = header_rcode(res.rcode);
        // SERVFAIL carries no records, only the EDE.
        let servfail = rcode == 2;
        let answer: Vec<&Record> = if servfail {
            Vec::new()
        } else {
            res.answer
                .iter()
                .filter(|r| keep_record(r, qtype, dnssec_ok))
                .collect()
        };
        let authority: Vec<&Record> = if servfail {
            Vec::new()
        } else {
            res.authority
                .iter()
                .filter(|r| keep_record(r, qtype, dnssec_ok))
                .collect()
        };
        let mut buf = Vec::with_capacity(512);
        let mut ttl_offsets = Vec::with_capacity(answer.len() + authority.len());
        {
            let mut enc = BinEncoder::new(&mut buf);
            enc.emit_vec(&[0, 0, 0x80, 0x80 | rcode])?;
            enc.emit_u16(1)?;
            enc.emit_u16(answer.len().try_into().unwrap_or(u16::MAX))?;
            enc.emit_u16(authority.len().try_into().unwrap_or(u16::MAX))?;
            enc.emit_u16(0)?;
            lower_qname.emit(&mut enc)?;
            enc.emit_u16(u16::from(qtype))?;
            enc.emit_u16(qclass)?;
            for r in answer.iter().chain(authority.iter()) {
                let start = enc.offset();
                r.emit(&mut enc)?;
                ttl_offsets.push(start);
            }
        }
        // The qname is the plain uncompressed name at offset 12 (the first
        // name in the message cannot be compressed); the render step
        // overwrites it with the client's bytes.
        let qname_len = skip_name(&buf, HEADER_LEN)
            .and_then(|end| end.checked_sub(HEADER_LEN))
            .ok_or(EncodeError::QuestionMismatch)?;
        let mut offsets = Vec::with_capacity(ttl_offsets.len());
        for start in ttl_offsets {
            let ttl_at = skip_name(&buf, start).ok_or(EncodeError::QuestionMismatch)? + 4;
            let off = u16::try_from(ttl_at).map_err(|_| EncodeError::TooLarge(buf.len()))?;
            // No record is handed out with a TTL beyond how long we keep the
            // answer (cache.max_ttl / max_negative_ttl apply to clients too).
            if ttl > 0 {
                if let Some(orig) = get_u32(&buf, ttl_at) {
                    if let Some(s) = buf.get_mut(ttl_at..ttl_at + 4) {
                        s.copy_from_slice(&orig.min(ttl).to_be_bytes());
                    }
                }
            }
            offsets.push(off);
        }
        let wire_len = u16::try_from(buf.len()).map_err(|_| EncodeError::TooLarge(buf.len()))?;
        let qname_len = u8::try_from(qname_len).map_err(|_| EncodeError::QuestionMismatch)?;
        let mut data = Vec::with_capacity(buf.len() + 2 * offsets.len());
        data.extend_from_slice(&buf);
        for off in offsets {
            data.extend_from_slice(&off.to_ne_bytes());
        }
        Ok(Self {
            data: data.into_boxed_slice(),
            stored_at: secs32(now),
            expires_at: secs32(now.saturating_add(u64::from(ttl))),
            ede: res.ede.clone().map(Box::new),
            wire_len,
            qname_len,
            rcode,
            security: res.security,
            key_flags: 0,
        })
    }

    /// Marks the answer as stored under `key` (its DO and CD bits; the
    /// qname, qtype and qclass are in the question).
    pub fn for_key(mut self, key: &CacheKey) -> Self {
        self.key_flags = key_flags(key.dnssec_ok, key.checking_disabled);
        self
    }

    /// Is this the answer for `key`? The lowercased question is compared
    /// byte for byte (it was built from the same lowercased name).
    fn answers(&self, key: &KeyRef<'_>) -> bool {
        let q = usize::from(self.qname_len);
        let wire = self.wire();
        self.key_flags == key_flags(key.dnssec_ok, key.checking_disabled)
            && wire.get(HEADER_LEN..HEADER_LEN + q) == Some(key.name)
            && get_u16(wire, HEADER_LEN + q) == Some(key.qtype)
            && get_u16(wire, HEADER_LEN + q + 2) == Some(key.qclass)
    }

    /// Is this entry past its lifetime at `now`?
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at()
    }

    /// Wall-clock second from which this is a miss.
    pub fn expires_at(&self) -> u64 {
        u64::from(self.expires_at)
    }

    /// The Extended DNS Error carried by this answer, if any.
    pub fn ede(&self) -> Option<&ExtendedError> {
        self.ede.as_deref()
    }

    /// The stored bytes (for tests and diagnostics).
    pub fn wire(&self) -> &[u8] {
        self.data.get(..usize::from(self.wire_len)).unwrap_or(&[])
    }

    /// Offsets of the TTL fields in [`Self::wire`].
    fn ttl_offsets(&self) -> impl Iterator<Item = usize> + '_ {
        self.data
            .get(usize::from(self.wire_len)..)
            .unwrap_or(&[])
            .chunks_exact(2)
            .map(|c| usize::from(u16::from_ne_bytes([c[0], c[1]])))
    }

    /// The response for one client at `now`.
    pub fn render(&self, p: &RenderParams<'_>, now: u64) -> Vec<u8> {
        let mut out = Vec::new();
        self.render_into(p, now, &mut out);
        out
    }

    /// Writes the response for one client at `now` into `out` (cleared
    /// first): the hit path reuses one buffer per socket, so a cache hit
    /// allocates nothing once the buffer has grown.
    pub fn render_into(&self, p: &RenderParams<'_>, now: u64, out: &mut Vec<u8>) {
        let ede_len = self.ede().map_or(0, |e| e.text.len().min(MAX_EDE_TEXT) + 6);
        let wire = self.wire();
        let qname_len = usize::from(self.qname_len);
        out.clear();
        out.reserve(wire.len() + 11 + ede_len);
        out.extend_from_slice(wire);
        put_u16(out, 0, p.id);
        // QR=1, OPCODE=QUERY, AA=0 (we are not authoritative), TC=0, RD copied.
        let b2 = 0x80 | u8::from(p.rd);
        // RA=1; RFC 6840 §5.7: AD only when secure and the client asked (DO or AD).
        let ad = self.security == Security::Secure && p.ad_requested;
        let b3 = 0x80 | (u8::from(ad) << 5) | (u8::from(p.cd) << 4) | self.rcode;
        if let Some(s) = out.get_mut(2..4) {
            s.copy_from_slice(&[b2, b3]);
        }
        // Echo the question in the client's case (RFC 1035 §7.3 matching
        // by resolvers that use 0x20 case randomization).
        if p.client_qname.len() == qname_len {
            if let Some(s) = out.get_mut(HEADER_LEN..HEADER_LEN + qname_len) {
                s.copy_from_slice(p.client_qname);
            }
        }
        // RFC 1035 §7.3 / RFC 2181 §8: TTLs count down while cached.
        let elapsed = secs32(now.saturating_sub(u64::from(self.stored_at)));
        for off in self.ttl_offsets() {
            if let Some(orig) = get_u32(wire, off) {
                if let Some(s) = out.get_mut(off..off + 4) {
                    s.copy_from_slice(&orig.saturating_sub(elapsed).to_be_bytes());
                }
            }
        }
        if let Some(opt) = p.edns {
            push_opt(out, opt, 0, self.ede());
            put_u16(out, 10, 1);
        }
        if out.len() > p.limit {
            truncate_response(out, qname_len, p.edns, self.ede(), p.limit);
        }
    }
}

/// RFC 1035 §4.1.1 / RFC 6891 §7: a response that does not fit is replaced
/// by header + question (+ OPT) with TC=1, so the client retries over TCP.
pub fn truncate_response(
    out: &mut Vec<u8>,
    qname_len: usize,
    edns: Option<OptParams>,
    ede: Option<&ExtendedError>,
    limit: usize,
) {
    out.truncate(HEADER_LEN + qname_len + 4);
    if let Some(b) = out.get_mut(2) {
        *b |= 0x02;
    }
    put_u16(out, 6, 0);
    put_u16(out, 8, 0);
    put_u16(out, 10, 0);
    if let Some(opt) = edns {
        let base = out.len();
        push_opt(out, opt, 0, ede);
        if out.len() > limit {
            out.truncate(base);
            push_opt(out, opt, 0, None);
        }
        put_u16(out, 10, 1);
    }
}

/// Weighs an answer by its wire bytes ([`super::weight`]).
#[derive(Clone, Copy, Debug)]
pub struct AnswerWeight;

impl quick_cache::Weighter<u64, Arc<StoredAnswer>> for AnswerWeight {
    fn weight(&self, _key: &u64, value: &Arc<StoredAnswer>) -> u64 {
        super::weight::units(value.data.len())
    }
}

/// Hashes a fingerprint to itself: it already is a uniform keyed hash.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fingerprinted;

/// See [`Fingerprinted`].
#[derive(Default)]
pub struct FingerprintHasher(u64);

impl std::hash::Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; fold anything else in anyway.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

impl std::hash::BuildHasher for Fingerprinted {
    type Hasher = FingerprintHasher;
    fn build_hasher(&self) -> FingerprintHasher {
        FingerprintHasher::default()
    }
}

/// The answer cache: cache key to stored response, bounded by entry count
/// with large entries counting more ([`super::weight`]).
///
/// Entries are keyed by a 64-bit fingerprint of the [`CacheKey`] (a hash
/// keyed at random per process, so that clients cannot aim collisions),
/// not by the key itself: the key is already in the stored answer (its
/// question, and [`StoredAnswer::for_key`]'s flags), and a 56-byte key in
/// every slot was a fifth of the memory of a cached answer. A hit is
/// checked against the stored question, so a fingerprint collision is a
/// miss (and one of the two answers replaces the other), never a wrong
/// answer.
pub struct AnswerCache {
    cache: quick_cache::sync::Cache<u64, Arc<StoredAnswer>, AnswerWeight, Fingerprinted>,
    keys: quick_cache::DefaultHashBuilder,
    min_ttl: u32,
    max_ttl: u32,
    max_negative_ttl: u32,
}

impl std::fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerCache")
            .field("len", &self.cache.len())
            .finish()
    }
}

impl AnswerCache {
    pub fn new(cfg: &CacheConfig) -> Self {
        Self {
            // quick_cache allocates lazily: the size is a bound, not an
            // up-front allocation.
            cache: quick_cache::sync::Cache::with(
                cfg.size.clamp(1, 1 << 32),
                super::weight::capacity(cfg.size),
                AnswerWeight,
                Fingerprinted,
                Default::default(),
            ),
            keys: quick_cache::DefaultHashBuilder::default(),
            min_ttl: cfg.min_ttl,
            max_ttl: cfg.max_ttl,
            max_negative_ttl: cfg.max_negative_ttl,
        }
    }

    /// A live entry for `key` at `now`; expired entries are misses.
    pub fn get(&self, key: &KeyRef<'_>, now: u64) -> Option<Arc<StoredAnswer>> {
        let v = self.cache.get(&self.fingerprint(key))?;
        if v.is_expired(now) || !v.answers(key) {
            return None;
        }
        Some(v)
    }

    /// Stores `value` (built [`StoredAnswer::for_key`] `key`).
    pub fn insert(&self, key: &CacheKey, value: Arc<StoredAnswer>) {
        self.cache.insert(self.fingerprint(&key.as_ref()), value);
    }

    fn fingerprint(&self, key: &KeyRef<'_>) -> u64 {
        self.keys.hash_one(key)
    }

    /// Empties the cache (SIGHUP).
    pub fn clear(&self) {
        self.cache.clear();
    }

    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.len() == 0
    }

    /// How long `res` is stored: its `cache_ttl` (0 = not at all), clamped by
    /// min/max TTL when positive, by max_negative_ttl for NXDOMAIN, NODATA
    /// and failures (RFC 2308 §5 caps negative caching).
    pub fn storing_ttl(&self, res: &Resolution) -> u32 {
        if res.cache_ttl == 0 {
            return 0;
        }
        let negative = res.rcode != ResponseCode::NoError || res.answer.is_empty();
        if negative {
            res.cache_ttl.min(self.max_negative_ttl)
        } else {
            res.cache_ttl.max(self.min_ttl).min(self.max_ttl)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::state::EdeCode;
    use hickory_proto::op::Message;
    use hickory_proto::rr::rdata::{A, SOA};
    use hickory_proto::rr::RData;

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn res() -> Resolution {
        Resolution {
            rcode: ResponseCode::NoError,
            answer: vec![
                Record::from_rdata(name("a.example."), 100, RData::A(A::new(192, 0, 2, 1))),
                Record::from_rdata(name("a.example."), 50_000, RData::A(A::new(192, 0, 2, 2))),
            ],
            authority: vec![Record::from_rdata(
                name("example."),
                80,
                RData::SOA(SOA::new(
                    name("ns.example."),
                    name("h.example."),
                    1,
                    2,
                    3,
                    4,
                    5,
                )),
            )],
            security: Security::Secure,
            ede: Some(ExtendedError::new(EdeCode::Other, "é".repeat(150))),
            cache_ttl: 1000,
        }
    }

    fn params(qname: &[u8]) -> RenderParams<'_> {
        RenderParams {
            id: 0xBEEF,
            rd: true,
            cd: false,
            ad_requested: true,
            client_qname: qname,
            edns: Some(OptParams {
                udp_size: 1232,
                dnssec_ok: true,
            }),
            limit: 65_535,
        }
    }

    #[test]
    fn ttls_are_capped_and_count_down_in_every_section() {
        let s = StoredAnswer::build(
            &name("a.example."),
            RecordType::A,
            1,
            &res(),
            true,
            1000,
            1000,
        )
        .unwrap();
        assert_eq!(s.ttl_offsets().count(), 3);
        assert_eq!(s.expires_at(), 2000);
        let out = s.render(&params(b"\x01A\x07EXAMPLE\x00"), 1030);
        let m = Message::from_vec(&out).unwrap();
        assert_eq!(m.metadata.id, 0xBEEF);
        assert!(m.metadata.authentic_data);
        let ttls: Vec<u32> = m
            .answers
            .iter()
            .chain(&m.authorities)
            .map(|r| r.ttl)
            .collect();
        // 100 - 30, min(50000, 1000) - 30, 80 - 30.
        assert_eq!(ttls, vec![70, 970, 50]);
        assert_eq!(&out[12..23], b"\x01A\x07EXAMPLE\x00");
        // Past a record's TTL it stays at 0 until the entry expires.
        let m = Message::from_vec(&s.render(&params(b"\x01a\x07example\x00"), 1500)).unwrap();
        assert_eq!(m.answers[0].ttl, 0);
        assert!(!s.is_expired(1999));
        assert!(s.is_expired(2000));
    }

    #[test]
    fn ede_text_is_cut_on_a_char_boundary_and_dropped_when_truncating() {
        let s = StoredAnswer::build(&name("a.example."), RecordType::A, 1, &res(), true, 0, 10)
            .unwrap();
        let out = s.render(&params(b"\x01a\x07example\x00"), 0);
        let m = Message::from_vec(&out).unwrap();
        assert!(m.edns.is_some());
        // 150 two-byte chars cut to 200 bytes: 100 chars.
        assert!(out.ends_with("é".repeat(100).as_bytes()));
        let mut p = params(b"\x01a\x07example\x00");
        p.limit = 512;
        let mut big = res();
        big.ede = Some(ExtendedError::new(EdeCode::Other, "x".repeat(200)));
        big.answer = (0..40)
            .map(|i| Record::from_rdata(name("a.example."), 9, RData::A(A::new(10, 0, 0, i))))
            .collect();
        let s =
            StoredAnswer::build(&name("a.example."), RecordType::A, 1, &big, true, 0, 10).unwrap();
        let out = s.render(&p, 0);
        assert!(out.len() <= 512);
        assert!(out[2] & 0x02 != 0);
        let m = Message::from_vec(&out).unwrap();
        assert!(m.answers.is_empty());
        assert!(m.edns.is_some());
    }

    #[test]
    fn entry_stays_small_and_keeps_its_parts() {
        // The per-entry struct (inside the Arc) is what 100,000 cached
        // answers multiply; keep it from growing back.
        assert!(std::mem::size_of::<StoredAnswer>() <= 40);
        let s = StoredAnswer::build(&name("a.example."), RecordType::A, 1, &res(), true, 7, 10)
            .unwrap();
        assert_eq!(s.ede().map(|e| e.code), res().ede.map(|e| e.code));
        assert_eq!(s.expires_at(), 17);
        // Every TTL offset points inside the wire part.
        assert!(s.ttl_offsets().all(|o| o + 4 <= s.wire().len()));
        let far = StoredAnswer::build(
            &name("a.example."),
            RecordType::A,
            1,
            &res(),
            true,
            u64::MAX - 5,
            10,
        )
        .unwrap();
        assert_eq!(far.expires_at(), u64::from(u32::MAX));
    }

    #[test]
    fn cache_get_skips_expired_and_clear_empties() {
        let c = AnswerCache::new(&CacheConfig::default());
        let s = Arc::new(
            StoredAnswer::build(&name("a.example."), RecordType::A, 1, &res(), false, 0, 10)
                .unwrap(),
        );
        let key = KeyRef {
            name: b"\x01a\x07example\x00",
            qtype: 1,
            qclass: 1,
            dnssec_ok: false,
            checking_disabled: false,
        };
        c.insert(&key.to_owned_key(), s);
        assert!(c.get(&key, 9).is_some());
        assert!(c.get(&key, 10).is_none());
        assert!(c
            .get(
                &KeyRef {
                    dnssec_ok: true,
                    ..key
                },
                0
            )
            .is_none());
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn large_answers_count_by_size() {
        let cfg = CacheConfig {
            size: 100,
            ..CacheConfig::default()
        };
        let c = AnswerCache::new(&cfg);
        let mut big = res();
        big.ede = None;
        // 300 A records: about 4.8 KB of wire, 10 units of 512 bytes.
        big.answer = (0..300u16)
            .map(|i| {
                let [hi, lo] = i.to_be_bytes();
                Record::from_rdata(name("a.example."), 60, RData::A(A::new(10, 0, hi, lo)))
            })
            .collect();
        let stored = Arc::new(
            StoredAnswer::build(&name("a.example."), RecordType::A, 1, &big, false, 0, 60).unwrap(),
        );
        for i in 0..100u8 {
            let qname = [1, b'a' + i % 26, 1, b'0' + i / 26, 0];
            let key = KeyRef {
                name: &qname,
                qtype: 1,
                qclass: 1,
                dnssec_ok: false,
                checking_disabled: false,
            };
            c.insert(&key.to_owned_key(), stored.clone());
        }
        assert!(c.len() <= 11, "{} large answers kept", c.len());
    }

    #[test]
    fn a_hit_is_checked_against_the_stored_question_and_flags() {
        use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
        let c = AnswerCache::new(&CacheConfig::default());
        // Odd but valid lowercased names must still hit: the stored question
        // is emitted from the name decoded from the key's own bytes.
        let names: [&[u8]; 4] = [
            b"\x01a\x07example\x00",
            b"\x03a.b\x07example\x00",
            b"\x02\xc3\xa9\x07example\x00",
            b"\x00",
        ];
        for wire in names {
            let name = Name::read(&mut BinDecoder::new(wire)).unwrap();
            for (dnssec_ok, checking_disabled) in [(false, false), (true, false), (true, true)] {
                let key = KeyRef {
                    name: wire,
                    qtype: 1,
                    qclass: 1,
                    dnssec_ok,
                    checking_disabled,
                };
                let owned = key.to_owned_key();
                let s = StoredAnswer::build(&name, RecordType::A, 1, &res(), dnssec_ok, 0, 10)
                    .unwrap()
                    .for_key(&owned);
                assert!(s.answers(&key), "{wire:?}");
                c.insert(&owned, Arc::new(s));
                assert!(
                    c.get(&key, 1).is_some(),
                    "{wire:?} {dnssec_ok} {checking_disabled}"
                );
            }
        }
        // What the fingerprint would confuse, the check tells apart.
        let s = StoredAnswer::build(&name("a.example."), RecordType::A, 1, &res(), true, 0, 10)
            .unwrap();
        let key = KeyRef {
            name: b"\x01a\x07example\x00",
            qtype: 1,
            qclass: 1,
            dnssec_ok: false,
            checking_disabled: false,
        };
        assert!(s.answers(&key));
        assert!(!s.answers(&KeyRef { qtype: 28, ..key }));
        assert!(!s.answers(&KeyRef { qclass: 3, ..key }));
        assert!(!s.answers(&KeyRef {
            dnssec_ok: true,
            ..key
        }));
        assert!(!s.answers(&KeyRef {
            checking_disabled: true,
            ..key
        }));
        assert!(!s.answers(&KeyRef {
            name: b"\x01b\x07example\x00",
            ..key
        }));
    }
}
