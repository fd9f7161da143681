//! `rpcscope call` against a real `rpcbind`, and `rpcscope serve --register`
//! registering with it, in a private network namespace.

mod common;
#[path = "common/server.rs"]
mod support;

use std::time::Duration;

use support::*;

fn rpcinfo_p() -> String {
    run_ok(10, "rpcinfo", &["-p", "127.0.0.1"])
}

/// One portmap mapping: program, version, protocol name, port.
type Mapping = (u32, u32, String, u32);

/// `rpcinfo -p`'s table (`program vers proto port service`), sorted.
fn rpcinfo_mappings() -> Vec<Mapping> {
    let listing = rpcinfo_p();
    let mut lines = listing.lines();
    let header = lines.next().unwrap_or("");
    assert!(
        header
            .split_whitespace()
            .eq(["program", "vers", "proto", "port", "service"]),
        "{listing}"
    );
    let mut m: Vec<Mapping> = lines
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(f.len() >= 4, "{l:?}");
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].to_string(),
                f[3].parse().unwrap(),
            )
        })
        .collect();
    m.sort();
    assert!(!m.is_empty());
    m
}

/// `rpcscope call --format json 127.0.0.1 portmap 2 DUMP`: the decoded
/// `pmaplist`, sorted, protocols named as `rpcinfo` names them.
fn call_dump() -> Vec<Mapping> {
    let out = run_ok(
        10,
        bin(),
        &[
            "call",
            "--format",
            "json",
            "127.0.0.1",
            "portmap",
            "2",
            "DUMP",
        ],
    );
    let call: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(call["status"], "success", "{out}");
    let mut m: Vec<Mapping> = call["result"]
        .as_array()
        .unwrap_or_else(|| panic!("no list in {out}"))
        .iter()
        .map(|e| {
            let map = &e["pml_map"];
            let n = |k: &str| map[k].as_u64().unwrap() as u32;
            let proto = match n("prot") {
                6 => "tcp".to_string(),
                17 => "udp".to_string(),
                other => other.to_string(),
            };
            (n("prog"), n("vers"), proto, n("port"))
        })
        .collect();
    m.sort();
    // The text output prints the same mappings, field by field.
    let text = run_ok(10, bin(), &["call", "127.0.0.1", "portmap", "2", "DUMP"]);
    assert_eq!(text.matches("      pml_map:\n").count(), m.len(), "{text}");
    m
}

#[test]
fn call_and_register_with_real_rpcbind() {
    if !enter_netns("call_and_register_with_real_rpcbind") {
        return;
    }
    if !support::prereq::tools(&["rpcbind", "rpcinfo"]) {
        return;
    }
    let mut rpcbind = std::process::Command::new("rpcbind")
        .args(["-w", "-f"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start rpcbind");
    let mut up = false;
    for _ in 0..50 {
        if run(5, "rpcinfo", &["-p", "127.0.0.1"]).status.success() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(up, "rpcbind did not come up");

    // portmap v2 DUMP and rpcbind v4 NULL/GETTIME from our client.
    for (transport, args) in [
        ("--tcp", ["127.0.0.1", "portmapper", "2", "DUMP"]),
        ("--udp", ["127.0.0.1", "100000", "4", "GETTIME"]),
    ] {
        let out = run_ok(
            10,
            bin(),
            &[
                &["call", transport, "--count", "3", "--xid", "0x100"][..],
                &args[..],
            ]
            .concat(),
        );
        assert!(
            out.contains("summary: calls=3 replied=3 no_reply=0"),
            "{out}"
        );
        assert!(out.contains("statuses: success=3"), "{out}");
        assert!(out.contains("xid=0x00000100 status=success"), "{out}");
    }
    // The DUMP results are rpcbind's own pmaplist: starts with TRUE, 100000.
    let out = run_ok(
        10,
        bin(),
        &["call", "--raw", "127.0.0.1", "100000", "2", "4"],
    );
    assert!(out.contains("results=00000001000186a0"), "{out}");
    // Decoded, they are the mappings `rpcinfo -p` lists.
    assert_eq!(call_dump(), rpcinfo_mappings());
    // An unregistered program: GETPORT answers 0, a one-line error, exit 1
    // (the call could not be made; 2 is for bad command lines).
    let out = run(
        10,
        bin(),
        &["call", "127.0.0.1", "rpcscope_test", "1", "NULL"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is not registered"), "{err}");

    // serve --register: rpcbind lists us, rpcinfo and our client find us
    // through it, and SIGTERM unregisters.
    let mut server = Server::start(&["--register", "--listen", "127.0.0.1"]);
    let port = server.port.to_string();
    assert_ne!(port, "111");
    let listing = rpcinfo_p();
    for proto in ["tcp", "udp"] {
        let row = format!("536871065    1   {proto}  {port:>5}");
        assert!(listing.contains(&row), "no {row:?} in:\n{listing}");
    }
    let ping = run_ok(10, "rpcinfo", &["-t", "127.0.0.1", "536871065", "1"]);
    assert!(ping.contains("version 1 ready and waiting"), "{ping}");
    for transport in ["--tcp", "--udp"] {
        let out = run_ok(
            10,
            bin(),
            &[
                "call",
                transport,
                "127.0.0.1",
                "rpcscope_test",
                "1",
                "ECHO",
                "--args-hex",
                "00000002 abcd 0000",
                "--count",
                "5",
                "--concurrency",
                "2",
                "-V",
            ],
        );
        assert!(out.contains("statuses: success=5"), "{out}");
        let echoed = out.lines().filter(|l| l.ends_with(" abcd")).count();
        assert_eq!(echoed, 5, "{out}");
    }
    // The registrations `serve --register` made, as both see them.
    let dump = call_dump();
    assert_eq!(dump, rpcinfo_mappings());
    let port_n: u32 = server.port.into();
    assert!(
        dump.contains(&(536871065, 1, "tcp".into(), port_n)),
        "{dump:?}"
    );
    assert!(
        dump.contains(&(536871065, 1, "udp".into(), port_n)),
        "{dump:?}"
    );
    // Stopped by SIGTERM: 143, like every command (README "Exit status").
    assert_eq!(server.stop().code(), Some(143));
    let listing = rpcinfo_p();
    assert!(
        !listing.contains("536871065"),
        "still registered after SIGTERM:\n{listing}"
    );

    let _ = rpcbind.kill();
    let _ = rpcbind.wait();
}
