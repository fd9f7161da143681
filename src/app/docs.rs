//! `rpcscope completions SHELL` and `rpcscope man`: generated from the clap
//! definition ([`crate::cli::Cli`]), so they always list the options the
//! binary takes. Writing is the only I/O.

use std::io::Write;

use clap::CommandFactory;

use super::{AppError, Outcome};
use crate::cli::Cli;

/// Writes the completion script of `shell` to `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<Outcome, AppError> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "rpcscope", &mut buf);
    out.write_all(&buf)?;
    Ok(Outcome::Ok)
}

/// Writes the man page (roff, section 1) to `out`: the top-level page, then
/// one section per subcommand with its options.
pub fn man(out: &mut dyn Write) -> Result<Outcome, AppError> {
    let cmd = Cli::command();
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_name();
        writeln!(buf, ".SH \"RPCSCOPE {}\"", name.to_uppercase())?;
        let sub_man = clap_mangen::Man::new(sub.clone().bin_name(format!("rpcscope {name}")));
        let mut part = Vec::new();
        sub_man.render_synopsis_section(&mut part)?;
        sub_man.render_description_section(&mut part)?;
        sub_man.render_options_section(&mut part)?;
        // One page: each subcommand's sections become subsections.
        buf.extend_from_slice(&demote_sections(&part));
    }
    writeln!(buf, ".SH \"EXIT STATUS\"\n.nf")?;
    for line in crate::cli::EXIT_STATUS_HELP.lines().skip(1) {
        writeln!(buf, "{}", line.replace('\\', "\\e"))?;
    }
    writeln!(buf, ".fi")?;
    man.render_version_section(&mut buf)?;
    out.write_all(&buf)?;
    Ok(Outcome::Ok)
}

/// `.SH NAME` -> `.SS NAME`: a subcommand's sections nest under its own.
fn demote_sections(roff: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(roff);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match line.strip_prefix(".SH ") {
            Some(rest) => {
                out.push_str(".SS ");
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out.into_bytes()
}
