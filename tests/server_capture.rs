//! Captures of our own traffic: `captures/serve-call.pcap` (made by
//! `captures/make-serve.sh`) decoded by `rpcscope read` agrees with tshark
//! and with the statuses the script asked for; and a live round trip in a
//! private namespace (serve + tcpdump on lo + call, then read).

mod common;
#[path = "common/server.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::*;

/// `rpcscope read --format json FILE`: the exchange objects.
fn read_json(path: &Path) -> Vec<Value> {
    let out = run_ok(
        60,
        bin(),
        &["read", "--format", "json", path.to_str().unwrap()],
    );
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(|v| v["type"] != "summary")
        .collect()
}

/// The status of an exchange as `rpcscope call` prints it.
fn status(ex: &Value) -> String {
    let s = |k: &str| ex[k].as_str().unwrap_or("").to_string();
    let mm = |ex: &Value| format!("({}-{})", ex["mismatch"]["low"], ex["mismatch"]["high"]);
    match (s("accept_stat").as_str(), s("reject_stat").as_str()) {
        ("prog_mismatch", _) => format!("prog_mismatch{}", mm(ex)),
        (a, "") => a.to_string(),
        (_, "rpc_mismatch") => format!("rpc_mismatch{}", mm(ex)),
        (_, r) => format!("{r}({})", s("auth_stat")),
    }
}

#[test]
fn serve_call_capture_agrees_with_tshark_and_the_script() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let pcap = dir.join("serve-call.pcap");
    assert!(
        std::fs::metadata(&pcap).unwrap().len() < 200_000,
        "keep captures small"
    );

    // Every RPC message tshark sees, we see, at the same frame and xid.
    let (ours, _) = common::decode(&pcap);
    let tsv = std::fs::read_to_string(dir.join("serve-call.tshark.tsv")).unwrap();
    let theirs = common::tshark_messages(&tsv);
    // tshark does not decode the rpcvers 3 call or its RPC_MISMATCH reply
    // (xid 0x1e00); we do.
    let total: u32 = theirs.values().sum();
    assert_eq!(total, 42, "21 calls and 21 replies in the tshark reference");
    assert_eq!(common::matched(&theirs, &ours.messages()), 42);
    assert_eq!(ours.messages().values().sum::<u32>(), 44);
    assert!(!theirs.keys().any(|(_, xid, _)| *xid == 0x1e00));

    // Each scripted call has the status it was made to get.
    let exchanges = read_json(&pcap);
    assert_eq!(exchanges.len(), 22);
    assert!(exchanges.iter().all(|e| e["type"] == "exchange"));
    let by_xid: BTreeMap<u64, &Value> = exchanges
        .iter()
        .map(|e| (e["xid"].as_u64().unwrap(), e))
        .collect();
    let want = [
        (0x1000, "tcp", "NULL", "success"),
        (0x1100, "udp", "NULL", "success"),
        (0x1101, "udp", "NULL", "success"),
        (0x1200, "tcp", "ECHO", "success"),
        (0x1300, "udp", "SLEEP", "success"),
        (0x1400, "tcp", "FAIL", "system_err"),
        (0x1500, "tcp", "PUT", "auth_error(tooweak)"),
        (0x1600, "tcp", "PUT", "success"),
        (0x1700, "udp", "GET", "success"),
        (0x1800, "udp", "LIST", "success"),
        (0x1900, "tcp", "UPLOAD", "success"),
        (0x1a00, "tcp", "", "prog_unavail"),
        (0x1b00, "udp", "", "prog_mismatch(1-1)"),
        (0x1c00, "tcp", "", "proc_unavail"),
        (0x1d00, "udp", "ECHO", "garbage_args"),
        (0x1e00, "udp", "NULL", "rpc_mismatch(2-2)"),
        (0x1f00, "udp", "NULL", "auth_error(badcred)"),
        (0x2000, "udp", "NULL", "success"),
        (0x2001, "udp", "NULL", "success"),
        (0x2002, "udp", "NULL", "success"),
    ];
    for (xid, transport, proc_name, st) in want {
        let ex = by_xid
            .get(&xid)
            .unwrap_or_else(|| panic!("xid {xid:#x} missing"));
        assert_eq!(ex["transport"], transport, "xid {xid:#x}");
        assert_eq!(status(ex), st, "xid {xid:#x}");
        if !proc_name.is_empty() {
            assert_eq!(ex["program_name"], "rpcscope_test", "xid {xid:#x}");
            assert_eq!(ex["procedure_name"], proc_name, "xid {xid:#x}");
        }
    }
    // The UPLOAD record: 32 KiB of data plus its header, in 9 fragments.
    assert_eq!(by_xid[&0x1900]["call_bytes"], 32768 + 44);
    // The two GETPORTs the client made before calling.
    let getports: Vec<_> = exchanges
        .iter()
        .filter(|e| e["program"] == 100000 && e["procedure_name"] == "GETPORT")
        .collect();
    assert_eq!(getports.len(), 2);
}

