//! `anchord doctor`: check the host the way a mail admin needs it for DANE:
//! stub resolver pointed at anchord only, `trust-ad`, Postfix's chroot copy of
//! resolv.conf, Postfix's DNSSEC/DANE settings, anchord actually setting AD,
//! a sane clock, and no systemd-resolved stub in the way.
//!
//! Every file path is taken under `--root` and the `postconf` command goes
//! through [`CommandRunner`], so the checks run against fake roots in tests.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};

/// Arguments of `anchord doctor`.
#[derive(clap::Args, Debug, Clone)]
pub struct DoctorArgs {
    /// Root of the file system to inspect (for containers and tests).
    #[arg(long, default_value = "/")]
    pub root: PathBuf,
    /// The local resolver to query, `IP` or `IP:PORT` (default:
    /// 127.0.0.1:53, where anchord listens). Only the local resolver is
    /// asked: whatever else resolv.conf lists is reported, never queried.
    #[arg(long)]
    pub server: Option<String>,
    /// The `postconf` program to ask for Postfix settings.
    #[arg(long, default_value = "postconf")]
    pub postconf: PathBuf,
}

/// Outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One check's result, with a fix hint unless it is OK.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub message: String,
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, message: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Ok,
            message: message.into(),
            fix: None,
        }
    }
    fn warn(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Warn,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
    fn fail(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Fail,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Runs external commands (only `postconf` today); faked in tests.
pub trait CommandRunner {
    /// Run `program args`, returning its stdout if it exited successfully.
    fn stdout(&self, program: &Path, args: &[String]) -> io::Result<String>;
}

/// The real thing: `std::process::Command`.
pub struct SystemRunner;

impl CommandRunner for SystemRunner {
    fn stdout(&self, program: &Path, args: &[String]) -> io::Result<String> {
        let out = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(io::Error::other(format!("{}: {err}", out.status)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// What the checks depend on besides the arguments.
pub struct Env<'a> {
    pub runner: &'a dyn CommandRunner,
    /// Wall-clock time, seconds since the epoch.
    pub now_unix: u64,
    /// How long to wait for the resolver's answer.
    pub timeout: Duration,
}

/// Run `anchord doctor`: print every check; exit 1 if any FAILed.
pub fn run(args: &DoctorArgs) -> ExitCode {
    let now_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let env = Env {
        runner: &SystemRunner,
        now_unix,
        timeout: Duration::from_secs(2),
    };
    let checks = run_checks(args, &env);
    for c in &checks {
        let tag = match c.status {
            Status::Ok => "OK  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        println!("{tag} {}: {}", c.name, c.message);
        if let Some(fix) = &c.fix {
            println!("     fix: {fix}");
        }
    }
    if checks.iter().any(|c| c.status == Status::Fail) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// All checks, in the order they are printed.
pub fn run_checks(args: &DoctorArgs, env: &Env<'_>) -> Vec<Check> {
    let root = &args.root;
    let resolv_path = root.join("etc/resolv.conf");
    let resolv = std::fs::read_to_string(&resolv_path).ok();
    let parsed = resolv.as_deref().map(ResolvConf::parse);
    let mut checks = vec![
        check_nameservers(parsed.as_ref()),
        check_trust_ad(parsed.as_ref()),
        check_resolved_stub(root, parsed.as_ref()),
        check_postfix_chroot(root, resolv.as_deref()),
    ];
    checks.extend(check_postconf(args, env.runner));
    let server = match &args.server {
        Some(s) => parse_server(s),
        None => Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, 53))),
    };
    checks.push(match server {
        Ok(addr) => check_ad(addr, env.timeout),
        Err(msg) => Check::fail("resolver sets AD", msg, "give --server IP or IP:PORT"),
    });
    checks.push(check_clock(env.now_unix));
    checks
}

/// The parts of resolv.conf(5) we look at.
#[derive(Debug, Default)]
struct ResolvConf {
    nameservers: Vec<IpAddr>,
    /// `nameserver` values that are not IP addresses.
    bad: Vec<String>,
    options: Vec<String>,
}

impl ResolvConf {
    fn parse(text: &str) -> Self {
        let mut r = ResolvConf::default();
        for line in text.lines() {
            // resolv.conf(5): `#` or `;` in the first column starts a comment.
            let line = line.split(['#', ';']).next().unwrap_or("");
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    if let Some(v) = words.next() {
                        // An IPv6 zone (`fe80::1%eth0`) is not part of the address.
                        match v.split('%').next().unwrap_or(v).parse() {
                            Ok(ip) => r.nameservers.push(ip),
                            Err(_) => r.bad.push(v.to_string()),
                        }
                    }
                }
                Some("options") => r.options.extend(words.map(str::to_string)),
                _ => {}
            }
        }
        r
    }
}

const LOOPBACKS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];

fn check_nameservers(r: Option<&ResolvConf>) -> Check {
    const NAME: &str = "resolv.conf nameservers";
    let Some(r) = r else {
        return Check::fail(
            NAME,
            "cannot read /etc/resolv.conf",
            "create /etc/resolv.conf with `nameserver 127.0.0.1` and `options trust-ad`",
        );
    };
    if r.nameservers.is_empty() && r.bad.is_empty() {
        return Check::warn(
            NAME,
            "no nameserver line (glibc then uses 127.0.0.1, but other stubs may not)",
            "add `nameserver 127.0.0.1`",
        );
    }
    let others: Vec<String> = r
        .nameservers
        .iter()
        .filter(|ip| !LOOPBACKS.contains(ip))
        .map(ToString::to_string)
        .chain(r.bad.iter().cloned())
        .collect();
    if others.is_empty() {
        Check::ok(NAME, "only 127.0.0.1 / ::1")
    } else {
        // glibc moves on to the next nameserver on SERVFAIL, so a second,
        // non-validating resolver would hand out exactly the bogus answers
        // anchord refused.
        Check::fail(
            NAME,
            format!("other nameservers listed: {}", others.join(", ")),
            "list only `nameserver 127.0.0.1` (and `nameserver ::1`): the stub falls back to \
             the others on SERVFAIL, defeating validation",
        )
    }
}

fn check_trust_ad(r: Option<&ResolvConf>) -> Check {
    const NAME: &str = "resolv.conf trust-ad";
    match r {
        Some(r) if r.options.iter().any(|o| o == "trust-ad") => {
            Check::ok(NAME, "`options trust-ad` present")
        }
        // glibc ≥ 2.31 clears AD in answers unless trust-ad is set, so Exim
        // (and anything using res_search) never sees validated data.
        _ => Check::warn(
            NAME,
            "`options trust-ad` missing: glibc ≥ 2.31 strips the AD bit, so Exim and other \
             libc-resolver users see no DNSSEC-validated answers (no DANE)",
            "add the line `options trust-ad` to /etc/resolv.conf",
        ),
    }
}

fn check_resolved_stub(root: &Path, r: Option<&ResolvConf>) -> Check {
    const NAME: &str = "systemd-resolved stub";
    const FIX: &str = "set DNSStubListener=no in /etc/systemd/resolved.conf (or disable \
                       systemd-resolved), restart it, and make /etc/resolv.conf a plain file";
    let stub = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 53));
    if let Ok(target) = std::fs::read_link(root.join("etc/resolv.conf")) {
        if target.to_string_lossy().contains("systemd/resolve") {
            return Check::fail(
                NAME,
                format!(
                    "/etc/resolv.conf is a symlink to {} (managed by systemd-resolved)",
                    target.display()
                ),
                FIX,
            );
        }
    }
    if r.is_some_and(|r| r.nameservers.contains(&stub)) {
        return Check::fail(
            NAME,
            "/etc/resolv.conf points to 127.0.0.53 (systemd-resolved's stub)",
            FIX,
        );
    }
    for table in ["proc/net/udp", "proc/net/tcp"] {
        if let Ok(text) = std::fs::read_to_string(root.join(table)) {
            // /proc/net/{udp,tcp}: local address as host-order hex IPv4 and port.
            // 127.0.0.53 is 3500007F on little-endian, 7F000035 on big-endian.
            let held = text.lines().skip(1).any(|l| {
                l.split_whitespace()
                    .nth(1)
                    .is_some_and(|a| a == "3500007F:0035" || a == "7F000035:0035")
            });
            if held {
                return Check::fail(
                    NAME,
                    format!("something listens on 127.0.0.53:53 ({table})"),
                    FIX,
                );
            }
        }
    }
    Check::ok(NAME, "not in the way")
}

