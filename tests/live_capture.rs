//! Live capture, for real: each test runs in a private network namespace
//! (`unshare --net --mount --fork`, a tmpfs on /run, `lo` up) with a real
//! `rpcbind`, runs `rpcscope live -i lo` while `rpcinfo` makes calls, and
//! checks the decoded exchanges; `-w` files are reread with `rpcscope read`
//! and `tshark`; SIGINT must print unmatched calls and the summary and exit 130
//! (128 + SIGINT, as every command: README "Exit status").
//!
//! Skips with a note where not root, or `unshare`, `rpcbind` or `rpcinfo`
//! are missing. Every external command runs under `timeout`, background
//! processes have stdin/stdout redirected.
#![cfg(feature = "live")]

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "common/prereq.rs"]
mod prereq;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rpcscope")
}

/// True when we can make a network namespace and have rpcbind, rpcinfo,
/// tshark and tcpdump (else a skip, or a failure under `CI=true`).
fn can_run() -> bool {
    prereq::netns() && prereq::tools(&["rpcbind", "rpcinfo", "tshark", "tcpdump"])
}

/// A fresh directory for one test's files.
fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rpcscope-live-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `body` in a namespace with rpcbind running; `$B` is rpcscope and
/// `$D` the work directory. Returns the script's exit status.
fn in_netns(dir: &Path, body: &str) -> i32 {
    let script = format!(
        r#"
mount -t tmpfs tmpfs /run && mkdir -p /run/rpcbind && ip link set lo up || exit 90
rpcbind -w -f </dev/null >/dev/null 2>&1 &
rp=$!
for _ in $(seq 50); do timeout 2 rpcinfo -p 127.0.0.1 </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
{body}
st=$?
kill $rp 2>/dev/null
exit $st
"#
    );
    std::fs::write(dir.join("script.sh"), script).unwrap();
    let o = Command::new("timeout")
        .args(["90", "unshare", "--net", "--mount", "--fork", "bash"])
        .arg(dir.join("script.sh"))
        .env("B", bin())
        .env("D", dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run unshare");
    eprintln!(
        "script stdout: {}\nscript stderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o.status.code().unwrap_or(-1)
}

fn read_json(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// (program_name, version, procedure_name or number, transport, accept_stat)
fn shape(e: &serde_json::Value) -> (String, u64, String, String, String) {
    (
        e["program_name"].as_str().unwrap_or("?").to_string(),
        e["version"].as_u64().unwrap_or(u64::MAX),
        e["procedure_name"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| e["procedure"].to_string()),
        e["transport"].as_str().unwrap().to_string(),
        e["accept_stat"].as_str().unwrap_or("-").to_string(),
    )
}

/// The rpcinfo calls of the JSON and -w tests, made while `live` runs.
const RPCINFO_CALLS: &str = r#"
timeout 5 rpcinfo -p 127.0.0.1 </dev/null >/dev/null 2>&1          # TCP: GETPORT-less DUMP v2
timeout 5 rpcinfo -T udp 127.0.0.1 100000 3 </dev/null >/dev/null 2>&1  # UDP: GETADDR v4, NULL v3
timeout 5 rpcinfo -T tcp 127.0.0.1 100000 7 </dev/null >/dev/null 2>&1  # TCP: GETADDR v4, v7 PROG_MISMATCH
"#;

#[test]
fn live_json_decodes_rpcinfo_and_writes_readable_pcap() {
    if !can_run() {
        return;
    }
    let d = workdir("json");
    let st = in_netns(
        &d,
        &format!(
            r#"
"$B" live -i lo --format json --duration 4 -w "$D/out.pcap" </dev/null >"$D/live.json" 2>"$D/live.err" &
lp=$!
sleep 1
{RPCINFO_CALLS}
wait $lp
"#
        ),
    );
    assert_eq!(st, 0, "live exit status");
    let lines = read_json(&d.join("live.json"));
    let (summary, ex): (Vec<_>, Vec<_>) = lines.into_iter().partition(|v| v["type"] == "summary");
    // Exchange records only: `anomaly` records (a loaded machine can drop
    // packets and cut a record) are not exchanges.
    let mut got: Vec<_> = ex
        .iter()
        .filter(|v| v["type"] != "anomaly")
        .map(shape)
        .collect();
    got.sort();
    let s = |p: &str, v: u64, q: &str, t: &str, a: &str| {
        (
            p.to_string(),
            v,
            q.to_string(),
            t.to_string(),
            a.to_string(),
        )
    };
    let mut want = vec![
        s("portmapper", 2, "DUMP", "tcp", "success"),
        s("portmapper", 4, "GETADDR", "udp", "success"),
        s("portmapper", 3, "NULL", "udp", "success"),
        s("portmapper", 4, "GETADDR", "tcp", "success"),
        s("portmapper", 7, "NULL", "tcp", "prog_mismatch"),
    ];
    want.sort();
    // rpcinfo -p may first ask GETADDR v4 over TCP: accept extra GETADDRs.
    let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).collect();
    assert!(
        extra.iter().all(|g| g.2 == "GETADDR" && g.4 == "success"),
        "unexpected: {extra:?}"
    );
    for w in &want {
        assert!(got.contains(w), "missing {w:?} in {got:?}");
    }
    assert!(ex
        .iter()
        .all(|e| e["type"] == "exchange" && e["file"] == "lo"));
    let sum = &summary[0];
    assert_eq!(sum["exchanges"].as_u64().unwrap(), ex.len() as u64);
    assert_eq!(sum["unmatched_calls"], 0);
    assert!(sum["packets_received"].as_u64().unwrap() >= 2 * ex.len() as u64);
    assert!(sum["packets_dropped"].is_u64() && sum["packets_if_dropped"].is_u64());

    // -w: rpcscope reads back the same exchanges...
    let o = Command::new(bin())
        .args(["read", "--format", "json"])
        .arg(d.join("out.pcap"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let reread: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["type"] != "summary" && v["type"] != "anomaly")
        .collect();
    let xids = |v: &[serde_json::Value]| {
        let mut x: Vec<(u64, String)> = v
            .iter()
            .map(|e| (e["xid"].as_u64().unwrap(), e["accept_stat"].to_string()))
            .collect();
        x.sort();
        x
    };
    assert_eq!(xids(&reread), xids(&ex));
    // ...and so does tshark: one call and one reply per exchange.
    let t = Command::new("timeout")
        .args(["60", "tshark", "-r"])
        .arg(d.join("out.pcap"))
        .args(["-Y", "rpc", "-T", "fields", "-e", "rpc.msgtyp"])
        .output();
    match t {
        Ok(t) => {
            assert!(
                t.status.success(),
                "tshark: {}",
                String::from_utf8_lossy(&t.stderr)
            );
            let text = String::from_utf8_lossy(&t.stdout);
            let msgs: Vec<&str> = text.lines().flat_map(|l| l.split(',')).collect();
            assert_eq!(
                msgs.iter().filter(|m| **m == "0").count(),
                ex.len(),
                "{text}"
            );
            assert_eq!(
                msgs.iter().filter(|m| **m == "1").count(),
                ex.len(),
                "{text}"
            );
        }
        Err(e) => panic!("tshark: {e}"),
    }
    // tcpdump opens it too.
    let t = Command::new("timeout")
        .args(["30", "tcpdump", "-nr"])
        .arg(d.join("out.pcap"))
        .output()
        .expect("run tcpdump");
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn sigint_reports_unmatched_calls_and_summary() {
    if !can_run() {
        return;
    }
    let d = workdir("sigint");
    // A NULL call to port 2049 where nothing listens: it stays pending.
    let st = in_netns(
        &d,
        r#"
"$B" live -i lo --format json </dev/null >"$D/live.json" 2>"$D/live.err" &
lp=$!
"$B" live -i lo </dev/null >"$D/live.txt" 2>"$D/live.txt.err" &
lt=$!
sleep 1
timeout 5 rpcinfo -T udp 127.0.0.1 100000 2 </dev/null >/dev/null 2>&1
# xid 0x12345678, CALL, rpcvers 2, program 100003, version 3, NULL,
# cred AUTH_NONE, verf AUTH_NONE: to 127.0.0.1:2049, where nothing answers.
printf '\x12\x34\x56\x78\0\0\0\0\0\0\0\x02\0\x01\x86\xa3\0\0\0\x03\0\0\0\0''\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >/dev/udp/127.0.0.1/2049
sleep 0.5
kill -INT $lp $lt
wait $lp; a=$?
wait $lt; b=$?
echo "json=$a text=$b"
[ $a = 130 ] && [ $b = 130 ]
"#,
    );
    assert_eq!(st, 0, "exit status after SIGINT");
    let lines = read_json(&d.join("live.json"));
    let unmatched: Vec<_> = lines.iter().filter(|v| v["type"] == "call").collect();
    assert!(!unmatched.is_empty(), "{lines:?}");
    assert!(
        unmatched.iter().any(|c| c["program"] == 100003
            && c["xid"] == 0x12345678
            && c["server"] == "127.0.0.1:2049"),
        "{unmatched:?}"
    );
    let done: Vec<_> = lines.iter().filter(|v| v["type"] == "exchange").collect();
    assert!(done
        .iter()
        .any(|e| e["procedure_name"] == "NULL" && e["version"] == 2));
    let sum = lines.last().unwrap();
    assert_eq!(sum["type"], "summary");
    assert_eq!(
        sum["unmatched_calls"].as_u64().unwrap(),
        unmatched.len() as u64
    );
    assert!(sum["packets_received"].as_u64().unwrap() > 0);
    let err = std::fs::read_to_string(d.join("live.txt.err")).unwrap();
    assert!(err.contains(" unanswered call"), "{err}");
    assert!(err.contains("packets received by filter"), "{err}");
    assert!(err.starts_with("rpcscope: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n"), "{err}");
    let text = std::fs::read_to_string(d.join("live.txt")).unwrap();
    assert!(text.contains("call nfs v3 NULL"), "{text}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn count_stops_and_filters_and_stats_apply_live() {
    if !can_run() {
        return;
    }
    let d = workdir("count");
    let st = in_netns(
        &d,
        r#"
"$B" live -i lo --format json --count 2 --program portmap --status success -f 'udp port 111' </dev/null >"$D/count.json" 2>"$D/count.err" &
lc=$!
"$B" live -i lo --stats --format json --duration 4 </dev/null >"$D/stats.json" 2>"$D/stats.err" &
ls=$!
sleep 1
for i in 1 2 3; do timeout 5 rpcinfo -T udp 127.0.0.1 100000 3 </dev/null >/dev/null 2>&1; done
timeout 5 rpcinfo -T tcp 127.0.0.1 100000 4 </dev/null >/dev/null 2>&1
wait $lc; a=$?
wait $ls; b=$?
[ $a = 0 ] && [ $b = 0 ]
"#,
    );
    assert_eq!(st, 0);
    let lines = read_json(&d.join("count.json"));
    let ex: Vec<_> = lines
        .iter()
        .filter(|v| v["type"] != "summary" && v["type"] != "anomaly")
        .collect();
    assert_eq!(ex.len(), 2, "{lines:?}");
    assert!(ex
        .iter()
        .all(|e| e["transport"] == "udp" && e["accept_stat"] == "success"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("stats.json")).unwrap()).unwrap();
    let rows = v.as_array().unwrap();
    let null_v3 = rows
        .iter()
        .find(|r| r["version"] == 3 && r["procedure_name"] == "NULL")
        .expect("NULL v3 row");
    assert_eq!(null_v3["calls"], 3);
    assert_eq!(null_v3["replies"], 3);
    assert_eq!(null_v3["latency_us"]["count"], 3);
    let null_v4 = rows
        .iter()
        .find(|r| r["version"] == 4 && r["procedure_name"] == "NULL")
        .expect("NULL v4 row");
    assert_eq!(null_v4["calls"], 1);
    let err = std::fs::read_to_string(d.join("stats.err")).unwrap();
    assert!(err.contains("packets received by filter"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}
