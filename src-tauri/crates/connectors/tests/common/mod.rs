//! Helpers shared by the connector tests: free loopback ports, silent peers, the secret check,
//! and finding the external test servers.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use pd_connectors::ConnectorOptions;
use pd_domain::ConnectionTestResult;

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// Options with a short step limit so timeout cases finish quickly.
pub fn quick_options(seconds: u64) -> ConnectorOptions {
    ConnectorOptions {
        timeout: Duration::from_secs(seconds),
        ..ConnectorOptions::default()
    }
}

/// A server on 127.0.0.1 that accepts connections and never says a word. Returns its port.
pub async fn silent_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind silent server");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

/// Asserts a failed result with `code`, whose message mentions every `words` and no secret.
pub fn assert_failure(result: &ConnectionTestResult, code: &str, words: &[&str], secrets: &[&str]) {
    eprintln!(
        "{}: {}",
        result
            .code
            .map(pd_domain::ErrorCode::as_str)
            .unwrap_or("ok"),
        result.message
    );
    assert!(
        !result.ok,
        "expected {code}, got success: {}",
        result.message
    );
    assert_eq!(
        result.code.map(pd_domain::ErrorCode::as_str),
        Some(code),
        "wrong code; message: {}",
        result.message
    );
    for word in words {
        assert!(
            result.message.contains(word),
            "message should mention {word:?}: {}",
            result.message
        );
    }
    assert_no_secret(result, secrets);
}

/// Asserts success, with every `words` in the message and no secret.
pub fn assert_success(result: &ConnectionTestResult, words: &[&str], secrets: &[&str]) {
    eprintln!("ok: {}", result.message);
    assert!(
        result.ok,
        "expected success, got {:?}: {}",
        result.code, result.message
    );
    assert_eq!(result.code, None);
    for word in words {
        assert!(
            result.message.contains(word),
            "message should mention {word:?}: {}",
            result.message
        );
    }
    assert_no_secret(result, secrets);
}

/// No secret appears in the message.
pub fn assert_no_secret(result: &ConnectionTestResult, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !result.message.contains(secret),
            "the message leaks a secret: {}",
            result.message
        );
    }
}

/// A test server binary: `$ENV_VAR` if set, else the first of `candidates` that exists,
/// else a PATH lookup of `name`.
pub fn find_binary(env_var: &str, name: &str, candidates: &[PathBuf]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    for candidate in candidates {
        if candidate.is_file() {
            return Some(candidate.clone());
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Skips (returns true, with the reason printed) unless `PD_REQUIRE_TEST_PEERS=1`, where a
/// missing peer fails the test instead: CI sets it so a missing install cannot pass silently.
pub fn skip_or_fail(reason: &str) -> bool {
    if std::env::var("PD_REQUIRE_TEST_PEERS").as_deref() == Ok("1") {
        panic!("PD_REQUIRE_TEST_PEERS=1 but {reason}");
    }
    eprintln!("SKIPPED: {reason}");
    true
}

/// Waits until something listens on `127.0.0.1:port`.
pub async fn wait_for_port(port: u16, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Serves `app` (a contract double) on a free loopback port; answers its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://127.0.0.1:{port}")
}
