//! Password accounts end to end: register, login, me, logout, sessions,
//! cookies, password change, demo users and indexes.

use mdbr_auth::{AuthConfig, EMAIL_INDEX, Error, NewUser, SESSIONS_COLLECTION, Secret};
use mdbr_scope::bson::{DateTime, Document, doc};
use serde_json::json;

use crate::common::{Browser, PASSWORD, bearer_session, config, env, manifest, users_manifest};

#[tokio::test]
async fn register_login_me_logout_flow() {
    let e = env().await;
    let app = e.app(users_manifest("notes")).await;
    let mut b = Browser::new(&app.base);

    let a = b.register("  Ann@Example.com ").await;
    a.expect(201);
    assert_eq!(a.body["user"]["email"], "ann@example.com");
    assert!(a.body["csrf_token"].as_str().is_some());
    assert!(a.body.get("token").is_none(), "cookie sessions do not expose the token: {}", a.text);
    assert!(b.cookies.contains_key("app_session_notes"));

    let me = b.get("/auth/me").await;
    me.expect(200);
    assert_eq!(me.body["email"], "ann@example.com");
    assert_eq!(me.body["kind"], "app_user");
    assert_eq!(me.body["app"], "notes");
    b.get("/api/user").await.expect(200);

    b.post("/auth/logout", json!({})).await.expect(204);
    assert!(!b.cookies.contains_key("app_session_notes"), "logout clears the cookie");
    b.get("/auth/me").await.expect_error(401, "unauthenticated");
    b.get("/api/user").await.expect_error(401, "unauthenticated");

    b.login("ANN@example.com", PASSWORD).await.expect(200);
    let me = b.get("/auth/me").await;
    me.expect(200);
    assert_eq!(me.body["email"], "ann@example.com");
}

#[tokio::test]
async fn logged_out_session_token_is_refused_even_if_replayed() {
    let e = env().await;
    let app = e.app(users_manifest("replay")).await;
    let mut b = Browser::new(&app.base);
    b.register("ann@example.com").await.expect(201);
    let stolen = b.cookies["app_session_replay"].clone();
    b.post("/auth/logout", json!({})).await.expect(204);
    let mut thief = Browser::new(&app.base);
    thief.cookies.insert("app_session_replay".into(), stolen);
    let a = thief.get("/auth/me").await;
    a.expect_error(401, "invalid_credential");
    assert!(a.text.contains("revoked"), "{}", a.text);
}

#[tokio::test]
async fn registration_only_when_allowed() {
    let e = env().await;
    let closed = e.app(manifest("closed", json!({ "sub_auth": { "enabled": true } }))).await;
    Browser::new(&closed.base)
        .register("ann@example.com")
        .await
        .expect_error(403, "registration_closed");
    let guests_only = e
        .app(manifest("guestonly", json!({ "sub_auth": { "enabled": true, "strategy": "anonymous_session", "allow_registration": true } })))
        .await;
    Browser::new(&guests_only.base)
        .register("ann@example.com")
        .await
        .expect_error(404, "not_enabled");
}

#[tokio::test]
async fn register_refuses_duplicates_and_bad_input() {
    let e = env().await;
    let app = e.app(users_manifest("dups")).await;
    let mut b = Browser::new(&app.base);
    b.register("ann@example.com").await.expect(201);
    Browser::new(&app.base).register("ANN@example.com").await.expect_error(409, "email_taken");
    let a = Browser::new(&app.base)
        .post("/auth/register", json!({ "email": "bob@example.com", "password": "short" }))
        .await;
    a.expect_error(400, "invalid_input");
    assert!(a.text.contains("password"), "{}", a.text);
    Browser::new(&app.base).register("not-an-email").await.expect_error(400, "invalid_input");
    Browser::new(&app.base)
        .post("/auth/register", json!({ "email": 1 }))
        .await
        .expect_error(400, "invalid_input");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let e = env().await;
    let app = e.app(users_manifest("same")).await;
    Browser::new(&app.base).register("ann@example.com").await.expect(201);
    let wrong = Browser::new(&app.base).login("ann@example.com", "wrong password!").await;
    let unknown = Browser::new(&app.base).login("nobody@example.com", "wrong password!").await;
    wrong.expect_error(401, "invalid_login");
    assert_eq!((wrong.status, &wrong.text), (unknown.status, &unknown.text));
    assert!(wrong.set_cookies.is_empty() && unknown.set_cookies.is_empty());
}

