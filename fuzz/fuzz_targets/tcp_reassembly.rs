#![no_main]
// The body is library code: rpcscope::fuzzing::tcp_reassembly (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::tcp_reassembly(data));
