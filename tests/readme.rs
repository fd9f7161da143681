//! README's examples print what README shows (issue 12): every `$ rpcscope
//! read ...` and `$ rpcscope stats ...` example on a bundled capture (and
//! the `tshark -r` that rereads a `-w` file) is run from a directory where
//! `captures/` is the repository's, and its output must be the lines shown,
//! a `...` line standing for any number of lines. Examples on captures that
//! are not bundled (`nfs.pcap`), with `sudo`, or writing to files elsewhere
//! are not run; at least 8 examples must be.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::prereq;

struct Example {
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// The `$ ` commands of README's code blocks, each with the lines after it.
fn examples(readme: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_block = false;
    let mut current: Option<Example> = None;
    for (i, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            in_block = !in_block;
            out.extend(current.take());
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.extend(current.take());
            current = Some(Example {
                line: i + 1,
                command: cmd.to_string(),
                expected: Vec::new(),
            });
        } else if let Some(e) = &mut current {
            e.expected.push(line.to_string());
        }
    }
    out
}

/// `got` matches `want`, where a `...` line in `want` stands for any
/// number of lines.
fn matches(want: &[String], got: &[&str]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((w, rest)) if w == "..." => (0..=got.len()).any(|k| matches(rest, &got[k..])),
        Some((w, rest)) => got.first().is_some_and(|g| g == w) && matches(rest, &got[1..]),
    }
}

/// The example can run here: an rpcscope file command (or the tshark that
/// rereads its -w file) whose inputs are bundled.
fn runnable(cmd: &str, dir: &Path) -> bool {
    let runs = cmd.starts_with("rpcscope read ")
        || cmd.starts_with("rpcscope stats ")
        || cmd.starts_with("tshark -r dump.pcap");
    if !runs || cmd.contains(" > ") {
        return false;
    }
    cmd.split_whitespace()
        .filter(|w| w.ends_with(".pcap") || w.ends_with(".pcap.gz") || w.ends_with(".x"))
        .filter(|w| !cmd.contains(&format!("-w {w}")))
        .all(|w| dir.join(w).exists())
}

#[test]
fn readme_examples_print_what_readme_shows() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    if !prereq::tools(&["jq", "tshark"]) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("rpcscope-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("captures");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(repo.join("captures"), &link).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_rpcscope"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    let mut failures = Vec::new();
    for ex in examples(&readme) {
        if !runnable(&ex.command, &dir) {
            continue;
        }
        let o = Command::new("sh")
            .args(["-c", &ex.command])
            .current_dir(&dir)
            .env("PATH", &path)
            .env("TZ", "UTC")
            .env_remove("CLICOLOR_FORCE")
            .output()
            .unwrap();
        let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
        if ex.command.starts_with("rpcscope") {
            text.push_str(&String::from_utf8_lossy(&o.stderr));
        }
        let got: Vec<&str> = text.lines().collect();
        ran += 1;
        if !o.status.success() || !matches(&ex.expected, &got) {
            failures.push(format!(
                "README.md:{}: $ {}\n--- README shows:\n{}\n--- it prints:\n{}",
                ex.line,
                ex.command,
                ex.expected.join("\n"),
                text
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 8, "only {ran} README examples ran");
}

#[test]
fn ellipsis_matching() {
    let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(matches(&w(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&w(&["a", "...", "b"]), &["a", "b"]));
    assert!(!matches(&w(&["a", "...", "d"]), &["a", "b", "c"]));
    assert!(!matches(&w(&["a", "b"]), &["a", "b", "c"]));
    assert!(matches(&w(&[]), &[]));
}
