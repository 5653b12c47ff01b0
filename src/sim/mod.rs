//! A simulated world of authoritative servers, behind the [`Network`] trait,
//! on virtual time. Used by the scenario tests and benches.
//!
//! [`Network`]: crate::resolver::network::Network
