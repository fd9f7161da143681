//! Small things a new user meets (issue 12, "polish"): the summary in
//! good English and within 100 columns, unreadable files counted, the live
//! banner and the snaplen warning, `serve` failures that say what to do.

mod common;
#[path = "common/server.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::enter_netns;

fn rpcscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn rpcinfo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/rpcbind-rpcinfo.pcap")
        .to_string_lossy()
        .into_owned()
}

/// The first `n` frames of the bundled capture (a little-endian pcap).
fn first_frames(n: usize) -> std::path::PathBuf {
    let bytes = std::fs::read(rpcinfo()).unwrap();
    let mut keep = bytes[..24].to_vec();
    let mut off = 24;
    for _ in 0..n {
        let incl = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        keep.extend_from_slice(&bytes[off..off + 16 + incl]);
        off += 16 + incl;
    }
    common::temp_file(&format!("first-{n}.pcap"), &keep)
}

#[test]
fn summary_is_singular_where_one_and_fits_100_columns() {
    // SYN, SYN-ACK, ACK, one GETADDR call: 1 call and no reply.
    let o = rpcscope(&["read", &first_frames(4).to_string_lossy()]);
    let err = stderr(&o);
    assert_eq!(
        err,
        "rpcscope: 4 frames in 1 file: 1 call, 0 replies, 0 exchanges, 1 unanswered call,\n\
         rpcscope: 0 replies without call, 0 retransmissions, 0 duplicate replies\n"
    );
    let o = rpcscope(&["read", &rpcinfo()]);
    let err = stderr(&o);
    assert_eq!(
        err,
        "rpcscope: 106 frames in 1 file: 17 calls, 17 replies, 17 exchanges, 0 unanswered calls,\n\
         rpcscope: 0 replies without call, 0 retransmissions, 0 duplicate replies\n"
    );
    assert!(err.lines().all(|l| l.len() <= 100), "{err}");
}

#[test]
fn unreadable_files_are_counted_in_the_text_summary_as_in_json() {
    let f = rpcinfo();
    let o = rpcscope(&["read", "-q", &f, "/nonexistent.pcap"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("rpcscope: /nonexistent.pcap: cannot open"),
        "{err}"
    );
    assert!(
        err.contains("106 frames in 1 file (1 could not be read): 17 calls"),
        "{err}"
    );
    let j = rpcscope(&["read", "-q", "--format", "json", &f, "/nonexistent.pcap"]);
    let s: serde_json::Value =
        serde_json::from_str(String::from_utf8(j.stdout).unwrap().trim()).unwrap();
    assert_eq!(
        (s["files"].as_u64(), s["files_failed"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn serve_bind_failure_suggests_port_0() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(["serve", "--listen", "127.0.0.1", "--port", &port])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("cannot bind tcp 127.0.0.1:{port}"))
            && err.contains("`--port 0` picks a free port"),
        "{err}"
    );
}

#[test]
fn serve_register_without_rpcbind_says_none_listens() {
    if !enter_netns("serve_register_without_rpcbind_says_none_listens") {
        return;
    }
    // A fresh network namespace: nothing listens on 127.0.0.1:111.
    let o = Command::new("timeout")
        .args(["20", env!("CARGO_BIN_EXE_rpcscope"), "serve", "--register"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("no rpcbind listening on 127.0.0.1:111"),
        "{err}"
    );
    assert!(!err.contains("refused SET"), "{err}");
}

#[test]
fn live_prints_the_tcpdump_banner_and_warns_of_a_small_snaplen() {
    if !enter_netns("live_prints_the_tcpdump_banner_and_warns_of_a_small_snaplen") {
        return;
    }
    let o = rpcscope(&[
        "live",
        "-i",
        "lo",
        "-Z",
        "root",
        "--snaplen",
        "64",
        "--duration",
        "0.2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("rpcscope: warning: --snaplen 64 is below the 96 bytes"),
        "{err}"
    );
    assert_eq!(
        lines[1],
        "rpcscope: listening on lo, link-type EN10MB (Ethernet), snapshot length 64 bytes"
    );
    let o = rpcscope(&["live", "-i", "lo", "-Z", "root", "--duration", "0.2"]);
    let err = stderr(&o);
    assert!(!err.contains("warning"), "{err}");
    assert!(
        err.starts_with("rpcscope: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n"),
        "{err}"
    );
}

#[test]
fn live_takes_the_same_text_flags_as_read() {
    if !enter_netns("live_takes_the_same_text_flags_as_read") {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rpcscope");
    let mut serve = Command::new(bin)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let live = |args: &[&str]| {
        Command::new("timeout")
            .args(["20", bin, "live", "-i", "lo", "-Z", "root"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let numbered = live(&["-#", "-t", "relative", "-c", "2", "--program", "portmapper"]);
    let quiet = live(&["-q", "-c", "1", "--format", "json"]);
    std::thread::sleep(std::time::Duration::from_millis(700));
    for _ in 0..3 {
        let o = Command::new(bin)
            .args(["call", "--udp", "127.0.0.1", "portmapper", "2", "NULL"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let n = numbered.wait_with_output().unwrap();
    let q = quiet.wait_with_output().unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(n.status.success(), "{}", stderr(&n));
    let out = String::from_utf8(n.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "-c 2: two calls and their replies\n{out}");
    for (i, l) in lines.iter().enumerate() {
        let w: Vec<&str> = l.split_whitespace().collect();
        let frame: u64 = w[0]
            .parse()
            .unwrap_or_else(|_| panic!("frame number first: {l}"));
        assert!(frame >= 1, "{l}");
        let secs: f64 = w[1]
            .parse()
            .unwrap_or_else(|_| panic!("relative seconds: {l}"));
        assert!((0.0..20.0).contains(&secs), "{l}");
        assert_eq!(w[2], "udp", "{l}");
        assert!(
            l.contains(if i % 2 == 0 {
                "call portmapper v2 NULL"
            } else {
                "reply portmapper v2 NULL"
            }),
            "{l}"
        );
    }
    assert!(q.status.success(), "{}", stderr(&q));
    let qout = String::from_utf8(q.stdout).unwrap();
    assert_eq!(
        qout.lines().count(),
        1,
        "-q: the summary object only\n{qout}"
    );
    let s: serde_json::Value = serde_json::from_str(qout.trim()).unwrap();
    assert_eq!(s["type"], "summary");
    assert!(s["exchanges"].as_u64().unwrap() >= 1, "{s}");
}
