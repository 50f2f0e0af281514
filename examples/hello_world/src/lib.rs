//! The hello_world app: greetings stored in the app's scope and served over
//! HTTP, sign-in with the app's own users, and live updates over a
//! websocket, next to the runtime's `/health`, `/ready` and `/metrics`.
//!
//! - `GET /` — a page listing the newest greetings, with a sign-in form, a
//!   form to add a greeting, and a websocket that shows new ones live;
//! - `GET /api/greetings` — the newest 100 greetings, newest first;
//! - `POST /api/greetings` with `{"message": "...", "language": "en"}` —
//!   signed-in users only: stores a greeting, broadcasts it to every
//!   websocket client of the app as `{"type": "greeting", "data": …}`, and
//!   answers 201 with it;
//! - `POST /auth/login`, `/auth/register`, `/auth/logout`, `GET /auth/me` —
//!   the runtime's auth routes (demo user `demo@example.com` /
//!   `hello-mdbr-demo`, from the manifest);
//! - `GET /ws` — the live feed (guests welcome, as the manifest says).

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::TryStreamExt;
use mdbr::auth::AppUser;
use mdbr::scope::bson::{Bson, DateTime, Document, doc};
use mdbr::ws::WsMessage;
use mdbr::{AppSlug, RegisterOptions, RuntimeEngine, ScopedCollection};
use serde::Deserialize;
use serde_json::{Value, json};

/// The app's slug, as in its manifest.
pub const SLUG: &str = "hello_world";

/// The app's manifest, compiled in so the binary runs from any directory.
pub const MANIFEST: &str = include_str!("../manifest.json");

/// Longest accepted greeting, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// The demo account created from the manifest's `demo_users`.
pub const DEMO_USER: (&str, &str) = ("demo@example.com", "hello-mdbr-demo");

#[derive(Clone)]
struct App {
    engine: RuntimeEngine,
    slug: AppSlug,
    greetings: ScopedCollection<Document>,
}

/// A new greeting, as posted.
#[derive(Debug, Deserialize)]
pub struct NewGreeting {
    /// The text (1–500 characters).
    pub message: String,
    /// A language tag such as `en` (optional, at most 16 characters).
    #[serde(default)]
    pub language: Option<String>,
}

/// Registers the app on `engine` and returns its router: the app's routes
/// merged with the runtime's health, readiness and metrics routes.
pub async fn router(engine: &RuntimeEngine) -> anyhow::Result<Router> {
    let manifest = mdbr::Manifest::from_json_str(MANIFEST)?.manifest;
    let report = engine.register_app(manifest, RegisterOptions::default()).await?;
    for warning in &report.warnings {
        tracing::warn!("{warning}");
    }
    let greetings = engine.scoped_db(SLUG)?.collection::<Document>("greetings")?;
    let app = App { engine: engine.clone(), slug: AppSlug::parse(SLUG)?, greetings };
    let routes = Router::new()
        .route("/", get(page))
        .route("/api/greetings", get(list).post(create))
        .with_state(app);
    // The app's own routes run behind its auth policy (which also feeds the
    // `AppUser` extractor); the runtime's routes bring /auth/* and /ws.
    Ok(engine.app_router(SLUG)?.merge(engine.protect(SLUG, routes)?))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn to_json(doc: &Document) -> Value {
    json!({
        "_id": doc.get_object_id("_id").map(|id| id.to_hex()).unwrap_or_default(),
        "message": doc.get_str("message").unwrap_or_default(),
        "language": doc.get_str("language").ok(),
        "author": doc.get_str("author").ok(),
        "created_at": doc.get_datetime("created_at").ok().and_then(|d| d.try_to_rfc3339_string().ok()),
    })
}

async fn newest(app: &App) -> Result<Vec<Document>, Response> {
    let started = Instant::now();
    let result = async {
        let cursor = app
            .greetings
            .find(doc! {})
            .sort(doc! { "created_at": -1, "_id": -1 })
            .limit(100)
            .await?;
        cursor.try_collect::<Vec<Document>>().await.map_err(mdbr::scope::Error::from)
    }
    .await;
    app.engine.metrics().record_operation(
        SLUG,
        "list_greetings",
        started.elapsed(),
        result.is_ok(),
    );
    result.map_err(|e| {
        error(StatusCode::SERVICE_UNAVAILABLE, format!("could not read greetings: {e}"))
    })
}

async fn list(State(app): State<App>) -> Response {
    match newest(&app).await {
        Ok(docs) => Json(docs.iter().map(to_json).collect::<Vec<_>>()).into_response(),
        Err(r) => r,
    }
}

/// Checks a posted greeting and turns it into the stored document.
pub fn validate(new: NewGreeting) -> Result<Document, String> {
    let message = new.message.trim().to_owned();
    if message.is_empty() {
        return Err("`message` must not be empty".into());
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(format!("`message` is longer than {MAX_MESSAGE_CHARS} characters"));
    }
    let language = match new.language.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()) {
        Some(l) if l.len() > 16 || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            return Err("`language` must be a short tag such as `en` or `pt-BR`".into());
        }
        other => other,
    };
    let mut doc = doc! { "message": message, "created_at": DateTime::now() };
    doc.insert("language", language.map(Bson::String).unwrap_or(Bson::Null));
    Ok(doc)
}

