//! `rpcscope call` speaks the program's language: arguments as JSON or
//! `NAME=VALUE` pairs encoded through the built-in `.x` definitions, results
//! decoded and printed as `rpcscope read` prints them, against a live
//! `rpcscope serve` on a free port of 127.0.0.1 (no root needed); bad
//! arguments are exit 2 with the field path; no reply is exit 1 without
//! latency figures.

mod common;
#[path = "common/server.rs"]
mod support;

use std::net::UdpSocket;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::*;

/// `rpcscope call --port PORT ARGS` on 127.0.0.1.
fn call(port: u16, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("call")
        .args(["--port", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run rpcscope call")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The output of a call that must succeed (exit 0).
fn ok(port: u16, args: &[&str]) -> String {
    let o = call(port, args);
    assert!(
        o.status.success(),
        "call {args:?}: {}\n{}{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// The `{"type":"call"}` objects and the summary of a `--format json` run.
fn json_calls(port: u16, args: &[&str]) -> (Vec<Value>, Value) {
    let text = ok(port, &[&["--format", "json"][..], args].concat());
    let mut objects: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let summary = objects.pop().expect("a summary object");
    assert_eq!(summary["type"], "summary", "{text}");
    assert!(objects.iter().all(|o| o["type"] == "call"), "{text}");
    (objects, summary)
}

/// The result of the one call of a `--format json` run.
fn result(port: u16, args: &[&str]) -> Value {
    let (calls, _) = json_calls(port, args);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["status"], "success", "{:?}", calls[0]);
    calls[0]["result"].clone()
}

const T: &str = "rpcscope_test";

#[test]
fn json_and_pairs_round_trip_through_serve() {
    let server = Server::start(&["--port", "0", "--listen", "127.0.0.1"]);
    let p = server.port;
    // ECHO: the same bytes back, from JSON and from a pair, TCP and UDP.
    for transport in ["--tcp", "--udp"] {
        let r = result(
            p,
            &[
                transport,
                "127.0.0.1",
                T,
                "1",
                "ECHO",
                "--args",
                r#"{"data":"68656c6c6f"}"#,
            ],
        );
        assert_eq!(r, "68656c6c6f");
        let r = result(p, &[transport, "127.0.0.1", T, "1", "ECHO", "data=00ff"]);
        assert_eq!(r, "00ff");
    }
    // The text line carries the decoded value; --raw the XDR hex.
    let text = ok(p, &["127.0.0.1", T, "1", "ECHO", "data=68656c6c6f"]);
    let line = text.lines().next().unwrap();
    assert!(
        line.starts_with("xid=0x") && line.contains(" status=success latency_ms="),
        "{text}"
    );
    assert!(line.ends_with(" 68656c6c6f"), "{text}");
    let text = ok(
        p,
        &["--raw", "127.0.0.1", T, "1", "ECHO", "data=68656c6c6f"],
    );
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with(" results=0000000568656c6c6f000000"),
        "{text}"
    );
    // PUT (AUTH_SYS) by pairs, GET by JSON and pairs, LIST, DELETE.
    let r = result(
        p,
        &[
            "--auth",
            "sys",
            "127.0.0.1",
            T,
            "1",
            "PUT",
            "key=k1",
            "value=aabb",
        ],
    );
    assert_eq!(r, true);
    let r = result(
        p,
        &[
            "--auth",
            "sys",
            "127.0.0.1",
            T,
            "1",
            "PUT",
            "--args",
            r#"{"key":"k2","value":""}"#,
        ],
    );
    assert_eq!(r, true);
    assert_eq!(
        result(
            p,
            &["127.0.0.1", T, "1", "GET", "--args", r#"{"key":"k1"}"#]
        ),
        "aabb"
    );
    assert_eq!(result(p, &["127.0.0.1", T, "1", "GET", "key=k2"]), "");
    assert_eq!(
        result(p, &["127.0.0.1", T, "1", "GET", "key=nope"]),
        Value::Null
    );
    assert_eq!(
        result(p, &["127.0.0.1", T, "1", "LIST"]),
        serde_json::json!(["k1", "k2"])
    );
    let text = ok(p, &["127.0.0.1", T, "1", "LIST"]);
    assert!(
        text.contains("\n    [0]: \"k1\"\n    [1]: \"k2\"\n"),
        "{text}"
    );
    let r = result(
        p,
        &["--auth", "sys", "127.0.0.1", T, "1", "DELETE", "key=k1"],
    );
    assert_eq!(r, true);
    assert_eq!(
        result(p, &["127.0.0.1", T, "1", "LIST"]),
        serde_json::json!(["k2"])
    );
    // PUT without AUTH_SYS: the reply state, no result.
    let (calls, _) = json_calls(p, &["127.0.0.1", T, "1", "PUT", "key=k", "value="]);
    assert_eq!(calls[0]["status"], "auth_error(tooweak)");
    assert_eq!(calls[0]["result"], Value::Null);
    // UPLOAD: count and FNV-1a of the bytes sent.
    let r = result(
        p,
        &["127.0.0.1", T, "1", "UPLOAD", "--args", r#"{"data":"61"}"#],
    );
    assert_eq!(
        r,
        serde_json::json!({"count": 1, "fnv1a32": 0xe40c_292c_u32})
    );
    // The portmapper: GETPORT by pairs, DUMP and GETADDR decoded.
    let port = p.to_string();
    let r = result(
        p,
        &[
            "127.0.0.1",
            "portmap",
            "2",
            "GETPORT",
            "prog=0x20000099",
            "vers=1",
            "prot=17",
            "port=0",
        ],
    );
    assert_eq!(r.to_string(), port);
    let dump = result(p, &["127.0.0.1", "portmap", "2", "DUMP"]);
    let maps: Vec<(u64, u64, u64, u64)> = dump
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let m = &e["pml_map"];
            let n = |k: &str| m[k].as_u64().unwrap();
            (n("prog"), n("vers"), n("prot"), n("port"))
        })
        .collect();
    let port_n: u64 = p.into();
    for prot in [6, 17] {
        assert!(maps.contains(&(0x2000_0099, 1, prot, port_n)), "{maps:?}");
        for v in 2..=4 {
            assert!(maps.contains(&(100000, v, prot, port_n)), "{maps:?}");
        }
    }
    let text = ok(p, &["127.0.0.1", "portmap", "2", "DUMP"]);
    assert!(
        text.contains(&format!("      pml_map:\n        prog: 536871065\n        vers: 1\n        prot: 6\n        port: {p}\n")),
        "{text}"
    );
    let r = result(
        p,
        &[
            "127.0.0.1",
            "rpcbind",
            "4",
            "GETADDR",
            "--args",
            r#"{"r_prog":536871065,"r_vers":1,"r_netid":"tcp","r_addr":"","r_owner":""}"#,
        ],
    );
    assert_eq!(r, format!("127.0.0.1.{}.{}", p >> 8, p & 0xff));
    // A load run prints one summary line per call, no tree.
    let text = ok(p, &["--count", "3", "127.0.0.1", "portmap", "2", "DUMP"]);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("xid=")).count(),
        3,
        "{text}"
    );
    assert!(!text.contains("pml_map"), "{text}");
    assert!(
        text.contains("summary: calls=3 replied=3 no_reply=0"),
        "{text}"
    );
    let text = ok(
        p,
        &["--count", "2", "-V", "127.0.0.1", "portmap", "2", "DUMP"],
    );
    assert_eq!(text.matches("\n    [0]:\n").count(), 2, "{text}");
}

#[test]
fn bad_arguments_exit_2_with_the_field_path() {
    // Nothing listens on the port: arguments are checked before any call.
    let p = 9;
    let bad = |args: &[&str], want: &str| {
        let o = call(p, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), format!("rpcscope call: {want}\n"), "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}");
    };
    bad(
        &["127.0.0.1", T, "1", "ECHO", "--args", r#"{"data":5}"#],
        "args.data: expected a hex string, got a number",
    );
    bad(
        &[
            "127.0.0.1",
            "nfs",
            "3",
            "LOOKUP",
            "--args",
            r#"{"what":{"dir":"0102","name":5}}"#,
        ],
        "args.what.name: expected a string, got a number",
    );
    bad(
        &[
            "127.0.0.1",
            "nfs",
            "3",
            "LOOKUP",
            "what.dir=0102",
            "what.name=a",
            "what.extra=1",
        ],
        "args.what: no member \"extra\" (the members are dir, name)",
    );
    bad(
        &[
            "127.0.0.1",
            "portmap",
            "2",
            "GETPORT",
            "prog=1",
            "vers=1",
            "prot=6",
        ],
        "args.port: missing",
    );
    bad(
        &["127.0.0.1", "portmap", "2", "GETPORT"],
        "portmapper v2 GETPORT takes arguments (mapping: prog, vers, prot, port): give them as NAME=VALUE pairs, --args JSON or --args-hex HEX",
    );
    bad(
        &["127.0.0.1", T, "1", "ECHO", "--args", "{"],
        "--args is not JSON: EOF while parsing an object at line 1 column 1",
    );
    bad(
        &["--count", "0", "127.0.0.1", T, "1", "NULL"],
        "--count: must be at least 1",
    );
    bad(
        &["127.0.0.1", T, "1", "NOPE"],
        "unknown procedure \"NOPE\" for rpcscope_test version 1",
    );
    bad(
        &["127.0.0.1", "no_such_program", "1", "NULL"],
        "unknown program \"no_such_program\" (a number or a name)",
    );
    // JSON and pairs together: clap refuses the command line.
    let o = call(p, &["127.0.0.1", T, "1", "ECHO", "data=00", "--args", "{}"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn no_reply_reports_no_latency_figures() {
    // A UDP socket that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let p = silent.local_addr().unwrap().port();
    let o = call(
        p,
        &["--udp", "--timeout", "0.2", "127.0.0.1", T, "1", "NULL"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains(" status=no_reply error="), "{text}");
    assert!(!text.contains("latency"), "{text}");
    assert!(
        lines[1].starts_with("summary: calls=1 replied=0 no_reply=1 elapsed_s="),
        "{text}"
    );
    assert_eq!(lines[2], "statuses: no_reply=1");
    let o = call(
        p,
        &[
            "--udp",
            "--timeout",
            "0.2",
            "--format",
            "json",
            "127.0.0.1",
            T,
            "1",
            "NULL",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let objects: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 2);
    assert_eq!(objects[0]["status"], "no_reply");
    assert_eq!(objects[0]["latency_ms"], Value::Null);
    assert!(
        objects[0]["error"].as_str().unwrap().contains("no reply"),
        "{:?}",
        objects[0]
    );
    assert_eq!(objects[1]["latency_ms"], Value::Null);
    assert_eq!(objects[1]["no_reply"], 1);
}

#[test]
fn help_says_how_arguments_are_written() {
    let o = Command::new(bin())
        .args(["call", "--help"])
        .output()
        .unwrap();
    let help = stdout(&o);
    for want in [
        "[NAME=VALUE]...",
        "--args <JSON>",
        "--args-hex <HEX>",
        "--idl <FILE.x>",
        "--raw",
        "portmap 2 GETPORT prog=100003 vers=3 prot=6 port=0",
        "what.dir=<handle hex> what.name=file",
        "Exit status (every command):",
        "130  stopped by SIGINT",
    ] {
        assert!(help.contains(want), "no {want:?} in:\n{help}");
    }
}
