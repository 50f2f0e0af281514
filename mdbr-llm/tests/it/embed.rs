//! Embeddings: batching at each provider's limit, order, dimensions.

use mdbr_llm::{Error, LlmService};
use mdbr_test_support::MockProvider;
use mdbr_test_support::mock_llm::vector_for;

use crate::support::service;

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("text {i} {}", "x".repeat(i % 37))).collect()
}

async fn check_batching(provider: &str, model: &str, expected_requests: usize) -> MockProvider {
    let mock = MockProvider::start().unwrap();
    let llm = service(&mock, provider);
    let input = texts(1000);
    let vectors = llm.embed(&input, Some(model)).await.unwrap();
    assert_eq!(vectors.len(), 1000);
    for (text, vector) in input.iter().zip(&vectors) {
        assert_eq!(vector, &vector_for(text, 8), "order broken at {text}");
    }
    assert_eq!(mock.request_count(), expected_requests, "{provider}");
    mock
}

#[tokio::test]
async fn openai_sends_1000_texts_in_one_request() {
    let mock = check_batching("openai", "openai/text-embedding-3-small", 1).await;
    let req = &mock.requests()[0];
    assert_eq!(req.path, "/v1/embeddings");
    assert_eq!(req.body["input"].as_array().unwrap().len(), 1000);
}

#[tokio::test]
async fn voyage_batches_at_128() {
    let mock = check_batching("voyage", "voyage/voyage-3", 8).await;
    let reqs = mock.requests();
    assert_eq!(reqs[0].path, "/v1/embeddings");
    assert_eq!(reqs[0].header("authorization"), Some("Bearer sk-test"));
    assert_eq!(reqs.iter().map(|r| r.body["input"].as_array().unwrap().len()).sum::<usize>(), 1000);
}

#[tokio::test]
async fn cohere_batches_at_96() {
    let mock = check_batching("cohere", "cohere/embed-english-v3.0", 11).await;
    let req = &mock.requests()[0];
    assert_eq!(req.path, "/v2/embed");
    assert_eq!(req.body["embedding_types"][0], "float");
    assert_eq!(req.body["texts"].as_array().unwrap().len(), 96);
}

#[tokio::test]
async fn gemini_batches_at_100() {
    let mock = check_batching("gemini", "gemini/text-embedding-004", 10).await;
    let req = &mock.requests()[0];
    assert_eq!(req.path, "/v1beta/models/text-embedding-004:batchEmbedContents");
    assert_eq!(req.body["requests"][0]["model"], "models/text-embedding-004");
}

#[tokio::test]
async fn a_smaller_batch_size_makes_more_requests_in_order() {
    let mock = MockProvider::start().unwrap();
    let llm = service(&mock, "openai").with_embed_batch_size(100).with_embed_concurrency(8);
    let input = texts(1000);
    let vectors = llm.embed(&input, Some("text-embedding-3-small")).await.unwrap();
    assert_eq!(mock.request_count(), 10);
    assert!(input.iter().zip(&vectors).all(|(t, v)| *v == vector_for(t, 8)));
}

#[tokio::test]
async fn dimensions_are_requested_and_checked() {
    let mock = MockProvider::with_dims(16).unwrap();
    let llm = service(&mock, "openai").with_dimensions(Some(16));
    llm.embed(&texts(3), Some("text-embedding-3-large")).await.unwrap();
    assert_eq!(mock.requests()[0].body["dimensions"], 16);
    let llm = service(&mock, "openai").with_dimensions(Some(1024));
    let err = llm.embed(&texts(3), Some("text-embedding-3-large")).await.unwrap_err();
    assert!(matches!(err, Error::Dimensions { expected: 1024, actual: 16 }), "{err}");
}

#[tokio::test]
async fn local_hashing_embedder_needs_no_server_or_key() {
    let llm = LlmService::new("test", mdbr_core::LlmConfig::default())
        .unwrap()
        .with_embedding_model("local/hashing-64");
    let vectors = llm.embed(&texts(5), None).await.unwrap();
    assert_eq!(vectors.len(), 5);
    assert!(vectors.iter().all(|v| v.len() == 64));
    let norm: f32 = vectors[0].iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-4);
    assert!(llm.embed(&[], None).await.unwrap().is_empty());
}

#[tokio::test]
async fn anthropic_has_no_embeddings_and_no_model_is_an_error() {
    let llm = LlmService::new("test", mdbr_core::LlmConfig::default())
        .unwrap()
        .with_api_key("anthropic", "k");
    let err = llm.embed(&texts(1), Some("anthropic/claude")).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { operation: "embeddings", .. }));
    let err = llm.embed(&texts(1), None).await.unwrap_err();
    assert!(matches!(err, Error::NoModel("embedding")));
}
