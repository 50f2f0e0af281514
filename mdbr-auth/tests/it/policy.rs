//! Every `auth_policy` rule enforced by the policy layer over HTTP, with the
//! `{error, reason}` answers, and the `Authenticator` contract used by mdbr-ws.

use std::time::Duration;

use mdbr_auth::{Authenticator, CredentialSources, IdentityKind, NewUser, Outcome, PlatformJwt};
use mdbr_core::WebSocketAuth;
use serde_json::{Value, json};

use crate::common::{Browser, JWT_SECRET, PASSWORD, TestApp, env, manifest};

fn token(app: &str, email: &str, roles: &[&str], perms: &[&str]) -> String {
    let jwt = PlatformJwt::hs256(JWT_SECRET).unwrap();
    let claims = jwt
        .claims(format!("sub-{email}"), Duration::from_secs(600))
        .with_email(email)
        .with_roles(roles.iter().copied())
        .with_permissions(perms.iter().copied())
        .with_apps([app]);
    jwt.issue(&claims).unwrap()
}

async fn call(app: &TestApp, token: Option<&str>) -> crate::common::Answer {
    let mut b = Browser::new(&app.base);
    if let Some(t) = token {
        b = b.bearer(t);
    }
    b.get("/api/public").await
}

async fn policy_app(slug: &str, policy: Value) -> (crate::common::Env, TestApp) {
    let e = env().await;
    let app = e.app(manifest(slug, json!({ "auth_policy": policy }))).await;
    (e, app)
}

#[tokio::test]
async fn required_refuses_anonymous_with_a_reason() {
    let (_e, app) = policy_app("req", json!({})).await;
    let a = call(&app, None).await;
    a.expect_error(401, "unauthenticated");
    assert!(a.body["reason"].as_str().unwrap().contains("required"), "{}", a.text);
    assert_eq!(a.headers["content-type"], "application/json");
    call(&app, Some(&token("req", "a@x.io", &[], &[]))).await.expect(200);
}

#[tokio::test]
async fn not_required_and_allow_anonymous_admit_visitors() {
    let (_e, open) = policy_app("open", json!({ "required": false })).await;
    let a = call(&open, None).await;
    a.expect(200);
    assert_eq!(a.body, Value::Null);
    let (_e2, anon) = policy_app("anon", json!({ "allow_anonymous": true })).await;
    call(&anon, None).await.expect(200);
    // A present but bad credential is never silently treated as anonymous.
    call(&open, Some("garbage.token.here")).await.expect_error(401, "invalid_credential");
}

