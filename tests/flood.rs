//! Bounded memory under hostile captures: a flood of 200,000 TCP flows
//! within 20 s of capture time, each holding the start of a record that
//! never completes; every table full at once; paths as deep as they go;
//! statistics rows with latencies up to the call timeout. The whole process
//! must stay within the bound written in `src/limits.rs` (64 MiB), with
//! what it had to drop counted and reported.

mod common;

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::synth::call;
use common::Scratch;
use rpcscope::capture::{LinkType, PcapWriter, Timestamp};
use rpcscope::rpc::RecordMark;

/// The bound the worst-case arithmetic in `src/limits.rs` promises.
const BOUND_KIB: u64 = 64 * 1024;

/// Writes `flows` TCP flows spread over `secs` seconds: each client sends
/// the first 1400 bytes of a 64 KiB NFS WRITE record and nothing more. Even
/// flows start with a SYN (a synced reader holds the record's start), odd
/// ones mid-stream (a resync candidate holds it, with its search buffer).
fn write_flood(path: &Path, flows: u32, secs: u32) {
    let f = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = PcapWriter::new(f, LinkType::ETHERNET, 65535).unwrap();
    let server = ([10, 255, 0, 1], 2049);
    let step = secs as i64 * 1_000_000_000 / flows as i64;
    let mut payload = Vec::new();
    for i in 0..flows {
        let client = (
            [10, (i >> 16) as u8, (i >> 8) as u8, i as u8],
            700 + (i % 300) as u16,
        );
        let ts = Timestamp(1_700_000_000_000_000_000 + i as i64 * step);
        let mut frame = |seq: u32, syn: bool, data: &[u8]| {
            let frame = common::synth::tcp(client, server, seq, 1, syn, data);
            w.write_frame(ts, &frame, frame.len() as u32).unwrap();
        };
        if i % 2 == 0 {
            frame(999, true, &[]);
        }
        payload.clear();
        RecordMark {
            last: true,
            len: 65536,
        }
        .emit(&mut payload);
        payload.extend(call(i, 100003, 3, 7, &[0x5a; 1400]));
        payload.truncate(1400);
        frame(1000, false, &payload);
    }
    w.into_inner().flush().unwrap();
}

/// Runs `rpcscope ARGS FILE`, polling its peak RSS (`VmHWM`); returns the
/// peak in KiB and the stderr.
fn peak_rss(args: &[&str], file: &Path) -> (u64, String, Option<i32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(args)
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let code = loop {
        if let Ok(s) = std::fs::read_to_string(&status) {
            if let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (peak, err, code)
}

/// Runs `rpcscope ARGS FILE`: it must succeed within [`BOUND_KIB`] of
/// peak RSS. Returns its stderr.
fn within_bound(args: &[&str], file: &Path) -> String {
    let (peak, err, code) = peak_rss(args, file);
    eprintln!("{args:?}: peak RSS {peak} KiB");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        peak > 0 && peak <= BOUND_KIB,
        "{args:?}: peak RSS {peak} KiB > {BOUND_KIB} KiB"
    );
    err
}

/// An IPv4 fragment (Ethernet) of a UDP datagram: `offset` in bytes (a
/// multiple of 8), `more` fragments follow.
fn ip_fragment(src: [u8; 4], id: u16, offset: usize, more: bool, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0];
    let total = (20 + payload.len()) as u16;
    let flags = ((offset / 8) as u16) | if more { 0x2000 } else { 0 };
    v.extend_from_slice(&[0x45, 0]);
    v.extend_from_slice(&total.to_be_bytes());
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(&flags.to_be_bytes());
    v.extend_from_slice(&[64, 17, 0, 0]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&[10, 255, 0, 1]);
    v.extend_from_slice(payload);
    v
}

