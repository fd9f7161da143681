//! NFSv4 in statistics and filters, checked against the exchanges
//! `read --format json` reports for the same captures (the project's
//! ganesha NFSv4.0/4.1/4.2 sessions): `stats` splits COMPOUNDs by main
//! operation, `stats --ops` counts every operation inside them with its own
//! status, `--procedure NAME` selects compounds by main operation and `--op`
//! compounds holding an operation.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

const CAPTURES: [&str; 3] = ["ganesha-nfs40", "ganesha-nfs41", "ganesha-nfs42"];

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("captures/{name}.pcap"))
}

fn run(args: &[&str], name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(args)
        .arg(capture(name))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The NFSv4 COMPOUND exchanges `read` reports (optionally filtered).
fn compounds(name: &str, filter: &[&str]) -> Vec<Value> {
    let mut args = vec!["read", "--format", "json"];
    args.extend_from_slice(filter);
    run(&args, name)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|o| o["procedure_name"] == "COMPOUND")
        .collect()
}

fn stats(name: &str, ops: bool) -> Vec<Value> {
    let mut args = vec!["stats", "--format", "json"];
    if ops {
        args.push("--ops");
    }
    serde_json::from_str::<Value>(&run(&args, name))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["procedure_name"] == "COMPOUND")
        .cloned()
        .collect()
}

/// `(operation, status)` of each result of an exchange.
fn results(e: &Value) -> Vec<(String, String)> {
    common::nfs4::op_results(e)
}

#[derive(Debug, Default, PartialEq)]
struct Row {
    calls: u64,
    replies: u64,
    unanswered: u64,
    errors: BTreeMap<String, u64>,
}

fn rows(stats: &[Value]) -> BTreeMap<String, Row> {
    stats
        .iter()
        .map(|r| {
            let errors = r["errors"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect();
            (
                r["operation"].as_str().unwrap().to_string(),
                Row {
                    calls: r["calls"].as_u64().unwrap(),
                    replies: r["replies"].as_u64().unwrap(),
                    unanswered: r["unanswered"].as_u64().unwrap(),
                    errors,
                },
            )
        })
        .collect()
}

#[test]
fn stats_split_compounds_by_main_operation() {
    for name in CAPTURES {
        let ex = compounds(name, &[]);
        let mut want: BTreeMap<String, Row> = BTreeMap::new();
        for e in &ex {
            let row = want
                .entry(e["main_op"].as_str().unwrap().to_string())
                .or_default();
            row.calls += 1;
            row.replies += 1;
            let s = e["body_status"].as_str().unwrap();
            if s != "NFS4_OK" {
                *row.errors.entry(s.to_string()).or_default() += 1;
            }
        }
        let got = rows(&stats(name, false));
        assert_eq!(got, want, "{name}");
        assert!(got.len() >= 8, "{name}: {} rows", got.len());
        // The call and reply bytes of the rows add up to the traffic.
        let bytes: u64 = stats(name, false)
            .iter()
            .map(|r| r["call_bytes"].as_u64().unwrap() + r["reply_bytes"].as_u64().unwrap())
            .sum();
        let traffic: u64 = ex
            .iter()
            .map(|e| e["call_bytes"].as_u64().unwrap() + e["reply_bytes"].as_u64().unwrap())
            .sum();
        assert_eq!(bytes, traffic, "{name}");
    }
    // Text: COMPOUND:MAIN.
    let text = run(&["stats"], "ganesha-nfs41");
    let read = text
        .lines()
        .find(|l| l.contains("COMPOUND:READ "))
        .expect(&text);
    assert!(read.starts_with("nfs      4     COMPOUND:READ"), "{read}");
    // The failure is listed under ERRORS, after the table.
    let (_, errors) = text.split_once("\nERRORS\n").expect(&text);
    let lookup = errors
        .lines()
        .find(|l| l.contains("COMPOUND:LOOKUP "))
        .expect(&text);
    let w: Vec<&str> = lookup.split_whitespace().collect();
    assert_eq!(
        w,
        ["nfs", "4", "COMPOUND:LOOKUP", "NFS4ERR_NOENT", "1"],
        "{lookup}"
    );
}

#[test]
fn stats_ops_count_every_operation_with_its_own_status() {
    for name in CAPTURES {
        let ex = compounds(name, &[]);
        let mut want: BTreeMap<String, Row> = BTreeMap::new();
        for e in &ex {
            let res = results(e);
            for (i, op) in e["ops"].as_array().unwrap().iter().enumerate() {
                let row = want.entry(op.as_str().unwrap().to_string()).or_default();
                row.calls += 1;
                match res.get(i) {
                    Some((_, s)) => {
                        row.replies += 1;
                        if s != "NFS4_OK" {
                            *row.errors.entry(s.clone()).or_default() += 1;
                        }
                    }
                    // Not reached: an operation before it failed.
                    None => row.unanswered += 1,
                }
            }
        }
        let got = rows(&stats(name, true));
        assert_eq!(got, want, "{name}");
    }
    // The failed LOOKUP is counted on LOOKUP's row only, the GETFH after
    // it as not answered.
    let got = rows(&stats("ganesha-nfs41", true));
    assert_eq!(got["OP_LOOKUP"].errors.get("NFS4ERR_NOENT"), Some(&1));
    assert!(got["OP_PUTFH"].errors.is_empty());
    assert_eq!(got["OP_GETFH"].unanswered, 1);
}

#[test]
fn procedure_selects_compounds_by_main_operation_and_op_by_content() {
    for name in CAPTURES {
        let all = compounds(name, &[]);
        let xids = |v: &[Value]| {
            v.iter()
                .map(|e| e["xid"].as_u64().unwrap())
                .collect::<Vec<_>>()
        };
        for main in ["READ", "OPEN", "LOOKUP", "WRITE"] {
            let got = compounds(name, &["--program", "nfs", "--procedure", main]);
            let want: Vec<Value> = all
                .iter()
                .filter(|e| e["main_op"] == format!("OP_{main}").as_str())
                .cloned()
                .collect();
            assert_eq!(xids(&got), xids(&want), "{name} --procedure {main}");
        }
        for (arg, op) in [
            ("OP_RENAME", "OP_RENAME"),
            ("getfh", "OP_GETFH"),
            ("Close", "OP_CLOSE"),
            ("OP_SEQUENCE", "OP_SEQUENCE"),
        ] {
            let got = compounds(name, &["--op", arg]);
            let want: Vec<Value> = all
                .iter()
                .filter(|e| e["ops"].as_array().unwrap().iter().any(|o| o == op))
                .cloned()
                .collect();
            assert_eq!(xids(&got), xids(&want), "{name} --op {arg}");
        }
        // Several operations: any of them.
        let got = compounds(name, &["--op", "OP_RENAME,OP_REMOVE"]);
        let want = all
            .iter()
            .filter(|e| {
                e["ops"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o == "OP_RENAME" || o == "OP_REMOVE")
            })
            .count();
        assert_eq!(got.len(), want, "{name}");
        assert!(want >= 1, "{name}");
    }
    // An operation no program defines is refused, saying why.
    let out = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(["read", "--op", "OP_NOSUCH"])
        .arg(capture("ganesha-nfs41"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NOSUCH"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
