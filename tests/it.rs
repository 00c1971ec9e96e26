//! The core's integration tests, in one binary: each of them used to be its own, and each linked the core and
//! its embedded 15 MB model again. `pdf_limits` stays apart (it measures its own process's peak memory).
//! Run one area with `cargo test -p compilar-core --test it knowledge::` (module paths name the areas).

mod common;
#[path = "support/devices.rs"]
mod devices;
#[path = "support/supabase.rs"]
mod supabase;

mod analysis;
mod chat;
mod coach;
mod concurrency;
mod contract;
mod crash;
mod data;
mod export;
mod full_profile;
mod keychain;
mod knowledge;
mod lifecycle;
mod llm;
mod migrations;
mod progress;
mod questions;
mod storage;
mod sync;
mod teams;

/// The name libtest knows a test by, for running it alone in a child process: `crash::crash_child` here,
/// from the test's `module_path!()` (`it::crash`) and its function name.
pub fn test_name(module: &str, function: &str) -> String {
    match module.split_once("::") {
        Some((_, path)) => format!("{path}::{function}"),
        None => function.to_owned(),
    }
}
