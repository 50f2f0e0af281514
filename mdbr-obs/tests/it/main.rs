//! Integration tests of the observability layer.
#![allow(missing_docs)]

#[cfg(feature = "otlp")]
mod otlp;
mod prometheus_text;
