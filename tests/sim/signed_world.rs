//! A signed hierarchy for the DNSSEC scenarios: a root `.` and any zones
//! below it, each served by its own simulated server (`ns1.<zone>`), each
//! signed (or not) with chosen keys and NSEC or NSEC3, with delegations,
//! glue and DS records (from the child's KSKs) put into the parent.
//!
//! ```ignore
//! let mut b = SignedWorldBuilder::new();
//! b.zone("example.", "");
//! b.zone("secure.example.", "www A 192.0.2.1").alg(8).nsec3(Nsec3Config::default());
//! let sw = b.build();
//! let r = sw.resolver(Config::default());
//! ```
//!
//! After `build`, tests tamper with zones through `world.edit_zone` (the
//! helpers here remove or forge RRSIGs) or re-sign them with `resign`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::Deref;
use std::sync::Arc;

use anchord::config::Config;
use anchord::dnssec::anchors::TrustAnchor;
use anchord::resolver::{Resolver, ResolverSetup};
use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, DS, RRSIG};
use hickory_proto::dnssec::{DigestType, PublicKeyBuf};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::denial_chain::Nsec3Config;
use super::signed::{sign_in_place, Denial};
use super::signer::{TestKey, Validity};
use super::world::{World, DEFAULT_START};
use super::zone::{covered, DenialKind, DenialProofs, Zone};

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// How the parent publishes the child's DS RRset.
pub enum DsMode {
    /// SHA-256 DS of every KSK (SEP key) of the child.
    FromKsk,
    /// No DS: an insecure delegation.
    None,
    /// Exactly these DS records.
    Records(Vec<DS>),
}

/// One zone to build.
pub struct ZoneSpec {
    pub origin: Name,
    pub text: String,
    /// None: the zone is not signed.
    pub keys: Option<Vec<TestKey>>,
    pub denial: Denial,
    pub ds: DsMode,
    pub validity: Option<Validity>,
    /// Records added after signing (unsigned, e.g. forged RRSIGs).
    pub extra: Vec<Record>,
}

impl ZoneSpec {
    /// Signs with a fresh KSK + ZSK pair of algorithm `alg`.
    pub fn alg(&mut self, alg: u8) -> &mut Self {
        self.keys = Some(vec![TestKey::new(alg, true), TestKey::new(alg, false)]);
        self
    }

    /// Signs with exactly these keys (KSKs sign DNSKEY, ZSKs the rest).
    pub fn keys(&mut self, keys: Vec<TestKey>) -> &mut Self {
        self.keys = Some(keys);
        self
    }

    pub fn nsec3(&mut self, cfg: Nsec3Config) -> &mut Self {
        self.denial = Denial::Nsec3(cfg);
        self
    }

    pub fn unsigned(&mut self) -> &mut Self {
        self.keys = None;
        self
    }

    pub fn ds(&mut self, ds: DsMode) -> &mut Self {
        self.ds = ds;
        self
    }

    pub fn validity(&mut self, v: Validity) -> &mut Self {
        self.validity = Some(v);
        self
    }
}

/// Builds a [`SignedWorld`].
pub struct SignedWorldBuilder {
    specs: Vec<ZoneSpec>,
}

impl Default for SignedWorldBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SignedWorldBuilder {
    /// A builder with a root zone signed with algorithm 13 and NSEC.
    pub fn new() -> Self {
        let mut b = Self { specs: Vec::new() };
        b.zone(".", "");
        b
    }

    /// Adds (or returns) the zone `origin`, signed by default with a fresh
    /// algorithm-13 KSK + ZSK and NSEC. `text` is zone-file text relative to
    /// the origin; SOA, apex NS and the server's address are added.
    pub fn zone(&mut self, origin: &str, text: &str) -> &mut ZoneSpec {
        let origin = name(origin);
        if let Some(i) = self.specs.iter().position(|s| s.origin == origin) {
            self.specs[i].text.push_str(text);
            return &mut self.specs[i];
        }
        self.specs.push(ZoneSpec {
            origin,
            text: text.to_string(),
            keys: Some(vec![TestKey::new(13, true), TestKey::new(13, false)]),
            denial: Denial::Nsec,
            ds: DsMode::FromKsk,
            validity: None,
            extra: Vec::new(),
        });
        self.specs.last_mut().expect("just pushed")
    }

