//! `rpcscope call`: an ONC RPC client that speaks the program's language,
//! for probing a service and for generating traffic and load.
//!
//! Arguments are typed as JSON or `NAME=VALUE` pairs and encoded through the
//! procedure's `.x` definition ([`args`]: built in, or loaded with `--idl`),
//! or given as XDR hex; results are decoded through the same definition and
//! printed as `rpcscope read` prints bodies ([`show`]). It sends `--count`
//! calls over `--concurrency` connections (one thread and one TCP
//! connection or UDP socket each), prints each reply's xid, status, latency
//! and results, and a summary with calls per second and latency
//! percentiles. The port comes from `--port`, or from the portmapper on the
//! host (portmap v2 GETPORT over the same transport, as `rpcinfo` does), or
//! is 111 for the portmapper itself.
//!
//! Exit status: 0 when every call got a reply (whatever its status); 1 when
//! any call got none (timeout, connection error), or when the call could
//! not be made (the portmapper does not answer or refuses, the program is
//! not registered, the host does not resolve); 2 for a bad command line
//! (unknown names, arguments that do not fit the definition, bad values).
//!
//! Message building and reply parsing are sans-IO ([`wire`]) and reuse the
//! rpc codecs; [`conn`] moves the bytes. Latencies are kept exactly (8 bytes
//! per call) so percentiles are exact; `--count` is bounded by memory only.

pub mod args;
pub mod conn;
pub mod show;
pub mod typed;
pub mod wire;

use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};

use crate::cli::{DataMode, Format};
use crate::limits::Limits;
use crate::net::Transport;
use crate::output::jsonw::{self, ObjectWriter};
use crate::programs::registry::Registry;
use crate::programs::value::Value;
use conn::Conn;
use show::{Totals, View};
use typed::{call_value, Builtin};
use wire::{build_call, Cred, ReplyStatus};

/// Credential flavor for `--auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthKind {
    /// AUTH_NONE.
    None,
    /// AUTH_SYS with the caller's uid 0, gid 0 and host name `rpcscope`.
    Sys,
}

