//! Platform JWTs over HTTP, and the attacks they must withstand.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mdbr_auth::{JwtAlgorithm, PlatformClaims, PlatformJwt};
use serde_json::json;

use crate::common::{Browser, JWT_SECRET, TestApp, config, env, manifest};

const RSA_PRIVATE: &[u8] = include_bytes!("keys/rsa_private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("keys/rsa_public.pem");
const EC_PRIVATE: &[u8] = include_bytes!("keys/ec_private.pem");
const EC_PUBLIC: &[u8] = include_bytes!("keys/ec_public.pem");
const ED_PRIVATE: &[u8] = include_bytes!("keys/ed_private.pem");
const ED_PUBLIC: &[u8] = include_bytes!("keys/ed_public.pem");

fn hs() -> PlatformJwt {
    PlatformJwt::hs256(JWT_SECRET).unwrap()
}

fn claims(jwt: &PlatformJwt, apps: &[&str]) -> PlatformClaims {
    jwt.claims("platform-user-7", Duration::from_secs(600))
        .with_email("pat@example.com")
        .with_roles(["staff"])
        .with_apps(apps.iter().copied())
}

async fn status_with(app: &TestApp, token: &str) -> crate::common::Answer {
    Browser::new(&app.base).bearer(token).get("/api/whoami").await
}

#[tokio::test]
async fn platform_token_for_the_app_is_accepted() {
    let e = env().await;
    let app = e.app(manifest("pa", json!({}))).await;
    let token = hs().issue(&claims(&hs(), &["pa"])).unwrap();
    let a = status_with(&app, &token).await;
    a.expect(200);
    assert_eq!(a.body["kind"], "platform");
    assert_eq!(a.body["subject"], "platform-user-7");
    assert_eq!(a.body["roles"], json!(["staff"]));
    Browser::new(&app.base).bearer(&token).get("/api/platform").await.expect(200);
    Browser::new(&app.base)
        .bearer(&token)
        .get("/api/user")
        .await
        .expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn alg_none_is_refused() {
    let e = env().await;
    let app = e.app(manifest("none", json!({}))).await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(&hs(), &["none"])).unwrap());
    for token in [format!("{header}.{body}."), format!("{header}.{body}")] {
        status_with(&app, &token).await.expect_error(401, "invalid_credential");
    }
    // The signature of a real token does not make a `none` header acceptable either.
    let real = hs().issue(&claims(&hs(), &["none"])).unwrap();
    let sig = real.rsplit('.').next().unwrap();
    status_with(&app, &format!("{header}.{body}.{sig}"))
        .await
        .expect_error(401, "invalid_credential");
}

#[tokio::test]
async fn hs_rs_confusion_is_refused() {
    let e = env().await;
    let rs = PlatformJwt::from_pem(JwtAlgorithm::Rs256, Some(RSA_PRIVATE), RSA_PUBLIC).unwrap();
    let app = e.app_with(manifest("rsa", json!({})), config().with_jwt(rs.clone())).await;
    let good = rs.issue(&claims(&rs, &["rsa"])).unwrap();
    status_with(&app, &good).await.expect(200);
    // The attacker signs HS256 with the (public) RSA key as the HMAC secret.
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(&rs, &["rsa"]),
        &EncodingKey::from_secret(RSA_PUBLIC),
    )
    .unwrap();
    let a = status_with(&app, &forged).await;
    a.expect_error(401, "invalid_credential");
    assert!(a.text.contains("algorithm"), "{}", a.text);
    // And an HS256 token made with the platform secret of another config.
    let other = hs().issue(&claims(&hs(), &["rsa"])).unwrap();
    status_with(&app, &other).await.expect_error(401, "invalid_credential");
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let e = env().await;
    let app = e.app(manifest("clock", json!({}))).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let expired = hs().issue(&claims(&hs(), &["clock"]).with_expiry(now - 3600)).unwrap();
    let a = status_with(&app, &expired).await;
    a.expect_error(401, "invalid_credential");
    assert!(a.text.contains("expired"), "{}", a.text);
    let early = hs().issue(&claims(&hs(), &["clock"]).with_not_before(now + 3600)).unwrap();
    let a = status_with(&app, &early).await;
    a.expect_error(401, "invalid_credential");
    assert!(a.text.contains("not valid yet"), "{}", a.text);
}

