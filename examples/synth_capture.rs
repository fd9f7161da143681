//! Writes a synthetic NFSv3-over-TCP capture for benchmarks (see
//! `benches/synth.rs`): 32 KiB WRITEs on 16 connections, each followed by
//! GETATTR exchanges, with well-formed NFSv3 bodies.
//!
//! ```text
//! cargo run --release --example synth_capture -- OUT.pcap MEGABYTES [GETATTRS_PER_WRITE]
//! ```
//! `benches/make-captures.sh` uses it for `synth-5g.pcap` (5000 MB, 8).

#[path = "../benches/synth.rs"]
mod synth;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(mb)) = (
        args.first(),
        args.get(1).and_then(|v| v.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: synth_capture OUT.pcap MEGABYTES [GETATTRS_PER_WRITE]");
        std::process::exit(2);
    };
    let small = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(8);
    let (frames, exchanges) =
        synth::write_nfs_tcp_mix(std::path::Path::new(out), mb * 1_000_000, small);
    println!("{out}: {frames} frames, {exchanges} exchanges");
}
