//! `AppAuth`: the auth of one app — its users, sessions, guests, OAuth
//! providers and policy — built from the app's scoped database, its manifest
//! and the shared [`AuthConfig`].

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use mdbr_core::{AppSlug, AuthPolicy, Manifest, SubAuth, SubAuthStrategy, WebSocketAuth};
use mdbr_scope::ScopedDatabase;
use mdbr_scope::bson::oid::ObjectId;
use serde::Serialize;

use crate::config::AuthConfig;
use crate::csrf::CsrfGuard;
use crate::error::{Error, Result};
use crate::guest::{GuestSigner, guest_identity};
use crate::identity::{Authenticator, BoxFuture, CredentialSources, Decision, Identity};
use crate::oauth::{OAUTH_STATES_COLLECTION, OAuth, ProviderProfile};
use crate::password::{MAX_PASSWORD_BYTES, PasswordHasher};
use crate::secret::Secret;
use crate::session::{SESSIONS_COLLECTION, SessionDoc, SessionStore, is_session_token};
use crate::throttle::{Throttle, ThrottleKey};
use crate::user::{OAuthLink, User, UserDoc, UserStore, normalize_email, parse_email};

/// Where the credential of an [`Authenticated`] request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CredentialSource {
    /// `Authorization: Bearer` (a session token or a platform JWT).
    Bearer,
    /// `?token=` (websocket upgrades only).
    QueryToken,
    /// The app's session cookie.
    SessionCookie,
    /// The app's signed guest cookie.
    GuestCookie,
}

impl CredentialSource {
    /// Whether the browser sends this credential by itself (a cookie), which
    /// is what makes cross-site request forgery possible.
    pub fn is_cookie(self) -> bool {
        matches!(self, Self::SessionCookie | Self::GuestCookie)
    }
}

/// An identified caller, with where the credential came from.
#[derive(Clone)]
pub struct Authenticated {
    /// Who is calling.
    pub identity: Identity,
    /// Where the credential came from.
    pub source: CredentialSource,
    credential: Secret,
    session: Option<SessionDoc>,
}

impl fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("identity", &self.identity)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Authenticated {
    /// Whether the caller came in through a session (password or OAuth sign-in).
    pub fn has_session(&self) -> bool {
        self.session.is_some()
    }

    pub(crate) fn credential(&self) -> &Secret {
        &self.credential
    }
}

/// A new session: the user and the token (shown once; only its hash is stored).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignedIn {
    /// The signed-in user.
    pub user: User,
    /// The session token: send it back as the session cookie or as
    /// `Authorization: Bearer`.
    pub token: Secret,
}

/// A new guest session.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GuestSession {
    /// The guest's identity (`<anonymous_user_prefix>_<random>`).
    pub identity: Identity,
    /// The signed cookie value.
    pub cookie: Secret,
}

/// A user to create with [`AppAuth::create_user`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NewUser {
    /// Email (normalised on the way in).
    pub email: String,
    /// Password; `None` makes an account that can only sign in through OAuth.
    pub password: Option<Secret>,
    /// Display name.
    pub name: Option<String>,
    /// App roles.
    pub roles: Vec<String>,
    /// App permissions (`resource:action`).
    pub permissions: Vec<String>,
}

impl NewUser {
    /// A user with an email and a password.
    pub fn new(email: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            email: email.into(),
            password: Some(password.into()),
            name: None,
            roles: Vec::new(),
            permissions: Vec::new(),
        }
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the roles.
    pub fn with_roles(mut self, roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the permissions.
    pub fn with_permissions(mut self, perms: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.permissions = perms.into_iter().map(Into::into).collect();
        self
    }
}

/// The auth of one app. Cheap to clone; implements [`Authenticator`].
///
/// Build it with [`AppAuth::new`], run [`AppAuth::prepare`] once (indexes and
/// demo users), then mount [`AppAuth::router`] and guard the app's own routes
/// with [`AppAuth::layer`].
#[derive(Clone)]
pub struct AppAuth {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) app: AppSlug,
    pub(crate) policy: AuthPolicy,
    pub(crate) sub: SubAuth,
    pub(crate) config: Arc<AuthConfig>,
    users: UserStore,
    sessions: SessionStore,
    hasher: PasswordHasher,
    throttle: Throttle,
    guests: GuestSigner,
    pub(crate) csrf: CsrfGuard,
    pub(crate) oauth: OAuth,
    pub(crate) session_cookie: String,
    pub(crate) guest_cookie: String,
    pub(crate) csrf_cookie: String,
    pub(crate) oauth_cookie: String,
}

