//! Message-level targets: raw bytes into the parser ([`rpc_message`]) and
//! generated messages through emit and parse ([`xdr_roundtrip`]).

use arbitrary::{Arbitrary, Unstructured};

use crate::limits::Limits;
use crate::rpc::xdr::XdrReader;
use crate::rpc::{
    plausible_start, Auth, AuthFlavor, CallHeader, Message, MessageBody, OpaqueAuth, Plausible,
    PrefixBody, Procedure, Program, ReplyHeader, RpcErrorKind, Version, Xid,
};

/// Arbitrary bytes as one message (a UDP datagram or one TCP record).
///
/// Whatever parses must emit `encoded_len` bytes that re-parse equal (and,
/// when the padding was zero, the very same bytes); `parse_prefix` must see
/// a complete header with the same xid and type; a credential that decodes
/// must re-encode to the body it came from.
pub fn rpc_message(data: &[u8]) {
    let limits = Limits::default();
    let _ = plausible_start(data, &limits);
    let prefix = Message::parse_prefix(data, &limits);
    let Ok(msg) = Message::parse(data, &limits) else {
        return;
    };
    let mut out = Vec::new();
    msg.emit(&mut out);
    assert_eq!(out.len(), msg.encoded_len());
    assert_eq!(out.len(), data.len(), "emit changed the length");
    assert_eq!(Message::parse(&out, &limits).as_ref(), Ok(&msg));
    // Lenient parsing accepts non-zero padding and emits zeros; a strict
    // parse of the input is the byte-exact case.
    let strict = XdrReader::new(data).strict();
    if strict_parses(strict, &limits) {
        assert_eq!(
            out, data,
            "strictly valid message not re-emitted byte for byte"
        );
    }
    let prefix = prefix.expect("parse_prefix failed where parse succeeded");
    assert!(prefix.complete, "prefix of a whole message not complete");
    assert_eq!((prefix.xid, prefix.msg_type()), (msg.xid, msg.msg_type()));
    assert_eq!(prefix.len, msg.header_len());
    if let MessageBody::Call(call) = msg.body {
        if let PrefixBody::Call(c) = prefix.body {
            assert_eq!(c.cred, Some(call.cred));
            assert_eq!(c.verf, Some(call.verf));
        }
        let sys_ok = call.cred.flavor != AuthFlavor::SYS || call.cred.decode_cred().is_ok();
        if call.rpcvers == CallHeader::RPC_VERSION && sys_ok {
            assert_ne!(plausible_start(data, &limits), Plausible::No, "{msg:?}");
        }
        check_cred(&call.cred, &limits);
    }
}

/// Re-read with strict padding: true when every padding byte was zero.
fn strict_parses(mut r: XdrReader<'_>, limits: &Limits) -> bool {
    let Ok(_xid) = r.u32("xid") else { return false };
    match r.u32("msg_type") {
        Ok(0) => CallHeader::read(&mut r, limits).is_ok(),
        Ok(1) => ReplyHeader::read(&mut r, limits).is_ok(),
        _ => false,
    }
}

/// A credential that decodes re-encodes (within the sender's bounds) to the
/// same body, and decodes again to the same value.
fn check_cred(cred: &OpaqueAuth<'_>, limits: &Limits) {
    let Ok(auth) = cred.decode_cred() else { return };
    assert_eq!(auth.flavor(), cred.flavor);
    let lax = Limits {
        // Parsing accepts more gids than a sender may emit (see auth.rs).
        max_auth_sys_gids: u32::MAX,
        ..limits.clone()
    };
    let mut buf = Vec::new();
    let again = auth
        .to_opaque(&mut buf, &lax)
        .expect("decoded credential did not encode");
    assert_eq!(again.decode_cred().as_ref(), Ok(&auth));
}

/// What [`xdr_roundtrip`] generates: calls with a decoded credential of any
/// flavor, replies in any state, and whole messages with raw auth bodies.
#[derive(Debug, Arbitrary)]
enum Case<'a> {
    Call {
        xid: Xid,
        rpcvers: u32,
        program: Program,
        version: Version,
        procedure: Procedure,
        cred: Auth<'a>,
        verf: OpaqueAuth<'a>,
        payload: &'a [u8],
    },
    Reply {
        xid: Xid,
        header: ReplyHeader<'a>,
        payload: &'a [u8],
    },
    Raw(Message<'a>),
}

