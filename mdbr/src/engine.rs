//! `RuntimeEngine`: the layers wired into one runtime.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use mdbr_auth::{AppAuth, AuthConfig};
use mdbr_core::{AppSlug, Manifest};
use mdbr_index::{AutoIndexManager, SearchIndexTracker};
use mdbr_lite::LiteServer;
use mdbr_obs::{
    EngineCheck, HealthRegistry, HealthReport, Metrics, MongoPingCheck, PoolCheck, PoolMonitor,
};
use mdbr_scope::mongodb::Client;
use mdbr_scope::mongodb::options::ClientOptions;
use mdbr_scope::{AppEntry, MemoryRegistry, Scope, ScopedDatabase};
use mdbr_ws::{WsConfig, WsHub};
use tokio::sync::Mutex;

use crate::apps_store::AppsStore;
use crate::error::{Error, Result};
use crate::health_checks::IndexReadinessCheck;

/// Where the observed query shapes of every app are kept for `mdbr index suggest`.
pub const SHAPES_COLLECTION: &str = "_mdbr_query_shapes";

/// The default database name when neither the builder nor `MDBR_DB_NAME` sets one.
pub const DEFAULT_DB_NAME: &str = "mdbr";

/// The default data directory of the embedded engine.
pub const DEFAULT_DATA_DIR: &str = "./.mdbr/data";

/// Builds a [`RuntimeEngine`]. Unset values come from the environment:
/// `MDBR_MONGODB_URI`, `MDBR_DB_NAME`, `MDBR_DATA_DIR`.
#[derive(Debug, Default, Clone)]
#[must_use = "a builder does nothing until `build` is awaited"]
pub struct RuntimeEngineBuilder {
    mongo_uri: Option<String>,
    db_name: Option<String>,
    data_dir: Option<PathBuf>,
    memory: bool,
    max_pool_size: Option<u32>,
    server_selection_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    auth: Option<AuthConfig>,
    dev_mode: Option<bool>,
    ws: Option<WsConfig>,
}

impl RuntimeEngineBuilder {
    /// Connects to this MongoDB instead of the environment's or the embedded engine.
    pub fn mongo_uri(mut self, uri: impl Into<String>) -> Self {
        self.mongo_uri = Some(uri.into());
        self
    }

    /// The shared database's name.
    pub fn db_name(mut self, name: impl Into<String>) -> Self {
        self.db_name = Some(name.into());
        self
    }

    /// Where the embedded engine keeps its data (when no URI is configured).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Runs the embedded engine in memory (when no URI is configured).
    pub fn memory(mut self) -> Self {
        self.memory = true;
        self
    }

    /// The driver's maximum connection-pool size.
    pub fn max_pool_size(mut self, size: u32) -> Self {
        self.max_pool_size = Some(size);
        self
    }

    /// How long to wait for a usable server before an operation fails (default 5 s).
    pub fn server_selection_timeout(mut self, timeout: Duration) -> Self {
        self.server_selection_timeout = Some(timeout);
        self
    }

    /// How long to wait for a TCP connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The auth configuration shared by every app (platform JWT keys,
    /// server secret, password cost, throttling). Without it the engine reads
    /// the environment (`MDBR_JWT_SECRET` or key files, `MDBR_AUTH_SECRET`,
    /// `MDBR_DEV_MODE`, …; see `mdbr_auth::AuthConfig::from_lookup`).
    pub fn auth_config(mut self, config: AuthConfig) -> Self {
        self.auth = Some(config);
        self
    }

    /// Dev mode, overriding `MDBR_DEV_MODE`: missing auth keys and secrets are
    /// generated per process (and logged as generated) and cookies are not
    /// `Secure`, so plain-HTTP localhost works. Never use it in production.
    pub fn dev_mode(mut self, dev_mode: bool) -> Self {
        self.dev_mode = Some(dev_mode);
        self
    }

    /// Websocket hub settings (queue sizes, limits, ping override).
    pub fn ws_config(mut self, config: WsConfig) -> Self {
        self.ws = Some(config);
        self
    }

