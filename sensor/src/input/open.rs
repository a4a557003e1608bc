//! Finding inputs and opening them, with transparent decompression.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::InputError;

/// One input to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// A file on disk.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

impl InputSpec {
    /// The name used in messages.
    pub fn display_path(&self) -> PathBuf {
        match self {
            InputSpec::File(p) => p.clone(),
            InputSpec::Stdin => PathBuf::from("-"),
        }
    }

    /// Size on disk (compressed), when known, for the progress bar.
    pub fn size(&self) -> Option<u64> {
        match self {
            InputSpec::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            InputSpec::Stdin => None,
        }
    }
}

/// Expand the command line's inputs: files as given, directories to their regular
/// files sorted by name (recursively), `-` to standard input.
///
/// # Errors
/// A path that does not exist or a directory that cannot be listed.
pub fn expand_inputs(args: &[PathBuf]) -> Result<Vec<InputSpec>, InputError> {
    let mut out = Vec::new();
    for a in args {
        if a.as_os_str() == "-" {
            out.push(InputSpec::Stdin);
        } else if a.is_dir() {
            walk(a, &mut out)?;
        } else if a.exists() {
            out.push(InputSpec::File(a.clone()));
        } else {
            return Err(InputError::Io {
                path: a.clone(),
                source: io::Error::new(io::ErrorKind::NotFound, "no such file or directory"),
            });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<InputSpec>) -> Result<(), InputError> {
    let io_err = |source| InputError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.is_file() {
            out.push(InputSpec::File(p));
        }
    }
    Ok(())
}

/// Counts the raw (compressed) bytes read, for progress reporting.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Open an input for reading, decompressing gzip and zstd by their magic bytes.
/// Raw bytes read are added to `counter`.
///
/// # Errors
/// When the file cannot be opened or its first bytes cannot be read.
pub fn open_input(
    spec: &InputSpec,
    counter: Arc<AtomicU64>,
) -> Result<Box<dyn Read + Send>, InputError> {
    let path = spec.display_path();
    let raw: Box<dyn Read + Send> = match spec {
        InputSpec::File(p) => Box::new(File::open(p).map_err(|source| InputError::Io {
            path: path.clone(),
            source,
        })?),
        InputSpec::Stdin => Box::new(io::stdin()),
    };
    let mut buffered = BufReader::with_capacity(
        1 << 20,
        Counting {
            inner: raw,
            count: counter,
        },
    );
    let head = buffered.fill_buf().map_err(|source| InputError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(match head {
        [0x1f, 0x8b, ..] => Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(buffered),
        )),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Box::new(EmptyReadOk(
            zstd::stream::read::Decoder::with_buffer(buffered).map_err(|source| {
                InputError::Io {
                    path: path.clone(),
                    source,
                }
            })?,
        )),
        _ => Box::new(buffered),
    })
}

/// Answers a read into an empty buffer with `Ok(0)`: the pcap reader asks for zero
/// bytes when its first read filled its buffer, and zstd's decoder reports that as
/// an error ("no progress") instead.
struct EmptyReadOk<R>(R);

impl<R: Read> Read for EmptyReadOk<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.0.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_and_zstd_are_recognised_by_magic() {
        let plain = b"\xd4\xc3\xb2\xa1rest".to_vec();
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.gz");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, &plain).unwrap();
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        let zs = dir.path().join("b.zst");
        std::fs::write(&zs, zstd::encode_all(&plain[..], 1).unwrap()).unwrap();
        for p in [gz, zs] {
            let mut r = open_input(&InputSpec::File(p), Arc::default()).unwrap();
            let mut got = Vec::new();
            r.read_to_end(&mut got).unwrap();
            assert_eq!(got, plain);
        }
    }

    #[test]
    fn directories_expand_sorted_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.pcap"), b"x").unwrap();
        std::fs::write(dir.path().join("a.pcap"), b"x").unwrap();
        let got = expand_inputs(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(
            got,
            vec![
                InputSpec::File(dir.path().join("a.pcap")),
                InputSpec::File(dir.path().join("b.pcap"))
            ]
        );
        let err = expand_inputs(&[dir.path().join("nope.pcap")]).unwrap_err();
        assert!(err.to_string().contains("nope.pcap"));
    }
}
