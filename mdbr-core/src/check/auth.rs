//! Checks of `auth_policy`, `sub_auth`, `data_access` and the legacy `data_scope`.

use serde_json::{Map, Value};

use crate::check::{
    Checker, Extra, SLUG_HINT, child, child_index, is_email, is_env_var_name, is_http_url,
};
use crate::name::{AppSlug, CollectionName};
use crate::problem::{Problem, ProblemKind};

const AUTH_POLICY: &[&str] = &[
    "required",
    "allow_anonymous",
    "allowed_roles",
    "allowed_users",
    "denied_users",
    "required_permissions",
];

const SUB_AUTH: &[&str] = &[
    "enabled",
    "strategy",
    "collection_name",
    "session_cookie_name",
    "session_ttl_seconds",
    "allow_registration",
    "oauth_providers",
    "anonymous_user_prefix",
    "demo_users",
];

const STRATEGIES: &[&str] = &["app_users", "anonymous_session", "oauth", "hybrid"];

const OAUTH_PROVIDER: &[&str] = &[
    "name",
    "client_id",
    "client_secret_env",
    "redirect_uri",
    "auth_url",
    "token_url",
    "userinfo_url",
    "scopes",
];

const OAUTH_NAMES: &[&str] = &["google", "github", "microsoft", "custom"];

const DEMO_USER: &[&str] = &["email", "password", "name", "roles"];

const DATA_ACCESS: &[&str] = &["read_scopes", "share_with"];

impl Checker {
    pub(super) fn auth_policy(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        self.keys(ptr, map, AUTH_POLICY, &[]);
        self.boolean(ptr, map, "required");
        self.boolean(ptr, map, "allow_anonymous");
        let roles = self.strings(ptr, map, "allowed_roles");
        for (at, role) in &roles {
            if role.trim().is_empty() {
                self.error(Problem::new(
                    at.clone(),
                    ProblemKind::Invalid,
                    "a role must not be empty",
                ));
            }
        }
        for key in ["allowed_users", "denied_users"] {
            let users = self.strings(ptr, map, key);
            for (at, user) in &users {
                if !is_email(user) {
                    self.error(
                        Problem::new(
                            at.clone(),
                            ProblemKind::Invalid,
                            format!("`{user}` is not an email address"),
                        )
                        .with_hint("users are listed by email, e.g. \"user@example.com\""),
                    );
                }
            }
            self.unique(&users, "user");
        }
        let permissions = self.strings(ptr, map, "required_permissions");
        for (at, permission) in &permissions {
            if !is_permission(permission) {
                self.error(
                    Problem::new(at.clone(), ProblemKind::Invalid, format!("`{permission}` is not a permission"))
                        .with_hint("write permissions as `resource:action`, e.g. \"apps:view\"; `*` is a wildcard"),
                );
            }
        }
    }

