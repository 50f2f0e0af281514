//! An embedded MongoDB-wire-compatible engine (work in progress).