/// Every table at its cap at once: 40,000 TCP flows holding record starts
/// (directions, RPC streams, stream buffers, holds, the reorder queue),
/// 30,000 unanswered UDP calls with 2 KiB arguments to 30,000 servers
/// (pending calls, kept arguments, known servers), 30,000 answered ones
/// (answered calls), out-of-order TCP bytes behind holes on 2,000 flows,
/// 1,000 IP datagrams whose fragments never complete, malformed calls
/// (anomaly records), all within 20 s of capture time, after 20,000
/// LOOKUPs that teach handles with the longest names (paths).
fn write_every_table(path: &Path) {
    use common::synth::{reply, tcp, udp};
    let f = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = PcapWriter::new(f, LinkType::ETHERNET, 65535).unwrap();
    let mut n = 0i64;
    let mut put = |w: &mut PcapWriter<BufWriter<std::fs::File>>, frame: Vec<u8>| {
        n += 1;
        let ts = Timestamp(1_700_000_000_000_000_000 + n * 100_000);
        w.write_frame(ts, &frame, frame.len() as u32).unwrap();
    };
    let server = ([10, 255, 0, 1], 2049);
    let args = vec![0x11u8; 2048];
    let mut bad = call(0, 100003, 3, 1, &[]);
    bad[28..32].copy_from_slice(&1000u32.to_be_bytes());
    // First, LOOKUPs answered with new handles: the largest NFSv3 handles
    // (64 bytes) and names (255 bytes) fill the paths, which stay.
    for i in 0..20_000u32 {
        let c = ([10, 101, 0, 1], 801);
        let xid = 0x4000_0000 | i;
        let mut name = format!("{i:08}").into_bytes();
        name.resize(255, b'n');
        let mut args = Vec::new();
        xdr_opaque(&mut args, &[0xd0; 64]);
        xdr_opaque(&mut args, &name);
        put(&mut w, udp(c, server, &call(xid, 100003, 3, 3, &args)));
        let mut fh = [0x0f; 64];
        fh[..4].copy_from_slice(&i.to_be_bytes());
        let mut res = 0u32.to_be_bytes().to_vec(); // NFS3_OK
        xdr_opaque(&mut res, &fh);
        res.extend_from_slice(&[0; 8]); // no attributes
        put(
            &mut w,
            udp(
                server,
                c,
                &reply(xid, rpcscope::rpc::AcceptBody::Success, &res),
            ),
        );
    }
    for i in 0..40_000u32 {
        let client = (
            [10, 1 + (i >> 16) as u8, (i >> 8) as u8, i as u8],
            700 + (i % 300) as u16,
        );
        let mut p = Vec::new();
        RecordMark {
            last: true,
            len: 65536,
        }
        .emit(&mut p);
        p.extend(call(i, 100003, 3, 7, &[0x5a; 1400]));
        p.truncate(1400);
        if i % 2 == 0 {
            put(&mut w, tcp(client, server, 999, 1, true, &[]));
        }
        put(&mut w, tcp(client, server, 1000, 1, false, &p));
        if i < 2_000 {
            // Bytes after a hole: they wait out of order.
            put(
                &mut w,
                tcp(client, server, 1000 + 3000, 1, false, &[0x77; 1400]),
            );
        }
        if i < 30_000 {
            let srv = ([10, 200 + (i >> 16) as u8, (i >> 8) as u8, i as u8], 2049);
            let c = ([10, 100, 0, 1], 800);
            put(&mut w, udp(c, srv, &call(i, 100003, 3, 7, &args)));
            put(
                &mut w,
                udp(c, server, &call(0x8000_0000 | i, 100003, 3, 1, &[1; 32])),
            );
            put(
                &mut w,
                udp(
                    server,
                    c,
                    &reply(
                        0x8000_0000 | i,
                        rpcscope::rpc::AcceptBody::Success,
                        &[0; 64],
                    ),
                ),
            );
        }
        if i < 1_000 {
            put(
                &mut w,
                ip_fragment(
                    [10, 50, (i >> 8) as u8, i as u8],
                    i as u16,
                    0,
                    true,
                    &[0x33; 1480],
                ),
            );
            put(
                &mut w,
                ip_fragment(
                    [10, 50, (i >> 8) as u8, i as u8],
                    i as u16,
                    40_000,
                    true,
                    &[0x33; 1480],
                ),
            );
        }
        if i % 10 == 0 {
            bad[..4].copy_from_slice(&i.to_be_bytes());
            put(&mut w, udp(([10, 99, 0, 1], 900), server, &bad));
        }
    }
    w.into_inner().flush().unwrap();
}

