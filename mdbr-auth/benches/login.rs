//! Login throughput: `AppAuth::login` (user lookup, argon2id verification,
//! session insert) against the embedded test database, with argon2id at the
//! default OWASP parameters (m = 19456 KiB, t = 2, p = 1).
//!
//! `cargo bench -p mdbr-auth --bench login` measures (200 logins by default,
//! `MDBR_BENCH_LOGINS` to change); under `cargo test` it does a 4-login smoke run.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Instant;

use mdbr_auth::{
    AppAuth, AuthConfig, NewUser, PasswordParams, PlatformJwt, Secret, ThrottleConfig,
};
use mdbr_core::Manifest;
use mdbr_scope::Scope;
use mdbr_test_support::TestDb;

const PASSWORD: &str = "benchmark password";

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let logins: usize = if measuring {
        std::env::var("MDBR_BENCH_LOGINS").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
    } else {
        4
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(logins, cores));
}

async fn run(logins: usize, cores: usize) {
    let t = TestDb::fresh().await.expect("a test database");
    let scope = Scope::new(t.db.clone());
    let manifest = Manifest::from_json_str(
        r#"{"slug": "bench", "name": "Bench", "sub_auth": {"enabled": true}}"#,
    )
    .unwrap()
    .manifest;
    scope.register((&manifest).into()).await.unwrap();
    let params = PasswordParams::OWASP;
    let config = AuthConfig::new(PlatformJwt::hs256([7u8; 32]).unwrap(), [9u8; 32])
        .unwrap()
        .with_password_params(params)
        .with_throttle(
            ThrottleConfig::new().with_max_account_failures(0).with_max_address_failures(0),
        );
    let auth = AppAuth::new(scope.app("bench").unwrap(), &manifest, Arc::new(config)).unwrap();
    auth.prepare().await.unwrap();
    auth.create_user(NewUser::new("bench@example.com", PASSWORD)).await.unwrap();
    for _ in 0..2 {
        auth.login("bench@example.com", &Secret::new(PASSWORD), None).await.unwrap();
    }

    let concurrency = (cores * 2).max(2);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let auth = auth.clone();
        let share = logins / concurrency + usize::from(worker < logins % concurrency);
        tasks.push(tokio::spawn(async move {
            for _ in 0..share {
                auth.login("bench@example.com", &Secret::new(PASSWORD), None).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = start.elapsed();
    println!("login throughput ({params})");
    println!(
        "  {logins} logins, {concurrency} concurrent, {cores} cores: {:.1} logins/s ({:.1} ms per login per core)",
        logins as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 * cores as f64 / logins as f64,
    );
}
