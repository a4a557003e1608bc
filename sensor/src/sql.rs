//! `netlake sql` and `netlake schema`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{SchemaArgs, SqlArgs, SqlFormat};
use crate::schema;

/// Run one SQL statement over the lake and print the result.
///
/// # Errors
/// A missing lake, an unknown table or a bad statement (the message says which).
pub fn run(a: &SqlArgs) -> Result<ExitCode> {
    let location = lake::LakeLocation::parse(&a.lake.to_string_lossy())?;
    let batches = match &location {
        lake::LakeLocation::Local(dir) => {
            if !dir.is_dir() {
                anyhow::bail!(
                    "no lake at {} (run `netlake replay` first, or pass --lake DIR)",
                    dir.display()
                );
            }
            lake::query_blocking(dir, &a.query)
        }
        remote => lake::query_location_blocking(remote, &a.query),
    }
    .with_context(|| format!("query over {location}"))?;
    let fmt = match a.format {
        SqlFormat::Table => lake::OutputFormat::Table,
        SqlFormat::Csv => lake::OutputFormat::Csv,
        SqlFormat::Json => lake::OutputFormat::Json,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match lake::write_batches(&mut out, &batches, fmt) {
        Ok(()) => {}
        Err(e) if is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e).context("writing the result"),
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing the result")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn is_broken_pipe(e: &lake::LakeError) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::BrokenPipe;
        }
        src = s.source();
    }
    false
}

/// Print the datasets and their fields.
///
/// # Errors
/// An unknown dataset name.
pub fn schema(a: &SchemaArgs) -> Result<ExitCode> {
    let mut out = String::new();
    let mut found = false;
    for (name, own) in schema::DATASETS {
        if a.dataset.as_deref().is_some_and(|d| d != *name) {
            continue;
        }
        found = true;
        out.push_str(&format!("{name}\n"));
        for (field, col) in schema::COMMON.iter().chain(own.iter()) {
            out.push_str(&format!("  {field:<26} {}\n", schema::type_name(*col)));
        }
    }
    if !found {
        let names: Vec<&str> = schema::DATASETS.iter().map(|(n, _)| *n).collect();
        anyhow::bail!(
            "unknown dataset {:?}; datasets: {}",
            a.dataset.as_deref().unwrap_or(""),
            names.join(", ")
        );
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(ExitCode::SUCCESS)
}