/// Arguments of `rpcscope call`.
#[derive(Debug, Parser)]
#[command(after_help = ARGS_HELP)]
pub struct CallArgs {
    /// Server host name or address.
    pub host: String,
    /// Program: a number (decimal or 0x hex) or a name (`portmap`, `nfs`,
    /// `mountd`, `rpcscope_test`, a name from /etc/rpc or an --idl file).
    pub program: String,
    /// Program version.
    pub version: u32,
    /// Procedure: a number or its name in that program version (`NULL`,
    /// `DUMP`, `GETPORT`, `ECHO`, ...).
    pub procedure: String,
    /// Procedure arguments as NAME=VALUE pairs, encoded through the
    /// procedure's .x definition (see below).
    #[arg(value_name = "NAME=VALUE")]
    pub pairs: Vec<String>,
    /// Procedure arguments as JSON, as `rpcscope read --format json` prints
    /// `args`: e.g. '{"prog":100003,"vers":3,"prot":6,"port":0}'.
    #[arg(long, value_name = "JSON", conflicts_with_all = ["args_hex", "pairs"])]
    pub args: Option<String>,
    /// Procedure arguments, XDR-encoded, as hex (whitespace ignored); for
    /// any program, defined or not.
    #[arg(long, value_name = "HEX", conflicts_with = "pairs")]
    pub args_hex: Option<String>,
    /// Load a program description in the XDR language (an rpcgen `.x`
    /// file); repeatable. Its names and types are used for the call; it
    /// replaces a built-in definition of the same program and version.
    #[arg(long = "idl", value_name = "FILE.x")]
    pub idl: Vec<PathBuf>,
    /// Print results as hex, not decoded.
    #[arg(long)]
    pub raw: bool,
    /// Output: one line per call and a summary (text), or JSON Lines.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Detail view: every field of each result under its line (text; the
    /// default for a single call).
    #[arg(short = 'V', long)]
    pub verbose: bool,
    /// Bulk data (long opaques) in JSON: `len` gives `{"len": N}`, `hex`
    /// also the bytes.
    #[arg(long, value_enum, default_value_t = DataMode::Len, value_name = "MODE")]
    pub data: DataMode,
    /// Use TCP (the default).
    #[arg(long, conflicts_with = "udp")]
    pub tcp: bool,
    /// Use UDP.
    #[arg(long)]
    pub udp: bool,
    /// Server port; default: ask the host's portmapper (GETPORT), or 111 for
    /// program 100000.
    #[arg(long)]
    pub port: Option<u16>,
    /// Credential to send.
    #[arg(long, value_enum, default_value_t = AuthKind::None)]
    pub auth: AuthKind,
    /// Number of calls.
    #[arg(long, default_value_t = 1)]
    pub count: u64,
    /// Calls in flight at once (one connection or socket each).
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Seconds to wait for each reply.
    #[arg(long, default_value_t = 5.0)]
    pub timeout: f64,
    /// Largest TCP record fragment to send, in bytes (a larger call is split
    /// into several fragments).
    #[arg(long, default_value_t = 1 << 20)]
    pub max_fragment: usize,
    /// First xid (later calls count up); default: from the clock.
    #[arg(long, value_parser = parse_u32)]
    pub xid: Option<u32>,
    /// Print only the summary, not one line per call.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `call --help`: how arguments are written.
const ARGS_HELP: &str = concat!(
    "\
Arguments (encoded through the procedure's .x definition, built in or --idl):
  NAME=VALUE pairs name the members of the argument struct:
    rpcscope call HOST portmap 2 GETPORT prog=100003 vers=3 prot=6 port=0
  nested members with dots, array and list elements by index, unions by
  their .x members (the discriminant and the arm):
    rpcscope call HOST nfs 3 LOOKUP what.dir=<handle hex> what.name=file
  values as their type says: strings as typed, opaque data as hex, integers
  in decimal or 0x hex, enums by name or number, true/false, null for absent
  optional data; a whole struct, union or array as JSON (path='[1,2]');
  rpcgen -N argument lists as arg1=... arg2=...; a procedure whose one
  argument has no members (a string, an int, a list) takes its value alone.
  --args JSON gives the same as JSON, --args-hex the XDR bytes.

Output: one line per call (xid, status, latency, a summary of the results),
with every field of the results below it for a single call or with -V;
--format json prints one object per call with \"result\" as in
`rpcscope read --format json`, then a summary object.

",
    crate::exit_status_help!()
);

fn parse_u32(s: &str) -> Result<u32, String> {
    parse_number(s).ok_or_else(|| format!("not a 32-bit number: {s:?}"))
}

/// A decimal or `0x` hexadecimal `u32`.
fn parse_number(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// A validated call plan.
#[derive(Debug, Clone)]
struct Plan {
    addr: SocketAddr,
    proto: Transport,
    program: u32,
    version: u32,
    procedure: u32,
    cred: Cred,
    args: Vec<u8>,
    timeout: Duration,
    max_fragment: usize,
    /// How results are shown.
    view: View,
}

/// Why a plan could not be made: a bad command line (exit 2), or the call
/// could not be made (exit 1).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stop {
    Usage(String),
    Failed(String),
}

/// One call's outcome, sent from a worker to the printer.
struct Record {
    xid: u32,
    latency: Duration,
    result: Result<(ReplyStatus, Vec<u8>), String>,
}

/// Run `rpcscope call`; returns the exit code (see the module docs).
pub fn run(args: &CallArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let limits = Limits::default();
    let plan = match plan(args, &limits) {
        Ok(p) => p,
        Err(Stop::Usage(msg)) => {
            writeln!(err, "rpcscope call: {msg}")?;
            return Ok(2);
        }
        Err(Stop::Failed(msg)) => {
            writeln!(err, "rpcscope call: {msg}")?;
            return Ok(1);
        }
    };
    let first_xid = args.xid.unwrap_or_else(clock_xid);
    let next = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel::<Record>();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.min(args.count as usize) {
        let (plan, next, tx, count) = (plan.clone(), next.clone(), tx.clone(), args.count);
        let limits = limits.clone();
        workers.push(std::thread::spawn(move || {
            worker(&plan, &limits, first_xid, count, &next, &tx)
        }));
    }
    drop(tx);
    let mut totals = Totals {
        latencies: Vec::with_capacity(args.count.min(1 << 20) as usize),
        ..Totals::default()
    };
    let json = args.format == Format::Json;
    let mut line = String::new();
    let mut buf = Vec::new();
    for rec in rx {
        let status = match &rec.result {
            Ok((st, _)) => st.to_string(),
            Err(_) => "no_reply".to_string(),
        };
        let latency = rec.result.is_ok().then_some(rec.latency);
        totals.count(&status, latency);
        if args.quiet {
            continue;
        }
        if json {
            buf.clear();
            let mut w = ObjectWriter::new(&mut buf);
            w.str("type", "call");
            w.u64("xid", rec.xid.into());
            w.str("status", &status);
            match latency {
                Some(l) => jsonw::decimal(w.key("latency_ms"), show::duration_ns(l), 1_000_000),
                None => w.null("latency_ms"),
            }
            match &rec.result {
                Ok((st, results)) if st.is_success() => plan.view.json(results, &mut w),
                Ok(_) => w.null("result"),
                Err(e) => {
                    w.null("result");
                    w.str("error", e);
                }
            }
            w.end();
            buf.push(b'\n');
            out.write_all(&buf)?;
        } else {
            line.clear();
            line.push_str(&format!("xid={:#010x} status={status}", rec.xid));
            if let Some(l) = latency {
                line.push_str(&format!(" latency_ms={:.3}", l.as_secs_f64() * 1e3));
            }
            match &rec.result {
                Ok((st, results)) if st.is_success() => plan.view.text(results, &mut line),
                Ok(_) => {}
                Err(e) => line.push_str(&format!(" error=\"{e}\"")),
            }
            writeln!(out, "{line}")?;
        }
    }
    for w in workers {
        let _ = w.join();
    }
    totals.elapsed = started.elapsed();
    totals.latencies.sort_unstable();
    if json {
        totals.write_json(out)?;
    } else {
        totals.write_text(out)?;
    }
    Ok(if totals.no_reply > 0 { 1 } else { 0 })
}

fn worker(
    plan: &Plan,
    limits: &Limits,
    first_xid: u32,
    count: u64,
    next: &AtomicU64,
    tx: &mpsc::Sender<Record>,
) {
    let mut conn: Option<Conn> = None;
    let mut msg = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= count {
            return;
        }
        let xid = first_xid.wrapping_add(i as u32);
        msg.clear();
        let result = build_call(
            xid,
            plan.program,
            plan.version,
            plan.procedure,
            &plan.cred,
            &plan.args,
            limits,
            &mut msg,
        )
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()));
        let t0 = Instant::now();
        let result = result.and_then(|()| {
            let c = match conn.as_mut() {
                Some(c) => c,
                None => conn.insert(Conn::open(
                    plan.proto,
                    plan.addr,
                    plan.timeout,
                    plan.max_fragment,
                    limits,
                )?),
            };
            c.call(&msg, xid, plan.timeout)
        });
        let latency = t0.elapsed();
        let result = match result {
            Ok(reply) => match ReplyStatus::parse(&reply, limits) {
                Ok((_, st, results)) => Ok((st, results.to_vec())),
                Err(e) => Err(format!("reply does not decode: {e}")),
            },
            Err(e) => {
                // A TCP connection in an unknown state is not reused.
                conn = None;
                Err(format!("{} ({e})", plan.addr))
            }
        };
        if tx
            .send(Record {
                xid,
                latency,
                result,
            })
            .is_err()
        {
            return;
        }
    }
}

