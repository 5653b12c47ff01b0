//! RFC 5155 §5: the NSEC3 owner-name hash.
