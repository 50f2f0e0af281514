//! The `mdbr` command-line tool: validate manifests, run the embedded engine,
//! suggest indexes from observed queries, check a deployment's health.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mdbr::Manifest;
use mdbr::lite::LiteServer;
use mdbr::scope::bson::{Bson, Document, doc};
use mdbr::scope::mongodb::Client;

#[derive(Debug, Parser)]
#[command(name = "mdbr", version, about = "The mdbr runtime's command-line tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate manifests: every problem with its JSON pointer; exit code 1 on errors.
    Validate {
        /// Manifest files.
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
    },
    /// Run the embedded mdbr-lite engine standalone.
    Lite {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:27017")]
        bind: String,
        /// Keep data in memory only.
        #[arg(long, conflicts_with = "data_dir")]
        memory: bool,
        /// Keep data in this directory.
        #[arg(long, env = "MDBR_DATA_DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Index tools.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// Print the health report of a database as the runtime sees it; exit code 1 unless healthy.
    Health {
        /// The MongoDB URI.
        #[arg(long, env = "MDBR_MONGODB_URI")]
        uri: String,
        /// The shared database.
        #[arg(long, env = "MDBR_DB_NAME", default_value = mdbr::DEFAULT_DB_NAME)]
        db: String,
    },
}

#[derive(Debug, Subcommand)]
enum IndexCommand {
    /// Print the query shapes a running engine observed for an app as
    /// `managed_indexes` entries ready to paste into its manifest.
    Suggest {
        /// The app's slug.
        slug: String,
        /// The MongoDB URI.
        #[arg(long, env = "MDBR_MONGODB_URI")]
        uri: String,
        /// The shared database.
        #[arg(long, env = "MDBR_DB_NAME", default_value = mdbr::DEFAULT_DB_NAME)]
        db: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate { manifests } => Ok(validate(&manifests)),
        Command::Lite { bind, memory, data_dir } => lite(bind, memory, data_dir).await,
        Command::Index { command: IndexCommand::Suggest { slug, uri, db } } => {
            suggest(&slug, &uri, &db).await
        }
        Command::Health { uri, db } => health(uri, db).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    let mut failed = false;
    for path in paths {
        match Manifest::from_path(path) {
            Ok(loaded) => {
                println!("{}: ok ({})", path.display(), loaded.manifest.slug);
                for w in &loaded.warnings {
                    println!("  warning: {w}");
                }
            }
            Err(e) => {
                failed = true;
                println!("{}: {e}", path.display());
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

async fn lite(bind: String, memory: bool, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let builder = LiteServer::builder().bind(bind);
    let builder = match (memory, data_dir) {
        (true, _) | (false, None) => builder.memory(),
        (false, Some(dir)) => builder.data_dir(dir),
    };
    let server = builder.start().await?;
    println!("mdbr-lite listening at {}", server.uri());
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn suggest(slug: &str, uri: &str, db: &str) -> anyhow::Result<ExitCode> {
    let client = Client::with_uri_str(uri).await?;
    #[expect(
        clippy::disallowed_methods,
        reason = "reads the runtime's own `_mdbr_query_shapes`, not app data"
    )]
    let shapes = client.database(db).collection::<Document>(mdbr::SHAPES_COLLECTION);
    let Some(found) = shapes.find_one(doc! { "_id": slug }).await? else {
        println!(
            "no query shapes recorded for `{slug}` yet (a running engine stores them every 10 s)"
        );
        return Ok(ExitCode::SUCCESS);
    };
    let mut by_collection: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
    for shape in found.get_array("shapes").map(|a| a.as_slice()).unwrap_or_default() {
        let Bson::Document(shape) = shape else { continue };
        let collection = shape.get_str("collection").unwrap_or_default().to_owned();
        let mut keys = serde_json::Map::new();
        let mut pairs = Vec::new();
        for pair in shape.get_array("keys").map(|a| a.as_slice()).unwrap_or_default() {
            if let Bson::Array(p) = pair
                && let (Some(Bson::String(f)), Some(d)) = (p.first(), p.get(1))
            {
                let dir = d.as_i32().unwrap_or(1);
                keys.insert(f.clone(), dir.into());
                pairs.push((f.clone(), dir));
            }
        }
        let entry = serde_json::json!({
            "name": mdbr::index::auto_index_name(&pairs),
            "type": "regular",
            "keys": keys,
            "_observed_uses": shape.get_i64("count").unwrap_or(0),
        });
        if let Some(list) = by_collection
            .entry(collection)
            .or_insert_with(|| serde_json::Value::Array(Vec::new()))
            .as_array_mut()
        {
            list.push(entry);
        }
    }
    let out = serde_json::json!({ "managed_indexes": by_collection });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

async fn health(uri: String, db: String) -> anyhow::Result<ExitCode> {
    let engine = match mdbr::RuntimeEngine::builder().mongo_uri(uri).db_name(db).build().await {
        Ok(engine) => engine,
        Err(e) => {
            println!("{}", serde_json::json!({ "status": "unhealthy", "error": e.to_string() }));
            return Ok(ExitCode::FAILURE);
        }
    };
    let report = engine.health().await;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if report.is_ready() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
