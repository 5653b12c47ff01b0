//! Applies DNSSEC validation to each lookup step before it is cached or
//! used: every RRset gets a [`Security`] status (RFC 4035 §5).
//!
//! An RRset is Secure only when its zone is Secure (see `dnssec::chain`)
//! and one of its RRSIGs, by that zone, verifies with one of the zone's
//! keys. Negative answers and wildcard expansions additionally need a
//! denial proof (`dnssec::denial`). Without any trust anchor nothing is
//! validated and everything is Insecure: no AD bit is ever set.

use hickory_proto::rr::{Name, RecordType};

use super::step::{Step, ZoneRrset};
use super::trace::TraceEvent;
use super::{Ctx, Inner, ResolveError};
use crate::dnssec::denial::{self, DenialOutcome};
use crate::dnssec::key_cache::ZoneTrust;
use crate::dnssec::nsec3::Nsec3Limits;
use crate::dnssec::state::{EdeCode, ExtendedError, Security};
use crate::dnssec::verify_set::{as_rrsig, verify_rrset};

impl Step {
    /// True when some RRset of the step has not been judged yet.
    pub(crate) fn needs_validation(&self) -> bool {
        self.sets().any(|s| s.security == Security::Indeterminate)
    }

    fn sets(&self) -> Box<dyn Iterator<Item = &ZoneRrset> + '_> {
        match self {
            Step::Data { answer, proofs } => Box::new(std::iter::once(answer).chain(proofs.iter())),
            Step::Alias { answer, proofs, .. } => Box::new(answer.iter().chain(proofs.iter())),
            Step::Negative { authority, .. } => Box::new(authority.iter()),
        }
    }

    fn sets_mut(&mut self) -> Vec<&mut ZoneRrset> {
        match self {
            Step::Data { answer, proofs } => {
                std::iter::once(answer).chain(proofs.iter_mut()).collect()
            }
            Step::Alias { answer, proofs, .. } => {
                answer.iter_mut().chain(proofs.iter_mut()).collect()
            }
            Step::Negative { authority, .. } => authority.iter_mut().collect(),
        }
    }
}

/// The RRSIG labels field when `set` is a wildcard expansion (RFC 4035
/// §5.3.2: fewer labels than the owner name has, not counting a leading `*`).
fn wildcard_labels(set: &ZoneRrset) -> Option<u8> {
    if set.set.name.is_wildcard() {
        return None;
    }
    let owner_labels = set.set.name.num_labels();
    set.set
        .rrsigs
        .iter()
        .filter_map(as_rrsig)
        .filter(|s| s.input().signer_name == set.zone)
        .map(|s| s.input().num_labels)
        .find(|l| *l < owner_labels)
}

fn mark(sets: &mut [ZoneRrset], security: Security, why: Option<ExtendedError>) {
    for s in sets {
        s.security = security;
        s.why = why.clone();
    }
}

impl Inner {
    pub(crate) fn nsec3_limits(&self) -> Nsec3Limits {
        Nsec3Limits {
            max_iterations: self.config.dnssec.nsec3_max_iterations,
            hash_cache: Some(self.nsec3_hashes.clone()),
            ..Nsec3Limits::default()
        }
    }

