//! `anchord run`: the daemon, in the foreground.
//!
//! Start-up order: load trust anchors and root hints (errors name the
//! file), bind every listener (so a port conflict fails fast, before we
//! claim to be ready), then tell systemd READY=1. Signals: SIGTERM/SIGINT
//! stop (STOPPING=1, exit 0); SIGHUP flushes all caches (`systemctl reload`);
//! SIGUSR1 logs the counters.

use std::process::ExitCode;
use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};
use tracing_subscriber::EnvFilter;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::resolver::udp_tcp::TokioNetwork;
use crate::resolver::{Resolver, ResolverSetup};
use crate::server::Server;

use super::sd_notify;

/// Logs to stderr; `RUST_LOG` overrides `server.log_level`.
fn init_logging(level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // No colour codes in journald or log files.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// What stopped the daemon.
enum Stop {
    Signal(&'static str),
}

/// Runs the daemon.
pub fn run(config: Config) -> ExitCode {
    init_logging(&config.server.log_level);
    let clock: SharedClock = Arc::new(SystemClock::new());
    let anchors = match super::trust_anchors(&config, clock.unix_secs()) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(2);
        }
    };
    let hints = match super::root_hints(&config) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(2);
        }
    };
    if anchors.is_empty() {
        tracing::warn!("no trust anchor configured: DNSSEC validation is off, AD is never set");
    }
    let threads = match config.server.threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let resolver = Resolver::new_validating(
            ResolverSetup {
                config: config.clone(),
                network: Arc::new(TokioNetwork::new(
                    config.upstream.source_address,
                    config.upstream.edns_udp_size,
                )),
                clock: clock.clone(),
                root_hints: hints,
            },
            anchors,
        );
        let server = match Server::bind(&config, Arc::new(resolver.clone()), clock).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::FAILURE;
            }
        };
        // What is actually bound ([::1] may have been skipped on a host
        // without IPv6), TCP and UDP share each address.
        let listen: Vec<std::net::SocketAddr> = server
            .local_addrs()
            .into_iter()
            .filter(|(_, t)| *t == crate::server::Transport::Tcp)
            .map(|(a, _)| a)
            .collect();
        tracing::info!(?listen, threads, "anchord ready");
        sd_notify::notify("READY=1");
        let stats = server.stats();
        let control = async {
            let (Ok(mut term), Ok(mut int), Ok(mut hup), Ok(mut usr1)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
                signal(SignalKind::hangup()),
                signal(SignalKind::user_defined1()),
            ) else {
                tracing::error!("cannot install signal handlers");
                return Stop::Signal("none");
            };
            loop {
                tokio::select! {
                    _ = term.recv() => return Stop::Signal("SIGTERM"),
                    _ = int.recv() => return Stop::Signal("SIGINT"),
                    _ = hup.recv() => {
                        sd_notify::notify("RELOADING=1");
                        resolver.flush();
                        server.flush();
                        tracing::info!("SIGHUP: caches flushed");
                        sd_notify::notify("READY=1");
                    }
                    _ = usr1.recv() => tracing::info!(stats = ?stats.snapshot(), "counters"),
                }
            }
        };
        let Stop::Signal(sig) = server.run(control).await;
        sd_notify::notify("STOPPING=1");
        tracing::info!(signal = sig, "anchord stopped");
        ExitCode::SUCCESS
    })
}
