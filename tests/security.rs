//! Security defences, end to end (docs/security.md):
//!
//! * the seccomp sandbox: a forbidden system call kills the process, the
//!   decoding phase's own calls (threads, sleeps, gzip, reading files) do
//!   not; `read` and `stats` run with `Seccomp: 2`; the public corpus
//!   decodes identically with and without it;
//! * `live` in a private network namespace (root): runs as the `-Z` user
//!   with no groups and empty capability sets and still decodes; `-Z root`
//!   keeps root; an unknown user stops it before it opens anything;
//! * `serve`: loopback only by default; with `--listen 0.0.0.0`, no UDP
//!   DUMP (or other amplifying reply) to a non-loopback caller unless
//!   `--allow-remote-udp`; the per-source rate limit holds under a flood
//!   while another source is served; and the amplification factor of every
//!   procedure, measured on the sans-IO service (docs/server.md).
//!
//! Tests that need root or `../shared` skip with a note, and fail under
//! `CI=true`.
#![cfg(target_os = "linux")]

mod common;
#[path = "common/server.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rpcscope::client::wire::Cred;
use rpcscope::limits::Limits;
use rpcscope::rpc::xdr::XdrWriter;
use rpcscope::server::portmap::Registration;
use rpcscope::server::testprog::{procs, PROGRAM};
use rpcscope::server::{CallCtx, Disposition, Service, Transport};
use support::{bin, call_msg, enter_netns, run, Server};

// ---- helpers -------------------------------------------------------------

/// The lines of `/proc/PID/status` the tests look at, as `key -> value`.
fn status(pid: u32) -> Option<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| {
                (
                    k.to_string(),
                    v.split_whitespace().collect::<Vec<_>>().join(" "),
                )
            })
            .collect(),
    )
}

