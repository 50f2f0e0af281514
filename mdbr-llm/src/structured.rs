//! Structured output: the JSON Schema of a Rust type, and local validation of replies.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::provider::SchemaSpec;

/// The schema of `T`, subschemas inlined where possible.
pub(crate) fn schema_for<T: JsonSchema>() -> SchemaSpec {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let name: String = T::schema_name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    SchemaSpec { name, schema: schema.to_value() }
}

/// A compiled schema that checks replies.
pub(crate) struct Checker {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Checker")
    }
}

impl Checker {
    pub(crate) fn new(spec: &SchemaSpec) -> Result<Self> {
        let validator =
            jsonschema::validator_for(&spec.schema).map_err(|e| Error::Schema(e.to_string()))?;
        Ok(Self { validator })
    }

    /// The reply as `T`, or a description of every mismatch.
    pub(crate) fn check<T: DeserializeOwned>(&self, reply: &str) -> Result<T, String> {
        let text = strip_fences(reply);
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("reply is not valid JSON ({e})"))?;
        let problems: Vec<String> = self
            .validator
            .iter_errors(&value)
            .map(|e| {
                let path = e.instance_path().to_string();
                let at = if path.is_empty() { "/".to_owned() } else { path };
                format!("at `{at}`: {e}")
            })
            .collect();
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        serde_json::from_value(value).map_err(|e| format!("reply does not fit the type ({e})"))
    }
}

/// Removes a Markdown code fence around JSON, as models in JSON mode sometimes add.
fn strip_fences(reply: &str) -> &str {
    let t = reply.trim();
    let Some(rest) = t.strip_prefix("```") else { return t };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, JsonSchema, PartialEq)]
    struct Person {
        name: String,
        age: u32,
    }

    #[test]
    fn reports_what_did_not_match() {
        let checker = Checker::new(&schema_for::<Person>()).unwrap();
        let ok: Person = checker.check("```json\n{\"name\":\"Ada\",\"age\":36}\n```").unwrap();
        assert_eq!(ok, Person { name: "Ada".into(), age: 36 });
        let err = checker.check::<Person>(r#"{"name":"Ada","age":"old"}"#).unwrap_err();
        assert!(err.contains("/age"), "{err}");
        let err = checker.check::<Person>(r#"{"name":"Ada"}"#).unwrap_err();
        assert!(err.contains("age"), "{err}");
        assert!(checker.check::<Person>("not json").unwrap_err().contains("not valid JSON"));
    }
}
