//! CSRF protection of cookie-authenticated state changes.

use serde_json::json;

use crate::common::{Browser, bearer_session, env, users_manifest};

#[tokio::test]
async fn cross_site_cookie_posts_are_refused() {
    let e = env().await;
    let app = e.app(users_manifest("forms")).await;
    let mut b = Browser::new(&app.base);
    let reg = b.register("ann@example.com").await;
    reg.expect(201);
    let token = reg.body["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(b.cookies["mdbr_csrf_forms"], token);

    b.post("/api/whoami", json!({})).await.expect(200);
    b.origin = Some("https://evil.example".into());
    let a = b.post("/api/whoami", json!({})).await;
    a.expect_error(403, "csrf");
    assert!(a.text.contains("evil.example"), "{}", a.text);
    b.origin = None;
    b.post("/api/whoami", json!({})).await.expect_error(403, "csrf");
    b.headers.push(("referer".into(), "https://evil.example/page".into()));
    b.post("/api/whoami", json!({})).await.expect_error(403, "csrf");
    b.headers.clear();
    // Reads are not state changes.
    b.origin = Some("https://evil.example".into());
    b.get("/api/whoami").await.expect(200);

    // The double-submit token lets a same-site client without Origin through…
    b.origin = None;
    b.headers.push(("x-csrf-token".into(), token.clone()));
    b.post("/api/whoami", json!({})).await.expect(200);
    // …but not a token that differs from the cookie, or one of another session.
    b.headers.clear();
    b.headers.push(("x-csrf-token".into(), format!("{token}x")));
    b.post("/api/whoami", json!({})).await.expect_error(403, "csrf");
    let mut other = Browser::new(&app.base);
    let other_token =
        other.register("bob@example.com").await.body["csrf_token"].as_str().unwrap().to_owned();
    b.headers.clear();
    b.headers.push(("x-csrf-token".into(), other_token.clone()));
    b.cookies.insert("mdbr_csrf_forms".into(), other_token);
    b.post("/api/whoami", json!({})).await.expect_error(403, "csrf");
}

#[tokio::test]
async fn auth_routes_check_csrf_and_bearer_is_exempt() {
    let e = env().await;
    let app = e.app(users_manifest("csrfauth")).await;
    let mut b = Browser::new(&app.base);
    b.register("ann@example.com").await.expect(201);
    b.origin = Some("https://evil.example".into());
    b.post("/auth/logout", json!({})).await.expect_error(403, "csrf");
    b.post(
        "/auth/password",
        json!({ "current_password": "correct horse battery", "new_password": "evil password!" }),
    )
    .await
    .expect_error(403, "csrf");
    b.origin = Some(app.base.clone());
    b.get("/auth/me").await.expect(200);

    let token = bearer_session(&app, "bob@example.com").await;
    let mut api = Browser::new(&app.base).bearer(&token);
    api.origin = Some("https://elsewhere.example".into());
    api.post("/api/whoami", json!({})).await.expect(200);
}
