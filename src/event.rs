//! What the analyzer reports: calls, replies, exchanges and anomalies.
//!
//! The header records ([`CallRec`], [`ReplyRec`]) are owned and compact: a
//! call waits in the tracker's table for its reply, possibly for many frames,
//! so it cannot borrow the frame it came from. They hold no heap allocation
//! (the credential summary is inline and bounded).
//!
//! Program bodies ride beside them as [`Body`] values: borrowed from the
//! record or datagram while the event is handed out (zero-copy), owned only
//! where a call's arguments must wait for the reply (bounded by
//! `Limits::body_keep`). An [`Event`] is therefore valid only during the
//! callback that receives it; [`Event::into_owned`] detaches one for keeping.

use std::borrow::Cow;
use std::sync::Arc;

use crate::capture::Timestamp;
use crate::net::{Endpoint, Transport};
use crate::programs::schema::TypeId;
pub use crate::programs::walk::{BodyBytes, Missing};
use crate::rpc::{AcceptBody, AuthFlavor, RejectBody};

/// Where and when one RPC message was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgMeta {
    /// The frame that completed the message (1-based, per input).
    pub frame: u64,
    /// That frame's capture time.
    pub ts: Timestamp,
    /// The message's length in bytes (the record length on TCP, the
    /// datagram's UDP payload length on UDP), even where not all was captured.
    pub bytes: u64,
    /// The message was cut by the snapshot length: only a prefix was decoded.
    pub truncated: bool,
    /// Some bytes of the message were never captured (TCP gap).
    pub gap: bool,
}

pub use crate::limits::{
    AUTH_GIDS_INLINE, AUTH_HANDLE_INLINE, AUTH_MACHINE_INLINE, MAX_RETRANSMIT_FRAMES,
};

/// A bounded inline byte string (machine names, GSS handles).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InlineBytes<const N: usize> {
    len: u16,
    /// The original length, when longer than `N`.
    full_len: u32,
    buf: [u8; N],
}

impl<const N: usize> InlineBytes<N> {
    /// Copies up to `N` bytes of `src`.
    pub fn new(src: &[u8]) -> Self {
        let n = src.len().min(N);
        let mut buf = [0u8; N];
        buf[..n].copy_from_slice(&src[..n]);
        InlineBytes {
            len: n as u16,
            full_len: src.len().min(u32::MAX as usize) as u32,
            buf,
        }
    }
    /// The kept bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
    /// True when the original was longer than what is kept.
    pub fn is_cut(&self) -> bool {
        self.full_len as usize > self.len as usize
    }
}

impl<const N: usize> std::fmt::Debug for InlineBytes<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// The credential of a call, summarised for output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSummary {
    None,
    Sys {
        stamp: u32,
        machine_name: InlineBytes<AUTH_MACHINE_INLINE>,
        uid: u32,
        gid: u32,
        gids: [u32; AUTH_GIDS_INLINE],
        /// Number of gids on the wire (only the first 16 are kept).
        gids_len: u32,
    },
    Short {
        len: u32,
    },
    Dh {
        nickname: Option<u32>,
        name: InlineBytes<AUTH_MACHINE_INLINE>,
        window: u32,
    },
    Gss {
        version: u32,
        gss_proc: u32,
        seq_num: u32,
        service: u32,
        handle: InlineBytes<AUTH_HANDLE_INLINE>,
    },
    Tls,
    /// Any other flavor, or a body that did not decode: number and length.
    Other {
        flavor: AuthFlavor,
        len: u32,
    },
}

/// A call as the tracker keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallRec {
    pub xid: u32,
    pub rpcvers: u32,
    /// `None` only when a truncated capture cut the header before it.
    pub program: Option<u32>,
    pub version: Option<u32>,
    pub procedure: Option<u32>,
    /// `None` when the credential was not (fully) captured.
    pub auth: Option<AuthSummary>,
    pub meta: MsgMeta,
}

/// What a reply said, as far as it was captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStatus {
    Accepted(AcceptBody),
    Denied(RejectBody),
    /// Accepted, but the accept_stat was not captured.
    AcceptedUnknown,
    /// Denied, but the reject_stat was not captured.
    DeniedUnknown,
    /// Cut before reply_stat.
    Unknown,
}

impl ReplyStatus {
    /// True for an accepted SUCCESS reply.
    pub fn is_success(&self) -> bool {
        matches!(self, ReplyStatus::Accepted(AcceptBody::Success))
    }
}

/// A reply as decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyRec {
    pub xid: u32,
    pub status: ReplyStatus,
    pub meta: MsgMeta,
}

