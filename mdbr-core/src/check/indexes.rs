//! Checks of `managed_indexes`, `auto_indexes`, `collection_settings` and `initial_data`.

use serde_json::{Map, Value};

use crate::check::{Checker, Extra, child, child_index};
use crate::index::IndexType;
use crate::index_keys::KeyDirection;
use crate::name::CollectionName;
use crate::problem::{Problem, ProblemKind};

const INDEX: &[&str] = &["name", "type", "keys", "options", "definition", "hybrid"];
const INDEX_TYPES: &[&str] =
    &["regular", "text", "ttl", "partial", "geospatial", "vectorSearch", "search", "hybrid"];
const INDEX_OPTIONS: &[&str] = &[
    "unique",
    "sparse",
    "expireAfterSeconds",
    "partialFilterExpression",
    "weights",
    "default_language",
    "language_override",
    "collation",
];
const HYBRID: &[&str] = &["vector_index", "text_index"];
const VECTOR_FIELD_TYPES: &[&str] = &["vector", "filter"];
const SIMILARITIES: &[&str] = &["cosine", "euclidean", "dotProduct"];
const QUANTIZATIONS: &[&str] = &["none", "scalar", "binary"];
const AUTO_INDEXES: &[&str] = &["enabled", "threshold", "max_per_collection"];
const COLLECTION_SETTINGS: &[&str] =
    &["validation", "capped", "size", "max", "timeseries", "collation"];
const VALIDATION: &[&str] = &["validator", "validationLevel", "validationAction"];
const TIMESERIES: &[&str] = &["timeField", "metaField", "granularity"];
const KEYS_HINT: &str = "e.g. \"keys\": {\"field\": 1}";
const DIRECTIONS_HINT: &str = "use 1, -1, \"text\", \"2dsphere\", \"2d\" or \"hashed\"";
/// Largest `expireAfterSeconds` MongoDB accepts.
const MAX_EXPIRE_AFTER_SECONDS: u64 = i32::MAX as u64;

/// What the collection-level checks need to know about one index.
struct Seen<'a> {
    ptr: String,
    name: Option<&'a str>,
    index_type: Option<IndexType>,
    hybrid: Option<(&'a str, &'a str)>,
}

impl Checker {
    pub(super) fn managed_indexes(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        for (coll, list) in map {
            let at = child(ptr, coll);
            self.collection_name(&at, coll);
            let Some(list) = self.array(&at, list) else { continue };
            let seen: Vec<Seen<'_>> = list
                .iter()
                .enumerate()
                .filter_map(|(i, idx)| self.index(&child_index(&at, i), idx))
                .collect();
            self.index_names(coll, &seen);
        }
    }

    /// Reports a key of a per-collection map that is not a valid collection name.
    fn collection_name(&mut self, at: &str, name: &str) {
        if let Err(err) = CollectionName::parse(name) {
            self.error(Problem::new(at, ProblemKind::Invalid, err.to_string()).with_hint(
                "collection names are 1-64 characters of letters, digits, `_`, `.` and `-`",
            ));
        }
    }

