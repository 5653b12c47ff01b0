//! The standard hierarchy most scenario tests start from.
//!
//! ```text
//! .                  a.root-servers.net, b.root-servers.net (v4 + v6)
//! ├── com., net.     a.gtld-servers.net, b.gtld-servers.net (v4 + v6)
//! │   ├── example.com.        ns1 (v4+v6), ns2 (v4)     in-bailiwick glue
//! │   │   └── sub.example.com.  ns1.sub.example.com      (multi-level)
//! │   └── example.net.        ns1, ns2.example.net
//! └── example.       ns1.nic.example (v4 + v6)
//!     ├── glueless.example.   NS ns1.example.net. only (no glue)
//!     └── v6only.example.     ns1.v6only.example, AAAA glue only
//! ```
//!
//! Server addresses are in [`addr`]; data addresses (192.0.2.0/24,
//! 2001:db8::/32) are never contacted. Tests change zones with
//! `world.edit_zone(...)` and servers with `world.set_behaviour(...)`.

use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;

use anchord::config::Config;
use anchord::resolver::hints::RootHints;
use anchord::resolver::ResolverSetup;
use hickory_proto::rr::Name;

use super::world::World;
use super::zone::Zone;

/// Server addresses of the standard world.
pub mod addr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    const fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }
    #[allow(clippy::too_many_arguments)]
    const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16) -> IpAddr {
        IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
    }

    pub const A_ROOT_V4: IpAddr = v4(198, 41, 0, 4);
    pub const A_ROOT_V6: IpAddr = v6(0x2001, 0x503, 0xba3e, 0, 0, 0, 2, 0x30);
    pub const B_ROOT_V4: IpAddr = v4(170, 247, 170, 2);
    pub const B_ROOT_V6: IpAddr = v6(0x2801, 0x1b8, 0x10, 0, 0, 0, 0, 0xb);
    pub const A_GTLD_V4: IpAddr = v4(192, 5, 6, 30);
    pub const A_GTLD_V6: IpAddr = v6(0x2001, 0x503, 0xa83e, 0, 0, 0, 2, 0x30);
    pub const B_GTLD_V4: IpAddr = v4(192, 33, 14, 30);
    pub const B_GTLD_V6: IpAddr = v6(0x2001, 0x503, 0x231d, 0, 0, 0, 2, 0x30);
    /// ns1.nic.example (the `example.` TLD).
    pub const NIC_EXAMPLE_V4: IpAddr = v4(11, 1, 0, 1);
    pub const NIC_EXAMPLE_V6: IpAddr = v6(0x2600, 0, 1, 0, 0, 0, 0, 1);
    pub const NS1_EXAMPLE_COM_V4: IpAddr = v4(11, 2, 0, 1);
    pub const NS1_EXAMPLE_COM_V6: IpAddr = v6(0x2600, 0, 2, 0, 0, 0, 0, 1);
    pub const NS2_EXAMPLE_COM_V4: IpAddr = v4(11, 2, 0, 2);
    pub const NS1_SUB_EXAMPLE_COM_V4: IpAddr = v4(11, 3, 0, 1);
    /// ns1.example.net also serves glueless.example.
    pub const NS1_EXAMPLE_NET_V4: IpAddr = v4(11, 4, 0, 1);
    pub const NS2_EXAMPLE_NET_V4: IpAddr = v4(11, 4, 0, 2);
    /// ns1.v6only.example: IPv6 only.
    pub const NS1_V6ONLY_V6: IpAddr = v6(0x2600, 0, 5, 0, 0, 0, 0, 1);

    pub const ROOTS: [IpAddr; 4] = [A_ROOT_V4, A_ROOT_V6, B_ROOT_V4, B_ROOT_V6];
    pub const GTLDS: [IpAddr; 4] = [A_GTLD_V4, A_GTLD_V6, B_GTLD_V4, B_GTLD_V6];
    pub const EXAMPLE_COM: [IpAddr; 3] =
        [NS1_EXAMPLE_COM_V4, NS1_EXAMPLE_COM_V6, NS2_EXAMPLE_COM_V4];
}

