//! Per-app websocket hub for mdbr apps: authentication before upgrade,
//! ping/pong, broadcast and routing by message type.
//!
//! **Not built yet.** This crate is an empty placeholder in the workspace;
//! its contents are delivered by the auth and realtime issue. It exports nothing.