    fn index<'a>(&mut self, ptr: &str, value: &'a Value) -> Option<Seen<'a>> {
        let map = self.object(ptr, value)?;
        self.keys(ptr, map, INDEX, &[]);
        let name = self.non_empty_string(ptr, map, "name", true);
        if name == Some("_id_") {
            self.error(
                Problem::new(
                    child(ptr, "name"),
                    ProblemKind::Invalid,
                    "`_id_` is the name of the built-in _id index",
                )
                .with_hint("choose another name"),
            );
        }
        let index_type = match self.string(ptr, map, "type", false) {
            None if map.contains_key("type") => None,
            None => Some(IndexType::Regular),
            Some(t) => {
                if self.one_of(&child(ptr, "type"), t, INDEX_TYPES) {
                    IndexType::from_name(t)
                } else {
                    None
                }
            }
        };
        let keys = map.get("keys").and_then(|k| self.index_keys(&child(ptr, "keys"), k));
        let options = self.object_field(ptr, map, "options");
        let definition = self.object_field(ptr, map, "definition");
        let hybrid = self.hybrid_spec(ptr, map);

        if let Some(t) = index_type {
            self.index_shape(ptr, map, t, keys.as_deref(), options.as_ref().map(|(_, o)| *o));
            if let Some((at, options)) = &options {
                self.index_options(at, options, t);
            }
            if let Some((at, def)) = &definition {
                match t {
                    IndexType::VectorSearch => self.vector_definition(at, def),
                    IndexType::Search if !def.get("mappings").is_some_and(Value::is_object) => self
                        .error(
                            Problem::new(
                                child(at, "mappings"),
                                ProblemKind::Missing,
                                "required for type \"search\"",
                            )
                            .with_hint("e.g. \"mappings\": {\"dynamic\": true}"),
                        ),
                    _ => {}
                }
            }
        } else if let Some((at, options)) = &options {
            self.index_options(at, options, IndexType::Regular);
        }
        Some(Seen { ptr: ptr.to_owned(), name, index_type, hybrid })
    }

    /// Parses `keys` (object or list of pairs), reporting bad entries.
    fn index_keys(
        &mut self,
        ptr: &str,
        value: &Value,
    ) -> Option<Vec<(String, String, KeyDirection)>> {
        let mut keys = Vec::new();
        let mut ok = true;
        match value {
            Value::Object(map) => {
                for (field, dir) in map {
                    let at = child(ptr, field);
                    ok &= self.key_field(&at, field);
                    match KeyDirection::from_json(dir) {
                        Some(d) => keys.push((at, field.clone(), d)),
                        None => {
                            ok = false;
                            self.bad_direction(&at, dir);
                        }
                    }
                }
            }
            Value::Array(list) => {
                for (i, pair) in list.iter().enumerate() {
                    let at = child_index(ptr, i);
                    match pair.as_array().map(Vec::as_slice) {
                        Some([Value::String(field), dir]) => {
                            ok &= self.key_field(&child_index(&at, 0), field);
                            match KeyDirection::from_json(dir) {
                                Some(d) => keys.push((child_index(&at, 1), field.clone(), d)),
                                None => {
                                    ok = false;
                                    self.bad_direction(&child_index(&at, 1), dir);
                                }
                            }
                        }
                        _ => {
                            ok = false;
                            self.error(
                                Problem::new(
                                    at,
                                    ProblemKind::WrongType,
                                    "expected a [field, direction] pair",
                                )
                                .with_hint("e.g. [\"created_at\", -1]"),
                            );
                        }
                    }
                }
                for (i, (at, field, _)) in keys.iter().enumerate() {
                    if keys[..i].iter().any(|(_, f, _)| f == field) {
                        self.error(Problem::new(
                            at.clone(),
                            ProblemKind::Duplicate,
                            format!("field `{field}` is listed twice"),
                        ));
                        ok = false;
                    }
                }
            }
            other => {
                self.wrong_type(ptr, "an object or a list of [field, direction] pairs", other);
                return None;
            }
        }
        if keys.is_empty() && ok {
            self.error(
                Problem::new(ptr, ProblemKind::Invalid, "an index needs at least one key")
                    .with_hint(KEYS_HINT),
            );
            return None;
        }
        ok.then_some(keys)
    }

    fn key_field(&mut self, at: &str, field: &str) -> bool {
        let wildcard = field == "$**" || field.ends_with(".$**");
        if field.is_empty()
            || (field.starts_with('$') && !wildcard)
            || field.split('.').any(str::is_empty)
        {
            self.error(
                Problem::new(at, ProblemKind::Invalid, format!("`{field}` is not a field path"))
                    .with_hint("use a field name or dotted path such as \"metadata.source\""),
            );
            return false;
        }
        true
    }

    fn bad_direction(&mut self, at: &str, dir: &Value) {
        self.error(
            Problem::new(at, ProblemKind::Invalid, format!("`{dir}` is not an index direction"))
                .with_hint(DIRECTIONS_HINT),
        );
    }

    /// Which members the type needs or refuses, and which key directions it allows.
    fn index_shape(
        &mut self,
        ptr: &str,
        map: &Map<String, Value>,
        t: IndexType,
        keys: Option<&[(String, String, KeyDirection)]>,
        options: Option<&Map<String, Value>>,
    ) {
        let ty = t.as_str();
        let not_used = |member: &str, hint: &str| {
            Problem::new(
                child(ptr, member),
                ProblemKind::Invalid,
                format!("not used by type \"{ty}\""),
            )
            .with_hint(hint)
        };
        if t.is_standard() {
            if !map.contains_key("keys") {
                self.error(
                    Problem::new(
                        child(ptr, "keys"),
                        ProblemKind::Missing,
                        format!("required for type \"{ty}\""),
                    )
                    .with_hint(KEYS_HINT),
                );
            }
            if map.contains_key("definition") {
                self.error(not_used(
                    "definition",
                    "`definition` is for vectorSearch and search indexes",
                ));
            }
        } else {
            if map.contains_key("keys") {
                self.error(not_used(
                    "keys",
                    "search indexes describe their fields in `definition`",
                ));
            }
            if options.is_some_and(|o| !o.is_empty()) {
                self.error(not_used(
                    "options",
                    "options apply to regular, text, ttl, partial and geospatial indexes",
                ));
            }
        }
        if t.is_search() && !map.contains_key("definition") {
            let example = if t == IndexType::VectorSearch {
                "e.g. {\"fields\": [{\"type\": \"vector\", \"path\": \"embedding\", \"numDimensions\": 1024, \"similarity\": \"cosine\"}]}"
            } else {
                "e.g. {\"mappings\": {\"dynamic\": true}}"
            };
            self.error(
                Problem::new(
                    child(ptr, "definition"),
                    ProblemKind::Missing,
                    format!("required for type \"{ty}\""),
                )
                .with_hint(example),
            );
        }
        if t == IndexType::Hybrid {
            if !map.contains_key("hybrid") {
                self.error(
                    Problem::new(
                        child(ptr, "hybrid"),
                        ProblemKind::Missing,
                        "required for type \"hybrid\"",
                    )
                    .with_hint(
                        "e.g. {\"vector_index\": \"embedding_idx\", \"text_index\": \"text_idx\"}",
                    ),
                );
            }
            if map.contains_key("definition") {
                self.error(not_used(
                    "definition",
                    "a hybrid entry names two other indexes in `hybrid`",
                ));
            }
        } else if map.contains_key("hybrid") {
            self.error(not_used("hybrid", "`hybrid` belongs to indexes of type \"hybrid\""));
        }

        let opt = |key: &str| options.is_some_and(|o| o.contains_key(key));
        let options_ptr = child(ptr, "options");
        if t == IndexType::Ttl && !opt("expireAfterSeconds") {
            self.error(
                Problem::new(
                    child(&options_ptr, "expireAfterSeconds"),
                    ProblemKind::Missing,
                    "required for type \"ttl\"",
                )
                .with_hint("seconds after the indexed date when a document expires, e.g. 3600"),
            );
        }
        if t == IndexType::Partial && !opt("partialFilterExpression") {
            self.error(
                Problem::new(
                    child(&options_ptr, "partialFilterExpression"),
                    ProblemKind::Missing,
                    "required for type \"partial\"",
                )
                .with_hint("e.g. {\"status\": {\"$eq\": \"active\"}}"),
            );
        }

        if let Some(keys) = keys {
            self.key_directions(ptr, t, keys);
        }
    }

    fn key_directions(&mut self, ptr: &str, t: IndexType, keys: &[(String, String, KeyDirection)]) {
        use KeyDirection::{Ascending, Descending, Geo2d, Geo2dSphere, Hashed, Text};
        let ty = t.as_str();
        let keys_ptr = child(ptr, "keys");
        for (at, _, dir) in keys {
            let hint = match (t, dir) {
                (_, Ascending | Descending) => None,
                (IndexType::Regular | IndexType::Partial, Hashed) => None,
                (IndexType::Text, Text) => None,
                (IndexType::Geospatial, Geo2dSphere | Geo2d) => None,
                (_, Text) => Some("\"text\" keys belong to indexes of type \"text\""),
                (_, Geo2dSphere | Geo2d) => {
                    Some("\"2dsphere\" and \"2d\" keys belong to indexes of type \"geospatial\"")
                }
                (_, _) => Some("use 1 or -1"),
            };
            if let Some(hint) = hint {
                self.error(
                    Problem::new(
                        at.clone(),
                        ProblemKind::Invalid,
                        format!("direction {dir} is not allowed in a \"{ty}\" index"),
                    )
                    .with_hint(hint),
                );
            }
        }
        let has = |wanted: &[KeyDirection]| keys.iter().any(|(_, _, d)| wanted.contains(d));
        match t {
            IndexType::Text if !has(&[Text]) => self.error(
                Problem::new(
                    keys_ptr,
                    ProblemKind::Invalid,
                    "a text index needs at least one \"text\" key",
                )
                .with_hint("e.g. {\"title\": \"text\"}"),
            ),
            IndexType::Geospatial if !has(&[Geo2dSphere, Geo2d]) => self.error(
                Problem::new(
                    keys_ptr,
                    ProblemKind::Invalid,
                    "a geospatial index needs a \"2dsphere\" or \"2d\" key",
                )
                .with_hint("e.g. {\"location\": \"2dsphere\"}"),
            ),
            IndexType::Ttl if keys.len() != 1 => self.error(
                Problem::new(
                    keys_ptr,
                    ProblemKind::Invalid,
                    "a TTL index has exactly one key: the date field",
                )
                .with_hint("e.g. {\"created_at\": 1}"),
            ),
            IndexType::Regular | IndexType::Partial
                if keys.iter().filter(|(_, _, d)| *d == Hashed).count() > 1 =>
            {
                self.error(Problem::new(
                    keys_ptr,
                    ProblemKind::Invalid,
                    "an index can have at most one \"hashed\" key",
                ))
            }
            _ => {}
        }
    }

    fn index_options(&mut self, ptr: &str, map: &Map<String, Value>, t: IndexType) {
        let extras: Vec<(&str, Extra)> = crate::legacy::INDEX_OPTIONS
            .iter()
            .map(|(k, hint)| (*k, Extra::Legacy(hint)))
            .collect();
        self.keys(ptr, map, INDEX_OPTIONS, &extras);
        self.boolean(ptr, map, "unique");
        self.boolean(ptr, map, "sparse");
        self.boolean(ptr, map, "background");
        let ty = t.as_str();
        if self.integer(ptr, map, "expireAfterSeconds", 0, MAX_EXPIRE_AFTER_SECONDS).is_some()
            && !matches!(t, IndexType::Ttl | IndexType::Partial)
        {
            self.error(
                Problem::new(
                    child(ptr, "expireAfterSeconds"),
                    ProblemKind::Invalid,
                    format!("not used by type \"{ty}\""),
                )
                .with_hint("set \"type\": \"ttl\" for an index that expires documents"),
            );
        }
        if self.object_field(ptr, map, "partialFilterExpression").is_some()
            && t != IndexType::Partial
        {
            self.error(
                Problem::new(
                    child(ptr, "partialFilterExpression"),
                    ProblemKind::Invalid,
                    format!("only allowed on type \"partial\", not \"{ty}\""),
                )
                .with_hint("set \"type\": \"partial\""),
            );
        }
        if let Some((at, weights)) = self.object_field(ptr, map, "weights") {
            for (field, w) in weights {
                self.integer_value(&child(&at, field), w, 1, 99_999);
            }
        }
        for key in ["weights", "default_language", "language_override"] {
            let present = map.contains_key(key);
            if key != "weights" {
                self.string(ptr, map, key, false);
            }
            if present && t != IndexType::Text {
                self.error(
                    Problem::new(
                        child(ptr, key),
                        ProblemKind::Invalid,
                        format!("not used by type \"{ty}\""),
                    )
                    .with_hint("text options belong to indexes of type \"text\""),
                );
            }
        }
        if let Some((at, collation)) = self.object_field(ptr, map, "collation") {
            self.collation(&at, collation);
        }
    }

    fn collation(&mut self, ptr: &str, map: &Map<String, Value>) {
        self.non_empty_string(ptr, map, "locale", true);
    }

    fn hybrid_spec<'a>(
        &mut self,
        ptr: &str,
        map: &'a Map<String, Value>,
    ) -> Option<(&'a str, &'a str)> {
        let (at, hybrid) = self.object_field(ptr, map, "hybrid")?;
        self.keys(&at, hybrid, HYBRID, &[]);
        let vector = self.non_empty_string(&at, hybrid, "vector_index", true);
        let text = self.non_empty_string(&at, hybrid, "text_index", true);
        Some((vector?, text?))
    }

    fn vector_definition(&mut self, ptr: &str, def: &Map<String, Value>) {
        let fields_ptr = child(ptr, "fields");
        let Some(fields) = def.get("fields") else {
            self.error(
                Problem::new(fields_ptr, ProblemKind::Missing, "required for type \"vectorSearch\"")
                    .with_hint("list the vector field: [{\"type\": \"vector\", \"path\": \"embedding\", \"numDimensions\": 1024, \"similarity\": \"cosine\"}]"),
            );
            return;
        };
        let Some(fields) = self.array(&fields_ptr, fields) else { return };
        let mut vectors = 0;
        let mut paths = Vec::new();
        for (i, field) in fields.iter().enumerate() {
            let at = child_index(&fields_ptr, i);
            let Some(field) = self.object(&at, field) else { continue };
            let kind = self
                .string(&at, field, "type", true)
                .filter(|t| self.one_of(&child(&at, "type"), t, VECTOR_FIELD_TYPES));
            if let Some(path) = self.non_empty_string(&at, field, "path", true) {
                paths.push((child(&at, "path"), path));
            }
            match kind {
                Some("vector") => {
                    vectors += 1;
                    if field.contains_key("numDimensions") {
                        self.integer(&at, field, "numDimensions", 1, 8192);
                    } else {
                        self.error(
                            Problem::new(
                                child(&at, "numDimensions"),
                                ProblemKind::Missing,
                                "required for vector fields",
                            )
                            .with_hint("the length of the embeddings, 1-8192, e.g. 1024"),
                        );
                    }
                    if field.contains_key("similarity") {
                        self.enumeration(&at, field, "similarity", SIMILARITIES);
                    } else {
                        self.error(
                            Problem::new(
                                child(&at, "similarity"),
                                ProblemKind::Missing,
                                "required for vector fields",
                            )
                            .with_hint("one of \"cosine\", \"euclidean\", \"dotProduct\""),
                        );
                    }
                    self.enumeration(&at, field, "quantization", QUANTIZATIONS);
                }
                Some(_) => {
                    for key in ["numDimensions", "similarity", "quantization"] {
                        if field.contains_key(key) {
                            self.error(
                                Problem::new(
                                    child(&at, key),
                                    ProblemKind::Invalid,
                                    "only used by vector fields",
                                )
                                .with_hint("filter fields take only `type` and `path`"),
                            );
                        }
                    }
                }
                None => {}
            }
        }
        self.unique(&paths, "path");
        if vectors == 0 {
            self.error(Problem::new(
                fields_ptr,
                ProblemKind::Invalid,
                "a vectorSearch index needs at least one field of type \"vector\"",
            ));
        }
    }

    /// Index names are unique per collection; hybrid entries name indexes of the same collection.
    fn index_names(&mut self, coll: &str, seen: &[Seen<'_>]) {
        for (i, idx) in seen.iter().enumerate() {
            let Some(name) = idx.name else { continue };
            if seen[..i].iter().any(|earlier| earlier.name == Some(name)) {
                self.error(
                    Problem::new(
                        child(&idx.ptr, "name"),
                        ProblemKind::Duplicate,
                        format!("index name `{name}` is used twice in `{coll}`"),
                    )
                    .with_hint("index names must be unique within a collection"),
                );
            }
        }
        for idx in seen {
            let Some((vector, text)) = idx.hybrid else { continue };
            let find =
                |name: &str| seen.iter().find(|s| s.name == Some(name)).and_then(|s| s.index_type);
            let hybrid_ptr = child(&idx.ptr, "hybrid");
            match find(vector) {
                Some(IndexType::VectorSearch) => {}
                found => self.error(self_ref_problem(
                    &child(&hybrid_ptr, "vector_index"),
                    vector,
                    coll,
                    "vectorSearch",
                    found,
                )),
            }
            match find(text) {
                Some(IndexType::Search | IndexType::Text) => {}
                found => self.error(self_ref_problem(
                    &child(&hybrid_ptr, "text_index"),
                    text,
                    coll,
                    "search",
                    found,
                )),
            }
        }
    }

    pub(super) fn auto_indexes(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        self.keys(ptr, map, AUTO_INDEXES, &[]);
        self.boolean(ptr, map, "enabled");
        self.integer(ptr, map, "threshold", 1, u64::from(u32::MAX));
        self.integer(ptr, map, "max_per_collection", 1, 64);
    }

    pub(super) fn collection_settings(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        for (coll, settings) in map {
            let at = child(ptr, coll);
            self.collection_name(&at, coll);
            let Some(settings) = self.object(&at, settings) else { continue };
            self.keys(&at, settings, COLLECTION_SETTINGS, &[]);
            if let Some((vptr, validation)) = self.object_field(&at, settings, "validation") {
                self.keys(&vptr, validation, VALIDATION, &[]);
                self.object_field(&vptr, validation, "validator");
                self.enumeration(
                    &vptr,
                    validation,
                    "validationLevel",
                    &["off", "strict", "moderate"],
                );
                self.enumeration(&vptr, validation, "validationAction", &["error", "warn"]);
            }
            let capped = self.boolean(&at, settings, "capped").unwrap_or(false);
            let size = self.integer(&at, settings, "size", 1, u64::MAX);
            self.integer(&at, settings, "max", 1, u64::MAX);
            if capped && size.is_none() && !settings.contains_key("size") {
                self.error(
                    Problem::new(
                        child(&at, "size"),
                        ProblemKind::Missing,
                        "required when `capped` is true",
                    )
                    .with_hint("the maximum size of the collection in bytes"),
                );
            }
            if !capped {
                for key in ["size", "max"] {
                    if settings.contains_key(key) {
                        self.error(
                            Problem::new(
                                child(&at, key),
                                ProblemKind::Invalid,
                                "only used by capped collections",
                            )
                            .with_hint("set \"capped\": true"),
                        );
                    }
                }
            }
            if let Some((tptr, ts)) = self.object_field(&at, settings, "timeseries") {
                self.keys(&tptr, ts, TIMESERIES, &[]);
                self.non_empty_string(&tptr, ts, "timeField", true);
                self.non_empty_string(&tptr, ts, "metaField", false);
                self.enumeration(&tptr, ts, "granularity", &["seconds", "minutes", "hours"]);
                if capped {
                    self.error(Problem::new(
                        tptr,
                        ProblemKind::Conflict,
                        "a time-series collection cannot be capped",
                    ));
                }
            }
            if let Some((cptr, collation)) = self.object_field(&at, settings, "collation") {
                self.collation(&cptr, collation);
            }
        }
    }

    pub(super) fn initial_data(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        for (coll, docs) in map {
            let at = child(ptr, coll);
            self.collection_name(&at, coll);
            let Some(docs) = self.array(&at, docs) else { continue };
            for (i, doc) in docs.iter().enumerate() {
                let dptr = child_index(&at, i);
                let Some(doc) = self.object(&dptr, doc) else { continue };
                if doc.contains_key("app_id") {
                    self.error(
                        Problem::new(
                            child(&dptr, "app_id"),
                            ProblemKind::Invalid,
                            "`app_id` is set by the runtime",
                        )
                        .with_hint("remove it; documents always belong to this app"),
                    );
                }
            }
        }
    }
}

fn self_ref_problem(
    at: &str,
    name: &str,
    coll: &str,
    wanted: &str,
    found: Option<IndexType>,
) -> Problem {
    match found {
        None => Problem::new(
            at,
            ProblemKind::Invalid,
            format!("no index named `{name}` in collection `{coll}`"),
        )
        .with_hint(format!("name a {wanted} index declared in the same collection")),
        Some(t) => Problem::new(
            at,
            ProblemKind::Invalid,
            format!("index `{name}` has type \"{}\", not \"{wanted}\"", t.as_str()),
        )
        .with_hint(format!("name a {wanted} index declared in the same collection")),
    }
}