/// XDR variable-length opaque: length, bytes, padding to 4.
fn xdr_opaque(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
    out.resize(out.len().next_multiple_of(4), 0);
}

/// Regression (issue 11): rpcscope peaked at 395 MB on this flood.
#[test]
fn flood_of_200k_flows_stays_within_the_memory_bound() {
    let dir = Scratch::new("flood");
    let file = dir.0.join("flood-200k.pcap");
    write_flood(&file, 200_000, 20);
    for args in [
        &["read", "--format", "json"][..],
        &["read"][..],
        &["stats"][..],
    ] {
        let err = within_bound(args, &file);
        if !args.contains(&"json") {
            // The summary (stderr in these modes) counts what was dropped.
            assert!(
                err.contains("rpc_stream_evicted="),
                "evictions reported: {err}"
            );
            assert!(err.contains("200000 calls"), "every flow's call: {err}");
        }
    }
}

/// Every table full at once: the worst case the arithmetic in
/// `src/limits.rs` adds up, measured.
#[test]
fn every_table_full_at_once_stays_within_the_memory_bound() {
    let dir = Scratch::new("tables");
    let file = dir.0.join("every-table.pcap");
    write_every_table(&file);
    // Parquet: the rows buffered for row groups count too.
    let out = dir.0.join("parquet");
    within_bound(
        &["read", "--format", "parquet", "-o", out.to_str().unwrap()],
        &file,
    );
    assert!(out.join("part-00000.parquet").exists());
    for args in [
        &["read", "--format", "json"][..],
        &["read"][..],
        &["stats", "--by", "server"][..],
        &["report", "-o", "/dev/null"][..],
    ] {
        let err = within_bound(args, &file);
        if args[0] != "report" && !args.contains(&"json") {
            for evicted in [
                "pending_call_evicted=",
                "tcp_stream_evicted=",
                "rpc_stream_evicted=",
            ] {
                assert!(err.contains(evicted), "{evicted} reported: {err}");
            }
        }
    }
}

