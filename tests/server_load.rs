//! The reference server under load, on loopback: 1,000 concurrent TCP
//! connections, 200 slowloris and 200 idle clients, while bystanders keep
//! getting answers within the bounds docs/server.md states; connection caps,
//! threads, descriptors and memory stay bounded, and nothing leaks once the
//! crowd is gone.

mod common;
#[path = "common/server.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rpcscope::client::wire::Cred;
use rpcscope::rpc::encode_record;
use rpcscope::server::testprog::{procs, PROGRAM};
use support::*;

/// Bounds stated in docs/server.md ("Under load").
const ESTABLISHED_MAX: Duration = Duration::from_millis(1000);
const ESTABLISHED_P99: Duration = Duration::from_millis(200);
const NEW_CLIENT_MAX: Duration = Duration::from_millis(3000);
const UDP_MAX: Duration = Duration::from_millis(1000);
const SERVER_RSS_KIB: u64 = 64 * 1024;

/// (threads, open descriptors, resident KiB) of a process.
fn usage(pid: u32) -> (usize, usize, u64) {
    let n = |d: String| std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0);
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0);
    (
        n(format!("/proc/{pid}/task")),
        n(format!("/proc/{pid}/fd")),
        rss,
    )
}

fn null_record(xid: u32) -> Vec<u8> {
    let mut v = Vec::new();
    encode_record(
        &call_msg(xid, PROGRAM, 1, procs::NULL, &Cred::None, &[]),
        1 << 20,
        &mut v,
    );
    v
}

/// One call on an open connection: the latency, or `None` when the server
/// closed the connection instead of answering.
fn timed_call(s: &mut TcpStream, xid: u32) -> Option<Duration> {
    let t = Instant::now();
    s.write_all(&null_record(xid)).ok()?;
    let mut mark = [0u8; 4];
    s.read_exact(&mut mark).ok()?;
    let len = (u32::from_be_bytes(mark) & 0x7fff_ffff) as usize;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    (body[..4] == xid.to_be_bytes()).then(|| t.elapsed())
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1]
}

