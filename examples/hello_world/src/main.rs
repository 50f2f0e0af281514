//! Runs the hello_world app: on the embedded engine unless `MDBR_MONGODB_URI`
//! is set, listening on `127.0.0.1:8000` unless `MDBR_ADDR` or `PORT` says otherwise.
#![allow(clippy::print_stdout)]

use mdbr::RuntimeEngine;
use mdbr::obs::ObsConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ObsConfig::from_env().try_init()?;
    let engine = RuntimeEngine::builder().build().await?;
    let router = hello_world::router(&engine).await?;
    let addr = match (std::env::var("MDBR_ADDR"), std::env::var("PORT")) {
        (Ok(addr), _) => addr,
        (_, Ok(port)) => format!("127.0.0.1:{port}"),
        _ => "127.0.0.1:8000".to_owned(),
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "hello_world is serving on http://{} (database: {})",
        listener.local_addr()?,
        engine.uri()
    );
    axum::serve(listener, router).with_graceful_shutdown(shutdown_signal()).await?;
    engine.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