/// Postfix's smtp(8) client runs chrooted under /var/spool/postfix when the
/// master.cf chroot column is `y`; it then reads the copy of resolv.conf there.
fn check_postfix_chroot(root: &Path, resolv: Option<&str>) -> Check {
    const NAME: &str = "postfix chroot resolv.conf";
    let Ok(master) = std::fs::read_to_string(root.join("etc/postfix/master.cf")) else {
        return Check::ok(
            NAME,
            "no /etc/postfix/master.cf: Postfix not installed, skipped",
        );
    };
    // master.cf(5): `-` means the built-in default: y before Postfix 3.0 and
    // still y in Debian's packaging, n upstream since 3.0.
    let debian = root.join("etc/debian_version").exists();
    let chrooted = master.lines().any(|l| {
        if l.starts_with(char::is_whitespace) || l.starts_with('#') {
            return false;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        matches!(
            (f.get(1), f.get(4), f.get(7)),
            (Some(&"unix"), Some(chroot), Some(&"smtp")) if *chroot == "y" || (*chroot == "-" && debian)
        )
    });
    if !chrooted {
        return Check::ok(NAME, "smtp client not chrooted: uses /etc/resolv.conf");
    }
    const FIX: &str = "cp /etc/resolv.conf /var/spool/postfix/etc/resolv.conf \
                       (Debian's postfix service copies it on restart: systemctl restart postfix)";
    match std::fs::read_to_string(root.join("var/spool/postfix/etc/resolv.conf")) {
        Err(_) => Check::fail(
            NAME,
            "smtp client is chrooted but /var/spool/postfix/etc/resolv.conf is missing",
            FIX,
        ),
        Ok(copy) if Some(copy.as_str()) == resolv => {
            Check::ok(NAME, "chroot copy matches /etc/resolv.conf")
        }
        Ok(_) => Check::fail(
            NAME,
            "/var/spool/postfix/etc/resolv.conf differs from /etc/resolv.conf: the chrooted \
             smtp client uses the old one",
            FIX,
        ),
    }
}

fn check_postconf(args: &DoctorArgs, runner: &dyn CommandRunner) -> Vec<Check> {
    let mut argv = Vec::new();
    if args.root != Path::new("/") {
        argv.push("-c".to_string());
        argv.push(args.root.join("etc/postfix").display().to_string());
    }
    argv.extend(["-h", "smtp_dns_support_level", "smtp_tls_security_level"].map(String::from));
    let out = match runner.stdout(&args.postconf, &argv) {
        Ok(o) => o,
        Err(e) => {
            return vec![Check::warn(
                "postfix settings",
                format!("cannot run {}: {e}", args.postconf.display()),
                "if Postfix is the MTA, install it or give --postconf PATH; otherwise ignore",
            )]
        }
    };
    let mut lines = out.lines().map(str::trim);
    let dns = lines.next().unwrap_or("");
    let tls = lines.next().unwrap_or("");
    let dns_check = if dns == "dnssec" {
        Check::ok("postfix smtp_dns_support_level", "dnssec")
    } else {
        let what = match dns {
            "" => "empty (the default): Postfix does not ask for DNSSEC, so DANE is off",
            "disabled" => "disabled: no DNS lookups at all",
            "enabled" => "enabled: DNS without DNSSEC, so DANE is off",
            _ => "an unknown value",
        };
        Check::warn(
            "postfix smtp_dns_support_level",
            format!("{dns:?} is {what}"),
            "postconf -e smtp_dns_support_level=dnssec (DANE needs it: without it `dane` \
             downgrades to `may`)",
        )
    };
    let tls_check = match tls {
        "dane" | "dane-only" => Check::ok("postfix smtp_tls_security_level", tls.to_string()),
        _ => {
            let what = match tls {
                "" | "none" => "no TLS at all by default",
                "may" => "opportunistic TLS without authentication (no DANE)",
                "encrypt" => "mandatory TLS without authentication (no DANE)",
                "verify" | "secure" | "fingerprint" => {
                    "mandatory TLS checked by PKI/fingerprint, not DANE"
                }
                _ => "an unknown value",
            };
            Check::warn(
                "postfix smtp_tls_security_level",
                format!("{tls:?}: {what}"),
                "postconf -e smtp_tls_security_level=dane (opportunistic DANE, RFC 7672)",
            )
        }
    };
    vec![dns_check, tls_check]
}

/// `IP` (port 53) or `IP:PORT` / `[IPv6]:PORT`.
fn parse_server(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    s.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("--server {s:?} is not IP or IP:PORT"))
}

