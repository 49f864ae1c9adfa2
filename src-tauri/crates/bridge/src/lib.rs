//! Connector work between the cache and the systems around Trading Grid: CloudEvents from the
//! xConnector (a feed pulled with a cursor, a loopback listener) turned into cases and partner
//! updates; partner requests imported from Wix and Drupal as cases; and the connector push,
//! which sends the connector lane of the outbox (outbound events, Wix notices, Drupal articles
//! and request statuses) each once. Everything it changes goes through `pd-store` in one
//! transaction per batch, so a kill at any point loses nothing and repeats nothing.

pub mod cloudevents;
mod error;
pub mod feed;
pub mod listener;
pub mod push;
pub mod requests;

pub use error::BridgeError;
