//! End-to-end tests against the real-parts lab (`tests/lab/lab.sh`): a
//! private DNSSEC-signed hierarchy served by NSD and Knot inside a network
//! namespace, with Unbound as the reference validating resolver.
//!
//! `unbound_*` tests prove the lab itself (Unbound must give the expected
//! answers); `anchord_*` tests run the same table against anchord and report
//! every disagreement with Unbound.
//!
//! Needs root, `ip netns` and the DNS tools (see `.ci/run`). Without them the
//! tests skip with one line on stderr, unless `ANCHORD_REQUIRE_LAB=1`, in
//! which case they fail loudly.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

mod labkit;
use labkit::{anchord_binary, Lab};

/// Reference resolver address inside the namespace (see lab.sh).
const UNBOUND: &str = "127.53.0.53";
/// Shared anchord instance used by the table-driven tests.
const ANCHORD: &str = "127.53.0.100";
/// Private instances for the tests that may kill or stress the daemon.
const ANCHORD_SIGTERM: &str = "127.53.0.101";
const ANCHORD_FUZZ: &str = "127.53.0.102";
/// anchord in forward-only mode, forwarding to Unbound (validating itself).
const ANCHORD_FORWARD: &str = "127.53.0.103";
/// A lab address outside anchord's `allow` list.
const OUTSIDE_SOURCE: &str = "10.53.0.9";

const TOOLS: &[&str] = &[
    "ip",
    "dig",
    "kdig",
    "nsd",
    "knotd",
    "unbound",
    "dnssec-keygen",
    "dnssec-signzone",
    "dnssec-dsfromkey",
    "ldns-keygen",
    "ldns-signzone",
];

// --- the expected table ----------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    Secure,
    Negative,
    Insecure,
    Bogus,
    MailAndCname,
}

struct Case {
    group: Group,
    name: &'static str,
    qtype: &'static str,
    rcode: &'static str,
    ad: bool,
    /// Also query with Knot's kdig (a second, independent client).
    kdig: bool,
    /// Set the CD bit (RFC 4035 §3.2.2: the client validates itself).
    cd: bool,
}

const fn case(
    group: Group,
    name: &'static str,
    qtype: &'static str,
    rcode: &'static str,
    ad: bool,
    kdig: bool,
) -> Case {
    Case {
        group,
        name,
        qtype,
        rcode,
        ad,
        kdig,
        cd: false,
    }
}

/// A case queried with CD=1.
const fn cd_case(
    group: Group,
    name: &'static str,
    qtype: &'static str,
    rcode: &'static str,
) -> Case {
    Case {
        group,
        name,
        qtype,
        rcode,
        ad: false,
        kdig: true,
        cd: true,
    }
}

use Group::*;

