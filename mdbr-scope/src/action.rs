//! The operation builders returned by `ScopedCollection` methods. Each is
//! `#[must_use]`, carries the driver's own options struct (boxed, and only
//! once an option is set), and runs when awaited: the filter, update,
//! document or pipeline is scoped then, by `ScopeRules`, and nowhere else.

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
            self.options.set().comment = Some(value.into());
            self
        }
    };
    (@one $(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.options.set().$name = Some(value);
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
            self.options = $crate::action::Opts(options.into().map(Box::new));
            self
        }
    };
}
pub(crate) use with_options;

/// An operation's driver options, boxed and allocated only once one is set: an operation's
/// future then carries a pointer instead of the whole struct (hundreds of bytes), and an
/// operation without options hands the driver none.
#[derive(Debug)]
pub(crate) struct Opts<T>(pub(crate) Option<Box<T>>);

impl<T> Default for Opts<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T: Default> Opts<T> {
    /// The options, created with their defaults on first use.
    pub(crate) fn set(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }

    /// The options, when any was set.
    pub(crate) fn get(&self) -> Option<&T> {
        self.0.as_deref()
    }

    /// What the driver takes: `None` when no option was set.
    pub(crate) fn into_driver(self) -> Option<T> {
        self.0.map(|b| *b)
    }

    /// The options, the defaults when none was set.
    pub(crate) fn into_inner(self) -> T {
        self.into_driver().unwrap_or_default()
    }
}
