//! An embedded MongoDB-wire-compatible engine.
#![doc = include_str!("../README.md")]

mod aggregate;
mod command;
mod cursor;
mod engine;
mod error;
mod index;
mod projection;
mod query;
mod search;
mod server;
mod sort;
mod storage;
mod update;
mod value;
pub mod wire;

pub use error::{CommandError, Error, Result};
pub use server::{LiteServer, LiteServerBuilder};
