//! The `bench` command-line tool: parses arguments, calls the library, renders its report, and
//! exits with the status of the outcome (0 ok, 1 below `--min-score` or stale, 2 invalid input,
//! 3 internal error).

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    brainbench::contain::quiet_contained_panics();
    let status = match cli::run(cli::Cli::parse()) {
        Ok(status) => status,
        Err(error) => {
            // Every message is complete in its Display: printed once, never with its sources.
            eprintln!("error: {error}");
            error.exit_status()
        }
    };
    std::process::ExitCode::from(status.code())
}
