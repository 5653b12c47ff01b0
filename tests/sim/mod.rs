//! Test support: a simulated world of authoritative servers behind the
//! `Network` trait, on virtual time, and a zone signer. Shared by the
//! scenario tests (`mod sim;`) and the benches (`#[path]`).
#![allow(dead_code)]
pub mod authority;
pub mod denial_chain;
pub mod signed;
pub mod signed_world;
pub mod signer;
pub mod std_world;
pub mod world;
pub mod zone;
pub mod zonefile;