impl fmt::Debug for AppAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppAuth")
            .field("app", &self.inner.app)
            .field("enabled", &self.inner.sub.enabled)
            .field("strategy", &self.inner.sub.strategy)
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

impl AppAuth {
    /// The auth of the app whose scoped database is `db`, configured by the
    /// manifest's `auth_policy` and `sub_auth`. Fails with a clear error when
    /// the manifest's auth sections are unusable (for example a missing OAuth
    /// client-secret variable, named in the error).
    pub fn new(db: ScopedDatabase, manifest: &Manifest, config: Arc<AuthConfig>) -> Result<Self> {
        let app = db.app().clone();
        if app != manifest.slug {
            return Err(Error::config(format!(
                "the scoped database belongs to app `{app}` but the manifest is app `{}`",
                manifest.slug
            )));
        }
        let sub = manifest.sub_auth.clone();
        let session_cookie = format!("{}_{app}", sub.session_cookie_name);
        if !crate::cookie::is_valid_name(&session_cookie) {
            return Err(Error::config(format!(
                "sub_auth.session_cookie_name `{}` cannot be used in a cookie name",
                sub.session_cookie_name
            )));
        }
        let prefix = &sub.anonymous_user_prefix;
        if prefix.is_empty()
            || prefix.len() > 32
            || !prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Error::config(format!(
                "sub_auth.anonymous_user_prefix `{prefix}` must be 1-32 characters of \
                 letters, digits, `_` and `-`"
            )));
        }
        let users = UserStore::new(db.collection(sub.collection_name.as_str())?);
        let ttl = Duration::from_secs(sub.session_ttl_seconds.max(1));
        let sessions = SessionStore::new(db.collection(SESSIONS_COLLECTION)?, ttl);
        let declared = if oauth_enabled(&sub) { sub.oauth_providers.as_slice() } else { &[] };
        if !oauth_enabled(&sub) && !sub.oauth_providers.is_empty() {
            tracing::warn!(app = %app, "sub_auth.oauth_providers is ignored: the strategy does not include oauth");
        }
        let oauth = OAuth::new(declared, &config, db.collection(OAUTH_STATES_COLLECTION)?)?;
        let inner = Inner {
            policy: manifest.auth_policy.clone(),
            users,
            sessions,
            hasher: PasswordHasher::new(config.password)?,
            throttle: Throttle::new(config.throttle),
            guests: GuestSigner::new(&config.server_secret),
            csrf: CsrfGuard::new(&config.server_secret, config.trusted_origins.clone()),
            oauth,
            session_cookie,
            guest_cookie: format!("mdbr_guest_{app}"),
            csrf_cookie: format!("mdbr_csrf_{app}"),
            oauth_cookie: format!("mdbr_oauth_{app}"),
            sub,
            config,
            app,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Creates what the app's auth needs in the database, idempotently: the
    /// unique index on the normalised email of the users collection, the TTL
    /// indexes of the sessions and pending OAuth sign-ins, and the
    /// manifest's `demo_users` (existing ones are left as they are).
    pub async fn prepare(&self) -> Result<()> {
        let i = &self.inner;
        if !i.sub.enabled {
            return Ok(());
        }
        i.users.ensure_indexes().await?;
        i.sessions.ensure_indexes().await?;
        if !i.oauth.is_empty() {
            i.oauth.ensure_indexes().await?;
        }
        for demo in &i.sub.demo_users {
            let email = parse_email(&demo.email)?;
            if i.users.by_email(&email).await?.is_some() {
                continue;
            }
            let password = match &demo.password {
                Some(p) => Secret::new(p.clone()),
                None => Secret::new(crate::crypto::random_token(18)?),
            };
            let mut user = NewUser::new(email.clone(), password).with_roles(demo.roles.clone());
            user.name = demo.name.clone();
            match self.create_user(user).await {
                Ok(_) | Err(Error::EmailTaken) => {}
                Err(e) => return Err(e),
            }
            tracing::info!(app = %i.app, email = %email, random_password = demo.password.is_none(), "demo user created");
        }
        Ok(())
    }

    /// The app.
    pub fn app(&self) -> &AppSlug {
        &self.inner.app
    }

    /// The app's `auth_policy`.
    pub fn policy(&self) -> &AuthPolicy {
        &self.inner.policy
    }

    /// The app's `sub_auth`.
    pub fn sub_auth(&self) -> &SubAuth {
        &self.inner.sub
    }

    /// The shared configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// The session cookie's name, `<session_cookie_name>_<slug>`.
    pub fn session_cookie_name(&self) -> &str {
        &self.inner.session_cookie
    }

    /// The guest cookie's name, `mdbr_guest_<slug>`.
    pub fn guest_cookie_name(&self) -> &str {
        &self.inner.guest_cookie
    }

    /// The CSRF cookie's name, `mdbr_csrf_<slug>`.
    pub fn csrf_cookie_name(&self) -> &str {
        &self.inner.csrf_cookie
    }

    /// How many argon2 password verifications this app has run. A login for
    /// an unknown account runs one against a dummy hash, exactly like a
    /// wrong password, so the two take the same work (useful in monitoring,
    /// and how the tests prove it without timing anything).
    pub fn password_verifications(&self) -> u64 {
        self.inner.hasher.verifications()
    }

    /// Whether email and password accounts are enabled (`app_users`, `hybrid`).
    pub fn passwords_enabled(&self) -> bool {
        let s = &self.inner.sub;
        s.enabled && matches!(s.strategy, SubAuthStrategy::AppUsers | SubAuthStrategy::Hybrid)
    }

    /// Whether anonymous guest sessions are enabled (`anonymous_session`, `hybrid`).
    pub fn guests_enabled(&self) -> bool {
        let s = &self.inner.sub;
        s.enabled
            && matches!(s.strategy, SubAuthStrategy::AnonymousSession | SubAuthStrategy::Hybrid)
    }

    /// Whether OAuth sign-in is enabled (`oauth`, `hybrid`) with at least one provider.
    pub fn oauth_enabled(&self) -> bool {
        oauth_enabled(&self.inner.sub) && !self.inner.oauth.is_empty()
    }

    fn sessions_enabled(&self) -> bool {
        self.passwords_enabled() || self.oauth_enabled()
    }

    /// Applies the app's `auth_policy` (see [`crate::evaluate`]); an identity
    /// of another app is refused.
    pub fn evaluate(
        &self,
        identity: Option<&Identity>,
        endpoint: Option<&WebSocketAuth>,
    ) -> Decision {
        if let Some(id) = identity
            && !id.belongs_to(&self.inner.app)
        {
            return crate::policy::wrong_app(id, &self.inner.app);
        }
        crate::policy::evaluate(&self.inner.policy, identity, endpoint)
    }

    /// Registers a user through the public sign-up path: needs password
    /// accounts and `allow_registration`; starts a session.
    pub async fn register(
        &self,
        email: &str,
        password: &Secret,
        name: Option<String>,
    ) -> Result<SignedIn> {
        if !self.passwords_enabled() {
            return Err(Error::NotEnabled { what: "password sign-in" });
        }
        if !self.inner.sub.allow_registration {
            return Err(Error::RegistrationClosed);
        }
        let mut new = NewUser::new(email, password.clone());
        new.name =
            name.map(|n| n.trim().chars().take(200).collect()).filter(|n: &String| !n.is_empty());
        let user = self.create_user(new).await?;
        let token = self.start_session(&user.id).await?;
        tracing::info!(app = %self.inner.app, user = %user.id, "user registered");
        Ok(SignedIn { user, token })
    }

    /// Creates a user directly (administration, seeding), whatever
    /// `allow_registration` says.
    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        let email = parse_email(&new.email)?;
        let hash = match &new.password {
            Some(p) => {
                PasswordHasher::check_strength(p)?;
                Some(self.inner.hasher.hash(p).await?)
            }
            None => None,
        };
        let mut doc = UserDoc::new(email, new.name, hash);
        doc.roles = new.roles;
        doc.permissions = new.permissions;
        self.inner.users.insert(&doc).await?;
        Ok(doc.view())
    }

    /// Checks an email and password. Unknown accounts and wrong passwords get
    /// the same error ([`Error::LoginFailed`]) after the same work (a dummy
    /// hash is verified for unknown accounts). Failures count against the
    /// account and against `client` (when known); at the limit, both are
    /// locked out ([`Error::Throttled`]).
    pub async fn login(
        &self,
        email: &str,
        password: &Secret,
        client: Option<IpAddr>,
    ) -> Result<SignedIn> {
        let i = &self.inner;
        if !self.passwords_enabled() {
            return Err(Error::NotEnabled { what: "password sign-in" });
        }
        let email = normalize_email(email);
        let account = ThrottleKey::Account(email.chars().take(254).collect());
        let mut keys = vec![account.clone()];
        keys.extend(client.map(ThrottleKey::Address));
        i.throttle.check(&keys)?;
        let user = if email.len() <= 254 { i.users.by_email(&email).await? } else { None };
        let ok = if password.expose().len() > MAX_PASSWORD_BYTES {
            false
        } else {
            let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
            i.hasher.verify(password, stored).await?
        };
        let Some(user) = user.filter(|_| ok) else {
            i.throttle.failure(&keys);
            tracing::info!(app = %i.app, "login failed");
            return Err(Error::LoginFailed);
        };
        i.throttle.success(&account);
        if let Some(stored) = &user.password_hash
            && i.hasher.needs_rehash(stored)
        {
            match i.hasher.hash(password).await {
                Ok(h) => i.users.set_password(&user.id, &h).await?,
                Err(e) => tracing::warn!(app = %i.app, error = %e, "password rehash failed"),
            }
        }
        let token = i.sessions.create(user.id).await?;
        tracing::info!(app = %i.app, user = %user.id.to_hex(), "login succeeded");
        Ok(SignedIn { user: user.view(), token })
    }

    /// Starts a session for user `user_id` (hex id).
    pub async fn start_session(&self, user_id: &str) -> Result<Secret> {
        let id = parse_user_id(user_id)?;
        self.inner.sessions.create(id).await
    }

    /// Ends the session of `token`.
    pub async fn logout(&self, token: &Secret) -> Result<()> {
        self.inner.sessions.revoke(token.expose()).await
    }

    /// Ends every session of user `user_id`; returns how many were ended.
    pub async fn revoke_all_sessions(&self, user_id: &str) -> Result<u64> {
        let id = parse_user_id(user_id)?;
        let n = self.inner.sessions.revoke_all(&id, None).await?;
        tracing::info!(app = %self.inner.app, user = %user_id, sessions = n, "sessions revoked");
        Ok(n)
    }

    /// Changes the password of the user of session `token` after checking
    /// the current one, and ends every other session of that user.
    pub async fn change_password(
        &self,
        token: &Secret,
        current: &Secret,
        new: &Secret,
    ) -> Result<()> {
        let i = &self.inner;
        let session = i.sessions.lookup(token.expose()).await?;
        let user = i
            .users
            .by_id(&session.user_id)
            .await?
            .ok_or_else(|| Error::credential("the session's user no longer exists"))?;
        let account = ThrottleKey::Account(user.email.clone());
        i.throttle.check(std::slice::from_ref(&account))?;
        if !i.hasher.verify(current, user.password_hash.as_deref()).await? {
            i.throttle.failure(std::slice::from_ref(&account));
            return Err(Error::Forbidden { reason: "the current password is wrong".to_owned() });
        }
        PasswordHasher::check_strength(new)?;
        let hash = i.hasher.hash(new).await?;
        i.users.set_password(&user.id, &hash).await?;
        let ended = i.sessions.revoke_all(&user.id, Some(&session.id)).await?;
        tracing::info!(app = %i.app, user = %user.id.to_hex(), other_sessions_ended = ended, "password changed");
        Ok(())
    }

    /// The user of session `token`.
    pub async fn session_user(&self, token: &Secret) -> Result<User> {
        let session = self.inner.sessions.lookup(token.expose()).await?;
        let user = self
            .inner
            .users
            .by_id(&session.user_id)
            .await?
            .ok_or_else(|| Error::credential("the session's user no longer exists"))?;
        Ok(user.view())
    }

    /// A new anonymous guest with a signed cookie.
    pub fn issue_guest(&self) -> Result<GuestSession> {
        if !self.guests_enabled() {
            return Err(Error::NotEnabled { what: "anonymous sessions" });
        }
        let i = &self.inner;
        let (id, cookie) =
            i.guests.issue(&i.app, &i.sub.anonymous_user_prefix, i.sessions.ttl())?;
        Ok(GuestSession { identity: guest_identity(&i.app, id), cookie: Secret::new(cookie) })
    }

    /// The CSRF token that accompanies the cookie credential `credential`.
    pub fn csrf_token(&self, credential: &Secret) -> String {
        self.inner.csrf.token(&self.inner.app, credential.expose())
    }

    /// Identifies the caller of a request: `Authorization: Bearer` (session
    /// token or platform JWT), then `?token=` when allowed, then the session
    /// cookie, then the guest cookie. `Ok(None)` when no credential is
    /// present; a present but unacceptable credential is an error.
    pub async fn authenticate(
        &self,
        head: &Parts,
        sources: CredentialSources,
    ) -> Result<Option<Authenticated>> {
        if let Some(token) = bearer(&head.headers)? {
            return self.token_identity(token, CredentialSource::Bearer).await.map(Some);
        }
        if sources.query_token
            && let Some(token) = query_token(head)
        {
            return self.token_identity(&token, CredentialSource::QueryToken).await.map(Some);
        }
        if let Some(token) = crate::cookie::get(&head.headers, &self.inner.session_cookie) {
            return self.token_identity(token, CredentialSource::SessionCookie).await.map(Some);
        }
        if self.guests_enabled()
            && let Some(value) = crate::cookie::get(&head.headers, &self.inner.guest_cookie)
        {
            let id = self.inner.guests.verify(&self.inner.app, value)?;
            return Ok(Some(Authenticated {
                identity: guest_identity(&self.inner.app, id),
                source: CredentialSource::GuestCookie,
                credential: Secret::new(value),
                session: None,
            }));
        }
        Ok(None)
    }

    async fn token_identity(&self, token: &str, source: CredentialSource) -> Result<Authenticated> {
        let i = &self.inner;
        if token.contains('.') && source != CredentialSource::SessionCookie {
            let claims = i.config.jwt.verify_for_app(token, &i.app)?;
            return Ok(Authenticated {
                identity: claims.to_identity(&i.app),
                source,
                credential: Secret::new(token),
                session: None,
            });
        }
        if !is_session_token(token) {
            return Err(Error::credential("malformed session token"));
        }
        if !self.sessions_enabled() {
            return Err(Error::credential("this app has no sessions"));
        }
        let session = i.sessions.lookup(token).await?;
        let user = i
            .users
            .by_id(&session.user_id)
            .await?
            .ok_or_else(|| Error::credential("the session's user no longer exists"))?;
        Ok(Authenticated {
            identity: user.identity(&i.app),
            source,
            credential: Secret::new(token),
            session: Some(session),
        })
    }

    /// Finds or creates the app user of an OAuth profile and starts a session.
    pub(crate) fn oauth_sign_in(
        &self,
        profile: ProviderProfile,
    ) -> BoxFuture<'_, Result<SignedIn>> {
        Box::pin(self.oauth_sign_in_inner(profile))
    }

    async fn oauth_sign_in_inner(&self, profile: ProviderProfile) -> Result<SignedIn> {
        let i = &self.inner;
        let link =
            OAuthLink { provider: profile.provider.clone(), subject: profile.subject.clone() };
        let user = match i.users.by_oauth(&link.provider, &link.subject).await? {
            Some(user) => user,
            None => {
                if !profile.email_verified {
                    return Err(Error::EmailUnverified { provider: profile.provider });
                }
                let email =
                    parse_email(profile.email.as_deref().unwrap_or_default()).map_err(|_| {
                        Error::provider(format!("{} gave no usable email", profile.provider), None)
                    })?;
                match i.users.by_email(&email).await? {
                    Some(user) => {
                        i.users.link_oauth(&user.id, &link).await?;
                        tracing::info!(app = %i.app, user = %user.id.to_hex(), provider = %link.provider, "provider identity linked to user");
                        user
                    }
                    None => {
                        let mut user = UserDoc::new(email, profile.name.clone(), None);
                        user.oauth.push(link.clone());
                        match i.users.insert(&user).await {
                            Ok(()) => user,
                            // Created concurrently: link to that one.
                            Err(Error::EmailTaken) => {
                                let existing =
                                    i.users.by_email(&user.email).await?.ok_or_else(|| {
                                        Error::internal("user vanished after a duplicate-key error")
                                    })?;
                                i.users.link_oauth(&existing.id, &link).await?;
                                existing
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
        };
        let token = i.sessions.create(user.id).await?;
        tracing::info!(app = %i.app, user = %user.id.to_hex(), provider = %link.provider, "OAuth sign-in succeeded");
        Ok(SignedIn { user: user.view(), token })
    }

    /// Revokes the session an [`Authenticated`] came in with, if any.
    pub(crate) async fn end_session(&self, auth: &Authenticated) -> Result<()> {
        if auth.session.is_some() {
            self.inner.sessions.revoke(auth.credential.expose()).await?;
        }
        Ok(())
    }

    /// Ends every session of the user an [`Authenticated`] belongs to.
    pub(crate) async fn end_all_sessions(&self, auth: &Authenticated) -> Result<u64> {
        match &auth.session {
            Some(s) => self.inner.sessions.revoke_all(&s.user_id, None).await,
            None => Err(Error::Forbidden { reason: "only app users have sessions".to_owned() }),
        }
    }

    /// The client address used for throttling: the configured proxy header's
    /// right-most entry, else the TCP peer (`ConnectInfo<SocketAddr>`).
    pub fn client_addr(&self, head: &Parts) -> Option<IpAddr> {
        if let Some(name) = &self.inner.config.client_ip_header {
            return head
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(parse_ip)
                .next_back();
        }
        head.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
    }
}

impl Authenticator for AppAuth {
    fn app(&self) -> &AppSlug {
        &self.inner.app
    }

    fn identify<'a>(
        &'a self,
        head: &'a Parts,
        sources: CredentialSources,
    ) -> BoxFuture<'a, Result<Option<Identity>, Error>> {
        Box::pin(async move { Ok(self.authenticate(head, sources).await?.map(|a| a.identity)) })
    }

    fn decide(&self, identity: Option<&Identity>, endpoint: Option<&WebSocketAuth>) -> Decision {
        self.evaluate(identity, endpoint)
    }
}

fn oauth_enabled(sub: &SubAuth) -> bool {
    sub.enabled && matches!(sub.strategy, SubAuthStrategy::Oauth | SubAuthStrategy::Hybrid)
}

fn parse_user_id(id: &str) -> Result<ObjectId> {
    ObjectId::parse_str(id).map_err(|_| Error::input(format!("`{id}` is not a user id")))
}

/// The bearer token of `Authorization`, if any; another scheme is refused.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| Error::credential("malformed Authorization header"))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Error::credential("only the Bearer authorization scheme is accepted"));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::credential("empty bearer token"));
    }
    Ok(Some(token))
}

fn query_token(head: &Parts) -> Option<String> {
    head.uri.query()?;
    axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(&head.uri)
        .ok()
        .and_then(|q| q.0.get("token").cloned())
        .filter(|t| !t.is_empty())
}

fn parse_ip(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip);
    }
    e.parse::<SocketAddr>().ok().map(|s| s.ip())
}
