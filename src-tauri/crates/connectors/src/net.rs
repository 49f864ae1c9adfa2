//! Network steps shared by every connector: name resolution and TCP connect with a deadline,
//! and the translation of HTTP client failures into the precise [`ConnectorError`] variants.

use std::error::Error as StdError;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::error::ConnectorError;

/// Resolves `host:port`, telling a name that does not exist apart from a slow resolver.
pub(crate) async fn resolve(
    host: &str,
    port: u16,
    limit: Duration,
) -> Result<Vec<SocketAddr>, ConnectorError> {
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(limit, lookup).await {
        Err(_) => Err(ConnectorError::Timeout {
            step: format!("Name resolution of \"{host}\""),
            seconds: limit.as_secs().max(1),
        }),
        Ok(Err(_)) => Err(ConnectorError::Dns {
            host: host.to_owned(),
        }),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(ConnectorError::Dns {
                    host: host.to_owned(),
                })
            } else {
                Ok(addrs)
            }
        }
    }
}

/// Opens a TCP connection to the first address of `host` that answers, within `limit`.
pub(crate) async fn connect_tcp(
    host: &str,
    port: u16,
    limit: Duration,
) -> Result<TcpStream, ConnectorError> {
    let addrs = resolve(host, port, limit).await?;
    let mut last_error = None;
    for addr in addrs {
        match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err(ConnectorError::Timeout {
                    step: format!("{host}:{port} (connecting)"),
                    seconds: limit.as_secs().max(1),
                })
            }
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(error)) => last_error = Some(error),
        }
    }
    Err(match last_error {
        Some(error) => io_failure(host, port, &error, limit),
        None => ConnectorError::Dns {
            host: host.to_owned(),
        },
    })
}

/// A connect-time I/O error in words.
pub(crate) fn io_failure(
    host: &str,
    port: u16,
    error: &io::Error,
    limit: Duration,
) -> ConnectorError {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => ConnectorError::Refused {
            host: host.to_owned(),
            port,
        },
        io::ErrorKind::TimedOut => ConnectorError::Timeout {
            step: format!("{host}:{port} (connecting)"),
            seconds: limit.as_secs().max(1),
        },
        _ => ConnectorError::Unreachable {
            host: host.to_owned(),
            port,
            detail: error.to_string(),
        },
    }
}

/// A target URL's host and port, for messages and the resolution pre-check.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// Host name or address, without brackets.
    pub host: String,
    /// Explicit or default port.
    pub port: u16,
    /// Whether TLS is involved.
    pub https: bool,
}

impl Target {
    /// The host and port of an `http(s)://` URL; anything else is refused as invalid input.
    pub(crate) fn of(url: &url::Url, what: &str) -> Result<Self, ConnectorError> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(ConnectorError::InvalidInput(format!(
                    "The {what} must start with https:// (it starts with {other}://)."
                )))
            }
        };
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| ConnectorError::InvalidInput(format!("The {what} has no host name.")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url
            .port_or_known_default()
            .unwrap_or(if https { 443 } else { 80 });
        Ok(Self { host, port, https })
    }
}

/// Parses a configured base URL, naming the field when it is not one.
pub(crate) fn parse_url(text: &str, what: &str) -> Result<url::Url, ConnectorError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ConnectorError::InvalidInput(format!(
            "The {what} is empty."
        )));
    }
    url::Url::parse(trimmed).map_err(|error| {
        ConnectorError::InvalidInput(format!(
            "The {what} \"{}\" is not a valid URL ({error}).",
            crate::error::server_text(trimmed)
        ))
    })
}

/// How many redirects within one origin are followed.
const MAX_REDIRECTS: usize = 3;

/// Follows a redirect only within the origin (scheme, host, port) the request went to, at most
/// [`MAX_REDIRECTS`] times: every connector request carries a credential (a signature, an API
/// key, a password, a client secret), and a redirect elsewhere must not take it along. The
/// redirect answer itself is then what the caller sees (see [`crate::http::exchange`]).
pub(crate) fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// The HTTP client every HTTP connector test uses: rustls, a per-request deadline, redirects
/// followed within the same origin only.
pub(crate) fn http_client(limit: Duration) -> Result<reqwest::Client, ConnectorError> {
    reqwest::Client::builder()
        .connect_timeout(limit)
        .timeout(limit)
        .redirect(same_origin_redirects())
        .user_agent(concat!("PartnerDesk/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| ConnectorError::Unexpected(format!("Could not start HTTP: {error}")))
}

/// A failed HTTP exchange in words: timeout, refused, TLS, name resolution, or other.
pub(crate) fn http_failure(
    error: &reqwest::Error,
    target: &Target,
    limit: Duration,
    step: &str,
) -> ConnectorError {
    if error.is_timeout() {
        return ConnectorError::Timeout {
            step: format!("{}:{} ({step})", target.host, target.port),
            seconds: limit.as_secs().max(1),
        };
    }
    let chain = error_chain(error);
    let lower = chain.to_lowercase();
    if let Some(io_error) = find_io_error(error) {
        if io_error.kind() == io::ErrorKind::ConnectionRefused {
            return ConnectorError::Refused {
                host: target.host.clone(),
                port: target.port,
            };
        }
        if io_error.kind() == io::ErrorKind::TimedOut {
            return ConnectorError::Timeout {
                step: format!("{}:{} ({step})", target.host, target.port),
                seconds: limit.as_secs().max(1),
            };
        }
    }
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        return ConnectorError::Dns {
            host: target.host.clone(),
        };
    }
    let tls_words = [
        "certificate",
        "tls",
        "ssl",
        "handshake",
        "invalidcontenttype",
        "corrupt message",
        "peer is incompatible",
        "received fatal alert",
    ];
    let tls_data_error =
        find_io_error(error).is_some_and(|io_error| io_error.kind() == io::ErrorKind::InvalidData);
    if target.https && (tls_data_error || tls_words.iter().any(|word| lower.contains(word))) {
        return ConnectorError::Tls {
            host: target.host.clone(),
            detail: crate::error::server_text(&innermost(error)),
        };
    }
    if error.is_connect() {
        return ConnectorError::Unreachable {
            host: target.host.clone(),
            port: target.port,
            detail: crate::error::server_text(&innermost(error)),
        };
    }
    ConnectorError::Unexpected(format!(
        "The exchange with {}:{} failed ({step}): {}",
        target.host,
        target.port,
        crate::error::server_text(&chain)
    ))
}

fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

fn innermost(error: &(dyn StdError + 'static)) -> String {
    let mut last: &(dyn StdError + 'static) = error;
    while let Some(inner) = last.source() {
        last = inner;
    }
    last.to_string()
}

fn find_io_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(err) = current {
        if let Some(io_error) = err.downcast_ref::<io::Error>() {
            return Some(io_error);
        }
        current = err.source();
    }
    None
}