const ROOT_ZONE: &str = r#"
$TTL 86400
@                   SOA   a.root-servers.net. nstld.verisign-grs.com. 2026010100 1800 900 604800 86400
@          518400   NS    a.root-servers.net.
@          518400   NS    b.root-servers.net.
a.root-servers.net. 518400 A    198.41.0.4
a.root-servers.net. 518400 AAAA 2001:503:ba3e::2:30
b.root-servers.net. 518400 A    170.247.170.2
b.root-servers.net. 518400 AAAA 2801:1b8:10::b
com.       172800   NS    a.gtld-servers.net.
com.       172800   NS    b.gtld-servers.net.
net.       172800   NS    a.gtld-servers.net.
net.       172800   NS    b.gtld-servers.net.
a.gtld-servers.net. 172800 A    192.5.6.30
a.gtld-servers.net. 172800 AAAA 2001:503:a83e::2:30
b.gtld-servers.net. 172800 A    192.33.14.30
b.gtld-servers.net. 172800 AAAA 2001:503:231d::2:30
example.   172800   NS    ns1.nic.example.
ns1.nic.example. 172800 A    11.1.0.1
ns1.nic.example. 172800 AAAA 2600:0:1::1
"#;

const COM_ZONE: &str = r#"
$TTL 172800
@            900 SOA  a.gtld-servers.net. nstld.verisign-grs.com. 1767225600 1800 900 604800 900
@                NS   a.gtld-servers.net.
@                NS   b.gtld-servers.net.
example          NS   ns1.example.com.
example          NS   ns2.example.com.
ns1.example      A    11.2.0.1
ns1.example      AAAA 2600:0:2::1
ns2.example      A    11.2.0.2
"#;

const NET_ZONE: &str = r#"
$TTL 172800
@            900 SOA  a.gtld-servers.net. nstld.verisign-grs.com. 1767225600 1800 900 604800 900
@                NS   a.gtld-servers.net.
@                NS   b.gtld-servers.net.
a.gtld-servers   A    192.5.6.30
a.gtld-servers   AAAA 2001:503:a83e::2:30
b.gtld-servers   A    192.33.14.30
b.gtld-servers   AAAA 2001:503:231d::2:30
a.root-servers   A    198.41.0.4
a.root-servers   AAAA 2001:503:ba3e::2:30
b.root-servers   A    170.247.170.2
b.root-servers   AAAA 2801:1b8:10::b
example          NS   ns1.example.net.
example          NS   ns2.example.net.
ns1.example      A    11.4.0.1
ns2.example      A    11.4.0.2
"#;

const EXAMPLE_TLD_ZONE: &str = r#"
$TTL 86400
@            SOA  ns1.nic hostmaster.nic 1 1800 900 604800 600
@            NS   ns1.nic
ns1.nic      A    11.1.0.1
ns1.nic      AAAA 2600:0:1::1
glueless     NS   ns1.example.net.
v6only       NS   ns1.v6only
ns1.v6only   AAAA 2600:0:5::1
"#;

/// `example.com.`: the zone most scenarios query.
pub const EXAMPLE_COM_ZONE: &str = r#"
$TTL 3600
@            SOA   ns1 hostmaster 2026010101 7200 3600 1209600 300
@            NS    ns1
@            NS    ns2
@            MX    10 mail
ns1          A     11.2.0.1
ns1          AAAA  2600:0:2::1
ns2          A     11.2.0.2
www      300 A     192.0.2.10
www      300 AAAA  2001:db8::10
mail         A     192.0.2.25
_25._tcp.mail TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
txt          TXT   "v=spf1 -all" "second string"
alias        CNAME www
chain        CNAME alias
external     CNAME www.example.net.
dangling     CNAME nowhere
loop1        CNAME loop2
loop2        CNAME loop1
*.wild       A     192.0.2.99
*.wild       MX    10 mail
a.b.c        A     192.0.2.7
old          DNAME example.net.
_sip._udp    SRV   10 60 5060 sip
sip          A     192.0.2.60
sub          NS    ns1.sub
ns1.sub      A     11.3.0.1
"#;

const SUB_EXAMPLE_COM_ZONE: &str = r#"
$TTL 3600
@            SOA   ns1 hostmaster 1 7200 3600 1209600 300
@            NS    ns1
ns1          A     11.3.0.1
host         A     192.0.2.30
"#;

const EXAMPLE_NET_ZONE: &str = r#"
$TTL 3600
@            SOA   ns1 hostmaster 1 7200 3600 1209600 300
@            NS    ns1
@            NS    ns2
ns1          A     11.4.0.1
ns2          A     11.4.0.2
www          A     192.0.2.20
"#;

