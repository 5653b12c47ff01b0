//! Applies DNSSEC validation to each lookup step before it is cached or
//! used: every RRset gets a [`Security`] status.
//!
//! (First stage: no trust anchors are wired in yet, so nothing can be
//! Secure; every RRset is Insecure and no AD bit is ever set.)

use super::step::Step;
use super::{Ctx, Inner, ResolveError};
use crate::dnssec::state::Security;

impl Step {
    /// True when some RRset of the step has not been judged yet.
    pub(crate) fn needs_validation(&self) -> bool {
        let sets = match self {
            Step::Data { answer, proofs } => {
                return answer.security == Security::Indeterminate
                    || proofs.iter().any(|p| p.security == Security::Indeterminate)
            }
            Step::Alias { answer, .. } => answer,
            Step::Negative { authority, .. } => authority,
        };
        sets.iter().any(|s| s.security == Security::Indeterminate)
    }

    fn for_each_set(&mut self, mut f: impl FnMut(&mut super::step::ZoneRrset)) {
        match self {
            Step::Data { answer, proofs } => {
                f(answer);
                proofs.iter_mut().for_each(f);
            }
            Step::Alias { answer, .. } => answer.iter_mut().for_each(f),
            Step::Negative { authority, .. } => authority.iter_mut().for_each(f),
        }
    }
}

impl Inner {
    /// Judges every unjudged RRset of `step`.
    pub(crate) async fn validate_step(
        &self,
        _ctx: &Ctx,
        _name: &hickory_proto::rr::Name,
        _qtype: hickory_proto::rr::RecordType,
        mut step: Step,
    ) -> Result<Step, ResolveError> {
        step.for_each_set(|s| {
            if s.security == Security::Indeterminate {
                s.security = Security::Insecure;
            }
        });
        Ok(step)
    }
}
