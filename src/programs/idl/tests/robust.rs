//! Hostile input: mutated and random text never panics and finishes fast.
