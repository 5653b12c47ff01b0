//! The chain of trust (RFC 4035 §5.1–5.2): from a trust anchor down to the
//! zone that signed some data, one zone cut at a time.
//!
//! For a zone Z: if an anchor sits at Z, Z's DNSKEY RRset must be signed by
//! a key the anchor vouches for. Otherwise Z's DS RRset is fetched from the
//! parent side; the zone P that signed it (a proper ancestor of Z, so the
//! walk terminates) gets the same treatment first; then the DS set must be
//! signed by P's keys, and Z's DNSKEY RRset by a key a DS matches. A signed
//! proof that Z has no DS makes Z insecure (an unsigned delegation), as do
//! DS sets or anchors using only algorithms or digests we cannot verify
//! (RFC 4035 §5.2, RFC 6840 §5.2). Results go to the key cache.

use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, DS};
use hickory_proto::dnssec::Algorithm;
use hickory_proto::rr::{Name, RData, RecordType};

use super::algorithm::key_supported;
use super::anchors::TrustAnchor;
use super::denial::{self, DenialOutcome};
use super::ds;
use super::key_cache::{KeyEntry, ZoneTrust};
use super::state::{EdeCode, ExtendedError, Security};
use super::verify_set::{
    as_dnskey, as_rrsig, key_algorithm, key_tag, verify_rrset, MAX_KEYS_PER_TAG,
};
use crate::cache::rrset::NegativeKind;
use crate::resolver::network::BoxFuture;
use crate::resolver::step::{Step, ZoneRrset};
use crate::resolver::trace::TraceEvent;
use crate::resolver::{Ctx, Inner, ResolveError};

/// How long an "insecure: no anchor / negative anchor" verdict is kept.
const POLICY_TTL: u64 = 3_600;