    pub(super) fn sub_auth(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        self.keys(ptr, map, SUB_AUTH, &[]);
        let enabled = self.boolean(ptr, map, "enabled").unwrap_or(false);
        let strategy = self.enumeration(ptr, map, "strategy", STRATEGIES);
        if let Some(name) = self.string(ptr, map, "collection_name", false)
            && let Err(err) = CollectionName::parse(name)
        {
            self.error(Problem::new(
                child(ptr, "collection_name"),
                ProblemKind::Invalid,
                err.to_string(),
            ));
        }
        if let Some(cookie) = self.string(ptr, map, "session_cookie_name", false)
            && !is_token(cookie)
        {
            self.error(
                Problem::new(
                    child(ptr, "session_cookie_name"),
                    ProblemKind::Invalid,
                    format!("`{cookie}` is not a cookie name"),
                )
                .with_hint("use letters, digits, `_` and `-`"),
            );
        }
        self.integer(ptr, map, "session_ttl_seconds", 60, u64::MAX);
        self.boolean(ptr, map, "allow_registration");
        if let Some(prefix) = self.string(ptr, map, "anonymous_user_prefix", false)
            && !is_token(prefix)
        {
            self.error(
                Problem::new(
                    child(ptr, "anonymous_user_prefix"),
                    ProblemKind::Invalid,
                    format!("`{prefix}` is not a valid prefix"),
                )
                .with_hint("use letters, digits, `_` and `-`"),
            );
        }

        let mut provider_count = 0;
        if let Some(list) = map.get("oauth_providers") {
            let at = child(ptr, "oauth_providers");
            if let Some(list) = self.array(&at, list) {
                provider_count = list.len();
                let mut names = Vec::new();
                for (i, provider) in list.iter().enumerate() {
                    let item = child_index(&at, i);
                    if let Some(name) = self.oauth_provider(&item, provider) {
                        names.push((child(&item, "name"), name));
                    }
                }
                self.unique(&names, "provider");
            }
        }
        if enabled && strategy == Some("oauth") && provider_count == 0 {
            self.error(
                Problem::new(child(ptr, "oauth_providers"), ProblemKind::Missing, "required for strategy \"oauth\"")
                    .with_hint("add at least one provider, e.g. {\"name\": \"google\", \"client_id\": \"...\", \"client_secret_env\": \"GOOGLE_CLIENT_SECRET\"}"),
            );
        }

        if let Some(list) = map.get("demo_users") {
            let at = child(ptr, "demo_users");
            if let Some(list) = self.array(&at, list) {
                let mut emails = Vec::new();
                for (i, user) in list.iter().enumerate() {
                    let item = child_index(&at, i);
                    let Some(user) = self.object(&item, user) else { continue };
                    self.keys(&item, user, DEMO_USER, &[]);
                    if let Some(email) = self.string(&item, user, "email", true) {
                        if is_email(email) {
                            emails.push((child(&item, "email"), email));
                        } else {
                            self.error(Problem::new(
                                child(&item, "email"),
                                ProblemKind::Invalid,
                                format!("`{email}` is not an email address"),
                            ));
                        }
                    }
                    self.string(&item, user, "password", false);
                    self.string(&item, user, "name", false);
                    self.strings(&item, user, "roles");
                }
                self.unique(&emails, "demo user");
            }
        }
    }

