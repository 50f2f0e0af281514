//! The manifest of one app (`manifest.json`, schema version 2.0): the typed
//! model, loading with validation, and builder-lite helpers.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::{AuthPolicy, SubAuth};
use crate::auto_indexes::AutoIndexes;
use crate::collection_settings::CollectionSettings;
use crate::cors::CorsConfig;
use crate::data_access::DataAccess;
use crate::embedding::EmbeddingConfig;
use crate::error::{ManifestError, Result};
use crate::index::IndexSpec;
use crate::llm::LlmConfig;
use crate::name::{AppSlug, CollectionName};
use crate::observability::ObservabilityConfig;
use crate::problem::{Problem, ProblemKind, Report};
use crate::websocket::WebSocketEndpoint;

/// The lifecycle state of an app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AppStatus {
    /// Running normally (default).
    #[default]
    Active,
    /// Being built; behaves like `active`.
    Draft,
    /// Switched off: scoped access is refused.
    Inactive,
    /// Kept for reference: read-only.
    Archived,
}

impl AppStatus {
    /// The spelling in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Draft => "draft",
            Self::Inactive => "inactive",
            Self::Archived => "archived",
        }
    }

    /// True when the app's data may be read (every status but `inactive`).
    pub fn allows_reads(self) -> bool {
        !matches!(self, Self::Inactive)
    }

    /// True when the app's data may be written (`active` and `draft`).
    pub fn allows_writes(self) -> bool {
        matches!(self, Self::Active | Self::Draft)
    }
}

/// The declaration of one app: `manifest.json`, schema version 2.0 (DESIGN §5).
///
/// Load one with [`Manifest::from_json_str`] or [`Manifest::from_path`],
/// which validate everything and report every problem at once, or build one
/// in code with [`Manifest::new`] and the `with_*` methods.
///
/// ```
/// use mdbr_core::{AppSlug, CollectionName, IndexKeys, IndexSpec, Manifest};
/// let loaded = Manifest::from_json_str(r#"{
///     "slug": "my_app",
///     "name": "My First App",
///     "managed_indexes": {"tasks": [{"type": "regular", "keys": {"status": 1}, "name": "status_idx"}]}
/// }"#).unwrap();
/// assert!(loaded.warnings.is_empty());
/// let m = loaded.manifest;
/// assert_eq!(m.slug.as_str(), "my_app");
///
/// let built = Manifest::new(AppSlug::parse("my_app").unwrap(), "My First App")
///     .with_index(CollectionName::parse("tasks").unwrap(), IndexSpec::regular("status_idx", IndexKeys::new().asc("status")));
/// assert_eq!(built, m);
/// assert!(built.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "mdbr app manifest")]
pub struct Manifest {
    /// Version of the manifest format (default and only supported value `"2.0"`).
    #[serde(default = "default_schema_version")]
    #[schemars(extend("const" = "2.0"))]
    pub schema_version: String,
    /// The app's slug: its name in the database and in URLs.
    pub slug: AppSlug,
    /// Human-readable name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// What the app does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lifecycle state (default `active`).
    #[serde(default)]
    pub status: AppStatus,
    /// Email of the developer who owns the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(email)]
    pub developer_id: Option<String>,
    /// Platform access rules.
    #[serde(default)]
    pub auth_policy: AuthPolicy,
    /// The app's own users.
    #[serde(default)]
    pub sub_auth: SubAuth,
    /// Cross-app read grants.
    #[serde(default, skip_serializing_if = "DataAccess::is_empty")]
    pub data_access: DataAccess,
    /// Declared indexes by logical collection.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub managed_indexes: BTreeMap<CollectionName, Vec<IndexSpec>>,
    /// Automatic index creation.
    #[serde(default)]
    pub auto_indexes: AutoIndexes,
    /// Creation options by logical collection.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub collection_settings: BTreeMap<CollectionName, CollectionSettings>,
    /// Documents inserted into empty collections when the app is registered.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub initial_data: BTreeMap<CollectionName, Vec<Map<String, Value>>>,
    /// Websocket endpoints by endpoint name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub websockets: BTreeMap<String, WebSocketEndpoint>,
    /// Language-model settings.
    #[serde(default)]
    pub llm_config: LlmConfig,
    /// Chunking and embedding settings.
    #[serde(default)]
    pub embedding_config: EmbeddingConfig,
    /// Cross-origin settings.
    #[serde(default)]
    pub cors: CorsConfig,
    /// Metrics, logging and health checks.
    #[serde(default)]
    pub observability: ObservabilityConfig,
}

