//! JSON Lines: one object per exchange, unmatched call or orphan reply, one
//! `{"type":"anomaly"}` object per anomaly record, then one
//! `{"type":"summary"}` object.

use std::io::{self, Write};

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
}

impl<W: Write> JsonLinesSink<W> {
    pub fn new(out: W) -> Self {
        JsonLinesSink {
            out,
            file: String::new(),
            counts: None,
        }
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
                serde_json::to_writer(&mut self.out, &ExchangeJson::new(&self.file, &ev.exchange))
                    .map_err(io::Error::from)?;
                self.out.write_all(b"\n")
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
