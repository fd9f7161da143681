//! Parquet export (`--format parquet -o DIR`, feature `export`): files of
//! [`COLUMNS`] written with the `parquet` crate's low-level column writer,
//! Snappy-compressed, in row groups of `Limits::export_row_group_rows`
//! rows at most.
//!
//! Layout: `DIR/part-00000.parquet`, `part-00001...` (a new file every
//! `Limits::export_file_rows` rows); with `--partition day|hour`,
//! `DIR/date=YYYY-MM-DD/[hour=HH/]part-NNNNN.parquet` by the call's UTC
//! time (the reply's for a reply without call), the Hive layout Spark,
//! Trino and DuckDB discover as partition columns. At most
//! `Limits::export_open_files` files are open at once (least recently used
//! finished first). A file is never overwritten: an existing name is skipped
//! (the next number is used), so runs can share a directory. Every file carries `rpcscope.schema_version` in its metadata.
//!
//! Memory: the rows buffered in all open files together cost at most
//! `Limits::export_row_group_bytes` (their text and [`EXPORT_VALUE_OVERHEAD`] a
//! value); past it the file holding the most writes its row group early.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use super::civil::Utc;
use super::columns::{parquet_message_type, Kind, COLUMNS, SCHEMA_VERSION};
use super::row::{Row, Value};
use super::{Partition, RowWriter};
use crate::limits::{Limits, EXPORT_VALUE_OVERHEAD};

/// File numbers tried in one directory before giving up (five digits).
const MAX_SEQ: u64 = 100_000;

fn perr(e: ParquetError) -> io::Error {
    io::Error::other(format!("parquet: {e}"))
}

/// The buffered values of one column (definition levels: 1 present, 0 null).
enum ColBuf {
    Bytes(Vec<ByteArray>, Vec<i16>),
    I64(Vec<i64>, Vec<i16>),
    I32(Vec<i32>, Vec<i16>),
    F64(Vec<f64>, Vec<i16>),
    Bool(Vec<bool>, Vec<i16>),
}

impl ColBuf {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Str | Kind::Json => ColBuf::Bytes(Vec::new(), Vec::new()),
            Kind::I64 | Kind::Timestamp => ColBuf::I64(Vec::new(), Vec::new()),
            Kind::I32 => ColBuf::I32(Vec::new(), Vec::new()),
            Kind::F64 => ColBuf::F64(Vec::new(), Vec::new()),
            Kind::Bool => ColBuf::Bool(Vec::new(), Vec::new()),
        }
    }
    /// Appends `v`; returns the bytes it added ([`EXPORT_VALUE_OVERHEAD`] and
    /// its text).
    fn push(&mut self, v: Value<'_>) -> usize {
        EXPORT_VALUE_OVERHEAD + self.push_value(v)
    }

    /// Appends `v`; returns the text bytes it added.
    fn push_value(&mut self, v: Value<'_>) -> usize {
        let def = |d: &mut Vec<i16>, present: bool| d.push(i16::from(present));
        match (self, v) {
            (ColBuf::Bytes(_, d), Value::Null)
            | (ColBuf::I64(_, d), Value::Null)
            | (ColBuf::I32(_, d), Value::Null)
            | (ColBuf::F64(_, d), Value::Null)
            | (ColBuf::Bool(_, d), Value::Null) => {
                def(d, false);
                0
            }
            (ColBuf::Bytes(v, d), Value::Str(s)) => {
                def(d, true);
                let n = s.len();
                v.push(ByteArray::from(s.into_owned().into_bytes()));
                n
            }
            (ColBuf::I64(v, d), Value::I64(n)) => {
                def(d, true);
                v.push(n);
                0
            }
            (ColBuf::I64(v, d), Value::Time(t)) => {
                def(d, true);
                // Microseconds, rounded down (toward the past).
                v.push(t.0.div_euclid(1000));
                0
            }
            (ColBuf::I32(v, d), Value::I32(n)) => {
                def(d, true);
                v.push(n);
                0
            }
            (ColBuf::F64(v, d), Value::F64(x)) => {
                def(d, true);
                v.push(x);
                0
            }
            (ColBuf::Bool(v, d), Value::Bool(b)) => {
                def(d, true);
                v.push(b);
                0
            }
            // A value of another type than its column: a bug in `Row`
            // (a unit test writes every column); written as null.
            (c, _) => {
                debug_assert!(false, "export value does not match its column type");
                c.push_value(Value::Null)
            }
        }
    }
    fn clear(&mut self) {
        match self {
            ColBuf::Bytes(v, d) => (v.clear(), d.clear()),
            ColBuf::I64(v, d) => (v.clear(), d.clear()),
            ColBuf::I32(v, d) => (v.clear(), d.clear()),
            ColBuf::F64(v, d) => (v.clear(), d.clear()),
            ColBuf::Bool(v, d) => (v.clear(), d.clear()),
        };
    }
}

