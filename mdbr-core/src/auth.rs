//! Who may use an app: the platform-level `auth_policy` and the per-app
//! user system `sub_auth`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::name::CollectionName;

/// Access rules evaluated for every request to the app (`auth_policy`).
///
/// `denied_users` wins over everything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthPolicy {
    /// Require an authenticated user (default `true`).
    #[serde(default = "yes")]
    pub required: bool,
    /// Let anonymous visitors in (default `false`).
    #[serde(default)]
    pub allow_anonymous: bool,
    /// Platform roles allowed in; empty means any role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_roles: Vec<String>,
    /// Emails allowed in; empty means anyone who passes the other rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_users: Vec<String>,
    /// Emails always refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied_users: Vec<String>,
    /// Permissions a user must hold, as `resource:action` (`*` is a wildcard).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_permissions: Vec<String>,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            required: true,
            allow_anonymous: false,
            allowed_roles: Vec::new(),
            allowed_users: Vec::new(),
            denied_users: Vec::new(),
            required_permissions: Vec::new(),
        }
    }
}

/// How the app's own users sign in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SubAuthStrategy {
    /// Email and password accounts stored in the app (default).
    #[default]
    AppUsers,
    /// Signed anonymous guest sessions.
    AnonymousSession,
    /// OAuth2/OIDC providers only.
    Oauth,
    /// App users plus OAuth providers and guest sessions.
    Hybrid,
}

/// The app's own user system (`sub_auth`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubAuth {
    /// Turn the app's user system on (default `false`).
    #[serde(default)]
    pub enabled: bool,
    /// How users sign in (default `app_users`).
    #[serde(default)]
    pub strategy: SubAuthStrategy,
    /// Logical collection holding the users (default `users`).
    #[serde(default = "default_users_collection")]
    pub collection_name: CollectionName,
    /// Base name of the session cookie (default `app_session`); the slug is appended.
    #[serde(default = "default_cookie_name")]
    pub session_cookie_name: String,
    /// Session lifetime in seconds (default 86400, at least 60).
    #[serde(default = "default_session_ttl")]
    #[schemars(range(min = 60))]
    pub session_ttl_seconds: u64,
    /// Let visitors create accounts (default `false`).
    #[serde(default)]
    pub allow_registration: bool,
    /// OAuth2/OIDC providers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oauth_providers: Vec<OAuthProvider>,
    /// Prefix of anonymous user ids (default `guest`).
    #[serde(default = "default_guest_prefix")]
    pub anonymous_user_prefix: String,
    /// Users created for demos when the app is registered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub demo_users: Vec<DemoUser>,
}

impl Default for SubAuth {
    fn default() -> Self {
        Self {
            enabled: false,
            strategy: SubAuthStrategy::default(),
            collection_name: default_users_collection(),
            session_cookie_name: default_cookie_name(),
            session_ttl_seconds: default_session_ttl(),
            allow_registration: false,
            oauth_providers: Vec::new(),
            anonymous_user_prefix: default_guest_prefix(),
            demo_users: Vec::new(),
        }
    }
}

/// Which OAuth2/OIDC provider an entry configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OAuthProviderName {
    /// Google (OIDC discovery built in).
    Google,
    /// GitHub.
    Github,
    /// Microsoft identity platform.
    Microsoft,
    /// Any other provider; needs `auth_url`, `token_url` and `userinfo_url`.
    Custom,
}

/// One OAuth2/OIDC provider. The client secret is read from the environment
/// variable named by `client_secret_env`, never from the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthProvider {
    /// The provider.
    pub name: OAuthProviderName,
    /// The OAuth client id (public).
    pub client_id: String,
    /// Name of the environment variable holding the client secret, e.g. `GOOGLE_CLIENT_SECRET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z_][A-Z0-9_]*$"))]
    pub client_secret_env: Option<String>,
    /// Redirect URI registered with the provider; derived from the app's URL when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Authorization endpoint (required for `custom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// Token endpoint (required for `custom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// User-info endpoint (required for `custom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_url: Option<String>,
    /// Scopes to request; the provider's defaults when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// A user created for demos. Its password is public to anyone who can read
/// the manifest; use it only for demo accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoUser {
    /// Login email.
    pub email: String,
    /// Demo password; a random one is generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// App roles of the user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

fn yes() -> bool {
    true
}

#[expect(clippy::expect_used, reason = "`users` is a valid collection name; a unit test covers it")]
fn default_users_collection() -> CollectionName {
    CollectionName::parse("users").expect("valid collection name")
}

fn default_cookie_name() -> String {
    "app_session".to_owned()
}

fn default_session_ttl() -> u64 {
    86_400
}

fn default_guest_prefix() -> String {
    "guest".to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn defaults_are_valid() {
        let sub = super::SubAuth::default();
        assert_eq!(sub.collection_name.as_str(), "users");
        assert_eq!(sub.session_ttl_seconds, 86_400);
        assert!(super::AuthPolicy::default().required);
    }
}
