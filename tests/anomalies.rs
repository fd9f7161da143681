//! Anomalies that are reported with where and why: JSON `{"type":"anomaly"}`
//! objects (docs/json.md), rate-limited per kind with the suppressed count in
//! the summary, for hostile captures built for it.

mod common;

use std::process::Command;

use common::synth::*;
use common::temp_file;
use rpcscope::rpc::{AcceptBody, RecordMark};
use serde_json::Value;

fn json(path: &std::path::Path) -> Vec<Value> {
    let o = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(["read", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn anomalies<'a>(objs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objs.iter()
        .filter(|o| o["type"] == "anomaly" && o["kind"] == kind)
        .collect()
}

/// Regression (issue 11): a record that never ends (100,000 fragments of 16
/// bytes, the last-fragment bit never set) and a capture that ends inside a
/// record were decoded in bounded time but no anomaly was reported. Each now
/// has a JSON object saying where (flow, frame, stream offset) and why.
#[test]
fn record_that_never_ends_and_capture_ending_in_a_record_are_reported() {
    // A call, then a record of 100,000 fragments of 16 bytes.
    let mut wire = record(&call(1, 100003, 3, 0, &[]), 1 << 20);
    let flood_at = wire.len();
    let mut first = call(2, 100003, 3, 7, &[0; 64]);
    first.truncate(16);
    for i in 0..100_000u32 {
        RecordMark {
            last: false,
            len: 16,
        }
        .emit(&mut wire);
        if i == 0 {
            wire.extend_from_slice(&first);
        } else {
            wire.extend_from_slice(&[0xab; 16]);
        }
    }
    // Then a call whose record the capture cuts after 300 of its bytes.
    let cut_at = wire.len();
    let big = record(&call(3, 100003, 3, 7, &[5; 4000]), 1 << 20);
    wire.extend_from_slice(&big[..300]);
    let mut frames = vec![
        tcp(CLIENT, SERVER, 999, 0, true, &[]),
        tcp(SERVER, CLIENT, 4999, 1000, true, &[]),
    ];
    let cuts: Vec<usize> = (1..wire.len() / 1400 + 1).map(|i| i * 1400).collect();
    frames.extend(segments(CLIENT, SERVER, 1000, &wire, &cuts));
    let path = temp_file("never-ends.pcap", &pcap(&timed(frames), 65535));
    let t = std::time::Instant::now();
    let objs = json(&path);
    assert!(t.elapsed().as_secs() < 20, "bounded time");
    let un = anomalies(&objs, "record_unterminated");
    assert_eq!(un.len(), 1, "{un:?}");
    let u = un[0];
    assert_eq!(u["layer"], "record");
    assert_eq!(u["offset"], flood_at as u64);
    assert_eq!(u["len"], 1024 * 16);
    assert_eq!(
        (
            u["transport"].as_str(),
            u["src"].as_str(),
            u["dst"].as_str()
        ),
        (Some("tcp"), Some("10.1.0.1:801"), Some("10.1.0.2:2049"))
    );
    assert!(
        u["reason"]
            .as_str()
            .unwrap()
            .starts_with("too many record fragments"),
        "{u}"
    );
    assert!(u["frame"].as_u64().unwrap() > 3);
    let cut = anomalies(&objs, "record_cut_at_end");
    assert_eq!(cut.len(), 1, "{cut:?}");
    assert_eq!(cut[0]["offset"], cut_at as u64);
    assert_eq!(cut[0]["len"], 296);
    assert!(cut[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("the input ended inside the record"));
    // The cut call is still decoded as far as it goes.
    assert!(objs
        .iter()
        .any(|o| o["type"] == "call" && o["xid"] == 3 && o["gap"] == true));
    let summary = objs.last().unwrap();
    assert_eq!(summary["anomalies"]["record_unterminated"], 1);
    assert_eq!(summary["anomalies"]["record_cut_at_end"], 1);
}

/// Regression (issue 11): overlapping segments with other bytes were
/// resolved silently. The object names the stream, the stream offsets and
/// the TCP sequence range; the copy delivered first is what is decoded.
#[test]
fn inconsistent_retransmission_names_the_stream_and_sequence_range() {
    let c = record(&call(0x77, 100003, 3, 1, &[1; 40]), 1 << 20);
    let mut other = c.clone();
    let n = other.len();
    other[n - 8..].copy_from_slice(&[9; 8]);
    let r = record(&reply(0x77, AcceptBody::Success, &[]), 1 << 20);
    let frames = vec![
        tcp(CLIENT, SERVER, 999, 0, true, &[]),
        tcp(SERVER, CLIENT, 4999, 1000, true, &[]),
        tcp(CLIENT, SERVER, 1000, 5000, false, &c),
        tcp(CLIENT, SERVER, 1000, 5000, false, &other),
        tcp(SERVER, CLIENT, 5000, 1000 + n as u32, false, &r),
    ];
    let objs = json(&temp_file(
        "inconsistent.pcap",
        &pcap(&timed(frames), 65535),
    ));
    let a = anomalies(&objs, "inconsistent_retransmission");
    assert_eq!(a.len(), 1, "{objs:?}");
    assert_eq!(a[0]["frame"], 4);
    assert_eq!(
        (a[0]["offset"].as_u64(), a[0]["len"].as_u64()),
        (Some(0), Some(n as u64))
    );
    assert_eq!(a[0]["seq"]["start"], 1000);
    assert_eq!(a[0]["seq"]["end"], 1000 + n as u64);
    assert_eq!(a[0]["src"], "10.1.0.1:801");
    let ex: Vec<&Value> = objs.iter().filter(|o| o["type"] == "exchange").collect();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0]["call_bytes"], (n - 4) as u64);
}

/// Anomaly objects are rate-limited per kind (a burst of 100, then 10 per
/// second of capture time); the summary counts every anomaly and, apart,
/// the objects not written.
#[test]
fn anomaly_objects_are_rate_limited_with_the_suppressed_count_in_the_summary() {
    let mut bad = call(1, 100003, 3, 1, &[]);
    bad[28..32].copy_from_slice(&1000u32.to_be_bytes()); // cred length 1000
    let mut frames = Vec::new();
    for i in 0..500u32 {
        bad[..4].copy_from_slice(&i.to_be_bytes());
        frames.push(udp(CLIENT, SERVER, &bad));
    }
    // 500 datagrams 1 ms apart: 0.5 s, so 100 + 5 records.
    let pkts: Vec<Pkt> = frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            (
                rpcscope::capture::Timestamp(1_000_000_000_000_000_000 + i as i64 * 1_000_000),
                f,
            )
        })
        .collect();
    let objs = json(&temp_file("malformed.pcap", &pcap(&pkts, 65535)));
    let written = anomalies(&objs, "rpc_malformed");
    assert!((100..=106).contains(&written.len()), "{}", written.len());
    let w = written[0];
    assert_eq!(w["layer"], "rpc");
    assert_eq!(w["offset"], 28);
    assert_eq!(
        w["reason"],
        "too large at byte 28 in cred.length: 1000 > max 400"
    );
    assert_eq!(w["frame"], 1);
    let s = objs.last().unwrap();
    assert_eq!(s["type"], "summary");
    assert_eq!(s["anomalies"]["rpc_malformed"], 500);
    assert_eq!(
        s["anomalies_suppressed"]["rpc_malformed"].as_u64().unwrap() + written.len() as u64,
        500
    );
}
