//! The `rpcscope` command line (placeholder until the CLI lands).
fn main() {}
