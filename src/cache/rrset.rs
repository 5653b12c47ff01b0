//! The iterator's cache: RRsets (with their RRSIGs and security status) and
//! negative answers, keyed by (owner, type). Separate from the wire-format
//! answer cache that serves client hits: this one feeds resolution itself
//! (zone cuts, server addresses, CNAME steps, DS and DNSKEY sets).
//!
//! Entries are kept compact: the records are stored as one boxed DNS wire
//! image (zone name, then the records with names compressed against each
//! other, RFC 1035 §4.1.4) and the key is the lowercased owner in wire form
//! (inline when short). A hickory `Record` costs ~280 bytes plus its heap
//! parts; the wire image of a signed A RRset is ~140 bytes. Wildcard proofs
//! are packed apart and shared between the answers of one wildcard. Reads decode back into [`CachedRrset`] /
//! [`CachedNegative`]: they happen only when resolving (cache misses of the
//! answer cache), never on the client hit path.
//!
//! Expiry is judged on wall-clock seconds from the [`Clock`] (SystemTime in
//! the daemon), so a suspended host or virtual time in tests behaves the same.
//! Capacity is bounded; `quick_cache` evicts (sharded, readers do not
//! serialize on one lock).
//!
//! [`Clock`]: crate::clock::Clock

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable, BinEncoder};
use quick_cache::sync::Cache;

use crate::dnssec::state::{ExtendedError, Security};

/// How much an RRset can be believed (RFC 2181 §5.4.1 ranking, simplified).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trust {
    /// Glue or other additional-section data: good enough to reach a
    /// server, never returned to a client.
    Glue,
    /// Delegation NS records from the parent side of a cut.
    Referral,
    /// The answer section of an authoritative (or forwarded) response.
    Answer,
}

/// A cached RRset with its signatures.
#[derive(Clone, Debug)]
pub struct CachedRrset {
    /// The records, all with one owner and type.
    pub records: Vec<Record>,
    /// RRSIGs covering the records (empty for unsigned data).
    pub rrsigs: Vec<Record>,
    /// For wildcard-expanded answers: the NSEC/NSEC3 records (and RRSIGs)
    /// proving the exact name does not exist (RFC 4035 §5.3.4).
    pub proofs: Vec<Record>,
    /// The zone the data came from (for validation: the expected signer).
    pub zone: Name,
    pub trust: Trust,
    pub security: Security,
    /// Why the data is Bogus, for the EDE of later answers.
    pub why: Option<ExtendedError>,
    /// Wall-clock expiry, Unix seconds.
    pub expires_at: u64,
}

impl CachedRrset {
    /// Seconds of life left at `now`.
    pub fn remaining(&self, now: u64) -> u32 {
        u32::try_from(self.expires_at.saturating_sub(now)).unwrap_or(u32::MAX)
    }

    /// Records and RRSIGs with TTLs counted down to what is left at `now`.
    pub fn records_at(&self, now: u64) -> Vec<Record> {
        countdown(
            self.records.iter().chain(self.rrsigs.iter()),
            self.remaining(now),
        )
    }

    /// The wildcard proofs with TTLs counted down.
    pub fn proofs_at(&self, now: u64) -> Vec<Record> {
        countdown(self.proofs.iter(), self.remaining(now))
    }
}

/// Clones records with their TTL capped at `left` seconds.
fn countdown<'a>(records: impl Iterator<Item = &'a Record>, left: u32) -> Vec<Record> {
    records
        .map(|r| {
            let mut r = r.clone();
            r.ttl = r.ttl.min(left);
            r
        })
        .collect()
}

/// What kind of negative answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegativeKind {
    /// The name does not exist (any type).
    NxDomain,
    /// The name exists but has no data of this type.
    NoData,
}

/// A cached negative answer (RFC 2308).
#[derive(Clone, Debug)]
pub struct CachedNegative {
    pub kind: NegativeKind,
    /// SOA, NSEC/NSEC3 and their RRSIGs, for the authority section.
    pub authority: Vec<Record>,
    pub zone: Name,
    pub security: Security,
    pub why: Option<ExtendedError>,
    pub expires_at: u64,
}

impl CachedNegative {
    pub fn remaining(&self, now: u64) -> u32 {
        u32::try_from(self.expires_at.saturating_sub(now)).unwrap_or(u32::MAX)
    }

    pub fn authority_at(&self, now: u64) -> Vec<Record> {
        countdown(self.authority.iter(), self.remaining(now))
    }
}

