//! The shared manifest fixtures: seed manifests load cleanly, original
//! (legacy) manifests load with a warning per legacy key.

use std::fs;
use std::path::{Path, PathBuf};

use mdbr_core::{Manifest, ProblemKind};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/manifests");

fn manifests(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(FIXTURES).join(dir);
    let entries = fs::read_dir(&dir).unwrap_or_else(|err| {
        panic!(
            "manifest fixtures not found at {}: {err}\n(the `shared/` directory must sit beside the repository)",
            dir.display()
        )
    });
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .json fixtures in {}", dir.display());
    files
}

#[test]
fn seed_manifests_load_without_warnings() {
    for path in manifests("seed") {
        let loaded =
            Manifest::from_path(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        assert!(loaded.warnings.is_empty(), "{}: {:?}", path.display(), loaded.warnings);
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("utf-8 file name");
        assert_eq!(loaded.manifest.slug.as_str(), stem);
        let report = loaded.manifest.validate();
        assert!(
            report.errors.is_empty() && report.warnings.is_empty(),
            "{}: {report}",
            path.display()
        );
    }
}

#[test]
fn original_manifests_load_with_legacy_warnings() {
    for path in manifests("original") {
        let text = fs::read_to_string(&path).expect("readable fixture");
        let raw: serde_json::Value = serde_json::from_str(&text).expect("fixture is JSON");
        let loaded =
            Manifest::from_path(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        assert!(!loaded.warnings.is_empty(), "{}: expected legacy warnings", path.display());
        for w in &loaded.warnings {
            assert_eq!(w.kind, ProblemKind::LegacyKey, "{}: {w}", path.display());
            let key = w.pointer.rsplit('/').next().expect("pointer has a segment");
            assert!(w.message.contains(&format!("`{key}`")), "warning must name the key: {w}");
        }
        // Each legacy key present in the file is named by a warning.
        let legacy_top = ["version", "auth_required", "data_scope"];
        for key in legacy_top {
            if raw.get(key).is_some() {
                assert!(
                    loaded.warnings.iter().any(|w| w.pointer == format!("/{key}")),
                    "{}: no warning for `{key}`",
                    path.display()
                );
            }
        }
        let background = text.matches("\"background\"").count();
        let background_warnings =
            loaded.warnings.iter().filter(|w| w.pointer.ends_with("/options/background")).count();
        assert_eq!(background, background_warnings, "{}", path.display());

        // Legacy values are carried over into the current model.
        let m = &loaded.manifest;
        assert_eq!(m.schema_version, "2.0");
        if let Some(required) = raw.get("auth_required").and_then(|v| v.as_bool()) {
            assert_eq!(m.auth_policy.required, required);
        }
        assert!(m.validate().is_ok(), "{}: {}", path.display(), m.validate());
    }
}

#[test]
fn original_hello_world_details() {
    let loaded =
        Manifest::from_path(Path::new(FIXTURES).join("original/hello_world.json")).unwrap();
    let pointers: Vec<&str> = loaded.warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/version", "/auth_required", "/managed_indexes/greetings/0/options/background"]
    );
    let m = loaded.manifest;
    assert_eq!(m.developer_id.as_deref(), Some("developer@example.com"));
    let (coll, idx) = m.indexes().next().unwrap();
    assert_eq!(coll.as_str(), "greetings");
    let fields: Vec<(&str, i32)> =
        idx.keys.as_ref().unwrap().iter().map(|(f, d)| (f, d.as_i32().unwrap())).collect();
    assert_eq!(fields, [("language", 1), ("created_at", -1)]);
    assert!(idx.options.is_empty());
}

#[test]
fn missing_file_is_an_io_error() {
    let err = Manifest::from_path("/nonexistent/manifest.json").unwrap_err();
    assert!(matches!(err, mdbr_core::ManifestError::Io { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/manifest.json"));
}