#[tokio::test]
async fn unknown_users_cost_the_same_password_work_as_wrong_passwords() {
    // Timing is not asserted (shared machines are noisy): the work is. Every
    // failed login runs exactly one argon2 verification, against the real
    // hash or, for an unknown account, against a dummy one. The login bench
    // reports the timings.
    let e = env().await;
    let cfg = config().with_throttle(
        mdbr_auth::ThrottleConfig::new()
            .with_max_account_failures(100)
            .with_max_address_failures(100),
    );
    let app = e.app_with(users_manifest("timing"), cfg).await;
    let mut b = Browser::new(&app.base);
    b.register("ann@example.com").await.expect(201);
    let count = || app.auth.password_verifications();
    for email in ["ann@example.com", "nobody@example.com", "NOBODY2@example.com"] {
        let before = count();
        for _ in 0..3 {
            b.login(email, "wrong password!").await.expect(401);
        }
        assert_eq!(count() - before, 3, "one verification per failed login for {email}");
    }
    let before = count();
    b.login("ann@example.com", crate::common::PASSWORD).await.expect(200);
    assert_eq!(count() - before, 1);
}

#[tokio::test]
async fn cookie_flags_in_dev_mode_and_outside() {
    let e = env().await;
    let dev = e.app(users_manifest("dev")).await;
    let mut b = Browser::new(&dev.base);
    let a = b.register("ann@example.com").await;
    let session = a.set_cookie("app_session_dev").expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=86400"] {
        assert!(session.contains(flag), "{session} lacks {flag}");
    }
    assert!(!session.contains("Secure"), "dev mode serves plain http: {session}");
    let csrf = a.set_cookie("mdbr_csrf_dev").expect("csrf cookie");
    assert!(!csrf.contains("HttpOnly"), "the CSRF cookie is readable by the page: {csrf}");

    let prod_cfg = config().with_dev_mode(false);
    let custom = manifest(
        "prod",
        json!({ "sub_auth": { "enabled": true, "allow_registration": true, "session_cookie_name": "sid", "session_ttl_seconds": 120 } }),
    );
    let prod = e.app_with(custom, prod_cfg).await;
    let a = Browser::new(&prod.base).register("ann@example.com").await;
    let session = a.set_cookie("sid_prod").expect("cookie named <session_cookie_name>_<slug>");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure", "Max-Age=120"] {
        assert!(session.contains(flag), "{session} lacks {flag}");
    }
    assert!(a.set_cookie("mdbr_csrf_prod").unwrap().contains("Secure"));
}

