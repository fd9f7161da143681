//! Placeholder: filled in by the rpc layer work.
