//! Configuration: TOML, every default embedded so `anchord run` works with no
//! file. Errors name the file, the line and the key (`file:line: message`).
//!
//! [`load`] reads and parses the file, then [`Config::validate`] checks the
//! values that parse but make no sense (see the configuration reference in README.md).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub upstream: UpstreamConfig,
    pub iterator: IteratorConfig,
    pub cache: CacheConfig,
    pub dnssec: DnssecConfig,
    pub limits: LimitsConfig,
}

/// `[server]`: the client-facing side.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Addresses to listen on, UDP and TCP.
    pub listen: Vec<SocketAddr>,
    /// Client networks allowed to query (CIDR); others get REFUSED.
    pub allow: Vec<ipnet::IpNet>,
    /// tracing filter, overridden by `RUST_LOG`.
    pub log_level: String,
    /// Worker threads; 0 = number of cores.
    pub threads: usize,
    /// Maximum simultaneous TCP connections.
    pub tcp_max_connections: usize,
    /// Idle timeout of a client TCP connection, in milliseconds.
    pub tcp_idle_timeout_ms: u64,
    /// Our EDNS UDP payload size advertised to clients.
    pub edns_udp_size: u16,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: vec![
                SocketAddr::from(([127, 0, 0, 1], 53)),
                SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 53)),
            ],
            allow: vec![
                ipnet::IpNet::V4(ipnet::Ipv4Net::new_assert(
                    std::net::Ipv4Addr::new(127, 0, 0, 0),
                    8,
                )),
                ipnet::IpNet::V6(ipnet::Ipv6Net::new_assert(
                    std::net::Ipv6Addr::LOCALHOST,
                    128,
                )),
            ],
            log_level: "info".into(),
            threads: 0,
            tcp_max_connections: 256,
            tcp_idle_timeout_ms: 10_000,
            edns_udp_size: 1232,
        }
    }
}

/// `[upstream]`: how we talk to authoritative servers.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamConfig {
    pub ipv4: bool,
    pub ipv6: bool,
    pub source_address: Option<std::net::IpAddr>,
    /// Like Unbound's `do-not-query-localhost: no`. Applies only to addresses
    /// learned from the network, never to root hints or forwarders.
    pub allow_localhost_targets: bool,
    /// Forward-only mode: send RD=1 queries to these resolvers.
    pub forward_to: Vec<SocketAddr>,
    /// Per-client-query deadline in milliseconds (under glibc's 5 s retry).
    pub query_deadline_ms: u64,
    /// Initial retransmit timeout for a server with no RTT history.
    pub initial_timeout_ms: u64,
    /// Our EDNS UDP payload size towards servers (RFC 9715 / DNS flag day 2020).
    pub edns_udp_size: u16,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            ipv4: true,
            ipv6: true,
            source_address: None,
            allow_localhost_targets: false,
            forward_to: Vec::new(),
            query_deadline_ms: 3_500,
            initial_timeout_ms: 400,
            edns_udp_size: 1232,
        }
    }
}

/// `[iterator]`: iterative resolution.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IteratorConfig {
    /// Root hints file (named.root format); default: IANA's, compiled in.
    pub root_hints: Option<PathBuf>,
    pub qname_minimisation: bool,
    pub harden_glue: bool,
}

impl Default for IteratorConfig {
    fn default() -> Self {
        Self {
            root_hints: None,
            qname_minimisation: true,
            harden_glue: true,
        }
    }
}

/// `[cache]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Maximum number of cached entries (answers and RRsets, each); large
    /// entries count once per 512 bytes (`cache::weight`).
    pub size: usize,
    pub min_ttl: u32,
    pub max_ttl: u32,
    pub max_negative_ttl: u32,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            size: 200_000,
            min_ttl: 0,
            max_ttl: 86_400,
            max_negative_ttl: 3_600,
        }
    }
}

