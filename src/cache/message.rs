//! Whole responses in wire format for the cache-hit fast path.
