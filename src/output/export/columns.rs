//! The export schema: one row per exchange (one per JSON Lines object),
//! its columns in order, with their types. Documented in `docs/export.md`;
//! a test checks the two agree.
//!
//! Versioned by [`SCHEMA_VERSION`] (written into every Parquet file's
//! metadata as `rpcscope.schema_version`): columns are added at the end,
//! never renamed, retyped or removed.

/// The version of [`COLUMNS`]: bump it when a column is added.
pub const SCHEMA_VERSION: u32 = 1;

/// A column's type, as Parquet stores it (CSV writes the same values as
/// text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text (Parquet `BYTE_ARRAY (STRING)`).
    Str,
    /// JSON text (Parquet `BYTE_ARRAY (STRING)`, the JSON Lines value).
    Json,
    /// A signed 64-bit integer (`INT64`); unsigned 32-bit values (xid,
    /// program numbers) fit exactly.
    I64,
    /// A 32-bit integer (`INT32`): ports.
    I32,
    /// A double (`DOUBLE`).
    F64,
    /// `BOOLEAN`.
    Bool,
    /// A UTC instant (`INT64 TIMESTAMP(MICROS, UTC)`), the type Spark,
    /// Trino, DuckDB and pandas all read as a timestamp.
    Timestamp,
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

const fn c(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

use Kind::*;

/// Every column, in file order. All columns may be null.
pub const COLUMNS: &[Column] = &[
    c("type", Str),
    c("file", Str),
    c("transport", Str),
    c("client_addr", Str),
    c("client_port", I32),
    c("server_addr", Str),
    c("server_port", I32),
    c("xid", I64),
    c("call_frame", I64),
    c("reply_frame", I64),
    c("call_time", Timestamp),
    c("reply_time", Timestamp),
    c("latency_us", F64),
    c("rpcvers", I64),
    c("program", I64),
    c("version", I64),
    c("procedure", I64),
    c("program_name", Str),
    c("procedure_name", Str),
    c("main_op", Str),
    c("auth_flavor", Str),
    c("auth_uid", I64),
    c("auth_gid", I64),
    c("auth_machine", Str),
    c("reply_stat", Str),
    c("accept_stat", Str),
    c("reject_stat", Str),
    c("auth_stat", Str),
    c("call_bytes", I64),
    c("reply_bytes", I64),
    c("retransmission", Bool),
    c("retransmissions", I64),
    c("duplicate_reply", Bool),
    c("truncated", Bool),
    c("gap", Bool),
    c("body_status", Str),
    c("path", Str),
    c("fh_hash", I64),
    c("offset", I64),
    c("count", I64),
    c("args", Json),
    c("result", Json),
    c("body_error", Json),
];

/// The Parquet schema of [`COLUMNS`], in the schema text parquet-mr reads.
pub fn parquet_message_type() -> String {
    let mut s = String::from("message rpcscope_exchange {\n");
    for col in COLUMNS {
        let ty = match col.kind {
            Str | Json => "binary",
            I64 | Timestamp => "int64",
            I32 => "int32",
            F64 => "double",
            Bool => "boolean",
        };
        let ann = match col.kind {
            Str | Json => " (STRING)",
            Timestamp => " (TIMESTAMP(MICROS,true))",
            _ => "",
        };
        s.push_str(&format!("  optional {ty} {}{ann};\n", col.name));
    }
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_documented() {
        let doc = include_str!("../../../docs/export.md");
        let mut names: Vec<_> = COLUMNS.iter().map(|c| c.name).collect();
        for n in &names {
            assert!(
                doc.contains(&format!("| `{n}` |")),
                "docs/export.md lacks `{n}`"
            );
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len());
        assert!(doc.contains(&format!("schema version {SCHEMA_VERSION}")));
    }
}
