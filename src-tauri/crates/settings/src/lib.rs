//! Non-secret connection settings, kept in one validated file the user can trust.
