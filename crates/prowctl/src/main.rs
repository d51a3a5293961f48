//! prowctl
fn main() {}
