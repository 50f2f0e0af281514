//! The auth routes of an app: register, login, logout, me, password change,
//! guest sessions, CSRF token and OAuth start/callback.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::app_auth::{AppAuth, Authenticated, CredentialSource, SignedIn};
use crate::cookie::{self, SetCookie};
use crate::csrf::is_state_changing;
use crate::error::{Error, Result};
use crate::identity::{CredentialSources, IdentityKind};
use crate::oauth::safe_return_to;
use crate::secret::Secret;

/// Largest accepted auth request body.
const MAX_BODY: usize = 16 * 1024;

/// Paths of the auth router. The policy layer lets them through: each
/// handler enforces what it needs itself.
pub const AUTH_ROUTES: &[&str] = &[
    "/auth/register",
    "/auth/login",
    "/auth/logout",
    "/auth/logout_all",
    "/auth/me",
    "/auth/password",
    "/auth/guest",
    "/auth/csrf",
    "/auth/oauth/{provider}/start",
    "/auth/oauth/{provider}/callback",
];

/// How a new session is handed to the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SessionMode {
    /// An HttpOnly cookie (browsers); the CSRF token is in the body.
    #[default]
    Cookie,
    /// The token in the body, for `Authorization: Bearer` (API clients).
    Bearer,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: Secret,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    session: SessionMode,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: Secret,
    new_password: Secret,
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    #[serde(default)]
    return_to: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

impl AppAuth {
    /// The app's auth routes, to merge into the app's router:
    ///
    /// | route | what |
    /// |---|---|
    /// | `POST /auth/register` | `{email, password, name?, session?}` → 201 `{user, csrf_token}` + session cookie (`session: "bearer"`: `{user, token, expires_in}`, no cookie) |
    /// | `POST /auth/login` | `{email, password, session?}` → 200, as register; 401 `invalid_login` for an unknown account or a wrong password alike; 429 when locked out |
    /// | `POST /auth/logout` | ends the session; 204 |
    /// | `POST /auth/logout_all` | ends every session of the user; 200 `{sessions_ended}` |
    /// | `GET /auth/me` | the caller's [`crate::Identity`]; 401 without one |
    /// | `POST /auth/password` | `{current_password, new_password}`; ends the user's other sessions; 204 |
    /// | `POST /auth/guest` | starts (or resumes) an anonymous guest session; `{identity, csrf_token}` |
    /// | `GET /auth/csrf` | `{csrf_token}` for the current cookie session |
    /// | `GET /auth/oauth/{provider}/start` | 303 to the provider (`?return_to=/path`) |
    /// | `GET /auth/oauth/{provider}/callback` | finishes the sign-in; 303 to `return_to` with the session cookie |
    ///
    /// These routes need no session except `me`, `logout`, `logout_all`,
    /// `password` and `csrf`; cookie-authenticated POSTs are CSRF-checked.
    pub fn router(&self) -> Router {
        router(self.clone())
    }
}

fn router(auth: AppAuth) -> Router {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/logout_all", post(logout_all))
        .route("/auth/me", get(me))
        .route("/auth/password", post(change_password))
        .route("/auth/guest", post(guest))
        .route("/auth/csrf", get(csrf))
        .route("/auth/oauth/{provider}/start", get(oauth_start))
        .route("/auth/oauth/{provider}/callback", get(oauth_callback))
        .with_state(auth)
}

async fn register(State(auth): State<AppAuth>, body: Bytes) -> Result<Response> {
    let c: Credentials = parse_json(&body)?;
    let signed = auth.register(&c.email, &c.password, c.name).await?;
    session_response(&auth, StatusCode::CREATED, &signed, c.session)
}

async fn login(State(auth): State<AppAuth>, head: Parts, body: Bytes) -> Result<Response> {
    let c: Credentials = parse_json(&body)?;
    if c.name.is_some() {
        return Err(Error::input("`name` is only accepted when registering"));
    }
    let signed = auth.login(&c.email, &c.password, auth.client_addr(&head)).await?;
    session_response(&auth, StatusCode::OK, &signed, c.session)
}

async fn me(State(auth): State<AppAuth>, head: Parts) -> Result<Response> {
    let a = required(&auth, &head).await?;
    Ok(json_response(StatusCode::OK, &serde_json::to_value(&a.identity).unwrap_or(Value::Null)))
}

