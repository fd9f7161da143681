//! The `rpcscope` binary: parse arguments, run, map the outcome to an exit code.
//!
//! Exit codes, the same for every command (`cli::EXIT_STATUS_HELP`, README):
//! 0 success (also when the output is closed early, e.g. `| head`); 1 a
//! failure while running (unreadable input, no privilege to capture, a call
//! with no reply or to an unregistered program); 2 bad arguments or option
//! values; 128 + n when signal n (SIGINT 130, SIGTERM 143) stopped it cleanly.
//!
//! Output goes through a 64 KiB buffer, or line by line when stdout is a
//! terminal (so a slow capture shows each line as it is decoded).

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use rpcscope::app::{self, signals::Stop, AppError, Outcome};
use rpcscope::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let tty = stdout.is_terminal();
    let mut out: Box<dyn Write> = if tty {
        Box::new(io::LineWriter::new(stdout.lock()))
    } else {
        Box::new(io::BufWriter::with_capacity(1 << 16, stdout.lock()))
    };
    let mut err = io::stderr();
    let result = match &cli.command {
        Command::Read(args) => app::read(args, &mut out, &mut err),
        Command::Stats(args) => app::stats(args, &mut out, &mut err),
        Command::Report(args) => app::report(args, &mut err),
        Command::Live(args) => app::live(args, &mut out, &mut err),
        Command::Top(args) => app::top::top(args, &mut err),
        Command::Interfaces => app::interfaces(&mut out),
        Command::Completions { shell } => app::docs::completions(*shell, &mut out),
        Command::Man => app::docs::man(&mut out),
        Command::Serve(args) => {
            // The server stops on its own flag; this one only tells which
            // signal it was, for the exit status.
            let stop = Stop::install().ok();
            return match rpcscope::server::run(args, &mut err) {
                Ok(()) => match stop.and_then(|s| s.signal()) {
                    Some(sig) => ExitCode::from(app::signals::exit_status(sig)),
                    None => ExitCode::SUCCESS,
                },
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
        (Ok(outcome), Ok(())) => ExitCode::from(outcome.exit_status()),
    }
}
