#![no_main]
// The body is library code: rpcscope::fuzzing::differential (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::differential(data));
