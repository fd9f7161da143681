//! The public corpus (`../shared/captures/public`) against tshark's decodes
//! (`../shared/refs/public/*.tsv`): every call and reply tshark finds, at the
//! same frame with the same XID and message type.
//!
//! Skips (with a note) where `../shared` is absent, as in a user's clone.

mod common;

use common::*;

/// Files where rpcscope finds fewer than 95% of tshark's messages, each with
/// the test that shows tshark is the one that is wrong there.
const TSHARK_WRONG: &[(&str, &str)] = &[];

#[test]
fn public_corpus_agrees_with_tshark() {
    let Some(shared) = shared_dir() else {
        return;
    };
    let dir = shared.join("captures/public");
    let names = public_captures(&shared);
    let (mut total_ref, mut total_match, mut total_ours) = (0u64, 0u64, 0u64);
    let mut report = String::new();
    let mut low = Vec::new();
    for name in &names {
        let tsv = std::fs::read_to_string(shared.join("refs/public").join(format!("{name}.tsv")))
            .unwrap();
        let reference = tshark_messages(&tsv);
        let (ours, err) = decode(&dir.join(name));
        let ours = ours.messages();
        let r: u64 = reference.values().map(|v| *v as u64).sum();
        let o: u64 = ours.values().map(|v| *v as u64).sum();
        let m = matched(&reference, &ours);
        total_ref += r;
        total_match += m;
        total_ours += o;
        let pct = if r == 0 {
            100.0
        } else {
            100.0 * m as f64 / r as f64
        };
        report += &format!(
            "{name}: tshark {r}, matched {m} ({pct:.2}%), rpcscope {o}; {}\n",
            String::from_utf8_lossy(&err).trim()
        );
        if pct < 95.0 && !TSHARK_WRONG.iter().any(|(f, _)| f == name) {
            low.push(name.clone());
        }
    }
    let pct = 100.0 * total_match as f64 / total_ref as f64;
    eprintln!("{report}TOTAL: tshark {total_ref}, matched {total_match} ({pct:.3}%), rpcscope {total_ours}");
    assert!(
        low.is_empty(),
        "files below 95% of tshark without a test showing tshark wrong: {low:?}"
    );
    assert!(
        pct >= 99.5,
        "only {pct:.3}% of tshark's calls and replies found"
    );
}

fn public(name: &str) -> Option<std::path::PathBuf> {
    prereq::public_capture(name)
}

/// Capture loss and a TCP sequence overlap inside a large record: tshark loses
/// sync after 3 calls. nfstrace's own reference for this trace
/// (`traces/references/breakdown`, quoted in MANIFEST.md) counts 6171 NFSv3
/// operations, 6168 of them WRITE: rpcscope finds exactly those exchanges.
#[test]
fn seq_overlap_capture_keeps_sync_where_tshark_loses_it() {
    let Some(p) = public("nfstrace-tcp-seq-overlap-in-fragment-12721.pcap.gz") else {
        return;
    };
    let (c, _) = decode(&p);
    let t = c.summary.track;
    assert_eq!(t.exchanges, 6171);
    let writes = c
        .events
        .iter()
        .filter(|e| e.kind == rpcscope::event::ExchangeKind::Complete)
        .filter(|e| {
            e.exchange
                .call
                .is_some_and(|c| c.program == Some(100003) && c.procedure == Some(7))
        })
        .count();
    assert_eq!(writes, 6168);
}

/// One NFS reply with no call, mid-stream over TCP: tshark shows only "RPC
/// Continuation"; tcpdump prints `NFS reply xid 3532485149 reply ok 112`
/// (MANIFEST.md). rpcscope reports the same reply, as a reply without call.
#[test]
fn reply_without_call_is_found_as_tcpdump_shows_it() {
    let Some(p) = public("tcpdump-unaligned-nfs-1.pcap") else {
        return;
    };
    let (c, _) = decode(&p);
    let orphans: Vec<_> = c
        .events
        .iter()
        .filter(|e| e.kind == rpcscope::event::ExchangeKind::Orphan)
        .map(|e| &e.exchange)
        .collect();
    assert_eq!(orphans.len(), 1);
    let r = orphans[0].reply.unwrap();
    assert_eq!((orphans[0].xid, r.meta.bytes), (3532485149, 112));
    assert!(r.status.is_success());
    assert_eq!(orphans[0].server.port, 2049);
}

/// Regression (issue 11): text output went back in time (on the
/// seq-overlap capture 5,870 of 12,343 lines were out of order: calls cut by
/// capture loss were printed when their gap was declared, after later
/// replies). Every message is now printed in capture order on every public
/// capture; the only exception is a UDP datagram cut by the snapshot length
/// whose IP reassembly never completes (reported at its first fragment when
/// the reassembly is given up).
#[test]
fn events_follow_capture_order_on_every_public_capture() {
    use rpcscope::event::ExchangeKind::*;
    let Some(shared) = shared_dir() else {
        return;
    };
    for name in public_captures(&shared) {
        let (c, _) = decode(&shared.join("captures/public").join(&name));
        let mut last = 0u64;
        for ev in &c.events {
            if !matches!(ev.kind, CallSeen | Retransmitted | Complete | Orphan) {
                continue;
            }
            if ev.frame < last {
                let ex = &ev.exchange;
                let cut_udp = ex.transport == rpcscope::net::Transport::Udp
                    && (ex
                        .call
                        .is_some_and(|c| c.meta.truncated && c.meta.frame == ev.frame)
                        || ex
                            .reply
                            .is_some_and(|r| r.meta.truncated && r.meta.frame == ev.frame));
                assert!(
                    cut_udp,
                    "{name}: {:?} xid {:#x} at frame {} after frame {last}",
                    ev.kind, ex.xid, ev.frame
                );
            }
            last = last.max(ev.frame);
        }
    }
    // The text lines themselves, on the capture of the report.
    let Some(p) = public("nfstrace-tcp-seq-overlap-in-fragment-12721.pcap.gz") else {
        return;
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .arg("read")
        .arg(&p)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let times: Vec<&str> = text.lines().map(|l| &l[..15]).collect();
    assert_eq!(times.len(), 12_343);
    let back = times.windows(2).filter(|w| w[1] < w[0]).count();
    assert_eq!(back, 0, "lines out of time order");
}
