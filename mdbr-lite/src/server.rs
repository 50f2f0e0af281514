//! The TCP server: the builder, the accept loop, one task per connection answering requests in
//! order, the TTL monitor, and graceful shutdown.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bson::{Document, doc};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::command::{self, ConnInfo, Reply};
use crate::engine::Engine;
use crate::error::{CommandError, Error, Result, code};
use crate::storage::Storage;
use crate::storage::memory::MemoryStorage;
use crate::storage::redb_store::RedbStorage;
use crate::wire::{self, DocumentSequence, Header, Request};

/// Bytes read from a socket at a time: a small request arrives in one read.
const READ_BUFFER: usize = 64 * 1024;
/// A connection keeps its request buffer between requests up to this size.
const KEPT_REQUEST_BUFFER: usize = 4 * 1024 * 1024;

/// State shared by every connection.
#[derive(Debug)]
struct Shared {
    engine: Mutex<Engine>,
    current: AtomicI64,
    total: AtomicI64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where the server keeps its data.
#[derive(Debug, Clone, Default)]
enum StorageChoice {
    #[default]
    Memory,
    Dir(PathBuf),
}

/// Configures and starts a [`LiteServer`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start` is awaited"]
pub struct LiteServerBuilder {
    bind: String,
    storage: StorageChoice,
    ttl_interval: Duration,
}

impl Default for LiteServerBuilder {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:0".to_string(),
            storage: StorageChoice::Memory,
            ttl_interval: Duration::from_secs(60),
        }
    }
}

impl LiteServerBuilder {
    /// The address to listen on, e.g. `127.0.0.1:27017` (`127.0.0.1:0` picks a free port).
    pub fn bind(mut self, addr: impl Into<String>) -> Self {
        self.bind = addr.into();
        self
    }

    /// Keeps all data in memory (the default).
    pub fn memory(mut self) -> Self {
        self.storage = StorageChoice::Memory;
        self
    }

    /// Persists data in `dir` (created if missing); reopening it restores everything.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.storage = StorageChoice::Dir(dir.into());
        self
    }

    /// How often the TTL monitor removes expired documents (default 60 s).
    pub fn ttl_interval(mut self, every: Duration) -> Self {
        self.ttl_interval = every;
        self
    }

    /// Opens the storage, binds the listener and starts serving.
    pub async fn start(self) -> Result<LiteServer> {
        let storage: Box<dyn Storage> = match &self.storage {
            StorageChoice::Memory => Box::new(MemoryStorage),
            StorageChoice::Dir(d) => Box::new(RedbStorage::open(d).map_err(Error::Storage)?),
        };
        let engine = Engine::open(storage).map_err(Error::Storage)?;
        let listener = TcpListener::bind(&self.bind)
            .await
            .map_err(|source| Error::Bind { addr: self.bind.clone(), source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr: self.bind.clone(), source })?;
        let shared = Arc::new(Shared {
            engine: Mutex::new(engine),
            current: AtomicI64::new(0),
            total: AtomicI64::new(0),
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stop_rx.clone()));
        let ttl = tokio::spawn(ttl_loop(Arc::clone(&shared), self.ttl_interval, stop_rx));
        tracing::debug!(%addr, "mdbr-lite listening");
        Ok(LiteServer { addr, stop: stop_tx, tasks: vec![accept, ttl] })
    }
}

/// A running server. Dropping it stops the server without waiting; [`LiteServer::shutdown`]
/// waits until every connection is closed and the storage is released.
#[derive(Debug)]
pub struct LiteServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl LiteServer {
    /// A builder with the defaults (`127.0.0.1:0`, in memory).
    pub fn builder() -> LiteServerBuilder {
        LiteServerBuilder::default()
    }