#[tokio::test]
async fn bearer_sessions_and_stored_hashes() {
    let e = env().await;
    let app = e.app(users_manifest("bearer")).await;
    let token = bearer_session(&app, "ann@example.com").await;
    assert!(token.starts_with("mdbrs_") && token.len() >= 6 + 43, "256-bit token: {token}");
    let mut b = Browser::new(&app.base).bearer(&token);
    b.origin = None;
    let me = b.get("/auth/me").await;
    me.expect(200);
    assert_eq!(me.body["email"], "ann@example.com");

    let sessions = app.db.collection::<Document>(SESSIONS_COLLECTION).unwrap();
    let stored: Vec<Document> = {
        let mut c = sessions.find(doc! {}).await.unwrap();
        let mut v = Vec::new();
        while c.advance().await.unwrap() {
            v.push(c.deserialize_current().unwrap());
        }
        v
    };
    assert_eq!(stored.len(), 1);
    let id = stored[0].get_str("_id").unwrap();
    assert_eq!(id.len(), 64, "a SHA-256 hex digest");
    assert!(!format!("{stored:?}").contains(&token[6..]), "the token itself is never stored");

    let mut b = Browser::new(&app.base).bearer("mdbrs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    b.get("/auth/me").await.expect_error(401, "invalid_credential");
    let mut b = Browser::new(&app.base);
    b.headers.push(("authorization".into(), format!("Basic {token}")));
    b.get("/auth/me").await.expect_error(401, "invalid_credential");
}

#[tokio::test]
async fn expired_sessions_are_refused_on_lookup() {
    let e = env().await;
    let app = e.app(users_manifest("expiry")).await;
    let token = bearer_session(&app, "ann@example.com").await;
    let mut b = Browser::new(&app.base).bearer(&token);
    b.get("/api/user").await.expect(200);
    // The TTL monitor is lazy: the expiry must be checked on lookup.
    let sessions = app.db.collection::<Document>(SESSIONS_COLLECTION).unwrap();
    sessions
        .update_many(doc! {}, doc! { "$set": { "expires_at": DateTime::from_millis(DateTime::now().timestamp_millis() - 1000) } })
        .await
        .unwrap();
    let a = b.get("/api/user").await;
    a.expect_error(401, "invalid_credential");
    assert!(a.text.contains("expired"), "{}", a.text);
    assert_eq!(sessions.count_documents(doc! {}).await.unwrap(), 0, "expired session removed");
}

#[tokio::test]
async fn logout_all_and_revocation() {
    let e = env().await;
    let app = e.app(users_manifest("revoke")).await;
    let first = bearer_session(&app, "ann@example.com").await;
    let mut second = Browser::new(&app.base);
    second.login("ann@example.com", PASSWORD).await.expect(200);
    let third = app.auth.login("ann@example.com", &Secret::new(PASSWORD), None).await.unwrap();

    let mut a = Browser::new(&app.base).bearer(&first);
    let out = a.post("/auth/logout_all", json!({})).await;
    out.expect(200);
    assert_eq!(out.body["sessions_ended"], 3);
    a.get("/auth/me").await.expect_error(401, "invalid_credential");
    second.get("/auth/me").await.expect_error(401, "invalid_credential");
    assert!(app.auth.session_user(&third.token).await.is_err());

    let user = app.auth.login("ann@example.com", &Secret::new(PASSWORD), None).await.unwrap();
    assert_eq!(app.auth.revoke_all_sessions(&user.user.id).await.unwrap(), 1);
    assert!(app.auth.session_user(&user.token).await.is_err());
}

#[tokio::test]
async fn change_password_revokes_other_sessions() {
    let e = env().await;
    let app = e.app(users_manifest("pw")).await;
    let mut a = Browser::new(&app.base);
    a.register("ann@example.com").await.expect(201);
    let mut other = Browser::new(&app.base);
    other.login("ann@example.com", PASSWORD).await.expect(200);

    a.post(
        "/auth/password",
        json!({ "current_password": "not it at all", "new_password": "brand new secret" }),
    )
    .await
    .expect_error(403, "forbidden");
    a.post("/auth/password", json!({ "current_password": PASSWORD, "new_password": "short" }))
        .await
        .expect_error(400, "invalid_input");
    a.post(
        "/auth/password",
        json!({ "current_password": PASSWORD, "new_password": "brand new secret" }),
    )
    .await
    .expect(204);
    a.get("/auth/me").await.expect(200);
    other.get("/auth/me").await.expect_error(401, "invalid_credential");
    Browser::new(&app.base)
        .login("ann@example.com", PASSWORD)
        .await
        .expect_error(401, "invalid_login");
    Browser::new(&app.base).login("ann@example.com", "brand new secret").await.expect(200);
    Browser::new(&app.base)
        .post("/auth/password", json!({ "current_password": "x", "new_password": "y" }))
        .await
        .expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn prepare_creates_indexes_and_demo_users() {
    let e = env().await;
    let m = manifest(
        "demo",
        json!({ "sub_auth": {
            "enabled": true,
            "collection_name": "members",
            "demo_users": [{ "email": "Demo@Example.com", "password": "demo password", "roles": ["admin"] }]
        } }),
    );
    let app = e.app(m).await;
    app.auth.prepare().await.unwrap();
    let users = app.db.collection::<Document>("members").unwrap();
    let names = users.list_index_names().await.unwrap();
    assert!(names.iter().any(|n| n == EMAIL_INDEX), "{names:?}");
    assert_eq!(users.count_documents(doc! {}).await.unwrap(), 1, "prepare is idempotent");
    let sessions = app.db.collection::<Document>(SESSIONS_COLLECTION).unwrap();
    let ttl = sessions
        .list_indexes()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.keys == doc! { "expires_at": 1 })
        .expect("TTL index on expires_at");
    assert_eq!(ttl.options.and_then(|o| o.expire_after).map(|d| d.as_secs()), Some(0));

    let mut b = Browser::new(&app.base);
    let a = b.login("demo@example.com", "demo password").await;
    a.expect(200);
    assert_eq!(a.body["user"]["roles"], json!(["admin"]));
    let dup = app.auth.create_user(NewUser::new("DEMO@example.com", "another password")).await;
    assert!(matches!(dup, Err(Error::EmailTaken)), "{dup:?}");
    // The unique index holds even below the API.
    let raw = users.insert_one(doc! { "email": "demo@example.com" }).await;
    assert!(raw.is_err_and(|e| e.is_conflict()));
}

#[tokio::test]
async fn sessions_of_one_app_are_refused_by_another() {
    let e = env().await;
    let a = e.app(users_manifest("alpha")).await;
    let b = e.app(users_manifest("beta")).await;
    let token = bearer_session(&a, "ann@example.com").await;
    Browser::new(&a.base).bearer(&token).get("/auth/me").await.expect(200);
    Browser::new(&b.base)
        .bearer(&token)
        .get("/auth/me")
        .await
        .expect_error(401, "invalid_credential");
    let mut cookie = Browser::new(&b.base);
    cookie.cookies.insert("app_session_beta".into(), token);
    cookie.get("/api/whoami").await.expect_error(401, "invalid_credential");
    Browser::new(&b.base)
        .login("ann@example.com", PASSWORD)
        .await
        .expect_error(401, "invalid_login");
}

#[tokio::test]
async fn startup_errors_are_typed() {
    let e = env().await;
    let m = users_manifest("cfg");
    e.scope.register((&m).into()).await.unwrap();
    let db = e.scope.app("cfg").unwrap();
    let other = users_manifest("other");
    let err =
        mdbr_auth::AppAuth::new(db.clone(), &other, std::sync::Arc::new(config())).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
    let err = AuthConfig::from_lookup(|_| None).unwrap_err();
    assert!(
        matches!(err, Error::MissingEnv { .. }) && err.to_string().contains("MDBR_JWT_SECRET"),
        "{err}"
    );
}
