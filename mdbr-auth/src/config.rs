//! `AuthConfig`: the settings shared by every app's auth (platform JWT keys,
//! dev mode, the server secret, password hashing cost, login throttling, the
//! HTTP client for OAuth providers).

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use axum::http::HeaderName;

use crate::error::{Error, Result};
use crate::jwt::PlatformJwt;
use crate::secret::Secret;

/// Environment variable turning dev mode on (`1`, `true`, `yes`).
pub const ENV_DEV_MODE: &str = "MDBR_DEV_MODE";
/// Environment variable holding the server secret that signs guest, CSRF
/// and OAuth cookies (at least 32 bytes).
pub const ENV_AUTH_SECRET: &str = "MDBR_AUTH_SECRET";
/// Environment variable holding the public base URL of the server, used to
/// build OAuth redirect URIs (e.g. `https://apps.example.com`).
pub const ENV_PUBLIC_URL: &str = "MDBR_PUBLIC_URL";
/// Environment variable naming a header set by a trusted reverse proxy that
/// carries the client address (e.g. `X-Forwarded-For`).
pub const ENV_CLIENT_IP_HEADER: &str = "MDBR_CLIENT_IP_HEADER";

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PasswordParams {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl PasswordParams {
    /// The OWASP Password Storage Cheat Sheet's argon2id recommendation:
    /// m = 19456 KiB (19 MiB), t = 2, p = 1. The default.
    pub const OWASP: Self = Self { memory_kib: 19_456, iterations: 2, parallelism: 1 };

    /// Parameters of your choice; checked when the hasher is built.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Self {
        Self { memory_kib, iterations, parallelism }
    }

    /// The cheapest parameters argon2 accepts (m = 8 KiB, t = 1, p = 1).
    /// For tests only: these hashes offer no protection.
    pub fn insecure_for_tests() -> Self {
        Self { memory_kib: 8, iterations: 1, parallelism: 1 }
    }
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::OWASP
    }
}

impl fmt::Display for PasswordParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "argon2id m={} KiB, t={}, p={}",
            self.memory_kib, self.iterations, self.parallelism
        )
    }
}

/// Login throttling: failures counted per account and per client address
/// within a window; reaching a limit locks that key out for a while. A limit
/// of 0 switches that counter off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThrottleConfig {
    /// Failures of one account (email) before it is locked (default 5).
    pub max_account_failures: u32,
    /// Failures from one client address before it is locked (default 20).
    pub max_address_failures: u32,
    /// How long failures are remembered (default 15 minutes).
    pub window: Duration,
    /// How long a lockout lasts (default 15 minutes).
    pub lockout: Duration,
}

impl ThrottleConfig {
    /// The defaults: 5 failures per account, 20 per address, within 15
    /// minutes, lock for 15 minutes.
    pub fn new() -> Self {
        Self {
            max_account_failures: 5,
            max_address_failures: 20,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
        }
    }

    /// Sets the per-account failure limit.
    pub fn with_max_account_failures(mut self, n: u32) -> Self {
        self.max_account_failures = n;
        self
    }

    /// Sets the per-address failure limit.
    pub fn with_max_address_failures(mut self, n: u32) -> Self {
        self.max_address_failures = n;
        self
    }

