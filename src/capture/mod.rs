//! Placeholder: filled in by the capture layer work.
pub mod frame; pub use frame::*;