/// Cache key: owner (lowercased, uncompressed wire form) and type. NXDOMAIN
/// is stored under `RecordType::ANY` since it covers every type. Short
/// names (most) are kept inside the key, saving a heap block per entry; the
/// choice depends only on the length, so derived equality and hashing agree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Inline {
        rtype: u16,
        len: u8,
        name: [u8; KEY_INLINE],
    },
    Heap {
        rtype: u16,
        name: Box<[u8]>,
    },
}

/// Owner names of up to this many wire bytes are stored inline (the key
/// stays 24 bytes either way).
const KEY_INLINE: usize = 20;

impl Key {
    fn new(name: &Name, rtype: RecordType) -> Self {
        let wire = lower_wire(name);
        let rtype = u16::from(rtype);
        match (u8::try_from(wire.len()), [0u8; KEY_INLINE]) {
            (Ok(len), mut buf) if wire.len() <= KEY_INLINE => {
                if let Some(dst) = buf.get_mut(..wire.len()) {
                    dst.copy_from_slice(&wire);
                }
                Self::Inline {
                    rtype,
                    len,
                    name: buf,
                }
            }
            _ => Self::Heap {
                rtype,
                name: wire.into_boxed_slice(),
            },
        }
    }
}

/// The name in uncompressed wire form with ASCII letters lowercased: the
/// case-insensitive identity of an owner name (RFC 4343 §3).
fn lower_wire(name: &Name) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len().max(1) + 1);
    for label in name.iter() {
        // Labels of a parsed Name are at most 63 bytes (RFC 1035 §2.3.4).
        out.push(u8::try_from(label.len()).unwrap_or(63));
        out.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    out.push(0);
    out
}

/// Records of a cache entry in wire form: the zone name, then every record
/// (owner, type, class, TTL, RDATA) in order, names compressed against the
/// earlier ones. `counts` splits the records into up to three sections.
#[derive(Clone, Debug)]
struct Packed {
    /// Boxed, not `Arc`: 16 bytes less per entry; reads copy it anyway.
    wire: Box<[u8]>,
    counts: [u16; 3],
}

impl Packed {
    /// `None` if a record cannot be encoded or there are too many: the
    /// entry is then simply not cached.
    fn new(zone: &Name, sections: [&[Record]; 3]) -> Option<Self> {
        let mut buf = Vec::with_capacity(256);
        let mut counts = [0u16; 3];
        {
            let mut enc = BinEncoder::new(&mut buf);
            zone.emit(&mut enc).ok()?;
            for (count, records) in counts.iter_mut().zip(sections) {
                *count = u16::try_from(records.len()).ok()?;
                for r in records {
                    r.emit(&mut enc).ok()?;
                }
            }
        }
        Some(Self {
            wire: buf.into_boxed_slice(),
            counts,
        })
    }

    /// The zone and the three sections; `None` if the image does not decode
    /// (it always should: it was encoded by [`Packed::new`]).
    fn unpack(&self) -> Option<(Name, [Vec<Record>; 3])> {
        let mut dec = BinDecoder::new(&self.wire);
        let zone = Name::read(&mut dec).ok()?;
        let mut out: [Vec<Record>; 3] = Default::default();
        for (records, &count) in out.iter_mut().zip(&self.counts) {
            records.reserve_exact(usize::from(count));
            for _ in 0..count {
                records.push(Record::read(&mut dec).ok()?);
            }
        }
        Some((zone, out))
    }
}

/// A stored RRset: [`CachedRrset`] with its records packed.
#[derive(Clone, Debug)]
struct StoredRrset {
    /// Records and RRSIGs.
    packed: Packed,
    expires_at: u64,
    /// Rare parts, so that the common entry stays small.
    extra: Option<Box<Extra>>,
    trust: Trust,
    security: Security,
}

/// What only some RRsets have.
#[derive(Clone, Debug)]
struct Extra {
    why: Option<ExtendedError>,
    /// The wildcard proofs, packed on their own so that the answers
    /// expanded from one wildcard share one copy (see [`Interner`]).
    proofs: Option<Arc<Packed>>,
}

impl StoredRrset {
    fn pack(set: CachedRrset, interner: &Interner) -> Option<Self> {
        let proofs = if set.proofs.is_empty() {
            None
        } else {
            Some(interner.intern(Packed::new(&set.zone, [&set.proofs, &[], &[]])?))
        };
        let extra = (set.why.is_some() || proofs.is_some()).then(|| {
            Box::new(Extra {
                why: set.why,
                proofs,
            })
        });
        Some(Self {
            packed: Packed::new(&set.zone, [&set.records, &set.rrsigs, &[]])?,
            expires_at: set.expires_at,
            extra,
            trust: set.trust,
            security: set.security,
        })
    }

