//! The exit status table (README "Exit status", `cli::EXIT_STATUS_HELP`) is
//! the same for every command, and each command's `--help` says what it does.
//! Also: a closed output pipe is a quiet success everywhere, `read -` streams
//! before its input ends, and SIGINT/SIGTERM stop `read` and `stats` cleanly.

mod common;
#[path = "common/server.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::synth::*;
use common::temp_file;
use rpcscope::rpc::AcceptBody;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rpcscope")
}

fn rpcscope(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn own_capture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures/rpcbind-rpcinfo.pcap")
}

/// 20,000 UDP NFS calls (all unanswered) and 2,000 answered ones: enough
/// output in every format to outgrow a pipe.
fn many_calls() -> PathBuf {
    let mut frames = Vec::new();
    for i in 0..22_000u32 {
        frames.push(udp(CLIENT, SERVER, &call(i, 100003, 3, 1, &[0; 64])));
        if i < 2_000 {
            frames.push(udp(SERVER, CLIENT, &reply(i, AcceptBody::Success, &[0; 8])));
        }
    }
    temp_file("exit-many.pcap", &pcap(&timed(frames), 65535))
}

/// Runs `sh -c "CMD | true"`: the reader of the pipe is gone before
/// rpcscope writes. Returns rpcscope's status and its stderr.
fn into_closed_pipe(cmd: &str) -> (Option<i32>, String) {
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{cmd} 2>\"$ERR\" | true; st=${{PIPESTATUS[0]}}; cat \"$ERR\" >&2; exit $st"
        ))
        .env(
            "ERR",
            std::env::temp_dir().join(format!("rpcscope-exit-err-{}", std::process::id())),
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Regression (issue 11): `read --format json | head -1` printed
/// "rpcscope: Broken pipe (os error 32)" and exited 1.
#[test]
fn closed_pipe_is_a_quiet_success_in_every_file_mode() {
    let f = many_calls();
    let f = f.to_str().unwrap();
    for args in [
        "read",
        "read --format json",
        "stats",
        "stats --format json",
        "stats --by client --format json",
    ] {
        let (st, err) = into_closed_pipe(&format!("'{}' {args} '{f}'", bin()));
        assert_eq!(st, Some(0), "{args}: {err}");
        assert!(!err.contains("Broken pipe"), "{args}: {err}");
        assert!(!err.contains("panicked"), "{args}: {err}");
    }
    // `| head -1` on JSON, exactly as the issue did it.
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' read --format json '{f}' | head -1 >/dev/null; exit ${{PIPESTATUS[0]}}",
            bin()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}

/// `call` and `serve` (no root: a free port on 127.0.0.1), and `interfaces`.
#[test]
fn closed_pipe_is_a_quiet_success_for_call_and_interfaces() {
    let mut server = support::Server::start(&["--port", "0", "--listen", "127.0.0.1"]);
    let port = server.port.to_string();
    let (st, err) = into_closed_pipe(&format!(
        "'{}' call --port {port} --count 5000 --concurrency 4 127.0.0.1 rpcscope_test 1 NULL",
        bin()
    ));
    assert_eq!(st, Some(0), "call: {err}");
    assert!(!err.contains("Broken pipe"), "call: {err}");
    assert_eq!(server.stop().code(), Some(143), "serve stopped by SIGTERM");
    let (st, err) = into_closed_pipe(&format!("'{}' interfaces", bin()));
    assert!(matches!(st, Some(0 | 1)), "interfaces: {err}");
    assert!(!err.contains("Broken pipe"), "interfaces: {err}");
}

/// A bad BPF filter is a bad command line (2) in `read`, `stats` and `live`
/// alike (`live` used to say 1: the device was opened first). Bad options
/// are 2 and unreadable inputs 1 in every command.
#[test]
fn exit_status_table_is_the_same_for_every_command() {
    let f = own_capture();
    let f = f.to_str().unwrap();
    for args in [
        vec!["read", "-f", "port ((", f],
        vec!["stats", "-f", "port ((", f],
        vec!["live", "-i", "lo", "-f", "port (("],
        vec!["live", "-i", "no-such-interface0", "-f", "port (("],
    ] {
        let o = rpcscope(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("port (("), "{args:?}: {err}");
    }
    for args in [
        vec!["read", "--no-such-option", f],
        vec!["stats", "--format", "xml", f],
        vec!["live", "-i", "lo", "--count", "0"],
        vec!["serve", "--no-such-option"],
        vec!["call", "127.0.0.1", "nosuchprog", "1", "NULL"],
        vec!["call", "127.0.0.1", "portmapper", "2", "NOSUCHPROC"],
        vec!["interfaces", "extra"],
    ] {
        let o = rpcscope(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    for args in [
        vec!["read", "/nonexistent.pcap"],
        vec!["stats", "/nonexistent.pcap"],
        vec!["live", "-i", "no-such-interface0"],
    ] {
        let o = rpcscope(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
    }
}

/// `call` exits 1 when the portmapper refuses (nothing listens on port 111
/// of a fresh network namespace) or does not know the program (our own
/// portmapper there, asked for NFS): the world said no, the command line was
/// fine. It used to exit 2.
#[test]
fn call_exits_1_when_the_portmapper_refuses_or_lacks_the_program() {
    if !support::enter_netns("call_exits_1_when_the_portmapper_refuses_or_lacks_the_program") {
        return;
    }
    let o = rpcscope(&["call", "--timeout", "2", "127.0.0.1", "nfs", "3", "NULL"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("portmapper at 127.0.0.1:111"), "{err}");
    let mut server = support::Server::start(&["--listen", "127.0.0.1"]);
    let o = rpcscope(&["call", "127.0.0.1", "nfs", "3", "NULL"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("is not registered"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The registered test program answers: 0.
    let o = rpcscope(&["call", "127.0.0.1", "rpcscope_test", "1", "NULL"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(server.stop().code(), Some(143));
}

/// Regression (issue 11): `stats --help` described `read`'s formats. Each
/// command's help says what that command does and lists the exit statuses.
#[test]
fn every_help_says_what_its_command_does() {
    let cases: [(&str, &[&str], &[&str]); 6] = [
        (
            "read",
            &["into ONC RPC calls and replies", "One line per RPC message"],
            &[],
        ),
        (
            "stats",
            &[
                "Per-procedure statistics",
                "An aligned table, one row per procedure",
                "One JSON array of row objects",
            ],
            &["One line per RPC message", "JSON Lines"],
        ),
        (
            "live",
            &["Capture from a network interface", "with --stats"],
            &[],
        ),
        ("interfaces", &["List the capture devices"], &[]),
        ("serve", &["Serve the portmapper"], &[]),
        ("call", &["Call an ONC RPC procedure"], &[]),
    ];
    for (cmd, want, not) in cases {
        let o = rpcscope(&[cmd, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{cmd} --help");
        let help = String::from_utf8_lossy(&o.stdout);
        for w in want {
            assert!(help.contains(w), "{cmd} --help lacks {w:?}:\n{help}");
        }
        for n in not {
            assert!(!help.contains(n), "{cmd} --help says {n:?}:\n{help}");
        }
        assert!(help.contains("Exit status (every command):"), "{cmd}");
        assert!(help.contains("130  stopped by SIGINT"), "{cmd}");
    }
}

/// Feeds `bytes` to `rpcscope ARGS -` and keeps standard input open.
fn spawn_on_open_stdin(args: &[&str], bytes: &[u8]) -> Child {
    let mut child = Command::new(bin())
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.as_mut().unwrap().write_all(bytes).unwrap();
    child.stdin.as_mut().unwrap().flush().unwrap();
    child
}

fn wait_for(child: &mut Child, secs: u64) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(t.elapsed() < Duration::from_secs(secs), "did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Regression (issue 11): `(cat f.pcap; sleep 5) | rpcscope read -` printed
/// nothing until EOF. Every record of what arrived is printed while stdin
/// is still open.
#[test]
fn read_stdin_streams_before_the_input_ends() {
    let bytes = std::fs::read(own_capture()).unwrap();
    let want = String::from_utf8(rpcscope(&["read", own_capture().to_str().unwrap()]).stdout)
        .unwrap()
        .lines()
        .count();
    assert!(want > 10);
    for format in ["text", "json"] {
        let mut child = spawn_on_open_stdin(&["read", "--format", format], &bytes);
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines() {
                if tx.send(l.unwrap()).is_err() {
                    return;
                }
            }
        });
        // JSON writes exchanges (17 here), text one line per message.
        let expect = if format == "json" { 17 } else { want };
        let mut got = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while got < expect {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(_) => got += 1,
                Err(_) => panic!("{format}: {got} of {expect} lines before EOF"),
            }
        }
        drop(child.stdin.take());
        assert!(wait_for(&mut child, 10).success(), "{format}");
    }
}

/// Regression (issue 11): SIGINT during `read` lost everything buffered and
/// the summary. Now what was decoded is flushed, the unanswered calls are
/// reported, the summary is printed, and the status is 128 + the signal.
#[test]
fn sigint_and_sigterm_stop_read_and_stats_cleanly() {
    // Ten exchanges and one call that is still waiting when the signal comes.
    let mut frames = Vec::new();
    for i in 0..10u32 {
        frames.push(udp(CLIENT, SERVER, &call(0x100 + i, 100003, 3, 1, &[])));
        frames.push(udp(
            SERVER,
            CLIENT,
            &reply(0x100 + i, AcceptBody::Success, &[]),
        ));
    }
    frames.push(udp(CLIENT, SERVER, &call(0x999, 100003, 3, 6, &[])));
    let bytes = pcap(&timed(frames), 65535);
    for (sig, status, args) in [
        ("-INT", 130, &["read", "--format", "json"][..]),
        ("-TERM", 143, &["read"][..]),
        ("-INT", 130, &["stats", "--format", "json"][..]),
        ("-TERM", 143, &["stats"][..]),
    ] {
        let mut child = spawn_on_open_stdin(args, &bytes);
        // Let it decode what it was given (it then waits on stdin).
        std::thread::sleep(Duration::from_millis(700));
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success());
        let st = wait_for(&mut child, 10);
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(st.code(), Some(status), "{args:?} {sig}: {err}");
        match args {
            ["read", "--format", "json"] => {
                let objs: Vec<serde_json::Value> = out
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                let n = |t: &str| objs.iter().filter(|o| o["type"] == t).count();
                assert_eq!(
                    (n("exchange"), n("call"), n("summary")),
                    (10, 1, 1),
                    "{out}"
                );
                let call = objs.iter().find(|o| o["type"] == "call").unwrap();
                assert_eq!(call["xid"], 0x999);
            }
            ["read"] => {
                assert_eq!(out.lines().count(), 21, "{out}");
                assert!(
                    err.contains("11 calls, 10 replies, 10 exchanges, 1 unanswered call,"),
                    "{err}"
                );
            }
            ["stats", "--format", "json"] => {
                let rows: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
                let calls: u64 = rows
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["calls"].as_u64().unwrap())
                    .sum();
                assert_eq!(calls, 11, "{out}");
                assert!(err.contains("1 unanswered call,"), "{err}");
            }
            _ => {
                assert!(out.contains("GETATTR"), "{out}");
                assert!(err.contains("1 unanswered call,"), "{err}");
            }
        }
    }
}

/// `live` with the output pipe closed: quiet, status 0 (root: a private
/// network namespace with traffic from our own server and client).
#[test]
fn closed_pipe_is_a_quiet_success_for_live() {
    if !support::enter_netns("closed_pipe_is_a_quiet_success_for_live") {
        return;
    }
    let mut server = support::Server::start(&["--listen", "127.0.0.1", "--port", "0"]);
    let port = server.port.to_string();
    for format in ["text", "json"] {
        let mut live = Command::new(bin())
            .args(["live", "-i", "lo", "--format", format])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(live.stdout.take());
        std::thread::sleep(Duration::from_millis(800));
        let o = rpcscope(&[
            "call",
            "--port",
            &port,
            "--count",
            "50",
            "-q",
            "127.0.0.1",
            "rpcscope_test",
            "1",
            "NULL",
        ]);
        assert!(o.status.success());
        let st = wait_for(&mut live, 10);
        let mut err = String::new();
        live.stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(st.code(), Some(0), "live {format}: {err}");
        assert!(!err.contains("Broken pipe"), "{err}");
    }
    assert_eq!(server.stop().code(), Some(143));
}
