//! Where `read` writes: standard output, a new file (`-o FILE`), or, for
//! `--format parquet`, a directory of Parquet files (`-o DIR`, with
//! `--partition`). Opened before the sandbox; an existing file is never
//! overwritten (`-o` refuses it), so a mistyped path cannot destroy data.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{AppError, Outcome, ReadOptions};
#[cfg(feature = "export")]
use crate::cli::PartitionBy;
use crate::cli::{Format, ReadArgs};
use crate::filter::Filter;
use crate::limits::Limits;
use crate::output::bodies::BodyView;

/// The output of a `read`, opened.
pub enum Target {
    Stdout,
    File(BufWriter<File>),
    /// The Parquet output directory (it exists).
    Dir(PathBuf),
}

impl Target {
    /// Checks `-o`, `--partition` and `--format` together and opens the
    /// output.
    pub fn open(a: &ReadArgs) -> Result<Target, AppError> {
        if a.partition.is_some() && a.format != Format::Parquet {
            return Err(AppError::Usage(
                "--partition: only with --format parquet".into(),
            ));
        }
        match (a.format, &a.output) {
            (Format::Parquet, None) => Err(AppError::Usage(
                "--format parquet: needs -o DIR (the directory the files go to)".into(),
            )),
            (Format::Parquet, Some(dir)) => {
                if !cfg!(feature = "export") {
                    return Err(AppError::Usage(
                        "--format parquet: this rpcscope was built without the 'export' feature"
                            .into(),
                    ));
                }
                std::fs::create_dir_all(dir).map_err(|e| {
                    AppError::Fatal(format!(
                        "-o {}: cannot create directory: {e}",
                        dir.display()
                    ))
                })?;
                Ok(Target::Dir(dir.clone()))
            }
            (_, None) => Ok(Target::Stdout),
            (_, Some(p)) if p.as_os_str() == "-" => Ok(Target::Stdout),
            (_, Some(p)) => {
                let f = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(p)
                    .map_err(|e| AppError::Fatal(format!("-o {}: {e}", p.display())))?;
                Ok(Target::File(BufWriter::with_capacity(1 << 16, f)))
            }
        }
    }
}

/// `--partition`.
#[cfg(feature = "export")]
fn partition(p: Option<PartitionBy>) -> crate::output::export::Partition {
    use crate::output::export::Partition;
    match p {
        None => Partition::None,
        Some(PartitionBy::Day) => Partition::Day,
        Some(PartitionBy::Hour) => Partition::Hour,
    }
}

/// `read --format parquet -o DIR`: the files, then the summary on `err`
/// with the number of rows and files written.
#[cfg(feature = "export")]
#[allow(clippy::too_many_arguments)]
pub fn parquet(
    args: &ReadArgs,
    files: &[std::path::PathBuf],
    dir: &Path,
    limits: &Limits,
    view: BodyView,
    filter: &Filter,
    opts: &mut ReadOptions,
    err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    use super::read_files_with;
    use crate::filter::FilteredSink;
    use crate::output::export::{parquet::ParquetWriter, ExportSink};
    let writer = ParquetWriter::new(dir, partition(args.partition), limits)?;
    let mut summary = Vec::new();
    let mut export = ExportSink::new(writer, view, &mut summary);
    let r = read_files_with(
        files,
        limits,
        &mut FilteredSink::new(&mut export as &mut dyn crate::output::Sink, filter),
        err,
        opts,
    );
    let (rows, files) = (export.writer.rows, export.writer.files.len());
    drop(export);
    err.write_all(&summary)?;
    writeln!(
        err,
        "rpcscope: {rows} rows in {files} Parquet file(s) under {}",
        dir.display()
    )?;
    Ok(r?)
}

/// Without the `export` feature, [`Target::open`] refuses parquet.
#[cfg(not(feature = "export"))]
#[allow(clippy::too_many_arguments)]
pub fn parquet(
    _args: &ReadArgs,
    _files: &[std::path::PathBuf],
    _dir: &Path,
    _limits: &Limits,
    _view: BodyView,
    _filter: &Filter,
    _opts: &mut ReadOptions,
    _err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    Err(AppError::Usage(
        "--format parquet: this rpcscope was built without the 'export' feature".into(),
    ))
}
