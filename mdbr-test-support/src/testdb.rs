//! `TestDb`: a fresh database per test.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::backend::{Backend, BackendError, server_uri};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A client connected to the test server and a database no other test uses.
#[derive(Debug, Clone)]
pub struct TestDb {
    /// A client made for this test (clients are bound to the runtime that
    /// made them, and each `#[tokio::test]` has its own).
    pub client: mongodb::Client,
    /// This test's database.
    pub db: mongodb::Database,
    /// The server's URI.
    pub uri: String,
    /// The backend serving it.
    pub backend: Backend,
}

impl TestDb {
    /// Connects to this process's test server (starting it if needed) and
    /// picks a database name unique to this test.
    pub async fn fresh() -> Result<Self, BackendError> {
        let backend = Backend::from_env()?;
        let uri = server_uri()?;
        let err = |e: mongodb::error::Error| BackendError::Start {
            backend: backend.name(),
            reason: e.to_string(),
        };
        let mut options = mongodb::options::ClientOptions::parse(&uri).await.map_err(err)?;
        options.server_selection_timeout = Some(Duration::from_secs(10));
        let client = mongodb::Client::with_options(options).map_err(err)?;
        let name = format!(
            "t{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let db = client.database(&name);
        Ok(Self { client, db, uri, backend })
    }

    /// Whether the backend supports change streams (`watch`).
    pub fn supports_change_streams(&self) -> bool {
        !matches!(self.backend, Backend::Lite)
    }
}
