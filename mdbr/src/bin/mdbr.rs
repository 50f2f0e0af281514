//! The `mdbr` command-line tool.
fn main() {}
