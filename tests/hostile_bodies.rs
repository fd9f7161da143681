//! Hostile program bodies inside real-looking NFSv3 sessions (issue 8,
//! "Tests"): lengths of 0x7fffffff, arrays of 10^6 elements, lists of
//! 1000 and 100,000 entries, a 1000-deep recursive structure, and results
//! cut at every byte. Each one decodes in bounded memory (the whole run
//! under a 512 MiB address-space limit) and time, is reported with a
//! `body_error` where it does not decode, and leaves the rest of the capture
//! as it would be without it: the exchanges before and after decode to
//! exactly the same JSON.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::synth::{call, pcap, record, reply, tcp, timed, udp, Pkt};
use common::temp_file;
use rpcscope::capture::{LinkType, PcapWriter, Timestamp};
use rpcscope::rpc::AcceptBody;
use serde_json::Value;

const CLIENT: ([u8; 4], u16) = ([10, 2, 0, 1], 801);
const SERVER: ([u8; 4], u16) = ([10, 2, 0, 2], 2049);
const NFS: u32 = 100003;
const MOUNT: u32 = 100005;

// ---- XDR pieces ------------------------------------------------------------

fn w(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_be_bytes());
}
fn h(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_be_bytes());
}
/// `opaque<>` / `string<>`: length, bytes, padding.
fn opaque(v: &mut Vec<u8>, b: &[u8]) {
    w(v, b.len() as u32);
    v.extend_from_slice(b);
    v.resize(v.len() + (4 - b.len() % 4) % 4, 0);
}

const ROOT: &[u8] = b"root-handle-0001";
const DIR: &[u8] = b"dir-handle-00002";
const FILE: &[u8] = b"file-handle-0003";

/// post_op_attr with no attributes.
fn no_attr(v: &mut Vec<u8>) {
    w(v, 0);
}

fn lookup_args(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    opaque(&mut v, dir); // dir
    opaque(&mut v, name); // name
    v
}

fn lookup_ok(obj: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    w(&mut v, 0); // NFS3_OK
    opaque(&mut v, obj); // object
    no_attr(&mut v); // obj_attributes
    no_attr(&mut v); // dir_attributes
    v
}

fn mnt_ok(flavors: u32, present: u32) -> Vec<u8> {
    let mut v = Vec::new();
    w(&mut v, 0); // MNT3_OK
    opaque(&mut v, ROOT); // fhandle
    w(&mut v, flavors); // auth_flavors count
    for _ in 0..present {
        w(&mut v, 1); // AUTH_SYS
    }
    v
}

fn read_args(fh: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    opaque(&mut v, fh);
    h(&mut v, 0); // offset
    w(&mut v, 4096); // count
    v
}

fn read_ok() -> Vec<u8> {
    let mut v = Vec::new();
    w(&mut v, 0); // NFS3_OK
    no_attr(&mut v); // file_attributes
    w(&mut v, 4096); // count
    w(&mut v, 1); // eof
    opaque(&mut v, &[b'x'; 4096]); // data
    v
}

fn readdirplus_args(dir: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    opaque(&mut v, dir);
    h(&mut v, 0); // cookie
    v.extend_from_slice(&[0; 8]); // cookieverf
    w(&mut v, 8192); // dircount
    w(&mut v, 1 << 20); // maxcount
    v
}

/// READDIRPLUS3res with `n` entries `e<i>` (no attributes, no handle).
fn readdirplus_ok(n: u32) -> Vec<u8> {
    let mut v = Vec::new();
    w(&mut v, 0); // NFS3_OK
    no_attr(&mut v); // dir_attributes
    v.extend_from_slice(&[0; 8]); // cookieverf
    for i in 0..n {
        w(&mut v, 1); // entries present / nextentry present
        h(&mut v, u64::from(i) + 100); // fileid
        opaque(&mut v, format!("e{i}").as_bytes()); // name
        h(&mut v, u64::from(i) + 1); // cookie
        no_attr(&mut v); // name_attributes
        w(&mut v, 0); // name_handle: no handle
    }
    w(&mut v, 0); // end of list
    w(&mut v, 1); // eof
    v
}

