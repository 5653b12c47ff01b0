//! The command line: `anchord run | check-config | query | tlsa | doctor`.

pub mod check_config;
pub mod doctor;
pub mod query;
pub mod run;
pub mod sd_notify;
pub mod tlsa;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::dnssec::anchors::{self, TrustAnchor};
use crate::resolver::hints::{HintsError, RootHints};

/// anchord: a DNSSEC-validating recursive resolver for mail hosts.
#[derive(Debug, Parser)]
#[command(name = "anchord", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the resolver in the foreground (logs to stderr).
    Run {
        /// Configuration file (TOML); defaults apply without one.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Validate the configuration and print the effective settings.
    CheckConfig {
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Print TLSA records for a certificate or public key (like ldns-dane).
    Tlsa(tlsa::TlsaArgs),
    /// Check this host's resolver and mail set-up for DANE.
    Doctor(doctor::DoctorArgs),
    /// Resolve one name in-process and print the answer like dig.
    Query {
        #[command(flatten)]
        args: query::QueryArgs,
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}

/// Root hints from the config: the file if set, else IANA's compiled in.
pub fn root_hints(config: &Config) -> Result<RootHints, HintsError> {
    match &config.iterator.root_hints {
        Some(path) => RootHints::from_file(path),
        None => Ok(RootHints::builtin()),
    }
}

/// Trust anchors from the config: the compiled-in root anchors (unless
/// disabled) plus every anchor file.
pub fn trust_anchors(config: &Config, now: u64) -> Result<Vec<TrustAnchor>, anchors::AnchorError> {
    let mut out = Vec::new();
    if config.dnssec.builtin_root_anchor {
        out.extend(anchors::builtin_root_anchors(now));
    }
    for path in &config.dnssec.trust_anchor_files {
        out.extend(anchors::load_anchor_file(path)?);
    }
    Ok(out)
}

/// Loads the config or explains why not (`file:line: message`).
fn load_config(path: Option<&std::path::Path>) -> Result<Config, String> {
    crate::config::load(path).map_err(|e| e.to_string())
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { config } => match load_config(config.as_deref()) {
            Ok(cfg) => run::run(cfg),
            Err(e) => {
                eprintln!("anchord: {e}");
                ExitCode::from(2)
            }
        },
        Command::CheckConfig { config } => check_config::check_config(config.as_deref()),
        Command::Tlsa(args) => tlsa::run(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Query { args, config } => {
            let cfg = match load_config(config.as_deref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("anchord: {e}");
                    return ExitCode::from(2);
                }
            };
            let now = crate::clock::Clock::unix_secs(&crate::clock::SystemClock::new());
            match trust_anchors(&cfg, now) {
                Ok(anchors) => query::run(&args, cfg, anchors),
                Err(e) => {
                    eprintln!("anchord: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