    fn unpack(&self) -> Option<CachedRrset> {
        let (zone, [records, rrsigs, _]) = self.packed.unpack()?;
        let proofs = match self.extra.as_ref().and_then(|e| e.proofs.as_ref()) {
            Some(p) => {
                let (_, [proofs, _, _]) = p.unpack()?;
                proofs
            }
            None => Vec::new(),
        };
        Some(CachedRrset {
            records,
            rrsigs,
            proofs,
            zone,
            trust: self.trust,
            security: self.security,
            why: self.extra.as_ref().and_then(|e| e.why.clone()),
            expires_at: self.expires_at,
        })
    }
}

/// Shares identical packed record groups between entries: the wildcard
/// proofs of answers expanded from one wildcard (every such name carries
/// the same NSEC/NSEC3 proof, RFC 4035 §5.3.4) and the SOA of negative
/// answers from one zone. Keeping the few most recent groups catches runs
/// of such answers without a table to maintain.
#[derive(Default)]
struct Interner {
    recent: Mutex<VecDeque<Arc<Packed>>>,
}

/// How many recent groups [`Interner`] compares against.
const INTERN_RECENT: usize = 8;

impl Interner {
    fn intern(&self, packed: Packed) -> Arc<Packed> {
        let Ok(mut recent) = self.recent.lock() else {
            return Arc::new(packed);
        };
        if let Some(prev) = recent
            .iter()
            .find(|p| p.counts == packed.counts && p.wire == packed.wire)
        {
            return prev.clone();
        }
        let new = Arc::new(packed);
        if recent.len() >= INTERN_RECENT {
            recent.pop_back();
        }
        recent.push_front(new.clone());
        new
    }

    fn clear(&self) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.clear();
        }
    }
}

/// A stored negative answer: [`CachedNegative`] with its authority packed.
#[derive(Clone, Debug)]
struct StoredNegative {
    /// The SOA and its RRSIGs: the same for every negative answer of a
    /// zone (e.g. all DNSBL misses of one list), so shared.
    soa: Option<Arc<Packed>>,
    /// Where the SOA part goes back into the authority section.
    soa_at: u16,
    /// The rest of the authority section (NSEC/NSEC3 and RRSIGs).
    packed: Packed,
    expires_at: u64,
    why: Option<Box<ExtendedError>>,
    kind: NegativeKind,
    security: Security,
}

/// The SOA of a negative answer or an RRSIG over it.
fn is_soa_part(r: &Record) -> bool {
    match &r.data {
        RData::SOA(_) => true,
        RData::DNSSEC(DNSSECRData::RRSIG(sig)) => sig.input().type_covered == RecordType::SOA,
        _ => false,
    }
}

impl StoredNegative {
    fn pack(neg: CachedNegative, interner: &Interner) -> Option<Self> {
        // The first contiguous run of SOA records (the SOA RRset with its
        // RRSIGs) is split off; its position is kept so that the authority
        // comes back in exactly the stored order.
        let start = neg.authority.iter().position(is_soa_part);
        let (soa, soa_at, rest) = match start {
            Some(at) => {
                let len = neg
                    .authority
                    .iter()
                    .skip(at)
                    .take_while(|r| is_soa_part(r))
                    .count();
                let soa = neg.authority.get(at..at + len)?;
                let mut rest = neg.authority.get(..at)?.to_vec();
                rest.extend_from_slice(neg.authority.get(at + len..)?);
                let packed = interner.intern(Packed::new(&neg.zone, [soa, &[], &[]])?);
                (Some(packed), u16::try_from(at).ok()?, rest)
            }
            None => (None, 0, neg.authority),
        };
        Some(Self {
            soa,
            soa_at,
            packed: Packed::new(&neg.zone, [&rest, &[], &[]])?,
            expires_at: neg.expires_at,
            why: neg.why.map(Box::new),
            kind: neg.kind,
            security: neg.security,
        })
    }

    fn unpack(&self) -> Option<CachedNegative> {
        let (zone, [rest, _, _]) = self.packed.unpack()?;
        let authority = match &self.soa {
            Some(soa) => {
                let (_, [soa, _, _]) = soa.unpack()?;
                let mut rest = rest.into_iter();
                let mut authority = Vec::with_capacity(soa.len() + rest.len());
                authority.extend(rest.by_ref().take(usize::from(self.soa_at)));
                authority.extend(soa);
                authority.extend(rest);
                authority
            }
            None => rest,
        };
        Some(CachedNegative {
            kind: self.kind,
            authority,
            zone,
            security: self.security,
            why: self.why.as_deref().cloned(),
            expires_at: self.expires_at,
        })
    }
}

