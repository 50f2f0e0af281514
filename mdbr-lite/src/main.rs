//! The `mdbr-lite` standalone binary.
fn main() {}