const GLUELESS_ZONE: &str = r#"
$TTL 3600
@            SOA   ns1.example.net. hostmaster 1 7200 3600 1209600 300
@            NS    ns1.example.net.
www          A     192.0.2.40
"#;

const V6ONLY_ZONE: &str = r#"
$TTL 3600
@            SOA   ns1 hostmaster 1 7200 3600 1209600 300
@            NS    ns1
ns1          AAAA  2600:0:5::1
www          A     192.0.2.50
"#;

/// The standard world: a [`World`] populated as in the module docs.
#[derive(Clone, Debug)]
pub struct StdWorld {
    pub world: Arc<World>,
}

impl Deref for StdWorld {
    type Target = Arc<World>;
    fn deref(&self) -> &Arc<World> {
        &self.world
    }
}

impl Default for StdWorld {
    fn default() -> Self {
        Self::new()
    }
}

impl StdWorld {
    pub fn new() -> Self {
        use addr::*;
        let world = World::new();
        let server = |name: &str, addrs: &[IpAddr]| world.add_server(name, addrs);
        server("a.root-servers.net.", &[A_ROOT_V4, A_ROOT_V6]);
        server("b.root-servers.net.", &[B_ROOT_V4, B_ROOT_V6]);
        server("a.gtld-servers.net.", &[A_GTLD_V4, A_GTLD_V6]);
        server("b.gtld-servers.net.", &[B_GTLD_V4, B_GTLD_V6]);
        server("ns1.nic.example.", &[NIC_EXAMPLE_V4, NIC_EXAMPLE_V6]);
        server(
            "ns1.example.com.",
            &[NS1_EXAMPLE_COM_V4, NS1_EXAMPLE_COM_V6],
        );
        server("ns2.example.com.", &[NS2_EXAMPLE_COM_V4]);
        server("ns1.sub.example.com.", &[NS1_SUB_EXAMPLE_COM_V4]);
        server("ns1.example.net.", &[NS1_EXAMPLE_NET_V4]);
        server("ns2.example.net.", &[NS2_EXAMPLE_NET_V4]);
        server("ns1.v6only.example.", &[NS1_V6ONLY_V6]);

        world.serve(Zone::parse(".", ROOT_ZONE), &ROOTS);
        world.serve(Zone::parse("com.", COM_ZONE), &GTLDS);
        world.serve(Zone::parse("net.", NET_ZONE), &GTLDS);
        world.serve(
            Zone::parse("example.", EXAMPLE_TLD_ZONE),
            &[NIC_EXAMPLE_V4, NIC_EXAMPLE_V6],
        );
        world.serve(Zone::parse("example.com.", EXAMPLE_COM_ZONE), &EXAMPLE_COM);
        world.serve(
            Zone::parse("sub.example.com.", SUB_EXAMPLE_COM_ZONE),
            &[NS1_SUB_EXAMPLE_COM_V4],
        );
        world.serve(
            Zone::parse("example.net.", EXAMPLE_NET_ZONE),
            &[NS1_EXAMPLE_NET_V4, NS2_EXAMPLE_NET_V4],
        );
        world.serve(
            Zone::parse("glueless.example.", GLUELESS_ZONE),
            &[NS1_EXAMPLE_NET_V4],
        );
        world.serve(
            Zone::parse("v6only.example.", V6ONLY_ZONE),
            &[NS1_V6ONLY_V6],
        );

        let name = |s: &str| Name::from_ascii(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        world.set_root_servers(vec![
            (name("a.root-servers.net."), vec![A_ROOT_V4, A_ROOT_V6]),
            (name("b.root-servers.net."), vec![B_ROOT_V4, B_ROOT_V6]),
        ]);
        Self { world }
    }

    /// Root hints for the resolver.
    pub fn hints(&self) -> RootHints {
        self.world.root_hints()
    }

    /// A resolver setup on this world's network and clock.
    pub fn setup(&self, config: Config) -> ResolverSetup {
        ResolverSetup {
            config,
            network: self.world.network(),
            clock: self.world.clock(),
            root_hints: self.hints(),
        }
    }

    /// As [`StdWorld::setup`], on the network where exchanges overlap in
    /// virtual time: drive the resolver with `World::run`.
    pub fn setup_overlapping(&self, config: Config) -> ResolverSetup {
        ResolverSetup {
            config,
            network: self.world.overlapping_network(),
            clock: self.world.clock(),
            root_hints: self.hints(),
        }
    }
}
