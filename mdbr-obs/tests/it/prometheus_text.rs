//! Metric names and labels in the Prometheus text output.

use std::time::Duration;

use mdbr_obs::Metrics;

#[test]
fn app_operations_index_builds_and_registrations_are_exported() {
    let m = Metrics::new().unwrap();
    m.record_operation("shop", "checkout", Duration::from_millis(12), true);
    m.record_operation("shop", "checkout", Duration::from_millis(30), false);
    m.record_index_build("shop", "orders", "auto", true);
    m.record_registration("shop", true);
    let text = m.render().unwrap();
    let line = |prefix: &str, needle: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix) && l.contains(needle))
            .unwrap_or_else(|| panic!("{prefix} {needle}\n{text}"))
            .to_owned()
    };
    assert!(line("mdbr_app_operations_total", "outcome=\"success\"").ends_with(" 1"));
    assert!(line("mdbr_app_operations_total", "outcome=\"failure\"").ends_with(" 1"));
    assert!(
        line("mdbr_app_operation_duration_seconds_count", "operation=\"checkout\"").ends_with(" 1")
    );
    assert!(line("mdbr_index_builds_total", "kind=\"auto\"").contains("collection=\"orders\""));
    assert!(line("mdbr_app_registrations_total", "app=\"shop\"").ends_with(" 1"));
    // Durations are in seconds with sub-millisecond buckets.
    assert!(text.contains("le=\"0.0001\""), "{text}");
}
