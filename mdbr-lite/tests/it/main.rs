//! Integration tests for mdbr-lite through the official driver.
