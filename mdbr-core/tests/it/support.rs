//! Helpers shared by the integration tests.

use mdbr_core::{Manifest, ProblemKind, Report};
use serde_json::{Value, json};

/// A minimal valid manifest document.
pub(crate) fn base() -> Value {
    json!({"slug": "app", "name": "App"})
}

/// `base()` with `section` set to `value`.
pub(crate) fn with(section: &str, value: Value) -> Value {
    let mut doc = base();
    doc[section] = value;
    doc
}

/// Loads `doc`, which must be refused, and returns the report.
#[track_caller]
pub(crate) fn invalid(doc: Value) -> Report {
    match Manifest::from_json_str(&doc.to_string()) {
        Ok(loaded) => panic!("expected errors, manifest loaded: {:?}", loaded.manifest),
        Err(err) => err.report().cloned().unwrap_or_else(|| panic!("expected a report, got {err}")),
    }
}

/// Loads `doc`, which must be accepted without warnings.
#[track_caller]
pub(crate) fn valid(doc: Value) -> Manifest {
    match Manifest::from_json_str(&doc.to_string()) {
        Ok(loaded) => {
            assert!(loaded.warnings.is_empty(), "unexpected warnings: {:?}", loaded.warnings);
            loaded.manifest
        }
        Err(err) => panic!("expected a valid manifest: {err}"),
    }
}

/// Asserts that `report` has an error of `kind` at `pointer`.
#[track_caller]
pub(crate) fn has_error(report: &Report, pointer: &str, kind: ProblemKind) {
    match report.error_at(pointer) {
        Some(p) => assert_eq!(p.kind, kind, "wrong kind for {p}\nall:\n{report}"),
        None => panic!("no error at {pointer}; errors:\n{report}"),
    }
}

/// Asserts that `doc` is refused with exactly one error, of `kind` at `pointer`.
#[track_caller]
pub(crate) fn only_error(doc: Value, pointer: &str, kind: ProblemKind) -> Report {
    let report = invalid(doc);
    has_error(&report, pointer, kind);
    assert_eq!(report.errors.len(), 1, "expected one error:\n{report}");
    report
}
