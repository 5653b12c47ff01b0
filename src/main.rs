//! TEMP: cli disabled.
fn main() {}
