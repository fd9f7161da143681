//! Placeholder: filled in by the net layer work.
pub mod event;
pub mod flow;
pub use event::*;
pub use flow::*;
