//! The `bench` command-line tool: parses arguments, calls the library, prints, and chooses the
//! exit code (0 ok, 1 below `--min-score`, 2 invalid input, 3 internal error).

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = brainbench::cli::Cli::parse();
    match brainbench::cli::run(cli) {
        Ok(status) => status.into(),
        Err(failure) => {
            eprintln!("error: {:#}", failure.error);
            failure.status.into()
        }
    }
}