// ---- the session -----------------------------------------------------------

/// One TCP conversation, client and server streams, one record per
/// message, segments of at most 60,000 bytes.
struct Conv {
    frames: Vec<Vec<u8>>,
    cseq: u32,
    sseq: u32,
}

impl Conv {
    fn new() -> Self {
        Conv {
            frames: vec![tcp(CLIENT, SERVER, 999, 0, true, &[])],
            cseq: 1000,
            sseq: 5000,
        }
    }
    fn send(&mut self, from_client: bool, msg: &[u8]) {
        let rec = record(msg, 1 << 30);
        let (from, to, seq, ack) = if from_client {
            (CLIENT, SERVER, &mut self.cseq, self.sseq)
        } else {
            (SERVER, CLIENT, &mut self.sseq, self.cseq)
        };
        for chunk in rec.chunks(60_000) {
            self.frames.push(tcp(from, to, *seq, ack, false, chunk));
            *seq = seq.wrapping_add(chunk.len() as u32);
        }
    }
    fn exchange(&mut self, xid: u32, prog: u32, proc_: u32, args: &[u8], res: &[u8]) {
        self.send(true, &call(xid, prog, 3, proc_, args));
        self.send(false, &reply(xid, AcceptBody::Success, res));
    }
}

/// The session: MNT, LOOKUP dir, `hostile` (if any), LOOKUP file, READ.
fn session(hostile: Option<&dyn Fn(&mut Conv)>) -> Vec<Pkt> {
    let mut c = Conv::new();
    let mut mnt = Vec::new();
    opaque(&mut mnt, b"/export");
    c.exchange(1, MOUNT, 1, &mnt, &mnt_ok(1, 1));
    c.exchange(2, NFS, 3, &lookup_args(ROOT, b"dir"), &lookup_ok(DIR));
    if let Some(f) = hostile {
        f(&mut c);
    }
    c.exchange(4, NFS, 3, &lookup_args(DIR, b"file"), &lookup_ok(FILE));
    c.exchange(5, NFS, 6, &read_args(FILE), &read_ok());
    timed(c.frames)
}

/// `rpcscope read --format json` under a 512 MiB address-space limit and a
/// 60 s timeout: the exchange objects, and how long it took.
fn read_bounded(name: &str, bytes: &[u8], extra: &[&str]) -> (Vec<Value>, Duration) {
    let f = temp_file(name, bytes);
    let bin = env!("CARGO_BIN_EXE_rpcscope");
    let script = format!(
        "ulimit -v 524288; exec timeout 60 \"$0\" read --format json {} \"$1\"",
        extra.join(" ")
    );
    let t = Instant::now();
    let out = Command::new("bash")
        .args(["-c", &script, bin])
        .arg(&f)
        .output()
        .unwrap();
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "{name}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] != "summary" && v["type"] != "anomaly")
        .collect();
    (v, took)
}

/// What of an exchange must not change when another exchange is hostile.
fn essence(v: &Value) -> Value {
    let mut o = serde_json::Map::new();
    for k in [
        "xid",
        "procedure_name",
        "args",
        "result",
        "body_status",
        "path",
        "body_error",
        "accept_stat",
    ] {
        o.insert(k.into(), v[k].clone());
    }
    Value::Object(o)
}

