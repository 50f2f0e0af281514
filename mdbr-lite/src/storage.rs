//! Persistence behind a trait: the engine keeps its state in memory and hands every change to a
//! [`Storage`] before it acknowledges a write.
pub(crate) mod memory;
pub(crate) mod redb_store;

use bson::Document;
use bson::raw::RawDocumentBuf;

use crate::error::CmdResult;

/// One change to persist.
#[derive(Debug, Clone)]
pub(crate) enum StorageOp {
    /// Creates or replaces a collection's catalog entry (options and index specs).
    PutCollection { ns: String, meta: Document },
    /// Removes a collection and all its documents.
    DropCollection { ns: String },
    /// Stores a document under its record id.
    PutDoc { ns: String, rid: u64, bytes: Vec<u8> },
    /// Removes a document.
    DeleteDoc { ns: String, rid: u64 },
}

/// A collection read back from storage.
#[derive(Debug)]
pub(crate) struct LoadedCollection {
    pub(crate) ns: String,
    pub(crate) meta: Document,
    pub(crate) docs: Vec<(u64, RawDocumentBuf)>,
}

/// Where the engine's state is persisted.
pub(crate) trait Storage: Send + std::fmt::Debug {
    /// Reads every collection back.
    fn load(&self) -> CmdResult<Vec<LoadedCollection>>;
    /// Persists a batch of changes atomically and durably.
    fn commit(&mut self, ops: Vec<StorageOp>) -> CmdResult<()>;
    /// Whether changes need to be recorded at all (false for memory).
    fn is_persistent(&self) -> bool {
        true
    }
}
