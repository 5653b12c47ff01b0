//! Configuration: TOML, every default embedded so `anchord run` works with no
//! file. Errors name the file, the line and the key.
//!
//! (Skeleton: the structure is final; loading with `file:line` errors and
//! validation is filled in by the config work.)

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Loads `path` (all defaults when `None`).
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text.get(..s.start).unwrap_or("").matches('\n').count() + 1)
            .unwrap_or(0);
        ConfigError::Invalid {
            path: path.to_owned(),
            line,
            message: e.message().to_string(),
        }
    })
}

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
    /// Maximum number of cached entries (answers and RRsets, each).
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
