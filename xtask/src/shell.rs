//! Running cargo and other programs from the repository root, echoing each command first.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The repository root: the parent of the `xtask/` directory.
pub(crate) fn root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// One command line: a program, its arguments and extra environment variables.
#[derive(Debug)]
pub(crate) struct Cmd {
    name: String,
    program: OsString,
    args: Vec<String>,
    envs: Vec<(String, String)>,
}

impl Cmd {
    /// `cargo <args>`, through the `$CARGO` that runs xtask when there is one.
    pub(crate) fn cargo(args: &[&str]) -> Self {
        let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Self { program, ..Self::new("cargo", args) }
    }

    /// `<program> <args>`, with the program looked up in `PATH`.
    pub(crate) fn new(program: &str, args: &[&str]) -> Self {
        Self {
            name: program.to_owned(),
            program: program.into(),
            args: args.iter().map(|&a| a.to_owned()).collect(),
            envs: Vec::new(),
        }
    }

    /// Adds arguments.
    pub(crate) fn args<'a>(mut self, args: impl IntoIterator<Item = &'a str>) -> Self {
        self.args.extend(args.into_iter().map(str::to_owned));
        self
    }

    /// Sets an environment variable for the command.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs the command with inherited stdio; fails unless it exits successfully.
    pub(crate) fn run(&self) -> Result<()> {
        eprintln!("$ {self}");
        let status =
            self.command().status().with_context(|| format!("could not start `{self}`"))?;
        if !status.success() {
            bail!("`{self}` failed ({status})");
        }
        Ok(())
    }

    /// Runs the command and returns its standard output; fails unless it exits successfully.
    pub(crate) fn read(&self) -> Result<String> {
        eprintln!("$ {self}");
        let output = self
            .command()
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("could not start `{self}`"))?;
        if !output.status.success() {
            bail!("`{self}` failed ({})", output.status);
        }
        String::from_utf8(output.stdout).with_context(|| format!("`{self}` printed invalid UTF-8"))
    }

    /// Whether the command starts and exits successfully; its output is discarded.
    pub(crate) fn succeeds_quietly(&self) -> bool {
        eprintln!("$ {self}");
        self.command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).envs(self.envs.iter().map(|(k, v)| (k, v))).current_dir(root());
        command
    }
}

impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (key, value) in &self.envs {
            write!(f, "{key}={} ", quote(value))?;
        }
        f.write_str(&self.name)?;
        for arg in &self.args {
            write!(f, " {}", quote(arg))?;
        }
        Ok(())
    }
}

/// Quotes an argument for display when a shell would split or expand it.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_=./,:@+{}".contains(c));
    if plain { arg.to_owned() } else { format!("'{}'", arg.replace('\'', r"'\''")) }
}
