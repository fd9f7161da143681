//! Developer tool: which calls and replies of a public capture rpcscope and
//! tshark disagree on.
//!
//! ```text
//! cargo run --release --example tshark_diff -- nfstrace-eth-ipv4-tcp-nfsv41.pcap
//! ```
//! Reads `../shared/captures/public/FILE` and its tshark reference
//! `../shared/refs/public/FILE.tsv`, and prints the messages (frame, xid,
//! type) each one has that the other lacks.

use std::collections::BTreeMap;
use std::path::Path;

use rpcscope::event::{Event, ExchangeKind};
use rpcscope::limits::Limits;
use rpcscope::output::Sink;
use rpcscope::pipeline::Summary;

#[derive(Default)]
struct Messages(BTreeMap<(u64, u32, u8), u32>, Option<Summary>);

impl Sink for Messages {
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        if matches!(
            ev.kind,
            ExchangeKind::CallSeen | ExchangeKind::Retransmitted
        ) {
            return Ok(());
        }
        let x = &ev.exchange;
        let mut add = |k| *self.0.entry(k).or_insert(0) += 1;
        if let (Some(c), false) = (&x.call, x.duplicate_reply) {
            add((c.meta.frame, x.xid, 0));
        }
        for f in x.retransmit_frames.frames() {
            add((*f, x.xid, 0));
        }
        if let Some(r) = &x.reply {
            add((r.meta.frame, x.xid, 1));
        }
        Ok(())
    }
    fn finish(&mut self, s: &Summary) -> std::io::Result<()> {
        self.1 = Some(s.clone());
        Ok(())
    }
}

fn main() {
    let name = std::env::args()
        .nth(1)
        .expect("usage: tshark_diff FILE (a name in ../shared/captures/public)");
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let tsv = std::fs::read_to_string(shared.join("refs/public").join(format!("{name}.tsv")))
        .expect("reference");
    let mut theirs = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let frame: u64 = f[0].parse().unwrap();
        for (x, t) in f[5].split(',').zip(f[6].split(',')) {
            if let (Ok(x), Ok(t)) = (
                u32::from_str_radix(x.trim_start_matches("0x"), 16),
                t.parse::<u8>(),
            ) {
                *theirs.entry((frame, x, t)).or_insert(0) += 1;
            }
        }
    }
    let mut ours = Messages::default();
    let mut err = std::io::stderr();
    rpcscope::app::read_files(
        &[shared.join("captures/public").join(&name)],
        &Limits::default(),
        &mut ours,
        &mut err,
    )
    .expect("decode");
    println!("summary: {:?}", ours.1);
    for (k, n) in &theirs {
        if ours.0.get(k).copied().unwrap_or(0) < *n {
            println!(
                "tshark only: frame {} xid {:#010x} {}",
                k.0,
                k.1,
                ["call", "reply"][k.2 as usize]
            );
        }
    }
    for (k, n) in &ours.0 {
        if theirs.get(k).copied().unwrap_or(0) < *n {
            println!(
                "rpcscope only: frame {} xid {:#010x} {}",
                k.0,
                k.1,
                ["call", "reply"][k.2 as usize]
            );
        }
    }
}