/// Ask `. NS` with DO=1 (RFC 3225) and expect AD=1 (RFC 4035 §3.2.3): the
/// root zone is signed, so a validating resolver always sets it.
fn check_ad(server: SocketAddr, timeout: Duration) -> Check {
    const NAME: &str = "resolver sets AD";
    const FIX: &str = "start anchord (systemctl start anchord) and check `anchord check-config`; \
                       if another resolver answers, stop it";
    match query_root_ns(server, timeout) {
        Err(e) => Check::fail(NAME, format!("{server}: {e}"), FIX),
        Ok(resp) if resp.metadata.response_code != ResponseCode::NoError => Check::fail(
            NAME,
            format!("{server} answered {}", resp.metadata.response_code),
            FIX,
        ),
        Ok(resp) if resp.metadata.authentic_data => {
            Check::ok(NAME, format!("{server} answered `. NS` with AD=1"))
        }
        Ok(_) => Check::fail(
            NAME,
            format!("{server} answered `. NS` without AD: it does not validate"),
            FIX,
        ),
    }
}

fn query_root_ns(server: SocketAddr, timeout: Duration) -> Result<Message, String> {
    let mut q = Message::query();
    q.metadata.recursion_desired = true;
    q.add_query(Query::query(Name::root(), RecordType::NS));
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    edns.set_max_payload(1232);
    q.set_edns(edns);
    let wire = q.to_vec().map_err(|e| format!("cannot build query: {e}"))?;
    let bind: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = UdpSocket::bind(bind).map_err(|e| format!("socket: {e}"))?;
    sock.connect(server).map_err(|e| format!("connect: {e}"))?;
    sock.send(&wire).map_err(|e| format!("send: {e}"))?;
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    // Bounded: a few stray datagrams at most, then the deadline ends it.
    for _ in 0..16 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        sock.set_read_timeout(Some(left))
            .map_err(|e| format!("socket: {e}"))?;
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break
            }
            Err(e) => return Err(format!("no answer: {e}")),
        };
        let Ok(resp) = Message::from_vec(buf.get(..n).unwrap_or(&[])) else {
            continue;
        };
        if resp.metadata.id == q.metadata.id && resp.metadata.message_type == MessageType::Response
        {
            return Ok(resp);
        }
    }
    Err(format!("no answer within {} ms", timeout.as_millis()))
}

