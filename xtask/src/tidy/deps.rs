//! The dependency rules: which mdbr crates each crate may use (the layer table),
//! and which crates may pull in heavy external crates such as `axum`.
//!
//! Changing a table is an architecture change: update `ARCHITECTURE.md` in the
//! same commit (STYLE §2).

use std::collections::{HashMap, HashSet, VecDeque};

use anyhow::Result;

use crate::shell::Cmd;
use crate::tidy::{DepKind, Member, Problem};

/// The mdbr crates each crate may depend on (normal and build dependencies).
/// Dev-dependencies may also add `mdbr-test-support`. Examples may use anything.
const LAYERS: &[(&str, &[&str])] = &[
    ("mdbr-core", &[]),
    ("mdbr-scope", &["mdbr-core"]),
    ("mdbr-index", &["mdbr-core", "mdbr-scope"]),
    ("mdbr-llm", &["mdbr-core"]),
    ("mdbr-embed", &["mdbr-core", "mdbr-llm"]),
    ("mdbr-auth", &["mdbr-core", "mdbr-scope"]),
    ("mdbr-ws", &["mdbr-core", "mdbr-auth", "mdbr-scope"]),
    ("mdbr-obs", &["mdbr-core", "mdbr-scope"]),
    // The facade may use every published layer (not the unpublished test support).
    (
        "mdbr",
        &[
            "mdbr-core",
            "mdbr-scope",
            "mdbr-index",
            "mdbr-llm",
            "mdbr-embed",
            "mdbr-auth",
            "mdbr-ws",
            "mdbr-obs",
            "mdbr-lite",
        ],
    ),
    ("mdbr-lite", &[]),
    ("mdbr-test-support", &["mdbr-lite", "mdbr-core"]),
    ("xtask", &["mdbr-core"]),
];

/// The only crate that every dev-dependency list may add.
const TEST_SUPPORT: &str = "mdbr-test-support";

/// External crates that only some crates may pull in, directly or through
/// other external crates. A trailing `*` matches a name prefix. Examples may
/// pull in anything.
const EXTERNAL: &[(&str, Allowed)] = &[
    ("axum", Allowed::Only(&["mdbr-ws", "mdbr-auth", "mdbr"])),
    // mdbr-lite ships a standalone server binary that logs by itself.
    ("tracing-subscriber", Allowed::Only(&["mdbr-obs", "mdbr", "mdbr-lite"])),
    ("opentelemetry*", Allowed::Only(&["mdbr-obs", "mdbr"])),
    ("mongodb", Allowed::AllBut(&["mdbr-core"])),
    ("tokio", Allowed::AllBut(&["mdbr-core"])),
];

/// Which crates an external-crate rule lets through.
#[derive(Debug)]
enum Allowed {
    Only(&'static [&'static str]),
    AllBut(&'static [&'static str]),
}

impl Allowed {
    fn allows(&self, krate: &str) -> bool {
        match self {
            Self::Only(names) => names.contains(&krate),
            Self::AllBut(names) => !names.contains(&krate),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Only(names) => format!("only {} and examples may", names.join(", ")),
            Self::AllBut(names) => format!("{} must not", names.join(", ")),
        }
    }
}

/// Checks every member's mdbr dependencies against [`LAYERS`].
pub(super) fn check_layers(members: &[Member], problems: &mut Vec<Problem>) {
    for member in members.iter().filter(|m| !m.is_example()) {
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| *name == member.name) else {
            problems.push(Problem {
                file: member.manifest.clone(),
                line: 1,
                message: format!(
                    "`{}` is not in the layer table (xtask/src/tidy/deps.rs): add it",
                    member.name
                ),
            });
            continue;
        };
        for dep in member.deps.iter().filter(|d| is_internal(&d.name)) {
            let ok = allowed.contains(&dep.name.as_str())
                || (dep.kind == DepKind::Dev && dep.name == TEST_SUPPORT);
            if !ok {
                let allowed =
                    if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") };
                problems.push(Problem {
                    file: member.manifest.clone(),
                    line: member.dep_line(&dep.key),
                    message: format!(
                        "{} must not depend on {} ({:?}); the layer table allows: {allowed}",
                        member.name, dep.name, dep.kind
                    ),
                });
            }
        }
    }
}

