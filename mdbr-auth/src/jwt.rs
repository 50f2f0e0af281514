//! Platform JWTs: tokens issued by the platform (not by an app) that name the
//! apps they may be used on. HS256, RS256, ES256 and EdDSA.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mdbr_core::AppSlug;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::{Identity, IdentityKind};
use crate::user::normalize_email;

/// Environment variable holding the HS256 secret.
pub const ENV_JWT_SECRET: &str = "MDBR_JWT_SECRET";
/// Environment variable naming the algorithm (`HS256`, `RS256`, `ES256`, `EdDSA`).
pub const ENV_JWT_ALGORITHM: &str = "MDBR_JWT_ALGORITHM";
/// Environment variable naming the PEM file of the private (signing) key.
pub const ENV_JWT_PRIVATE_KEY_FILE: &str = "MDBR_JWT_PRIVATE_KEY_FILE";
/// Environment variable naming the PEM file of the public (verifying) key.
pub const ENV_JWT_PUBLIC_KEY_FILE: &str = "MDBR_JWT_PUBLIC_KEY_FILE";
/// Environment variable overriding the issuer (`iss`, default `mdbr`).
pub const ENV_JWT_ISSUER: &str = "MDBR_JWT_ISSUER";
/// Environment variable overriding the audience (`aud`, default `mdbr`).
pub const ENV_JWT_AUDIENCE: &str = "MDBR_JWT_AUDIENCE";

/// Shortest accepted HS256 secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// A signature algorithm for platform JWTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with a shared secret.
    Hs256,
    /// RSA PKCS#1 v1.5 with SHA-256.
    Rs256,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl JwtAlgorithm {
    /// Parses the JOSE name (`HS256`, `RS256`, `ES256`, `EdDSA`; case-insensitive).
    pub fn parse(name: &str) -> Result<Self> {
        match name.trim().to_ascii_uppercase().as_str() {
            "HS256" => Ok(Self::Hs256),
            "RS256" => Ok(Self::Rs256),
            "ES256" => Ok(Self::Es256),
            "EDDSA" => Ok(Self::EdDsa),
            other => Err(Error::config(format!(
                "unsupported JWT algorithm `{other}`; use HS256, RS256, ES256 or EdDSA"
            ))),
        }
    }

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    fn jose(self) -> Algorithm {
        match self {
            Self::Hs256 => Algorithm::HS256,
            Self::Rs256 => Algorithm::RS256,
            Self::Es256 => Algorithm::ES256,
            Self::EdDsa => Algorithm::EdDSA,
        }
    }
}

/// The claims of a platform JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlatformClaims {
    /// The platform user's id.
    pub sub: String,
    /// The user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Platform roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Permissions as `resource:action`.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Slugs of the apps this token may be used on. No wildcard.
    #[serde(default)]
    pub apps: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch.
    pub iat: u64,
    /// Not valid before, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
}

impl PlatformClaims {
    /// Sets the email.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
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

    /// Sets the apps the token may be used on.
    pub fn with_apps(mut self, apps: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.apps = apps.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the expiry (seconds since the epoch).
    pub fn with_expiry(mut self, exp: u64) -> Self {
        self.exp = exp;
        self
    }

    /// Sets `nbf` (seconds since the epoch).
    pub fn with_not_before(mut self, nbf: u64) -> Self {
        self.nbf = Some(nbf);
        self
    }

    /// Sets the audience.
    pub fn with_audience(mut self, aud: impl Into<String>) -> Self {
        self.aud = aud.into();
        self
    }

    /// Sets the issuer.
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.iss = iss.into();
        self
    }

    /// Whether the token names `app` in its `apps` claim.
    pub fn names_app(&self, app: &AppSlug) -> bool {
        self.apps.iter().any(|a| a == app.as_str())
    }

    /// The identity these claims establish on `app`.
    pub fn to_identity(&self, app: &AppSlug) -> Identity {
        Identity {
            app: app.clone(),
            kind: IdentityKind::Platform,
            subject: self.sub.clone(),
            email: self.email.as_deref().map(normalize_email),
            roles: self.roles.clone(),
            permissions: self.permissions.clone(),
        }
    }
}

