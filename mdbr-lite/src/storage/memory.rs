//! The in-memory storage: nothing is persisted.
use crate::error::CmdResult;
use crate::storage::{LoadedCollection, Storage, StorageOp};

/// Storage that keeps nothing beyond the engine's own memory.
#[derive(Debug, Default)]
pub(crate) struct MemoryStorage;

impl Storage for MemoryStorage {
    fn load(&self) -> CmdResult<Vec<LoadedCollection>> {
        Ok(Vec::new())
    }

    fn commit(&mut self, _ops: Vec<StorageOp>) -> CmdResult<()> {
        Ok(())
    }

    fn is_persistent(&self) -> bool {
        false
    }
}
