//! The command line a tcpdump or tshark user already knows (issue 12):
//! `-r`, `-c`, `-w`, `-f/--filter`, `-n`, `-q`, `-D`, `--version`, `-t`,
//! `-#`, `--xid`, `--frame`. Outputs are asserted, and checked against
//! tshark where tshark has the same notion (`-t`, `-w` reread, display
//! filters).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::prereq;

fn rpcscope_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rpcscope"));
    c.args(args).stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn rpcscope(args: &[&str]) -> Output {
    rpcscope_env(args, &[])
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The bundled capture of real rpcinfo against real rpcbind: 106 frames,
/// 17 exchanges on TCP, one RPC message per frame.
fn rpcinfo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/rpcbind-rpcinfo.pcap")
        .to_string_lossy()
        .into_owned()
}

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rpcscope-cli-flags-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// tshark with `TZ` set; `None` (skip, or failure under CI) without tshark.
#[track_caller]
fn tshark_tz(tz: &str, args: &[&str]) -> Option<String> {
    if !prereq::tools(&["tshark"]) {
        return None;
    }
    let o = Command::new("tshark")
        .args(args)
        .env("TZ", tz)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "tshark {args:?} failed");
    Some(String::from_utf8(o.stdout).unwrap())
}

#[test]
fn dash_r_reads_the_same_as_a_positional_file() {
    let f = rpcinfo();
    let plain = rpcscope(&["read", &f]);
    let r = rpcscope(&["read", "-r", &f]);
    let long = rpcscope(&["read", "--read-file", &f]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert_eq!(stdout(&r).lines().count(), 34);
    assert_eq!(stdout(&r), stdout(&plain));
    assert_eq!(stdout(&long), stdout(&plain));
    // -r and positional files together: -r first, both read.
    let both = rpcscope(&["read", "-r", &f, &f]);
    assert_eq!(stdout(&both).lines().count(), 68);
    assert!(
        stderr(&both).contains("212 frames in 2 files"),
        "{}",
        stderr(&both)
    );
    // stats takes -r too.
    let s = rpcscope(&["stats", "-r", &f]);
    assert!(stdout(&s).contains("DUMP"), "{}", stdout(&s));
    // No file at all: a usage error (status 2) that says how to give one.
    let none = rpcscope(&["read"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("-r FILE"), "{}", stderr(&none));
}

#[test]
fn dash_c_stops_after_n_exchange_records() {
    let f = rpcinfo();
    let all = stdout(&rpcscope(&["read", &f]));
    let o = rpcscope(&["read", "-c", "2", &f]);
    assert!(o.status.success());
    let first4: Vec<&str> = all.lines().take(4).collect();
    assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), first4);
    assert!(stderr(&o).contains("2 exchanges"), "{}", stderr(&o));
    // JSON: exactly N exchange objects, then the summary.
    let j = stdout(&rpcscope(&["read", "--count", "3", "--format", "json", &f]));
    let types: Vec<String> = j
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        types,
        [
            "\"exchange\"",
            "\"exchange\"",
            "\"exchange\"",
            "\"summary\""
        ]
    );
    // With a filter, N records that pass it.
    let d = stdout(&rpcscope(&[
        "read",
        "-c",
        "1",
        "--procedure",
        "4",
        "--program",
        "portmapper",
        &f,
    ]));
    assert_eq!(d.lines().count(), 2, "{d}");
    assert!(d.lines().all(|l| l.contains("DUMP")), "{d}");
    let zero = rpcscope(&["read", "-c", "0", &f]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(stderr(&zero).contains("--count"), "{}", stderr(&zero));
}

