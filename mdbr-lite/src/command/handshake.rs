//! Handshake and server-information commands: `hello`, `buildInfo`, `serverStatus`, ...
use bson::{Bson, Document, doc};

use crate::command::ConnInfo;
use crate::engine::{Engine, MAX_DOC_SIZE};
use crate::wire::MAX_MESSAGE_SIZE;

/// The server version reported to clients.
pub(crate) const VERSION: &str = "7.0.0";

/// `hello` / `isMaster`.
pub(crate) fn hello(cmd: &Document, name: &str, conn: &ConnInfo<'_>) -> Document {
    let mut d = Document::new();
    if cmd.get("helloOk").is_some_and(crate::value::truthy) {
        d.insert("helloOk", true);
    }
    if name == "hello" {
        d.insert("isWritablePrimary", true);
    } else {
        d.insert("ismaster", true);
    }
    d.insert("maxBsonObjectSize", MAX_DOC_SIZE as i32);
    d.insert("maxMessageSizeBytes", MAX_MESSAGE_SIZE as i32);
    d.insert("maxWriteBatchSize", 100_000);
    d.insert("localTime", Bson::DateTime(bson::DateTime::now()));
    d.insert("logicalSessionTimeoutMinutes", 30);
    d.insert("connectionId", conn.conn_id);
    d.insert("minWireVersion", 0);
    d.insert("maxWireVersion", 21);
    d.insert("readOnly", false);
    d.insert("ok", 1.0);
    d
}

/// `buildInfo`.
pub(crate) fn build_info() -> Document {
    doc! {
        "version": VERSION,
        "gitVersion": "mdbr-lite",
        "versionArray": [7, 0, 0, 0],
        "modules": [],
        "allocator": "system",
        "javascriptEngine": "none",
        "sysInfo": "deprecated",
        "bits": 64,
        "debug": false,
        "maxBsonObjectSize": MAX_DOC_SIZE as i32,
        "storageEngines": ["mdbr-lite"],
        "openssl": { "running": "disabled" },
        "ok": 1.0,
    }
}

/// `hostInfo`.
pub(crate) fn host_info() -> Document {
    let cores = std::thread::available_parallelism().map(|n| n.get() as i32).unwrap_or(1);
    doc! {
        "system": {
            "currentTime": Bson::DateTime(bson::DateTime::now()),
            "hostname": "localhost",
            "cpuAddrSize": 64,
            "numCores": cores,
            "cpuArch": std::env::consts::ARCH,
        },
        "os": { "type": std::env::consts::OS, "name": std::env::consts::OS },
        "extra": {},
    }
}

/// `serverStatus`.
pub(crate) fn server_status(engine: &Engine, conn: &ConnInfo<'_>) -> Document {
    let up = engine.started.elapsed();
    doc! {
        "host": "localhost",
        "version": VERSION,
        "process": "mdbr-lite",
        "pid": i64::from(std::process::id()),
        "uptime": up.as_secs_f64().floor(),
        "uptimeMillis": up.as_millis() as i64,
        "uptimeEstimate": up.as_secs() as i64,
        "localTime": Bson::DateTime(bson::DateTime::now()),
        "connections": { "current": conn.current_connections, "available": 1_000_000 - conn.current_connections, "totalCreated": conn.total_connections },
        "opcounters": {
            "insert": engine.ops.insert,
            "query": engine.ops.query,
            "update": engine.ops.update,
            "delete": engine.ops.delete,
            "getmore": engine.ops.getmore,
            "command": engine.ops.command,
        },
        "metrics": { "cursor": { "open": { "total": engine.cursors.len() as i64 } } },
    }
}

/// Session commands: accepted, nothing to do (no transactions).
pub(crate) fn sessions(name: &str) -> Document {
    if name == "startSession" {
        return doc! { "id": { "id": bson::Uuid::new() }, "timeoutMinutes": 30 };
    }
    doc! {}
}

/// `connectionStatus`.
pub(crate) fn connection_status() -> Document {
    doc! { "authInfo": { "authenticatedUsers": [], "authenticatedUserRoles": [] } }
}

/// `getLog`.
pub(crate) fn get_log(cmd: &Document) -> Document {
    match cmd.get("getLog") {
        Some(Bson::String(s)) if s == "*" => doc! { "names": ["global", "startupWarnings"] },
        _ => doc! { "totalLinesWritten": 0, "log": [] },
    }
}

/// `getParameter`.
pub(crate) fn get_parameter(cmd: &Document) -> Document {
    let mut d = Document::new();
    if cmd.contains_key("featureCompatibilityVersion") {
        d.insert("featureCompatibilityVersion", doc! { "version": "7.0" });
    }
    d
}

/// `listCommands`.
pub(crate) fn list_commands() -> Document {
    let names = [
        "aggregate",
        "buildInfo",
        "connectionStatus",
        "count",
        "create",
        "createIndexes",
        "delete",
        "distinct",
        "drop",
        "dropDatabase",
        "dropIndexes",
        "endSessions",
        "explain",
        "find",
        "findAndModify",
        "getLog",
        "getMore",
        "hello",
        "hostInfo",
        "insert",
        "isMaster",
        "killCursors",
        "listCollections",
        "listDatabases",
        "listIndexes",
        "ping",
        "renameCollection",
        "serverStatus",
        "update",
        "whatsmyuri",
    ];
    let mut cmds = Document::new();
    for n in names {
        cmds.insert(n, doc! { "help": "", "adminOnly": false });
    }
    doc! { "commands": cmds }
}
