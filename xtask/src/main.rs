//! `cargo xtask`: the project's automation, run as `cargo xtask <task>`.
//!
//! `ci` runs exactly what CI runs, `docs` builds the API docs and regenerates
//! the files under `docs/`, and `tidy` checks the rules that rustfmt and clippy
//! don't (file headers, whitespace, crate manifests, dependency edges).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod ci;
mod docs;
mod manifest_doc;
mod release;
mod shell;
mod tidy;

use std::process::ExitCode;

use anyhow::{Result, bail};

const USAGE: &str = "\
Usage: cargo xtask <task> [flags]

Tasks:
  ci [--skip-secantus] [--no-clippy]
        Run exactly what CI runs: fmt, clippy, tidy, docs --check, tests on
        the lite backend, then the database suites on SecantusDB.
  docs [--check]
        Build the API docs (warnings denied) and regenerate
        docs/manifest.schema.json and docs/manifest.md; with --check, fail
        if those files are stale instead of writing them.
  release <version> [--dry-run]
        Check for a clean tree and a CHANGELOG section, bump the shared
        version, run ci, then package and publish every published crate in
        dependency order; --dry-run packages only and restores Cargo.toml.
  tidy
        Check file headers, trailing whitespace, crate manifests, the layer
        table and forbidden dependency edges.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some((task, flags)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(());
    };
    match task.as_str() {
        "ci" => {
            let flags = parse_flags(flags, &["--skip-secantus", "--no-clippy"])?;
            ci::run(ci::Options {
                skip_secantus: flags.contains(&"--skip-secantus"),
                no_clippy: flags.contains(&"--no-clippy"),
            })
        }
        "docs" => {
            let flags = parse_flags(flags, &["--check"])?;
            docs::run(flags.contains(&"--check"))
        }
        "release" => {
            let Some((version, flags)) = flags.split_first() else {
                bail!("release needs a version: cargo xtask release 1.2.3 [--dry-run]");
            };
            let flags = parse_flags(flags, &["--dry-run"])?;
            release::run(version, flags.contains(&"--dry-run"))
        }
        "tidy" => {
            parse_flags(flags, &[])?;
            tidy::run()
        }
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n\n{USAGE}"),
    }
}

/// Returns the flags given, refusing any that the task doesn't know.
fn parse_flags<'a>(args: &'a [String], known: &[&str]) -> Result<Vec<&'a str>> {
    args.iter()
        .map(|arg| {
            if known.contains(&arg.as_str()) {
                Ok(arg.as_str())
            } else {
                bail!("unknown flag `{arg}`\n\n{USAGE}")
            }
        })
        .collect()
}
