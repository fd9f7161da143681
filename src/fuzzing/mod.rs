//! Fuzz target bodies, as library code.
//!
//! Each `fuzz/fuzz_targets/<name>.rs` is one line that calls the function of
//! the same name here. Keeping the logic in the library means the same code
//! runs three ways: under libFuzzer (`cargo fuzz run <name>`), as an ordinary
//! test over every committed seed (`tests/fuzz_corpus.rs`, stable Rust, no
//! cargo-fuzz), and from unit tests that pin each bug the fuzzers found.
//!
//! Contract of every target: it takes any bytes and either returns or panics.
//! A panic is a finding: either the code under test panicked, or a property
//! checked here (an `assert!`) failed. Targets never do I/O other than on
//! in-memory buffers, and they bound their own work (frames, records,
//! operations) so that a slow input is a finding about the library, not
//! about the harness.
//!
//! | target | drives | property |
//! |---|---|---|
//! | [`rpc_message`] | `Message::parse`, `parse_prefix`, `plausible_start`, `decode_cred` | parsed messages emit and re-parse equal; a whole parse and a prefix parse agree |
//! | [`xdr_roundtrip`] | `Arbitrary` calls (every [`crate::rpc::Auth`] flavor) and replies (every state) | emit, parse, equal; credentials decode back |
//! | [`record_stream`] | `encode_record`, `RecordReader` | any segmentation gives exactly the records of a one-shot push |
//! | [`tcp_reassembly`] | `NetDecoder` TCP streams, then `RecordReader` | reorder, duplication, overlap, loss: never a panic, bytes are true to the stream; with nothing lost, the same bytes and records as in order |
//! | [`capture_file`] | `CaptureReader` + `Pipeline` + `PcapngWriter` | never a panic, bounded work; frames survive a pcapng write and re-read; the network layer run apart (stored events) gives the same events |
//! | [`program_bodies`] | every procedure of every built-in program (the real registry, types and roles): walker, JSON, values, facts, summary, tree; XDR reader primitives | never a panic; the [`fuzz_walk`] properties on real types; facts inside the body, statistics see the full walk's status |
//! | [`differential`] | client-side encoding, the server's `Service`, synthetic pcap, `Pipeline` | the analyzer reports exactly the exchanges that were sent and answered |
//! | [`server_service`] | operation lists into the server's `Service` and `RecordAssembler` | every reply parses with the call's xid and the right state for the obvious cases; state within its limits |
//! | [`body_walk`] ([`fuzz_walk`]) | the body engine: `walk`, the JSON writer, `decode`/`encode`/`from_json` on hand-built and random schemas | bounded events, offsets within the body, skipping consumes the same bytes, valid JSON always, decode -> encode stable |
//! | [`nfs4_compound`] | NFSv4 and callback compounds: `walk_compound`, summaries, attributes by name through JSON and back, the tracker (paths, callback numbers) and the JSON, text and stats sinks | at most the bound of operations, stops inside the body, a valid compound decodes whole, JSON -> value -> XDR -> JSON is stable, valid JSON lines |
//! | [`idl_parse`] ([`fuzz_idl`]) | the `.x` parser (`programs::idl`), with includes | never a panic; a schema it returns passes `idl::invariants::check`; errors point at a real place; deterministic |
//!
//! Seeds live in `fuzz/corpus/<target>/`; [`seeds`] builds the hand-made ones.

use crate::limits::Limits;

pub mod bodies;
mod capture;
mod differential;
mod idl;
mod message;
pub mod nfs4;
mod record;
pub mod seeds;
pub mod server;
mod tcp;
pub mod walk;

pub use bodies::program_bodies;
pub use capture::capture_file;
pub use differential::differential;
pub use idl::fuzz_idl;
/// The `idl_parse` target: [`fuzz_idl`].
pub use idl::fuzz_idl as idl_parse;
pub use message::{rpc_message, xdr_roundtrip};
pub use nfs4::nfs4_compound;
pub use record::record_stream;
pub use server::{server_limits, server_service};
pub use tcp::tcp_reassembly;
pub use walk::fuzz_walk;
/// The `body_walk` target: [`fuzz_walk`].
pub use walk::fuzz_walk as body_walk;

/// A fuzz target body: any bytes in, a panic on a finding.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and its
/// `fuzz/corpus/<name>/` directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("rpc_message", rpc_message),
    ("xdr_roundtrip", xdr_roundtrip),
    ("record_stream", record_stream),
    ("tcp_reassembly", tcp_reassembly),
    ("capture_file", capture_file),
    ("program_bodies", program_bodies),
    ("differential", differential),
    ("server_service", server_service),
    ("idl_parse", idl_parse),
    ("body_walk", body_walk),
    ("nfs4_compound", nfs4_compound),
];

/// Small bounds, so that a fuzzer hits every cap within a few kilobytes of
/// input and memory stays small enough for many executions per second.
pub fn small_limits() -> Limits {
    Limits {
        max_frame: 64 * 1024,
        max_ip_reassemblies: 8,
        max_ip_fragments: 16,
        max_tcp_streams: 16,
        max_tcp_ooo_bytes: 64 * 1024,
        max_tcp_ooo_segments: 256,
        max_record: 64 * 1024,
        record_keep: 2048,
        max_record_fragments: 64,
        resync_window: 8 * 1024,
        max_pending_calls: 64,
        max_answered: 64,
        max_rpc_flows: 16,
        max_capture_interfaces: 8,
        ..Limits::default()
    }
}

/// A front-to-back reader of fuzzer bytes for the targets whose input has a
/// hand-written layout (so seeds can be built by [`seeds`]). Reads past the
/// end give zeros and empty slices, like `arbitrary::Unstructured`.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }
    /// One byte, 0 when exhausted.
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    /// A big-endian `u16` (missing bytes are zeros).
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    /// A big-endian `u32` (missing bytes are zeros).
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    /// Up to `n` bytes.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.data.len())
    }
    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

#[cfg(test)]
mod tests;
