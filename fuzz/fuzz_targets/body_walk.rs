#![no_main]
// The body is library code: rpcscope::fuzzing::body_walk (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::body_walk(data));
