//! RPCSEC_GSS bodies (RFC 2203 section 5.3.2) through the whole pipeline
//! and the JSON output, with hand-built credentials (no Kerberos needed):
//! integrity-protected arguments and results are unwrapped and decoded,
//! privacy-protected ones are reported encrypted with their length, context
//! control messages are not decoded as the program's, and a wrapper that
//! does not parse is a `body_error` that leaves the exchange reported.

mod common;

use common::synth::{pcap, timed, udp, CLIENT, SERVER};
use common::temp_file;
use rpcscope::rpc::{
    AcceptBody, AuthFlavor, CallHeader, Message, MessageBody, OpaqueAuth, Procedure, Program,
    ReplyHeader, Version, Xid,
};
use serde_json::Value;

/// `rpc_gss_cred_vers_1_t`: version 1, `gss_proc`, seq_num 5, `service`,
/// handle "ctx1".
fn gss_cred(gss_proc: u32, service: u32) -> Vec<u8> {
    let mut v = Vec::new();
    for w in [1, gss_proc, 5, service, 4] {
        v.extend_from_slice(&u32::to_be_bytes(w));
    }
    v.extend_from_slice(b"ctx1");
    v
}

/// A MIC as a verifier would carry it (not checked by anyone here).
const MIC: &[u8] = &[0xaa; 16];

fn gss_call(xid: u32, proc_: u32, cred: &[u8], payload: &[u8]) -> Vec<u8> {
    let m = Message {
        xid: Xid(xid),
        body: MessageBody::Call(CallHeader {
            rpcvers: 2,
            program: Program(100003),
            version: Version(3),
            procedure: Procedure(proc_),
            cred: OpaqueAuth {
                flavor: AuthFlavor::RPCSEC_GSS,
                body: cred,
            },
            verf: OpaqueAuth {
                flavor: AuthFlavor::RPCSEC_GSS,
                body: MIC,
            },
        }),
        payload,
    };
    let mut v = Vec::new();
    m.emit(&mut v);
    v
}

fn gss_reply(xid: u32, payload: &[u8]) -> Vec<u8> {
    let m = Message {
        xid: Xid(xid),
        body: MessageBody::Reply(ReplyHeader::Accepted {
            verf: OpaqueAuth {
                flavor: AuthFlavor::RPCSEC_GSS,
                body: MIC,
            },
            body: AcceptBody::Success,
        }),
        payload,
    };
    let mut v = Vec::new();
    m.emit(&mut v);
    v
}

fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// GETATTR3args: `nfs_fh3 object` (8 bytes of handle).
fn getattr_args() -> Vec<u8> {
    let mut v = words(&[8]); // data<64> length
    v.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]); // handle bytes
    v
}

/// GETATTR3res: NFS3_OK and a fattr3 of a 4096-byte regular file.
fn getattr_res() -> Vec<u8> {
    words(&[
        0, // status NFS3_OK
        1,
        0o644,
        1,
        1000,
        1000, // type NF3REG, mode, nlink, uid, gid
        0,
        4096,
        0,
        4096, // size, used
        0,
        0, // rdev
        0,
        7,
        0,
        42, // fsid, fileid
        1_700_000_000,
        0,
        1_700_000_000,
        0,
        1_700_000_000,
        0, // atime, mtime, ctime
    ])
}

/// `rpc_gss_integ_data`: databody_integ (seq_num 5, `body`), checksum.
fn integ(body: &[u8]) -> Vec<u8> {
    let mut v = words(&[4 + body.len() as u32, 5]);
    v.extend_from_slice(body);
    v.extend_from_slice(&words(&[MIC.len() as u32]));
    v.extend_from_slice(MIC);
    v
}

/// `rpc_gss_priv_data`: 48 bytes of ciphertext.
fn priv_data() -> Vec<u8> {
    let mut v = words(&[48]);
    v.extend_from_slice(&[0x5a; 48]);
    v
}

/// Decodes the frames with `rpcscope read --format json`: exchange objects.
fn read_json(name: &str, frames: Vec<Vec<u8>>) -> Vec<Value> {
    let f = temp_file(name, &pcap(&timed(frames), 65535));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .args(["read", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] != "summary")
        .collect()
}