#[rustfmt::skip]
const CASES: &[Case] = &[
    // Secure positive answers, one per algorithm / signer / server.
    //   group         name                          type      rcode       AD     kdig
    case(Secure,       ".",                          "DNSKEY", "NOERROR",  true,  false),
    case(Secure,       "test.",                      "DNSKEY", "NOERROR",  true,  false),
    case(Secure,       "www.nsec8.test.",            "A",      "NOERROR",  true,  true),
    case(Secure,       "www.nsec3-13.test.",         "A",      "NOERROR",  true,  true),
    case(Secure,       "www.ed25519.test.",          "A",      "NOERROR",  true,  false),
    case(Secure,       "www.p384.test.",             "A",      "NOERROR",  true,  true),
    case(Secure,       "www.rsasha1.test.",          "A",      "NOERROR",  true,  false),
    case(Secure,       "www.optout.test.",           "A",      "NOERROR",  true,  false),
    case(Secure,       "foo.wild.nsec8.test.",       "A",      "NOERROR",  true,  false),
    case(Secure,       "foo.wild.nsec3-13.test.",    "A",      "NOERROR",  true,  true),
    case(Secure,       "nsec8.test.",                "DS",     "NOERROR",  true,  false),
    // Authenticated denial: NXDOMAIN and NODATA, NSEC and NSEC3.
    case(Negative,     "nx.",                        "A",      "NXDOMAIN", true,  false),
    case(Negative,     "nx.test.",                   "A",      "NXDOMAIN", true,  false),
    case(Negative,     "www.nx.test.",               "A",      "NXDOMAIN", true,  false),
    case(Negative,     "nx.nsec8.test.",             "A",      "NXDOMAIN", true,  true),
    case(Negative,     "www.nsec8.test.",            "TXT",    "NOERROR",  true,  false),
    case(Negative,     "nx.nsec3-13.test.",          "A",      "NXDOMAIN", true,  true),
    case(Negative,     "www.nsec3-13.test.",         "TXT",    "NOERROR",  true,  false),
    case(Negative,     "nx.rsasha1.test.",           "A",      "NXDOMAIN", true,  false),
    case(Negative,     "nx.ed25519.test.",           "A",      "NXDOMAIN", true,  false),
    case(Negative,     "nx.p384.test.",              "A",      "NXDOMAIN", true,  false),
    // NODATA for DS at an unsigned delegation, proven by NSEC3 in test.
    case(Negative,     "insecure.test.",             "DS",     "NOERROR",  true,  false),
    // Insecure: unsigned delegation, opt-out span.
    case(Insecure,     "www.insecure.test.",         "A",      "NOERROR",  false, true),
    case(Insecure,     "www.insecure.test.",         "DS",     "NOERROR",  false, false),
    case(Insecure,     "www.unsigned.optout.test.",  "A",      "NOERROR",  false, false),
    case(Insecure,     "unsigned.optout.test.",      "DS",     "NOERROR",  false, false),
    // RFC 5155 §9.2: an opt-out span cannot prove the name absent securely.
    case(Insecure,     "nx.optout.test.",            "A",      "NXDOMAIN", false, false),
    // Bogus: bad signature, expired signatures, DS matching no DNSKEY.
    case(Bogus,        "www.bogus.test.",            "A",      "SERVFAIL", false, true),
    case(Bogus,        "www.expired.test.",          "A",      "SERVFAIL", false, false),
    case(Bogus,        "expired.test.",              "SOA",    "SERVFAIL", false, false),
    case(Bogus,        "www.dsmismatch.test.",       "A",      "SERVFAIL", false, true),
    case(Bogus,        "dsmismatch.test.",           "DNSKEY", "SERVFAIL", false, false),
    // Only the A RRSIG is corrupted; the rest of bogus.test. is fine.
    case(Bogus,        "www.bogus.test.",            "AAAA",   "NOERROR",  true,  false),
    // With CD=1 the bogus data is returned, without AD (RFC 4035 §3.2.2).
    cd_case(Bogus,     "www.bogus.test.",            "A",      "NOERROR"),
    cd_case(Bogus,     "www.expired.test.",          "A",      "NOERROR"),
    // Mail records (RFC 7672 DANE for SMTP) and CNAME chains across zones.
    case(MailAndCname, "nsec8.test.",                "MX",     "NOERROR",  true,  true),
    case(MailAndCname, "mx.nsec8.test.",             "A",      "NOERROR",  true,  false),
    case(MailAndCname, "mx.nsec8.test.",             "AAAA",   "NOERROR",  true,  false),
    case(MailAndCname, "_25._tcp.mx.nsec8.test.",    "TLSA",   "NOERROR",  true,  true),
    case(MailAndCname, "cname.nsec8.test.",          "A",      "NOERROR",  true,  true),
    case(MailAndCname, "toinsecure.nsec8.test.",     "A",      "NOERROR",  false, false),
    case(MailAndCname, "tobogus.nsec8.test.",        "A",      "SERVFAIL", false, false),
    case(MailAndCname, "dangling.nsec8.test.",       "A",      "NXDOMAIN", true,  false),
];

// --- the lab ---------------------------------------------------------------