#[tokio::test]
async fn allowed_roles_any_of() {
    let (_e, app) = policy_app("roles", json!({ "allowed_roles": ["admin", "editor"] })).await;
    call(&app, Some(&token("roles", "a@x.io", &["viewer", "editor"], &[]))).await.expect(200);
    let a = call(&app, Some(&token("roles", "a@x.io", &["viewer"], &[]))).await;
    a.expect_error(403, "forbidden");
    assert!(a.text.contains("allowed_roles"), "{}", a.text);
    call(&app, None).await.expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn allowed_roles_apply_to_app_users_too() {
    let e = env().await;
    let m = manifest(
        "approles",
        json!({ "auth_policy": { "allowed_roles": ["member"] }, "sub_auth": { "enabled": true } }),
    );
    let app = e.app(m).await;
    app.auth.create_user(NewUser::new("in@x.io", PASSWORD).with_roles(["member"])).await.unwrap();
    app.auth.create_user(NewUser::new("out@x.io", PASSWORD)).await.unwrap();
    let mut member = Browser::new(&app.base);
    member.login("in@x.io", PASSWORD).await.expect(200);
    member.get("/api/user").await.expect(200);
    let mut outsider = Browser::new(&app.base);
    outsider.login("out@x.io", PASSWORD).await.expect(200);
    outsider.get("/api/user").await.expect_error(403, "forbidden");
    outsider.get("/auth/me").await.expect(200);
}

#[tokio::test]
async fn allowed_users_by_email() {
    let (_e, app) = policy_app("users", json!({ "allowed_users": ["Ann@Example.com"] })).await;
    call(&app, Some(&token("users", "ann@example.com", &[], &[]))).await.expect(200);
    let a = call(&app, Some(&token("users", "bob@example.com", &[], &[]))).await;
    a.expect_error(403, "forbidden");
    assert!(a.text.contains("allowed_users"), "{}", a.text);
}

#[tokio::test]
async fn denied_users_beat_every_allow() {
    let policy = json!({
        "required": false,
        "allow_anonymous": true,
        "allowed_users": ["ann@example.com"],
        "allowed_roles": ["admin"],
        "denied_users": ["ANN@example.com"]
    });
    let (_e, app) = policy_app("deny", policy).await;
    let a = call(&app, Some(&token("deny", "ann@example.com", &["admin"], &["*"]))).await;
    a.expect_error(403, "forbidden");
    assert!(a.text.contains("denied_users"), "{}", a.text);
    call(&app, None).await.expect(200);
}

#[tokio::test]
async fn required_permissions_all_with_wildcards() {
    let (_e, app) =
        policy_app("perms", json!({ "required_permissions": ["docs:read", "users:write"] })).await;
    let ok = |perms: &'static [&'static str]| token("perms", "a@x.io", &[], perms);
    call(&app, Some(&ok(&["docs:read", "users:write"]))).await.expect(200);
    call(&app, Some(&ok(&["docs:*", "*:write"]))).await.expect(200);
    call(&app, Some(&ok(&["*:*"]))).await.expect(200);
    call(&app, Some(&ok(&["*"]))).await.expect(200);
    let a = call(&app, Some(&ok(&["docs:read"]))).await;
    a.expect_error(403, "forbidden");
    assert!(a.text.contains("users:write"), "{}", a.text);
    call(&app, Some(&ok(&["docs:write", "users:read"]))).await.expect_error(403, "forbidden");

    let (_e2, wild) = policy_app("wild", json!({ "required_permissions": ["docs:*"] })).await;
    call(&wild, Some(&token("wild", "a@x.io", &[], &["docs:read"])))
        .await
        .expect_error(403, "forbidden");
    call(&wild, Some(&token("wild", "a@x.io", &[], &["docs:*"]))).await.expect(200);
}

#[tokio::test]
async fn the_authenticator_contract() {
    let e = env().await;
    let m = manifest(
        "ws",
        json!({ "auth_policy": { "denied_users": ["bad@x.io"] }, "sub_auth": { "enabled": true, "allow_registration": true } }),
    );
    let app = e.app(m).await;
    let auth: std::sync::Arc<dyn Authenticator> = std::sync::Arc::new(app.auth.clone());
    assert_eq!(auth.app().as_str(), "ws");
    let session = crate::common::bearer_session(&app, "ann@x.io").await;
    let head =
        |uri: String| axum::http::Request::builder().uri(uri).body(()).unwrap().into_parts().0;

    let query = head(format!("/ws?token={session}"));
    assert_eq!(auth.identify(&query, CredentialSources::default()).await.unwrap(), None);
    let id = auth
        .identify(&query, CredentialSources { query_token: true })
        .await
        .unwrap()
        .expect("identified through ?token=");
    assert_eq!(id.kind, IdentityKind::AppUser);
    assert_eq!(auth.decide(Some(&id), None).outcome, Outcome::Allow);

    let bad = head("/ws?token=mdbrs_nope".to_owned());
    assert!(
        auth.identify(&bad, CredentialSources { query_token: true })
            .await
            .unwrap_err()
            .is_unauthenticated()
    );

    let open = WebSocketAuth { required: false, allow_anonymous: false };
    assert_eq!(auth.decide(None, None).outcome, Outcome::Unauthenticated);
    assert_eq!(auth.decide(None, Some(&open)).outcome, Outcome::Allow);
    let denied = token("ws", "bad@x.io", &[], &[]);
    let head_jwt = axum::http::Request::builder()
        .uri("/ws")
        .header("authorization", format!("Bearer {denied}"))
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let bad_id = auth.identify(&head_jwt, CredentialSources::default()).await.unwrap().unwrap();
    assert_eq!(auth.decide(Some(&bad_id), Some(&open)).outcome, Outcome::Forbidden);
    let mut foreign = id.clone();
    foreign.app = mdbr_core::AppSlug::parse("other").unwrap();
    let d = auth.decide(Some(&foreign), Some(&open));
    assert_eq!(d.outcome, Outcome::Forbidden, "{d:?}");
}
