//! Command-line arguments: clap derive structs, plain data, no I/O.
//!
//! Validation that needs more than clap (opening files, building filters)
//! happens in [`crate::app`]; `main` only maps the result to an exit code.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// rpcscope: see what ONC RPC traffic is really doing.
#[derive(Debug, Parser)]
#[command(name = "rpcscope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode capture files (pcap, pcapng, snoop; gzip-compressed or not)
    /// into ONC RPC calls and replies.
    Read(ReadArgs),
    /// Serve the portmapper and the rpcscope_test program over TCP and UDP
    /// (docs/server.md).
    Serve(crate::server::ServeArgs),
    /// Call an ONC RPC procedure: traffic and load generation with latency
    /// percentiles.
    Call(crate::client::CallArgs),
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per RPC message; summary on stderr.
    Text,
    /// JSON Lines: one object per exchange, then a summary object
    /// (schema: docs/json.md).
    Json,
}

#[derive(Debug, Parser)]
pub struct ReadArgs {
    /// Capture files to read, in order; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
