//! Overhead of `LlmService::embed` over a bare `reqwest` call to the same mock
//! server, at 100 concurrent calls.
//!
//! `cargo bench -p mdbr-llm --bench embed_overhead` (`MDBR_BENCH_ROUNDS` sets the
//! number of measured rounds, default 100: 30 proved too few on a shared machine; the three variants run in rotating order).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)] // a report binary

use std::time::{Duration, Instant};

use mdbr_core::LlmConfig;
use mdbr_llm::LlmService;
use mdbr_test_support::MockProvider;
use serde_json::{Value, json};

const CONCURRENCY: usize = 100;
/// Measured rounds; `MDBR_BENCH_ROUNDS` overrides.
fn rounds() -> usize {
    std::env::var("MDBR_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(100)
}

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

#[derive(serde::Deserialize)]
struct Reply {
    data: Vec<Item>,
}

#[derive(serde::Deserialize)]
struct Item {
    embedding: Vec<f32>,
}

/// The same call with the body parsed straight into `f32` vectors: the
/// cheapest a hand-written client gets.
async fn bare_typed(client: &reqwest::Client, url: &str, texts: &[String]) -> Vec<Vec<f32>> {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        model: &'a str,
        input: &'a [String],
        encoding_format: &'a str,
    }
    let body = Body { model: "text-embedding-3-small", input: texts, encoding_format: "float" };
    let bytes = client
        .post(url)
        .bearer_auth("sk-bench")
        .json(&body)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let reply: Reply = serde_json::from_slice(&bytes).unwrap();
    reply.data.into_iter().map(|d| d.embedding).collect()
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
    let (mut bare_times, mut typed_times, mut llm_times) = (Vec::new(), Vec::new(), Vec::new());
    let rounds = rounds();
    for i in 0..rounds + 3 {
        // Rotate the order so that none of the three always runs first.
        let mut times = [Duration::ZERO; 3];
        for k in 0..3 {
            let which = (i + k) % 3;
            times[which] = match which {
                0 => round(|| bare(&client, &url, &texts)).await,
                1 => round(|| bare_typed(&client, &url, &texts)).await,
                _ => {
                    round(|| async {
                        llm.embed(&texts, Some("openai/text-embedding-3-small")).await.unwrap()
                    })
                    .await
                }
            };
        }
        if i >= 3 {
            bare_times.push(times[0]);
            typed_times.push(times[1]);
            llm_times.push(times[2]);
        }
    }
    let (b, t, l) = (median(bare_times), median(typed_times), median(llm_times));
    let pct = |base: Duration| (l.as_secs_f64() / base.as_secs_f64() - 1.0) * 100.0;
    println!(
        "{CONCURRENCY} concurrent embed calls (16 texts x 256 dims), median of {rounds} rounds: bare reqwest + serde_json::Value {:.2} ms, bare reqwest + typed serde {:.2} ms, LlmService::embed {:.2} ms; overhead {:+.1}% over the Value baseline, {:+.1}% over the typed one",
        b.as_secs_f64() * 1e3,
        t.as_secs_f64() * 1e3,
        l.as_secs_f64() * 1e3,
        pct(b),
        pct(t)
    );
}