    /// The connection string, e.g. `mongodb://127.0.0.1:40123/?directConnection=true`.
    pub fn uri(&self) -> String {
        format!("mongodb://{}/?directConnection=true", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every connection and releases the storage.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for LiteServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let id = shared.total.fetch_add(1, Ordering::SeqCst) + 1;
                    shared.current.fetch_add(1, Ordering::SeqCst);
                    let s = Arc::clone(&shared);
                    let st = stop.clone();
                    conns.spawn(async move {
                        if let Err(e) = serve_connection(stream, peer, id, &s, st).await {
                            tracing::warn!(conn = id, %peer, error = %e, "closing connection");
                        }
                        s.current.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
}

async fn ttl_loop(shared: Arc<Shared>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tick.tick() => {
                let now = bson::DateTime::now().timestamp_millis();
                let mut e = shared.lock();
                let n = e.expire_ttl(now);
                if let Err(err) = e.flush() {
                    tracing::warn!(error = %err, "TTL monitor could not persist deletions");
                }
                drop(e);
                if n > 0 {
                    tracing::debug!(removed = n, "TTL monitor removed expired documents");
                }
            }
        }
    }
}

/// Why a connection was closed.
#[derive(Debug, thiserror::Error)]
enum ConnError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Frame(#[from] wire::FrameError),
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    id: i64,
    shared: &Shared,
    mut stop: watch::Receiver<bool>,
) -> std::result::Result<(), ConnError> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::with_capacity(READ_BUFFER, read);
    let mut body = Vec::new();
    let mut next_reply_id: i32 = 1;
    // Formatted once: `whatsmyuri`, `hello` and `serverStatus` read it.
    let peer = peer.to_string();
    loop {
        if body.capacity() > KEPT_REQUEST_BUFFER {
            body = Vec::new();
        }
        let mut hb = [0u8; 16];
        tokio::select! {
            _ = stop.changed() => return Ok(()),
            r = read.read_exact(&mut hb) => match r {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(e.into()),
            },
        }
        let header = Header::parse(&hb)?;
        body.clear();
        body.resize(header.length as usize - 16, 0);
        read.read_exact(&mut body).await?;
        let request = wire::decode_body(&header, &body)?;
        next_reply_id = next_reply_id.wrapping_add(1);
        let conn = ConnInfo {
            peer: &peer,
            conn_id: id,
            current_connections: shared.current.load(Ordering::SeqCst),
            total_connections: shared.total.load(Ordering::SeqCst),
        };
        match request {
            Request::Msg { command, sequences, more_to_come } => {
                let reply = run(shared, command, sequences, None, &conn);
                if !more_to_come {
                    write.write_all(&reply.encode_msg(next_reply_id, header.request_id)).await?;
                }
            }
            Request::Query { collection, query } => {
                let (reply, failed) = match collection.strip_suffix(".$cmd") {
                    Some(db) => (run(shared, query, Vec::new(), Some(db), &conn), false),
                    None => (
                        doc! { "$err": "OP_QUERY is only supported for commands", "code": 5739101, "ok": 0.0 }.into(),
                        true,
                    ),
                };
                write
                    .write_all(&reply.encode_reply(next_reply_id, header.request_id, failed))
                    .await?;
            }
        }
    }
}

fn run(
    shared: &Shared,
    cmd: Document,
    sequences: Vec<DocumentSequence>,
    legacy_db: Option<&str>,
    conn: &ConnInfo<'_>,
) -> Reply {
    let db = match legacy_db {
        Some(db) => db.to_string(),
        None => match cmd.get_str("$db") {
            Ok(db) => db.to_string(),
            Err(_) => {
                return CommandError::new(
                    code::FAILED_TO_PARSE,
                    "OP_MSG requests require a $db argument",
                )
                .to_reply()
                .into();
            }
        },
    };
    if let Err(e) = crate::engine::check_db_name(&db) {
        return e.to_reply().into();
    }
    let name = command::command_name(&cmd).to_string();
    let started = std::time::Instant::now();
    let mut engine = shared.lock();
    let reply = command::execute(&mut engine, &db, cmd, sequences, conn);
    drop(engine);
    tracing::trace!(conn = conn.conn_id, %db, command = %name, micros = started.elapsed().as_micros() as u64, "command");
    reply
}