async fn store(app: &App, author: &str, new: NewGreeting) -> Result<Document, Response> {
    let mut doc = validate(new).map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
    doc.insert("author", author);
    let inserted = app.greetings.insert_one(doc.clone()).await.map_err(|e| {
        error(StatusCode::SERVICE_UNAVAILABLE, format!("could not store the greeting: {e}"))
    })?;
    doc.insert("_id", inserted.inserted_id);
    // Every websocket client of this app (and only of this app) sees it.
    let sent =
        app.engine.ws().broadcast_to_app(&app.slug, &WsMessage::new("greeting", to_json(&doc)));
    tracing::debug!(clients = sent, "greeting broadcast");
    Ok(doc)
}

async fn create(
    State(app): State<App>,
    AppUser(user): AppUser,
    body: Result<Json<NewGreeting>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(new) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let author = user.email.as_deref().unwrap_or(&user.subject);
    match store(&app, author, new).await {
        Ok(doc) => (StatusCode::CREATED, Json(to_json(&doc))).into_response(),
        Err(r) => r,
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn page(State(app): State<App>) -> Response {
    let docs = match newest(&app).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let items: String = docs
        .iter()
        .map(|d| {
            let language = d
                .get_str("language")
                .map(|l| format!(" <small>({})</small>", escape(l)))
                .unwrap_or_default();
            format!("<li>{}{language}</li>\n", escape(d.get_str("message").unwrap_or_default()))
        })
        .collect();
    let empty = if docs.is_empty() { "<p>No greetings yet: be the first.</p>" } else { "" };
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello, World — mdbr</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}
li{{margin:.3rem 0}} input{{padding:.3rem}} button{{padding:.3rem .8rem}} #who{{color:#555}}</style></head>
<body><h1>Hello, World</h1>
<form id="signin"><input name="email" value="{demo_email}" size="18"> <input name="password" type="password" value="{demo_password}" size="14"> <button>Sign in</button></form>
<p id="who">Not signed in: sign in to add a greeting (demo account pre-filled).</p>
<form id="add"><input name="message" placeholder="Say hello" maxlength="{MAX_MESSAGE_CHARS}" required>
<input name="language" placeholder="en" size="5"> <button>Add</button></form>
{empty}<ul id="list">
{items}</ul>
<p><a href="/api/greetings">JSON</a> · <a href="/health">health</a> · <a href="/metrics">metrics</a> · live: <span id="live">connecting…</span></p>
<script>
const $ = (id) => document.getElementById(id);
const post = (url, body) => fetch(url, {{method: "POST", headers: {{"content-type": "application/json"}}, body: JSON.stringify(body)}});
async function me() {{
  const r = await fetch("/auth/me");
  if (r.ok) {{ const m = await r.json(); $("who").textContent = "Signed in as " + (m.email || m.subject); }}
}}
$("signin").onsubmit = async (e) => {{
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await post("/auth/login", {{email: f.get("email"), password: f.get("password")}});
  if (r.ok) me(); else $("who").textContent = "Sign-in failed: " + (await r.json()).reason;
}};
$("add").onsubmit = async (e) => {{
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await post("/api/greetings", {{message: f.get("message"), language: f.get("language") || null}});
  if (r.ok) e.target.reset(); else $("who").textContent = (await r.json()).reason || "Could not add the greeting";
}};
function connect() {{
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  ws.onopen = () => $("live").textContent = "connected";
  ws.onclose = () => {{ $("live").textContent = "reconnecting…"; setTimeout(connect, 2000); }};
  ws.onmessage = (m) => {{
    const env = JSON.parse(m.data);
    if (env.type !== "greeting") return;
    const li = document.createElement("li");
    li.textContent = env.data.message + (env.data.language ? " (" + env.data.language + ")" : "");
    $("list").prepend(li);
  }};
}}
me(); connect();
</script>
</body></html>"#,
        demo_email = DEMO_USER.0,
        demo_password = DEMO_USER.1,
    ))
    .into_response()
}
