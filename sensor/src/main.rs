//! `netlake`: the sensor and lake command line.
//!
//! `main` → [`run`] → exit code: 0 all fine (also after a closed pipe), 1 the run
//! finished but some inputs or sinks failed (each reported), 2 it could not run.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use sensor::cli::{Cli, Command};

// mimalloc: the default glibc allocator serialises the workers' record-building
// allocations and fragments under long runs; mimalloc keeps per-thread heaps.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NETLAKE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("netlake: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Replay(a) => sensor::replay::run(&a),
        Command::Sql(a) => sensor::sql::run(&a),
        Command::Schema(a) => sensor::sql::schema(&a),
        Command::LakeWriter(a) => sensor::lake_writer_cmd::run(&a),
    }
}
