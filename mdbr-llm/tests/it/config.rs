//! The manifests of the shared fixtures configure the service without code.

use std::path::Path;

use mdbr_core::Manifest;
use mdbr_llm::LlmService;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/manifests");

#[test]
fn fixture_manifests_build_services() {
    let mut built = 0;
    for dir in ["original", "seed"] {
        let Ok(entries) = std::fs::read_dir(Path::new(FIXTURES).join(dir)) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let loaded = Manifest::from_path(&path).unwrap();
            let llm = LlmService::from_manifest(&loaded.manifest).unwrap();
            assert_eq!(llm.app(), loaded.manifest.slug.as_str());
            assert_eq!(llm.retry_policy().max_retries, loaded.manifest.llm_config.max_retries);
            built += 1;
        }
    }
    assert!(built >= 4, "found only {built} fixture manifests under {FIXTURES}");
}
