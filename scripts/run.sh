#!/usr/bin/env bash
# Builds what is needed (the embedded model's files, the UI, then the release binary) and starts Compilar.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-model.sh
scripts/ui-build.sh
exec cargo run --release --locked -p compilar
