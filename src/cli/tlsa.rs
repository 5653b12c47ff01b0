//! `anchord tlsa`: TLSA records (RFC 6698, RFC 7671) for a mail server's
//! certificate, in presentation format, ready for a zone file.
//!
//! Input: a PEM file (`CERTIFICATE` blocks, or one `PUBLIC KEY` block holding a
//! SubjectPublicKeyInfo) or a DER file (certificate or SPKI). Private keys are
//! not supported: getting the public key out of them would need a full key
//! parser per algorithm; run `openssl pkey -pubout` first.
//!
//! Which certificates of a chain file are used: usages 1 and 3 (end entity)
//! take the first certificate; usages 0 and 2 (trust anchor / CA) take every
//! certificate after the first (the issuers), or the only one if there is just
//! one. `--cert-index N` picks one certificate, `--all` takes every one.
//!
//! The DER walker below reads only what it needs (Certificate →
//! TBSCertificate → issuer, subjectPublicKeyInfo) and returns errors, never
//! panics, on any input.

use std::path::PathBuf;
use std::process::ExitCode;

use ring::digest;

/// Arguments of `anchord tlsa`.
#[derive(clap::Args, Debug, Clone)]
pub struct TlsaArgs {
    /// Certificate (chain) or public key file, PEM or DER.
    pub file: PathBuf,
    /// Host name of the TLS server (e.g. the MX host).
    pub host: String,
    /// TCP port (25 = SMTP).
    #[arg(long, default_value_t = 25)]
    pub port: u16,
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub usage: u8,
    /// Selector: 0 full certificate, 1 SubjectPublicKeyInfo.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub selector: u8,
    /// Matching type: 0 full data, 1 SHA-256, 2 SHA-512.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub matching: u8,
    /// Use only the N-th certificate of the file (0 = first).
    #[arg(long, conflicts_with = "all")]
    pub cert_index: Option<usize>,
    /// Emit one record for every certificate in the file.
    #[arg(long)]
    pub all: bool,
}

/// Why no record could be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TlsaError {
    #[error("bad PEM: {0}")]
    Pem(String),
    #[error("bad DER: {0}")]
    Der(&'static str),
    #[error("unsupported PEM block {0:?}: give a CERTIFICATE or a PUBLIC KEY (for a private key: openssl pkey -pubout)")]
    Unsupported(String),
    #[error("no certificate or public key found")]
    Empty,
    #[error("selector 0 (full certificate) needs a certificate, not a bare public key")]
    NeedCertificate,
    #[error("--cert-index {index}: the file has only {count} certificate(s)")]
    Index { index: usize, count: usize },
    #[error("bad host name {0:?}")]
    Host(String),
}

/// One parsed input object.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Cert {
        der: Vec<u8>,
        spki: Vec<u8>,
        issuer: Vec<u8>,
    },
    PublicKey {
        spki: Vec<u8>,
    },
}

