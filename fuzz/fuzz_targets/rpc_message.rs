#![no_main]
// The body is library code: rpcscope::fuzzing::rpc_message (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::rpc_message(data));
