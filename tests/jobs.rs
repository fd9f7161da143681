//! `-j N` changes who does the work, never the output: `read --format json`
//! with 1, 2 and 3 threads writes the same bytes on every bundled capture
//! and every capture of the public corpus (`../shared`), several files at
//! once included, and so does `read -` (standard input, flushed as it
//! pauses). The -j 1 path is the plain one-thread JSON writer, so this is a
//! comparison of two independent writers. `read` (text, CSV) and `stats`
//! of one file with `-j 2` run the network layer on a thread of its own
//! (`app::net_ahead`): their output, run summary, anomalies, errors and
//! exit status are those of `-j 1`, on the same captures, on cut and
//! refused files too.
//!
//! Skips the corpus part (with a note) where `../shared` is absent.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rpcscope")
}

/// stdout of `read --format json -j N` over `files` (extra args before).
fn json(jobs: u32, extra: &[&str], files: &[PathBuf]) -> Vec<u8> {
    let out = Command::new(bin())
        .args(["read", "--format", "json", "-j", &jobs.to_string()])
        .args(extra)
        .args(files)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "-j {jobs} {files:?}: {:?}",
        out.status
    );
    out.stdout
}

/// Counts the exchange lines: the comparison must be over real output.
fn exchanges(out: &[u8]) -> usize {
    out.split(|b| *b == b'\n')
        .filter(|l| l.starts_with(br#"{"type":"exchange""#))
        .count()
}

#[test]
fn jobs_give_identical_json_on_the_bundled_captures() {
    let files = bundled_captures();
    assert!(files.len() >= 3, "bundled captures: {files:?}");
    let mut total = 0;
    for f in &files {
        let one = json(1, &[], std::slice::from_ref(f));
        total += exchanges(&one);
        for j in [2, 3] {
            let many = json(j, &[], std::slice::from_ref(f));
            assert!(
                one == many,
                "{} differs between -j 1 and -j {j}",
                f.display()
            );
        }
    }
    assert!(
        total > 100,
        "only {total} exchanges in the bundled captures"
    );
    // Every bundled capture in one run: file names and the summary too.
    let one = json(1, &[], &files);
    assert_eq!(one, json(2, &[], &files));
    // Bodies with their bulk data in hex: the biggest chunks.
    let one = json(1, &["--data", "hex"], &files);
    assert_eq!(one, json(2, &["--data", "hex"], &files));
}

#[test]
fn jobs_give_identical_json_on_the_public_corpus() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let dir = shared.join("captures/public");
    let names = public_captures(&shared);
    assert!(names.len() >= 20);
    let mut total = 0;
    for name in &names {
        let f = dir.join(name);
        let one = json(1, &[], std::slice::from_ref(&f));
        total += exchanges(&one);
        for j in [2, 3] {
            let many = json(j, &[], std::slice::from_ref(&f));
            assert!(one == many, "{name} differs between -j 1 and -j {j}");
        }
    }
    assert!(
        total > 50_000,
        "only {total} exchanges in the public corpus"
    );
    // Every capture in one run, with two rendering threads: a chunk may be
    // rendered by a thread that did not see its file begin (a bug once
    // wrote `"file":""` there), and the summary covers every file.
    let all: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let one = json(1, &[], &all);
    assert_eq!(exchanges(&one), total);
    assert!(
        !one.windows(10).any(|w| w == br#""file":"","#),
        "every exchange names its file"
    );
    assert!(
        one == json(3, &[], &all),
        "the corpus in one run differs between -j 1 and -j 3"
    );
}

/// Exit code, stdout and stderr of rpcscope with `args`, then `-j N`,
/// then `files`.
fn run(args: &[&str], jobs: u32, files: &[PathBuf]) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let out = Command::new(bin())
        .args(args)
        .args(["-j", &jobs.to_string()])
        .args(files)
        .output()
        .unwrap();
    (out.status.code(), out.stdout, out.stderr)
}

/// The views whose network layer runs ahead with `-j 2`.
const AHEAD_VIEWS: [&[&str]; 5] = [
    &["read"],
    &["read", "-V", "--format", "text"],
    &["read", "--format", "csv"],
    &["read", "--format", "json", "-q"],
    &["stats", "--format", "json", "--ops"],
];

/// `-j 1` and `-j 2` of every view of [`AHEAD_VIEWS`] (and `stats`) on
/// `file`: the same exit code, stdout and stderr. Returns the text lines
/// of `read`, to check that something was compared.
fn same_ahead(file: &Path) -> usize {
    let files = [file.to_path_buf()];
    let mut lines = 0;
    for view in AHEAD_VIEWS.iter().copied().chain([&["stats"][..]]) {
        let one = run(view, 1, &files);
        let two = run(view, 2, &files);
        assert!(
            one == two,
            "{} {view:?}: -j 1 and -j 2 differ\n-j 1: {:?}\n{}\n-j 2: {:?}\n{}",
            file.display(),
            one.0,
            String::from_utf8_lossy(&one.2),
            two.0,
            String::from_utf8_lossy(&two.2)
        );
        if view == ["read"] {
            lines += one
                .1
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
        }
    }
    lines
}

#[test]
fn network_layer_ahead_changes_nothing_on_the_bundled_captures() {
    let files = bundled_captures();
    let lines: usize = files.iter().map(|f| same_ahead(f)).sum();
    assert!(lines > 100, "only {lines} lines of text compared");
}

#[test]
fn network_layer_ahead_changes_nothing_on_the_public_corpus() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let dir = shared.join("captures/public");
    let lines: usize = public_captures(&shared)
        .iter()
        .map(|n| same_ahead(&dir.join(n)))
        .sum();
    assert!(lines > 50_000, "only {lines} lines of text compared");
}

