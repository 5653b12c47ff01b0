//! Verifying one RRSIG over one RRset with one DNSKEY: RFC 4035 §5.3.
