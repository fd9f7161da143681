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

/// The text of [`EXIT_STATUS_HELP`], as a literal for `concat!` (a command
/// with help of its own ends with it).
#[macro_export]
#[doc(hidden)]
macro_rules! exit_status_help {
    () => {
        "\
Exit status (every command):
  0    success, also when the output is closed early (e.g. `| head`)
  1    a failure while running: unreadable input, a capture that cannot be
       opened, a call with no reply or a program the portmapper does not know
  2    a bad command line or option value (including a BPF filter)
  130  stopped by SIGINT (Ctrl-C), 143 by SIGTERM: what was decoded is
       flushed, unanswered calls are reported and the summary is printed"
    };
}

/// The exit statuses, the same for every command (README "Exit status").
pub const EXIT_STATUS_HELP: &str = exit_status_help!();

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode capture files (pcap, pcapng, snoop; gzip-compressed or not)
    /// into ONC RPC calls and replies.
    #[command(after_help = EXIT_STATUS_HELP)]
    Read(ReadArgs),
    /// Per-procedure statistics of capture files: calls, replies, errors by
    /// status, latency percentiles, bytes.
    #[command(after_help = EXIT_STATUS_HELP)]
    Stats(StatsArgs),
    /// Capture from a network interface (libpcap) and decode as it happens.
    #[command(after_help = EXIT_STATUS_HELP)]
    Live(LiveArgs),
    /// List the capture devices libpcap can open.
    #[command(after_help = EXIT_STATUS_HELP)]
    Interfaces,
    /// Serve the portmapper and the rpcscope_test program over TCP and UDP
    /// (docs/server.md).
    #[command(after_help = EXIT_STATUS_HELP)]
    Serve(crate::server::ServeArgs),
    /// Call an ONC RPC procedure: traffic and load generation with latency
    /// percentiles.
    // Its own help (client::ARGS_HELP) ends with the exit status table.
    Call(crate::client::CallArgs),
}

/// Output format of `read` and `live`.
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
    /// Detail view: after each line, the whole decoded body (text output).
    #[arg(short = 'V', long)]
    pub verbose: bool,
    #[command(flatten)]
    pub bodies: BodyArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// The system-call sandbox of the decoding phase (docs/security.md).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SandboxArgs {
    /// Decode without the seccomp sandbox (Linux), which otherwise limits
    /// the process to the system calls decoding needs once the inputs and
    /// outputs are open. For debugging a sandbox failure only: a warning
    /// is printed.
    #[arg(long)]
    pub no_sandbox: bool,
}

/// How program bodies are decoded: shared by `read`, `stats` and `live`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BodyArgs {
    /// Load a program description in the XDR language (an rpcgen `.x`
    /// file); repeatable. Its programs' bodies are decoded and its names
    /// used everywhere; it replaces a built-in definition of the same
    /// program and version.
    #[arg(long = "idl", value_name = "FILE.x")]
    pub idl: Vec<PathBuf>,
    /// Decode RPC headers only: no arguments, results, statuses or paths.
    #[arg(long)]
    pub no_bodies: bool,
    /// Bulk data (READ/WRITE payloads, long opaques) in JSON: `len` gives
    /// `{"len": N}`, `hex` also the captured bytes.
    #[arg(long, value_enum, default_value_t = DataMode::Len, value_name = "MODE")]
    pub data: DataMode,
}

/// `--data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DataMode {
    /// Only the length.
    #[default]
    Len,
    /// The length and the captured bytes as hex.
    Hex,
}

