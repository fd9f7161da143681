//! `--merge`: several files decoded as one capture, frames in time order.
//!
//! Two references:
//! - the capture itself: a capture cut into two files, runs of frames
//!   alternating between them, merges back into its own frame order, so
//!   `--merge` on the two parts must decode exactly as the whole file;
//! - `mergecap` (Wireshark): the calls of a public capture in one file and
//!   every other frame in another (as a client-side and a server-side
//!   capture would hold them); `--merge calls rest` must decode exactly as
//!   the file `mergecap -w m.pcapng rest calls` (mergecap gives ties to the
//!   file named last, rpcscope to the file named first).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use rpcscope::capture::{CaptureReader, LinkType, PcapngWriter, Timestamp};
use rpcscope::limits::Limits;

fn rpcscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(args)
        .output()
        .unwrap()
}

/// stdout with every record's `"file":"..."` and the summary's
/// `"files":N` taken out (the merged input is named after its parts and
/// counts them, the reference is one file).
fn without_file(out: &[u8]) -> String {
    let s = String::from_utf8_lossy(out);
    let mut r = String::with_capacity(s.len());
    let mut rest: &str = &s;
    while let Some(i) = rest.find("\"file\":\"") {
        r.push_str(&rest[..i]);
        let after = &rest[i + 8..];
        let end = after.find('"').unwrap();
        rest = &after[end + 1..];
    }
    r.push_str(rest);
    let mut out = String::with_capacity(r.len());
    let mut rest: &str = &r;
    while let Some(i) = rest.find("\"files\":") {
        out.push_str(&rest[..i]);
        rest = rest[i + 8..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

struct Pkt {
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

fn frames_of(path: &Path) -> Vec<Pkt> {
    let mut r = CaptureReader::open(path, &Limits::default()).unwrap();
    let mut v = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        v.push(Pkt {
            ts: f.ts,
            link: f.link,
            data: f.data.to_vec(),
            orig_len: f.orig_len,
        });
    }
    v
}

/// Writes `frames` as a nanosecond pcapng file (one interface per link
/// type, so every frame keeps its own).
fn write_pcapng(path: &Path, frames: &[&Pkt]) {
    let f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = PcapngWriter::new(f).unwrap();
    let mut ifaces: Vec<(LinkType, u32)> = Vec::new();
    for p in frames {
        let id = match ifaces.iter().find(|(l, _)| *l == p.link) {
            Some(&(_, id)) => id,
            None => {
                let id = w.add_interface(p.link, 262_144).unwrap();
                ifaces.push((p.link, id));
                id
            }
        };
        w.write_packet(id, p.ts, &p.data, p.orig_len).unwrap();
    }
    w.flush().unwrap();
}

/// Cuts `frames` into two files: runs of frames with one time stamp go
/// together, and the runs alternate between the files. With time stamps
/// that never go back, merging the two in time order gives the frames in
/// their own order again. `None` when the capture's time goes back.
fn split_alternating(frames: &[Pkt], a: &Path, b: &Path) -> Option<()> {
    if frames.windows(2).any(|w| w[1].ts < w[0].ts) {
        return None;
    }
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let mut side = false;
    for (i, p) in frames.iter().enumerate() {
        if i > 0 && p.ts != frames[i - 1].ts {
            side = !side;
        }
        if side {
            right.push(p);
        } else {
            left.push(p);
        }
    }
    write_pcapng(a, &left);
    write_pcapng(b, &right);
    Some(())
}

/// The records of `args` on the two parts (merged) and on the whole file
/// are the same, but for the file's name.
fn same_as_whole(args: &[&str], whole: &Path, a: &Path, b: &Path) {
    let w = rpcscope(&[args, &[whole.to_str().unwrap()]].concat());
    let m = rpcscope(&[args, &["--merge", a.to_str().unwrap(), b.to_str().unwrap()]].concat());
    assert_eq!(
        w.status.code(),
        m.status.code(),
        "{args:?} {}",
        whole.display()
    );
    assert_eq!(
        without_file(&w.stdout),
        without_file(&m.stdout),
        "{args:?}: --merge of the two parts of {} differs from the whole file",
        whole.display()
    );
}

/// A bundled capture and its two alternating parts, in a scratch
/// directory named after the test.
fn bundled_in_two(test: &str, capture: &str) -> (Scratch, PathBuf, PathBuf, PathBuf) {
    let dir = Scratch::new(&format!("merge-{test}"));
    let whole = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(capture);
    let (a, b) = (dir.0.join("a.pcapng"), dir.0.join("b.pcapng"));
    split_alternating(&frames_of(&whole), &a, &b).unwrap();
    (dir, whole, a, b)
}

#[test]
fn two_parts_merge_back_into_the_whole_capture() {
    let dir = Scratch::new("merge-parts");
    let mut checked = 0;
    for whole in bundled_captures() {
        let frames = frames_of(&whole);
        let (a, b) = (dir.0.join("a.pcapng"), dir.0.join("b.pcapng"));
        if split_alternating(&frames, &a, &b).is_none() {
            eprintln!("{}: time goes back, not split", whole.display());
            continue;
        }
        for args in [
            &["read", "--format", "json"][..],
            &["read", "-#"][..],
            &["stats", "--format", "json"][..],
        ] {
            same_as_whole(args, &whole, &a, &b);
        }
        // Decoded one by one, the parts lose what crosses them.
        let apart = rpcscope(&[
            "read",
            "-q",
            "--format",
            "json",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ]);
        let merged = rpcscope(&[
            "read",
            "-q",
            "--format",
            "json",
            "--merge",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ]);
        let exchanges = |o: &Output| -> u64 {
            let s = String::from_utf8_lossy(&o.stdout).into_owned();
            let i = s.rfind("\"exchanges\":").unwrap() + 12;
            s[i..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(
            exchanges(&merged) > exchanges(&apart),
            "{}: merged {} exchanges, apart {}",
            whole.display(),
            exchanges(&merged),
            exchanges(&apart)
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} bundled captures split");
}

#[test]
fn merged_input_is_named_after_its_files_and_numbered_in_merged_order() {
    let (_dir, whole, a, b) = bundled_in_two("names", "rpcbind-rpcinfo.pcap");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let out = rpcscope(&["read", "--format", "json", "--merge", a, b]);
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    let first = s.lines().next().unwrap();
    assert!(first.contains(&format!("\"file\":\"{a}+{b}\"")), "{first}");
    let summary = s.lines().last().unwrap();
    assert!(summary.contains("\"files\":2,"), "{summary}");
    let whole_frames = frames_of(&whole).len();
    assert!(
        summary.contains(&format!("\"frames\":{whole_frames},")),
        "{summary}"
    );
}

#[test]
fn an_unreadable_input_is_reported_and_the_others_merge() {
    let (dir, _whole, a, b) = bundled_in_two("bad", "serve-call.pcap");
    let junk = dir.0.join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture file at all").unwrap();
    let missing = dir.0.join("missing.pcap");
    let (a, b, junk, missing) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        junk.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let good = rpcscope(&["read", "--merge", a, b]);
    let with_bad = rpcscope(&["read", "--merge", a, junk, b, missing]);
    assert_eq!(without_file(&good.stdout), without_file(&with_bad.stdout));
    // The same exit status as without --merge: input errors.
    let plain = rpcscope(&["read", a, junk, b, missing]);
    assert_eq!(with_bad.status.code(), plain.status.code());
    assert_ne!(with_bad.status.code(), Some(0));
    let err = String::from_utf8_lossy(&with_bad.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(junk) || l.contains(missing))
        .collect();
    assert_eq!(lines.len(), 2, "one line per bad input: {err}");
    assert!(lines.iter().all(|l| l.starts_with("rpcscope: ")), "{err}");
}

#[test]
fn calls_and_the_rest_merge_as_mergecap_merges_them() {
    let Some(shared) = shared_dir() else {
        return;
    };
    if !common::prereq::tools(&["tshark", "mergecap"]) {
        return;
    }
    let dir = Scratch::new("merge-mergecap");
    let mut checked = 0;
    let mut gained = 0;
    for name in public_captures(&shared) {
        let path = shared.join("captures/public").join(&name);
        let p = path.to_str().unwrap();
        let calls = dir.0.join("calls.pcapng");
        let rest = dir.0.join("rest.pcapng");
        let merged = dir.0.join("m.pcapng");
        let (c, r, m) = (
            calls.to_str().unwrap(),
            rest.to_str().unwrap(),
            merged.to_str().unwrap(),
        );
        if tshark(&["-r", p, "-Y", "rpc.msgtyp == 0", "-w", c]).is_none()
            || tshark(&["-r", p, "-Y", "!(rpc.msgtyp == 0)", "-w", r]).is_none()
        {
            continue; // a file tshark cannot read (snoop variants)
        }
        let st = Command::new("mergecap")
            .args(["-w", m, r, c])
            .status()
            .unwrap();
        assert!(st.success(), "mergecap on {name}");
        for args in [
            &["read", "--format", "json"][..],
            &["stats", "--format", "json"][..],
        ] {
            let ours = rpcscope(&[args, &["--merge", c, r]].concat());
            let reference = rpcscope(&[args, &[m]].concat());
            assert_eq!(
                without_file(&ours.stdout),
                without_file(&reference.stdout),
                "{name} {args:?}: --merge calls rest differs from mergecap rest calls"
            );
        }
        let apart = rpcscope(&["read", "-q", "--format", "json", c, r]);
        let ours = rpcscope(&["read", "-q", "--format", "json", "--merge", c, r]);
        if without_file(&ours.stdout) != without_file(&apart.stdout) {
            gained += 1;
        }
        checked += 1;
    }
    eprintln!("{checked} public captures merged, {gained} decoded differently apart");
    assert!(
        checked >= 25,
        "only {checked} public captures split by tshark"
    );
    assert!(
        gained >= 20,
        "merging changed the decode of only {gained} captures"
    );
}

#[test]
fn report_merges_as_read_does() {
    let (dir, whole, a, b) = bundled_in_two("report", "ganesha-nfs.pcap");
    let (w, a, b) = (
        whole.to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    );
    let (rw, rm) = (dir.0.join("whole.html"), dir.0.join("merged.html"));
    let (rw, rm) = (rw.to_str().unwrap(), rm.to_str().unwrap());
    assert!(rpcscope(&["report", w, "-o", rw]).status.success());
    assert!(rpcscope(&["report", "--merge", a, b, "-o", rm])
        .status
        .success());
    // Named in full in the summary, by base names in the table of calls.
    let whole_page = std::fs::read_to_string(rw)
        .unwrap()
        .replace(w, "INPUT")
        .replace("ganesha-nfs.pcap", "SHORT");
    let merged_page = std::fs::read_to_string(rm)
        .unwrap()
        .replace(&format!("{a}+{b}"), "INPUT")
        .replace("a.pcapng+b.pcapng", "SHORT")
        .replace(
            r#"<td data-v="2">2</td></tr>"#,
            r#"<td data-v="1">1</td></tr>"#,
        );
    assert!(whole_page.contains(">SHORT<") && merged_page.contains(">SHORT<"));
    assert_eq!(whole_page.len(), merged_page.len());
    let differ: Vec<(&str, &str)> = whole_page
        .lines()
        .zip(merged_page.lines())
        .filter(|(x, y)| x != y)
        .collect();
    assert!(differ.is_empty(), "{:?}", &differ[..differ.len().min(3)]);
}
