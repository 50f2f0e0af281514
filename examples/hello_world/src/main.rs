//! Runs the hello_world app: on the embedded engine unless `MDBR_MONGODB_URI`
//! is set, listening on `127.0.0.1:8000` unless `MDBR_ADDR` or `PORT` says otherwise.
#![allow(clippy::print_stdout)]

use axum::serve::{Listener, ListenerExt};
use mdbr::RuntimeEngine;
use mdbr::obs::ObsConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ObsConfig::from_env().try_init()?;
    // An example runs in dev mode unless told otherwise: auth keys are
    // generated per process (and logged as generated) and cookies work over
    // plain-HTTP localhost. Set MDBR_DEV_MODE=false and MDBR_JWT_SECRET /
    // MDBR_AUTH_SECRET to run it like production.
    let dev =
        std::env::var("MDBR_DEV_MODE").map_or(true, |v| matches!(v.as_str(), "1" | "true" | "yes"));
    let engine = RuntimeEngine::builder().dev_mode(dev).build().await?;
    let router = hello_world::router(&engine).await?;
    let addr = match (std::env::var("MDBR_ADDR"), std::env::var("PORT")) {
        (Ok(addr), _) => addr,
        (_, Ok(port)) => format!("127.0.0.1:{port}"),
        _ => "127.0.0.1:8000".to_owned(),
    };
    // TCP_NODELAY: small websocket frames go out at once.
    let listener = tokio::net::TcpListener::bind(&addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!(
        "hello_world is serving on http://{} (database: {})",
        listener.local_addr()?,
        engine.uri()
    );
    println!(
        "sign in as {} / {} to add greetings; open the page in two tabs to see them arrive live",
        hello_world::DEMO_USER.0,
        hello_world::DEMO_USER.1
    );
    // Connection info lets login throttling count failures per client address.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await?;
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