/// A manifest that loaded, with the warnings found on the way (legacy keys).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The validated manifest.
    pub manifest: Manifest,
    /// Accepted problems, e.g. legacy keys, each naming the key.
    pub warnings: Vec<Problem>,
}

impl Manifest {
    /// The manifest format version this crate reads and writes.
    pub const SCHEMA_VERSION: &'static str = "2.0";

    /// A manifest with only a slug and a name; every section has its default.
    pub fn new(slug: AppSlug, name: impl Into<String>) -> Self {
        Self {
            schema_version: default_schema_version(),
            slug,
            name: name.into(),
            description: None,
            status: AppStatus::default(),
            developer_id: None,
            auth_policy: AuthPolicy::default(),
            sub_auth: SubAuth::default(),
            data_access: DataAccess::default(),
            managed_indexes: BTreeMap::new(),
            auto_indexes: AutoIndexes::default(),
            collection_settings: BTreeMap::new(),
            initial_data: BTreeMap::new(),
            websockets: BTreeMap::new(),
            llm_config: LlmConfig::default(),
            embedding_config: EmbeddingConfig::default(),
            cors: CorsConfig::default(),
            observability: ObservabilityConfig::default(),
        }
    }

    /// Parses and validates a manifest, reporting every problem at once.
    ///
    /// Legacy keys of older manifests (`version`, `auth_required`,
    /// `data_scope`, index option `background`) are accepted and reported in
    /// [`Loaded::warnings`].
    pub fn from_json_str(text: &str) -> Result<Loaded> {
        let value: Value = serde_json::from_str(text).map_err(ManifestError::json)?;
        Self::from_value(value)
    }

    /// Validates an already parsed JSON document, like [`Manifest::from_json_str`].
    pub fn from_value(value: Value) -> Result<Loaded> {
        let report = crate::check::check(&value);
        if report.has_errors() {
            return Err(ManifestError::Invalid(report));
        }
        let normalized = crate::legacy::normalize(value);
        match serde_json::from_value::<Manifest>(normalized) {
            Ok(manifest) => Ok(Loaded { manifest, warnings: report.warnings }),
            Err(err) => {
                // The checker accepts exactly what the model reads; this is a safety net.
                let problem = Problem::new("", ProblemKind::Invalid, err.to_string());
                Err(ManifestError::Invalid(Report {
                    errors: vec![problem],
                    warnings: report.warnings,
                }))
            }
        }
    }

