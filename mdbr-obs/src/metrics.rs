//! OpenTelemetry metrics under the `mdbr_` prefix, exported as Prometheus text.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use foldhash::fast::FixedState;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, MeterProvider, ObservableCounter};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use prometheus::{Encoder, TextEncoder};

use mdbr_scope::{Operation, OperationEvent, Outcome, QueryObserver};

use crate::error::{Error, Result};

/// Buckets for operation durations, in seconds (100 µs to 10 s).
const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// The runtime's metrics: one meter provider and its Prometheus registry.
///
/// As a [`QueryObserver`] it counts every scoped operation by app,
/// collection, operation and outcome, and records its duration.
#[derive(Debug)]
pub struct Metrics {
    registry: prometheus::Registry,
    provider: SdkMeterProvider,
    /// Per-collection operation counts and attribute sets, read by the
    /// `mdbr_db_operations` callback at collection time.
    series: Arc<SeriesMap>,
    _db_operations: ObservableCounter<u64>,
    db_duration: Histogram<f64>,
    app_operations: Counter<u64>,
    app_duration: Histogram<f64>,
    index_builds: Counter<u64>,
    registrations: Counter<u64>,
}

impl Metrics {
    /// A fresh provider with its own Prometheus registry.
    pub fn new() -> Result<Self> {
        Self::build(Ok)
    }

    /// Like [`Metrics::new`], and also pushes every metric to an
    /// OpenTelemetry collector at `endpoint` (OTLP over HTTP, e.g.
    /// `http://127.0.0.1:4318/v1/metrics`) every `interval`.
    #[cfg(feature = "otlp")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
    pub fn with_otlp(endpoint: &str, interval: Duration) -> Result<Self> {
        use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_http()
            .with_endpoint(endpoint)
            .with_headers(Default::default())
            .build()
            .map_err(|e| Error::Otlp(e.to_string()))?;
        let reader = opentelemetry_sdk::metrics::PeriodicReader::builder(exporter)
            .with_interval(interval)
            .build();
        Self::build(move |b| Ok(b.with_reader(reader)))
    }

    fn build(
        extra: impl FnOnce(
            opentelemetry_sdk::metrics::MeterProviderBuilder,
        ) -> Result<opentelemetry_sdk::metrics::MeterProviderBuilder>,
    ) -> Result<Self> {
        let registry = prometheus::Registry::new();
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .without_target_info()
            .build()
            .map_err(Error::Exporter)?;
        let provider = extra(SdkMeterProvider::builder().with_reader(exporter))?.build();
        let meter = provider.meter("mdbr");
        let seconds = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_description(description)
                .with_unit("s")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build()
        };
        let series = Arc::new(SeriesMap::default());
        let observed = series.clone();
        Ok(Self {
            _db_operations: meter
                .u64_observable_counter("mdbr_db_operations")
                .with_description(
                    "Scoped database operations by app, collection, operation and outcome",
                )
                .with_callback(move |observer| {
                    observed.each(|s| observer.observe(s.count(), &s.attrs))
                })
                .build(),
            series,
            db_duration: seconds(
                "mdbr_db_operation_duration",
                "Duration of scoped database operations",
            ),
            app_operations: meter
                .u64_counter("mdbr_app_operations")
                .with_description("Operations recorded by app code with record_operation")
                .build(),
            app_duration: seconds(
                "mdbr_app_operation_duration",
                "Duration of operations recorded by app code",
            ),
            index_builds: meter
                .u64_counter("mdbr_index_builds")
                .with_description("Index builds by app, collection, kind and outcome")
                .build(),
            registrations: meter
                .u64_counter("mdbr_app_registrations")
                .with_description("App registrations by app and outcome")
                .build(),
            registry,
            provider,
        })
    }

    /// Records an operation of app code (`name`), e.g. a page render.
    pub fn record_operation(&self, app: &str, name: &str, duration: Duration, success: bool) {
        let attrs = [
            KeyValue::new("app", app.to_owned()),
            KeyValue::new("operation", name.to_owned()),
            KeyValue::new("outcome", if success { "success" } else { "failure" }),
        ];
        self.app_operations.add(1, &attrs);
        self.app_duration.record(duration.as_secs_f64(), &attrs);
    }

    /// Records an index build (`kind`: `declared`, `auto`, `search`, …).
    pub fn record_index_build(&self, app: &str, collection: &str, kind: &str, success: bool) {
        self.index_builds.add(
            1,
            &[
                KeyValue::new("app", app.to_owned()),
                KeyValue::new("collection", collection.to_owned()),
                KeyValue::new("kind", kind.to_owned()),
                KeyValue::new("outcome", if success { "success" } else { "failure" }),
            ],
        );
    }

    /// Records an app registration.
    pub fn record_registration(&self, app: &str, success: bool) {
        self.registrations.add(
            1,
            &[
                KeyValue::new("app", app.to_owned()),
                KeyValue::new("outcome", if success { "success" } else { "failure" }),
            ],
        );
    }

    /// Every metric, in the Prometheus text exposition format.
    pub fn render(&self) -> Result<String> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).map_err(Error::Encode)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Pushes pending metrics to the OTLP collector, if one is configured.
    pub fn force_flush(&self) -> Result<()> {
        self.provider.force_flush().map_err(Error::Exporter)
    }

    /// Flushes and stops the meter provider.
    pub fn shutdown(&self) {
        let _ = self.provider.shutdown();
    }
}

