//! Landlock confinement of an export's writes (Linux 5.13+, feature
//! `export`): after [`confine_writes`], the process can create, write and
//! remove files and directories only beneath the output directory; reading
//! stays allowed everywhere (inputs are opened one by one).
//!
//! Best effort by design: a kernel without Landlock (or with it disabled)
//! leaves the ruleset unenforced, and the seccomp filter's rule (new files
//! only, never an existing file opened for writing) is the protection that
//! remains. An error setting up a ruleset the kernel does support fails
//! the command.

use std::path::Path;

use landlock::{path_beneath_rules, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, ABI};

use super::SandboxError;

/// Confines writing to `dir` (see the module docs).
pub fn confine_writes(dir: &Path) -> Result<(), SandboxError> {
    let fail = |e: &dyn std::fmt::Display| {
        SandboxError(format!(
            "cannot confine writes to {} with Landlock: {e}; run with --no-sandbox to export without it",
            dir.display()
        ))
    };
    let abi = ABI::V1;
    let write = AccessFs::from_write(abi);
    Ruleset::default()
        .handle_access(write)
        .map_err(|e| fail(&e))?
        .create()
        .map_err(|e| fail(&e))?
        .add_rules(path_beneath_rules([dir], write))
        .map_err(|e| fail(&e))?
        .restrict_self()
        .map_err(|e| fail(&e))?;
    Ok(())
}
