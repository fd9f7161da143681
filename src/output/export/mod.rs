//! Export for analysis engines: one row per exchange (the same exchanges,
//! in the same order, as the JSON Lines objects) with typed columns
//! ([`columns::COLUMNS`], documented in `docs/export.md`), as CSV
//! ([`csv::CsvWriter`]) or Parquet files ([`parquet::ParquetWriter`],
//! feature `export`).
//!
//! [`ExportSink`] is the [`Sink`]: it builds each row from the exchange's
//! JSON view ([`ExchangeJson`], bodies rendered by the same [`BodyView`])
//! and hands it to a [`RowWriter`]. The run summary goes to a second
//! writer, as text.

pub mod civil;
pub mod columns;
pub mod csv;
#[cfg(feature = "export")]
pub mod parquet;
pub mod row;

use std::io::{self, Write};

use super::bodies::BodyView;
use super::schema::ExchangeJson;
use super::{CaptureCounts, Sink};
use crate::event::{Event, ExchangeKind};
use crate::pipeline::Summary;
use row::Row;

/// How Parquet files are split into directories (`--partition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Partition {
    /// All files in the output directory.
    #[default]
    None,
    /// `date=YYYY-MM-DD/` (UTC, by call time).
    Day,
    /// `date=YYYY-MM-DD/hour=HH/`.
    Hour,
}

/// Where rows go.
pub trait RowWriter {
    /// One row.
    fn row(&mut self, row: &Row<'_>) -> io::Result<()>;
    /// Pushes buffered rows out where the format allows (live capture).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// End of all rows: finish every file.
    fn finish(&mut self) -> io::Result<()>;
}

/// The export sink; see the module docs.
pub struct ExportSink<R: RowWriter, E: Write> {
    pub writer: R,
    summary_out: E,
    file: String,
    bodies: BodyView,
    counts: Option<CaptureCounts>,
}

impl<R: RowWriter, E: Write> ExportSink<R, E> {
    /// Rows into `writer`, bodies rendered by `bodies`, the summary to
    /// `summary_out`.
    pub fn new(writer: R, bodies: BodyView, summary_out: E) -> Self {
        ExportSink {
            writer,
            summary_out,
            file: String::new(),
            bodies,
            counts: None,
        }
    }
}

impl<R: RowWriter, E: Write> Sink for ExportSink<R, E> {
    fn begin_file(&mut self, file: &str) -> io::Result<()> {
        self.file.clear();
        self.file.push_str(file);
        Ok(())
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev.kind {
            ExchangeKind::CallSeen | ExchangeKind::Retransmitted => Ok(()),
            ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan => {
                let ex = &ev.exchange;
                let registry = self.bodies.registry().clone();
                let mut j = ExchangeJson::new(&self.file, ex, &registry);
                let rendered = self.bodies.render_json(ex);
                j.args = rendered.args;
                j.result = rendered.result;
                j.body_error = rendered.error;
                j.body_status = BodyView::status_name(&registry, ex);
                j.path = ex.facts.path.as_deref();
                self.writer.row(&Row::new(j, ex, &registry))
            }
        }
    }

    fn capture_counts(&mut self, c: &CaptureCounts) -> io::Result<()> {
        self.counts = Some(*c);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.writer.finish()?;
        super::text::write_summary(&mut self.summary_out, summary, self.counts.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::columns::{Kind, COLUMNS};
    use super::row::Value;
    use super::*;
    use crate::capture::Timestamp;
    use crate::event::{CallRec, Exchange, MsgMeta, ReplyRec, ReplyStatus};
    use crate::net::{Endpoint, Transport};
    use crate::programs::registry::Registry;
    use crate::rpc::AcceptBody;

    pub(super) fn exchange() -> Exchange<'static> {
        let meta = |frame, ts| MsgMeta {
            frame,
            ts: Timestamp(ts),
            bytes: 100,
            truncated: false,
            gap: false,
        };
        Exchange {
            transport: Transport::Tcp,
            client: Endpoint::new("10.0.0.1".parse().unwrap(), 800),
            server: Endpoint::new("10.0.0.2".parse().unwrap(), 2049),
            xid: 0xdead_beef,
            call: Some(CallRec {
                xid: 0xdead_beef,
                rpcvers: 2,
                program: Some(100_003),
                version: Some(3),
                procedure: Some(6),
                auth: None,
                meta: meta(7, 1_374_493_891_802_141_000),
            }),
            reply: Some(ReplyRec {
                xid: 0xdead_beef,
                status: ReplyStatus::Accepted(AcceptBody::Success),
                meta: meta(9, 1_374_493_891_806_377_500),
            }),
            retransmit_frames: Default::default(),
            duplicate_reply: false,
            call_body: None,
            reply_body: None,
            facts: Default::default(),
        }
    }

    #[test]
    fn every_column_gets_a_value_of_its_type() {
        let ex = exchange();
        let registry = Registry::builtin();
        let mut j = ExchangeJson::new("f.pcap", &ex, &registry);
        j.args = Some(br#"{"file":{"hex":"01"},"offset":4096,"count":512}"#);
        let row = Row::new(j, &ex, &registry);
        let mut vals = Vec::new();
        row.values(&mut |v| vals.push(format!("{v:?}")));
        assert_eq!(vals.len(), COLUMNS.len());
        let mut i = 0;
        row.values(&mut |v| {
            let kind = COLUMNS[i].kind;
            let ok = matches!(
                (&v, kind),
                (Value::Null, _)
                    | (Value::Str(_), Kind::Str | Kind::Json)
                    | (Value::I64(_), Kind::I64)
                    | (Value::I32(_), Kind::I32)
                    | (Value::F64(_), Kind::F64)
                    | (Value::Bool(_), Kind::Bool)
                    | (Value::Time(_), Kind::Timestamp)
            );
            assert!(ok, "column {} got {v:?}", COLUMNS[i].name);
            i += 1;
        });
        let get = |name: &str| {
            let i = COLUMNS.iter().position(|c| c.name == name).unwrap();
            vals[i].clone()
        };
        assert_eq!(get("xid"), "I64(3735928559)");
        assert_eq!(get("procedure_name"), r#"Str("READ")"#);
        assert_eq!(get("offset"), "I64(4096)");
        assert_eq!(get("count"), "I64(512)");
        assert_eq!(get("latency_us"), "F64(4236.5)");
        assert_eq!(get("client_port"), "I32(800)");
        assert_eq!(get("main_op"), "Null");
    }

    #[test]
    fn csv_rows_follow_the_header() {
        let ex = exchange();
        let registry = Registry::builtin();
        let mut out = Vec::new();
        {
            let mut w = csv::CsvWriter::new(&mut out);
            let j = ExchangeJson::new("a,b.pcap", &ex, &registry);
            w.row(&Row::new(j, &ex, &registry)).unwrap();
            w.finish().unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("type,file,transport,client_addr,client_port,"));
        assert!(
            lines[1].starts_with(
                r#"exchange,"a,b.pcap",tcp,10.0.0.1,800,10.0.0.2,2049,3735928559,7,9,2013-07-22T11:51:31.802141Z,2013-07-22T11:51:31.806377500Z,4236.5,2,100003,3,6,nfs,READ,,"#
            ),
            "{}",
            lines[1]
        );
    }
}