    pub fn build(self) -> SignedWorld {
        let world = World::new();
        let default_validity = Validity::around(DEFAULT_START, 30);
        // Server address per zone, in spec order: 10.53.<i>.1.
        let ips: Vec<IpAddr> = (0..self.specs.len())
            .map(|i| IpAddr::V4(Ipv4Addr::new(10, 53, i as u8, 1)))
            .collect();
        let ns_name = |origin: &Name| -> Name {
            origin
                .prepend_label("ns1")
                .unwrap_or_else(|e| panic!("ns1.{origin}: {e}"))
        };
        let mut zones: Vec<Zone> = self
            .specs
            .iter()
            .zip(&ips)
            .map(|(s, ip)| {
                let mut z = Zone::new(s.origin.clone());
                let ns = ns_name(&s.origin);
                z.add_text(&format!(
                    "$TTL 3600\n@ SOA {ns} hostmaster 1 7200 3600 1209600 300\n\
                     @ NS {ns}\n{ns} A {ip}\n"
                ));
                z.add_text(&s.text);
                z
            })
            .collect();
        // Delegations: each zone's parent is the deepest other zone above it.
        for (ci, child) in self.specs.iter().enumerate() {
            if child.origin.is_root() {
                continue;
            }
            let parent = self
                .specs
                .iter()
                .enumerate()
                .filter(|(i, p)| *i != ci && p.origin.zone_of(&child.origin))
                .max_by_key(|(_, p)| p.origin.num_labels())
                .map(|(i, _)| i)
                .unwrap_or_else(|| panic!("no parent zone for {}", child.origin));
            let ns = ns_name(&child.origin);
            zones[parent].add_text(&format!(
                "{o} 3600 NS {ns}\n{ns} 3600 A {ip}\n",
                o = child.origin,
                ip = ips[ci]
            ));
            let ds: Vec<DS> = match (&child.ds, &child.keys) {
                (DsMode::None, _) | (DsMode::FromKsk, None) => Vec::new(),
                (DsMode::Records(r), _) => r.clone(),
                (DsMode::FromKsk, Some(keys)) => {
                    let ksks: Vec<&TestKey> = keys
                        .iter()
                        .filter(|k| k.dnskey.secure_entry_point())
                        .collect();
                    let ksks = if ksks.is_empty() {
                        keys.iter().collect()
                    } else {
                        ksks
                    };
                    ksks.iter()
                        .map(|k| k.ds(&child.origin, DigestType::SHA256))
                        .collect()
                }
            };
            for d in ds {
                zones[parent].add(Record::from_rdata(
                    child.origin.clone(),
                    3600,
                    RData::DNSSEC(DNSSECRData::DS(d)),
                ));
            }
        }
        let mut infos = HashMap::new();
        for ((spec, mut zone), ip) in self.specs.into_iter().zip(zones).zip(ips) {
            let validity = spec.validity.unwrap_or(default_validity);
            if let Some(keys) = &spec.keys {
                let refs: Vec<&TestKey> = keys.iter().collect();
                sign_in_place(&mut zone, &refs, validity, spec.denial.clone());
            }
            for r in spec.extra {
                zone.add(r);
            }
            let ns = ns_name(&spec.origin);
            world.add_server(&ns.to_string(), &[ip]);
            world.serve(zone, &[ip]);
            infos.insert(
                spec.origin.clone(),
                ZoneInfo {
                    keys: spec.keys.unwrap_or_default(),
                    denial: spec.denial,
                    validity,
                    ip,
                },
            );
        }
        let root = &infos[&Name::root()];
        world.set_root_servers(vec![(name("ns1."), vec![root.ip])]);
        SignedWorld {
            world,
            zones: infos,
        }
    }
}