#[test]
fn integrity_protected_bodies_are_unwrapped_and_decoded() {
    let ex = read_json(
        "gss-integ.pcap",
        vec![
            udp(
                CLIENT,
                SERVER,
                &gss_call(1, 1, &gss_cred(0, 2), &integ(&getattr_args())),
            ),
            udp(SERVER, CLIENT, &gss_reply(1, &integ(&getattr_res()))),
        ],
    );
    assert_eq!(ex.len(), 1);
    let e = &ex[0];
    assert_eq!(e["auth"]["flavor"], "rpcsec_gss");
    assert_eq!(e["auth"]["service"], 2);
    assert_eq!(e["args"]["object"]["hex"], "0102030405060708");
    assert_eq!(
        e["args"]["object"]["hash"],
        format!("{:#010x}", crc32fast::hash(&[1, 2, 3, 4, 5, 6, 7, 8]))
    );
    assert_eq!(e["result"]["status"], "NFS3_OK");
    let attrs = &e["result"]["resok"]["obj_attributes"];
    assert_eq!(attrs["type"], "NF3REG");
    assert_eq!(attrs["size"], 4096);
    assert_eq!(attrs["fileid"], 42);
    assert_eq!(e["body_status"], "NFS3_OK");
    assert_eq!(e["body_error"], Value::Null);
}

#[test]
fn privacy_protected_bodies_are_reported_encrypted() {
    let ex = read_json(
        "gss-priv.pcap",
        vec![
            udp(
                CLIENT,
                SERVER,
                &gss_call(2, 1, &gss_cred(0, 3), &priv_data()),
            ),
            udp(SERVER, CLIENT, &gss_reply(2, &priv_data())),
        ],
    );
    assert_eq!(ex.len(), 1);
    let e = &ex[0];
    assert_eq!(e["args"], Value::Null);
    assert_eq!(e["result"], Value::Null);
    assert_eq!(e["body_status"], Value::Null);
    assert_eq!(
        e["body_error"],
        serde_json::json!({"part": "args", "offset": 4, "kind": "encrypted", "len": 48})
    );
    assert_eq!(e["accept_stat"], "success");
    // The text lines say so too.
    let f = temp_file(
        "gss-text.pcap",
        &pcap(
            &timed(vec![
                udp(
                    CLIENT,
                    SERVER,
                    &gss_call(2, 1, &gss_cred(0, 3), &priv_data()),
                ),
                udp(SERVER, CLIENT, &gss_reply(2, &priv_data())),
            ]),
            65535,
        ),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rpcscope"))
        .arg("read")
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("call nfs v3 GETATTR [encrypted 48 bytes] auth rpcsec_gss"),
        "{text}"
    );
    assert!(
        lines[1].contains("reply nfs v3 GETATTR [encrypted 48 bytes] accepted success"),
        "{text}"
    );
}

#[test]
fn context_control_messages_are_not_decoded_as_the_programs() {
    // RPCSEC_GSS_INIT: NULLPROC carrying a GSS token; the reply carries
    // rpc_gss_init_res. Neither is NFS's void.
    let token = {
        let mut v = words(&[12]);
        v.extend_from_slice(&[0x60; 12]);
        v
    };
    let ex = read_json(
        "gss-init.pcap",
        vec![
            udp(CLIENT, SERVER, &gss_call(3, 0, &gss_cred(1, 1), &token)),
            udp(SERVER, CLIENT, &gss_reply(3, &token)),
        ],
    );
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0]["args"], Value::Null);
    assert_eq!(ex[0]["result"], Value::Null);
    assert_eq!(ex[0]["body_error"], Value::Null);
}

#[test]
fn a_wrapper_that_does_not_parse_is_a_body_error_and_nothing_else_changes() {
    // databody_integ claims 4000 bytes in a 40-byte body; the exchange
    // after it decodes.
    let bad = {
        let mut v = words(&[4000, 5]);
        v.extend_from_slice(&[0; 32]);
        v
    };
    let ex = read_json(
        "gss-bad.pcap",
        vec![
            udp(CLIENT, SERVER, &gss_call(4, 1, &gss_cred(0, 2), &bad)),
            udp(SERVER, CLIENT, &gss_reply(4, &integ(&getattr_res()))),
            udp(
                CLIENT,
                SERVER,
                &gss_call(5, 1, &gss_cred(0, 2), &integ(&getattr_args())),
            ),
            udp(SERVER, CLIENT, &gss_reply(5, &integ(&getattr_res()))),
        ],
    );
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0]["args"], Value::Null);
    assert_eq!(
        ex[0]["body_error"],
        serde_json::json!({"part": "args", "offset": 0, "kind": "malformed", "len": 40})
    );
    // Its reply was fine.
    assert_eq!(ex[0]["result"]["status"], "NFS3_OK");
    assert_eq!(ex[1]["args"]["object"]["hex"], "0102030405060708");
    assert_eq!(ex[1]["body_error"], Value::Null);
}
