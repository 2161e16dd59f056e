//! The `bench` command-line tool.
fn main() {}
