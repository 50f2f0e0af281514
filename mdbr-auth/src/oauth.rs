//! OAuth2/OIDC sign-in: authorization code with PKCE (S256) and `state`,
//! through the `oauth2` crate over the configured `reqwest` client.
//!
//! The `state` and the PKCE verifier are kept server-side, in the app's
//! scoped `oauth_states` collection (hashed state as key, with an expiry and
//! a TTL index), and bound to the browser that started the sign-in by a
//! random value in an HttpOnly cookie. A callback is accepted once.

use std::borrow::Cow;
use std::time::Duration;

use mdbr_core::{OAuthProvider, OAuthProviderName};
use mdbr_scope::ScopedCollection;
use mdbr_scope::bson::{DateTime, doc};
use mdbr_scope::mongodb::IndexModel;
use mdbr_scope::mongodb::options::IndexOptions;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::AuthConfig;
use crate::crypto::{ct_eq, random_token, sha256_hex};
use crate::error::{BoxError, Error, Result};
use crate::secret::Secret;

/// The logical collection holding pending OAuth sign-ins.
pub const OAUTH_STATES_COLLECTION: &str = "oauth_states";

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// What the provider says about the account that signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProviderProfile {
    pub(crate) provider: String,
    pub(crate) subject: String,
    pub(crate) email: Option<String>,
    pub(crate) email_verified: bool,
    pub(crate) name: Option<String>,
}

/// A pending sign-in.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct StateDoc {
    /// SHA-256 of `state`, hex.
    #[serde(rename = "_id")]
    id: String,
    provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verifier: Option<String>,
    /// SHA-256 of the browser-binding cookie value, hex.
    browser: String,
    redirect_uri: String,
    return_to: String,
    expires_at: DateTime,
}

impl std::fmt::Debug for StateDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDoc")
            .field("provider", &self.provider)
            .field("return_to", &self.return_to)
            .finish_non_exhaustive()
    }
}

/// One configured provider.
struct Provider {
    name: String,
    kind: OAuthProviderName,
    client: Client,
    userinfo_url: String,
    scopes: Vec<String>,
    redirect_uri: Option<String>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .field("userinfo_url", &self.userinfo_url)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// The start of a sign-in: where to send the browser, and the binding cookie value.
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) authorize_url: String,
    pub(crate) binding: Secret,
}

/// A finished sign-in: the profile and where to send the browser next.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) profile: ProviderProfile,
    pub(crate) return_to: String,
}

/// The OAuth providers of one app.
#[derive(Debug)]
pub(crate) struct OAuth {
    providers: Vec<Provider>,
    states: ScopedCollection<StateDoc>,
    http: reqwest::Client,
    state_ttl: Duration,
}

/// The provider's endpoint name in URLs (`google`, `github`, `microsoft`, `custom`).
pub(crate) fn provider_name(kind: OAuthProviderName) -> &'static str {
    match kind {
        OAuthProviderName::Google => "google",
        OAuthProviderName::Github => "github",
        OAuthProviderName::Microsoft => "microsoft",
        _ => "custom",
    }
}

