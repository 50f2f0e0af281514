//! `cargo xtask ci`: the exact sequence of checks CI runs, stopping at the first failure.

use anyhow::{Context, Result, bail};

use crate::shell::Cmd;

/// Crates whose tests talk to a database; they run a second time against SecantusDB.
pub(crate) const DB_SUITES: &[&str] = &["mdbr-scope", "mdbr-index", "mdbr-auth", "mdbr"];

/// Switches for local runs; CI passes none.
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// Don't run the database suites against SecantusDB.
    pub(crate) skip_secantus: bool,
    /// Don't run clippy.
    pub(crate) no_clippy: bool,
}

pub(crate) fn run(options: Options) -> Result<()> {
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());

    step("fmt", || Cmd::cargo(&["fmt", "--all", "--", "--check"]).run())?;

    if options.no_clippy {
        eprintln!("warning: skipping clippy (--no-clippy)");
    } else {
        step("clippy", || {
            Cmd::cargo(&["clippy", "--workspace", "--all-targets", "--all-features", "--locked"])
                .args(["--", "-D", "warnings"])
                .run()
        })?;
    }

    step("tidy", crate::tidy::run)?;
    step("docs --check", || crate::docs::run(true))?;

    step("test (lite)", || {
        Cmd::cargo(&["test", "--workspace", "--all-features", "--locked"])
            .env("MDBR_TEST_BACKEND", "lite")
            .run()
    })?;

    if options.skip_secantus {
        if in_ci {
            bail!("--skip-secantus is for local runs: CI must run the secantus suites");
        }
        eprintln!("warning: skipping the secantus suites (--skip-secantus)");
        return Ok(());
    }
    let secantus = Cmd::new("python3", &["-c", "import secantus"]).succeeds_quietly();
    if !secantus {
        if in_ci {
            bail!(
                "SecantusDB is not installed (`python3 -c \"import secantus\"` failed) \
                 and CI is set, so the secantus suites cannot be skipped"
            );
        }
        eprintln!(
            "warning: skipping the secantus suites: SecantusDB is not installed \
             (`pip install secantusdb`); CI runs them"
        );
        return Ok(());
    }
    step("test (secantus)", || {
        let packages = DB_SUITES.iter().flat_map(|name| ["-p", name]);
        Cmd::cargo(&["test"])
            .args(packages)
            .args(["--all-features", "--locked"])
            .env("MDBR_TEST_BACKEND", "secantus")
            .run()
    })?;

    eprintln!("ci: all steps passed");
    Ok(())
}

/// Runs one named step, announcing it and naming it in the error if it fails.
fn step(name: &str, body: impl FnOnce() -> Result<()>) -> Result<()> {
    eprintln!("==> {name}");
    body().with_context(|| format!("ci step `{name}` failed"))
}
