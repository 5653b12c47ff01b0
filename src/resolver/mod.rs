//! Iterative resolution from the root: referrals, server selection, upstream
//! transport. Sans-IO: sockets and time come in through [`network::Network`]
//! and [`crate::clock::Clock`].

pub mod api;
pub mod budget;
pub mod network;

pub use api::{QueryOpts, Question, Resolution, Resolve};
