//! systemd readiness notification (`Type=notify`, sd_notify(3)): send
//! `READY=1`, `RELOADING=1`, `STOPPING=1`, ... as one datagram to the
//! `AF_UNIX` socket named by `$NOTIFY_SOCKET`. No libsystemd needed.

use std::ffi::OsStr;
use std::io;
use std::os::unix::net::UnixDatagram;

/// Send `state` (e.g. `"READY=1"`) to systemd. A no-op when `NOTIFY_SOCKET`
/// is unset (not started by systemd); failures are logged, never fatal: the
/// daemon works the same without a supervisor.
pub fn notify(state: &str) {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    if let Err(e) = notify_to(&socket, state) {
        tracing::warn!(error = %e, "sd_notify({state}) failed");
    }
}

/// Send `state` to the socket `socket` (a path, or `@name` for a Linux
/// abstract socket, as sd_notify(3) specifies).
pub fn notify_to(socket: &OsStr, state: &str) -> io::Result<()> {
    let sock = UnixDatagram::unbound()?;
    let bytes = socket.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        send_abstract(&sock, name, state)?;
    } else if bytes.first() == Some(&b'/') {
        sock.send_to(state.as_bytes(), socket)?;
    } else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "NOTIFY_SOCKET is neither an absolute path nor @abstract",
        ));
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn send_abstract(sock: &UnixDatagram, name: &[u8], state: &str) -> io::Result<()> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
    sock.send_to_addr(state.as_bytes(), &addr)?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn send_abstract(_sock: &UnixDatagram, _name: &[u8], _state: &str) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract sockets exist only on Linux",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_to_path_socket() {
        let dir = std::env::temp_dir().join(format!("anchord-sdnotify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let rx = UnixDatagram::bind(&path).unwrap();
        notify_to(path.as_os_str(), "READY=1").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn sends_to_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("anchord-sdnotify-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let rx = UnixDatagram::bind_addr(&addr).unwrap();
        notify_to(OsStr::new(&format!("@{name}")), "STOPPING=1").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
    }

    #[test]
    fn relative_path_is_refused() {
        assert!(notify_to(OsStr::new("relative.sock"), "READY=1").is_err());
    }

    #[test]
    fn missing_socket_is_an_error_not_a_panic() {
        assert!(notify_to(OsStr::new("/nonexistent/anchord/notify.sock"), "READY=1").is_err());
    }
}
