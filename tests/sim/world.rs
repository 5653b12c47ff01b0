//! The simulated world: authoritative servers addressed by IP, reachable
//! through [`SimNetwork`] (an `anchord::resolver::network::Network`), on a
//! shared `VirtualClock`. Each exchange charges the server's RTT (or the
//! whole timeout) to the clock, and is recorded in a query log so tests can
//! check what the resolver asked whom.
//!
//! Two networks share the world. [`World::network`] answers at once and
//! moves the clock on by each exchange's time, so exchanges never overlap
//! (concurrent branches run one after the other). [`World::overlapping_network`]
//! lets exchanges overlap: each one waits until the clock reaches its send
//! time plus its RTT (or timeout), and [`World::run`] drives the resolver's
//! future, moving the clock to the next exchange due whenever every branch
//! is waiting. With it, queries sent concurrently show the same `sent_at`.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use anchord::clock::{Clock, VirtualClock};
use anchord::resolver::hints::{HintServer, RootHints};
use anchord::resolver::matching::response_matches;
use anchord::resolver::network::{BoxFuture, NetError, Network, SharedNetwork, Transport};
use hickory_proto::op::Message;
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::authority::{self, Behaviour, QueryInfo};
use super::zone::Zone;

/// Default virtual round-trip time of a server.
pub const DEFAULT_RTT: Duration = Duration::from_millis(20);
/// The address spoofed datagrams pretend to come from.
pub const SPOOF_SOURCE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(6, 6, 6, 6));
/// The address spoofed answers point to.
pub const POISON_ADDR: std::net::Ipv4Addr = std::net::Ipv4Addr::new(6, 6, 6, 6);

/// One query as it reached the world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedQuery {
    pub server: SocketAddr,
    /// QNAME as sent, with its case (0x20 randomisation shows here).
    pub qname: Name,
    pub qtype: RecordType,
    pub transport: Transport,
    pub edns: bool,
    pub do_bit: bool,
    pub rd: bool,
    /// False when the address family was off (NetError::Unreachable).
    pub reached: bool,
    /// Virtual monotonic time at which it was sent.
    pub sent_at: Duration,
}

/// Per-address server state.
#[derive(Clone, Debug)]
struct Server {
    name: Name,
    zones: Vec<Arc<Zone>>,
    behaviour: Behaviour,
    rtt: Duration,
    queries: usize,
}

#[derive(Debug)]
struct State {
    servers: HashMap<IpAddr, Server>,
    ipv4: bool,
    ipv6: bool,
    log: Vec<LoggedQuery>,
    rejected: usize,
    root_servers: Vec<(Name, Vec<IpAddr>)>,
    /// When the exchanges in flight on the overlapping network are due
    /// (registered again by each one still waiting when polled).
    due: Vec<Duration>,
}

/// The simulated internet. Share it as `Arc<World>`.
#[derive(Debug)]
pub struct World {
    clock: Arc<VirtualClock>,
    state: Mutex<State>,
}

/// Virtual wall-clock start time used by [`World::new`]: 2026-01-01T00:00Z.
pub const DEFAULT_START: u64 = 1_767_225_600;

impl World {
    /// An empty world whose clock starts at [`DEFAULT_START`].
    pub fn new() -> Arc<Self> {
        Self::with_clock(Arc::new(VirtualClock::new(DEFAULT_START)))
    }

