use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match lockstep::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else is a usage error (2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    ExitCode::from(lockstep::cli::run(cli).code())
}
