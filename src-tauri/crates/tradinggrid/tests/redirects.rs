//! The consumer key, secret and access token go only to the configured host: a token request
//! redirected to another origin (another port on 127.0.0.1 stands for another host) is not
//! followed, and the second server never sees a request.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::sync::{Arc, Mutex};

use pd_tradinggrid::{ClientConfig, ConnectionCheck, TradingGridClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback HTTP/1.1 server that records each request's head and answers `answer`.
async fn server(answer: String) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let record = record.clone();
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
                record
                    .lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&buffer).into_owned());
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn a_token_request_redirected_to_another_host_is_not_followed() {
    let body = r#"{"access_token":"stolen","expires_in":3600}"#;
    let (second, reached) = server(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
    .await;
    let (first, asked) = server(format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{second}/v1/oauth2/tokens?grant_type=client_credentials\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ))
    .await;
    let base = url::Url::parse(&format!("http://127.0.0.1:{first}")).expect("url");
    let config = ClientConfig::new(base, "GC00804444LX", "consumer-key", "consumer-secret");
    let client = TradingGridClient::new(config).expect("client");
    let check = client.test_connection().await;
    assert!(
        matches!(check, ConnectionCheck::Failed { .. }),
        "no sign-in through a redirect"
    );
    assert!(
        !asked.lock().expect("lock").is_empty(),
        "the first server was asked"
    );
    let reached = reached.lock().expect("lock").clone();
    assert!(
        reached.is_empty(),
        "nothing reached the second server: {reached:?}"
    );
}
