#!/usr/bin/env bash
# Installs the UI's npm packages when package-lock.json changed, then type-checks, unit-tests (with --test)
# and builds ui/dist, which the desktop binary embeds.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
if [ "${1:-}" = "--test" ]; then
  npm run check
  npm test
fi
npm run build
