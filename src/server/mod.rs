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
//! With `--register` the portmapper is not served; the test program is
//! registered with the rpcbind already running on 127.0.0.1:111 (rpcbind v4
//! SET, portmap v2 SET as a fallback) and unregistered on SIGINT/SIGTERM.

pub mod admission;
pub mod net;
pub mod portmap;
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
pub use service::{CallCtx, Caller, Disposition, Served, Service, Transport};

use crate::limits::Limits;

/// Arguments of `rpcscope serve`.
#[derive(Debug, Parser)]
pub struct ServeArgs {
    /// Port for every listener; default 111, or a free port with
    /// `--register`.
    #[arg(long)]
    pub port: Option<u16>,
    /// Addresses to listen on (repeatable); default `0.0.0.0` and `::`.
    #[arg(long = "listen", value_name = "ADDR")]
    pub listen: Vec<IpAddr>,
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
    let addrs: Vec<IpAddr> = if args.listen.is_empty() {
        vec![
            IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        ]
    } else {
        args.listen.clone()
    };
    let port = args.port.unwrap_or(if args.register { 0 } else { 111 });
    let listeners = net::bind_all(&addrs, port)?;
    let port = listeners.port;

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone())?;
    }

    let mut service = Service::new(&limits, !args.register);
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
    let handles = net::spawn_all(listeners, service, &limits, &stop, args.verbose);
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
    writeln!(err, "rpcscope serve: shutting down")?;
    if args.register {
        register::unregister(&registered, &limits);
    }
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}