/// Weighs RRsets and negative answers by their packed bytes
/// ([`super::weight`]).
#[derive(Clone, Copy, Debug)]
struct Weight;

impl Key {
    fn heap_bytes(&self) -> usize {
        match self {
            Key::Inline { .. } => 0,
            Key::Heap { name, .. } => name.len(),
        }
    }
}

impl quick_cache::Weighter<Key, StoredRrset> for Weight {
    fn weight(&self, key: &Key, v: &StoredRrset) -> u64 {
        // Shared proofs are counted in full for each entry: an upper bound.
        let proofs = v
            .extra
            .as_ref()
            .and_then(|e| e.proofs.as_ref())
            .map_or(0, |p| p.wire.len());
        super::weight::units(v.packed.wire.len() + proofs + key.heap_bytes())
    }
}

impl quick_cache::Weighter<Key, StoredNegative> for Weight {
    fn weight(&self, key: &Key, v: &StoredNegative) -> u64 {
        let soa = v.soa.as_ref().map_or(0, |p| p.wire.len());
        super::weight::units(v.packed.wire.len() + soa + key.heap_bytes())
    }
}

/// The iterator's RRset and negative cache.
pub struct RrsetCache {
    rrsets: Cache<Key, StoredRrset, Weight>,
    negatives: Cache<Key, StoredNegative, Weight>,
    proofs: Interner,
    soas: Interner,
}

impl RrsetCache {
    /// A cache holding at most `capacity` RRsets and `capacity / 4`
    /// negatives, large ones counting more ([`super::weight`]).
    pub fn new(capacity: usize) -> Self {
        use super::weight::capacity as units;
        let capacity = capacity.max(16);
        let negatives = capacity / 4 + 16;
        Self {
            rrsets: Cache::with_weighter(capacity, units(capacity), Weight),
            negatives: Cache::with_weighter(negatives, units(negatives), Weight),
            proofs: Interner::default(),
            soas: Interner::default(),
        }
    }

    /// A live RRset of at least `min_trust`, decoded.
    pub fn get(
        &self,
        name: &Name,
        rtype: RecordType,
        min_trust: Trust,
        now: u64,
    ) -> Option<CachedRrset> {
        let key = Key::new(name, rtype);
        let hit = self.rrsets.get(&key)?;
        if hit.expires_at <= now {
            self.rrsets.remove(&key);
            return None;
        }
        if hit.trust < min_trust {
            return None;
        }
        let set = hit.unpack();
        if set.is_none() {
            // Cannot happen for data we encoded; a miss is the safe answer.
            self.rrsets.remove(&key);
        }
        set
    }

    /// Stores an RRset unless a live entry of higher trust is present
    /// (RFC 2181 §5.4.1: glue must not replace authoritative data).
    pub fn insert(&self, rrset: CachedRrset, now: u64) {
        let Some(first) = rrset.records.first() else {
            return;
        };
        let key = Key::new(&first.name, first.record_type());
        if let Some(old) = self.rrsets.peek(&key) {
            if old.expires_at > now && old.trust > rrset.trust {
                return;
            }
        }
        // A positive answer supersedes a cached negative one for that type.
        self.negatives.remove(&key);
        if let Some(stored) = StoredRrset::pack(rrset, &self.proofs) {
            self.rrsets.insert(key, stored);
        }
    }

    /// A live negative answer for (name, type): NODATA for that type, or
    /// NXDOMAIN for the name.
    pub fn get_negative(&self, name: &Name, rtype: RecordType, now: u64) -> Option<CachedNegative> {
        for key in [Key::new(name, RecordType::ANY), Key::new(name, rtype)] {
            if let Some(hit) = self.negatives.get(&key) {
                if hit.expires_at > now {
                    if let Some(neg) = hit.unpack() {
                        return Some(neg);
                    }
                }
                self.negatives.remove(&key);
            }
        }
        None
    }

    pub fn insert_negative(&self, name: &Name, rtype: RecordType, neg: CachedNegative) {
        let rtype = match neg.kind {
            NegativeKind::NxDomain => RecordType::ANY,
            NegativeKind::NoData => rtype,
        };
        if let Some(stored) = StoredNegative::pack(neg, &self.soas) {
            self.negatives.insert(Key::new(name, rtype), stored);
        }
    }

    /// Drops everything (`anchord` flush).
    pub fn clear(&self) {
        self.rrsets.clear();
        self.negatives.clear();
        self.proofs.clear();
        self.soas.clear();
    }