/// What vouches for a zone's keys: a DS record or a trusted DNSKEY.
enum Voucher<'a> {
    Ds(&'a DS),
    Key(&'a DNSKEY),
}

/// The keys among `keys` (of `owner`) that some voucher vouches for, in
/// their original order.
///
/// KeyTrap (CVE-2023-50387): both the DS set and the DNSKEY set come from
/// upstream and may be large with colliding key tags. Each key's tag is
/// computed once, and a DS is digested against at most
/// [`MAX_KEYS_PER_TAG`] keys of its tag and algorithm (the limit
/// `verify_rrset` applies to signatures), so the digest work is linear in
/// the DS set rather than DS × DNSKEY.
fn vouched_keys(owner: &Name, keys: &[DNSKEY], vouchers: &[Voucher<'_>]) -> Vec<DNSKEY> {
    let ids: Vec<(Option<u16>, Algorithm)> = keys
        .iter()
        .map(|k| (key_tag(k), key_algorithm(k)))
        .collect();
    let mut vouched = vec![false; keys.len()];
    for voucher in vouchers {
        match voucher {
            Voucher::Ds(d) => {
                let candidates = vouched
                    .iter_mut()
                    .zip(keys.iter().zip(&ids))
                    .filter(|(_, (_, (tag, alg)))| {
                        *tag == Some(d.key_tag()) && *alg == d.algorithm()
                    })
                    .take(MAX_KEYS_PER_TAG);
                for (hit, (key, _)) in candidates {
                    *hit = *hit || ds::ds_matches(owner, d, key);
                }
            }
            // A DNSKEY anchor vouches for an identical key (flags, protocol,
            // algorithm and public key; RFC 4034 §2).
            Voucher::Key(anchor) => {
                for (hit, key) in vouched.iter_mut().zip(keys) {
                    *hit = *hit || key == *anchor;
                }
            }
        }
    }
    keys.iter()
        .zip(vouched)
        .filter(|(_, hit)| *hit)
        .map(|(k, _)| k.clone())
        .collect()
}

fn bogus(code: EdeCode, text: String, expires_at: u64) -> KeyEntry {
    KeyEntry {
        trust: ZoneTrust::Bogus {
            why: ExtendedError::new(code, text),
        },
        expires_at,
    }
}

fn insecure(reason: String, expires_at: u64) -> KeyEntry {
    KeyEntry {
        trust: ZoneTrust::Insecure { reason },
        expires_at,
    }
}

/// The parent's keys if it is Secure; otherwise the verdict the child
/// inherits: below an insecure or bogus parent, the child is the same.
fn inherited(parent: &KeyEntry) -> Result<&[DNSKEY], KeyEntry> {
    match &parent.trust {
        ZoneTrust::Secure { keys } => Ok(keys),
        ZoneTrust::Insecure { reason } => {
            Err(insecure(format!("parent {reason}"), parent.expires_at))
        }
        ZoneTrust::Bogus { why } => Err(KeyEntry {
            trust: ZoneTrust::Bogus { why: why.clone() },
            expires_at: parent.expires_at,
        }),
    }
}

impl Inner {
    /// True when validation is on: some trust anchor is configured.
    pub(crate) fn validating(&self) -> bool {
        !self.anchors.is_empty()
    }

    /// The trust of `zone`, from the key cache or built now.
    pub(crate) fn zone_trust<'a>(
        &'a self,
        ctx: &'a Ctx<'_>,
        zone: &'a Name,
    ) -> BoxFuture<'a, Result<std::sync::Arc<KeyEntry>, ResolveError>> {
        Box::pin(async move {
            let now = self.clock.unix_secs();
            if let Some(hit) = self.keys.get(zone, now) {
                return Ok(hit);
            }
            // Not a nested resolution, so not a level of MAX_DEPTH: the
            // walk up to the anchor ends (each step is to a proper
            // ancestor), and its fetches are charged to the budget. A
            // glueless name server met on the way is resolved one level
            // down like any other. Counting each zone of the walk as a level
            // made a chain of six signed zones below the root fail on a
            // cold cache.
            let entry = self.build_zone_trust(ctx, zone, now).await?;
            let summary = match &entry.trust {
                ZoneTrust::Secure { keys } => {
                    let tags: Vec<String> = keys
                        .iter()
                        .map(|k| {
                            format!(
                                "{}/{}{}",
                                key_tag(k).unwrap_or(0),
                                key_algorithm(k),
                                if k.secure_entry_point() { "/KSK" } else { "" }
                            )
                        })
                        .collect();
                    format!("zone {zone}: secure, keys {}", tags.join(" "))
                }
                ZoneTrust::Insecure { reason } => format!("zone {zone}: insecure ({reason})"),
                ZoneTrust::Bogus { why } => {
                    tracing::warn!(zone = %zone, reason = %why, "chain of trust is bogus");
                    format!("zone {zone}: BOGUS ({why})")
                }
            };
            ctx.trace.push(TraceEvent::Note(summary));
            Ok(self.keys.insert(zone, entry))
        })
    }

    async fn build_zone_trust(
        &self,
        ctx: &Ctx<'_>,
        zone: &Name,
        now: u64,
    ) -> Result<KeyEntry, ResolveError> {
        if let Some(nta) = self.ntas.iter().find(|n| n.zone_of(zone)) {
            return Ok(insecure(
                format!("negative trust anchor {nta} (RFC 7646)"),
                now + POLICY_TTL,
            ));
        }
        let here: Vec<&TrustAnchor> = self.anchors.iter().filter(|a| a.zone() == zone).collect();
        if !here.is_empty() {
            let vouchers: Vec<Voucher> = here
                .iter()
                .map(|a| match a {
                    TrustAnchor::Ds { ds, .. } => Voucher::Ds(ds),
                    TrustAnchor::Dnskey { key, .. } => Voucher::Key(key),
                })
                .collect();
            let (dnskeys, _) = self.fetch_step(ctx, zone, RecordType::DNSKEY).await?;
            return self
                .keys_vouched(ctx, zone, dnskeys, &vouchers, u64::MAX, now, "trust anchor")
                .await;
        }
        if !self.anchors.iter().any(|a| a.zone().zone_of(zone)) {
            return Ok(insecure(
                format!("no trust anchor above {zone}"),
                now + POLICY_TTL,
            ));
        }
        ctx.trace.push(TraceEvent::Note(format!(
            "chain of trust: fetching DS for {zone}"
        )));
        let (step, _) = self.fetch_step(ctx, zone, RecordType::DS).await?;
        match step {
            Step::Data { answer, .. } => self.trust_from_ds(ctx, zone, answer, now).await,
            Step::Negative {
                kind,
                authority,
                zone: served_by,
            } => {
                self.trust_from_no_ds(ctx, zone, kind, authority, served_by, now)
                    .await
            }
            Step::Alias { .. } => Ok(bogus(
                EdeCode::DnssecBogus,
                format!("DS lookup for {zone} met a CNAME"),
                now + u64::from(self.config.dnssec.bogus_ttl),
            )),
        }
    }

    /// The parent zone that answered for `zone`'s DS: the RRSIG signer, or
    /// the zone that served it. It must be a proper ancestor of `zone`.
    fn parent_of(&self, zone: &Name, sets: &[ZoneRrset], served_by: &Name) -> Option<Name> {
        let signer = sets
            .iter()
            .flat_map(|s| s.set.rrsigs.iter())
            .filter_map(as_rrsig)
            .map(|sig| sig.input().signer_name.clone())
            .find(|s| s.zone_of(zone) && s != zone);
        let soa = sets
            .iter()
            .find(|s| s.set.rtype == RecordType::SOA)
            .map(|s| s.set.name.clone());
        let parent = signer.or(soa).unwrap_or_else(|| served_by.clone());
        (parent.zone_of(zone) && parent != *zone).then_some(parent)
    }

    async fn trust_from_ds(
        &self,
        ctx: &Ctx<'_>,
        zone: &Name,
        mut ds_set: ZoneRrset,
        now: u64,
    ) -> Result<KeyEntry, ResolveError> {
        let bogus_until = now + u64::from(self.config.dnssec.bogus_ttl);
        let served_by = ds_set.zone.clone();
        let Some(parent) = self.parent_of(zone, std::slice::from_ref(&ds_set), &served_by) else {
            return Ok(bogus(
                EdeCode::DnssecBogus,
                format!("DS of {zone} not signed by an ancestor zone"),
                bogus_until,
            ));
        };
        // The child's DNSKEY set is needed whenever a DS exists: fetch it
        // while the parent's trust is established (independent queries).
        // Both run on this branch: a glueless name server that either needs
        // is resolved on a branch of its own one level down, and one that
        // both need is resolved once (`Ctx::claim_ns`), not taken for a
        // dependency cycle.
        let (ptrust, dnskeys) = tokio::join!(
            self.zone_trust(ctx, &parent),
            self.fetch_step(ctx, zone, RecordType::DNSKEY)
        );
        let ptrust = ptrust?;
        let keys = match inherited(&ptrust) {
            Ok(keys) => keys,
            Err(verdict) => return Ok(verdict),
        };
        let bound = match verify_rrset(&ds_set.set, &parent, keys, now, ctx.budget) {
            Ok(v) => {
                let tags: Vec<String> = ds_set
                    .set
                    .records
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::DNSSEC(DNSSECRData::DS(d)) => Some(format!(
                            "{}/alg{}/digest{}",
                            d.key_tag(),
                            u8::from(d.algorithm()),
                            u8::from(d.digest_type())
                        )),
                        _ => None,
                    })
                    .collect();
                ctx.trace.push(TraceEvent::Note(format!(
                    "DS {zone}: {} signed by {parent} key {}/alg{}: secure",
                    tags.join(" "),
                    v.key_tag,
                    v.algorithm
                )));
                v.ttl_bound
            }
            Err(f) => {
                return Ok(bogus(
                    f.code,
                    f.ede(&format!("DS of {zone}")).text,
                    bogus_until,
                ));
            }
        };
        ds_set.security = Security::Secure;
        ds_set.cap_ttl(bound);
        let ds_expiry = now + u64::from(bound.min(ds_set.set.ttl()));
        self.store_step(
            &Step::Data {
                answer: ds_set.clone(),
                proofs: Vec::new(),
            },
            zone,
            RecordType::DS,
            now,
        );
        let all_ds: Vec<&DS> = ds_set
            .set
            .records
            .iter()
            .filter_map(|r| match &r.data {
                RData::DNSSEC(DNSSECRData::DS(d)) => Some(d),
                _ => None,
            })
            .collect();
        let usable = ds::usable_ds(&all_ds);
        if usable.is_empty() {
            // RFC 4035 §5.2 / RFC 6840 §5.2: no DS we can use means no
            // chain of trust we can check: insecure, not bogus.
            return Ok(insecure(
                format!("DS set of {zone} has only unsupported algorithms or digests"),
                ds_expiry.min(ptrust.expires_at),
            ));
        }
        let vouchers: Vec<Voucher> = usable.into_iter().map(Voucher::Ds).collect();
        let (dnskeys, _) = dnskeys?;
        self.keys_vouched(
            ctx,
            zone,
            dnskeys,
            &vouchers,
            ds_expiry.min(ptrust.expires_at),
            now,
            "DS",
        )
        .await
    }

    async fn trust_from_no_ds(
        &self,
        ctx: &Ctx<'_>,
        zone: &Name,
        kind: NegativeKind,
        authority: Vec<ZoneRrset>,
        served_by: Name,
        now: u64,
    ) -> Result<KeyEntry, ResolveError> {
        let bogus_until = now + u64::from(self.config.dnssec.bogus_ttl);
        let Some(parent) = self.parent_of(zone, &authority, &served_by) else {
            return Ok(bogus(
                EdeCode::DnssecBogus,
                format!("denial of DS for {zone} not from an ancestor zone"),
                bogus_until,
            ));
        };
        let ptrust = self.zone_trust(ctx, &parent).await?;
        let keys = match inherited(&ptrust) {
            Ok(keys) => keys,
            Err(verdict) => return Ok(verdict),
        };
        let mut expiry = ptrust.expires_at;
        for set in &authority {
            match verify_rrset(&set.set, &parent, keys, now, ctx.budget) {
                Ok(v) => {
                    expiry = expiry.min(now + u64::from(v.ttl_bound.min(set.set.ttl())));
                }
                Err(f) => {
                    return Ok(bogus(
                        f.code,
                        f.ede(&format!("denial of DS for {zone}")).text,
                        bogus_until,
                    ))
                }
            }
        }
        if kind == NegativeKind::NxDomain {
            return Ok(bogus(
                EdeCode::DnssecBogus,
                format!("{zone} does not exist according to {parent}"),
                bogus_until,
            ));
        }
        let limits = self.nsec3_limits();
        match denial::prove_no_ds(zone, &parent, &authority, &limits, ctx.budget) {
            Ok(DenialOutcome::Secure) => Ok(insecure(
                format!("{zone} is an unsigned delegation (no DS, proven by {parent})"),
                expiry,
            )),
            Ok(DenialOutcome::Insecure(why)) => Ok(insecure(why.text, expiry)),
            Err(e) => Ok(bogus(
                EdeCode::NsecMissing,
                format!("no valid proof that {zone} has no DS: {e}"),
                bogus_until,
            )),
        }
    }

    /// Fetches `zone`'s DNSKEY RRset and checks that a key vouched for by
    /// `vouchers` signs it. `expiry_cap`: the vouchers' own expiry.
    #[allow(clippy::too_many_arguments)]
    async fn keys_vouched(
        &self,
        ctx: &Ctx<'_>,
        zone: &Name,
        dnskey_step: Step,
        vouchers: &[Voucher<'_>],
        expiry_cap: u64,
        now: u64,
        what: &str,
    ) -> Result<KeyEntry, ResolveError> {
        let bogus_until = now + u64::from(self.config.dnssec.bogus_ttl);
        let Step::Data {
            answer: mut set, ..
        } = dnskey_step
        else {
            return Ok(bogus(
                EdeCode::DnskeyMissing,
                format!("{zone} has no DNSKEY RRset"),
                bogus_until,
            ));
        };
        // RFC 4035 §5.2: only zone keys (flag bit 7), not revoked (RFC 5011).
        let zone_keys: Vec<DNSKEY> = set
            .set
            .records
            .iter()
            .filter_map(as_dnskey)
            .filter(|k| k.zone_key() && !k.revoke())
            .cloned()
            .collect();
        let vouched = vouched_keys(zone, &zone_keys, vouchers);
        let verifiable: Vec<DNSKEY> = vouched
            .iter()
            .filter(|k| key_supported(k))
            .cloned()
            .collect();
        if !vouched.is_empty() && verifiable.is_empty() {
            // RFC 4035 §5.2, RFC 6840 §5.2: we cannot check these keys
            // (algorithm, or an RSA size ring refuses): insecure, not bogus.
            return Ok(insecure(
                format!(
                    "{zone}: keys vouched for by its {what} use unsupported algorithms or sizes"
                ),
                expiry_cap.min(now + u64::from(set.set.ttl())),
            ));
        }
        let vouched = verifiable;
        if vouched.is_empty() {
            return Ok(bogus(
                EdeCode::DnskeyMissing,
                format!("no DNSKEY of {zone} matches its {what}"),
                bogus_until,
            ));
        }
        match verify_rrset(&set.set, zone, &vouched, now, ctx.budget) {
            Ok(v) => {
                let bound = v.ttl_bound;
                ctx.trace.push(TraceEvent::Note(format!(
                    "DNSKEY {zone}: signed by key {}/alg{}, which its {what} vouches for: secure",
                    v.key_tag, v.algorithm
                )));
                set.security = Security::Secure;
                set.cap_ttl(bound);
                let expires_at = expiry_cap.min(now + u64::from(bound.min(set.set.ttl())));
                self.store_step(
                    &Step::Data {
                        answer: set,
                        proofs: Vec::new(),
                    },
                    zone,
                    RecordType::DNSKEY,
                    now,
                );
                Ok(KeyEntry {
                    trust: ZoneTrust::Secure { keys: zone_keys },
                    expires_at,
                })
            }
            Err(f) => Ok(bogus(
                f.code,
                f.ede(&format!("DNSKEY of {zone}")).text,
                bogus_until,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::dnssec::{DigestType, PublicKeyBuf};

    /// Ed25519 zone keys whose key tags all collide: the RFC 4034 Appendix B
    /// checksum adds the key's even-offset octets together, so moving value
    /// between two of them keeps the tag.
    fn colliding_keys(count: u8) -> Vec<DNSKEY> {
        (0..count)
            .map(|i| {
                let mut key = vec![7u8; 32];
                key[0] = i;
                key[2] = 100 - i;
                DNSKEY::with_flags(256, PublicKeyBuf::new(key, Algorithm::ED25519))
            })
            .collect()
    }

    fn ds_for(owner: &Name, key: &DNSKEY) -> DS {
        DS::new(
            key_tag(key).unwrap(),
            Algorithm::ED25519,
            DigestType::SHA256,
            ds::digest_of(owner, key, DigestType::SHA256).unwrap(),
        )
    }

    #[test]
    fn ds_is_digested_against_at_most_four_keys_of_its_tag() {
        let owner = Name::from_ascii("example.").unwrap();
        let keys = colliding_keys(6);
        let tag = key_tag(&keys[0]);
        assert!(keys.iter().all(|k| key_tag(k) == tag));
        let early = ds_for(&owner, &keys[1]);
        let late = ds_for(&owner, &keys[5]);
        let got = vouched_keys(&owner, &keys, &[Voucher::Ds(&early), Voucher::Ds(&late)]);
        assert_eq!(got, vec![keys[1].clone()]);
        // A DNSKEY anchor names its key outright: no tag search, no limit.
        let got = vouched_keys(&owner, &keys, &[Voucher::Key(&keys[5])]);
        assert_eq!(got, vec![keys[5].clone()]);
    }
}
