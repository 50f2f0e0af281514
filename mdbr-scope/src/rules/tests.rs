//! Unit tests of the scoping rules.
