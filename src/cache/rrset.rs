//! RRsets, negative answers and delegations used by the iterator.
