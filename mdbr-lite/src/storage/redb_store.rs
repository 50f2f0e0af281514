//! The on-disk storage: one redb file in the data directory, one transaction per command.
use std::path::Path;

use bson::Document;
use bson::raw::RawDocumentBuf;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use crate::error::{CmdResult, CommandError, code};
use crate::storage::{LoadedCollection, Storage, StorageOp};

const CATALOG: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("catalog");
const DOCS: TableDefinition<'_, (&str, u64), &[u8]> = TableDefinition::new("docs");

/// Storage in a redb database file.
pub(crate) struct RedbStorage {
    db: redb::Database,
}

impl std::fmt::Debug for RedbStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStorage").finish_non_exhaustive()
    }
}

fn io_err(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(code::INTERNAL_ERROR, format!("storage error: {e}"))
}

impl RedbStorage {
    /// Opens (or creates) the database in `dir`.
    pub(crate) fn open(dir: &Path) -> CmdResult<Self> {
        std::fs::create_dir_all(dir).map_err(io_err)?;
        let db = redb::Database::create(dir.join("mdbr-lite.redb")).map_err(io_err)?;
        let tx = db.begin_write().map_err(io_err)?;
        {
            tx.open_table(CATALOG).map_err(io_err)?;
            tx.open_table(DOCS).map_err(io_err)?;
        }
        tx.commit().map_err(io_err)?;
        Ok(Self { db })
    }
}

impl Storage for RedbStorage {
    fn load(&self) -> CmdResult<Vec<LoadedCollection>> {
        let tx = self.db.begin_read().map_err(io_err)?;
        let catalog = tx.open_table(CATALOG).map_err(io_err)?;
        let docs = tx.open_table(DOCS).map_err(io_err)?;
        let mut out = Vec::new();
        for entry in catalog.iter().map_err(io_err)? {
            let (k, v) = entry.map_err(io_err)?;
            let ns = k.value().to_string();
            let meta = Document::from_reader(v.value()).map_err(io_err)?;
            let mut list = Vec::new();
            for e in docs.range((ns.as_str(), 0u64)..=(ns.as_str(), u64::MAX)).map_err(io_err)? {
                let (dk, dv) = e.map_err(io_err)?;
                let rid = dk.value().1;
                let bytes = dv.value();
                crate::wire::validate_document(bytes, 0).map_err(io_err)?;
                list.push((rid, RawDocumentBuf::from_bytes(bytes.to_vec()).map_err(io_err)?));
            }
            out.push(LoadedCollection { ns, meta, docs: list });
        }
        Ok(out)
    }

    fn commit(&mut self, ops: Vec<StorageOp>) -> CmdResult<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(io_err)?;
        {
            let mut catalog = tx.open_table(CATALOG).map_err(io_err)?;
            let mut docs = tx.open_table(DOCS).map_err(io_err)?;
            for op in ops {
                match op {
                    StorageOp::PutCollection { ns, meta } => {
                        let bytes = meta.to_vec().map_err(io_err)?;
                        catalog.insert(ns.as_str(), bytes.as_slice()).map_err(io_err)?;
                    }
                    StorageOp::DropCollection { ns } => {
                        catalog.remove(ns.as_str()).map_err(io_err)?;
                        let mut keys = Vec::new();
                        for e in docs
                            .range((ns.as_str(), 0u64)..=(ns.as_str(), u64::MAX))
                            .map_err(io_err)?
                        {
                            let (k, _) = e.map_err(io_err)?;
                            keys.push(k.value().1);
                        }
                        for rid in keys {
                            docs.remove((ns.as_str(), rid)).map_err(io_err)?;
                        }
                    }
                    StorageOp::PutDoc { ns, rid, bytes } => {
                        docs.insert((ns.as_str(), rid), bytes.as_slice()).map_err(io_err)?;
                    }
                    StorageOp::DeleteDoc { ns, rid } => {
                        docs.remove((ns.as_str(), rid)).map_err(io_err)?;
                    }
                }
            }
        }
        tx.commit().map_err(io_err)?;
        Ok(())
    }
}