/// Checks the external crates each member pulls in against [`EXTERNAL`], on
/// the dependency graph `cargo tree` resolves for that member alone with all
/// features. Paths through another member are that member's own concern.
pub(super) fn check_external(members: &[Member], problems: &mut Vec<Problem>) -> Result<()> {
    let names: HashSet<&str> = members.iter().map(|m| m.name.as_str()).collect();
    for member in members.iter().filter(|m| !m.is_example()) {
        let tree = Cmd::cargo(&["tree", "-p", &member.name, "-e", "normal", "--all-features"])
            .args(["--target", "all", "--prefix", "depth", "--format", "{p}"])
            .read()?;
        let graph = Graph::parse(&tree);
        for (krate, path) in graph.reachable_externals(&names) {
            let Some((pattern, allowed)) = EXTERNAL.iter().find(|(p, _)| matches(p, krate)) else {
                continue;
            };
            if allowed.allows(&member.name) {
                continue;
            }
            let via = if path.len() > 2 {
                format!(" (via {})", path[1..path.len() - 1].join(" -> "))
            } else {
                String::new()
            };
            problems.push(Problem {
                file: member.manifest.clone(),
                line: member.dep_line(path.get(1).copied().unwrap_or(krate)),
                message: format!(
                    "{} must not depend on {krate}{via}: for `{pattern}`, {} depend on it",
                    member.name,
                    allowed.describe()
                ),
            });
        }
    }
    Ok(())
}

fn is_internal(name: &str) -> bool {
    name == "mdbr" || name.starts_with("mdbr-")
}

fn matches(pattern: &str, krate: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => krate.starts_with(prefix),
        None => krate == pattern,
    }
}

/// A dependency graph read from `cargo tree --prefix depth --format {p}`;
/// nodes are package names, the root is the first line.
#[derive(Debug, Default)]
struct Graph<'a> {
    root: &'a str,
    edges: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Graph<'a> {
    fn parse(tree: &'a str) -> Self {
        let mut graph = Graph::default();
        let mut stack: Vec<&str> = Vec::new();
        for line in tree.lines() {
            let text = line.trim_start_matches(|c: char| c.is_ascii_digit());
            let Ok(depth) = line[..line.len() - text.len()].parse::<usize>() else { continue };
            let name = text.split_whitespace().next().unwrap_or_default();
            stack.truncate(depth);
            match stack.last() {
                Some(parent) => {
                    let children = graph.edges.entry(parent).or_default();
                    if !children.contains(&name) {
                        children.push(name);
                    }
                }
                None => graph.root = name,
            }
            stack.push(name);
        }
        graph
    }

    /// Every package reachable from the root without passing through another
    /// workspace member, with the shortest path to it (root first).
    fn reachable_externals(&self, members: &HashSet<&str>) -> Vec<(&'a str, Vec<&'a str>)> {
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut queue = VecDeque::from([self.root]);
        let mut found = Vec::new();
        while let Some(node) = queue.pop_front() {
            if node != self.root {
                if members.contains(node) {
                    continue;
                }
                let mut path = vec![node];
                while let Some(&up) = path.last().and_then(|n| parent.get(n)) {
                    path.push(up);
                }
                path.reverse();
                found.push((node, path));
            }
            for &child in self.edges.get(node).into_iter().flatten() {
                if child != self.root && !parent.contains_key(child) {
                    parent.insert(child, node);
                    queue.push_back(child);
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_paths_stop_at_other_members() {
        let tree =
            "0app v0.1.0 (/r/app)\n1lib v0.1.0 (/r/lib)\n2axum v0.8.0\n1web v1.0.0\n2axum v0.8.0\n";
        let graph = Graph::parse(tree);
        let found = graph.reachable_externals(&HashSet::from(["app", "lib"]));
        assert_eq!(found, [("web", vec!["app", "web"]), ("axum", vec!["app", "web", "axum"])]);
    }
}
