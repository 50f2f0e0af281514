//! Errors of the observability layer.

/// Result alias of the observability layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong while setting up or exporting observability.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A global `tracing` subscriber is already installed, or the filter is invalid.
    #[error("could not install the tracing subscriber: {0}")]
    Subscriber(String),
    /// The Prometheus exporter could not be built.
    #[error("could not build the Prometheus exporter")]
    Exporter(#[source] opentelemetry_sdk::error::OTelSdkError),
    /// The OTLP exporter could not be built.
    #[error("could not build the OTLP exporter: {0}")]
    Otlp(String),
    /// The metrics could not be encoded as Prometheus text.
    #[error("could not encode metrics as Prometheus text")]
    Encode(#[source] prometheus::Error),
}
