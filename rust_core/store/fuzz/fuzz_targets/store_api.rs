//! Every input is a program over hp-store's public API (frames, `Store`, the thread-local
//! scopes, the key grammar, hashing), checked against a model: see `tests/ops/mod.rs`.
#![no_main]

#[path = "../../tests/ops/mod.rs"]
mod ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| ops::run(data));
