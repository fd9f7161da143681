//! ONC RPC version 2 on the wire (RFC 5531, with XDR from RFC 4506).
//!
//! This layer turns bytes into RPC messages and back, and nothing more:
//!
//! * [`xdr`]: XDR primitives, written once (padding, caps, arrays, optional-data).
//! * [`ids`]: newtypes with names for every open number space.
//! * [`auth`]: `opaque_auth` and the credentials of AUTH_NONE, AUTH_SYS,
//!   AUTH_SHORT, AUTH_DH, RPCSEC_GSS and AUTH_TLS.
//! * [`message`]: whole call and reply headers ([`Message`]), partial headers
//!   from snap-length-truncated captures ([`MessagePrefix`]), and
//!   [`plausible_start`], the test used to find RPC on any port.
//! * [`record`]: TCP record marking (RFC 5531 section 11) as its own
//!   streaming layer, with gap handling and resynchronisation.
//!
//! It does not decode program bodies (that is `programs`), match calls to
//! replies (`track`) or do I/O of any kind.
//!
//! Contract: every parser takes untrusted bytes and never panics; parsed
//! values borrow the input (zero-copy); every length and count is bounded by
//! [`crate::limits::Limits`] before it is used, so a hostile length yields
//! [`RpcErrorKind::TooLarge`] instead of an allocation. Every wire type has
//! both parse and emit, and the tests check that they are inverses. Memory
//! held by a [`RecordReader`] is bounded by `record_keep + resync_window`
//! (plus a few hundred bytes) whatever the stream contains.

pub mod error;
pub mod ids;
pub mod xdr;

pub use error::{RpcError, RpcErrorKind};
pub use ids::*;
pub mod auth;
pub use auth::{Auth, AuthDh, AuthRole, AuthSys, GssCred, OpaqueAuth};
pub mod call;
pub mod message;
pub mod prefix;
pub mod reply;
pub use call::CallHeader;
pub use message::{Message, MessageBody};
pub use prefix::{
    plausible_start, plausible_within, CallPrefix, MessagePrefix, Plausible, PrefixBody,
    ReplyPrefix,
};
pub use reply::{AcceptBody, RejectBody, ReplyHeader};
pub mod record;
pub use record::{
    encode_record, RecordAssembler, RecordError, RecordEvent, RecordMark, RecordReader,
};