/// Waits (up to 10 s) until `/proc/PID/status` has `key: want`; the last
/// status seen.
fn wait_status(pid: u32, key: &str, want: &str) -> std::collections::BTreeMap<String, String> {
    let start = Instant::now();
    loop {
        let s = status(pid).unwrap_or_else(|| panic!("process {pid} is gone"));
        if s.get(key).is_some_and(|v| v == want) || start.elapsed() > Duration::from_secs(10) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Each thread of `pid`: its name and nice value (`/proc/PID/task/*/stat`).
fn thread_nices(pid: u32) -> Vec<(String, i64)> {
    let mut v = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let Ok(stat) = std::fs::read_to_string(t.unwrap().path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        // After "pid (comm)", field 3 (state) comes first; nice is field 19.
        let nice = stat[close + 1..].split_whitespace().nth(16).unwrap();
        v.push((name, nice.parse().unwrap()));
    }
    v.sort();
    v
}

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

/// An RPC call message (AUTH_NONE) with the shared codec.
fn msg(xid: u32, prog: u32, vers: u32, proc_: u32, args: &[u8]) -> Vec<u8> {
    call_msg(xid, prog, vers, proc_, &Cred::None, args)
}

fn xdr(f: impl FnOnce(&mut XdrWriter<'_>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut XdrWriter::new(&mut v));
    v
}

// ---- the seccomp filter, in a child process --------------------------------

const CHILD_ENV: &str = "RPCSCOPE_SANDBOX_CHILD";

/// Runs `sandbox_child` in a fresh process with `mode`; its status and
/// stdout.
fn child(mode: &str) -> (std::process::ExitStatus, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "sandbox_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, mode)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status, text)
}

/// Not a test on its own: the body of the child processes of the tests
/// below (does nothing without `RPCSCOPE_SANDBOX_CHILD`).
#[test]
fn sandbox_child() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    // Setup: a gzip copy of a capture (the gzip path), a flag for SIGUSR1.
    let dir = std::env::temp_dir().join(format!("rpcscope-sandbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz = dir.join("rpcbind.pcap.gz");
    let raw = std::fs::read(captures().join("rpcbind-rpcinfo.pcap")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&raw).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let events_outside = {
        let mut c = common::Collect::default();
        rpcscope::app::read_files(&[&gz], &Limits::default(), &mut c, &mut Vec::new()).unwrap();
        c.events.len()
    };
    assert!(events_outside > 0);
    let usr1 = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGUSR1, usr1.clone()).unwrap();

    rpcscope::sandbox::enter_sandbox().expect("enter the sandbox");
    println!("ENTERED");
    match mode.as_str() {
        "allowed" => {
            // What the decoding phase does now and soon: worker threads that
            // decode (gzip included), allocate, hash, sleep, read files and
            // /proc, talk over channels.
            let (tx, rx) = std::sync::mpsc::channel();
            let workers: Vec<_> = (0..4)
                .map(|i| {
                    let (tx, gz) = (tx.clone(), gz.clone());
                    std::thread::Builder::new()
                        .name(format!("worker-{i}"))
                        .spawn(move || {
                            let mut c = common::Collect::default();
                            let mut err = Vec::new();
                            rpcscope::app::read_files(&[&gz], &Limits::default(), &mut c, &mut err)
                                .unwrap();
                            let mut m = std::collections::HashMap::new();
                            m.insert(i, vec![0u8; 32 << 20]); // mmap'd, then unmapped
                            std::thread::sleep(Duration::from_millis(20));
                            let status = std::fs::read_to_string("/proc/self/status").unwrap();
                            let _ = std::thread::available_parallelism();
                            tx.send((c.events.len(), status.contains("Seccomp:\t2"), m.len()))
                                .unwrap();
                        })
                        .unwrap()
                })
                .collect();
            drop(tx);
            for w in workers {
                w.join().unwrap();
            }
            let got: Vec<_> = rx.iter().collect();
            assert_eq!(got.len(), 4);
            assert!(
                got.iter().all(|g| *g == (events_outside, true, 1)),
                "{got:?}, {events_outside} events outside the sandbox"
            );
            signal_hook::low_level::raise(signal_hook::consts::SIGUSR1).unwrap();
            assert!(usr1.load(std::sync::atomic::Ordering::SeqCst));
            let _ = Instant::now().elapsed();
            println!("ALLOWED-OK");
        }
        "socket" => {
            let s = UdpSocket::bind("127.0.0.1:0");
            println!("NOT KILLED: {s:?}");
        }
        "write" => {
            let f = std::fs::File::create(dir.join("new"));
            println!("NOT KILLED: {f:?}");
        }
        "panic" => {
            // A decoder bug: the panic message and backtrace get out, and
            // the process ends as a panic does (101), not by SIGSYS.
            let v: Vec<u8> = Vec::new();
            let i = std::hint::black_box(3);
            println!("{}", v[i]);
        }
        "exec" => {
            // Running another program (execve; also wait4).
            let r = std::process::Command::new("true").status();
            println!("NOT KILLED: {r:?}");
        }
        other => panic!("unknown mode {other}"),
    }
}

#[test]
fn sandbox_allows_the_decoding_phase() {
    let (st, text) = child("allowed");
    assert!(st.success(), "{st:?}\n{text}");
    assert!(
        text.contains("ENTERED") && text.contains("ALLOWED-OK"),
        "{text}"
    );
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
fn sandbox_kills_what_decoding_never_does() {
    for mode in ["socket", "write", "exec"] {
        let (st, text) = child(mode);
        assert!(text.contains("ENTERED"), "{mode}: {text}");
        assert!(!text.contains("NOT KILLED"), "{mode}: {text}");
        assert_eq!(st.signal(), Some(libc_sigsys()), "{mode}: {st:?}\n{text}");
    }
}

#[test]
fn a_panic_under_the_sandbox_is_reported_as_a_panic() {
    let (st, text) = child("panic");
    assert!(text.contains("index out of bounds"), "{text}");
    assert!(text.contains("stack backtrace"), "{text}");
    assert_eq!(st.signal(), None, "{st:?}\n{text}");
    assert_eq!(
        st.code(),
        Some(101),
        "the harness's exit status for a failed test"
    );
}

/// SIGSYS on Linux (31 on every architecture rpcscope's filter supports).
fn libc_sigsys() -> i32 {
    31
}

// ---- read and stats run sandboxed ------------------------------------------

/// Starts `rpcscope ARGS -` reading stdin, checks its status while it
/// waits, feeds it a capture and returns (status seen, stdout, stderr).
fn sandboxed_while_waiting(
    args: &[&str],
    want_seccomp: &str,
) -> (std::collections::BTreeMap<String, String>, String, String) {
    let mut c = Command::new(bin())
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let st = wait_status(c.id(), "Seccomp", want_seccomp);
    let bytes = std::fs::read(captures().join("rpcbind-rpcinfo.pcap")).unwrap();
    let mut stdin = c.stdin.take().unwrap();
    stdin.write_all(&bytes).unwrap();
    drop(stdin);
    let out = c.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        st,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn read_and_stats_decode_inside_the_sandbox() {
    let (st, out, err) = sandboxed_while_waiting(&["read", "--format", "json"], "2");
    assert_eq!(st["Seccomp"], "2", "{st:?}");
    assert_eq!(st["NoNewPrivs"], "1");
    let exchanges = out
        .lines()
        .filter(|l| l.contains("\"type\":\"exchange\""))
        .count();
    assert_eq!(exchanges, 17, "{out}");
    assert!(!err.contains("warning"), "{err}");

    let (st, out, _) = sandboxed_while_waiting(&["stats", "--format", "json"], "2");
    assert_eq!(st["Seccomp"], "2");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let calls: u64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["calls"].as_u64().unwrap())
        .sum();
    assert_eq!(calls, 17);

    // --no-sandbox: no filter, and a warning.
    let (st, out2, err) =
        sandboxed_while_waiting(&["read", "--format", "json", "--no-sandbox"], "0");
    assert_eq!(st["Seccomp"], "0");
    assert!(err.contains("warning: --no-sandbox"), "{err}");
    assert_eq!(out2.lines().count(), exchanges + 1);
}

#[test]
fn public_corpus_decodes_identically_with_and_without_the_sandbox() {
    let Some(shared) = common::shared_dir() else {
        common::skip(
            "public_corpus_decodes_identically_with_and_without_the_sandbox",
            "../shared/captures/public is missing",
        );
        return;
    };
    let files: Vec<PathBuf> = common::public_captures(&shared)
        .iter()
        .map(|n| shared.join("captures/public").join(n))
        .collect();
    assert!(files.len() >= 31, "{} captures", files.len());
    for cmd in [
        &["read", "--format", "json"][..],
        &["stats", "--format", "json"],
    ] {
        let go = |extra: &[&str]| {
            let o = Command::new(bin())
                .args(cmd)
                .args(extra)
                .args(&files)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{cmd:?} {extra:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            o.stdout
        };
        let sandboxed = go(&[]);
        let plain = go(&["--no-sandbox"]);
        assert!(
            sandboxed.len() > 10_000,
            "{cmd:?}: {} bytes",
            sandboxed.len()
        );
        assert!(
            sandboxed == plain,
            "{cmd:?}: output differs with the sandbox"
        );
    }
}

// ---- live: privilege drop (root, private network namespace) ---------------

/// uid and gid of `user` from the user database.
fn ids_of(user: &str) -> (String, String) {
    let id = |flag: &str| {
        let o = run(5, "id", &[flag, user]);
        assert!(o.status.success(), "id {flag} {user}");
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    (id("-u"), id("-g"))
}

/// Starts `rpcscope live ARGS` (through `setpriv --groups 4,27` when there,
/// so there are supplementary groups to clear).
fn start_live(args: &[&str], out: &Path) -> std::process::Child {
    let mut cmd = if support::have("setpriv") {
        let mut c = Command::new("setpriv");
        c.args(["--groups", "4,27", "--"]).arg(bin());
        c
    } else {
        Command::new(bin())
    };
    cmd.arg("live")
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(std::fs::File::create(out.with_extension("err")).unwrap())
        .spawn()
        .unwrap()
}

fn interrupt(c: &mut std::process::Child) -> std::process::ExitStatus {
    run(5, "kill", &["-INT", &c.id().to_string()]);
    let start = Instant::now();
    loop {
        if let Some(st) = c.try_wait().unwrap() {
            return st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "live did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn live_drops_to_the_z_user_and_still_decodes() {
    if !enter_netns("live_drops_to_the_z_user_and_still_decodes") {
        return;
    }
    let tmp = std::env::temp_dir().join(format!("rpcscope-z-{}", std::process::id()));
    // -w goes where only root may write: it is opened before the drop.
    let private = tmp.join("root-only");
    std::fs::create_dir_all(&private).unwrap();
    run(5, "chmod", &["700", private.to_str().unwrap()]);
    let pcap = private.join("out.pcap");
    let _server = Server::start(&[]);
    let out = tmp.join("live.json");
    let mut live = start_live(
        &[
            "-i",
            "lo",
            "--format",
            "json",
            "-f",
            "port 111",
            "-w",
            pcap.to_str().unwrap(),
        ],
        &out,
    );
    // The sandbox comes after the drop: once it is on, the drop is done.
    let st = wait_status(live.id(), "Seccomp", "2");
    let (uid, gid) = ids_of("nobody");
    assert_eq!(st["Uid"], format!("{uid} {uid} {uid} {uid}"), "{st:?}");
    assert_eq!(st["Gid"], format!("{gid} {gid} {gid} {gid}"), "{st:?}");
    assert_eq!(st["Groups"], "", "{st:?}");
    for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(st[set], "0000000000000000", "{set}: {st:?}");
    }
    assert_eq!(st["NoNewPrivs"], "1");
    assert_eq!(st["Seccomp"], "2");
    // Every thread (capture, decoding, rendering) runs ahead of ordinary
    // work: raised while root, before any of them started (LIVE_NICE).
    let nices = thread_nices(live.id());
    assert!(
        nices.iter().any(|(n, _)| n == "rpcscope-captur") && nices.len() >= 3,
        "{nices:?}"
    );
    assert!(nices.iter().all(|(_, v)| *v == -10), "{nices:?}");
    // Still decoding: our client against our server, TCP and UDP.
    for t in ["--tcp", "--udp"] {
        let o = run(
            10,
            bin(),
            &[
                "call",
                t,
                "--count",
                "2",
                "-q",
                "127.0.0.1",
                "rpcscope_test",
                "1",
                "NULL",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    std::thread::sleep(Duration::from_millis(500));
    // Stopped by SIGINT: 130 after a clean stop (README "Exit status").
    let code = interrupt(&mut live);
    assert_eq!(code.code(), Some(130), "live after SIGINT: {code:?}");
    let lines = json_lines(&out);
    let test_calls: Vec<_> = lines
        .iter()
        .filter(|e| e["type"] == "exchange" && e["program_name"] == "rpcscope_test")
        .collect();
    assert_eq!(test_calls.len(), 4, "{lines:?}");
    assert!(test_calls.iter().all(|e| e["accept_stat"] == "success"));
    // The -w file was written through the descriptor opened as root.
    let meta = std::fs::metadata(&pcap).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 0);
    let o = Command::new(bin())
        .args(["read", "--format", "json"])
        .arg(&pcap)
        .output()
        .unwrap();
    let reread = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        reread.matches("\"program_name\":\"rpcscope_test\"").count(),
        4,
        "{reread}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn live_z_root_keeps_root_and_unknown_user_stops_before_capture() {
    if !enter_netns("live_z_root_keeps_root_and_unknown_user_stops_before_capture") {
        return;
    }
    let tmp = std::env::temp_dir().join(format!("rpcscope-zr-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let out = tmp.join("root.json");
    let mut live = start_live(
        &["-i", "lo", "--format", "json", "-Z", "root", "--nice", "5"],
        &out,
    );
    let st = wait_status(live.id(), "Seccomp", "2");
    assert_eq!(st["Seccomp"], "2", "{st:?}");
    // --nice sets every thread's priority.
    let nices = thread_nices(live.id());
    assert!(
        nices.len() >= 3 && nices.iter().all(|(_, v)| *v == 5),
        "{nices:?}"
    );
    assert_eq!(st["Uid"], "0 0 0 0");
    assert_ne!(
        st["CapEff"], "0000000000000000",
        "-Z root keeps capabilities"
    );
    assert_eq!(interrupt(&mut live).code(), Some(130));

    // An unknown user: exit status 1 before the capture or -w is opened.
    let w = tmp.join("never.pcap");
    let o = run(
        10,
        bin(),
        &[
            "live",
            "-i",
            "lo",
            "-Z",
            "rpcscope-no-such-user",
            "--format",
            "json",
            "-w",
            w.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        o.stdout.is_empty(),
        "decoded something: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("-Z rpcscope-no-such-user: no such user"),
        "{err}"
    );
    assert!(
        !w.exists(),
        "the -w file was created before the user was checked"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn live_ends_cleanly_when_its_interface_disappears() {
    if !enter_netns("live_ends_cleanly_when_its_interface_disappears") {
        return;
    }
    add_remote_addresses();
    let tmp = std::env::temp_dir().join(format!("rpcscope-gone-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let out = tmp.join("gone.json");
    let mut live = start_live(&["-i", "rs-a", "--format", "json"], &out);
    assert_eq!(wait_status(live.id(), "Seccomp", "2")["Seccomp"], "2");
    assert!(run(5, "ip", &["link", "del", "rs-a"]).status.success());
    let start = Instant::now();
    let st = loop {
        if let Some(st) = live.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "live outlived its interface"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = std::fs::read_to_string(out.with_extension("err")).unwrap();
    // Not killed by the sandbox: libpcap's own error, the summary, status 1.
    assert_eq!(st.signal(), None, "{st:?}: {err}");
    assert_eq!(st.code(), Some(1), "{err}");
    assert!(err.contains("The interface disappeared"), "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.last().unwrap()["type"], "summary", "{lines:?}");
    let _ = std::fs::remove_dir_all(&tmp);
}

// ---- serve: exposure, reflection, rate limit (root, private namespace) ----

/// A veth pair with 198.18.0.1 (the "server's" non-loopback address) and
/// 198.18.0.2, 198.18.0.3 (two "remote" clients), inside the namespace.
/// 198.18.0.0/15 is the range RFC 2544 sets aside for such tests.
fn add_remote_addresses() {
    for args in [
        &[
            "link", "add", "rs-a", "type", "veth", "peer", "name", "rs-b",
        ][..],
        &["addr", "add", "198.18.0.1/24", "dev", "rs-a"],
        &["addr", "add", "198.18.0.2/24", "dev", "rs-b"],
        &["addr", "add", "198.18.0.3/24", "dev", "rs-b"],
        &["link", "set", "rs-a", "up"],
        &["link", "set", "rs-b", "up"],
    ] {
        let o = run(5, "ip", args);
        assert!(
            o.status.success(),
            "ip {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

const SERVER: &str = "198.18.0.1";

/// One UDP call from `from` to `to`; the reply, or `None` within `wait`.
fn udp_from(from: &str, to: SocketAddr, m: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let s = UdpSocket::bind((from.parse::<IpAddr>().unwrap(), 0)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.send_to(m, to).unwrap();
    let mut b = vec![0u8; 65536];
    let n = s.recv(&mut b).ok()?;
    Some(b[..n].to_vec())
}

/// One TCP call from `from`; the reply record's body, or the connect error.
fn tcp_from(from: &str, to: SocketAddr, m: &[u8]) -> std::io::Result<Vec<u8>> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    s.bind(&SocketAddr::new(from.parse().unwrap(), 0).into())?;
    s.connect_timeout(&to.into(), Duration::from_secs(2))?;
    let mut s: std::net::TcpStream = s.into();
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut rec = Vec::new();
    rpcscope::rpc::encode_record(m, 1 << 30, &mut rec);
    s.write_all(&rec)?;
    let mut mark = [0u8; 4];
    s.read_exact(&mut mark)?;
    let mut body = vec![0u8; (u32::from_be_bytes(mark) & 0x7fff_ffff) as usize];
    s.read_exact(&mut body)?;
    Ok(body)
}

const DUMP_V2: (u32, u32, u32) = (100000, 2, 4);

#[test]
fn serve_is_loopback_only_by_default() {
    if !enter_netns("serve_is_loopback_only_by_default") {
        return;
    }
    add_remote_addresses();
    let server = Server::start(&[]);
    assert_eq!(server.port, 111);
    let far = SocketAddr::new(SERVER.parse().unwrap(), 111);
    let null = msg(1, PROGRAM, 1, procs::NULL, &[]);
    let e = tcp_from("198.18.0.2", far, &null).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
    assert_eq!(
        udp_from("198.18.0.2", far, &null, Duration::from_secs(1)),
        None
    );
    // Loopback is served, IPv4 and IPv6.
    let near = SocketAddr::from(([127, 0, 0, 1], 111));
    assert!(udp_from("127.0.0.1", near, &null, Duration::from_secs(2)).is_some());
    assert!(tcp_from("127.0.0.1", near, &null).is_ok());
    let six = UdpSocket::bind("[::1]:0").unwrap();
    six.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    six.send_to(&null, "[::1]:111").unwrap();
    assert!(
        six.recv(&mut [0u8; 512]).is_ok(),
        "::1 is served by default"
    );
}

#[test]
fn serve_does_not_reflect_dump_to_remote_udp_callers() {
    if !enter_netns("serve_does_not_reflect_dump_to_remote_udp_callers") {
        return;
    }
    add_remote_addresses();
    let (p, v, q) = DUMP_V2;
    let dump = msg(0x44, p, v, q, &[]);
    let null = msg(0x45, PROGRAM, 1, procs::NULL, &[]);
    let wait = Duration::from_secs(1);
    {
        let server = Server::start(&["--port", "0", "--listen", "0.0.0.0"]);
        let far = SocketAddr::new(SERVER.parse().unwrap(), server.port);
        // DUMP over UDP from afar: nothing; NULL (smaller than its call): yes.
        assert_eq!(udp_from("198.18.0.2", far, &dump, wait), None);
        let r = udp_from("198.18.0.2", far, &null, wait).expect("NULL is answered");
        assert!(r.len() <= null.len(), "{} > {}", r.len(), null.len());
        // Over TCP (no forged sources) and from loopback, DUMP is answered.
        let r = tcp_from("198.18.0.2", far, &dump).unwrap();
        assert!(r.len() > 100, "DUMP over TCP: {} bytes", r.len());
        let near = SocketAddr::from(([127, 0, 0, 1], server.port));
        let r = udp_from("127.0.0.1", near, &dump, wait).unwrap();
        assert!(r.len() > dump.len(), "{} bytes", r.len());
    }
    let server = Server::start(&["--port", "0", "--listen", "0.0.0.0", "--allow-remote-udp"]);
    let far = SocketAddr::new(SERVER.parse().unwrap(), server.port);
    let r = udp_from("198.18.0.2", far, &dump, wait).expect("--allow-remote-udp answers");
    assert!(r.len() > 3 * dump.len(), "{} bytes", r.len());
}

#[test]
fn serve_rate_limits_a_flooding_source_and_serves_the_others() {
    if !enter_netns("serve_rate_limits_a_flooding_source_and_serves_the_others") {
        return;
    }
    add_remote_addresses();
    let limits = Limits::default();
    let (rate, burst) = (
        limits.server_udp_rate_per_source as f64,
        limits.server_udp_burst_per_source as f64,
    );
    let server = Server::start(&["--port", "0", "--listen", "0.0.0.0"]);
    let far = SocketAddr::new(SERVER.parse().unwrap(), server.port);
    let flood = UdpSocket::bind("198.18.0.2:0").unwrap();
    flood.set_nonblocking(true).unwrap();
    let other = UdpSocket::bind("198.18.0.3:0").unwrap();
    other
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let start = Instant::now();
    let (mut sent, mut answered_flood, mut answered_other) = (0u32, 0u32, 0u32);
    let mut buf = [0u8; 512];
    // 1.5 s: the flooder sends as fast as it can, paced to 20 000/s so the
    // server's socket buffer holds it; the other source calls every 50 ms.
    let mut next_other = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        for _ in 0..20 {
            let m = msg(0x10_0000 + sent, PROGRAM, 1, procs::NULL, &[]);
            if flood.send_to(&m, far).is_ok() {
                sent += 1;
            }
        }
        while flood.recv(&mut buf).is_ok() {
            answered_flood += 1;
        }
        if Instant::now() >= next_other {
            let m = msg(0x20_0000 + answered_other, PROGRAM, 1, procs::NULL, &[]);
            other.send_to(&m, far).unwrap();
            let n = other.recv(&mut buf).expect("the other source is answered");
            assert_eq!(&buf[..4], &m[..4], "reply xid");
            assert!(n >= 24);
            answered_other += 1;
            next_other += Duration::from_millis(50);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = start.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(200));
    while flood.recv(&mut buf).is_ok() {
        answered_flood += 1;
    }
    eprintln!(
        "flood: sent {sent}, answered {answered_flood} in {elapsed:.2} s; other source answered {answered_other}"
    );
    assert!(sent > 3_000, "the flood was not a flood: {sent}");
    let budget = burst + rate * (elapsed + 0.3);
    assert!(
        f64::from(answered_flood) <= budget,
        "{answered_flood} answers to the flooding source, budget {budget:.0}"
    );
    assert!(
        f64::from(answered_flood) >= burst * 0.9,
        "{answered_flood}: the burst is served"
    );
    assert!(answered_other >= 25, "{answered_other}");
}

// ---- amplification factors (sans-IO, no root) ------------------------------

/// A registration table.
fn reg(program: u32, version: u32, netid: &str, uaddr: &str) -> Registration {
    Registration {
        program,
        version,
        netid: netid.into(),
        uaddr: uaddr.into(),
        owner: "superuser".into(),
    }
}

/// What `rpcscope serve` registers by default (loopback, 4 netids).
fn table_serve() -> Vec<Registration> {
    let mut v = Vec::new();
    for (prog, vers) in [(100000, 4), (100000, 3), (100000, 2), (PROGRAM, 1)] {
        for (netid, ua) in [
            ("tcp", "127.0.0.1.0.111"),
            ("tcp6", "::1.0.111"),
            ("udp", "127.0.0.1.0.111"),
            ("udp6", "::1.0.111"),
        ] {
            v.push(reg(prog, vers, netid, ua));
        }
    }
    v
}

/// What Debian's rpcbind registers at start (`rpcinfo` on a fresh one).
fn table_rpcbind() -> Vec<Registration> {
    let mut v = Vec::new();
    for (netid, ua, versions) in [
        ("tcp6", "::.0.111", &[4, 3][..]),
        ("udp6", "::.0.111", &[4, 3]),
        ("tcp", "0.0.0.0.0.111", &[4, 3, 2]),
        ("udp", "0.0.0.0.0.111", &[4, 3, 2]),
        ("local", "/run/rpcbind.sock", &[4, 3]),
    ] {
        for vers in versions {
            v.push(reg(100000, *vers, netid, ua));
        }
    }
    v
}

/// A full table (`server_max_registrations`), IPv4 tcp/udp entries with
/// long addresses (portmap v2 DUMP lists them all), or IPv6 ones (rpcbind
/// DUMP's largest).
fn table_full(v6: bool) -> Vec<Registration> {
    let n = Limits::default().server_max_registrations;
    (0..n)
        .map(|i| {
            let (netid, ua) = match (v6, i % 2) {
                (false, 0) => ("tcp", "192.168.100.200.128.1"),
                (false, _) => ("udp", "192.168.100.200.128.1"),
                (true, 0) => ("tcp6", "2001:db8:1234:5678:9abc:def0:1234:5678.128.1"),
                (true, _) => ("udp6", "2001:db8:1234:5678:9abc:def0:1234:5678.128.1"),
            };
            reg(300000 + i as u32 / 2, 1, netid, ua)
        })
        .collect()
}

fn service(table: &[Registration], full_store: bool) -> Service {
    let limits = Limits::default();
    let mut s = Service::new(&limits, true);
    for r in table {
        assert!(s.portmap_mut().unwrap().set(r.clone()));
    }
    if full_store {
        let sys = Cred::Sys {
            uid: 0,
            gid: 0,
            machine: "t".into(),
        };
        for i in 0..limits.server_store_entries {
            let key = format!("{i:064}");
            let args = xdr(|w| {
                w.put_string(key.as_bytes()).put_opaque_var(&vec![
                    7;
                    limits.server_store_value
                        as usize
                ]);
            });
            let m = call_msg(1, PROGRAM, 1, procs::PUT, &sys, &args);
            let mut out = Vec::new();
            let d = s.handle(&m, &ctx("127.0.0.1:700"), &mut out);
            assert_eq!(d, Disposition::Reply { delay_ms: 0 });
        }
    }
    s
}

fn ctx(peer: &str) -> CallCtx {
    CallCtx {
        transport: Transport::Udp,
        peer: peer.parse().unwrap(),
        local: "127.0.0.1:111".parse().unwrap(),
        now_unix: 1_700_000_000,
    }
}

/// One procedure to measure: name, program, version, procedure, args,
/// credential.
struct Probe {
    name: String,
    prog: u32,
    vers: u32,
    proc_: u32,
    args: Vec<u8>,
    sys: bool,
}

fn probes() -> Vec<Probe> {
    let p = |name: &str, prog, vers, proc_, args: Vec<u8>| Probe {
        name: name.into(),
        prog,
        vers,
        proc_,
        args,
        sys: false,
    };
    let mapping = xdr(|w| {
        w.put_u32(300999).put_u32(1).put_u32(17).put_u32(2000);
    });
    let getport = xdr(|w| {
        w.put_u32(100000).put_u32(2).put_u32(17).put_u32(0);
    });
    let rpcb = |prog: u32, vers: u32, netid: &str, addr: &str, owner: &str| {
        xdr(|w| {
            w.put_u32(prog)
                .put_u32(vers)
                .put_string(netid.as_bytes())
                .put_string(addr.as_bytes())
                .put_string(owner.as_bytes());
        })
    };
    let callit = xdr(|w| {
        w.put_u32(PROGRAM)
            .put_u32(1)
            .put_u32(procs::NULL)
            .put_opaque_var(&[]);
    });
    let callit_list = xdr(|w| {
        w.put_u32(PROGRAM)
            .put_u32(1)
            .put_u32(procs::LIST)
            .put_opaque_var(&[]);
    });
    let mut v = vec![
        p("portmap v2 NULL", 100000, 2, 0, vec![]),
        p("portmap v2 SET", 100000, 2, 1, mapping.clone()),
        p("portmap v2 UNSET", 100000, 2, 2, mapping),
        p("portmap v2 GETPORT", 100000, 2, 3, getport),
        p("portmap v2 DUMP", 100000, 2, 4, vec![]),
        p(
            "portmap v2 CALLIT (test NULL)",
            100000,
            2,
            5,
            callit.clone(),
        ),
        p(
            "portmap v2 CALLIT (test LIST)",
            100000,
            2,
            5,
            callit_list.clone(),
        ),
    ];
    for vers in [3, 4] {
        let n = |s: &str| format!("rpcbind v{vers} {s}");
        v.extend([
            p(&n("NULL"), 100000, vers, 0, vec![]),
            p(
                &n("SET"),
                100000,
                vers,
                1,
                rpcb(300999, 1, "udp", "0.0.0.0.7.208", "superuser"),
            ),
            p(&n("UNSET"), 100000, vers, 2, rpcb(300999, 1, "udp", "", "")),
            p(
                &n("GETADDR"),
                100000,
                vers,
                3,
                rpcb(100000, vers, "udp", "", ""),
            ),
            p(&n("DUMP"), 100000, vers, 4, vec![]),
            p(
                &n(if vers == 3 {
                    "CALLIT (test NULL)"
                } else {
                    "BCAST (test NULL)"
                }),
                100000,
                vers,
                5,
                callit.clone(),
            ),
            p(&n("GETTIME"), 100000, vers, 6, vec![]),
            p(
                &n("UADDR2TADDR"),
                100000,
                vers,
                7,
                xdr(|w| {
                    w.put_string(b"127.0.0.1.0.111");
                }),
            ),
            p(
                &n("TADDR2UADDR"),
                100000,
                vers,
                8,
                xdr(|w| {
                    w.put_u32(16)
                        .put_opaque_var(&[2, 0, 0, 111, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
                }),
            ),
        ]);
    }
    v.extend([
        p(
            "rpcbind v4 GETVERSADDR",
            100000,
            4,
            9,
            rpcb(100000, 4, "udp", "", ""),
        ),
        p(
            "rpcbind v4 INDIRECT (test NULL)",
            100000,
            4,
            10,
            callit.clone(),
        ),
        p(
            "rpcbind v4 INDIRECT (test LIST)",
            100000,
            4,
            10,
            callit_list,
        ),
        p(
            "rpcbind v4 GETADDRLIST",
            100000,
            4,
            11,
            rpcb(100000, 4, "udp", "", ""),
        ),
        p("rpcbind v4 GETSTAT", 100000, 4, 12, vec![]),
        p("test NULL", PROGRAM, 1, procs::NULL, vec![]),
        p(
            "test ECHO (100 bytes)",
            PROGRAM,
            1,
            procs::ECHO,
            xdr(|w| {
                w.put_opaque_var(&[1; 100]);
            }),
        ),
        p(
            "test SLEEP 0",
            PROGRAM,
            1,
            procs::SLEEP,
            xdr(|w| {
                w.put_u32(0);
            }),
        ),
        p("test FAIL", PROGRAM, 1, procs::FAIL, vec![]),
        p(
            "test GET (1 KiB value)",
            PROGRAM,
            1,
            procs::GET,
            xdr(|w| {
                w.put_string(format!("{:064}", 0).as_bytes());
            }),
        ),
        p("test LIST", PROGRAM, 1, procs::LIST, vec![]),
        p(
            "test UPLOAD (100 bytes)",
            PROGRAM,
            1,
            procs::UPLOAD,
            xdr(|w| {
                w.put_opaque_var(&[1; 100]);
            }),
        ),
    ]);
    let mut put = p(
        "test PUT (AUTH_SYS)",
        PROGRAM,
        1,
        procs::PUT,
        xdr(|w| {
            w.put_string(b"k").put_opaque_var(&[1; 8]);
        }),
    );
    put.sys = true;
    let mut del = p(
        "test DELETE (AUTH_SYS)",
        PROGRAM,
        1,
        procs::DELETE,
        xdr(|w| {
            w.put_string(b"k");
        }),
    );
    del.sys = true;
    v.extend([put, del]);
    v
}

/// (call bytes, reply bytes or 0 for no reply) from a loopback caller, and
/// the disposition a remote UDP caller gets.
fn measure(
    table: &[Registration],
    full_store: bool,
    p: &Probe,
) -> (usize, usize, Disposition, usize) {
    let cred = if p.sys {
        Cred::Sys {
            uid: 0,
            gid: 0,
            machine: "host".into(),
        }
    } else {
        Cred::None
    };
    let m = call_msg(0x77, p.prog, p.vers, p.proc_, &cred, &p.args);
    let mut out = Vec::new();
    let d = service(table, full_store).handle(&m, &ctx("127.0.0.1:700"), &mut out);
    let reply = match d {
        Disposition::Reply { .. } => out.len(),
        _ => 0,
    };
    let mut far = Vec::new();
    let fd = service(table, full_store).handle(&m, &ctx("198.18.0.2:700"), &mut far);
    (m.len(), reply, fd, far.len())
}

#[test]
fn amplification_factors_and_the_remote_udp_policy() {
    let tables: [(&str, Vec<Registration>, bool); 4] = [
        ("serve default (16 entries)", table_serve(), false),
        ("rpcbind default (12)", table_rpcbind(), false),
        ("full table, IPv4 (256)", table_full(false), true),
        ("full table, IPv6 (256)", table_full(true), true),
    ];
    println!(
        "| procedure | call bytes | {} |",
        tables.iter().map(|t| t.0).collect::<Vec<_>>().join(" | ")
    );
    println!("|---|---:|{}", "---:|".repeat(tables.len()));
    let mut max_factor = (0.0f64, String::new());
    for p in probes() {
        let mut cells = Vec::new();
        let mut call_len = 0;
        for (tname, table, full) in &tables {
            let (c, reply, far, far_len) = measure(table, *full, &p);
            call_len = c;
            let f = reply as f64 / c as f64;
            cells.push(if reply == 0 {
                "no reply".to_string()
            } else {
                format!("{reply} ({f:.2}x)")
            });
            if f > max_factor.0 {
                max_factor = (f, format!("{} with {tname}", p.name));
            }
            // The policy: a remote UDP caller never gets more than it sent,
            // and every procedure that amplifies is refused to it.
            match far {
                Disposition::Reply { .. } => assert!(
                    far_len <= c,
                    "{}: {far_len}-byte reply to a {c}-byte remote UDP call ({tname})",
                    p.name
                ),
                Disposition::Refused(_) | Disposition::NoReply => assert_eq!(far_len, 0),
                Disposition::Garbage(e) => panic!("{}: garbage: {e}", p.name),
            }
            if reply > c {
                assert!(
                    matches!(far, Disposition::Refused(_)),
                    "{} ({tname}): {far:?}",
                    p.name
                );
            }
        }
        println!("| {} | {call_len} | {} |", p.name, cells.join(" | "));
    }
    println!("largest factor: {:.1}x, {}", max_factor.0, max_factor.1);
    // The measurement measures: DUMP of a full IPv6 table is ~100x.
    assert!(max_factor.0 > 50.0, "{max_factor:?}");
}
