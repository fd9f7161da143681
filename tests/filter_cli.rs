//! Filters and CLI behaviour: `--program/--procedure/--status/--host/-f` on
//! the bundled and public captures against tshark display filters; bad
//! values give one line on stderr and exit status 2; unknown interfaces 1.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::shared_dir;

fn rpcscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(args)
        .output()
        .expect("run rpcscope")
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

/// Exchange objects (not the summary, not anomalies).
fn exchanges(o: &Output) -> Vec<serde_json::Value> {
    json_lines(o)
        .into_iter()
        .filter(|v| matches!(v["type"].as_str(), Some("exchange" | "call" | "reply")))
        .collect()
}

fn rpcbind_capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/rpcbind-rpcinfo.pcap")
}

/// Frame numbers of tshark's RPC calls matching a display filter; `None`
/// when tshark is missing (a skip, a failure under `CI=true`) or fails.
fn tshark_frames(file: &Path, filter: &str) -> Option<Vec<u64>> {
    if !common::prereq::tools(&["tshark"]) {
        return None;
    }
    let o = Command::new("timeout")
        .args(["120", "tshark", "-r"])
        .arg(file)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .output()
        .ok()?;
    if !o.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect(),
    )
}

#[test]
fn nfs_write_filter_matches_tshark() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let file = shared.join("captures/public/zeek-nfs_write.pcap");
    let f = file.to_str().unwrap();
    let o = rpcscope(&[
        "read",
        "--format",
        "json",
        "--program",
        "nfs",
        "--procedure",
        "WRITE",
        f,
    ]);
    assert!(o.status.success());
    let ex = exchanges(&o);
    let mut ours: Vec<u64> = ex
        .iter()
        .flat_map(|e| [e["call_frame"].as_u64(), e["reply_frame"].as_u64()])
        .flatten()
        .collect();
    ours.sort();
    assert!(ex.iter().all(|e| e["procedure_name"] == "WRITE"));
    assert_eq!(ex.len(), 1);
    let Some(reference) = tshark_frames(&file, "nfs.procedure_v3 == 7") else {
        return;
    };
    assert_eq!(ours, reference);
    // Same by number.
    let o2 = rpcscope(&[
        "read",
        "--format",
        "json",
        "--program",
        "100003",
        "--procedure",
        "7",
        f,
    ]);
    assert_eq!(exchanges(&o2), ex);
}

#[test]
fn status_filter_finds_prog_mismatch_and_negation_is_complement() {
    let file = rpcbind_capture();
    let f = file.to_str().unwrap();
    let all = exchanges(&rpcscope(&["read", "--format", "json", f]));
    let ok = exchanges(&rpcscope(&[
        "read", "--format", "json", "--status", "success", f,
    ]));
    let not_ok = exchanges(&rpcscope(&[
        "read", "--format", "json", "--status", "!success", f,
    ]));
    assert_eq!(ok.len() + not_ok.len(), all.len());
    assert!(ok.iter().all(|e| e["accept_stat"] == "success"));
    assert!(not_ok.iter().all(|e| e["accept_stat"] != "success"));
    let mm = exchanges(&rpcscope(&[
        "read",
        "--format",
        "json",
        "--status",
        "prog_mismatch",
        f,
    ]));
    // `rpcinfo -u` asks version 0, `rpcinfo -T tcp ... 7` version 7: rpcbind
    // answers both with PROG_MISMATCH 2..4.
    assert_eq!(mm.len(), 2, "{mm:?}");
    assert!(mm
        .iter()
        .all(|e| e["mismatch"]["low"] == 2 && e["mismatch"]["high"] == 4));
    // tshark agrees on the frames.
    if let Some(t) = tshark_frames(&file, "rpc.state_accept == 2") {
        let mut ours: Vec<u64> = mm
            .iter()
            .map(|e| e["reply_frame"].as_u64().unwrap())
            .collect();
        ours.sort();
        assert_eq!(t, ours);
    }
}

