//! NSEC3 proofs: NXDOMAIN, NODATA, wildcard, opt-out (RFC 5155 §8).
