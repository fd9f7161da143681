//! Real libtirpc `rpcinfo` against `rpcscope serve` on port 111, in a
//! private network namespace: `-p`, `-s`, `-t`, `-u`, `-T tcp6`, a version
//! mismatch, and a clean SIGTERM shutdown.

mod common;
#[path = "common/server.rs"]
mod support;

use std::collections::BTreeSet;

use support::*;

const TEST_PROG: &str = "536871065"; // 0x20000099, rpcscope_test

#[test]
fn rpcinfo_lists_and_pings_our_programs() {
    if !enter_netns("rpcinfo_lists_and_pings_our_programs") {
        return;
    }
    if !have("rpcinfo") {
        return;
    }
    let mut server = Server::start(&[]);
    assert_eq!(server.port, 111);

    // rpcinfo -p: portmap v2 DUMP. Exactly what the server registered.
    let listing = run_ok(10, "rpcinfo", &["-p", "127.0.0.1"]);
    let rows: BTreeSet<(String, String, String, String)> = listing
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect();
    let mut want = BTreeSet::new();
    for proto in ["tcp", "udp"] {
        for v in ["2", "3", "4"] {
            want.insert(("100000".into(), v.into(), proto.into(), "111".into()));
        }
        want.insert((TEST_PROG.into(), "1".into(), proto.into(), "111".into()));
    }
    assert_eq!(rows, want, "rpcinfo -p:\n{listing}");

    // rpcinfo -s: rpcbind v4 DUMP, with every netid and the owner.
    let short = run_ok(10, "rpcinfo", &["-s", "127.0.0.1"]);
    let line = |prog: &str| {
        short
            .lines()
            .find(|l| l.split_whitespace().next() == Some(prog))
            .unwrap_or_else(|| panic!("{prog} missing from rpcinfo -s:\n{short}"))
            .split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let pm = line("100000");
    assert_eq!(pm[1], "2,3,4");
    let netids: BTreeSet<&str> = pm[2].split(',').collect();
    assert_eq!(netids, BTreeSet::from(["tcp", "udp", "tcp6", "udp6"]));
    assert_eq!(pm[3..], ["portmapper", "superuser"]);
    let tp = line(TEST_PROG);
    assert_eq!(tp[1], "1");
    assert_eq!(pm[2].split(',').count(), tp[2].split(',').count());

    // -t / -u ping every version (rpcinfo first probes for the range with
    // version 0 and reads PROG_MISMATCH's low/high).
    let t = run_ok(10, "rpcinfo", &["-t", "127.0.0.1", "100000"]);
    for v in 2..=4 {
        assert!(
            t.contains(&format!("program 100000 version {v} ready and waiting")),
            "{t}"
        );
    }
    let u = run_ok(10, "rpcinfo", &["-u", "127.0.0.1", TEST_PROG]);
    assert_eq!(
        u.trim(),
        format!("program {TEST_PROG} version 1 ready and waiting")
    );
    let t = run_ok(10, "rpcinfo", &["-t", "127.0.0.1", TEST_PROG, "1"]);
    assert_eq!(
        t.trim(),
        format!("program {TEST_PROG} version 1 ready and waiting")
    );
    // IPv6: rpcbind v4 GETADDR over tcp6, then NULL over tcp6.
    let t6 = run_ok(10, "rpcinfo", &["-T", "tcp6", "::1", TEST_PROG, "1"]);
    assert_eq!(
        t6.trim(),
        format!("program {TEST_PROG} version 1 ready and waiting")
    );
    let u6 = run_ok(10, "rpcinfo", &["-T", "udp6", "::1", "100000", "4"]);
    assert_eq!(u6.trim(), "program 100000 version 4 ready and waiting");

    // A version we do not serve: PROG_MISMATCH with our range.
    let bad = run(10, "rpcinfo", &["-t", "127.0.0.1", TEST_PROG, "7"]);
    assert!(!bad.status.success());
    let text =
        String::from_utf8_lossy(&bad.stderr).to_string() + &String::from_utf8_lossy(&bad.stdout);
    assert!(
        text.contains("low version = 1, high version = 1"),
        "rpcinfo -t {TEST_PROG} 7:\n{text}"
    );

    // rpcinfo -m: rpcbind v4 GETSTAT reflects the calls made above.
    let m = run_ok(10, "rpcinfo", &["-m", "127.0.0.1"]);
    assert!(m.contains("PORTMAP (version 2) statistics"), "{m}");
    assert!(m.contains("RPCBIND (version 4) statistics"), "{m}");

    assert!(server.alive());
    let st = server.stop();
    assert_eq!(
        st.code(),
        Some(143),
        "serve exit status after SIGTERM: {st}"
    );
}
