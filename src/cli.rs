//! Command-line arguments: clap derive structs, plain data, no I/O.
//!
//! Validation that needs more than clap (opening files, building filters)
//! happens in [`crate::app`]; `main` only maps the result to an exit code.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// rpcscope: see what ONC RPC traffic is really doing.
#[derive(Debug, Parser)]
// `--version` on every subcommand, long only: `-V` is `--verbose` there
// (tcpdump's and tshark's -V).
#[command(
    name = "rpcscope",
    version,
    about,
    long_about = None,
    propagate_version = true,
    disable_version_flag = true
)]
pub struct Cli {
    /// Print the version.
    #[arg(
        id = "print_version",
        long = "version",
        action = clap::ArgAction::Version,
        global = true,
        display_order = 9000
    )]
    pub version: Option<bool>,
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
    /// A self-contained HTML report of capture files: overview, latency
    /// histograms and percentiles, rates over time, top clients, servers
    /// and files, slowest exchanges and errors with frame numbers.
    Report(ReportArgs),
    /// Capture from a network interface (libpcap) and decode as it happens.
    #[command(after_help = EXIT_STATUS_HELP)]
    Live(LiveArgs),
    /// A full-screen view refreshed every second, like nfsiostat/nfswatch:
    /// per procedure rate, p50/p99 latency and errors; top clients and
    /// files; kernel drops. Live (-i) or replaying a capture file (-r).
    Top(TopArgs),
    /// List the capture devices libpcap can open (`rpcscope -D`, as tcpdump -D).
    #[command(short_flag = 'D', after_help = EXIT_STATUS_HELP)]
    Interfaces,
    /// Serve the portmapper and the rpcscope_test program over TCP and UDP
    /// (docs/server.md).
    #[command(after_help = EXIT_STATUS_HELP)]
    Serve(crate::server::ServeArgs),
    /// Call an ONC RPC procedure: traffic and load generation with latency
    /// percentiles.
    // Its own help (client::ARGS_HELP) ends with the exit status table.
    Call(crate::client::CallArgs),
    /// Print a shell completion script: `source <(rpcscope completions bash)`
    /// (README "Shell completions and man page").
    #[command(after_help = EXIT_STATUS_HELP)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `rpcscope man > rpcscope.1`, or
    /// `rpcscope man | man -l -`.
    #[command(after_help = EXIT_STATUS_HELP)]
    Man,
}

/// Output format of `read` and `live`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per RPC message; summary on stderr.
    Text,
    /// JSON Lines: one object per exchange, then a summary object
    /// (schema: docs/json.md).
    Json,
    /// `read`: CSV, one row per exchange with typed columns
    /// (docs/export.md); to -o FILE or standard output.
    Csv,
    /// `read`: Parquet files in the directory -o DIR, one row per exchange
    /// (docs/export.md; needs the `export` feature).
    Parquet,
}

/// `--partition`: how Parquet files are split into directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PartitionBy {
    /// `date=YYYY-MM-DD/` (UTC, by call time).
    Day,
    /// `date=YYYY-MM-DD/hour=HH/`.
    Hour,
}