    /// Number of cached RRsets and negative answers.
    pub fn len(&self) -> usize {
        self.rrsets.len() + self.negatives.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::dnssec::rdata::{SigInput, NSEC, NSEC3, RRSIG};
    use hickory_proto::dnssec::{Algorithm, Nsec3HashAlgorithm};
    use hickory_proto::rr::rdata::{A, CNAME, NULL, SOA};
    use hickory_proto::rr::SerialNumber;
    use hickory_proto::serialize::binary::NameEncoding;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    /// Exact bytes of a record: uncompressed, case kept, TTL included.
    fn exact(r: &Record) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut enc = BinEncoder::new(&mut buf);
        enc.set_name_encoding(NameEncoding::Uncompressed);
        r.emit(&mut enc).unwrap();
        buf
    }

    fn exact_all(rs: &[Record]) -> Vec<Vec<u8>> {
        rs.iter().map(exact).collect()
    }

    fn rrsig(owner: &str, covered: RecordType, signer: &str, ttl: u32) -> Record {
        let input = SigInput {
            type_covered: covered,
            algorithm: Algorithm::ECDSAP256SHA256,
            num_labels: 2,
            original_ttl: 3600,
            sig_expiration: SerialNumber::new(1_900_000_000),
            sig_inception: SerialNumber::new(1_700_000_000),
            key_tag: 12345,
            signer_name: n(signer),
        };
        Record::from_rdata(
            n(owner),
            ttl,
            RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, vec![7; 64]))),
        )
    }

    fn nsec(owner: &str, next: &str) -> Record {
        Record::from_rdata(
            n(owner),
            600,
            RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(
                n(next),
                [RecordType::A, RecordType::RRSIG, RecordType::NSEC],
            ))),
        )
    }

    fn nsec3(owner: &str) -> Record {
        Record::from_rdata(
            n(owner),
            600,
            RData::DNSSEC(DNSSECRData::NSEC3(NSEC3::new(
                Nsec3HashAlgorithm::SHA1,
                true,
                0,
                vec![0xab, 0xcd],
                vec![0x11; 20],
                [RecordType::A, RecordType::RRSIG],
            ))),
        )
    }

    fn soa(zone: &str) -> Record {
        Record::from_rdata(
            n(zone),
            300,
            RData::SOA(SOA::new(
                n("NS1.Example."),
                n("hostmaster.example."),
                2026112301,
                7200,
                3600,
                1209600,
                60,
            )),
        )
    }

    /// A DNAME arrives as unknown RDATA (hickory has no typed DNAME).
    fn dname(owner: &str, target: &str) -> Record {
        let mut wire = Vec::new();
        let mut enc = BinEncoder::new(&mut wire);
        enc.set_name_encoding(NameEncoding::Uncompressed);
        n(target).emit(&mut enc).unwrap();
        Record::from_rdata(
            n(owner),
            900,
            RData::Unknown {
                code: RecordType::DNAME,
                rdata: NULL::with(wire),
            },
        )
    }

    #[test]
    fn records_survive_the_wire_round_trip_exactly() {
        let c = RrsetCache::new(100);
        let owner = "WwW.Example.";
        let set = CachedRrset {
            records: vec![
                Record::from_rdata(n(owner), 300, RData::A(A::new(192, 0, 2, 1))),
                Record::from_rdata(n(owner), 250, RData::A(A::new(192, 0, 2, 2))),
            ],
            rrsigs: vec![
                rrsig(owner, RecordType::A, "Example.", 300),
                rrsig(owner, RecordType::A, "example.", 300),
            ],
            proofs: vec![
                nsec("v.example.", "X.example."),
                rrsig("v.example.", RecordType::NSEC, "example.", 600),
                nsec3("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example."),
                soa("example."),
            ],
            zone: n("Example."),
            trust: Trust::Answer,
            security: Security::Bogus,
            why: Some(ExtendedError::new(
                crate::dnssec::state::EdeCode::DnssecBogus,
                "bad sig",
            )),
            expires_at: 2_000,
        };
        c.insert(set.clone(), 1_000);
        let got = c
            .get(&n("www.example."), RecordType::A, Trust::Answer, 1_000)
            .unwrap();
        assert_eq!(exact_all(&got.records), exact_all(&set.records));
        assert_eq!(exact_all(&got.rrsigs), exact_all(&set.rrsigs));
        assert_eq!(exact_all(&got.proofs), exact_all(&set.proofs));
        assert_eq!(got.zone.to_ascii(), "Example.");
        assert_eq!(got.trust, Trust::Answer);
        assert_eq!(got.security, Security::Bogus);
        assert_eq!(got.why, set.why);
        assert_eq!(got.expires_at, 2_000);
        // TTL countdown: capped at what is left, lower TTLs kept.
        let at = got.records_at(1_200);
        assert_eq!(
            at.iter().map(|r| r.ttl).collect::<Vec<_>>(),
            [300, 250, 300, 300]
        );
        let at = got.records_at(1_900);
        assert!(at.iter().all(|r| r.ttl == 100));
        assert_eq!(got.proofs_at(1_900).len(), 4);
        assert!(got.proofs_at(1_900).iter().all(|r| r.ttl <= 100));
    }

    fn txt_set(owner: &str, bytes: usize) -> CachedRrset {
        let strings: Vec<String> = (0..bytes / 250).map(|_| "x".repeat(250)).collect();
        CachedRrset {
            records: vec![Record::from_rdata(
                n(owner),
                300,
                RData::TXT(hickory_proto::rr::rdata::TXT::new(strings)),
            )],
            rrsigs: Vec::new(),
            proofs: Vec::new(),
            zone: n("example."),
            trust: Trust::Answer,
            security: Security::Insecure,
            why: None,
            expires_at: 2_000,
        }
    }

    #[test]
    fn large_rrsets_count_by_size_so_the_bytes_stay_bounded() {
        // 100 units of 512 bytes: about 50 KB of data, whatever the count.
        let c = RrsetCache::new(100);
        for i in 0..100 {
            c.insert(txt_set(&format!("t{i}.example."), 8_000), 1_000);
        }
        assert!(
            c.len() <= 100 * 512 / 8_000 + 1,
            "{} large RRsets kept",
            c.len()
        );
        // Small ones still count one each.
        let c = RrsetCache::new(100);
        for i in 0..60 {
            c.insert(txt_set(&format!("t{i}.example."), 250), 1_000);
        }
        assert_eq!(c.len(), 60);
    }

    fn wildcard_answer(owner: &str, proof_next: &str) -> CachedRrset {
        CachedRrset {
            records: vec![Record::from_rdata(
                n(owner),
                300,
                RData::A(A::new(192, 0, 2, 7)),
            )],
            rrsigs: vec![rrsig(owner, RecordType::A, "example.", 300)],
            proofs: vec![
                nsec("*.w.example.", proof_next),
                rrsig("*.w.example.", RecordType::NSEC, "example.", 600),
            ],
            zone: n("example."),
            trust: Trust::Answer,
            security: Security::Secure,
            why: None,
            expires_at: 1_300,
        }
    }

    fn stored_proofs(c: &RrsetCache, owner: &str) -> Arc<Packed> {
        let hit = c.rrsets.peek(&Key::new(&n(owner), RecordType::A)).unwrap();
        hit.extra.unwrap().proofs.unwrap()
    }

    #[test]
    fn answers_from_one_wildcard_share_their_proof() {
        let c = RrsetCache::new(100);
        let a = wildcard_answer("a1.w.example.", "z.w.example.");
        let b = wildcard_answer("a2.w.example.", "z.w.example.");
        let other = wildcard_answer("a3.w.example.", "y.w.example.");
        for set in [&a, &b, &other] {
            c.insert(set.clone(), 1_000);
        }
        let (pa, pb, po) = (
            stored_proofs(&c, "a1.w.example."),
            stored_proofs(&c, "a2.w.example."),
            stored_proofs(&c, "a3.w.example."),
        );
        assert!(Arc::ptr_eq(&pa, &pb));
        assert!(!Arc::ptr_eq(&pa, &po));
        for (owner, set) in [
            ("a1.w.example.", &a),
            ("a2.w.example.", &b),
            ("a3.w.example.", &other),
        ] {
            let got = c
                .get(&n(owner), RecordType::A, Trust::Answer, 1_000)
                .unwrap();
            assert_eq!(exact_all(&got.records), exact_all(&set.records));
            assert_eq!(exact_all(&got.rrsigs), exact_all(&set.rrsigs));
            assert_eq!(exact_all(&got.proofs), exact_all(&set.proofs));
            assert_eq!(got.proofs_at(1_200).len(), 2);
            assert!(got.proofs_at(1_200).iter().all(|r| r.ttl == 100));
        }
        // Plain answers carry no extra block at all.
        c.insert(rrset("plain.example.", Trust::Answer, 2_000), 1_000);
        let hit = c
            .rrsets
            .peek(&Key::new(&n("plain.example."), RecordType::A))
            .unwrap();
        assert!(hit.extra.is_none());
    }

    #[test]
    fn alias_and_unknown_types_round_trip() {
        let c = RrsetCache::new(100);
        let cases = [
            Record::from_rdata(
                n("a.example."),
                60,
                RData::CNAME(CNAME(n("B.Example.net."))),
            ),
            dname("d.example.", "Target.example.org."),
            Record::from_rdata(
                n("u.example."),
                60,
                RData::Unknown {
                    code: RecordType::Unknown(65_280),
                    rdata: NULL::with(vec![1, 2, 3, 0xc0, 0]),
                },
            ),
            soa("example."),
        ];
        for r in cases {
            let rtype = r.record_type();
            let sig = rrsig(&r.name.to_ascii(), rtype, "example.", 60);
            c.insert(
                CachedRrset {
                    records: vec![r.clone()],
                    rrsigs: vec![sig.clone()],
                    proofs: vec![],
                    zone: n("example."),
                    trust: Trust::Answer,
                    security: Security::Secure,
                    why: None,
                    expires_at: 1_060,
                },
                1_000,
            );
            let got = c.get(&r.name, rtype, Trust::Answer, 1_000).unwrap();
            assert_eq!(exact_all(&got.records), exact_all(&[r]));
            assert_eq!(exact_all(&got.rrsigs), exact_all(&[sig]));
            assert_eq!(got.security, Security::Secure);
        }
    }

    #[test]
    fn negatives_round_trip_and_nxdomain_covers_every_type() {
        let c = RrsetCache::new(100);
        let authority = vec![
            soa("example."),
            rrsig("example.", RecordType::SOA, "example.", 300),
            nsec("a.example.", "c.example."),
            rrsig("a.example.", RecordType::NSEC, "example.", 600),
            nsec3("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example."),
        ];
        c.insert_negative(
            &n("B.example."),
            RecordType::MX,
            CachedNegative {
                kind: NegativeKind::NxDomain,
                authority: authority.clone(),
                zone: n("example."),
                security: Security::Secure,
                why: None,
                expires_at: 1_300,
            },
        );
        let neg = c
            .get_negative(&n("b.EXAMPLE."), RecordType::TXT, 1_000)
            .unwrap();
        assert_eq!(neg.kind, NegativeKind::NxDomain);
        assert_eq!(exact_all(&neg.authority), exact_all(&authority));
        assert_eq!(neg.zone, n("example."));
        assert_eq!(neg.security, Security::Secure);
        assert!(neg.authority_at(1_100).iter().all(|r| r.ttl <= 200));
        assert!(c
            .get_negative(&n("b.example."), RecordType::A, 1_300)
            .is_none());
    }

    #[test]
    fn negatives_of_one_zone_share_the_soa_and_keep_their_order() {
        let c = RrsetCache::new(100);
        let soa_part = vec![
            soa("example."),
            rrsig("example.", RecordType::SOA, "example.", 300),
        ];
        let neg = |authority: Vec<Record>| CachedNegative {
            kind: NegativeKind::NxDomain,
            authority,
            zone: n("example."),
            security: Security::Secure,
            why: None,
            expires_at: 1_300,
        };
        let mut a = soa_part.clone();
        a.push(nsec("a.example.", "c.example."));
        let mut b = soa_part.clone();
        b.push(nsec("d.example.", "f.example."));
        // SOA not first: shared too, order kept.
        let odd = vec![
            nsec("g.example.", "i.example."),
            soa("example."),
            rrsig("example.", RecordType::SOA, "example.", 300),
            rrsig("g.example.", RecordType::NSEC, "example.", 600),
        ];
        let bare = vec![nsec("j.example.", "l.example.")];
        c.insert_negative(&n("b.example."), RecordType::A, neg(a.clone()));
        c.insert_negative(&n("e.example."), RecordType::A, neg(b.clone()));
        c.insert_negative(&n("h.example."), RecordType::A, neg(odd.clone()));
        c.insert_negative(&n("x.example."), RecordType::A, neg(soa_part.clone()));
        c.insert_negative(&n("k.example."), RecordType::A, neg(bare.clone()));
        let stored = |name: &str| {
            c.negatives
                .peek(&Key::new(&n(name), RecordType::ANY))
                .unwrap()
        };
        let (sa, sb, sx) = (
            stored("b.example."),
            stored("e.example."),
            stored("x.example."),
        );
        assert!(Arc::ptr_eq(
            sa.soa.as_ref().unwrap(),
            sb.soa.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(
            sa.soa.as_ref().unwrap(),
            sx.soa.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(
            sa.soa.as_ref().unwrap(),
            stored("h.example.").soa.as_ref().unwrap()
        ));
        assert!(stored("k.example.").soa.is_none());
        for (name, authority) in [
            ("b.example.", &a),
            ("e.example.", &b),
            ("h.example.", &odd),
            ("x.example.", &soa_part),
            ("k.example.", &bare),
        ] {
            let got = c.get_negative(&n(name), RecordType::MX, 1_000).unwrap();
            assert_eq!(exact_all(&got.authority), exact_all(authority));
        }
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn a_positive_answer_supersedes_a_cached_nodata() {
        let c = RrsetCache::new(100);
        c.insert_negative(
            &n("www.example."),
            RecordType::A,
            CachedNegative {
                kind: NegativeKind::NoData,
                authority: vec![soa("example.")],
                zone: n("example."),
                security: Security::Insecure,
                why: None,
                expires_at: 2_000,
            },
        );
        assert!(c
            .get_negative(&n("www.example."), RecordType::A, 1_000)
            .is_some());
        assert!(c
            .get_negative(&n("www.example."), RecordType::MX, 1_000)
            .is_none());
        c.insert(rrset("www.example.", Trust::Answer, 2_000), 1_000);
        assert!(c
            .get_negative(&n("www.example."), RecordType::A, 1_000)
            .is_none());
    }

    #[test]
    fn keys_ignore_case_only() {
        assert_eq!(
            lower_wire(&n("WwW.ExAmple.")),
            lower_wire(&n("www.example."))
        );
        assert_ne!(
            lower_wire(&n("www.example.")),
            lower_wire(&n("ww.wexample."))
        );
        assert_eq!(lower_wire(&Name::root()), [0]);
        assert_eq!(lower_wire(&n("A.b.")), [1, b'a', 1, b'b', 0]);
        assert!(matches!(
            Key::new(&n("mx1.example.com."), RecordType::A),
            Key::Inline { .. }
        ));
        assert!(matches!(
            Key::new(&n("4.3.2.1.zen.spamhaus.org."), RecordType::A),
            Key::Heap { .. }
        ));
        assert_ne!(
            Key::new(&n("a.example."), RecordType::A),
            Key::new(&n("a.example."), RecordType::AAAA)
        );
    }

    #[test]
    fn long_and_short_owner_names_are_found_case_insensitively() {
        let c = RrsetCache::new(100);
        for name in [
            "a.b.",
            "twenty-byte-name.x.",
            "exactly-21-bytes.xyz.",
            "4.3.2.1.zen.Spamhaus.org.",
            "a-very-long-label-indeed-for-a-dns-name.mail.example.com.",
        ] {
            c.insert(rrset(name, Trust::Answer, 2_000), 1_000);
            let upper = n(&name.to_ascii_uppercase());
            let hit = c.get(&upper, RecordType::A, Trust::Answer, 1_000).unwrap();
            assert_eq!(hit.records[0].name.to_ascii(), name);
        }
        assert_eq!(c.len(), 5);
    }

    fn a(name: &str, ttl: u32) -> Record {
        Record::from_rdata(
            Name::from_ascii(name).unwrap(),
            ttl,
            RData::A(A::new(192, 0, 2, 1)),
        )
    }

    fn rrset(name: &str, trust: Trust, expires_at: u64) -> CachedRrset {
        CachedRrset {
            records: vec![a(name, 300)],
            rrsigs: vec![],
            proofs: vec![],
            zone: Name::root(),
            trust,
            security: Security::Insecure,
            why: None,
            expires_at,
        }
    }

    #[test]
    fn expiry_is_judged_on_wall_clock_seconds() {
        let c = RrsetCache::new(100);
        c.insert(rrset("www.example.", Trust::Answer, 1_300), 1_000);
        let n = Name::from_ascii("WWW.example.").unwrap();
        let hit = c.get(&n, RecordType::A, Trust::Answer, 1_100).unwrap();
        assert_eq!(hit.records_at(1_100)[0].ttl, 200);
        assert!(c.get(&n, RecordType::A, Trust::Answer, 1_300).is_none());
    }

    #[test]
    fn glue_never_replaces_answers_nor_answers_clients() {
        let c = RrsetCache::new(100);
        let n = Name::from_ascii("ns.example.").unwrap();
        c.insert(rrset("ns.example.", Trust::Glue, 2_000), 1_000);
        assert!(c.get(&n, RecordType::A, Trust::Answer, 1_000).is_none());
        assert!(c.get(&n, RecordType::A, Trust::Glue, 1_000).is_some());
        c.insert(rrset("ns.example.", Trust::Answer, 1_500), 1_000);
        c.insert(rrset("ns.example.", Trust::Glue, 3_000), 1_000);
        let hit = c.get(&n, RecordType::A, Trust::Glue, 1_000).unwrap();
        assert_eq!(hit.trust, Trust::Answer);
    }
}