/// Fuzz floods take this exclusively so that they do not starve the
/// table-driven tests (which share it) of resolver time.
static FLOOD: RwLock<()> = RwLock::new(());

fn shared_turn() -> RwLockReadGuard<'static, ()> {
    FLOOD.read().unwrap_or_else(|e| e.into_inner())
}

fn exclusive_turn() -> RwLockWriteGuard<'static, ()> {
    FLOOD.write().unwrap_or_else(|e| e.into_inner())
}

/// The shared lab, or `None` when the tests should skip.
fn lab() -> Option<&'static Lab> {
    labkit::shared(|| labkit::Spec {
        test: "lab_real",
        what: "lab",
        script: "tests/lab/lab.sh",
        ns_prefix: "anchord-lab-t",
        tools: TOOLS,
        env: Vec::new(),
    })
}

impl Lab {
    fn exec(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns, program]);
        c.stdin(Stdio::null());
        c
    }

    /// Run `f` on a thread that has entered the lab's network namespace.
    fn in_netns<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/var/run/netns/{}", self.ns);
        std::thread::scope(|s| {
            s.spawn(|| {
                let file = std::fs::File::open(&path).unwrap();
                // SAFETY: setns on a valid namespace fd only affects this thread.
                let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
                f()
            })
            .join()
            .unwrap()
        })
    }
}

// --- anchord instances -----------------------------------------------------

struct Anchord {
    child: Child,
    log: PathBuf,
}

impl Anchord {
    fn start(lab: &Lab, addr: &str) -> Result<Anchord, String> {
        Self::start_with(lab, addr, "")
    }

