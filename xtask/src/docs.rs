//! `cargo xtask docs`: the API docs and the generated manifest reference under `docs/`.

use std::fs;

use anyhow::{Context, Result, bail};

use crate::shell::{Cmd, root};

/// Regenerates (or, with `check`, verifies) the files under `docs/`, then builds
/// the API docs with warnings denied, which catches broken intra-doc links.
pub(crate) fn run(check: bool) -> Result<()> {
    generated(check)?;
    Cmd::cargo(&["doc", "--workspace", "--no-deps", "--all-features", "--locked"])
        .env("RUSTDOCFLAGS", "-D warnings")
        .run()
}

/// The generated files, as (path relative to the root, expected contents).
pub(crate) fn expected_files() -> Result<Vec<(&'static str, String)>> {
    let schema_json = mdbr_core::manifest_schema_json();
    let schema = serde_json::from_str(&schema_json).context("the manifest schema is not JSON")?;
    let reference = crate::manifest_doc::render(&schema);
    Ok(vec![("docs/manifest.schema.json", schema_json), ("docs/manifest.md", reference)])
}

/// Writes each generated file, or with `check` fails if any differs from disk.
fn generated(check: bool) -> Result<()> {
    let root = root();
    let mut stale = Vec::new();
    for (path, expected) in expected_files()? {
        let full = root.join(path);
        let current = fs::read_to_string(&full).ok();
        if current.as_deref() == Some(expected.as_str()) {
            continue;
        }
        if check {
            stale.push(format!("{path} is stale: run `cargo xtask docs`"));
        } else {
            if let Some(dir) = full.parent() {
                fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            fs::write(&full, expected).with_context(|| format!("writing {path}"))?;
            eprintln!("wrote {path}");
        }
    }
    if !stale.is_empty() {
        bail!("{}", stale.join("\n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test` notices a manifest model change that `cargo xtask docs` hasn't picked up.
    #[test]
    fn generated_docs_are_fresh() {
        let root = root();
        for (path, expected) in expected_files().unwrap() {
            let current = fs::read_to_string(root.join(path)).unwrap_or_default();
            assert!(current == expected, "{path} is stale: run `cargo xtask docs`");
        }
    }
}