#[tokio::test]
async fn wrong_audience_issuer_and_signature_are_refused() {
    let e = env().await;
    let app = e.app(manifest("aud", json!({}))).await;
    let aud = hs().issue(&claims(&hs(), &["aud"]).with_audience("someone-else")).unwrap();
    let a = status_with(&app, &aud).await;
    a.expect_error(401, "invalid_credential");
    assert!(a.text.contains("audience"), "{}", a.text);
    let iss = hs().issue(&claims(&hs(), &["aud"]).with_issuer("evil")).unwrap();
    status_with(&app, &iss).await.expect_error(401, "invalid_credential");
    let good = hs().issue(&claims(&hs(), &["aud"])).unwrap();
    let mut parts: Vec<&str> = good.split('.').collect();
    let elevated = URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&claims(&hs(), &["aud"]).with_roles(["admin"])).unwrap());
    parts[1] = &elevated;
    status_with(&app, &parts.join(".")).await.expect_error(401, "invalid_credential");
    let other_key = PlatformJwt::hs256("another-secret-0123456789abcdef0123456").unwrap();
    let foreign = other_key.issue(&claims(&other_key, &["aud"])).unwrap();
    status_with(&app, &foreign).await.expect_error(401, "invalid_credential");
}

#[tokio::test]
async fn token_of_app_a_is_refused_on_app_b() {
    let e = env().await;
    let a = e.app(manifest("a", json!({}))).await;
    let b = e.app(manifest("b", json!({}))).await;
    let token = hs().issue(&claims(&hs(), &["a"])).unwrap();
    status_with(&a, &token).await.expect(200);
    let refused = status_with(&b, &token).await;
    refused.expect_error(401, "invalid_credential");
    assert!(refused.text.contains("app `b`"), "{}", refused.text);
    let none = hs().issue(&claims(&hs(), &[])).unwrap();
    status_with(&a, &none).await.expect_error(401, "invalid_credential");
}

#[test]
fn every_algorithm_round_trips() {
    let slug = mdbr_core::AppSlug::parse("x").unwrap();
    for (alg, private, public) in [
        (JwtAlgorithm::Rs256, RSA_PRIVATE, RSA_PUBLIC),
        (JwtAlgorithm::Es256, EC_PRIVATE, EC_PUBLIC),
        (JwtAlgorithm::EdDsa, ED_PRIVATE, ED_PUBLIC),
    ] {
        let jwt = PlatformJwt::from_pem(alg, Some(private), public).unwrap();
        let token = jwt.issue(&claims(&jwt, &["x"])).unwrap();
        assert_eq!(jwt.verify_for_app(&token, &slug).unwrap().sub, "platform-user-7", "{alg:?}");
        let verifier = PlatformJwt::from_pem(alg, None, public).unwrap();
        assert!(verifier.verify_for_app(&token, &slug).is_ok());
        assert!(verifier.issue(&claims(&jwt, &["x"])).is_err(), "no private key, no issuing");
    }
    let es = PlatformJwt::from_pem(JwtAlgorithm::Es256, Some(EC_PRIVATE), EC_PUBLIC).unwrap();
    let ed = PlatformJwt::from_pem(JwtAlgorithm::EdDsa, Some(ED_PRIVATE), ED_PUBLIC).unwrap();
    let token = es.issue(&claims(&es, &["x"])).unwrap();
    assert!(ed.verify(&token).is_err(), "an ES256 token is not accepted by an EdDSA verifier");
    assert!(PlatformJwt::from_pem(JwtAlgorithm::Rs256, None, EC_PUBLIC).is_err());
}

#[test]
fn keys_from_files_through_the_environment_lookup() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/keys");
    let vars = |k: &str| match k {
        "MDBR_JWT_ALGORITHM" => Some("EdDSA".to_owned()),
        "MDBR_JWT_PRIVATE_KEY_FILE" => Some(format!("{dir}/ed_private.pem")),
        "MDBR_JWT_PUBLIC_KEY_FILE" => Some(format!("{dir}/ed_public.pem")),
        _ => None,
    };
    let jwt = PlatformJwt::from_lookup(vars, false).unwrap();
    assert_eq!(jwt.algorithm(), JwtAlgorithm::EdDsa);
    let token = jwt.issue(&claims(&jwt, &["x"])).unwrap();
    assert!(jwt.verify(&token).is_ok());
}