/// The partition a row goes to: (date, hour) directories.
type PartKey = Option<(String, Option<u32>)>;

struct OpenFile {
    part: PartKey,
    writer: SerializedFileWriter<BufWriter<File>>,
    cols: Vec<ColBuf>,
    /// Rows buffered, and what they cost ([`ColBuf::push`]).
    rows: usize,
    bytes: usize,
    rows_in_file: u64,
    last_used: u64,
}

impl OpenFile {
    fn flush_group(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut rg = self.writer.next_row_group().map_err(perr)?;
        for buf in &mut self.cols {
            let Some(mut cw) = rg.next_column().map_err(perr)? else {
                return Err(io::Error::other("parquet: fewer columns than the schema"));
            };
            let r = match buf {
                ColBuf::Bytes(v, d) => cw.typed::<ByteArrayType>().write_batch(v, Some(d), None),
                ColBuf::I64(v, d) => cw.typed::<Int64Type>().write_batch(v, Some(d), None),
                ColBuf::I32(v, d) => cw.typed::<Int32Type>().write_batch(v, Some(d), None),
                ColBuf::F64(v, d) => cw.typed::<DoubleType>().write_batch(v, Some(d), None),
                ColBuf::Bool(v, d) => cw.typed::<BoolType>().write_batch(v, Some(d), None),
            };
            r.map_err(perr)?;
            cw.close().map_err(perr)?;
            buf.clear();
        }
        rg.close().map_err(perr)?;
        self.rows = 0;
        self.bytes = 0;
        Ok(())
    }
    fn close(mut self) -> io::Result<()> {
        self.flush_group()?;
        let mut inner = self.writer.into_inner().map_err(perr)?;
        io::Write::flush(&mut inner)
    }
}

/// Writes rows into Parquet files under a directory; see the module docs.
pub struct ParquetWriter {
    dir: PathBuf,
    partition: Partition,
    schema: Arc<Type>,
    props: Arc<WriterProperties>,
    group_rows: usize,
    /// What the rows buffered in all open files may cost together.
    group_bytes: usize,
    /// What they cost now.
    buffered: usize,
    file_rows: u64,
    max_open: usize,
    open: Vec<OpenFile>,
    seq: u64,
    tick: u64,
    /// Files written (finished or open), in creation order.
    pub files: Vec<PathBuf>,
    /// Rows written.
    pub rows: u64,
}

impl ParquetWriter {
    /// A writer into `dir`, which must exist (the caller creates it before
    /// the sandbox).
    pub fn new(dir: &Path, partition: Partition, limits: &Limits) -> io::Result<Self> {
        let schema =
            parquet::schema::parser::parse_message_type(&parquet_message_type()).map_err(perr)?;
        let props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("rpcscope {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "rpcscope.schema_version".to_string(),
                SCHEMA_VERSION.to_string(),
            )]))
            .build();
        Ok(ParquetWriter {
            dir: dir.to_path_buf(),
            partition,
            schema: Arc::new(schema),
            props: Arc::new(props),
            group_rows: limits.export_row_group_rows.max(1),
            group_bytes: limits.export_row_group_bytes.max(1),
            buffered: 0,
            file_rows: limits.export_file_rows.max(1),
            max_open: limits.export_open_files.max(1),
            open: Vec::new(),
            seq: 0,
            tick: 0,
            files: Vec::new(),
            rows: 0,
        })
    }

    fn part_of(&self, row: &Row<'_>) -> PartKey {
        let ts = row.j.call_time.or(row.j.reply_time)?;
        let t = Utc::of(ts);
        let date = format!("{:04}-{:02}-{:02}", t.year, t.month, t.day);
        match self.partition {
            Partition::None => None,
            Partition::Day => Some((date, None)),
            Partition::Hour => Some((date, Some(t.hour))),
        }
    }

    /// Creates the next file of partition `part` (its directories first).
    fn create(&mut self, part: PartKey) -> io::Result<OpenFile> {
        let mut dir = self.dir.clone();
        if let Some((date, hour)) = &part {
            dir.push(format!("date={date}"));
            if let Some(h) = hour {
                dir.push(format!("hour={h:02}"));
            }
            std::fs::create_dir_all(&dir)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        }
        // The next free name: a second run into the same directory adds
        // files beside the first run's, never over them.
        let (path, f) = loop {
            let path = dir.join(format!("part-{:05}.parquet", self.seq));
            self.seq += 1;
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(f) => break (path, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && self.seq < MAX_SEQ => {}
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
            }
        };
        let writer = SerializedFileWriter::new(
            BufWriter::with_capacity(1 << 20, f),
            self.schema.clone(),
            self.props.clone(),
        )
        .map_err(perr)?;
        self.files.push(path);
        Ok(OpenFile {
            part,
            writer,
            cols: COLUMNS.iter().map(|c| ColBuf::new(c.kind)).collect(),
            rows: 0,
            bytes: 0,
            rows_in_file: 0,
            last_used: 0,
        })
    }

    /// The index of the open file of `part`, opening one if needed.
    fn file_for(&mut self, part: PartKey) -> io::Result<usize> {
        if let Some(i) = self.open.iter().position(|f| f.part == part) {
            return Ok(i);
        }
        if self.open.len() >= self.max_open {
            let lru = (0..self.open.len())
                .min_by_key(|&i| self.open[i].last_used)
                .unwrap_or(0);
            let f = self.open.swap_remove(lru);
            self.buffered -= f.bytes;
            f.close()?;
        }
        let f = self.create(part)?;
        self.open.push(f);
        Ok(self.open.len() - 1)
    }
}