/// Run `anchord tlsa`.
pub fn run(args: &TlsaArgs) -> ExitCode {
    let data = match std::fs::read(&args.file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}: {e}", args.file.display());
            return ExitCode::FAILURE;
        }
    };
    match generate(args, &data) {
        Ok((lines, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            for l in lines {
                println!("{l}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", args.file.display());
            ExitCode::FAILURE
        }
    }
}

/// Records (presentation format) and warnings for `data`, the file contents.
pub fn generate(args: &TlsaArgs, data: &[u8]) -> Result<(Vec<String>, Vec<String>), TlsaError> {
    let owner = owner_name(&args.host, args.port)?;
    let items = parse_input(data)?;
    let chosen: Vec<&Item> = if let Some(index) = args.cert_index {
        vec![items.get(index).ok_or(TlsaError::Index {
            index,
            count: items.len(),
        })?]
    } else if args.all || items.len() == 1 {
        items.iter().collect()
    } else if args.usage == 1 || args.usage == 3 {
        // RFC 7671 §5.1: DANE-EE matches the server's own (first) certificate.
        items.iter().take(1).collect()
    } else {
        // RFC 7671 §5.2: DANE-TA matches an issuer, which follows the leaf.
        items.iter().skip(1).collect()
    };
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    for item in chosen {
        let selected: &[u8] = match (args.selector, item) {
            (0, Item::Cert { der, .. }) => der,
            (0, Item::PublicKey { .. }) => return Err(TlsaError::NeedCertificate),
            (_, Item::Cert { spki, .. }) | (_, Item::PublicKey { spki }) => spki,
        };
        if let (3, 0, Item::Cert { issuer, .. }) = (args.usage, args.selector, item) {
            if contains(issuer, b"Let's Encrypt") {
                warnings.push(
                    "3 0 x with a Let's Encrypt certificate changes on every renewal (every \
                     60-90 days) and breaks DANE until DNS is updated; use 3 1 1 and keep \
                     the key across renewals (certbot --reuse-key)"
                        .to_string(),
                );
            }
        }
        let assoc = match args.matching {
            0 => selected.to_vec(),
            1 => digest::digest(&digest::SHA256, selected).as_ref().to_vec(),
            _ => digest::digest(&digest::SHA512, selected).as_ref().to_vec(),
        };
        lines.push(format!(
            "{owner} IN TLSA {} {} {} {}",
            args.usage,
            args.selector,
            args.matching,
            data_encoding::HEXLOWER.encode(&assoc)
        ));
    }
    Ok((lines, warnings))
}

/// `_PORT._tcp.HOST.` (RFC 6698 §3).
fn owner_name(host: &str, port: u16) -> Result<String, TlsaError> {
    let h = host.trim_end_matches('.');
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !ok {
        return Err(TlsaError::Host(host.to_string()));
    }
    Ok(format!("_{port}._tcp.{h}."))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Parse a PEM or DER file into certificates / public keys, in file order.
fn parse_input(data: &[u8]) -> Result<Vec<Item>, TlsaError> {
    if !contains(data, b"-----BEGIN ") {
        // DER: a certificate, or else a bare SPKI.
        return match parse_certificate(data) {
            Ok(item) => Ok(vec![item]),
            Err(_) => parse_spki(data).map(|spki| vec![Item::PublicKey { spki }]),
        };
    }
    let text = std::str::from_utf8(data).map_err(|_| TlsaError::Pem("not UTF-8".into()))?;
    let mut items = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = rest.get(start + 11..).unwrap_or("");
        let (label, body) = after
            .split_once("-----")
            .ok_or_else(|| TlsaError::Pem("unterminated BEGIN line".into()))?;
        let end_marker = format!("-----END {label}-----");
        let end = body
            .find(&end_marker)
            .ok_or_else(|| TlsaError::Pem(format!("no {end_marker}")))?;
        let b64: String = body
            .get(..end)
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        rest = body.get(end + end_marker.len()..).unwrap_or("");
        let der = data_encoding::BASE64
            .decode(b64.as_bytes())
            .map_err(|e| TlsaError::Pem(format!("{label}: {e}")))?;
        match label {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                items.push(parse_certificate(&der)?)
            }
            "PUBLIC KEY" => items.push(Item::PublicKey {
                spki: parse_spki(&der)?,
            }),
            other => return Err(TlsaError::Unsupported(other.to_string())),
        }
    }
    if items.is_empty() {
        return Err(TlsaError::Empty);
    }
    Ok(items)
}

/// One DER TLV: (tag, whole TLV bytes, content bytes, rest after it).
struct Tlv<'a> {
    tag: u8,
    raw: &'a [u8],
    content: &'a [u8],
    rest: &'a [u8],
}

