//! RFC 5155 §8.3: the closest-encloser proof.
