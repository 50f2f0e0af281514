//! The manifests of the shared fixtures configure the service without code.

use std::path::Path;

use mdbr_core::{EmbeddingConfig, Manifest};
use mdbr_embed::EmbeddingService;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/manifests");

#[test]
fn fixture_manifests_build_services() {
    let mut built = 0;
    for dir in ["original", "seed"] {
        let Ok(entries) = std::fs::read_dir(Path::new(FIXTURES).join(dir)) else { continue };
        for entry in entries {
            let loaded = Manifest::from_path(entry.unwrap().path()).unwrap();
            let service = EmbeddingService::from_manifest(&loaded.manifest).unwrap();
            let config = &loaded.manifest.embedding_config;
            assert_eq!(service.max_tokens_per_chunk(), config.max_tokens_per_chunk as usize);
            built += 1;
        }
    }
    assert!(built >= 4, "found only {built} fixture manifests under {FIXTURES}");
}

#[test]
fn defaults_follow_the_manifest_defaults() {
    let service = EmbeddingService::from_config(&EmbeddingConfig::default()).unwrap();
    assert_eq!(service.max_tokens_per_chunk(), 1000);
    assert_eq!(service.encoding(), "cl100k_base");
}
