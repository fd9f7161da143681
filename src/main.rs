//! The `rpcscope` binary: parse arguments, run, map the outcome to an exit code.
//!
//! Exit codes: 0 success (also when the output is closed early, e.g. `| head`);
//! 1 unreadable input or a command that could not run (e.g. no privilege to
//! capture); 2 bad arguments or option values.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use rpcscope::app::{self, AppError, Outcome};
use rpcscope::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut err = io::stderr();
    let result = match &cli.command {
        Command::Read(args) => app::read(args, &mut out, &mut err),
        Command::Stats(args) => app::stats(args, &mut out, &mut err),
        Command::Report(args) => app::report(args, &mut err),
        Command::Live(args) => app::live(args, &mut out, &mut err),
        Command::Top(args) => app::top::top(args, &mut err),
        Command::Interfaces => app::interfaces(&mut out),
        Command::Serve(args) => {
            return match rpcscope::server::run(args, &mut err) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    let _ = writeln!(err, "rpcscope serve: {e}");
                    ExitCode::from(1)
                }
            };
        }
        Command::Call(args) => {
            let code = rpcscope::client::run(args, &mut out, &mut err);
            let flushed = out.flush();
            return match (code, flushed) {
                (Ok(c), Ok(())) => ExitCode::from(c),
                (Err(e), _) | (_, Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                    ExitCode::SUCCESS
                }
                (Err(e), _) | (_, Err(e)) => {
                    let _ = writeln!(err, "rpcscope call: {e}");
                    ExitCode::from(1)
                }
            };
        }
    };
    let flushed = out.flush();
    let broken = |e: &io::Error| e.kind() == io::ErrorKind::BrokenPipe;
    match (result, flushed) {
        (Ok(Outcome::OutputClosed), _) => ExitCode::SUCCESS,
        (Err(AppError::Io(e)), _) if broken(&e) => ExitCode::SUCCESS,
        (Ok(_), Err(e)) if broken(&e) => ExitCode::SUCCESS,
        (Err(AppError::Usage(m)), _) => {
            let _ = writeln!(err, "rpcscope: {m}");
            ExitCode::from(2)
        }
        (Err(e), _) => {
            let _ = writeln!(err, "rpcscope: {e}");
            ExitCode::from(1)
        }
        (Ok(_), Err(e)) => {
            let _ = writeln!(err, "rpcscope: {e}");
            ExitCode::from(1)
        }
        (Ok(Outcome::Ok), Ok(())) => ExitCode::SUCCESS,
        (Ok(Outcome::InputErrors), _) => ExitCode::from(1),
    }
}
