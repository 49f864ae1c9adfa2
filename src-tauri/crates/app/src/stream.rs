//! Where a streaming command sends its messages (issue 10: transfer progress): the shell hands
//! in the window's Tauri channel wrapped as a [`StreamSink`], tests a collector.

/// Receives a stream's messages; `send` answers `false` once the receiver is gone (the stream
/// then stops sending to it).
pub trait StreamSink<T>: Send + Sync + 'static {
    /// Sends one message.
    fn send(&self, message: T) -> bool;
}
