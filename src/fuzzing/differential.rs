//! [`differential`]: what a client sent and the reference server answered,
//! written as a capture, must be what the analyzer reports.
//!
//! The client side is [`encode_call`] (an `Arbitrary` call through
//! `Auth::to_opaque` and `Message::emit`, the codec `client::wire::build_call`
//! uses, with any credential flavor). The server side is the real sans-IO
//! [`Service`] (portmapper and `rpcscope_test`, one instance for the whole
//! input, so state carries from call to call): [`answer`] hands it the call
//! and returns the reply it writes. A SLEEP reply is written at once, right
//! after its call (the delay is the I/O loop's business and the capture has
//! no clock to honour); a call the service does not answer (a failed
//! indirect CALLIT/BCAST, garbage) is a silent call and must come out
//! unmatched.

use std::io::Cursor;
use std::net::SocketAddr;

use arbitrary::{Arbitrary, Unstructured};

use super::tcp::Endpoints;
use crate::capture::{CaptureReader, LinkType, PcapWriter, Timestamp};
use crate::event::{AuthSummary, Event, ExchangeKind, ReplyStatus};
use crate::limits::Limits;
use crate::net::Transport;
use crate::pipeline::Pipeline;
use crate::rpc::{
    Auth, CallHeader, Message, MessageBody, OpaqueAuth, Procedure, Program, ReplyHeader, Version,
    Xid,
};
use crate::server::{CallCtx, Disposition, Service};

/// Exchanges per input, at most.
const MAX_EXCHANGES: usize = 24;
/// Argument and result bytes per message, at most.
const MAX_BODY: usize = 600;

/// One call as a client would make it.
#[derive(Debug, Arbitrary)]
pub struct Call<'a> {
    /// The remote program.
    pub program: Program,
    /// Its version.
    pub version: Version,
    /// The procedure.
    pub procedure: Procedure,
    /// The credential.
    pub cred: Auth<'a>,
    /// Encoded arguments.
    pub args: &'a [u8],
}

#[derive(Debug, Arbitrary)]
struct Exchange<'a> {
    call: Call<'a>,
    /// Aim at a served program: 1 the portmapper (versions 2-4, its
    /// procedures and one past), 2 `rpcscope_test` v1 (procedures 0-9);
    /// anything else leaves the call as generated.
    aim: u8,
    udp: bool,
}

#[derive(Debug, Arbitrary)]
struct Case<'a> {
    v6: bool,
    isn: [u32; 2],
    /// TCP payload bytes per segment, cycled (0 means 1).
    segments: Vec<u8>,
    exchanges: Vec<Exchange<'a>>,
}

/// The client side: encode `call` with `xid`. `None` when a client must
/// refuse to send it (a credential over the sender's bounds).
pub fn encode_call(xid: u32, call: &Call<'_>, limits: &Limits) -> Option<Vec<u8>> {
    let mut cred_buf = Vec::new();
    let cred = call.cred.to_opaque(&mut cred_buf, limits).ok()?;
    let args = &call.args[..call.args.len().min(MAX_BODY)];
    let msg = Message {
        xid: Xid(xid),
        body: MessageBody::Call(CallHeader {
            rpcvers: CallHeader::RPC_VERSION,
            program: call.program,
            version: call.version,
            procedure: call.procedure,
            cred,
            verf: OpaqueAuth::NONE,
        }),
        payload: args,
    };
    let mut out = Vec::new();
    msg.emit(&mut out);
    Some(out)
}

/// The server side: the reply `service` writes for `call`, or `None` when
/// it sends nothing. A SLEEP delay is ignored (answered at once).
pub fn answer(service: &mut Service, call: &[u8], ctx: &CallCtx) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match service.handle(call, ctx, &mut out) {
        Disposition::Reply { .. } => Some(out),
        Disposition::NoReply | Disposition::Garbage(_) | Disposition::Refused(_) => None,
    }
}

/// What the analyzer must report for one exchange.
struct Expect {
    transport: Transport,
    xid: u32,
    call_len: u64,
    reply: Option<(ReplyStatus, u64)>,
}

