//! Capture sources: frames from pcap, pcapng and snoop files, gzipped or not.
//!
//! [`CaptureReader`] is the only way frames enter rpcscope from a file. It
//! detects gzip and then the format by content (never by file name), maps
//! a regular uncompressed file into memory (frames borrow the mapping) or
//! reads anything else as a stream (a pipe, standard input, gzip, inflated
//! on its own thread), and lends out one [`Frame`] at a time.
//!
//! Contract:
//! - **Never panics and never allocates without a bound**, whatever the
//!   input: memory is one input buffer (or a few MiB of a mapped file
//!   resident at once, `mapped`), one frame buffer of at most
//!   `Limits::max_frame` bytes, and at most `Limits::max_capture_interfaces`
//!   pcapng interfaces. A length field above the bound is an error.
//! - **Every good frame first**: a capture cut in the middle of a record, or
//!   corrupt at some point, yields every frame before that point, then one
//!   [`CaptureError`] saying what was wrong and at which offset (in the
//!   decompressed data) and after which frame; then `Ok(None)` for ever.
//! - Frame numbers count packet records from 1, as tshark's `frame.number`.
//!
//! Live capture is in `live` and its capture thread in `live_feed` (feature
//! `live`). Not here: link-layer
//! decoding (`net`), and writing files
//! other than the two simple writers in [`writer`] (used by tests, fuzzers
//! and live capture output).

mod error;
pub mod frame;
mod input;
#[cfg(feature = "live")]
pub mod live;
#[cfg(feature = "live")]
pub mod live_feed;
mod mapped;
mod pcap;
mod pcapng;
mod reader;
mod snoop;
pub mod writer;

pub use error::CaptureError;
pub use frame::*;
pub use reader::{CaptureFormat, CaptureReader};
pub use writer::{PcapWriter, PcapngWriter};

#[cfg(test)]
mod tests;
