//! A secret must never leak through a log line, a panic message or a `{:?}` in an error: this
//! wrapper prints `***` and wipes its bytes when dropped, and it has no `Serialize` so it cannot
//! slip into a settings file or an IPC response.

use std::fmt;

use zeroize::Zeroizing;

/// A secret value (password, consumer secret, API key) held in memory.
///
/// `Debug` and `Display` print `***`; the bytes are zeroed on drop. Read the value only where it is
/// handed to the system that needs it, with [`SecretString::expose_secret`].
#[derive(Clone, Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a value; the caller's `String` is moved in, not copied.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The secret itself. Call this only at the point of use (an HTTP header, a login).
    pub fn expose_secret(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in bytes (safe to log: it says nothing useful about the value).
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::SecretString;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = SecretString::from("hunter2-consumer-secret");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        let wrapped = Some(vec![secret.clone()]);
        assert!(!format!("{wrapped:?}").contains("hunter2"));
        assert_eq!(secret.expose_secret(), "hunter2-consumer-secret");
    }
}