/// Issues and verifies platform JWTs with one key and algorithm.
///
/// There is no built-in secret: build one from explicit keys
/// ([`PlatformJwt::hs256`], [`PlatformJwt::from_pem`]), from the environment
/// ([`PlatformJwt::from_env`]), or, in dev mode only, with a random secret
/// for this process ([`PlatformJwt::generate_dev`]).
///
/// ```
/// use mdbr_auth::PlatformJwt;
/// use mdbr_core::AppSlug;
/// let jwt = PlatformJwt::hs256(b"a secret of at least thirty-two bytes!").unwrap();
/// let claims = jwt.claims("user-1", std::time::Duration::from_secs(600)).with_apps(["billing"]);
/// let token = jwt.issue(&claims).unwrap();
/// let app = AppSlug::parse("billing").unwrap();
/// assert_eq!(jwt.verify_for_app(&token, &app).unwrap().sub, "user-1");
/// assert!(jwt.verify_for_app(&token, &AppSlug::parse("crm").unwrap()).is_err());
/// ```
#[derive(Clone)]
pub struct PlatformJwt {
    alg: JwtAlgorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    issuer: String,
    audience: String,
    leeway: u64,
    generated: bool,
}

impl fmt::Debug for PlatformJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformJwt")
            .field("alg", &self.alg)
            .field("can_issue", &self.encoding.is_some())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .field("generated", &self.generated)
            .finish_non_exhaustive()
    }
}

