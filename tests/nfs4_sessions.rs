//! NFSv4 sessions through the whole pipeline and both outputs, built
//! message by message: a 4.1 session whose server recalls a delegation on
//! the backchannel (the client's own connection), a 4.0 client whose
//! callback program number is learned from SETCLIENTID and then decoded on
//! the server's connection back to it, a compound with an operation no
//! version defines, compounds cut by the snapshot length, and an
//! RPCSEC_GSS integrity-protected compound.

mod common;

use common::nfs4::*;
use common::synth::{pcap, timed};
use common::temp_file;
use rpcscope::rpc::AuthFlavor;
use serde_json::Value;

const NFS: u32 = 100003;
const CB: u32 = 0x4000_0000;
const CLIENT: ([u8; 4], u16) = ([10, 1, 0, 1], 801);
const SERVER: ([u8; 4], u16) = ([10, 1, 0, 2], 2049);
const NONE: (AuthFlavor, &[u8]) = (AuthFlavor::NONE, &[]);

/// `rpcscope read` of the frames: JSON exchange objects, and text lines.
fn read(name: &str, frames: Vec<Vec<u8>>, snaplen: u32) -> (Vec<Value>, Vec<String>) {
    let f = temp_file(name, &pcap(&timed(frames), snaplen));
    let run = |json: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rpcscope"));
        cmd.arg("read");
        if json {
            cmd.args(["--format", "json"]);
        }
        let out = cmd.arg(&f).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let json = run(true)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] != "summary")
        .collect();
    let text = run(false).lines().map(String::from).collect();
    (json, text)
}

fn by_xid(ex: &[Value], xid: u32) -> &Value {
    ex.iter()
        .find(|e| e["xid"] == xid)
        .unwrap_or_else(|| panic!("no exchange with xid {xid:#x}"))
}

fn line_of<'a>(text: &'a [String], xid: u32, kind: &str) -> &'a str {
    let needle = format!("xid {xid:#010x} {kind} ");
    text.iter()
        .find(|l| l.contains(&needle))
        .unwrap_or_else(|| panic!("no {kind} line for {xid:#x}: {text:#?}"))
}

