//! NFSv4.0, 4.1 and 4.2 against real peers: nfs-ganesha served, libnfs
//! (4.0) and `captures/nfs4-session.py` (4.1, 4.2) were the clients, on
//! loopback in a private network namespace (`captures/make-ganesha-nfs4.sh`).
//! What rpcscope decodes from `captures/ganesha-nfs4*.pcap` is checked
//! against what the clients reported (`*.truth.txt`: per compound its
//! status and every operation's; the files, sizes and errors libnfs saw),
//! and the committed tshark references against tshark itself when it is
//! installed (`tests/nfs4_tshark.rs` compares rpcscope with them).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{in_ci, skip, tshark};
use serde_json::Value;

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

/// The NFSv4 COMPOUND exchanges of a capture, in call order.
fn compounds(name: &str) -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(["read", "--format", "json"])
        .arg(captures().join(format!("{name}.pcap")))
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut v: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|o| o["program"] == 100003 && o["version"] == 4 && o["procedure"] == 1)
        .collect();
    v.sort_by_key(|o| o["call_frame"].as_u64());
    v
}

/// `(operation, status)` of each result, SEQUENCE left out (the client
/// reports the operations it asked for).
fn results(e: &Value) -> Vec<(String, String)> {
    common::nfs4::op_results(e)
        .into_iter()
        .filter(|(op, _)| op != "OP_SEQUENCE")
        .map(|(op, status)| (op.trim_start_matches("OP_").to_string(), status))
        .collect()
}

/// One compound as the 4.1/4.2 client reported it.
struct Reported {
    label: String,
    status: String,
    ops: Vec<(String, String)>,
}

/// `LABEL: STATUS [OP=STATUS ...]` lines of a truth file.
fn reported(name: &str) -> Vec<Reported> {
    let text = std::fs::read_to_string(captures().join(format!("{name}.truth.txt"))).unwrap();
    text.lines()
        .filter_map(|l| {
            let (head, ops) = l.strip_suffix(']')?.split_once(" [")?;
            let (label, status) = head.rsplit_once(": ")?;
            let ops = ops
                .split(' ')
                .map(|p| {
                    let (o, s) = p.split_once('=').unwrap();
                    (o.to_string(), s.to_string())
                })
                .collect();
            Some(Reported {
                label: label.to_string(),
                status: status.to_string(),
                ops,
            })
        })
        .collect()
}

/// The path a compound the client labelled `label` acts on, in the export
/// directory `dir` (`None`: the label names no file).
fn expected_path(label: &str, dir: &str) -> Option<String> {
    let mut words = label.split(' ');
    let (verb, object) = (words.next()?, words.next()?);
    match verb {
        "mount" => Some(object.to_string()),
        "CREATE" | "READDIR" => Some(format!("/export/{object}")),
        "OPEN" | "CLOSE" | "READ+CLOSE" | "WRITE+COMMIT" | "LOOKUP" | "LOOKUP+GETATTR"
        | "GETATTR" | "REMOVE" | "RENAME" => Some(format!("/export/{dir}/{object}")),
        _ => None,
    }
}

#[test]
fn nfs41_and_42_sessions_decode_as_the_client_reports_them() {
    for (name, dir) in [("ganesha-nfs41", "dir41"), ("ganesha-nfs42", "dir42")] {
        let ours = compounds(name);
        let truth = reported(name);
        assert_eq!(ours.len(), truth.len(), "{name}: compounds");
        let mut paths = 0;
        for (e, t) in ours.iter().zip(&truth) {
            let what = format!("{name} frame {} ({})", e["call_frame"], t.label);
            assert_eq!(e["body_status"], t.status.as_str(), "{what}");
            assert_eq!(results(e), t.ops, "{what}");
            // The main operation is one the client asked for (SEQUENCE
            // only when it is alone).
            let main = e["main_op"].as_str().unwrap().trim_start_matches("OP_");
            assert!(t.ops.iter().any(|(o, _)| o == main), "{what}: {main}");
            if let Some(p) = expected_path(&t.label, dir) {
                assert_eq!(e["path"], p.as_str(), "{what}");
                paths += 1;
            }
        }
        assert!(paths >= 12, "{name}: {paths} paths checked");
        println!(
            "{name}: {} compounds as the client reports, {paths} paths",
            ours.len()
        );
    }
}

/// The bytes of bulk data (`{"len": N}`) at `key` in each operation of `e`
/// named `op` (`opread`/`data` in results, `opwrite`/`data` in arguments).
fn data_len(e: &Value, side: &str, list: &str, arm: &str) -> u64 {
    e[side][list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let a = &o[arm];
            a["data"]["len"]
                .as_u64()
                .or_else(|| a["resok4"]["data"]["len"].as_u64())
        })
        .sum()
}