/// Read one TLV (X.690 §8.1; DER: definite lengths, at most 4 length octets,
/// single-octet tags, which is all X.509 uses at the levels we read).
fn tlv(input: &[u8]) -> Result<Tlv<'_>, TlsaError> {
    let (&tag, after_tag) = input.split_first().ok_or(TlsaError::Der("truncated"))?;
    if tag & 0x1f == 0x1f {
        return Err(TlsaError::Der("multi-octet tag"));
    }
    let (&first, mut after_len) = after_tag
        .split_first()
        .ok_or(TlsaError::Der("truncated length"))?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(TlsaError::Der("unsupported length"));
        }
        let bytes = after_len
            .get(..n)
            .ok_or(TlsaError::Der("truncated length"))?;
        after_len = after_len.get(n..).unwrap_or(&[]);
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let content = after_len
        .get(..len)
        .ok_or(TlsaError::Der("truncated content"))?;
    let header_len = input.len() - after_len.len();
    let raw = input
        .get(..header_len + len)
        .ok_or(TlsaError::Der("truncated"))?;
    let rest = after_len.get(len..).unwrap_or(&[]);
    Ok(Tlv {
        tag,
        raw,
        content,
        rest,
    })
}

const SEQUENCE: u8 = 0x30;

fn expect<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<Tlv<'a>, TlsaError> {
    let t = tlv(input)?;
    if t.tag != tag {
        return Err(TlsaError::Der(what));
    }
    Ok(t)
}

/// RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }.
fn parse_certificate(der: &[u8]) -> Result<Item, TlsaError> {
    let cert = expect(der, SEQUENCE, "certificate is not a SEQUENCE")?;
    let tbs = expect(cert.content, SEQUENCE, "tbsCertificate is not a SEQUENCE")?;
    let mut fields = tbs.content;
    // version [0] EXPLICIT is optional (absent = v1).
    if fields.first() == Some(&0xa0) {
        fields = tlv(fields)?.rest;
    }
    let serial = expect(fields, 0x02, "serialNumber is not an INTEGER")?;
    let sig_alg = expect(
        serial.rest,
        SEQUENCE,
        "signature algorithm is not a SEQUENCE",
    )?;
    let issuer = expect(sig_alg.rest, SEQUENCE, "issuer is not a SEQUENCE")?;
    let validity = expect(issuer.rest, SEQUENCE, "validity is not a SEQUENCE")?;
    let subject = expect(validity.rest, SEQUENCE, "subject is not a SEQUENCE")?;
    let spki = expect(
        subject.rest,
        SEQUENCE,
        "subjectPublicKeyInfo is not a SEQUENCE",
    )?;
    parse_spki(spki.raw)?;
    Ok(Item::Cert {
        der: cert.raw.to_vec(),
        spki: spki.raw.to_vec(),
        issuer: issuer.content.to_vec(),
    })
}

