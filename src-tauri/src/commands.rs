//! The Tauri side of the IPC contract: one `#[tauri::command]` wrapper per command declared in
//! `pd-ipc`, each forwarding to the body of the same name in `pd_app::commands`, and the handler
//! that registers them all. Nothing here is written per command.

use pd_app::{AppState, CommandResult};
#[allow(unused_imports)]
// the declared argument and answer types, named as pd-domain exports them
use pd_domain::*;
use tauri::State;

/// Expands the declared command list into wrappers plus [`handler`].
macro_rules! tauri_commands {
    ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $answer:ty ; )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            pub async fn $name(state: State<'_, AppState>, $($arg: $ty),*) -> CommandResult<$answer> {
                pd_app::commands::$name(&state, $($arg),*).await
            }
        )*

        /// Registers every declared command with the app.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

pd_ipc::with_commands!(tauri_commands);
