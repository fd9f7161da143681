#![no_main]
// The body is library code: rpcscope::fuzzing::idl_parse (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::idl_parse(data));
