//! The manifest validator: walks the JSON document against the manifest
//! format and collects every problem, each with its JSON pointer and a hint.
//!
//! The checker accepts exactly what the typed model reads (after the legacy
//! rewrite), so a document without errors always deserializes.

mod auth;
mod indexes;
mod services;

use serde_json::{Map, Value};

use crate::name::AppSlug;
use crate::problem::{Problem, ProblemKind, Report};

/// Validates a whole manifest document.
pub(crate) fn check(root: &Value) -> Report {
    let mut checker = Checker::default();
    checker.root(root);
    checker.report
}

const TOP_LEVEL: &[&str] = &[
    "schema_version",
    "slug",
    "name",
    "description",
    "status",
    "developer_id",
    "auth_policy",
    "sub_auth",
    "data_access",
    "managed_indexes",
    "auto_indexes",
    "collection_settings",
    "initial_data",
    "websockets",
    "llm_config",
    "embedding_config",
    "cors",
    "observability",
];

const STATUSES: &[&str] = &["active", "draft", "inactive", "archived"];

/// A key that is not part of the format but gets special treatment.
#[derive(Clone, Copy)]
enum Extra {
    /// Accepted with a warning carrying this hint.
    Legacy(&'static str),
    /// A secret value; the hint names the field that should be used instead.
    Secret(&'static str),
}

#[derive(Default)]
struct Checker {
    report: Report,
    /// The manifest's own slug, once known to be valid.
    slug: Option<String>,
}

impl Checker {
    fn root(&mut self, value: &Value) {
        let Some(map) = self.object("", value) else { return };
        let extras: Vec<(&str, Extra)> =
            crate::legacy::TOP_LEVEL.iter().map(|(k, hint)| (*k, Extra::Legacy(hint))).collect();
        self.keys("", map, TOP_LEVEL, &extras);

        let schema_version = self.string("", map, "schema_version", false);
        if let Some(v) = schema_version {
            self.schema_version("/schema_version", v);
        }
        if let Some(v) = self.string("", map, "version", false) {
            self.schema_version("/version", v);
            if schema_version.is_some_and(|sv| sv != v) {
                self.error(
                    Problem::new(
                        "/version",
                        ProblemKind::Conflict,
                        "legacy `version` disagrees with `schema_version`",
                    )
                    .with_hint("remove `version`"),
                );
            }
        }

        if let Some(slug) = self.string("", map, "slug", true) {
            match AppSlug::parse(slug) {
                Ok(_) => self.slug = Some(slug.to_owned()),
                Err(err) => self.error(
                    Problem::new("/slug", ProblemKind::Invalid, err.to_string())
                        .with_hint(SLUG_HINT),
                ),
            }
        }
        if let Some(name) = self.string("", map, "name", true)
            && name.trim().is_empty()
        {
            self.error(Problem::new("/name", ProblemKind::Invalid, "must not be empty"));
        }
        self.string("", map, "description", false);
        self.enumeration("", map, "status", STATUSES);
        if let Some(dev) = self.string("", map, "developer_id", false)
            && !is_email(dev)
        {
            self.error(
                Problem::new(
                    "/developer_id",
                    ProblemKind::Invalid,
                    format!("`{dev}` is not an email address"),
                )
                .with_hint("the developer is identified by email, e.g. \"dev@example.com\""),
            );
        }

        if let Some(v) = map.get("auth_policy") {
            self.auth_policy("/auth_policy", v);
        }
        if let Some(legacy) = self.boolean("", map, "auth_required")
            && let Some(current) =
                map.get("auth_policy").and_then(|p| p.get("required")).and_then(Value::as_bool)
            && current != legacy
        {
            self.error(
                Problem::new(
                    "/auth_required",
                    ProblemKind::Conflict,
                    "legacy `auth_required` disagrees with `auth_policy.required`",
                )
                .with_hint("remove `auth_required`"),
            );
        }
        if let Some(v) = map.get("sub_auth") {
            self.sub_auth("/sub_auth", v);
        }
        if let Some(v) = map.get("data_access") {
            self.data_access("/data_access", v);
        }
        self.data_scope(map);
        if let Some(v) = map.get("managed_indexes") {
            self.managed_indexes("/managed_indexes", v);
        }
        if let Some(v) = map.get("auto_indexes") {
            self.auto_indexes("/auto_indexes", v);
        }
        if let Some(v) = map.get("collection_settings") {
            self.collection_settings("/collection_settings", v);
        }
        if let Some(v) = map.get("initial_data") {
            self.initial_data("/initial_data", v);
        }
        if let Some(v) = map.get("websockets") {
            self.websockets("/websockets", v);
        }
        if let Some(v) = map.get("llm_config") {
            self.llm_config("/llm_config", v);
        }
        if let Some(v) = map.get("embedding_config") {
            self.embedding_config("/embedding_config", v);
        }
        if let Some(v) = map.get("cors") {
            self.cors("/cors", v);
        }
        if let Some(v) = map.get("observability") {
            self.observability("/observability", v);
        }
    }

    fn schema_version(&mut self, ptr: &str, version: &str) {
        if version != crate::manifest::Manifest::SCHEMA_VERSION {
            self.error(
                Problem::new(
                    ptr,
                    ProblemKind::Invalid,
                    format!("unsupported schema version `{version}`"),
                )
                .with_hint("this runtime reads schema version \"2.0\""),
            );
        }
    }

    // ----- reporting -------------------------------------------------------

    fn error(&mut self, problem: Problem) {
        self.report.errors.push(problem);
    }

    fn warn(&mut self, problem: Problem) {
        self.report.warnings.push(problem);
    }

    fn missing(&mut self, ptr: String, hint: impl Into<String>) {
        self.error(Problem::new(ptr, ProblemKind::Missing, "required").with_hint(hint));
    }

    // ----- structure -------------------------------------------------------

    /// Reports unknown keys of `map`, with a suggestion when a known key is close.
    fn keys(
        &mut self,
        ptr: &str,
        map: &Map<String, Value>,
        known: &[&str],
        extras: &[(&str, Extra)],
    ) {
        for key in map.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            let at = child(ptr, key);
            match extras.iter().find(|(k, _)| k == key) {
                Some((_, Extra::Legacy(hint))) => {
                    self.warn(Problem::new(at, ProblemKind::LegacyKey, format!("legacy key `{key}`")).with_hint(*hint));
                }
                Some((_, Extra::Secret(instead))) => self.error(
                    Problem::new(at, ProblemKind::Secret, format!("`{key}` puts a secret in the manifest"))
                        .with_hint(format!(
                            "keep secrets in the environment: set an environment variable and name it in `{instead}`"
                        )),
                ),
                None => {
                    let hint = match suggest(key, known) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("known keys: {}", known.join(", ")),
                    };
                    self.error(
                        Problem::new(at, ProblemKind::UnknownKey, format!("unknown key `{key}`")).with_hint(hint),
                    );
                }
            }
        }
    }

