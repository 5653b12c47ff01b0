//! `anchord check-config`: load and validate the configuration, print the
//! effective configuration (defaults filled in) as TOML, or the first error as
//! `file:line: message` with exit code 2.

use std::path::Path;
use std::process::ExitCode;

use crate::config;

/// Exit code for a configuration that does not load (like `named-checkconf`
/// and `unbound-checkconf`, which exit non-zero; 2 distinguishes it from a
/// generic failure).
pub const EXIT_BAD_CONFIG: u8 = 2;

/// Check the configuration at `path` (`None`: defaults only).
pub fn check_config(path: Option<&Path>) -> ExitCode {
    match config::load(path) {
        Ok(cfg) => {
            print!("{}", cfg.to_toml());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(EXIT_BAD_CONFIG)
        }
    }
}