#[test]
fn dash_f_and_filter_are_one_bpf_option() {
    let f = rpcinfo();
    let short = rpcscope(&["read", "-f", "tcp port 111", &f]);
    let long = rpcscope(&["read", "--filter", "tcp port 111", &f]);
    assert!(short.status.success(), "{}", stderr(&short));
    let all = stdout(&rpcscope(&["read", &f]));
    let port111: Vec<&str> = all
        .lines()
        .filter(|l| l.contains(" tcp ") && l.contains(":111 "))
        .collect();
    assert_eq!(port111.len(), 18, "rpcinfo also calls rpcbind over UDP");
    assert_eq!(stdout(&short).lines().collect::<Vec<_>>(), port111);
    assert_eq!(stdout(&short), stdout(&long));
    let udp = rpcscope(&["read", "--filter", "udp", &f]);
    let udp_lines: Vec<&str> = all.lines().filter(|l| l.contains(" udp ")).collect();
    assert_eq!(udp_lines.len(), 16);
    assert_eq!(stdout(&udp).lines().collect::<Vec<_>>(), udp_lines);
    let bad = rpcscope(&["read", "-f", "port port", &f]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn dash_n_is_accepted_and_help_says_names_are_never_resolved() {
    let f = rpcinfo();
    let n = rpcscope(&["read", "-n", &f]);
    assert!(n.status.success());
    assert_eq!(stdout(&n), stdout(&rpcscope(&["read", &f])));
    for cmd in ["read", "stats", "live"] {
        let h = stdout(&rpcscope(&[cmd, "--help"]));
        assert!(h.contains("never resolves"), "{cmd} --help: {h}");
    }
    assert!(rpcscope(&["stats", "-n", &f]).status.success());
}

#[test]
fn dash_q_prints_only_the_summary() {
    let f = rpcinfo();
    let q = rpcscope(&["read", "-q", &f]);
    assert!(q.status.success());
    assert_eq!(stdout(&q), "");
    assert!(
        stderr(&q).contains("17 calls, 17 replies, 17 exchanges"),
        "{}",
        stderr(&q)
    );
    let sq = rpcscope(&["stats", "-q", &f]);
    assert!(sq.status.success());
    assert_eq!(stdout(&sq), "", "stats -q: no table");
    assert!(
        stderr(&sq).contains("17 calls, 17 replies"),
        "{}",
        stderr(&sq)
    );
    let j = stdout(&rpcscope(&["read", "--quiet", "--format", "json", &f]));
    assert_eq!(j.lines().count(), 1, "{j}");
    let s: serde_json::Value = serde_json::from_str(j.trim()).unwrap();
    assert_eq!(s["type"], "summary");
    assert_eq!(s["exchanges"], 17);
}

#[test]
fn dash_capital_d_lists_interfaces_like_the_subcommand() {
    let d = rpcscope(&["-D"]);
    let i = rpcscope(&["interfaces"]);
    assert_eq!(d.status.code(), i.status.code());
    assert_eq!(stdout(&d), stdout(&i));
    if i.status.success() {
        assert!(
            stdout(&d).lines().any(|l| l.starts_with("lo")),
            "{}",
            stdout(&d)
        );
    }
}

#[test]
fn version_on_every_subcommand() {
    let v = env!("CARGO_PKG_VERSION");
    for cmd in [
        "read",
        "stats",
        "live",
        "interfaces",
        "serve",
        "call",
        "completions",
        "man",
    ] {
        let o = rpcscope(&[cmd, "--version"]);
        assert!(o.status.success(), "{cmd} --version: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.trim_end().ends_with(v), "{cmd} --version: {out}");
    }
}

/// (time, length) of each frame of a capture, as tshark reads it.
fn frames_of(path: &str, display_filter: Option<&str>) -> Option<Vec<(String, String)>> {
    let mut args = vec![
        "-r",
        path,
        "-T",
        "fields",
        "-e",
        "frame.time_epoch",
        "-e",
        "frame.len",
    ];
    if let Some(f) = display_filter {
        args.extend(["-Y", f]);
    }
    let out = tshark_tz("UTC", &args)?;
    let mut v: Vec<(String, String)> = out
        .lines()
        .map(|l| {
            let mut it = l.split('\t');
            (
                it.next().unwrap().to_string(),
                it.next().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    Some(v)
}

#[test]
fn read_w_writes_the_frames_of_the_matching_flows_as_tshark_filters_them() {
    let f = rpcinfo();
    let out = temp_dir().join("dump.pcap");
    let o = rpcscope(&[
        "read",
        "--program",
        "portmapper",
        "--procedure",
        "DUMP",
        "-w",
        &out.to_string_lossy(),
        &f,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The text output is unchanged by -w: the DUMP exchanges only.
    assert_eq!(stdout(&o).lines().count(), 4, "{}", stdout(&o));
    // tshark: the TCP streams of the DUMP calls (any version).
    let Some(streams) = tshark_tz(
        "UTC",
        &[
            "-r",
            &f,
            "-Y",
            "portmap.procedure_v2 == 4 || portmap.procedure_v3 == 4 || portmap.procedure_v4 == 4",
            "-T",
            "fields",
            "-e",
            "tcp.stream",
        ],
    ) else {
        return;
    };
    let streams: BTreeSet<&str> = streams.lines().collect();
    assert_eq!(streams.len(), 2, "DUMP over v2 and v3: {streams:?}");
    let filter = format!(
        "tcp.stream in {{{}}}",
        streams.iter().copied().collect::<Vec<_>>().join(", ")
    );
    let want = frames_of(&f, Some(&filter)).unwrap();
    let got = frames_of(&out.to_string_lossy(), None).unwrap();
    assert_eq!(want.len(), 20);
    assert_eq!(
        got, want,
        "the -w file holds exactly the frames of those streams"
    );
    // stats -w with the same filter writes the same frames.
    let out2 = temp_dir().join("dump-stats.pcap");
    let s = rpcscope(&[
        "stats",
        "--program",
        "portmapper",
        "--procedure",
        "DUMP",
        "-w",
        &out2.to_string_lossy(),
        &f,
    ]);
    assert!(s.status.success(), "{}", stderr(&s));
    assert_eq!(frames_of(&out2.to_string_lossy(), None).unwrap(), want);
    // A .pcapng name gets pcapng (section header block first), same frames.
    let ng = temp_dir().join("dump.pcapng");
    let o = rpcscope(&[
        "read",
        "-q",
        "--program",
        "portmapper",
        "--procedure",
        "DUMP",
        "-w",
        &ng.to_string_lossy(),
        &f,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&ng).unwrap()[..4], [0x0a, 0x0d, 0x0d, 0x0a]);
    assert_eq!(frames_of(&ng.to_string_lossy(), None).unwrap(), want);
    // Unwritable -w: status 1, the path named.
    let bad = rpcscope(&["read", "-w", "/nonexistent-dir/x.pcap", &f]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("/nonexistent-dir/x.pcap"),
        "{}",
        stderr(&bad)
    );
}

/// `(frame number, time text)` of each line of `read -# -t FORMAT`.
fn our_times(format: &str, tz: &str) -> Vec<(String, String)> {
    let o = rpcscope_env(&["read", "-#", "-t", format, &rpcinfo()], &[("TZ", tz)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let two_words = matches!(format, "date" | "local");
    stdout(&o)
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let time = if two_words {
                format!("{} {}", w[1], w[2])
            } else {
                w[1].to_string()
            };
            (w[0].to_string(), time)
        })
        .collect()
}

#[test]
fn each_time_format_is_what_tshark_dash_t_prints() {
    // (rpcscope -t, tshark -t, TZ)
    let cases = [
        ("absolute", "a", "UTC"),
        ("date", "ad", "UTC"),
        ("local", "ad", "America/New_York"),
        ("epoch", "e", "UTC"),
        ("relative", "r", "UTC"),
        ("delta", "dd", "UTC"),
    ];
    for (ours, theirs, tz) in cases {
        let Some(t) = tshark_tz(
            tz,
            &[
                "-r",
                &rpcinfo(),
                "-t",
                theirs,
                "-Y",
                "rpc",
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "_ws.col.Time",
            ],
        ) else {
            return;
        };
        let want: Vec<(String, String)> = t
            .lines()
            .map(|l| {
                let (n, time) = l.split_once('\t').unwrap();
                (n.to_string(), time.to_string())
            })
            .collect();
        assert_eq!(want.len(), 34);
        assert_eq!(
            our_times(ours, tz),
            want,
            "-t {ours} against tshark -t {theirs} (TZ={tz})"
        );
    }
    // local really is local: New York is not UTC.
    assert_ne!(
        our_times("local", "America/New_York"),
        our_times("date", "America/New_York")
    );
}

#[test]
fn xid_and_frame_follow_one_exchange() {
    let f = rpcinfo();
    let x = stdout(&rpcscope(&["read", "--xid", "0xa4476a61", "-#", &f]));
    let lines: Vec<&str> = x.lines().collect();
    assert_eq!(lines.len(), 2, "{x}");
    assert!(
        lines[0].trim_start().starts_with("12 ") && lines[0].contains("call portmapper v2 DUMP"),
        "{x}"
    );
    assert!(
        lines[1].trim_start().starts_with("16 ") && lines[1].contains("reply portmapper v2 DUMP"),
        "{x}"
    );
    // Decimal as JSON prints it.
    let dec = stdout(&rpcscope(&[
        "read",
        "--xid",
        &0xa4476a61u32.to_string(),
        "-#",
        &f,
    ]));
    assert_eq!(dec, x);
    // --frame: the exchange of the call frame, or of the reply frame.
    assert_eq!(stdout(&rpcscope(&["read", "--frame", "12", "-#", &f])), x);
    assert_eq!(stdout(&rpcscope(&["read", "--frame", "16", "-#", &f])), x);
    // A frame with no RPC message (the first SYN): nothing.
    assert_eq!(stdout(&rpcscope(&["read", "--frame", "1", &f])), "");
    // JSON agrees on the frames.
    let j = stdout(&rpcscope(&[
        "read", "--frame", "16", "--format", "json", "-q", &f,
    ]));
    assert_eq!(j.lines().count(), 1);
    let j = stdout(&rpcscope(&[
        "read", "--frame", "16", "--format", "json", &f,
    ]));
    let ex: serde_json::Value = serde_json::from_str(j.lines().next().unwrap()).unwrap();
    assert_eq!(
        (ex["call_frame"].as_u64(), ex["reply_frame"].as_u64()),
        (Some(12), Some(16))
    );
    let bad = rpcscope(&["read", "--xid", "0xzz", &f]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--xid: '0xzz'"), "{}", stderr(&bad));
}

#[test]
fn frame_numbers_are_the_frames_json_reports() {
    let f = rpcinfo();
    let text = stdout(&rpcscope(&["read", "-#", &f]));
    let json = stdout(&rpcscope(&["read", "--format", "json", &f]));
    let mut want = Vec::new();
    for l in json.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["type"] == "exchange" {
            want.push(v["call_frame"].as_u64().unwrap());
            want.push(v["reply_frame"].as_u64().unwrap());
        }
    }
    want.sort();
    let mut got: Vec<u64> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    got.sort();
    assert_eq!(got, want);
}
