//! Anonymous guest sessions: signed cookies, tampering refused, bound to the app.

use serde_json::json;

use crate::common::{Browser, env, manifest};

fn guest_manifest(slug: &str, policy: serde_json::Value) -> mdbr_core::Manifest {
    manifest(
        slug,
        json!({
            "auth_policy": policy,
            "sub_auth": { "enabled": true, "strategy": "anonymous_session", "anonymous_user_prefix": "visitor" }
        }),
    )
}

#[tokio::test]
async fn guest_session_flow() {
    let e = env().await;
    let app = e.app(guest_manifest("lobby", json!({ "allow_anonymous": true }))).await;
    let mut b = Browser::new(&app.base);
    let a = b.post("/auth/guest", json!({})).await;
    a.expect(201);
    let id = a.body["identity"]["subject"].as_str().unwrap().to_owned();
    assert!(id.starts_with("visitor_") && id.len() > 20, "{id}");
    assert_eq!(a.body["identity"]["email"], serde_json::Value::Null);
    let cookie = a.set_cookie("mdbr_guest_lobby").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    let me = b.get("/api/whoami").await;
    me.expect(200);
    assert_eq!(me.body["kind"], "guest");
    assert_eq!(me.body["subject"], id);
    // Asking again keeps the same guest.
    let again = b.post("/auth/guest", json!({})).await;
    again.expect(200);
    assert_eq!(again.body["identity"]["subject"], id);
    // A guest is not an app user.
    b.get("/api/user").await.expect_error(401, "unauthenticated");
    b.post("/auth/logout", json!({})).await.expect(204);
    assert!(!b.cookies.contains_key("mdbr_guest_lobby"));
}

#[tokio::test]
async fn tampered_guest_cookies_are_refused() {
    let e = env().await;
    let app = e.app(guest_manifest("tamper", json!({ "allow_anonymous": true }))).await;
    let mut b = Browser::new(&app.base);
    b.post("/auth/guest", json!({})).await.expect(201);
    let good = b.cookies["mdbr_guest_tamper"].clone();
    let (id, rest) = good.split_once('.').unwrap();
    let forgeries = [
        format!("{id}x.{rest}"),
        format!("visitor_someoneelse.{rest}"),
        good.replace(|c: char| c.is_ascii_digit(), "9"),
        format!("{good}x"),
        "ann@example.com".to_owned(),
        String::new() + "visitor_x.99999999999.",
    ];
    for forged in forgeries {
        let mut attacker = Browser::new(&app.base);
        attacker.cookies.insert("mdbr_guest_tamper".into(), forged.clone());
        let a = attacker.get("/api/whoami").await;
        a.expect_error(401, "invalid_credential");
        attacker.get("/auth/me").await.expect_error(401, "invalid_credential");
    }
}

#[tokio::test]
async fn guest_cookies_are_bound_to_their_app() {
    let e = env().await;
    let a = e.app(guest_manifest("one", json!({ "allow_anonymous": true }))).await;
    let b = e.app(guest_manifest("two", json!({ "allow_anonymous": true }))).await;
    let mut browser = Browser::new(&a.base);
    browser.post("/auth/guest", json!({})).await.expect(201);
    let value = browser.cookies["mdbr_guest_one"].clone();
    let mut other = Browser::new(&b.base);
    other.cookies.insert("mdbr_guest_two".into(), value);
    other.get("/auth/me").await.expect_error(401, "invalid_credential");
}

#[tokio::test]
async fn guests_are_refused_where_sign_in_is_required() {
    let e = env().await;
    let app = e.app(guest_manifest("closed", json!({}))).await;
    let mut b = Browser::new(&app.base);
    b.post("/auth/guest", json!({})).await.expect(201);
    let a = b.get("/api/whoami").await;
    a.expect_error(401, "unauthenticated");
    assert!(a.text.contains("guests"), "{}", a.text);
    let no_guests = e.app(manifest("noguests", json!({ "sub_auth": { "enabled": true } }))).await;
    Browser::new(&no_guests.base)
        .post("/auth/guest", json!({}))
        .await
        .expect_error(404, "not_enabled");
}