/// `Arbitrary` calls and replies: emit, parse, equal.
///
/// Every `Auth` variant is generated and encoded with `Auth::to_opaque`
/// (which enforces the sender's bounds); every reply arm comes from the
/// derived `ReplyHeader`. A message whose auth bodies fit `max_auth_bytes`
/// must parse back equal, and its credential decode to what was encoded;
/// a larger body must be refused as `TooLarge`, never accepted or panicked on.
pub fn xdr_roundtrip(data: &[u8]) {
    let u = Unstructured::new(data);
    let Ok(case) = Case::arbitrary_take_rest(u) else {
        return;
    };
    let limits = Limits::default();
    let mut cred_buf = Vec::new();
    let (msg, auth) = match case {
        Case::Call {
            xid,
            rpcvers,
            program,
            version,
            procedure,
            cred,
            verf,
            payload,
        } => {
            let Ok(opaque) = cred.to_opaque(&mut cred_buf, &limits) else {
                return;
            };
            let header = CallHeader {
                rpcvers,
                program,
                version,
                procedure,
                cred: opaque,
                verf,
            };
            let msg = Message {
                xid,
                body: MessageBody::Call(header),
                payload,
            };
            (msg, Some(cred))
        }
        Case::Reply {
            xid,
            header,
            payload,
        } => (
            Message {
                xid,
                body: MessageBody::Reply(header),
                payload,
            },
            None,
        ),
        Case::Raw(msg) => (msg, None),
    };
    let mut wire = Vec::new();
    msg.emit(&mut wire);
    assert_eq!(wire.len(), msg.encoded_len());
    let fits = |a: &OpaqueAuth<'_>| a.body.len() <= limits.max_auth_bytes as usize;
    let all_fit = match &msg.body {
        MessageBody::Call(c) => fits(&c.cred) && fits(&c.verf),
        MessageBody::Reply(ReplyHeader::Accepted { verf, .. }) => fits(verf),
        MessageBody::Reply(ReplyHeader::Denied(_)) => true,
    };
    let parsed = Message::parse(&wire, &limits);
    if !all_fit {
        let err = parsed.expect_err("auth body over max_auth_bytes accepted");
        assert!(
            matches!(err.kind, RpcErrorKind::TooLarge { max: 400, .. }),
            "oversized auth body: {err}"
        );
        return;
    }
    let parsed = parsed.unwrap_or_else(|e| panic!("emitted message did not parse: {e}\n{msg:?}"));
    assert_eq!(parsed, msg);
    // The prefix parser agrees on the header length.
    let prefix = Message::parse_prefix(&wire, &limits).expect("prefix");
    assert!(prefix.complete);
    assert_eq!(prefix.len, msg.header_len());
    if let (Some(auth), MessageBody::Call(call)) = (auth, parsed.body) {
        check_decoded(&auth, &call.cred);
    }
}

/// The credential read back from the wire is the one encoded, except where
/// the generated value is not canonical: an `Other` whose flavor we decode,
/// or an RPCSEC_GSS version we do not.
fn check_decoded(sent: &Auth<'_>, wire: &OpaqueAuth<'_>) {
    let decoded = wire.decode_cred();
    if canonical(sent) {
        assert_eq!(decoded.as_ref(), Ok(sent), "credential changed on the wire");
    } else if let Ok(d) = decoded {
        // Whatever it decodes to must encode back to the same body.
        let mut buf = Vec::new();
        let lax = Limits {
            max_auth_sys_gids: u32::MAX,
            ..Limits::default()
        };
        let again = d.to_opaque(&mut buf, &lax).expect("re-encode");
        // Same length; the bytes may differ only in (lax) padding.
        assert_eq!(again.body.len(), wire.body.len());
        assert_eq!(again.decode_cred().as_ref(), Ok(&d));
    }
}

/// True when `decode_cred` of the encoded credential gives it back: not an
/// `Other` whose flavor has its own variant, nor an RPCSEC_GSS version we do
/// not decode.
pub(super) fn canonical(a: &Auth<'_>) -> bool {
    match a {
        Auth::Other { flavor, .. } => !decodes(*flavor),
        Auth::Gss(g) => crate::rpc::auth::GSS_VERSIONS.contains(&g.version),
        _ => true,
    }
}

/// Flavors `decode_cred` gives their own variant.
fn decodes(f: AuthFlavor) -> bool {
    [
        AuthFlavor::NONE,
        AuthFlavor::SYS,
        AuthFlavor::SHORT,
        AuthFlavor::DH,
        AuthFlavor::RPCSEC_GSS,
        AuthFlavor::TLS,
    ]
    .contains(&f)
}
