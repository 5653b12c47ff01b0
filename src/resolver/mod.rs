//! Iterative resolution from the root: referrals, server selection, upstream
//! transport. Sans-IO: sockets and time come in through [`network::Network`]
//! and [`crate::clock::Clock`].

pub mod api;
pub mod budget;
pub mod hints;
pub mod matching;
pub mod network;

pub use api::{QueryOpts, Question, Resolution, Resolve};

use crate::clock::SharedClock;
use crate::config::Config;
use hints::RootHints;
use network::SharedNetwork;

/// Everything a resolver is built from. The daemon fills it with real
/// sockets and the system clock; tests with the simulated world.
pub struct ResolverSetup {
    pub config: Config,
    pub network: SharedNetwork,
    pub clock: SharedClock,
    pub root_hints: RootHints,
}
