//! Rendering query results: an aligned text table, CSV, or JSON lines.

use std::io::Write;

use arrow::csv::WriterBuilder as CsvWriterBuilder;
use arrow::json::LineDelimitedWriter;
use arrow::record_batch::RecordBatch;
use arrow::util::pretty::pretty_format_batches;

use crate::error::{LakeError, Result};

/// How [`write_batches`] renders query results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// An aligned text table with a header, for terminals.
    #[default]
    Table,
    /// CSV with a header line (RFC 4180 quoting).
    Csv,
    /// JSON lines: one object per row; null fields are omitted, timestamps are
    /// RFC 3339 strings.
    Json,
}

impl OutputFormat {
    /// The format's name as used on the command line: `table`, `csv` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

impl std::str::FromStr for OutputFormat {
    type Err = String;

    /// Parses `table`, `csv`, `json` (or `jsonl`), case-insensitively.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(Self::Table),
            "csv" => Ok(Self::Csv),
            "json" | "jsonl" | "ndjson" => Ok(Self::Json),
            other => Err(format!(
                "unknown output format '{other}': use table, csv or json"
            )),
        }
    }
}

/// Writes `batches` to `w` in `fmt`.
///
/// An empty result still gets a CSV header or table header when the batches carry
/// a schema; with no batches at all, CSV and JSON write nothing.
///
/// # Errors
/// [`LakeError::Format`] when a value cannot be rendered or `w` fails (a closed
/// pipe included; the CLI treats that one as success).
pub fn write_batches(w: &mut impl Write, batches: &[RecordBatch], fmt: OutputFormat) -> Result<()> {
    let err = |source| LakeError::Format {
        format: fmt.name(),
        source,
    };
    match fmt {
        OutputFormat::Table => {
            let table = pretty_format_batches(batches).map_err(err)?;
            writeln!(w, "{table}").map_err(|e| err(e.into()))
        }
        OutputFormat::Csv => {
            let mut csv = CsvWriterBuilder::new().with_header(true).build(w);
            batches.iter().try_for_each(|b| csv.write(b)).map_err(err)
        }
        OutputFormat::Json => {
            let mut json = LineDelimitedWriter::new(w);
            json.write_batches(&batches.iter().collect::<Vec<_>>())
                .map_err(err)?;
            json.finish().map_err(err)
        }
    }
}

/// [`write_batches`] into a `String`.
///
/// # Errors
/// As [`write_batches`].
pub fn format_batches(batches: &[RecordBatch], fmt: OutputFormat) -> Result<String> {
    let mut out = Vec::new();
    write_batches(&mut out, batches, fmt)?;
    String::from_utf8(out).map_err(|e| LakeError::Format {
        format: fmt.name(),
        source: arrow::error::ArrowError::ExternalError(Box::new(e)),
    })
}
