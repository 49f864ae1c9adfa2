//! Credentials stay with the server they were meant for: a connector's HTTP request that is
//! redirected to another origin is not followed (a redirect within the origin is), so the second server (another port on
//! 127.0.0.1 stands for another host) never sees the request or its `Authorization` header.

mod common;

use std::sync::{Arc, Mutex};

use pd_connectors::{test_drupal_with, test_wix_with, ConnectorOptions};
use pd_domain::{DrupalAuth, DrupalSettings, WixSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback HTTP/1.1 server that records each request's head and answers `answer(head)`.
async fn server(answer: fn(&str) -> String) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buffer).into_owned();
                record.lock().expect("lock").push(head.clone());
                let _ = socket.write_all(answer(&head).as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (port, seen)
}

fn ok_json(_: &str) -> String {
    let body = r#"{"jsonapi":{"version":"1.0"},"data":[],"meta":{"links":{"me":{"href":"x"}}}}"#;
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.api+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_redirect_to_another_server_is_not_followed_and_the_credentials_stay() {
    let (second, reached) = server(ok_json).await;
    // The first server sends everything on to the second (307 keeps method and body).
    static SECOND: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
    SECOND.set(second).expect("once");
    fn redirect(_: &str) -> String {
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{}/wix-data/v2/collections\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            SECOND.get().expect("set")
        )
    }
    let (first, asked) = server(redirect).await;
    let api_key = "IST.wix-api-key-for-the-first-server-only";
    let options = ConnectorOptions {
        wix_api_base: format!("http://127.0.0.1:{first}"),
        ..ConnectorOptions::default()
    };
    let config = WixSettings {
        site_id: "7d6e2a8c-13f4-4e4b-9d8e-2f6c1a0b9e11".into(),
    };
    let result = test_wix_with(&config, Some(api_key), &options).await;
    common::assert_failure(
        &result,
        "api.unexpected",
        &[
            &format!("127.0.0.1:{first}"),
            &format!("http://127.0.0.1:{second}/wix-data/v2/collections"),
            "does not follow",
        ],
        &[api_key],
    );
    let asked = asked.lock().expect("lock").clone();
    assert!(
        asked.iter().any(|head| head.contains(api_key)),
        "the key went where it was meant to: {asked:?}"
    );
    let reached = reached.lock().expect("lock").clone();
    assert!(
        reached.is_empty(),
        "nothing reached the second server: {reached:?}"
    );
}

#[tokio::test]
async fn a_redirect_within_the_same_server_is_followed() {
    fn moved(head: &str) -> String {
        if head.starts_with("GET /old") {
            "HTTP/1.1 301 Moved Permanently\r\nLocation: /new/jsonapi\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
        } else {
            ok_json(head)
        }
    }
    let (port, asked) = server(moved).await;
    let config = DrupalSettings {
        base_url: format!("http://127.0.0.1:{port}/old"),
        auth: DrupalAuth::Basic {
            user: "editor".into(),
        },
    };
    let _ = test_drupal_with(&config, Some("pw"), &ConnectorOptions::default()).await;
    let asked = asked.lock().expect("lock").clone();
    assert!(
        asked
            .iter()
            .any(|head| head.starts_with("GET /new/jsonapi")),
        "followed within the origin: {asked:?}"
    );
}
