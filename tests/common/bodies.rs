//! Decoded bodies per frame, for comparing rpcscope's body decoding with
//! tshark's (`captures/refs-bodies/*.tsv`): each RPC message rpcscope
//! reports, with its decoded arguments (calls) or results (replies) as JSON
//! exactly as `rpcscope read --format json` writes them, the status that
//! heads the result and the path of the object the call acts on.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;

use rpcscope::event::{Event, ExchangeKind};
use rpcscope::limits::Limits;
use rpcscope::output::bodies::BodyView;
use rpcscope::output::Sink;
use rpcscope::pipeline::Summary;
use rpcscope::programs::registry::Registry;
use serde_json::Value;

/// One RPC message as rpcscope decoded it.
#[derive(Debug, Clone)]
pub struct OurMsg {
    pub xid: u32,
    /// A call (else a reply).
    pub call: bool,
    pub program: Option<u32>,
    pub version: Option<u32>,
    pub procedure: Option<u32>,
    /// The body status value (replies).
    pub status: Option<i32>,
    /// Its name.
    pub status_name: Option<String>,
    /// `args` of a call, `result` of a reply.
    pub body: Option<Value>,
    /// The exchange's `path`.
    pub path: Option<String>,
    /// `body_error` of this message's part: (offset, kind).
    pub error: Option<(u64, String)>,
}

/// Messages by frame number.
pub type Frames = BTreeMap<u64, Vec<OurMsg>>;

struct BodySink {
    view: BodyView,
    registry: std::sync::Arc<Registry>,
    frames: Frames,
}

impl Sink for BodySink {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev.kind {
            ExchangeKind::Complete | ExchangeKind::Unmatched | ExchangeKind::Orphan => {}
            _ => return Ok(()),
        }
        let ex = &ev.exchange;
        let status_name = BodyView::status_name(&self.registry, ex).map(str::to_string);
        let r = self.view.render_json(ex);
        let parse = |b: Option<&[u8]>| b.map(|b| serde_json::from_slice::<Value>(b).expect("JSON"));
        let args = parse(r.args);
        let result = parse(r.result);
        let err = r.error.map(|e| (e.part, e.offset, e.kind.to_string()));
        let part_err = |part: &str| {
            err.as_ref()
                .filter(|e| e.0 == part)
                .map(|e| (e.1, e.2.clone()))
        };
        let (program, version, procedure) = match &ex.call {
            Some(c) => (c.program, c.version, c.procedure),
            None => (None, None, None),
        };
        let path = ex.facts.path.as_deref().map(str::to_string);
        let base = OurMsg {
            xid: ex.xid,
            call: true,
            program,
            version,
            procedure,
            status: None,
            status_name: None,
            body: None,
            path,
            error: None,
        };
        // As `Collect::messages` counts them: a duplicate reply's call was
        // reported with its first exchange, its retransmissions were not.
        if let Some(c) = &ex.call {
            let m = OurMsg {
                body: args.clone(),
                error: part_err("args"),
                ..base.clone()
            };
            if !ex.duplicate_reply {
                self.frames.entry(c.meta.frame).or_default().push(m.clone());
            }
            if !ex.duplicate_reply || ex.reply.is_some() {
                for f in ex.retransmit_frames.frames() {
                    self.frames.entry(*f).or_default().push(m.clone());
                }
            }
        }
        if let Some(rep) = &ex.reply {
            let m = OurMsg {
                call: false,
                status: ex.facts.status.map(|s| s.value),
                status_name,
                body: result,
                error: part_err("result"),
                ..base
            };
            self.frames.entry(rep.meta.frame).or_default().push(m);
        }
        Ok(())
    }
    fn finish(&mut self, _s: &Summary) -> io::Result<()> {
        Ok(())
    }
}

/// Decodes `path` (bodies on, built-in programs) into its messages by frame.
pub fn decode_bodies(path: &Path) -> Frames {
    let limits = Limits::default();
    let registry = Registry::builtin();
    let mut sink = BodySink {
        view: BodyView::new(registry.clone(), &limits, false),
        registry,
        frames: Frames::new(),
    };
    let mut err = Vec::new();
    rpcscope::app::read_files(&[path], &limits, &mut sink, &mut err).expect("decode");
    sink.frames
}

/// A tshark `-T fields -E header=y` table: columns by name, one row per
/// frame, each cell's comma-joined values split.
pub struct Table {
    header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads a TSV file, gunzipping one that ends in `.gz`.
    pub fn read(path: &Path) -> Table {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = if path.extension().is_some_and(|e| e == "gz") {
            let mut s = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut s)
                .expect("gunzip");
            s
        } else {
            String::from_utf8(bytes).expect("UTF-8")
        };
        let mut lines = text.lines();
        let header = lines
            .next()
            .unwrap_or("")
            .split('\t')
            .map(str::to_string)
            .collect();
        let rows = lines
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect();
        Table { header, rows }
    }

    /// The column of `name`.
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// The values of `row` in column `col` (empty cell: none).
    pub fn values<'r>(&self, row: &'r [String], col: usize) -> Vec<&'r str> {
        match row.get(col) {
            Some(s) if !s.is_empty() => s.split(',').collect(),
            _ => Vec::new(),
        }
    }
}

/// Every string in a JSON value (object keys excluded).
pub fn strings<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Every value under the key `key` anywhere in a JSON value.
pub fn under<'v>(v: &'v Value, key: &str, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| under(x, key, out)),
        Value::Object(o) => {
            for (k, x) in o {
                if k == key {
                    out.push(x);
                }
                under(x, key, out);
            }
        }
        _ => {}
    }
}

/// A JSON scalar as tshark would print it in a fields cell.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some((*b as u8).to_string()),
        _ => None,
    }
}
