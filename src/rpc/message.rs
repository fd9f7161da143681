//! One RPC message (`struct rpc_msg`, RFC 5531 section 9): a call or a reply,
//! whole, as found in a UDP datagram or a TCP record with its mark removed.
//!
//! [`Message::parse`] reads the header and leaves the procedure arguments or
//! results, undecoded, in [`Message::payload`]. [`Message::emit`] writes the
//! same bytes back. For records cut short by a capture's snap length see
//! [`Message::parse_prefix`]; to find messages on unknown ports see
//! [`super::prefix::plausible_start`].

use super::call::CallHeader;
use super::error::RpcError;
use super::ids::{MsgType, Xid};
use super::reply::ReplyHeader;
use super::xdr::{XdrReader, XdrWriter};
use crate::limits::Limits;

/// `union switch (msg_type mtype)` of `rpc_msg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MessageBody<'a> {
    /// CALL.
    Call(CallHeader<'a>),
    /// REPLY.
    Reply(ReplyHeader<'a>),
}

/// A parsed RPC message, borrowing the buffer it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Message<'a> {
    /// Transaction id.
    pub xid: Xid,
    /// Call or reply header.
    pub body: MessageBody<'a>,
    /// Procedure arguments (call) or results (SUCCESS reply). Any other reply
    /// has an empty payload when well formed; trailing bytes after such a
    /// reply are kept here (so `emit` gives back the input) and are an
    /// anomaly for the caller to report.
    pub payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// Parse a whole message: a UDP datagram or one TCP record.
    pub fn parse(buf: &'a [u8], limits: &Limits) -> Result<Message<'a>, RpcError> {
        let mut r = XdrReader::new(buf);
        let xid = r.enumeration("xid")?;
        let at = r.offset();
        let body = match r.enumeration("msg_type")? {
            MsgType::CALL => MessageBody::Call(CallHeader::read(&mut r, limits)?),
            MsgType::REPLY => MessageBody::Reply(ReplyHeader::read(&mut r, limits)?),
            MsgType(v) => return Err(RpcError::invalid("msg_type", at, v)),
        };
        Ok(Message {
            xid,
            body,
            payload: r.rest(),
        })
    }

    /// CALL or REPLY.
    pub fn msg_type(&self) -> MsgType {
        match self.body {
            MessageBody::Call(_) => MsgType::CALL,
            MessageBody::Reply(_) => MsgType::REPLY,
        }
    }

    /// Bytes of the header: where the payload starts.
    pub fn header_len(&self) -> usize {
        8 + match &self.body {
            MessageBody::Call(call) => call.encoded_len(),
            MessageBody::Reply(reply) => reply.encoded_len(),
        }
    }

    /// Append header and payload to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        let mut w = XdrWriter::new(out);
        w.put_enum(self.xid.0).put_enum(self.msg_type());
        match &self.body {
            MessageBody::Call(call) => call.emit(&mut w),
            MessageBody::Reply(reply) => reply.emit(&mut w),
        }
        out.extend_from_slice(self.payload);
    }

    /// Bytes `emit` appends.
    pub fn encoded_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
pub(crate) mod tests;
