//! OAuth2/OIDC sign-in against the loopback mock provider: authorization
//! code + PKCE (S256) + state, token exchange, userinfo, account linking.

use mdbr_auth::{Error, OAUTH_STATES_COLLECTION};
use mdbr_scope::bson::{Document, doc};
use mdbr_test_support::{MockOAuth, MockOAuthUser};
use serde_json::json;

use crate::common::{Browser, PASSWORD, TestApp, config, env, manifest};

const CLIENT_ID: &str = "mdbr-test-client";
const CLIENT_SECRET: &str = "mock-client-secret";

fn oauth_manifest(slug: &str, mock: &MockOAuth) -> mdbr_core::Manifest {
    manifest(
        slug,
        json!({ "sub_auth": {
            "enabled": true,
            "strategy": "hybrid",
            "allow_registration": true,
            "oauth_providers": [{
                "name": "custom",
                "client_id": CLIENT_ID,
                "client_secret_env": "MDBR_TEST_MOCK_OAUTH_SECRET",
                "auth_url": mock.auth_url(),
                "token_url": mock.token_url(),
                "userinfo_url": mock.userinfo_url(),
                "scopes": ["openid", "email", "profile"]
            }]
        } }),
    )
}

async fn oauth_app(e: &crate::common::Env, slug: &str, mock: &MockOAuth) -> TestApp {
    let cfg = config().with_oauth_secret("MDBR_TEST_MOCK_OAUTH_SECRET", CLIENT_SECRET);
    e.app_with(oauth_manifest(slug, mock), cfg).await
}

fn mock() -> MockOAuth {
    MockOAuth::start(CLIENT_ID, Some(CLIENT_SECRET)).unwrap()
}

/// Start → provider → the callback URL the provider sends the browser to.
async fn authorize(b: &mut Browser, mock: &MockOAuth) -> String {
    let start = b.get("/auth/oauth/custom/start?return_to=/dashboard").await;
    start.expect(303);
    let to_provider = start.location();
    assert!(to_provider.starts_with(&mock.auth_url()), "{to_provider}");
    for param in ["code_challenge_method=S256", "code_challenge=", "state=", "response_type=code"] {
        assert!(to_provider.contains(param), "{to_provider} lacks {param}");
    }
    let binding = start.set_cookie("mdbr_oauth_").unwrap_or_default().to_owned();
    assert!(start.set_cookies.iter().any(|c| c.contains("HttpOnly")), "{binding}");
    let provider = b.get(&to_provider).await;
    provider.expect(302);
    let callback = provider.location();
    assert!(callback.starts_with(&format!("{}/auth/oauth/custom/callback?", b.base)), "{callback}");
    callback
}

