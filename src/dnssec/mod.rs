//! DNSSEC validation (RFC 4033, 4034, 4035, 5155, 6840).
//!
//! - [`state`]: Secure/Insecure/Bogus/Indeterminate and Extended DNS Errors.
//! - [`algorithm`]: which algorithms and digests we verify, and their cost.
//! - [`canonical`]: RFC 4034 §6 canonical form of an RRset, the signed data.
//! - [`rrsig`]: verifying one RRSIG over one RRset with one DNSKEY.
//! - [`ds`]: matching a DS (or anchor) to a DNSKEY.
//! - [`anchors`]: trust anchors: IANA root-anchors.xml and DS/DNSKEY files.
//! - [`nsec`]: NSEC denial proofs (RFC 4035 §5.4, RFC 6840 §4).
//! - [`nsec3_hash`]: the RFC 5155 §5 hash.
//! - [`nsec3_hash_cache`]: hashes memoised across responses.
//! - [`nsec3_closest_encloser`]: the RFC 5155 §8.3 closest-encloser proof.
//! - [`nsec3`]: NSEC3 NXDOMAIN/NODATA/wildcard/opt-out proofs (RFC 5155 §8).
//! - [`denial`]: which proof a response needs, NSEC or NSEC3.
//! - [`verify_set`]: one RRset against a zone's keys, within KeyTrap limits.
//! - [`chain`]: the chain of trust from an anchor down to a zone.
//! - [`key_cache`]: each zone's established trust, cached.
//! - [`aggressive`]: NXDOMAIN/NODATA from cached validated NSEC ranges (RFC 8198).

pub mod aggressive;
pub mod algorithm;
pub mod anchors;
pub mod canonical;
pub mod chain;
pub mod denial;
pub mod ds;
pub mod key_cache;
pub mod nsec;
pub mod nsec3;
pub mod nsec3_closest_encloser;
pub mod nsec3_hash;
pub mod nsec3_hash_cache;
pub mod rrsig;
pub mod state;
pub mod verify_set;
