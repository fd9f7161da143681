//! `rpcscope read` as a user meets it: exit codes, one-line errors that name
//! the file, the other files still read, output closed early.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::synth::{pcap, timed, udp, CLIENT, SERVER};
use common::temp_file;
use rpcscope::capture::{LinkType, PcapWriter, Timestamp};

fn rpcscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn own_capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/rpcbind-rpcinfo.pcap")
}

fn stderr_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn decodes_a_bundled_capture_with_summary_on_stderr() {
    let o = rpcscope(&["read", &own_capture().to_string_lossy()]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(
        out.lines().count(),
        34,
        "17 calls and 17 replies, one line each"
    );
    assert!(out
        .lines()
        .next()
        .unwrap()
        .contains("call portmapper v4 GETADDR"));
    assert!(out.contains("accepted prog_mismatch low 2 high 4"));
    let err = stderr_lines(&o);
    assert!(
        err[0].contains("17 calls, 17 replies, 17 exchanges"),
        "{err:?}"
    );
}

#[test]
fn json_ends_with_a_summary_object() {
    let o = rpcscope(&["read", "--format", "json", &own_capture().to_string_lossy()]);
    assert!(o.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 18);
    let s = lines.last().unwrap();
    assert_eq!(s["type"], "summary");
    assert_eq!(
        (
            s["calls"].as_u64(),
            s["exchanges"].as_u64(),
            s["frames"].as_u64()
        ),
        (Some(17), Some(17), Some(106))
    );
    assert!(lines[..17]
        .iter()
        .all(|l| l["type"] == "exchange" && l["program_name"] == "portmapper"));
}

#[test]
fn not_a_capture_is_a_one_line_error_naming_the_file_and_others_are_still_read() {
    let junk = temp_file("notes.txt", b"hello, this is not a capture file\n");
    let o = rpcscope(&[
        "read",
        "--format",
        "json",
        &junk.to_string_lossy(),
        &own_capture().to_string_lossy(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_lines(&o);
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].starts_with(&format!("rpcscope: {}: ", junk.display())),
        "{err:?}"
    );
    assert!(err[0].contains("not a capture"), "{err:?}");
    let out = String::from_utf8(o.stdout).unwrap();
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(
        (last["files"].as_u64(), last["files_failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        last["exchanges"].as_u64(),
        Some(17),
        "the good file was still read"
    );
}

#[test]
fn missing_file_is_an_error() {
    let o = rpcscope(&["read", "/nonexistent/capture.pcap"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_lines(&o);
    assert!(
        err[0].starts_with("rpcscope: /nonexistent/capture.pcap: "),
        "{err:?}"
    );
}

#[test]
fn truncated_file_yields_every_record_before_the_cut() {
    let bytes = std::fs::read(own_capture()).unwrap();
    let cut = temp_file("cut.pcap", &bytes[..bytes.len() - 10]);
    let o = rpcscope(&["read", "--format", "json", &cut.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_lines(&o);
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].contains(&*cut.to_string_lossy()) && err[0].contains("truncated"),
        "{err:?}"
    );
    let out = String::from_utf8(o.stdout).unwrap();
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    // The cut falls in the last frame, the 17th reply: 16 exchanges and
    // one call reported without its reply.
    assert_eq!(
        (last["exchanges"].as_u64(), last["unmatched_calls"].as_u64()),
        (Some(16), Some(1)),
        "{out}"
    );
    assert_eq!(last["frames"].as_u64(), Some(105));
}

#[test]
fn unsupported_link_type_is_an_error() {
    let mut w = PcapWriter::new(Vec::new(), LinkType(147), 65535).unwrap();
    w.write_frame(Timestamp(0), &[1, 2, 3, 4], 4).unwrap();
    let f = temp_file("user0.pcap", &w.into_inner());
    let o = rpcscope(&["read", &f.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_lines(&o);
    assert!(
        err[0].contains("unsupported link type") && err[0].contains("147"),
        "{err:?}"
    );
}

#[test]
fn bad_command_lines_exit_2() {
    assert_eq!(rpcscope(&["read"]).status.code(), Some(2));
    assert_eq!(
        rpcscope(&["read", "--format", "xml", "x.pcap"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(rpcscope(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn output_closed_early_is_not_an_error() {
    // Many calls so the output outgrows the pipe before `head` is done.
    let frames: Vec<Vec<u8>> = (0..20_000u32)
        .map(|i| {
            udp(
                CLIENT,
                SERVER,
                &common::synth::call(i, 100003, 3, 1, &[0; 64]),
            )
        })
        .collect();
    let f = temp_file("many.pcap", &pcap(&timed(frames), 65535));
    let o2 = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' read '{}' | head -n 1 >/dev/null; exit ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_rpcscope"),
            f.display()
        ))
        .output()
        .unwrap();
    assert_eq!(
        o2.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o2.stderr)
    );
    assert!(!String::from_utf8_lossy(&o2.stderr).contains("panicked"));
}