#[derive(Debug, Parser)]
pub struct ReadArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Detail view: after each line, the whole decoded body (text output).
    #[arg(short = 'V', long)]
    pub verbose: bool,
    /// Where the output goes: a file (text, json, csv; created, never
    /// overwritten) or, for parquet, a directory (created if missing; the
    /// files in it are new).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Parquet: one directory per day or hour of call time, in the Hive
    /// layout (`date=YYYY-MM-DD/hour=HH/`) engines read as partitions.
    #[arg(long, value_enum, value_name = "PERIOD")]
    pub partition: Option<PartitionBy>,
    /// Threads in all (default: one per core). With `--format json`, one
    /// thread decodes and N-1 render the exchanges' JSON. Other formats
    /// render on the decoding thread, and from 2 threads a file's network
    /// layer (IP and TCP reassembly) runs on a thread of its own (not for
    /// standard input, -c, -w or --bpf). The output is the same bytes for
    /// every N.
    #[arg(short = 'j', long = "jobs", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    #[command(flatten)]
    pub display: DisplayArgs,
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
    /// Only exchanges with this IP address, or an address inside this
    /// network (CIDR: 10.0.0.0/8, fd00::/8), on either side; repeatable
    /// (any of them).
    #[arg(long, value_name = "ADDR[/PREFIX]")]
    pub host: Vec<String>,
    /// BPF filter expression (libpcap syntax) applied to frames before
    /// decoding, e.g. 'port 2049' (tcpdump's expression, tshark -f). Files:
    /// compiled by libpcap and run here; live: in the kernel.
    #[arg(
        short = 'f',
        long = "filter",
        visible_alias = "bpf",
        value_name = "EXPR"
    )]
    pub bpf: Option<String>,
    /// Only the exchange with this XID (hex with 0x, or decimal), e.g.
    /// `--xid 0x455575c3`.
    #[arg(long, value_name = "XID")]
    pub xid: Option<String>,
    /// Only the exchange that frame N belongs to (its call, its reply or a
    /// retransmission); frame numbers as `-#` prints them (per file, from 1).
    #[arg(long, value_name = "N")]
    pub frame: Option<u64>,
}

/// The inputs of the file commands (`read`, `stats`), with tcpdump's
/// `-r`, `-c`, `-w` and `-n`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InputArgs {
    /// Capture files to read, in order; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// A capture file to read (as tcpdump -r and tshark -r); repeatable,
    /// read before the files given without -r.
    #[arg(short = 'r', long = "read-file", value_name = "FILE")]
    pub read_files: Vec<PathBuf>,
    /// Stop after this many exchange records (complete exchanges, unanswered
    /// calls, replies without call) that pass the filters (tcpdump -c).
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,
    /// Write the frames of the exchanges that pass the filters (their whole
    /// flows, handshakes included) to this pcap file (tcpdump -w); a name
    /// ending in .pcapng gets pcapng, which keeps every link type.
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Decode several files as one capture, their frames merged in time
    /// order (a call captured on one interface meets its reply captured on
    /// another). Frames are numbered in the merged order, a tie goes to the
    /// file named first, and records name the files joined by `+`. Without
    /// it, each file is decoded on its own, one after the other.
    #[arg(long)]
    pub merge: bool,
    /// Accepted for tcpdump habits: rpcscope never resolves addresses,
    /// ports or names (it always prints numbers).
    #[arg(short = 'n')]
    pub numeric: bool,
}

impl InputArgs {
    /// The files to read: those of `-r`, then the others.
    pub fn all_files(&self) -> Vec<PathBuf> {
        self.read_files.iter().chain(&self.files).cloned().collect()
    }
}

/// How text lines look (`read`, `live`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DisplayArgs {
    /// Time stamps of text lines: absolute (UTC time of day, the default),
    /// date (UTC date and time), local (date and time in the local time
    /// zone, TZ), epoch (seconds since 1970), relative (since the first
    /// frame), delta (since the previous line). JSON always has epoch seconds.
    #[arg(short = 't', long = "time", value_enum, default_value_t = TimeFormat::Absolute, value_name = "FORMAT")]
    pub time: TimeFormat,
    /// Start each text line with the number of its frame (tcpdump -#), as
    /// `--frame` takes it.
    #[arg(short = '#', long = "number")]
    pub number: bool,
    /// Colour failed statuses, unanswered calls, anomalies and slow calls:
    /// auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
    /// Calls at least this slow (milliseconds) are highlighted in colour.
    #[arg(long, value_name = "MS")]
    pub slow: Option<f64>,
    /// Quiet: print only the summary, no exchange lines (JSON: only the
    /// summary object).
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// `-t/--time`: how text lines show time (tcpdump -tt/-ttt/-tttt, tshark -t).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TimeFormat {
    /// UTC time of day, `08:35:27.382298` (tshark -t a with TZ=UTC).
    #[default]
    Absolute,
    /// UTC date and time, `2026-11-24 08:35:27.382298` (tshark -t ad with TZ=UTC).
    Date,
    /// Date and time in the local time zone (TZ; tcpdump -tttt, tshark -t ad).
    Local,
    /// Seconds since 1970-01-01 UTC (tcpdump -tt, tshark -t e).
    Epoch,
    /// Seconds since the first frame of the input (tshark -t r).
    Relative,
    /// Seconds since the previous line (tcpdump -ttt, tshark -t dd).
    Delta,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    #[default]
    Auto,
    Always,
    Never,
}

