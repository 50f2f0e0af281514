//! Shared setup: a fresh database, apps registered from manifests, each
//! app's router served on loopback, and a cookie-keeping test browser.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use mdbr_auth::{
    AppAuth, AppUser, AuthConfig, CurrentIdentity, PasswordParams, PlatformJwt, PlatformUser,
};
use mdbr_core::Manifest;
use mdbr_scope::{Scope, ScopedDatabase};
use mdbr_test_support::TestDb;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

pub(crate) const JWT_SECRET: &str = "test-platform-jwt-secret-0123456789abcdef";
pub(crate) const SERVER_SECRET: &str = "test-server-secret-0123456789abcdef0123";
pub(crate) const PASSWORD: &str = "correct horse battery";

/// The test configuration: dev mode (no `Secure`), cheap argon2.
pub(crate) fn config() -> AuthConfig {
    AuthConfig::new(PlatformJwt::hs256(JWT_SECRET).unwrap(), SERVER_SECRET)
        .unwrap()
        .with_dev_mode(true)
        .with_password_params(PasswordParams::insecure_for_tests())
}

/// A manifest with `slug`, a name, and the sections in `extra`.
pub(crate) fn manifest(slug: &str, extra: Value) -> Manifest {
    let mut m = json!({ "slug": slug, "name": format!("App {slug}") });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        m[k] = v;
    }
    Manifest::from_value(m).unwrap_or_else(|e| panic!("manifest: {e:?}")).manifest
}

/// Password accounts with open registration.
pub(crate) fn users_manifest(slug: &str) -> Manifest {
    manifest(slug, json!({ "sub_auth": { "enabled": true, "allow_registration": true } }))
}

pub(crate) struct Env {
    pub(crate) t: TestDb,
    pub(crate) scope: Scope,
}

pub(crate) async fn env() -> Env {
    let t = TestDb::fresh().await.expect("a test server");
    let scope = Scope::new(t.db.clone());
    Env { t, scope }
}

/// One served app.
pub(crate) struct TestApp {
    pub(crate) auth: AppAuth,
    pub(crate) db: ScopedDatabase,
    pub(crate) base: String,
}

impl Env {
    pub(crate) async fn app(&self, manifest: Manifest) -> TestApp {
        self.app_with(manifest, config()).await
    }

    pub(crate) async fn app_with(&self, manifest: Manifest, config: AuthConfig) -> TestApp {
        let _ = &self.t;
        self.scope.register((&manifest).into()).await.unwrap();
        let db = self.scope.app(manifest.slug.as_str()).unwrap();
        let auth = AppAuth::new(db.clone(), &manifest, Arc::new(config)).unwrap();
        auth.prepare().await.unwrap();
        let base = serve(app_router(&auth)).await;
        TestApp { auth, db, base }
    }
}

/// The app's own routes behind the policy layer, plus the auth routes.
pub(crate) fn app_router(auth: &AppAuth) -> Router {
    Router::new()
        .route(
            "/api/whoami",
            get(|CurrentIdentity(id): CurrentIdentity| async move { Json(id) })
                .post(|CurrentIdentity(id): CurrentIdentity| async move { Json(id) }),
        )
        .route("/api/user", get(|AppUser(u): AppUser| async move { Json(u) }))
        .route("/api/platform", get(|PlatformUser(u): PlatformUser| async move { Json(u) }))
        .route(
            "/api/public",
            get(|id: Option<CurrentIdentity>| async move { Json(id.map(|i| i.0)) })
                .post(|id: Option<CurrentIdentity>| async move { Json(id.map(|i| i.0)) }),
        )
        .layer(auth.layer())
        .merge(auth.router())
}

/// Serves `router` on a loopback port for the rest of the test.
pub(crate) async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

/// An answer: status, headers, the `Set-Cookie` lines and the JSON body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) text: String,
    pub(crate) body: Value,
}

impl Answer {
    /// The `Set-Cookie` line of cookie `name`.
    pub(crate) fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies.iter().find(|c| c.starts_with(&format!("{name}="))).map(String::as_str)
    }

    pub(crate) fn location(&self) -> String {
        self.headers["location"].to_str().unwrap().to_owned()
    }

    #[track_caller]
    pub(crate) fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected answer: {} {}", self.status, self.text);
        self
    }

    #[track_caller]
    pub(crate) fn expect_error(&self, status: u16, code: &str) -> &Self {
        self.expect(status);
        assert_eq!(self.body["error"], code, "{}", self.text);
        assert!(self.body["reason"].as_str().is_some_and(|r| !r.is_empty()), "{}", self.text);
        self
    }
}

/// A client that keeps cookies (by hand, so tests can tamper with them) and
/// sends a same-origin `Origin` on POSTs unless told otherwise.
pub(crate) struct Browser {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) cookies: BTreeMap<String, String>,
    pub(crate) origin: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
}

impl Browser {
    pub(crate) fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookies: BTreeMap::new(),
            origin: Some(base.to_owned()),
            headers: Vec::new(),
        }
    }

    pub(crate) fn bearer(mut self, token: &str) -> Self {
        self.headers.push(("authorization".into(), format!("Bearer {token}")));
        self
    }

    pub(crate) async fn get(&mut self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub(crate) async fn post(&mut self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// Sends to an absolute URL or a path of this app.
    pub(crate) async fn send(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let url =
            if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let mut request = self.http.request(method.clone(), &url);
        if !self.cookies.is_empty() {
            let cookie =
                self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            request = request.header("cookie", cookie);
        }
        if method != reqwest::Method::GET
            && let Some(origin) = &self.origin
        {
            request = request.header("origin", origin);
        }
        for (k, v) in &self.headers {
            request = request.header(k, v);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all("set-cookie")
            .iter()
            .map(|v: &HeaderValue| v.to_str().unwrap().to_owned())
            .collect();
        for line in &set_cookies {
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, set_cookies, text, body }
    }

    /// Registers `email` with the test password; the session lands in the cookie jar.
    pub(crate) async fn register(&mut self, email: &str) -> Answer {
        self.post("/auth/register", json!({ "email": email, "password": PASSWORD })).await
    }

    /// Logs in with `password`.
    pub(crate) async fn login(&mut self, email: &str, password: &str) -> Answer {
        self.post("/auth/login", json!({ "email": email, "password": password })).await
    }
}

/// A bearer session token for a new account `email` on `app`.
pub(crate) async fn bearer_session(app: &TestApp, email: &str) -> String {
    let mut b = Browser::new(&app.base);
    let a = b
        .post(
            "/auth/register",
            json!({ "email": email, "password": PASSWORD, "session": "bearer" }),
        )
        .await;
    a.expect(201);
    a.body["token"].as_str().unwrap().to_owned()
}
