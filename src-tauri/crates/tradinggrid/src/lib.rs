//! The only way PartnerDesk talks to Trading Grid: OAuth2 client credentials, Community
//! Management, Lens transaction visibility and PartnerDesk's own `collab/v1`, over one
//! retrying, token-renewing HTTP client.
//!
//! ```no_run
//! # async fn demo() -> pd_tradinggrid::Result<()> {
//! use pd_tradinggrid::{ClientConfig, LensQuery, TradingGridClient};
//! let url = url::Url::parse("http://127.0.0.1:8080").expect("url");
//! let client = TradingGridClient::new(ClientConfig::new(url, "GC00804444LX", "key", "secret"))?;
//! let partners = client.partners(Some("verona")).await?;
//! let page = client.lens(&LensQuery::new().must("editype", "850").count(25)).await?;
//! let inbox = client.failed_transactions().await?;
//! # let _ = (partners, page, inbox); Ok(()) }
//! ```

mod client;
mod collab;
pub mod community;
mod config;
mod connection;
mod error;
mod lenient;
pub mod lens;

pub use client::{TradingGridClient, MAX_TOKEN_LIFETIME};
pub use community::{Address, Company, ContactInformation, DirectoryUser, Entitlement};
pub use config::{parse_retry_after, ClientConfig, RetryPolicy, MAX_RETRY_AFTER};
pub use connection::{ConnectionCheck, ConnectionStage};
pub use error::{Error, Result};
pub use lens::{parse_lens_answer, FilterValue, LensPage, LensQuery, SortOrder};
