//! `rpcscope top` in a real terminal (tmux): a replayed capture shows the
//! rows `stats --format json` counts, `q` exits 0 and restores the
//! terminal (leaves the alternate screen); not a terminal, or one too
//! small, is a clear error with exit status 1.
//!
//! Needs `tmux`: skips without it, fails under `CI=true`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rpcscope")
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tmux session running `cmd`, killed on drop.
struct Session(String);

impl Session {
    fn start(tag: &str, w: u16, h: u16, cmd: &str) -> Session {
        let name = format!("rpcscope-test-{tag}-{}", std::process::id());
        let (w, h) = (w.to_string(), h.to_string());
        let st = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", &w, "-y", &h, cmd])
            .status()
            .unwrap();
        assert!(st.success());
        Session(name)
    }
    fn screen(&self) -> String {
        tmux(&["capture-pane", "-p", "-t", &self.0])
    }
    /// Waits (up to 30 s) for `pred` on the screen; returns the screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "no {what} on screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

fn wait_file(p: &Path) -> String {
    let t0 = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(p) {
            if s.ends_with('\n') {
                return s;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "{} never written",
            p.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `top -r CAPTURE --speed max` until the end, then `q`.
fn replay(cap: &Path, work: &Path) {
    let name = cap.file_name().unwrap().to_string_lossy().into_owned();
    let dir = cap.parent().unwrap();
    let out = Command::new(bin())
        .current_dir(dir)
        .args(["stats", "--format", "json", &name])
        .output()
        .unwrap();
    let stats: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let exit = work.join(format!("{name}.exit"));
    let _ = std::fs::remove_file(&exit);
    let cmd = format!(
        "cd '{}' && '{}' top -r '{name}' --speed max 2>'{}'; echo EXIT=$? > '{}'; sleep 60",
        dir.display(),
        bin(),
        work.join(format!("{name}.err")).display(),
        exit.display()
    );
    let s = Session::start("replay", 160, 50, &cmd);
    let screen = s.wait_for("END OF INPUT", |s| s.contains("END OF INPUT"));
    std::fs::write(work.join(format!("{name}.screen.txt")), &screen).unwrap();
    let calls: u64 = stats.iter().map(|r| r["calls"].as_u64().unwrap()).sum();
    let errors: u64 = stats
        .iter()
        .flat_map(|r| r["errors"].as_object().unwrap().values())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(
        screen.contains(&format!("calls {calls}  errors {errors}")),
        "{name}:\n{screen}"
    );
    assert!(screen.contains("kernel drops n/a (file)"));
    // Every procedure row that fits: its name and its calls and errors.
    for r in stats.iter().take(20) {
        let (Some(prog), Some(proc_)) = (r["program_name"].as_str(), r["procedure_name"].as_str())
        else {
            continue;
        };
        // An NFSv4 COMPOUND's row is named by its main operation.
        let label = match r["operation"].as_str() {
            Some(op) => format!(
                "{prog} v{} {proc_}:{} ",
                r["version"],
                op.strip_prefix("OP_").unwrap_or(op)
            ),
            None => format!("{prog} v{} {proc_} ", r["version"]),
        };
        let line = screen
            .lines()
            .find(|l| l.starts_with(&label))
            .unwrap_or_else(|| panic!("{name}: no row {label}:\n{screen}"));
        let cols: Vec<&str> = line[label.len()..].split_whitespace().collect();
        let errs: u64 = r["errors"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(
            cols[cols.len() - 2],
            r["calls"].to_string(),
            "{name}: {line}"
        );
        assert_eq!(cols[cols.len() - 1], errs.to_string(), "{name}: {line}");
        if r["latency_us"]["count"].as_u64() > Some(0) {
            assert_ne!(cols[1], "-", "{name}: p50 of {line}");
        }
    }
    assert!(screen.contains("Top clients") && screen.contains("Top files"));
    tmux(&["send-keys", "-t", &s.0, "q"]);
    assert_eq!(wait_file(&exit), "EXIT=0\n", "{name}");
    let after = s.screen();
    assert!(
        !after.contains("Procedures ("),
        "{name}: the view is still on screen:\n{after}"
    );
    assert_eq!(
        tmux(&["display", "-p", "-t", &s.0, "#{alternate_on}"]).trim(),
        "0"
    );
}

#[test]
fn top_replays_a_capture_under_tmux_and_quits_on_q() {
    if !have_tmux() {
        return common::skip("top under tmux", "tmux is not installed");
    }
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("top-artifacts");
    std::fs::create_dir_all(&work).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    replay(&root.join("captures/ganesha-nfs.pcap"), &work);
    match common::shared_dir() {
        Some(s) => replay(
            &s.join("captures/public/nfstrace-eth-ipv4-tcp-nfsv3.pcap.gz"),
            &work,
        ),
        None => common::skip("top over the public corpus", "../shared is absent"),
    }
}

#[test]
fn top_refuses_a_small_terminal_and_no_terminal() {
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/ganesha-nfs.pcap");
    let out = Command::new(bin())
        .args(["top", "-r"])
        .arg(&cap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("top needs a terminal"));
    let out = Command::new(bin())
        .args(["top", "--speed", "0", "-r"])
        .arg(&cap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--speed 0");
    if !have_tmux() {
        return common::skip("top in a small terminal", "tmux is not installed");
    }
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("top-artifacts");
    std::fs::create_dir_all(&work).unwrap();
    let (err, exit) = (work.join("small.err"), work.join("small.exit"));
    let _ = std::fs::remove_file(&exit);
    let cmd = format!(
        "'{}' top -r '{}' 2>'{}'; echo EXIT=$? > '{}'; sleep 60",
        bin(),
        cap.display(),
        err.display(),
        exit.display()
    );
    let _s = Session::start("small", 60, 15, &cmd);
    assert_eq!(wait_file(&exit), "EXIT=1\n");
    let msg = std::fs::read_to_string(&err).unwrap();
    assert!(msg.contains("terminal is too small (60x15)"), "{msg}");
}
