//! The same packets in pcap, pcapng, gzip and on stdin give the same records;
//! 96-byte snapshots still give every header; the project's own captures
//! decode to their checked-in expected records and agree with tshark.

mod common;

use std::path::{Path, PathBuf};

use common::synth::{pcap, pcapng, Pkt};
use common::*;
use rpcscope::capture::CaptureReader;
use rpcscope::event::{Event, ExchangeKind};
use rpcscope::limits::Limits;
use rpcscope::net::Transport;

fn own(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// Every frame of a capture file, owned.
fn frames_of(path: &Path) -> Vec<Pkt> {
    let mut r = CaptureReader::open(path, &Limits::default()).unwrap();
    let mut v = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        v.push((f.ts, f.data.to_vec()));
    }
    v
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Events without the time fields that pcap's microseconds round.
fn comparable(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let x = &e.exchange;
            format!(
                "{:?} {} {} {} {:?} {:?} {:?}",
                e.kind,
                x.xid,
                x.client,
                x.server,
                x.call.map(|c| (
                    c.meta.frame,
                    c.program,
                    c.version,
                    c.procedure,
                    c.auth,
                    c.meta.bytes
                )),
                x.reply.map(|r| (r.meta.frame, r.status, r.meta.bytes)),
                x.retransmit_frames
            )
        })
        .collect()
}

fn inputs() -> Vec<PathBuf> {
    let mut v = vec![own("rpcbind-rpcinfo.pcap"), own("ganesha-nfs.pcap")];
    if let Some(s) = shared_dir() {
        for f in [
            "zeek-nfs_write.pcap",
            "nfstrace-eth-ipv4-tcp-nfsv41.pcap",
            "pcapplusplus-ip-frag.pcap",
        ] {
            v.push(s.join("captures/public").join(f));
        }
    }
    v
}

#[test]
fn pcap_pcapng_gzip_and_stdin_give_the_same_records() {
    for path in inputs() {
        let frames = frames_of(&path);
        let base = decode_bytes(pcap(&frames, 65535));
        assert!(base.summary.track.calls > 0, "{path:?}");
        let want = comparable(&base.events);
        let ng = decode_bytes(pcapng(&frames));
        assert_eq!(comparable(&ng.events), want, "pcapng of {path:?}");
        let gz = decode_bytes(gzip(&pcapng(&frames)));
        assert_eq!(comparable(&gz.events), want, "gzip pcapng of {path:?}");
        let gz = decode_bytes(gzip(&pcap(&frames, 65535)));
        assert_eq!(comparable(&gz.events), want, "gzip pcap of {path:?}");
    }
    // Standard input through the binary.
    let path = own("rpcbind-rpcinfo.pcap");
    let bytes = std::fs::read(&path).unwrap();
    let run = |args: &[&str], stdin: Option<Vec<u8>>| {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut c = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut si = c.stdin.take().unwrap();
        if let Some(b) = stdin {
            si.write_all(&b).unwrap();
        }
        drop(si);
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .replace("\"file\":\"-\"", "\"file\":\"X\"")
    };
    let p = path.to_string_lossy().into_owned();
    let from_file = run(&["read", "--format", "json", &p], None)
        .replace(&format!("\"file\":\"{p}\""), "\"file\":\"X\"");
    let from_stdin = run(&["read", "--format", "json", "-"], Some(gzip(&bytes)));
    assert_eq!(from_stdin, from_file);
}

