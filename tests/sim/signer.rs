//! Test support: DNSSEC keys and signing for zones built in test code.
//!
//! ECDSA P-256/P-384 and Ed25519 keys come from ring (fresh per test run:
//! the tests check validity, not bytes). RSA keys are fixed PKCS#8 files in
//! `tests/keys/` and signed with the RustCrypto `rsa` crate, since ring
//! signs neither SHA-1 (algorithms 5, 7) nor with 512/1024-bit keys.
//! Signatures are made over `anchord::dnssec::canonical::signed_data`, the
//! same bytes the validator checks; the real-signer lab tests
//! (`dnssec-signzone`, `ldns-signzone`) make sure those bytes are right.

use hickory_proto::dnssec::rdata::{DNSSECRData, SigInput, DNSKEY, DS, RRSIG};
use hickory_proto::dnssec::{Algorithm, DigestType, PublicKeyBuf};
use hickory_proto::rr::{Name, RData, Record, RecordType, SerialNumber};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;

use anchord::dnssec::canonical::signed_data;
use anchord::dnssec::ds::digest_of;

enum Secret {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(Box<rsa::RsaPrivateKey>),
}

/// A DNSSEC key pair for a test zone.
pub struct TestKey {
    pub algorithm: Algorithm,
    secret: Secret,
    pub dnskey: DNSKEY,
}

const RSA512: &[u8] = include_bytes!("../keys/rsa512.pk8");
const RSA1024: &[u8] = include_bytes!("../keys/rsa1024.pk8");
const RSA2048: &[u8] = include_bytes!("../keys/rsa2048.pk8");

/// DNSKEY flags: ZONE, plus SEP for a KSK (RFC 4034 §2.1.1).
fn flags(ksk: bool) -> u16 {
    if ksk {
        257
    } else {
        256
    }
}

impl TestKey {
    /// A key for algorithm number `alg` (5, 7, 8, 10, 13, 14, 15); RSA ones
    /// are 2048 bits.
    pub fn new(alg: u8, ksk: bool) -> TestKey {
        match alg {
            5 | 7 | 8 | 10 => Self::rsa(alg, 2048, ksk),
            _ => Self::ring(alg, ksk),
        }
    }

    fn ring(alg: u8, ksk: bool) -> TestKey {
        let rng = SystemRandom::new();
        let algorithm = Algorithm::from_u8(alg);
        let (secret, public) = match alg {
            13 | 14 => {
                let a = if alg == 13 {
                    &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &ring::signature::ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let pk8 = EcdsaKeyPair::generate_pkcs8(a, &rng).expect("keygen");
                let kp = EcdsaKeyPair::from_pkcs8(a, pk8.as_ref(), &rng).expect("key");
                // RFC 6605 §4: DNSKEY holds x || y, without ring's 0x04 prefix.
                let public = kp.public_key().as_ref()[1..].to_vec();
                (Secret::Ecdsa(kp), public)
            }
            15 => {
                let pk8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("keygen");
                let kp = Ed25519KeyPair::from_pkcs8(pk8.as_ref()).expect("key");
                let public = kp.public_key().as_ref().to_vec();
                (Secret::Ed25519(kp), public)
            }
            other => panic!("no test key for algorithm {other}"),
        };
        TestKey {
            algorithm,
            secret,
            dnskey: DNSKEY::with_flags(flags(ksk), PublicKeyBuf::new(public, algorithm)),
        }
    }

    /// An RSA key of 512, 1024 or 2048 bits for algorithm 5, 7, 8 or 10.
    pub fn rsa(alg: u8, bits: usize, ksk: bool) -> TestKey {
        let der = match bits {
            512 => RSA512,
            1024 => RSA1024,
            _ => RSA2048,
        };
        let key = rsa::RsaPrivateKey::from_pkcs8_der(der).expect("fixed test key");
        // RFC 3110 §2: exponent length, exponent, modulus.
        let e = key.e().to_bytes_be();
        let n = key.n().to_bytes_be();
        let mut public = vec![e.len() as u8];
        public.extend_from_slice(&e);
        public.extend_from_slice(&n);
        let algorithm = Algorithm::from_u8(alg);
        TestKey {
            algorithm,
            secret: Secret::Rsa(Box::new(key)),
            dnskey: DNSKEY::with_flags(flags(ksk), PublicKeyBuf::new(public, algorithm)),
        }
    }

    /// The same key with other flags (e.g. REVOKE 0x80 or no ZONE bit).
    pub fn with_flags(mut self, flags: u16) -> TestKey {
        self.dnskey = DNSKEY::with_flags(flags, self.dnskey.public_key().clone());
        self
    }

    pub fn key_tag(&self) -> u16 {
        self.dnskey.calculate_key_tag().expect("key tag")
    }

    /// The DNSKEY record at `owner`.
    pub fn dnskey_record(&self, owner: &Name, ttl: u32) -> Record {
        Record::from_rdata(
            owner.clone(),
            ttl,
            RData::DNSSEC(DNSSECRData::DNSKEY(self.dnskey.clone())),
        )
    }

    /// The DS record for this key at `owner`.
    pub fn ds(&self, owner: &Name, digest: DigestType) -> DS {
        let d = digest_of(owner, &self.dnskey, digest).expect("supported digest");
        DS::new(self.key_tag(), self.algorithm, digest, d)
    }

    pub fn ds_record(&self, owner: &Name, ttl: u32) -> Record {
        Record::from_rdata(
            owner.clone(),
            ttl,
            RData::DNSSEC(DNSSECRData::DS(self.ds(owner, DigestType::SHA256))),
        )
    }

    fn sign_bytes(&self, data: &[u8]) -> Vec<u8> {
        match &self.secret {
            Secret::Ecdsa(kp) => kp
                .sign(&SystemRandom::new(), data)
                .expect("sign")
                .as_ref()
                .to_vec(),
            Secret::Ed25519(kp) => kp.sign(data).as_ref().to_vec(),
            Secret::Rsa(key) => {
                use rsa::signature::{SignatureEncoding, Signer};
                match u8::from(self.algorithm) {
                    5 | 7 => rsa::pkcs1v15::SigningKey::<sha1::Sha1>::new((**key).clone())
                        .sign(data)
                        .to_vec(),
                    8 => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**key).clone())
                        .sign(data)
                        .to_vec(),
                    _ => rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new((**key).clone())
                        .sign(data)
                        .to_vec(),
                }
            }
        }
    }
}

