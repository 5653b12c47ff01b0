//! Mail-host end-to-end lab (issue 4): real Postfix instances doing DANE for
//! SMTP (RFC 7672) through anchord, the setup the DANE tutorials describe.
//!
//! `tests/maillab/maillab.sh up` brings up the DNS lab of `tests/lab/lab.sh`
//! plus, in the same network namespace, the mail zones `dane.test` (signed)
//! and `nodane.test` (unsigned), anchord on 127.0.0.1:53 as the namespace's
//! resolver (`options trust-ad`), a sending Postfix with
//! `smtp_dns_support_level = dnssec` and `smtp_tls_security_level = dane`,
//! and two receiving Postfix instances (self-signed and private-CA
//! certificates, TLSA records made by `anchord tlsa`). Each test submits one
//! message with swaks and asserts on the sender's Postfix log (`maillog_file`)
//! and on where the message ended up (a receiver's Maildir or the queue).
//!
//! Needs root and the tools below (see `.ci/run`). Without them the tests
//! skip with one line on stderr, unless `ANCHORD_REQUIRE_LAB=1`, in which case
//! they fail. `ANCHORD_LAB_BIN` tests another anchord binary.

use std::path::PathBuf;
use std::time::{Duration, Instant};

mod labkit;
use labkit::Lab;

const TOOLS: &[&str] = &[
    "ip",
    "dig",
    "kdig",
    "nsd",
    "knotd",
    "knotc",
    "unbound",
    "dnssec-keygen",
    "dnssec-signzone",
    "dnssec-dsfromkey",
    "ldns-keygen",
    "ldns-signzone",
    "postfix",
    "postqueue",
    "swaks",
    "openssl",
];

/// Per-case bound on waiting for Postfix (delivery attempt, flush, mailbox).
const WAIT: Duration = Duration::from_secs(30);

// --- the lab ---------------------------------------------------------------

/// The shared lab, or `None` when the tests should skip.
fn lab() -> Option<&'static Lab> {
    labkit::shared(|| labkit::Spec {
        test: "mail_dane",
        what: "mail lab",
        script: "tests/maillab/maillab.sh",
        ns_prefix: "anchord-mail-t",
        tools: TOOLS,
        env: vec![("ANCHORD_BIN", labkit::anchord_binary())],
    })
}

// --- driving Postfix and reading its log -------------------------------------

/// One delivery attempt, as the sender's smtp(8) logged it.
#[derive(Debug)]
struct Attempt {
    /// `sent`, `deferred` or `bounced`.
    status: String,
    /// The `to=<...>` status line itself.
    line: String,
    /// Everything the same smtp(8) process logged since its previous status
    /// line: TLS session lines, TLSA lookup warnings, ...
    session: Vec<String>,
}

impl Attempt {
    fn tls_line(&self) -> Option<&str> {
        self.session
            .iter()
            .rev()
            .find(|l| l.contains("TLS connection established to"))
            .map(String::as_str)
    }
}

impl Lab {
    fn mail_dir(&self) -> PathBuf {
        self.dir.join("mail")
    }

    fn sender_log(&self) -> String {
        std::fs::read_to_string(self.mail_dir().join("sender/maillog")).unwrap_or_default()
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut c = self.script_cmd(args[0]);
        c.args(&args[1..]);
        c.output().expect("running maillab.sh")
    }