    /// Connects (starting the embedded engine when no URI is configured),
    /// checks the database answers, and reloads the registered apps.
    pub async fn build(self) -> Result<RuntimeEngine> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let db_name = self
            .db_name
            .or_else(|| env("MDBR_DB_NAME"))
            .unwrap_or_else(|| DEFAULT_DB_NAME.to_owned());
        let (uri, lite) = match self.mongo_uri.or_else(|| env("MDBR_MONGODB_URI")) {
            Some(uri) => (uri, None),
            None => {
                let builder = LiteServer::builder().bind("127.0.0.1:0");
                let (builder, place) = if self.memory {
                    (builder.memory(), "in memory".to_owned())
                } else {
                    let dir = self.data_dir.or_else(|| env("MDBR_DATA_DIR").map(PathBuf::from));
                    let dir = dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
                    std::fs::create_dir_all(&dir).map_err(|e| {
                        Error::Config(format!(
                            "cannot create data directory {}: {e}",
                            dir.display()
                        ))
                    })?;
                    let place = format!("with data in {}", dir.display());
                    (builder.data_dir(dir), place)
                };
                let server = builder.start().await.map_err(Error::Lite)?;
                tracing::info!(uri = %server.uri(), "no MongoDB URI configured: started the embedded mdbr-lite engine {place}");
                (server.uri(), Some(server))
            }
        };
        let redacted = redact(&uri);
        let unreachable = |e: &dyn std::fmt::Display| Error::Unreachable {
            uri: redacted.clone(),
            reason: e.to_string(),
        };
        let mut options = ClientOptions::parse(&uri).await.map_err(|e| unreachable(&e))?;
        options.server_selection_timeout =
            Some(self.server_selection_timeout.unwrap_or(Duration::from_secs(5)));
        options.connect_timeout = Some(self.connect_timeout.unwrap_or(Duration::from_secs(5)));
        if let Some(size) = self.max_pool_size {
            options.max_pool_size = Some(size);
        }
        options.app_name = Some("mdbr".to_owned());
        let pool = PoolMonitor::new();
        options.cmap_event_handler = Some(pool.event_handler());
        let client = Client::with_options(options).map_err(|e| unreachable(&e))?;
        let db = client.database(&db_name);

        let registry = Arc::new(MemoryRegistry::new());
        let scope = Scope::with_registry(db, registry);
        scope.ping().await.map_err(|e| unreachable(&e.detail()))?;
        let metrics = Arc::new(new_metrics()?);
        let auto = AutoIndexManager::new(scope.clone());
        scope.add_observer(metrics.clone());
        scope.add_observer(Arc::new(auto.clone()));
        let tracker = SearchIndexTracker::new();
        let health = HealthRegistry::new()
            .with_check(Arc::new(EngineCheck::new()))
            .with_check(Arc::new(MongoPingCheck::new(scope.clone())))
            .with_check(Arc::new(PoolCheck::new(pool)))
            .with_check(Arc::new(IndexReadinessCheck::new(tracker.clone())));
        let store = AppsStore::new(&scope)?;
        // Auth is configured once for all apps. A missing key is only an
        // error for the apps that need auth, when they are registered or served.
        let auth_config = match self.auth {
            Some(config) => Ok(Arc::new(config)),
            None => {
                let dev = self.dev_mode;
                AuthConfig::from_lookup(|name| match (name, dev) {
                    ("MDBR_DEV_MODE", Some(d)) => Some(d.to_string()),
                    _ => std::env::var(name).ok(),
                })
                .map(Arc::new)
                .map_err(|e| e.to_string())
            }
        };
        if let Err(reason) = &auth_config {
            tracing::info!("auth is not configured ({reason}); apps that need it will be refused");
        }
        let ws = WsHub::new(self.ws.unwrap_or_default());
        let engine = RuntimeEngine {
            inner: Arc::new(Inner {
                client,
                scope,
                store,
                metrics,
                auto,
                tracker,
                health,
                manifests: RwLock::default(),
                lite: Mutex::new(lite),
                uri: redacted,
                auth_config,
                auths: RwLock::default(),
                ws,
            }),
        };
        engine.reload().await?;
        engine.spawn_shape_flusher();
        Ok(engine)
    }
}

/// The runtime: one shared database, many registered apps.
///
/// Cheap to clone; every clone is the same engine.
#[derive(Clone, Debug)]
pub struct RuntimeEngine {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) scope: Scope,
    pub(crate) store: AppsStore,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) auto: AutoIndexManager,
    pub(crate) tracker: SearchIndexTracker,
    pub(crate) health: HealthRegistry,
    pub(crate) manifests: RwLock<HashMap<AppSlug, Arc<Manifest>>>,
    pub(crate) lite: Mutex<Option<LiteServer>>,
    pub(crate) uri: String,
    /// The shared auth configuration, or why there is none.
    pub(crate) auth_config: std::result::Result<Arc<AuthConfig>, String>,
    /// Each app's auth, built on first use and dropped when the app is registered again.
    pub(crate) auths: RwLock<HashMap<AppSlug, AppAuth>>,
    pub(crate) ws: WsHub,
}

impl RuntimeEngine {
    /// A builder; see [`RuntimeEngineBuilder`].
    pub fn builder() -> RuntimeEngineBuilder {
        RuntimeEngineBuilder::default()
    }

    /// Reads and validates a manifest file. Every problem is reported at
    /// once; warnings (legacy keys) are logged.
    pub async fn load_manifest(&self, path: impl AsRef<std::path::Path>) -> Result<Manifest> {
        let path = path.as_ref().to_owned();
        let loaded = tokio::task::spawn_blocking(move || Manifest::from_path(path))
            .await
            .map_err(|e| Error::Config(format!("manifest loading task failed: {e}")))??;
        for w in &loaded.warnings {
            tracing::warn!(app = %loaded.manifest.slug, "{w}");
        }
        Ok(loaded.manifest)
    }

