//! `rpcscope stats` against tshark's service response time tables
//! (`tshark -q -z rpc,srt,PROG,VERS`) on the public corpus and on the
//! project's own `captures/rpcbind-rpcinfo.pcap`.
//!
//! tshark's SRT tap only sees accepted SUCCESS replies (packet-rpc.c queues
//! the tap in the SUCCESS branch), so the comparison is on those. For every
//! program/version/procedure tshark reports, its "Calls" (the successful
//! replies it matched to a call) must equal our successful replies plus
//! the duplicate replies we report but do not count (`duplicate_reply`: a
//! retransmitted call answered twice; tshark counts every matched reply), and
//! its Min/Max/Avg SRT must equal ours (with those duplicates folded back in)
//! within [`SRT_TOLERANCE_S`]: tshark prints seconds with 6 decimals.
//!
//! Skips with a note where tshark or `../shared` is absent.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;
use rpcscope::event::ExchangeKind;

/// tshark rounds SRT to the microsecond; ours is exact to the nanosecond.
const SRT_TOLERANCE_S: f64 = 1.5e-6;

/// Files where rpcscope matches more exchanges than tshark's own decode, so
/// tshark's SRT table has fewer calls: (file, why). For these every row must
/// have at least tshark's count (latencies are printed, not compared).
const SRT_DIFFERS: &[(&str, &str)] = &[
    (
        "nfstrace-eth-ipv4-tcp-nfsv3-4-41-cifs1-2.pcap.gz",
        "tshark's own decode (refs/public TSV) has rpc.time on only 13197 NFSv4 COMPOUND and 7054 \
     NFSv3 WRITE replies; rpcscope matches 14783 and 7075 (tests/corpus.rs checks it finds every \
     message tshark finds); with the extra exchanges tshark also pairs one COMMIT reply \
     differently, so latencies are not compared here",
    ),
    (
        "nfstrace-tcp-seq-overlap-in-fragment-12721.pcap.gz",
        "tshark loses record sync after 3 calls (MANIFEST.md: its WRITE SRT row is empty); \
         rpcscope resyncs and matches 6168 WRITEs, nfstrace's own reference counts 6168",
    ),
];

/// Per-file tshark options from the corpus MANIFEST.md.
fn tshark_opts(name: &str) -> &'static [&'static str] {
    match name {
        "nfstrace-eth-ipv4-tcp-nfsv3-4-41-cifs1-2.pcap.gz" => &["--disable-protocol", "dlep"],
        "nfstrace-eth-ipv4-udp-nfsv3-dup-retransm.pcap" => &["--disable-heuristic", "dns_udp"],
        "tcpdump-nfs-write-verf-cookie.pcapng" => &["-d", "tcp.port==993,rpc"],
        "tcpdump-nfs-seg-fault-1.pcapng" => &["-o", "tcp.desegment_tcp_streams:FALSE"],
        _ => &[],
    }
}

/// tshark is installed (else a skip, or a failure under `CI=true`).
fn have_tshark() -> bool {
    common::prereq::tools(&["tshark"])
}

/// One tshark SRT row: calls, min, max, avg (seconds).
#[derive(Debug, Clone, Copy)]
struct SrtRow {
    calls: u64,
    min: f64,
    max: f64,
    avg: f64,
}

/// Runs `tshark -z rpc,srt,prog,vers` and parses its table by procedure.
fn tshark_srt(file: &Path, opts: &[&str], prog: u32, vers: u32) -> Option<BTreeMap<u32, SrtRow>> {
    let out = Command::new("timeout")
        .arg("600")
        .arg("tshark")
        .arg("-q")
        .arg("-r")
        .arg(file)
        .args(opts)
        .arg("-z")
        .arg(format!("rpc,srt,{prog},{vers}"))
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    if !text.contains("RPC SRT Statistics") {
        return None;
    }
    let mut rows = BTreeMap::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("Index") {
            in_table = true;
            continue;
        }
        if !in_table || line.starts_with('=') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 7 {
            continue;
        }
        let n = f.len();
        let (Ok(proc_), Ok(calls)) = (f[0].parse::<u32>(), f[n - 5].parse::<u64>()) else {
            continue;
        };
        let num = |s: &str| s.parse::<f64>().expect("SRT number");
        rows.insert(
            proc_,
            SrtRow {
                calls,
                min: num(f[n - 4]),
                max: num(f[n - 3]),
                avg: num(f[n - 2]),
            },
        );
    }
    Some(rows)
}

/// (program, version, procedure).
type ProcKey = (u32, u32, u32);

/// Our side of one procedure: every matched latency, duplicates included,
/// and how many of them are duplicates.
#[derive(Debug, Default)]
struct Ours {
    counted: u64,
    dups: u64,
    lat_s: Vec<f64>,
}

/// `rpcscope stats --format json` rows as ((prog, vers, proc) -> (replies
/// with latency, min, max, mean) in seconds). NFSv4 COMPOUND rows split by
/// `operation` are summed back into one per procedure, as tshark counts.
fn cli_stats(file: &Path) -> BTreeMap<ProcKey, (u64, f64, f64, f64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .arg("stats")
        .arg("--format")
        .arg("json")
        .arg(file)
        .output()
        .expect("run rpcscope");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats JSON array");
    let mut m = BTreeMap::new();
    for r in v.as_array().expect("array") {
        let (Some(p), Some(ve), Some(q)) = (
            r["program"].as_u64(),
            r["version"].as_u64(),
            r["procedure"].as_u64(),
        ) else {
            continue;
        };
        let l = &r["latency_us"];
        let n = l["count"].as_u64().unwrap();
        if n == 0 {
            continue;
        }
        let s = |k: &str| l[k].as_f64().unwrap() / 1e6;
        let row = m
            .entry((p as u32, ve as u32, q as u32))
            .or_insert((0, f64::MAX, 0.0f64, 0.0));
        let total = row.3 * row.0 as f64 + s("mean") * n as f64;
        row.0 += n;
        row.1 = row.1.min(s("min"));
        row.2 = row.2.max(s("max"));
        row.3 = total / row.0 as f64;
    }
    m
}