/// Runs the session with `hostile` inserted and checks the rest is as in
/// the plain session; returns the hostile exchanges' objects.
fn check(name: &str, hostile: &dyn Fn(&mut Conv)) -> Vec<Value> {
    let (plain, _) = read_bounded(
        &format!("{name}-plain.pcap"),
        &pcap(&session(None), 65535),
        &[],
    );
    assert_eq!(plain.len(), 4);
    assert_eq!(plain[3]["path"], "/export/dir/file");
    assert_eq!(plain[3]["result"]["resok"]["data"]["len"], 4096);
    let (with, took) = read_bounded(
        &format!("{name}.pcap"),
        &pcap(&session(Some(hostile)), 65535),
        &[],
    );
    assert!(took < Duration::from_secs(20), "{name}: {took:?}");
    let normal: Vec<Value> = with
        .iter()
        .filter(|v| [1, 2, 4, 5].contains(&v["xid"].as_u64().unwrap()))
        .map(essence)
        .collect();
    let want: Vec<Value> = plain.iter().map(essence).collect();
    assert_eq!(normal, want, "{name}: the other exchanges changed");
    let odd: Vec<Value> = with
        .into_iter()
        .filter(|v| ![1, 2, 4, 5].contains(&v["xid"].as_u64().unwrap()))
        .collect();
    assert!(
        !odd.is_empty(),
        "{name}: the hostile exchange is not reported"
    );
    for v in &odd {
        assert_eq!(v["type"], "exchange", "{name}: {v}");
    }
    odd
}

fn kind(v: &Value) -> (&str, &str) {
    (
        v["body_error"]["part"].as_str().unwrap_or("-"),
        v["body_error"]["kind"].as_str().unwrap_or("-"),
    )
}