/// Validate the arguments, encode them, and find the server's port.
fn plan(args: &CallArgs, limits: &Limits) -> Result<Plan, Stop> {
    let usage = |m: String| Stop::Usage(m);
    if args.count == 0 {
        return Err(usage("--count: must be at least 1".into()));
    }
    if !(args.timeout > 0.0 && args.timeout < 1e6) {
        return Err(usage(format!(
            "--timeout must be a positive number of seconds, not {}",
            args.timeout
        )));
    }
    if args.concurrency == 0 || args.concurrency > limits.client_max_concurrency {
        return Err(usage(format!(
            "--concurrency must be 1..={}, not {}",
            limits.client_max_concurrency, args.concurrency
        )));
    }
    if args.max_fragment == 0 {
        return Err(usage("--max-fragment must be at least 1".into()));
    }
    let body_args = crate::cli::BodyArgs {
        idl: args.idl.clone(),
        ..Default::default()
    };
    let registry = crate::app::config::registry(&body_args).map_err(|e| usage(e.to_string()))?;
    let program = parse_number(&args.program)
        .or_else(|| registry.program_by_name(&args.program))
        .ok_or_else(|| {
            usage(format!(
                "unknown program {:?} (a number or a name)",
                args.program
            ))
        })?;
    let pname = registry
        .program_name(program)
        .map_or_else(|| program.to_string(), str::to_string);
    let procedure = parse_number(&args.procedure)
        .or_else(|| procedure_by_name(&registry, program, args.version, &args.procedure))
        .ok_or_else(|| {
            usage(format!(
                "unknown procedure {:?} for {pname} version {}",
                args.procedure, args.version
            ))
        })?;
    let what = match registry.procedure_name(program, args.version, procedure) {
        Some(n) => format!("{pname} v{} {n}", args.version),
        None => format!("{pname} v{} procedure {procedure}", args.version),
    };
    let defined = registry
        .version(program, args.version)
        .and_then(|entry| Some((entry, entry.procedure(procedure)?)));
    let input = match (&args.args, &args.args_hex) {
        (Some(j), _) => args::Input::Json(j),
        (None, Some(h)) => args::Input::Hex(h),
        (None, None) if !args.pairs.is_empty() => args::Input::Pairs(&args.pairs),
        (None, None) => args::Input::Nothing,
    };
    let procedure_def = defined.map(|(entry, def)| args::Procedure { entry, def });
    let args_bytes = args::encode(procedure_def, input, &what).map_err(usage)?;
    let view = View::new(
        defined
            .filter(|_| !args.raw)
            .map(|(entry, def)| (entry.clone(), def.result)),
        limits,
        args.data == DataMode::Hex,
        args.verbose || args.count == 1,
    );
    let proto = if args.udp {
        Transport::Udp
    } else {
        Transport::Tcp
    };
    let timeout = Duration::from_secs_f64(args.timeout);
    let cred = match args.auth {
        AuthKind::None => Cred::None,
        AuthKind::Sys => Cred::Sys {
            uid: 0,
            gid: 0,
            machine: "rpcscope".into(),
        },
    };
    let host = resolve(&args.host, 111).map_err(Stop::Failed)?;
    let port = match args.port {
        Some(p) => p,
        None if program == PORTMAP => 111,
        None => {
            getport(host, proto, program, args.version, timeout, limits).map_err(Stop::Failed)?
        }
    };
    Ok(Plan {
        addr: SocketAddr::new(host.ip(), port),
        proto,
        program,
        version: args.version,
        procedure,
        cred,
        args: args_bytes,
        timeout,
        max_fragment: args.max_fragment,
        view,
    })
}

