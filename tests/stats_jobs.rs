//! `stats -j N` over several files: the files are counted side by side and
//! their tables added, and what is printed (the table, the run summary on
//! stderr, the exit status) is the same for every N: on the bundled
//! captures, on the public corpus (`../shared`) with files that cannot be
//! read among them, under several groupings and formats, and where the table
//! fills up (a file that fills its own table is counted again by the main
//! thread; files that fill the table only together are added row by row in
//! the order their keys were first seen). The -j 1 path is the one-thread
//! reader, so each comparison is between two independent ways of counting.
//!
//! Skips the corpus part (with a note) where `../shared` is absent.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::synth::{call, pcap, reply, timed, udp};
use common::*;
use rpcscope::rpc::AcceptBody;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rpcscope")
}

/// stdout, stderr and exit status of `stats -j N ARGS FILES`.
fn stats(jobs: u32, args: &[&str], files: &[PathBuf]) -> (String, String, Option<i32>) {
    let out = Command::new(bin())
        .args(["stats", "-j", &jobs.to_string()])
        .args(args)
        .args(files)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code(),
    )
}

/// Runs `args` over `files` with 1, 2 and 3 threads and requires the same
/// output; returns the one-thread run.
fn same_for_every_n(args: &[&str], files: &[PathBuf]) -> (String, String, Option<i32>) {
    let one = stats(1, args, files);
    for j in [2, 3] {
        let many = stats(j, args, files);
        assert!(
            one == many,
            "stats {args:?} differs between -j 1 and -j {j}:\n-j 1 stderr: {}\n-j {j} stderr: {}",
            one.1,
            many.1
        );
    }
    one
}

/// The data rows of a text table (header and blank lines left out).
fn rows(text: &str) -> usize {
    text.lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .count()
}

const OPTIONS: &[&[&str]] = &[
    &[],
    &["--format", "json"],
    &["--format", "csv", "--by", "client"],
    &["--by", "path", "--sort", "calls"],
    &["--ops", "--histogram"],
    &["--by", "connection", "--format", "json"],
    &["--by", "program"],
    &["--by", "server", "--sort", "p99", "--min-latency", "1ms"],
    &["--program", "nfs", "--host", "127.0.0.0/8"],
];

#[test]
fn jobs_give_the_same_table_on_the_bundled_captures() {
    let mut files = bundled_captures();
    assert!(files.len() >= 4, "bundled captures: {files:?}");
    // An unreadable file in the middle: reported at its place, the others
    // still counted, exit status 1 either way.
    files.insert(2, PathBuf::from("/nonexistent/rpcscope-test.pcap"));
    for args in OPTIONS {
        let (out, err, code) = same_for_every_n(args, &files);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(err.contains("rpcscope-test.pcap"), "{err}");
        assert!(out.len() > 200, "{args:?}: a table: {out}");
    }
    let (out, _, _) = stats(1, &[], &files);
    assert!(rows(&out) >= 10, "{out}");
}

#[test]
fn jobs_give_the_same_table_on_the_public_corpus() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let dir = shared.join("captures/public");
    let mut files: Vec<PathBuf> = public_captures(&shared)
        .iter()
        .map(|n| dir.join(n))
        .collect();
    assert!(files.len() >= 20);
    files.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
    for args in OPTIONS {
        let (out, err, code) = same_for_every_n(args, &files);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(err.contains("not a capture file"), "{err}");
        assert!(out.len() > 1000, "{args:?}");
    }
}

/// A capture of NFS NULL calls over UDP, one from each of `ports` (client
/// ports, in that order), each answered: `--by connection` gives it a row
/// per port.
fn many_clients(name: &str, ports: impl IntoIterator<Item = u16>) -> PathBuf {
    let server = ([10, 0, 0, 2], 2049);
    let mut frames = Vec::new();
    for (i, port) in ports.into_iter().enumerate() {
        let client = ([10, 0, 0, 1], port);
        let xid = 0x1000 + i as u32;
        frames.push(udp(client, server, &call(xid, 100_003, 3, 0, &[])));
        frames.push(udp(server, client, &reply(xid, AcceptBody::Success, &[])));
    }
    temp_file(name, &pcap(&timed(frames), 65535))
}

#[test]
fn jobs_give_the_same_table_when_it_fills_up() {
    // The table holds 256 rows (one kept for the overflow row).
    let small = many_clients("stats-jobs-150a.pcap", 10_000..10_150);
    let other = many_clients("stats-jobs-150b.pcap", 20_000..20_150);
    // 350 new clients, then the 150 of `small` again: alone, this file
    // overflows its own table on those last ones, which have rows in the
    // whole table.
    let big = many_clients(
        "stats-jobs-500.pcap",
        (30_000..30_350).chain(10_000..10_150),
    );
    let by = ["--by", "connection"];
    // Each file fits alone, not together: the second file's rows are added
    // until the table is full, the rest go to the overflow row.
    let (out, err, code) = same_for_every_n(&by, &[small.clone(), other.clone()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("stats table full: 45 exchanges"), "{err}");
    assert_eq!(rows(&out), 256, "{out}");
    // A file too big for the table alone (counted again by the main
    // thread), between two that fit.
    let files = [small.clone(), big, other];
    let (out, err, _) = same_for_every_n(&by, &files);
    assert!(err.contains("stats table full"), "{err}");
    assert_eq!(rows(&out), 256);
    let (json, _, _) = same_for_every_n(&["--by", "connection", "--format", "json"], &files);
    assert!(json.contains("\"calls\""));
    // Sanity: one file that fits is a row per client.
    let (out, err, _) = stats(2, &by, &[small]);
    assert!(!err.contains("table full"), "{err}");
    assert_eq!(rows(&out), 150);
}
