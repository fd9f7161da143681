#![no_main]
// The body is library code: rpcscope::fuzzing::server_service (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::server_service(data));
