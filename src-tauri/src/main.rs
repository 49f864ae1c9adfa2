//! The PartnerDesk executable: everything lives in the library so tests and mobile targets share it.

// Keeps a console window from opening beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    partnerdesk_lib::run();
}
