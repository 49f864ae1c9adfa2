//! The HTTP surface: which path goes to which handler, with faults in front of the API routes
//! and not in front of `/__admin`.

pub mod admin;
mod collab;
mod community;
mod lens;
mod oauth;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use axum::{middleware, Router};

use crate::error::ApiError;
use crate::state::AppState;

pub use pd_collab::http::{json_body, MAX_DOCUMENT_BYTES};

/// Which surfaces a sandbox serves besides OAuth2, Community Management and Lens.
#[derive(Debug, Clone, Copy)]
pub struct Surfaces {
    /// `collab/v1`; without it every `/collab/` path falls through to the 404 fallback.
    pub cases: bool,
}

/// The whole app.
pub fn router(state: Arc<AppState>, surfaces: Surfaces) -> Router {
    let mut api = Router::new()
        .route("/v1/oauth2/tokens", post(oauth::token))
        .route("/visibility_transaction_search", post(lens::search))
        .merge(community::routes());
    if surfaces.cases {
        api = api.merge(collab::routes(&state));
    }
    let api = api.layer(middleware::from_fn_with_state(
        Arc::clone(&state),
        crate::faults::inject,
    ));
    Router::new()
        .merge(api)
        .merge(admin::routes())
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 1))
        .with_state(state)
}

/// 404 unless the path names our company.
pub fn check_company(state: &AppState, company_id: &str) -> Result<(), ApiError> {
    if company_id == state.company_id {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("unknown company {company_id}")))
    }
}