    /// Submit a message to the sending Postfix (its smtpd, with swaks).
    fn send(&self, to: &str, subject: &str) {
        let out = self.run(&["send", to, subject]);
        assert!(
            out.status.success(),
            "swaks to {to} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn flush(&self) {
        let _ = self.run(&["flush"]);
    }

    fn queue(&self) -> String {
        String::from_utf8_lossy(&self.run(&["queue"]).stdout).into_owned()
    }

    /// All delivery attempts for `rcpt` in the sender's log, oldest first.
    fn attempts(&self, rcpt: &str) -> Vec<Attempt> {
        let needle = format!("to=<{rcpt}>");
        let mut per_pid: std::collections::HashMap<String, Vec<String>> = Default::default();
        let mut found = Vec::new();
        for line in self.sender_log().lines() {
            // "... postfix/smtp[1234]: ..."
            let Some(pid) = line
                .split_once("postfix/smtp[")
                .and_then(|(_, rest)| rest.split_once(']'))
                .map(|(pid, _)| pid.to_string())
            else {
                continue;
            };
            let session = per_pid.entry(pid).or_default();
            if let Some((_, rest)) = line.split_once(" status=") {
                if line.contains(&needle) {
                    let status = rest.split(' ').next().unwrap_or("").to_string();
                    found.push(Attempt {
                        status,
                        line: line.to_string(),
                        session: std::mem::take(session),
                    });
                } else {
                    session.clear();
                }
            } else {
                session.push(line.to_string());
            }
        }
        found
    }

    /// Wait (bounded) until there are at least `n` attempts for `rcpt`.
    fn wait_attempts(&self, rcpt: &str, n: usize) -> Vec<Attempt> {
        let deadline = Instant::now() + WAIT;
        for round in 0u32.. {
            let a = self.attempts(rcpt);
            if a.len() >= n {
                return a;
            }
            if Instant::now() > deadline {
                panic!(
                    "no{} delivery attempt for {rcpt} within {WAIT:?}; sender log:\n{}",
                    if n > 1 { " further" } else { "" },
                    tail(&self.sender_log(), 40)
                );
            }
            // A retry needs a queue run: ask for one now and every 3 s.
            if n > 1 && round % 10 == 0 {
                self.flush();
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        unreachable!()
    }

    /// Receiver `rx` (rx1 or rx2) has a message with `subject` in its Maildir.
    fn in_mailbox(&self, rx: &str, subject: &str) -> bool {
        let new = self.mail_dir().join(rx).join("mail/inbox/new");
        let Ok(entries) = std::fs::read_dir(new) else {
            return false;
        };
        entries.flatten().any(|e| {
            std::fs::read_to_string(e.path())
                .is_ok_and(|m| m.contains(&format!("Subject: {subject}")))
        })
    }

    fn wait_mailbox(&self, rx: &str, subject: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.in_mailbox(rx, subject) {
            assert!(
                Instant::now() < deadline,
                "{subject} not in {rx}'s mailbox within {WAIT:?}; {rx} log:\n{}",
                tail(
                    &std::fs::read_to_string(self.mail_dir().join(rx).join("maillog"))
                        .unwrap_or_default(),
                    30
                )
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn in_any_mailbox(&self, subject: &str) -> bool {
        self.in_mailbox("rx1", subject) || self.in_mailbox("rx2", subject)
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A recipient and subject unique to this test process.
fn names(case: &str, domain: &str) -> (String, String) {
    let pid = std::process::id();
    (
        format!("{case}-{pid}@{domain}"),
        format!("maillab-{case}-{pid}"),
    )
}

/// Send one message and return its first delivery attempt.
fn deliver(lab: &Lab, case: &str, domain: &str) -> (String, String, Attempt) {
    let (rcpt, subject) = names(case, domain);
    lab.send(&rcpt, &subject);
    let first = lab.wait_attempts(&rcpt, 1).remove(0);
    (rcpt, subject, first)
}

fn assert_sent_verified(lab: &Lab, a: &Attempt, host: &str, rx: &str, subject: &str) {
    assert_eq!(a.status, "sent", "{a:#?}");
    assert!(a.line.contains(&format!("relay={host}[")), "{a:#?}");
    let tls = a
        .tls_line()
        .unwrap_or_else(|| panic!("no TLS line: {a:#?}"));
    assert!(
        tls.contains(&format!("Verified TLS connection established to {host}[")),
        "{a:#?}"
    );
    lab.wait_mailbox(rx, subject);
}

/// A message that must not leave the queue: deferred now, still deferred
/// after a flush, listed by `postqueue -p`, in no mailbox.
fn assert_stays_queued(lab: &Lab, rcpt: &str, subject: &str, first: &Attempt) {
    assert_eq!(first.status, "deferred", "{first:#?}");
    let again = lab.wait_attempts(rcpt, 2);
    assert!(
        again.iter().all(|a| a.status == "deferred"),
        "retry after flush was not deferred: {again:#?}"
    );
    let q = lab.queue();
    assert!(q.contains(rcpt), "{rcpt} not in the queue:\n{q}");
    assert!(!lab.in_any_mailbox(subject), "{subject} was delivered");
}

// --- the cases ---------------------------------------------------------------

/// Case 1: Signed domain, MX with a matching DANE-EE `3 1 1` TLSA record.
#[test]
fn dane_ee_3_1_1_verified() {
    let Some(lab) = lab() else { return };
    let (_, subject, a) = deliver(lab, "case1", "s1.dane.test");
    assert_sent_verified(lab, &a, "mx1.dane.test", "rx1", &subject);
}

/// Case 2: DANE-TA `2 1 1` of the private CA that issued the receiver's certificate.
#[test]
fn dane_ta_2_1_1_private_ca_verified() {
    let Some(lab) = lab() else { return };
    let (_, subject, a) = deliver(lab, "case2", "s2.dane.test");
    assert_sent_verified(lab, &a, "mx2.dane.test", "rx2", &subject);
}

/// Case 3: TLSA with one hex digit changed: deferred, stays in the queue.
#[test]
fn wrong_tlsa_hash_deferred() {
    let Some(lab) = lab() else { return };
    let (rcpt, subject, a) = deliver(lab, "case3", "wrong.dane.test");
    assert!(
        a.line.contains("Server certificate not verified"),
        "expected 'Server certificate not verified': {a:#?}"
    );
    assert!(
        a.session
            .iter()
            .any(|l| l.contains("no matching DANE TLSA records")),
        "expected the TLSA mismatch in the log: {a:#?}"
    );
    assert_stays_queued(lab, &rcpt, &subject, &a);
}

/// Case 4: Unsigned domain: opportunistic TLS, no DANE (its TLSA record is ignored).
#[test]
fn unsigned_domain_opportunistic_tls() {
    let Some(lab) = lab() else { return };
    let (_, subject, a) = deliver(lab, "case4", "nodane.test");
    assert_eq!(a.status, "sent", "{a:#?}");
    assert!(a.line.contains("relay=mx.nodane.test["), "{a:#?}");
    let tls = a
        .tls_line()
        .unwrap_or_else(|| panic!("no TLS line: {a:#?}"));
    assert!(
        tls.contains("Untrusted TLS connection established")
            || tls.contains("Anonymous TLS connection established"),
        "{a:#?}"
    );
    lab.wait_mailbox("rx1", &subject);
}

/// Case 5: Signed domain whose MX host is in an unsigned zone: TLSA not used.
#[test]
fn signed_domain_insecure_mx_host_no_dane() {
    let Some(lab) = lab() else { return };
    let (_, subject, a) = deliver(lab, "case5", "offsite.dane.test");
    assert_eq!(a.status, "sent", "{a:#?}");
    assert!(a.line.contains("relay=mx.nodane.test["), "{a:#?}");
    let tls = a
        .tls_line()
        .unwrap_or_else(|| panic!("no TLS line: {a:#?}"));
    assert!(
        !tls.contains("Verified") && tls.contains("TLS connection established"),
        "{a:#?}"
    );
    assert!(
        !a.session.iter().any(|l| l.contains("TLSA")),
        "no TLSA lookup expected for an insecure MX host: {a:#?}"
    );
    lab.wait_mailbox("rx1", &subject);
}

/// Case 6: Two MX hosts, the first one's TLSA RRset bogus: skipped with a TLSA
/// lookup error, delivered via the second, verified.
#[test]
fn bogus_tlsa_first_mx_skipped_second_verified() {
    let Some(lab) = lab() else { return };
    let (_, subject, a) = deliver(lab, "case6", "twomx.dane.test");
    assert!(
        a.session
            .iter()
            .any(|l| l.contains("TLSA lookup error for mxbad.dane.test:25")
                || l.contains("name=_25._tcp.mxbad.dane.test type=TLSA")),
        "expected a TLSA lookup error for mxbad.dane.test: {a:#?}"
    );
    assert!(
        !a.session
            .iter()
            .any(|l| l.contains("TLS connection established to mxbad.dane.test")),
        "the bogus-TLSA host must not be used: {a:#?}"
    );
    assert_sent_verified(lab, &a, "mx2.dane.test", "rx2", &subject);
}

/// Case 7: Bogus MX RRset: SERVFAIL, deferred, never delivered insecurely.
#[test]
fn bogus_mx_deferred() {
    let Some(lab) = lab() else { return };
    let (rcpt, subject, a) = deliver(lab, "case7", "bogusmx.dane.test");
    assert!(
        a.line.contains("relay=none")
            && a.line.contains("name=bogusmx.dane.test type=MX")
            && a.line.contains("try again"),
        "expected a temporary MX lookup failure: {a:#?}"
    );
    assert_stays_queued(lab, &rcpt, &subject, &a);
}

/// Case 8: Postfix's DNSSEC probe (`. NS`, `dnssec_probe = ns:.`) gets AD from
/// anchord: no "DNSSEC validation may be unavailable" warning.
#[test]
fn dnssec_probe_gets_ad() {
    let Some(lab) = lab() else { return };
    let out = lab.run(&["exec", "dig", "+dnssec", "+tries=1", "+time=3", ".", "NS"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let flags = text.lines().find(|l| l.contains("flags:")).unwrap_or("");
    assert!(
        text.contains("status: NOERROR") && flags.contains(" ad"),
        "`. NS` via the namespace resolv.conf has no AD:\n{text}"
    );
    // Make sure smtp(8) has done DNS lookups (the probe runs before the first).
    let (_, _, a) = deliver(lab, "case8", "s1.dane.test");
    assert_eq!(a.status, "sent", "{a:#?}");
    let log = lab.sender_log();
    assert!(
        !log.contains("DNSSEC validation may be unavailable"),
        "probe warning in the sender's log:\n{}",
        tail(&log, 40)
    );
    assert!(!log.contains("dnssec_probe"), "{}", tail(&log, 40));
}
