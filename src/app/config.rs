//! The config step: clap structs (plain data) in, validated values out.
//! Every bad value becomes a one-line [`AppError::Usage`] naming the option.

use super::AppError;
use crate::cli::{By, FilterArgs};
use crate::filter::{BpfFilter, Filter};
use crate::output::stats::GroupBy;

/// The exchange filter of `--program`, `--procedure`, `--status`,
/// `--min-latency` and `--host`.
pub fn filter(a: &FilterArgs) -> Result<Filter, AppError> {
    Ok(Filter::new(
        a.program.as_deref(),
        a.procedure.as_deref(),
        a.status.as_deref(),
        a.min_latency.as_deref(),
        &a.host,
    )?)
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
    filter(&a.filter)?;
    duration(a.duration)?;
    if a.count == Some(0) {
        return Err(AppError::Usage("--count: must be at least 1".into()));
    }
    if a.snaplen == 0 {
        return Err(AppError::Usage("--snaplen: must be at least 1".into()));
    }
    Ok(())
}
