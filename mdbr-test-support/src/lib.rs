//! Test servers and fixtures for mdbr's own test suites.
//!
//! [`TestDb::fresh`] hands each test its own database on the backend named by
//! `MDBR_TEST_BACKEND`:
//! - `lite` (the default when built with the `lite` feature): the in-repo
//!   `mdbr-lite` engine, started in-process on a background thread;
//! - `secantus`: the SecantusDB reference server (`pip install secantusdb`),
//!   started as `python3 -m secantus --port <free port> --storage-path :memory:`
//!   and stopped when the test process ends;
//! - or any MongoDB at `MDBR_TEST_MONGODB_URI`, which wins over both.
//!
//! With the `oauth-mock` feature, `MockOAuth` is a loopback OAuth2/OIDC
//! provider (authorize, token with a PKCE check, userinfo).
//!
//! One server is started per test process and shared by its tests; every
//! test gets a fresh database name, so tests never see each other's data.

mod backend;
#[cfg(any(feature = "llm-mocks", feature = "oauth-mock"))]
mod loopback;
#[cfg(feature = "llm-mocks")]
pub mod mock_llm;
#[cfg(feature = "oauth-mock")]
pub mod mock_oauth;
mod testdb;

pub use backend::{Backend, BackendError, server_uri};
#[cfg(feature = "llm-mocks")]
pub use mock_llm::{MockBody, MockProvider, MockReply, RecordedRequest};
#[cfg(feature = "oauth-mock")]
pub use mock_oauth::{MockOAuth, MockOAuthUser, TokenRequest};
pub use testdb::TestDb;