    /// Checks one OAuth provider and returns its name when valid.
    fn oauth_provider<'a>(&mut self, ptr: &str, value: &'a Value) -> Option<&'a str> {
        let map = self.object(ptr, value)?;
        self.keys(
            ptr,
            map,
            OAUTH_PROVIDER,
            &[("client_secret", Extra::Secret("client_secret_env"))],
        );
        let name = self
            .string(ptr, map, "name", true)
            .filter(|n| self.one_of(&child(ptr, "name"), n, OAUTH_NAMES));
        self.non_empty_string(ptr, map, "client_id", true);
        if let Some(env) = self.string(ptr, map, "client_secret_env", false) {
            self.env_var_name(&child(ptr, "client_secret_env"), env, "GOOGLE_CLIENT_SECRET");
        }
        if let Some(uri) = self.string(ptr, map, "redirect_uri", false)
            && !(is_http_url(uri) || uri.starts_with('/'))
        {
            self.error(
                Problem::new(
                    child(ptr, "redirect_uri"),
                    ProblemKind::Invalid,
                    format!("`{uri}` is not a URL"),
                )
                .with_hint("use an absolute http(s) URL or a path starting with `/`"),
            );
        }
        for key in ["auth_url", "token_url", "userinfo_url"] {
            match self.string(ptr, map, key, false) {
                Some(url) if !is_http_url(url) => self.error(
                    Problem::new(
                        child(ptr, key),
                        ProblemKind::Invalid,
                        format!("`{url}` is not an http(s) URL"),
                    )
                    .with_hint("e.g. \"https://auth.example.com/authorize\""),
                ),
                None if name == Some("custom") && !map.contains_key(key) => self.error(
                    Problem::new(
                        child(ptr, key),
                        ProblemKind::Missing,
                        "required for provider \"custom\"",
                    )
                    .with_hint("custom providers need auth_url, token_url and userinfo_url"),
                ),
                _ => {}
            }
        }
        self.strings(ptr, map, "scopes");
        name
    }

    /// Reports a value that should name an environment variable but does not.
    pub(super) fn env_var_name(&mut self, at: &str, value: &str, example: &str) {
        if is_env_var_name(value) {
            return;
        }
        let (kind, message) = if looks_like_secret(value) {
            (
                ProblemKind::Secret,
                "this looks like a secret value, not the name of an environment variable"
                    .to_owned(),
            )
        } else {
            (ProblemKind::Invalid, format!("`{value}` is not an environment variable name"))
        };
        self.error(Problem::new(at, kind, message).with_hint(format!(
            "keep secrets out of the manifest: store the value in an environment variable and write its name here, e.g. \"{example}\""
        )));
    }

    pub(super) fn data_access(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        self.keys(ptr, map, DATA_ACCESS, &[]);
        for key in DATA_ACCESS {
            let apps = self.strings(ptr, map, key);
            self.other_apps(&apps);
            self.unique(&apps, "app");
        }
    }

    /// The legacy top-level `data_scope`: a list of slugs, where `self` means this app.
    pub(super) fn data_scope(&mut self, root: &Map<String, Value>) {
        if !root.contains_key("data_scope") {
            return;
        }
        let apps = self.strings("", root, "data_scope");
        let others: Vec<(String, &str)> = apps.into_iter().filter(|(_, s)| *s != "self").collect();
        self.other_apps(&others);
        if root.get("data_access").and_then(|d| d.get("read_scopes")).is_some()
            && !others.is_empty()
        {
            self.error(
                Problem::new(
                    "/data_scope",
                    ProblemKind::Conflict,
                    "legacy `data_scope` and `data_access.read_scopes` are both set",
                )
                .with_hint("remove `data_scope`"),
            );
        }
    }

    /// Each entry must be a valid slug of another app.
    fn other_apps(&mut self, apps: &[(String, &str)]) {
        for (at, app) in apps {
            match AppSlug::parse(app) {
                Err(err) => self.error(
                    Problem::new(at.clone(), ProblemKind::Invalid, err.to_string())
                        .with_hint(SLUG_HINT),
                ),
                Ok(_) if self.slug.as_deref() == Some(*app) => self.error(
                    Problem::new(
                        at.clone(),
                        ProblemKind::Invalid,
                        format!("`{app}` is this app itself"),
                    )
                    .with_hint("an app always reads its own data; list other apps here"),
                ),
                Ok(_) => {}
            }
        }
    }
}

/// `resource:action`, each part made of `[A-Za-z0-9_.-]` and `*` wildcards.
fn is_permission(s: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '*'))
    };
    match s.split_once(':') {
        Some((resource, action)) => part(resource) && part(action),
        None => false,
    }
}

/// A cookie name or id prefix: `[A-Za-z0-9_-]+`, at most 64 characters.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Heuristic: long, mixed-case or with characters an env var name never has.
fn looks_like_secret(s: &str) -> bool {
    let has_lower = s.chars().any(|c| c.is_ascii_lowercase());
    let has_digit = s.chars().any(|c| c.is_ascii_digit());
    s.len() >= 16 && has_digit
        || s.starts_with("sk-")
        || s.contains(|c: char| "+/=".contains(c))
        || (has_lower && has_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions() {
        for ok in ["apps:view", "apps:manage_own", "*:*", "apps:*", "data.tasks:read"] {
            assert!(is_permission(ok), "{ok}");
        }
        for bad in ["", "apps", ":view", "apps:", "a:b:c", "apps:vi ew"] {
            assert!(!is_permission(bad), "{bad}");
        }
    }

    #[test]
    fn secrets() {
        assert!(looks_like_secret("sk-abc"));
        assert!(looks_like_secret("GOCSPX-1234567890abcdef"));
        assert!(!looks_like_secret("my secret"));
    }
}
