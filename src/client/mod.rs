//! `rpcscope call`: an ONC RPC client for generating traffic and load.
//!
//! It sends `--count` calls of one procedure over `--concurrency`
//! connections (one thread and one TCP connection or UDP socket each),
//! prints each reply's xid, status and latency, and a summary with calls per
//! second and latency percentiles. The port comes from `--port`, or from the
//! portmapper on the host (portmap v2 GETPORT over the same transport, as
//! `rpcinfo` does), or is 111 for the portmapper itself.
//!
//! Exit status: 0 when every call got a reply (whatever its status), 1 when
//! any call got none (timeout, connection error), 2 for bad arguments.
//!
//! Message building and reply parsing are sans-IO ([`wire`]) and reuse the
//! rpc codecs; [`conn`] moves the bytes. Latencies are kept exactly (8 bytes
//! per call) so percentiles are exact; `--count` is bounded by memory only.

pub mod conn;
pub mod wire;

use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};

use crate::limits::Limits;
use crate::net::Transport;
use crate::programs;
use crate::rpc::xdr::{XdrReader, XdrWriter};
use conn::Conn;
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
pub struct CallArgs {
    /// Server host name or address.
    pub host: String,
    /// Program: a number (decimal or 0x hex) or a name (`portmapper`,
    /// `nfs`, `rpcscope_test`, ...).
    pub program: String,
    /// Program version.
    pub version: u32,
    /// Procedure: a number or its name in that program version (`NULL`,
    /// `DUMP`, `ECHO`, ...).
    pub procedure: String,
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
    /// Procedure arguments, XDR-encoded, as hex (whitespace ignored).
    #[arg(long, value_name = "HEX")]
    pub args_hex: Option<String>,
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
        Err(msg) => {
            writeln!(err, "rpcscope call: {msg}")?;
            return Ok(2);
        }
    };
    let first_xid = args.xid.unwrap_or_else(clock_xid);
    let next = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel::<Record>();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.min(args.count.max(1) as usize) {
        let (plan, next, tx, count) = (plan.clone(), next.clone(), tx.clone(), args.count);
        let limits = limits.clone();
        workers.push(std::thread::spawn(move || {
            worker(&plan, &limits, first_xid, count, &next, &tx)
        }));
    }
    drop(tx);
    let mut latencies = Vec::with_capacity(args.count.min(1 << 20) as usize);
    let mut statuses: Vec<(String, u64)> = Vec::new();
    let (mut replied, mut failed) = (0u64, 0u64);
    for rec in rx {
        let status = match &rec.result {
            Ok((st, _)) => st.to_string(),
            Err(_) => "no_reply".to_string(),
        };
        match statuses.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => statuses.push((status.clone(), 1)),
        }
        match &rec.result {
            Ok(_) => {
                replied += 1;
                latencies.push(rec.latency);
            }
            Err(_) => failed += 1,
        }
        if !args.quiet {
            write!(
                out,
                "xid={:#010x} status={} latency_ms={:.3}",
                rec.xid,
                status,
                rec.latency.as_secs_f64() * 1e3
            )?;
            match &rec.result {
                Ok((_, results)) => writeln!(out, " results={}", hex_prefix(results, 64))?,
                Err(e) => writeln!(out, " error=\"{e}\"")?,
            }
        }
    }
    for w in workers {
        let _ = w.join();
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1e3
    };
    let calls = replied + failed;
    writeln!(
        out,
        "summary: calls={calls} replied={replied} no_reply={failed} elapsed_s={:.3} calls_per_s={:.1} \
         latency_ms p50={:.3} p90={:.3} p99={:.3} max={:.3}",
        elapsed.as_secs_f64(),
        calls as f64 / elapsed.as_secs_f64().max(1e-9),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0),
    )?;
    write!(out, "statuses:")?;
    for (s, n) in &statuses {
        write!(out, " {s}={n}")?;
    }
    writeln!(out)?;
    Ok(if failed > 0 { 1 } else { 0 })
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