    /// Judges every unjudged RRset of `step`, and its denial proofs.
    pub(crate) async fn validate_step(
        &self,
        ctx: &Ctx<'_>,
        name: &Name,
        qtype: RecordType,
        mut step: Step,
    ) -> Result<Step, ResolveError> {
        if !self.validating() {
            for s in step.sets_mut() {
                if s.security == Security::Indeterminate {
                    s.security = Security::Insecure;
                }
            }
            return Ok(step);
        }
        match &mut step {
            Step::Data { answer, proofs } => {
                self.judge(ctx, answer).await?;
                self.check_wildcard(ctx, name, answer, proofs).await?;
            }
            Step::Alias { answer, proofs, .. } => {
                let mut dname_security = None;
                for set in answer.iter_mut() {
                    if set.set.rtype == RecordType::CNAME && set.set.rrsigs.is_empty() {
                        if let Some((sec, why)) = dname_security.clone() {
                            // RFC 6672 §5.3.1: a CNAME synthesized from a
                            // validated DNAME is as secure as the DNAME.
                            set.security = sec;
                            set.why = why;
                            continue;
                        }
                    }
                    self.judge(ctx, set).await?;
                    if set.set.rtype == RecordType::DNAME {
                        dname_security = Some((set.security, set.why.clone()));
                    }
                }
                if let Some(last) = answer.last_mut() {
                    if last.set.rtype == RecordType::CNAME && !last.set.rrsigs.is_empty() {
                        self.check_wildcard(ctx, name, last, proofs).await?;
                    }
                }
            }
            Step::Negative {
                kind,
                authority,
                zone,
            } => {
                for set in authority.iter_mut() {
                    self.judge(ctx, set).await?;
                }
                // Forwarding, the zone is learnt from the signer (or SOA),
                // not from the forwarder; the proof must use the real zone
                // (NSEC3 owner names are hashes under it).
                *zone = self.signer_zone(ctx, zone, authority).await?;
                let trust = self.zone_trust(ctx, zone).await?;
                let all_secure = !authority.is_empty()
                    && authority.iter().all(|s| s.security == Security::Secure);
                match (&trust.trust, all_secure) {
                    (ZoneTrust::Secure { .. }, true) => {
                        let limits = self.nsec3_limits();
                        match denial::prove_negative(
                            *kind, name, qtype, zone, authority, &limits, ctx.budget,
                        ) {
                            Ok(DenialOutcome::Secure) => {}
                            Ok(DenialOutcome::Insecure(why)) => {
                                mark(authority, Security::Insecure, Some(why))
                            }
                            Err(e) => {
                                // Out of budget is a resolution failure (SERVFAIL,
                                // logged), not Bogus data to cache.
                                if let Some(b) = e.budget_exhausted() {
                                    return Err((*b).into());
                                }
                                let why = ExtendedError::new(
                                    e.ede_code(),
                                    format!("{zone}: no valid denial of {name} {qtype}: {e}"),
                                );
                                mark(authority, Security::Bogus, Some(why));
                            }
                        }
                    }
                    // A secure zone must sign its denial (RFC 4035 §3.1.3).
                    (ZoneTrust::Secure { .. }, false)
                        if authority.iter().all(|s| s.security != Security::Bogus) =>
                    {
                        let why = ExtendedError::new(
                            EdeCode::NsecMissing,
                            format!(
                                "{zone}: negative answer for {name} {qtype} without signed proof"
                            ),
                        );
                        mark(authority, Security::Bogus, Some(why));
                    }
                    _ => {}
                }
            }
        }
        for s in step.sets().filter(|s| s.security == Security::Bogus) {
            let why = s.why.as_ref().map(|w| w.to_string()).unwrap_or_default();
            tracing::warn!(
                qname = %name,
                qtype = %qtype,
                zone = %s.zone,
                rrset = %format!("{} {}", s.set.name, s.set.rtype),
                reason = %why,
                "validation failure: bogus"
            );
            ctx.trace.push(TraceEvent::Note(format!(
                "BOGUS {} {} (zone {}): {why}",
                s.set.name, s.set.rtype, s.zone
            )));
        }
        Ok(step)
    }

