//! Overhead of `LlmService::embed` over a bare `reqwest` call to the same mock
//! server, at 100 concurrent calls.
//!
//! `cargo bench -p mdbr-llm --bench embed_overhead`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)] // a report binary

use std::time::{Duration, Instant};

use mdbr_core::LlmConfig;
use mdbr_llm::LlmService;
use mdbr_test_support::MockProvider;
use serde_json::{Value, json};

const CONCURRENCY: usize = 100;
const ROUNDS: usize = 30;

async fn bare(client: &reqwest::Client, url: &str, texts: &[String]) -> Vec<Vec<f32>> {
    let body: Value = client
        .post(url)
        .bearer_auth("sk-bench")
        .json(&json!({ "model": "text-embedding-3-small", "input": texts, "encoding_format": "float" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
        })
        .collect()
}

async fn round<F, Fut>(call: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Vec<Vec<f32>>>,
{
    let start = Instant::now();
    let results = futures_util::future::join_all((0..CONCURRENCY).map(|_| call())).await;
    assert!(results.iter().all(|r| r.len() == 16));
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let mock = MockProvider::with_dims(256).unwrap();
    let url = format!("{}/v1/embeddings", mock.url());
    let texts: Vec<String> =
        (0..16).map(|i| format!("document {i} about vector search and chunking")).collect();
    let client = reqwest::Client::new();
    let llm = LlmService::new("bench", LlmConfig::default())
        .unwrap()
        .with_base_url("openai", format!("{}/v1", mock.url()))
        .with_api_key("openai", "sk-bench");
    let (mut bare_times, mut llm_times) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS + 3 {
        let b = round(|| bare(&client, &url, &texts)).await;
        let l = round(|| async {
            llm.embed(&texts, Some("openai/text-embedding-3-small")).await.unwrap()
        })
        .await;
        if i >= 3 {
            bare_times.push(b);
            llm_times.push(l);
        }
    }
    let (b, l) = (median(bare_times), median(llm_times));
    println!(
        "{CONCURRENCY} concurrent embed calls (16 texts x 256 dims), median of {ROUNDS} rounds: bare reqwest {:.2} ms, LlmService::embed {:.2} ms, overhead {:+.1}%",
        b.as_secs_f64() * 1e3,
        l.as_secs_f64() * 1e3,
        (l.as_secs_f64() / b.as_secs_f64() - 1.0) * 100.0
    );
}