/// Grouping of statistics rows (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// One row per procedure and client address.
    Client,
    /// One row per procedure and server address.
    Server,
    /// One row per procedure and connection: transport, client address and
    /// port, server address and port.
    Connection,
    /// One row per program and version, all its procedures together.
    Program,
    /// One row per procedure and file: its path, or the handle's hash
    /// (`fh:0x...`) where the path is not known.
    Path,
}

/// The order of statistics rows (`--sort`): biggest first, ties in
/// program, version, procedure order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SortBy {
    /// Calls.
    Calls,
    /// Failed exchanges.
    Errors,
    /// Mean latency.
    Mean,
    /// 99th percentile of latency.
    P99,
    /// Longest latency.
    Max,
    /// Sum of the latencies: where the time went (the default).
    #[default]
    Total,
}

/// Output format of statistics (`stats`, `live --stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// An aligned table, one row per procedure, then the errors by status;
    /// the run summary on stderr.
    Text,
    /// One JSON array of row objects (with --interval, of interval objects;
    /// schema: docs/json.md); the run summary on stderr.
    Json,
    /// A header line, then one line per row (RFC 4180; latencies in
    /// microseconds, the JSON's values); the run summary on stderr.
    Csv,
}

#[derive(Debug, Parser)]
pub struct StatsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format of the statistics.
    #[arg(long, value_enum, default_value_t = TableFormat::Text)]
    pub format: TableFormat,
    /// Group rows by procedure and client or server address, connection or
    /// file, or by program only (default: by procedure).
    #[arg(long, value_enum)]
    pub by: Option<By>,
    /// Order of the rows, biggest first.
    #[arg(long, value_enum, default_value_t = SortBy::Total, value_name = "KEY")]
    pub sort: SortBy,
    /// A table per interval of this many seconds of capture time (e.g.
    /// 0.5, 1, 60), from the first frame; exchanges count in the interval
    /// of their call.
    #[arg(long, value_name = "SECONDS")]
    pub interval: Option<f64>,
    /// Quiet: print only the run summary (stderr), no table.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// NFSv4: one row per operation inside COMPOUNDs (each counted with
    /// its own status), instead of one row per compound's main operation.
    #[arg(long)]
    pub ops: bool,
    /// Text: after the table, each row's latency histogram on log buckets
    /// (1-2-5 per decade), with the buckets of p50, p90 and p99 marked.
    #[arg(long)]
    pub histogram: bool,
    /// Threads (default: one per core): several files are counted side by
    /// side, up to N at a time (not with --interval, -c, -w or -f); files
    /// counted one after the other (one file, or those cases) run their
    /// network layer (IP and TCP reassembly) on a second thread (not for
    /// standard input, -c, -w or --bpf). The table is the same for every N.
    #[arg(short = 'j', long = "jobs", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    #[command(flatten)]
    pub bodies: BodyArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

#[derive(Debug, Parser)]
pub struct ReportArgs {
    /// Capture files to read, in order; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The HTML file to write (replaced if it exists).
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE.html",
        required = true
    )]
    pub output: PathBuf,
    /// Decode the files as one capture, their frames merged in time order
    /// (as `read --merge`).
    #[arg(long)]
    pub merge: bool,
    /// Threads (default: one per core): several files are counted side by
    /// side, up to N at a time (not with --merge or -f); the report is the
    /// same for every N.
    #[arg(short = 'j', long = "jobs", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    #[command(flatten)]
    pub bodies: BodyArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

