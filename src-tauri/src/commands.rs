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
                let started = std::time::Instant::now();
                let answer = pd_app::commands::$name(&state, $($arg),*).await;
                answered(stringify!($name), started);
                answer
            }
        )*

        /// Registers every declared command with the app (the streaming ones through
        /// [`channel_handler`]).
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            let plain = plain_handler();
            let channels = channel_handler();
            move |invoke: tauri::ipc::Invoke<tauri::Wry>| {
                if pd_ipc::CHANNEL_COMMAND_NAMES.contains(&invoke.message.command()) {
                    channels(invoke)
                } else {
                    plain(invoke)
                }
            }
        }

        /// Registers the plain commands.
        fn plain_handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

pd_ipc::with_commands!(tauri_commands);

/// Logs how long a command took, at debug level under `partnerdesk::commands`
/// (`RUST_LOG=partnerdesk::commands=debug`), and when it began in milliseconds since the shell's
/// `run` began (`began_ms`, the clock of the start-up phases): this splits the cold start into
/// the window's start-up queries (issue 16).
fn answered(command: &str, started: std::time::Instant) {
    tracing::debug!(
        target: "partnerdesk::commands",
        command,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        began_ms = crate::ms_since_start(started),
        "answered"
    );
}

/// A window's channel as the app core's [`pd_app::stream::StreamSink`].
pub struct ChannelSink<T: tauri::ipc::IpcResponse + Clone>(pub tauri::ipc::Channel<T>);

impl<T: tauri::ipc::IpcResponse + Clone + Send + Sync + 'static> pd_app::stream::StreamSink<T>
    for ChannelSink<T>
{
    fn send(&self, message: T) -> bool {
        self.0.send(message).is_ok()
    }
}

/// Expands the streaming commands into wrappers taking a `Channel<Message>`, plus
/// [`channel_handler`].
macro_rules! tauri_channel_commands {
    ($( $(#[doc = $doc:literal])* $name:ident ( $arg:ident : $ty:ty ) ; )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            pub async fn $name(state: State<'_, AppState>, $arg: tauri::ipc::Channel<$ty>) -> CommandResult<()> {
                pd_app::commands::$name(&state, Box::new(ChannelSink($arg))).await
            }
        )*

        /// Registers the streaming commands.
        fn channel_handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

pd_ipc::with_channel_commands!(tauri_channel_commands);
