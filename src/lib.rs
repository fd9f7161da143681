//! rpcscope: an ONC RPC protocol analyzer.
//!
//! Data flows one way through sans-IO layers:
//!
//! ```text
//! capture (files, live)  ->  net (link, IP + defrag, UDP, TCP streams)
//!     ->  rpc (record marking, messages)  ->  track (XID matching)
//!     ->  events  ->  filter  ->  output sinks (text, JSON Lines, stats)
//! ```
//!
//! Beside the decoder: [`server`] is a reference ONC RPC server (a sans-IO
//! `Service` answering decoded calls, with thin TCP/UDP loops), [`client`]
//! the `rpcscope call` traffic generator, [`filter`] the exchange filters of
//! `read`/`stats`/`live`, [`sandbox`] the privilege drop and seccomp filter
//! the app layer applies once setup is over (docs/security.md), and
//! `fuzzing` (feature `arbitrary`) the bodies of the cargo-fuzz targets in
//! `fuzz/`, reusing the same codecs.
//!
//! Only `capture`, `app`, `sandbox`, the server's and client's socket loops
//! (and the binary) do I/O; every other layer takes bytes and capture timestamps in
//! and hands events out.
//!
//! Decoding a capture held in memory:
//!
//! ```
//! use rpcscope::capture::{CaptureReader, LinkType, PcapWriter, Timestamp};
//! use rpcscope::limits::Limits;
//! use rpcscope::pipeline::Pipeline;
//!
//! // A UDP datagram carrying a portmap NULL call (xid 0x1234, AUTH_NONE),
//! // in a raw-IPv4 pcap file.
//! let call: [u8; 40] = [
//!     0x00, 0x00, 0x12, 0x34, // xid
//!     0, 0, 0, 0,  0, 0, 0, 2, // CALL, rpcvers 2
//!     0x00, 0x01, 0x86, 0xa0,  0, 0, 0, 2,  0, 0, 0, 0, // portmapper v2 NULL
//!     0, 0, 0, 0,  0, 0, 0, 0, // cred AUTH_NONE, length 0
//!     0, 0, 0, 0,  0, 0, 0, 0, // verf AUTH_NONE, length 0
//! ];
//! let mut packet = Vec::new();
//! etherparse::PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
//!     .udp(700, 111)
//!     .write(&mut packet, &call)
//!     .unwrap();
//! let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 65535).unwrap();
//! w.write_frame(Timestamp(0), &packet, packet.len() as u32).unwrap();
//! let file = w.into_inner();
//!
//! let limits = Limits::default();
//! let mut reader = CaptureReader::from_reader(Box::new(std::io::Cursor::new(file)), &limits).unwrap();
//! let mut pipeline = Pipeline::new(&limits);
//! let mut events = Vec::new();
//! while let Some(frame) = reader.next_frame().unwrap() {
//!     pipeline.handle_frame(&frame, &mut |ev| events.push(ev.into_owned()));
//! }
//! pipeline.finish(&mut |ev| events.push(ev.into_owned()));
//! let call = events[0].exchange.call.unwrap();
//! assert_eq!((events[0].exchange.xid, call.program, call.procedure), (0x1234, Some(100000), Some(0)));
//! ```
// No unsafe code, except one reviewed exception: `capture::mapped` maps
// capture files into memory (`memmap2`, whose mapping call is `unsafe`);
// it allows `unsafe_code` on its two calls, with the reasoning in its docs.
// `deny` (not `forbid`) is what lets that one module opt out.
#![deny(unsafe_code)]

pub mod anomaly;
pub mod app;
pub mod capture;
pub mod cli;
pub mod client;
pub mod event;
pub mod filter;
#[cfg(feature = "arbitrary")]
pub mod fuzzing;
pub mod hash;
pub mod limits;
pub mod net;
pub mod output;
pub mod pipeline;
/// Test prerequisites (root, tools, `../shared`): the integration tests' helper.
#[cfg(test)]
#[path = "../tests/common/prereq.rs"]
pub(crate) mod prereq;
pub mod programs;
pub mod rpc;
pub mod sandbox;
pub mod server;
pub mod stats;
pub mod track;
