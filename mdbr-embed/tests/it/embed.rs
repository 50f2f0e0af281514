//! `split_and_embed`: one embedding call per batch, metadata on every chunk.

use mdbr_embed::EmbeddingService;
use mdbr_llm::{FixedEmbedder, LlmService};
use mdbr_test_support::MockProvider;
use serde_json::{Map, Value, json};

fn document(paragraphs: usize) -> String {
    (0..paragraphs)
        .map(|i| format!("Paragraph {i}: {}\n\n", "lorem ipsum dolor sit amet ".repeat(8)))
        .collect()
}

fn metadata() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("source".into(), json!("docs/guide.md"));
    m.insert("lang".into(), json!("en"));
    m
}

#[tokio::test]
async fn every_chunk_keeps_the_metadata_with_its_index_and_tokens() {
    let embedder = FixedEmbedder::new(32);
    let service =
        EmbeddingService::new(100, "gpt-3.5-turbo").unwrap().with_embedder(embedder.clone());
    let text = document(30);
    let chunks = service.split_and_embed(&text, &metadata()).await.unwrap();
    assert!(chunks.len() > 5);
    assert_eq!(embedder.calls(), 1, "one embedding call for one batch");
    assert_eq!(embedder.texts(), chunks.len());
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.embedding.len(), 32);
        assert_eq!(c.metadata["source"], "docs/guide.md");
        assert_eq!(c.metadata["lang"], "en");
        assert_eq!(c.metadata["chunk_index"], i);
        assert_eq!(c.metadata["chunk_count"], chunks.len());
        assert_eq!(c.metadata["token_count"], c.chunk.token_count);
        assert_eq!(c.metadata["byte_start"], c.chunk.byte_range.start);
        assert_eq!(c.metadata["byte_end"], c.chunk.byte_range.end);
        assert_eq!(&text[c.chunk.byte_range.clone()], c.chunk.text);
    }
}

#[tokio::test]
async fn batches_make_one_call_each() {
    let embedder = FixedEmbedder::new(8);
    let service = EmbeddingService::new(100, "gpt-4")
        .unwrap()
        .with_embedder(embedder.clone())
        .with_batch_size(4);
    let chunks = service.split_and_embed(&document(30), &Map::new()).await.unwrap();
    assert_eq!(embedder.calls(), chunks.len().div_ceil(4));
}

#[tokio::test]
async fn embeds_through_the_llm_service_in_one_request() {
    let mock = MockProvider::start().unwrap();
    let llm = LlmService::new("test", mdbr_core::LlmConfig::default())
        .unwrap()
        .with_base_url("openai", format!("{}/v1", mock.url()))
        .with_api_key("openai", "sk-test")
        .with_embedding_model("openai/text-embedding-3-small");
    let service = EmbeddingService::new(100, "gpt-3.5-turbo").unwrap().with_embedder(llm.clone());
    let text = document(40);
    let chunks = service.split_and_embed(&text, &metadata()).await.unwrap();
    assert_eq!(mock.request_count(), 1);
    let sent = mock.requests()[0].body["input"].as_array().unwrap().len();
    assert_eq!(sent, chunks.len());
    assert_eq!(
        chunks[3].embedding,
        mdbr_test_support::mock_llm::vector_for(&chunks[3].chunk.text, 8)
    );
    assert!(llm.usage().models["openai/text-embedding-3-small"].embedding_tokens > 0);
}

#[tokio::test]
async fn without_an_embedder_split_and_embed_says_so() {
    let service = EmbeddingService::new(100, "gpt-4").unwrap();
    let err = service.split_and_embed("text", &Map::new()).await.unwrap_err();
    assert!(matches!(err, mdbr_embed::Error::NoEmbedder));
}
