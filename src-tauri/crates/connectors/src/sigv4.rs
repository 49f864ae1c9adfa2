//! AWS Signature Version 4 for S3 requests (header-based), written out so that the S3 test
//! depends on no SDK. Checked against the signatures AWS publishes in its S3 documentation.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// SHA-256 of the empty body, hex: the payload hash of every GET.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Everything that goes into one signature.
#[derive(Debug, Clone)]
pub struct SigningInput<'a> {
    /// `GET`, `PUT`, ...
    pub method: &'a str,
    /// The request path before encoding, e.g. `/my-bucket` or `/test.txt`.
    pub path: &'a str,
    /// Query parameters before encoding, in any order.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers to sign, any case; must include `host` and `x-amz-date`.
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body ([`EMPTY_PAYLOAD_SHA256`] for none).
    pub payload_sha256: &'a str,
    /// Region, e.g. `us-east-1`.
    pub region: &'a str,
    /// Service, `s3`.
    pub service: &'a str,
    /// `x-amz-date` value, `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
    /// Access key id.
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret_access_key: &'a str,
}

/// The `Authorization` header value for `input`.
pub fn authorization(input: &SigningInput<'_>) -> String {
    let (_, signed_headers) = canonical_headers(input.headers);
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{},SignedHeaders={signed_headers},Signature={}",
        input.access_key_id,
        scope(input),
        signature(input)
    )
}

/// The hex signature for `input`.
pub fn signature(input: &SigningInput<'_>) -> String {
    let date = input.amz_date.get(..8).unwrap_or(input.amz_date);
    let secret = format!("AWS4{}", input.secret_access_key);
    let date_key = hmac_sha256(secret.as_bytes(), date.as_bytes());
    let region_key = hmac_sha256(&date_key, input.region.as_bytes());
    let service_key = hmac_sha256(&region_key, input.service.as_bytes());
    let signing_key = hmac_sha256(&service_key, b"aws4_request");
    hex(&hmac_sha256(&signing_key, string_to_sign(input).as_bytes()))
}

/// The canonical request (step 1 of the AWS documentation), exposed for diagnosis.
pub fn canonical_request(input: &SigningInput<'_>) -> String {
    let (headers, signed_headers) = canonical_headers(input.headers);
    format!(
        "{}\n{}\n{}\n{headers}\n{signed_headers}\n{}",
        input.method,
        canonical_uri(input.path),
        canonical_query(input.query),
        input.payload_sha256
    )
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Percent-encodes every byte except the unreserved `A-Z a-z 0-9 - . _ ~` (and `/` when
/// `keep_slash`), as SigV4 requires.
pub fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn scope(input: &SigningInput<'_>) -> String {
    let date = input.amz_date.get(..8).unwrap_or(input.amz_date);
    format!("{date}/{}/{}/aws4_request", input.region, input.service)
}

fn string_to_sign(input: &SigningInput<'_>) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{}\n{}\n{}",
        input.amz_date,
        scope(input),
        sha256_hex(canonical_request(input).as_bytes())
    )
}

fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        uri_encode(path, true)
    }
}

/// The query string exactly as signed; the request must send this same string.
pub fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(key, value)| (uri_encode(key, false), uri_encode(value, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut pairs: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            let collapsed = value.split_whitespace().collect::<Vec<_>>().join(" ");
            (name.to_ascii_lowercase(), collapsed)
        })
        .collect();
    pairs.sort();
    let block: String = pairs
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let names = pairs
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    (block, names)
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example credentials and requests of the AWS S3 documentation, "Signature Calculations
    // for the Authorization Header: Transferring Payload in a Single Chunk".
    const HOST: &str = "examplebucket.s3.amazonaws.com";
    const DATE: &str = "20130524T000000Z";

    fn doc_input<'a>(
        path: &'a str,
        query: &'a [(&'a str, &'a str)],
        headers: &'a [(&'a str, &'a str)],
    ) -> SigningInput<'a> {
        SigningInput {
            method: "GET",
            path,
            query,
            headers,
            payload_sha256: EMPTY_PAYLOAD_SHA256,
            region: "us-east-1",
            service: "s3",
            amz_date: DATE,
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        }
    }

    #[test]
    fn get_object_matches_the_published_signature() {
        let headers = [
            ("Host", HOST),
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
            ("x-amz-date", DATE),
        ];
        let input = doc_input("/test.txt", &[], &headers);
        assert_eq!(
            sha256_hex(canonical_request(&input).as_bytes()),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        assert_eq!(
            authorization(&input),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn list_objects_matches_the_published_signature_whatever_the_query_order() {
        let headers = [
            ("host", HOST),
            ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
            ("x-amz-date", DATE),
        ];
        let query = [("prefix", "J"), ("max-keys", "2")];
        assert_eq!(
            signature(&doc_input("/", &query, &headers)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
    }

    #[test]
    fn bucket_lifecycle_matches_the_published_signature() {
        let headers = [
            ("host", HOST),
            ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
            ("x-amz-date", DATE),
        ];
        assert_eq!(
            signature(&doc_input("/", &[("lifecycle", "")], &headers)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        );
    }

    #[test]
    fn a_different_secret_gives_a_different_signature() {
        let headers = [("host", HOST), ("x-amz-date", DATE)];
        let good = doc_input("/", &[], &headers);
        let mut bad = good.clone();
        bad.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ";
        assert_ne!(signature(&good), signature(&bad));
    }

    #[test]
    fn uri_encoding_keeps_only_unreserved_bytes() {
        assert_eq!(uri_encode("a b/é+~", true), "a%20b/%C3%A9%2B~");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
    }
}
