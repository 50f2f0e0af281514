//! Command dispatch: finds the handler for a command document and shapes its reply.
pub(crate) mod admin;
pub(crate) mod crud;
pub(crate) mod handshake;
pub(crate) mod indexes;
pub(crate) mod pipeline;
pub(crate) mod reply;

use bson::{Bson, Document, doc};

use crate::engine::Engine;
use crate::error::{CmdResult, CommandError, code};
use crate::wire::DocumentSequence;

pub(crate) use reply::Reply;

/// What a command knows about the connection it came from.
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo<'a> {
    pub(crate) peer: &'a str,
    pub(crate) conn_id: i64,
    pub(crate) current_connections: i64,
    pub(crate) total_connections: i64,
}

/// Runs a command with its document sequences against `db` and returns the reply (`ok: 1` or
/// an error reply).
pub(crate) fn execute(
    engine: &mut Engine,
    db: &str,
    mut cmd: Document,
    sequences: Vec<DocumentSequence>,
    conn: &ConnInfo<'_>,
) -> Reply {
    engine.ops.command += 1;
    let result = if command_name(&cmd) == "insert" {
        crud::insert(engine, db, &mut cmd, sequences).map(Reply::Doc)
    } else {
        merge_sequences(&mut cmd, sequences).and_then(|()| dispatch(engine, db, &cmd, conn))
    };
    let flushed = engine.flush();
    match (result, flushed) {
        (Ok(reply), Ok(())) => reply.with_ok(),
        (Err(e), _) | (Ok(_), Err(e)) => Reply::Doc(e.to_reply()),
    }
}

/// Adds each document sequence to the command as an array field, as the commands that take
/// their documents decoded expect.
pub(crate) fn merge_sequences(
    cmd: &mut Document,
    sequences: Vec<DocumentSequence>,
) -> CmdResult<()> {
    for s in sequences {
        let docs = s
            .documents
            .iter()
            .map(|d| crate::value::decode_document(d).map(Bson::Document))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CommandError::bad_value(format!("invalid BSON: {e}")))?;
        cmd.insert(s.identifier, docs);
    }
    Ok(())
}

/// The command name (the first key of the command document).
pub(crate) fn command_name(cmd: &Document) -> &str {
    cmd.keys().next().map(String::as_str).unwrap_or("")
}

/// Runs a command: the cursor commands reply with encoded batches, the others with documents.
fn dispatch(
    engine: &mut Engine,
    db: &str,
    cmd: &Document,
    conn: &ConnInfo<'_>,
) -> CmdResult<Reply> {
    match command_name(cmd) {
        "find" => crud::find(engine, db, cmd),
        "getMore" => crud::get_more(engine, db, cmd),
        "aggregate" => pipeline::aggregate(engine, db, cmd),
        "listCollections" => admin::list_collections(engine, db, cmd),
        "listIndexes" => indexes::list_indexes(engine, db, cmd),
        _ => dispatch_doc(engine, db, cmd, conn).map(Reply::Doc),
    }
}

fn dispatch_doc(
    engine: &mut Engine,
    db: &str,
    cmd: &Document,
    conn: &ConnInfo<'_>,
) -> CmdResult<Document> {
    let name = command_name(cmd);
    match name {
        "hello" | "isMaster" | "ismaster" => Ok(handshake::hello(cmd, name, conn)),
        "ping" => Ok(doc! {}),
        "buildInfo" | "buildinfo" => Ok(handshake::build_info()),
        "hostInfo" => Ok(handshake::host_info()),
        "serverStatus" => Ok(handshake::server_status(engine, conn)),
        "endSessions" | "killSessions" | "killAllSessions" | "refreshSessions" | "startSession" => {
            Ok(handshake::sessions(name))
        }
        "connectionStatus" => Ok(handshake::connection_status()),
        "whatsmyuri" => Ok(doc! { "you": conn.peer }),
        "getLog" => Ok(handshake::get_log(cmd)),
        "getCmdLineOpts" => Ok(doc! { "argv": ["mdbr-lite"], "parsed": {} }),
        "getParameter" => Ok(handshake::get_parameter(cmd)),
        "listCommands" => Ok(handshake::list_commands()),
        "killCursors" => crud::kill_cursors(engine, db, cmd),
        "update" => crud::update(engine, db, cmd),
        "delete" => crud::delete(engine, db, cmd),
        "findAndModify" | "findandmodify" => crud::find_and_modify(engine, db, cmd),
        "count" => crud::count(engine, db, cmd),
        "distinct" => crud::distinct(engine, db, cmd),
        "explain" => pipeline::explain(engine, db, cmd),
        "listDatabases" => admin::list_databases(engine, cmd),
        "create" => admin::create(engine, db, cmd),
        "drop" => admin::drop(engine, db, cmd),
        "dropDatabase" => admin::drop_database(engine, db),
        "renameCollection" => admin::rename_collection(engine, db, cmd),
        "collStats" | "dbStats" => admin::stats(engine, db, cmd),
        "createIndexes" => indexes::create_indexes(engine, db, cmd),
        "dropIndexes" | "deleteIndexes" => indexes::drop_indexes(engine, db, cmd),
        "createSearchIndexes" => crate::search::create_search_indexes(engine, db, cmd),
        "updateSearchIndex" => crate::search::update_search_index(engine, db, cmd),
        "dropSearchIndex" => crate::search::drop_search_index(engine, db, cmd),
        _ => Err(CommandError::new(code::COMMAND_NOT_FOUND, format!("no such command: '{name}'"))),
    }
}

/// The collection name a command addresses (`{find: "name"}`).
pub(crate) fn coll_arg(cmd: &Document) -> CmdResult<String> {
    let name = command_name(cmd);
    match cmd.get(name) {
        Some(Bson::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(CommandError::new(
            code::INVALID_NAMESPACE,
            format!(
                "collection name has invalid type {}",
                cmd.get(name).map(crate::value::type_alias).unwrap_or("missing")
            ),
        )),
    }
}

/// An optional document argument.
pub(crate) fn doc_arg<'a>(cmd: &'a Document, key: &str) -> CmdResult<Option<&'a Document>> {
    match cmd.get(key) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::Document(d)) => Ok(Some(d)),
        Some(other) => Err(CommandError::type_mismatch(format!(
            "BSON field '{key}' is the wrong type '{}', expected type 'object'",
            crate::value::type_alias(other)
        ))),
    }
}

/// An optional integer argument.
pub(crate) fn int_arg(cmd: &Document, key: &str) -> CmdResult<Option<i64>> {
    match cmd.get(key) {
        None | Some(Bson::Null) => Ok(None),
        Some(v) => crate::value::as_i64(v).map(Some).ok_or_else(|| {
            CommandError::type_mismatch(format!(
                "BSON field '{key}' is the wrong type '{}', expected types '[long, int, decimal, double]'",
                crate::value::type_alias(v)
            ))
        }),
    }
}

/// An optional boolean argument.
pub(crate) fn bool_arg(cmd: &Document, key: &str) -> bool {
    cmd.get(key).is_some_and(crate::value::truthy)
}
