//! A loopback OAuth2/OIDC provider for tests (feature `oauth-mock`).
//!
//! It speaks the real wire format: `GET /authorize` (authorization code
//! request with PKCE `S256`; answers with a redirect to `redirect_uri` carrying
//! `code` and `state`), `POST /token` (form-encoded authorization-code grant,
//! client authentication by HTTP Basic or body, `code_verifier` checked
//! against the `code_challenge`; JSON token answer or a JSON error such as
//! `invalid_grant`), and `GET /userinfo` (bearer-authenticated, OIDC claims).
//! Codes are single-use; every token request is recorded.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

/// The account the mock provider signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockOAuthUser {
    /// The provider's user id (`sub`).
    pub sub: String,
    /// The email.
    pub email: String,
    /// Whether the provider says the email is verified.
    pub email_verified: bool,
    /// Display name.
    pub name: String,
}

impl MockOAuthUser {
    /// A user with a verified email.
    pub fn verified(sub: &str, email: &str) -> Self {
        Self { sub: sub.into(), email: email.into(), email_verified: true, name: sub.into() }
    }
}

/// A token request as the mock received it (form fields; the client secret
/// is replaced by whether it matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The form fields of the body.
    pub form: HashMap<String, String>,
    /// Whether the client authenticated with the right secret.
    pub client_authenticated: bool,
}

#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    user: MockOAuthUser,
}

#[derive(Debug)]
struct Shared {
    client_id: String,
    client_secret: Option<String>,
    user: Mutex<MockOAuthUser>,
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, MockOAuthUser>>,
    token_requests: Mutex<Vec<TokenRequest>>,
    counter: Mutex<u64>,
}

/// A mock OAuth2/OIDC provider on `127.0.0.1`, stopped when dropped.
#[derive(Debug)]
pub struct MockOAuth {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _stop: crate::loopback::Stop,
}

impl MockOAuth {
    /// Starts a provider for client `client_id`, which must authenticate
    /// with `client_secret` when one is given.
    pub fn start(client_id: &str, client_secret: Option<&str>) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            client_id: client_id.to_owned(),
            client_secret: client_secret.map(str::to_owned),
            user: Mutex::new(MockOAuthUser::verified("mock-user-1", "oauth.user@example.com")),
            codes: Mutex::default(),
            tokens: Mutex::default(),
            token_requests: Mutex::default(),
            counter: Mutex::new(0),
        });
        let (addr, stop) = crate::loopback::spawn("mock-oauth", 1, Arc::clone(&shared), handle)?;
        Ok(Self { addr, shared, _stop: stop })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The authorization endpoint.
    pub fn auth_url(&self) -> String {
        format!("{}/authorize", self.url())
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.url())
    }

    /// The user-info endpoint.
    pub fn userinfo_url(&self) -> String {
        format!("{}/userinfo", self.url())
    }

    /// Sets the account signed in by the next authorizations.
    pub fn set_user(&self, user: MockOAuthUser) {
        if let Ok(mut u) = self.shared.user.lock() {
            *u = user;
        }
    }

    /// The token requests received so far.
    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.shared.token_requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let response = match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/authorize") => authorize(&shared, parts.uri.query().unwrap_or("")),
        (&Method::POST, "/token") => token(&shared, &parts.headers, &bytes),
        (&Method::GET, "/userinfo") => userinfo(&shared, &parts.headers),
        _ => json_response(StatusCode::NOT_FOUND, &json!({ "error": "not_found" })),
    };
    Ok(response)
}

fn form(text: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(text).into_owned().collect()
}

fn next_id(shared: &Shared, prefix: &str) -> String {
    let n = shared
        .counter
        .lock()
        .map(|mut c| {
            *c += 1;
            *c
        })
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}{n}x{nanos:08x}")
}

fn authorize(shared: &Shared, query: &str) -> Response<Full<Bytes>> {
    let q = form(query.as_bytes());
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let bad = |why: &str| {
        json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "invalid_request", "error_description": why }),
        )
    };
    if get("response_type") != "code" {
        return bad("response_type must be code");
    }
    if get("client_id") != shared.client_id {
        return bad("unknown client_id");
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").is_empty() {
        return bad("PKCE with S256 is required");
    }
    let redirect_uri = get("redirect_uri");
    if redirect_uri.is_empty() {
        return bad("redirect_uri is required");
    }
    let user = shared.user.lock().map(|u| u.clone()).unwrap_or_else(|e| e.into_inner().clone());
    let code = next_id(shared, "code");
    if let Ok(mut codes) = shared.codes.lock() {
        codes.insert(
            code.clone(),
            Grant {
                client_id: get("client_id"),
                redirect_uri: redirect_uri.clone(),
                challenge: get("code_challenge"),
                user,
            },
        );
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .append_pair("state", &get("state"))
        .finish();
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(&format!("{redirect_uri}{separator}{location}")) {
        response.headers_mut().insert("location", v);
    }
    response
}

fn token(shared: &Shared, headers: &hyper::HeaderMap, body: &[u8]) -> Response<Full<Bytes>> {
    let f = form(body);
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (basic_id, basic_secret) = basic_auth(headers).unwrap_or_default();
    let client_id = if basic_id.is_empty() { get("client_id") } else { basic_id };
    let secret = if basic_secret.is_empty() { get("client_secret") } else { basic_secret };
    let client_authenticated = match &shared.client_secret {
        Some(expected) => *expected == secret,
        None => true,
    };
    let mut recorded = f.clone();
    recorded.remove("client_secret");
    if let Ok(mut r) = shared.token_requests.lock() {
        r.push(TokenRequest { form: recorded, client_authenticated });
    }
    let error = |code: &str, why: &str| {
        json_response(StatusCode::BAD_REQUEST, &json!({ "error": code, "error_description": why }))
    };
    if client_id != shared.client_id || !client_authenticated {
        return json_response(StatusCode::UNAUTHORIZED, &json!({ "error": "invalid_client" }));
    }
    if get("grant_type") != "authorization_code" {
        return error("unsupported_grant_type", "only authorization_code");
    }
    let grant = shared.codes.lock().ok().and_then(|mut c| c.remove(&get("code")));
    let Some(grant) = grant else { return error("invalid_grant", "unknown or used code") };
    if grant.client_id != client_id || grant.redirect_uri != get("redirect_uri") {
        return error("invalid_grant", "redirect_uri or client does not match the authorization");
    }
    let verifier = get("code_verifier");
    if verifier.is_empty() {
        return error("invalid_grant", "code_verifier is required");
    }
    let computed = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    if computed != grant.challenge {
        return error("invalid_grant", "code_verifier does not match code_challenge");
    }
    let access = next_id(shared, "at");
    if let Ok(mut t) = shared.tokens.lock() {
        t.insert(access.clone(), grant.user);
    }
    json_response(
        StatusCode::OK,
        &json!({ "access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": "openid email profile" }),
    )
}

fn userinfo(shared: &Shared, headers: &hyper::HeaderMap) -> Response<Full<Bytes>> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let user = shared.tokens.lock().ok().and_then(|t| t.get(token).cloned());
    match user {
        Some(u) => json_response(
            StatusCode::OK,
            &json!({ "sub": u.sub, "email": u.email, "email_verified": u.email_verified, "name": u.name }),
        ),
        None => json_response(StatusCode::UNAUTHORIZED, &json!({ "error": "invalid_token" })),
    }
}

/// `(client_id, client_secret)` of an HTTP Basic header (each form-urlencoded, RFC 6749 §2.3.1).
fn basic_auth(headers: &hyper::HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(value.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    response
}
