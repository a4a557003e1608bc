//! Errors of the capture generator.

use std::path::PathBuf;

/// Everything that can stop `gen-capture`.
#[derive(Debug)]
#[non_exhaustive]
pub enum GenError {
    /// Reading a seed or writing the output failed.
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A seed file is not a classic pcap we can read.
    BadSeed {
        /// The seed file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// No seed yielded a replayable IPv4 TCP/UDP transaction.
    NoTemplates,
    /// A command-line value could not be parsed.
    BadArg {
        /// The flag.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What was expected.
        why: &'static str,
    },
}

impl std::fmt::Display for GenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            GenError::BadSeed { path, why } => {
                write!(f, "{}: not a usable pcap: {why}", path.display())
            }
            GenError::NoTemplates => {
                f.write_str("no usable TCP/UDP transaction in the seed captures")
            }
            GenError::BadArg { flag, value, why } => {
                write!(f, "bad value for {flag}: {value:?} ({why})")
            }
        }
    }
}

impl std::error::Error for GenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GenError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Result alias for the generator.
pub type Result<T> = std::result::Result<T, GenError>;
