//! Integration tests of the websocket hub over real websocket connections on
//! loopback: two apps, each declaring the same endpoints, served by axum.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod delivery;
mod handlers;
mod limits;
mod logging;
mod support;
mod upgrade;
