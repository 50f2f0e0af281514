//! The app's users, stored in its scoped users collection
//! (`sub_auth.collection_name`): email normalisation, the document model and
//! the store.

use mdbr_scope::ScopedCollection;
use mdbr_scope::bson::oid::ObjectId;
use mdbr_scope::bson::{DateTime, doc};
use mdbr_scope::mongodb::IndexModel;
use mdbr_scope::mongodb::options::IndexOptions;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::{Identity, IdentityKind};

/// Name of the unique index on the normalised email.
pub const EMAIL_INDEX: &str = "mdbr_auth_email_unique";

/// The normalised form of an email: trimmed and lowercased. Emails are
/// compared and stored in this form only.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Normalises and checks an email address (one `@`, non-empty local part
/// and dotted domain, no spaces, at most 254 bytes).
pub(crate) fn parse_email(raw: &str) -> Result<String> {
    let email = normalize_email(raw);
    let bad = |why: &str| Err(Error::input(format!("`email` is not a valid address: {why}")));
    if email.is_empty() {
        return bad("it is empty");
    }
    if email.len() > 254 {
        return bad("it is longer than 254 bytes");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains whitespace");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return bad("it has no `@`");
    };
    if local.is_empty() || domain.contains('@') {
        return bad("it must have exactly one `@` with a name before it");
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return bad("the domain must contain a dot");
    }
    Ok(email)
}

/// A user of the app, as shown to the user and to app code (no hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id (an ObjectId in hex).
    pub id: String,
    /// Normalised email.
    pub email: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// App roles.
    pub roles: Vec<String>,
    /// App permissions as `resource:action`.
    pub permissions: Vec<String>,
}

/// A provider identity linked to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OAuthLink {
    pub(crate) provider: String,
    pub(crate) subject: String,
}

/// The stored user document.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct UserDoc {
    #[serde(rename = "_id")]
    pub(crate) id: ObjectId,
    pub(crate) email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) password_hash: Option<String>,
    #[serde(default)]
    pub(crate) roles: Vec<String>,
    #[serde(default)]
    pub(crate) permissions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) oauth: Vec<OAuthLink>,
    pub(crate) created_at: DateTime,
}

impl std::fmt::Debug for UserDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserDoc")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("has_password", &self.password_hash.is_some())
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl UserDoc {
    pub(crate) fn new(email: String, name: Option<String>, password_hash: Option<String>) -> Self {
        Self {
            id: ObjectId::new(),
            email,
            name,
            password_hash,
            roles: Vec::new(),
            permissions: Vec::new(),
            oauth: Vec::new(),
            created_at: DateTime::now(),
        }
    }

    pub(crate) fn view(&self) -> User {
        User {
            id: self.id.to_hex(),
            email: self.email.clone(),
            name: self.name.clone(),
            roles: self.roles.clone(),
            permissions: self.permissions.clone(),
        }
    }

    pub(crate) fn identity(&self, app: &mdbr_core::AppSlug) -> Identity {
        Identity {
            app: app.clone(),
            kind: IdentityKind::AppUser,
            subject: self.id.to_hex(),
            email: Some(self.email.clone()),
            roles: self.roles.clone(),
            permissions: self.permissions.clone(),
        }
    }
}

/// The users collection of one app.
#[derive(Debug, Clone)]
pub(crate) struct UserStore {
    coll: ScopedCollection<UserDoc>,
}

impl UserStore {
    pub(crate) fn new(coll: ScopedCollection<UserDoc>) -> Self {
        Self { coll }
    }

    /// The unique index on `email` and the index on linked provider identities.
    pub(crate) async fn ensure_indexes(&self) -> Result<()> {
        self.coll
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "email": 1 })
                    .options(
                        IndexOptions::builder().name(EMAIL_INDEX.to_owned()).unique(true).build(),
                    )
                    .build(),
            )
            .await?;
        self.coll
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "oauth.provider": 1, "oauth.subject": 1 })
                    .options(IndexOptions::builder().name("mdbr_auth_oauth".to_owned()).build())
                    .build(),
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn by_email(&self, email: &str) -> Result<Option<UserDoc>> {
        Ok(self.coll.find_one(doc! { "email": email }).await?)
    }

    pub(crate) async fn by_id(&self, id: &ObjectId) -> Result<Option<UserDoc>> {
        Ok(self.coll.find_one(doc! { "_id": id }).await?)
    }

    pub(crate) async fn by_oauth(&self, provider: &str, subject: &str) -> Result<Option<UserDoc>> {
        Ok(self
            .coll
            .find_one(
                doc! { "oauth": { "$elemMatch": { "provider": provider, "subject": subject } } },
            )
            .await?)
    }

    /// Inserts a new user; an existing email is [`Error::EmailTaken`].
    pub(crate) async fn insert(&self, user: &UserDoc) -> Result<()> {
        match self.coll.insert_one(user).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_conflict() => Err(Error::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn set_password(&self, id: &ObjectId, hash: &str) -> Result<()> {
        self.coll
            .update_one(doc! { "_id": id }, doc! { "$set": { "password_hash": hash } })
            .await?;
        Ok(())
    }

    pub(crate) async fn link_oauth(&self, id: &ObjectId, link: &OAuthLink) -> Result<()> {
        self.coll
            .update_one(
                doc! { "_id": id },
                doc! { "$addToSet": { "oauth": { "provider": &link.provider, "subject": &link.subject } } },
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(parse_email("  Alice@Example.COM ").unwrap(), "alice@example.com");
        for bad in
            ["", "alice", "@example.com", "a@b", "a b@example.com", "a@@example.com", "a@example."]
        {
            assert!(parse_email(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