    /// Sets how long failures are remembered.
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Sets how long a lockout lasts.
    pub fn with_lockout(mut self, lockout: Duration) -> Self {
        self.lockout = lockout;
        self
    }
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// Settings shared by the auth of every app of one runtime. Build it once and
/// share it as `Arc<AuthConfig>`.
///
/// There is no built-in secret: [`AuthConfig::new`] takes explicit keys,
/// [`AuthConfig::from_env`] reads them (a missing key is a startup error
/// outside dev mode), and [`AuthConfig::dev`] generates random ones for
/// this process and logs that it did.
#[derive(Clone)]
pub struct AuthConfig {
    pub(crate) jwt: PlatformJwt,
    pub(crate) dev_mode: bool,
    pub(crate) server_secret: Vec<u8>,
    pub(crate) password: PasswordParams,
    pub(crate) throttle: ThrottleConfig,
    pub(crate) http: reqwest::Client,
    pub(crate) public_url: Option<String>,
    pub(crate) client_ip_header: Option<HeaderName>,
    pub(crate) trusted_origins: Vec<String>,
    pub(crate) oauth_secrets: HashMap<String, Secret>,
    pub(crate) oauth_state_ttl: Duration,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt", &self.jwt)
            .field("dev_mode", &self.dev_mode)
            .field("server_secret", &"[redacted]")
            .field("password", &self.password)
            .field("throttle", &self.throttle)
            .field("public_url", &self.public_url)
            .field("client_ip_header", &self.client_ip_header)
            .field("trusted_origins", &self.trusted_origins)
            .field("oauth_secrets", &self.oauth_secrets.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl AuthConfig {
    /// A configuration with explicit platform JWT keys and server secret
    /// (at least 32 bytes; it signs guest, CSRF and OAuth cookies). Not in
    /// dev mode: cookies are `Secure`.
    pub fn new(jwt: PlatformJwt, server_secret: impl AsRef<[u8]>) -> Result<Self> {
        let server_secret = server_secret.as_ref().to_vec();
        if server_secret.len() < 32 {
            return Err(Error::config(format!(
                "the server secret is {} bytes long; at least 32 are required",
                server_secret.len()
            )));
        }
        Ok(Self {
            jwt,
            dev_mode: false,
            server_secret,
            password: PasswordParams::default(),
            throttle: ThrottleConfig::default(),
            http: default_http_client()?,
            public_url: None,
            client_ip_header: None,
            trusted_origins: Vec::new(),
            oauth_secrets: HashMap::new(),
            oauth_state_ttl: Duration::from_secs(600),
        })
    }

    /// Dev mode with a random JWT secret and a random server secret for this
    /// process (both logged as generated, never printed).
    pub fn dev() -> Result<Self> {
        let secret = crate::crypto::random_bytes(32)?;
        tracing::warn!(
            "{ENV_AUTH_SECRET} is not set: dev mode generated a random server secret for this \
             process; guest and CSRF cookies will not survive a restart"
        );
        Ok(Self::new(PlatformJwt::generate_dev()?, secret)?.with_dev_mode(true))
    }

    /// Reads the process environment; see [`AuthConfig::from_lookup`].
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`: `MDBR_DEV_MODE`, the platform
    /// JWT keys ([`PlatformJwt::from_lookup`]), `MDBR_AUTH_SECRET`,
    /// `MDBR_PUBLIC_URL` and `MDBR_CLIENT_IP_HEADER`. Outside dev mode a
    /// missing key or secret is an error naming the variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let dev_mode = get(ENV_DEV_MODE).is_some_and(|v| {
            matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes")
        });
        let jwt = PlatformJwt::from_lookup(&lookup, dev_mode)?;
        let secret = match get(ENV_AUTH_SECRET) {
            Some(s) => s.into_bytes(),
            None if dev_mode => {
                tracing::warn!(
                    "{ENV_AUTH_SECRET} is not set: dev mode generated a random server secret \
                     for this process"
                );
                crate::crypto::random_bytes(32)?
            }
            None => {
                return Err(Error::MissingEnv {
                    var: ENV_AUTH_SECRET.to_owned(),
                    what: "the server secret signing guest, CSRF and OAuth cookies, at least \
                           32 bytes; or run in dev mode"
                        .to_owned(),
                });
            }
        };
        let mut config = Self::new(jwt, secret)?.with_dev_mode(dev_mode);
        if let Some(url) = get(ENV_PUBLIC_URL) {
            config = config.with_public_url(url);
        }
        if let Some(name) = get(ENV_CLIENT_IP_HEADER) {
            let header = HeaderName::try_from(name.trim()).map_err(|_| {
                Error::config(format!("{ENV_CLIENT_IP_HEADER} `{name}` is not a header name"))
            })?;
            config = config.with_client_ip_header(header);
        }
        Ok(config)
    }

    /// Dev mode: cookies are not `Secure` (plain-HTTP localhost works).
    pub fn with_dev_mode(mut self, dev_mode: bool) -> Self {
        self.dev_mode = dev_mode;
        self
    }

    /// Replaces the platform JWT keys.
    pub fn with_jwt(mut self, jwt: PlatformJwt) -> Self {
        self.jwt = jwt;
        self
    }

    /// Sets the argon2id parameters of new hashes (existing hashes keep theirs).
    pub fn with_password_params(mut self, params: PasswordParams) -> Self {
        self.password = params;
        self
    }

    /// Sets login throttling.
    pub fn with_throttle(mut self, throttle: ThrottleConfig) -> Self {
        self.throttle = throttle;
        self
    }

    /// Sets the HTTP client used to talk to OAuth providers. Make sure it does
    /// not follow redirects.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// Sets the public base URL (`https://apps.example.com`) that OAuth
    /// redirect URIs are built on when the manifest gives none.
    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Trusts `header` (set by your reverse proxy) for the client address used
    /// by login throttling; its right-most entry is taken. Without it the
    /// TCP peer address (`ConnectInfo<SocketAddr>`) is used.
    pub fn with_client_ip_header(mut self, header: HeaderName) -> Self {
        self.client_ip_header = Some(header);
        self
    }

    /// Accepts cookie-authenticated state changes from `origin`
    /// (`https://admin.example.com`) as well as from the request's own host.
    pub fn with_trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted_origins.push(origin.into().trim_end_matches('/').to_ascii_lowercase());
        self
    }

    /// Provides the value of the OAuth client-secret variable `var` (as named
    /// by `client_secret_env` in the manifest) instead of reading the
    /// environment.
    pub fn with_oauth_secret(mut self, var: impl Into<String>, secret: impl Into<Secret>) -> Self {
        self.oauth_secrets.insert(var.into(), secret.into());
        self
    }

    /// Sets how long an OAuth sign-in may take between start and callback
    /// (default 10 minutes).
    pub fn with_oauth_state_ttl(mut self, ttl: Duration) -> Self {
        self.oauth_state_ttl = ttl;
        self
    }

    /// The platform JWT keys.
    pub fn jwt(&self) -> &PlatformJwt {
        &self.jwt
    }

    /// Whether dev mode is on.
    pub fn is_dev_mode(&self) -> bool {
        self.dev_mode
    }

    /// The argon2id parameters.
    pub fn password_params(&self) -> PasswordParams {
        self.password
    }

    /// The throttling settings.
    pub fn throttle(&self) -> ThrottleConfig {
        self.throttle
    }

    /// The client secret in variable `var`: injected, else the environment.
    pub(crate) fn oauth_secret(&self, var: &str) -> Option<Secret> {
        self.oauth_secrets
            .get(var)
            .cloned()
            .or_else(|| std::env::var(var).ok().filter(|v| !v.is_empty()).map(Secret::from))
    }
}

fn default_http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("mdbr-auth/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::internal(format!("cannot build the HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_lookup_refuses_missing_secrets_outside_dev_mode() {
        let jwt_only = |k: &str| (k == crate::jwt::ENV_JWT_SECRET).then(|| "x".repeat(32));
        let err = AuthConfig::from_lookup(jwt_only).unwrap_err();
        assert!(err.to_string().contains(ENV_AUTH_SECRET), "{err}");
        let err = AuthConfig::from_lookup(|_| None).unwrap_err();
        assert!(err.to_string().contains("MDBR_JWT_SECRET"), "{err}");
        let dev = AuthConfig::from_lookup(|k| (k == ENV_DEV_MODE).then(|| "1".to_owned())).unwrap();
        assert!(dev.is_dev_mode() && dev.jwt().is_generated());
    }

    #[test]
    fn debug_hides_secrets() {
        let c = AuthConfig::new(PlatformJwt::hs256("s".repeat(32)).unwrap(), "k".repeat(32))
            .unwrap()
            .with_oauth_secret("GH_SECRET", "topsecretvalue");
        let shown = format!("{c:?}");
        assert!(!shown.contains("kkkk") && !shown.contains("topsecretvalue"), "{shown}");
    }

    #[test]
    fn short_server_secret_is_refused() {
        let jwt = PlatformJwt::hs256("s".repeat(32)).unwrap();
        assert!(AuthConfig::new(jwt, b"short").is_err());
    }
}