impl PlatformJwt {
    /// HS256 with `secret` (at least [`MIN_SECRET_BYTES`] bytes).
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self> {
        let secret = secret.as_ref();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(Error::config(format!(
                "the HS256 secret is {} bytes long; at least {MIN_SECRET_BYTES} are required",
                secret.len()
            )));
        }
        Ok(Self::new(
            JwtAlgorithm::Hs256,
            Some(EncodingKey::from_secret(secret)),
            DecodingKey::from_secret(secret),
        ))
    }

    /// An asymmetric algorithm with PEM keys: the public key verifies, the
    /// private key (optional: a verifier-only service has none) signs.
    pub fn from_pem(
        alg: JwtAlgorithm,
        private_pem: Option<&[u8]>,
        public_pem: &[u8],
    ) -> Result<Self> {
        let key_err = |which: &str| {
            let which = which.to_owned();
            move |source| Error::Key {
                reason: format!("the {which} key is not a valid {} PEM key", alg.as_str()),
                source,
            }
        };
        let (encoding, decoding) = match alg {
            JwtAlgorithm::Hs256 => {
                return Err(Error::config(
                    "HS256 uses a shared secret, not PEM keys; use PlatformJwt::hs256",
                ));
            }
            JwtAlgorithm::Rs256 => (
                private_pem
                    .map(EncodingKey::from_rsa_pem)
                    .transpose()
                    .map_err(key_err("private"))?,
                DecodingKey::from_rsa_pem(public_pem).map_err(key_err("public"))?,
            ),
            JwtAlgorithm::Es256 => (
                private_pem
                    .map(EncodingKey::from_ec_pem)
                    .transpose()
                    .map_err(key_err("private"))?,
                DecodingKey::from_ec_pem(public_pem).map_err(key_err("public"))?,
            ),
            JwtAlgorithm::EdDsa => (
                private_pem
                    .map(EncodingKey::from_ed_pem)
                    .transpose()
                    .map_err(key_err("private"))?,
                DecodingKey::from_ed_pem(public_pem).map_err(key_err("public"))?,
            ),
        };
        Ok(Self::new(alg, encoding, decoding))
    }

    /// HS256 with a random secret for this process only (dev mode). Logs a
    /// warning saying so: tokens do not survive a restart.
    pub fn generate_dev() -> Result<Self> {
        let secret = crate::crypto::random_bytes(MIN_SECRET_BYTES)?;
        tracing::warn!(
            "{ENV_JWT_SECRET} is not set: dev mode generated a random platform JWT secret \
             for this process; platform tokens will not survive a restart"
        );
        let mut jwt = Self::hs256(&secret)?;
        jwt.generated = true;
        Ok(jwt)
    }

    /// Keys from the process environment; see [`PlatformJwt::from_lookup`].
    pub fn from_env(dev_mode: bool) -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok(), dev_mode)
    }

    /// Keys from variables read through `lookup` (the environment, or a map
    /// in tests): `MDBR_JWT_ALGORITHM` (default `HS256`), then either
    /// `MDBR_JWT_SECRET` (HS256) or `MDBR_JWT_PUBLIC_KEY_FILE` and optionally
    /// `MDBR_JWT_PRIVATE_KEY_FILE`; `MDBR_JWT_ISSUER` and `MDBR_JWT_AUDIENCE`
    /// override the defaults. A missing HS256 secret is an error, except in
    /// dev mode, which generates one ([`PlatformJwt::generate_dev`]).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>, dev_mode: bool) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let alg = match get(ENV_JWT_ALGORITHM) {
            Some(name) => JwtAlgorithm::parse(&name)?,
            None => JwtAlgorithm::Hs256,
        };
        let mut jwt = match alg {
            JwtAlgorithm::Hs256 => match get(ENV_JWT_SECRET) {
                Some(secret) => Self::hs256(secret.as_bytes())?,
                None if dev_mode => Self::generate_dev()?,
                None => {
                    return Err(Error::MissingEnv {
                        var: ENV_JWT_SECRET.to_owned(),
                        what: "the platform JWT secret, at least 32 bytes; or set \
                               MDBR_JWT_ALGORITHM and key files; or run in dev mode"
                            .to_owned(),
                    });
                }
            },
            _ => {
                let public = get(ENV_JWT_PUBLIC_KEY_FILE).ok_or_else(|| Error::MissingEnv {
                    var: ENV_JWT_PUBLIC_KEY_FILE.to_owned(),
                    what: format!("the PEM file of the {} public key", alg.as_str()),
                })?;
                let public = read_key(Path::new(&public))?;
                let private =
                    get(ENV_JWT_PRIVATE_KEY_FILE).map(|p| read_key(Path::new(&p))).transpose()?;
                Self::from_pem(alg, private.as_deref(), &public)?
            }
        };
        if let Some(iss) = get(ENV_JWT_ISSUER) {
            jwt.issuer = iss;
        }
        if let Some(aud) = get(ENV_JWT_AUDIENCE) {
            jwt.audience = aud;
        }
        Ok(jwt)
    }

    fn new(alg: JwtAlgorithm, encoding: Option<EncodingKey>, decoding: DecodingKey) -> Self {
        Self {
            alg,
            encoding,
            decoding,
            issuer: "mdbr".to_owned(),
            audience: "mdbr".to_owned(),
            leeway: 30,
            generated: false,
        }
    }

    /// Sets the issuer written and required (`iss`, default `mdbr`).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Sets the audience written and required (`aud`, default `mdbr`).
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Sets the clock-skew allowance for `exp` and `nbf` (default 30 s).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.as_secs();
        self
    }

    /// The algorithm.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.alg
    }

    /// Whether the key was generated for this process (dev mode).
    pub fn is_generated(&self) -> bool {
        self.generated
    }

    /// Whether this instance holds a signing key.
    pub fn can_issue(&self) -> bool {
        self.encoding.is_some()
    }

    /// Claims for `sub`, valid from now for `ttl`, with this issuer and audience.
    pub fn claims(&self, sub: impl Into<String>, ttl: Duration) -> PlatformClaims {
        let now = unix_now();
        PlatformClaims {
            sub: sub.into(),
            email: None,
            roles: Vec::new(),
            permissions: Vec::new(),
            apps: Vec::new(),
            exp: now.saturating_add(ttl.as_secs()),
            iat: now,
            nbf: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        }
    }

    /// Signs `claims` as they are.
    pub fn issue(&self, claims: &PlatformClaims) -> Result<String> {
        let key = self.encoding.as_ref().ok_or_else(|| {
            Error::config("no private key configured: this service can verify platform tokens but not issue them")
        })?;
        jsonwebtoken::encode(&Header::new(self.alg.jose()), claims, key).map_err(|source| {
            Error::Key { reason: "signing the platform token failed".to_owned(), source }
        })
    }

    /// Verifies signature, algorithm, `exp`, `nbf`, `iss` and `aud`.
    pub fn verify(&self, token: &str) -> Result<PlatformClaims> {
        let mut validation = Validation::new(self.alg.jose());
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&self.issuer]);
        jsonwebtoken::decode::<PlatformClaims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|source| Error::InvalidToken { reason: describe(source.kind()), source })
    }

    /// [`PlatformJwt::verify`], then requires the `apps` claim to name `app`.
    pub fn verify_for_app(&self, token: &str, app: &AppSlug) -> Result<PlatformClaims> {
        let claims = self.verify(token)?;
        if !claims.names_app(app) {
            return Err(Error::credential(format!(
                "the platform token is not issued for app `{app}`"
            )));
        }
        Ok(claims)
    }
}

fn read_key(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::KeyFile { path: PathBuf::from(path), source })
}