#[test]
fn nfs40_libnfs_session_decodes_as_the_client_reports_it() {
    let ours = compounds("ganesha-nfs40");
    let truth = std::fs::read_to_string(captures().join("ganesha-nfs40.truth.txt")).unwrap();
    let by_path = |p: &str| -> Vec<&Value> {
        ours.iter()
            .filter(|e| e["path"] == format!("/export{p}").as_str())
            .collect()
    };
    // Every file and directory the client worked on has compounds with its
    // path.
    let mut named = 0;
    for line in truth.lines() {
        let Some((op, rest)) = line.split_once(' ') else {
            continue;
        };
        if ![
            "mkdir", "write", "ls", "stat", "cat", "fill", "rm", "missing",
        ]
        .contains(&op)
        {
            continue;
        }
        let path = rest.split(':').next().unwrap();
        assert!(!by_path(path).is_empty(), "{line}: no compound on {path}");
        named += 1;
    }
    assert!(named >= 12, "{named} client operations");
    // The sizes libnfs reports: 20000 bytes written to and read back from
    // big.bin, 11 to a.txt, 33 read from readme.txt.
    let sum = |p: &str, write: bool| -> u64 {
        by_path(p)
            .iter()
            .map(|e| {
                if write {
                    data_len(e, "args", "argarray", "opwrite")
                } else {
                    data_len(e, "result", "resarray", "opread")
                }
            })
            .sum()
    };
    assert!(truth.contains("fill /dir40/big.bin: 20000 bytes"));
    assert_eq!(sum("/dir40/big.bin", true), 20000);
    assert!(truth.contains("cat /dir40/big.bin: 20000 bytes"));
    assert_eq!(sum("/dir40/big.bin", false), 20000);
    assert!(truth.contains("write /dir40/a.txt: 11 bytes"));
    assert_eq!(sum("/dir40/a.txt", true), 11);
    assert!(truth.contains("hello from rpcscope over NFSv4.0"));
    assert_eq!(sum("/docs/readme.txt", false), 33);
    // The lookup of the renamed name fails as libnfs says; the new name
    // is known by its path afterwards.
    assert!(truth.contains("missing /dir40/a.txt: -2"));
    let renamed = ours
        .iter()
        .position(|e| {
            e["ops"]
                .as_array()
                .is_some_and(|o| o.iter().any(|o| o == "OP_RENAME"))
        })
        .expect("a RENAME");
    assert!(ours[renamed..]
        .iter()
        .any(|e| { e["path"] == "/export/dir40/a.txt" && e["body_status"] == "NFS4ERR_NOENT" }));
    assert!(ours[renamed..]
        .iter()
        .any(|e| e["path"] == "/export/dir40/b.txt" && e["body_status"] == "NFS4_OK"));
    // Every compound's status heads its results.
    let mut statuses: BTreeMap<String, u32> = BTreeMap::new();
    for e in &ours {
        let s = e["body_status"].as_str().unwrap();
        *statuses.entry(s.to_string()).or_default() += 1;
        let last = results(e)
            .last()
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        assert_eq!(
            s, last,
            "frame {}: the last result's status",
            e["call_frame"]
        );
    }
    println!("ganesha-nfs40: {} compounds, {statuses:?}", ours.len());
}

/// The committed tshark references are tshark's: the same fields read
/// again from the captures give the same text.
#[test]
fn committed_tshark_references_are_reproducible() {
    let Some(version) = tshark(&["-v"]) else {
        return skip(
            "committed_tshark_references_are_reproducible",
            "tshark is not installed",
        );
    };
    for name in ["ganesha-nfs40", "ganesha-nfs41", "ganesha-nfs42"] {
        let committed =
            std::fs::read_to_string(captures().join(format!("{name}.tshark-nfs.tsv"))).unwrap();
        let fields: Vec<&str> = committed.lines().next().unwrap().split('\t').collect();
        let pcap = captures().join(format!("{name}.pcap"));
        let mut args = vec![
            "-r",
            pcap.to_str().unwrap(),
            "-Y",
            "nfs",
            "-T",
            "fields",
            "-E",
            "header=y",
            "-E",
            "separator=/t",
        ];
        for f in &fields {
            args.push("-e");
            args.push(f);
        }
        let now = tshark(&args).expect("tshark runs");
        if now != committed && !in_ci() && !version.contains("4.0.") {
            // Another tshark version may decode differently: the
            // references are TShark 4.0.17's.
            return skip(
                "committed_tshark_references_are_reproducible",
                "tshark is not 4.0",
            );
        }
        assert_eq!(now, committed, "{name}: tshark decodes differently now");
    }
}
