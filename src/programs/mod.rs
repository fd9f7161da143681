//! Placeholder: filled in by the programs layer work.