    /// An empty world on the given clock.
    pub fn with_clock(clock: Arc<VirtualClock>) -> Arc<Self> {
        Arc::new(Self {
            clock,
            state: Mutex::new(State {
                servers: HashMap::new(),
                ipv4: true,
                ipv6: true,
                log: Vec::new(),
                rejected: 0,
                root_servers: Vec::new(),
                due: Vec::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock already failed.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn clock(&self) -> Arc<VirtualClock> {
        self.clock.clone()
    }

    /// The `Network` to give the resolver.
    pub fn network(self: &Arc<Self>) -> SharedNetwork {
        Arc::new(SimNetwork {
            world: self.clone(),
        })
    }

    /// A `Network` whose exchanges overlap in virtual time. A resolution on
    /// it must be driven by [`World::run`], not by an async runtime: its
    /// exchanges are woken by the clock, which only `run` moves.
    pub fn overlapping_network(self: &Arc<Self>) -> SharedNetwork {
        Arc::new(OverlappingNetwork {
            world: self.clone(),
        })
    }

    /// Runs `fut` to completion on virtual time. Whenever it is waiting and
    /// nothing woke it, the clock moves to the earliest exchange due on the
    /// overlapping network. Panics if it waits with no exchange in flight:
    /// the resolution is deadlocked.
    pub fn run<F: Future>(&self, fut: F) -> F::Output {
        let mut fut = std::pin::pin!(fut);
        let woken = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                return out;
            }
            if woken.0.swap(false, Ordering::SeqCst) {
                continue;
            }
            let next = std::mem::take(&mut self.lock().due).into_iter().min();
            let Some(due) = next else {
                panic!("resolution waits with no exchange in flight: deadlock");
            };
            self.clock
                .advance(due.saturating_sub(self.clock.monotonic()));
        }
    }

    /// Declares a server named `name` at `addrs` (no zones yet). Existing
    /// addresses keep their zones.
    pub fn add_server(&self, name: &str, addrs: &[IpAddr]) {
        let name = Name::from_ascii(name).unwrap_or_else(|e| panic!("server name {name}: {e}"));
        let mut st = self.lock();
        for ip in addrs {
            st.servers
                .entry(*ip)
                .or_insert_with(|| Server {
                    name: name.clone(),
                    zones: Vec::new(),
                    behaviour: Behaviour::Normal,
                    rtt: DEFAULT_RTT,
                    queries: 0,
                })
                .name = name.clone();
        }
    }

    /// Makes every server at `addrs` authoritative for `zone` (replacing a
    /// zone with the same origin there). Unknown addresses become servers.
    pub fn serve(&self, zone: Zone, addrs: &[IpAddr]) {
        let zone = Arc::new(zone);
        let mut st = self.lock();
        for ip in addrs {
            let s = st.servers.entry(*ip).or_insert_with(|| Server {
                name: Name::root(),
                zones: Vec::new(),
                behaviour: Behaviour::Normal,
                rtt: DEFAULT_RTT,
                queries: 0,
            });
            s.zones.retain(|z| z.origin() != zone.origin());
            s.zones.push(zone.clone());
        }
    }

    /// Replaces the zone with the same origin on every server hosting it.
    pub fn replace_zone(&self, zone: Zone) {
        let zone = Arc::new(zone);
        let mut st = self.lock();
        for s in st.servers.values_mut() {
            for z in s.zones.iter_mut() {
                if z.origin() == zone.origin() {
                    *z = zone.clone();
                }
            }
        }
    }

    /// A copy of the zone `origin` as served somewhere, to modify and pass
    /// back to [`World::replace_zone`].
    pub fn zone(&self, origin: &str) -> Option<Zone> {
        let origin = Name::from_ascii(origin).ok()?;
        let st = self.lock();
        st.servers
            .values()
            .flat_map(|s| s.zones.iter())
            .find(|z| z.origin() == &origin)
            .map(|z| Zone::clone(z))
    }

    /// Edits the zone `origin` in place on every server hosting it.
    pub fn edit_zone(&self, origin: &str, edit: impl FnOnce(&mut Zone)) {
        let mut z = self
            .zone(origin)
            .unwrap_or_else(|| panic!("no server hosts zone {origin}"));
        edit(&mut z);
        self.replace_zone(z);
    }

    /// Panics for an address with no server: a typo must not make a test
    /// silently pass.
    pub fn set_behaviour(&self, ip: IpAddr, behaviour: Behaviour) {
        match self.lock().servers.get_mut(&ip) {
            Some(s) => s.behaviour = behaviour,
            None => panic!("set_behaviour: no server at {ip}"),
        }
    }

    /// Sets the behaviour of every address of the server named `name`.
    pub fn set_behaviour_by_name(&self, name: &str, behaviour: Behaviour) {
        let Ok(name) = Name::from_ascii(name) else {
            return;
        };
        for s in self.lock().servers.values_mut() {
            if s.name == name {
                s.behaviour = behaviour;
            }
        }
    }

    pub fn behaviour(&self, ip: IpAddr) -> Option<Behaviour> {
        self.lock().servers.get(&ip).map(|s| s.behaviour)
    }

    /// Panics for an address with no server (see `set_behaviour`).
    pub fn set_rtt(&self, ip: IpAddr, rtt: Duration) {
        match self.lock().servers.get_mut(&ip) {
            Some(s) => s.rtt = rtt,
            None => panic!("set_rtt: no server at {ip}"),
        }
    }

    pub fn set_ipv4_reachable(&self, on: bool) {
        self.lock().ipv4 = on;
    }

    pub fn set_ipv6_reachable(&self, on: bool) {
        self.lock().ipv6 = on;
    }

    /// Root servers (for upward referrals and [`World::root_hints`]).
    pub fn set_root_servers(&self, servers: Vec<(Name, Vec<IpAddr>)>) {
        self.lock().root_servers = servers;
    }

    /// Root hints pointing at the world's root servers.
    pub fn root_hints(&self) -> RootHints {
        RootHints::from_servers(
            self.lock()
                .root_servers
                .iter()
                .map(|(name, addrs)| HintServer {
                    name: name.clone(),
                    addrs: addrs.clone(),
                })
                .collect(),
        )
    }

    /// Every exchange attempted so far, in order.
    pub fn queries(&self) -> Vec<LoggedQuery> {
        self.lock().log.clone()
    }

    /// Empties the query log and the per-server counters.
    pub fn clear_log(&self) {
        let mut st = self.lock();
        st.log.clear();
        st.rejected = 0;
        for s in st.servers.values_mut() {
            s.queries = 0;
        }
    }

    /// Queries that reached `ip` since the last `clear_log`.
    pub fn query_count(&self, ip: IpAddr) -> usize {
        self.lock().servers.get(&ip).map_or(0, |s| s.queries)
    }

    /// Queries that reached any server since the last `clear_log`.
    pub fn total_queries(&self) -> usize {
        self.lock().servers.values().map(|s| s.queries).sum()
    }

    /// Spoofed/non-matching datagrams the network discarded.
    pub fn rejected_datagrams(&self) -> usize {
        self.lock().rejected
    }

    /// One exchange, synchronously (the `Network` impl wraps this): the
    /// clock moves on by the exchange's time.
    pub fn exchange_sync(
        &self,
        server: SocketAddr,
        transport: Transport,
        query: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, NetError> {
        let (result, took) = self.exchange_outcome(server, transport, query, timeout);
        self.clock.advance(took);
        result
    }

    /// One exchange as sent now: its result and how long it takes (RTT,
    /// timeout, or both for a spoofed answer that never comes right). The
    /// clock is not moved.
    fn exchange_outcome(
        &self,
        server: SocketAddr,
        transport: Transport,
        query: &[u8],
        timeout: Duration,
    ) -> (Result<Vec<u8>, NetError>, Duration) {
        let parsed = Message::from_vec(query).ok();
        let info = parsed.as_ref().and_then(QueryInfo::from_message);
        let ip = server.ip();
        let sent_at = self.clock.monotonic();
        let (behaviour, zones, rtt, roots) = {
            let mut st = self.lock();
            let reached = if ip.is_ipv4() { st.ipv4 } else { st.ipv6 };
            if let Some(i) = &info {
                st.log.push(LoggedQuery {
                    server,
                    qname: i.qname.clone(),
                    qtype: i.qtype,
                    transport,
                    edns: i.edns,
                    do_bit: i.do_bit,
                    rd: i.rd,
                    reached,
                    sent_at,
                });
            }
            if !reached {
                let e = NetError::Unreachable(format!(
                    "{} disabled in the simulated world",
                    if ip.is_ipv4() { "IPv4" } else { "IPv6" }
                ));
                return (Err(e), Duration::ZERO);
            }
            let roots = st.root_servers.clone();
            let Some(s) = st.servers.get_mut(&ip) else {
                return (Err(NetError::Timeout), timeout);
            };
            s.queries += 1;
            (s.behaviour, s.zones.clone(), s.rtt, roots)
        };
        // A server that cannot parse the query has nothing to answer to.
        let (Some(msg), Some(info)) = (parsed, info) else {
            return (Err(NetError::Timeout), timeout);
        };
        if rtt > timeout {
            return (Err(NetError::Timeout), timeout);
        }
        let Some(resp) = authority::respond(&zones, &msg, behaviour, &roots) else {
            return (Err(NetError::Timeout), timeout);
        };
        let udp_limit = (transport == Transport::Udp).then_some(info.udp_size);
        let real = if behaviour == Behaviour::AlwaysTruncate && transport == Transport::Udp {
            authority::truncated(&resp)
        } else {
            authority::encode(&resp, udp_limit)
        };
        let datagrams = if behaviour == Behaviour::Spoof {
            spoofs(&resp, &info, ip)
                .into_iter()
                .chain(std::iter::once((ip, real)))
                .collect()
        } else {
            vec![(ip, real)]
        };
        // The same acceptance rule as the real transport: right source,
        // same ID, same question (RFC 5452 §9.1).
        for (src, bytes) in datagrams {
            if src == ip && response_matches(query, &bytes) {
                return (Ok(bytes), rtt);
            }
            self.lock().rejected += 1;
        }
        (Err(NetError::Timeout), rtt + timeout)
    }
}

/// Three forged datagrams carrying a poisoned answer (`qname A 6.6.6.6`):
/// wrong ID, wrong question, wrong source address.
fn spoofs(resp: &Message, info: &QueryInfo, real_src: IpAddr) -> Vec<(IpAddr, Vec<u8>)> {
    let mut forged = resp.clone();
    forged.metadata.authoritative = true;
    forged.metadata.response_code = hickory_proto::op::ResponseCode::NoError;
    forged.answers = vec![Record::from_rdata(
        info.qname.clone(),
        86_400,
        RData::A(A(POISON_ADDR)),
    )];
    forged.authorities.clear();
    forged.additionals.clear();
    let mut wrong_id = forged.clone();
    wrong_id.metadata.id = info.id.wrapping_add(1);
    let mut wrong_q = forged.clone();
    if let Some(q) = wrong_q.queries.first_mut() {
        let other = q
            .name()
            .prepend_label("spoof")
            .unwrap_or_else(|_| Name::root());
        q.set_name(other);
    }
    let enc = |m: &Message| m.to_vec().unwrap_or_default();
    vec![
        (real_src, enc(&wrong_id)),
        (real_src, enc(&wrong_q)),
        (SPOOF_SOURCE, enc(&forged)),
    ]
}

/// The `Network` implementation over a [`World`].
#[derive(Clone, Debug)]
pub struct SimNetwork {
    world: Arc<World>,
}

impl SimNetwork {
    pub fn new(world: Arc<World>) -> Self {
        Self { world }
    }
}

impl Network for SimNetwork {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        transport: Transport,
        query: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<u8>, NetError>> {
        Box::pin(async move { self.world.exchange_sync(server, transport, query, timeout) })
    }
}

/// The `Network` on which exchanges overlap in virtual time (see
/// [`World::overlapping_network`]).
#[derive(Clone, Debug)]
pub struct OverlappingNetwork {
    world: Arc<World>,
}

impl Network for OverlappingNetwork {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        transport: Transport,
        query: &'a [u8],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<u8>, NetError>> {
        Box::pin(async move {
            let (result, took) = self
                .world
                .exchange_outcome(server, transport, query, timeout);
            let due = self.world.clock.monotonic() + took;
            Due {
                world: &self.world,
                due,
            }
            .await;
            result
        })
    }
}

/// Ready once the virtual clock reaches `due`.
struct Due<'a> {
    world: &'a World,
    due: Duration,
}

impl Future for Due<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.world.clock.monotonic() >= self.due {
            return Poll::Ready(());
        }
        // No waker is kept: `World::run` polls again after moving the clock.
        self.world.lock().due.push(self.due);
        Poll::Pending
    }
}

/// A waker that only records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}
