//! The Prometheus endpoint (`--metrics ADDR`).
//!
//! Libraries count through the `metrics` facade (`netlake_*` names, listed in the
//! README); this module installs the exporter that serves them as Prometheus text
//! on `http://ADDR/metrics`. Without `--metrics` the counters cost one relaxed
//! atomic load each (the facade's no-op recorder).

use std::net::SocketAddr;

use anyhow::{Context, Result};
use metrics_exporter_prometheus::PrometheusBuilder;

/// Serves the process's metrics on `addr` from a background thread.
///
/// Call once, before the work starts, so that no early count is lost.
///
/// # Errors
/// `addr` is not an `ip:port`, or a recorder is installed already, or the port
/// cannot be bound.
pub fn serve(addr: &str) -> Result<()> {
    let addr: SocketAddr = addr
        .parse()
        .with_context(|| format!("--metrics: {addr:?} is not an ip:port (e.g. 127.0.0.1:9598)"))?;
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()
        .with_context(|| format!("--metrics: serving on {addr}"))?;
    tracing::info!(%addr, "metrics served at http://{addr}/metrics");
    Ok(())
}
