//! The reference server's sans-IO service, without sockets: nanoseconds per
//! call of `Service::handle` for the calls a load test makes (test program
//! NULL, ECHO, GET; portmap GETPORT; DUMP of portmap v2 and rpcbind v3/v4
//! with `serve`'s default table of 16 registrations and with a full one of
//! 256). The loopback figures in docs/server.md are dominated by system
//! calls and scheduling on a shared machine; this isolates what the codecs
//! cost, so a change to them shows.
//!
//! `cargo bench --bench service` (release). `RPCSCOPE_BENCH_ITERS=N` sets
//! the calls per row (default 200 000; DUMP rows a tenth of it). Each row
//! is the best of 5 runs. `RPCSCOPE_BENCH_ONLY=TEXT` runs only the rows
//! whose name contains TEXT (for a profiler).

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

use rpcscope::client::wire::{build_call, Cred};
use rpcscope::limits::Limits;
use rpcscope::rpc::xdr::XdrWriter;
use rpcscope::server::{CallCtx, Disposition, Registration, Service, Transport};

const TEST: u32 = 0x2000_0099;

fn ctx() -> CallCtx {
    CallCtx {
        transport: Transport::Udp,
        peer: "127.0.0.1:700".parse().unwrap(),
        local: "127.0.0.1:111".parse().unwrap(),
        now_unix: 1_700_000_000,
    }
}

fn call(prog: u32, vers: u32, proc_: u32, cred: &Cred, args: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    build_call(7, prog, vers, proc_, cred, args, &Limits::default(), &mut m).unwrap();
    m
}

fn xdr(f: impl FnOnce(&mut XdrWriter<'_>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut XdrWriter::new(&mut v));
    v
}

/// `serve`'s own table: portmapper v2-4 and the test program on four netids.
fn default_service() -> Service {
    let limits = Limits::default();
    let mut s = Service::new(&limits, true);
    let served = s.served();
    let pm = s.portmap_mut().unwrap();
    for sv in &served {
        for v in (sv.low..=sv.high).rev() {
            for (netid, ip) in [
                ("tcp", "127.0.0.1"),
                ("udp", "127.0.0.1"),
                ("tcp6", "::1"),
                ("udp6", "::1"),
            ] {
                let addr = SocketAddr::new(ip.parse().unwrap(), 111);
                pm.set(Registration {
                    program: sv.program,
                    version: v,
                    netid: netid.into(),
                    uaddr: rpcscope::server::portmap::to_uaddr(&addr),
                    owner: "superuser".into(),
                });
            }
        }
    }
    s
}

/// A full table of IPv4 tcp/udp registrations.
fn full_service() -> Service {
    let limits = Limits::default();
    let mut s = Service::new(&limits, true);
    let pm = s.portmap_mut().unwrap();
    let mut i = 0;
    while pm.registrations().len() < limits.server_max_registrations {
        let netid = if i % 2 == 0 { "tcp" } else { "udp" };
        pm.set(Registration {
            program: 300_000 + i / 2,
            version: 1,
            netid: netid.into(),
            uaddr: format!("192.168.100.{}.{}.{}", i % 250, 4 + i % 200, i % 256),
            owner: "superuser".into(),
        });
        i += 1;
    }
    s
}

fn bench(name: &str, svc: &mut Service, msg: &[u8], iters: u32) {
    if let Ok(only) = std::env::var("RPCSCOPE_BENCH_ONLY") {
        if !name.contains(&only) {
            return;
        }
    }
    let ctx = ctx();
    let mut out = Vec::with_capacity(1 << 16);
    let d = svc.handle(msg, &ctx, &mut out);
    assert!(
        matches!(d, Disposition::Reply { .. }),
        "{name}: {d:?} for the benchmark call"
    );
    let reply_len = out.len();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..iters {
            black_box(svc.handle(black_box(msg), &ctx, &mut out));
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e9 / f64::from(iters));
    }
    println!("{name:<36} {reply_len:>6} {best:>10.0}");
}

fn main() {
    let iters: u32 = std::env::var("RPCSCOPE_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let few = (iters / 10).max(1);
    let none = Cred::None;
    let sys = Cred::Sys {
        uid: 0,
        gid: 0,
        machine: "bench".into(),
    };
    println!("{:<36} {:>6} {:>10}", "call", "reply", "ns/call");
    let mut d = default_service();
    bench("test NULL", &mut d, &call(TEST, 1, 0, &none, &[]), iters);
    let echo = xdr(|w| {
        w.put_opaque_var(&[0x5a; 100]);
    });
    bench(
        "test ECHO (100 bytes)",
        &mut d,
        &call(TEST, 1, 1, &none, &echo),
        iters,
    );
    let put = xdr(|w| {
        w.put_string(b"key").put_opaque_var(&[1; 1024]);
    });
    bench(
        "test PUT (1 KiB)",
        &mut d,
        &call(TEST, 1, 4, &sys, &put),
        iters,
    );
    let get = xdr(|w| {
        w.put_string(b"key");
    });
    bench(
        "test GET (1 KiB)",
        &mut d,
        &call(TEST, 1, 5, &none, &get),
        iters,
    );
    let getport = xdr(|w| {
        w.put_u32(TEST).put_u32(1).put_u32(17).put_u32(0);
    });
    bench(
        "portmap v2 GETPORT",
        &mut d,
        &call(100000, 2, 3, &none, &getport),
        iters,
    );
    let getaddr = xdr(|w| {
        w.put_u32(TEST)
            .put_u32(1)
            .put_string(b"udp")
            .put_string(b"")
            .put_string(b"");
    });
    bench(
        "rpcbind v4 GETADDR",
        &mut d,
        &call(100000, 4, 3, &none, &getaddr),
        iters,
    );
    for (label, svc) in [("16", &mut d), ("256", &mut full_service())] {
        for v in [2, 3, 4] {
            let name = format!("v{v} DUMP ({label} entries)");
            bench(&name, svc, &call(100000, v, 4, &none, &[]), few);
        }
    }
}