#[test]
fn lengths_of_0x7fffffff() {
    let odd = check("len7fff", &|c: &mut Conv| {
        // A name claiming 2 GiB in a 40-byte body.
        let mut name = Vec::new();
        opaque(&mut name, DIR);
        w(&mut name, 0x7fff_ffff);
        name.extend_from_slice(b"abcd");
        let mut noent = Vec::new();
        w(&mut noent, 2); // NFS3ERR_NOENT
        no_attr(&mut noent);
        c.exchange(3, NFS, 3, &name, &noent);
        // WRITE data claiming 2 GiB.
        let mut write = Vec::new();
        opaque(&mut write, FILE);
        h(&mut write, 0);
        w(&mut write, 4); // count
        w(&mut write, 0); // UNSTABLE
        w(&mut write, 0x7fff_ffff); // data<> length
        write.extend_from_slice(b"data");
        let mut wres = Vec::new();
        w(&mut wres, 28); // NFS3ERR_NOSPC
        no_attr(&mut wres); // wcc before
        no_attr(&mut wres); // wcc after
        c.exchange(6, NFS, 7, &write, &wres);
        // A handle claiming 2 GiB where nfs_fh3 allows 64 bytes.
        let mut fh = Vec::new();
        w(&mut fh, 0x7fff_ffff);
        fh.extend_from_slice(&[0; 16]);
        c.exchange(7, NFS, 1, &fh, &{
            let mut r = Vec::new();
            w(&mut r, 10001); // NFS3ERR_BADHANDLE
            r
        });
    });
    assert_eq!(odd.len(), 3);
    // The statuses still head the results; the arguments stop where the
    // length broke them.
    assert_eq!(odd[0]["body_status"], "NFS3ERR_NOENT");
    assert_eq!(odd[0]["args"]["what"]["dir"]["hex"], hex(DIR));
    assert_eq!(kind(&odd[0]), ("args", "truncated"));
    assert_eq!(odd[1]["body_status"], "NFS3ERR_NOSPC");
    assert_eq!(odd[1]["args"]["count"], 4);
    assert_eq!(kind(&odd[1]), ("args", "truncated"));
    assert_eq!(odd[2]["body_status"], "NFS3ERR_BADHANDLE");
    assert_eq!(kind(&odd[2]), ("args", "malformed"));
    assert_eq!(odd[2]["body_error"]["offset"], 0);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn arrays_of_a_million_elements() {
    let odd = check("array1e6", &|c: &mut Conv| {
        let mut mnt = Vec::new();
        opaque(&mut mnt, b"/export");
        // Claimed: 10^6 auth flavors, 3 present.
        c.exchange(3, MOUNT, 1, &mnt, &mnt_ok(1_000_000, 3));
        // Real: 10^6 flavors, a 4 MB record.
        c.exchange(6, MOUNT, 1, &mnt, &mnt_ok(1_000_000, 1_000_000));
    });
    assert_eq!(odd.len(), 2);
    for v in &odd {
        assert_eq!(v["body_status"], "MNT3_OK");
        assert_eq!(v["result"]["mountinfo"]["fhandle"]["hex"], hex(ROOT));
    }
    assert_eq!(kind(&odd[0]), ("result", "truncated"));
    // Only the first 64 KiB of a record are kept (Limits::record_keep).
    assert_eq!(kind(&odd[1]), ("result", "limit"));
    // Reply header 24, status 4, handle 4 + 16, count 4, the flavors.
    assert_eq!(odd[1]["reply_bytes"], 24 + 4 + 20 + 4 + 4_000_000);
    let kept = odd[1]["result"]["mountinfo"]["auth_flavors"]
        .as_array()
        .unwrap()
        .len();
    assert!((10_000..20_000).contains(&kept), "{kept}");
}

#[test]
fn long_lists_decode_without_recursion() {
    let odd = check("lists", &|c: &mut Conv| {
        // 1000 entries: a recursive decoder would be 1000 deep.
        c.exchange(3, NFS, 17, &readdirplus_args(DIR), &readdirplus_ok(1000));
        // 100,000 entries (3.6 MB): more than is kept.
        c.exchange(6, NFS, 17, &readdirplus_args(DIR), &readdirplus_ok(100_000));
    });
    assert_eq!(odd.len(), 2);
    let entries = |v: &Value| {
        v["result"]["resok"]["reply"]["entries"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(entries(&odd[0]), 1000);
    assert_eq!(
        odd[0]["result"]["resok"]["reply"]["entries"][999]["name"],
        "e999"
    );
    assert_eq!(odd[0]["result"]["resok"]["reply"]["eof"], true);
    assert_eq!(odd[0]["body_error"], Value::Null);
    assert_eq!(odd[0]["path"], "/export/dir");
    assert_eq!(kind(&odd[1]), ("result", "limit"));
    assert!(entries(&odd[1]) > 1000);
}

#[test]
fn a_thousand_deep_structure_stops_at_the_depth_limit() {
    // A user's program with a recursive structure that is not a list
    // (both links before the end), 1000 deep, with the session around it.
    let x = "struct tree { tree *left; tree *right; int v; };\n\
             program TREE_PROG { version TREE_V1 { int TREE_SUM(tree) = 1; } = 1; } = 0x20000777;\n";
    let idl = temp_file("tree.x", x.as_bytes());
    let deep = {
        let mut v = Vec::new();
        for _ in 0..1000 {
            w(&mut v, 1); // left present
        }
        for _ in 0..1000 {
            w(&mut v, 0); // right absent
            w(&mut v, 7); // v
        }
        v
    };
    let mut sum = Vec::new();
    w(&mut sum, 7000);
    let frames = session(Some(&|c: &mut Conv| {
        c.send(true, &call(3, 0x2000_0777, 1, 1, &deep));
        c.send(false, &reply(3, AcceptBody::Success, &sum));
    }));
    let (v, took) = read_bounded(
        "deep.pcap",
        &pcap(&frames, 65535),
        &["--idl", idl.to_str().unwrap()],
    );
    assert!(took < Duration::from_secs(20));
    assert_eq!(v.len(), 5);
    let t = v.iter().find(|e| e["xid"] == 3).unwrap();
    assert_eq!(t["procedure_name"], "TREE_SUM");
    assert_eq!(kind(t), ("args", "limit"));
    assert_eq!(t["result"], 7000);
    assert_eq!(
        v.iter().find(|e| e["xid"] == 5).unwrap()["path"],
        "/export/dir/file"
    );
}

/// A LOOKUP reply with attributes, as a real server sends it.
fn lookup_ok_attrs() -> Vec<u8> {
    let mut v = Vec::new();
    w(&mut v, 0); // NFS3_OK
    opaque(&mut v, FILE); // object
    w(&mut v, 1); // obj_attributes follow: fattr3
    for x in [1, 0o644, 1, 1000, 1000] {
        w(&mut v, x); // type, mode, nlink, uid, gid
    }
    for x in [4096u64, 4096, 0, 7, 42] {
        h(&mut v, x); // size, used, rdev, fsid, fileid
    }
    for _ in 0..3 {
        w(&mut v, 1_700_000_000); // time seconds
        w(&mut v, 5); // nseconds
    }
    w(&mut v, 0); // dir_attributes absent
    v
}

#[test]
fn results_cut_at_every_byte() {
    // UDP: one LOOKUP exchange per cut point, the reply's frame cut by the
    // snapshot length `k` bytes into the results; then a whole exchange.
    let body = lookup_ok_attrs();
    let args = lookup_args(DIR, b"file");
    let c_udp = ([10, 2, 0, 1], 900);
    let s_udp = ([10, 2, 0, 2], 2049);
    let header_len = reply(0, AcceptBody::Success, &[]).len();
    let eth_ip_udp = 14 + 20 + 8;
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
    let mut t = 1_000_000_000_000_000i64;
    let mut put = |frame: Vec<u8>, keep: usize| {
        t += 1000;
        let keep = keep.min(frame.len());
        w.write_frame(Timestamp(t), &frame[..keep], frame.len() as u32)
            .unwrap();
    };
    for k in 0..=body.len() {
        let xid = 100 + k as u32;
        put(udp(c_udp, s_udp, &call(xid, NFS, 3, 3, &args)), usize::MAX);
        put(
            udp(s_udp, c_udp, &reply(xid, AcceptBody::Success, &body)),
            eth_ip_udp + header_len + k,
        );
    }
    put(udp(c_udp, s_udp, &call(9999, NFS, 3, 3, &args)), usize::MAX);
    put(
        udp(s_udp, c_udp, &reply(9999, AcceptBody::Success, &body)),
        usize::MAX,
    );
    let (v, took) = read_bounded("cuts.pcap", &w.into_inner(), &[]);
    assert!(took < Duration::from_secs(20));
    assert_eq!(v.len(), body.len() + 2);
    let whole = v.last().unwrap();
    assert_eq!(whole["xid"], 9999);
    assert_eq!(whole["body_error"], Value::Null);
    assert_eq!(
        whole["result"]["resok"]["obj_attributes"]["attributes"]["fileid"],
        42
    );
    for (k, e) in v[..=body.len()].iter().enumerate() {
        assert_eq!(e["xid"], 100 + k as u64);
        assert_eq!(e["type"], "exchange");
        assert_eq!(e["args"]["what"]["name"], "file", "cut {k}");
        if k < body.len() {
            assert_eq!(kind(e), ("result", "truncated"), "cut {k}: {e}");
            // It stops at the first value it needs that is not all held:
            // the one the cut falls in (at most a hyper, 8 bytes, before
            // it), or past it where an opaque it can skip (the handle) runs
            // past the cut.
            let off = e["body_error"]["offset"].as_u64().unwrap();
            assert!(
                off + 8 > k as u64 && off < body.len() as u64,
                "cut {k}: stops at {off}"
            );
            assert_eq!(e["body_error"]["len"], body.len() as u64);
        } else {
            assert_eq!(e["body_error"], Value::Null, "cut {k}");
        }
        // The status is known once its 4 bytes are.
        if k >= 4 {
            assert_eq!(e["body_status"], "NFS3_OK", "cut {k}");
        } else {
            assert_eq!(e["body_status"], Value::Null, "cut {k}");
        }
    }
}
