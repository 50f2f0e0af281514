//! `cargo xtask release <version> [--dry-run]`: bump the shared version,
//! require a CHANGELOG section, package (and publish) every published crate
//! in dependency order.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use anyhow::{Context, Result, bail};

use crate::shell::{Cmd, root};

/// Runs the release; `dry_run` packages without publishing and puts the
/// version files back as they were.
pub(crate) fn run(version: &str, dry_run: bool) -> Result<()> {
    check_version(version)?;
    let status = Cmd::new("git", &["status", "--porcelain"]).read()?;
    if !status.trim().is_empty() {
        bail!("the working tree is not clean; commit or stash first:\n{status}");
    }
    let changelog =
        fs::read_to_string(root().join("CHANGELOG.md")).context("CHANGELOG.md is missing")?;
    if !has_section(&changelog, version) {
        bail!("CHANGELOG.md has no `## {version}` section: write the release notes first");
    }
    let manifest_path = root().join("Cargo.toml");
    let original = fs::read_to_string(&manifest_path)?;
    let bumped = bump(&original, version)?;
    fs::write(&manifest_path, &bumped)?;
    let result = (|| {
        let order = publish_order()?;
        eprintln!("release {version}: {}", order.join(" → "));
        if !dry_run {
            crate::ci::run(crate::ci::Options::default())?;
        }
        let mut package = Cmd::cargo(&["package", "--allow-dirty", "--no-verify"]);
        for krate in &order {
            package = package.args(["-p", krate.as_str()]);
        }
        package.run()?;
        if !dry_run {
            for krate in &order {
                Cmd::cargo(&["publish", "-p", krate.as_str()]).run()?;
            }
        }
        Ok(())
    })();
    if dry_run || result.is_err() {
        fs::write(&manifest_path, &original)?;
    }
    result
}

fn check_version(version: &str) -> Result<()> {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3
        || parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        bail!("`{version}` is not a version like 1.2.3 or 1.2.3-rc.1");
    }
    Ok(())
}

fn has_section(changelog: &str, version: &str) -> bool {
    changelog.lines().any(|l| {
        l.strip_prefix("## ").is_some_and(|rest| {
            let rest = rest.trim().trim_start_matches('[');
            rest == version
                || rest.starts_with(&format!("{version} "))
                || rest.starts_with(&format!("{version}]"))
        })
    })
}

/// The root manifest with `[workspace.package] version` and the `version` of
/// every internal `[workspace.dependencies]` entry set to `version`.
pub(crate) fn bump(manifest: &str, version: &str) -> Result<String> {
    let mut section = String::new();
    let mut package_bumped = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let new = if section == "[workspace.package]"
            && trimmed.starts_with("version")
            && trimmed.contains('=')
        {
            package_bumped = true;
            format!("version = \"{version}\"")
        } else if section == "[workspace.dependencies]"
            && trimmed.starts_with("mdbr")
            && line.contains("version = \"")
        {
            replace_version(line, version)
        } else {
            line.to_owned()
        };
        out.push(new);
    }
    if !package_bumped {
        bail!("no `version` in [workspace.package]");
    }
    let mut text = out.join("\n");
    if manifest.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn replace_version(line: &str, version: &str) -> String {
    let Some(start) = line.find("version = \"") else { return line.to_owned() };
    let value = start + "version = \"".len();
    let Some(len) = line[value..].find('"') else { return line.to_owned() };
    format!("{}{version}{}", &line[..value], &line[value + len..])
}

/// Published workspace crates, each after the crates it depends on.
fn publish_order() -> Result<Vec<String>> {
    let json = Cmd::cargo(&["metadata", "--format-version", "1", "--no-deps"]).read()?;
    let meta: serde_json::Value = serde_json::from_str(&json)?;
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let packages = meta["packages"].as_array().cloned().unwrap_or_default();
    let published: BTreeSet<String> = packages
        .iter()
        .filter(|p| p["publish"].as_array().is_none_or(|a| !a.is_empty()))
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    for p in &packages {
        let Some(name) = p["name"].as_str().filter(|n| published.contains(*n)) else { continue };
        let internal = p["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str())
            .filter(|d| published.contains(*d))
            .map(str::to_owned)
            .collect();
        deps.insert(name.to_owned(), internal);
    }
    topological(&deps)
}

pub(crate) fn topological(deps: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<String>> {
    let mut order = Vec::new();
    let mut done = BTreeSet::new();
    while done.len() < deps.len() {
        let ready: Vec<&String> = deps
            .iter()
            .filter(|(n, d)| !done.contains(*n) && d.iter().all(|x| done.contains(x)))
            .map(|(n, _)| n)
            .collect();
        if ready.is_empty() {
            bail!(
                "dependency cycle among {:?}",
                deps.keys().filter(|k| !done.contains(*k)).collect::<Vec<_>>()
            );
        }
        for n in ready {
            done.insert(n.clone());
            order.push(n.clone());
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_the_shared_version_and_internal_dependencies_only() {
        let before = "[workspace.package]\nversion = \"0.1.0\"\n\n[workspace.dependencies]\nmdbr-core = { path = \"mdbr-core\", version = \"0.1.0\" }\nmdbr-test-support = { path = \"mdbr-test-support\" }\nserde = { version = \"1\" }\n";
        let after = bump(before, "0.2.0").unwrap();
        assert!(after.contains("[workspace.package]\nversion = \"0.2.0\""));
        assert!(after.contains("mdbr-core = { path = \"mdbr-core\", version = \"0.2.0\" }"));
        assert!(after.contains("serde = { version = \"1\" }"));
        assert!(after.contains("mdbr-test-support = { path = \"mdbr-test-support\" }"));
        assert!(bump("[package]\nname = \"x\"\n", "1.0.0").is_err());
    }

    #[test]
    fn versions_and_changelog_sections() {
        assert!(check_version("1.2.3").is_ok() && check_version("1.2.3-rc.1").is_ok());
        assert!(check_version("1.2").is_err() && check_version("v1.2.3").is_err());
        let log = "# Changelog\n\n## 0.2.0 (2026-12-01)\n\n- things\n\n## [0.1.0]\n";
        assert!(has_section(log, "0.2.0") && has_section(log, "0.1.0"));
        assert!(!has_section(log, "0.2") && !has_section(log, "0.3.0"));
    }

    #[test]
    fn dependency_order_puts_core_first_and_the_facade_last() {
        let mut deps = BTreeMap::new();
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        deps.insert("mdbr".to_owned(), set(&["mdbr-scope", "mdbr-core", "mdbr-index"]));
        deps.insert("mdbr-index".to_owned(), set(&["mdbr-scope", "mdbr-core"]));
        deps.insert("mdbr-scope".to_owned(), set(&["mdbr-core"]));
        deps.insert("mdbr-core".to_owned(), set(&[]));
        assert_eq!(
            topological(&deps).unwrap(),
            vec!["mdbr-core", "mdbr-scope", "mdbr-index", "mdbr"]
        );
        deps.insert("mdbr-core".to_owned(), set(&["mdbr"]));
        assert!(topological(&deps).is_err());
    }
}