/// `[dnssec]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DnssecConfig {
    /// Use the compiled-in IANA root anchors (KSK-2017, KSK-2024).
    pub builtin_root_anchor: bool,
    /// DS or DNSKEY records in presentation format, like Unbound's
    /// `trust-anchor-file`.
    pub trust_anchor_files: Vec<PathBuf>,
    /// RFC 7646 negative trust anchors: these subtrees are treated as insecure.
    pub negative_trust_anchors: Vec<String>,
    /// RFC 9276: NSEC3 iterations above this make the answer insecure.
    pub nsec3_max_iterations: u16,
    /// RFC 9520: how long a bogus result is cached, in seconds.
    pub bogus_ttl: u32,
    /// RFC 8198 aggressive use of the validated NSEC/NSEC3 cache.
    pub aggressive_nsec: bool,
}

impl Default for DnssecConfig {
    fn default() -> Self {
        Self {
            builtin_root_anchor: true,
            trust_anchor_files: Vec::new(),
            negative_trust_anchors: Vec::new(),
            nsec3_max_iterations: 50,
            bogus_ttl: 60,
            aggressive_nsec: true,
        }
    }
}

/// `[limits]`: the per-client-query budget (see `resolver::budget`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Upstream queries sent for one client query (Unbound max-sent-count 32,
    /// PowerDNS max-qperq 50).
    pub max_upstream_queries: u32,
    /// Referrals followed (delegation depth).
    pub max_referrals: u32,
    /// CNAME/DNAME steps (Unbound max-query-restarts 11).
    pub max_cname_steps: u32,
    /// Glueless NS name lookups (NXNS, CVE-2020-12662; Unbound MAX_TARGET_COUNT 64).
    pub max_glueless_lookups: u32,
    /// Signature verification cost units (1 unit = one RSA-2048 verify).
    pub max_crypto_cost: u32,
    /// NSEC3 hash computations (each counts its iterations + 1).
    pub max_nsec3_hashes: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_upstream_queries: 48,
            max_referrals: 30,
            max_cname_steps: 11,
            max_glueless_lookups: 8,
            max_crypto_cost: 2_000,
            max_nsec3_hashes: 2_000,
        }
    }
}

/// Why a configuration could not be loaded. Displayed as `file:line: message`
/// (or `file: message` when no line could be found).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Syntax, unknown key, wrong type or bad value (reported by the TOML parser).
    #[error("{}: {message}", location(.file, *.line))]
    Parse {
        file: String,
        line: Option<usize>,
        message: String,
    },
    /// The file parses but a value is unusable.
    #[error("{}: {message}", location(.file, *.line))]
    Invalid {
        file: String,
        line: Option<usize>,
        message: String,
    },
}

fn location(file: &str, line: Option<usize>) -> String {
    match line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    }
}

/// More worker threads than this is certainly a typo (0 = one per core).
pub const MAX_THREADS: usize = 1024;
/// RFC 9276 §3.2: validators may treat more iterations as insecure; more
/// than 2500 is beyond anything RFC 5155 §10.3 ever allowed (4096-bit keys).
pub const MAX_NSEC3_ITERATIONS: u16 = 2500;
/// RFC 6891 §6.2.5: values below 512 are treated as 512; we refuse them instead.
pub const MIN_EDNS_UDP_SIZE: u16 = 512;

/// Load the configuration: `None` gives all defaults; relative paths inside
/// the file are kept as given (they resolve against the working directory).
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        file: file.clone(),
        source,
    })?;
    parse_str(&text, &file)
}

/// Parse and validate configuration text; `file` is only used in messages.
pub fn parse_str(text: &str, file: &str) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
        file: file.to_string(),
        line: e.span().map(|s| line_of_offset(text, s.start)),
        message: e.message().trim_end().to_string(),
    })?;
    if let Err((section, key, message)) = config.validate() {
        return Err(ConfigError::Invalid {
            file: file.to_string(),
            line: find_key_line(text, section, key),
            message,
        });
    }
    Ok(config)
}