/// The `(resop, status)` of each result of an exchange.
fn per_op(e: &Value) -> Vec<(String, String)> {
    e["result"]["resarray"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let op = r["resop"].as_str().unwrap().to_string();
            let arm = r.as_object().unwrap().iter().find(|(k, _)| *k != "resop");
            let status = arm
                .and_then(|(_, a)| {
                    a.as_object()?
                        .iter()
                        .find(|(k, v)| k.ends_with("status") && v.is_string())
                        .map(|(_, v)| v.as_str().unwrap().to_string())
                })
                .unwrap_or_default();
            (op, status)
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The 4.1 session of the module docs, as the client's connection carries
/// it.
fn session_41() -> Conn {
    let mut c = Conn::open(CLIENT, SERVER);
    // 1: SEQUENCE PUTROOTFH LOOKUP "export" GETFH -> EXPORT_FH.
    let call = sequence(args(1, 4), 1)
        .u32(24) // OP_PUTROOTFH
        .u32(15) // OP_LOOKUP
        .opaque(b"export") // objname
        .u32(10) // OP_GETFH
        .done();
    c.send(true, &call_as(1, NFS, 4, NONE, &call));
    let res = sequence_ok(results(0, 4), 1)
        .u32(24) // OP_PUTROOTFH
        .u32(0) // status
        .u32(15) // OP_LOOKUP
        .u32(0) // status
        .u32(10) // OP_GETFH
        .u32(0) // status
        .opaque(EXPORT_FH) // object
        .done();
    c.send(false, &reply_as(1, false, &res));
    // 2: SEQUENCE PUTFH EXPORT_FH LOOKUP "a.txt" GETFH -> FILE_FH.
    let call = sequence(args(1, 4), 2)
        .u32(22) // OP_PUTFH
        .opaque(EXPORT_FH) // object
        .u32(15) // OP_LOOKUP
        .opaque(b"a.txt") // objname
        .u32(10) // OP_GETFH
        .done();
    c.send(true, &call_as(2, NFS, 4, NONE, &call));
    let res = sequence_ok(results(0, 4), 2)
        .u32(22) // OP_PUTFH
        .u32(0) // status
        .u32(15) // OP_LOOKUP
        .u32(0) // status
        .u32(10) // OP_GETFH
        .u32(0) // status
        .opaque(FILE_FH) // object
        .done();
    c.send(false, &reply_as(2, false, &res));
    // 3: SEQUENCE PUTFH FILE_FH READ 4096 @ 0 -> 4096 bytes, eof.
    let call = sequence(args(1, 3), 3)
        .u32(22) // OP_PUTFH
        .opaque(FILE_FH) // object
        .u32(25) // OP_READ
        .u32(0) // stateid.seqid
        .fixed(&[0; 12]) // stateid.other
        .u64(0) // offset
        .u32(4096) // count
        .done();
    c.send(true, &call_as(3, NFS, 4, NONE, &call));
    let res = sequence_ok(results(0, 3), 3)
        .u32(22) // OP_PUTFH
        .u32(0) // status
        .u32(25) // OP_READ
        .u32(0) // status
        .u32(1) // eof
        .opaque(&[b'x'; 4096]) // data
        .done();
    c.send(false, &reply_as(3, false, &res));
    // The server recalls the delegation on this connection: CB_COMPOUND
    // (CB_SEQUENCE, CB_RECALL FILE_FH), answered by the client.
    let cb = X::new()
        .opaque(b"") // tag
        .u32(1) // minorversion
        .u32(1) // callback_ident
        .u32(2) // argarray<> count
        .u32(11) // OP_CB_SEQUENCE
        .fixed(&SESSION) // csa_sessionid
        .u32(1) // csa_sequenceid
        .u32(0) // csa_slotid
        .u32(0) // csa_highest_slotid
        .u32(0) // csa_cachethis
        .u32(0) // csa_referring_call_lists<> count
        .u32(4) // OP_CB_RECALL
        .u32(1) // stateid.seqid
        .fixed(&[7; 12]) // stateid.other
        .u32(0) // truncate
        .opaque(FILE_FH) // fh
        .done();
    c.send(false, &call_as(0x1000, CB, 1, NONE, &cb));
    let cb_res = results(0, 2)
        .u32(11) // OP_CB_SEQUENCE
        .u32(0) // csr_status
        .fixed(&SESSION) // csr_sessionid
        .u32(1) // csr_sequenceid
        .u32(0) // csr_slotid
        .u32(0) // csr_highest_slotid
        .u32(0) // csr_target_highest_slotid
        .u32(4) // OP_CB_RECALL
        .u32(0) // status
        .done();
    c.send(true, &reply_as(0x1000, false, &cb_res));
    // 4: PUTFH EXPORT_FH then operation 99, which no version defines; the
    // server answers OP_ILLEGAL.
    let call = args(1, 3)
        .u32(22) // OP_PUTFH
        .opaque(EXPORT_FH) // object
        .u32(99) // no such operation
        .u32(0) // (what it would carry)
        .u32(10) // OP_GETFH
        .done();
    c.send(true, &call_as(4, NFS, 4, NONE, &call));
    let res = results(10044, 2) // NFS4ERR_OP_ILLEGAL
        .u32(22) // OP_PUTFH
        .u32(0) // status
        .u32(10044) // OP_ILLEGAL
        .u32(10044) // status NFS4ERR_OP_ILLEGAL
        .done();
    c.send(false, &reply_as(4, false, &res));
    // 5: SEQUENCE PUTFH FILE_FH GETATTR (type, size) under RPCSEC_GSS
    // integrity.
    let call = sequence(args(1, 3), 4)
        .u32(22) // OP_PUTFH
        .opaque(FILE_FH) // object
        .u32(9) // OP_GETATTR
        .u32(1) // attr_request<> count
        .u32(0x12) // bits 1 type, 4 size
        .done();
    let cred = gss_cred(2);
    c.send(
        true,
        &call_as(5, NFS, 4, (AuthFlavor::RPCSEC_GSS, &cred), &integ(&call)),
    );
    let vals = X::new().u32(1).u64(4096).done(); // NF4REG, size
    let res = sequence_ok(results(0, 3), 4)
        .u32(22) // OP_PUTFH
        .u32(0) // status
        .u32(9) // OP_GETATTR
        .u32(0) // status
        .u32(1) // attrmask<> count
        .u32(0x12) // type, size
        .opaque(&vals) // attr_vals
        .done();
    c.send(false, &reply_as(5, true, &integ(&res)));
    c
}

#[test]
fn a_41_session_reads_by_operation_with_paths_and_per_operation_statuses() {
    let (ex, text) = read("nfs41-session.pcap", session_41().frames, 65535);
    // READ: operations, main operation, path through the compounds before
    // it, the handle as hex and hash, every operation's status.
    let e = by_xid(&ex, 3);
    assert_eq!(
        e["ops"],
        serde_json::json!(["OP_SEQUENCE", "OP_PUTFH", "OP_READ"])
    );
    assert_eq!(e["main_op"], "OP_READ");
    assert_eq!(e["path"], "/export/a.txt");
    assert_eq!(e["body_status"], "NFS4_OK");
    let object = &e["args"]["argarray"][1]["opputfh"]["object"];
    assert_eq!(object["hex"], "66696c652d68616e646c652d30303031");
    assert_eq!(object["hash"], fh_hash(FILE_FH));
    assert_eq!(
        per_op(e),
        pairs(&[
            ("OP_SEQUENCE", "NFS4_OK"),
            ("OP_PUTFH", "NFS4_OK"),
            ("OP_READ", "NFS4_OK")
        ])
    );
    let read = &e["result"]["resarray"][2]["opread"]["resok4"];
    assert_eq!(read["eof"], true);
    assert_eq!(read["data"]["len"], 4096);
    // The text lines summarise the compound by its operations.
    let fh = fh_hash(FILE_FH);
    assert!(
        line_of(&text, 3, "call").contains(&format!(
            "call nfs v4 COMPOUND SEQUENCE PUTFH fh {fh} READ 4096 bytes @ 0 "
        )),
        "{text:#?}"
    );
    assert!(
        line_of(&text, 3, "reply").contains("reply nfs v4 COMPOUND NFS4_OK 4096 bytes eof "),
        "{text:#?}"
    );
    // The mount and the LOOKUP taught their paths.
    assert_eq!(by_xid(&ex, 1)["path"], "/export");
    assert_eq!(by_xid(&ex, 2)["path"], "/export/a.txt");
    assert_eq!(by_xid(&ex, 2)["main_op"], "OP_LOOKUP");
}

#[test]
fn a_41_backchannel_callback_is_matched_and_decoded() {
    let (ex, text) = read("nfs41-backchannel.pcap", session_41().frames, 65535);
    let e = by_xid(&ex, 0x1000);
    assert_eq!(e["type"], "exchange");
    assert_eq!(e["program"], CB);
    // The NFS server is the callback's client.
    assert_eq!(e["client"], "10.1.0.2:2049");
    assert_eq!(e["server"], "10.1.0.1:801");
    assert_eq!(
        e["ops"],
        serde_json::json!(["OP_CB_SEQUENCE", "OP_CB_RECALL"])
    );
    assert_eq!(e["main_op"], "OP_CB_RECALL");
    assert_eq!(e["body_status"], "NFS4_OK");
    let recall = &e["args"]["argarray"][1]["opcbrecall"];
    assert_eq!(recall["fh"]["hash"], fh_hash(FILE_FH));
    assert_eq!(recall["truncate"], false);
    assert_eq!(
        per_op(e),
        pairs(&[("OP_CB_SEQUENCE", "NFS4_OK"), ("OP_CB_RECALL", "NFS4_OK")])
    );
    assert!(
        line_of(&text, 0x1000, "call").contains("COMPOUND CB_SEQUENCE CB_RECALL"),
        "{text:#?}"
    );
    // The calls around it still match their own replies.
    for xid in [1, 2, 3, 4, 5] {
        assert!(by_xid(&ex, xid)["reply_frame"].is_u64(), "{xid}");
    }
}

#[test]
fn an_unknown_operation_keeps_the_operations_before_it() {
    let (ex, text) = read("nfs41-unknown-op.pcap", session_41().frames, 65535);
    let e = by_xid(&ex, 4);
    assert_eq!(e["type"], "exchange");
    assert_eq!(e["ops"], serde_json::json!(["OP_PUTFH", 99]));
    // tshark's rule: a number past its table (75) ranks first; unnamed, it
    // is given as a number, as in `ops`.
    assert_eq!(e["main_op"], 99);
    // Decoding stopped at the unknown operation's number: tag (4) +
    // minorversion (4) + count (4) + PUTFH (4 + 4 + 12).
    assert_eq!(
        e["body_error"],
        serde_json::json!({"part": "args", "offset": 32, "kind": "malformed", "len": 44})
    );
    assert_eq!(
        e["args"]["argarray"][0]["opputfh"]["object"]["hash"],
        fh_hash(EXPORT_FH)
    );
    // The reply decodes whole: the server's OP_ILLEGAL.
    assert_eq!(e["body_status"], "NFS4ERR_OP_ILLEGAL");
    assert_eq!(
        per_op(e),
        pairs(&[
            ("OP_PUTFH", "NFS4_OK"),
            ("OP_ILLEGAL", "NFS4ERR_OP_ILLEGAL")
        ])
    );
    assert!(
        line_of(&text, 4, "call").contains("op99 [ops stop at byte 32: malformed]"),
        "{text:#?}"
    );
}

#[test]
fn rpcsec_gss_integrity_compounds_are_decoded() {
    let (ex, _) = read("nfs41-gss.pcap", session_41().frames, 65535);
    let e = by_xid(&ex, 5);
    assert_eq!(e["auth"]["flavor"], "rpcsec_gss");
    assert_eq!(e["auth"]["service"], 2);
    assert_eq!(
        e["ops"],
        serde_json::json!(["OP_SEQUENCE", "OP_PUTFH", "OP_GETATTR"])
    );
    assert_eq!(e["main_op"], "OP_GETATTR");
    assert_eq!(e["path"], "/export/a.txt");
    assert_eq!(e["body_error"], Value::Null);
    let attrs = &e["result"]["resarray"][2]["opgetattr"]["resok4"]["obj_attributes"]["attr_vals"];
    assert_eq!(attrs["type"], "NF4REG");
    assert_eq!(attrs["size"], 4096);
    assert_eq!(
        per_op(e),
        pairs(&[
            ("OP_SEQUENCE", "NFS4_OK"),
            ("OP_PUTFH", "NFS4_OK"),
            ("OP_GETATTR", "NFS4_OK")
        ])
    );
}

#[test]
fn compounds_cut_by_the_snapshot_length_keep_their_decoded_prefix() {
    // Each frame cut to 150 bytes: Ethernet (14) + IPv4 (20) + TCP (20) +
    // record mark (4) + call header (40) leave 52 bytes of arguments.
    let (ex, _) = read("nfs41-snaplen.pcap", session_41().frames, 150);
    // READ's call: tag (4), minorversion, count, SEQUENCE (4 + 32) = 48;
    // PUTFH's number fits, its handle does not.
    let e = by_xid(&ex, 3);
    assert_eq!(e["type"], "exchange", "never dropped as a whole");
    assert_eq!(e["ops"], serde_json::json!(["OP_SEQUENCE", "OP_PUTFH"]));
    assert_eq!(e["body_error"]["part"], "args");
    // On TCP, bytes cut by the snapshot length are missing from the stream.
    assert_eq!(e["body_error"]["kind"], "gap");
    assert_eq!(e["args"]["argarray"][0]["argop"], "OP_SEQUENCE");
    // The reply is cut too: 24 bytes of header leave 68 of results, status
    // (4), tag (4), count (4), SEQUENCE (4 + 4 + 36), PUTFH (8) and READ's
    // number: READ is listed, its result (cut) is null.
    assert_eq!(e["body_status"], "NFS4_OK");
    assert_eq!(
        per_op(e),
        pairs(&[
            ("OP_SEQUENCE", "NFS4_OK"),
            ("OP_PUTFH", "NFS4_OK"),
            ("OP_READ", "")
        ]),
    );
    assert_eq!(e["result"]["resarray"][2]["opread"], Value::Null);
}

/// A 4.0 client announces callback program 0x40000123 in SETCLIENTID; the
/// server then connects to it and sends CB_COMPOUND (CB_RECALL) with that
/// number. Without the SETCLIENTID the number means nothing.
fn callback_40(announce: bool) -> Vec<Vec<u8>> {
    let client = ([10, 1, 0, 3], 802);
    let mut frames = Vec::new();
    if announce {
        let mut c = Conn::open(client, SERVER);
        let call = args(0, 1)
            .u32(35) // OP_SETCLIENTID
            .fixed(&[1; 8]) // client.verifier
            .opaque(b"client-id") // client.id
            .u32(0x4000_0123) // callback.cb_program
            .opaque(b"tcp") // callback.cb_location.na_r_netid
            .opaque(b"10.1.0.3.3.35") // na_r_addr: port 3 * 256 + 35 = 803
            .u32(1) // callback_ident
            .done();
        c.send(true, &call_as(0x10, NFS, 4, NONE, &call));
        let res = results(0, 1)
            .u32(35) // OP_SETCLIENTID
            .u32(0) // status
            .u64(0x1234) // clientid
            .fixed(&[2; 8]) // setclientid_confirm
            .done();
        c.send(false, &reply_as(0x10, false, &res));
        frames.extend(c.frames);
    }
    let mut cb = Conn::open(([10, 1, 0, 2], 40000), ([10, 1, 0, 3], 803));
    let call = X::new()
        .opaque(b"") // tag
        .u32(0) // minorversion
        .u32(1) // callback_ident
        .u32(1) // argarray<> count
        .u32(4) // OP_CB_RECALL
        .u32(1) // stateid.seqid
        .fixed(&[7; 12]) // stateid.other
        .u32(1) // truncate
        .opaque(FILE_FH) // fh
        .done();
    cb.send(true, &call_as(0x20, 0x4000_0123, 1, NONE, &call));
    let res = results(0, 1)
        .u32(4) // OP_CB_RECALL
        .u32(0) // status
        .done();
    cb.send(false, &reply_as(0x20, false, &res));
    frames.extend(cb.frames);
    frames
}

#[test]
fn a_40_callback_connection_is_decoded_by_the_announced_program() {
    let (ex, text) = read("nfs40-callback.pcap", callback_40(true), 65535);
    let e = by_xid(&ex, 0x20);
    assert_eq!(e["program"], 0x4000_0123);
    assert_eq!(e["client"], "10.1.0.2:40000");
    assert_eq!(e["ops"], serde_json::json!(["OP_CB_RECALL"]));
    assert_eq!(e["main_op"], "OP_CB_RECALL");
    assert_eq!(e["body_status"], "NFS4_OK");
    assert_eq!(
        e["args"]["argarray"][0]["opcbrecall"]["fh"]["hash"],
        fh_hash(FILE_FH)
    );
    assert_eq!(e["args"]["argarray"][0]["opcbrecall"]["truncate"], true);
    assert_eq!(per_op(e), pairs(&[("OP_CB_RECALL", "NFS4_OK")]));
    assert!(
        line_of(&text, 0x20, "call").contains("COMPOUND CB_RECALL"),
        "{text:#?}"
    );
    // Unannounced, the same connection is RPC of an unknown program.
    let (ex, _) = read("nfs40-callback-unknown.pcap", callback_40(false), 65535);
    let e = by_xid(&ex, 0x20);
    assert_eq!(e["program"], 0x4000_0123);
    assert_eq!(e["ops"], Value::Null);
    assert_eq!(e["args"], Value::Null);
}

#[test]
fn a_compound_in_a_datagram_cut_by_the_snapshot_length_is_truncated() {
    use common::synth::udp;
    let call = sequence(args(1, 3), 3)
        .u32(22) // OP_PUTFH
        .opaque(FILE_FH) // object
        .u32(25) // OP_READ
        .u32(0) // stateid.seqid
        .fixed(&[0; 12]) // stateid.other
        .u64(0) // offset
        .u32(4096) // count
        .done();
    let res = results(0, 1).u32(22).u32(0).done(); // PUTFH OK
    let frames = vec![
        udp(CLIENT, SERVER, &call_as(7, NFS, 4, NONE, &call)),
        udp(SERVER, CLIENT, &reply_as(7, false, &res)),
    ];
    // Ethernet (14) + IPv4 (20) + UDP (8) + call header (40) + 72 bytes of
    // arguments: SEQUENCE ends at 48, PUTFH at 72, READ's number fits.
    let (ex, text) = read("nfs41-udp-snaplen.pcap", frames, 14 + 20 + 8 + 40 + 76);
    let e = by_xid(&ex, 7);
    assert_eq!(e["truncated"], true);
    assert_eq!(
        e["ops"],
        serde_json::json!(["OP_SEQUENCE", "OP_PUTFH", "OP_READ"])
    );
    assert_eq!(e["main_op"], "OP_READ");
    assert_eq!(e["body_error"]["part"], "args");
    assert_eq!(e["body_error"]["kind"], "truncated");
    assert_eq!(
        e["args"]["argarray"][1]["opputfh"]["object"]["hash"],
        fh_hash(FILE_FH)
    );
    assert!(
        line_of(&text, 7, "call").contains("[ops stop at byte 76: truncated]"),
        "{text:#?}"
    );
}
