//! Harness shared by the root-only lab tests (`lab_real`, `mail_dane`):
//! bringing a lab script (`tests/lab/lab.sh`, `tests/maillab/maillab.sh`) up
//! once per test process in its own network namespace, skipping or failing
//! when root or a tool is missing, and tearing it down at exit — including
//! labs left behind by earlier test processes that were killed.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The binary under test: this build's, or `ANCHORD_LAB_BIN` (e.g. a
/// release build) when set.
pub fn anchord_binary() -> String {
    std::env::var("ANCHORD_LAB_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_anchord").to_string())
}

/// What a test binary's lab is.
pub struct Spec {
    /// The test binary, for the skip line (`lab_real`).
    pub test: &'static str,
    /// The lab in error messages (`lab`, `mail lab`).
    pub what: &'static str,
    /// The script, relative to the crate root.
    pub script: &'static str,
    /// Namespace prefix; the suffix is the test process id.
    pub ns_prefix: &'static str,
    /// Programs the script needs on `PATH` (or in `/usr/sbin`, `/sbin`).
    pub tools: &'static [&'static str],
    /// Extra environment for every script invocation.
    pub env: Vec<(&'static str, String)>,
}

/// A running lab: its script, network namespace and state directory.
#[derive(Clone)]
pub struct Lab {
    pub script: PathBuf,
    pub ns: String,
    pub dir: PathBuf,
    env: Vec<(&'static str, String)>,
}

impl Lab {
    /// `script cmd` for this lab (`LAB_NS`, `LAB_DIR` and the extra
    /// environment set, stdin closed).
    pub fn script_cmd(&self, cmd: &str) -> Command {
        let mut c = Command::new(&self.script);
        c.arg(cmd).env("LAB_NS", &self.ns).env("LAB_DIR", &self.dir);
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c.stdin(Stdio::null());
        c
    }

    fn down(&self) {
        let _ = self.script_cmd("down").output();
    }
}

/// The lab for the process-exit cleanup hook (statics are never dropped, so
/// the shared lab is torn down by `atexit`).
static CLEANUP: Mutex<Option<Lab>> = Mutex::new(None);

extern "C" fn cleanup_at_exit() {
    let Ok(guard) = CLEANUP.lock() else { return };
    if let Some(lab) = guard.as_ref() {
        lab.down();
    }
}

/// Tears the lab down if `up` does not get to the end (the test then panics
/// with the reason; nothing may be left running).
struct DownOnDrop<'a> {
    armed: bool,
    lab: &'a Lab,
}

impl Drop for DownOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.lab.down();
        }
    }
}

fn on_path(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|d| d.join(tool).is_file())
}

/// Why the lab cannot run here, if it cannot.
fn missing_prerequisites(tools: &[&str]) -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root".into());
    }
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if !missing.is_empty() {
        return Some(format!("missing tools: {}", missing.join(" ")));
    }
    None
}

/// Remove labs left behind by earlier test processes that were killed.
fn collect_stale_labs(ns_prefix: &str, template: &Lab) {
    let Ok(entries) = std::fs::read_dir("/var/run/netns") else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(ns_prefix) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new(&format!("/proc/{pid}")).exists() {
            Lab {
                dir: std::env::temp_dir().join(&name),
                ns: name,
                ..template.clone()
            }
            .down();
        }
    }
}

fn start_lab(spec: Spec) -> Result<Lab, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(spec.script);
    let script_name = script
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ns = format!("{}{}", spec.ns_prefix, std::process::id());
    let lab = Lab {
        dir: std::env::temp_dir().join(&ns),
        ns,
        script,
        env: spec.env,
    };
    collect_stale_labs(spec.ns_prefix, &lab);
    *CLEANUP.lock().map_err(|e| e.to_string())? = Some(lab.clone());
    // SAFETY: registering a plain extern "C" function.
    unsafe { libc::atexit(cleanup_at_exit) };
    let mut guard = DownOnDrop {
        armed: true,
        lab: &lab,
    };
    let out = lab
        .script_cmd("up")
        .output()
        .map_err(|e| format!("running {script_name}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{script_name} up failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    guard.armed = false;
    drop(guard);
    Ok(lab)
}

/// The test process's lab (brought up by the first caller), or `None` when
/// the tests should skip: not root or a tool missing, and
/// `ANCHORD_REQUIRE_LAB=1` not set. Panics when the lab is required but
/// cannot run, or when bringing it up failed.
pub fn shared(spec: impl FnOnce() -> Spec) -> Option<&'static Lab> {
    static LAB: OnceLock<Option<Result<Lab, String>>> = OnceLock::new();
    let state = LAB.get_or_init(|| {
        let spec = spec();
        let what = spec.what;
        let required = std::env::var("ANCHORD_REQUIRE_LAB").is_ok_and(|v| v == "1");
        let started = if let Some(why) = missing_prerequisites(spec.tools) {
            if !required {
                // Straight to fd 2: the test harness captures eprintln!.
                let _ = writeln!(
                    std::io::stderr(),
                    "{}: skipped ({why}; set ANCHORD_REQUIRE_LAB=1 to require)",
                    spec.test
                );
                return None;
            }
            Err(format!("ANCHORD_REQUIRE_LAB=1 but {why}"))
        } else {
            start_lab(spec)
        };
        Some(started.map_err(|e| format!("{what} unavailable: {e}")))
    });
    match state {
        None => None,
        Some(Ok(lab)) => Some(lab),
        Some(Err(e)) => panic!("{e}"),
    }
}
