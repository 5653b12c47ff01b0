//! Forward-only mode (`upstream.forward_to`): every lookup goes, with RD=1,
//! to the configured recursive resolvers instead of iterating. CD=1 is sent
//! so that validation (ours) sees the data even when the forwarder's own
//! validation would fail it; the forwarder's AD bit is never trusted.

use std::collections::HashSet;
use std::net::SocketAddr;

use hickory_proto::rr::{Name, RecordType};

use super::classify::{classify, Classified, Mode};
use super::step::Step;
use super::transport::{ExchangeError, QueryFlags};
use super::{Ctx, Inner, ResolveError};
use crate::cache::rrset::NegativeKind;

impl Inner {
    /// Resolves (name, type) through the forwarders.
    pub(crate) async fn forward_lookup(
        &self,
        ctx: &Ctx<'_>,
        name: &Name,
        qtype: RecordType,
    ) -> Result<Step, ResolveError> {
        let zone = Name::root();
        let flags = QueryFlags {
            recursion_desired: true,
            checking_disabled: true,
        };
        let mut tried: HashSet<SocketAddr> = HashSet::new();
        let mut last = String::from("no forwarder configured");
        let forwarders = &self.config.upstream.forward_to;
        // Up to three rounds over the forwarders (timeouts double each
        // round), so one lost packet to a single forwarder is not a SERVFAIL.
        for _ in 0..(forwarders.len() * 3).min(12) {
            let mono = self.clock.monotonic();
            if tried.len() == forwarders.len() {
                tried.clear();
            }
            let Some(server) = forwarders
                .iter()
                .copied()
                .filter(|s| !tried.contains(s))
                .min_by_key(|s| self.infra.view(s.ip(), mono).score)
            else {
                break;
            };
            tried.insert(server);
            let msg = match self.exchange(ctx, &zone, server, name, qtype, flags).await {
                Ok(msg) => msg,
                Err(ExchangeError::Budget(b)) => return Err(b.into()),
                Err(ExchangeError::Deadline) => {
                    return Err(ResolveError::Deadline(
                        self.config.upstream.query_deadline_ms,
                    ))
                }
                Err(e) => {
                    last = format!("{server}: {e}");
                    continue;
                }
            };
            let now = self.clock.unix_secs();
            match classify(&msg, &zone, name, qtype, Mode::Forwarding) {
                Classified::Answer { answer, proofs, .. } => {
                    return self.answer_step(&zone, answer, proofs, name, qtype, now)
                }
                Classified::NoData { authority } => {
                    return Ok(self.negative_step(NegativeKind::NoData, &zone, authority))
                }
                Classified::NxDomain { authority } => {
                    return Ok(self.negative_step(NegativeKind::NxDomain, &zone, authority))
                }
                Classified::Referral(_) => last = format!("{server}: sent a referral"),
                Classified::Lame(reason) => last = format!("{server}: {reason}"),
                Classified::Error(rcode) => last = format!("{server}: {rcode}"),
            }
        }
        Err(ResolveError::NoUsableServer { zone, last })
    }
}