impl RowWriter for ParquetWriter {
    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        let part = self.part_of(row);
        let i = self.file_for(part)?;
        self.tick += 1;
        let f = &mut self.open[i];
        f.last_used = self.tick;
        let mut col = 0;
        let mut bytes = 0;
        row.values(&mut |v| {
            if let Some(c) = f.cols.get_mut(col) {
                bytes += c.push(v);
            }
            col += 1;
        });
        debug_assert_eq!(col, COLUMNS.len());
        f.rows += 1;
        f.bytes += bytes;
        f.rows_in_file += 1;
        self.rows += 1;
        self.buffered += bytes;
        if f.rows >= self.group_rows {
            self.buffered -= f.bytes;
            f.flush_group()?;
        }
        if self.buffered >= self.group_bytes {
            // The file holding the most writes its row group: with one
            // file open (no partitions, or time order), this one.
            if let Some(big) = self.open.iter_mut().max_by_key(|f| f.bytes) {
                self.buffered -= big.bytes;
                big.flush_group()?;
            }
        }
        if self.open[i].rows_in_file >= self.file_rows {
            let f = self.open.swap_remove(i);
            self.buffered -= f.bytes;
            f.close()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.files.is_empty() && self.partition == Partition::None {
            // No rows: still one file, so readers find the schema.
            let f = self.create(None)?;
            self.open.push(f);
        }
        for f in self.open.drain(..) {
            f.close()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::schema::ExchangeJson;
    use crate::programs::registry::Registry;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    /// Rows of three hours in turn, under a budget of a few rows: what is
    /// buffered stays within the budget (plus the row that crossed it), and
    /// the files read back hold every row, in row groups written early.
    #[test]
    fn rows_buffered_in_all_open_files_stay_within_the_budget() {
        let dir = std::env::temp_dir().join(format!("rpcscope-pq-budget-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let limits = Limits {
            export_row_group_bytes: 16 * 1024,
            ..Limits::default()
        };
        let mut w = ParquetWriter::new(&dir, Partition::Hour, &limits).unwrap();
        let registry = Registry::builtin();
        let ex = super::super::tests::exchange();
        let (mut largest_row, n) = (0, 300);
        for i in 0..n {
            let hour = (i % 3) * 3_600_000_000_000;
            let mut e = ex.clone();
            if let (Some(c), Some(r)) = (e.call.as_mut(), e.reply.as_mut()) {
                c.meta.ts.0 += hour;
                r.meta.ts.0 += hour;
            }
            let j = ExchangeJson::new("f.pcap", &e, &registry);
            let before = w.buffered;
            w.row(&Row::new(j, &e, &registry)).unwrap();
            largest_row = largest_row.max(w.buffered.saturating_sub(before));
            assert!(w.buffered < limits.export_row_group_bytes + largest_row);
            assert!(w.open.len() == 3 || i < 2);
        }
        w.finish().unwrap();
        let (mut rows, mut groups) = (0, 0);
        for f in &w.files {
            let r = SerializedFileReader::new(std::fs::File::open(f).unwrap()).unwrap();
            let meta = r.metadata();
            rows += meta.file_metadata().num_rows();
            groups += meta.num_row_groups();
        }
        assert_eq!(w.files.len(), 3);
        assert_eq!(rows, n);
        // ~30 rows of ~500 bytes fit the budget: many groups, none large.
        assert!(groups >= 6, "{groups} row groups");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
