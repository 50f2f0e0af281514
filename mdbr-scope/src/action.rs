//! The operation builders returned by `ScopedCollection` methods. Each is
//! `#[must_use]`, carries the driver's own options struct, and runs when
//! awaited: the filter, update, document or pipeline is scoped then, by
//! `ScopeRules`, and nowhere else.

mod aggregate;
mod count;
mod delete;
mod find;
mod find_and_modify;
mod index;
mod insert;
mod update;
mod watch;

pub use aggregate::Aggregate;
pub use count::{CountDocuments, Distinct, EstimatedDocumentCount};
pub use delete::Delete;
pub use find::{Find, FindOne};
pub use find_and_modify::{FindOneAndDelete, FindOneAndReplace, FindOneAndUpdate};
pub use index::{
    CreateIndex, CreateIndexes, DropCollection, DropIndex, ListIndexNames, ListIndexes,
};
pub use insert::{InsertMany, InsertOne};
pub use update::{ReplaceOne, Update};
pub use watch::Watch;

/// Generates one fluent setter per driver option: `.limit(10)`, `.sort(doc)`.
/// Options written `name: Type;` take exactly that type (so integer
/// literals infer); the `comment` option takes anything convertible to BSON.
macro_rules! option_setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $( $crate::action::option_setters!(@one $(#[$doc])* $name: $ty); )*
    };
    (@one $(#[$doc:meta])* comment: $ty:ty) => {
        $(#[$doc])*
        pub fn comment(mut self, value: impl Into<$ty>) -> Self {
            self.options.comment = Some(value.into());
            self
        }
    };
    (@one $(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.options.$name = Some(value);
            self
        }
    };
}
pub(crate) use option_setters;

/// Generates `with_options`, replacing the whole options struct.
macro_rules! with_options {
    ($opts:ty) => {
        /// Replaces every option at once with the driver's options struct.
        pub fn with_options(mut self, options: impl Into<Option<$opts>>) -> Self {
            self.options = options.into().unwrap_or_default();
            self
        }
    };
}
pub(crate) use with_options;
