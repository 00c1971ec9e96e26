#!/usr/bin/env bash
# Builds what is needed (UI, then the release binary) and starts Compilar.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ui-build.sh
exec cargo run --release --locked -p compilar
