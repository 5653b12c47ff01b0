//! The client access list (`server.allow`): clients outside it get REFUSED.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// Allowed client networks.
#[derive(Clone, Debug)]
pub struct Acl {
    nets: Vec<IpNet>,
}

impl Acl {
    pub fn new(nets: &[IpNet]) -> Self {
        Self {
            nets: nets.to_vec(),
        }
    }

    /// Is `client` inside one of the allowed networks? IPv4-mapped IPv6
    /// addresses (from a dual-stack socket) are checked as IPv4.
    pub fn allows(&self, client: SocketAddr) -> bool {
        let ip = match client.ip() {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            },
            v4 => v4,
        };
        self.nets.iter().any(|n| n.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_only_listed_networks() {
        let acl = Acl::new(&["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]);
        assert!(acl.allows("127.1.2.3:5".parse().unwrap()));
        assert!(acl.allows("[::1]:5".parse().unwrap()));
        assert!(acl.allows("[::ffff:127.0.0.1]:5".parse().unwrap()));
        assert!(!acl.allows("10.0.0.1:5".parse().unwrap()));
        assert!(!acl.allows("[2001:db8::1]:5".parse().unwrap()));
    }
}