async fn logout(State(auth): State<AppAuth>, head: Parts) -> Result<Response> {
    let a = required(&auth, &head).await?;
    check_csrf(&auth, &head, &a)?;
    auth.end_session(&a).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    clear_cookies(&auth, &mut response, a.source)?;
    Ok(response)
}

async fn logout_all(State(auth): State<AppAuth>, head: Parts) -> Result<Response> {
    let a = required(&auth, &head).await?;
    check_csrf(&auth, &head, &a)?;
    let ended = auth.end_all_sessions(&a).await?;
    let mut response = json_response(StatusCode::OK, &json!({ "sessions_ended": ended }));
    clear_cookies(&auth, &mut response, a.source)?;
    Ok(response)
}

async fn change_password(
    State(auth): State<AppAuth>,
    head: Parts,
    body: Bytes,
) -> Result<Response> {
    let a = required(&auth, &head).await?;
    check_csrf(&auth, &head, &a)?;
    if !a.has_session() {
        return Err(Error::Forbidden {
            reason: "only app users signed in with a session can change their password".to_owned(),
        });
    }
    let change: PasswordChange = parse_json(&body)?;
    auth.change_password(a.credential(), &change.current_password, &change.new_password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn guest(State(auth): State<AppAuth>, head: Parts) -> Result<Response> {
    if !auth.guests_enabled() {
        return Err(Error::NotEnabled { what: "anonymous sessions" });
    }
    if let Ok(Some(a)) = auth.authenticate(&head, CredentialSources::default()).await
        && a.identity.kind == IdentityKind::Guest
    {
        let csrf = auth.csrf_token(a.credential());
        let mut response =
            json_response(StatusCode::OK, &json!({ "identity": a.identity, "csrf_token": csrf }));
        set_cookie(&mut response, &auth, auth.csrf_cookie_name(), &csrf, false)?;
        return Ok(response);
    }
    let g = auth.issue_guest()?;
    let csrf = auth.csrf_token(&g.cookie);
    let mut response =
        json_response(StatusCode::CREATED, &json!({ "identity": g.identity, "csrf_token": csrf }));
    set_cookie(&mut response, &auth, auth.guest_cookie_name(), g.cookie.expose(), true)?;
    set_cookie(&mut response, &auth, auth.csrf_cookie_name(), &csrf, false)?;
    Ok(response)
}

async fn csrf(State(auth): State<AppAuth>, head: Parts) -> Result<Response> {
    let a = required(&auth, &head).await?;
    if !a.source.is_cookie() {
        return Err(Error::input("CSRF tokens are only needed with cookie sessions"));
    }
    let token = auth.csrf_token(a.credential());
    let mut response = json_response(StatusCode::OK, &json!({ "csrf_token": token }));
    set_cookie(&mut response, &auth, auth.csrf_cookie_name(), &token, false)?;
    Ok(response)
}

async fn oauth_start(
    State(auth): State<AppAuth>,
    Path(provider): Path<String>,
    Query(q): Query<StartQuery>,
    head: Parts,
) -> Result<Response> {
    if !auth.oauth_enabled() {
        return Err(Error::NotEnabled { what: "OAuth sign-in" });
    }
    let oauth = &auth.inner.oauth;
    let redirect_uri = match oauth.configured_redirect(&provider)? {
        Some(uri) => uri,
        None => derived_redirect(&auth, &head)?,
    };
    let started =
        oauth.start(&provider, redirect_uri, safe_return_to(q.return_to.as_deref())).await?;
    let mut response = redirect(&started.authorize_url)?;
    let cookie = SetCookie {
        name: &auth.inner.oauth_cookie,
        value: started.binding.expose(),
        max_age: Some(oauth.state_ttl().as_secs().max(1)),
        http_only: true,
        secure: !auth.config().is_dev_mode(),
    };
    response.headers_mut().append(header::SET_COOKIE, cookie.header()?);
    Ok(response)
}

async fn oauth_callback(
    State(auth): State<AppAuth>,
    Path(provider): Path<String>,
    Query(q): Query<CallbackQuery>,
    head: Parts,
) -> Result<Response> {
    if !auth.oauth_enabled() {
        return Err(Error::NotEnabled { what: "OAuth sign-in" });
    }
    if let Some(error) = q.error {
        let code: String =
            error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
        return Err(Error::refused(format!("the provider answered `{code}`")));
    }
    let binding = cookie::get(&head.headers, &auth.inner.oauth_cookie);
    let finished =
        auth.inner.oauth.finish(&provider, q.code.as_deref(), q.state.as_deref(), binding).await?;
    let signed = auth.oauth_sign_in(finished.profile).await?;
    let mut response = redirect(&finished.return_to)?;
    add_session_cookies(&auth, &mut response, &signed.token)?;
    let secure = !auth.config().is_dev_mode();
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie::clear(&auth.inner.oauth_cookie, true, secure)?);
    Ok(response)
}

/// The callback URL next to the start URL the browser used:
/// `MDBR_PUBLIC_URL`-based when configured, else from the `Host` header.
fn derived_redirect(auth: &AppAuth, head: &Parts) -> Result<String> {
    let path = head
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| head.uri.path().to_owned(), |u| u.0.path().to_owned());
    let path = match path.strip_suffix("/start") {
        Some(base) => format!("{base}/callback"),
        None => return Err(Error::internal("OAuth start path does not end in /start")),
    };
    if let Some(base) = &auth.inner.config.public_url {
        return Ok(format!("{base}{path}"));
    }
    let host = head
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic() && b != b'/' && b != b'@'))
        .ok_or_else(|| Error::input("the request has no usable Host header to build the OAuth redirect URI; set MDBR_PUBLIC_URL or the provider's redirect_uri"))?;
    let scheme = if auth.config().is_dev_mode() { "http" } else { "https" };
    Ok(format!("{scheme}://{host}{path}"))
}

