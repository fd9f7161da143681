//! The config step: clap structs (plain data) in, validated values out.
//! Every bad value becomes a one-line [`AppError::Usage`] naming the option.

use super::AppError;
use crate::cli::{By, FilterArgs};
use crate::filter::{BpfFilter, Filter};
use crate::output::stats::GroupBy;

/// The exchange filter of `--program`, `--procedure`, `--status`,
/// `--min-latency`, `--host` and `--op`.
pub fn filter(
    a: &FilterArgs,
    registry: &crate::programs::registry::Registry,
) -> Result<Filter, AppError> {
    let mut f = Filter::with_registry(
        a.program.as_deref(),
        a.procedure.as_deref(),
        a.status.as_deref(),
        a.min_latency.as_deref(),
        &a.host,
        registry,
    )?
    .with_ops(a.op.as_deref(), registry)?;
    f.xid = a.xid.as_deref().map(crate::filter::parse_xid).transpose()?;
    if a.frame == Some(0) {
        return Err(AppError::Usage(
            "--frame: frames are numbered from 1".into(),
        ));
    }
    f.frame = a.frame;
    Ok(f)
}

/// How text lines look: `-t`, `-#`, `--color`, `--slow` (the local time
/// zone is loaded now, before the sandbox).
pub fn text_look(a: &crate::cli::DisplayArgs) -> Result<crate::output::text::Look, AppError> {
    use crate::cli::ColorWhen;
    use crate::output::time::Clock;
    let clock = Clock::new(a.time).map_err(AppError::Fatal)?;
    let color = match a.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            // anstream's rule: NO_COLOR (set, not empty) turns it off,
            // CLICOLOR_FORCE on, else only on a terminal.
            auto_color()
        }
    };
    let slow_ns = match a.slow {
        None => None,
        Some(ms) if (0.0..1e12).contains(&ms) => Some((ms * 1e6).round() as u64),
        Some(ms) => {
            return Err(AppError::Usage(format!(
                "--slow: '{ms}' must be a number of milliseconds (e.g. 10 or 0.5)"
            )))
        }
    };
    Ok(crate::output::text::Look {
        clock,
        number: a.number,
        color,
        slow_ns,
    })
}

/// `--color auto`: the choice anstream makes for standard output, from
/// `CLICOLOR_FORCE`, `NO_COLOR`, `CLICOLOR`, `TERM` and whether it is a
/// terminal.
fn auto_color() -> bool {
    !matches!(
        anstream::AutoStream::choice(&std::io::stdout()),
        anstream::ColorChoice::Never
    )
}

/// The offline BPF filter of `-f` (files only; live capture hands the
/// expression to the kernel).
pub fn bpf(a: &FilterArgs) -> Result<Option<BpfFilter>, AppError> {
    Ok(a.bpf.as_deref().map(BpfFilter::new).transpose()?)
}

/// `--by`.
pub fn group_by(by: Option<By>) -> GroupBy {
    match by {
        None => GroupBy::Procedure,
        Some(By::Client) => GroupBy::Client,
        Some(By::Server) => GroupBy::Server,
        Some(By::Connection) => GroupBy::Connection,
        Some(By::Program) => GroupBy::Program,
        Some(By::Path) => GroupBy::Path,
    }
}

/// `--sort`.
pub fn sort_key(s: crate::cli::SortBy) -> crate::stats::SortKey {
    use crate::cli::SortBy;
    use crate::stats::SortKey;
    match s {
        SortBy::Calls => SortKey::Calls,
        SortBy::Errors => SortKey::Errors,
        SortBy::Mean => SortKey::Mean,
        SortBy::P99 => SortKey::P99,
        SortBy::Max => SortKey::Max,
        SortBy::Total => SortKey::Total,
    }
}

/// `--ops` with `--by`: `--by program` merges every procedure, so it has
/// no operations to split.
pub fn ops_with_by(ops: bool, by: Option<By>) -> Result<(), AppError> {
    if ops && by == Some(By::Program) {
        return Err(AppError::Usage(
            "--ops splits NFSv4 compounds by operation and --by program merges all procedures: give one of them".into(),
        ));
    }
    Ok(())
}

/// `--interval`: a positive number of seconds (fractions allowed), at
/// least a microsecond; in nanoseconds.
pub fn interval(secs: Option<f64>) -> Result<Option<u64>, AppError> {
    match secs {
        None => Ok(None),
        Some(s) if s.is_finite() && (1e-6..1e9).contains(&s) => {
            Ok(Some((s * 1e9).round() as u64))
        }
        Some(s) => Err(AppError::Usage(format!(
            "--interval: '{s}' must be a positive number of seconds, from 0.000001 (e.g. 0.5, 1, 60)"
        ))),
    }
}