#[test]
fn denied_filter_on_auth_error_capture() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let file = shared.join("captures/public/nfstrace-eth-ipv4-tcp-nfsv4-incorrect_mount.pcap");
    let f = file.to_str().unwrap();
    for status in ["denied", "auth_error"] {
        let ex = exchanges(&rpcscope(&[
            "read", "--format", "json", "--status", status, f,
        ]));
        let mut frames: Vec<u64> = ex
            .iter()
            .map(|e| e["reply_frame"].as_u64().unwrap())
            .collect();
        frames.sort();
        assert_eq!(frames.len(), 2, "{status}: {ex:?}");
        assert!(ex.iter().all(|e| e["auth_stat"] == "tooweak"));
        if let Some(t) = tshark_frames(&file, "rpc.replystat == 1") {
            assert_eq!(frames, t);
        }
    }
}

#[test]
fn min_latency_and_host_filters() {
    let file = rpcbind_capture();
    let f = file.to_str().unwrap();
    let all = exchanges(&rpcscope(&["read", "--format", "json", f]));
    let slow = exchanges(&rpcscope(&[
        "read",
        "--format",
        "json",
        "--min-latency",
        "100us",
        f,
    ]));
    let expect = all
        .iter()
        .filter(|e| e["latency_us"].as_f64().is_some_and(|l| l >= 100.0))
        .count();
    assert_eq!(slow.len(), expect);
    assert!(slow.len() < all.len());
    let v6 = exchanges(&rpcscope(&["read", "--format", "json", "--host", "::1", f]));
    assert!(!v6.is_empty());
    assert!(v6
        .iter()
        .all(|e| e["client"].as_str().unwrap().starts_with("[::1]")));
    let none = exchanges(&rpcscope(&[
        "read", "--format", "json", "--host", "10.9.9.9", f,
    ]));
    assert!(none.is_empty());
}

