//! `report -j N` over several files: the files are counted side by side and
//! their analyses added, and what is written (the HTML page, the summary on
//! stderr, the exit status) is the same for every N: on the bundled
//! captures with an unreadable file among them, on the public corpus
//! (`../shared`), and where the bounded parts of a report fill up (a file
//! that fills a top table or the series' keys alone, or files that fill
//! them only together, are counted again by the main thread, in order).
//! The -j 1 path is the one-thread reader, so each comparison is between
//! two independent ways of counting.
//!
//! Skips the corpus part (with a note) where `../shared` is absent.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::synth::{call, pcap, reply, timed, udp};
use common::*;
use rpcscope::rpc::AcceptBody;

/// The page, stderr and exit status of `report -j N FILES`.
fn report(jobs: u32, files: &[PathBuf], out: &Path) -> (Vec<u8>, String, Option<i32>) {
    let _ = std::fs::remove_file(out);
    let run = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(["report", "-j", &jobs.to_string(), "-o"])
        .arg(out)
        .args(files)
        .output()
        .unwrap();
    let page = std::fs::read(out).unwrap_or_default();
    (
        page,
        String::from_utf8(run.stderr).unwrap(),
        run.status.code(),
    )
}

/// Runs over `files` with 1, 2 and 3 threads and requires the same page,
/// stderr and status; returns the one-thread run.
fn same_for_every_n(name: &str, files: &[PathBuf]) -> (String, String, Option<i32>) {
    let dir = common::Scratch::new(name);
    // One path for every run: stderr names it.
    let page = dir.0.join("report.html");
    let one = report(1, files, &page);
    assert!(one.0.len() > 10_000, "{name}: a page ({})", one.1);
    for j in [2, 3] {
        let many = report(j, files, &page);
        assert!(
            one.1 == many.1,
            "{name}: stderr differs with -j {j}:\n{}\n{}",
            one.1,
            many.1
        );
        assert!(one.2 == many.2, "{name}: status differs with -j {j}");
        assert!(
            one.0 == many.0,
            "{name}: the page differs between -j 1 and -j {j}"
        );
    }
    (String::from_utf8(one.0).unwrap(), one.1, one.2)
}

#[test]
fn jobs_give_the_same_report_on_the_bundled_captures() {
    let mut files = bundled_captures();
    assert!(files.len() >= 4, "bundled captures: {files:?}");
    files.insert(2, PathBuf::from("/nonexistent/rpcscope-test.pcap"));
    let (page, err, code) = same_for_every_n("report-jobs-bundled", &files);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("rpcscope-test.pcap"), "{err}");
    assert!(page.contains("ganesha-nfs.pcap"), "the inputs are named");
}

#[test]
fn jobs_give_the_same_report_on_the_public_corpus() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let dir = shared.join("captures/public");
    let files: Vec<PathBuf> = public_captures(&shared)
        .iter()
        .map(|n| dir.join(n))
        .collect();
    assert!(files.len() >= 20);
    let (_, err, code) = same_for_every_n("report-jobs-public", &files);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("report of"), "{err}");
}

/// NULL calls over UDP, each answered 1 us later (so every latency ties),
/// from client `10.a.b.c:700` for each of `clients` (as a u32 `0x00abc`),
/// to procedure `procs(i)` of program 400000.
fn capture(name: &str, clients: &[u32], procs: impl Fn(usize) -> u32) -> PathBuf {
    let server = ([10, 0, 0, 2], 2049);
    let mut frames = Vec::new();
    for (i, &c) in clients.iter().enumerate() {
        let [_, a, b, d] = c.to_be_bytes();
        let client = ([10, a, b, d], 700);
        let xid = 0x1000 + i as u32;
        frames.push(udp(client, server, &call(xid, 400_000, 1, procs(i), &[])));
        frames.push(udp(server, client, &reply(xid, AcceptBody::Success, &[])));
    }
    temp_file(name, &pcap(&timed(frames), 65535))
}

#[test]
fn jobs_give_the_same_report_when_its_tables_fill_up() {
    // Clients are kept for 4,096 addresses, series for 32 procedures.
    let ids = |r: std::ops::Range<u32>| r.map(|i| 0x10000 + i).collect::<Vec<u32>>();
    let small = capture("report-jobs-small.pcap", &ids(0..300), |i| (i % 4) as u32);
    let other = capture("report-jobs-other.pcap", &ids(1000..1300), |i| {
        (i % 4) as u32
    });
    // Alone past the client bound, with the small file's clients last.
    let big = capture(
        "report-jobs-big.pcap",
        &[ids(20_000..24_500), ids(0..300)].concat(),
        |i| (i % 3) as u32,
    );
    // 3,000 clients each: the bound falls among the second file's, whose
    // addresses are the lowest (the page lists ties by name, so which of
    // them were kept shows).
    let half_a = capture("report-jobs-half-a.pcap", &ids(40_000..43_000), |_| 0);
    let half_b = capture("report-jobs-half-b.pcap", &ids(0..3_000), |_| 0);
    // 40 procedures alone; 20 and 20 others together.
    let keys = capture("report-jobs-keys.pcap", &ids(0..80), |i| (i % 40) as u32);
    let keys_a = capture("report-jobs-keys-a.pcap", &ids(0..40), |i| (i % 20) as u32);
    let keys_b = capture("report-jobs-keys-b.pcap", &ids(0..40), |i| {
        20 + (i % 20) as u32
    });
    let cases: [(&str, Vec<PathBuf>); 6] = [
        ("fit", vec![small.clone(), other.clone(), small.clone()]),
        (
            "alone",
            vec![small.clone(), big.clone(), other.clone(), small.clone()],
        ),
        (
            "full-first",
            vec![big.clone(), small.clone(), other.clone()],
        ),
        ("together", vec![half_a, half_b, small.clone()]),
        ("keys-alone", vec![small.clone(), keys, other.clone()]),
        ("keys-together", vec![keys_a, keys_b, other]),
    ];
    for (name, files) in cases {
        let (page, err, code) = same_for_every_n(&format!("report-jobs-{name}"), &files);
        assert_eq!(code, Some(0), "{name}: {err}");
        let past_bound = page.contains("names past the table's bound");
        let expect = matches!(name, "alone" | "full-first" | "together");
        assert_eq!(past_bound, expect, "{name}: clients past the bound");
    }
}