#[derive(Debug, Parser)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["interface", "read"])))]
pub struct TopArgs {
    /// Interface to capture on (see `rpcscope interfaces`).
    #[arg(short = 'i', long, value_name = "IFACE")]
    pub interface: Option<String>,
    /// Replay this capture file instead (pcap, pcapng, snoop; gzip too).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Option<PathBuf>,
    /// Replay speed: N times capture speed (0.5, 1, 10...), or `max` for
    /// as fast as it decodes.
    #[arg(long, default_value = "1", value_name = "N|max")]
    pub speed: String,
    /// Live: bytes captured per packet.
    #[arg(long, default_value_t = 262144, value_name = "BYTES")]
    pub snaplen: u32,
    /// Live: the user to become after opening the capture (as `live -Z`).
    #[arg(short = 'Z', long = "relinquish-privileges", value_name = "USER")]
    pub user: Option<String>,
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
    /// Output format (with --stats: text is a table, json one array, csv a
    /// header and a line per row).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Stop after this many exchange records (complete exchanges, unanswered
    /// calls, replies without call) that pass the filters (tcpdump -c).
    #[arg(short = 'c', long, value_name = "N")]
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
    /// Scheduling priority of live's threads (capture, decoding, rendering),
    /// as nice(1) counts it: -10 by default, where the process may raise
    /// it (root or CAP_SYS_NICE), so that a busy machine does not starve
    /// the decoder into kernel drops; 0 keeps the priority it was started
    /// with; a positive value yields to other work.
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-20..=19))]
    pub nice: Option<i32>,
    /// Write the frames of flows that carried (matching) RPC to this pcap
    /// file (pcapng when the name ends in .pcapng).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Accepted for tcpdump habits: rpcscope never resolves addresses,
    /// ports or names (it always prints numbers).
    #[arg(short = 'n')]
    pub numeric: bool,
    /// Threads in all for decoding (default: one per core): with
    /// `--format json`, N-1 threads render exchanges while one decodes, the
    /// same bytes for every N (the capture has a thread of its own besides).
    #[arg(short = 'j', long = "jobs", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Show statistics instead of exchanges: a table refreshed every few
    /// seconds on a terminal, and a final one at the end.
    #[arg(long)]
    pub stats: bool,
    /// With --stats: group rows by procedure and client or server address,
    /// connection or file, or by program only.
    #[arg(long, value_enum, requires = "stats")]
    pub by: Option<By>,
    /// With --stats: order of the rows, biggest first.
    #[arg(long, value_enum, requires = "stats", default_value_t = SortBy::Total, value_name = "KEY")]
    pub sort: SortBy,
    /// With --stats: one row per NFSv4 operation inside COMPOUNDs.
    #[arg(long, requires = "stats")]
    pub ops: bool,
    /// At the end (--count, --duration, Ctrl-C), also write an HTML report
    /// of everything captured to this file (replaced if it exists), as
    /// `rpcscope report` does.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Detail view: after each line, the whole decoded body (text output).
    #[arg(short = 'V', long)]
    pub verbose: bool,
    #[command(flatten)]
    pub display: DisplayArgs,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap's own consistency checks (no two options with one name, e.g.
    /// `-V` for both --verbose and --version).
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dash_capital_v_is_verbose_and_version_is_long_only() {
        let c = Cli::try_parse_from(["rpcscope", "read", "-V", "-r", "f.pcap"]).unwrap();
        match c.command {
            Command::Read(a) => {
                assert!(a.verbose);
                assert_eq!(a.input.read_files, [PathBuf::from("f.pcap")]);
            }
            other => panic!("{other:?}"),
        }
        let e = Cli::try_parse_from(["rpcscope", "stats", "--version"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayVersion);
        let e = Cli::try_parse_from(["rpcscope", "-D"]).unwrap();
        assert!(matches!(e.command, Command::Interfaces));
    }
}
