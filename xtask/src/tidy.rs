//! `cargo xtask tidy`: repository rules that rustfmt and clippy don't check.
//!
//! Every `.rs` file starts with a `//!` line; `.rs`, `.toml` and `.md` files
//! have no trailing whitespace; every member crate inherits the workspace
//! version and lints; and dependency edges follow the tables in `tidy/deps.rs`.
//! The same checks run as the `tidy` test, so `cargo test` catches violations.

mod deps;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::shell::{Cmd, root};

/// Runs every check and fails if any found a problem, listing each as `file:line: message`.
pub(crate) fn run() -> Result<()> {
    let problems = check(&root())?;
    if problems.is_empty() {
        eprintln!("tidy: ok");
        return Ok(());
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    bail!("tidy found {} problem(s)", problems.len())
}

/// One rule violation, at a line of a file relative to the repository root.
#[derive(Debug)]
struct Problem {
    file: String,
    line: usize,
    message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// A workspace member, as `cargo metadata --no-deps` describes it.
#[derive(Debug)]
struct Member {
    name: String,
    /// The `Cargo.toml`, relative to the root (`mdbr-core/Cargo.toml`).
    manifest: String,
    /// The `Cargo.toml` contents.
    text: String,
    /// Internal and external dependencies: (package name, name in `Cargo.toml`, kind).
    deps: Vec<Dep>,
}

#[derive(Debug)]
struct Dep {
    name: String,
    key: String,
    kind: DepKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DepKind {
    Normal,
    Dev,
    Build,
}

impl Member {
    fn is_example(&self) -> bool {
        self.manifest.starts_with("examples/")
    }

    /// The line of `Cargo.toml` that declares dependency `key` (1 when not found).
    fn dep_line(&self, key: &str) -> usize {
        let declares = |line: &str| {
            let line = line.trim_start().trim_start_matches('[');
            let line = line.strip_prefix("dependencies.").unwrap_or(line);
            line.strip_prefix(key).is_some_and(|rest| {
                rest.starts_with([' ', '=', '.', ']']) || rest.trim_start().starts_with('=')
            })
        };
        self.text.lines().position(declares).map_or(1, |i| i + 1)
    }
}

fn check(root: &Path) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for file in text_files(root)? {
        check_text_file(root, &file, &mut problems)?;
    }
    let members = members(root)?;
    for member in &members {
        check_manifest(member, &mut problems);
    }
    deps::check_layers(&members, &mut problems);
    deps::check_external(&members, &mut problems)?;
    Ok(problems)
}

/// The `.rs`, `.toml` and `.md` files under `root`, skipping `.git` and build output.
fn text_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if path.is_dir() {
                let build_output = name == "target" || path.join("CACHEDIR.TAG").exists();
                if !(build_output || name == ".git" || name == "node_modules") {
                    dirs.push(path);
                }
            } else if ["rs", "toml", "md"].iter().any(|ext| path.extension() == Some(ext.as_ref()))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn check_text_file(root: &Path, path: &Path, problems: &mut Vec<Problem>) -> Result<()> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file = relative(root, path);
    let problem =
        |line, message: &str| Problem { file: file.clone(), line, message: message.into() };
    if path.extension() == Some("rs".as_ref()) && !text.starts_with("//!") {
        problems.push(problem(1, "a `.rs` file starts with a `//!` line saying what it is for"));
    }
    for (i, line) in text.lines().enumerate() {
        if line.ends_with([' ', '\t']) {
            problems.push(problem(i + 1, "trailing whitespace"));
        }
    }
    Ok(())
}

/// Checks that a member inherits the workspace version and lints.
fn check_manifest(member: &Member, problems: &mut Vec<Problem>) {
    let mut section = String::new();
    let mut package_line = 1;
    let mut lints_line = None;
    let (mut version, mut lints) = (false, false);
    for (i, line) in member.text.lines().enumerate() {
        let line: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).to_owned();
            match section.as_str() {
                "package" => package_line = i + 1,
                "lints" => lints_line = Some(i + 1),
                _ => {}
            }
            continue;
        }
        match section.as_str() {
            "package" => {
                version |= line == "version.workspace=true" || line == "version={workspace=true}";
            }
            "lints" => lints |= line == "workspace=true",
            "" => lints |= line == "lints.workspace=true",
            _ => {}
        }
    }
    let problem = |line, message: &str| Problem {
        file: member.manifest.clone(),
        line,
        message: message.to_owned(),
    };
    if !version {
        problems.push(problem(package_line, "[package] needs `version.workspace = true`"));
    }
    if !lints {
        problems.push(problem(lints_line.unwrap_or(1), "needs `[lints]` with `workspace = true`"));
    }
}

/// The workspace members, from `cargo metadata --no-deps`.
fn members(root: &Path) -> Result<Vec<Member>> {
    let json = Cmd::cargo(&["metadata", "--format-version", "1", "--no-deps"]).read()?;
    let metadata: Value = serde_json::from_str(&json).context("parsing `cargo metadata`")?;
    let packages = metadata["packages"].as_array().context("`cargo metadata` has no packages")?;
    let mut members = Vec::new();
    for package in packages {
        let manifest = Path::new(package["manifest_path"].as_str().unwrap_or_default());
        let text = fs::read_to_string(manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let deps = package["dependencies"].as_array().into_iter().flatten();
        let deps = deps
            .map(|dep| {
                let name = dep["name"].as_str().unwrap_or_default().to_owned();
                let key = dep["rename"].as_str().map_or_else(|| name.clone(), str::to_owned);
                let kind = match dep["kind"].as_str() {
                    Some("dev") => DepKind::Dev,
                    Some("build") => DepKind::Build,
                    _ => DepKind::Normal,
                };
                Dep { name, key, kind }
            })
            .collect();
        members.push(Member {
            name: package["name"].as_str().unwrap_or_default().to_owned(),
            manifest: relative(root, manifest),
            text,
            deps,
        });
    }
    members.sort_by(|a, b| a.manifest.cmp(&b.manifest));
    Ok(members)
}

/// `path` relative to `root`, with `/` separators.
fn relative(root: &Path, path: &Path) -> String {
    let path = path.strip_prefix(root).unwrap_or(path);
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tidy checks, as a test, so `cargo test` catches violations.
    #[test]
    fn tidy() {
        let problems = check(&root()).unwrap();
        let list: Vec<String> = problems.iter().map(Problem::to_string).collect();
        assert!(problems.is_empty(), "tidy found problems:\n{}", list.join("\n"));
    }
}
