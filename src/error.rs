//! The typed cause a caller looks for in an error from the library.

/// What was asked cannot be done as asked: a path that does not exist, an
/// output that would overwrite a source, an option value that makes no
/// sense, a data map another sweep is writing. Nothing was done, and the
/// message says what to change. Library functions return it (or wrap it in
/// an `anyhow::Error`, where `downcast_ref::<BadRequest>()` finds it); the
/// program decides how to report it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);
