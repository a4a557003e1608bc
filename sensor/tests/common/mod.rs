//! Helpers shared by the integration tests: run the real `netlake` binary on real
//! captures and read its JSON lines.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub mod services;

/// The `testdata/` directory of the workspace.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// A `netlake` command.
pub fn netlake() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_netlake"));
    c.env("NETLAKE_LOG", "error");
    c
}

/// Run `netlake replay --sink jsonl:- ARGS...` and return (output, records).
pub fn replay_jsonl(args: &[&str]) -> (Output, Vec<Value>) {
    let out = netlake()
        .args(["replay", "--quiet", "--uid-seed", "1", "--sink", "jsonl:-"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run netlake");
    let recs = parse_jsonl(&out.stdout);
    (out, recs)
}

/// Parse JSON lines, panicking (test failure) on any line that is not JSON.
pub fn parse_jsonl(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// The records of one dataset.
pub fn of<'a>(recs: &'a [Value], dataset: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["dataset"] == dataset).collect()
}