#[test]
fn bystanders_are_served_through_a_connection_flood_and_nothing_leaks() {
    let mut server = Server::start(&["--port", "0", "--listen", "127.0.0.1"]);
    let (port, pid) = (server.port, server.child.id());
    std::thread::sleep(Duration::from_millis(300));
    let base = usage(pid);
    let stop = Arc::new(AtomicBool::new(false));

    // Bystander A: an established connection, a NULL call every 20 ms.
    let a = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut lat = Vec::new();
            let mut xid = 1u32;
            while !stop.load(Ordering::Relaxed) {
                let l = timed_call(&mut s, xid).expect("established bystander answered");
                lat.push(l);
                xid += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            lat
        })
    };
    // Bystander B: a new connection for each call, every 200 ms, retrying
    // when refused; the time from the first connect to the answer.
    let b = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut lat = Vec::new();
            let mut xid = 0x1000_0000u32;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                loop {
                    xid += 1;
                    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
                        continue;
                    };
                    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    if timed_call(&mut s, xid).is_some() {
                        break;
                    }
                    assert!(t.elapsed() < Duration::from_secs(20), "never served");
                    std::thread::sleep(Duration::from_millis(20));
                }
                lat.push(t.elapsed());
                std::thread::sleep(Duration::from_millis(200));
            }
            lat
        })
    };
    // Bystander C: UDP, every 50 ms.
    let c = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut lat = Vec::new();
            let mut xid = 0x2000_0000u32;
            let mut buf = vec![0u8; 1500];
            while !stop.load(Ordering::Relaxed) {
                xid += 1;
                let t = Instant::now();
                let m = call_msg(xid, PROGRAM, 1, procs::NULL, &Cred::None, &[]);
                s.send_to(&m, ("127.0.0.1", port)).unwrap();
                let n = s.recv(&mut buf).expect("UDP bystander answered");
                assert_eq!(buf[..4], xid.to_be_bytes());
                let _ = n;
                lat.push(t.elapsed());
                std::thread::sleep(Duration::from_millis(50));
            }
            lat
        })
    };
    // The server's usage, sampled every 50 ms.
    let peak = Arc::new(Mutex::new((0usize, 0usize, 0u64)));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let (t, f, r) = usage(pid);
                let mut p = peak.lock().unwrap();
                *p = (p.0.max(t), p.1.max(f), p.2.max(r));
                drop(p);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(300));

    // The crowd: 200 idle clients, 200 slowloris, then 1,000 clients that
    // each make a call and keep their connection open.
    let crowd: Arc<Mutex<Vec<TcpStream>>> = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..200 {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            crowd.lock().unwrap().push(s);
        }
    }
    let slow = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut socks: Vec<TcpStream> = (0..200)
                .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
                .collect();
            let rec = null_record(7);
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < rec.len() - 1 {
                for s in &mut socks {
                    let _ = s.write_all(&rec[i..i + 1]);
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(300));
            }
            socks.len()
        })
    };
    let mut workers = Vec::new();
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for w in 0..10u32 {
        let (crowd, answered) = (crowd.clone(), answered.clone());
        workers.push(std::thread::spawn(move || {
            for i in 0..100u32 {
                let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
                    continue;
                };
                s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                if timed_call(&mut s, 0x3000_0000 + w * 1000 + i).is_some() {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
                crowd.lock().unwrap().push(s);
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }
    for w in workers {
        w.join().unwrap();
    }
    // Let the crowd sit a while longer, then go.
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    let slowloris = slow.join().unwrap();
    let mut a = a.join().unwrap();
    let mut b = b.join().unwrap();
    let mut c = c.join().unwrap();
    sampler.join().unwrap();
    let crowd_size = crowd.lock().unwrap().len();
    drop(crowd.lock().unwrap().drain(..));

    let (a_p99, a_max) = (percentile(&mut a, 0.99), percentile(&mut a, 1.0));
    let b_max = percentile(&mut b, 1.0);
    let c_max = percentile(&mut c, 1.0);
    let (threads, fds, rss) = *peak.lock().unwrap();
    eprintln!(
        "established: {} calls, p50 {:?} p99 {a_p99:?} max {a_max:?}; new connections: {} calls, p50 {:?} max {b_max:?}; udp: {} calls, max {c_max:?}",
        a.len(),
        percentile(&mut a, 0.5),
        b.len(),
        percentile(&mut b, 0.5),
        c.len()
    );
    eprintln!(
        "crowd: {crowd_size} + {slowloris} slowloris connections, {} of 1000 calls answered; server peak: {threads} threads (idle {}), {fds} descriptors (idle {}), {rss} KiB RSS",
        answered.load(Ordering::Relaxed),
        base.0,
        base.1
    );
    assert!(a.len() > 100 && b.len() > 10 && c.len() > 50);
    assert!(a_max <= ESTABLISHED_MAX, "established bystander: {a_max:?}");
    assert!(
        a_p99 <= ESTABLISHED_P99,
        "established bystander p99: {a_p99:?}"
    );
    assert!(
        b_max <= NEW_CLIENT_MAX,
        "new-connection bystander: {b_max:?}"
    );
    assert!(c_max <= UDP_MAX, "UDP bystander: {c_max:?}");
    // Caps: at most 256 connection threads beside the server's own, one
    // descriptor each; plus those replaced whose threads are still exiting
    // (a few on an idle machine; 59 were seen on a loaded 2-core CI run,
    // and 40 failed there). The slack stays far below what a missing cap
    // gives: the crowd alone is 1,400 connections.
    let cap = 256;
    let exiting = 128;
    assert!(threads <= base.0 + cap + exiting, "{threads} threads");
    assert!(fds <= base.1 + cap + exiting, "{fds} descriptors");
    assert!(rss <= SERVER_RSS_KIB, "{rss} KiB");
    // Nothing leaks: once the crowd is gone, back to the idle counts.
    let t = Instant::now();
    loop {
        let now = usage(pid);
        if now.0 == base.0 && now.1 == base.1 {
            eprintln!(
                "back to {} threads, {} descriptors in {:?}",
                now.0,
                now.1,
                t.elapsed()
            );
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "leak: {} threads, {} descriptors (idle: {}, {})",
            now.0,
            now.1,
            base.0,
            base.1
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.stop().code(), Some(143));
}
