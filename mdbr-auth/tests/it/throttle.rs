//! Login throttling and lockout, per account and per client address.

use mdbr_auth::ThrottleConfig;
use serde_json::json;

use crate::common::{Browser, PASSWORD, config, env, users_manifest};

#[tokio::test]
async fn account_lockout_after_repeated_failures() {
    let e = env().await;
    let cfg = config().with_throttle(
        ThrottleConfig::new().with_max_account_failures(3).with_max_address_failures(100),
    );
    let app = e.app_with(users_manifest("lock"), cfg).await;
    Browser::new(&app.base).register("ann@example.com").await.expect(201);
    for _ in 0..3 {
        Browser::new(&app.base)
            .login("ann@example.com", "wrong password!")
            .await
            .expect_error(401, "invalid_login");
    }
    let locked = Browser::new(&app.base).login("ann@example.com", PASSWORD).await;
    locked.expect_error(429, "throttled");
    let retry: u64 = locked.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    // Unknown accounts lock the same way: no enumeration through lockouts.
    for _ in 0..3 {
        Browser::new(&app.base).login("ghost@example.com", "wrong password!").await.expect(401);
    }
    let ghost = Browser::new(&app.base).login("ghost@example.com", "wrong password!").await;
    ghost.expect_error(429, "throttled");
    // Other accounts are unaffected.
    Browser::new(&app.base).register("bob@example.com").await.expect(201);
    Browser::new(&app.base).login("bob@example.com", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn address_lockout_across_accounts_and_success_resets() {
    let e = env().await;
    let cfg = config().with_throttle(
        ThrottleConfig::new().with_max_account_failures(3).with_max_address_failures(4),
    );
    let app = e.app_with(users_manifest("addr"), cfg).await;
    Browser::new(&app.base).register("ann@example.com").await.expect(201);
    // Two failures, then a success, resets the account counter.
    for _ in 0..2 {
        Browser::new(&app.base).login("ann@example.com", "wrong password!").await.expect(401);
    }
    Browser::new(&app.base).login("ann@example.com", PASSWORD).await.expect(200);
    for _ in 0..2 {
        Browser::new(&app.base).login("ann@example.com", "wrong password!").await.expect(401);
    }
    // …but the address has now failed 4 times: every account is refused from it.
    let a = Browser::new(&app.base)
        .post("/auth/login", json!({ "email": "someone@example.com", "password": "whatever123" }))
        .await;
    a.expect_error(429, "throttled");
    Browser::new(&app.base).login("ann@example.com", PASSWORD).await.expect_error(429, "throttled");
}

#[tokio::test]
async fn lockout_expires() {
    let e = env().await;
    let cfg = config().with_throttle(
        ThrottleConfig::new()
            .with_max_account_failures(2)
            .with_lockout(std::time::Duration::from_millis(300)),
    );
    let app = e.app_with(users_manifest("expire"), cfg).await;
    Browser::new(&app.base).register("ann@example.com").await.expect(201);
    for _ in 0..2 {
        Browser::new(&app.base).login("ann@example.com", "wrong password!").await.expect(401);
    }
    Browser::new(&app.base).login("ann@example.com", PASSWORD).await.expect(429);
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    Browser::new(&app.base).login("ann@example.com", PASSWORD).await.expect(200);
}
