//! rpcscope: an ONC RPC protocol analyzer.
//!
//! Data flows one way through sans-IO layers:
//!
//! ```text
//! capture (files, live)  ->  net (link, IP + defrag, UDP, TCP streams)
//!     ->  rpc (record marking, messages)  ->  track (XID matching)
//!     ->  events  ->  output sinks (text, JSON Lines)
//! ```
//!
//! Only `capture` and the binary do I/O; every other layer takes bytes and
//! capture timestamps in and hands events out.
#![forbid(unsafe_code)]

pub mod capture;
pub mod limits;
pub mod net;
pub mod programs;
pub mod rpc;
pub mod anomaly;
pub mod event;
pub mod track;
