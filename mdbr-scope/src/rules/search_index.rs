//! Search and vector search index definitions: every one can filter on `app_id`.

use bson::{Bson, Document, doc};
use mongodb::SearchIndexModel;
use mongodb::SearchIndexType;

use crate::error::{Error, Result};
use crate::rules::{APP_ID, ScopeRules};

impl ScopeRules {
    /// The search index created for the app. A `vectorSearch` definition gets
    /// `{type: "filter", path: "app_id"}` among its fields, and a `search`
    /// definition maps `app_id` as a `token`, so scoped `$vectorSearch` and
    /// `$search` pre-filter by app inside the index instead of after it.
    pub fn prepare_search_index(&self, mut model: SearchIndexModel) -> Result<SearchIndexModel> {
        self.ensure_writable("create_search_index")?;
        let vector = match &model.index_type {
            Some(SearchIndexType::VectorSearch) => true,
            Some(SearchIndexType::Search) | None => {
                model.definition.contains_key("fields")
                    && !model.definition.contains_key("mappings")
            }
            Some(other) => {
                return Err(Error::invalid(format!("unknown search index type {other:?}")));
            }
        };
        if vector {
            model.index_type = Some(SearchIndexType::VectorSearch);
            add_vector_filter(&mut model.definition)?;
        } else {
            add_search_mapping(&mut model.definition)?;
        }
        Ok(model)
    }
}

fn add_vector_filter(definition: &mut Document) -> Result<()> {
    let fields = match definition.get_mut("fields") {
        Some(Bson::Array(fields)) => fields,
        Some(_) => return Err(Error::invalid("vector search index `fields` must be an array")),
        None => return Err(Error::invalid("vector search index definition needs `fields`")),
    };
    let has_filter = fields
        .iter()
        .any(|f| matches!(f, Bson::Document(d) if d.get_str("path").ok() == Some(APP_ID)));
    if !has_filter {
        fields.push(Bson::Document(doc! { "type": "filter", "path": APP_ID }));
    }
    Ok(())
}

fn add_search_mapping(definition: &mut Document) -> Result<()> {
    let mappings = match definition.get_mut("mappings") {
        Some(Bson::Document(m)) => m,
        Some(_) => return Err(Error::invalid("search index `mappings` must be a document")),
        None => {
            definition.insert("mappings", doc! { "dynamic": true });
            definition
                .get_document_mut("mappings")
                .map_err(|_| Error::invalid("search index `mappings`"))?
        }
    };
    if !mappings.contains_key("fields") {
        mappings.insert("fields", Document::new());
    }
    let fields = mappings
        .get_document_mut("fields")
        .map_err(|_| Error::invalid("search index `mappings.fields` must be a document"))?;
    fields.insert(APP_ID, doc! { "type": "token" });
    Ok(())
}
