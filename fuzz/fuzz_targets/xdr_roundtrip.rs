#![no_main]
// The body is library code: rpcscope::fuzzing::xdr_roundtrip (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::xdr_roundtrip(data));