/// What the world remembers of each zone, to re-sign it.
pub struct ZoneInfo {
    pub keys: Vec<TestKey>,
    pub denial: Denial,
    pub validity: Validity,
    pub ip: IpAddr,
}

/// A built signed hierarchy on a [`World`].
pub struct SignedWorld {
    pub world: Arc<World>,
    zones: HashMap<Name, ZoneInfo>,
}

impl Deref for SignedWorld {
    type Target = Arc<World>;
    fn deref(&self) -> &Arc<World> {
        &self.world
    }
}

impl SignedWorld {
    pub fn info(&self, origin: &str) -> &ZoneInfo {
        self.zones
            .get(&name(origin))
            .unwrap_or_else(|| panic!("no zone {origin}"))
    }

    /// The first KSK (SEP key) of `origin`, else its first key.
    pub fn ksk(&self, origin: &str) -> &TestKey {
        let keys = &self.info(origin).keys;
        keys.iter()
            .find(|k| k.dnskey.secure_entry_point())
            .or_else(|| keys.first())
            .unwrap_or_else(|| panic!("{origin} is unsigned"))
    }

    /// The first ZSK of `origin`, else its first key.
    pub fn zsk(&self, origin: &str) -> &TestKey {
        let keys = &self.info(origin).keys;
        keys.iter()
            .find(|k| !k.dnskey.secure_entry_point())
            .or_else(|| keys.first())
            .unwrap_or_else(|| panic!("{origin} is unsigned"))
    }

    pub fn ip(&self, origin: &str) -> IpAddr {
        self.info(origin).ip
    }

    /// The trust anchor for the sim root: DS (SHA-256) of its KSK.
    pub fn anchor(&self) -> TrustAnchor {
        TrustAnchor::Ds {
            zone: Name::root(),
            ds: self.ksk(".").ds(&Name::root(), DigestType::SHA256),
        }
    }

    pub fn setup(&self, config: Config) -> ResolverSetup {
        ResolverSetup {
            config,
            network: self.world.network(),
            clock: self.world.clock(),
            root_hints: self.world.root_hints(),
        }
    }

    /// A validating resolver anchored at the sim root.
    pub fn resolver(&self, config: Config) -> Resolver {
        Resolver::new_validating(self.setup(config), vec![self.anchor()])
    }

    /// As [`SignedWorld::resolver`], on the network where exchanges overlap
    /// in virtual time: drive it with `World::run`.
    pub fn overlapping_resolver(&self, config: Config) -> Resolver {
        let setup = ResolverSetup {
            config,
            network: self.world.overlapping_network(),
            clock: self.world.clock(),
            root_hints: self.world.root_hints(),
        };
        Resolver::new_validating(setup, vec![self.anchor()])
    }

    /// Re-signs `origin` with its keys and denial method, with `validity`.
    pub fn resign(&self, origin: &str, validity: Validity) {
        let info = self.info(origin);
        let apex = name(origin);
        self.world.edit_zone(origin, |z| {
            // sign_in_place adds the DNSKEY RRset itself.
            let old_keys = z.rrset(&apex, RecordType::DNSKEY);
            z.remove_rrset(&apex, RecordType::DNSKEY);
            let own: Vec<DNSKEY> = info.keys.iter().map(|k| k.dnskey.clone()).collect();
            for k in old_keys {
                if !matches!(&k.data, RData::DNSSEC(DNSSECRData::DNSKEY(d)) if own.contains(d)) {
                    z.add(k);
                }
            }
            let refs: Vec<&TestKey> = info.keys.iter().collect();
            sign_in_place(z, &refs, validity, info.denial.clone());
        });
    }
}

// ------------------------------------------------------------ tampering

/// Replaces the RRSIGs over `name`/`rtype` in `zone` by `f(records, old
/// RRSIGs)` (the RRset itself stays).
pub fn replace_rrsigs(
    zone: &mut Zone,
    owner: &Name,
    rtype: RecordType,
    f: impl FnOnce(&[Record], Vec<Record>) -> Vec<Record>,
) {
    let records = zone.rrset(owner, rtype);
    let sigs = zone.rrsigs(owner, rtype);
    assert!(!records.is_empty(), "no {rtype} at {owner}");
    zone.remove_rrset(owner, rtype);
    let new_sigs = f(&records, sigs);
    for r in records.into_iter().chain(new_sigs) {
        zone.add(r);
    }
}

