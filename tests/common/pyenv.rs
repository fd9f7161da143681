//! A Python virtual environment with packages from PyPI, for tests that
//! check rpcscope's output with the tools users read it with (pyarrow,
//! DuckDB). Made once under `target/tmp/pyenv` and reused.
//!
//! Needs `python3` with the `venv` module (Debian: `python3-venv`) and
//! network access to PyPI the first time: where either is missing the
//! caller skips with a note, and fails under `CI=true` (see
//! [`super::skip`]).

use std::path::PathBuf;
use std::process::Command;

/// The venv's python, with `packages` importable (installed with pip when
/// not yet), or why it cannot be had.
pub fn python_with(packages: &[&str]) -> Result<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pyenv");
    let py = dir.join("bin/python");
    let imports = packages.join(", ");
    let importable = || {
        Command::new(&py)
            .args(["-c", &format!("import {imports}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if importable() {
        return Ok(py);
    }
    let out = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&dir)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "python3 -m venv failed (is python3-venv installed?): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let out = Command::new(dir.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(packages)
        .output()
        .map_err(|e| format!("pip: {e}"))?;
    if !out.status.success() || !importable() {
        return Err(format!(
            "pip install {} failed (no network?): {}",
            packages.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(py)
}
