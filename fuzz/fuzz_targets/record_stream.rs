#![no_main]
// The body is library code: rpcscope::fuzzing::record_stream (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::record_stream(data));
