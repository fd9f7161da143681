//! Honest CI: a test that needs the world (root, tshark, rpcbind, tcpdump,
//! `../shared`) skips with a note on a user's machine but fails when
//! `CI=true`, and CI's own prerequisite check fails on anything missing.

mod common;

use std::path::Path;
use std::process::Command;

use common::prereq;

const PROBE_ENV: &str = "RPCSCOPE_PREREQ_PROBE";

/// Asks for a tool nobody has. Run as an ordinary test it does nothing; run
/// by `missing_prerequisite_skips_for_users_and_fails_in_ci` (with the probe
/// variable set) it is the test under test.
#[test]
fn probe_needs_a_missing_tool() {
    if std::env::var_os(PROBE_ENV).is_none() {
        return;
    }
    if !prereq::tools(&["rpcscope-no-such-tool"]) {
        return;
    }
    unreachable!("a tool named rpcscope-no-such-tool was found");
}

fn run_probe(ci: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["probe_needs_a_missing_tool", "--exact", "--nocapture"])
        .env(PROBE_ENV, "1")
        .env_remove("CI");
    if let Some(v) = ci {
        cmd.env("CI", v);
    }
    let o = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

#[test]
fn missing_prerequisite_skips_for_users_and_fails_in_ci() {
    let (ok, text) = run_probe(None);
    assert!(ok, "a user's machine skips: {text}");
    assert!(
        text.contains(
            "note: skipping probe_needs_a_missing_tool: rpcscope-no-such-tool not installed"
        ),
        "{text}"
    );
    for ci in ["true", "1"] {
        let (ok, text) = run_probe(Some(ci));
        assert!(!ok, "CI={ci} must fail: {text}");
        assert!(text.contains("CI=true, so this is a failure"), "{text}");
    }
}

/// `.ci/run` exports CI=true and `scripts/test.sh` then runs
/// `scripts/ci-prereqs.sh`, which must fail when a prerequisite is missing
/// (here: tshark, by giving it a PATH without it) and pass when none is.
#[test]
fn ci_prerequisite_check_fails_on_a_missing_tool() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ci_run = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(ci_run.contains("export CI=true"), "{ci_run}");
    let test_sh = std::fs::read_to_string(root.join("scripts/test.sh")).unwrap();
    assert!(test_sh.contains("scripts/ci-prereqs.sh"), "{test_sh}");

    let bin = std::env::temp_dir().join(format!("rpcscope-ci-path-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&bin);
    std::fs::create_dir_all(&bin).unwrap();
    for tool in [
        "dirname", "id", "timeout", "unshare", "ip", "rpcbind", "rpcinfo", "tcpdump", "true",
    ] {
        if let Some(p) = which(tool) {
            std::os::unix::fs::symlink(p, bin.join(tool)).unwrap();
        }
    }
    let o = Command::new("/bin/bash")
        .arg(root.join("scripts/ci-prereqs.sh"))
        .env("PATH", &bin)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("- tshark (not on PATH)"), "{err}");
    let _ = std::fs::remove_dir_all(&bin);
}

fn which(tool: &str) -> Option<std::path::PathBuf> {
    let o = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .ok()?;
    let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
    (o.status.success() && p.starts_with('/')).then(|| p.into())
}