/// The RRSIG RDATA of a record.
pub fn rrsig_of(r: &Record) -> &RRSIG {
    match &r.data {
        RData::DNSSEC(DNSSECRData::RRSIG(s)) => s,
        other => panic!("not an RRSIG: {other:?}"),
    }
}

/// `sig` with one bit of its signature flipped.
pub fn corrupt(sig: &Record) -> Record {
    let s = rrsig_of(sig);
    let mut bytes = s.sig().to_vec();
    if let Some(b) = bytes.last_mut() {
        *b ^= 0x01;
    }
    Record::from_rdata(
        sig.name.clone(),
        sig.ttl,
        RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(
            s.input().clone(),
            bytes,
        ))),
    )
}

/// `n` DNSKEYs (ZONE flag, algorithm of `key`) whose key tag equals
/// `key`'s but whose public keys are garbage variations of it (KeyTrap,
/// CVE-2023-50387): each moves one unit between the high bytes of two
/// 16-bit words, which leaves the RFC 4034 Appendix B checksum unchanged.
pub fn colliding_keys(key: &TestKey, n: usize) -> Vec<DNSKEY> {
    let tag = key.key_tag();
    let public = key.dnskey.public_key();
    let bytes = hickory_proto::dnssec::PublicKey::public_bytes(public).to_vec();
    let alg = key.algorithm;
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < n && i + 2 < bytes.len() {
        for delta in 1..=8u8 {
            if out.len() >= n {
                break;
            }
            let mut b = bytes.clone();
            // Public-key byte offsets keep the parity of RDATA offsets (the
            // key starts at RDATA offset 4), so i and i+2 are both high or
            // both low bytes of their words.
            if b[i] as u16 + delta as u16 > 255 || b[i + 2] < delta {
                continue;
            }
            b[i] += delta;
            b[i + 2] -= delta;
            let k = DNSKEY::with_flags(256, PublicKeyBuf::new(b, alg));
            if k.calculate_key_tag().ok() == Some(tag) && k != key.dnskey {
                out.push(k);
            }
        }
        i += 2;
    }
    assert_eq!(out.len(), n, "could not make {n} colliding keys");
    out
}

/// Serves, as the denial proof of every negative answer, the records that
/// `pick` chooses given the zone as it was (a wrong or misplaced proof).
pub struct ForgedProofs {
    pub original: Zone,
    #[allow(clippy::type_complexity)]
    pub pick: Box<dyn Fn(&Zone, &Name, RecordType, &DenialKind) -> Vec<Record> + Send + Sync>,
}

impl DenialProofs for ForgedProofs {
    fn proofs(&self, _: &Zone, qname: &Name, qtype: RecordType, kind: &DenialKind) -> Vec<Record> {
        (self.pick)(&self.original, qname, qtype, kind)
    }
}

/// The NSEC/NSEC3 records (and their RRSIGs) `zone` sends for `qname`/`qtype`.
pub fn proof_records(zone: &Zone, qname: &Name, qtype: RecordType) -> Vec<Record> {
    zone.lookup(qname, qtype, true)
        .authorities
        .into_iter()
        .filter(|r| {
            matches!(r.record_type(), RecordType::NSEC | RecordType::NSEC3)
                || matches!(covered(r), Some(RecordType::NSEC) | Some(RecordType::NSEC3))
        })
        .collect()
}

/// Installs `pick` as the denial-proof provider of `zone`.
pub fn forge_proofs(
    zone: &mut Zone,
    pick: impl Fn(&Zone, &Name, RecordType, &DenialKind) -> Vec<Record> + Send + Sync + 'static,
) {
    let original = zone.clone();
    zone.set_denial(Arc::new(ForgedProofs {
        original,
        pick: Box::new(pick),
    }));
}
