#![no_main]
// The body is library code: rpcscope::fuzzing::capture_file (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::capture_file(data));