/// Regression (issue 11): `--status unanswered` and `--status '!success'`
/// printed nothing in text mode while JSON showed the unanswered calls.
/// Text now prints each one, marked `(no reply)`, when it is given up.
#[test]
fn text_status_filters_show_unanswered_calls_as_json_does() {
    use common::synth::*;
    use rpcscope::rpc::AcceptBody;
    let c = |x| udp(CLIENT, SERVER, &call(x, 100003, 3, 1, &[]));
    let r = |x, b| udp(SERVER, CLIENT, &reply(x, b, &[]));
    let frames = vec![
        c(1),
        r(1, AcceptBody::Success),
        c(2),
        c(3),
        r(3, AcceptBody::ProcUnavail),
        c(4),
    ];
    let f = common::temp_file("unanswered.pcap", &pcap(&timed(frames), 65535));
    let f = f.to_str().unwrap();
    let xid = |l: &str| l.split(" xid ").nth(1).unwrap()[..10].to_string();
    for (status, want) in [
        ("unanswered", &["0x00000002", "0x00000004"][..]),
        ("!success", &["0x00000002", "0x00000003", "0x00000004"][..]),
    ] {
        let json: Vec<String> = exchanges(&rpcscope(&[
            "read", "--format", "json", "--status", status, f,
        ]))
        .iter()
        .map(|e| format!("{:#010x}", e["xid"].as_u64().unwrap()))
        .collect();
        let o = rpcscope(&["read", "--status", status, f]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let calls: Vec<String> = text
            .lines()
            .filter(|l| l.contains(" call "))
            .map(xid)
            .collect();
        let mut sorted = calls.clone();
        sorted.sort();
        assert_eq!(sorted, want, "{status}: {text}");
        let mut json_sorted = json.clone();
        json_sorted.sort();
        assert_eq!(json_sorted, want, "{status}: JSON");
        let no_reply: Vec<String> = text
            .lines()
            .filter(|l| l.ends_with(" (no reply)"))
            .map(xid)
            .collect();
        assert_eq!(no_reply, ["0x00000002", "0x00000004"], "{status}: {text}");
    }
    // Unfiltered text prints each call once, when seen, with no marker.
    let o = rpcscope(&["read", f]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(!text.contains("(no reply)"), "{text}");
}

#[test]
fn text_output_with_reply_filter_keeps_call_lines() {
    let f = rpcbind_capture();
    let o = rpcscope(&["read", "--status", "prog_mismatch", f.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    for pair in lines.chunks(2) {
        assert!(
            pair[0].contains(" call ") && pair[1].contains("prog_mismatch"),
            "{text}"
        );
        // The call line comes first, with the reply's XID.
        let xid = |l: &str| {
            l.split(" xid ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(xid(pair[0]), xid(pair[1]));
    }
}

#[cfg(feature = "live")]
#[test]
fn bpf_filter_on_files_matches_tshark() {
    let file = rpcbind_capture();
    let f = file.to_str().unwrap();
    let udp = exchanges(&rpcscope(&["read", "--format", "json", "-f", "udp", f]));
    assert!(!udp.is_empty());
    assert!(udp.iter().all(|e| e["transport"] == "udp"));
    let all = exchanges(&rpcscope(&["read", "--format", "json", f]));
    let n_udp = all.iter().filter(|e| e["transport"] == "udp").count();
    assert_eq!(udp.len(), n_udp);
    // Frame numbers stay those of the file (tshark's).
    if let Some(t) = tshark_frames(&file, "udp && rpc.msgtyp == 0") {
        let mut ours: Vec<u64> = udp
            .iter()
            .filter_map(|e| e["call_frame"].as_u64())
            .collect();
        ours.sort();
        assert_eq!(ours, t);
    }
    let o = rpcscope(&["stats", "-f", "no such ((", f]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_values_exit_2_with_one_line() {
    let f = rpcbind_capture();
    let f = f.to_str().unwrap();
    for args in [
        vec!["read", "--program", "nosuchprog", f],
        vec!["read", "--procedure", "WRITE", f],
        vec!["read", "--program", "nfs", "--procedure", "FROB", f],
        vec!["stats", "--status", "sucess", f],
        vec!["stats", "--min-latency", "10", f],
        vec!["read", "--min-latency", "fast", f],
        vec!["read", "--host", "localhost", f],
        vec!["live", "-i", "lo", "--duration=0"],
        vec!["live", "-i", "lo", "--count", "0"],
    ] {
        let o = rpcscope(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("rpcscope: --"), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
}

#[cfg(feature = "live")]
#[test]
fn unknown_interface_is_one_line_exit_1() {
    let o = rpcscope(&["live", "-i", "nosuchif0", "--duration", "1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("nosuchif0") && err.contains("rpcscope interfaces"),
        "{err}"
    );
}

#[test]
fn stats_json_shape_and_by_client() {
    let f = rpcbind_capture();
    let f = f.to_str().unwrap();
    let o = rpcscope(&["stats", "--format", "json", "--by", "client", f]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        for k in [
            "program",
            "version",
            "procedure",
            "program_name",
            "procedure_name",
            "calls",
            "replies",
            "errors",
            "latency_us",
            "client",
        ] {
            assert!(r.get(k).is_some(), "{k} missing in {r}");
        }
        for k in ["min", "mean", "p50", "p90", "p99", "max"] {
            assert!(r["latency_us"].get(k).is_some(), "{k}");
        }
    }
    let mm: u64 = rows
        .iter()
        .filter_map(|r| r["errors"]["prog_mismatch"].as_u64())
        .sum();
    assert_eq!(mm, 2);
    // Clients are 127.0.0.1 and ::1.
    let clients: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["client"].as_str().unwrap()).collect();
    assert_eq!(
        clients.into_iter().collect::<Vec<_>>(),
        vec!["127.0.0.1", "::1"]
    );
}