async fn required(auth: &AppAuth, head: &Parts) -> Result<Authenticated> {
    auth.authenticate(head, CredentialSources::default()).await?.ok_or(Error::Unauthenticated)
}

fn check_csrf(auth: &AppAuth, head: &Parts, a: &Authenticated) -> Result<()> {
    if a.source.is_cookie() && is_state_changing(&head.method) {
        auth.inner.csrf.check(
            auth.app(),
            &head.headers,
            auth.csrf_cookie_name(),
            a.credential().expose(),
        )?;
    }
    Ok(())
}

fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T> {
    if body.len() > MAX_BODY {
        return Err(Error::input(format!("the request body is larger than {MAX_BODY} bytes")));
    }
    serde_json::from_slice(body)
        .map_err(|e| Error::input(format!("the request body is not the expected JSON: {e}")))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn redirect(location: &str) -> Result<Response> {
    let location = HeaderValue::from_str(location)
        .map_err(|_| Error::internal("redirect location is not a valid header value"))?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().insert(header::LOCATION, location);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn session_response(
    auth: &AppAuth,
    status: StatusCode,
    signed: &SignedIn,
    mode: SessionMode,
) -> Result<Response> {
    let ttl = auth.sub_auth().session_ttl_seconds;
    match mode {
        SessionMode::Bearer => Ok(json_response(
            status,
            &json!({ "user": signed.user, "token": signed.token.expose(), "expires_in": ttl }),
        )),
        SessionMode::Cookie => {
            let csrf = auth.csrf_token(&signed.token);
            let mut response =
                json_response(status, &json!({ "user": signed.user, "csrf_token": csrf }));
            add_session_cookies(auth, &mut response, &signed.token)?;
            Ok(response)
        }
    }
}

fn add_session_cookies(auth: &AppAuth, response: &mut Response, token: &Secret) -> Result<()> {
    set_cookie(response, auth, auth.session_cookie_name(), token.expose(), true)?;
    let csrf = auth.csrf_token(token);
    set_cookie(response, auth, auth.csrf_cookie_name(), &csrf, false)
}

fn set_cookie(
    response: &mut Response,
    auth: &AppAuth,
    name: &str,
    value: &str,
    http_only: bool,
) -> Result<()> {
    let cookie = SetCookie {
        name,
        value,
        max_age: Some(auth.sub_auth().session_ttl_seconds),
        http_only,
        secure: !auth.config().is_dev_mode(),
    };
    response.headers_mut().append(header::SET_COOKIE, cookie.header()?);
    Ok(())
}

fn clear_cookies(auth: &AppAuth, response: &mut Response, source: CredentialSource) -> Result<()> {
    let secure = !auth.config().is_dev_mode();
    let headers = response.headers_mut();
    let name = match source {
        CredentialSource::GuestCookie => auth.guest_cookie_name(),
        CredentialSource::SessionCookie => auth.session_cookie_name(),
        _ => return Ok(()),
    };
    headers.append(header::SET_COOKIE, cookie::clear(name, true, secure)?);
    headers.append(header::SET_COOKIE, cookie::clear(auth.csrf_cookie_name(), false, secure)?);
    Ok(())
}