/// The portmapper's program number.
const PORTMAP: u32 = 100000;

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve host {host:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("host {host:?} has no address"))
}

/// The procedure number of a name (any case): the `.x` display or full
/// name in that version, else in any version of the program (so a version
/// probe can name its procedure), else the built-in names table (programs
/// without a definition); `NULL` is 0 in every program.
fn procedure_by_name(registry: &Registry, program: u32, version: u32, name: &str) -> Option<u32> {
    let by_def = |procs: &[crate::programs::schema::ProcDef]| {
        procs
            .iter()
            .find(|p| p.display.eq_ignore_ascii_case(name) || p.name.eq_ignore_ascii_case(name))
            .map(|p| p.number)
    };
    let find = |procs: &[&str]| {
        procs
            .iter()
            .position(|p| !p.is_empty() && p.eq_ignore_ascii_case(name))
            .map(|i| i as u32)
    };
    registry
        .version(program, version)
        .and_then(|e| by_def(&e.version_def().procedures))
        .or_else(|| registry.procedure_by_name(Some(program), name))
        .or_else(|| {
            let info = crate::programs::program(program)?;
            match info.version(version) {
                Some(v) => find(v.procedures),
                None => info.versions.iter().find_map(|v| find(v.procedures)),
            }
        })
        .or_else(|| name.eq_ignore_ascii_case("NULL").then_some(0))
}

