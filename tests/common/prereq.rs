//! What a test needs from the machine: root (private network namespaces),
//! tools (tshark, rpcbind, rpcinfo, tcpdump) and the public capture corpus
//! (`../shared`). One helper for every test, integration and unit alike (the
//! library includes this file in its own tests).
//!
//! Contract: on a user's machine a missing prerequisite is a skip, with a
//! note on stderr naming the test and what it lacked. When the environment
//! says `CI=true` (as CI does, and `.ci/run` sets), it is a failure: CI must
//! really run the tests that compare against tshark, rpcbind and the corpus,
//! never go green having skipped them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// True when the environment says this is a CI run (`CI=true`, or `CI=1`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The running test's name (the test harness names each test's thread).
fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string()
}

/// `what` is missing: fails the test under CI, else prints a note; the
/// caller then skips (returns).
#[track_caller]
pub fn missing(what: &str) {
    let test = test_name();
    if in_ci() {
        panic!("{test}: {what}; CI=true, so this is a failure, not a skip");
    }
    eprintln!("note: skipping {test}: {what}");
}

/// `../shared` next to the crate (the public corpus and its tshark
/// references), or `None` after [`missing`].
#[track_caller]
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("captures/public").is_dir() {
        return Some(p);
    }
    missing("../shared (the public capture corpus) not found");
    None
}

/// A capture of `../shared/captures/public`, or `None` after [`missing`].
#[track_caller]
pub fn public_capture(name: &str) -> Option<PathBuf> {
    let p = shared()?.join("captures/public").join(name);
    if p.is_file() {
        return Some(p);
    }
    missing(&format!("{name} not found in ../shared/captures/public"));
    None
}

/// True when `tool` is on the PATH.
pub fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when every one of `tools` is installed; else [`missing`].
#[track_caller]
pub fn tools(tools: &[&str]) -> bool {
    let absent: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if absent.is_empty() {
        return true;
    }
    missing(&format!("{} not installed", absent.join(", ")));
    false
}

/// True when this process may make private network namespaces (root and
/// `unshare`); else [`missing`].
#[track_caller]
pub fn netns() -> bool {
    let ok = Command::new("timeout")
        .args(["10", "unshare", "--net", "--mount", "--fork", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        missing("needs root and unshare(1) for a private network namespace");
    }
    ok
}