    /// `upstream_extra`: more `[upstream]` lines (e.g. `forward_to`).
    fn start_with(lab: &Lab, addr: &str, upstream_extra: &str) -> Result<Anchord, String> {
        let conf = lab.dir.join(format!("anchord-{addr}.toml"));
        let log = lab.dir.join(format!("log/anchord-{addr}.log"));
        let text = format!(
            r#"[server]
listen = ["{addr}:53"]
allow = ["127.0.0.0/8"]

[upstream]
allow_localhost_targets = true
ipv6 = false
{upstream_extra}

[iterator]
root_hints = "{hints}"

[dnssec]
builtin_root_anchor = false
trust_anchor_files = ["{anchor}"]
"#,
            hints = lab.dir.join("lab.hints").display(),
            upstream_extra = upstream_extra,
            anchor = lab.dir.join("lab-anchor.ds").display(),
        );
        std::fs::write(&conf, text).map_err(|e| format!("{}: {e}", conf.display()))?;
        let logf = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let child = lab
            .exec(&anchord_binary())
            .args(["run", "--config"])
            .arg(&conf)
            .stdout(logf.try_clone().map_err(|e| e.to_string())?)
            .stderr(logf)
            .spawn()
            .map_err(|e| format!("spawning anchord: {e}"))?;
        // `ip netns exec` execs the program, so this pid is anchord; lab.sh
        // down kills it through the pid file if the test process dies.
        let _ = std::fs::write(
            lab.dir.join(format!("run/anchord-{addr}.pid")),
            child.id().to_string(),
        );
        let mut me = Anchord { child, log };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = me.child.try_wait() {
                return Err(format!(
                    "anchord exited at startup ({status}):\n{}",
                    me.log_tail()
                ));
            }
            // Any answer at all (even SERVFAIL) means it is listening.
            if query(lab, addr, ".", "SOA", How::dig(1)).is_ok() {
                return Ok(me);
            }
            if Instant::now() > deadline {
                let _ = me.child.kill();
                let _ = me.child.wait();
                return Err(format!(
                    "anchord did not answer on {addr} within 10 s:\n{}",
                    me.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Anchord {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The shared anchord for the table-driven tests (it lives until process exit,
/// when lab.sh down kills it).
fn shared_anchord(lab: &'static Lab) -> &'static str {
    static A: OnceLock<Result<Anchord, String>> = OnceLock::new();
    match A.get_or_init(|| Anchord::start(lab, ANCHORD)) {
        Ok(_) => ANCHORD,
        Err(e) => panic!("{e}"),
    }
}

// --- querying --------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Client {
    Dig,
    Kdig,
}

#[derive(Clone, Copy, Debug)]
enum Proto {
    Udp,
    Tcp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Outcome {
    rcode: String,
    ad: bool,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.rcode, if self.ad { "+AD" } else { "" })
    }
}

/// How to ask: client program, transport, CD bit, timeout.
#[derive(Clone, Copy, Debug)]
struct How {
    client: Client,
    proto: Proto,
    cd: bool,
    timeout_s: u32,
}

impl How {
    /// Plain dig over UDP.
    const fn dig(timeout_s: u32) -> How {
        How {
            client: Client::Dig,
            proto: Proto::Udp,
            cd: false,
            timeout_s,
        }
    }
}

/// Query `server` with dig or kdig (DO bit set, RD set) inside the lab.
fn query(lab: &Lab, server: &str, name: &str, qtype: &str, how: How) -> Result<Outcome, String> {
    let How {
        client,
        proto,
        cd,
        timeout_s,
    } = how;
    let at = format!("@{server}");
    let mut cmd = match client {
        Client::Dig => {
            let mut c = lab.exec("dig");
            c.args(["+dnssec", "+tries=1", &format!("+time={timeout_s}")]);
            if let Proto::Tcp = proto {
                c.arg("+tcp");
            }
            c
        }
        Client::Kdig => {
            let mut c = lab.exec("kdig");
            c.args(["+dnssec", "+retry=0", &format!("+time={timeout_s}")]);
            if let Proto::Tcp = proto {
                c.arg("+tcp");
            }
            c
        }
    };
    if cd {
        cmd.arg("+cd");
    }
    cmd.args([&at, name, qtype]);
    let out = cmd
        .output()
        .map_err(|e| format!("running {client:?}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_outcome(&text).ok_or_else(|| {
        format!(
            "no answer ({}): {}",
            out.status,
            text.lines()
                .chain(String::from_utf8_lossy(&out.stderr).lines())
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("")
        )
    })
}

/// Extract rcode and AD from dig's or kdig's header lines.
fn parse_outcome(text: &str) -> Option<Outcome> {
    let rcode = text
        .split("status: ")
        .nth(1)?
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .next()?
        .to_string();
    let flags_line = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with(";; flags:"))?;
    let flags = flags_line.get(9..)?.split(';').next()?;
    let ad = flags.split_whitespace().any(|f| f == "ad");
    Some(Outcome { rcode, ad })
}

/// One query of the table: which client and transport.
fn variants(c: &Case) -> Vec<(Client, Proto)> {
    let mut v = vec![(Client::Dig, Proto::Udp), (Client::Dig, Proto::Tcp)];
    if c.kdig {
        v.push((Client::Kdig, Proto::Udp));
        v.push((Client::Kdig, Proto::Tcp));
    }
    v
}

/// Queries in flight at once per `run_cases` call (2-core CI machines).
const PARALLEL_QUERIES: usize = 12;

type CaseResult = (String, Result<Outcome, String>, Outcome);

/// Run the cases against `server`, a few at a time; one result per
/// case/variant, in table order.
fn run_cases(lab: &Lab, server: &str, cases: &[&Case]) -> Vec<CaseResult> {
    let all: Vec<(&Case, (Client, Proto))> = cases
        .iter()
        .flat_map(|c| variants(c).into_iter().map(move |v| (*c, v)))
        .collect();
    all.chunks(PARALLEL_QUERIES)
        .flat_map(|chunk| run_chunk(lab, server, chunk))
        .collect()
}

fn run_chunk(lab: &Lab, server: &str, chunk: &[(&Case, (Client, Proto))]) -> Vec<CaseResult> {
    std::thread::scope(|s| {
        let handles: Vec<_> = chunk
            .iter()
            .map(|&(c, (client, proto))| {
                s.spawn(move || {
                    let cd = if c.cd { " +cd" } else { "" };
                    let label = format!("{} {}{cd} ({client:?}/{proto:?})", c.name, c.qtype);
                    let got = query(
                        lab,
                        server,
                        c.name,
                        c.qtype,
                        How {
                            client,
                            proto,
                            cd: c.cd,
                            timeout_s: 4,
                        },
                    );
                    let want = Outcome {
                        rcode: c.rcode.into(),
                        ad: c.ad,
                    };
                    (label, got, want)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn show(r: &Result<Outcome, String>) -> String {
    match r {
        Ok(o) => o.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

/// Run a group against anchord, report every mismatch with the expected table
/// and every disagreement with Unbound.
fn anchord_group(group: Group) {
    let Some(lab) = lab() else { return };
    let _turn = shared_turn();
    let server = shared_anchord(lab);
    let cases: Vec<&Case> = CASES.iter().filter(|c| c.group == group).collect();
    compare_with_unbound(lab, server, &cases, &format!("{group:?}"));
}

/// Runs `cases` against `server` and Unbound; fails listing every mismatch
/// with the table and every disagreement with Unbound.
fn compare_with_unbound(lab: &Lab, server: &str, cases: &[&Case], what: &str) {
    let ours = run_cases(lab, server, cases);
    let reference = run_cases(lab, UNBOUND, cases);
    let mut report = String::new();
    for ((label, got, want), (_, unbound, _)) in ours.iter().zip(&reference) {
        if got.as_ref().ok() != Some(want) {
            let _ = writeln!(report, "  {label}: anchord {}, expected {want}", show(got));
        }
        if got.as_ref().ok() != unbound.as_ref().ok() {
            let _ = writeln!(
                report,
                "  {label}: DISAGREEMENT anchord {} vs unbound {}",
                show(got),
                show(unbound)
            );
        }
    }
    assert!(report.is_empty(), "anchord {what} cases failed:\n{report}");
}

/// Forward-only mode: anchord forwards to Unbound with CD=1 and validates
/// everything itself; the whole table must come out the same.
#[test]
fn anchord_forward_only_mode_validates_the_whole_table() {
    let Some(lab) = lab() else { return };
    let _turn = shared_turn();
    let _d = Anchord::start_with(
        lab,
        ANCHORD_FORWARD,
        &format!("forward_to = [\"{UNBOUND}:53\"]"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cases: Vec<&Case> = CASES.iter().collect();
    compare_with_unbound(lab, ANCHORD_FORWARD, &cases, "forward-only");
}

// --- raw packets -----------------------------------------------------------

/// A well-formed query (RD, EDNS0 with DO) for `name`/`qtype`.
fn build_query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut p = Vec::with_capacity(64);
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        p.push(label.len() as u8);
        p.extend_from_slice(label.as_bytes());
    }
    p.push(0);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&[0, 1]);
    // OPT: root owner, type 41, size 1232, DO.
    p.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]);
    p
}

/// Deterministic xorshift64* so the fuzz corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn fuzz_packets(count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x5eed_a11c_0de5_dead);
    let base = build_query(0x1234, "www.nsec8.test.", 1);
    (0..count)
        .map(|i| match i % 6 {
            // Random bytes of random length.
            0 => (0..rng.below(600)).map(|_| rng.next() as u8).collect(),
            // A valid query cut short.
            1 => base[..rng.below(base.len())].to_vec(),
            // A valid query with a few bytes flipped.
            2 => {
                let mut p = base.clone();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(p.len());
                    p[at] ^= (rng.next() as u8) | 1;
                }
                p
            }
            // Compression pointer loops in the question name.
            3 => {
                let mut p = base[..12].to_vec();
                match rng.below(3) {
                    0 => p.extend_from_slice(&[0xc0, 0x0c]),
                    1 => p.extend_from_slice(&[0xc0, 0x0e, 0xc0, 0x0c]),
                    _ => p.extend_from_slice(&[3, b'w', b'w', b'w', 0xc0, 0x0c]),
                }
                p.extend_from_slice(&[0, 1, 0, 1]);
                p
            }
            // Valid header, random flags and section counts, short body.
            4 => {
                let mut p = base.clone();
                for b in &mut p[2..12] {
                    *b = rng.next() as u8;
                }
                p
            }
            // Random-length labels, possibly overlong names.
            _ => {
                let mut p = base[..12].to_vec();
                for _ in 0..rng.below(200) {
                    let len = rng.below(64);
                    p.push(len as u8);
                    p.extend((0..len).map(|_| b'a' + (rng.below(26) as u8)));
                }
                p.push(0);
                p.extend_from_slice(&[0, 1, 0, 1]);
                p
            }
        })
        .collect()
}

/// Send the fuzz corpus to `server` over UDP from inside the lab.
fn send_fuzz(lab: &Lab, server: &str) {
    let target: SocketAddr = format!("{server}:53").parse().unwrap();
    let packets = fuzz_packets(10_000);
    lab.in_netns(|| {
        let sock = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 1), 0)).unwrap();
        sock.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 4096];
        for (i, p) in packets.iter().enumerate() {
            let _ = sock.send_to(p, target);
            // Drain replies and pace a little so the kernel does not just
            // drop most of the corpus.
            while sock.recv_from(&mut buf).is_ok() {}
            if i % 200 == 199 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    });
}

/// Send one malformed query (valid header, question cut inside a label) and
/// return the reply's (id, QR, rcode) if any.
fn garbage_query(lab: &Lab, server: &str) -> Option<(u16, bool, u8)> {
    let target: SocketAddr = format!("{server}:53").parse().unwrap();
    lab.in_netns(|| {
        let sock = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 1), 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let packet = [
            0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 63, b'a', b'b',
        ];
        sock.send_to(&packet, target).unwrap();
        let mut buf = [0u8; 4096];
        let (n, _) = sock.recv_from(&mut buf).ok()?;
        let reply = buf.get(..n)?;
        let id = u16::from_be_bytes([*reply.first()?, *reply.get(1)?]);
        Some((id, reply.get(2)? & 0x80 != 0, reply.get(3)? & 0x0f))
    })
}

// --- Unbound: the lab itself -----------------------------------------------

#[test]
fn unbound_validates_lab() {
    let Some(lab) = lab() else { return };
    let _turn = shared_turn();
    let cases: Vec<&Case> = CASES.iter().collect();
    let mut report = String::new();
    for (label, got, want) in run_cases(lab, UNBOUND, &cases) {
        if got.as_ref().ok() != Some(&want) {
            let _ = writeln!(report, "  {label}: unbound {}, expected {want}", show(&got));
        }
    }
    assert!(
        report.is_empty(),
        "the lab is broken (Unbound disagrees with the table; logs in {}):\n{report}",
        lab.dir.display()
    );
}

#[test]
fn unbound_refuses_outside_source_and_rejects_garbage() {
    let Some(lab) = lab() else { return };
    let _turn = shared_turn();
    let out = lab
        .exec("dig")
        .args(["+tries=1", "+time=3", "-b", OUTSIDE_SOURCE])
        .arg(format!("@{UNBOUND}"))
        .args(["www.nsec8.test.", "A"])
        .output()
        .unwrap();
    let got = parse_outcome(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(got.map(|o| o.rcode).as_deref(), Some("REFUSED"));
    assert_eq!(garbage_query(lab, UNBOUND), Some((0xbeef, true, 1)));
}

// --- anchord ---------------------------------------------------------------

#[test]
fn anchord_secure_answers() {
    anchord_group(Secure);
}

#[test]
fn anchord_authenticated_denial() {
    anchord_group(Negative);
}

#[test]
fn anchord_insecure_answers() {
    anchord_group(Insecure);
}

#[test]
fn anchord_bogus_is_servfail() {
    anchord_group(Bogus);
}

#[test]
fn anchord_mail_records_and_cname_chains() {
    anchord_group(MailAndCname);
}

#[test]
fn anchord_refuses_source_outside_allow() {
    let Some(lab) = lab() else { return };
    let _turn = shared_turn();
    let server = shared_anchord(lab);
    let out = lab
        .exec("dig")
        .args(["+tries=1", "+time=3", "-b", OUTSIDE_SOURCE])
        .arg(format!("@{server}"))
        .args(["www.nsec8.test.", "A"])
        .output()
        .unwrap();
    let got = parse_outcome(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        got.map(|o| o.rcode).as_deref(),
        Some("REFUSED"),
        "query from {OUTSIDE_SOURCE} (outside allow) must be REFUSED"
    );
}

#[test]
fn anchord_formerr_for_garbage() {
    let Some(lab) = lab() else { return };
    let _turn = shared_turn();
    let server = shared_anchord(lab);
    assert_eq!(
        garbage_query(lab, server),
        Some((0xbeef, true, 1)),
        "a query whose question is cut inside a label must get FORMERR (id, QR, rcode)"
    );
}

#[test]
fn anchord_survives_fuzz() {
    let Some(lab) = lab() else { return };
    let _turn = exclusive_turn();
    let mut d = Anchord::start(lab, ANCHORD_FUZZ).unwrap_or_else(|e| panic!("{e}"));
    send_fuzz(lab, ANCHORD_FUZZ);
    assert!(
        d.child.try_wait().unwrap().is_none(),
        "anchord died during the fuzz corpus:\n{}",
        d.log_tail()
    );
    let got = answer_after_flood(lab, ANCHORD_FUZZ);
    assert_eq!(
        got,
        Ok(secure_noerror()),
        "no correct answer after the fuzz corpus:\n{}",
        d.log_tail()
    );
}

fn secure_noerror() -> Outcome {
    Outcome {
        rcode: "NOERROR".into(),
        ad: true,
    }
}

/// Ask for www.nsec8.test/A until the answer is right or 15 s have passed:
/// the server may still be working through the flood's backlog.
fn answer_after_flood(lab: &Lab, server: &str) -> Result<Outcome, String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = query(lab, server, "www.nsec8.test.", "A", How::dig(3));
        if got.as_ref().ok() == Some(&secure_noerror()) || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn unbound_survives_fuzz() {
    // Proves the fuzz harness itself against the reference resolver.
    let Some(lab) = lab() else { return };
    let _turn = exclusive_turn();
    send_fuzz(lab, UNBOUND);
    assert_eq!(answer_after_flood(lab, UNBOUND), Ok(secure_noerror()));
}

#[test]
fn anchord_exits_zero_on_sigterm() {
    let Some(lab) = lab() else { return };
    let _turn = shared_turn();
    let mut d = Anchord::start(lab, ANCHORD_SIGTERM).unwrap_or_else(|e| panic!("{e}"));
    let pid = d.child.id() as libc::pid_t;
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = d.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "anchord still running 10 s after SIGTERM:\n{}",
            d.log_tail()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "exit after SIGTERM: {status}\n{}",
        d.log_tail()
    );
}

#[test]
fn parse_outcome_reads_dig_and_kdig() {
    let dig = ";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 1\n;; flags: qr rd ra ad; QUERY: 1, ANSWER: 0\n";
    assert_eq!(
        parse_outcome(dig),
        Some(Outcome {
            rcode: "NXDOMAIN".into(),
            ad: true
        })
    );
    let kdig = ";; ->>HEADER<<- opcode: QUERY; status: SERVFAIL; id: 2\n;; Flags: qr rd ra; QUERY: 1; ANSWER: 0\n";
    assert_eq!(
        parse_outcome(kdig),
        Some(Outcome {
            rcode: "SERVFAIL".into(),
            ad: false
        })
    );
}
