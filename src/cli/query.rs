//! `anchord query NAME [TYPE]`: one resolution in-process, printed like
//! `dig`; with `--trace`, every step (zone cuts, servers asked, responses
//! and their RTT, the chain of trust) before the answer.

use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;

use hickory_proto::rr::{Name, RecordType};

use crate::clock::SystemClock;
use crate::config::Config;
use crate::resolver::udp_tcp::TokioNetwork;
use crate::resolver::{QueryOpts, Question, Resolution, Resolver};

/// Arguments of `anchord query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The name to resolve.
    pub name: String,
    /// The record type (A, AAAA, MX, TLSA, ...).
    #[arg(default_value = "A")]
    pub qtype: String,
    /// Print every step of the resolution.
    #[arg(long)]
    pub trace: bool,
    /// Set CD: return data even if validation fails (no AD then).
    #[arg(long)]
    pub cd: bool,
}

/// Prints a resolution like dig's answer part.
pub fn print_resolution(
    q: &Question,
    res: &Resolution,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    writeln!(out, ";; QUESTION: {} {} {}", q.name, q.qclass, q.qtype)?;
    writeln!(
        out,
        ";; status: {}, security: {}, AD: {}",
        res.rcode.to_str(),
        res.security,
        if res.security.is_secure() {
            "yes"
        } else {
            "no"
        }
    )?;
    if let Some(ede) = &res.ede {
        writeln!(out, ";; {ede}")?;
    }
    if !res.answer.is_empty() {
        writeln!(out, "\n;; ANSWER SECTION:")?;
        for r in &res.answer {
            writeln!(out, "{r}")?;
        }
    }
    if !res.authority.is_empty() {
        writeln!(out, "\n;; AUTHORITY SECTION:")?;
        for r in &res.authority {
            writeln!(out, "{r}")?;
        }
    }
    Ok(())
}

/// Runs `anchord query`.
pub fn run(
    args: &QueryArgs,
    config: Config,
    anchors: Vec<crate::dnssec::anchors::TrustAnchor>,
) -> ExitCode {
    let name = match Name::from_str(&args.name) {
        Ok(mut n) => {
            n.set_fqdn(true);
            n
        }
        Err(e) => {
            eprintln!("anchord: bad name `{}`: {e}", args.name);
            return ExitCode::from(2);
        }
    };
    let qtype = match RecordType::from_str(&args.qtype.to_ascii_uppercase()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("anchord: bad type `{}`: {e}", args.qtype);
            return ExitCode::from(2);
        }
    };
    let hints = match super::root_hints(&config) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("anchord: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("anchord: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let network = Arc::new(TokioNetwork::new(
        config.upstream.source_address,
        config.upstream.edns_udp_size,
    ));
    let resolver = Resolver::new_validating(
        crate::resolver::ResolverSetup {
            config,
            network,
            clock: Arc::new(SystemClock::new()),
            root_hints: hints,
        },
        anchors,
    );
    let question = Question::new(name, qtype);
    let opts = QueryOpts {
        dnssec_ok: true,
        checking_disabled: args.cd,
        caller_caches_answer: false,
    };
    let (res, events) = runtime.block_on(resolver.resolve_traced(&question, opts));
    let mut out = std::io::stdout().lock();
    if args.trace {
        for e in &events {
            let _ = writeln_ignore(&mut out, &e.to_string());
        }
        let _ = writeln_ignore(&mut out, "");
    }
    if print_resolution(&question, &res, &mut out).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn writeln_ignore(out: &mut impl std::io::Write, line: &str) -> std::io::Result<()> {
    writeln!(out, "{line}")
}