/// `--duration`: positive and finite.
pub fn duration(secs: Option<f64>) -> Result<Option<std::time::Duration>, AppError> {
    match secs {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => {
            Ok(Some(std::time::Duration::from_secs_f64(s)))
        }
        Some(s) => Err(AppError::Usage(format!(
            "--duration: '{s}' must be a positive number of seconds"
        ))),
    }
}

/// The checks of `live` options that need no capture device.
pub fn live_checks(a: &crate::cli::LiveArgs) -> Result<(), AppError> {
    filter(&a.filter, &*registry(&a.bodies)?)?;
    duration(a.duration)?;
    if a.count == Some(0) {
        return Err(AppError::Usage("--count: must be at least 1".into()));
    }
    if a.format == crate::cli::Format::Parquet {
        return Err(AppError::Usage(
            "live --format parquet: not supported (write a capture with -w, then `read --format parquet`)"
                .into(),
        ));
    }
    ops_with_by(a.ops, a.by)?;
    if a.snaplen == 0 {
        return Err(AppError::Usage("--snaplen: must be at least 1".into()));
    }
    Ok(())
}

/// The program registry of `--idl` (and `/etc/rpc` names): the built-in
/// programs plus each file given, in order (a later definition of a
/// program version replaces an earlier one). A file that cannot be read or
/// parsed is a usage error naming it (`file:line:col: problem`).
pub fn registry(
    a: &crate::cli::BodyArgs,
) -> Result<std::sync::Arc<crate::programs::registry::Registry>, AppError> {
    use crate::programs::registry::Registry;
    let builtin = Registry::builtin();
    let etc_rpc = std::fs::read_to_string("/etc/rpc").ok();
    if a.idl.is_empty() && etc_rpc.is_none() {
        return Ok(builtin);
    }
    let mut r = (*builtin).clone();
    if let Some(text) = etc_rpc {
        r.add_etc_rpc(&text);
    }
    for path in &a.idl {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| AppError::Usage(format!("--idl {name}: {e}")))?;
        let mut include = |inc: &str, from: &str| -> Result<(String, String), String> {
            let base = std::path::Path::new(from)
                .parent()
                .unwrap_or(std::path::Path::new("."));
            let p = base.join(inc);
            std::fs::read_to_string(&p)
                .map(|t| (p.display().to_string(), t))
                .map_err(|e| format!("{}: {e}", p.display()))
        };
        r.load_idl(&text, &name, &mut include)
            .map_err(|e| AppError::Usage(format!("--idl: {e}")))?;
    }
    Ok(std::sync::Arc::new(r))
}

/// The threads `-j N` asks for; by default one per core the process may
/// run on.
pub fn jobs(asked: Option<u32>) -> usize {
    match asked {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

/// What the pipeline decodes for an output that shows bodies (`read`,
/// `live`) or only needs statuses (`stats`).
pub fn pipeline_options(
    a: &crate::cli::BodyArgs,
    registry: std::sync::Arc<crate::programs::registry::Registry>,
    statuses_only: bool,
) -> crate::pipeline::Options {
    use crate::track::BodyMode;
    crate::pipeline::Options {
        registry,
        bodies: if a.no_bodies {
            BodyMode::Off
        } else if statuses_only {
            BodyMode::Status
        } else {
            BodyMode::Full
        },
        keep_bulk: a.data == crate::cli::DataMode::Hex,
    }
}

/// The printers' view of bodies (`--data`).
pub fn body_view(
    a: &crate::cli::BodyArgs,
    registry: std::sync::Arc<crate::programs::registry::Registry>,
    limits: &crate::limits::Limits,
) -> crate::output::bodies::BodyView {
    crate::output::bodies::BodyView::new(registry, limits, a.data == crate::cli::DataMode::Hex)
}

/// The file of `report -o` / `live --report`, created (or truncated) now,
/// before the sandbox.
pub fn create_report(
    path: &std::path::Path,
) -> Result<std::io::BufWriter<std::fs::File>, AppError> {
    std::fs::File::create(path)
        .map(|f| std::io::BufWriter::with_capacity(1 << 16, f))
        .map_err(|e| AppError::Fatal(format!("{}: cannot create the report: {e}", path.display())))
}