impl OAuth {
    /// Builds every provider, reading client secrets now so that a missing
    /// variable fails at startup, naming it.
    pub(crate) fn new(
        declared: &[OAuthProvider],
        config: &AuthConfig,
        states: ScopedCollection<StateDoc>,
    ) -> Result<Self> {
        let mut providers: Vec<Provider> = Vec::new();
        for p in declared {
            let name = provider_name(p.name).to_owned();
            if providers.iter().any(|q| q.name == name) {
                return Err(Error::config(format!(
                    "sub_auth.oauth_providers declares `{name}` twice"
                )));
            }
            providers.push(build_provider(p, name, config)?);
        }
        Ok(Self { providers, states, http: config.http.clone(), state_ttl: config.oauth_state_ttl })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    pub(crate) fn state_ttl(&self) -> Duration {
        self.state_ttl
    }

    pub(crate) async fn ensure_indexes(&self) -> Result<()> {
        self.states
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "expires_at": 1 })
                    .options(
                        IndexOptions::builder()
                            .name("mdbr_auth_oauth_state_ttl".to_owned())
                            .expire_after(Duration::ZERO)
                            .build(),
                    )
                    .build(),
            )
            .await?;
        Ok(())
    }

    fn provider(&self, name: &str) -> Result<&Provider> {
        self.providers
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| Error::UnknownProvider { name: name.chars().take(40).collect() })
    }

    /// The redirect URI configured for `provider` in the manifest, if any.
    pub(crate) fn configured_redirect(&self, provider: &str) -> Result<Option<String>> {
        Ok(self.provider(provider)?.redirect_uri.clone())
    }

    /// Starts a sign-in with `provider`: stores state, verifier and browser
    /// binding, and returns the authorization URL.
    pub(crate) async fn start(
        &self,
        provider: &str,
        redirect_uri: String,
        return_to: String,
    ) -> Result<Started> {
        let p = self.provider(provider)?;
        let redirect = RedirectUrl::new(redirect_uri.clone()).map_err(|e| {
            Error::config(format!("OAuth redirect URI `{redirect_uri}` is not a URL: {e}"))
        })?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = p
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(p.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .set_redirect_uri(Cow::Owned(redirect))
            .url();
        let binding = random_token(32)?;
        let ttl_ms = i64::try_from(self.state_ttl.as_millis()).unwrap_or(i64::MAX);
        let doc = StateDoc {
            id: sha256_hex(state.secret().as_bytes()),
            provider: p.name.clone(),
            verifier: Some(verifier.secret().clone()),
            browser: sha256_hex(binding.as_bytes()),
            redirect_uri,
            return_to,
            expires_at: DateTime::from_millis(
                DateTime::now().timestamp_millis().saturating_add(ttl_ms),
            ),
        };
        self.states.insert_one(&doc).await?;
        Ok(Started { authorize_url: url.to_string(), binding: Secret::new(binding) })
    }

    /// Finishes a sign-in: checks `state` (known, unexpired, unused, this
    /// provider, this browser), exchanges `code` with the PKCE verifier, and
    /// reads the user-info endpoint.
    pub(crate) async fn finish(
        &self,
        provider: &str,
        code: Option<&str>,
        state: Option<&str>,
        binding: Option<&str>,
    ) -> Result<Finished> {
        let p = self.provider(provider)?;
        let state = state
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::refused("the callback has no `state`"))?;
        let stored = self
            .states
            .find_one_and_delete(doc! { "_id": sha256_hex(state.as_bytes()) })
            .await?
            .ok_or_else(|| Error::refused("unknown, expired or already used `state`"))?;
        if stored.provider != p.name {
            return Err(Error::refused("the `state` was issued for another provider"));
        }
        if stored.expires_at <= DateTime::now() {
            return Err(Error::refused("the sign-in took too long; start again"));
        }
        let bound = binding
            .is_some_and(|b| ct_eq(sha256_hex(b.as_bytes()).as_bytes(), stored.browser.as_bytes()));
        if !bound {
            return Err(Error::refused("the sign-in was started in another browser"));
        }
        let verifier = stored
            .verifier
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::refused("the PKCE verifier of this sign-in is missing"))?;
        let code = code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::refused("the callback has no `code`"))?;
        let redirect = RedirectUrl::new(stored.redirect_uri.clone())
            .map_err(|e| Error::internal(format!("stored redirect URI is not a URL: {e}")))?;
        let send = OAuthHttp(self.http.clone());
        let token = p
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .set_redirect_uri(Cow::Owned(redirect))
            .request_async(&send)
            .await
            .map_err(|e| token_error(&p.name, e))?;
        let access = Secret::new(token.access_token().secret().clone());
        let profile = self.profile(p, &access).await?;
        Ok(Finished { profile, return_to: stored.return_to })
    }

    fn profile<'a>(
        &'a self,
        p: &'a Provider,
        access: &'a Secret,
    ) -> crate::identity::BoxFuture<'a, Result<ProviderProfile>> {
        Box::pin(self.profile_inner(p, access))
    }

    async fn profile_inner(&self, p: &Provider, access: &Secret) -> Result<ProviderProfile> {
        let info = self.get_json(&p.userinfo_url, access).await?;
        let subject = match info.get("sub").or_else(|| info.get("id")) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(Error::provider(
                    format!("the {} user-info answer has no `sub`", p.name),
                    None,
                ));
            }
        };
        let name = info.get("name").and_then(Value::as_str).map(str::to_owned);
        let (email, email_verified) = if p.kind == OAuthProviderName::Github {
            self.github_email(p, access, &info).await?
        } else {
            let email = info.get("email").and_then(Value::as_str).map(str::to_owned);
            let verified = match info.get("email_verified") {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
                _ => false,
            };
            (email, verified)
        };
        Ok(ProviderProfile { provider: p.name.clone(), subject, email, email_verified, name })
    }

    /// GitHub's user object has no verification flag: the verified primary
    /// address comes from `/user/emails`.
    async fn github_email(
        &self,
        p: &Provider,
        access: &Secret,
        info: &Value,
    ) -> Result<(Option<String>, bool)> {
        let url = format!("{}/emails", p.userinfo_url.trim_end_matches('/'));
        let emails = self.get_json(&url, access).await?;
        let list = emails.as_array().cloned().unwrap_or_default();
        let verified = |e: &&Value| e.get("verified").and_then(Value::as_bool) == Some(true);
        let address = |e: &Value| e.get("email").and_then(Value::as_str).map(str::to_owned);
        let public = info.get("email").and_then(Value::as_str);
        let chosen = list
            .iter()
            .filter(verified)
            .find(|e| public.is_some() && address(e).as_deref() == public)
            .or_else(|| {
                list.iter()
                    .filter(verified)
                    .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
            });
        Ok(match chosen {
            Some(e) => (address(e), true),
            None => (public.map(str::to_owned), false),
        })
    }

    async fn get_json(&self, url: &str, access: &Secret) -> Result<Value> {
        let response = self
            .http
            .get(url)
            .bearer_auth(access.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| Error::provider(format!("GET {url} failed"), Some(Box::new(e))))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::provider(format!("GET {url} answered {status}"), None));
        }
        response.json::<Value>().await.map_err(|e| {
            Error::provider(format!("GET {url} did not answer JSON"), Some(Box::new(e)))
        })
    }
}

