//! Contract doubles of the outside systems the connectors talk to, each a real HTTP server on
//! loopback started by a test (and by the end-to-end journey): Wix Data Items v2 ([`wix`]),
//! Drupal JSON:API with simple_oauth ([`drupal`]), and an xConnector feed and outbound endpoint
//! ([`xconnector`]). Each follows its public documentation for what PartnerDesk uses (status
//! codes, error bodies, paging, rate limits, authentication), records every accepted write, and
//! takes injected faults: answers of a given status, and "drops" (the write is applied, the
//! connection is closed without an answer, as when a network fails after the server acted).

// The handlers' early answers are whole HTTP responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod drupal;
mod faults;
pub mod wix;
pub mod xconnector;

pub use faults::Fault;

/// Serves `app` on a free loopback port; answers its base URL (`http://127.0.0.1:port`).
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}