/// 1-based line number of a byte offset (clamped to the text).
fn line_of_offset(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text
        .as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

/// Best effort: the line of `key = ...` inside `[section]` (or written as
/// `section.key = ...` at the top level). None when the key is not in the
/// text (e.g. a semantic error between a set key and a default).
fn find_key_line(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix('[') {
            // `[section]` or `[[array]]`; a trailing comment may follow.
            current = rest
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            continue;
        }
        let Some((lhs, _)) = line.split_once('=') else {
            continue;
        };
        let lhs: Vec<&str> = lhs.split('.').map(|p| p.trim().trim_matches('"')).collect();
        let full: Vec<&str> = current
            .split('.')
            .map(|p| p.trim().trim_matches('"'))
            .filter(|p| !p.is_empty())
            .chain(lhs.iter().copied())
            .collect();
        if full == [section, key] {
            return Some(i + 1);
        }
    }
    None
}

impl Config {
    /// Semantic checks after parsing. On error: (section, key, message).
    pub fn validate(&self) -> Result<(), (&'static str, &'static str, String)> {
        let s = &self.server;
        if s.listen.is_empty() {
            return Err((
                "server",
                "listen",
                "server.listen is empty: anchord would not answer anyone".into(),
            ));
        }
        if s.threads > MAX_THREADS {
            return Err((
                "server",
                "threads",
                format!(
                    "server.threads = {} is absurd (at most {MAX_THREADS}; 0 = one per core)",
                    s.threads
                ),
            ));
        }
        if s.tcp_max_connections == 0 {
            return Err((
                "server",
                "tcp_max_connections",
                "server.tcp_max_connections must be at least 1".into(),
            ));
        }
        if s.edns_udp_size < MIN_EDNS_UDP_SIZE {
            return Err((
                "server",
                "edns_udp_size",
                format!(
                    "server.edns_udp_size = {} is below {MIN_EDNS_UDP_SIZE} (RFC 6891 §6.2.5)",
                    s.edns_udp_size
                ),
            ));
        }
        let u = &self.upstream;
        if u.edns_udp_size < MIN_EDNS_UDP_SIZE {
            return Err((
                "upstream",
                "edns_udp_size",
                format!(
                    "upstream.edns_udp_size = {} is below {MIN_EDNS_UDP_SIZE} (RFC 6891 §6.2.5)",
                    u.edns_udp_size
                ),
            ));
        }
        if !u.ipv4 && !u.ipv6 && u.forward_to.is_empty() {
            return Err((
                "upstream",
                "ipv4",
                "upstream.ipv4 and upstream.ipv6 are both false: no way to reach any server".into(),
            ));
        }
        if let Some(bad) = u.forward_to.iter().find(|a| a.port() == 0) {
            return Err((
                "upstream",
                "forward_to",
                format!("upstream.forward_to: {bad} has port 0"),
            ));
        }
        if u.query_deadline_ms == 0 || u.initial_timeout_ms == 0 {
            let key = if u.query_deadline_ms == 0 {
                "query_deadline_ms"
            } else {
                "initial_timeout_ms"
            };
            return Err(("upstream", key, format!("upstream.{key} must be above 0")));
        }
        let c = &self.cache;
        if c.max_ttl < c.min_ttl {
            return Err((
                "cache",
                "max_ttl",
                format!(
                    "cache.max_ttl = {} is below cache.min_ttl = {}",
                    c.max_ttl, c.min_ttl
                ),
            ));
        }
        let d = &self.dnssec;
        if d.nsec3_max_iterations > MAX_NSEC3_ITERATIONS {
            return Err((
                "dnssec",
                "nsec3_max_iterations",
                format!(
                    "dnssec.nsec3_max_iterations = {} is above {MAX_NSEC3_ITERATIONS} (RFC 9276 recommends 0-150)",
                    d.nsec3_max_iterations
                ),
            ));
        }
        if let Some(f) = d.trust_anchor_files.iter().find(|f| !f.is_file()) {
            return Err((
                "dnssec",
                "trust_anchor_files",
                format!(
                    "dnssec.trust_anchor_files: {} does not exist or is not a file",
                    f.display()
                ),
            ));
        }
        if !d.builtin_root_anchor && d.trust_anchor_files.is_empty() {
            return Err((
                "dnssec",
                "builtin_root_anchor",
                "dnssec.builtin_root_anchor = false and no trust_anchor_files: nothing could validate".into(),
            ));
        }
        if let Some(bad) = d.negative_trust_anchors.iter().find(|n| !is_domain_name(n)) {
            return Err((
                "dnssec",
                "negative_trust_anchors",
                format!("dnssec.negative_trust_anchors: {bad:?} is not a valid domain name"),
            ));
        }
        Ok(())
    }