    /// Reads, parses and validates the manifest file at `path`. This is the
    /// only I/O in `mdbr-core`.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Loaded> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ManifestError::Io { path: path.to_path_buf(), source })?;
        Self::from_json_str(&text)
    }

    /// Checks a manifest built or changed in code against every rule the
    /// loader applies; an empty [`Report::errors`] means it is valid.
    pub fn validate(&self) -> Report {
        match serde_json::to_value(self) {
            Ok(value) => crate::check::check(&value),
            Err(err) => Report {
                errors: vec![Problem::new(
                    "",
                    ProblemKind::Invalid,
                    format!("cannot serialize manifest: {err}"),
                )],
                warnings: Vec::new(),
            },
        }
    }

    /// Every logical collection the manifest names (indexes, settings,
    /// initial data and the `sub_auth` users collection when enabled),
    /// sorted and without duplicates.
    pub fn collections(&self) -> Vec<&CollectionName> {
        let mut all: Vec<&CollectionName> = self
            .managed_indexes
            .keys()
            .chain(self.collection_settings.keys())
            .chain(self.initial_data.keys())
            .collect();
        if self.sub_auth.enabled {
            all.push(&self.sub_auth.collection_name);
        }
        all.sort();
        all.dedup();
        all
    }

    /// Every declared index with its collection, collection by collection in
    /// name order, indexes in manifest order.
    pub fn indexes(&self) -> impl Iterator<Item = (&CollectionName, &IndexSpec)> {
        self.managed_indexes.iter().flat_map(|(coll, list)| list.iter().map(move |idx| (coll, idx)))
    }

    /// True when this app may read `owner`'s data: this app lists `owner` in
    /// `data_access.read_scopes` and `owner` lists this app in
    /// `data_access.share_with` (both sides must declare a grant). An app
    /// always reads its own data.
    ///
    /// ```
    /// use mdbr_core::{AppSlug, Manifest};
    /// let slug = |s| AppSlug::parse(s).unwrap();
    /// let crm = Manifest::new(slug("crm"), "CRM").with_share_with([slug("reports")]);
    /// let reports = Manifest::new(slug("reports"), "Reports").with_read_scopes([slug("crm")]);
    /// assert!(reports.can_read(&crm));
    /// assert!(!crm.can_read(&reports));
    /// ```
    pub fn can_read(&self, owner: &Manifest) -> bool {
        self.slug == owner.slug
            || (self.data_access.read_scopes.contains(&owner.slug)
                && owner.data_access.share_with.contains(&self.slug))
    }

    /// The same manifest with a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The same manifest with another status.
    #[must_use]
    pub fn with_status(mut self, status: AppStatus) -> Self {
        self.status = status;
        self
    }

    /// The same manifest with a developer email.
    #[must_use]
    pub fn with_developer_id(mut self, email: impl Into<String>) -> Self {
        self.developer_id = Some(email.into());
        self
    }

    /// The same manifest with `data_access.read_scopes` replaced.
    #[must_use]
    pub fn with_read_scopes(mut self, apps: impl IntoIterator<Item = AppSlug>) -> Self {
        self.data_access.read_scopes = apps.into_iter().collect();
        self
    }

    /// The same manifest with `data_access.share_with` replaced.
    #[must_use]
    pub fn with_share_with(mut self, apps: impl IntoIterator<Item = AppSlug>) -> Self {
        self.data_access.share_with = apps.into_iter().collect();
        self
    }

    /// The same manifest declaring `collection` (with no index yet).
    #[must_use]
    pub fn with_collection(mut self, collection: CollectionName) -> Self {
        self.managed_indexes.entry(collection).or_default();
        self
    }

    /// The same manifest with `index` appended to `collection`'s indexes.
    #[must_use]
    pub fn with_index(mut self, collection: CollectionName, index: IndexSpec) -> Self {
        self.managed_indexes.entry(collection).or_default().push(index);
        self
    }

    /// The same manifest with creation options for `collection`.
    #[must_use]
    pub fn with_collection_settings(
        mut self,
        collection: CollectionName,
        settings: CollectionSettings,
    ) -> Self {
        self.collection_settings.insert(collection, settings);
        self
    }

    /// The same manifest with `documents` appended to `collection`'s initial data.
    #[must_use]
    pub fn with_initial_data(
        mut self,
        collection: CollectionName,
        documents: impl IntoIterator<Item = Map<String, Value>>,
    ) -> Self {
        self.initial_data.entry(collection).or_default().extend(documents);
        self
    }

    /// The same manifest with a websocket endpoint named `name`.
    #[must_use]
    pub fn with_websocket(mut self, name: impl Into<String>, endpoint: WebSocketEndpoint) -> Self {
        self.websockets.insert(name.into(), endpoint);
        self
    }

    /// The same manifest with another `auth_policy`.
    #[must_use]
    pub fn with_auth_policy(mut self, policy: AuthPolicy) -> Self {
        self.auth_policy = policy;
        self
    }

    /// The same manifest with another `sub_auth`.
    #[must_use]
    pub fn with_sub_auth(mut self, sub_auth: SubAuth) -> Self {
        self.sub_auth = sub_auth;
        self
    }

    /// The same manifest with other `auto_indexes` settings.
    #[must_use]
    pub fn with_auto_indexes(mut self, auto_indexes: AutoIndexes) -> Self {
        self.auto_indexes = auto_indexes;
        self
    }

    /// The same manifest with another `llm_config`.
    #[must_use]
    pub fn with_llm_config(mut self, config: LlmConfig) -> Self {
        self.llm_config = config;
        self
    }

    /// The same manifest with another `embedding_config`.
    #[must_use]
    pub fn with_embedding_config(mut self, config: EmbeddingConfig) -> Self {
        self.embedding_config = config;
        self
    }

    /// The same manifest with other `cors` settings.
    #[must_use]
    pub fn with_cors(mut self, cors: CorsConfig) -> Self {
        self.cors = cors;
        self
    }

    /// The same manifest with other `observability` settings.
    #[must_use]
    pub fn with_observability(mut self, observability: ObservabilityConfig) -> Self {
        self.observability = observability;
        self
    }
}

fn default_schema_version() -> String {
    Manifest::SCHEMA_VERSION.to_owned()
}
