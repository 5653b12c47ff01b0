//! Matching DS records (and trust anchors) to DNSKEYs: RFC 4034 §5, RFC 4509.
