#!/usr/bin/env bash
# Builds what is needed (the embedded model's files, the UI, then an optimised binary with the `fast-release` profile:
# release settings without whole-program LTO, which installers keep) and starts Compilar.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-model.sh
scripts/ui-build.sh
exec cargo run --profile fast-release --locked -p compilar