#[test]
fn live_capture_of_serve_and_call_reads_back_exactly() {
    if !enter_netns("live_capture_of_serve_and_call_reads_back_exactly") {
        return;
    }
    if !have("tcpdump") {
        return;
    }
    let tmp = std::env::temp_dir().join(format!("rpcscope-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let pcap = tmp.join("e2e.pcap");
    let server = Server::start(&["--listen", "127.0.0.1", "--listen", "::1"]);
    assert_eq!(server.port, 111);
    let mut tcpdump = std::process::Command::new("tcpdump")
        .args([
            "-i",
            "lo",
            "-w",
            pcap.to_str().unwrap(),
            "-U",
            "-s",
            "0",
            "port 111",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tcpdump");
    // Capture only once tcpdump says it is listening (a fixed sleep lost
    // the first calls on a loaded machine).
    {
        use std::io::BufRead;
        let err = tcpdump.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains("listening on") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("tcpdump started listening");
    }

    let call = |args: &[&str]| -> String {
        run_ok(30, bin(), &[&["call", "--port", "111"][..], args].concat())
    };
    let tcp = call(&[
        "--tcp",
        "--xid",
        "0x5000",
        "--count",
        "40",
        "--concurrency",
        "4",
        "127.0.0.1",
        "rpcscope_test",
        "1",
        "ECHO",
        "--args-hex",
        "0000000401020304",
    ]);
    let udp = call(&[
        "--udp",
        "--xid",
        "0x6000",
        "--count",
        "20",
        "--concurrency",
        "2",
        "127.0.0.1",
        "rpcscope_test",
        "1",
        "FAIL",
    ]);
    let tcp6 = call(&[
        "--tcp", "--xid", "0x7000", "--count", "5", "::1", "100000", "4", "NULL",
    ]);
    std::thread::sleep(Duration::from_millis(1000));
    run(5, "kill", &["-INT", &tcpdump.id().to_string()]);
    let _ = tcpdump.wait();

    // What the client printed: xid -> status.
    let mut printed = BTreeMap::new();
    for out in [&tcp, &udp, &tcp6] {
        for l in out.lines().filter(|l| l.starts_with("xid=")) {
            let mut f = l.split_whitespace();
            let xid = u64::from_str_radix(&f.next().unwrap()[6..], 16).unwrap();
            let st = f.next().unwrap().trim_start_matches("status=").to_string();
            printed.insert(xid, st);
        }
    }
    assert_eq!(printed.len(), 65);
    // What the capture says: exactly those exchanges, with those statuses.
    let exchanges = read_json(&pcap);
    let seen: BTreeMap<u64, String> = exchanges
        .iter()
        .map(|e| (e["xid"].as_u64().unwrap(), status(e)))
        .collect();
    assert_eq!(exchanges.len(), 65, "one exchange per call, nothing else");
    assert_eq!(seen, printed);
    assert!(exchanges.iter().all(|e| e["type"] == "exchange"));
    let v6 = exchanges
        .iter()
        .filter(|e| e["server"] == "[::1]:111")
        .count();
    assert_eq!(v6, 5);
    assert_eq!(seen.values().filter(|s| *s == "system_err").count(), 20);
    std::fs::remove_dir_all(&tmp).ok();
}