fn clock_xid() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (t.subsec_nanos() ^ (t.as_secs() as u32).rotate_left(16) ^ std::process::id()) & 0xffff_f000
}

/// Ask the portmapper at `host` (port 111) for the port of `(program,
/// version)` on `proto` with portmap v2 GETPORT, through the built-in
/// definition.
fn getport(
    host: SocketAddr,
    proto: Transport,
    program: u32,
    version: u32,
    timeout: Duration,
    limits: &Limits,
) -> Result<u16, String> {
    let prot = match proto {
        Transport::Tcp => 6,
        Transport::Udp => 17,
    };
    // struct mapping { prog; vers; prot; port; }
    let mapping = Value::Struct(vec![
        Value::UInt(program.into()),
        Value::UInt(version.into()),
        Value::UInt(prot),
        Value::UInt(0),
    ]);
    let pm = SocketAddr::new(host.ip(), 111);
    let getport = Builtin {
        program: PORTMAP,
        version: 2,
        procedure: 3,
    };
    let (status, result) = call_value(pm, proto, getport, &Cred::None, &mapping, timeout, limits)
        .map_err(|e| format!("portmapper at {pm}: {e}"))?;
    let Some(result) = result else {
        return Err(format!("portmapper at {pm} answered GETPORT with {status}"));
    };
    let port = result
        .as_u32()
        .ok_or_else(|| format!("portmapper at {pm}: GETPORT reply is not a port"))?;
    match u16::try_from(port) {
        Ok(0) => Err(format!(
            "program {program} version {version} is not registered with the portmapper at {pm} ({})",
            if proto == Transport::Tcp { "tcp" } else { "udp" }
        )),
        Ok(p) => Ok(p),
        Err(_) => Err(format!("portmapper at {pm} answered port {port}")),
    }
}