/// Compares one file; returns the mismatches as text.
fn compare(file: &Path, opts: &[&str], superset_ok: bool) -> (u64, Vec<String>) {
    let stats = cli_stats(file);
    let (events, _) = decode(file);
    let mut ours: BTreeMap<(u32, u32, u32), Ours> = BTreeMap::new();
    // Every non-duplicate exchange with a latency, whatever its status.
    let mut all: BTreeMap<(u32, u32, u32), u64> = BTreeMap::new();
    for ev in &events.events {
        let ex = &ev.exchange;
        if ev.kind != ExchangeKind::Complete {
            continue;
        }
        let (Some(c), Some(ns)) = (&ex.call, ex.latency_ns()) else {
            continue;
        };
        let success = ex.reply.is_some_and(|r| r.status.is_success());
        let (Some(p), Some(v), Some(q)) = (c.program, c.version, c.procedure) else {
            continue;
        };
        if !ex.duplicate_reply {
            *all.entry((p, v, q)).or_insert(0) += 1;
        }
        if !success {
            continue;
        }
        let o = ours.entry((p, v, q)).or_default();
        o.lat_s.push(ns as f64 / 1e9);
        if ex.duplicate_reply {
            o.dups += 1;
        } else {
            o.counted += 1;
        }
    }
    let mut problems = Vec::new();
    let mut rows = 0;
    let pvs: std::collections::BTreeSet<(u32, u32)> = stats.keys().map(|k| (k.0, k.1)).collect();
    for (p, v) in pvs {
        let Some(srt) = tshark_srt(file, opts, p, v) else {
            eprintln!("note: tshark has no SRT table for program {p} v{v}");
            continue;
        };
        let keys: std::collections::BTreeSet<u32> = srt
            .keys()
            .copied()
            .chain(stats.keys().filter(|k| (k.0, k.1) == (p, v)).map(|k| k.2))
            .collect();
        for q in keys {
            rows += 1;
            let t = srt.get(&q);
            let s = stats.get(&(p, v, q));
            let o = ours.get(&(p, v, q));
            let tcalls = t.map_or(0, |t| t.calls);
            let stats_n = s.map_or(0, |s| s.0);
            let all_n = all.get(&(p, v, q)).copied().unwrap_or(0);
            assert_eq!(
                stats_n, all_n,
                "{p}/{v}/{q}: stats latency count vs exchanges"
            );
            let counted = o.map_or(0, |o| o.counted);
            let dups = o.map_or(0, |o| o.dups);
            if tcalls != counted + dups {
                if superset_ok && tcalls < counted + dups {
                    continue;
                }
                problems.push(format!(
                    "{p}/{v}/{q}: tshark {tcalls} replies, rpcscope {counted} (+{dups} duplicate)"
                ));
                continue;
            }
            let (Some(t), Some(s), Some(o)) = (t, s, o) else {
                continue;
            };
            if superset_ok {
                continue;
            }
            // With duplicates folded back in, tshark's min/max/avg.
            let min = o.lat_s.iter().copied().fold(f64::MAX, f64::min);
            let max = o.lat_s.iter().copied().fold(0.0, f64::max);
            let avg = o.lat_s.iter().sum::<f64>() / o.lat_s.len() as f64;
            if dups == 0 && stats_n == counted {
                assert!((s.1 - min).abs() < 1e-9 && (s.2 - max).abs() < 1e-9);
                assert!(
                    (s.3 - avg).abs() < 1e-9,
                    "{p}/{v}/{q} mean {} vs {avg}",
                    s.3
                );
            }
            for (what, a, b) in [
                ("min", t.min, min),
                ("max", t.max, max),
                ("avg", t.avg, avg),
            ] {
                if (a - b).abs() > SRT_TOLERANCE_S {
                    problems.push(format!("{p}/{v}/{q}: {what} tshark {a:.6} rpcscope {b:.9}"));
                }
            }
        }
    }
    (rows, problems)
}

#[test]
fn rpcbind_capture_stats_match_tshark() {
    if !have_tshark() {
        return;
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/rpcbind-rpcinfo.pcap");
    let (rows, problems) = compare(&file, &[], false);
    assert!(rows >= 4, "only {rows} rows compared");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn public_corpus_stats_match_tshark() {
    let Some(shared) = shared_dir() else {
        return;
    };
    if !have_tshark() {
        return;
    }
    let dir = shared.join("captures/public");
    let names = public_captures(&shared);
    let mut failed = Vec::new();
    let mut total_rows = 0;
    for name in &names {
        let known = SRT_DIFFERS.iter().find(|(f, _)| f == name);
        let (rows, problems) = compare(&dir.join(name), tshark_opts(name), known.is_some());
        total_rows += rows;
        eprintln!("{name}: {rows} rows, {} mismatches", problems.len());
        if problems.is_empty() {
            continue;
        }
        failed.push((name.clone(), problems));
    }
    assert!(total_rows > 50, "only {total_rows} rows compared");
    assert!(failed.is_empty(), "{failed:#?}");
}
