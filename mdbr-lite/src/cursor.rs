//! Server-side cursors: the rest of a result set, handed out by `getMore` in batches. Results
//! are kept as BSON bytes, which the replies carry as they are.
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bson::raw::RawDocumentBuf;

/// How long an unused cursor lives.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// Cap on the bytes of one batch.
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024 - 64 * 1024;

/// An open cursor.
#[derive(Debug)]
struct Cursor {
    ns: String,
    docs: VecDeque<RawDocumentBuf>,
    last_used: Instant,
}

/// All open cursors.
#[derive(Debug)]
pub(crate) struct CursorTable {
    map: HashMap<i64, Cursor>,
    next: i64,
}

impl Default for CursorTable {
    fn default() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(1);
        Self { map: HashMap::new(), next: (seed & 0x0000_7fff_ffff_ffff) | 0x1000_0000_0000 }
    }
}

fn take_batch(docs: &mut VecDeque<RawDocumentBuf>, limit: Option<usize>) -> Vec<RawDocumentBuf> {
    let mut out = Vec::new();
    let mut bytes = 0usize;
    while let Some(d) = docs.front() {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        let size = d.as_bytes().len();
        if !out.is_empty() && bytes + size > MAX_BATCH_BYTES {
            break;
        }
        bytes += size;
        if let Some(d) = docs.pop_front() {
            out.push(d);
        }
    }
    out
}

impl CursorTable {
    /// Splits `docs` into a first batch and, if anything remains, a new cursor.
    pub(crate) fn open(
        &mut self,
        ns: &str,
        docs: Vec<RawDocumentBuf>,
        batch_size: Option<usize>,
        single_batch: bool,
    ) -> (Vec<RawDocumentBuf>, i64) {
        self.expire();
        let mut q: VecDeque<RawDocumentBuf> = docs.into();
        let first = take_batch(&mut q, Some(batch_size.unwrap_or(101)));
        if q.is_empty() || single_batch {
            return (first, 0);
        }
        self.next = self.next.wrapping_add(1).max(1);
        let id = self.next;
        self.map.insert(id, Cursor { ns: ns.to_string(), docs: q, last_used: Instant::now() });
        (first, id)
    }

    /// The next batch of cursor `id`: `None` when there is no such cursor on `ns`.
    pub(crate) fn next_batch(
        &mut self,
        id: i64,
        ns: &str,
        batch_size: Option<usize>,
    ) -> Option<(Vec<RawDocumentBuf>, i64)> {
        self.expire();
        let c = self.map.get_mut(&id)?;
        if c.ns != ns {
            return None;
        }
        c.last_used = Instant::now();
        let batch = take_batch(&mut c.docs, batch_size);
        if c.docs.is_empty() {
            self.map.remove(&id);
            return Some((batch, 0));
        }
        Some((batch, id))
    }

    /// Closes a cursor; whether it existed.
    pub(crate) fn kill(&mut self, id: i64) -> bool {
        self.map.remove(&id).is_some()
    }

    /// The number of open cursors.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    fn expire(&mut self) {
        let now = Instant::now();
        self.map.retain(|_, c| now.duration_since(c.last_used) < IDLE_TIMEOUT);
    }
}