/// The body of a message (procedure arguments of a call, results of a
/// SUCCESS reply), as far as it was captured and kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body<'a> {
    /// The bytes held: a prefix of the body (all of it when `missing` is
    /// [`Missing::None`]).
    pub data: Cow<'a, [u8]>,
    /// The body's length on the wire.
    pub len: u64,
    /// Why `data` is shorter than `len`.
    pub missing: Missing,
}

impl<'a> Body<'a> {
    /// A body of `len` bytes on the wire of which `data` was captured;
    /// `missing` says why the rest is not there (ignored when nothing is
    /// missing).
    pub fn borrowed(data: &'a [u8], len: u64, missing: Missing) -> Self {
        let len = len.max(data.len() as u64);
        let missing = if (data.len() as u64) < len {
            missing
        } else {
            Missing::None
        };
        Body {
            data: Cow::Borrowed(data),
            len,
            missing,
        }
    }

    /// The walker's view of it.
    pub fn bytes(&self) -> BodyBytes<'_> {
        BodyBytes {
            data: &self.data,
            len: self.len,
            missing: self.missing,
        }
    }

    /// A borrowed copy of this body (no bytes copied).
    pub fn borrow(&self) -> Body<'_> {
        Body {
            data: Cow::Borrowed(&self.data),
            len: self.len,
            missing: self.missing,
        }
    }

    /// An owned copy holding at most `keep` bytes; what is cut is
    /// [`Missing::NotKept`].
    pub fn to_kept(&self, keep: usize) -> Body<'static> {
        let n = self.data.len().min(keep);
        let missing = if n < self.data.len() {
            Missing::NotKept
        } else {
            self.missing
        };
        Body {
            data: Cow::Owned(self.data[..n].to_vec()),
            len: self.len,
            missing,
        }
    }

    /// Detaches the body from the buffer it borrows.
    pub fn into_owned(self) -> Body<'static> {
        Body {
            data: Cow::Owned(self.data.into_owned()),
            len: self.len,
            missing: self.missing,
        }
    }
}

/// The status that heads a result (`nfsstat3`, `mountstat3`, `nlm4_stats`,
/// `nfsstat4`...): the status enum's type in the program's schema and the
/// value. Its name comes from the program registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyStatus {
    /// The status enum type, in the schema of the exchange's program.
    pub ty: TypeId,
    /// The value on the wire.
    pub value: i32,
}

/// Which body of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyPart {
    /// The call's arguments.
    Args,
    /// The reply's results.
    Result,
}

impl BodyPart {
    /// The JSON name (`body_error.part`).
    pub fn name(self) -> &'static str {
        match self {
            BodyPart::Args => "args",
            BodyPart::Result => "result",
        }
    }
}

/// Why a body that is on the wire cannot be read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedKind {
    /// RPCSEC_GSS privacy: the body is encrypted.
    Encrypted,
    /// The RPCSEC_GSS wrapper around it does not parse.
    Malformed,
}

impl SealedKind {
    /// The JSON name (`body_error.kind`).
    pub fn name(self) -> &'static str {
        match self {
            SealedKind::Encrypted => "encrypted",
            SealedKind::Malformed => "malformed",
        }
    }
}

/// A body rpcscope cannot decode because of how it is protected
/// (RPCSEC_GSS, see `track::gss`): the exchange carries no body for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    pub part: BodyPart,
    pub kind: SealedKind,
    /// Where in the body the unreadable part starts (after the length of
    /// an encrypted `databody_priv`; 0 for a malformed wrapper).
    pub offset: u64,
    /// Its length: of the encrypted data, or of the whole body.
    pub len: u64,
}

/// What program semantics learned from an exchange's bodies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyFacts {
    /// The status that heads the result, when the program has one.
    pub status: Option<BodyStatus>,
    /// The full path of the object the call acts on, where known.
    pub path: Option<Arc<str>>,
    /// The CRC-32 of the file handle the call acts on (its first handle),
    /// as Wireshark's `nfs.fh.hash`: a name for a file whose path is not
    /// known.
    pub fh_hash: Option<u32>,
    /// An NFSv4 COMPOUND or CB_COMPOUND: its operations and their statuses.
    pub compound: Option<Arc<crate::programs::nfs4::Compound>>,
    /// The program whose definition decoded the bodies, when not the
    /// call's own number: a callback program number a client announced
    /// (decoded as NFSv4's callback program).
    pub decode_as: Option<u32>,
    /// The arguments could not be read (encrypted).
    pub sealed_args: Option<Sealed>,
    /// The results could not be read (encrypted).
    pub sealed_result: Option<Sealed>,
}

