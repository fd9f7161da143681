//! `rpcscope stats` flags of issue 12, on the bundled captures: `--sort`,
//! the TOTAL_MS and RETRANSMISSIONS columns, the ERRORS breakdown, `--host`
//! networks, `--by connection|program`, `--interval`, `--format csv`, and
//! the same options on `live --stats`.
//!
//! Each output is checked against another path to the same numbers: the
//! text table against the JSON rows, the JSON rows against the exchanges
//! `read --format json` prints (latency sums, call times, connections),
//! the CSV parsed back against the JSON, a network filter against the
//! address filter it stands for.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rpcscope")
}

fn cap(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The bundled captures the tests run on: NFSv3 and v4.0 (ganesha-nfs),
/// every reply state (serve-call), IPv4 and IPv6 over TCP and UDP
/// (rpcbind-rpcinfo), NFSv4.1 compounds split by main operation.
const CAPTURES: &[&str] = &[
    "ganesha-nfs.pcap",
    "serve-call.pcap",
    "rpcbind-rpcinfo.pcap",
    "ganesha-nfs41.pcap",
];

fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `stats --format json ARGS FILE` rows.
fn json_rows(file: &str, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["stats", "--format", "json"];
    a.extend(args);
    a.push(file);
    serde_json::from_str(&ok(&a)).unwrap()
}

/// The exchange objects of `read --format json FILE`.
fn exchanges(file: &str, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["read", "--format", "json"];
    a.extend(args);
    a.push(file);
    ok(&a)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "exchange")
        .collect()
}

/// The text output split into the table and the ERRORS table (header line
/// first in each; words split on white space).
struct Text {
    table: Vec<Vec<String>>,
    errors: Vec<Vec<String>>,
}

fn words(l: &str) -> Vec<String> {
    l.split_whitespace().map(str::to_string).collect()
}

fn text(out: &str) -> Text {
    let (table, errors) = match out.split_once("\n\nERRORS\n") {
        Some((t, e)) => (t, e),
        None => (out, ""),
    };
    Text {
        table: table.lines().map(words).collect(),
        errors: errors.lines().map(words).collect(),
    }
}

impl Text {
    /// Column `name` of every row.
    fn col(&self, name: &str) -> Vec<String> {
        let i = self.table[0]
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {:?}", self.table[0]));
        self.table[1..].iter().map(|r| r[i].clone()).collect()
    }
}

/// A row's identity: (program, version, procedure, operation) as JSON
/// values (an exchange's `main_op` is a row's `operation`).
type Key = (Value, Value, Value, Value);

fn row_key(r: &Value) -> Key {
    (
        r["program"].clone(),
        r["version"].clone(),
        r["procedure"].clone(),
        r["operation"].clone(),
    )
}

