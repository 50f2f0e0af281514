//! The app registry: which apps exist, what they may read, and the rules that
//! keep two apps from ever sharing a physical collection (DESIGN §3).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::RwLock;

use mdbr_core::{AppSlug, AppStatus, Manifest};

use crate::error::{Error, Result};

/// How an app's data may be used right now (from the manifest's `status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AppAccess {
    /// Reads and writes allowed (`active`, `draft`).
    #[default]
    ReadWrite,
    /// Reads allowed, every write refused (`archived`).
    ReadOnly,
    /// Every scoped access refused (`inactive`).
    Disabled,
}

/// One registered app as the scope layer sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppEntry {
    /// The app's slug.
    pub slug: AppSlug,
    /// Apps this app wants to read (`data_access.read_scopes`).
    pub read_scopes: Vec<AppSlug>,
    /// Apps allowed to read this one (`data_access.share_with`).
    pub share_with: Vec<AppSlug>,
    /// What the app's status allows.
    pub access: AppAccess,
}

impl AppEntry {
    /// An app with no grants and full access.
    pub fn new(slug: AppSlug) -> Self {
        Self { slug, read_scopes: Vec::new(), share_with: Vec::new(), access: AppAccess::ReadWrite }
    }

    /// Declares the apps this app wants to read.
    pub fn with_read_scopes(mut self, apps: impl IntoIterator<Item = AppSlug>) -> Self {
        self.read_scopes = apps.into_iter().collect();
        self
    }

    /// Declares the apps allowed to read this one.
    pub fn with_share_with(mut self, apps: impl IntoIterator<Item = AppSlug>) -> Self {
        self.share_with = apps.into_iter().collect();
        self
    }

    /// Sets what the app's status allows.
    pub fn with_access(mut self, access: AppAccess) -> Self {
        self.access = access;
        self
    }
}

impl From<AppStatus> for AppAccess {
    fn from(status: AppStatus) -> Self {
        match status {
            AppStatus::Inactive => Self::Disabled,
            AppStatus::Archived => Self::ReadOnly,
            _ => Self::ReadWrite,
        }
    }
}

impl From<&Manifest> for AppEntry {
    /// The entry a manifest declares: its slug, `data_access` and `status`.
    fn from(manifest: &Manifest) -> Self {
        Self::new(manifest.slug.clone())
            .with_read_scopes(manifest.data_access.read_scopes.iter().cloned())
            .with_share_with(manifest.data_access.share_with.iter().cloned())
            .with_access(manifest.status.into())
    }
}

/// Where registered apps are kept. The scope layer reads it on every
/// collection it opens, so implementations answer from memory; a persistent
/// registry (the facade's `_mdbr_apps`) keeps an in-memory copy.
pub trait AppRegistry: Send + Sync + fmt::Debug {
    /// The entry of `slug`, if registered.
    fn get(&self, slug: &AppSlug) -> Option<AppEntry>;
    /// Every registered app.
    fn apps(&self) -> Vec<AppEntry>;
    /// Stores `entry`, replacing an earlier entry of the same slug. Callers
    /// check [`check_register`] first; implementations only store.
    fn put(&self, entry: AppEntry);
    /// Forgets `slug`.
    fn remove(&self, slug: &AppSlug);
}

/// Refuses access by `app` to `physical` when a longer registered slug owns
/// that name: `t_…` belongs to app `t` whenever `t` is registered, even if a
/// shorter app `s` could spell the same name (`s` + `x_c` with `t = s_x`).
pub fn check_access(registry: &dyn AppRegistry, app: &AppSlug, physical: &str) -> Result<()> {
    for other in registry.apps() {
        let t = &other.slug;
        if t != app && t.as_str().len() > app.as_str().len() && physical.starts_with(&t.prefix()) {
            return Err(Error::collision(format!(
                "collection `{}` of app `{app}` resolves to `{physical}`, which belongs to app `{t}`",
                physical.strip_prefix(&app.prefix()).unwrap_or(physical)
            )));
        }
    }
    Ok(())
}

/// Refuses registering `new` while another app already holds physical
/// collections under `new`'s prefix (`existing` lists the database's
/// collection names). Re-registering an app that is already registered is
/// always allowed.
pub fn check_register(
    registry: &dyn AppRegistry,
    new: &AppSlug,
    existing: &[String],
) -> Result<()> {
    if registry.get(new).is_some() {
        return Ok(());
    }
    let prefix = new.prefix();
    for other in registry.apps() {
        let s = &other.slug;
        if prefix.starts_with(&s.prefix()) {
            let held: Vec<&str> = existing
                .iter()
                .filter(|name| name.starts_with(&prefix))
                .map(String::as_str)
                .collect();
            if !held.is_empty() {
                return Err(Error::collision(format!(
                    "app `{new}` cannot be registered: app `{s}` already holds {} under the prefix `{prefix}`",
                    held.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// The app ids `app` may read: itself, plus every app that both appears in
/// its `read_scopes` and lists it in its own `share_with`.
pub fn readable_apps(registry: &dyn AppRegistry, app: &AppEntry) -> Vec<AppSlug> {
    let mut out = vec![app.slug.clone()];
    for wanted in &app.read_scopes {
        if let Some(other) = registry.get(wanted)
            && other.share_with.contains(&app.slug)
            && other.access != AppAccess::Disabled
            && !out.contains(wanted)
        {
            out.push(wanted.clone());
        }
    }
    out
}

/// A registry held in memory: the default for tests and for users of
/// `mdbr-scope` alone.
#[derive(Debug, Default)]
pub struct MemoryRegistry {
    apps: RwLock<BTreeMap<AppSlug, AppEntry>>,
}

impl MemoryRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }
}

impl AppRegistry for MemoryRegistry {
    fn get(&self, slug: &AppSlug) -> Option<AppEntry> {
        self.apps.read().unwrap_or_else(|e| e.into_inner()).get(slug).cloned()
    }

    fn apps(&self) -> Vec<AppEntry> {
        self.apps.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    fn put(&self, entry: AppEntry) {
        self.apps.write().unwrap_or_else(|e| e.into_inner()).insert(entry.slug.clone(), entry);
    }

    fn remove(&self, slug: &AppSlug) {
        self.apps.write().unwrap_or_else(|e| e.into_inner()).remove(slug);
    }
}
