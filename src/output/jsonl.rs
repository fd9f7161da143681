//! JSON Lines: one object per exchange, unmatched call or orphan reply, one
//! `{"type":"anomaly"}` object per anomaly record, then one
//! `{"type":"summary"}` object.

use std::io::{self, Write};
use std::sync::Arc;

use super::bodies::BodyView;
use super::schema::{AnomalyJson, ExchangeJson, SummaryJson};
use super::{CaptureCounts, Sink};
use crate::anomaly::AnomalyRecord;
use crate::event::{Event, ExchangeKind};
use crate::pipeline::Summary;

/// Writes JSON Lines to `W`.
pub struct JsonLinesSink<W: Write> {
    out: W,
    file: String,
    counts: Option<CaptureCounts>,
    bodies: BodyView,
    /// The object being written (reused).
    line: Vec<u8>,
    /// An NFSv4 compound's operation names (reused).
    ops: Vec<u8>,
    main_op: Vec<u8>,
}

impl<W: Write> JsonLinesSink<W> {
    /// A sink naming programs and decoding bodies as `bodies` says.
    pub fn new(out: W, bodies: BodyView) -> Self {
        JsonLinesSink {
            out,
            file: String::new(),
            counts: None,
            bodies,
            line: Vec::with_capacity(1024),
            ops: Vec::new(),
            main_op: Vec::new(),
        }
    }

    /// The writer (the JSON render pool collects a chunk's lines in it).
    pub fn out_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// A sink with the built-in programs and default body options.
    pub fn with_defaults(out: W) -> Self {
        Self::new(
            out,
            BodyView::new(
                crate::programs::registry::Registry::builtin(),
                &crate::limits::Limits::default(),
                false,
            ),
        )
    }

    /// The registry names come from.
    pub fn registry(&self) -> &Arc<crate::programs::registry::Registry> {
        self.bodies.registry()
    }
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Sink for JsonLinesSink<W> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.file.clear();
        self.file.push_str(file);
        Ok(())
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev.kind {
            // JSON reports an exchange once, when it is complete (or known
            // never to complete).
            ExchangeKind::CallSeen | ExchangeKind::Retransmitted => Ok(()),
            ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan => {
                self.line.clear();
                let ex = &ev.exchange;
                let registry = self.bodies.registry().clone();
                let mut j = ExchangeJson::new(&self.file, ex, &registry);
                j.body_status = BodyView::status_name(&registry, ex);
                j.path = ex.facts.path.as_deref();
                self.ops.clear();
                self.main_op.clear();
                if self.bodies.render_ops(ex, &mut self.ops, &mut self.main_op) {
                    j.ops = Some(&self.ops);
                    j.main_op = (!self.main_op.is_empty()).then_some(&self.main_op[..]);
                }
                let rendered = self.bodies.render_json(ex);
                j.args = rendered.args;
                j.result = rendered.result;
                j.body_error = rendered.error;
                j.write(&mut self.line);
                self.line.push(b'\n');
                self.out.write_all(&self.line)
            }
        }
    }

    fn anomaly(&mut self, a: &AnomalyRecord) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &AnomalyJson::new(&self.file, a))
            .map_err(io::Error::from)?;
        self.out.write_all(b"\n")
    }

    fn capture_counts(&mut self, c: &CaptureCounts) -> io::Result<()> {
        self.counts = Some(*c);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        let c = self.counts;
        let j = SummaryJson {
            kind: "summary",
            files: s.files,
            files_failed: s.files_failed,
            frames: s.frames,
            track: &s.track,
            anomalies: &s.anomalies,
            anomalies_suppressed: &s.anomalies,
            packets_received: c.map(|c| c.received),
            packets_dropped: c.map(|c| c.dropped),
            packets_if_dropped: c.map(|c| c.if_dropped),
        };
        serde_json::to_writer(&mut self.out, &j).map_err(io::Error::from)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}
