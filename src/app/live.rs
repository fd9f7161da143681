//! `rpcscope live` (work in progress).
use std::io::Write;

use super::{AppError, Outcome};

/// `rpcscope live`.
pub fn live(
    _args: &crate::cli::LiveArgs,
    _out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    Err(AppError::Fatal("live: not yet".into()))
}