/// RRSIG validity (RFC 4034 §3.1.5) is checked against the wall clock; a clock
/// years off makes everything bogus (or expired signatures valid).
fn check_clock(now_unix: u64) -> Check {
    const NAME: &str = "system clock";
    const Y2025: u64 = 1_735_689_600; // 2025-01-01T00:00:00Z
    const Y2100: u64 = 4_102_444_800; // 2100-01-01T00:00:00Z
    if (Y2025..Y2100).contains(&now_unix) {
        Check::ok(NAME, format!("{now_unix} s since 1970 looks sane"))
    } else {
        Check::fail(
            NAME,
            format!("{now_unix} s since 1970 is not between 2025 and 2100: DNSSEC signatures will not validate"),
            "set the clock (timedatectl set-ntp true, or chrony/ntpd)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::OpCode;
    use std::cell::RefCell;

    struct FakeRunner {
        out: Option<&'static str>,
        seen: RefCell<Vec<String>>,
    }

    impl CommandRunner for FakeRunner {
        fn stdout(&self, _program: &Path, args: &[String]) -> io::Result<String> {
            *self.seen.borrow_mut() = args.to_vec();
            self.out
                .map(String::from)
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not found"))
        }
    }

    fn fake_root(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("anchord-doctor-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["etc/postfix", "var/spool/postfix/etc", "proc/net"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        dir
    }

    /// A one-shot fake resolver on loopback answering with AD = `ad`.
    fn fake_resolver(ad: bool) -> (SocketAddr, std::thread::JoinHandle<()>) {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = sock.local_addr().unwrap();
        let h = std::thread::spawn(move || {
            sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = [0u8; 1500];
            let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                return;
            };
            let q = Message::from_vec(&buf[..n]).unwrap();
            assert!(q.edns.as_ref().unwrap().flags().dnssec_ok);
            let mut r = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
            r.metadata.recursion_available = true;
            r.metadata.authentic_data = ad;
            r.queries = q.queries.clone();
            sock.send_to(&r.to_vec().unwrap(), peer).unwrap();
        });
        (addr, h)
    }

    const NOW: u64 = 1_790_000_000; // 2026

    /// Runs every check on the fake `root`, asking `server`, with `postconf`
    /// printing `out`; also returns the arguments postconf was given.
    fn checks_on(
        root: &Path,
        server: String,
        out: Option<&'static str>,
        now_unix: u64,
        timeout: Duration,
    ) -> (Vec<Check>, Vec<String>) {
        let runner = FakeRunner {
            out,
            seen: RefCell::new(vec![]),
        };
        let args = DoctorArgs {
            root: root.to_path_buf(),
            server: Some(server),
            postconf: "postconf".into(),
        };
        let env = Env {
            runner: &runner,
            now_unix,
            timeout,
        };
        let checks = run_checks(&args, &env);
        (checks, runner.seen.into_inner())
    }

    fn by_name<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn good_setup_is_all_ok() {
        let root = fake_root("good");
        let resolv = "# by hand\nnameserver 127.0.0.1\nnameserver ::1\noptions edns0 trust-ad\n";
        std::fs::write(root.join("etc/resolv.conf"), resolv).unwrap();
        std::fs::write(root.join("var/spool/postfix/etc/resolv.conf"), resolv).unwrap();
        std::fs::write(root.join("etc/debian_version"), "12.8\n").unwrap();
        std::fs::write(
            root.join("etc/postfix/master.cf"),
            "# service type private unpriv chroot wakeup maxproc command\n\
             smtp      inet  n       -       y       -       -       smtpd\n\
             smtp      unix  -       -       -       -       -       smtp\n\
             \x20 -o syslog_name=postfix/smtp\n",
        )
        .unwrap();
        std::fs::write(
            root.join("proc/net/udp"),
            "  sl  local_address rem_address   st\n   0: 0100007F:0035 00000000:0000 07\n",
        )
        .unwrap();
        let (addr, h) = fake_resolver(true);
        let (checks, seen) = checks_on(
            &root,
            addr.to_string(),
            Some("dnssec\ndane\n"),
            NOW,
            Duration::from_secs(2),
        );
        h.join().unwrap();
        for c in &checks {
            assert_eq!(c.status, Status::Ok, "{c:?}");
        }
        assert_eq!(checks.len(), 8);
        assert_eq!(
            by_name(&checks, "postfix chroot resolv.conf").message,
            "chroot copy matches /etc/resolv.conf"
        );
        // postconf is pointed at the fake root's configuration.
        assert_eq!(seen[0], "-c");
        assert_eq!(seen[1], root.join("etc/postfix").display().to_string());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn bad_setup_fails_everywhere() {
        let root = fake_root("bad");
        std::fs::create_dir_all(root.join("run/systemd/resolve")).unwrap();
        std::fs::write(
            root.join("run/systemd/resolve/stub-resolv.conf"),
            "nameserver 127.0.0.53\nnameserver 192.0.2.1\noptions edns0\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(
            root.join("run/systemd/resolve/stub-resolv.conf"),
            root.join("etc/resolv.conf"),
        )
        .unwrap();
        std::fs::write(root.join("etc/debian_version"), "12.8\n").unwrap();
        std::fs::write(
            root.join("etc/postfix/master.cf"),
            "smtp      unix  -       -       -       -       -       smtp\n",
        )
        .unwrap();
        let (addr, h) = fake_resolver(false);
        let (checks, _) = checks_on(
            &root,
            addr.to_string(),
            Some("enabled\nmay\n"),
            946_684_800, // 2000
            Duration::from_secs(2),
        );
        h.join().unwrap();
        let st = |n: &str| by_name(&checks, n).status;
        assert_eq!(st("resolv.conf nameservers"), Status::Fail);
        assert!(by_name(&checks, "resolv.conf nameservers")
            .message
            .contains("127.0.0.53, 192.0.2.1"));
        assert_eq!(st("resolv.conf trust-ad"), Status::Warn);
        assert_eq!(st("systemd-resolved stub"), Status::Fail);
        assert!(by_name(&checks, "systemd-resolved stub")
            .message
            .contains("symlink"));
        assert_eq!(st("postfix chroot resolv.conf"), Status::Fail);
        assert!(by_name(&checks, "postfix chroot resolv.conf")
            .message
            .contains("missing"));
        assert_eq!(st("postfix smtp_dns_support_level"), Status::Warn);
        assert_eq!(
            by_name(&checks, "postfix smtp_dns_support_level").message,
            "\"enabled\" is enabled: DNS without DNSSEC, so DANE is off"
        );
        assert_eq!(st("postfix smtp_tls_security_level"), Status::Warn);
        assert_eq!(st("resolver sets AD"), Status::Fail);
        assert!(by_name(&checks, "resolver sets AD")
            .message
            .contains("without AD"));
        assert_eq!(st("system clock"), Status::Fail);
        for c in &checks {
            assert_eq!(c.fix.is_some(), c.status != Status::Ok, "{c:?}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn stale_chroot_copy_and_port_held_and_no_postconf() {
        let root = fake_root("stale");
        std::fs::write(
            root.join("etc/resolv.conf"),
            "nameserver 127.0.0.1\noptions trust-ad\n",
        )
        .unwrap();
        std::fs::write(
            root.join("var/spool/postfix/etc/resolv.conf"),
            "nameserver 8.8.8.8\n",
        )
        .unwrap();
        std::fs::write(
            root.join("etc/postfix/master.cf"),
            "smtp      unix  -       -       y       -       -       smtp\n",
        )
        .unwrap();
        std::fs::write(
            root.join("proc/net/udp"),
            "  sl  local_address rem_address   st\n   0: 3500007F:0035 00000000:0000 07\n",
        )
        .unwrap();
        // A resolver that never answers: timeout.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (checks, _) = checks_on(
            &root,
            silent.local_addr().unwrap().to_string(),
            None,
            NOW,
            Duration::from_millis(100),
        );
        let st = |n: &str| by_name(&checks, n).status;
        assert_eq!(st("resolv.conf nameservers"), Status::Ok);
        assert_eq!(st("resolv.conf trust-ad"), Status::Ok);
        assert_eq!(st("systemd-resolved stub"), Status::Fail);
        assert!(by_name(&checks, "postfix chroot resolv.conf")
            .message
            .contains("differs"));
        assert_eq!(st("postfix settings"), Status::Warn);
        assert!(by_name(&checks, "resolver sets AD")
            .message
            .contains("no answer within 100 ms"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn chroot_dash_is_n_outside_debian_and_missing_files() {
        let root = fake_root("plain");
        std::fs::write(
            root.join("etc/postfix/master.cf"),
            "smtp      unix  -       -       -       -       -       smtp\n",
        )
        .unwrap();
        let c = check_postfix_chroot(&root, None);
        assert_eq!(c.status, Status::Ok);
        assert!(c.message.contains("not chrooted"));
        // No resolv.conf at all.
        assert_eq!(check_nameservers(None).status, Status::Fail);
        assert_eq!(
            check_nameservers(Some(&ResolvConf::parse(""))).status,
            Status::Warn
        );
        let r = ResolvConf::parse("nameserver fe80::1%eth0\nnameserver bogus\n");
        let c = check_nameservers(Some(&r));
        assert_eq!(c.message, "other nameservers listed: fe80::1, bogus");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn server_argument_and_clock() {
        assert_eq!(
            parse_server("127.0.0.1").unwrap(),
            "127.0.0.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_server("[::1]:5353").unwrap(),
            "[::1]:5353".parse().unwrap()
        );
        assert!(parse_server("localhost").is_err());
        assert_eq!(check_clock(NOW).status, Status::Ok);
        assert_eq!(check_clock(4_102_444_800).status, Status::Fail);
        assert_eq!(check_clock(0).status, Status::Fail);
    }

    #[test]
    fn clap_definition_is_valid() {
        use clap::{CommandFactory, Parser};
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            a: DoctorArgs,
        }
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["doctor"]).unwrap();
        assert_eq!(cli.a.root, PathBuf::from("/"));
        assert_eq!(cli.a.postconf, PathBuf::from("postconf"));
    }
}