/// Filters shared by `read`, `stats` and `live`. Plain text here; the config
/// step (`rpcscope::filter`) validates them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Only this program: a number or a name (nfs, mountd, portmapper, ...).
    #[arg(long, value_name = "PROGRAM")]
    pub program: Option<String>,
    /// Only this procedure: a number, or a name (needs --program), e.g.
    /// WRITE. For NFSv4, a name also selects COMPOUNDs whose main
    /// operation it is (`--program nfs --procedure READ`).
    #[arg(long, value_name = "PROCEDURE")]
    pub procedure: Option<String>,
    /// Only NFSv4 COMPOUNDs (and CB_COMPOUNDs) holding one of these
    /// operations, comma-separated: OP_LAYOUTGET, LAYOUTGET, CB_RECALL...
    #[arg(long, value_name = "OPERATION")]
    pub op: Option<String>,
    /// Only these reply statuses, comma-separated, each optionally negated
    /// with '!': success, prog_unavail, prog_mismatch, proc_unavail,
    /// garbage_args, system_err, accepted, denied, rpc_mismatch, auth_error,
    /// unknown, unanswered. E.g. '!success'.
    #[arg(long, value_name = "STATUS", allow_hyphen_values = true)]
    pub status: Option<String>,
    /// Only exchanges at least this slow, e.g. 250us, 10ms, 1.5s.
    #[arg(long, value_name = "DURATION")]
    pub min_latency: Option<String>,
    /// Only exchanges with this IP address on either side (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub host: Vec<String>,
    /// BPF filter expression (libpcap syntax) applied to frames before
    /// decoding, e.g. 'port 2049'. Live: in the kernel.
    #[arg(short = 'f', long = "bpf", value_name = "EXPR")]
    pub bpf: Option<String>,
}

/// Extra grouping of statistics rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// One row per procedure and client address.
    Client,
    /// One row per procedure and server address.
    Server,
    /// One row per procedure and file: its path, or the handle's hash
    /// (`fh:0x...`) where the path is not known.
    Path,
}

/// Output format of statistics (`stats`, `live --stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// An aligned table, one row per procedure, slowest first; the run
    /// summary on stderr.
    Text,
    /// One JSON array of row objects (schema: docs/json.md); the run summary
    /// on stderr.
    Json,
}

#[derive(Debug, Parser)]
pub struct StatsArgs {
    /// Capture files to read, in order; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format of the statistics.
    #[arg(long, value_enum, default_value_t = TableFormat::Text)]
    pub format: TableFormat,
    /// Also group by client or server address.
    #[arg(long, value_enum)]
    pub by: Option<By>,
    /// NFSv4: one row per operation inside COMPOUNDs (each counted with
    /// its own status), instead of one row per compound's main operation.
    #[arg(long)]
    pub ops: bool,
    #[command(flatten)]
    pub bodies: BodyArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

#[derive(Debug, Parser)]
pub struct LiveArgs {
    /// Interface to capture on (see `rpcscope interfaces`).
    #[arg(short = 'i', long, value_name = "IFACE")]
    pub interface: String,
    /// Output format (with --stats: text is a table, json one array).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Stop after this many exchange records (complete exchanges, unanswered
    /// calls, replies without call) that pass the filters.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after this many seconds (fractions allowed).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Bytes captured per packet (the default keeps whole RPC bodies, even
    /// offloaded 64 KiB super-frames).
    #[arg(long, default_value_t = crate::limits::LIVE_SNAPLEN, value_name = "BYTES")]
    pub snaplen: u32,
    /// Kernel capture buffer (packet ring) size in bytes: what absorbs
    /// bursts. Drops are reported on stderr as they happen.
    #[arg(long, default_value_t = crate::limits::LIVE_BUFFER_BYTES, value_name = "BYTES")]
    pub buffer_size: u32,
    /// Write the frames of flows that carried (matching) RPC to this pcap file.
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Show statistics instead of exchanges: a table refreshed every few
    /// seconds on a terminal, and a final one at the end.
    #[arg(long)]
    pub stats: bool,
    /// With --stats: also group by client or server address.
    #[arg(long, value_enum, requires = "stats")]
    pub by: Option<By>,
    /// With --stats: one row per NFSv4 operation inside COMPOUNDs.
    #[arg(long, requires = "stats")]
    pub ops: bool,
    /// Detail view: after each line, the whole decoded body (text output).
    #[arg(short = 'V', long)]
    pub verbose: bool,
    #[command(flatten)]
    pub bodies: BodyArgs,
    /// After opening the capture (and the -w file), drop root for good and
    /// run as this user, with no supplementary groups and no capabilities
    /// (default: nobody). `-Z root` keeps root. When not started as root,
    /// capabilities are dropped and the user is kept.
    #[arg(short = 'Z', long = "relinquish-privileges", value_name = "USER")]
    pub user: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}
