//! "Test connection" for the connectors an analyst configures in Settings (SFTP, S3, Wix,
//! Drupal): each test says precisely what failed, in words, with a stable code.