    /// A wildcard-expanded answer needs proof that the name itself does not
    /// exist (RFC 4035 §5.3.4, RFC 5155 §8.8).
    async fn check_wildcard(
        &self,
        ctx: &Ctx<'_>,
        name: &Name,
        answer: &mut ZoneRrset,
        proofs: &mut [ZoneRrset],
    ) -> Result<(), ResolveError> {
        if answer.security != Security::Secure {
            return Ok(());
        }
        let Some(labels) = wildcard_labels(answer) else {
            return Ok(());
        };
        for p in proofs.iter_mut() {
            self.judge(ctx, p).await?;
        }
        if proofs.is_empty() || proofs.iter().any(|p| p.security != Security::Secure) {
            answer.security = Security::Bogus;
            answer.why = Some(ExtendedError::new(
                EdeCode::NsecMissing,
                format!(
                    "{}: wildcard answer for {name} without valid proof",
                    answer.zone
                ),
            ));
            return Ok(());
        }
        let limits = self.nsec3_limits();
        match denial::prove_wildcard_answer(name, labels, &answer.zone, proofs, &limits, ctx.budget)
        {
            Ok(DenialOutcome::Secure) => {}
            Ok(DenialOutcome::Insecure(why)) => {
                answer.security = Security::Insecure;
                answer.why = Some(why);
            }
            Err(e) => {
                answer.security = Security::Bogus;
                answer.why = Some(ExtendedError::new(
                    EdeCode::DnssecBogus,
                    format!(
                        "{}: wildcard expansion for {name} not proven: {e}",
                        answer.zone
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The zone whose keys must have signed `sets`. Iterating, it is the
    /// zone whose server answered. Forwarding, the forwarder's word is not
    /// enough: the RRSIG signer if it encloses the owner, else the zone
    /// that an SOA lookup names (checked by the chain of trust anyway).
    async fn signer_zone(
        &self,
        ctx: &Ctx<'_>,
        served_by: &Name,
        sets: &[ZoneRrset],
    ) -> Result<Name, ResolveError> {
        if self.config.upstream.forward_to.is_empty() {
            return Ok(served_by.clone());
        }
        let Some(first) = sets.first() else {
            return Ok(served_by.clone());
        };
        if let Some(signer) = first
            .set
            .rrsigs
            .iter()
            .filter_map(as_rrsig)
            .map(|s| s.input().signer_name.clone())
            .find(|s| s.zone_of(&first.set.name))
        {
            return Ok(signer);
        }
        if let Some(soa) = sets.iter().find(|s| s.set.rtype == RecordType::SOA) {
            return Ok(soa.set.name.clone());
        }
        let owner = first.set.name.clone();
        let (step, _) = self.fetch_step(ctx, &owner, RecordType::SOA).await?;
        Ok(match step {
            Step::Data { answer, .. } => answer.set.name,
            Step::Negative { authority, .. } => authority
                .iter()
                .find(|s| s.set.rtype == RecordType::SOA && s.set.name.zone_of(&owner))
                .map(|s| s.set.name.clone())
                .unwrap_or_else(Name::root),
            Step::Alias { .. } => Name::root(),
        })
    }

    /// Judges one RRset against its zone's keys.
    async fn judge(&self, ctx: &Ctx<'_>, set: &mut ZoneRrset) -> Result<(), ResolveError> {
        if set.security != Security::Indeterminate {
            return Ok(());
        }
        let zone = self
            .signer_zone(ctx, &set.zone.clone(), std::slice::from_ref(set))
            .await?;
        set.zone = zone.clone();
        let trust = self.zone_trust(ctx, &zone).await?;
        match &trust.trust {
            ZoneTrust::Insecure { .. } => set.security = Security::Insecure,
            ZoneTrust::Bogus { why } => {
                set.security = Security::Bogus;
                set.why = Some(why.clone());
            }
            ZoneTrust::Secure { keys } => {
                let now = self.clock.unix_secs();
                match verify_rrset(&set.set, &zone, keys, now, ctx.budget) {
                    Ok(v) => {
                        let bound = v.ttl_bound;
                        ctx.trace.push(TraceEvent::Note(format!(
                            "{} {}: signed by {zone} key {}/alg{}: secure",
                            set.set.name, set.set.rtype, v.key_tag, v.algorithm
                        )));
                        set.security = Security::Secure;
                        // RFC 4035 §5.3.3: never keep validated data past its
                        // signature's expiration or original TTL.
                        set.cap_ttl(bound);
                    }
                    Err(f) => {
                        set.security = Security::Bogus;
                        set.why = Some(f.ede(&format!(
                            "{} {} in zone {zone}",
                            set.set.name, set.set.rtype
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}
