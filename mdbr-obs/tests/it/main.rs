//! Integration tests of the observability layer.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "otlp")]
mod otlp;
mod prometheus_text;