    /// The effective configuration as TOML (for `anchord check-config`).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# cannot print configuration: {e}\n"))
    }
}

/// A domain name in presentation format: labels of 1-63 octets, at most 255
/// octets on the wire (RFC 1035 §2.3.4); `.` (the root) is allowed.
fn is_domain_name(name: &str) -> bool {
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains("..") {
        return false;
    }
    if name != "." && name.starts_with('.') {
        return false;
    }
    hickory_proto::rr::Name::from_ascii(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_str(text, "anchord.toml").unwrap_err().to_string()
    }

    #[test]
    fn no_file_gives_defaults() {
        assert_eq!(load(None).unwrap(), Config::default());
        assert_eq!(parse_str("", "x.toml").unwrap(), Config::default());
    }

    #[test]
    fn defaults_are_valid() {
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn unknown_key_names_line() {
        let e = err("# comment\n[server]\nlisen = [\"127.0.0.1:53\"]\n");
        assert_eq!(
            e,
            "anchord.toml:3: unknown field `lisen`, expected one of `listen`, `allow`, `log_level`, \
             `threads`, `tcp_max_connections`, `tcp_idle_timeout_ms`, `edns_udp_size`"
        );
    }

    #[test]
    fn unknown_section() {
        let e = err("[server]\nthreads = 2\n[sever]\n");
        assert!(
            e.starts_with("anchord.toml:3: unknown field `sever`"),
            "{e}"
        );
    }

    #[test]
    fn bad_address() {
        let e = err("[server]\n\nlisten = [\"127.0.0.1\"]\n");
        assert_eq!(e, "anchord.toml:3: invalid socket address syntax");
    }

    #[test]
    fn bad_cidr() {
        let e = err("[server]\nallow = [\"10.0.0.0/33\"]\n");
        assert_eq!(e, "anchord.toml:2: invalid IP address syntax");
    }

    #[test]
    fn wrong_type() {
        let e = err("[cache]\nsize = \"big\"\n");
        assert_eq!(
            e,
            "anchord.toml:2: invalid type: string \"big\", expected usize"
        );
        let e = err("[upstream]\nipv6 = 1\n");
        assert_eq!(
            e,
            "anchord.toml:2: invalid type: integer `1`, expected a boolean"
        );
    }

    #[test]
    fn syntax_error() {
        let e = err("[server]\nthreads = \n");
        assert!(e.starts_with("anchord.toml:2: "), "{e}");
    }

    #[test]
    fn max_ttl_below_min_ttl() {
        let e = err("[cache]\nmin_ttl = 600\nmax_ttl = 300\n");
        assert_eq!(
            e,
            "anchord.toml:3: cache.max_ttl = 300 is below cache.min_ttl = 600"
        );
        // max_ttl left at its default: the line cannot be found.
        let e = err("[cache]\nmin_ttl = 100000\n");
        assert_eq!(
            e,
            "anchord.toml: cache.max_ttl = 86400 is below cache.min_ttl = 100000"
        );
    }

    #[test]
    fn empty_listen() {
        let e = err("[server]\nlisten = []\n");
        assert_eq!(
            e,
            "anchord.toml:2: server.listen is empty: anchord would not answer anyone"
        );
    }

    #[test]
    fn dotted_key_is_found() {
        let e = err("server.listen = []\n");
        assert!(
            e.starts_with("anchord.toml:1: server.listen is empty"),
            "{e}"
        );
    }

    #[test]
    fn absurd_threads() {
        let e = err("[server]\nthreads = 100000\n");
        assert_eq!(
            e,
            "anchord.toml:2: server.threads = 100000 is absurd (at most 1024; 0 = one per core)"
        );
    }

    #[test]
    fn nsec3_iterations() {
        let e = err("[dnssec]\nnsec3_max_iterations = 3000\n");
        assert_eq!(
            e,
            "anchord.toml:2: dnssec.nsec3_max_iterations = 3000 is above 2500 (RFC 9276 recommends 0-150)"
        );
    }

    #[test]
    fn small_edns_sizes() {
        let e = err("[server]\nedns_udp_size = 511\n");
        assert_eq!(
            e,
            "anchord.toml:2: server.edns_udp_size = 511 is below 512 (RFC 6891 §6.2.5)"
        );
        let e = err("[server]\nedns_udp_size = 1232\n[upstream]\nedns_udp_size = 100\n");
        assert_eq!(
            e,
            "anchord.toml:4: upstream.edns_udp_size = 100 is below 512 (RFC 6891 §6.2.5)"
        );
    }

    #[test]
    fn forward_to_port_zero() {
        let e = err("[upstream]\nforward_to = [\"192.0.2.1:53\", \"192.0.2.2:0\"]\n");
        assert_eq!(
            e,
            "anchord.toml:2: upstream.forward_to: 192.0.2.2:0 has port 0"
        );
    }

    #[test]
    fn missing_trust_anchor_file() {
        let e = err("[dnssec]\ntrust_anchor_files = [\"/nonexistent/anchord/root.key\"]\n");
        assert_eq!(
            e,
            "anchord.toml:2: dnssec.trust_anchor_files: /nonexistent/anchord/root.key does not exist or is not a file"
        );
    }

    #[test]
    fn bad_negative_trust_anchor() {
        let e = err("[dnssec]\nnegative_trust_anchors = [\"ok.example\", \"bad..example\"]\n");
        assert_eq!(
            e,
            "anchord.toml:2: dnssec.negative_trust_anchors: \"bad..example\" is not a valid domain name"
        );
        let long = format!(
            "[dnssec]\nnegative_trust_anchors = [\"{}.example\"]\n",
            "a".repeat(64)
        );
        assert!(err(&long).contains("is not a valid domain name"));
        assert!(parse_str(
            "[dnssec]\nnegative_trust_anchors = [\"example.com.\", \".\"]\n",
            "x"
        )
        .is_ok());
    }

    #[test]
    fn load_reads_file_and_names_it() {
        let dir = std::env::temp_dir().join(format!("anchord-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("anchord.toml");
        std::fs::write(&path, "[server]\nthreads = 4\n").unwrap();
        assert_eq!(load(Some(&path)).unwrap().server.threads, 4);
        std::fs::write(&path, "[server]\nthreads = -1\n").unwrap();
        let e = load(Some(&path)).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:2: ", path.display())), "{e}");
        let missing = dir.join("missing.toml");
        let e = load(Some(&missing)).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: cannot read: ", missing.display())),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn to_toml_round_trips() {
        let mut c = Config::default();
        c.upstream.forward_to = vec!["192.0.2.1:53".parse().unwrap()];
        c.upstream.source_address = Some("192.0.2.9".parse().unwrap());
        c.dnssec.negative_trust_anchors = vec!["broken.example.".into()];
        let text = c.to_toml();
        assert_eq!(parse_str(&text, "x").unwrap(), c);
        assert_eq!(
            parse_str(&Config::default().to_toml(), "x").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn reference_documents_every_key_and_its_example_parses() {
        let readme = include_str!("../README.md");
        let doc = readme.split("## Configuration reference").nth(1).unwrap();
        let example = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        parse_str(example, "README.md").unwrap();
        let mut section = String::new();
        for line in Config::default().to_toml().lines() {
            if let Some(s) = line.strip_prefix('[') {
                section = s.trim_end_matches(']').to_string();
                assert!(doc.contains(&format!("### `[{section}]`")), "{section}");
            } else if let Some((key, _)) = line.split_once(" = ") {
                assert!(doc.contains(&format!("| `{key}` |")), "{section}.{key}");
            }
        }
        // Options (None by default) are not printed: check them by name.
        for key in ["source_address", "root_hints"] {
            assert!(doc.contains(&format!("| `{key}` |")), "{key}");
        }
    }
}