/// RFC 5280 §4.1: SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }.
/// Returns the whole TLV (what selector 1 hashes).
fn parse_spki(der: &[u8]) -> Result<Vec<u8>, TlsaError> {
    let spki = expect(der, SEQUENCE, "SubjectPublicKeyInfo is not a SEQUENCE")?;
    let alg = expect(spki.content, SEQUENCE, "SPKI algorithm is not a SEQUENCE")?;
    let key = expect(alg.rest, 0x03, "SPKI key is not a BIT STRING")?;
    if !key.rest.is_empty() {
        return Err(TlsaError::Der("trailing data in SPKI"));
    }
    Ok(spki.raw.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn args(file: &Path, u: u8, s: u8, m: u8) -> TlsaArgs {
        TlsaArgs {
            file: file.to_path_buf(),
            host: "mx.example.com".into(),
            port: 25,
            usage: u,
            selector: s,
            matching: m,
            cert_index: None,
            all: false,
        }
    }

    /// A temp dir with a self-signed cert, or None (with a message) if
    /// openssl is not installed.
    fn make_cert(tag: &str, subj: &str) -> Option<PathBuf> {
        let dir = std::env::temp_dir().join(format!("anchord-tlsa-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
            ])
            .arg("-subj")
            .arg(subj)
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .stderr(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => Some(dir),
            _ => {
                eprintln!("openssl not available: skipping");
                None
            }
        }
    }

    fn openssl_out(args: &[&str], input: &Path) -> Vec<u8> {
        let out = Command::new("openssl")
            .args(args)
            .arg("-in")
            .arg(input)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    }

    #[test]
    fn matches_openssl_definition_and_ldns_dane() {
        let Some(dir) = make_cert("def", "/CN=mx.example.com") else {
            return;
        };
        let cert = dir.join("cert.pem");
        let data = std::fs::read(&cert).unwrap();
        // RFC 6698 §2.1.1: selector 1 is the DER SubjectPublicKeyInfo.
        std::fs::write(
            dir.join("pub.pem"),
            openssl_out(&["x509", "-pubkey", "-noout"], &cert),
        )
        .unwrap();
        let spki = openssl_out(&["pkey", "-pubin", "-outform", "DER"], &dir.join("pub.pem"));
        let cert_der = openssl_out(&["x509", "-outform", "DER"], &cert);
        for (u, s, m) in [
            (3, 1, 1),
            (3, 0, 1),
            (2, 1, 1),
            (2, 0, 1),
            (3, 1, 2),
            (1, 0, 0),
            (3, 1, 0),
        ] {
            let (lines, _) = generate(&args(&cert, u, s, m), &data).unwrap();
            let sel: &[u8] = if s == 0 { &cert_der } else { &spki };
            let want = match m {
                0 => sel.to_vec(),
                1 => digest::digest(&digest::SHA256, sel).as_ref().to_vec(),
                _ => digest::digest(&digest::SHA512, sel).as_ref().to_vec(),
            };
            assert_eq!(
                lines,
                vec![format!(
                    "_25._tcp.mx.example.com. IN TLSA {u} {s} {m} {}",
                    data_encoding::HEXLOWER.encode(&want)
                )]
            );
            // Cross-check with ldns-dane (offline with -n and -c) when installed.
            if let Ok(out) = Command::new("ldns-dane")
                .arg("-n")
                .arg("-c")
                .arg(&cert)
                .args([
                    "create",
                    "mx.example.com",
                    "25",
                    &u.to_string(),
                    &s.to_string(),
                    &m.to_string(),
                ])
                .output()
            {
                if out.status.success() {
                    let text = String::from_utf8(out.stdout).unwrap();
                    let theirs = text.split_whitespace().last().unwrap().to_lowercase();
                    let ours = lines[0].split_whitespace().last().unwrap();
                    assert_eq!(ours, theirs, "{u} {s} {m}");
                }
            }
        }
        // DER input and a bare public key give the same SPKI hash.
        let (pem_lines, _) = generate(&args(&cert, 3, 1, 1), &data).unwrap();
        let (der_lines, _) = generate(&args(&cert, 3, 1, 1), &cert_der).unwrap();
        let pub_pem = std::fs::read(dir.join("pub.pem")).unwrap();
        let (pub_lines, _) = generate(&args(&cert, 3, 1, 1), &pub_pem).unwrap();
        let (spki_der_lines, _) = generate(&args(&cert, 3, 1, 1), &spki).unwrap();
        assert_eq!(pem_lines, der_lines);
        assert_eq!(pem_lines, pub_lines);
        assert_eq!(pem_lines, spki_der_lines);
        assert_eq!(
            generate(&args(&cert, 3, 0, 1), &pub_pem),
            Err(TlsaError::NeedCertificate)
        );
        // A private key is refused with a hint.
        let key = std::fs::read(dir.join("key.pem")).unwrap();
        assert!(matches!(
            generate(&args(&cert, 3, 1, 1), &key),
            Err(TlsaError::Unsupported(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn chain_selection_and_lets_encrypt_warning() {
        let Some(leaf) = make_cert("leaf", "/CN=mx.example.com") else {
            return;
        };
        let Some(ca) = make_cert("ca", "/C=US/O=Let's Encrypt/CN=R11") else {
            return;
        };
        let mut chain = std::fs::read(leaf.join("cert.pem")).unwrap();
        chain.extend(std::fs::read(ca.join("cert.pem")).unwrap());
        let f = leaf.join("chain.pem");
        let one = |a: &TlsaArgs, d: &[u8]| generate(a, d).unwrap().0;
        let leaf_only = one(
            &args(&f, 3, 1, 1),
            &std::fs::read(leaf.join("cert.pem")).unwrap(),
        );
        let ca_only = one(
            &args(&f, 2, 1, 1),
            &std::fs::read(ca.join("cert.pem")).unwrap(),
        );
        assert_eq!(one(&args(&f, 3, 1, 1), &chain), leaf_only);
        assert_eq!(one(&args(&f, 2, 1, 1), &chain), ca_only);
        let mut a = args(&f, 2, 1, 1);
        a.cert_index = Some(0);
        assert_eq!(
            one(&a, &chain),
            one(
                &args(&f, 2, 1, 1),
                &std::fs::read(leaf.join("cert.pem")).unwrap()
            )
        );
        a.cert_index = Some(2);
        assert_eq!(
            generate(&a, &chain),
            Err(TlsaError::Index { index: 2, count: 2 })
        );
        a.cert_index = None;
        a.all = true;
        assert_eq!(one(&a, &chain).len(), 2);
        // The self-signed "Let's Encrypt" cert as its own leaf: 3 0 1 warns, 3 1 1 does not.
        let le = std::fs::read(ca.join("cert.pem")).unwrap();
        assert_eq!(generate(&args(&f, 3, 0, 1), &le).unwrap().1.len(), 1);
        assert!(generate(&args(&f, 3, 1, 1), &le).unwrap().1.is_empty());
        assert!(generate(
            &args(&f, 3, 0, 1),
            &std::fs::read(leaf.join("cert.pem")).unwrap()
        )
        .unwrap()
        .1
        .is_empty());
        std::fs::remove_dir_all(&leaf).unwrap();
        std::fs::remove_dir_all(&ca).unwrap();
    }

    #[test]
    fn host_names() {
        assert_eq!(
            owner_name("mx.example.com.", 465).unwrap(),
            "_465._tcp.mx.example.com."
        );
        assert!(owner_name("", 25).is_err());
        assert!(owner_name("a..b", 25).is_err());
        assert!(owner_name("a b", 25).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        let a = args(Path::new("x"), 3, 1, 1);
        let mut inputs: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x30],
            vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            vec![0x30, 0x80, 0x00, 0x00],
            vec![0x30, 0x03, 0x30, 0x01, 0xa0],
            vec![0x1f, 0xff, 0xff],
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n".to_vec(),
            b"-----BEGIN CERTIFICATE-----\nMAA=\n".to_vec(),
            b"-----BEGIN ".to_vec(),
            b"-----BEGIN CERTIFICATE-----MAMCAQA=-----END CERTIFICATE-----".to_vec(),
            b"-----BEGIN \xff\xfe".to_vec(),
        ];
        // Every prefix and every single-byte corruption of a minimal valid cert shape.
        let mut x = 0x1234_5678u32;
        for len in 0..64usize {
            let v: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x & 0xff) as u8
                })
                .collect();
            inputs.push(v.clone());
            let mut seq = vec![0x30, len as u8];
            seq.extend(v);
            inputs.push(seq);
        }
        for input in inputs {
            assert!(generate(&a, &input).is_err());
        }
    }

    #[test]
    fn clap_definition_is_valid() {
        use clap::{CommandFactory, Parser};
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            a: TlsaArgs,
        }
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "tlsa",
            "cert.pem",
            "mx.example.com",
            "--usage",
            "2",
            "--selector",
            "0",
            "--matching",
            "2",
            "--port",
            "465",
        ])
        .unwrap();
        assert_eq!(
            (cli.a.usage, cli.a.selector, cli.a.matching, cli.a.port),
            (2, 0, 2, 465)
        );
        assert!(Cli::try_parse_from(["tlsa", "c", "h", "--usage", "4"]).is_err());
        assert!(Cli::try_parse_from(["tlsa", "c", "h", "--all", "--cert-index", "1"]).is_err());
    }
}