/// `Arbitrary` calls, encoded by the client side, answered by the server's
/// `Service`, written as one pcap (Ethernet; UDP datagrams and one TCP
/// connection with SYNs, cut into arbitrary segment sizes; IPv4 or IPv6) and
/// decoded by `Pipeline`: each answered call must come out as one `Complete`
/// exchange with the program, version, procedure, credential, lengths and
/// reply status that were sent, each silent call as one `Unmatched`, and
/// nothing else.
pub fn differential(data: &[u8]) {
    let u = Unstructured::new(data);
    let Ok(case) = Case::arbitrary_take_rest(u) else {
        return;
    };
    let limits = Limits::default();
    // The server listens where a real one would, on the portmapper's port:
    // on a port not known as RPC the analyzer does not take a call to
    // program 0 for RPC (it is never assigned), and arbitrary calls use it.
    let ends = Endpoints {
        v6: case.v6,
        client: 800,
        server: 111,
    };
    let mut service = Service::new(&limits, true);
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 262_144).expect("pcap header");
    let mut ts = 1_700_000_000_000_000_000i64;
    let mut write = |w: &mut PcapWriter<Vec<u8>>, f: Vec<u8>| {
        ts += 1000;
        w.write_frame(Timestamp(ts), &f, f.len() as u32)
            .expect("pcap frame");
    };
    let mut seq = [case.isn[0], case.isn[1]];
    let mut tcp_open = false;
    let mut cut = 0usize;
    let mut expect: Vec<(Expect, &Call<'_>)> = Vec::new();
    let mut case = case;
    for ex in &mut case.exchanges {
        let c = &mut ex.call;
        match ex.aim % 4 {
            1 => {
                c.program = Program(crate::server::PORTMAP);
                c.version = Version(2 + c.version.0 % 3);
                c.procedure = Procedure(c.procedure.0 % 14);
            }
            2 => {
                c.program = Program(crate::server::testprog::PROGRAM);
                c.version = Version(crate::server::testprog::VERSION);
                c.procedure = Procedure(c.procedure.0 % 10);
            }
            _ => {}
        }
    }
    for (i, ex) in case.exchanges.iter().take(MAX_EXCHANGES).enumerate() {
        let xid = 0x1000_0000 + i as u32;
        let Some(call) = encode_call(xid, &ex.call, &limits) else {
            continue;
        };
        let transport = if ex.udp {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        let (client, server) = ends.addrs();
        let ctx = CallCtx {
            transport: if ex.udp {
                crate::server::Transport::Udp
            } else {
                crate::server::Transport::Tcp
            },
            peer: SocketAddr::new(client, ends.client),
            local: SocketAddr::new(server, ends.server),
            now_unix: 1_700_000_000,
        };
        let reply = answer(&mut service, &call, &ctx);
        if ex.udp {
            write(&mut w, ends.udp(false, &call));
            if let Some(r) = &reply {
                write(&mut w, ends.udp(true, r));
            }
        } else {
            if !tcp_open {
                write(&mut w, ends.tcp(false, seq[0], true, false, &[]));
                write(&mut w, ends.tcp(true, seq[1], true, false, &[]));
                seq = [seq[0].wrapping_add(1), seq[1].wrapping_add(1)];
                tcp_open = true;
            }
            let mut msgs = vec![(false, &call)];
            if let Some(r) = &reply {
                msgs.push((true, r));
            }
            for (rev, m) in msgs {
                let mut rec = Vec::new();
                crate::rpc::encode_record(m, MAX_BODY / 2, &mut rec);
                let mut at = 0;
                while at < rec.len() {
                    let n = case
                        .segments
                        .get(cut % case.segments.len().max(1))
                        .map_or(rec.len(), |&n| usize::from(n).max(1));
                    cut += 1;
                    let end = (at + n).min(rec.len());
                    let s = &mut seq[rev as usize];
                    write(&mut w, ends.tcp(rev, *s, false, false, &rec[at..end]));
                    *s = s.wrapping_add((end - at) as u32);
                    at = end;
                }
            }
        }
        let reply = reply.map(|r| {
            let m = Message::parse(&r, &limits).expect("the server's reply parses");
            assert_eq!(m.xid.0, xid, "the server's reply xid");
            let MessageBody::Reply(h) = m.body else {
                panic!("the server answered with a call")
            };
            let status = match h {
                ReplyHeader::Accepted { body, .. } => ReplyStatus::Accepted(body),
                ReplyHeader::Denied(d) => ReplyStatus::Denied(d),
            };
            (status, r.len() as u64)
        });
        let e = Expect {
            transport,
            xid,
            call_len: call.len() as u64,
            reply,
        };
        expect.push((e, &ex.call));
    }
    let file = w.into_inner();

    let mut reader = CaptureReader::from_reader(Box::new(Cursor::new(file)), &limits)
        .expect("our own pcap opens");
    let mut pipeline = Pipeline::new(&limits);
    let mut events: Vec<Event> = Vec::new();
    let mut keep = |ev: Event| {
        if matches!(
            ev.kind,
            ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan
        ) {
            events.push(ev.into_owned());
        }
    };
    while let Some(frame) = reader.next_frame().expect("our own pcap reads") {
        pipeline.handle_frame(&frame, &mut keep);
    }
    pipeline.finish(&mut keep);

    events.sort_by_key(|e| e.exchange.xid);
    assert_eq!(
        events.len(),
        expect.len(),
        "exchanges reported: {:#?}",
        events
            .iter()
            .map(|e| (e.kind, e.exchange.xid))
            .collect::<Vec<_>>()
    );
    for (ev, (want, call)) in events.iter().zip(&expect) {
        let ex = &ev.exchange;
        assert_eq!((ex.xid, ex.transport), (want.xid, want.transport));
        let rec = ex.call.expect("the call was seen");
        assert_eq!(
            (rec.rpcvers, rec.program, rec.version, rec.procedure),
            (
                2,
                Some(call.program.0),
                Some(call.version.0),
                Some(call.procedure.0)
            )
        );
        assert_eq!(rec.meta.bytes, want.call_len);
        assert!(!rec.meta.truncated && !rec.meta.gap);
        let auth = rec.auth.expect("credential summarised");
        assert!(
            summary_matches(&call.cred, &auth),
            "{:?} summarised as {auth:?}",
            call.cred
        );
        assert!(!ex.is_retransmission() && !ex.duplicate_reply);
        match (&want.reply, ex.reply) {
            (Some((status, len)), Some(got)) => {
                assert_eq!(ev.kind, ExchangeKind::Complete);
                assert_eq!(got.status, *status);
                assert_eq!(got.meta.bytes, *len);
                assert!(got.meta.ts >= rec.meta.ts);
            }
            (None, None) => assert_eq!(ev.kind, ExchangeKind::Unmatched),
            (w, g) => panic!("xid {:#x}: expected reply {w:?}, got {g:?}", want.xid),
        }
    }
    assert_eq!(pipeline.track_stats().orphan_replies, 0);
}

/// The analyzer's credential summary agrees with the credential sent. A
/// generated value that is not canonical (say `Other` with flavor AUTH_NONE)
/// is compared as what its encoding decodes to.
fn summary_matches(sent: &Auth<'_>, got: &AuthSummary) -> bool {
    if !super::message::canonical(sent) {
        let mut body = Vec::new();
        let lax = Limits {
            max_auth_sys_gids: u32::MAX,
            ..Limits::default()
        };
        if sent.emit_body(&mut body, &lax).is_err() {
            return false;
        }
        let wire = OpaqueAuth {
            flavor: sent.flavor(),
            body: &body,
        };
        return match wire.decode_cred() {
            Ok(decoded) => summary_matches(&decoded, got),
            Err(_) => matches!(got, AuthSummary::Other { flavor, .. } if *flavor == sent.flavor()),
        };
    }
    match (sent, got) {
        (Auth::None, AuthSummary::None) | (Auth::Tls, AuthSummary::Tls) => true,
        (
            Auth::Sys(s),
            AuthSummary::Sys {
                stamp,
                uid,
                gid,
                gids,
                gids_len,
                machine_name,
            },
        ) => {
            let n = s.machine_name.len().min(machine_name.as_bytes().len());
            (s.stamp, s.uid, s.gid, s.gids().len() as u32) == (*stamp, *uid, *gid, *gids_len)
                && s.gids().zip(gids.iter()).all(|(a, b)| a == *b)
                && machine_name.as_bytes() == &s.machine_name[..n]
        }
        (Auth::Short(b), AuthSummary::Short { len }) => b.len() as u32 == *len,
        (Auth::Dh(_), AuthSummary::Dh { .. }) => true,
        (
            Auth::Gss(g),
            AuthSummary::Gss {
                version,
                seq_num,
                gss_proc,
                service,
                ..
            },
        ) => {
            (g.version, g.seq_num, g.gss_proc.0, g.service.0)
                == (*version, *seq_num, *gss_proc, *service)
        }
        (Auth::Other { flavor: f, .. }, AuthSummary::Other { flavor, .. }) => f == flavor,
        _ => false,
    }
}
