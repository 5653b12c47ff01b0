//! DNSSEC algorithms and digest types: which we verify, and their cost.
