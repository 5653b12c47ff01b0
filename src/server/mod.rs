//! The client-facing server: UDP/TCP listeners on the configured addresses,
//! the access list, the cache-hit fast path and response building.
