//! The `rpcscope` binary: parse arguments, run, map the outcome to an exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use rpcscope::app::{self, Outcome};
use rpcscope::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut err = io::stderr();
    let result = match &cli.command {
        Command::Read(args) => app::read(args, &mut out, &mut err),
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
    match (result, flushed) {
        (Ok(Outcome::OutputClosed), _) => ExitCode::SUCCESS,
        (Ok(_), Err(e)) | (Err(e), _) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        (Ok(Outcome::Ok), Ok(())) => ExitCode::SUCCESS,
        (Ok(Outcome::InputErrors), _) => ExitCode::from(1),
        (Ok(_), Err(e)) | (Err(e), _) => {
            let _ = writeln!(err, "rpcscope: {e}");
            ExitCode::from(1)
        }
    }
}
