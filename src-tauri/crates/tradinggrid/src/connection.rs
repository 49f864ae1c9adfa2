//! "Test connection" on the account screen: one token request and one company read, without
//! retries, reporting which step failed and why (DNS, refused, TLS, timeout, 401, 403, 404).

use crate::client::TradingGridClient;
use crate::community::Company;
use crate::config::RetryPolicy;
use crate::error::Error;

/// The step a connection test reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStage {
    /// Getting an access token with the consumer key and secret.
    Token,
    /// Reading the configured company.
    Company,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionCheck {
    /// Credentials accepted and the company readable.
    Ok {
        /// The company as Trading Grid describes it.
        company: Company,
    },
    /// A step failed.
    Failed {
        /// Which step.
        stage: ConnectionStage,
        /// Why (its `code()` says DNS, refused, TLS, timeout, 401, 403 or 404).
        error: Error,
    },
}

impl TradingGridClient {
    /// Fetches a fresh token and the company once each, without retries.
    pub async fn test_connection(&self) -> ConnectionCheck {
        self.forget_token().await;
        let once = RetryPolicy::no_retries();
        if let Err(error) = self.bearer(&once).await {
            return ConnectionCheck::Failed {
                stage: ConnectionStage::Token,
                error,
            };
        }
        match self.company_with(&once).await {
            Ok(company) => ConnectionCheck::Ok { company },
            Err(error) => ConnectionCheck::Failed {
                stage: ConnectionStage::Company,
                error,
            },
        }
    }
}
