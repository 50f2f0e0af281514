//! Requests received by the mock provider.

use serde_json::Value;

/// One request the mock received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query, e.g. `/v1beta/models/m:generateContent`.
    pub path: String,
    /// Headers as `(lowercase name, value)`.
    pub headers: Vec<(String, String)>,
    /// JSON body (`Null` when empty or not JSON).
    pub body: Value,
}

impl RecordedRequest {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}
