//! Index management and `drop` on the app's own collections.

use std::future::IntoFuture;

use bson::Document;
use futures_util::future::BoxFuture;
use mongodb::results::{CreateIndexResult, CreateIndexesResult};
use mongodb::{IndexModel, SearchIndexModel, SearchIndexType};

use crate::collection::ScopedCollection;
use crate::error::Result;
use crate::observer::Operation;
use crate::rules::ScopeRules;

impl<T: Send + Sync> ScopedCollection<T> {
    /// Creates an index on the app's own collection.
    pub fn create_index(&self, index: IndexModel) -> CreateIndex<'_, T> {
        CreateIndex { coll: self, index }
    }

    /// Creates several indexes on the app's own collection.
    pub fn create_indexes(
        &self,
        indexes: impl IntoIterator<Item = IndexModel>,
    ) -> CreateIndexes<'_, T> {
        CreateIndexes { coll: self, indexes: indexes.into_iter().collect() }
    }

    /// Lists the indexes of the app's own collection.
    pub fn list_indexes(&self) -> ListIndexes<'_, T> {
        ListIndexes { coll: self }
    }

    /// Lists the index names of the app's own collection.
    pub fn list_index_names(&self) -> ListIndexNames<'_, T> {
        ListIndexNames { coll: self }
    }

    /// Drops one index of the app's own collection by name.
    pub fn drop_index(&self, name: impl AsRef<str>) -> DropIndex<'_, T> {
        DropIndex { coll: self, name: Some(name.as_ref().to_owned()) }
    }

    /// Drops every index (but `_id`) of the app's own collection.
    pub fn drop_indexes(&self) -> DropIndex<'_, T> {
        DropIndex { coll: self, name: None }
    }

    /// Creates an Atlas Search or Vector Search index on the app's own
    /// collection; the definition is extended so it can filter on `app_id`
    /// (see `ScopeRules::prepare_search_index`). Returns the index name.
    pub async fn create_search_index(&self, model: SearchIndexModel) -> Result<String> {
        self.probe(Operation::CreateSearchIndex, None, None)
            .run(async move {
                let model = self.inner.rules.prepare_search_index(model)?;
                Ok(self.inner.docs.create_search_index(model).await?)
            })
            .await
    }

    /// Replaces the definition of a search index (extended like a new one).
    pub async fn update_search_index(
        &self,
        name: &str,
        definition: Document,
        vector: bool,
    ) -> Result<()> {
        self.probe(Operation::UpdateSearchIndex, None, None)
            .run(async move {
                let kind =
                    if vector { SearchIndexType::VectorSearch } else { SearchIndexType::Search };
                let model =
                    SearchIndexModel::builder().definition(definition).index_type(kind).build();
                let model = self.inner.rules.prepare_search_index(model)?;
                self.inner.docs.update_search_index(name, model.definition).await?;
                Ok(())
            })
            .await
    }

    /// Lists the search indexes of the app's own collection (`$listSearchIndexes`).
    pub async fn list_search_indexes(&self) -> Result<Vec<Document>> {
        use futures_util::TryStreamExt;
        self.probe(Operation::ListSearchIndexes, None, None)
            .run(async move { Ok(self.inner.docs.list_search_indexes().await?.try_collect().await?) })
            .await
    }

    /// Drops a search index of the app's own collection.
    pub async fn drop_search_index(&self, name: &str) -> Result<()> {
        self.probe(Operation::DropSearchIndex, None, None)
            .run(async move {
                self.inner.rules.ensure_writable("drop_search_index")?;
                self.inner.docs.drop_search_index(name).await?;
                Ok(())
            })
            .await
    }

    /// Drops the app's own collection.
    pub fn drop(&self) -> DropCollection<'_, T> {
        DropCollection { coll: self }
    }
}

fn check_index(rules: &ScopeRules, index: &IndexModel) -> Result<()> {
    rules.ensure_writable("create_index")?;
    rules.check_expression("index keys", &index.keys)?;
    if let Some(p) = index.options.as_ref().and_then(|o| o.partial_filter_expression.as_ref()) {
        rules.check_expression("partialFilterExpression", p)?;
    }
    Ok(())
}

/// Construct with [`ScopedCollection::create_index`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct CreateIndex<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    index: IndexModel,
}

impl<'a, T: Send + Sync> IntoFuture for CreateIndex<'a, T> {
    type Output = Result<CreateIndexResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::CreateIndex, None, None).run(async move {
                check_index(&coll.inner.rules, &self.index)?;
                Ok(coll.inner.docs.create_index(self.index).await?)
            })
        })
    }
}

/// Construct with [`ScopedCollection::create_indexes`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct CreateIndexes<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    indexes: Vec<IndexModel>,
}

impl<'a, T: Send + Sync> IntoFuture for CreateIndexes<'a, T> {
    type Output = Result<CreateIndexesResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::CreateIndexes, None, None).run(async move {
                self.indexes.iter().try_for_each(|i| check_index(&coll.inner.rules, i))?;
                Ok(coll.inner.docs.create_indexes(self.indexes).await?)
            })
        })
    }
}

/// Construct with [`ScopedCollection::list_indexes`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct ListIndexes<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
}

impl<'a, T: Send + Sync> IntoFuture for ListIndexes<'a, T> {
    type Output = Result<Vec<IndexModel>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            use futures_util::TryStreamExt;
            let coll = self.coll;
            coll.probe(Operation::ListIndexes, None, None)
                .run(async move { Ok(coll.inner.docs.list_indexes().await?.try_collect().await?) })
        })
    }
}

/// Construct with [`ScopedCollection::list_index_names`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct ListIndexNames<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
}

impl<'a, T: Send + Sync> IntoFuture for ListIndexNames<'a, T> {
    type Output = Result<Vec<String>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::ListIndexes, None, None)
                .run(async move { Ok(coll.inner.docs.list_index_names().await?) })
        })
    }
}

/// Construct with [`ScopedCollection::drop_index`] or [`ScopedCollection::drop_indexes`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct DropIndex<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    name: Option<String>,
}

impl<'a, T: Send + Sync> IntoFuture for DropIndex<'a, T> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            let op =
                if self.name.is_some() { Operation::DropIndex } else { Operation::DropIndexes };
            coll.probe(op, None, None).run(async move {
                coll.inner.rules.ensure_writable("drop_index")?;
                match self.name {
                    Some(name) => coll.inner.docs.drop_index(name).await?,
                    None => coll.inner.docs.drop_indexes().await?,
                }
                Ok(())
            })
        })
    }
}

/// Construct with [`ScopedCollection::drop`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct DropCollection<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
}

impl<'a, T: Send + Sync> IntoFuture for DropCollection<'a, T> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::Drop, None, None).run(async move {
                let rules = &coll.inner.rules;
                rules.ensure_writable("drop")?;
                coll.inner
                    .scope
                    .ensure_exclusive(rules.owner(), &coll.inner.physical, "drop")
                    .await?;
                coll.inner.docs.drop().await?;
                Ok(())
            })
        })
    }
}