    /// `value` as an object, or a type error.
    fn object<'a>(&mut self, ptr: &str, value: &'a Value) -> Option<&'a Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                self.wrong_type(ptr, "an object", other);
                None
            }
        }
    }

    /// `value` as an array, or a type error.
    fn array<'a>(&mut self, ptr: &str, value: &'a Value) -> Option<&'a [Value]> {
        match value {
            Value::Array(list) => Some(list),
            other => {
                self.wrong_type(ptr, "an array", other);
                None
            }
        }
    }

    fn wrong_type(&mut self, ptr: &str, expected: &str, found: &Value) {
        self.error(Problem::new(
            ptr,
            ProblemKind::WrongType,
            format!("expected {expected}, found {}", type_name(found)),
        ));
    }

    /// The object at `map[key]`, if present and an object.
    fn object_field<'a>(
        &mut self,
        ptr: &str,
        map: &'a Map<String, Value>,
        key: &str,
    ) -> Option<(String, &'a Map<String, Value>)> {
        let value = map.get(key)?;
        let at = child(ptr, key);
        let obj = self.object(&at, value)?;
        Some((at, obj))
    }

    /// The string at `map[key]`; reports a missing required key or a wrong type.
    fn string<'a>(
        &mut self,
        ptr: &str,
        map: &'a Map<String, Value>,
        key: &str,
        required: bool,
    ) -> Option<&'a str> {
        match map.get(key) {
            None => {
                if required {
                    self.missing(child(ptr, key), format!("add \"{key}\""));
                }
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                self.wrong_type(&child(ptr, key), "a string", other);
                None
            }
        }
    }

    /// A string that must not be empty.
    fn non_empty_string<'a>(
        &mut self,
        ptr: &str,
        map: &'a Map<String, Value>,
        key: &str,
        required: bool,
    ) -> Option<&'a str> {
        let s = self.string(ptr, map, key, required)?;
        if s.trim().is_empty() {
            self.error(Problem::new(child(ptr, key), ProblemKind::Invalid, "must not be empty"));
            return None;
        }
        Some(s)
    }

    /// The boolean at `map[key]`, or a type error.
    fn boolean(&mut self, ptr: &str, map: &Map<String, Value>, key: &str) -> Option<bool> {
        match map.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong_type(&child(ptr, key), "a boolean", other);
                None
            }
        }
    }

    /// The non-negative integer at `map[key]`, checked against `min..=max`.
    fn integer(
        &mut self,
        ptr: &str,
        map: &Map<String, Value>,
        key: &str,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        let value = map.get(key)?;
        self.integer_value(&child(ptr, key), value, min, max)
    }

    fn integer_value(&mut self, at: &str, value: &Value, min: u64, max: u64) -> Option<u64> {
        let Value::Number(n) = value else {
            self.wrong_type(at, "an integer", value);
            return None;
        };
        let n = match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u,
            (None, Some(_)) => {
                self.out_of_range(at, n, min, max);
                return None;
            }
            (None, None) => {
                self.error(Problem::new(
                    at,
                    ProblemKind::WrongType,
                    format!("expected an integer, found {n}"),
                ));
                return None;
            }
        };
        if n < min || n > max {
            self.out_of_range(at, &n, min, max);
            return None;
        }
        Some(n)
    }

    fn out_of_range(&mut self, at: &str, found: &dyn std::fmt::Display, min: u64, max: u64) {
        let message = if max == u64::MAX || max == u64::from(u32::MAX) {
            format!("must be at least {min}, found {found}")
        } else {
            format!("must be between {min} and {max}, found {found}")
        };
        self.error(Problem::new(at, ProblemKind::OutOfRange, message));
    }

    /// The number at `map[key]`, checked against `min..=max`.
    fn number(
        &mut self,
        ptr: &str,
        map: &Map<String, Value>,
        key: &str,
        min: f64,
        max: f64,
    ) -> Option<f64> {
        let value = map.get(key)?;
        let at = child(ptr, key);
        let Some(n) = value.as_f64() else {
            self.wrong_type(&at, "a number", value);
            return None;
        };
        if !(min..=max).contains(&n) {
            self.error(Problem::new(
                at,
                ProblemKind::OutOfRange,
                format!("must be between {min} and {max}, found {n}"),
            ));
            return None;
        }
        Some(n)
    }

    /// The string at `map[key]`, which must be one of `allowed`.
    fn enumeration<'a>(
        &mut self,
        ptr: &str,
        map: &'a Map<String, Value>,
        key: &str,
        allowed: &[&str],
    ) -> Option<&'a str> {
        let s = self.string(ptr, map, key, false)?;
        self.one_of(&child(ptr, key), s, allowed).then_some(s)
    }

    /// Reports `s` unless it is one of `allowed`.
    fn one_of(&mut self, at: &str, s: &str, allowed: &[&str]) -> bool {
        if allowed.contains(&s) {
            return true;
        }
        let list = allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ");
        let hint = match suggest(s, allowed) {
            Some(close) => format!("did you mean \"{close}\"? expected one of {list}"),
            None => format!("expected one of {list}"),
        };
        self.error(
            Problem::new(at, ProblemKind::Invalid, format!("unknown value \"{s}\""))
                .with_hint(hint),
        );
        false
    }

    /// The strings of the array at `map[key]`, each with its pointer.
    fn strings<'a>(
        &mut self,
        ptr: &str,
        map: &'a Map<String, Value>,
        key: &str,
    ) -> Vec<(String, &'a str)> {
        let Some(value) = map.get(key) else { return Vec::new() };
        let at = child(ptr, key);
        let Some(list) = self.array(&at, value) else { return Vec::new() };
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let item_ptr = child_index(&at, i);
            match item {
                Value::String(s) => out.push((item_ptr, s.as_str())),
                other => self.wrong_type(&item_ptr, "a string", other),
            }
        }
        out
    }

    /// Reports the second and later occurrences of a value in `items`.
    fn unique(&mut self, items: &[(String, &str)], what: &str) {
        for (i, (ptr, s)) in items.iter().enumerate() {
            if items[..i].iter().any(|(_, earlier)| earlier == s) {
                self.error(Problem::new(
                    ptr.clone(),
                    ProblemKind::Duplicate,
                    format!("{what} `{s}` is listed twice"),
                ));
            }
        }
    }
}