impl QueryObserver for Metrics {
    fn on_operation(&self, event: &OperationEvent<'_>) {
        // The attribute set of each (collection, operation, outcome) is built
        // once; the count is an atomic, and the histogram gets the cached set.
        self.series.with(event, |series| {
            series.count.fetch_add(1, Ordering::Relaxed);
            self.db_duration.record(event.duration.as_secs_f64(), &series.attrs);
        });
    }
}

/// One (app, collection, operation, outcome) series of scoped operations.
#[derive(Debug)]
struct Series {
    attrs: [KeyValue; 4],
    count: AtomicU64,
}

impl Series {
    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// The series of one physical collection, one slot per operation and outcome.
#[derive(Debug)]
struct CollectionSeries(Box<[OnceLock<Box<Series>>]>);

/// Series by physical collection name.
#[derive(Debug, Default)]
struct SeriesMap(RwLock<HashMap<String, CollectionSeries, FixedState>>);

impl SeriesMap {
    /// Runs `f` on the event's series, creating it on first use.
    fn with(&self, event: &OperationEvent<'_>, f: impl FnOnce(&Series)) {
        let success = matches!(event.outcome, Outcome::Success);
        let slot = event.operation.index() * 2 + usize::from(!success);
        let init = || {
            Box::new(Series {
                attrs: [
                    KeyValue::new("app", event.app.to_string()),
                    KeyValue::new("collection", event.collection.to_string()),
                    KeyValue::new("operation", event.operation.as_str()),
                    KeyValue::new("outcome", if success { "success" } else { "failure" }),
                ],
                count: AtomicU64::new(0),
            })
        };
        {
            let map = self.0.read().unwrap_or_else(|e| e.into_inner());
            if let Some(slots) = map.get(event.physical)
                && let Some(cell) = slots.0.get(slot)
            {
                f(cell.get_or_init(init));
                return;
            }
        }
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        let slots = map.entry(event.physical.to_owned()).or_insert_with(|| {
            CollectionSeries((0..Operation::COUNT * 2).map(|_| OnceLock::new()).collect())
        });
        if let Some(cell) = slots.0.get(slot) {
            f(cell.get_or_init(init));
        }
    }

    /// Calls `f` on every series used so far.
    fn each(&self, mut f: impl FnMut(&Series)) {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        for slots in map.values() {
            slots.0.iter().filter_map(OnceLock::get).for_each(|s| f(s));
        }
    }
}