fn build_provider(p: &OAuthProvider, name: String, config: &AuthConfig) -> Result<Provider> {
    let (auth, token, userinfo, scopes): (&str, &str, &str, &[&str]) = match p.name {
        OAuthProviderName::Google => (
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
            "https://openidconnect.googleapis.com/v1/userinfo",
            &["openid", "email", "profile"],
        ),
        OAuthProviderName::Github => (
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            "https://api.github.com/user",
            &["read:user", "user:email"],
        ),
        OAuthProviderName::Microsoft => (
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            "https://graph.microsoft.com/oidc/userinfo",
            &["openid", "email", "profile"],
        ),
        _ => {
            let need = |v: &Option<String>, field: &str| {
                v.clone().ok_or_else(|| {
                    Error::config(format!("the custom OAuth provider needs `{field}`"))
                })
            };
            let auth = need(&p.auth_url, "auth_url")?;
            let token = need(&p.token_url, "token_url")?;
            let userinfo = need(&p.userinfo_url, "userinfo_url")?;
            return finish_provider(
                p,
                name,
                config,
                &auth,
                &token,
                &userinfo,
                &["openid", "email", "profile"],
            );
        }
    };
    let auth = p.auth_url.as_deref().unwrap_or(auth);
    let token = p.token_url.as_deref().unwrap_or(token);
    let userinfo = p.userinfo_url.as_deref().unwrap_or(userinfo);
    finish_provider(p, name, config, auth, token, userinfo, scopes)
}

fn finish_provider(
    p: &OAuthProvider,
    name: String,
    config: &AuthConfig,
    auth: &str,
    token: &str,
    userinfo: &str,
    default_scopes: &[&str],
) -> Result<Provider> {
    let url_err = |field: &str, value: &str| {
        let msg = format!("OAuth provider `{name}`: `{field}` `{value}` is not a valid URL");
        move |e: oauth2::url::ParseError| Error::config(format!("{msg}: {e}"))
    };
    let mut client = BasicClient::new(ClientId::new(p.client_id.clone()))
        .set_auth_uri(AuthUrl::new(auth.to_owned()).map_err(url_err("auth_url", auth))?)
        .set_token_uri(TokenUrl::new(token.to_owned()).map_err(url_err("token_url", token))?);
    oauth2::url::Url::parse(userinfo).map_err(url_err("userinfo_url", userinfo))?;
    if let Some(var) = &p.client_secret_env {
        let secret = config.oauth_secret(var).ok_or_else(|| Error::MissingEnv {
            var: var.clone(),
            what: format!("the client secret of OAuth provider `{name}` (client_secret_env)"),
        })?;
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    let scopes = if p.scopes.is_empty() {
        default_scopes.iter().map(|s| (*s).to_owned()).collect()
    } else {
        p.scopes.clone()
    };
    Ok(Provider {
        name,
        kind: p.name,
        client,
        userinfo_url: userinfo.to_owned(),
        scopes,
        redirect_uri: p.redirect_uri.clone(),
    })
}

/// A transport failure of the OAuth HTTP client.
#[derive(Debug, thiserror::Error)]
#[error("HTTP request to the OAuth provider failed")]
struct HttpError(#[source] BoxError);

/// The `oauth2` crate's async HTTP client, over `reqwest`.
struct OAuthHttp(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp {
    type Error = HttpError;
    type Future =
        crate::identity::BoxFuture<'c, std::result::Result<oauth2::HttpResponse, HttpError>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(send_request(&self.0, request))
    }
}

async fn send_request(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> std::result::Result<oauth2::HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|e| HttpError(Box::new(e)))?;
    let mut builder = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let bytes = response.bytes().await.map_err(|e| HttpError(Box::new(e)))?;
    builder.body(bytes.to_vec()).map_err(|e| HttpError(Box::new(e)))
}

fn token_error(
    provider: &str,
    e: RequestTokenError<HttpError, oauth2::basic::BasicErrorResponse>,
) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => Error::refused(format!(
            "{provider} refused the authorization code: {}",
            r.error().as_ref()
        )),
        RequestTokenError::Request(http) => {
            Error::provider(format!("the {provider} token request failed"), Some(Box::new(http)))
        }
        // The body is not kept: it may hold tokens.
        RequestTokenError::Parse(source, _body) => Error::provider(
            format!("the {provider} token answer is unreadable"),
            Some(Box::new(source)),
        ),
        RequestTokenError::Other(msg) => {
            Error::provider(format!("the {provider} token request failed: {msg}"), None)
        }
    }
}

/// Keeps `return_to` on this site: a path starting with one `/`, else `/`.
pub(crate) fn safe_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(|c| c.is_control()) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_stays_on_site() {
        assert_eq!(safe_return_to(Some("/app?x=1")), "/app?x=1");
        for bad in ["//evil.com", "https://evil.com", "/\\evil.com", "relative", "/a\nb"] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/");
    }
}
