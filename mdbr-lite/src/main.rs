//! The `mdbr-lite` standalone binary: serves the engine on a TCP address until SIGINT/SIGTERM.
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// A MongoDB-wire-compatible server, in memory or on disk.
#[derive(Debug, Parser)]
#[command(name = "mdbr-lite", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:27017")]
    bind: String,
    /// Keep all data in memory (the default).
    #[arg(long, conflicts_with = "data_dir")]
    memory: bool,
    /// Persist data in this directory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Seconds between TTL monitor passes.
    #[arg(long, default_value_t = 60)]
    ttl_interval_secs: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let mut builder = mdbr_lite::LiteServer::builder()
        .bind(args.bind.clone())
        .ttl_interval(Duration::from_secs(args.ttl_interval_secs.max(1)));
    builder = match &args.data_dir {
        Some(dir) => builder.data_dir(dir.clone()),
        None => builder.memory(),
    };
    let server = match builder.start().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, source = ?std::error::Error::source(&e), "mdbr-lite could not start");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(uri = %server.uri(), "mdbr-lite ready");
    wait_for_signal().await;
    tracing::info!("mdbr-lite shutting down");
    server.shutdown().await;
    std::process::ExitCode::SUCCESS
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
