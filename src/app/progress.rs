//! The progress bar of long file reads: on stderr, only when stderr is a
//! terminal (never in pipes or CI logs), driven by the bytes the capture
//! reader consumed against the file's size.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Files smaller than this are read too fast for a bar to help.
const MIN_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// True when a progress bar may be drawn: stderr is a terminal, not in CI,
/// and (unless `table_output`, whose output comes at the end) stdout is not
/// the same terminal, where the bar would tear through the records.
pub fn wanted(table_output: bool) -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && (table_output || !std::io::stdout().is_terminal())
}

/// A bar for one regular file of at least [`MIN_FILE_SIZE`] bytes.
pub fn file_bar(path: &Path, name: &str) -> Option<ProgressBar> {
    if name == "-" {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() < MIN_FILE_SIZE {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(meta.len()), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(name.to_string());
    Some(bar)
}
