//! How rpcscope looks and installs (issue 12): colour on and off
//! (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, `--slow`), shell completions
//! that load in bash, a man page that `man -l` renders.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use anstyle::{AnsiColor, Style};
use common::prereq;

fn rpcscope_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rpcscope"));
    c.args(args)
        .stdin(Stdio::null())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn rpcinfo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/rpcbind-rpcinfo.pcap")
        .to_string_lossy()
        .into_owned()
}

/// `text` as the text sink paints it in `style`.
fn painted(style: Style, text: &str) -> String {
    format!("{}{text}{}", style.render(), style.render_reset())
}

const ESC: char = '\u{1b}';

#[test]
fn color_always_paints_failed_statuses_and_only_them() {
    let o = rpcscope_env(&["read", "--color", "always", &rpcinfo()], &[]);
    assert!(o.status.success());
    let out = stdout(&o);
    let fail = AnsiColor::Red.on_default().bold();
    // rpcinfo's v0 (UDP) and v7 (TCP) probes are refused.
    let mismatch: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("prog_mismatch"))
        .collect();
    assert_eq!(mismatch.len(), 2);
    for l in &mismatch {
        assert!(
            l.contains(&painted(fail, "accepted prog_mismatch low 2 high 4")),
            "{l:?}"
        );
    }
    // Successful exchanges (and every call line) carry no escape.
    let plain: Vec<&str> = out
        .lines()
        .filter(|l| !l.contains("prog_mismatch"))
        .collect();
    assert_eq!(plain.len(), 32);
    assert!(plain.iter().all(|l| !l.contains(ESC)), "{plain:?}");
    // Without the escapes, the same text as uncoloured output.
    let never = stdout(&rpcscope_env(
        &["read", "--color", "never", &rpcinfo()],
        &[],
    ));
    let stripped = out
        .replace(&fail.render().to_string(), "")
        .replace(&fail.render_reset().to_string(), "");
    assert_eq!(stripped, never);
}

#[test]
fn slow_calls_are_highlighted_from_the_threshold_on() {
    let o = rpcscope_env(
        &[
            "read",
            "--color",
            "always",
            "--slow",
            "0.15",
            "--program",
            "portmapper",
            "-c",
            "2",
            &rpcinfo(),
        ],
        &[],
    );
    let out = stdout(&o);
    let slow = AnsiColor::Yellow.on_default().bold();
    // GETADDR took 0.194 ms (slow), DUMP 0.103 ms (not).
    assert!(out.contains(&painted(slow, "0.194 ms")), "{out}");
    assert!(
        out.contains(" 0.103 ms") && !out.contains(&painted(slow, "0.103 ms")),
        "{out}"
    );
    let bad = rpcscope_env(&["read", "--slow", "fast", &rpcinfo()], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn auto_follows_no_color_and_clicolor_force() {
    let f = rpcinfo();
    // A pipe: no colour by default.
    let piped = stdout(&rpcscope_env(&["read", &f], &[]));
    assert!(!piped.contains(ESC));
    // CLICOLOR_FORCE asks for colour even in a pipe...
    let forced = stdout(&rpcscope_env(&["read", &f], &[("CLICOLOR_FORCE", "1")]));
    assert!(forced.contains(ESC), "{forced}");
    // ...and NO_COLOR wins over it (https://no-color.org).
    let no = stdout(&rpcscope_env(
        &["read", &f],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    ));
    assert!(!no.contains(ESC), "{no}");
    assert_eq!(no, piped);
    // --color never beats CLICOLOR_FORCE; --color always is explicit.
    let never = stdout(&rpcscope_env(
        &["read", "--color", "never", &f],
        &[("CLICOLOR_FORCE", "1")],
    ));
    assert!(!never.contains(ESC));
    let always = stdout(&rpcscope_env(
        &["read", "--color", "always", &f],
        &[("NO_COLOR", "1")],
    ));
    assert!(always.contains(ESC));
}

#[test]
fn unanswered_calls_are_highlighted() {
    // A call with no reply: the first frame of the GETADDR exchange only.
    let f = rpcinfo();
    let cut = std::env::temp_dir().join(format!("rpcscope-look-{}.pcap", std::process::id()));
    let bytes = std::fs::read(&f).unwrap();
    // pcap: 24-byte header, then records; keep frames 1..=4 (SYN, SYN-ACK,
    // ACK, the GETADDR call).
    let mut keep = bytes[..24].to_vec();
    let mut off = 24;
    for _ in 0..4 {
        let incl = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        keep.extend_from_slice(&bytes[off..off + 16 + incl]);
        off += 16 + incl;
    }
    std::fs::File::create(&cut)
        .unwrap()
        .write_all(&keep)
        .unwrap();
    let o = rpcscope_env(
        &[
            "read",
            "--color",
            "always",
            "--status",
            "unanswered",
            &cut.to_string_lossy(),
        ],
        &[],
    );
    let out = stdout(&o);
    let unanswered = AnsiColor::Yellow.on_default().bold();
    assert!(out.contains("call portmapper v4 GETADDR"), "{out}");
    assert!(out.contains(&painted(unanswered, "(no reply)")), "{out}");
    let _ = std::fs::remove_file(&cut);
}

#[test]
fn bash_completion_loads() {
    if !prereq::tools(&["bash"]) {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_rpcscope");
    let o = Command::new("bash")
        .args([
            "-c",
            &format!("source <('{bin}' completions bash); complete -p rpcscope"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        stdout(&o).trim(),
        "complete -o bashdefault -o default -o nosort -F _rpcscope rpcscope"
    );
    // The script knows the subcommands and their flags.
    let script = stdout(&rpcscope_env(&["completions", "bash"], &[]));
    for word in [
        "read",
        "stats",
        "live",
        "--read-file",
        "--time",
        "--color",
        "--xid",
    ] {
        assert!(script.contains(word), "bash completion lacks {word}");
    }
    for shell in ["zsh", "fish"] {
        let s = stdout(&rpcscope_env(&["completions", shell], &[]));
        assert!(s.contains("read-file"), "{shell}: {s}");
    }
    let bad = rpcscope_env(&["completions", "tcsh"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_page_renders_with_man() {
    if !prereq::tools(&["man"]) {
        return;
    }
    let page = rpcscope_env(&["man"], &[]);
    assert!(page.status.success());
    let roff = std::env::temp_dir().join(format!("rpcscope-{}.1", std::process::id()));
    std::fs::write(&roff, &page.stdout).unwrap();
    let o = Command::new("man")
        .args(["-l", &roff.to_string_lossy()])
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&roff);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // man's output: overstrike bold may double letters; keep the plain text.
    let text = String::from_utf8_lossy(&o.stdout).replace('\u{8}', "");
    assert!(text.contains("rpcscope(1)"), "{text}");
    for heading in [
        "NAME",
        "SYNOPSIS",
        "RPCSCOPE READ",
        "RPCSCOPE STATS",
        "RPCSCOPE LIVE",
        "EXIT STATUS",
    ] {
        assert!(text.contains(heading), "no {heading} in the page");
    }
    assert!(text.contains("--read-file"), "options of read listed");
    assert!(
        text.contains("stopped by SIGINT"),
        "the exit status table is in the page"
    );
}
