//! Root hints: where iteration starts.
//!
//! The IANA `named.root` file is compiled in (`named.root`, from Debian's
//! dns-root-data). A hints file in the same format can replace it, which is
//! how labs and tests point anchord at a private root. Hints are only used
//! lazily, at the first client query (RFC 8109 priming is done then).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hickory_proto::rr::Name;

/// The compiled-in IANA root hints.
const BUILTIN: &str = include_str!("named.root");

/// One root server: its name and addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HintServer {
    pub name: Name,
    pub addrs: Vec<IpAddr>,
}

/// The set of root servers to start from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootHints {
    pub servers: Vec<HintServer>,
}

/// A hints file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum HintsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: no root server with an address")]
    Empty { path: PathBuf },
}

impl RootHints {
    /// IANA's root servers.
    pub fn builtin() -> Self {
        // The compiled-in file is tested below; should it ever fail to parse,
        // an empty set makes every query SERVFAIL with a clear log rather
        // than a panic at start-up.
        Self::parse(BUILTIN, Path::new("<builtin named.root>")).unwrap_or(RootHints {
            servers: Vec::new(),
        })
    }

    /// Hints from explicit servers (tests, labs).
    pub fn from_servers(servers: Vec<HintServer>) -> Self {
        Self { servers }
    }

    /// Reads a named.root-format file.
    pub fn from_file(path: &Path) -> Result<Self, HintsError> {
        let text = std::fs::read_to_string(path).map_err(|source| HintsError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses named.root format: `NAME [TTL] [IN] TYPE RDATA` lines with
    /// `;` comments; NS records at `.` name the servers, A/AAAA give addresses.
    pub fn parse(text: &str, path: &Path) -> Result<Self, HintsError> {
        let syntax = |line: usize, message: String| HintsError::Syntax {
            path: path.to_owned(),
            line,
            message,
        };
        let mut names: Vec<Name> = Vec::new();
        let mut addrs: Vec<(Name, IpAddr)> = Vec::new();
        for (idx, raw) in text.lines().enumerate() {
            let lineno = idx + 1;
            let line = raw.split(';').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            // Drop the optional TTL and class fields.
            let rest: Vec<&str> = fields
                .iter()
                .skip(1)
                .copied()
                .filter(|f| f.parse::<u64>().is_err() && !f.eq_ignore_ascii_case("IN"))
                .collect();
            let (Some(owner), [rtype, rdata]) = (fields.first(), rest.as_slice()) else {
                return Err(syntax(
                    lineno,
                    format!("expected `NAME [TTL] [IN] TYPE RDATA`, got `{line}`"),
                ));
            };
            let owner = Name::from_ascii(owner)
                .map_err(|e| syntax(lineno, format!("bad owner name `{owner}`: {e}")))?;
            match rtype.to_ascii_uppercase().as_str() {
                "NS" => {
                    if !owner.is_root() {
                        return Err(syntax(
                            lineno,
                            "NS records in hints must be owned by `.`".into(),
                        ));
                    }
                    let ns = Name::from_ascii(rdata)
                        .map_err(|e| syntax(lineno, format!("bad NS name `{rdata}`: {e}")))?;
                    names.push(ns);
                }
                "A" | "AAAA" => {
                    let ip = IpAddr::from_str(rdata)
                        .map_err(|e| syntax(lineno, format!("bad address `{rdata}`: {e}")))?;
                    if ip.is_ipv4() != rtype.eq_ignore_ascii_case("A") {
                        return Err(syntax(
                            lineno,
                            format!("{rtype} record with address `{rdata}`"),
                        ));
                    }
                    addrs.push((owner, ip));
                }
                other => {
                    return Err(syntax(
                        lineno,
                        format!("unexpected record type {other} in hints"),
                    ))
                }
            }
        }
        let servers: Vec<HintServer> = names
            .into_iter()
            .map(|name| {
                let a = addrs
                    .iter()
                    .filter(|(n, _)| n.eq_case(&name) || n == &name)
                    .map(|(_, ip)| *ip)
                    .collect();
                HintServer { name, addrs: a }
            })
            .filter(|s| !s.addrs.is_empty())
            .collect();
        if servers.is_empty() {
            return Err(HintsError::Empty {
                path: path.to_owned(),
            });
        }
        Ok(Self { servers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_hints_have_thirteen_dual_stack_roots() {
        let h = RootHints::builtin();
        assert_eq!(h.servers.len(), 13);
        assert!(h.servers.iter().all(|s| s.addrs.len() == 2));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = RootHints::parse(". 3600 NS ns.lab.\nns.lab. A not-an-ip\n", Path::new("h"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "h:2: bad address `not-an-ip`: invalid IP address syntax"
        );
    }
}