fn replace_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|p| {
            if p.starts_with(&format!("{name}=")) {
                format!("{name}={value}")
            } else {
                p.to_owned()
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

#[tokio::test]
async fn oauth_sign_in_creates_a_user_and_a_session() {
    let e = env().await;
    let mock = mock();
    let app = oauth_app(&e, "social", &mock).await;
    let mut b = Browser::new(&app.base);
    let callback = authorize(&mut b, &mock).await;
    let done = b.get(&callback).await;
    done.expect(303);
    assert_eq!(done.location(), "/dashboard");
    assert!(done.set_cookie("app_session_social").is_some_and(|c| c.contains("HttpOnly")));
    let me = b.get("/auth/me").await;
    me.expect(200);
    assert_eq!(me.body["email"], "oauth.user@example.com");
    assert_eq!(me.body["kind"], "app_user");

    let requests = mock.token_requests();
    assert_eq!(requests.len(), 1);
    let form = &requests[0].form;
    assert_eq!(form["grant_type"], "authorization_code");
    assert!(form.get("code_verifier").is_some_and(|v| v.len() >= 43), "{form:?}");
    assert!(requests[0].client_authenticated, "the client secret came from the named variable");

    // The callback is single-use.
    let mut again = Browser::new(&app.base);
    again.cookies = b.cookies.clone();
    again.get(&callback).await.expect_error(400, "oauth_refused");

    // A second sign-in finds the same user through the linked identity.
    let mut b2 = Browser::new(&app.base);
    let callback = authorize(&mut b2, &mock).await;
    b2.get(&callback).await.expect(303);
    assert_eq!(b2.get("/auth/me").await.body["subject"], me.body["subject"]);
}

#[tokio::test]
async fn verified_email_links_to_an_existing_account() {
    let e = env().await;
    let mock = mock();
    let app = oauth_app(&e, "link", &mock).await;
    let mut owner = Browser::new(&app.base);
    owner.register("oauth.user@example.com").await.expect(201);
    let subject = owner.get("/auth/me").await.body["subject"].clone();

    let mut b = Browser::new(&app.base);
    let callback = authorize(&mut b, &mock).await;
    b.get(&callback).await.expect(303);
    assert_eq!(b.get("/auth/me").await.body["subject"], subject, "linked, not duplicated");
    Browser::new(&app.base).login("oauth.user@example.com", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn unverified_email_is_not_linked() {
    let e = env().await;
    let mock = mock();
    mock.set_user(MockOAuthUser {
        sub: "sneaky".into(),
        email: "victim@example.com".into(),
        email_verified: false,
        name: "Mallory".into(),
    });
    let app = oauth_app(&e, "unverified", &mock).await;
    Browser::new(&app.base).register("victim@example.com").await.expect(201);
    let mut b = Browser::new(&app.base);
    let callback = authorize(&mut b, &mock).await;
    let a = b.get(&callback).await;
    a.expect_error(403, "email_unverified");
    assert!(a.text.contains("not verified"), "{}", a.text);
    assert!(!b.cookies.contains_key("app_session_unverified"));
}

#[tokio::test]
async fn wrong_or_missing_state_is_refused() {
    let e = env().await;
    let mock = mock();
    let app = oauth_app(&e, "state", &mock).await;
    let mut b = Browser::new(&app.base);
    let callback = authorize(&mut b, &mock).await;
    let a = b.get(&replace_param(&callback, "state", "forged-state")).await;
    a.expect_error(400, "oauth_refused");
    assert!(a.text.contains("state"), "{}", a.text);
    let (base, query) = callback.split_once('?').unwrap();
    let code_only: Vec<&str> = query.split('&').filter(|p| p.starts_with("code=")).collect();
    b.get(&format!("{base}?{}", code_only.join("&"))).await.expect_error(400, "oauth_refused");
    assert!(mock.token_requests().is_empty(), "no code exchange without a valid state");
    // The genuine callback still works afterwards.
    b.get(&callback).await.expect(303);
}

#[tokio::test]
async fn state_is_bound_to_the_browser() {
    let e = env().await;
    let mock = mock();
    let app = oauth_app(&e, "bound", &mock).await;
    let mut victim = Browser::new(&app.base);
    let callback = authorize(&mut victim, &mock).await;
    // An attacker who lures someone else's browser onto their callback URL:
    let mut other = Browser::new(&app.base);
    let a = other.get(&callback).await;
    a.expect_error(400, "oauth_refused");
    assert!(a.text.contains("another browser"), "{}", a.text);
}

#[tokio::test]
async fn missing_pkce_verifier_is_refused() {
    let e = env().await;
    let mock = mock();
    let app = oauth_app(&e, "pkce", &mock).await;
    let mut b = Browser::new(&app.base);
    let callback = authorize(&mut b, &mock).await;
    let states = app.db.collection::<Document>(OAUTH_STATES_COLLECTION).unwrap();
    assert_eq!(states.count_documents(doc! { "verifier": { "$exists": true } }).await.unwrap(), 1);
    states.update_many(doc! {}, doc! { "$unset": { "verifier": "" } }).await.unwrap();
    let a = b.get(&callback).await;
    a.expect_error(400, "oauth_refused");
    assert!(a.text.contains("PKCE verifier"), "{}", a.text);
    assert!(mock.token_requests().is_empty());
}

#[tokio::test]
async fn the_provider_checks_the_pkce_verifier() {
    let e = env().await;
    let mock = mock();
    let app = oauth_app(&e, "verifier", &mock).await;
    let mut b = Browser::new(&app.base);
    let callback = authorize(&mut b, &mock).await;
    let states = app.db.collection::<Document>(OAUTH_STATES_COLLECTION).unwrap();
    let wrong = "w".repeat(64);
    states.update_many(doc! {}, doc! { "$set": { "verifier": &wrong } }).await.unwrap();
    let a = b.get(&callback).await;
    a.expect_error(400, "oauth_refused");
    assert!(a.text.contains("invalid_grant"), "{}", a.text);
    assert_eq!(mock.token_requests()[0].form["code_verifier"], wrong);

    // And the mock itself refuses a token request with no verifier at all.
    let mut b2 = Browser::new(&app.base);
    let callback = authorize(&mut b2, &mock).await;
    let code = callback.split("code=").nth(1).unwrap().split('&').next().unwrap();
    let answer = reqwest::Client::new()
        .post(mock.token_url())
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}",
            format!("{}/auth/oauth/custom/callback", app.base)
                .replace(':', "%3A")
                .replace('/', "%2F")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn provider_errors_and_unknown_providers() {
    let e = env().await;
    let mock = mock();
    let app = oauth_app(&e, "errs", &mock).await;
    let mut b = Browser::new(&app.base);
    b.get("/auth/oauth/google/start").await.expect_error(404, "unknown_provider");
    let a = b.get("/auth/oauth/custom/callback?error=access_denied&state=x").await;
    a.expect_error(400, "oauth_refused");
    assert!(a.text.contains("access_denied"), "{}", a.text);
    let plain = e.app(crate::common::users_manifest("plain")).await;
    Browser::new(&plain.base)
        .get("/auth/oauth/custom/start")
        .await
        .expect_error(404, "not_enabled");
}

#[tokio::test]
async fn a_missing_client_secret_variable_is_named() {
    let e = env().await;
    let mock = mock();
    let mut m = oauth_manifest("nosecret", &mock);
    m.sub_auth.oauth_providers[0].client_secret_env = Some("MDBR_TEST_SURELY_UNSET_SECRET".into());
    e.scope.register((&m).into()).await.unwrap();
    let db = e.scope.app("nosecret").unwrap();
    let err = mdbr_auth::AppAuth::new(db, &m, std::sync::Arc::new(config())).unwrap_err();
    assert!(matches!(err, Error::MissingEnv { .. }), "{err}");
    assert!(err.to_string().contains("MDBR_TEST_SURELY_UNSET_SECRET"), "{err}");
}
