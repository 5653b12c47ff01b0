//! `anchord run`: the daemon, in the foreground.
//!
//! Start-up order: load trust anchors and root hints (errors name the
//! file), bind every listener (so a port conflict fails fast, before we
//! claim to be ready), then tell systemd READY=1. Signals: SIGTERM/SIGINT
//! stop (STOPPING=1, exit 0); SIGHUP flushes all caches (`systemctl reload`);
//! SIGUSR1 logs the counters.
//!
//! Memory: on glibc the daemon re-executes itself once at start, before it
//! reads its configuration, with its per-thread malloc caches off (see
//! [`tune_malloc`]), which keeps the resident size close to the live cache
//! data.

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

/// glibc malloc tunables for a long-running cache. Measured with
/// `benches/compare.sh` (100,000 cached validated answers, one thread):
/// VmRSS 108 MiB with the defaults, 71 MiB with these. Why: cache entries
/// are small long-lived blocks allocated in between each resolution's
/// short-lived ones; with the tcache and fastbins, freed short-lived blocks
/// are kept uncoalesced and are not reused in place, so the holes between
/// cache entries accumulate (malloc_info showed ~35 MB in free 464-byte
/// chunks). Both settings only change where freed blocks go, not
/// correctness.
const MALLOC_TUNABLES: &str = "glibc.malloc.tcache_count=0:glibc.malloc.mxfast=0";
/// Set in the re-executed daemon's environment so it does not loop; set it
/// beforehand (to anything) to keep glibc's default malloc settings.
const MALLOC_TUNED_ENV: &str = "ANCHORD_MALLOC_TUNED";

/// Re-executes the daemon with [`MALLOC_TUNABLES`] added to
/// `GLIBC_TUNABLES`. glibc reads tunables only at program start (the tcache
/// has no `mallopt`), hence the exec. Must run before any thread is started,
/// and is called before the configuration is read, so that the file is
/// parsed once, by the process that runs. Returns only if nothing was done
/// (`None`) or the exec failed (why, for [`run`] to log once logging is set
/// up; the daemon then simply runs with the default settings).
pub fn tune_malloc() -> Option<String> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os(MALLOC_TUNED_ENV).is_some() {
            return None;
        }
        let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        // The operator's own malloc settings win.
        if current.contains("tcache_count") || current.contains("mxfast") {
            return None;
        }
        let tunables = if current.is_empty() {
            MALLOC_TUNABLES.to_string()
        } else {
            format!("{current}:{MALLOC_TUNABLES}")
        };
        let mut args = std::env::args_os();
        let argv0 = args.next().unwrap_or_default();
        // execve keeps the PID, so systemd (Type=notify) and pid files see
        // the same process.
        let err = std::process::Command::new("/proc/self/exe")
            .arg0(argv0)
            .args(args)
            .env("GLIBC_TUNABLES", tunables)
            .env(MALLOC_TUNED_ENV, "1")
            .exec();
        Some(format!(
            "cannot re-execute with malloc tunables ({err}); using the defaults"
        ))
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    None
}

/// What stopped the daemon.
enum Stop {
    Signal(&'static str),
}

/// Runs the daemon. `malloc_warning`: what [`tune_malloc`] (called first,
/// before the configuration was read) could not do.
pub fn run(config: Config, malloc_warning: Option<String>) -> ExitCode {
    init_logging(&config.server.log_level);
    if let Some(warning) = malloc_warning {
        tracing::warn!("{warning}");
    }
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
                network: Arc::new(TokioNetwork::new(config.upstream.source_address)),
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
