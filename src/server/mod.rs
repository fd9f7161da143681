//! `rpcscope serve`: a reference ONC RPC server over TCP and UDP, IPv4 and
//! IPv6, serving the portmapper (portmap v2, rpcbind v3/v4) and the
//! `rpcscope_test` program (see `docs/server.md`).
//!
//! The core is sans-IO: [`Service::handle`] takes one call message and a
//! [`CallCtx`] and writes one reply message; [`RecordAssembler`] turns a TCP
//! byte stream into records under strict bounds. Both are pure and are what
//! the fuzzers and unit tests drive. Around them sit thin loops ([`net`])
//! that own the sockets, the clock and the sleeping.
//!
//! Concurrency is plain std threads: one per TCP connection (at most
//! `Limits::server_max_connections`) and `Limits::server_udp_workers` per UDP
//! socket, sharing the service behind a mutex held only while a call is
//! handled (microseconds; SLEEP waits outside it). Threads were chosen over
//! async because the connection count is bounded and small, the blocking
//! code is short and obvious, and it needs no runtime dependency. Each
//! connection has its own assembler and buffers, so one client's bad input
//! closes only its own connection.
//!
//! Exposure (docs/security.md): by default the sockets are bound to
//! `127.0.0.1` and `::1` only. Over UDP, callers that are not on loopback
//! are limited per source address ([`ratelimit`]) and get no reply that
//! could reflect or amplify ([`Refusal`]) unless `--allow-remote-udp`.
//!
//! With `--register` the portmapper is not served; the test program is
//! registered with the rpcbind already running on 127.0.0.1:111 (rpcbind v4
//! SET, portmap v2 SET as a fallback) and unregistered on SIGINT/SIGTERM.

pub mod admission;
mod codec;
pub mod net;
pub mod portmap;
pub mod ratelimit;
mod register;
pub mod service;
pub mod testprog;

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;

pub use crate::rpc::record::{RecordAssembler, RecordError};
pub use portmap::{Portmap, Registration, PORTMAP};
pub use service::{is_loopback, CallCtx, Caller, Disposition, Refusal, Served, Service, Transport};

use crate::limits::Limits;

/// Arguments of `rpcscope serve`.
#[derive(Debug, Parser)]
pub struct ServeArgs {
    /// Port for every listener; default 111, or a free port with
    /// `--register`.
    #[arg(long)]
    pub port: Option<u16>,
    /// Addresses to listen on (repeatable); default the loopback addresses
    /// `127.0.0.1` and `::1` only. `--listen 0.0.0.0 --listen ::` serves
    /// every interface.
    #[arg(long = "listen", value_name = "ADDR")]
    pub listen: Vec<IpAddr>,
    /// Over UDP, also answer non-loopback callers with DUMP, CALLIT, BCAST,
    /// INDIRECT and any reply larger than the call. Off by default: UDP
    /// source addresses can be forged, so those replies could be aimed at
    /// a victim (reflection and amplification, docs/server.md).
    #[arg(long)]
    pub allow_remote_udp: bool,
    /// UDP datagrams handled per second from one non-loopback source
    /// address (default 100, with bursts of 200); 0 for no limit.
    #[arg(long, value_name = "N")]
    pub udp_rate: Option<u32>,
    /// Do not serve the portmapper: register the test program with the
    /// rpcbind already running on 127.0.0.1:111, and unregister on exit.
    #[arg(long)]
    pub register: bool,
    /// Close a TCP connection idle for this many milliseconds.
    #[arg(long, value_name = "MS")]
    pub idle_timeout: Option<u64>,
    /// Close a TCP connection whose record takes longer than this many
    /// milliseconds to arrive (slowloris defence).
    #[arg(long, value_name = "MS")]
    pub record_deadline: Option<u64>,
    /// TCP connections served at once.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Log connections, refusals and garbage on stderr.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Run the server until SIGINT or SIGTERM.
pub fn run(args: &ServeArgs, err: &mut dyn Write) -> io::Result<()> {
    let mut limits = Limits::default();
    if let Some(ms) = args.idle_timeout {
        limits.server_idle_timeout_ms = ms;
    }
    if let Some(ms) = args.record_deadline {
        limits.server_record_deadline_ms = ms;
    }
    if let Some(n) = args.max_connections {
        limits.server_max_connections = n;
    }
    if let Some(n) = args.udp_rate {
        limits.server_udp_rate_per_source = n;
    }
    let port = args.port.unwrap_or(if args.register { 0 } else { 111 });
    let listeners = if args.listen.is_empty() {
        // Loopback only. A host without IPv6 loopback (IPv6 disabled) is
        // served on 127.0.0.1 alone, with a note.
        let v4 = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
        let v6 = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
        match net::bind_all(&[v4, v6], port) {
            Ok(l) => l,
            Err(e) if net::bind_all(&[v4], port).is_ok() => {
                writeln!(err, "rpcscope serve: note: serving 127.0.0.1 only: {e}")?;
                net::bind_all(&[v4], port)?
            }
            Err(e) => return Err(e),
        }
    } else {
        net::bind_all(&args.listen, port)?
    };
    let port = listeners.port;

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone())?;
    }

    let mut service = Service::new(&limits, !args.register);
    service.set_allow_remote_udp(args.allow_remote_udp);
    let served = service.served();
    let netids = listeners.netids();
    if let Some(pm) = service.portmap_mut() {
        for s in &served {
            for v in (s.low..=s.high).rev() {
                for (netid, ip) in &netids {
                    pm.set(Registration {
                        program: s.program,
                        version: v,
                        netid: (*netid).into(),
                        uaddr: portmap::to_uaddr(&SocketAddr::new(*ip, port)),
                        owner: "superuser".into(),
                    });
                }
            }
        }
    }
    let mut registered = Vec::new();
    if args.register {
        registered = register::register(&served, &netids, port, &limits)
            .map_err(|e| io::Error::other(format!("--register: {e}")))?;
    }
    for (netid, ip) in &netids {
        writeln!(
            err,
            "rpcscope serve: {netid} {}",
            SocketAddr::new(*ip, port)
        )?;
    }
    err.flush()?;

    let service = Arc::new(Mutex::new(service));
    let udp = net::UdpShared::new(&limits);
    let handles = net::spawn_all(listeners, service, &limits, &stop, &udp, args.verbose);
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
    writeln!(err, "rpcscope serve: shutting down")?;
    let (limited, refused) = udp.counts();
    if limited + refused > 0 {
        writeln!(
            err,
            "rpcscope serve: udp: {limited} datagrams over the per-source rate limit, {refused} remote calls not answered (reflection policy)"
        )?;
    }
    if args.register {
        register::unregister(&registered, &limits);
    }
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}