/// Validate the arguments and find the server's port.
fn plan(args: &CallArgs, limits: &Limits) -> Result<Plan, String> {
    let program = parse_number(&args.program)
        .or_else(|| programs::program_by_name(&args.program))
        .ok_or_else(|| format!("unknown program {:?} (a number or a name)", args.program))?;
    let procedure = parse_number(&args.procedure)
        .or_else(|| procedure_by_name(program, args.version, &args.procedure))
        .ok_or_else(|| {
            format!(
                "unknown procedure {:?} for program {program} version {}",
                args.procedure, args.version
            )
        })?;
    let args_bytes = match &args.args_hex {
        Some(h) => parse_hex(h).ok_or_else(|| format!("--args-hex is not hex: {h:?}"))?,
        None => Vec::new(),
    };
    if !(args.timeout > 0.0 && args.timeout < 1e6) {
        return Err(format!(
            "--timeout must be a positive number of seconds, not {}",
            args.timeout
        ));
    }
    if args.concurrency == 0 || args.concurrency > limits.client_max_concurrency {
        return Err(format!(
            "--concurrency must be 1..={}, not {}",
            limits.client_max_concurrency, args.concurrency
        ));
    }
    if args.max_fragment == 0 {
        return Err("--max-fragment must be at least 1".into());
    }
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
    let host = resolve(&args.host, 111)?;
    let port = match args.port {
        Some(p) => p,
        None if program == 100000 => 111,
        None => getport(host, proto, program, args.version, timeout, limits)?,
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
    })
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve host {host:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("host {host:?} has no address"))
}

/// The procedure number of a name in the program's table, ignoring case;
/// for a version we have no table for, the name in any known version (so
/// `NULL` works everywhere, and a version probe can name its procedure).
fn procedure_by_name(program: u32, version: u32, name: &str) -> Option<u32> {
    let info = programs::program(program)?;
    let find = |procs: &[&str]| {
        procs
            .iter()
            .position(|p| !p.is_empty() && p.eq_ignore_ascii_case(name))
            .map(|i| i as u32)
    };
    match info.version(version) {
        Some(v) => find(v.procedures),
        None => info.versions.iter().find_map(|v| find(v.procedures)),
    }
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}

fn hex_prefix(b: &[u8], max: usize) -> String {
    let mut s: String = b.iter().take(max).map(|x| format!("{x:02x}")).collect();
    if b.len() > max {
        s.push_str(&format!("...({} bytes)", b.len()));
    }
    s
}

fn clock_xid() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (t.subsec_nanos() ^ (t.as_secs() as u32).rotate_left(16) ^ std::process::id()) & 0xffff_f000
}

/// Ask the portmapper at `host` (port 111) for the port of `(program,
/// version)` on `proto` with portmap v2 GETPORT.
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
    let mut args = Vec::new();
    XdrWriter::new(&mut args)
        .put_u32(program)
        .put_u32(version)
        .put_u32(prot)
        .put_u32(0);
    let pm = SocketAddr::new(host.ip(), 111);
    let (status, results) = call_once(pm, proto, 100000, 2, 3, &Cred::None, &args, timeout, limits)
        .map_err(|e| format!("portmapper at {pm}: {e}"))?;
    if !status.is_success() {
        return Err(format!("portmapper at {pm} answered GETPORT with {status}"));
    }
    let port = XdrReader::new(&results)
        .u32("getport.port")
        .map_err(|e| format!("portmapper at {pm}: GETPORT reply: {e}"))?;
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
    fn numbers_names_and_hex() {
        assert_eq!(parse_number("100000"), Some(100000));
        assert_eq!(parse_number("0x20000099"), Some(0x2000_0099));
        assert_eq!(parse_number("nfs"), None);
        assert_eq!(procedure_by_name(100000, 2, "dump"), Some(4));
        assert_eq!(procedure_by_name(0x2000_0099, 1, "UPLOAD"), Some(7));
        assert_eq!(procedure_by_name(100000, 9, "dump"), Some(4));
        assert_eq!(procedure_by_name(100000, 2, "getstat"), None);
        assert_eq!(parse_hex("00 00 00 0a"), Some(vec![0, 0, 0, 10]));
        assert_eq!(parse_hex("abc"), None);
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(hex_prefix(&[1, 2, 3], 2), "0102...(3 bytes)");
    }
}
