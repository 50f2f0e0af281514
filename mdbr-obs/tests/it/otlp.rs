//! OTLP push to a local collector that speaks OTLP/HTTP.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use mdbr_obs::Metrics;

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_pushed_to_the_collector() {
    let received: Arc<Mutex<Vec<(String, usize)>>> = Arc::default();
    let sink = received.clone();
    let app = Router::new().route(
        "/v1/metrics",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let kind = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                sink.lock().unwrap().push((kind, body.len()));
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let endpoint = format!("http://{addr}/v1/metrics");
    let metrics = tokio::task::spawn_blocking(move || {
        let m = Metrics::with_otlp(&endpoint, Duration::from_secs(60)).unwrap();
        m.record_operation("shop", "checkout", Duration::from_millis(5), true);
        m.force_flush().unwrap();
        m
    })
    .await
    .unwrap();
    let got = received.lock().unwrap().clone();
    assert!(!got.is_empty(), "no OTLP request arrived");
    assert_eq!(got[0].0, "application/x-protobuf");
    assert!(got[0].1 > 20, "{got:?}");
    tokio::task::spawn_blocking(move || metrics.shutdown()).await.unwrap();
}
