//! NSEC denial-of-existence proofs: RFC 4035 §5.4, RFC 6840 §4.
