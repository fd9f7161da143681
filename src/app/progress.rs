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

/// The longest file name shown beside the bar (its end is kept).
const MAX_NAME: usize = 32;

/// `name` cut to its last `max` characters, marked with `…`.
fn short_name(name: &str, max: usize) -> String {
    let n = name.chars().count();
    if n <= max {
        return name.to_string();
    }
    let tail: String = name.chars().skip(n - (max - 1)).collect();
    format!("…{tail}")
}

/// A bar for one regular file of at least [`MIN_FILE_SIZE`] bytes.
pub fn file_bar(path: &Path, name: &str) -> Option<ProgressBar> {
    files_bar(&[path], name)
}

/// A bar for files read together (`--merge`), against their summed size:
/// none when one of them is not a regular file (standard input), whose
/// size is not known.
pub fn files_bar(paths: &[&Path], name: &str) -> Option<ProgressBar> {
    let mut total = 0u64;
    for path in paths {
        if path.as_os_str() == "-" {
            return None;
        }
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        total += meta.len();
    }
    if total < MIN_FILE_SIZE {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    // `wide_bar` takes the terminal's width left by the rest of the line
    // (indicatif measures it at each draw), so the bar never wraps; the
    // name is shortened to keep room for it.
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{wide_bar}] {bytes}/{total_bytes} ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(short_name(name, MAX_NAME));
    Some(bar)
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_names_keep_their_end() {
        assert_eq!(super::short_name("a.pcap", 32), "a.pcap");
        let long = "/very/long/directory/name/that/goes/on/capture-2026.pcap.gz";
        let s = super::short_name(long, 20);
        assert_eq!(s.chars().count(), 20);
        assert_eq!(s, "…apture-2026.pcap.gz");
    }
}
