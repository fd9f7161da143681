#![no_main]
// The body is library code: rpcscope::fuzzing::program_bodies (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::program_bodies(data));