/// Deep paths: an export root (MOUNT), a chain of 255 directories with
/// 255-byte names (LOOKUP), 4,000 files in the deepest one, then 20,000
/// unanswered GETATTRs on those files and 20,000 answered ones. Every call
/// knows its path (~64 KiB, if paths were built whole): held by the pending
/// calls, and counted by the report's table of files.
fn write_deep_paths(path: &Path) {
    use common::synth::{reply, udp};
    let server = ([10, 255, 0, 1], 2049);
    let c = ([10, 101, 0, 1], 801);
    // Call and (unless `res` is None) reply frames, in order.
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let mut exchange = |prog: u32, proc_: u32, args: &[u8], res: Option<&[u8]>| {
        let xid = frames.len() as u32;
        frames.push(udp(c, server, &call(xid, prog, 3, proc_, args)));
        if let Some(res) = res {
            let r = reply(xid, rpcscope::rpc::AcceptBody::Success, res);
            frames.push(udp(server, c, &r));
        }
    };
    let fh = |kind: u8, i: u32| {
        let mut fh = [kind; 64];
        fh[..4].copy_from_slice(&i.to_be_bytes());
        fh
    };
    // MNT /export -> the root handle.
    let mut args = Vec::new();
    xdr_opaque(&mut args, b"/export");
    let mut res = 0u32.to_be_bytes().to_vec();
    xdr_opaque(&mut res, &fh(0xd0, 0));
    res.extend_from_slice(&[0; 4]); // no auth flavors
    exchange(100005, 1, &args, Some(&res));
    let mut lookup = |dir: &[u8], name: &[u8], obj: &[u8]| {
        let mut args = Vec::new();
        xdr_opaque(&mut args, dir);
        xdr_opaque(&mut args, name);
        let mut res = 0u32.to_be_bytes().to_vec();
        xdr_opaque(&mut res, obj);
        res.extend_from_slice(&[0; 8]); // no attributes
        exchange(100003, 3, &args, Some(&res));
    };
    let long = |i: u32| {
        let mut name = format!("{i:08}").into_bytes();
        name.resize(255, b'd');
        name
    };
    for i in 0..255u32 {
        lookup(&fh(0xd0, i), &long(i), &fh(0xd0, i + 1));
    }
    for i in 0..4_000u32 {
        lookup(&fh(0xd0, 255), &long(i), &fh(0xf0, i));
    }
    for i in 0..40_000u32 {
        let mut args = Vec::new();
        xdr_opaque(&mut args, &fh(0xf0, i % 4_000));
        let res = [0u8; 4 + 84]; // NFS3_OK, fattr3
        exchange(100003, 1, &args, (i % 2 == 1).then_some(&res[..]));
    }
    std::fs::write(
        path,
        common::synth::pcap(&common::synth::timed(frames), 65535),
    )
    .unwrap();
}

#[test]
fn deep_paths_stay_within_the_memory_bound() {
    let dir = Scratch::new("deep");
    let file = dir.0.join("deep-paths.pcap");
    write_deep_paths(&file);
    for args in [
        &["read", "--format", "json"][..],
        &["read"][..],
        &["report", "-o", "/dev/null"][..],
    ] {
        within_bound(args, &file);
    }
}

/// Statistics rows at their largest: 300 clients, each with exchanges
/// answered after 1 us, 3 us, 1 ms, 50 s and 119 s (just within the call
/// timeout), so every row's latency histogram spans its whole range.
fn write_wide_latencies(path: &Path) {
    use common::synth::{pcap, reply, udp};
    let server = ([10, 255, 0, 1], 2049);
    let t0 = 1_700_000_000_000_000_000i64;
    let mut frames = Vec::new();
    for i in 0..300u32 {
        let c = ([10, 1, (i >> 8) as u8, i as u8], 800);
        for (k, lat_us) in [1i64, 119_000_000, 3, 1_000, 50_000_000]
            .into_iter()
            .enumerate()
        {
            let xid = i * 16 + k as u32;
            let ts = t0 + i as i64 * 10_000;
            frames.push((Timestamp(ts), udp(c, server, &call(xid, 100003, 3, 0, &[]))));
            let r = reply(xid, rpcscope::rpc::AcceptBody::Success, &[]);
            frames.push((Timestamp(ts + lat_us * 1000), udp(server, c, &r)));
        }
    }
    frames.sort_by_key(|f| f.0);
    std::fs::write(path, pcap(&frames, 65535)).unwrap();
}

#[test]
fn statistics_rows_at_their_largest_stay_within_the_memory_bound() {
    let dir = Scratch::new("rows");
    let file = dir.0.join("wide-latencies.pcap");
    write_wide_latencies(&file);
    for args in [
        &["stats", "--by", "client"][..],
        &["stats", "--by", "client", "--interval", "60"][..],
        &["report", "-o", "/dev/null"][..],
    ] {
        let err = within_bound(args, &file);
        assert!(
            err.contains("1500 exchanges") || err.contains("report of 1500 exchanges"),
            "{err}"
        );
        if args == ["stats", "--by", "client"] {
            // 300 clients, 256 rows: the rest share the overflow row.
            assert!(err.contains("stats table full"), "{err}");
        }
    }
}
