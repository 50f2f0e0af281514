//! Observability for mdbr apps: tracing setup with app context,
//! OpenTelemetry metrics exported as Prometheus text, and health checks.
//!
//! **Not built yet.** This crate is an empty placeholder in the workspace;
//! its contents are delivered by the RuntimeEngine issue. It exports nothing.
