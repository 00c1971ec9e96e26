//! End to end in the real app window: tauri-driver + WebKitWebDriver drive the app binary Cargo built for this
//! run, under a display (Xvfb in CI), one test per area, each on its own data folder and free ports.
//!
//! Needs: `DISPLAY`, and `tauri-driver`, `WebKitWebDriver`, `xdotool` and `import` on PATH. Outside CI a test
//! skips itself with a message when these are missing; with `CI` set it fails instead, so CI can never pass
//! without running them.

#[path = "../../../tests/common/mod.rs"]
mod common;
#[path = "../../../tests/support/devices.rs"]
mod devices;
#[path = "../../../tests/support/supabase.rs"]
mod supabase;

mod account;
mod ai;
mod assessment;
mod chat;
mod data;
mod documents;
mod knowledge;
mod layout;
mod progress;
mod recovery;
mod security;
mod teams;
mod window;
