//! Output sinks: the pipeline yields events, each format implements [`Sink`].
//!
//! - [`text::TextSink`]: one line per RPC message, in the spirit of tcpdump;
//!   the summary goes to a second writer (stderr).
//! - [`jsonl::JsonLinesSink`]: one JSON object per exchange (the schema in
//!   [`schema`], documented in `docs/json.md`), then a summary object.

pub mod jsonl;
pub mod schema;
pub mod text;

use std::io;

use crate::event::Event;
use crate::pipeline::Summary;

/// A consumer of pipeline events.
pub trait Sink {
    /// The events that follow come from this input (`-` for stdin).
    fn begin_file(&mut self, _file: &str) -> io::Result<()> {
        Ok(())
    }
    /// One event.
    fn event(&mut self, ev: &Event) -> io::Result<()>;
    /// End of all input.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}
