//! Decode throughput: rpcscope's whole pipeline (file -> frames -> IP/TCP ->
//! records -> messages -> XID matching -> events) against tshark on the same
//! capture files.
//!
//! `cargo bench --bench decode` decodes, in release mode:
//! - every file named in `RPCSCOPE_BENCH_FILES` (colon-separated), or else
//! - the large public captures in `../shared/captures/public` (decompressed
//!   once to a temporary directory, so gzip is not what is measured), or else
//! - a synthetic 200 MB NFS-over-TCP capture made by `benches/synth.rs`
//!   (`RPCSCOPE_BENCH_SYNTH_MB=N` forces a synthetic capture of N MB).
//!
//! For each file it prints frames/s and MB/s (captured bytes) for rpcscope
//! (best of 3 runs) and for `tshark -r FILE -Y rpc -T fields -e rpc.xid`
//! (one run, if tshark is installed). Figures go in docs/performance.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use rpcscope::capture::CaptureReader;
use rpcscope::limits::Limits;
use rpcscope::pipeline::Pipeline;

#[path = "synth.rs"]
mod synth;

fn decode(path: &Path) -> (u64, u64, u64) {
    let limits = Limits::default();
    let mut r = CaptureReader::open(path, &limits).expect("open");
    let mut p = Pipeline::new(&limits);
    let (mut frames, mut bytes, mut events) = (0u64, 0u64, 0u64);
    while let Ok(Some(f)) = r.next_frame() {
        frames += 1;
        bytes += f.data.len() as u64;
        p.handle_frame(&f, &mut |_| events += 1);
    }
    p.finish(&mut |_| events += 1);
    (frames, bytes, events)
}

fn inputs(tmp: &Path) -> Vec<PathBuf> {
    if let Some(mb) = std::env::var("RPCSCOPE_BENCH_SYNTH_MB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let dst = tmp.join(format!("synthetic-nfs-tcp-{mb}MB.pcap"));
        if !dst.exists() {
            synth::write_nfs_tcp(&dst, mb << 20);
        }
        return vec![dst];
    }
    if let Ok(list) = std::env::var("RPCSCOPE_BENCH_FILES") {
        return list.split(':').map(PathBuf::from).collect();
    }
    let public = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public");
    let names = [
        "nfstrace-eth-ipv4-tcp-nfsv3-4-41-cifs1-2.pcap.gz",
        "nfstrace-eth-ipv6-tcp-nfsv3-bad_alloc.pcap.gz",
        "nfstrace-eth-ipv4-tcp-nfsv4.pcap.gz",
        "nfstrace-tcp-seq-overlap-in-fragment-12721.pcap.gz",
    ];
    let mut v = Vec::new();
    for n in names {
        let src = public.join(n);
        if !src.exists() {
            continue;
        }
        let dst = tmp.join(n.trim_end_matches(".gz"));
        if !dst.exists() {
            let mut input = flate2::read::MultiGzDecoder::new(std::fs::File::open(&src).unwrap());
            std::io::copy(&mut input, &mut std::fs::File::create(&dst).unwrap()).unwrap();
        }
        v.push(dst);
    }
    if v.is_empty() {
        let dst = tmp.join("synthetic-nfs-tcp.pcap");
        if !dst.exists() {
            synth::write_nfs_tcp(&dst, 200 << 20);
        }
        v.push(dst);
    }
    v
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing we need.
    let tmp = std::env::temp_dir().join("rpcscope-bench");
    std::fs::create_dir_all(&tmp).unwrap();
    println!(
        "{:<52} {:>9} {:>8} {:>12} {:>9} {:>12} {:>9}",
        "file", "frames", "MB", "rpcscope f/s", "MB/s", "tshark f/s", "MB/s"
    );
    for path in inputs(&tmp) {
        let mut best = f64::MAX;
        let mut totals = (0, 0, 0);
        for _ in 0..3 {
            let t = Instant::now();
            totals = decode(&path);
            best = best.min(t.elapsed().as_secs_f64());
        }
        let (frames, bytes, _events) = totals;
        let mb = bytes as f64 / 1e6;
        let t = Instant::now();
        let tshark_ok = Command::new("tshark")
            .args([
                "-r",
                &path.to_string_lossy(),
                "-Y",
                "rpc",
                "-T",
                "fields",
                "-e",
                "rpc.xid",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let ts = t.elapsed().as_secs_f64();
        let (tf, tm) = if tshark_ok {
            (
                format!("{:.0}", frames as f64 / ts),
                format!("{:.1}", mb / ts),
            )
        } else {
            ("-".into(), "-".into())
        };
        println!(
            "{:<52} {:>9} {:>8.1} {:>12.0} {:>9.1} {:>12} {:>9}",
            path.file_name().unwrap().to_string_lossy(),
            frames,
            mb,
            frames as f64 / best,
            mb / best,
            tf,
            tm
        );
    }
}
