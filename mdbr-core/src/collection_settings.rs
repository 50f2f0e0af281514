//! Options applied when a collection is created (`collection_settings` in the manifest).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Creation options of one collection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionSettings {
    /// Schema validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationSettings>,
    /// Create a capped collection; needs `size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped: Option<bool>,
    /// Maximum size in bytes of a capped collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub size: Option<u64>,
    /// Maximum number of documents of a capped collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max: Option<u64>,
    /// Create a time-series collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeseries: Option<TimeseriesSettings>,
    /// Default collation document of the collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<Map<String, Value>>,
}

/// Document validation of a collection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidationSettings {
    /// The validator document, e.g. `{"$jsonSchema": {...}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<Map<String, Value>>,
    /// Which documents are validated (MongoDB's default is `strict`).
    #[serde(rename = "validationLevel", default, skip_serializing_if = "Option::is_none")]
    pub validation_level: Option<ValidationLevel>,
    /// What happens to invalid documents (MongoDB's default is `error`).
    #[serde(rename = "validationAction", default, skip_serializing_if = "Option::is_none")]
    pub validation_action: Option<ValidationAction>,
}

/// `validationLevel` of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ValidationLevel {
    /// No validation.
    Off,
    /// Validate every insert and update.
    Strict,
    /// Validate inserts and updates of already valid documents.
    Moderate,
}

/// `validationAction` of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ValidationAction {
    /// Refuse invalid documents.
    Error,
    /// Accept invalid documents and log a warning.
    Warn,
}

/// Time-series options of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeseriesSettings {
    /// Field holding each measurement's date.
    #[serde(rename = "timeField")]
    pub time_field: String,
    /// Field holding the series' metadata.
    #[serde(rename = "metaField", default, skip_serializing_if = "Option::is_none")]
    pub meta_field: Option<String>,
    /// Expected interval between measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<Granularity>,
}

/// `granularity` of a time-series collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Granularity {
    /// Measurements seconds apart.
    Seconds,
    /// Measurements minutes apart.
    Minutes,
    /// Measurements hours apart.
    Hours,
}