#[test]
fn network_layer_ahead_changes_nothing_on_cut_and_refused_files() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/ganesha-nfs.pcap");
    let bytes = std::fs::read(&f).unwrap();
    // Cut in the middle of a frame: an input error after some exchanges.
    let cut = temp_file("ahead-cut.pcap", &bytes[..bytes.len() * 2 / 3 + 7]);
    let (code, out, err) = run(&["read"], 1, std::slice::from_ref(&cut));
    assert_eq!(code, Some(1), "{}", String::from_utf8_lossy(&err));
    assert!(out.len() > 1000);
    assert!(same_ahead(&cut) > 10);
    // A pcap of an unsupported link type: refused before any frame.
    let mut refused = bytes.clone();
    refused[20..24].copy_from_slice(&147u32.to_le_bytes());
    let refused = temp_file("ahead-link.pcap", &refused);
    let (code, out, err) = run(&["read"], 2, std::slice::from_ref(&refused));
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert!(String::from_utf8_lossy(&err).contains("unsupported link type"));
    same_ahead(&refused);
    // Several files, one after the other: every summary line the same.
    let all = [f.clone(), cut, refused, f];
    assert!(run(&["read"], 1, &all) == run(&["read"], 2, &all));
}

#[test]
fn jobs_give_identical_json_from_standard_input() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/ganesha-nfs.pcap");
    let bytes = std::fs::read(&f).unwrap();
    let run = |j: &str| {
        let mut child = Command::new(bin())
            .args(["read", "--format", "json", "-j", j, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let b = bytes.clone();
        let w = std::thread::spawn(move || {
            use std::io::Write;
            // In two parts with a pause: the reader flushes in between.
            let half = b.len() / 2;
            stdin.write_all(&b[..half]).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            stdin.write_all(&b[half..]).unwrap();
        });
        let out = child.wait_with_output().unwrap();
        w.join().unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let one = run("1");
    assert!(exchanges(&one) > 20);
    assert_eq!(one, run("2"));
}

#[test]
fn jobs_zero_is_a_usage_error() {
    let out = Command::new(bin())
        .args(["read", "-j", "0", "captures/ganesha-nfs.pcap"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-j") || err.contains("--jobs"), "{err}");
}