/// One call, one reply: status and results. Used for GETPORT and for
/// `serve --register`.
#[allow(clippy::too_many_arguments)]
pub fn call_once(
    addr: SocketAddr,
    proto: Transport,
    program: u32,
    version: u32,
    procedure: u32,
    cred: &Cred,
    args: &[u8],
    timeout: Duration,
    limits: &Limits,
) -> Result<(ReplyStatus, Vec<u8>), String> {
    let xid = clock_xid() | 0x800;
    let mut msg = Vec::new();
    build_call(
        xid, program, version, procedure, cred, args, limits, &mut msg,
    )
    .map_err(|e| e.to_string())?;
    let mut c = Conn::open(proto, addr, timeout, 1 << 20, limits).map_err(|e| e.to_string())?;
    let reply = c.call(&msg, xid, timeout).map_err(|e| e.to_string())?;
    let (_, st, results) = ReplyStatus::parse(&reply, limits).map_err(|e| e.to_string())?;
    Ok((st, results.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names() {
        assert_eq!(parse_number("100000"), Some(100000));
        assert_eq!(parse_number("0x20000099"), Some(0x2000_0099));
        assert_eq!(parse_number("nfs"), None);
        let r = Registry::builtin();
        assert_eq!(procedure_by_name(&r, 100000, 2, "dump"), Some(4));
        assert_eq!(
            procedure_by_name(&r, 100000, 2, "PMAPPROC_GETPORT"),
            Some(3)
        );
        assert_eq!(procedure_by_name(&r, 0x2000_0099, 1, "UPLOAD"), Some(7));
        assert_eq!(procedure_by_name(&r, 100000, 9, "dump"), Some(4));
        assert_eq!(
            procedure_by_name(&r, 100000, 2, "getstat"),
            Some(12),
            "v4's"
        );
        assert_eq!(procedure_by_name(&r, 100000, 2, "nosuch"), None);
        // rstat has no .x: the names table.
        assert_eq!(procedure_by_name(&r, 100001, 3, "havedisk"), Some(2));
        // Procedure 0 of any program is NULL.
        assert_eq!(procedure_by_name(&r, 0x3000_0000, 1, "null"), Some(0));
    }

    fn plan_of(cmd: &[&str]) -> Result<Plan, Stop> {
        let a = CallArgs::try_parse_from([&["call"][..], cmd].concat()).unwrap();
        plan(&a, &Limits::default())
    }

    fn usage(cmd: &[&str]) -> String {
        match plan_of(cmd) {
            Err(Stop::Usage(m)) => m,
            other => panic!("{cmd:?}: {other:?}"),
        }
    }

    #[test]
    fn bad_command_lines_are_usage_errors() {
        let h = "127.0.0.1";
        assert_eq!(
            usage(&[h, "portmap", "2", "NULL", "--count", "0"]),
            "--count: must be at least 1"
        );
        assert_eq!(
            usage(&[h, "nosuch", "2", "NULL"]),
            "unknown program \"nosuch\" (a number or a name)"
        );
        assert_eq!(
            usage(&[h, "portmap", "2", "FROB"]),
            "unknown procedure \"FROB\" for portmapper version 2"
        );
        assert_eq!(
            usage(&[
                h,
                "portmap",
                "2",
                "GETPORT",
                "--args",
                r#"{"prog":"nfs","vers":3,"prot":6,"port":0}"#
            ]),
            "args.prog: expected an unsigned int, got a string"
        );
        assert!(usage(&[h, "portmap", "2", "GETPORT"])
            .starts_with("portmapper v2 GETPORT takes arguments"));
        assert!(usage(&[h, "0x30000000", "1", "1", "x=1"])
            .starts_with("no .x definition of 805306368 v1 procedure 1"));
        assert!(
            usage(&[h, "portmap", "2", "NULL", "--idl", "/nonexistent.x"])
                .contains("/nonexistent.x")
        );
    }

    #[test]
    fn arguments_are_encoded_before_any_network_use() {
        // The portmapper's port is known, so nothing is sent while planning.
        let p = plan_of(&[
            "127.0.0.1",
            "portmap",
            "2",
            "GETPORT",
            "prog=100003",
            "vers=3",
            "prot=6",
            "port=0",
        ])
        .unwrap();
        assert_eq!(
            (p.program, p.version, p.procedure, p.addr.port()),
            (100000, 2, 3, 111)
        );
        assert_eq!(
            p.args,
            [0, 1, 0x86, 0xa3, 0, 0, 0, 3, 0, 0, 0, 6, 0, 0, 0, 0]
        );
        let p = plan_of(&["127.0.0.1", "100000", "4", "0", "--args-hex", "0102 0304"]).unwrap();
        assert_eq!(p.args, [1, 2, 3, 4]);
    }
}
