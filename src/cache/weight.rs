//! How much a cache entry counts against `cache.size`.
//!
//! `cache.size` is a number of entries, but an entry can hold anything from
//! a hundred bytes (an A answer) to 64 KiB (a large TXT or DNSKEY RRset and
//! its signatures). Counted by number alone, a hostile zone's 200,000 large
//! RRsets would be 13 GB. So an entry counts one unit per [`UNIT`] bytes of
//! data it holds, started: an ordinary entry counts 1 and `size` keeps its
//! meaning, while a cache's data can never exceed about `size` × [`UNIT`]
//! bytes. Unbound bounds its caches in bytes (`rrset-cache-size`,
//! `msg-cache-size`) for the same reason.

/// Bytes per unit of `cache.size`.
pub const UNIT: usize = 512;

/// Units for an entry holding `bytes` of data (at least 1, so that a
/// cache of `size` units never holds more than `size` entries).
pub fn units(bytes: usize) -> u64 {
    u64::try_from(bytes.div_ceil(UNIT).max(1)).unwrap_or(u64::MAX)
}

/// A unit capacity for `size` as configured, clamped so that sizing
/// arithmetic cannot overflow.
pub fn capacity(size: usize) -> u64 {
    u64::try_from(size.clamp(1, 1 << 32)).unwrap_or(1 << 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_entries_count_one_and_large_ones_per_unit() {
        assert_eq!(units(0), 1);
        assert_eq!(units(100), 1);
        assert_eq!(units(UNIT), 1);
        assert_eq!(units(UNIT + 1), 2);
        assert_eq!(units(65_535), 128);
    }
}