const SLUG_HINT: &str =
    "a slug is 1-48 characters of a-z, 0-9, `_` and `-`, starting with a letter";

/// The pointer to `key` inside the value at `ptr`.
fn child(ptr: &str, key: &str) -> String {
    let mut out = String::with_capacity(ptr.len() + key.len() + 1);
    out.push_str(ptr);
    out.push('/');
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// The pointer to item `i` inside the array at `ptr`.
fn child_index(ptr: &str, i: usize) -> String {
    format!("{ptr}/{i}")
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The known word closest to `word`, when it is close enough to be a typo.
fn suggest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let word_squashed = squash(word);
    if let Some(same) = known.iter().find(|k| squash(k) == word_squashed) {
        return Some(same);
    }
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(word, k), *k))
        .filter(|(d, k)| *d <= (k.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// A plain check for `local@domain.tld`.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let bad_char = |c: char| {
        c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | '"')
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.chars().any(bad_char)
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// True for a conventional environment variable name: `[A-Z_][A-Z0-9_]*`.
fn is_env_var_name(s: &str) -> bool {
    s.len() <= 128
        && s.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// True for an absolute `http://` or `https://` URL with a host.
fn is_http_url(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape() {
        assert_eq!(child("/a", "b/c~d"), "/a/b~1c~0d");
        assert_eq!(child_index("/a", 3), "/a/3");
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("manged_indexes", TOP_LEVEL), Some("managed_indexes"));
        assert_eq!(suggest("Slug", TOP_LEVEL), Some("slug"));
        assert_eq!(suggest("websocket", TOP_LEVEL), Some("websockets"));
        assert_eq!(suggest("zzz", TOP_LEVEL), None);
    }

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@example.com"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.co", "a@.co", "a b@c.de", "a@b..co", "a@b@c.de"] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn env_names() {
        assert!(is_env_var_name("GOOGLE_CLIENT_SECRET"));
        assert!(!is_env_var_name("sk-abc123"));
        assert!(!is_env_var_name("1ABC"));
        assert!(!is_env_var_name(""));
    }
}