    /// The scoped database of a registered app.
    pub fn scoped_db(&self, slug: &str) -> Result<ScopedDatabase> {
        Ok(self.inner.scope.app(slug)?)
    }

    /// The manifest an app was registered with.
    pub fn manifest(&self, slug: &str) -> Option<Arc<Manifest>> {
        let slug = AppSlug::parse(slug).ok()?;
        self.inner.manifests.read().unwrap_or_else(|e| e.into_inner()).get(&slug).cloned()
    }

    /// The slugs of every registered app.
    pub fn apps(&self) -> Vec<AppSlug> {
        let mut apps: Vec<AppSlug> = self
            .inner
            .manifests
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        apps.sort();
        apps
    }

    /// The runtime's metrics (for `/metrics` and `record_operation`).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The automatic index manager (what `mdbr index suggest` reads).
    pub fn auto_indexes(&self) -> &AutoIndexManager {
        &self.inner.auto
    }

    /// The database URI in use (credentials removed).
    pub fn uri(&self) -> &str {
        &self.inner.uri
    }

    /// Runs every health check.
    pub async fn health(&self) -> HealthReport {
        self.inner.health.report().await
    }

    /// Waits until every search and vector index of `slug` is queryable.
    pub async fn wait_for_indexes(&self, slug: &str, timeout: Duration) -> Result<()> {
        let slug = AppSlug::parse(slug).map_err(mdbr_scope::Error::from)?;
        Ok(self.inner.tracker.wait(&slug, timeout).await?)
    }

    /// Stops background work, closes connections and stops the embedded engine.
    pub async fn shutdown(&self) {
        if let Err(e) = self.flush_query_shapes().await {
            tracing::debug!(error = %e, "could not store query shapes at shutdown");
        }
        self.inner.metrics.shutdown();
        self.inner.client.clone().shutdown().await;
        if let Some(server) = self.inner.lite.lock().await.take() {
            server.shutdown().await;
        }
    }

    /// Writes the query shapes AutoIndexManager has counted to
    /// `_mdbr_query_shapes` (one document per app), where `mdbr index
    /// suggest` reads them. Runs every 10 s in the background and at shutdown.
    pub async fn flush_query_shapes(&self) -> Result<()> {
        let coll = self.inner.scope.runtime_collection(SHAPES_COLLECTION)?;
        for app in self.apps() {
            let shapes: Vec<bson::Document> = self
                .inner
                .auto
                .observed(&app)
                .into_iter()
                .map(|(collection, candidate, count)| {
                    let keys: Vec<bson::Bson> = candidate
                        .keys()
                        .into_iter()
                        .map(|(f, d)| bson::Bson::Array(vec![f.into(), d.into()]))
                        .collect();
                    bson::doc! { "collection": collection, "keys": keys, "count": i64::from(count) }
                })
                .collect();
            if shapes.is_empty() {
                continue;
            }
            coll.replace_one(
                bson::doc! { "_id": app.as_str() },
                bson::doc! { "_id": app.as_str(), "shapes": shapes, "updated_at": bson::DateTime::now() },
            )
            .upsert(true)
            .await
            .map_err(mdbr_scope::Error::from)?;
        }
        Ok(())
    }

    fn spawn_shape_flusher(&self) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                if let Err(e) = (RuntimeEngine { inner }).flush_query_shapes().await {
                    tracing::debug!(error = %e, "could not store query shapes");
                }
            }
        });
    }

    /// Reloads the registered apps from `_mdbr_apps` into the registry.
    async fn reload(&self) -> Result<()> {
        for manifest in self.inner.store.load_all().await? {
            self.remember(manifest);
        }
        Ok(())
    }

    pub(crate) fn remember(&self, manifest: Manifest) {
        let slug = manifest.slug.clone();
        let registry = self.inner.scope.registry();
        registry.put(AppEntry::from(&manifest));
        self.inner.auto.configure(manifest.slug.clone(), manifest.auto_indexes.clone());
        self.inner
            .manifests
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(manifest.slug.clone(), Arc::new(manifest));
        // A new manifest may change the policy, users collection or providers.
        self.inner.auths.write().unwrap_or_else(|e| e.into_inner()).remove(&slug);
    }
}

/// The runtime's metrics; with the `otlp` feature and `MDBR_OTLP_ENDPOINT`
/// set, also pushed to that collector every 15 s.
fn new_metrics() -> Result<Metrics> {
    #[cfg(feature = "otlp")]
    if let Ok(endpoint) = std::env::var("MDBR_OTLP_ENDPOINT")
        && !endpoint.is_empty()
    {
        tracing::info!(%endpoint, "pushing metrics over OTLP");
        return Ok(Metrics::with_otlp(&endpoint, Duration::from_secs(15))?);
    }
    Ok(Metrics::new()?)
}

/// The URI without its password, for logs and errors.
fn redact(uri: &str) -> String {
    match (uri.find("://"), uri.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &uri[..scheme], &uri[at + 1..])
        }
        _ => uri.to_owned(),
    }
}
