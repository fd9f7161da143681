#![no_main]
// The body is library code: rpcscope::fuzzing::nfs4_compound (see its docs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| rpcscope::fuzzing::nfs4_compound(data));