fn exchange_key(e: &Value) -> Key {
    let op = e.get("main_op").cloned().unwrap_or(Value::Null);
    (
        e["program"].clone(),
        e["version"].clone(),
        e["procedure"].clone(),
        op,
    )
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn ms(us: Option<f64>) -> String {
    us.map_or("-".into(), |v| format!("{:.3}", v / 1e3))
}

/// The value `--sort KEY` orders by.
fn sort_value(r: &Value, key: &str) -> Option<f64> {
    let l = &r["latency_us"];
    match key {
        "calls" => num(&r["calls"]),
        "errors" => Some(
            r["errors"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_f64().unwrap())
                .sum(),
        ),
        "mean" => num(&l["mean"]),
        "p99" => num(&l["p99"]),
        "max" => num(&l["max"]),
        "total" => num(&l["total"]),
        _ => unreachable!(),
    }
}

/// (program, version, procedure) in the order of ties: `null` first.
fn tie_key(r: &Value) -> (Option<u64>, Option<u64>, Option<u64>) {
    (
        r["program"].as_u64(),
        r["version"].as_u64(),
        r["procedure"].as_u64(),
    )
}

/// Rows come biggest first by `key`, rows without a value last, ties in
/// program, version, procedure order.
fn assert_sorted(rows: &[Value], key: &str, what: &str) {
    for w in rows.windows(2) {
        let (a, b) = (sort_value(&w[0], key), sort_value(&w[1], key));
        match (a, b) {
            (Some(x), Some(y)) => {
                assert!(x >= y, "{what}: --sort {key}: {x} before {y}");
                if x == y {
                    assert!(tie_key(&w[0]) <= tie_key(&w[1]), "{what}: tie order");
                }
            }
            (None, Some(_)) => panic!("{what}: --sort {key}: a row without value first"),
            (Some(_), None) => {}
            (None, None) => assert!(tie_key(&w[0]) <= tie_key(&w[1]), "{what}: tie order"),
        }
    }
}

#[test]
fn default_order_is_total_latency_and_total_ms_is_the_sum_of_latencies() {
    for name in CAPTURES {
        let f = cap(name);
        let rows = json_rows(&f, &[]);
        assert!(rows.len() > 2, "{name}");
        assert_sorted(&rows, "total", name);
        // The independent path: every exchange's latency, summed per row.
        let mut sums: BTreeMap<String, (f64, u64)> = BTreeMap::new();
        for e in exchanges(&f, &[]) {
            if e["duplicate_reply"] == true {
                continue;
            }
            if let Some(l) = e["latency_us"].as_f64() {
                let s = sums.entry(format!("{:?}", exchange_key(&e))).or_default();
                s.0 += l;
                s.1 += 1;
            }
        }
        for r in &rows {
            let l = &r["latency_us"];
            match sums.get(&format!("{:?}", row_key(r))) {
                Some(&(sum, n)) => {
                    assert_eq!(l["count"].as_u64(), Some(n), "{name}: {r}");
                    let total = l["total"].as_f64().unwrap();
                    assert!(
                        (total - sum).abs() < 1e-3 * n as f64,
                        "{name}: {total} vs {sum}"
                    );
                    let mean = l["mean"].as_f64().unwrap();
                    assert!((total / n as f64 - mean).abs() < 1e-6 * total.max(1.0));
                }
                None => {
                    assert_eq!(l["count"], 0, "{name}: {r}");
                    assert!(l["total"].is_null(), "{name}: {r}");
                }
            }
        }
        // The text table: the same rows in the same order, TOTAL_MS the
        // JSON total in ms, RETRANSMISSIONS the JSON count.
        let t = text(&ok(&["stats", &f]));
        assert_eq!(t.table.len(), rows.len() + 1, "{name}");
        let want: Vec<String> = rows
            .iter()
            .map(|r| ms(r["latency_us"]["total"].as_f64()))
            .collect();
        assert_eq!(t.col("TOTAL_MS"), want, "{name}");
        let want: Vec<String> = rows.iter().map(|r| r["calls"].to_string()).collect();
        assert_eq!(t.col("CALLS"), want, "{name}");
        let want: Vec<String> = rows
            .iter()
            .map(|r| r["retransmissions"].to_string())
            .collect();
        assert_eq!(t.col("RETRANSMISSIONS"), want, "{name}");
        let want: Vec<String> = rows
            .iter()
            .map(|r| ms(r["latency_us"]["max"].as_f64()))
            .collect();
        assert_eq!(t.col("MAX_MS"), want, "{name}");
    }
}

#[test]
fn each_sort_key_orders_rows_biggest_first_in_json_and_text() {
    for name in CAPTURES {
        let f = cap(name);
        let mut all = json_rows(&f, &[]);
        all.sort_by_key(|r| r.to_string());
        for key in ["calls", "errors", "mean", "p99", "max", "total"] {
            let rows = json_rows(&f, &["--sort", key]);
            assert_sorted(&rows, key, name);
            // The same rows, reordered.
            let mut same = rows.clone();
            same.sort_by_key(|r| r.to_string());
            assert_eq!(same, all, "{name} --sort {key}");
            // The text table in the same order.
            let t = text(&ok(&["stats", "--sort", key, &f]));
            let got: Vec<(String, String, String)> = t
                .col("CALLS")
                .into_iter()
                .zip(t.col("ERRORS"))
                .zip(t.col("P99_MS"))
                .map(|((a, b), c)| (a, b, c))
                .collect();
            let want: Vec<(String, String, String)> = rows
                .iter()
                .map(|r| {
                    (
                        r["calls"].to_string(),
                        (sort_value(r, "errors").unwrap() as u64).to_string(),
                        ms(r["latency_us"]["p99"].as_f64()),
                    )
                })
                .collect();
            assert_eq!(got, want, "{name} --sort {key}");
        }
    }
    // The orders differ where the values do (serve-call: NULL has the
    // most calls, SLEEP the most time).
    let f = cap("serve-call.pcap");
    let first = |key: &str| json_rows(&f, &["--sort", key])[0]["procedure_name"].clone();
    assert_eq!(first("calls"), "NULL");
    assert_eq!(first("total"), "SLEEP");
    assert_eq!(first("errors"), "NULL");
}

/// The errors breakdown after the table: one line per row and status,
/// exactly the JSON `errors` objects, in the table's order.
#[test]
fn errors_are_listed_under_a_header_as_the_json_has_them() {
    for name in CAPTURES {
        let f = cap(name);
        for by in [None, Some("client"), Some("connection")] {
            let mut args = vec![];
            if let Some(b) = by {
                args.extend(["--by", b]);
            }
            let rows = json_rows(&f, &args);
            let mut a = vec!["stats"];
            a.extend(&args);
            a.push(&f);
            let out = ok(&a);
            let t = text(&out);
            let mut want: Vec<(String, String)> = Vec::new();
            for r in &rows {
                for (status, n) in r["errors"].as_object().unwrap() {
                    want.push((status.clone(), n.to_string()));
                }
            }
            if want.is_empty() {
                assert!(!out.contains("ERRORS\n"), "{name}: {out}");
                continue;
            }
            let head = &t.errors[0];
            assert_eq!(&head[head.len() - 2..], ["STATUS", "COUNT"], "{name}");
            assert_eq!(head[..3], ["PROGRAM", "VERS", "PROCEDURE"], "{name}");
            let got: Vec<(String, String)> = t.errors[1..]
                .iter()
                .map(|l| (l[l.len() - 2].clone(), l[l.len() - 1].clone()))
                .collect();
            assert_eq!(got, want, "{name} {by:?}");
            // No detail after the table's last column any more.
            let width = t.table[0].len();
            assert!(t.table.iter().all(|r| r.len() == width), "{name}");
        }
    }
    // serve-call has every reply state.
    let out = ok(&["stats", &cap("serve-call.pcap")]);
    for status in [
        "prog_unavail",
        "prog_mismatch",
        "proc_unavail",
        "garbage_args",
        "system_err",
        "rpc_mismatch",
        "auth_error",
    ] {
        assert!(
            out.split_once("\nERRORS\n").unwrap().1.contains(status),
            "{status}"
        );
    }
}

#[test]
fn retransmissions_column_is_the_json_count() {
    let Some(f) = common::prereq::public_capture("nfstrace-eth-ipv4-udp-nfsv3-dup-retransm.pcap")
    else {
        return;
    };
    let f = f.to_string_lossy().into_owned();
    let rows = json_rows(&f, &[]);
    let t = text(&ok(&["stats", &f]));
    let want: Vec<String> = rows
        .iter()
        .map(|r| r["retransmissions"].to_string())
        .collect();
    assert_eq!(t.col("RETRANSMISSIONS"), want);
    // Every call message beyond the first of each exchange: the run
    // summary of `read` counts them too.
    let total: u64 = rows
        .iter()
        .map(|r| r["retransmissions"].as_u64().unwrap())
        .sum();
    let o = ok(&["read", "--format", "json", "-q", &f]);
    let summary: Value = serde_json::from_str(o.lines().last().unwrap()).unwrap();
    assert!(total > 0);
    assert_eq!(Some(total), summary["retransmissions"].as_u64());
}

#[test]
fn host_networks_select_what_their_addresses_select() {
    let f = cap("rpcbind-rpcinfo.pcap");
    let stats = |hosts: &[&str]| {
        let mut a = vec![];
        for h in hosts {
            a.extend(["--host", *h]);
        }
        json_rows(&f, &a)
    };
    let all = stats(&[]);
    let v4 = stats(&["127.0.0.1"]);
    let v6 = stats(&["::1"]);
    assert!(!v4.is_empty() && !v6.is_empty() && v4 != all && v6 != all);
    assert_eq!(stats(&["127.0.0.1/32"]), v4);
    assert_eq!(stats(&["127.0.0.0/8"]), v4);
    assert_eq!(stats(&["127.0.0.1/8"]), v4, "host bits ignored");
    assert_eq!(stats(&["0.0.0.0/0"]), v4, "/0: every IPv4 address");
    assert_eq!(stats(&["::1/128"]), v6);
    assert_eq!(stats(&["[::1]/127"]), v6);
    assert_eq!(stats(&["::/0"]), v6);
    assert_eq!(stats(&["0.0.0.0/0", "::/0"]), all);
    assert_eq!(stats(&["127.0.0.0/8", "::1"]), all);
    assert_eq!(stats(&["10.0.0.0/8"]), Vec::<Value>::new());
    assert_eq!(stats(&["fd00::/8"]), Vec::<Value>::new());
    assert_eq!(stats(&["128.0.0.0/1"]), Vec::<Value>::new());
    // The calls counted are the exchanges `read` keeps with the same
    // network, and those are the ones with an address inside it.
    let calls = |rows: &[Value]| -> u64 { rows.iter().map(|r| r["calls"].as_u64().unwrap()).sum() };
    let v6_ex = exchanges(&f, &["--host", "::/0"]);
    assert_eq!(calls(&stats(&["::/0"])), v6_ex.len() as u64);
    assert!(v6_ex
        .iter()
        .all(|e| e["client"].as_str().unwrap().starts_with("[::1]:")));
    let everything = exchanges(&f, &[]);
    let v4_count = everything
        .iter()
        .filter(|e| e["client"].as_str().unwrap().starts_with("127.0.0.1:"))
        .count();
    assert_eq!(exchanges(&f, &["--host", "127.0.0.0/8"]).len(), v4_count);
    assert_eq!(v4_count + v6_ex.len(), everything.len());
}

#[test]
fn by_connection_splits_each_row_by_its_connections() {
    for name in CAPTURES {
        let f = cap(name);
        let plain = json_rows(&f, &[]);
        let rows = json_rows(&f, &["--by", "connection"]);
        // Calls per procedure add up to the unsplit rows.
        let mut sums: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
        for r in &rows {
            let s = sums.entry(format!("{:?}", row_key(r))).or_default();
            s.0 += r["calls"].as_u64().unwrap();
            s.1 += r["replies"].as_u64().unwrap();
            s.2 += r["call_bytes"].as_u64().unwrap();
        }
        assert_eq!(sums.len(), plain.len(), "{name}");
        for r in &plain {
            let want = (
                r["calls"].as_u64().unwrap(),
                r["replies"].as_u64().unwrap(),
                r["call_bytes"].as_u64().unwrap(),
            );
            assert_eq!(sums[&format!("{:?}", row_key(r))], want, "{name}");
        }
        // Each row's connection and calls, from the exchanges.
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for e in exchanges(&f, &[]) {
            if e["duplicate_reply"] == true {
                continue;
            }
            let k = format!(
                "{:?} {} {} {}",
                exchange_key(&e),
                e["transport"],
                e["client"],
                e["server"]
            );
            *want.entry(k).or_default() += 1;
        }
        let got: BTreeMap<String, u64> = rows
            .iter()
            .map(|r| {
                let c = &r["connection"];
                (
                    format!(
                        "{:?} {} {} {}",
                        row_key(r),
                        c["transport"],
                        c["client"],
                        c["server"]
                    ),
                    r["calls"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
        // Text: TRANSPORT, CLIENT and SERVER columns.
        let t = text(&ok(&["stats", "--by", "connection", &f]));
        let col: Vec<String> = rows
            .iter()
            .map(|r| r["connection"]["client"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(t.col("CLIENT"), col, "{name}");
        let col: Vec<String> = rows
            .iter()
            .map(|r| r["connection"]["transport"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(t.col("TRANSPORT"), col, "{name}");
    }
}

#[test]
fn by_program_merges_every_procedure_of_a_version() {
    for name in CAPTURES {
        let f = cap(name);
        let plain = json_rows(&f, &[]);
        let rows = json_rows(&f, &["--by", "program"]);
        #[derive(Default, Debug, PartialEq)]
        struct Sum {
            calls: u64,
            replies: u64,
            unanswered: u64,
            retransmissions: u64,
            errors: BTreeMap<String, u64>,
            count: u64,
            total: f64,
            min: f64,
            max: f64,
            bytes: (u64, u64),
        }
        let mut want: BTreeMap<String, Sum> = BTreeMap::new();
        for r in &plain {
            let s = want
                .entry(format!("{} {}", r["program"], r["version"]))
                .or_insert(Sum {
                    min: f64::MAX,
                    ..Sum::default()
                });
            let u = |k: &str| r[k].as_u64().unwrap();
            s.calls += u("calls");
            s.replies += u("replies");
            s.unanswered += u("unanswered");
            s.retransmissions += u("retransmissions");
            for (k, v) in r["errors"].as_object().unwrap() {
                *s.errors.entry(k.clone()).or_default() += v.as_u64().unwrap();
            }
            let l = &r["latency_us"];
            s.count += l["count"].as_u64().unwrap();
            s.total += l["total"].as_f64().unwrap_or(0.0);
            s.min = s.min.min(l["min"].as_f64().unwrap_or(f64::MAX));
            s.max = s.max.max(l["max"].as_f64().unwrap_or(0.0));
            s.bytes.0 += u("call_bytes");
            s.bytes.1 += u("reply_bytes");
        }
        assert_eq!(rows.len(), want.len(), "{name}");
        for r in &rows {
            assert!(r["procedure"].is_null() && r["procedure_name"].is_null());
            assert!(r["operation"].is_null());
            let w = &want[&format!("{} {}", r["program"], r["version"])];
            let u = |k: &str| r[k].as_u64().unwrap();
            assert_eq!(
                (
                    u("calls"),
                    u("replies"),
                    u("unanswered"),
                    u("retransmissions")
                ),
                (w.calls, w.replies, w.unanswered, w.retransmissions),
                "{name}"
            );
            let errors: BTreeMap<String, u64> = r["errors"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect();
            assert_eq!(errors, w.errors, "{name}");
            let l = &r["latency_us"];
            assert_eq!(l["count"].as_u64(), Some(w.count));
            assert!((l["total"].as_f64().unwrap() - w.total).abs() < 1e-6 * w.total);
            assert_eq!(l["min"].as_f64(), Some(w.min));
            assert_eq!(l["max"].as_f64(), Some(w.max));
            assert_eq!((u("call_bytes"), u("reply_bytes")), w.bytes);
        }
        // Text: no PROCEDURE column.
        let t = text(&ok(&["stats", "--by", "program", &f]));
        assert_eq!(t.table[0][..3], ["PROGRAM", "VERS", "CALLS"], "{name}");
    }
}

/// The time of the first frame of a classic pcap file, in microseconds.
fn first_frame_us(file: &str) -> i64 {
    let b = std::fs::read(file).unwrap();
    let le = match &b[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] => false,
        m => panic!("{file}: not a microsecond pcap: {m:?}"),
    };
    let u = |o: usize| {
        let w = [b[o], b[o + 1], b[o + 2], b[o + 3]];
        i64::from(if le {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        })
    };
    u(24) * 1_000_000 + u(28)
}

#[test]
fn intervals_split_the_rows_by_call_time() {
    for (name, secs) in [
        ("serve-call.pcap", "0.1"),
        ("ganesha-nfs.pcap", "0.005"),
        ("rpcbind-rpcinfo.pcap", "0.002"),
        ("ganesha-nfs41.pcap", "0.0005"),
    ] {
        let f = cap(name);
        let width: f64 = secs.parse().unwrap();
        let ivs: Vec<Value> =
            serde_json::from_str(&ok(&["stats", "--format", "json", "--interval", secs, &f]))
                .unwrap();
        assert!(ivs.len() >= 3, "{name}: {}", ivs.len());
        // Aligned to the first frame, regular, contiguous.
        let start0 = ivs[0]["start"].as_f64().unwrap();
        assert!(
            (start0 * 1e6 - first_frame_us(&f) as f64).abs() < 1.0,
            "{name}"
        );
        for (i, iv) in ivs.iter().enumerate() {
            let (s, e) = (iv["start"].as_f64().unwrap(), iv["end"].as_f64().unwrap());
            assert!((e - s - width).abs() < 1e-6, "{name}: {iv}");
            assert!((s - (start0 + i as f64 * width)).abs() < 1e-6, "{name}");
        }
        // Each interval's calls are the exchanges called in it.
        let ex = exchanges(&f, &[]);
        for iv in &ivs {
            let (s, e) = (iv["start"].as_f64().unwrap(), iv["end"].as_f64().unwrap());
            let mut want: BTreeMap<String, u64> = BTreeMap::new();
            for x in &ex {
                let t = x["call_time"].as_f64().unwrap();
                if x["duplicate_reply"] != true && s <= t && t < e {
                    *want.entry(format!("{:?}", exchange_key(x))).or_default() += 1;
                }
            }
            let got: BTreeMap<String, u64> = iv["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (format!("{:?}", row_key(r)), r["calls"].as_u64().unwrap()))
                .collect();
            assert_eq!(got, want, "{name}: {s}..{e}");
            assert_sorted(iv["rows"].as_array().unwrap(), "total", name);
        }
        // Over all intervals: the totals.
        let mut sums: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for r in ivs.iter().flat_map(|iv| iv["rows"].as_array().unwrap()) {
            let s = sums.entry(format!("{:?}", row_key(r))).or_default();
            s.0 += r["calls"].as_u64().unwrap();
            s.1 += r["latency_us"]["count"].as_u64().unwrap();
        }
        let plain: BTreeMap<String, (u64, u64)> = json_rows(&f, &[])
            .iter()
            .map(|r| {
                (
                    format!("{:?}", row_key(r)),
                    (
                        r["calls"].as_u64().unwrap(),
                        r["latency_us"]["count"].as_u64().unwrap(),
                    ),
                )
            })
            .collect();
        assert_eq!(sums, plain, "{name}");
        // Text: one table per interval, under its INTERVAL line, the
        // empty ones too.
        let out = ok(&["stats", "--interval", secs, &f]);
        let heads: Vec<&str> = out.lines().filter(|l| l.starts_with("INTERVAL ")).collect();
        assert_eq!(heads.len(), ivs.len(), "{name}");
        assert!(heads[0].ends_with(" UTC"));
        let empty = ivs
            .iter()
            .filter(|iv| iv["rows"] == Value::Array(vec![]))
            .count();
        assert_eq!(out.matches("(no RPC exchanges)").count(), empty, "{name}");
        let rows: usize = ivs
            .iter()
            .map(|iv| iv["rows"].as_array().unwrap().len())
            .sum();
        // Table lines: not a header, not the ERRORS tables (up to the
        // blank line before the next interval).
        let mut in_errors = false;
        let mut lines = 0;
        for l in out.lines() {
            match l {
                "ERRORS" => in_errors = true,
                "" => in_errors = false,
                _ if in_errors || l.starts_with("INTERVAL ") || l.starts_with("PROGRAM ") => {}
                "(no RPC exchanges)" => {}
                _ => lines += 1,
            }
        }
        assert_eq!(lines, rows, "{name}");
    }
}

/// RFC 4180 fields of a CSV text (quoted fields may hold commas, quotes and
/// line breaks); `None` for an unquoted empty field.
fn parse_csv(text: &str) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut in_quotes) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => (quoted, in_quotes) = (true, true),
            ',' | '\n' => {
                let f = std::mem::take(&mut field);
                row.push((quoted || !f.is_empty()).then_some(f));
                quoted = false;
                if c == '\n' {
                    rows.push(std::mem::take(&mut row));
                }
            }
            _ => field.push(c),
        }
    }
    assert!(
        row.is_empty() && field.is_empty(),
        "CSV ends with a line break"
    );
    rows
}

#[test]
fn csv_parser_follows_rfc_4180() {
    let rows = parse_csv("a,b\n1,\"x, \"\"y\"\"\nz\"\n,\"\"\n");
    assert_eq!(rows[0], [Some("a".into()), Some("b".into())]);
    assert_eq!(rows[1], [Some("1".into()), Some("x, \"y\"\nz".into())]);
    assert_eq!(rows[2], [None, Some(String::new())]);
}

/// One CSV line against one JSON row: every column the value of its JSON
/// field (numbers compared as numbers).
fn assert_csv_row(head: &[Option<String>], line: &[Option<String>], r: &Value, what: &str) {
    assert_eq!(head.len(), line.len(), "{what}");
    for (h, v) in head.iter().zip(line) {
        let h = h.as_deref().unwrap();
        let l = &r["latency_us"];
        let want: Value = match h {
            "interval_start" | "interval_end" => continue,
            "errors" => Value::from(
                r["errors"]
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|v| v.as_u64().unwrap())
                    .sum::<u64>(),
            ),
            "errors_by_status" => {
                let s: Vec<String> = r["errors"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                if s.is_empty() {
                    Value::Null
                } else {
                    Value::from(s.join(";"))
                }
            }
            "latency_count" => l["count"].clone(),
            "transport" | "client" | "server" if r.get("connection").is_some() => {
                r["connection"][h].clone()
            }
            h if h.ends_with("_us") => l[h.trim_end_matches("_us")].clone(),
            h => r[h].clone(),
        };
        match (&want, v) {
            (Value::Null, None) => {}
            (Value::Number(n), Some(s)) => {
                let got: f64 = s.parse().unwrap_or_else(|_| panic!("{what}: {h}={s}"));
                assert_eq!(got, n.as_f64().unwrap(), "{what}: {h}");
            }
            (Value::String(w), Some(s)) => assert_eq!(w, s, "{what}: {h}"),
            _ => panic!("{what}: {h}: CSV {v:?}, JSON {want}"),
        }
    }
}

#[test]
fn csv_is_the_json_row_for_row() {
    for name in CAPTURES {
        let f = cap(name);
        for by in ["", "client", "server", "connection", "program", "path"] {
            let mut args: Vec<&str> = vec![];
            if !by.is_empty() {
                args.extend(["--by", by]);
            }
            let rows = json_rows(&f, &args);
            let mut a = vec!["stats", "--format", "csv"];
            a.extend(&args);
            a.push(&f);
            let csv = parse_csv(&ok(&a));
            assert_eq!(csv.len(), rows.len() + 1, "{name} --by {by}");
            for (line, r) in csv[1..].iter().zip(&rows) {
                assert_csv_row(&csv[0], line, r, &format!("{name} --by {by}"));
            }
        }
        // With --interval: the rows of every interval, with its start.
        let ivs: Vec<Value> = serde_json::from_str(&ok(&[
            "stats",
            "--format",
            "json",
            "--interval",
            "0.001",
            &f,
        ]))
        .unwrap();
        let csv = parse_csv(&ok(&[
            "stats",
            "--format",
            "csv",
            "--interval",
            "0.001",
            &f,
        ]));
        assert_eq!(
            csv[0][..2],
            [Some("interval_start".into()), Some("interval_end".into())]
        );
        let mut lines = csv[1..].iter();
        for iv in &ivs {
            for r in iv["rows"].as_array().unwrap() {
                let line = lines.next().expect("a CSV line per row");
                let start: f64 = line[0].as_deref().unwrap().parse().unwrap();
                let end: f64 = line[1].as_deref().unwrap().parse().unwrap();
                assert_eq!(start, iv["start"].as_f64().unwrap());
                assert_eq!(end, iv["end"].as_f64().unwrap());
                assert_csv_row(&csv[0], line, r, name);
            }
        }
        assert!(lines.next().is_none(), "{name}");
    }
}

#[test]
fn bad_values_are_one_line_usage_errors() {
    let f = cap("rpcbind-rpcinfo.pcap");
    for (args, says) in [
        (
            vec!["stats", "--host", "10.0.0.0/33", &f],
            "--host: '10.0.0.0/33'",
        ),
        (vec!["stats", "--host", "fd00::/129", &f], "from 0 to 128"),
        (vec!["read", "--host", "10.0.0.0/x", &f], "--host"),
        (vec!["stats", "--interval", "0", &f], "--interval: '0'"),
        (vec!["stats", "--interval=-1", &f], "--interval: '-1'"),
        (vec!["stats", "--interval", "inf", &f], "--interval"),
        (vec!["stats", "--ops", "--by", "program", &f], "--ops"),
    ] {
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
    // Values clap checks: its error names the option and the values.
    for (args, says) in [
        (
            vec!["stats", "--sort", "foo", &f],
            "possible values: calls, errors, mean, p99, max, total",
        ),
        (vec!["stats", "--by", "foo", &f], "connection"),
        (vec!["stats", "--interval", "soon", &f], "--interval"),
        (vec!["stats", "--format", "xml", &f], "csv"),
    ] {
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.lines()
                .next()
                .unwrap()
                .starts_with("error: invalid value"),
            "{err}"
        );
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// `live --stats` takes the same options; checked up to opening the device
/// (no root needed): a bad one is 2, good ones reach the capture (1 for a
/// device that does not exist).
#[test]
fn live_stats_takes_sort_by_and_csv() {
    let dev = "no-such-interface0";
    for (args, code) in [
        (
            vec![
                "live",
                "-i",
                dev,
                "--stats",
                "--format",
                "csv",
                "--sort",
                "calls",
                "--by",
                "connection",
            ],
            1,
        ),
        (
            vec![
                "live", "-i", dev, "--stats", "--by", "program", "--sort", "p99",
            ],
            1,
        ),
        (
            vec!["live", "-i", dev, "--stats", "--host", "10.0.0.0/8"],
            1,
        ),
        (vec!["live", "-i", dev, "--sort", "calls"], 2),
        (vec!["live", "-i", dev, "--stats", "--sort", "foo"], 2),
        (
            vec!["live", "-i", dev, "--stats", "--ops", "--by", "program"],
            2,
        ),
        (
            vec!["live", "-i", dev, "--stats", "--host", "10.0.0.0/40"],
            2,
        ),
    ] {
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    }
}

/// The new flags are in `stats --help`, which the man page and the shell
/// completions are made from.
#[test]
fn help_lists_the_new_flags_and_values() {
    let help = ok(&["stats", "--help"]);
    for word in [
        "--sort <KEY>",
        "--interval <SECONDS>",
        "connection",
        "program",
        "csv",
        "ADDR[/PREFIX]",
        "10.0.0.0/8",
    ] {
        assert!(help.contains(word), "stats --help lacks {word}:\n{help}");
    }
    let bash = ok(&["completions", "bash"]);
    assert!(bash.contains("--interval") && bash.contains("calls errors mean p99 max total"));
}