/// Cuts every frame to 96 bytes: every call keeps its program, version and
/// procedure where the header fits (IPv4 TCP with timestamps keeps 26 bytes
/// of RPC after the 4-byte mark; IPv6 TCP only 6, too few for a call
/// header, so IPv6 TCP calls are left out of the comparison); and everything
/// tshark decodes from the cut file is found.
#[test]
fn snaplen_96_keeps_every_header() {
    for path in inputs() {
        let frames = frames_of(&path);
        let full = decode_bytes(pcap(&frames, 65535));
        let cut_file = pcap(&frames, 96);
        let cut = decode_bytes(cut_file.clone());
        type CallHead = (u32, Option<u32>, Option<u32>, Option<u32>);
        let done = |c: &Collect| -> Vec<CallHead> {
            let mut v: Vec<_> = c
                .events
                .iter()
                .filter(|e| matches!(e.kind, ExchangeKind::Complete | ExchangeKind::Unmatched))
                .filter(|e| {
                    e.exchange.client.addr.is_ipv4() || e.exchange.transport == Transport::Udp
                })
                .filter_map(|e| {
                    e.exchange
                        .call
                        .map(|c| (e.exchange.xid, c.program, c.version, c.procedure))
                })
                .collect();
            v.sort();
            v
        };
        // Only the first message of a frame keeps its header at 96 bytes.
        let mut per_frame = std::collections::BTreeMap::new();
        for (frame, _, _) in full.messages().keys() {
            *per_frame.entry(*frame).or_insert(0) += 1;
        }
        let shared_frame = |xid: u32| {
            full.events.iter().any(|e| {
                e.exchange.xid == xid
                    && e.exchange
                        .call
                        .is_some_and(|c| per_frame.get(&c.meta.frame) > Some(&1))
            })
        };
        let want: Vec<_> = done(&full)
            .into_iter()
            .filter(|c| !shared_frame(c.0))
            .collect();
        let got: Vec<_> = done(&cut)
            .into_iter()
            .filter(|c| !shared_frame(c.0))
            .collect();
        assert_eq!(got, want, "calls of {path:?} at snaplen 96");
        assert!(
            cut.events
                .iter()
                .filter_map(|e| e.exchange.call)
                .any(|c| c.meta.truncated),
            "{path:?}: nothing was marked truncated"
        );
        let tmp = temp_file(
            &format!(
                "snap96-{}.pcap",
                path.file_name().unwrap().to_string_lossy()
            ),
            &cut_file,
        );
        if let Some(tsv) = tshark(&[&["-r", &tmp.to_string_lossy()][..], TSHARK_FIELDS].concat()) {
            let mut reference = tshark_messages(&tsv);
            // Unable to reassemble, tshark shows a first IP fragment captured
            // twice (same source, IP ID and offset) as an RPC retransmission.
            // It is one datagram, reported once by rpcscope (and by tshark
            // itself at full snapshot length).
            let frags = tshark(&[
                "-r",
                &tmp.to_string_lossy(),
                "-Y",
                "ip.flags.mf == 1 || ip.frag_offset > 0",
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "ip.src",
                "-e",
                "ip.id",
                "-e",
                "ip.frag_offset",
            ])
            .unwrap_or_default();
            let mut seen = std::collections::BTreeSet::new();
            for line in frags.lines() {
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() == 4
                    && !seen.insert((f[1].to_string(), f[2].to_string(), f[3].to_string()))
                {
                    let frame: u64 = f[0].parse().unwrap();
                    reference.retain(|k, _| k.0 != frame);
                }
            }
            let total: u64 = reference.values().map(|v| *v as u64).sum();
            let ours = cut.messages();
            let missing: Vec<_> = reference.keys().filter(|k| !ours.contains_key(k)).collect();
            assert_eq!(
                matched(&reference, &ours),
                total,
                "{path:?}: tshark at snaplen 96; missing {missing:?}"
            );
        }
    }
}

/// The project's own captures: `rpcscope read --format json` equals the
/// checked-in expected records, and those agree with tshark's decode.
#[test]
fn own_captures_match_expected_records_and_tshark() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name
            .strip_suffix(".pcap")
            .or_else(|| name.strip_suffix(".pcapng"))
        else {
            continue;
        };
        let expected_path = dir.join(format!("{stem}.expected.jsonl"));
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            continue;
        };
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rpcscope"))
            .args(["read", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
        let ours: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["type"] != "summary")
            .map(|mut v| {
                v.as_object_mut().unwrap().remove("file");
                v
            })
            .collect();
        let want: Vec<serde_json::Value> = expected
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(ours, want, "{name} differs from {stem}.expected.jsonl");
        let tsv = std::fs::read_to_string(dir.join(format!("{stem}.tshark.tsv")))
            .expect("tshark reference");
        let reference = tshark_messages(&tsv);
        let total: u64 = reference.values().map(|v| *v as u64).sum();
        assert!(total > 0);
        let (c, _) = decode(&path);
        assert_eq!(
            matched(&reference, &c.messages()),
            total,
            "{name} vs tshark"
        );
        checked += 1;
    }
    assert!(checked >= 1, "no capture with expected records found");
}