/// Validity window of a signature, in Unix seconds (mod 2^32).
#[derive(Clone, Copy, Debug)]
pub struct Validity {
    pub inception: u32,
    pub expiration: u32,
}

impl Validity {
    /// Valid from `now - 1h` to `now + days`.
    pub fn around(now: u64, days: u32) -> Self {
        Self {
            inception: (now as u32).wrapping_sub(3_600),
            expiration: (now as u32).wrapping_add(days * 86_400),
        }
    }
}

/// The RRSIG labels field of `owner`: labels not counting root nor `*`
/// (hickory's `num_labels` already discounts both).
pub fn rrsig_labels(owner: &Name) -> u8 {
    owner.num_labels()
}

/// Signs one RRset (all records share owner, type, class) with `key` as
/// zone `signer`. `labels` overrides the labels field (wildcard tests).
pub fn sign_rrset_with(
    records: &[Record],
    key: &TestKey,
    signer: &Name,
    v: Validity,
    labels: Option<u8>,
) -> Record {
    let first = records.first().expect("non-empty RRset");
    let input = SigInput {
        type_covered: first.record_type(),
        algorithm: key.algorithm,
        num_labels: labels.unwrap_or_else(|| rrsig_labels(&first.name)),
        original_ttl: first.ttl,
        sig_expiration: SerialNumber::from(v.expiration),
        sig_inception: SerialNumber::from(v.inception),
        key_tag: key.key_tag(),
        signer_name: signer.clone(),
    };
    let unsigned = RRSIG::from_sig(input.clone(), Vec::new());
    // A deliberately wrong labels field has no canonical form: sign
    // something anyway, the validator must reject it before verifying.
    let data = signed_data(&unsigned, records).unwrap_or_default();
    let sig = key.sign_bytes(&data);
    Record::from_rdata(
        first.name.clone(),
        first.ttl,
        RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, sig))),
    )
}

pub fn sign_rrset(records: &[Record], key: &TestKey, signer: &Name, v: Validity) -> Record {
    sign_rrset_with(records, key, signer, v, None)
}

/// Groups records into RRsets by (owner, type), in first-seen order.
pub fn rrsets(records: &[Record]) -> Vec<Vec<Record>> {
    let mut sets: Vec<Vec<Record>> = Vec::new();
    for r in records {
        match sets
            .iter_mut()
            .find(|s| s[0].name == r.name && s[0].record_type() == r.record_type())
        {
            Some(s) => s.push(r.clone()),
            None => sets.push(vec![r.clone()]),
        }
    }
    sets
}

/// Signs a whole zone: adds the DNSKEY RRset (all `keys`), and RRSIGs for
/// every authoritative RRset: not for delegation NS sets nor glue (RFC 4035
/// §2.2), but for DS at delegations. The DNSKEY RRset is signed by the KSKs
/// (SEP bit), everything else by the ZSKs (or all keys if there is no ZSK).
/// `records` may already contain NSEC/NSEC3 records to sign.
pub fn sign_zone(apex: &Name, records: &[Record], keys: &[&TestKey], v: Validity) -> Vec<Record> {
    let mut all: Vec<Record> = records.to_vec();
    for k in keys {
        all.push(k.dnskey_record(apex, 3_600));
    }
    let ksks: Vec<&TestKey> = keys
        .iter()
        .copied()
        .filter(|k| k.dnskey.secure_entry_point())
        .collect();
    let zsks: Vec<&TestKey> = keys
        .iter()
        .copied()
        .filter(|k| !k.dnskey.secure_entry_point())
        .collect();
    let zsks = if zsks.is_empty() { keys.to_vec() } else { zsks };
    let ksks = if ksks.is_empty() { keys.to_vec() } else { ksks };
    // Delegation points: NS owners below the apex.
    let cuts: Vec<Name> = all
        .iter()
        .filter(|r| r.record_type() == RecordType::NS && r.name != *apex)
        .map(|r| r.name.clone())
        .collect();
    let mut sigs = Vec::new();
    for set in rrsets(&all) {
        let owner = &set[0].name;
        let rtype = set[0].record_type();
        if rtype == RecordType::RRSIG {
            continue;
        }
        let below_cut = cuts
            .iter()
            .any(|c| c.zone_of(owner) && (c != owner || rtype != RecordType::DS));
        let is_nsec_at_cut = matches!(rtype, RecordType::NSEC | RecordType::NSEC3);
        if below_cut && !is_nsec_at_cut {
            continue;
        }
        let signers = if rtype == RecordType::DNSKEY {
            &ksks
        } else {
            &zsks
        };
        for k in signers {
            sigs.push(sign_rrset(&set, k, apex, v));
        }
    }
    all.extend(sigs);
    all
}
