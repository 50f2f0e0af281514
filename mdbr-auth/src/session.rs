//! Sessions: opaque random tokens, stored only as SHA-256 hashes in the app's
//! scoped `sessions` collection, with an expiry checked on every lookup (the
//! TTL index removes them eventually; its monitor runs lazily).

use std::time::Duration;

use mdbr_scope::ScopedCollection;
use mdbr_scope::bson::oid::ObjectId;
use mdbr_scope::bson::{DateTime, doc};
use mdbr_scope::mongodb::IndexModel;
use mdbr_scope::mongodb::options::IndexOptions;
use serde::{Deserialize, Serialize};

use crate::crypto::{random_token, sha256_hex};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The logical collection holding sessions.
pub const SESSIONS_COLLECTION: &str = "sessions";
/// Prefix of every session token, so that it is never mistaken for a JWT.
pub const SESSION_TOKEN_PREFIX: &str = "mdbrs_";
/// Random bytes in a session token (256 bits).
const TOKEN_BYTES: usize = 32;

/// One stored session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionDoc {
    /// SHA-256 of the token, hex.
    #[serde(rename = "_id")]
    pub(crate) id: String,
    pub(crate) user_id: ObjectId,
    pub(crate) created_at: DateTime,
    pub(crate) expires_at: DateTime,
}

/// The sessions collection of one app.
#[derive(Debug, Clone)]
pub(crate) struct SessionStore {
    coll: ScopedCollection<SessionDoc>,
    ttl: Duration,
}

impl SessionStore {
    pub(crate) fn new(coll: ScopedCollection<SessionDoc>, ttl: Duration) -> Self {
        Self { coll, ttl }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The TTL index on `expires_at` (each session's expiry is its creation
    /// time plus `session_ttl_seconds`) and the index on `user_id`.
    pub(crate) async fn ensure_indexes(&self) -> Result<()> {
        self.coll
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "expires_at": 1 })
                    .options(
                        IndexOptions::builder()
                            .name("mdbr_auth_session_ttl".to_owned())
                            .expire_after(Duration::ZERO)
                            .build(),
                    )
                    .build(),
            )
            .await?;
        self.coll
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "user_id": 1 })
                    .options(
                        IndexOptions::builder().name("mdbr_auth_session_user".to_owned()).build(),
                    )
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// Starts a session for `user_id`; returns the token (shown once, never stored).
    pub(crate) async fn create(&self, user_id: ObjectId) -> Result<Secret> {
        let token = format!("{SESSION_TOKEN_PREFIX}{}", random_token(TOKEN_BYTES)?);
        let now = DateTime::now();
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        let session = SessionDoc {
            id: sha256_hex(token.as_bytes()),
            user_id,
            created_at: now,
            expires_at: DateTime::from_millis(now.timestamp_millis().saturating_add(ttl_ms)),
        };
        self.coll.insert_one(&session).await?;
        Ok(Secret::new(token))
    }

    /// The live session of `token`: unknown, revoked and expired tokens are refused.
    pub(crate) async fn lookup(&self, token: &str) -> Result<SessionDoc> {
        let id = session_id(token)?;
        let Some(session) = self.coll.find_one(doc! { "_id": &id }).await? else {
            return Err(Error::credential("unknown or revoked session"));
        };
        if session.expires_at <= DateTime::now() {
            self.coll.delete_one(doc! { "_id": &id }).await?;
            return Err(Error::credential("the session has expired"));
        }
        Ok(session)
    }

    /// Ends the session of `token`.
    pub(crate) async fn revoke(&self, token: &str) -> Result<()> {
        let id = session_id(token)?;
        self.coll.delete_one(doc! { "_id": id }).await?;
        Ok(())
    }

    /// Ends every session of `user_id` but `keep` (a session id); returns how many.
    pub(crate) async fn revoke_all(&self, user_id: &ObjectId, keep: Option<&str>) -> Result<u64> {
        let filter = match keep {
            Some(id) => doc! { "user_id": user_id, "_id": { "$ne": id } },
            None => doc! { "user_id": user_id },
        };
        Ok(self.coll.delete_many(filter).await?.deleted_count)
    }
}

/// Whether `token` has the shape of a session token.
pub(crate) fn is_session_token(token: &str) -> bool {
    token.strip_prefix(SESSION_TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The stored id of a session token.
pub(crate) fn session_id(token: &str) -> Result<String> {
    if !is_session_token(token) {
        return Err(Error::credential("malformed session token"));
    }
    Ok(sha256_hex(token.as_bytes()))
}