impl BodyFacts {
    /// Why the body `part` could not be read, if it could not.
    pub fn sealed(&self, part: BodyPart) -> Option<Sealed> {
        match part {
            BodyPart::Args => self.sealed_args,
            BodyPart::Result => self.sealed_result,
        }
    }
}

/// A call with its reply, or either alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange<'a> {
    pub transport: Transport,
    /// The caller (for NFSv4.1 callbacks, the server is the caller).
    pub client: Endpoint,
    pub server: Endpoint,
    pub xid: u32,
    pub call: Option<CallRec>,
    pub reply: Option<ReplyRec>,
    /// Frames of retransmissions of the call (same XID, same conversation),
    /// at most [`MAX_RETRANSMIT_FRAMES`] kept; `retransmissions` counts all.
    pub retransmit_frames: RetransmitFrames,
    /// The reply answers a call that was already answered (its exchange was
    /// reported before): not counted again in statistics.
    pub duplicate_reply: bool,
    /// The call's arguments, when held.
    pub call_body: Option<Body<'a>>,
    /// The reply's results (SUCCESS replies), when held.
    pub reply_body: Option<Body<'a>>,
    /// What the program's semantics made of the bodies.
    pub facts: BodyFacts,
}

impl Exchange<'_> {
    /// Detaches the exchange from the buffers its bodies borrow.
    pub fn into_owned(self) -> Exchange<'static> {
        Exchange {
            call_body: self.call_body.map(Body::into_owned),
            reply_body: self.reply_body.map(Body::into_owned),
            ..self
        }
    }

    /// A copy of the exchange without its bodies: what is left is copied
    /// or shared (`Arc`), nothing is allocated.
    pub fn without_bodies(&self) -> Exchange<'static> {
        Exchange {
            transport: self.transport,
            client: self.client,
            server: self.server,
            xid: self.xid,
            call: self.call,
            reply: self.reply,
            retransmit_frames: self.retransmit_frames,
            duplicate_reply: self.duplicate_reply,
            call_body: None,
            reply_body: None,
            facts: self.facts.clone(),
        }
    }

    /// Latency from the (first) call to the reply, in nanoseconds.
    pub fn latency_ns(&self) -> Option<u64> {
        Some(self.reply?.meta.ts.nanos_since(self.call?.meta.ts))
    }
    /// True when the call was seen more than once.
    pub fn is_retransmission(&self) -> bool {
        self.retransmit_frames.count > 0
    }
}

/// The frames of a call's retransmissions (bounded, inline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetransmitFrames {
    pub count: u32,
    frames: [u64; MAX_RETRANSMIT_FRAMES],
}

impl RetransmitFrames {
    /// Records one more retransmission.
    pub fn push(&mut self, frame: u64) {
        if (self.count as usize) < MAX_RETRANSMIT_FRAMES {
            self.frames[self.count as usize] = frame;
        }
        self.count = self.count.saturating_add(1);
    }
    /// The kept frames.
    pub fn frames(&self) -> &[u64] {
        &self.frames[..(self.count as usize).min(MAX_RETRANSMIT_FRAMES)]
    }
}

/// Why an exchange is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeKind {
    /// A call was just seen (text output prints a line; JSON waits).
    CallSeen,
    /// A retransmission of a pending call was just seen.
    Retransmitted,
    /// A reply matched its call: the exchange is complete.
    Complete,
    /// A call that never got a reply (end of input, timeout or eviction).
    Unmatched,
    /// A reply with no call.
    Orphan,
}

impl ExchangeKind {
    /// The exchange is reported for the last time (complete, unmatched or
    /// orphan): what JSON, exports and statistics count; a call just seen
    /// or retransmitted is reported again later.
    pub fn is_final(self) -> bool {
        !matches!(self, ExchangeKind::CallSeen | ExchangeKind::Retransmitted)
    }
}

/// One event out of the pipeline. Its bodies may borrow the pipeline's
/// buffers: see [`Event::into_owned`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    pub kind: ExchangeKind,
    /// The frame whose message caused this event (for `Unmatched`, the call's).
    pub frame: u64,
    /// That frame's capture time.
    pub ts: Timestamp,
    pub exchange: Exchange<'a>,
}

impl Event<'_> {
    /// Detaches the event from the buffers its bodies borrow.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            exchange: self.exchange.into_owned(),
            ..self
        }
    }
}
