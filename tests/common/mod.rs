//! Helpers shared by the integration tests: locating `../shared`, running the
//! decoder into memory, and reading tshark reference decodes.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use rpcscope::event::{Event, ExchangeKind};
use rpcscope::limits::Limits;
use rpcscope::output::Sink;
use rpcscope::pipeline::Summary;

pub mod prereq;

/// The capture files bundled in `captures/` (pcap, pcapng, gzip), sorted.
pub fn bundled_captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".pcap.gz")
        })
        .collect();
    v.sort();
    v
}

/// True when `CI=true`: tests that need root, tools or `../shared` must
/// run there, never skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A test cannot run here (`why`): a note on a user's machine, a failure
/// under `CI=true`.
pub fn skip(test: &str, why: &str) {
    assert!(!in_ci(), "{test}: {why}; CI=true, so this test must run");
    eprintln!("note: skipping {test}: {why}");
}

/// `../shared` next to the crate, where CI keeps the public corpus and its
/// tshark references. A user's clone has none: tests that need it skip with
/// a note, and fail under `CI=true` ([`prereq::shared`]).
#[track_caller]
pub fn shared_dir() -> Option<PathBuf> {
    prereq::shared()
}

/// The capture files of `SHARED/captures/public`, sorted by name.
pub fn public_captures(shared: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(shared.join("captures/public"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md") && n != "SHA256SUMS")
        .collect();
    names.sort();
    names
}

/// One RPC message as tshark counts it: frame, xid, msg type (0 call, 1 reply).
pub type Msg = (u64, u32, u8);

/// Collects every message the decoder reports, and the events.
#[derive(Default)]
pub struct Collect {
    pub events: Vec<Event<'static>>,
    pub summary: Summary,
}

impl Sink for Collect {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.events.push(ev.clone().into_owned());
        Ok(())
    }
    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        self.summary = s.clone();
        Ok(())
    }
}

impl Collect {
    /// Every call and reply message, as (frame, xid, type), counted once each.
    pub fn messages(&self) -> BTreeMap<Msg, u32> {
        let mut m = BTreeMap::new();
        for ev in &self.events {
            let ex = &ev.exchange;
            match ev.kind {
                ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan => {}
                _ => continue,
            }
            // A duplicate reply's call was reported with its first exchange.
            if let (Some(c), false) = (&ex.call, ex.duplicate_reply) {
                *m.entry((c.meta.frame, ex.xid, 0)).or_insert(0) += 1;
            }
            if !ex.duplicate_reply || ex.reply.is_some() {
                for f in ex.retransmit_frames.frames() {
                    *m.entry((*f, ex.xid, 0)).or_insert(0) += 1;
                }
            }
            if let Some(r) = &ex.reply {
                *m.entry((r.meta.frame, ex.xid, 1)).or_insert(0) += 1;
            }
        }
        m
    }
}

/// Decodes `path` with default limits.
pub fn decode(path: &Path) -> (Collect, Vec<u8>) {
    let mut c = Collect::default();
    let mut err = Vec::new();
    rpcscope::app::read_files(&[path], &Limits::default(), &mut c, &mut err).expect("decode");
    (c, err)
}

/// Reads a tshark `-T fields` TSV (see ../shared/refs/public/README.md) into
/// the multiset of its messages.
pub fn tshark_messages(tsv: &str) -> BTreeMap<Msg, u32> {
    let mut m = BTreeMap::new();
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (cf, cx, ct) = (col("frame.number"), col("rpc.xid"), col("rpc.msgtyp"));
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() <= ct.max(cx) {
            continue;
        }
        let frame: u64 = f[cf].parse().expect("frame number");
        let xids: Vec<u32> = f[cx]
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| u32::from_str_radix(s.trim_start_matches("0x"), 16).expect("xid"))
            .collect();
        let types: Vec<u8> = f[ct]
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("msgtyp"))
            .collect();
        for (x, t) in xids.iter().zip(types.iter()) {
            *m.entry((frame, *x, *t)).or_insert(0) += 1;
        }
    }
    m
}

/// How many of `reference`'s messages `ours` has (multiset intersection).
pub fn matched(reference: &BTreeMap<Msg, u32>, ours: &BTreeMap<Msg, u32>) -> u64 {
    reference
        .iter()
        .map(|(k, n)| (*n).min(*ours.get(k).unwrap_or(&0)) as u64)
        .sum()
}

pub mod pyenv;
pub mod synth;

/// Decodes a capture held in memory.
pub fn decode_bytes(bytes: Vec<u8>) -> Collect {
    use rpcscope::capture::CaptureReader;
    use rpcscope::pipeline::Pipeline;
    let limits = Limits::default();
    let mut c = Collect::default();
    let mut r = CaptureReader::from_reader(Box::new(std::io::Cursor::new(bytes)), &limits)
        .expect("capture");
    let mut p = Pipeline::new(&limits);
    while let Ok(Some(f)) = r.next_frame() {
        p.handle_frame(&f, &mut |ev| c.events.push(ev.into_owned()));
    }
    p.finish(&mut |ev| c.events.push(ev.into_owned()));
    c.summary.add(&p);
    c
}

/// Runs tshark with `args` and returns its stdout; `None` when tshark is not
/// installed (a skip, or a failure under `CI=true`: [`prereq::missing`]) or
/// fails.
#[track_caller]
pub fn tshark(args: &[&str]) -> Option<String> {
    if !prereq::tools(&["tshark"]) {
        return None;
    }
    let out = std::process::Command::new("tshark")
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The tshark field list of `../shared/captures/public/MANIFEST.md`.
pub const TSHARK_FIELDS: &[&str] = &[
    "-Y",
    "rpc",
    "-T",
    "fields",
    "-E",
    "header=y",
    "-E",
    "separator=/t",
    "-e",
    "frame.number",
    "-e",
    "ip.src",
    "-e",
    "ip.dst",
    "-e",
    "tcp.srcport",
    "-e",
    "udp.srcport",
    "-e",
    "rpc.xid",
    "-e",
    "rpc.msgtyp",
    "-e",
    "rpc.program",
    "-e",
    "rpc.programversion",
    "-e",
    "rpc.procedure",
    "-e",
    "rpc.replystat",
    "-e",
    "rpc.state_accept",
    "-e",
    "rpc.auth.flavor",
    "-e",
    "rpc.time",
];

/// A scratch directory of one test, `rpcscope-NAME-PID` in the temporary
/// directory, removed when the test ends, passed or failed (captures of
/// hundreds of MB must not pile up on the disk); `RPCSCOPE_FLOOD_KEEP=1`
/// keeps it to look at.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("rpcscope-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("RPCSCOPE_FLOOD_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            eprintln!("kept {}", self.0.display());
        }
    }
}

/// Writes `bytes` to a fresh temporary file and returns its path.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rpcscope-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}
pub mod bodies;
pub mod nfs4;
