#!/usr/bin/env bash
# Runs every test: UI type check and unit tests, then all Rust tests (unit, integration, crash, race,
# migrations, sign-in and sync against a real PostgreSQL + PostgREST, generated TypeScript bindings, and the
# end-to-end test in the real app window under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

command -v tauri-driver >/dev/null || cargo install tauri-driver --version 2.1.0 --locked

scripts/fetch-model.sh
scripts/fetch-postgrest.sh
scripts/ui-build.sh --test

# Same flags for build and test, so the test run reuses the build.
cargo build --workspace --all-targets --locked
if [ -n "${DISPLAY:-}" ]; then
  cargo test --workspace --locked
else
  xvfb-run -a -s "-screen 0 1920x1080x24" cargo test --workspace --locked
fi