fn describe(kind: &JwtErrorKind) -> String {
    match kind {
        JwtErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        JwtErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
        JwtErrorKind::InvalidAudience => "the token is for another audience".to_owned(),
        JwtErrorKind::InvalidIssuer => "the token is from another issuer".to_owned(),
        JwtErrorKind::InvalidSignature => "the signature does not match".to_owned(),
        JwtErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted".to_owned(),
        JwtErrorKind::MissingRequiredClaim(c) => format!("the token lacks the `{c}` claim"),
        JwtErrorKind::InvalidClaimFormat(c) => format!("the token's `{c}` claim is malformed"),
        _ => "the token is malformed".to_owned(),
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn app(s: &str) -> AppSlug {
        AppSlug::parse(s).unwrap()
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(PlatformJwt::hs256(b"short"), Err(Error::Config { .. })));
    }

    #[test]
    fn missing_secret_outside_dev_mode_is_a_startup_error() {
        let err = PlatformJwt::from_lookup(|_| None, false).unwrap_err();
        assert!(err.to_string().contains("MDBR_JWT_SECRET"), "{err}");
        let dev = PlatformJwt::from_lookup(|_| None, true).unwrap();
        assert!(dev.is_generated());
    }

    #[test]
    fn lookup_reads_secret_issuer_and_audience() {
        let jwt = PlatformJwt::from_lookup(
            |k| match k {
                ENV_JWT_SECRET => Some(String::from_utf8_lossy(SECRET).into_owned()),
                ENV_JWT_ISSUER => Some("me".into()),
                ENV_JWT_AUDIENCE => Some("you".into()),
                _ => None,
            },
            false,
        )
        .unwrap();
        let claims = jwt.claims("u", Duration::from_secs(60));
        assert_eq!((claims.iss.as_str(), claims.aud.as_str()), ("me", "you"));
    }

    #[test]
    fn asymmetric_algorithms_need_a_public_key_file() {
        let err = PlatformJwt::from_lookup(
            |k| (k == ENV_JWT_ALGORITHM).then(|| "RS256".to_owned()),
            true,
        )
        .unwrap_err();
        assert!(err.to_string().contains(ENV_JWT_PUBLIC_KEY_FILE), "{err}");
        let err = PlatformJwt::from_lookup(
            |k| match k {
                ENV_JWT_ALGORITHM => Some("ES256".into()),
                ENV_JWT_PUBLIC_KEY_FILE => Some("/nonexistent/key.pem".into()),
                _ => None,
            },
            false,
        )
        .unwrap_err();
        assert!(matches!(err, Error::KeyFile { .. }), "{err}");
        assert!(JwtAlgorithm::parse("none").is_err());
    }

    #[test]
    fn round_trip_and_app_binding() {
        let jwt = PlatformJwt::hs256(SECRET).unwrap();
        let claims =
            jwt.claims("u1", Duration::from_secs(60)).with_email("U1@Example.com").with_apps(["a"]);
        let token = jwt.issue(&claims).unwrap();
        let got = jwt.verify_for_app(&token, &app("a")).unwrap();
        assert_eq!(got, claims);
        assert_eq!(got.to_identity(&app("a")).email.as_deref(), Some("u1@example.com"));
        assert!(matches!(
            jwt.verify_for_app(&token, &app("b")),
            Err(Error::InvalidCredential { .. })
        ));
    }

    #[test]
    fn time_and_audience_rules() {
        let jwt = PlatformJwt::hs256(SECRET).unwrap();
        let now = unix_now();
        let expired = jwt.claims("u", Duration::ZERO).with_expiry(now - 3600);
        let early = jwt.claims("u", Duration::from_secs(7200)).with_not_before(now + 3600);
        let other_aud = jwt.claims("u", Duration::from_secs(60)).with_audience("elsewhere");
        let other_iss = jwt.claims("u", Duration::from_secs(60)).with_issuer("elsewhere");
        for (claims, expect) in [
            (expired, "expired"),
            (early, "not valid yet"),
            (other_aud, "audience"),
            (other_iss, "issuer"),
        ] {
            let token = jwt.issue(&claims).unwrap();
            let err = jwt.verify(&token).unwrap_err();
            assert!(err.to_string().contains(expect), "{err} should mention {expect}");
        }
    }

    #[test]
    fn debug_hides_keys() {
        let jwt = PlatformJwt::hs256(SECRET).unwrap();
        let shown = format!("{jwt:?}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }
}
